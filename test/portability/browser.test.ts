// Browsers: headless Chromium loads gradtape and its subpaths as plain ES modules through an importmap
// (the readable dist/gradtape.js, which imports ./wasm-core.js, and, with the README's own importmap,
// the one-file dist/gradtape.min.js), and as part of an esbuild bundle built with the `browser` condition.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedCoreMarker, expectAll, IMPORT_MAP, launchChromium, makeTempDir, PROGRAMS, removeTempDir, REPO_ROOT, repoMounts, requireBuild, startStaticServer, pageResult } from './helpers';
import { packAndInstall, releaseInstall } from './pack';

const PAGE_SCRIPT = `
import * as g from 'gradtape';
import * as layers from 'gradtape/layers';
import * as metrics from 'gradtape/metrics';
import { runAll } from './programs.mjs';
window.__result = runAll(g, layers, metrics);
`;

/** The importmap of README.md's "Browsers without a bundler", as written there. */
function readmeImportMap(): string {
  const section = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8').split('### Browsers without a bundler')[1] ?? '';
  const map = /<script type="importmap">([\s\S]*?)<\/script>/.exec(section)?.[1];
  if (!map) throw new Error('README.md: no importmap under "Browsers without a bundler"');
  return map;
}

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
    // The README's snippet as a user would copy it: its map names every specifier the test map does
    // (so the page below imports them all through it), and serves /node_modules/gradtape/ from the install.
    const readmeMap = readmeImportMap();
    expect(Object.keys(JSON.parse(readmeMap).imports)).toEqual(Object.keys(JSON.parse(IMPORT_MAP).imports));
    writeFileSync(join(dir, 'readme-min.html'), html(`<script type="importmap">${readmeMap}</script>`, './entry.mjs'));
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
    // gradtape/layers and gradtape/metrics import the root by its package name: one copy of the core
    const bundled = readFileSync(join(dir, 'bundle.js'), 'utf8');
    expect(bundled.split(embeddedCoreMarker()).length - 1).toBe(1);

    server = await startStaticServer(repoMounts({ '/__t/': dir, '/node_modules/gradtape/': inst.pkgDir }));
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    removeTempDir(dir);
    await releaseInstall();
  });

  const resultOf = async (path: string): Promise<any> => (await pageResult(browser, `${server.url}${path}`)).result;

  it('unbundled: importmap to /dist/gradtape.js, /dist/layers.js and /dist/metrics.js', async () => {
    expectAll(await resultOf('/__t/unbundled.html'));
  }, 90_000);

  it("unbundled: README.md's importmap to the installed gradtape.min.js (one minified file), layers.js and metrics.js", async () => {
    const map = JSON.parse(readmeImportMap()).imports;
    expect(map.gradtape).toMatch(/\/dist\/gradtape\.min\.js$/); // the one-file build this test is about
    expectAll(await resultOf('/__t/readme-min.html'));
  }, 90_000);

  it('bundled: esbuild with the browser condition', async () => {
    expectAll(await resultOf('/__t/bundled.html'));
  }, 90_000);
});
