// gradtape benchmark runner: `npm run bench` (builds first) or `node bench/run.mjs [flags]`.
// See bench/README.md for the workloads and the flags.
import { execFileSync, fork } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import os from 'node:os';
import { LIBS, LIB_NAMES, ALIASES, VARIANTS } from './libs/index.mjs';
import { SEED, CHAIN, WORKLOADS, FLOPS } from './data.mjs';
import { EW_WORKLOADS, EW_OPS, EW_BASE, isElementwise } from './elementwise.mjs';
import { quantile, median, fmtMs, table, compareAll, sameBits, preview, TOLERANCE, SCALE_FLOOR } from './stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
const SECTIONS = [...WORKLOADS, ...EW_WORKLOADS, 'cold', 'memory'];

// ---------- flags ----------
const flags = {};
for (const a of process.argv.slice(2)) {
  const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
  if (!m) { console.error(`unknown argument ${a}`); process.exit(2); }
  flags[m[1]] = m[2] ?? true;
}
if (flags.help) {
  console.log(`usage: node bench/run.mjs [--only=${SECTIONS.join(',')}] [--libs=${LIB_NAMES.join(',')}]
  (--only=elementwise: every ew-* workload, forward + gradient of sum(f(x)) on 2^20 floats)
  matmul+cnn, and the ew-* workloads, are each sampled interleaved in one process per library, so the
  ratios printed between them (cnn ÷ matmul, op ÷ square) are not skewed by a fast or slow process
  [--budget=20] seconds of sampling per workload (after warm-up); at least --min-samples are always taken
  [--ew-budget=5] the same for each ew-* workload
  [--min-samples=15] [--max-samples=200] [--target-ms=25] wall time one sample aims for (iterations are batched)
  [--long-step=60] seconds: a library whose correctness step takes longer is not warmed up and gets
  [--long-samples=1] timed steps (0: the correctness step's own time is its one sample)
  [--cold-runs=5] fresh processes per library for the cold start  [--keep-going] drop a library that fails the
  correctness check instead of exiting  [--json=file] also write all results as JSON
  aliases in --libs: tfjs = tfjs-cpu,tfjs-wasm; jax-js = jax,jax-jit; threads = gradtape,gradtape-1t; all
  gradtape-1t (setThreads(1)) runs in gradtape's process, sampled interleaved with it: see the threads table
  the browser bench (Chromium, gradtape against jax-js): node bench/browser.mjs`);
  process.exit(0);
}
const list = (v, all) => (v && v !== true ? String(v).split(',').map((s) => s.trim()).filter(Boolean) : all);
const only = list(flags.only, SECTIONS).map((s) => (s === 'rss' ? 'memory' : s)).flatMap((s) => (s === 'elementwise' ? EW_WORKLOADS : [s]));
for (const s of only) if (!SECTIONS.includes(s)) { console.error(`--only: unknown section '${s}' (know ${SECTIONS})`); process.exit(2); }
const wantLibs = [...new Set(list(flags.libs, LIB_NAMES).flatMap((l) => ALIASES[l] ?? [l]))];
for (const l of wantLibs) if (!LIBS[l] && !VARIANTS[l]) { console.error(`--libs: unknown library '${l}' (know ${LIB_NAMES})`); process.exit(2); }
const libOrder = LIB_NAMES.filter((l) => wantLibs.includes(l));
const num = (k, d) => (flags[k] === undefined ? d : Number(flags[k]));
const budgetMs = num('budget', 20) * 1000;
const ewBudgetMs = num('ew-budget', 5) * 1000;
const minSamples = num('min-samples', 15);
const maxSamples = Math.max(minSamples, num('max-samples', 200));
const targetMs = num('target-ms', 25);
const coldRuns = num('cold-runs', 5);
// a (workload, library) pair whose correctness step took longer than this is "long": no warm-up
// beyond that step, and --long-samples timed steps (0: the correctness step's own time stands for
// it). tfjs-cpu's dcgan step takes about 7 minutes and jax-js's about 2: 15 warmed samples each
// would take hours. One timed step is the default because a first step can be far slower than the
// next (jax-js eager: 309 s, then 126 s; it compiles its kernels on first use).
const longStepMs = num('long-step', 60) * 1000;
const longSamples = num('long-samples', 1);

