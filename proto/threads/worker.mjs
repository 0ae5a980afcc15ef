// Prototype only: one pool worker. Instantiates the module on the shared memory (without running
// its start function: that initialises the caller's allocator state, which lives in the shared
// memory), then loops: sleep until the job number changes, run the gemm band, publish done.
import { parentPort, workerData } from 'node:worker_threads';
import { imports } from './pool.mjs';

const { module, memory, control, slot, spin } = workerData;
const kernels = new WebAssembly.Instance(module, imports(memory)).exports;
parentPort.postMessage('ready');
let seen = 0;
for (;;) {
  let polls = spin;
  while (Atomics.load(control, slot) === seen && polls-- > 0);
  Atomics.wait(control, slot, seen); // returns at once if the number already changed
  seen = Atomics.load(control, slot);
  const j = slot + 2; // gemmStrided(a, ars, acs, b, brs, bcs, c, m, k, n, scratch)
  kernels.gemmStrided(control[j], control[j + 1], control[j + 2], control[j + 3], control[j + 4], control[j + 5],
    control[j + 6], control[j + 7], control[j + 8], control[j + 9], control[j + 10]);
  Atomics.store(control, slot + 1, seen);
  Atomics.notify(control, slot + 1);
}
