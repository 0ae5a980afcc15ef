// The commands that drive one loaded library: run.mjs sends them to a worker process (worker.mjs)
// over IPC, browser.mjs to a page (page.mjs) through page.evaluate. A command may name a variant of
// the library (libs/index.mjs VARIANTS, e.g. `gradtape-1t`): its instances are kept apart from the
// plain library's, and the library is configured for it (setThreads) before each command, so both
// columns run in one process and their samples interleave.
import { VARIANTS } from './libs/index.mjs';

/**
 * @param lib the loaded library ({ workloads, configure? })
 * @param fallback (workload) => instance, for workloads the library object does not list (ew-*)
 */
export function host(lib, fallback) {
  const insts = new Map(); // `${variant}/${workload}` or workload -> { step, check, dispose }
  const keyOf = (workload, variant) => (variant ? `${variant}/${workload}` : workload);
  // before anything runs: the variant's settings, or the library's defaults (configure({}))
  const enter = (variant) => lib.configure?.(VARIANTS[variant]?.options ?? {});
  const instOf = (workload, variant) => {
    const inst = insts.get(keyOf(workload, variant));
    if (!inst) throw new Error(`${keyOf(workload, variant)} is not set up`);
    return inst;
  };
  /** One step, awaited only if it returns a promise (awaiting a sync step costs a microtask turn). */
  const step = (inst) => {
    const r = inst.step();
    return r && typeof r.then === 'function' ? r : undefined;
  };
  return {
    /**
     * Creates the workload and returns its check values (gradients read back) and the check's time in
     * ms (run.mjs times a workload whose check takes minutes by that one step: see --long-step).
     */
    async setup({ workload, variant }) {
      enter(variant);
      const inst = lib.workloads[workload] ? lib.workloads[workload]() : await fallback(workload);
      try {
        const t0 = performance.now();
        const check = await inst.check();
        const ms = performance.now() - t0;
        insts.set(keyOf(workload, variant), inst);
        return { check, ms };
      } catch (e) {
        // the library cannot run this workload: free what it made, the host stays usable for the others
        try { inst.dispose(); } catch {}
        throw e;
      }
    },
    /** Warms up (jit compiles, caches) for warmMs, then times steps for calibrateMs: ms per step. */
    async warmup({ workload, variant, warmMs, calibrateMs }) {
      enter(variant);
      const inst = instOf(workload, variant);
      const t0 = performance.now();
      for (let n = 0; n < 3 || performance.now() - t0 < warmMs; n++) await step(inst);
      const t1 = performance.now();
      let m = 0;
      while (m < 1 || performance.now() - t1 < calibrateMs) { await step(inst); m++; }
      return (performance.now() - t1) / m;
    },
    /** Runs `iters` steps back to back: ms per step. */
    async sample({ workload, variant, iters }) {
      enter(variant);
      const inst = instOf(workload, variant);
      const t0 = performance.now();
      for (let i = 0; i < iters; i++) { const r = inst.step(); if (r && typeof r.then === 'function') await r; }
      return (performance.now() - t0) / iters;
    },
    async dispose({ workload, variant }) {
      enter(variant);
      const key = keyOf(workload, variant);
      const done = insts.get(key);
      insts.delete(key);
      done?.dispose();
    },
    /** Threads in use now, for libraries that say (gradtape). */
    async threads({ variant }) {
      enter(variant);
      return lib.threads?.() ?? null;
    },
  };
}
