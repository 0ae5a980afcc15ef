// Prototype only: what a page can do. Reports SharedArrayBuffer, shared memory, whether Atomics.wait
// is allowed here, and (when isolated) a 256³ gemm split between this thread and one Worker,
// the caller spinning on Atomics.load because it may not sleep.
const out = { isolated: self.crossOriginIsolated, sab: typeof SharedArrayBuffer, cores: navigator.hardwareConcurrency };
try { new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true }); out.sharedMemory = 'ok'; } catch (e) { out.sharedMemory = String(e); }
try { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 0); out.mainAtomicsWait = 'allowed'; } catch (e) { out.mainAtomicsWait = String(e); }
const env = (memory) => ({ env: { memory, o() { throw new Error('oom'); }, c() {}, r() {}, x() {} } });
const module = await WebAssembly.compileStreaming(fetch('/proto-threads.wasm'));
if (out.sharedMemory === 'ok' && !self.crossOriginIsolated) {
  // a shared memory exists here, but can it reach a worker?
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true });
  out.sharedMemoryBuffer = Object.prototype.toString.call(memory.buffer);
  try { new Worker('/worker.js').postMessage({ module, memory }); out.postSharedMemory = 'ok'; } catch (e) { out.postSharedMemory = String(e); }
  try { new WebAssembly.Instance(module, env(memory)); out.sharedModuleInstantiates = true; } catch (e) { out.sharedModuleInstantiates = String(e); }
} else if (out.sharedMemory === 'ok') {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true });
  const core = new WebAssembly.Instance(module, env(memory)).exports; core._start();
  const control = new Int32Array(new SharedArrayBuffer(64));
  const worker = new Worker('/worker.js');
  worker.postMessage({ module, memory, control });
  // does the worker come up while this thread never yields? (spin up to 3 s)
  const t0 = performance.now();
  while (Atomics.load(control, 15) !== 1 && performance.now() - t0 < 3000);
  out.workerReadyWithoutYielding = Atomics.load(control, 15) === 1;
  if (!out.workerReadyWithoutYielding) await new Promise((r) => { const poll = () => Atomics.load(control, 15) === 1 ? r() : setTimeout(poll, 1); poll(); });
  out.workerReadyMs = +(performance.now() - t0).toFixed(1);
  const m = 256, k = 256, n = 256, take = (b) => core.n(b) >>> 0;
  const a = take(m * k * 4), b = take(k * n * 4), c1 = take(m * n * 4), c2 = take(m * n * 4), s0 = take(core.gemmScratchBytes(k, n)), s1 = take(core.gemmScratchBytes(k, n));
  const f = new Float32Array(memory.buffer);
  for (let i = 0; i < m * k; i++) { f[(a >> 2) + i] = Math.sin(i * 0.37); f[(b >> 2) + i] = Math.cos(i * 0.11); }
  let seq = 0;
  const half = m / 2;
  const two = () => {
    const job = [a + half * k * 4, k, 1, b, n, 1, c2 + half * n * 4, m - half, k, n, s1];
    for (let i = 0; i < job.length; i++) control[2 + i] = job[i];
    Atomics.store(control, 0, ++seq); Atomics.notify(control, 0);
    core.gemmStrided(a, k, 1, b, n, 1, c2, half, k, n, s0);
    while (Atomics.load(control, 1) !== seq); // spin: no Atomics.wait on a page's main thread
  };
  const one = () => core.gemmStrided(a, k, 1, b, n, 1, c1, m, k, n, s0);
  const time = (fn) => { for (let i = 0; i < 5; i++) fn(); const ts = []; for (let i = 0; i < 40; i++) { const t = performance.now(); fn(); ts.push(performance.now() - t); } ts.sort((x, y) => x - y); return ts[20]; };
  out.ms1 = time(one); out.ms2 = time(two);
  const u = new Uint32Array(memory.buffer); let same = true;
  for (let i = 0; i < m * n; i++) if (u[(c1 >> 2) + i] !== u[(c2 >> 2) + i]) { same = false; break; }
  out.bitIdentical = same;
  const empty = () => { control[2 + 7] = 0; Atomics.store(control, 0, ++seq); Atomics.notify(control, 0); while (Atomics.load(control, 1) !== seq); };
  for (let i = 0; i < 500; i++) empty();
  const t = performance.now(); for (let i = 0; i < 5000; i++) empty(); out.dispatchUs = +((performance.now() - t) / 5).toFixed(1);
}
self.result = out;
