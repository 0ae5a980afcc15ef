// Size of the whole library, minified and gzipped at level 9, measured two ways:
//  - JS + wasm: the JS bundle with the wasm kept as a separate file (the workerd build, or a bundler
//    shipping gradtape.wasm on its own) plus build/gradtape.wasm, each gzipped: the design's measure;
//  - the default bundle, with the wasm embedded as base64 (about a third bigger for the wasm part).
// The design's aim is 24 KiB for JS + wasm. It is NOT met, and cannot be with the API as specified
// (the README's Size section has the floor: ~30 KiB with no error text at all); these caps only
// stop the size from growing unnoticed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSeed } from './helpers';
import { packAndInstall, releaseInstall, type Installed } from './pack';

const TARGET = 24 * 1024;
const JS_PLUS_WASM_CAP = 38 * 1024;
const EMBEDDED_CAP = 44 * 1024;
const gz = (b: Uint8Array) => gzipSync(b, { level: 9 }).length;

describe('size', () => {
  let inst: Installed;
  let bundle: Uint8Array;
  let jsOnly: Uint8Array;

  beforeAll(async () => {
    inst = await packAndInstall();
    writeFileSync(join(inst.project, 'size-entry.mjs'), "export * from 'gradtape';\n");
    const options = {
      entryPoints: [join(inst.project, 'size-entry.mjs')],
      bundle: true,
      minify: true,
      format: 'esm' as const,
      write: false,
      logLevel: 'silent' as const,
    };
    bundle = (await build({ ...options, platform: 'neutral' })).outputFiles![0]!.contents;
    jsOnly = (await build({ ...options, platform: 'neutral', conditions: ['workerd'], external: ['*.wasm'] })).outputFiles![0]!.contents;
  }, 120_000);
  afterAll(releaseInstall);

  it('JS + wasm and the embedded bundle stay within their caps', () => {
    const wasm = readFileSync(join(inst.pkgDir, 'build', 'gradtape.wasm'));
    const jsPlusWasm = gz(jsOnly) + gz(wasm);
    const embedded = gz(bundle);
    console.log(
      `gradtape size (gzip -9): JS ${gz(jsOnly)} B + wasm ${gz(wasm)} B = ${jsPlusWasm} B ` +
        `(target ${TARGET}, cap ${JS_PLUS_WASM_CAP}); default bundle with embedded wasm ${embedded} B (cap ${EMBEDDED_CAP})`,
    );
    expect(new TextDecoder().decode(jsOnly)).not.toContain('AGFzbQ'); // the wasm really is separate
    expect(jsPlusWasm).toBeLessThanOrEqual(JS_PLUS_WASM_CAP);
    expect(embedded).toBeLessThanOrEqual(EMBEDDED_CAP);
  });

  it('a program that does not import gradtape/layers gets none of it', () => {
    const layers = readFileSync(join(inst.pkgDir, 'dist', 'layers.js'));
    const root = new TextDecoder().decode(bundle), text = new TextDecoder().decode(layers);
    // strings only the layers code holds (class names are kept: errors name the layer by its class)
    for (const marker of ['Sequential', 'glorotUniform', 'loadWeights', 'LayerError', 'Dropout']) {
      expect(text).toContain(marker);
      expect(root).not.toContain(marker);
    }
    console.log(`gradtape/layers (gzip -9): ${gz(layers)} B more for a program that imports it`);
  });

  it('the measured bundle is the whole library (it runs the seed program)', async () => {
    const file = join(inst.project, 'size-bundle.mjs');
    writeFileSync(file, bundle);
    const g = await import(/* @vite-ignore */ pathToFileURL(file).href);
    const { runSeed } = await import(/* @vite-ignore */ pathToFileURL(join(inst.project, 'programs.mjs')).href);
    expectSeed(runSeed(g));
  }, 60_000);
});
