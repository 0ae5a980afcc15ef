// Prototype only: does a Node worker come up while the calling thread never yields to the event loop?
import { Worker } from 'node:worker_threads';
const flag = new Int32Array(new SharedArrayBuffer(4));
const t0 = performance.now();
const w = new Worker('const { workerData } = require("node:worker_threads"); Atomics.store(workerData, 0, 1);', { eval: true, workerData: flag });
w.unref();
while (Atomics.load(flag, 0) !== 1 && performance.now() - t0 < 3000);
console.log(`worker ready without yielding: ${Atomics.load(flag, 0) === 1} after ${(performance.now() - t0).toFixed(1)} ms`);
