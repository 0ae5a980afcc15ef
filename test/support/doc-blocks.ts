// The code blocks of the Markdown documentation (README.md, docs/guides.md, docs/guides/*.md) as
// test/docs.test.ts runs them. The convention, which docs/guides.md states for writers:
//   - every ```ts, ```typescript, ```js or ```javascript block runs, on its own, against the built
//     package, unless its info string says `fragment` (```ts fragment): a piece of a larger program;
//   - `console.log(...); // text` must print `text` (whitespace aside), as in the API's @examples
//     (a console.log without a comment is not checked);
//   - `expression; // → value` must evaluate to `value`: a JS literal (numbers, strings, arrays,
//     objects, null, true, NaN, ...), a tensor being compared by its toArray(). A number matches to
//     the digits written: 0.5403 means within 0.00005, 8 means 8 to float32 precision;
//   - a ```ts block also type-checks under `strict` against the sources.
import ts from 'typescript';

export interface DocBlock {
  /** where the block starts, e.g. 'README.md:171' */
  where: string;
  lang: string;
  /** words after the language in the fence's info string */
  flags: string[];
  code: string;
}

const RUNNABLE = new Set(['ts', 'typescript', 'js', 'javascript']);

/** The fenced code blocks of a Markdown text (fences may be indented, e.g. inside a list item). */
export function codeBlocks(markdown: string, file: string): DocBlock[] {
  const blocks: DocBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)[ \t]*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, lang, info] = open as unknown as [string, string, string, string];
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !/^\s*```\s*$/.test(lines[i]!)) body.push(lines[i]!.startsWith(indent) ? lines[i]!.slice(indent.length) : lines[i]!);
    if (i === lines.length) throw new Error(`${file}:${start + 1}: a code fence that is never closed`);
    blocks.push({ where: `${file}:${start + 1}`, lang, flags: info.split(/\s+/).filter(Boolean), code: body.join('\n') });
  }
  return blocks;
}

/** Whether a block runs in the docs test (see the convention above). */
export const isRunnable = (b: DocBlock) => RUNNABLE.has(b.lang) && !b.flags.includes('fragment');

/** One checked line of a block: what `console.log` must print, or what an expression must evaluate to. */
export interface Check { where: string; kind: 'print' | 'value'; expected: string }

/** A block ready to run, with its checks (numbered from 0 as its `__check(k, ...)` calls). */
export interface Instrumented {
  /** JavaScript, ready to run as an ES module (its imports of 'gradtape' still to resolve) */
  code: string;
  checks: Check[];
}

/**
 * Rewrites each checked line, `expression; // → value` into `__check(k, 'value', expression);` and
 * `console.log(args); // text` into `__check(k, 'print', args);`, and compiles TypeScript to
 * JavaScript. A console.log without a comment is not checked.
 */
export function instrument(block: DocBlock): Instrumented {
  const checks: Check[] = [];
  const [file, firstLine] = block.where.split(':') as [string, string];
  const lines = block.code.split('\n').map((line, i) => {
    const where = `${file}:${Number(firstLine) + 1 + i}`;
    const arrow = /^(\s*)(.*?)\s*;?\s*\/\/\s*→\s*(.+)$/.exec(line);
    if (arrow) {
      const [, indent, expression, expected] = arrow as unknown as [string, string, string, string];
      if (expression.trim() === '') throw new Error(`${where}: a \`// →\` comment must follow an expression on its line`);
      checks.push({ where, kind: 'value', expected: expected.trim() });
      return `${indent}__check(${checks.length - 1}, 'value', ${expression});`;
    }
    const log = /^(.*)console\.log\((.*)\);\s*\/\/\s*(.+)$/.exec(line);
    if (log) {
      const [, before, args, expected] = log as unknown as [string, string, string, string];
      checks.push({ where, kind: 'print', expected: expected.trim() });
      return `${before}__check(${checks.length - 1}, 'print', ${args});`;
    }
    return line;
  });
  let code = lines.join('\n');
  if (block.lang === 'ts' || block.lang === 'typescript')
    code = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  return { code, checks };
}

/**
 * The runner module: imports block `file` with console.log silenced and `__check` defined, then
 * prints one JSON line `{ checks: [[k, result], ...], error? }`: for a print check the text
 * console.log would print, for a value check the value made plain (tensors become their
 * toArray(), typed arrays arrays, non-finite numbers and undefined tags).
 */
export const RUNNER = `
import { format } from 'node:util';
const checks = [];
const plain = (v) => {
  if (v && typeof v.toArray === 'function' && typeof v.dtype === 'string') return v.isDisposed ? { $disposed: 1 } : plain(v.toArray());
  if (ArrayBuffer.isView(v)) return plain(Array.from(v));
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'number' && !Number.isFinite(v)) return { $number: String(v) };
  if (v === undefined) return { $undefined: 1 };
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
};
globalThis.__check = (k, kind, ...args) => { checks.push([k, kind === 'print' ? format(...args) : plain(args[0])]); };
const log = console.log;
console.log = () => {};
let error;
try { await import(process.argv[2]); } catch (e) { error = String(e && e.stack || e); }
console.log = log;
console.log(JSON.stringify({ checks, error }));
`;

