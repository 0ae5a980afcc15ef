// TypeScript consumers: the shipped declarations type-check a correct program with 0 errors in the
// common project set-ups (targets es2020/es2022/esnext with their default lib; module nodenext, or
// esnext with bundler resolution; with and without @types/node; skipLibCheck false), `using` works
// where the project's lib has esnext.disposable, and a misuse is a type error.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, REPO_ROOT, run } from './helpers';
import { packAndInstall, releaseInstall, type Installed } from './pack';

const CONSUMER = `
import { tape, tensor, scalar, ones, sum, mul, square, add, sub, mean, matmul, sigmoid, relu, softmax,
  variable, sgd, type Tensor, type Variable } from 'gradtape';
import { Sequential, Dense, Dropout, Module } from 'gradtape/layers';

const x: Tensor = ones([2, 2]);
const t = tape((t) => {
  t.watch(x);
  const y = sum(x);
  const z = mul(y, y);
  return { y, z };
}, { persistent: true });
const dz = t.gradient(t.result.z, x);
const first: Float32Array | Int32Array | Uint8Array | undefined = dz?.data();
const asArray: unknown = dz?.toArray();
const slope: number | undefined = t.gradient(t.result.z, t.result.y)?.item();

const w = variable(scalar(0));
const b = variable(tensor([0]));
const xs = tensor([[1], [2]]);
const loss = () => mean(square(sub(add(matmul(xs, tensor([[1]])), mul(w, 1)), b)));
const opt = sgd(0.1);
const step = tape(() => loss());
const grads = step.gradient(step.result, [w, b]);
opt.applyGradients(grads, [w, b]);
opt.applyGradients([[grads[0], w], [grads[1], b]]);
const model = new Sequential([new Dense(3, { activation: 'relu', seed: 1 }), new Dropout(0.1), new Dense(1)], { name: 'm' });
const out: Tensor = model.apply(xs, { training: true });
const vars: Variable[] = model.trainableVariables; // the root's Variable: optimizers take them as they are
const fit = tape(() => mean(model.apply(xs)));
opt.applyGradients(fit.gradient(fit.result, vars), vars);
const saved: Record<string, Tensor> = model.weights();
model.loadWeights(saved);
const table: string = model.summary();
class Twice extends Module { inner = new Dense(2); }
const found: Variable[] = new Twice().variables;
const h = relu(sigmoid(softmax(tensor([[1, 2, 3]]))));
const shape: readonly number[] = h.shape;
console.log(first, asArray, slope, shape, x.mul(2).sum().item(), table, found);
`;

const USING = `
import { ones, tape, sum, type Tensor } from 'gradtape';
export function total(): number {
  using x = ones([2, 2]);
  using t = tape((t) => { t.watch(x); return sum(x); });
  const g: Tensor | null = t.gradient(t.result, x);
  return g ? g.sum().item() : 0;
}
`;

const MISUSES: Record<string, string> = {
  'misuse-tape.ts': `import { tape } from 'gradtape';\ntape(123);\n`,
  'misuse-tensor.ts': `import { tensor } from 'gradtape';\ntensor('abc');\n`,
  'misuse-layers.ts': `import { Dense } from 'gradtape/layers';\nnew Dense(3, { activation: 'rleu' });\n`,
};

interface Setup { target: string; module: 'nodenext' | 'bundler'; node: boolean; lib?: string[]; file: string }
const MATRIX: Setup[] = [];
for (const target of ['es2020', 'es2022', 'esnext'])
  for (const module of ['nodenext', 'bundler'] as const)
    for (const node of [false, true]) MATRIX.push({ target, module, node, file: 'consumer.ts' });
// `using`: the lib must have esnext.disposable (esnext's default lib has it)
for (const node of [false, true]) {
  MATRIX.push({ target: 'es2022', module: 'nodenext', node, lib: ['es2022', 'dom', 'esnext.disposable'], file: 'using.ts' });
  MATRIX.push({ target: 'esnext', module: 'bundler', node, file: 'using.ts' });
}
for (const file of Object.keys(MISUSES)) MATRIX.push({ target: 'es2022', module: 'nodenext', node: false, file });
const label = (s: Setup) => `${s.file}, target ${s.target}${s.lib ? ` lib ${s.lib.join('+')}` : ''}, ${s.module === 'nodenext' ? 'module nodenext' : 'module esnext + bundler'}, ${s.node ? 'with' : 'without'} @types/node`;

/** A tsconfig.json for one set-up, in its own directory under the consumer project. */
function writeSetup(project: string, s: Setup, i: number): string {
  const dir = join(project, `setup-${i}`);
  mkdirSync(dir, { recursive: true });
  const compilerOptions = {
    strict: true, noEmit: true, skipLibCheck: false, target: s.target,
    module: s.module === 'nodenext' ? 'nodenext' : 'esnext', moduleResolution: s.module,
    ...(s.lib ? { lib: s.lib } : {}),
    // @types/node from the repo (the temp project has none), or none at all (a browser project)
    ...(s.node ? { typeRoots: [join(REPO_ROOT, 'node_modules', '@types')], types: ['node'] } : { types: [] }),
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: [`../${s.file}`] }, null, 2));
  return join(dir, 'tsconfig.json');
}

describe('typescript declarations (tsc --strict, skipLibCheck false)', () => {
  let inst: Installed;
  /** tsc's output for each set-up, by its tsconfig path */
  const reports = new Map<string, string>();
  const configs: string[] = [];

  beforeAll(async () => {
    inst = await packAndInstall();
    writeFileSync(join(inst.project, 'consumer.ts'), CONSUMER);
    writeFileSync(join(inst.project, 'using.ts'), USING);
    for (const [f, src] of Object.entries(MISUSES)) writeFileSync(join(inst.project, f), src);
    MATRIX.forEach((s, i) => configs.push(writeSetup(inst.project, s, i)));
    // One `tsc --build` checks every set-up: one process, so TypeScript's own lib files are read
    // once (three times faster than a tsc per set-up). --verbose heads each project's diagnostics.
    const r = await run(bin('tsc'), ['--build', '--verbose', ...configs], { cwd: inst.project, timeoutMs: 600_000 });
    const parts = (r.stdout + r.stderr).split(/^.*Building project '(.+?)'\.\.\.$/m);
    for (let i = 1; i < parts.length; i += 2) reports.set(parts[i]!, parts[i + 1]!.replace(/^.*Project '.*$/gm, '').trim());
  }, 660_000);
  afterAll(releaseInstall);

  MATRIX.forEach((setup, i) => {
    const misuse = setup.file in MISUSES;
    it(`${misuse ? 'a type error' : '0 errors'}: ${label(setup)}`, () => {
      const report = reports.get(configs[i]!);
      expect(report, 'tsc built this set-up').toBeDefined();
      if (misuse) expect(report).toMatch(new RegExp(`^${setup.file.replace('.', '\\.')}\\(2,\\d+\\): error TS\\d+`, 'm'));
      else expect(report).toBe('');
    });
  });
});
