// `npm pack` the package once per test process and install the tarball into a fresh project,
// as a user would get it. Offline: a local tarball with no dependencies needs no registry.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, PKG_ROOT, PROGRAMS, removeTempDir, requireBuild, runOk } from './helpers';

export interface Installed {
  /** the .tgz npm pack wrote */
  tarball: string;
  /** paths inside the tarball, as npm pack listed them */
  files: string[];
  /** a `"type": "module"` project with gradtape in node_modules and programs.mjs next to it */
  project: string;
  /** node_modules/gradtape */
  pkgDir: string;
}

let cached: Promise<Installed & { dir: string }> | undefined;
let users = 0;

/** Packs and installs on first use; pair every call with `releaseInstall()` (in `afterAll`). */
export function packAndInstall(): Promise<Installed> {
  users++;
  cached ??= packAndInstallOnce();
  return cached;
}

/** Removes the temp project once its last user is done. */
export async function releaseInstall(): Promise<void> {
  if (--users > 0 || !cached) return;
  const done = cached;
  cached = undefined;
  removeTempDir(await done.then((i) => i.dir, () => undefined));
}

async function packAndInstallOnce(): Promise<Installed & { dir: string }> {
  requireBuild();
  const dir = makeTempDir('pack');
  try {
    return await packInto(dir);
  } catch (e) {
    removeTempDir(dir);
    throw e;
  }
}

async function packInto(dir: string): Promise<Installed & { dir: string }> {
  const npmEnv = {
    npm_config_cache: join(dir, 'npm-cache'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
  const packed = await runOk(
    'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
    { cwd: PKG_ROOT, env: npmEnv, timeoutMs: 120_000 },
  );
  const [info] = JSON.parse(packed.stdout);
  const tarball = join(dir, info.filename);
  const files: string[] = info.files.map((f: { path: string }) => f.path);

  const project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
  await runOk(
    'npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball],
    { cwd: project, env: npmEnv, timeoutMs: 120_000 },
  );
  copyFileSync(PROGRAMS, join(project, 'programs.mjs'));
  return { dir, tarball, files, project, pkgDir: join(project, 'node_modules', 'gradtape') };
}
