// Builds everything `npm test`, `npm start` and `npm pack` need:
//   build/generated/            from the op manifest (scripts/generate.mjs): op codes, both modules' entries, interfaces
//   build/gradtape.wasm         release core (asc -O2, no asserts, no imports beyond gradtape's own; then wasm-opt -Oz)
//   build/gradtape-extra.wasm   release extra module (kernels few programs use; imports the core's memory and functions)
//   build/*.debug.wasm          debug builds of both with asserts (the tests run them too)
//   build/text-decoder.wasm     the tiny module that decodes the embedded modules (assembly/text-decoder.ts)
//   build/embedded.js           the release core as text, and the decoder's bytes, for the default entry
//   build/embedded-extra.js     the release extra module as text
//   dist/gradtape.js            default/node/browser entry: readable ESM (+ .map to src/*.ts); users' bundlers minify it
//   dist/wasm-core.js           the embedded core, its own module so no file with code has a 70 KB line
//   dist/wasm-extra.js          the embedded extra module, imported only by the ops that use it
//   dist/gradtape.workerd.js    Cloudflare Workers entry (imports ../build/gradtape.wasm and gradtape-extra.wasm as modules)
//   dist/gradtape.min.js        one minified file with the core inside, for CDNs and import maps
//   dist/index.d.ts (+ dist/types/, dist/disposable.d.ts) TypeScript declarations
//   dist/layers.js, dist/layers.d.ts  the `gradtape/layers` subpath (see the block at the end)
//   dist/metrics.js, dist/metrics.d.ts  the `gradtape/metrics` subpath, built the same way
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { encodeWasmText } from './wasm-text.mjs';
import { generate } from './generate.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = name => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

