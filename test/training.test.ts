// The training examples (which import the built package, dist/, and gradtape/layers) reach their accuracy with the fixed
// seeds, their loss falls, and they free everything they allocate; plus a train → save → load check
// on the library itself.
import { describe, it, expect } from 'vitest';
import {
  variable, tensor, zeros, randomNormal, matmul, add, mean, softmaxCrossEntropy, oneHot, adam,
  saveSafetensors, loadSafetensors, memory, tidy, dispose, Tensor,
} from '../src/index.js';

interface Metrics { initialLoss: number; finalLoss: number; accuracy: number; testAccuracy?: number; epochs: number }
type Example = { main(options?: { log?: (...a: unknown[]) => void }): Promise<Metrics> };
const load = (name: string) => import(`../examples/${name}.mjs`) as Promise<Example>;
const quiet = () => {};

describe('training examples (dist build)', () => {
  for (const name of ['iris-logistic', 'iris-mlp', 'cnn-bars', 'custom-training']) {
    it(`${name} reaches >= 95% training accuracy, its loss falls, and nothing leaks`, async () => {
      const example = await load(name);
      const dist = await import('gradtape');
      const before = dist.memory().tensors;
      const m = await example.main({ log: quiet });
      expect(m.accuracy).toBeGreaterThanOrEqual(0.95);
      expect(m.finalLoss).toBeLessThan(m.initialLoss);
      expect(m.finalLoss).toBeLessThan(0.5 * m.initialLoss);
      if (m.testAccuracy !== undefined) expect(m.testAccuracy).toBeGreaterThanOrEqual(0.95);
      expect(dist.memory().tensors).toBe(before);
    }, 120_000);
  }

  it("custom-training classifies the walkthrough's three unlabeled flowers as TF's tutorial does", async () => {
    const m = await (await load('custom-training')).main({ log: quiet }) as Metrics & { predictions: string[] };
    expect(m.predictions).toEqual(['setosa', 'versicolor', 'virginica']);
  }, 120_000);

  it('the seeds make the runs reproducible', async () => {
    const example = await load('iris-mlp');
    const a = await example.main({ log: quiet }), b = await example.main({ log: quiet });
    expect(b).toEqual(a);
  }, 120_000);
});

describe('train, save, load', () => {
  it('a model trained with minimize predicts the same after a safetensors round trip', () => {
    const start = memory().tensors;
    // three Gaussian blobs in 2-D
    const centers = [[0, 0], [3, 0], [0, 3]];
    const xs: number[][] = [], ys: number[] = [];
    const noise = randomNormal([90, 2], { stddev: 0.5, seed: 5 });
    const n = noise.data();
    noise.dispose();
    for (let i = 0; i < 90; i++) { const c = i % 3; xs.push([centers[c][0] + n[2 * i], centers[c][1] + n[2 * i + 1]]); ys.push(c); }
    const x = tensor(xs), labels = tensor(ys, undefined, 'int32'), y = oneHot(labels, 3);
    const { w, b } = tidy(() => ({ w: variable(randomNormal([2, 3], { stddev: 0.1, seed: 6 }), { name: 'w' }), b: variable(zeros([3]), { name: 'b' }) }));
    const opt = adam(0.1);
    const before = memory().tensors;
    const losses: number[] = [];
    for (let i = 0; i < 100; i++) losses.push(opt.minimize(() => mean(softmaxCrossEntropy(y, add(matmul(x, w), b)))));
    expect(memory().tensors).toBe(before + 5); // Adam's m and v for w and b, and its step count
    expect(losses[99]).toBeLessThan(0.2 * losses[0]);

    const bytes = saveSafetensors({ w, b }, { epochs: '100' });
    const loaded = loadSafetensors(bytes);
    const predict = (wt: Tensor, bt: Tensor) => tidy(() => add(matmul(x, wt), bt).data());
    expect(predict(loaded.w, loaded.b)).toEqual(predict(w, b));
    // and training resumes from the loaded weights: the first loss is the trained model's loss
    const w2 = variable(loaded.w), b2 = variable(loaded.b);
    const trained = tidy(() => mean(softmaxCrossEntropy(y, add(matmul(x, w), b))).item());
    const opt2 = adam(0.1);
    expect(opt2.minimize(() => mean(softmaxCrossEntropy(y, add(matmul(x, w2), b2))))).toBe(trained);
    expect(trained).toBeLessThan(losses[99]);
    opt2.dispose();
    opt.dispose();
    dispose([x, labels, y, w, b, loaded, w2, b2]);
    expect(memory().tensors).toBe(start);
  });
});