/** Undoes RUNNER's tags. */
export function unplain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unplain);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('$number' in o) return Number(o.$number);
    if ('$undefined' in o) return undefined;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unplain(x)]));
  }
  return v;
}

/** The numbers of a literal's text, in order, each with the tolerance its written digits give. */
function writtenNumbers(text: string): number[] {
  const withoutStrings = text.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, "''");
  const tolerances: number[] = [];
  for (const m of withoutStrings.matchAll(/(?<![\w$.])-?(?:(\d+)\.?(\d*)|\.(\d+))(?:[eE]([+-]?\d+))?(?![\w$])|\b(?:NaN|Infinity)\b/g)) {
    const decimals = m[0].includes('.') ? (m[2] ?? m[3] ?? '').length : undefined;
    tolerances.push(decimals === undefined ? 0 : 0.5 * 10 ** (Number(m[4] ?? 0) - decimals));
  }
  return tolerances;
}

/**
 * Compares a value with the literal `expectedText` (see the convention above); returns '' when they
 * match, else what differs.
 */
export function compareValue(actual: unknown, expectedText: string): string {
  let expected: unknown;
  try {
    expected = new Function(`return (${expectedText});`)();
  } catch {
    return `\`${expectedText}\` is not a JS literal`;
  }
  const tolerances = writtenNumbers(expectedText);
  let n = 0;
  const walk = (a: unknown, e: unknown, path: string): string => {
    if (typeof e === 'number') {
      const tol = Math.max(tolerances[n++] ?? 0, 1e-6 * Math.abs(e), 1e-7);
      if (typeof a !== 'number') return `${path}: expected ${e}, got ${JSON.stringify(a)}`;
      if (Number.isNaN(e) ? !Number.isNaN(a) : !(a === e || Math.abs(a - e) <= tol)) return `${path}: expected ${e} (±${tol.toPrecision(2)}), got ${a}`;
      return '';
    }
    if (Array.isArray(e)) {
      if (!Array.isArray(a) || a.length !== e.length) return `${path}: expected an array of ${e.length}, got ${JSON.stringify(a)}`;
      for (let i = 0; i < e.length; i++) { const d = walk(a[i], e[i], `${path}[${i}]`); if (d) return d; }
      return '';
    }
    if (e !== null && typeof e === 'object') {
      if (a === null || typeof a !== 'object' || Array.isArray(a)) return `${path}: expected an object, got ${JSON.stringify(a)}`;
      const ek = Object.keys(e), ak = Object.keys(a);
      if (ek.join() !== ak.join()) return `${path}: expected keys ${ek.join(', ')}, got ${ak.join(', ')}`;
      for (const k of ek) { const d = walk((a as Record<string, unknown>)[k], (e as Record<string, unknown>)[k], `${path}.${k}`); if (d) return d; }
      return '';
    }
    return Object.is(a, e) ? '' : `${path}: expected ${JSON.stringify(e)}, got ${JSON.stringify(a)}`;
  };
  return walk(actual, expected, 'value');
}

/**
 * The type errors of the TypeScript blocks among `blocks`, each block compiled as a module under
 * `strict` against the sources (`gradtape` is src/index.ts, `gradtape/layers` src/layers/index.ts, `gradtape/metrics` src/metrics/index.ts),
 * as `file:line: message`. Blocks are compiled as written: the `// →` lines are plain expressions.
 */
export function typeErrors(blocks: DocBlock[], root: string): string[] {
  const typed = blocks.filter(b => b.lang === 'ts' || b.lang === 'typescript');
  const names = typed.map((_, i) => `${root}/.doc-blocks/block-${i}.ts`);
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true, noEmit: true, types: [], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.esnext.disposable.d.ts'],
    paths: { 'gradtape': [`${root}/src/index.ts`], 'gradtape/layers': [`${root}/src/layers/index.ts`], 'gradtape/metrics': [`${root}/src/metrics/index.ts`] },
  };
  const host = ts.createCompilerHost(options);
  const text = new Map(names.map((n, i) => [n, `${typed[i]!.code}\nexport {};\n`]));
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = f => text.has(f) || fileExists.call(host, f);
  host.readFile = f => text.get(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, v, ...rest) => text.has(f) ? ts.createSourceFile(f, text.get(f)!, v) : getSourceFile.call(host, f, v, ...rest);
  const program = ts.createProgram([...names, `${root}/src/globals.d.ts`], options, host);
  return ts.getPreEmitDiagnostics(program).filter(d => d.file && text.has(d.file.fileName)).map(d => {
    const block = typed[names.indexOf(d.file!.fileName)]!;
    const [file, first] = block.where.split(':') as [string, string];
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
    return `${file}:${Number(first) + 1 + line}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}
