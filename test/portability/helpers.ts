// Shared pieces of the portability suites: paths, temp dirs, child processes, Chromium, and the
// expected results of fixtures/programs.mjs.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Browser, Page } from 'playwright-core';
// @ts-ignore: plain JS build helper
import { encodeWasmText } from '../../scripts/wasm-text.mjs';
import { Dense, initialize } from '../../src/layers/index.js';
import * as api from '../../src/index.js';
// @ts-ignore: plain JS fixture
import { METRICS_INPUT, runConv } from './fixtures/programs.mjs';

export { startStaticServer } from '../../examples/browser/serve.mjs';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The package under test: the repo, or another dir with the same layout (GRADTAPE_PKG_ROOT). */
export const PKG_ROOT = resolve(process.env.GRADTAPE_PKG_ROOT ?? REPO_ROOT);
export const PROGRAMS = fileURLToPath(new URL('./fixtures/programs.mjs', import.meta.url));
export const THREADS_FIXTURE = fileURLToPath(new URL('./fixtures/threads.mjs', import.meta.url));
export const bin = (name: string) => join(REPO_ROOT, 'node_modules', '.bin', name);

/** The import map a page needs for gradtape and its subpaths served from /dist. */
export const IMPORT_MAP = '{"imports":{"gradtape":"/dist/gradtape.js","gradtape/layers":"/dist/layers.js","gradtape/metrics":"/dist/metrics.js"}}';

/** Static-server mounts that put the built package at /dist and /build and the repo at /. */
export const repoMounts = (extra: Record<string, string> = {}): Record<string, string> => ({
  '/': REPO_ROOT,
  '/dist/': join(PKG_ROOT, 'dist'),
  '/build/': join(PKG_ROOT, 'build'),
  ...extra,
});

/**
 * The first bytes of the core as they read inside a bundle that embeds it (scripts/wasm-text.mjs):
 * counting them counts the copies of the embedded core.
 */
export function embeddedCoreMarker(): string {
  const wasm = readFileSync(join(PKG_ROOT, 'build', 'gradtape.wasm'));
  return encodeWasmText(wasm).slice(0, 48); // (the header of swapped codes, then the module's first bytes)
}

/** The same for the extra module (build/gradtape-extra.wasm). */
export function embeddedExtraMarker(): string {
  return encodeWasmText(readFileSync(join(PKG_ROOT, 'build', 'gradtape-extra.wasm'))).slice(0, 48);
}

const BUILD_OUTPUTS = ['dist/gradtape.js', 'dist/wasm-core.js', 'dist/gradtape.workerd.js', 'dist/gradtape.min.js', 'dist/index.d.ts', 'dist/layers.js', 'dist/layers.d.ts', 'dist/metrics.js', 'dist/metrics.d.ts', 'build/gradtape.wasm', 'dist/wasm-extra.js', 'build/gradtape-extra.wasm'];

export function requireBuild(): void {
  const missing = BUILD_OUTPUTS.filter((f) => !existsSync(join(PKG_ROOT, f)));
  if (missing.length) throw new Error(`missing ${missing.join(', ')} in ${PKG_ROOT}: run \`npm run build\` first`);
}

/** A fresh temp dir, removed by `removeTempDir` (kept when GRADTAPE_KEEP_TMP is set, for debugging). */
export function makeTempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `gradtape-${label}-`));
}
export function removeTempDir(dir: string | undefined): void {
  if (dir && !process.env.GRADTAPE_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
}

export interface RunResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs a command to completion (killed after `timeoutMs`); never rejects on a non-zero exit. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((ok, fail) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => (clearTimeout(timer), fail(e)));
    child.on('close', (code, signal) => (clearTimeout(timer), ok({ code, signal, stdout, stderr })));
  });
}

/** Like `run`, but throws with the output when the command does not exit 0. */
export async function runOk(...a: Parameters<typeof run>): Promise<RunResult> {
  const r = await run(...a);
  if (r.code !== 0) {
    throw new Error(`${a[0]} ${a[1].join(' ')} exited ${r.code ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
  return r;
}

/** The JSON object a script printed as its last `{...}` line. */
export function lastJson(stdout: string): any {
  const line = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`no JSON line in output:\n${stdout}`);
  return JSON.parse(line);
}

/** A currently free loopback TCP port (for servers that cannot be given port 0). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
  '--no-first-run', '--disable-component-update', '--disable-sync',
];

/** Headless Debian Chromium driven by playwright-core. */
export async function launchChromium(): Promise<Browser> {
  let executablePath: string;
  try {
    executablePath = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chromium not found on PATH (apt-get install -y chromium; .ci/run does this)');
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}

/**
 * Collects a page's errors. `waitFor` waits until `fn` is truthy in the page, but gives up at the
 * first uncaught page error instead of running into the timeout.
 */
export function watchPage(page: Page) {
  const problems: string[] = [];
  let fail!: (e: Error) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {});
  page.on('pageerror', (e) => {
    problems.push(`pageerror: ${e.message}`);
    fail(new Error(`uncaught error in the page: ${e.stack ?? e.message}`));
  });
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));
  return {
    problems,
    async waitFor(fn: () => unknown, timeout = 60_000) {
      try {
        return await Promise.race([page.waitForFunction(fn, undefined, { timeout }), failed]);
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${problems.join('\n')}`);
      }
    },
  };
}

