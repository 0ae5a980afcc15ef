// Node: the packed tarball, installed into a fresh project, imported by its name.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAll, lastJson, runOk } from './helpers';
import { packAndInstall, releaseInstall, type Installed } from './pack';

describe('node: npm pack + npm install', () => {
  let inst: Installed;
  beforeAll(async () => {
    inst = await packAndInstall();
  }, 120_000);
  afterAll(releaseInstall);

  it('ships the entry points the exports map names', () => {
    for (const f of ['package.json', 'dist/gradtape.js', 'dist/wasm-core.js', 'dist/gradtape.workerd.js', 'dist/gradtape.min.js', 'dist/index.d.ts', 'dist/layers.js', 'dist/layers.d.ts', 'dist/metrics.js', 'dist/metrics.d.ts', 'build/gradtape.wasm', 'dist/wasm-extra.js', 'build/gradtape-extra.wasm', 'docs/guides/training.md']) {
      expect(inst.files).toContain(f);
    }
  });

  it('resolves the node condition, the layers and metrics subpaths and the wasm subpath', async () => {
    writeFileSync(join(inst.project, 'resolve.mjs'), `
      import { readFileSync } from 'node:fs';
      const main = import.meta.resolve('gradtape');
      const layers = import.meta.resolve('gradtape/layers');
      const metrics = import.meta.resolve('gradtape/metrics');
      const wasm = import.meta.resolve('gradtape/gradtape.wasm');
      const bytes = readFileSync(new URL(wasm));
      console.log(JSON.stringify({ main, layers, metrics, wasm, valid: WebAssembly.validate(bytes) }));
    `);
    const r = lastJson((await runOk('node', ['resolve.mjs'], { cwd: inst.project })).stdout);
    expect(r.main).toMatch(/node_modules\/gradtape\/dist\/gradtape\.js$/);
    expect(r.layers).toMatch(/node_modules\/gradtape\/dist\/layers\.js$/);
    expect(r.metrics).toMatch(/node_modules\/gradtape\/dist\/metrics\.js$/);
    expect(r.wasm).toMatch(/node_modules\/gradtape\/build\/gradtape\.wasm$/);
    expect(r.valid).toBe(true);
  }, 60_000);

  it('runs the seed program, a training loop, gradtape/layers and gradtape/metrics (one core)', async () => {
    writeFileSync(join(inst.project, 'node-run.mjs'), `
      import * as g from 'gradtape';
      import * as layers from 'gradtape/layers';
      import * as metrics from 'gradtape/metrics';
      import { runAll } from './programs.mjs';
      console.log(JSON.stringify(runAll(g, layers, metrics)));
    `);
    const { stdout } = await runOk('node', ['node-run.mjs'], { cwd: inst.project });
    expectAll(lastJson(stdout));
  }, 60_000);

  it('init(core, extra) takes both modules from the .wasm subpaths: the extra module is then compiled from them, not decoded', async () => {
    writeFileSync(join(inst.project, 'init-run.mjs'), `
      import { readFileSync } from 'node:fs';
      let instances = 0;
      const Instance = WebAssembly.Instance;
      WebAssembly.Instance = function (m, i) { instances++; return new Instance(m, i); };
      const g = await import('gradtape');
      const layers = await import('gradtape/layers');
      const metrics = await import('gradtape/metrics');
      const { runAll } = await import('./programs.mjs');
      const core = readFileSync(new URL(import.meta.resolve('gradtape/gradtape.wasm')));
      const extra = readFileSync(new URL(import.meta.resolve('gradtape/gradtape-extra.wasm')));
      await g.init(core, extra);
      const atInit = instances;
      const results = runAll(g, layers, metrics);
      console.log(JSON.stringify({ atInit, instances, results }));
    `);
    const r = lastJson((await runOk('node', ['init-run.mjs'], { cwd: inst.project })).stdout);
    expectAll(r.results);
    expect(r.atInit).toBe(1); // the core, from the given bytes
    expect(r.instances).toBe(2); // and the extra module, from the given bytes: no text decoder ran
  }, 60_000);
});
