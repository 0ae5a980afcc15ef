// Browsers: headless Chromium loads gradtape as a plain ES module through an importmap (the readable
// dist/gradtape.js, which imports ./wasm-core.js, and the one-file dist/gradtape.min.js), and as
// part of an esbuild bundle built with the `browser` condition.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedCoreMarker, expectAll, IMPORT_MAP, launchChromium, makeTempDir, PROGRAMS, removeTempDir, repoMounts, requireBuild, startStaticServer, watchPage } from './helpers';
import { packAndInstall, releaseInstall } from './pack';

const PAGE_SCRIPT = `
import * as g from 'gradtape';
import * as layers from 'gradtape/layers';
import { runAll } from './programs.mjs';
window.__result = runAll(g, layers);
`;

const html = (head: string, script: string) =>
  `<!doctype html><meta charset="utf-8"><title>gradtape portability</title>${head}<script type="module" src="${script}"></script>`;

describe('browser (headless Chromium)', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof startStaticServer>>;
  let browser: Browser;

  beforeAll(async () => {
    requireBuild();
    dir = makeTempDir('browser');
    copyFileSync(PROGRAMS, join(dir, 'programs.mjs'));
    writeFileSync(join(dir, 'entry.mjs'), PAGE_SCRIPT);
    writeFileSync(join(dir, 'unbundled.html'),
      html(`<script type="importmap">${IMPORT_MAP}</script>`, './entry.mjs'));
    writeFileSync(join(dir, 'unbundled-min.html'),
      html(`<script type="importmap">${IMPORT_MAP.replace('/dist/gradtape.js', '/dist/gradtape.min.js')}</script>`, './entry.mjs'));
    writeFileSync(join(dir, 'bundled.html'), html('', './bundle.js'));

    // The bundler resolves `gradtape` the way it would in a user's project: from node_modules.
    const inst = await packAndInstall();
    copyFileSync(join(dir, 'entry.mjs'), join(inst.project, 'browser-entry.mjs'));
    const result = await build({
      entryPoints: [join(inst.project, 'browser-entry.mjs')],
      outfile: join(dir, 'bundle.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      conditions: ['browser'],
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    // gradtape/layers imports the root by its package name, so the bundle holds one copy of the core
    const bundled = readFileSync(join(dir, 'bundle.js'), 'utf8');
    expect(bundled.split(embeddedCoreMarker()).length - 1).toBe(1);

    server = await startStaticServer(repoMounts({ '/__t/': dir }));
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    removeTempDir(dir);
    await releaseInstall();
  });

  async function resultOf(path: string): Promise<any> {
    const page = await browser.newPage();
    try {
      const { waitFor } = watchPage(page);
      await page.goto(`${server.url}${path}`);
      return await (await waitFor(() => (window as any).__result)).jsonValue();
    } finally {
      await page.close();
    }
  }

  it('unbundled: importmap to /dist/gradtape.js and /dist/layers.js', async () => {
    expectAll(await resultOf('/__t/unbundled.html'));
  }, 90_000);

  it('unbundled: importmap to /dist/gradtape.min.js (one minified file)', async () => {
    expectAll(await resultOf('/__t/unbundled-min.html'));
  }, 90_000);

  it('bundled: esbuild with the browser condition', async () => {
    expectAll(await resultOf('/__t/bundled.html'));
  }, 90_000);
});
