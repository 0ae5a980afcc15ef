// Prototype only: compiles proto/threads/entry.ts (the core + the gemm kernel) on an imported
// shared memory, then the same -Oz pass as scripts/build.mjs. Run after `npm run build`
// (which writes build/generated/). Output: build/proto-threads.wasm
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
const out = 'build/proto-threads.wasm';
const run = (cmd, args) => execFileSync(`node_modules/.bin/${cmd}`, args, { stdio: 'inherit' });
run('asc', ['proto/threads/entry.ts', '--runtime', 'stub', '--enable', 'simd', '--enable', 'threads',
  '-O2', '--noAssert', '--use', 'abort=', '--initialMemory', '2',
  // one shared memory for every thread: imported (JS creates it, so JS picks the real maximum, ≤ this one),
  // assumed zeroed (else binaryen keeps 64 KB of zero segments), start exported (a worker's instance must not run it)
  '--importMemory', '--sharedMemory', '--maximumMemory', '65536', '--zeroFilledMemory', '--exportStart', '_start',
  '--outFile', out]);
run('wasm-opt', [out, '-Oz', '--converge', '-o', out, '--enable-simd', '--enable-bulk-memory', '--enable-nontrapping-float-to-int',
  '--enable-sign-ext', '--enable-mutable-globals', '--enable-threads']);
const bytes = readFileSync(out);
console.log(`${out}: ${bytes.length} B, gzip ${gzipSync(bytes, { level: 9 }).length} B`);
