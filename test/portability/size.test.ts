// Size budget: the whole library as a user's bundler ships it (JS with the wasm bytes embedded),
// minified and gzipped at level 9, must stay within 24 KiB.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSeed } from './helpers';
import { packAndInstall, releaseInstall, type Installed } from './pack';

const BUDGET = 24 * 1024;
const gz = (b: Uint8Array) => gzipSync(b, { level: 9 }).length;

describe('size', () => {
  let inst: Installed;
  let bundle: Uint8Array;

  beforeAll(async () => {
    inst = await packAndInstall();
    writeFileSync(join(inst.project, 'size-entry.mjs'), "export * from 'gradtape';\n");
    const result = await build({
      entryPoints: [join(inst.project, 'size-entry.mjs')],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'neutral',
      write: false,
      logLevel: 'silent',
    });
    bundle = result.outputFiles[0].contents;
  }, 120_000);
  afterAll(releaseInstall);

  it(`JS + wasm is at most ${BUDGET} bytes gzipped`, () => {
    const wasm = readFileSync(join(inst.pkgDir, 'build', 'gradtape.wasm'));
    const total = gz(bundle);
    console.log(
      `gradtape size: bundle (JS + embedded wasm) ${bundle.length} B min, ${total} B gzip -9 ` +
        `(budget ${BUDGET}); gradtape.wasm alone ${wasm.length} B, ${gz(wasm)} B gzip -9`,
    );
    expect(total).toBeLessThanOrEqual(BUDGET);
  });

  it('the measured bundle is the whole library (it runs the seed program)', async () => {
    const file = join(inst.project, 'size-bundle.mjs');
    writeFileSync(file, bundle);
    const g = await import(/* @vite-ignore */ pathToFileURL(file).href);
    const { runSeed } = await import(/* @vite-ignore */ pathToFileURL(join(inst.project, 'programs.mjs')).href);
    expectSeed(runSeed(g));
  }, 60_000);
});
