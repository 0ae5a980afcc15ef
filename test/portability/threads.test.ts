// Threads on the packed package, outside browsers: Node, Deno and Bun start a worker pool by default
// (threads() = os.availableParallelism()), the workers really run tasks (read through the core's
// task counters: fixtures/threads.mjs' probe), the bits equal the 1-thread bits, memory growth is seen
// by the workers, and a script ends on its own with the pool alive (the pool never keeps it running).
// Also an esbuild bundle for the node platform: the worker source is an inline string, no config.
import { copyFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-ignore: plain JS fixture
import { tasksRunProbe } from './fixtures/threads.mjs';
import { bin, expectThreaded, lastJson, run, tasksRunName, THREADS_FIXTURE } from './helpers';
import { packAndInstall, releaseInstall, type Installed } from './pack';

const CORES = availableParallelism();
const EXIT_WITHIN = 30_000;

/** A script: the probe, then gradtape (imported after it), runThreads(options), one JSON line; no exit call. */
const script = (options: string, gradtape = "'gradtape'") => `
${tasksRunProbe(tasksRunName())}
const g = await import(${gradtape});
const { runThreads } = await import('./threads.mjs');
const r = await runThreads(g, ${options});
console.log(JSON.stringify({ ...r, cores: (await import('node:os')).availableParallelism() }));
`;

/** Runs a script and requires that it exit 0 by itself (not killed at the timeout); returns its JSON. */
async function exitsWith(cmd: string, args: string[], opts: Parameters<typeof run>[2]) {
  const t0 = Date.now();
  const r = await run(cmd, args, { ...opts, timeoutMs: EXIT_WITHIN });
  const ms = Date.now() - t0;
  const output = `\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
  if (r.signal) throw new Error(`${cmd} ${args.join(' ')} did not exit on its own within ${EXIT_WITHIN} ms (killed: ${r.signal}): the worker pool kept it alive${output}`);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}${output}`);
  return { result: lastJson(r.stdout), ms };
}

describe('threads: node, deno and bun (packed package)', () => {
  let inst: Installed;
  beforeAll(async () => {
    inst = await packAndInstall();
    copyFileSync(THREADS_FIXTURE, join(inst.project, 'threads.mjs'));
    // 512×512·512×512 (above worthThreads: the pool starts) with the default threads, then the script ends
    writeFileSync(join(inst.project, 'threads-default.mjs'), script('{ shape: [512, 512, 512], rounds: 2 }'));
    // setThreads(3) against setThreads(1), and once more after the memory grew by 64 MiB
    writeFileSync(join(inst.project, 'threads-three.mjs'), script('{ threads: 3, grow: 64 << 20 }'));
  }, 120_000);
  afterAll(releaseInstall);

  it('node: threads() is os.availableParallelism(), a 512² product gradient uses the workers, and the script exits by itself', async () => {
    const { result, ms } = await exitsWith('node', ['threads-default.mjs'], { cwd: inst.project });
    console.log(`node: exited by itself in ${ms} ms, threads ${result.threads}, tasks per slot ${result.tasksRun}`);
    expect(result.defaultThreads).toBe(result.cores);
    expect(result.cores).toBe(CORES);
    if (CORES > 1) expectThreaded(result, CORES);
  }, 60_000);

  it('node: setThreads(3) gives the bits of setThreads(1) for a 300×257·257×509 product gradient, also after the memory grew', async () => {
    const { result } = await exitsWith('node', ['threads-three.mjs'], { cwd: inst.project });
    expectThreaded(result, 3);
    expect(result.grew).toBeGreaterThanOrEqual(64 << 20); // the last product ran on memory the workers saw grow
  }, 60_000);

  it('deno: threads() is the cores, workers run tasks with the same bits, and the script exits by itself', async () => {
    const env = { DENO_DIR: join(inst.project, '.deno'), DENO_NO_UPDATE_CHECK: '1' };
    const args = ['run', '--no-remote', '--no-prompt', '--node-modules-dir=manual'];
    const { result: three } = await exitsWith(bin('deno'), [...args, 'threads-three.mjs'], { cwd: inst.project, env });
    expectThreaded(three, 3);
    const { result } = await exitsWith(bin('deno'), [...args, 'threads-default.mjs'], { cwd: inst.project, env });
    expect(result.defaultThreads).toBe(CORES);
    if (CORES > 1) expectThreaded(result, CORES);
  }, 90_000);

  it('bun: threads() is the cores, workers run tasks with the same bits, and the script exits by itself', async () => {
    const env = { BUN_INSTALL_CACHE_DIR: join(inst.project, '.bun-cache'), DO_NOT_TRACK: '1' };
    const { result: three } = await exitsWith(bin('bun'), ['run', 'threads-three.mjs'], { cwd: inst.project, env });
    expectThreaded(three, 3);
    const { result } = await exitsWith(bin('bun'), ['run', 'threads-default.mjs'], { cwd: inst.project, env });
    expect(result.defaultThreads).toBe(CORES);
    if (CORES > 1) expectThreaded(result, CORES);
  }, 90_000);

  it('node: the one-file dist/gradtape.min.js (core embedded) runs the workers too', async () => {
    writeFileSync(join(inst.project, 'threads-min.mjs'), script('{ threads: 3 }', "'./node_modules/gradtape/dist/gradtape.min.js'"));
    const { result } = await exitsWith('node', ['threads-min.mjs'], { cwd: inst.project });
    expectThreaded(result, 3);
  }, 60_000);

  it('esbuild, node platform: the bundle runs the workers with no configuration and exits by itself', async () => {
    writeFileSync(join(inst.project, 'threads-entry.mjs'), script('{ threads: 3 }'));
    const out = join(inst.project, 'threads-bundle.mjs');
    const result = await build({
      entryPoints: [join(inst.project, 'threads-entry.mjs')], outfile: out,
      bundle: true, format: 'esm', platform: 'node', logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    // the fixture's runThreads is bundled too: nothing is left to import but node:os
    const { result: r } = await exitsWith('node', [out], { cwd: inst.project });
    expectThreaded(r, 3);
  }, 60_000);
});
