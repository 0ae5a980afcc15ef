// The browser bench: gradtape (all cores and setThreads(1)) against jax-js in headless Chromium, on a
// cross-origin-isolated page, so that both run their worker pools.
//   node bench/browser.mjs [--only=seed,chain,…] [--libs=gradtape,gradtape-1t,jax,jax-jit] [--budget=10]
//   npm run bench:browser   (builds first)
// Serves the repository on 127.0.0.1 with COOP same-origin + COEP require-corp, opens bench/page.html,
// and drives bench/page.mjs, which runs the Node bench's own library files (libs/gradtape.mjs,
// libs/jax.mjs) through host.mjs's commands. Every library lives in the one page (one renderer
// process), so the gradtape columns and jax-js are sampled interleaved in the same process.
import { createServer } from 'node:http';
import { createReadStream, statSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { SEED, CHAIN, WORKLOADS, FLOPS } from './data.mjs';
import { quantile, median, fmtMs, table, compareAll, sameBits, preview, TOLERANCE, SCALE_FLOOR } from './stats.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const flags = {};
for (const a of process.argv.slice(2)) {
  const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
  if (!m) { console.error(`unknown argument ${a}`); process.exit(2); }
  flags[m[1]] = m[2] ?? true;
}
const list = (v, all) => (v && v !== true ? String(v).split(',').map((s) => s.trim()).filter(Boolean) : all);
const num = (k, d) => (flags[k] === undefined ? d : Number(flags[k]));
// dcgan takes jax-js minutes per step (see README.md): only when asked for
const only = list(flags.only, WORKLOADS.filter((w) => w !== 'dcgan'));
for (const w of only) if (!WORKLOADS.includes(w)) { console.error(`--only: unknown workload '${w}' (know ${WORKLOADS})`); process.exit(2); }
const LIBS = ['gradtape', 'gradtape-1t', 'jax', 'jax-jit'];
const libNames = list(flags.libs, LIBS);
for (const l of libNames) if (!LIBS.includes(l)) { console.error(`--libs: unknown library '${l}' (know ${LIBS})`); process.exit(2); }
const budgetMs = num('budget', 10) * 1000;
const minSamples = num('min-samples', 10), maxSamples = Math.max(minSamples, num('max-samples', 200));
const targetMs = num('target-ms', 25), longStepMs = num('long-step', 60) * 1000;
const HOST = { 'gradtape-1t': 'gradtape' };
// the versions, read here (the page cannot read package.json files through node:fs)
const versionOf = (file) => { try { return JSON.parse(readFileSync(join(root, file), 'utf8')).version; } catch { return '?'; } };
const VERSION = { gradtape: versionOf('package.json'), jax: versionOf('node_modules/@jax-js/jax/package.json') };
VERSION['jax-jit'] = VERSION.jax; // a variant runs in its host library's instance (host.mjs)

if (libNames.some((l) => l.startsWith('gradtape')) && !existsSync(join(root, 'dist', 'gradtape.js'))) {
  console.error('dist/gradtape.js not built (run `npm run build`)');
  process.exit(1);
}

// ---------- a static server with the cross-origin-isolation headers ----------
// (examples/browser/serve.mjs sets fixed headers only.) Same-origin files need no CORP header under
// require-corp; it is sent anyway so nothing depends on how the page loads them.
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.map': 'application/json' };
function serve() {
  const server = createServer((req, res) => {
    let file = null;
    try {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      file = resolve(join(root, path));
      if (!file.startsWith(root + sep) || !statSync(file).isFile()) file = null; // no escaping the repository
    } catch { file = null; }
    if (!file || req.method !== 'GET') { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n'); return; }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store',
      'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp',
      'cross-origin-resource-policy': 'same-origin',
    });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok({
      url: `http://127.0.0.1:${server.address().port}`,
      close: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }),
    }));
  });
}

