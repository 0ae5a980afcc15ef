// One library in its own process, driven by bench/run.mjs over IPC. Each library gets a private heap
// and JIT state, so one library's garbage or polymorphic call sites never land on another's clock (in
// one shared process gradtape's seed ran ~40 % slower with all four peers loaded than alone).
//
// A worker holds one or more workload instances, keyed by workload name. run.mjs starts a fresh
// worker per library for each workload group: workloads judged by their ratio to each other (matmul
// and cnn; all ew-* ops) share one worker and are sampled interleaved, because this machine is often
// fast or slow for a whole process, and a ratio taken inside one process cancels that out (cnn/matmul
// measured in two processes ranged 1.6–4.5×, interleaved in one 2.7–3.0×). Every other workload gets
// a worker of its own, so what it leaves in the heap (jax-js eager grad retains some) does not weigh
// on the next one. run.mjs alternates samples across the processes, so machine noise spreads over
// every library alike.
import { LIBS } from './libs/index.mjs';
import { elementwiseWorkload } from './elementwise.mjs';

const name = process.argv[2];
let lib;
const insts = new Map(); // workload name -> { step, check, dispose }

function instOf(workload) {
  const inst = insts.get(workload);
  if (!inst) throw new Error(`${workload} is not set up in the ${name} worker`);
  return inst;
}

/** One step, awaited only if it returns a promise (awaiting a sync step costs a microtask turn). */
function step(inst) {
  const r = inst.step();
  return r && typeof r.then === 'function' ? r : undefined;
}

const commands = {
  /**
   * Creates the workload and returns its check values (gradients read back) and the check's time in
   * ms (run.mjs times a workload whose check takes minutes by that one step: see --long-step).
   */
  async setup({ workload }) {
    // ew-* workloads are defined per library in elementwise.mjs
    const inst = lib.workloads[workload] ? lib.workloads[workload]() : await elementwiseWorkload(name, workload);
    try {
      const t0 = performance.now();
      const check = await inst.check();
      const ms = performance.now() - t0;
      insts.set(workload, inst);
      return { check, ms };
    } catch (e) {
      // the library cannot run this workload: free what it made, the worker stays usable for the others
      try { inst.dispose(); } catch {}
      throw e;
    }
  },
  /** Warms up (jit compiles, caches) for warmMs, then times steps for calibrateMs: ms per step. */
  async warmup({ workload, warmMs, calibrateMs }) {
    const inst = instOf(workload);
    const t0 = performance.now();
    for (let n = 0; n < 3 || performance.now() - t0 < warmMs; n++) await step(inst);
    const t1 = performance.now();
    let m = 0;
    while (m < 1 || performance.now() - t1 < calibrateMs) { await step(inst); m++; }
    return (performance.now() - t1) / m;
  },
  /** Runs `iters` steps back to back: ms per step. */
  async sample({ workload, iters }) {
    const inst = instOf(workload);
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) { const r = inst.step(); if (r && typeof r.then === 'function') await r; }
    return (performance.now() - t0) / iters;
  },
  async dispose({ workload }) {
    const done = insts.get(workload);
    insts.delete(workload);
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
