// Cloudflare Workers: the real workerd runtime serves a worker that imports gradtape, built two ways:
// (1) bundled here as wrangler bundles (workerd condition, .wasm kept as a separate module) and
//     described by a capnp config; (2) from a plain wrangler.json, bundled by `workerd serve` itself.
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, embeddedCoreMarker, expectAll, freePort, removeTempDir, THREADS_FIXTURE } from './helpers';
import { packAndInstall, releaseInstall } from './pack';

const WORKER = `
import * as g from 'gradtape';
import * as layers from 'gradtape/layers';
import * as metrics from 'gradtape/metrics';
import { runAll } from './programs.mjs';
import { runThreads } from './threads.mjs';

export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname === '/gradient') return Response.json(runAll(g, layers, metrics));
    if (pathname === '/threads') return Response.json(await runThreads(g, { threads: 3, rounds: 1 }));
    if (pathname === '/compile-bytes') {
      // What the embedded-bytes build would do here: production Workers refuse it.
      try {
        await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
        return Response.json({ compiled: true });
      } catch (e) {
        return Response.json({ compiled: false, message: String(e && e.message || e) });
      }
    }
    return new Response('ok');
  },
};
`;

/** wrangler's rule for `*.wasm`: copy the file next to the bundle and import it as a module. */
function wasmModules(outdir: string): Plugin {
  return {
    name: 'wasm-modules',
    setup(b) {
      b.onResolve({ filter: /\.wasm$/ }, async (args) => {
        if (args.pluginData?.skip) return undefined; // our own b.resolve below
        const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: { skip: true } });
        if (resolved.errors.length) return { errors: resolved.errors };
        copyFileSync(resolved.path, join(outdir, basename(resolved.path)));
        return { path: `./${basename(resolved.path)}`, external: true };
      });
    },
  };
}

const capnpConfig = (port: number) => `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .mainWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);

const mainWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "gradtape.wasm", wasm = embed "gradtape.wasm"),
    (name = "gradtape-extra.wasm", wasm = embed "gradtape-extra.wasm"),
  ],
  compatibilityDate = "2024-09-01",
);
`;

/** A running `workerd serve`, polled until it answers. */
async function startWorkerd(args: string[], cwd: string, port: number) {
  let log = '';
  const proc: ChildProcess = spawn(bin('workerd'), ['serve', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WORKERD_ESBUILD: bin('esbuild') },
  });
  proc.stdout!.on('data', (d) => (log += d));
  proc.stderr!.on('data', (d) => (log += d));
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`workerd exited ${proc.exitCode}:\n${log}`);
    try {
      if ((await fetch(`${base}/`)).ok) break;
    } catch {}
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`workerd did not answer within 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { base, stop, log: () => log };
}

type Workerd = Awaited<ReturnType<typeof startWorkerd>>;

/** The checks both setups must pass. */
function workerChecks(server: () => Workerd) {
  it('computes gradients, trains gradtape/layers and updates gradtape/metrics with the workerd build', async () => {
    const res = await fetch(`${server().base}/gradient`);
    expect(res.status, server().log()).toBe(200);
    expectAll(await res.json());
  }, 60_000);

  it('has no workers: threads() is 1 by default and after setThreads(3), with right results', async () => {
    const res = await fetch(`${server().base}/threads`);
    expect(res.status, server().log()).toBe(200);
    const r = await res.json();
    expect(r.defaultThreads).toBe(1);
    expect(r.threads).toBe(1); // setThreads(3) is capped: no Worker to share the memory with
    expect(r.same).toBe(true);
    expect(r.refError).toBeLessThan(1e-4);
  }, 60_000);

  it('forbids compiling wasm from bytes, as production Workers do', async () => {
    const body = await (await fetch(`${server().base}/compile-bytes`)).json();
    expect(body.compiled).toBe(false);
    expect(body.message).toContain('Wasm code generation disallowed by embedder');
  }, 60_000);
}

describe('workerd: wrangler-style bundle + capnp config', () => {
  let dir: string;
  let server: Workerd;

  beforeAll(async () => {
    const inst = await packAndInstall();
    dir = join(inst.project, 'worker-capnp');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(inst.project, 'worker-entry.mjs'), WORKER);
    copyFileSync(THREADS_FIXTURE, join(inst.project, 'threads.mjs'));
    const result = await build({
      entryPoints: [join(inst.project, 'worker-entry.mjs')],
      outfile: join(dir, 'worker.js'),
      bundle: true,
      format: 'esm',
      target: 'es2022',
      platform: 'neutral',
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['module', 'main'],
      plugins: [wasmModules(dir)],
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const port = await freePort();
    writeFileSync(join(dir, 'config.capnp'), capnpConfig(port));
    server = await startWorkerd(['config.capnp'], dir, port);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    removeTempDir(dir);
    await releaseInstall();
  });

  it('keeps the wasm a separate module in the bundle', () => {
    const js = readFileSync(join(dir, 'worker.js'), 'utf8');
    expect(js).toMatch(/from\s*["']\.\/gradtape\.wasm["']/);
    // gradtape/layers and gradtape/metrics resolved `gradtape` with the workerd condition too: one core, no embedded copy
    expect(js.match(/from\s*["']\.\/gradtape\.wasm["']/g)).toHaveLength(1);
    expect(js).not.toContain(embeddedCoreMarker()); // (the browser test checks the marker finds the embedded core)
  });

  workerChecks(() => server);
});

// nodejs_compat gives Workers process.getBuiltinModule, but no worker_threads: still 1 thread
for (const [label, config] of [
  ['', { compatibility_date: '2024-09-01' }],
  [' with nodejs_compat', { compatibility_date: '2025-09-01', compatibility_flags: ['nodejs_compat'] }],
] as const) describe(`workerd: plain wrangler.json${label}, \`import ... from "gradtape"\` as is`, () => {
  let dir: string;
  let server: Workerd;

  beforeAll(async () => {
    const inst = await packAndInstall();
    dir = inst.project;
    writeFileSync(join(dir, 'worker-entry.mjs'), WORKER);
    copyFileSync(THREADS_FIXTURE, join(dir, 'threads.mjs'));
    writeFileSync(join(dir, 'wrangler.json'),
      JSON.stringify({ name: 'gradtape-test', main: 'worker-entry.mjs', ...config }));
    const port = await freePort();
    server = await startWorkerd(['wrangler.json', '--socket-addr', `http=127.0.0.1:${port}`], dir, port);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await releaseInstall();
  });

  workerChecks(() => server);
});
