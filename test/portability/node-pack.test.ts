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

  it('resolves the node condition, the layers subpath and the wasm subpath', async () => {
    writeFileSync(join(inst.project, 'resolve.mjs'), `
      import { readFileSync } from 'node:fs';
      const main = import.meta.resolve('gradtape');
      const layers = import.meta.resolve('gradtape/layers');
      const wasm = import.meta.resolve('gradtape/gradtape.wasm');
      const bytes = readFileSync(new URL(wasm));
      console.log(JSON.stringify({ main, layers, wasm, valid: WebAssembly.validate(bytes) }));
    `);
    const r = lastJson((await runOk('node', ['resolve.mjs'], { cwd: inst.project })).stdout);
    expect(r.main).toMatch(/node_modules\/gradtape\/dist\/gradtape\.js$/);
    expect(r.layers).toMatch(/node_modules\/gradtape\/dist\/layers\.js$/);
    expect(r.wasm).toMatch(/node_modules\/gradtape\/build\/gradtape\.wasm$/);
    expect(r.valid).toBe(true);
  }, 60_000);

  it('runs the seed program, a training loop and gradtape/layers', async () => {
    writeFileSync(join(inst.project, 'node-run.mjs'), `
      import * as g from 'gradtape';
      import * as layers from 'gradtape/layers';
      import { runAll } from './programs.mjs';
      console.log(JSON.stringify(runAll(g, layers)));
    `);
    const { stdout } = await runOk('node', ['node-run.mjs'], { cwd: inst.project });
    expectAll(lastJson(stdout));
  }, 60_000);

  it('gradtape/metrics resolves from the package and works on the root\'s tensors (one core)', async () => {
    writeFileSync(join(inst.project, 'metrics-run.mjs'), `
      import { tensor, memory } from 'gradtape';
      import { SparseCategoricalAccuracy, Mean } from 'gradtape/metrics';
      const labels = tensor([2, 1, 0], undefined, 'int32'), probs = tensor([[0.1, 0.6, 0.3], [0.05, 0.95, 0], [0.2, 0.7, 0.1]]);
      const values = tensor([1, 2]), weights = tensor([1, 3]);
      const before = memory().tensors;
      const accuracy = new SparseCategoricalAccuracy(), loss = new Mean();
      accuracy.updateState(labels, probs);
      loss.updateState(values, weights);
      console.log(JSON.stringify({ at: import.meta.resolve('gradtape/metrics'), accuracy: accuracy.result(), mean: loss.result(), leaked: memory().tensors - before }));
    `);
    const r = lastJson((await runOk('node', ['metrics-run.mjs'], { cwd: inst.project })).stdout);
    expect(r.at).toMatch(/node_modules\/gradtape\/dist\/metrics\.js$/);
    expect(r.accuracy).toBeCloseTo(1 / 3, 12); // only the second row's arg max (1) is its label
    expect(r.mean).toBeCloseTo((1 + 6) / 4, 12); // Σ v·w / Σ w
    expect(r.leaked).toBe(0); // updateState leaves no tensor behind
  }, 60_000);

  it('init(core, extra) takes both modules from the .wasm subpaths: the extra module is then compiled from them, not decoded', async () => {
    writeFileSync(join(inst.project, 'init-run.mjs'), `
      import { readFileSync } from 'node:fs';
      let instances = 0;
      const Instance = WebAssembly.Instance;
      WebAssembly.Instance = function (m, i) { instances++; return new Instance(m, i); };
      const g = await import('gradtape');
      const layers = await import('gradtape/layers');
      const { runAll } = await import('./programs.mjs');
      const core = readFileSync(new URL(import.meta.resolve('gradtape/gradtape.wasm')));
      const extra = readFileSync(new URL(import.meta.resolve('gradtape/gradtape-extra.wasm')));
      await g.init(core, extra);
      const atInit = instances;
      const results = runAll(g, layers);
      console.log(JSON.stringify({ atInit, instances, results }));
    `);
    const r = lastJson((await runOk('node', ['init-run.mjs'], { cwd: inst.project })).stdout);
    expectAll(r.results);
    expect(r.atInit).toBe(1); // the core, from the given bytes
    expect(r.instances).toBe(2); // and the extra module, from the given bytes: no text decoder ran
  }, 60_000);
});
