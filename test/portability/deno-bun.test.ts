// Deno and Bun (the binaries from devDependencies) import the installed package by its name.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { bin, expectAll, lastJson, runOk } from './helpers';
import { packAndInstall, releaseInstall, type Installed } from './pack';

const SCRIPT = `
import * as g from 'gradtape';
import * as layers from 'gradtape/layers';
import * as metrics from 'gradtape/metrics';
import { runAll } from './programs.mjs';
console.log(JSON.stringify(runAll(g, layers, metrics)));
`;

describe('deno and bun', () => {
  let inst: Installed;
  beforeAll(async () => {
    inst = await packAndInstall();
    writeFileSync(join(inst.project, 'runtime-run.mjs'), SCRIPT);
  }, 120_000);
  afterAll(releaseInstall);

  it('deno runs the seed, training, layers and metrics from node_modules, with no permissions', async () => {
    const { stdout } = await runOk(
      bin('deno'),
      // No permission flags: the wasm is inside the module, so nothing is read from disk at run time.
      ['run', '--no-remote', '--no-prompt', '--node-modules-dir=manual', 'runtime-run.mjs'],
      { cwd: inst.project, env: { DENO_DIR: join(inst.project, '.deno'), DENO_NO_UPDATE_CHECK: '1' }, timeoutMs: 90_000 },
    );
    expectAll(lastJson(stdout));
  }, 120_000);

  it('bun runs the seed, training, layers and metrics from node_modules', async () => {
    const { stdout } = await runOk(
      bin('bun'),
      ['run', 'runtime-run.mjs'],
      { cwd: inst.project, env: { BUN_INSTALL_CACHE_DIR: join(inst.project, '.bun-cache'), DO_NOT_TRACK: '1' }, timeoutMs: 90_000 },
    );
    expectAll(lastJson(stdout));
  }, 120_000);
});
