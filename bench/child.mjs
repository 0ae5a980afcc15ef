// Per-library measurements that need a fresh process: `node bench/child.mjs <mode> <lib>`.
//   rss <lib>: load only <lib>, run every workload a fixed number of times, report peak RSS.
//   gtmem:     gradtape's memory().wasmBytes after 10 and after 1,000 mlp SGD steps.
// Prints one JSON line on stdout.
import { readFileSync } from 'node:fs';
import { LIBS } from './libs/index.mjs';

const [mode, name] = process.argv.slice(2);

/**
 * This process's peak resident set, MB. Linux's getrusage (process.resourceUsage().maxRSS) keeps
 * the parent's peak across fork + exec, so a child of a bench holding 250 MB reported 250 MB for
 * every library; VmHWM in /proc/self/status belongs to this process's own address space.
 */
function peakRssMB() {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {}
  return process.resourceUsage().maxRSS / 1024;
}
// one cnn step: a peer takes seconds; dcgan is left out: a peer takes minutes per step; an rnn step
// takes tfjs-cpu and jax-js eager about a second
const ITERS = { seed: 50, chain: 3, mlp: 50, matmul: 5, cnn: 1, rnn: 3, attention: 5, pinn: 2 };

if (mode === 'rss') {
  const lib = await LIBS[name]();
  const ran = {}, skipped = {};
  for (const [w, n] of Object.entries(ITERS)) {
    await lib.activate?.();
    let inst;
    try {
      inst = lib.workloads[w]();
      for (let i = 0; i < n; i++) await inst.step();
    } catch (e) { skipped[w] = e.message.split('\n')[0]; inst?.dispose(); continue; }
    inst.dispose();
    ran[w] = n;
  }
  const out = { mode, lib: name, maxRSSMB: peakRssMB(), ran, skipped };
  if (lib.memory) out.memory = lib.memory();
  console.log(JSON.stringify(out));
} else if (mode === 'gtmem') {
  const lib = await LIBS.gradtape();
  const inst = lib.workloads.mlp();
  const snaps = {};
  for (let i = 1; i <= 1000; i++) {
    inst.step();
    if (i === 10 || i === 1000) snaps[i] = lib.memory();
  }
  inst.dispose();
  console.log(JSON.stringify({ mode, after10: snaps[10], after1000: snaps[1000], afterDispose: lib.memory() }));
} else {
  throw new Error(`usage: node bench/child.mjs rss <lib> | gtmem`);
}
