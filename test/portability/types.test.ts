// TypeScript consumers: the shipped declarations type-check a correct program under
// --strict / nodenext, and reject a misuse.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, run } from './helpers';
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

const MISUSES: Record<string, string> = {
  'misuse-tape.ts': `import { tape } from 'gradtape';\ntape(123);\n`,
  'misuse-tensor.ts': `import { tensor } from 'gradtape';\ntensor('abc');\n`,
  'misuse-layers.ts': `import { Dense } from 'gradtape/layers';\nnew Dense(3, { activation: 'rleu' });\n`,
};

const TSC_FLAGS = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext'];

describe('typescript declarations', () => {
  let inst: Installed;
  beforeAll(async () => {
    inst = await packAndInstall();
    writeFileSync(join(inst.project, 'consumer.ts'), CONSUMER);
    for (const [f, src] of Object.entries(MISUSES)) writeFileSync(join(inst.project, f), src);
  }, 120_000);
  afterAll(releaseInstall);

  it('a correct consumer type-checks under --strict nodenext', async () => {
    const r = await run(bin('tsc'), [...TSC_FLAGS, 'consumer.ts'], { cwd: inst.project, timeoutMs: 90_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 120_000);

  for (const file of Object.keys(MISUSES)) {
    it(`${file} is a type error`, async () => {
      const r = await run(bin('tsc'), [...TSC_FLAGS, file], { cwd: inst.project, timeoutMs: 90_000 });
      expect(r.code).not.toBe(0);
      expect(r.stdout).toMatch(new RegExp(`${file.replace('.', '\\.')}\\(2,\\d+\\): error TS\\d+`));
    }, 120_000);
  }
});
