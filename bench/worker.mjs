// One library in its own process, driven by bench/run.mjs over IPC. Each library gets a private heap
// and JIT state, so one library's garbage or polymorphic call sites never land on another's clock (in
// one shared process gradtape's seed ran ~40 % slower with all four peers loaded than alone).
//
// A worker holds one or more workload instances, keyed by workload name (and variant: the
// `gradtape-1t` column runs in the `gradtape` worker, see host.mjs). run.mjs starts a fresh
// worker per library for each workload group: workloads judged by their ratio to each other (matmul
// and cnn; all ew-* ops) share one worker and are sampled interleaved, because this machine is often
// fast or slow for a whole process, and a ratio taken inside one process cancels that out (cnn/matmul
// measured in two processes ranged 1.6–4.5×, interleaved in one 2.7–3.0×). Every other workload gets
// a worker of its own, so what it leaves in the heap (jax-js eager grad retains some) does not weigh
// on the next one. run.mjs alternates samples across the processes, so machine noise spreads over
// every library alike.
import { LIBS } from './libs/index.mjs';
import { elementwiseWorkload } from './elementwise.mjs';
import { host } from './host.mjs';

const name = process.argv[2];
let commands; // bench/host.mjs, once the library is loaded

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
  const lib = await LIBS[name]();
  await lib.activate?.();
  // ew-* workloads are defined per library in elementwise.mjs
  commands = host(lib, (workload) => elementwiseWorkload(name, workload));
  process.send({ ready: true, version: lib.version, note: lib.note });
} catch (e) {
  process.send({ ready: false, error: errorOf(e) });
}