const results = { env: {}, groups: [], workloads: {}, ratios: {}, threads: {}, sameBits: {}, cold: {}, memory: {}, skipped: {} };
const skip = (lib, where, reason) => {
  const r = (reason instanceof Error && reason.name !== 'Error' ? `${reason.name}: ` : '') + String(reason?.message ?? reason).split('\n')[0];
  (results.skipped[lib] ??= {})[where] = r;
  console.log(`  skip ${lib} (${where}): ${r}`);
};

// ---------- formatting ----------
/** Effective GFLOP/s of workload w at `ms` per iteration (FLOPS in data.mjs: the products' multiply-adds × 2). */
const fmtGflops = (w, ms) => { const g = ms ? FLOPS[w] / (ms * 1e6) : null; return g == null ? '—' : g >= 1 ? g.toFixed(1) : g.toPrecision(2); };

// ---------- load libraries, each in its own process (see worker.mjs) ----------
const parallelism = os.availableParallelism?.() ?? os.cpus().length;
console.log(`gradtape bench — node ${process.version}, ${os.cpus().length}× ${os.cpus()[0]?.model ?? '?'}, os.availableParallelism() ${parallelism}, ${os.platform()}-${os.arch()}, load ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
results.env = { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, availableParallelism: parallelism, loadavg: os.loadavg(), date: new Date().toISOString() };
const timed = only.filter((s) => WORKLOADS.includes(s) || isElementwise(s));

/** Starts a worker hosting library `name`; resolves to { name, version, note, call(cmd, args), close() }. */
function startWorker(name) {
  return new Promise((resolve, reject) => {
    // the libraries' own console output (tfjs's banner, say) is not the bench's: stdout is dropped
    const child = fork(path.join(here, 'worker.mjs'), [name], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const pending = new Map();
    let nextId = 0;
    const call = (cmd, args) => new Promise((res, rej) => {
      const id = nextId++;
      pending.set(id, { res, rej });
      child.send({ id, cmd, args });
    });
    child.on('message', (msg) => {
      if ('ready' in msg) {
        if (msg.ready) {
          const lib = { name, version: msg.version, note: msg.note, call, close: () => { if (child.connected) child.disconnect(); } };
          resolve(Object.assign(lib, { proc: lib }));
        }
        else { reject(Object.assign(new Error(msg.error.message), { name: msg.error.name })); child.kill(); }
        return;
      }
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.ok) p.res(msg.value);
      else p.rej(Object.assign(new Error(msg.error.message), { name: msg.error.name }));
    });
    child.on('exit', (code) => {
      const e = new Error(`${name} worker exited (code ${code})`);
      reject(e);
      for (const p of pending.values()) p.rej(e);
      pending.clear();
    });
  });
}

/**
 * A variant column (libs/index.mjs VARIANTS) inside its host's worker `proc`: every command names the
 * variant, so the worker configures the library for it and keeps its instances apart (host.mjs).
 */
const variantOf = (proc, name) => ({
  name, version: proc.version, proc, close() {},
  call: (cmd, args) => proc.call(cmd, { ...args, variant: name }),
});

const libs = [];
if (timed.length) {
  console.log('\nloading libraries (each in its own process, started afresh for every workload group)');
  for (const name of libOrder) {
    if (name === 'gradtape' && !existsSync(path.join(root, 'dist', 'gradtape.js'))) {
      skip(name, 'load', 'dist/gradtape.js not built (run `npm run build`)');
      continue;
    }
    if (VARIANTS[name]) {
      const { host, options } = VARIANTS[name];
      if (results.skipped[host]?.load) { skip(name, 'load', `its host ${host} did not load`); continue; }
      console.log(`  ${name.padEnd(10)} ${host} with ${JSON.stringify(options)}, in ${host}'s process`);
      libs.push(name);
      continue;
    }
    try {
      const t = performance.now();
      const lib = await startWorker(name);
      if (name === 'gradtape') results.env.gradtapeThreads = lib.note;
      console.log(`  ${name.padEnd(10)} ${lib.version}${lib.note ? `  ${lib.note}` : ''}  (loaded in ${(performance.now() - t).toFixed(0)} ms)`);
      lib.close();
      libs.push(name);
    } catch (e) {
      skip(name, 'load', e);
    }
  }
}

