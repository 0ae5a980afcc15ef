// Prototype only: 512³ and 256³ gemm on 1, 2 and 3 threads over a shared memory; bit-identity of
// the outputs; the fixed cost of one parallel call. Usage: node proto/threads/gemm.mjs [workers=2] [spin=0]
import { createPool, imports, loadModule } from './pool.mjs';

const workers = Number(process.argv[2] ?? 2), spin = Number(process.argv[3] ?? 0);
const module = loadModule();
// The module declares maximum 65536 pages; JS may give a memory with any maximum up to that.
const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true });
const core = new WebAssembly.Instance(module, imports(memory)).exports;
core._start();
const pool = await createPool(module, memory, workers, { spin });

const take = (bytes) => core.n(bytes) >>> 0; // scratchTake: the memory grows after the workers started
function bands(m, threads) { // row bands, multiples of 4 rows, the caller's first
  const per = Math.ceil(m / threads / 4) * 4, out = [];
  for (let r = 0; r < m; r += per) out.push([r, Math.min(m, r + per)]);
  return out;
}
function timeIt(fn, minMs = 400) {
  fn(); fn();
  const times = [];
  const until = performance.now() + minMs;
  while (times.length < 5 || performance.now() < until) { const t = performance.now(); fn(); times.push(performance.now() - t); }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

for (const [m, k, n] of [[512, 512, 512], [256, 256, 256], [509, 300, 257]]) {
  const a = take(m * k * 4), b = take(k * n * 4), c1 = take(m * n * 4), cT = take(m * n * 4);
  const scratch = [0, 1, 2, 3].map(() => take(core.gemmScratchBytes(k, n)));
  const f = new Float32Array(memory.buffer); // after growth: a fresh view
  for (let i = 0; i < m * k; i++) f[(a >> 2) + i] = Math.sin(i * 0.37) * 2;
  for (let i = 0; i < k * n; i++) f[(b >> 2) + i] = Math.cos(i * 0.11);
  const one = () => core.gemmStrided(a, k, 1, b, n, 1, c1, m, k, n, scratch[0]);
  const parallel = (threads, waitMode) => {
    const bs = bands(m, threads);
    const job = ([r0, r1], t) => [a + r0 * k * 4, k, 1, b, n, 1, cT + r0 * n * 4, r1 - r0, k, n, scratch[t]];
    pool.run(bs.slice(1).map((band, w) => job(band, w + 1)), () => core.gemmStrided(...job(bs[0], 0)), waitMode);
  };
  const flops = 2 * m * k * n;
  const t1 = timeIt(one);
  let line = `${m}x${k}x${n}: 1 thread ${t1.toFixed(3)} ms (${(flops / t1 / 1e6).toFixed(1)} GFLOP/s)`;
  for (let threads = 2; threads <= workers + 1; threads++) {
    for (const mode of ['spin', 'wait']) {
      new Float32Array(memory.buffer).fill(NaN, cT >> 2, (cT >> 2) + m * n);
      const cpu0 = process.cpuUsage(), wall0 = performance.now();
      const t = timeIt(() => parallel(threads, mode));
      const cpu = process.cpuUsage(cpu0), busy = (cpu.user + cpu.system) / 1000 / (performance.now() - wall0);
      const f2 = new Uint32Array(memory.buffer);
      let same = true;
      for (let i = 0; i < m * n; i++) if (f2[(c1 >> 2) + i] !== f2[(cT >> 2) + i]) { same = false; break; }
      line += `; ${threads} threads (caller ${mode}s) ${t.toFixed(3)} ms ×${(t1 / t).toFixed(2)} (cpu/wall ${busy.toFixed(2)}) ${same ? 'bit-identical' : 'DIFFERENT'}`;
    }
  }
  console.log(line);
}

// Fixed cost of one parallel call: every worker gets an empty band (m = 0 returns at once).
for (const mode of ['spin', 'wait']) {
  const empty = Array.from({ length: workers }, () => [0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 0]);
  const n = 20000;
  for (let i = 0; i < 1000; i++) pool.run(empty, () => {}, mode);
  const t = performance.now();
  for (let i = 0; i < n; i++) pool.run(empty, () => {}, mode);
  console.log(`dispatch overhead (${workers} workers, worker spin ${spin}, caller ${mode}s): ${((performance.now() - t) / n * 1000).toFixed(1)} µs per parallel call`);
}
console.log(`memory now ${memory.buffer.byteLength} B; the process should exit on its own now (workers unref'd)`);
