// Writes build/generated/ from the op manifest (assembly/manifest.mjs): op codes, the two modules'
// asc entries (exports and backward dispatch), the extra module's imports of the core, and the
// TypeScript interfaces of both modules. Run by scripts/build.mjs before anything is compiled;
// `node scripts/generate.mjs` runs it alone. See the manifest for what each file holds.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const HEADER = '// generated from assembly/manifest.mjs by scripts/generate.mjs: do not edit';

/** `name(a: i32, b: usize): i32` or `global name: u32` → its parts. */
export function parseSignature(text) {
  const global = /^global (\w+): (\w+)$/.exec(text);
  if (global) return { kind: 'global', name: global[1], type: global[2] };
  const fn = /^(\w+)\((.*)\): (\w+)$/.exec(text);
  if (!fn) throw new Error(`manifest: cannot read the signature ${JSON.stringify(text)}`);
  const params = fn[2] === '' ? [] : fn[2].split(',').map(p => {
    const [name, type] = p.split(':').map(s => s.trim());
    return { name, type };
  });
  return { kind: 'function', name: fn[1], params, result: fn[3] };
}

/** The n-th short export name: a-z, A-Z, then two letters. */
export function shortName(n) {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return n < letters.length ? letters[n] : letters[Math.floor(n / letters.length) - 1] + letters[n % letters.length];
}

/** The manifest's ops in code order, each with its family, and the modules' exports. */
export function readManifest(manifest) {
  const ops = [];
  const seen = new Set();
  for (const family of manifest.families) {
    for (const entry of family.ops) {
      const spec = typeof entry === 'string' ? { op: entry } : entry;
      if (seen.has(spec.op)) throw new Error(`manifest: op ${spec.op} is listed twice`);
      seen.add(spec.op);
      const rule = spec.rule === undefined ? family.rule : spec.rule;
      if (rule === undefined) throw new Error(`manifest: op ${spec.op} has no rule (give one, or null for an op that is never recorded)`);
      ops.push({ name: spec.op, code: ops.length + 1, module: family.module, file: family.file, rule });
    }
  }
  const exports = {};
  for (const [module, files] of Object.entries(manifest.exports)) {
    exports[module] = [];
    for (const [file, signatures] of Object.entries(files)) {
      for (const s of signatures) exports[module].push({ file, ...parseSignature(s) });
    }
    // the name each export has in the wasm: short (the names are bytes of every bundle), in manifest order
    let next = 0;
    for (const e of exports[module]) e.wasmName = manifest.keepNames.includes(e.name) ? e.name : shortName(next++);
  }
  for (const name of manifest.extraImports) {
    if (!exports.core.some(e => e.name === name && e.kind === 'function')) throw new Error(`manifest: the extra module imports ${name}, which the core does not export`);
  }
  return { ops, exports, dtypes: manifest.dtypes };
}

const TS_TYPES = { i32: 'number', u32: 'number', usize: 'number', f32: 'number', f64: 'number', void: 'void' };
const tsType = t => {
  if (!(t in TS_TYPES)) throw new Error(`manifest: no TypeScript type for ${t}`);
  return TS_TYPES[t];
};
const groupBy = (list, key) => {
  const groups = {};
  for (const x of list) (groups[key(x)] ??= []).push(x);
  return groups;
};
const asParams = params => params.map(p => `${p.name}: ${p.type}`).join(', ');

function opcodes({ ops, dtypes }) {
  return [
    HEADER,
    '// Op codes shared by the AssemblyScript modules and the TypeScript wrapper (valid in both).',
    'export enum Op {',
    ...ops.map(o => `  ${o.name} = ${o.code},`),
    '}',
    '',
    `export enum DType { ${dtypes.map((d, i) => `${d} = ${i}`).join(', ')} }`,
    '',
  ].join('\n');
}

/** import lines grouping names by file (paths relative to build/generated). */
function imports(byFile) {
  return Object.entries(byFile).map(([file, names]) => `import { ${[...new Set(names)].join(', ')} } from "../../assembly/${file}";`);
}

/** The extra module's backward dispatch is exported after its listed exports. */
const extraBackwardName = exports => shortName(exports.extra.length);

function backwardDispatch(ops, module, name) {
  const own = ops.filter(o => o.rule && o.module === module);
  const byFile = {};
  for (const o of own) (byFile[o.file] ??= []).push(o.rule);
  const rules = new Set(own.map(o => o.rule));
  if (module !== 'core' && rules.size === 1) { // one rule takes every op: no switch
    return [
      ...imports(byFile),
      '',
      `/** Runs the backward rule of the record's op (this module's one rule; it never sees another module's ops). */`,
      `${module === 'core' ? 'export ' : ''}function ${name}(rec: Record, grads: Grads): void { ${[...rules][0]}(rec, grads); }`,
      '',
    ];
  }
  const lines = [
    ...imports(byFile),
    '',
    `/** Runs the backward rule of the record's op: one case per recorded op of this module. */`,
    `${module === 'core' ? 'export ' : ''}function ${name}(rec: Record, grads: Grads): void {`,
    '  switch (rec.op) {',
    ...Object.entries(groupBy(own, o => o.rule)).map(([rule, list]) =>
      `    ${list.map(o => `case Op.${o.name}:`).join(' ')}\n      ${rule}(rec, grads); return;`),
  ];
  if (module === 'core') {
    const extra = ops.filter(o => o.rule && o.module === 'extra');
    if (extra.length) lines.push(`    ${extra.map(o => `case Op.${o.name}:`).join(' ')}`, '      extraBackward(rec, grads); return;');
  }
  lines.push('  }', '  unreachable(); // an op without a rule is never recorded', '}', '');
  return lines;
}