/** Opens `url` in a new page, waits for the `window.__result` it sets, and returns it with the page's problems. */
export async function pageResult(browser: Browser, url: string): Promise<{ result: any; problems: string[] }> {
  const page = await browser.newPage();
  try {
    const { waitFor, problems } = watchPage(page);
    await page.goto(url);
    return { result: await (await waitFor(() => (window as any).__result)).jsonValue(), problems };
  } finally {
    await page.close();
  }
}

// What fixtures/programs.mjs must produce on every target.
export function expectSeed(r: any): void {
  expect(r.dzdx).toEqual([[8, 8], [8, 8]]);
  expect(r.dzdy).toBeCloseTo(8, 5);
  expect(r.dzdx3).toBeCloseTo(108, 3);
  expect(r.dydx3).toBeCloseTo(6, 5);
}
export function expectTraining(r: any): void {
  expect(r.lastLoss).toBeLessThan(r.firstLoss * 1e-3);
  expect(r.w).toBeCloseTo(2, 2);
  expect(r.b).toBeCloseTo(1, 2);
}
/** The seeded initial kernel of runLayers' first layer, computed here from the source. */
function expectedKernel(): number[] {
  const layer = new Dense(4, { seed: 7 });
  layer.build([5, 1]);
  const values = Array.from(layer.kernel!.data() as Float32Array);
  layer.dispose();
  return values;
}
export function expectLayers(r: any): void {
  expect(r.shared).toBe(true); // one core, one Variable class for gradtape and gradtape/layers
  expect(r.kernel).toEqual(expectedKernel()); // bit-identical seeded initialisation
  const heNormal = initialize('heNormal', [16, 16], 5);
  expect(r.heNormal).toEqual(Array.from(heNormal.data()));
  heNormal.dispose();
  expect(r.names).toEqual(['0/kernel', '0/bias', '1/kernel', '1/bias']);
  expect(r.lastLoss).toBeLessThan(r.firstLoss * 1e-2);
  expect(r.message).toBe("Sequential 'model' > Dense 'hidden': the input's last dimension is 2 (shape [1,2]) but the layer was built for 1 (kernel [1,4])");
}
/** runConv's results, computed here from the source (which the other suites check against float64 references). */
export function expectConv(r: any): void {
  const expected = runConv(api);
  expect(r.value).toBe(expected.value);
  expect(r.dx).toEqual(expected.dx);
  expect(r.df).toEqual(expected.df);
  expect(r.method).toEqual([2, 3, 3, 4]);
}
/**
 * runMetrics' results, worked out here in float64 from its inputs. The inputs make every float32
 * step exact, so the metrics (which sum in float64) must match to the last bit.
 */
export function expectMetrics(r: any): void {
  const { labels, probs, accuracyWeights, values, weights, moreValues } = METRICS_INPUT;
  const total = (a: number[]) => a.reduce((s, x) => s + x, 0);
  const dot = (a: number[], b: number[]) => total(a.map((x, i) => x * b[i]));
  const hits = probs.map((row: number[], i: number) => (row.indexOf(Math.max(...row)) === labels[i] ? 1 : 0));
  // accuracy: an unweighted update, then a weighted one; Mean: a weighted update, then an unweighted one
  expect(r.accuracy).toBe((total(hits) + dot(hits, accuracyWeights)) / (hits.length + total(accuracyWeights)));
  expect(r.mean).toBe((dot(values, weights) + total(moreValues)) / (total(weights) + moreValues.length));
  expect(r.probe).toBe(total(values.map((v: number, i: number) => Math.abs(v - labels[i]))) / values.length);
  expect(r.shared).toBe(true); // the metric computed with the root's Tensor class and core
  expect(r.leaked).toBe(0); // the updates left no tensor behind
  expect(r.names).toEqual(['sparse_categorical_accuracy', 'mean']);
}
export function expectAll(r: any): void {
  if (r?.error) throw new Error(`target reported: ${r.error}`);
  const checks = [['seed', expectSeed], ['training', expectTraining], ['layers', expectLayers], ['conv', expectConv], ['metrics', expectMetrics]] as const;
  for (const [name, check] of checks) {
    if (r[name]?.error) throw new Error(`${name} program failed in the target: ${r[name].error}`);
    check(r[name]);
  }
}

/**
 * The short export name of the core's tasksRun (build/generated/interface.ts): the threads fixture's
 * probe reads the per-slot task counters through it (the package does not export tasksRun).
 */
export function tasksRunName(): string {
  const iface = [PKG_ROOT, REPO_ROOT].map((r) => join(r, 'build', 'generated', 'interface.ts')).find(existsSync);
  const name = iface && /\btasksRun = '(\w+)'/.exec(readFileSync(iface, 'utf8'))?.[1];
  if (!name) throw new Error('build/generated/interface.ts names no tasksRun export: run `npm run build` first');
  return name;
}

/** What fixtures/threads.mjs' runThreads must report wherever `threads` > 1 threads ran. */
export function expectThreaded(r: any, threads: number): void {
  if (r?.error) throw new Error(`target reported: ${r.error}`);
  expect(r.threads).toBe(threads);
  expect(r.same).toBe(true); // every threaded gradient has the 1-thread bits
  expect(r.refError).toBeLessThan(1e-4); // and those are right (float64 reference)
  expect(r.leaked).toBe(0);
  expect(r.tasksRun).toHaveLength(threads);
  // workers took part: tasks ran on slots other than the calling thread's (slot 0)
  expect(r.tasksRun.slice(1).reduce((s: number, x: number) => s + x, 0)).toBeGreaterThan(0);
}