// ---------- timed workloads ----------
// Workloads judged by their ratio to each other share a process per library (see worker.mjs): the
// machine is often fast or slow for a whole process, and a ratio taken inside one process cancels
// that out. matmul and cnn form one group (issue 14: cnn ÷ matmul), every ew-* workload asked for
// another (issue 15: each op ÷ square); seed, chain and mlp each get fresh processes of their own.
// matmul512 and cnn128 (issue 25, threads) form a group of their own, so `--only=matmul,cnn` runs as before.
const SHARED = [['matmul', 'cnn'], ['matmul512', 'cnn128'], EW_WORKLOADS];
function groupsOf(ws) {
  const groups = [];
  for (const w of ws) {
    const shared = SHARED.find((g) => g.includes(w));
    if (!shared) { groups.push([w]); continue; }
    const mine = ws.filter((v) => shared.includes(v));
    if (w === mine[0]) groups.push(mine);
  }
  return groups;
}

const REF_ORDER = ['tfjs-cpu', 'tfjs-wasm', 'jax', 'jax-jit', 'gradtape'];
async function runGroup(group) {
  const tag = (w) => (group.length > 1 ? `${w}: ` : '');
  console.log(`\n== ${group.length > 1 ? `${group.join(', ')}: one process per library, sampled interleaved` : group[0]} ==`);
  // one fresh worker per library for the whole group; pairs holds the (workload, library) pairs
  // that set up and passed the correctness check, in the order they are sampled
  // a variant (gradtape-1t) runs in its host's worker, started here if the host itself is not a column
  const workers = [];
  const procs = {};
  const pairs = [];
  const checks = Object.fromEntries(group.map((w) => [w, {}]));
  for (const name of libs) {
    let lib;
    const procName = VARIANTS[name]?.host ?? name;
    try {
      procs[procName] ??= await startWorker(procName);
      lib = VARIANTS[name] ? variantOf(procs[procName], name) : procs[procName];
    } catch (e) {
      for (const w of group) skip(name, w, e);
      continue;
    }
    if (!workers.includes(lib.proc)) workers.push(lib.proc);
    for (const w of group) {
      try {
        const { check, ms } = await lib.call('setup', { workload: w });
        checks[w][name] = check;
        pairs.push({ w, lib, checkMs: ms, long: ms > longStepMs });
      } catch (e) {
        skip(name, w, e); // this workload only: the worker keeps the group's others
      }
    }
  }
  const closeAll = () => { for (const lib of workers) lib.close(); };

  // correctness, per workload, against the same reference as ever
  for (const w of group) {
    const mine = pairs.filter((p) => p.w === w);
    if (!mine.length) continue;
    const analytic = w === 'seed' ? SEED.expected : w === 'chain' ? CHAIN.expected : null;
    // reference: exact values where known, else the most established library present
    const refName = analytic ? 'analytic' : REF_ORDER.find((l) => checks[w][l]) ?? mine[0].lib.name;
    const ref = analytic ?? checks[w][refName];
    const parts = [];
    const limit = TOLERANCE[w] ?? 1e-3;
    let failed = false;
    for (const p of mine) {
      const name = p.lib.name;
      const { err, key, why } = compareAll(checks[w][name], ref, SCALE_FLOOR[w]);
      if (err <= limit) { parts.push(`${name} ok (${err.toExponential(1)})`); continue; }
      failed = true;
      console.log(`  !!! CORRECTNESS FAILURE: ${name} ${w} '${key}' differs from ${refName}: rel err ${err}${why ? ` (${why})` : ''}`);
      console.log(`      got  ${preview(checks[w][name][key])}\n      want ${preview(ref[key])}`);
      pairs.splice(pairs.indexOf(p), 1);
      try { await p.lib.call('dispose', { workload: w }); } catch {}
      process.exitCode = 1;
      skip(name, w, `gradients differ from ${refName} (rel err ${err})`);
    }
    console.log(`  ${tag(w)}correctness vs ${refName} (max |Δ| / max |ref|, limit ${limit}): ${parts.join(', ') || 'none passed'}`);
    // a variant must give its host's bits exactly (gradtape: the same bits for any number of threads)
    for (const [v, { host }] of Object.entries(VARIANTS)) {
      if (!checks[w][v] || !checks[w][host]) continue;
      const same = sameBits(checks[w][v], checks[w][host]);
      (results.sameBits[w] ??= {})[v] = same;
      console.log(`  ${tag(w)}${v} ${same ? 'gives the same bits as' : 'DIFFERS in its bits from'} ${host}`);
    }
    // the read-back gradients are not needed past this point: the elementwise group's are 4 MB per
    // library and op (200 MB for all of them), which the sampling need not carry
    checks[w] = null;
    if (failed && !flags['keep-going']) {
      console.log('  aborting: gradients disagree (pass --keep-going to drop the failing library and continue)');
      closeAll();
      process.exit(1);
    }
  }

  // a worker left with nothing to run (every workload skipped or failed) is closed now, not idling on
  for (const proc of workers) if (!pairs.some((p) => p.lib.proc === proc)) proc.close();

  // warm up (compiles jit functions, fills caches) and calibrate iterations per sample; a long pair's
  // correctness step was its warm-up (one more step would cost minutes), and with --long-samples=0
  // that step's time is its one sample
  for (const p of pairs) {
    if (p.long) {
      p.iters = 1;
      p.samples = longSamples > 0 ? [] : [p.checkMs];
      console.log(`  ${tag(p.w)}${p.lib.name}: the correctness step took ${(p.checkMs / 1000).toFixed(1)} s (> --long-step=${longStepMs / 1000}): ` +
        (longSamples > 0 ? `no warm-up, ${longSamples} timed step${longSamples > 1 ? 's' : ''}` : 'that step is its one sample (unwarmed)'));
      continue;
    }
    const per = await p.lib.call('warmup', { workload: p.w, warmMs: 300, calibrateMs: 50 });
    p.iters = Math.max(1, Math.min(100000, Math.round(targetMs / per)));
    p.samples = [];
  }

  // round-robin over (workload, library) pairs, `matmul: A B C, cnn: A B C, matmul: A B C …`, so
  // drift within the processes falls on every workload alike; each workload stops on its own rule,
  // the one a workload alone had: at least --min-samples rounds, then until the time spent on its
  // own samples reaches its budget, at most --max-samples. A long pair takes part in the first
  // --long-samples rounds only, and its minutes do not count against the workload's budget.
  const state = Object.fromEntries(group.map((w) => [w, { rounds: 0, ms: 0, budget: isElementwise(w) ? ewBudgetMs : budgetMs }]));
  const open = (w) => {
    const s = state[w];
    return pairs.some((p) => p.w === w) && s.rounds < maxSamples && (s.rounds < minSamples || s.ms < s.budget);
  };
  const start = performance.now();
  for (let ws = group.filter(open); ws.length; ws = group.filter(open)) {
    for (const w of ws) {
      for (const p of pairs) {
        if (p.w !== w || (p.long && p.samples.length >= Math.max(1, longSamples))) continue;
        const t = performance.now();
        p.samples.push(await p.lib.call('sample', { workload: w, iters: p.iters }));
        if (!p.long) state[w].ms += performance.now() - t;
      }
      state[w].rounds++;
    }
  }
  for (const p of pairs) {
    try { await p.lib.call('dispose', { workload: p.w }); } catch (e) { console.log(`  (${p.lib.name} ${p.w} dispose failed: ${e.message})`); }
  }
  closeAll();

  for (const w of group) {
    const mine = pairs.filter((p) => p.w === w);
    if (!mine.length) continue;
    if (group.length > 1) console.log(`\n== ${w} ==`);
    const out = (results.workloads[w] = {});
    for (const { lib, samples: s, iters, long } of mine) {
      const fromCheck = long && longSamples === 0;
      out[lib.name] = { median: median(s), p10: quantile(s, 0.1), p90: quantile(s, 0.9), samples: s.length, itersPerSample: iters, ...(long && { long: true, fromCheck }) };
      console.log(`  ${lib.name.padEnd(10)} median ${fmtMs(median(s)).padStart(8)} ms/iter   p10 ${fmtMs(quantile(s, 0.1))}  p90 ${fmtMs(quantile(s, 0.9))}   ${s.length} samples × ${iters} iter` +
        `${fromCheck ? ' (the correctness step, unwarmed)' : long ? ' (long: no warm-up)' : ''}${FLOPS[w] ? `   ${fmtGflops(w, median(s))} GFLOP/s` : ''}`);
    }
    console.log(`  (${(state[w].ms / 1000).toFixed(1)} s of sampling${group.length > 1 ? ', interleaved with the group' : ''})`);
  }
  if (group.length > 1) console.log(`  (group: ${((performance.now() - start) / 1000).toFixed(1)} s of sampling in all)`);
}