/** `name as wasmName` (or just the name when it is kept). */
const exported = e => e.wasmName === e.name ? e.name : `${e.name} as ${e.wasmName}`;

function coreEntry({ exports }) {
  const byFile = {};
  for (const e of exports.core) (byFile[e.file] ??= []).push(exported(e));
  return [
    HEADER,
    '// The core module\'s exports to JS (and to the extra module).',
    ...Object.entries(byFile).map(([file, names]) => `export { ${names.join(', ')} } from "../../assembly/${file}";`),
    '',
  ].join('\n');
}

function coreBackward({ ops }) {
  return [
    HEADER,
    'import { Op } from "./opcodes";',
    'import { Record, Grads } from "../../assembly/record";',
    '',
    '/** The extra module\'s rules, reached through JS (the extra module is loaded after the core). */',
    '@external("env", "x") // (src/core.ts\'s imports(): one letter, as the exports)',
    'declare function extraBackward(rec: Record, grads: Grads): void;',
    '',
    ...backwardDispatch(ops, 'core', 'backwardRule'),
    '/** Whether an op has a backward rule: the entries record only those (the others have no gradient). */',
    'export function hasRule(op: i32): bool {',
    '  switch (op) {',
    ...ops.filter(o => !o.rule).map(o => `    case Op.${o.name}:`),
    '      return false;',
    '  }',
    '  return true;',
    '}',
    '',
  ].join('\n');
}

function extraEntry({ ops, exports }) {
  const byFile = {};
  for (const e of exports.extra) (byFile[e.file] ??= []).push(exported(e));
  return [
    HEADER,
    '// The extra module: its exports to JS, and the backward dispatch of its ops (which the core\'s sweep calls).',
    'import { Op } from "./opcodes";',
    'import { Record, Grads } from "../../assembly/record";',
    ...Object.entries(byFile).map(([file, names]) => `export { ${names.join(', ')} } from "../../assembly/${file}";`),
    ...backwardDispatch(ops, 'extra', 'backward'),
    `export { backward as ${extraBackwardName(exports)} };`,
    '',
  ].join('\n');
}

function extraImportsFile({ exports }, names) {
  const lines = [HEADER, '// The core functions the extra module calls: the core\'s own exports, which JS passes as its "env" (with the memory).'];
  for (const name of names) {
    const e = exports.core.find(x => x.name === name);
    lines.push(`@external("env", "${e.wasmName}") export declare function ${name}(${asParams(e.params)}): ${e.result};`);
  }
  return lines.join('\n') + '\n';
}

function tsMembers(list, names) {
  return list.map(e => e.kind === 'global'
    ? `  [${names}.${e.name}]: WebAssembly.Global;`
    : `  [${names}.${e.name}](${e.params.map(p => `${p.name}: ${tsType(p.type)}`).join(', ')}): ${tsType(e.result)};`);
}
const tsNames = (names, list) => [`export enum ${names} {`, ...list.map(e => `  ${e.name} = '${e.wasmName}',`), '}'];

function tsInterfaces({ exports }, manifest) {
  const backward = { kind: 'function', name: 'backward', wasmName: extraBackwardName(exports), params: [{ name: 'record', type: 'usize' }, { name: 'grads', type: 'usize' }], result: 'void' };
  const extra = [...exports.extra, backward];
  return [
    HEADER,
    '/**',
    ' * The wasm names of the core\'s exports: a letter or two each, as these names are bytes of every',
    ' * bundle; `core[C.newTensor](...)` calls the export the manifest names newTensor.',
    ' */',
    ...tsNames('C', exports.core),
    '',
    '/** The raw exports of the core module (build/gradtape.wasm). */',
    'export interface Core {',
    '  memory: WebAssembly.Memory;',
    ...tsMembers(exports.core, 'C'),
    '}',
    '',
    '/** The wasm names of the extra module\'s exports, as `C`\'s. */',
    ...tsNames('X', extra),
    '',
    '/** The raw exports of the extra module (build/gradtape-extra.wasm). */',
    'export interface Extra {',
    ...tsMembers(extra, 'X'),
    '}',
    '',
    '/** Tensor methods a bundle may leave out (see assembly/manifest.mjs); one string, split: fewer bytes than an array literal. */',
    `export const EXTRA_METHODS: readonly string[] = ${JSON.stringify(manifest.extraMethods.join(' '))}.split(' ');`,
    '',
  ].join('\n');
}

export async function generate() {
  const manifest = await import(pathToFileURL(join(root, 'assembly/manifest.mjs')).href);
  const m = readManifest(manifest);
  const out = join(root, 'build/generated');
  mkdirSync(out, { recursive: true });
  const files = {
    'opcodes.ts': opcodes(m),
    'core.ts': coreEntry(m),
    'core-backward.ts': coreBackward(m),
    'extra.ts': extraEntry(m),
    'extra-imports.ts': extraImportsFile(m, manifest.extraImports),
    'interface.ts': tsInterfaces(m, manifest),
  };
  for (const [name, text] of Object.entries(files)) {
    const path = join(out, name);
    let old;
    try { old = readFileSync(path, 'utf8'); } catch { old = undefined; }
    if (old !== text) writeFileSync(path, text); // unchanged files keep their times (asc, tsc, vitest watch)
  }
  return m;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await generate();
