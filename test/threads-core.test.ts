// The core's threaded memory passes (elementwise, fused bias + activation, softmax, reductions,
// batched matmul): the same bits for 1, 2 and 3 threads, values and tape gradients, on sizes above
// the threshold that do not divide into whole chunks; workers take part; small ops stay on the
// calling thread. (gemm's own row blocks are covered where gemm is.)
import { describe, it, expect, afterAll } from 'vitest';
import {
  tensor, tape, tidy, setThreads, threads, Tensor, exp, tanh, gelu, sigmoid, softplus, sin, log1p, square, relu,
  add, sub, mul, div, pow, maximum, greater, softmax, logSoftmax, sum, max, mean, matmul,
} from '../src/index.js';
import { tasksRun } from '../src/core.js';
import { mulberry32 } from './support/nd.js';

const initialThreads = threads();
afterAll(() => setThreads(initialThreads));

const rand = (shape: number[], seed: number, lo = -3, hi = 3) => {
  const r = mulberry32(seed), n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float32Array.from({ length: n }, () => lo + (hi - lo) * r()), shape);
};
const bitsOf = (t: Tensor) => {
  const d = t.data() as Float32Array | Int32Array | Uint8Array;
  return Array.from(d instanceof Uint8Array ? d : new Uint32Array(d.slice().buffer));
};
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** The bits of everything `run` returns (values, then gradients), for 1, 2 and 3 threads. */
const tasksTotal = () => tasksRun().reduce((a, b) => a + b, 0);
function acrossThreads(run: () => Tensor[]): number[][][] {
  return [1, 2, 3].map(n => {
    setThreads(n);
    const before = tasksTotal(), bits = tidy(() => run().map(bitsOf));
    // tasks are counted only when a job runs on more than one thread: the threaded paths ran
    if (n > 1) expect(tasksTotal()).toBeGreaterThan(before);
    return bits;
  });
}
function expectSameBits(run: () => Tensor[]): number[][] {
  const [one, two, three] = acrossThreads(run);
  for (let i = 0; i < one.length; i++) {
    expect(two[i].length).toBe(one[i].length);
    // (a whole-array toEqual on 10^5 numbers prints unreadably on failure: count the differences)
    const diff2 = one[i].filter((b, j) => b !== two[i][j]).length, diff3 = one[i].filter((b, j) => b !== three[i][j]).length;
    expect([i, diff2, diff3]).toEqual([i, 0, 0]);
  }
  return one;
}
/** y = f(x) and d sum(y·w)/dx, on a tape. */
const valueAndGrad = (x: Tensor, w: Tensor, f: (x: Tensor) => Tensor) => () => {
  const t = tape(t => { t.watch(x); return f(x); });
  const y = t.result, g = tape(t2 => { t2.watch(x); return sum(mul(f(x), w)); });
  return [y, g.gradient(g.result, x) as Tensor];
};
const f64 = (bits: number[]) => new Float32Array(Uint32Array.from(bits).buffer);
function expectNear(bits: number[], ref: (i: number) => number, tol: number) {
  const v = f64(bits);
  let worst = 0;
  for (let i = 0; i < v.length; i++) worst = Math.max(worst, Math.abs(v[i] - ref(i)) / Math.max(1, Math.abs(ref(i))));
  expect(worst).toBeLessThan(tol);
}

// above the thresholds (2^17 floats for transcendental maps, 2^19 for cheap ones: assembly/jobs.ts),
// not a multiple of a chunk (16,384) nor of 4
const N = 200_003, BIG = 600_001;