results.groups = groupsOf(timed);
for (const group of results.groups) await runGroup(group);

// ---------- child processes ----------
function child(script, args) {
  try {
    const out = execFileSync(process.execPath, [path.join(here, script), ...args], {
      cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000,
    });
    const last = out.trim().split('\n').pop();
    return JSON.parse(last);
  } catch (e) {
    const msg = (e.stderr || e.message || String(e)).split('\n').find((l) => /Error|error/.test(l)) ?? String(e.message).split('\n')[0];
    throw new Error(msg.trim());
  }
}

if (only.includes('cold')) {
  console.log(`\n== cold start: fresh \`node\` process, import → first gradient read back (median of ${coldRuns}) ==`);
  const coldOrder = libOrder.filter((l) => !VARIANTS[l]); // a variant's start is its host's
  const runs = Object.fromEntries(coldOrder.map((l) => [l, []]));
  const dead = new Set();
  for (let r = 0; r < coldRuns; r++) {
    for (const l of coldOrder) {
      if (dead.has(l)) continue;
      try { runs[l].push(child('cold.mjs', [l])); } catch (e) { dead.add(l); skip(l, 'cold', e); }
    }
  }
  for (const l of coldOrder) {
    if (!runs[l].length) continue;
    const med = (k) => median(runs[l].map((x) => x[k]));
    console.log(`  ${l.padEnd(10)} script ${fmtMs(med('scriptMs')).padStart(7)} ms   process ${fmtMs(med('processMs')).padStart(7)} ms   (${runs[l].length} runs)`);
    results.cold[l] = {
      scriptMs: median(runs[l].map((x) => x.scriptMs)),
      processMs: median(runs[l].map((x) => x.processMs)),
      runs: runs[l].length,
    };
  }
}

