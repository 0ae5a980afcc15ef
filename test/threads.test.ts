// Threads (assembly/threads.ts, src/core.ts' pool): the same bits for any thread count, workers that
// really take part, growth of the shared memory seen by every worker, and a task that traps on a
// worker giving the same clear error as a trap anywhere else, after which everything works again.
// Kernel families have their own files (threads-core.test.ts, threads-spatial.test.ts); this one
// covers the pool and gemm, the first job.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv2d, matmul, ones, randomNormal, setThreads, sum, tape, tensor, threads, memory, zeros, type Tensor } from './api.js';
import { core, ints, tasksRun } from '../src/core.js';
import { C } from '../build/generated/interface.js';

const initial = threads();
afterAll(() => setThreads(initial));

const tick = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));
const bytesOf = (t: Tensor) => Buffer.from((t.data() as Float32Array).buffer).toString('base64');
/** Tasks the workers (slots 1..) have run so far. */
const workerTasks = () => tasksRun().slice(1).reduce((s, n) => s + n, 0);

/**
 * Runs products big enough to be jobs, letting the event loop turn, until the workers have run tasks
 * (they start asynchronously, and a busy machine may take a while).
 */
async function poolUp(): Promise<void> {
  const a = randomNormal([256, 256], { seed: 1 }), before = workerTasks();
  for (let i = 0; i < 400 && workerTasks() === before; i++) { matmul(a, a).dispose(); await tick(25); }
  a.dispose();
  expect(workerTasks(), 'the workers started').toBeGreaterThan(before);
}

/** C = A·B and its gradients with respect to A and B (the two backward products), as bytes. */
function productAndGradients(a: Tensor, b: Tensor, ta = false, tb = false): string[] {
  const t = tape((t) => { t.watch([a, b]); return matmul(a, b, ta, tb); });
  const c = t.result, weights = randomNormal(c.shape, { seed: 9 });
  const t2 = tape((t) => { t.watch([a, b]); return sum(matmul(a, b, ta, tb).mul(weights)); });
  const [ga, gb] = t2.gradient(t2.result, [a, b]) as Tensor[];
  const out = [bytesOf(c), bytesOf(ga), bytesOf(gb)];
  for (const x of [c, weights, t2.result, ga, gb]) x.dispose();
  return out;
}

describe('threads', () => {
  beforeAll(async () => {
    setThreads(3);
    await poolUp();
  });

  it('threads() is the machine\'s cores by default (Node has workers and shared memory), setThreads changes it', () => {
    expect(initial).toBe(availableParallelism());
    setThreads(2);
    expect(threads()).toBe(2);
    setThreads(3);
    expect(threads()).toBe(3);
  });

  const shapes: [string, number[], number[], boolean, boolean][] = [
    ['512 × 512 · 512 × 512', [512, 512], [512, 512], false, false],
    ['509 × 300 · 300 × 257 (no size divides the blocks)', [509, 300], [300, 257], false, false],
    ['Aᵀ·B: 300 × 509 stored transposed', [300, 509], [300, 257], true, false],
    ['A·Bᵀ and Aᵀ·Bᵀ', [300, 509], [257, 300], true, true],
    ['a stack of matrices times one matrix (one product over all rows)', [3, 130, 200], [200, 150], false, false],
    ['67 × 2000 · 2000 × 70 (two row blocks, long k)', [67, 2000], [2000, 70], false, false],
    ['40 × 300 · 300 × 1000 (one block of rows, cut into groups of columns)', [40, 300], [300, 1000], false, false],
  ];
  for (const [label, sa, sb, ta, tb] of shapes) {
    it(`gemm: ${label}: forward and both gradient products are the same bits on 1, 2 and 3 threads`, () => {
      const a = randomNormal(sa, { seed: 2 }), b = randomNormal(sb, { seed: 3 });
      setThreads(1);
      const one = productAndGradients(a, b, ta, tb);
      const before = workerTasks();
      for (const n of [2, 3]) {
        setThreads(n);
        expect(productAndGradients(a, b, ta, tb), `${n} threads`).toEqual(one);
      }
      expect(workerTasks(), 'workers ran some of the row blocks').toBeGreaterThan(before);
      a.dispose(); b.dispose();
    });
  }

  it('gemm on threads agrees with a float64 reference', () => {
    setThreads(3);
    const m = 131, k = 77, n = 129;
    const av = Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.37)), bv = Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.11));
    const a = tensor(av, [m, k]), b = tensor(bv, [k, n]);
    const before = workerTasks();
    const big = randomNormal([64 * 8, 300], { seed: 4 });
    matmul(big, randomNormal([300, 300], { seed: 5 })).dispose(); // keep the pool busy and awake
    const c = matmul(a, b).data();
    let worst = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += av[i * k + p] * bv[p * n + j];
      worst = Math.max(worst, Math.abs(c[i * n + j] - s));
    }
    expect(worst).toBeLessThan(1e-4);
    expect(workerTasks()).toBeGreaterThan(before);
    big.dispose(); a.dispose(); b.dispose();
  });

  it('small products stay on the calling thread', () => {
    setThreads(3);
    const a = randomNormal([64, 64], { seed: 6 });
    const before = workerTasks();
    for (let i = 0; i < 20; i++) matmul(a, a).dispose();
    expect(workerTasks()).toBe(before);
    a.dispose();
  });

  it('setThreads(1): the workers get nothing', () => {
    setThreads(1);
    const a = randomNormal([512, 512], { seed: 7 });
    const before = workerTasks();
    matmul(a, a).dispose();
    expect(workerTasks()).toBe(before);
    a.dispose();
  });

  it('memory that grew after the workers started is seen by them', async () => {
    setThreads(3);
    const grownFrom = memory().wasmBytes;
    const held = zeros([64 << 20]); // 256 MB: the memory grows well past where it was when the pool started
    const a = randomNormal([600, 400], { seed: 8 }), b = randomNormal([400, 300], { seed: 9 });
    expect(memory().wasmBytes).toBeGreaterThan(grownFrom + (200 << 20));
    const before = workerTasks();
    const threaded = bytesOf(matmul(a, b));
    expect(workerTasks()).toBeGreaterThan(before);
    setThreads(1);
    expect(bytesOf(matmul(a, b))).toBe(threaded);
    held.dispose(); a.dispose(); b.dispose();
  });
});