describe('threaded core passes', () => {
  it('workers start and take tasks of a large map', async () => {
    setThreads(2);
    const x = rand([N], 1);
    exp(x).dispose();
    await sleep(300); // Node starts workers asynchronously
    const before = tasksRun();
    for (let i = 0; i < 20; i++) exp(x).dispose();
    const after = tasksRun();
    expect(after[1]).toBeGreaterThan(before[1]);
    expect(after[0]).toBeGreaterThan(before[0]);
    x.dispose();
  });

  it('unary maps and their one-pass gradients', () => {
    // transcendental maps on N floats, cheap ones on BIG (their thresholds)
    const x = rand([BIG], 2), w = rand([BIG], 3), xs = Array.from(x.data() as Float32Array);
    const xN = x.slice([0], [N]), wN = w.slice([0], [N]);
    for (const [name, f, ref, cheap] of [
      ['exp', exp, Math.exp], ['tanh', tanh, Math.tanh], ['sigmoid', sigmoid, (v: number) => 1 / (1 + Math.exp(-v))],
      ['gelu', gelu, undefined], ['softplus', softplus, (v: number) => Math.log1p(Math.exp(v))], ['sin', sin, Math.sin],
      ['relu', relu, (v: number) => Math.max(v, 0), true], ['square', square, (v: number) => v * v, true],
    ] as const) {
      const [y] = expectSameBits(valueAndGrad(cheap ? x : xN, cheap ? w : wN, f as (x: Tensor) => Tensor));
      if (ref) expectNear(y, i => ref(xs[i]), 1e-5);
      else expect(name).toBe('gelu');
    }
    const pos = rand([BIG], 4, 0, 5);
    expectSameBits(valueAndGrad(pos.slice([0], [N]), wN, log1p));
    expectSameBits(valueAndGrad(pos, w, p => pow(p, 0.5))); // x^½: the exact-power map
    for (const t of [x, w, xN, wN, pos]) t.dispose();
  });

  it('binary ops, same shapes and broadcast, with gradients', () => {
    const a = rand([BIG], 5), b = rand([BIG], 6, 0.5, 2);
    const av = a.data() as Float32Array, bv = b.data() as Float32Array;
    const [s] = expectSameBits(() => { const t = tape(t => { t.watch([a, b]); return sum(mul(div(a, b), b)); }); return [add(a, b), mul(a, b), div(a, b), maximum(a, b), greater(a, b), ...t.gradient(t.result, [a, b]) as Tensor[]]; });
    expectNear(s, i => av[i] + bv[i], 1e-6);
    // rows broadcast along the last axis, columns along the first, and a 3-d broadcast: odd sizes
    const m = rand([1031, 521], 7), row = rand([521], 8), col = rand([1031, 1], 9), c3 = rand([3, 1, 40_001], 10), d3 = rand([5, 1], 11);
    const mv = m.data() as Float32Array, rv = row.data() as Float32Array, cv = col.data() as Float32Array;
    const [r1, r2] = expectSameBits(() => {
      const t = tape(t => { t.watch([m, row, col]); return sum(mul(sub(m, row), col)); });
      return [add(m, row), mul(col, m), pow(m, col), sub(c3, d3), ...t.gradient(t.result, [m, row, col]) as Tensor[]];
    });
    expectNear(r1, i => mv[i] + rv[i % 521], 1e-6);
    expectNear(r2, i => cv[Math.floor(i / 521)] * mv[i], 1e-6);
    for (const t of [a, b, m, row, col, c3, d3]) t.dispose();
  });

  it('fused bias + activation (matmul epilogue), recorded and not', () => {
    const a = rand([2053, 37], 12), k = rand([37, 257], 13), bias = rand([257], 14);
    for (const activation of ['relu', 'sigmoid', 'tanh', 'linear'] as const) {
      expectSameBits(() => {
        const plain = matmul(a, k, false, false, { bias, activation });
        const t = tape(t => { t.watch([a, k, bias]); return sum(mul(matmul(a, k, false, false, { bias, activation }), 0.5)); });
        return [plain, ...t.gradient(t.result, [a, k, bias]) as Tensor[]];
      });
    }
    // against the unfused ops
    setThreads(2);
    tidy(() => {
      const fused = bitsOf(matmul(a, k, false, false, { bias, activation: 'sigmoid' }));
      expect(fused).toEqual(bitsOf(sigmoid(add(matmul(a, k), bias))));
    });
    a.dispose(); k.dispose(); bias.dispose();
  });

  it('softmax and logSoftmax along the last and a middle axis, with gradients', () => {
    const x = rand([613, 331], 15), w = rand([613, 331], 16), x3 = rand([7, 2999, 13], 17), w3 = rand([7, 2999, 13], 18);
    const xv = x.data() as Float32Array;
    const [y] = expectSameBits(valueAndGrad(x, w, v => softmax(v)));
    const row0 = Array.from(xv.subarray(0, 331)), mx = Math.max(...row0), z = row0.reduce((s, v) => s + Math.exp(v - mx), 0);
    expectNear(y.slice(0, 331), i => Math.exp(row0[i] - mx) / z, 1e-6);
    expectSameBits(valueAndGrad(x, w, v => logSoftmax(v)));
    expectSameBits(valueAndGrad(x3, w3, v => softmax(v, 1)));
    expectSameBits(valueAndGrad(x3, w3, v => logSoftmax(v, 1)));
    for (const t of [x, w, x3, w3]) t.dispose();
  });

  it('sum, max and mean over the last, a middle and all axes, with gradients', () => {
    const x = rand([1301, 411], 19), wide = rand([300, 2051], 20), x3 = rand([7, 301, 263], 21);
    const xv = x.data() as Float32Array;
    for (const [t, axes] of [[x, 1], [x, undefined], [wide, 1], [x3, 1], [x3, [0, 2]], [x3, [1, 2]]] as const) {
      for (const f of [sum, max, mean]) {
        const [v] = expectSameBits(() => {
          const tp = tape(tp => { tp.watch(t); return sum(mul(f(t, axes as never), 0.25)); });
          return [f(t, axes as never), tp.gradient(tp.result, t) as Tensor];
        });
        if (f === sum && t === x && axes === 1) expectNear(v, i => { let s = 0; for (let j = 0; j < 411; j++) s += xv[i * 411 + j]; return s; }, 1e-4);
      }
    }
    for (const t of [x, wide, x3]) t.dispose();
  });

  it('batched matmul of small products (attention-shaped), with gradients', () => {
    const q = rand([4, 4, 97, 40], 22), kT = rand([4, 4, 40, 95], 23), k2 = rand([4, 4, 95, 40], 24);
    expectSameBits(() => {
      const t = tape(t => { t.watch([q, kT, k2]); return sum(matmul(matmul(q, kT), k2)); });
      return [matmul(q, kT), matmul(q, k2, false, true), ...t.gradient(t.result, [q, kT, k2]) as Tensor[]];
    });
    // a broadcast batch: one b for each group of a's heads
    const b1 = rand([4, 1, 40, 95], 25);
    expectSameBits(() => [matmul(q, b1)]);
    const qv = q.data() as Float32Array, kv = kT.data() as Float32Array;
    setThreads(2);
    tidy(() => {
      const c = f64(bitsOf(matmul(q, kT)));
      // product 13 (batch 3, head 1), element (50, 60)
      let s = 0;
      for (let p = 0; p < 40; p++) s += qv[13 * 97 * 40 + 50 * 40 + p] * kv[13 * 40 * 95 + p * 95 + 60];
      expect(Math.abs(c[13 * 97 * 95 + 50 * 95 + 60] - s)).toBeLessThan(1e-4);
    });
    for (const t of [q, kT, k2, b1]) t.dispose();
  });

  it('every threaded kind ran tasks on a worker', async () => {
    setThreads(2);
    await sleep(300);
    const x = rand([N], 26), m = rand([1031, 521], 27), row = rand([521], 28), q = rand([4, 4, 97, 40], 29), kT = rand([4, 4, 40, 95], 30);
    const a = rand([2053, 37], 31), k = rand([37, 257], 32), bias = rand([257], 33);
    for (const [name, run] of [
      ['map', () => exp(x)], ['binary', () => add(m, row)], ['bias', () => matmul(a, k, false, false, { bias, activation: 'relu' })],
      ['softmax', () => softmax(m)], ['reduce', () => sum(m, 1)], ['batched matmul', () => matmul(q, kT)],
    ] as const) {
      const before = tasksRun()[1];
      for (let i = 0; i < 50 && tasksRun()[1] === before; i++) tidy(run);
      expect([name, tasksRun()[1] > before]).toEqual([name, true]);
    }
    for (const t of [x, m, row, q, kT, a, k, bias]) t.dispose();
  });

  it('small ops stay on the calling thread', () => {
    setThreads(2);
    const x = rand([4000], 34), m = rand([40, 99], 35), row = rand([99], 36), q = rand([2, 2, 16, 8], 37), kT = rand([2, 2, 8, 16], 38);
    const before = tasksRun();
    tidy(() => {
      const t = tape(t => { t.watch([x, m, row]); return add(sum(tanh(x)), sum(softmax(mul(m, row)))); });
      t.gradient(t.result, [x, m, row]);
      exp(x); sum(m, 0); max(m, 1); matmul(q, kT); matmul(m, rand([99, 7], 39), false, false, { bias: rand([7], 40), activation: 'relu' });
    });
    expect(tasksRun()).toEqual(before);
    // a reduction over the first axis alone has one outer group: it stays on this thread however large
    const tall = rand([1301, 411], 41);
    tidy(() => { sum(tall, 0); max(tall, 0); });
    expect(tasksRun()).toEqual(before);
    for (const t of [x, m, row, q, kT, tall]) t.dispose();
  });
});
