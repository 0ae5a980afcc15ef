// Threads in headless Chromium: a cross-origin-isolated page (COOP same-origin + COEP require-corp)
// uses navigator.hardwareConcurrency threads, its workers run tasks (fixtures/threads.mjs' probe)
// and the bits equal the 1-thread bits; the same page not isolated runs on 1 thread. Four ways to
// load gradtape, none configured for workers: the readable dist/gradtape.js, the one-file
// dist/gradtape.min.js, an esbuild bundle (browser platform), a Vite build and Vite's dev server
// (whose only option here is the two headers, which any isolated page needs).
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-ignore: plain JS fixture
import { tasksRunProbe } from './fixtures/threads.mjs';
import { embeddedCoreMarker, expectThreaded, freePort, IMPORT_MAP, launchChromium, makeTempDir, removeTempDir, repoMounts, requireBuild, startStaticServer, tasksRunName, THREADS_FIXTURE, pageResult } from './helpers';
import { packAndInstall, releaseInstall } from './pack';

const ENTRY = `
import * as g from 'gradtape';
import { runThreads } from './threads.mjs';
runThreads(g, { grow: 32 << 20 }).then(
  (r) => (window.__result = { ...r, isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency }),
  (e) => (window.__result = { error: String(e?.stack ?? e) }),
);
`;

/** A page: the probe first (a classic script runs before any module), then the entry module. */
const page = (head: string, script: string) =>
  `<!doctype html><meta charset="utf-8"><title>gradtape threads</title><link rel="icon" href="data:,"><script>${tasksRunProbe(tasksRunName())}</script>${head}<script type="module" src="${script}"></script>`;

const PAGES = {
  'dist/gradtape.js (importmap)': '/__t/unbundled.html',
  'dist/gradtape.min.js (importmap)': '/__t/min.html',
  'esbuild bundle (browser platform)': '/__t/esbuild.html',
  'Vite build': '/__t/vite/index.html',
};

describe('threads in Chromium', () => {
  let dir: string;
  let isolated: Awaited<ReturnType<typeof startStaticServer>>;
  let plain: Awaited<ReturnType<typeof startStaticServer>>;
  let browser: Browser;
  let app: string;

  beforeAll(async () => {
    requireBuild();
    dir = makeTempDir('threads-browser');
    copyFileSync(THREADS_FIXTURE, join(dir, 'threads.mjs'));
    writeFileSync(join(dir, 'entry.mjs'), ENTRY);
    writeFileSync(join(dir, 'unbundled.html'), page(`<script type="importmap">${IMPORT_MAP}</script>`, './entry.mjs'));
    const minMap = IMPORT_MAP.replace('/dist/gradtape.js', '/dist/gradtape.min.js');
    writeFileSync(join(dir, 'min.html'), page(`<script type="importmap">${minMap}</script>`, './entry.mjs'));
    writeFileSync(join(dir, 'esbuild.html'), page('', './bundle.js'));

    // Bundlers resolve `gradtape` from node_modules, as in a user's project, with no options about workers.
    const inst = await packAndInstall();
    app = join(inst.project, 'threads-app');
    mkdirSync(app, { recursive: true });
    copyFileSync(THREADS_FIXTURE, join(app, 'threads.mjs'));
    writeFileSync(join(app, 'entry.mjs'), ENTRY);
    writeFileSync(join(app, 'index.html'), page('', './entry.mjs'));
    const bundled = await build({
      entryPoints: [join(app, 'entry.mjs')], outfile: join(dir, 'bundle.js'),
      bundle: true, format: 'esm', platform: 'browser', logLevel: 'silent',
    });
    expect(bundled.errors).toEqual([]);
    const vite = await import('vite');
    await vite.build({ root: app, base: './', logLevel: 'silent', configFile: false, build: { outDir: join(dir, 'vite'), emptyOutDir: true } });
    // the Vite bundle embeds the core once: the worker gets the compiled module, not a second copy
    const viteAssets = join(dir, 'vite', 'assets');
    const js = readdirSync(viteAssets).filter((f) => f.endsWith('.js'));
    const code = js.map((f) => readFileSync(join(viteAssets, f), 'utf8')).join('\n');
    expect(code.split(embeddedCoreMarker()).length - 1).toBe(1);

    const mounts = repoMounts({ '/__t/': dir });
    isolated = await startStaticServer(mounts, 0, { isolated: true });
    plain = await startStaticServer(mounts);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await isolated?.close();
    await plain?.close();
    removeTempDir(dir);
    await releaseInstall();
  });

  async function resultOf(url: string): Promise<any> {
    const { result, problems } = await pageResult(browser, url);
    expect(problems).toEqual([]);
    if (result.error) throw new Error(`page reported: ${result.error}`);
    return result;
  }

  for (const [name, path] of Object.entries(PAGES)) {
    it(`${name}, isolated: threads() = hardwareConcurrency, workers ran tasks, same bits as 1 thread`, async () => {
      const r = await resultOf(`${isolated.url}${path}`);
      expect(r.isolated).toBe(true);
      expect(r.cores).toBeGreaterThan(1);
      expect(r.defaultThreads).toBe(r.cores);
      expectThreaded(r, r.cores);
      expect(r.grew).toBeGreaterThanOrEqual(32 << 20); // the last product ran on memory the workers saw grow
    }, 90_000);

    it(`${name}, not isolated: 1 thread, and everything works`, async () => {
      const r = await resultOf(`${plain.url}${path}`);
      expect(r.isolated).toBe(false);
      expect(r.defaultThreads).toBe(1);
      expect(r.threads).toBe(1);
      expect(r.same).toBe(true);
      expect(r.refError).toBeLessThan(1e-4);
      expect(r.tasksRun).toHaveLength(1); // threads(): only the calling thread's counter is read
    }, 90_000);
  }

  for (const isolate of [true, false]) {
    it(`Vite dev server${isolate ? ', isolated' : ', not isolated'}: ${isolate ? 'hardwareConcurrency threads, workers ran tasks' : '1 thread'}, same bits`, async () => {
      const vite = await import('vite');
      const headers = isolate ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
      const port = await freePort();
      const server = await vite.createServer({
        root: app, configFile: false, logLevel: 'silent', cacheDir: join(app, '.vite'),
        server: { host: '127.0.0.1', port, strictPort: true, headers },
      });
      await server.listen();
      try {
        const r = await resultOf(`http://127.0.0.1:${port}/index.html`);
        expect(r.isolated).toBe(isolate);
        if (isolate) expectThreaded(r, r.cores);
        else {
          expect(r.threads).toBe(1);
          expect(r.same).toBe(true);
          expect(r.refError).toBeLessThan(1e-4);
        }
      } finally {
        await server.close();
      }
    }, 90_000);
  }
});