describe('a task that traps on a worker', () => {
  it('gives the clear internal-error message, the core resets, and threads work again', async () => {
    setThreads(2);
    await poolUp();
    // A hand-made gemm job (args: assembly/ops/linalg.ts gemm) of 64 row blocks whose per-thread
    // scratch is in bounds for the calling thread's slot and past the end of memory for every
    // worker's: each block a worker claims traps there, never on the calling thread. "unreachable" is
    // the calling thread's trap on seeing the job failed (a trap of its own would read "memory access
    // out of bounds"). A, B's panels, C and the row scratch all lie in one tensor (values do not matter).
    const k = 512, n = 512, data = randomNormal([64 * 64 * k], { seed: 11 });
    const m32 = ints(), top = m32.length * 4, base = core[C.dataPtr](data.id);
    const args = core[C.jobArgs]() >>> 2;
    const words = [base, k, 1, base, base, 64 * 64, k, n, base, top];
    words.forEach((w, i) => { m32[args + i] = w | 0; });
    const workersBefore = workerTasks();
    let error: unknown;
    try { core[C.parallel](0, 64); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(WebAssembly.RuntimeError);
    expect((error as Error).message).toMatch(/internal error in the WebAssembly core \(unreachable in /);
    expect(workersBefore).toBeGreaterThan(0);
    // the core was reset: new memory, new pool; the same product's bits on 1 and 2 threads
    const a = randomNormal([512, 512], { seed: 12 });
    setThreads(1);
    const one = bytesOf(matmul(a, a));
    setThreads(2);
    await poolUp();
    expect(bytesOf(matmul(a, a))).toBe(one);
  });
});

describe('an engine without shared memory (Firefox and Safari on pages that are not cross-origin isolated)', () => {
  it('links both modules against an ordinary memory: threads() is 1 and results are the same bits', () => {
    // a fresh process whose WebAssembly.Memory refuses `shared`, loading the built package
    const dist = fileURLToPath(new URL('../dist/gradtape.js', import.meta.url));
    const script = `const M = WebAssembly.Memory;
      WebAssembly.Memory = function (d) { if (d.shared) throw new TypeError('shared memory is disabled'); return new M(d); };
      const g = await import(${JSON.stringify(dist)});
      const a = g.randomNormal([300, 300], { seed: 1 });
      const t = g.tape((t) => { t.watch(a); return g.sum(g.matmul(a, a)); });
      const conv = g.conv2d(g.ones([1, 8, 8, 1]), g.ones([3, 3, 1, 2]));
      console.log(JSON.stringify({ threads: g.threads(), grad: Array.from(t.gradient(t.result, a).data()), conv: Array.from(conv.data()) }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 64 << 20 }));
    expect(out.threads).toBe(1);
    setThreads(2);
    const a = randomNormal([300, 300], { seed: 1 });
    const t = tape((t) => { t.watch(a); return sum(matmul(a, a)); });
    expect(out.grad).toEqual(Array.from(t.gradient(t.result, a)!.data()));
    expect(out.conv).toEqual(Array.from(conv2d(ones([1, 8, 8, 1]), ones([3, 3, 1, 2])).data()));
  });
});