mkdirSync(join(root, 'build'), { recursive: true });
await generate();
// binaryen's size pipeline (-Oz) once more, to a fixed point, on asc's output (optimize level 2,
// shrink level 0, asconfig*.json): asc stops after its own passes, and the rerun takes ~190 bytes
// off the gzipped core (the seed program's size limit is tight) without touching what decides
// speed: the kernels' loops are inlined by AssemblyScript (@inline), and V8 inlines small functions
// itself (elementwise ops, matmul and the seed program measured the same as with -O3, one process,
// a module per build). asc at level 2 without shrinking, rather than -O3 with shrink level 2
// (binaryen's level 4 then, with flatten, licm and friends), inlines the one-line helpers (add, mul,
// the record accessors) and leaves the code more regular: 0.4 KB more raw, 0.44 KB less gzipped
// (core + extra, 2026-12-07), and small ops, gemm, conv and the math loops timed the same.
const shrink = file => run(bin('wasm-opt'), [file, '-Oz', '--converge', '-o', file,
  '--enable-simd', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext', '--enable-mutable-globals', '--enable-threads']);
for (const [config, release] of [['asconfig.json', 'build/gradtape.wasm'], ['asconfig.extra.json', 'build/gradtape-extra.wasm']]) {
  run(bin('asc'), ['--config', config, '--target', 'release']);
  shrink(release);
  run(bin('asc'), ['--config', config, '--target', 'debug']);
}
// Every thread instantiates the core on the one shared memory, and instantiation writes the module's
// data segments: they must hold constants only. (asconfig.json's zeroFilledMemory tells binaryen the
// imported memory starts zeroed: without it the release core keeps its zero statics as data and
// grows from 40 KB to 105 KB.) asc's debug build (no optimisation) keeps segments of
// zeros for the zero-initialised statics (the allocator's free lists, the job descriptor...), which a
// worker starting up would reset under the calling thread: binaryen's memory packing drops them, as
// the release build's -Oz already does. Then both builds are checked.
run(bin('wasm-opt'), ['build/gradtape.debug.wasm', '-g', '--zero-filled-memory', '--memory-packing', '-o', 'build/gradtape.debug.wasm',
  '--enable-simd', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext', '--enable-mutable-globals', '--enable-threads']);
for (const file of ['build/gradtape.wasm', 'build/gradtape.debug.wasm']) {
  const zeroed = dataSegments(readFileSync(join(root, file))).find(s => s.bytes.every(b => b === 0));
  if (zeroed) throw new Error(`build: ${file} has a data segment of ${zeroed.bytes.length} zeros at ${zeroed.offset} (mutable static memory), which every worker's instance would write again over the shared memory`);
}
// The extra module shares the core's memory: data of its own would land on the core's. It has none
// (constants are code, scratch comes from the core's arena), and this keeps it so.
for (const file of ['build/gradtape-extra.wasm', 'build/gradtape-extra.debug.wasm']) {
  if (hasDataSection(readFileSync(join(root, file)))) throw new Error(`build: ${file} has a data segment, which would overwrite the core's memory; use constants in code or scratch memory`);
}
// (run from assembly/, where no asconfig.json applies the core's entries and options; -Oz: see the file)
execFileSync(bin('asc'), ['text-decoder.ts', '--runtime', 'stub', '-Oz', '--noAssert', '--use', 'abort=', '--initialMemory', '0', '--outFile', '../build/text-decoder.wasm'],
  { cwd: join(root, 'assembly'), stdio: 'inherit' });

// The modules as text that gzips nearly as well as the binary (see scripts/wasm-text.mjs).
const wasm = readFileSync(join(root, 'build/gradtape.wasm'));
const extraWasm = readFileSync(join(root, 'build/gradtape-extra.wasm'));
const decoder = readFileSync(join(root, 'build/text-decoder.wasm'));
writeFileSync(join(root, 'build/embedded.js'), [
  '// generated by scripts/build.mjs: build/gradtape.wasm as text (scripts/wasm-text.mjs), and the module that decodes it',
  `export const textDecoderWasm = ${JSON.stringify([...decoder])};`,
  `export const wasmLength = ${wasm.length};`,
  `export const wasmText = ${JSON.stringify(encodeWasmText(wasm))};`,
  '',
].join('\n'));
writeFileSync(join(root, 'build/embedded.d.ts'), 'export declare const textDecoderWasm: number[];\nexport declare const wasmLength: number;\nexport declare const wasmText: string;\n');
writeFileSync(join(root, 'build/embedded-extra.js'), [
  '// generated by scripts/build.mjs: build/gradtape-extra.wasm as text (scripts/wasm-text.mjs)',
  `export const extraLength = ${extraWasm.length};`,
  `export const extraText = ${JSON.stringify(encodeWasmText(extraWasm))};`,
  '',
].join('\n'));
writeFileSync(join(root, 'build/embedded-extra.d.ts'), 'export declare const extraLength: number;\nexport declare const extraText: string;\n');

rmSync(join(root, 'dist'), { recursive: true, force: true });
// __TESTS__ = false drops the op table's test metadata from every published file.
const common = {
  bundle: true, format: 'esm', target: 'es2022', logLevel: 'warning', legalComments: 'none', define: { __TESTS__: 'false' },
};
// Readable files for Node and bundlers: not minified (users' bundlers minify), so an uncaught error
// shows a short source line and stack frames name gradtape's functions; maps lead back to src/*.ts.
// Internal `_` members keep their names here: users' minifiers leave property names alone, so they
// cost their length in a user's bundle, which the size test measures.
const readable = { ...common, minify: false, sourcemap: 'linked', sourcesContent: true };
/**
 * The default entry imports the embedded modules from files of their own, dist/wasm-core.js and
 * dist/wasm-extra.js: a user's bundler then leaves the extra module out of a program whose code
 * does not reach the ops that import it.
 */
const embeddedAsOwnModules = {
  name: 'embedded-modules',
  setup(b) {
    b.onResolve({ filter: /\/build\/embedded\.js$/ }, () => ({ path: './wasm-core.js', external: true }));
    b.onResolve({ filter: /\/build\/embedded-extra\.js$/ }, () => ({ path: './wasm-extra.js', external: true }));
  },
};
await esbuild.build({ ...readable, entryPoints: [join(root, 'src/entry-embedded.ts')], outfile: join(root, 'dist/gradtape.js'), plugins: [embeddedAsOwnModules] });
writeFileSync(join(root, 'dist/wasm-core.js'), readFileSync(join(root, 'build/embedded.js')));
writeFileSync(join(root, 'dist/wasm-extra.js'), readFileSync(join(root, 'build/embedded-extra.js')));
/** Cloudflare Workers cannot compile bytes: the extra module comes as a WebAssembly.Module import too. */
const extraAsWasmModule = {
  name: 'extra-as-wasm-module',
  setup(b) {
    b.onResolve({ filter: /^\.\/extra-source\.js$/ }, () => ({ path: join(root, 'src/extra-source-workerd.ts') }));
  },
};
await esbuild.build({ ...readable, entryPoints: [join(root, 'src/entry-workerd.ts')], outfile: join(root, 'dist/gradtape.workerd.js'), external: ['*.wasm'], plugins: [extraAsWasmModule] });
// The extra file for import maps and CDNs: everything in one minified module. No source map: it
// would add 340 KB to the package, and the readable files are there to debug with.
await esbuild.build({ ...common, minify: true, mangleProps: /^_/, entryPoints: [join(root, 'src/entry-embedded.ts')], outfile: join(root, 'dist/gradtape.min.js') });

run(bin('tsc'), ['-p', 'tsconfig.build.json']);
writeFileSync(join(root, 'dist/disposable.d.ts'), readFileSync(join(root, 'src/disposable.d.ts')));
writeFileSync(join(root, 'dist/index.d.ts'), "/// <reference path=\"./disposable.d.ts\" />\nexport * from './types/src/index.js';\n");

// ---- gradtape/layers and gradtape/metrics ----
// src/layers/ (src/metrics/) imports the root API from '../index.js'; the bundle imports it as the bare
// package name `gradtape` instead, so it resolves through the package's own `exports` (workerd
// condition included) and shares the root's core, tensors and classes (instanceof Variable holds
// across the entries). Importing any other src/ module from a subpath's directory would duplicate
// root code: the build refuses it.
for (const subpath of ['layers', 'metrics']) {
  const dir = join(root, 'src', subpath);
  const rootAsPackage = {
    name: 'root-as-package',
    setup(b) {
      b.onResolve({ filter: /^\./ }, args => {
        if (!args.importer.startsWith(dir)) return undefined;
        const target = join(args.resolveDir, args.path).replace(/\.js$/, '.ts');
        if (target === join(root, 'src/index.ts')) return { path: 'gradtape', external: true };
        if (!target.startsWith(dir)) return { errors: [{ text: `src/${subpath} may import only the root's public API ('../index.js'), not ${args.path}` }] };
        return undefined;
      });
    },
  };
  // readable like the root (no property mangling either: users subclass Module, Layer and Metric, so every member name is public)
  await esbuild.build({
    ...readable, entryPoints: [join(dir, 'index.ts')], outfile: join(root, `dist/${subpath}.js`), plugins: [rootAsPackage],
  });
  writeFileSync(join(root, `dist/${subpath}.d.ts`), `/// <reference path="./disposable.d.ts" />\nexport * from './types/src/${subpath}/index.js';\n`);
}

const gz = bytes => gzipSync(bytes, { level: 9 }).length;

/** Whether a wasm binary has a data section (id 11): its sections are (id, LEB128 size, payload). */
/** The active data segments of a module (offset given by an i32.const), as { offset, bytes }. */
function dataSegments(bytes) {
  let at = 8;
  const leb = () => { let n = 0, shift = 0, b; do { b = bytes[at++]; n |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80); return n >>> 0; };
  const segments = [];
  while (at < bytes.length) {
    const id = bytes[at++], size = leb(), end = at + size;
    if (id === 11) {
      for (let count = leb(); count > 0; count--) {
        const flags = leb();
        if (flags === 1) { at += leb(); continue; } // passive: written only by memory.init
        if (flags === 2) leb(); // memory index
        at++; const offset = leb(); at++; // i32.const offset end
        const length = leb();
        segments.push({ offset, bytes: bytes.subarray(at, at + length) });
        at += length;
      }
    }
    at = end;
  }
  return segments;
}

function hasDataSection(bytes) {
  let at = 8; // magic and version
  while (at < bytes.length) {
    const id = bytes[at++];
    let size = 0, shift = 0, b;
    do { b = bytes[at++]; size |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
    if (id === 11) return true;
    at += size;
  }
  return false;
}
const min = readFileSync(join(root, 'dist/gradtape.min.js'));
console.log(`gradtape built: core ${wasm.length} B (gzip ${gz(wasm)} B), extra module ${extraWasm.length} B (gzip ${gz(extraWasm)} B); dist/gradtape.min.js with both inside ${min.length} B (gzip ${gz(min)} B)`);
