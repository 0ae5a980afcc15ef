// The API reference (`npm run docs`, TypeDoc over src/index.ts and the subpaths): every root export has a doc
// comment, the main ones have an @example, and every example runs against the built package and
// prints what its `console.log(...); // expected` comments say. The guides (docs/guides/*.md) render
// beside it, and every runnable code block of them and of the README runs and is checked the same
// way (test/support/doc-blocks.ts has the convention).
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, lastJson, makeTempDir, removeTempDir, REPO_ROOT, requireBuild, run, runOk } from './portability/helpers';
import { codeBlocks, compareValue, instrument, isRunnable, RUNNER, typeErrors, unplain, type DocBlock } from './support/doc-blocks';

/** Root exports, and for classes the public members, that must show a runnable example. */
const NEED_EXAMPLES: Record<string, string[] | true> = {
  tape: true, grad: true, valueAndGrad: true, customGradient: true, tidy: true,
  GradientTape: ['constructor', 'result', 'persistent', 'record', 'watch', 'watchedVariables', 'stopRecording', 'reset', 'gradient', 'jacobian', 'batchJacobian', 'dispose'],
  ForwardAccumulator: ['constructor', 'record', 'jvp', 'dispose'],
  Optimizer: ['applyGradients', 'minimize', 'build', 'weights', 'loadWeights'],
  sgd: true, adam: true, rmsprop: true, adamw: true, adagrad: true, adamax: true, nadam: true,
  exponentialDecay: true, inverseTimeDecay: true, piecewiseConstantDecay: true, cosineDecay: true,
  saveSafetensors: true, loadSafetensors: true, loadSafetensorsMetadata: true,
  lbfgsMinimize: true, binaryCrossentropy: true, categoricalCrossentropy: true, sparseCategoricalCrossentropy: true,
  huber: true, meanAbsoluteError: true, klDivergence: true, logCosh: true, hinge: true,
};

/** The guides (docs/guides/*.md), as docs/guides.md titles them, in its order. */
const GUIDE_TITLES = ['Tape semantics', 'Modules and layers', 'Training', 'Performance', 'Size', 'How it works'];

/** The part of TypeDoc's JSON output the test reads. */
interface TypeDocComment { summary?: unknown[]; blockTags?: { tag: string }[] }
interface TypeDocReflection {
  name: string; comment?: TypeDocComment; children?: TypeDocReflection[]; signatures?: { comment?: TypeDocComment }[];
  type?: { declaration?: { signatures?: { comment?: TypeDocComment }[] } };
}

interface Documented { name: string; doc: string; examples: string[] }

/** Every export of an entry (src/index.ts, src/layers/index.ts) with its doc comment, and the public members of exported classes. */
function readExports(entry: string): { exports: Documented[]; members: Map<string, Documented[]> } {
  const program = ts.createProgram([join(REPO_ROOT, entry), join(REPO_ROOT, 'src/globals.d.ts')], {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, strict: true, noEmit: true,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.esnext.disposable.d.ts'], types: [],
  });
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(join(REPO_ROOT, entry))!;
  const describeSymbol = (name: string, symbol: ts.Symbol): Documented => {
    const doc = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
    const examples = symbol.getJsDocTags(checker).filter(t => t.name === 'example').map(t => ts.displayPartsToString(t.text));
    return { name, doc, examples };
  };
  const exports: Documented[] = [], members = new Map<string, Documented[]>();
  for (const exported of checker.getExportsOfModule(checker.getSymbolAtLocation(index)!)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    exports.push(describeSymbol(exported.name, symbol));
    const cls = symbol.declarations?.find(ts.isClassDeclaration);
    if (!cls) continue;
    const list: Documented[] = [];
    for (const m of cls.members) {
      const flags = ts.getCombinedModifierFlags(m);
      if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected) || !m.name && !ts.isConstructorDeclaration(m)) continue;
      const name = ts.isConstructorDeclaration(m) ? 'constructor' : m.name!.getText();
      if (name.startsWith('_') || name.startsWith('#') || ts.getJSDocTags(m).some(t => t.tagName.text === 'internal')) continue;
      const ms = ts.isConstructorDeclaration(m) ? undefined : checker.getSymbolAtLocation(m.name!);
      if (ms) list.push(describeSymbol(name, ms));
      else {
        // a constructor: its comment is on the declaration (the last of the overloads)
        const tags = ts.getJSDocTags(m);
        const doc = ts.getJSDocCommentsAndTags(m).map(c => (ts.isJSDoc(c) ? ts.getTextOfJSDocComment(c.comment) ?? '' : '')).join('').trim();
        list.push({ name, doc, examples: tags.filter(t => t.tagName.text === 'example').map(t => ts.getTextOfJSDocComment(t.comment) ?? '') });
      }
    }
    members.set(exported.name, list);
  }
  return { exports, members };
}

