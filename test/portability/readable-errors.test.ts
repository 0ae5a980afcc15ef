// A first error in Node reads well: an uncaught shape error from the installed package prints a
// short report (Node shows the source line of the throw, so that line must be code, not a minified
// bundle or the embedded core), stack frames name gradtape's functions, and source maps lead to src/*.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './helpers';
import { packAndInstall, releaseInstall, type Installed } from './pack';

const UNCAUGHT = `
import { add, ones } from 'gradtape';
add(ones([2]), ones([3]));
`;

describe('readable errors in Node', () => {
  let inst: Installed;
  beforeAll(async () => {
    inst = await packAndInstall();
    writeFileSync(join(inst.project, 'uncaught.mjs'), UNCAUGHT);
  }, 120_000);
  afterAll(releaseInstall);

  for (const flags of [[], ['--enable-source-maps']]) {
    it(`an uncaught shape error prints under 8 KB, short lines, both shapes${flags.length ? ' (with source maps)' : ''}`, async () => {
      const r = await run('node', [...flags, 'uncaught.mjs'], { cwd: inst.project, timeoutMs: 60_000 });
      const printed = r.stdout + r.stderr;
      expect(r.code).toBe(1);
      expect(Buffer.byteLength(printed)).toBeLessThanOrEqual(8 * 1024);
      const longest = Math.max(...printed.split('\n').map((l) => l.length));
      expect(longest).toBeLessThanOrEqual(1000);
      expect(printed).toContain('add: shapes [2] and [3] cannot be broadcast together');
      // frames name gradtape's own functions, in its own files
      expect(printed).toMatch(flags.length ? /at broadcastShapes \(.*src[/\\]ops\.ts:\d+:\d+\)/ : /at broadcastShapes \(.*node_modules\/gradtape\/dist\/gradtape\.js:\d+:\d+\)/);
    }, 90_000);
  }

  it('ships readable files: the embedded core alone in its module, source maps to src/*.ts', () => {
    const main = readFileSync(join(inst.pkgDir, 'dist/gradtape.js'), 'utf8');
    expect(Math.max(...main.split('\n').map((l) => l.length))).toBeLessThanOrEqual(1000);
    expect(main).toMatch(/from "\.\/wasm-core\.js"/);
    expect(main).toMatch(/\/\/# sourceMappingURL=gradtape\.js\.map\s*$/);
    // unminified, its top-level names stay: none may be one a module wrapper passes in (Vite's SSR
    // runner, CommonJS), or the wrapper's value would shadow it
    for (const file of ['dist/gradtape.js', 'dist/gradtape.workerd.js']) {
      const code = readFileSync(join(inst.pkgDir, file), 'utf8');
      expect(code).not.toMatch(/^(var|let|const|function|class) (module|exports|require|__filename|__dirname)\b/m);
    }
    for (const file of ['dist/gradtape.js.map', 'dist/gradtape.workerd.js.map']) {
      const map = JSON.parse(readFileSync(join(inst.pkgDir, file), 'utf8'));
      expect(map.sources).toContain('../src/ops.ts');
      expect(map.sources).toContain('../src/tape.ts');
      expect(map.sourcesContent.length).toBe(map.sources.length); // the package ships no src/
    }
  });
});