if (only.includes('memory')) {
  console.log('\n== memory: peak RSS per library, each alone in a fresh process ==');
  for (const l of libOrder.filter((l) => !VARIANTS[l])) {
    try {
      const r = child('child.mjs', ['rss', l]);
      results.memory[l] = r;
      const extra = r.memory ? `  live tensors after dispose: ${r.memory.numTensors ?? r.memory.tensors}` : '';
      const sk = Object.keys(r.skipped ?? {});
      console.log(`  ${l.padEnd(10)} peak RSS ${r.maxRSSMB.toFixed(1)} MB  (ran ${Object.entries(r.ran).map(([k, v]) => `${k}×${v}`).join(' ')}${sk.length ? `; skipped ${sk}` : ''})${extra}`);
    } catch (e) { skip(l, 'memory', e); }
  }
  if (libOrder.includes('gradtape')) {
    try {
      const r = child('child.mjs', ['gtmem']);
      results.memory.gradtapeWasm = r;
      const same = r.after10.wasmBytes === r.after1000.wasmBytes;
      console.log(`  gradtape memory().wasmBytes after 10 mlp steps: ${r.after10.wasmBytes}, after 1,000: ${r.after1000.wasmBytes} ` +
        `${same ? '(equal: steady state)' : '(DIFFERENT: memory keeps growing)'}; live tensors ${r.after10.tensors} → ${r.after1000.tensors}`);
    } catch (e) { skip('gradtape', 'wasmBytes', e); }
  }
}

