// One library in its own process, driven by bench/run.mjs over IPC (a fresh one per workload).
// Each library gets a private heap and JIT state, so one library's garbage or polymorphic call sites
// never land on another's clock (in one shared process gradtape's seed ran ~40 % slower with all four
// peers loaded than alone). run.mjs still alternates samples across the processes, so machine noise
// spreads over every library alike.
import { LIBS } from './libs/index.mjs';
import { elementwiseWorkload } from './elementwise.mjs';

const name = process.argv[2];
let lib, inst;

/** One step, awaited only if it returns a promise (awaiting a sync step costs a microtask turn). */
function step() {
  const r = inst.step();
  return r && typeof r.then === 'function' ? r : undefined;
}

const commands = {
  /** Creates the workload and returns its check values (gradients read back). */
  async setup({ workload }) {
    // ew-* workloads are defined per library in elementwise.mjs
    inst = lib.workloads[workload] ? lib.workloads[workload]() : await elementwiseWorkload(name, workload);
    return await inst.check();
  },
  /** Warms up (jit compiles, caches) for warmMs, then times steps for calibrateMs: ms per step. */
  async warmup({ warmMs, calibrateMs }) {
    const t0 = performance.now();
    for (let n = 0; n < 3 || performance.now() - t0 < warmMs; n++) await step();
    const t1 = performance.now();
    let m = 0;
    while (m < 1 || performance.now() - t1 < calibrateMs) { await step(); m++; }
    return (performance.now() - t1) / m;
  },
  /** Runs `iters` steps back to back: ms per step. */
  async sample({ iters }) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) { const r = inst.step(); if (r && typeof r.then === 'function') await r; }
    return (performance.now() - t0) / iters;
  },
  async dispose() {
    const done = inst;
    inst = undefined;
    done?.dispose();
  },
};

const errorOf = (e) => ({ name: e?.name ?? 'Error', message: String(e?.message ?? e) });

process.on('message', async ({ id, cmd, args }) => {
  try {
    process.send({ id, ok: true, value: await commands[cmd](args ?? {}) });
  } catch (e) {
    process.send({ id, ok: false, error: errorOf(e) });
  }
});
process.on('disconnect', () => process.exit(0));

try {
  lib = await LIBS[name]();
  await lib.activate?.();
  process.send({ ready: true, version: lib.version, note: lib.note });
} catch (e) {
  process.send({ ready: false, error: errorOf(e) });
}
