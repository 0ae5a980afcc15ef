// Prototype only: the seed program's size as test/portability/size.test.ts measures it, from this
// worktree's dist/ (esbuild --bundle --minify --platform=browser, gzip -9).
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
const SEED = `import { ones, tape, sum, mul } from './dist/gradtape.js';
const x = ones([2, 2]);
const t = tape((t) => { t.watch(x); const y = sum(x); return mul(y, y); });
console.log(JSON.stringify({ dzdx: t.gradient(t.result, x).toArray() }));`;
const r = await build({ stdin: { contents: SEED, resolveDir: process.cwd() }, bundle: true, minify: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent' });
console.log('seed program gzip', gzipSync(r.outputFiles[0].contents, { level: 9 }).length, 'B');