const server = await serve();
let browser;
const results = { env: {}, workloads: {}, sameBits: {}, workers: {}, skipped: {} };
try {
  const { chromium } = await import('playwright-core');
  const executablePath = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  browser = await chromium.launch({ executablePath, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${server.url}/bench/page.html`);
  await page.waitForFunction(() => globalThis.benchReady || null, null, { timeout: 30_000 }).catch((e) => { throw new Error(`page did not load: ${errors.join('; ') || e.message}`); });
  const env = await page.evaluate(() => globalThis.bench.env());
  results.env = { ...env, browser: browser.version(), date: new Date().toISOString(), loadavg: os.loadavg() };
  console.log(`gradtape browser bench — Chromium ${browser.version()}, navigator.hardwareConcurrency ${env.hardwareConcurrency}, ` +
    `crossOriginIsolated ${env.crossOriginIsolated}, load ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  if (!env.crossOriginIsolated) throw new Error('the page is not cross-origin isolated: no SharedArrayBuffer, no worker pools');

  const call = (lib, cmd, args = {}) => page.evaluate(([name, cmd, args]) => globalThis.bench.call(name, cmd, args),
    [HOST[lib] ?? lib, cmd, HOST[lib] ? { ...args, variant: lib } : args]);
  const loaded = new Set();
  const libs = [];
  for (const name of libNames) {
    const h = HOST[name] ?? name;
    try {
      if (!loaded.has(h)) {
        const info = await page.evaluate((n) => globalThis.bench.load(n), h);
        console.log(`  ${h.padEnd(11)} ${VERSION[h] ?? '?'}${info.note ? `  ${info.note}` : ''}`);
        loaded.add(h);
      }
      libs.push(name);
    } catch (e) { results.skipped[name] = { load: e.message.split('\n')[0] }; console.log(`  skip ${name}: ${e.message.split('\n')[0]}`); }
  }

  for (const w of only) {
    console.log(`\n== ${w} ==`);
    const pairs = [];
    const checks = {};
    for (const lib of libs) {
      try {
        const { check, ms } = await call(lib, 'setup', { workload: w });
        checks[lib] = check;
        pairs.push({ lib, checkMs: ms, long: ms > longStepMs, samples: [] });
      } catch (e) { (results.skipped[lib] ??= {})[w] = e.message.split('\n')[0]; console.log(`  skip ${lib}: ${e.message.split('\n')[0]}`); }
    }
    // correctness: exact values where known, else jax-js (the Node bench's reference order, without tfjs)
    const analytic = w === 'seed' ? SEED.expected : w === 'chain' ? CHAIN.expected : null;
    const refName = analytic ? 'analytic' : ['jax', 'jax-jit', 'gradtape'].find((l) => checks[l]);
    const ref = analytic ?? checks[refName];
    const limit = TOLERANCE[w] ?? 1e-3;
    const parts = [];
    for (const p of [...pairs]) {
      const { err, key } = compareAll(checks[p.lib], ref, SCALE_FLOOR[w]);
      if (err <= limit) { parts.push(`${p.lib} ok (${err.toExponential(1)})`); continue; }
      console.log(`  !!! CORRECTNESS FAILURE: ${p.lib} '${key}' differs from ${refName}: rel err ${err}\n      got  ${preview(checks[p.lib][key])}\n      want ${preview(ref[key])}`);
      process.exitCode = 1;
      pairs.splice(pairs.indexOf(p), 1);
      await call(p.lib, 'dispose', { workload: w }).catch(() => {});
    }
    console.log(`  correctness vs ${refName} (max |Δ| / max |ref|, limit ${limit}): ${parts.join(', ') || 'none passed'}`);
    if (checks.gradtape && checks['gradtape-1t']) {
      results.sameBits[w] = sameBits(checks['gradtape-1t'], checks.gradtape);
      console.log(`  gradtape-1t ${results.sameBits[w] ? 'gives the same bits as' : 'DIFFERS in its bits from'} gradtape`);
    }
    for (const p of pairs) {
      if (p.long) { p.iters = 1; console.log(`  ${p.lib}: the correctness step took ${(p.checkMs / 1000).toFixed(1)} s: no warm-up, one timed step`); continue; }
      const per = await call(p.lib, 'warmup', { workload: w, warmMs: 300, calibrateMs: 50 });
      p.iters = Math.max(1, Math.min(100000, Math.round(targetMs / per)));
    }
    // round-robin, as run.mjs: at least --min-samples rounds, then until the budget, long pairs once
    let rounds = 0, spent = 0;
    while (pairs.length && rounds < maxSamples && (rounds < minSamples || spent < budgetMs)) {
      for (const p of pairs) {
        if (p.long && p.samples.length) continue;
        const t = performance.now();
        p.samples.push(await call(p.lib, 'sample', { workload: w, iters: p.iters }));
        if (!p.long) spent += performance.now() - t;
      }
      rounds++;
    }
    for (const p of pairs) await call(p.lib, 'dispose', { workload: w }).catch(() => {});
    const out = (results.workloads[w] = {});
    for (const { lib, samples: s, iters, long } of pairs) {
      out[lib] = { median: median(s), p10: quantile(s, 0.1), p90: quantile(s, 0.9), samples: s.length, itersPerSample: iters, ...(long && { long }) };
      const gf = FLOPS[w] / (median(s) * 1e6);
      const g = FLOPS[w] ? `   ${gf >= 1 ? gf.toFixed(1) : gf.toPrecision(2)} GFLOP/s` : '';
      console.log(`  ${lib.padEnd(11)} median ${fmtMs(median(s)).padStart(8)} ms/iter   p10 ${fmtMs(quantile(s, 0.1))}  p90 ${fmtMs(quantile(s, 0.9))}   ${s.length} samples × ${iters} iter${long ? ' (long)' : ''}${g}`);
    }
  }
  results.workers = await page.evaluate(() => globalThis.bench.workers());
  if (errors.length) console.log(`\npage errors: ${errors.join('; ')}`);
} finally {
  await browser?.close();
  await server.close();
}

// ---------- summary ----------
const ws = only.filter((w) => results.workloads[w]);
const shown = libNames.filter((l) => ws.some((w) => results.workloads[w][l]));
const med = (w, l) => results.workloads[w]?.[l]?.median;
console.log('\n================ summary (Chromium) ================');
console.log('median ms per iteration (lower is better)');
table(['workload', ...shown], ws.map((w) => [w, ...shown.map((l) => fmtMs(med(w, l)) + (results.workloads[w][l]?.long ? '*' : ''))]));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(a / b >= 10 ? 0 : 2)}×` : '—');
const peers = shown.filter((l) => l.startsWith('jax'));
if (peers.length && shown.includes('gradtape')) {
  console.log('\njax-js ÷ gradtape (all cores), medians (> 1: gradtape is faster)');
  table(['workload', ...peers], ws.map((w) => [w, ...peers.map((l) => ratio(med(w, l), med(w, 'gradtape')))]));
}
if (shown.includes('gradtape') && shown.includes('gradtape-1t')) {
  console.log('\nthreads: gradtape with setThreads(1) and with all cores, same page, medians in ms');
  table(['workload', '1 thread', 'all cores', 'speedup (1t ÷ all)'], ws.filter((w) => med(w, 'gradtape') && med(w, 'gradtape-1t'))
    .map((w) => [w, fmtMs(med(w, 'gradtape-1t')), fmtMs(med(w, 'gradtape')), ratio(med(w, 'gradtape-1t'), med(w, 'gradtape'))]));
}
console.log(`\nworkers the page started, by library: ${JSON.stringify(results.workers)} (navigator.hardwareConcurrency ${results.env.hardwareConcurrency})`);
const sk = Object.entries(results.skipped);
if (sk.length) {
  console.log('\nskipped');
  for (const [lib, where] of sk) for (const [w, why] of Object.entries(where)) console.log(`  ${lib} / ${w}: ${why}`);
}
if (flags.json && flags.json !== true) writeFileSync(flags.json, JSON.stringify(results, null, 2));