// ---------- summary ----------
console.log('\n================ summary ================');
const shown = libOrder.filter((l) => timed.some((w) => results.workloads[w]?.[l]));
if (shown.length) {
  const base = shown.includes('gradtape') ? 'gradtape' : shown[0];
  console.log('median ms per iteration (lower is better)');
  // * marks a long pair's time (one step, see --long-step)
  const mark = (w, l) => (results.workloads[w]?.[l]?.long ? '*' : '');
  table(['workload', ...shown], timed.map((w) => [w, ...shown.map((l) => fmtMs(results.workloads[w]?.[l]?.median) + mark(w, l))]));
  if (timed.some((w) => shown.some((l) => mark(w, l))))
    console.log(`* one step past --long-step=${longStepMs / 1000} s: ${longSamples ? `${longSamples} timed step(s), no warm-up` : 'the correctness step itself, unwarmed (for jax-jit: compilation included)'}`);
  const peers = shown.filter((l) => l !== base);
  if (peers.length) {
    console.log(`\nratio = peer median / ${base} median (> 1: ${base} is faster)${base !== 'gradtape' ? '   [gradtape not measured]' : ''}`);
    table(['workload', ...peers], timed.map((w) => {
      const b = results.workloads[w]?.[base]?.median;
      return [w, ...peers.map((l) => {
        const v = results.workloads[w]?.[l]?.median;
        return b && v ? `${(v / b).toFixed(v / b >= 10 ? 0 : 2)}×${mark(w, l)}` : '—';
      })];
    }));
  }
}
// Ratios between workloads of one library: each pair of medians comes from one process per library
// (the workload groups above), so the machine's per-process speed cancels out of the ratio.
const ewRun = EW_OPS.filter((op) => results.workloads[`ew-${op}`]);
if (ewRun.length) {
  // per library, each op against that library's own `square`, sampled in the same process
  const libsEw = libOrder.filter((l) => ewRun.some((op) => results.workloads[`ew-${op}`]?.[l]));
  console.log(`\nelementwise: forward + gradient of sum(f(x)), 2^20 float32, median ms (÷ the same library's ${EW_BASE}, same process)`);
  table(['f', ...libsEw], ewRun.map((op) => [op, ...libsEw.map((l) => {
    const v = results.workloads[`ew-${op}`]?.[l]?.median, b = results.workloads[`ew-${EW_BASE}`]?.[l]?.median;
    return v == null ? '—' : `${fmtMs(v)}${b ? ` (${(v / b).toFixed(2)})` : ''}`;
  })]));
  const perLib = {};
  for (const l of libsEw) {
    const b = results.workloads[`ew-${EW_BASE}`]?.[l]?.median;
    if (!b) continue;
    perLib[l] = {};
    for (const op of ewRun) { const v = results.workloads[`ew-${op}`]?.[l]?.median; if (v != null) perLib[l][op] = v / b; }
  }
  if (Object.keys(perLib).length) results.ratios[`ew/${EW_BASE}`] = perLib;
}
const flopWorkloads = timed.filter((w) => FLOPS[w] && results.workloads[w]);
if (shown.length && flopWorkloads.length) {
  console.log('\neffective GFLOP/s (floating-point operations of the products per iteration / median time; see bench/README.md)');
  table(['workload', ...shown], flopWorkloads.map((w) => [w, ...shown.map((l) => fmtGflops(w, results.workloads[w]?.[l]?.median))]));
}
// gradtape on one thread against all cores, both columns from the same process, sampled interleaved
const threadRows = timed.filter((w) => results.workloads[w]?.gradtape && results.workloads[w]?.['gradtape-1t']);
if (threadRows.length) {
  console.log(`\nthreads: gradtape with setThreads(1) and with all cores (${results.env.gradtapeThreads ?? '?'}; os.availableParallelism() ${parallelism}), same process, medians in ms`);
  table(['workload', '1 thread', 'all cores', 'speedup (1t ÷ all)'], threadRows.map((w) => {
    const one = results.workloads[w]['gradtape-1t'].median, all = results.workloads[w].gradtape.median;
    results.threads[w] = { oneThread: one, allCores: all, speedup: one / all };
    return [w, fmtMs(one), fmtMs(all), `${(one / all).toFixed(2)}×`];
  }));
}
const cnnLibs = libOrder.filter((l) => results.workloads.cnn?.[l] && results.workloads.matmul?.[l]);
if (cnnLibs.length) {
  // the convolutions against the plain gemm, both medians from the same process per library
  const perLib = (results.ratios['cnn/matmul'] = {});
  for (const l of cnnLibs) {
    const matmul = results.workloads.matmul[l].median, cnn = results.workloads.cnn[l].median;
    perLib[l] = { matmul, cnn, ratio: cnn / matmul };
  }
  console.log('\ncnn ÷ matmul, median ms per iteration, same process per library');
  table(['library', 'matmul', 'cnn', 'cnn ÷ matmul'], cnnLibs.map((l) => [l, fmtMs(perLib[l].matmul), fmtMs(perLib[l].cnn), `${perLib[l].ratio.toFixed(2)}×`]));
}
const coldLibs = libOrder.filter((l) => results.cold[l]);
if (coldLibs.length) {
  console.log('\ncold start, median ms (script: top of script → gradient; process: since node process start)');
  table(['', ...coldLibs], [
    ['script', ...coldLibs.map((l) => fmtMs(results.cold[l].scriptMs))],
    ['process', ...coldLibs.map((l) => fmtMs(results.cold[l].processMs))],
  ]);
}
const memLibs = libOrder.filter((l) => results.memory[l]);
if (memLibs.length) {
  console.log('\npeak RSS, MB (fresh process running every workload)');
  table(['', ...memLibs], [['maxRSS', ...memLibs.map((l) => results.memory[l].maxRSSMB.toFixed(1))]]);
}
const sk = Object.entries(results.skipped);
if (sk.length) {
  console.log('\nskipped');
  for (const [lib, where] of sk) for (const [w, why] of Object.entries(where)) console.log(`  ${lib} / ${w}: ${why}`);
}
if (flags.json && flags.json !== true) {
  writeFileSync(flags.json, JSON.stringify(results, null, 2));
  console.log(`\nwrote ${flags.json}`);
}
