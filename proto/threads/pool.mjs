// Prototype only (issue 25): a worker_threads pool over one shared WebAssembly memory.
// Every thread (the caller and each worker) has its own instance of the same module on the same
// memory; a parallel call hands each worker one band of a gemm's output rows, and the caller
// computes the first band itself.
//
// Control block (an Int32Array over its own SharedArrayBuffer), per worker w at w * SLOT:
//   [0] job sequence number (the caller bumps it and notifies; the worker waits on it)
//   [1] done sequence number (the worker stores the job's number when finished)
//   [2..] the job: gemm arguments as i32 (pointers < 2 GiB in this prototype)
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';

export const SLOT = 16; // ints per worker (64 bytes: one cache line each, no false sharing)
const here = new URL('.', import.meta.url);

/** What the module imports besides the memory (a worker never calls them: kernels do not allocate). */
export function imports(memory) {
  const fail = (what) => () => { throw new Error(`prototype: ${what} called`); };
  return { env: { memory, o: (bytes) => { throw new Error(`out of memory: could not grow to allocate ${bytes} bytes (memory is ${memory.buffer.byteLength} bytes)`); }, c: fail('c'), r: fail('r'), x: fail('x') } };
}

export function loadModule() {
  return new WebAssembly.Module(readFileSync(new URL('../../build/proto-threads.wasm', here)));
}

/**
 * Starts `workers` workers on `module` and `memory`. `spin`: how many polls a worker makes before it
 * sleeps in Atomics.wait (0: sleep at once). Resolves when every worker has instantiated.
 */
export async function createPool(module, memory, workers, { spin = 0 } = {}) {
  const control = new Int32Array(new SharedArrayBuffer(SLOT * 4 * Math.max(1, workers)));
  const list = [];
  const started = [];
  for (let w = 0; w < workers; w++) {
    const worker = new Worker(new URL('./worker.mjs', here), { workerData: { module, memory, control, slot: w * SLOT, spin } });
    started.push(new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); }));
    list.push(worker);
  }
  await Promise.all(started);
  for (const worker of list) worker.unref(); // an idle pool must not keep the process alive
  let seq = 0;
  return {
    workers, control,
    /**
     * Runs jobs[w] on worker w (an array of i32 args each), then `own()` on this thread, then waits
     * for every worker. `waitMode`: 'spin' polls Atomics.load, 'wait' sleeps in Atomics.wait.
     */
    run(jobs, own, waitMode = 'spin') {
      seq++;
      for (let w = 0; w < jobs.length; w++) {
        const at = w * SLOT;
        for (let i = 0; i < jobs[w].length; i++) control[at + 2 + i] = jobs[w][i];
        Atomics.store(control, at, seq);
        Atomics.notify(control, at, 1);
      }
      own();
      for (let w = 0; w < jobs.length; w++) {
        const at = w * SLOT + 1;
        if (waitMode === 'wait') { let v; while ((v = Atomics.load(control, at)) !== seq) Atomics.wait(control, at, v); }
        else while (Atomics.load(control, at) !== seq);
      }
    },
    terminate() { return Promise.all(list.map((w) => w.terminate())); },
  };
}