/** The code of an @example (its ```ts fence) and what its console.log calls must print, in order. */
function parseExample(text: string): { code: string; expected: string[] } {
  const fence = /```(?:ts|js|typescript|javascript)?\n([\s\S]*?)```/.exec(text);
  const code = (fence ? fence[1]! : text).trim();
  const expected: string[] = [];
  for (const line of code.split('\n')) {
    const m = /console\.log\(.*\);\s*\/\/\s*(.+)$/.exec(line);
    if (m) expected.push(m[1]!.trim());
  }
  return { code, expected };
}
const squash = (s: string) => s.replace(/\s+/g, '');

describe('API reference', () => {
  const { exports, members } = readExports('src/index.ts');
  const layers = readExports('src/layers/index.ts');
  const metrics = readExports('src/metrics/index.ts');

  it('reads the whole root API (so the checks below cover it)', () => {
    const names = exports.map(e => e.name);
    for (const n of ['tape', 'GradientTape', 'Tensor', 'add', 'conv2d', 'sgd', 'loadSafetensors', 'ForwardAccumulator', 'DType']) expect(names).toContain(n);
    expect(names.length).toBeGreaterThan(120);
  });

  it('every root export has a doc comment', () => {
    const missing = exports.filter(e => e.doc === '').map(e => e.name);
    expect(missing, `root exports without a doc comment: ${missing.join(', ')}`).toEqual([]);
  });

  it('every export of gradtape/layers has a doc comment', () => {
    expect(layers.exports.length).toBeGreaterThan(15);
    const missing = layers.exports.filter(e => e.doc === '').map(e => e.name);
    expect(missing, `gradtape/layers exports without a doc comment: ${missing.join(', ')}`).toEqual([]);
  });

  it('every export of gradtape/metrics has a doc comment and an example that asserts its output (types aside)', () => {
    expect(metrics.exports.map(e => e.name)).toEqual(expect.arrayContaining(['Mean', 'Sum', 'Accuracy', 'BinaryAccuracy', 'CategoricalAccuracy',
      'SparseCategoricalAccuracy', 'MeanSquaredError', 'MeanAbsoluteError']));
    const missing = metrics.exports.filter(e => e.doc === '').map(e => e.name);
    expect(missing, `gradtape/metrics exports without a doc comment: ${missing.join(', ')}`).toEqual([]);
    const noExample = metrics.exports.filter(e => metrics.members.has(e.name) && !e.examples.some(x => parseExample(x).expected.length > 0)).map(e => e.name);
    expect(noExample, `gradtape/metrics classes without an asserting @example: ${noExample.join(', ')}`).toEqual([]);
  });

  it('every public member of an exported class has a doc comment', () => {
    const missing = [...members, ...metrics.members].flatMap(([cls, list]) => list.filter(m => m.doc === '').map(m => `${cls}.${m.name}`));
    expect(missing, `members without a doc comment: ${missing.join(', ')}`).toEqual([]);
  });

  it('the main exports and members have an example that asserts its output', () => {
    const missing: string[] = [];
    for (const [name, need] of Object.entries(NEED_EXAMPLES)) {
      const e = exports.find(x => x.name === name);
      if (!e) { missing.push(`${name} (not exported)`); continue; }
      if (need === true) { if (!e.examples.some(x => parseExample(x).expected.length > 0)) missing.push(name); continue; }
      for (const member of need) {
        const m = members.get(name)?.find(x => x.name === member);
        if (!m || !m.examples.some(x => parseExample(x).expected.length > 0)) missing.push(`${name}.${member}`);
      }
    }
    expect(missing, `no @example with a \`console.log(...); // expected\` line: ${missing.join(', ')}`).toEqual([]);
  });

  it('`npm run docs` (TypeDoc, typedoc.json) builds the reference: every root export, with its comment and examples', async () => {
    const dir = makeTempDir('typedoc');
    try {
      // the repo's config, written elsewhere; warnings (a broken {@link}, say) are errors there
      const r = await run(bin('typedoc'), ['--out', join(dir, 'html'), '--json', join(dir, 'api.json')], { cwd: REPO_ROOT, timeoutMs: 170_000 });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(existsSync(join(dir, 'html', 'index.html'))).toBe(true);
      const modules = (JSON.parse(readFileSync(join(dir, 'api.json'), 'utf8')) as { children: TypeDocReflection[] }).children;
      expect(modules.map(m => m.name)).toEqual(['gradtape', 'gradtape/layers', 'gradtape/metrics']);
      const [root, layerModule, metricsModule] = modules as Required<TypeDocReflection>[];
      expect(root.children.map(c => c.name).sort()).toEqual(exports.map(e => e.name).sort());
      expect(layerModule.children.map(c => c.name).sort()).toEqual(layers.exports.map(e => e.name).sort());
      expect(metricsModule.children.map(c => c.name).sort()).toEqual(metrics.exports.map(e => e.name).sort());
      const comment = (c: TypeDocReflection) => c.comment ?? c.signatures?.[0]?.comment ?? c.type?.declaration?.signatures?.[0]?.comment;
      expect([...root.children, ...layerModule.children, ...metricsModule.children].filter(c => !comment(c)?.summary?.length).map(c => c.name)).toEqual([]);
      const examples = (name: string) => comment(root.children.find(c => c.name === name)!)?.blockTags?.filter(t => t.tag === '@example').length ?? 0;
      for (const name of ['tape', 'grad', 'tidy', 'saveSafetensors', 'GradientTape']) expect(examples(name), name).toBeGreaterThan(0);

      // the README is the front page, and the guides are documents beside the reference, under 'guides'
      const html = (file: string) => readFileSync(join(dir, 'html', file), 'utf8');
      expect(html('index.html')).toContain('id="quick-start"');
      const documents = (JSON.parse(readFileSync(join(dir, 'api.json'), 'utf8')) as { documents?: { name: string; children?: { name: string }[] }[] }).documents ?? [];
      expect(documents.map(d => d.name)).toEqual(['guides']);
      expect(documents[0]!.children?.map(c => c.name)).toEqual(GUIDE_TITLES);
      // every relative link of the front page and the guides leads to a page that exists
      const pages = ['index.html', 'documents/guides.html', ...GUIDE_TITLES.map(t => `documents/guides.${t.replace(/ /g, '_')}.html`)];
      const broken: string[] = [];
      for (const page of pages) {
        expect(existsSync(join(dir, 'html', page)), page).toBe(true);
        for (const [, href] of html(page).matchAll(/href="([^"#]+)(?:#[^"]*)?"/g))
          if (!/^[a-z]+:/.test(href!) && !existsSync(join(dir, 'html', page, '..', decodeURIComponent(href!)))) broken.push(`${page} -> ${href}`);
      }
      expect(broken).toEqual([]);
      for (const page of pages.slice(2)) expect(html('index.html'), `the README links to ${page}`).toContain(`href="${page.replace(/ /g, '_')}`);
    } finally {
      removeTempDir(dir);
    }
  }, 180_000);

  describe('every example runs against the built package and prints what it says', () => {
    let dir: string;
    /** per example: what its console.log calls printed, or the error it threw */
    let results: { printed: string[]; error?: string }[] = [];
    const all: { where: string; code: string; expected: string[] }[] = [];
    for (const e of exports) for (const x of e.examples) all.push({ where: e.name, ...parseExample(x) });
    for (const [cls, list] of members) for (const m of list) for (const x of m.examples) all.push({ where: `${cls}.${m.name}`, ...parseExample(x) });
    for (const e of metrics.exports) for (const x of e.examples) all.push({ where: `gradtape/metrics ${e.name}`, ...parseExample(x) });

    beforeAll(async () => {
      requireBuild();
      dir = makeTempDir('docs');
      // as a user runs them: plain Node, `gradtape` being the built package's entry
      // (dist/metrics.js imports the bare `gradtape`, which Node resolves to the same dist/gradtape.js)
      const pkg = pathToFileURL(join(REPO_ROOT, 'dist/gradtape.js')).href, metricsEntry = pathToFileURL(join(REPO_ROOT, 'dist/metrics.js')).href;
      all.forEach((example, i) => writeFileSync(join(dir, `example-${i}.mjs`),
        example.code.replace(/from 'gradtape'/g, `from '${pkg}'`).replace(/from 'gradtape\/metrics'/g, `from '${metricsEntry}'`)));
      writeFileSync(join(dir, 'run.mjs'), `
        import { format } from "node:util";
        const results = [];
        const log = console.log;
        for (let i = 0; i < ${all.length}; i++) {
          const printed = [];
          console.log = (...args) => printed.push(format(...args));
          try { await import('./example-' + i + '.mjs'); results.push({ printed }); }
          catch (e) { results.push({ printed, error: String(e && e.stack || e) }); }
        }
        console.log = log;
        console.log(JSON.stringify({ results }));
      `);
      results = lastJson((await runOk('node', ['run.mjs'], { cwd: dir, timeoutMs: 120_000 })).stdout).results;
    }, 180_000);
    afterAll(() => removeTempDir(dir));

    it('there are examples, and each imports gradtape', () => {
      expect(all.length).toBeGreaterThan(20);
      for (const example of all) expect(example.code, example.where).toMatch(/from 'gradtape(\/metrics)?'/);
    });

    all.forEach((example, i) => {
      it(`${example.where} (example ${i})`, () => {
        expect(results[i]!.error).toBeUndefined();
        expect(results[i]!.printed.map(squash)).toEqual(example.expected.map(squash));
      });
    });
  });
});

describe('the README and the guides: every runnable code block runs and gives what its comments say', () => {
  const guideFiles = readdirSync(join(REPO_ROOT, 'docs/guides')).filter(f => f.endsWith('.md')).sort().map(f => `docs/guides/${f}`);
  const files = ['README.md', 'docs/guides.md', ...guideFiles];
  const blocks: DocBlock[] = files.flatMap(f => codeBlocks(readFileSync(join(REPO_ROOT, f), 'utf8'), f));
  const runnable = blocks.filter(isRunnable);
  const instrumented = runnable.map(instrument);
  /** per runnable block: the result of each checked line each time it ran, or the error it threw */
  let results: { checks: [number, unknown][]; error?: string }[] = [];
  let dir: string;

  beforeAll(async () => {
    requireBuild();
    dir = makeTempDir('doc-blocks');
    // as a user runs them: each block alone in plain Node, `gradtape` being the built package
    const entry = (sub: string) => pathToFileURL(join(REPO_ROOT, 'dist', sub)).href;
    writeFileSync(join(dir, 'run.mjs'), RUNNER);
    instrumented.forEach((b, i) => writeFileSync(join(dir, `block-${i}.mjs`),
      b.code.replace(/from\s+(['"])gradtape(?:\/(layers|metrics))?\1/g, (_, q, sub) => `from ${q}${entry(sub ? `${sub}.js` : 'gradtape.js')}${q}`)));
    results = [];
    for (let i = 0; i < runnable.length; i++)
      results.push(lastJson((await runOk('node', ['run.mjs', `./block-${i}.mjs`], { cwd: dir, timeoutMs: 60_000 })).stdout));
  }, 600_000);
  afterAll(() => removeTempDir(dir));

  it('the guides are the six docs/guides.md lists, and typedoc.json renders docs/guides.md', () => {
    const index = readFileSync(join(REPO_ROOT, 'docs/guides.md'), 'utf8');
    const children = [...index.split('---')[1]!.matchAll(/^ {2}(.+): guides\/(.+\.md)$/gm)];
    expect(children.map(c => c[1])).toEqual(GUIDE_TITLES);
    expect(children.map(c => `docs/guides/${c[2]}`).sort()).toEqual(guideFiles);
    expect(JSON.parse(readFileSync(join(REPO_ROOT, 'typedoc.json'), 'utf8')).projectDocuments).toEqual(['docs/guides.md']);
  });

  it('there are runnable blocks in the README and in every guide with code', () => {
    expect(runnable.filter(b => b.where.startsWith('README.md')).length).toBeGreaterThanOrEqual(2);
    for (const f of ['tape-semantics', 'layers', 'training']) expect(runnable.some(b => b.where.startsWith(`docs/guides/${f}.md`)), f).toBe(true);
    expect(instrumented.reduce((n, b) => n + b.checks.length, 0)).toBeGreaterThan(80);
  });

  it('the TypeScript blocks type-check under strict against the sources, as a TypeScript user pastes them', () => {
    expect(runnable.filter(b => b.lang === 'ts').length).toBeGreaterThan(20);
    expect(typeErrors(runnable, REPO_ROOT.replace(/\/$/, ''))).toEqual([]);
    // and the check can fail
    expect(typeErrors([{ where: 'x.md:1', lang: 'ts', flags: [], code: "import { tape } from 'gradtape';\ntape(1);" }], REPO_ROOT.replace(/\/$/, ''))[0]).toMatch(/^x\.md:3: Argument of type 'number'/);
  }, 60_000);

  it('the checker itself: values match to the digits written, and anything else is reported', () => {
    expect(compareValue([[8, 8]], '[[8, 8]]')).toBe('');
    expect(compareValue(2.5403023, '2.5403')).toBe('');
    expect(compareValue(2.5404, '2.5403')).toMatch(/expected 2.5403/);
    expect(compareValue(8.0001, '8')).toMatch(/expected 8/);
    expect(compareValue(6.6000004, '6.6')).toBe('');
    expect(compareValue({ x: [1, null] }, '{ x: [1, null] }')).toBe('');
    expect(compareValue({ x: [1] }, '{ y: [1] }')).toMatch(/keys/);
    expect(compareValue([1, 2], '[1, 2, 3]')).toMatch(/array of 3/);
    expect(compareValue('0/kernel', "'0/kernel'")).toBe('');
    expect(compareValue(unplain({ $number: 'Infinity' }), 'Infinity')).toBe('');
    expect(compareValue(1, 'a tensor of ones')).toMatch(/not a JS literal/);
    const block: DocBlock = { where: 'x.md:1', lang: 'ts', flags: [], code: "const a: number = 1;\na + 1; // → 2\nconsole.log(a, 'b'); // 1 b\nconsole.log(a);" };
    const { code, checks } = instrument(block);
    expect(code).toContain("__check(0, 'value', a + 1);");
    expect(code).toContain("__check(1, 'print', a, 'b');");
    expect(code).toContain('console.log(a);');
    expect(code).not.toContain(': number');
    expect(checks).toEqual([{ where: 'x.md:3', kind: 'value', expected: '2' }, { where: 'x.md:4', kind: 'print', expected: '1 b' }]);
    expect(() => instrument({ ...block, code: '// → 2' })).toThrow(/must follow an expression/);
    expect(isRunnable({ ...block, flags: ['fragment'] })).toBe(false);
    expect(isRunnable({ ...block, lang: 'python' })).toBe(false);
  });

  runnable.forEach((block, i) => {
    it(block.where, () => {
      const r = results[i]!;
      expect(r.error).toBeUndefined();
      const problems = instrumented[i]!.checks.flatMap(({ where, kind, expected }, k) => {
        const seen = r.checks.filter(([j]) => j === k).map(([, v]) => v);
        if (seen.length === 0) return [`${where}: never ran`];
        return seen.map(v => kind === 'print'
          ? (squash(v as string) === squash(expected) ? '' : `printed ${JSON.stringify(v)}, expected ${JSON.stringify(expected)}`)
          : compareValue(unplain(v), expected)).filter(Boolean).map(d => `${where}: ${d}`);
      });
      expect(problems).toEqual([]);
    });
  });
});
