// BatchNormalization and LayerNormalization: Keras 3's weights (names, shapes, order, trainability,
// initial values), values and gradients against float64 references, the moving-average update in
// training vs inference, and bad input.
import { describe, it, expect } from 'vitest';
import { tensor, tidy, memory, ones, Tensor, saveSafetensors, loadSafetensors } from '../src/index.js';
import { BatchNormalization, LayerNormalization, Sequential, Dense } from '../src/layers/index.js';
import { type ND, uniform } from './support/nd.js';
import { expectClose } from './support/gradcheck.js';
import { T, f32, gradCheck, setTo, throws } from './layers-support.js';

/** Per-feature mean and biased variance of x over every axis but `axis`, in float64. */
function stats(x: ND, axis: number): { mean: number[]; variance: number[] } {
  const n = x.shape[axis], inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const sums = new Array(n).fill(0), sq = new Array(n).fill(0), count = x.data.length / n;
  x.data.forEach((v, i) => { sums[Math.floor(i / inner) % n] += v; });
  const mean = sums.map(s => s / count);
  x.data.forEach((v, i) => { const f = Math.floor(i / inner) % n; sq[f] += (v - mean[f]) ** 2; });
  return { mean, variance: sq.map(s => s / count) };
}

/** gamma * (x - mean) / sqrt(variance + eps) + beta per feature along `axis`, float64. */
function refNormalize(x: ND, axis: number, mean: ArrayLike<number>, variance: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, eps: number): ND {
  const n = x.shape[axis], inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  return { shape: x.shape, data: x.data.map((v, i) => { const f = Math.floor(i / inner) % n; return gamma[f] * (v - mean[f]) / Math.sqrt(variance[f] + eps) + beta[f]; }) };
}

describe('BatchNormalization', () => {
  it("has Keras 3's weights: gamma, beta (trainable), movingMean, movingVariance (not), [features], initialized 1, 0, 0, 1", () => {
    const bn = new BatchNormalization({ name: 'bn' });
    expect([bn.axis, bn.momentum, bn.epsilon, bn.center, bn.scale]).toEqual([-1, 0.99, 0.001, true, true]);
    bn.build([2, 5, 5, 3]);
    expect(Object.keys(bn.weights())).toEqual(['gamma', 'beta', 'movingMean', 'movingVariance']);
    expect(bn.variables.map(v => [v.name, v.shape, v.trainable])).toEqual([
      ['bn/gamma', [3], true], ['bn/beta', [3], true], ['bn/moving_mean', [3], false], ['bn/moving_variance', [3], false],
    ]);
    expect(bn.variables.map(f32)).toEqual([[1, 1, 1], [0, 0, 0], [0, 0, 0], [1, 1, 1]]);
    expect(bn.trainableVariables).toEqual([bn.gamma, bn.beta]);
    expect(bn.countParams()).toBe(12);
    bn.dispose();
    const plain = new BatchNormalization({ center: false, scale: false, axis: 1 });
    plain.build([4, 6, 2]);
    expect(Object.keys(plain.weights())).toEqual(['movingMean', 'movingVariance']);
    expect(plain.movingMean!.shape).toEqual([6]);
    plain.dispose();
  });

  it("training normalizes by the batch's biased variance and moves the statistics by Keras 3's rule (hand-computed)", () => {
    const bn = new BatchNormalization({ momentum: 0.5, epsilon: 1e-3 });
    const x = tensor([[0], [4]]); // mean 2, biased variance 4 (unbiased would be 8)
    const y = bn.apply(x, { training: true });
    expectClose(f32(y), [-2 / Math.sqrt(4.001), 2 / Math.sqrt(4.001)], { rtol: 1e-6, atol: 1e-7 });
    // moving = moving * 0.5 + batch * 0.5: mean 0 -> 1, variance 1 -> 2.5 (4.5 if it were unbiased)
    expect(f32(bn.movingMean!)).toEqual([1]);
    expect(f32(bn.movingVariance!)).toEqual([2.5]);
    // inference uses the moving statistics and leaves them alone
    const z = bn.apply(x);
    expectClose(f32(z), [(0 - 1) / Math.sqrt(2.501), (4 - 1) / Math.sqrt(2.501)], { rtol: 1e-6, atol: 1e-7 });
    expect([f32(bn.movingMean!), f32(bn.movingVariance!)]).toEqual([[1], [2.5]]);
    [x, y, z].forEach(t => t.dispose());
    bn.dispose();
  });

  for (const [axis, shape] of [[-1, [6, 3]], [3, [2, 3, 2, 4]], [1, [2, 3, 2, 2]]] as const) {
    it(`axis ${axis} on shape [${shape}]: training and inference values, several steps of the moving averages (float64)`, () => {
      const bn = new BatchNormalization({ axis, momentum: 0.9, epsilon: 0.01 });
      bn.build(shape);
      const a = axis < 0 ? shape.length + axis : axis, n = shape[a];
      const gamma = uniform([n], 0.5, 1.5, 3), beta = uniform([n], -1, 1, 4);
      setTo(bn.gamma!, gamma);
      setTo(bn.beta!, beta);
      let mm = new Array(n).fill(0), mv = new Array(n).fill(1);
      for (let step = 0; step < 3; step++) {
        const x = uniform(shape, -2, 3, 10 + step), xt = T(x);
        const s = stats(x, a);
        const y = bn.apply(xt, { training: true });
        expectClose(f32(y), refNormalize(x, a, s.mean, s.variance, gamma.data, beta.data, 0.01).data, { rtol: 1e-4, atol: 1e-5 }, `step ${step}`);
        mm = mm.map((m, i) => m * 0.9 + s.mean[i] * 0.1);
        mv = mv.map((v, i) => v * 0.9 + s.variance[i] * 0.1);
        expectClose(f32(bn.movingMean!), mm, { rtol: 1e-5, atol: 1e-6 }, `moving mean ${step}`);
        expectClose(f32(bn.movingVariance!), mv, { rtol: 1e-5, atol: 1e-6 }, `moving variance ${step}`);
        const z = bn.apply(xt); // inference: the moving statistics
        expectClose(f32(z), refNormalize(x, a, mm, mv, gamma.data, beta.data, 0.01).data, { rtol: 1e-4, atol: 1e-5 }, `inference ${step}`);
        [xt, y, z].forEach(t => t.dispose());
      }
      bn.dispose();
    });
  }

  it('gradients w.r.t. input, gamma and beta in training (through the batch statistics) and in inference (float64 differences)', () => {
    for (const training of [true, false]) {
      const bn = new BatchNormalization({ axis: 1, epsilon: 0.05 });
      const shape = [3, 2, 2, 2];
      bn.build(shape);
      setTo(bn.gamma!, [0.7, 1.3]);
      setTo(bn.beta!, [0.2, -0.4]);
      setTo(bn.movingMean!, [0.1, -0.2]);
      setTo(bn.movingVariance!, [0.8, 1.5]);
      const mm = [0.1, -0.2], mv = [0.8, 1.5];
      gradCheck(bn, uniform(shape, -1, 2, 21), ([x, g, b]) => {
        const s = training ? stats(x, 1) : { mean: mm, variance: mv };
        return refNormalize(x, 1, s.mean, s.variance, g.data, b.data, 0.05);
      }, `BatchNormalization training ${training}`, { training });
      bn.dispose();
    }
  });

  it('Sequential passes training through; the update frees its temporaries (one new tensor per apply)', () => {
    const model = new Sequential([new Dense(4, { seed: 1 }), new BatchNormalization()]);
    const x = ones([5, 3]);
    tidy(() => model.apply(x, { training: true }));
    const before = memory().tensors;
    const y = model.apply(x, { training: true });
    expect(memory().tensors).toBe(before + 1);
    const bn = model.layers[1] as BatchNormalization;
    expect(f32(bn.movingMean!).some(v => v !== 0)).toBe(true); // ones in, so the batch mean is Dense's bias + kernel sums
    const moved = f32(bn.movingMean!);
    const z = model.apply(x);
    expect(f32(bn.movingMean!)).toEqual(moved);
    [x, y, z].forEach(t => t.dispose());
    model.dispose();
  });

  it('weights() includes the moving statistics: a safetensors round trip restores inference exactly', () => {
    const make = () => new Sequential([new Dense(3, { seed: 1 }), new BatchNormalization({ momentum: 0.5 })]);
    const a = make(), b = make();
    const x = T(uniform([4, 2], -1, 1, 40));
    for (let i = 0; i < 3; i++) tidy(() => a.apply(x, { training: true }));
    b.build([4, 2]);
    expect(Object.keys(a.weights())).toEqual(['0/kernel', '0/bias', '1/gamma', '1/beta', '1/movingMean', '1/movingVariance']);
    const saved = loadSafetensors(saveSafetensors(a.weights()));
    b.loadWeights(saved);
    const ya = a.apply(x), yb = b.apply(x);
    expect(f32(yb)).toEqual(f32(ya));
    [x, ya, yb, ...Object.values(saved)].forEach(t => t.dispose());
    a.dispose(); b.dispose();
    const x2 = ones([1, 2]), x3 = ones([1, 3]);
    throws(() => b.apply(x2), /^Sequential '.*' > Dense '.*': the layer is disposed$/);
    throws(() => (b.layers[1] as BatchNormalization).apply(x3), /^BatchNormalization '.*': the layer is disposed$/);
    x3.dispose();
    x2.dispose();
  });

  it('bad input: options, axis out of range, a later input that does not match the build', () => {
    throws(() => new BatchNormalization({ name: 'bn', momentum: 1.5 }), "BatchNormalization 'bn': momentum must be a number in [0, 1], got 1.5");
    throws(() => new BatchNormalization({ name: 'bn', epsilon: 0 }), "BatchNormalization 'bn': epsilon must be a number > 0, got 0");
    throws(() => new BatchNormalization({ name: 'bn', axis: 1.5 }), "BatchNormalization 'bn': axis must be an integer, got 1.5");
    throws(() => new BatchNormalization({ name: 'bn', center: 'yes' as unknown as boolean }), `BatchNormalization 'bn': center must be a boolean, got "yes"`);
    throws(() => new BatchNormalization({ name: 'bn', gammaInitializer: 'one' as 'ones' }), /^BatchNormalization 'bn': unknown gammaInitializer "one" \(expected one of 'glorotUniform'/);
    throws(() => new BatchNormalization({ name: 'bn', renorm: true } as object), /^BatchNormalization 'bn': unknown option "renorm" \(expected axis, momentum, epsilon/);
    const bn = new BatchNormalization({ name: 'bn', axis: 2 });
    const x2 = ones([2, 3]), x3 = ones([2, 3, 4]), x3b = ones([2, 3, 5]), x4 = ones([2, 3, 4, 1]), ints = tensor([[1, 2, 3]], undefined, 'int32');
    throws(() => bn.apply(x2), "BatchNormalization 'bn': axis 2 is out of range for an input of rank 2 (shape [2,3]): expected -2 to 1");
    throws(() => bn.apply(ints), "BatchNormalization 'bn': expected a float32 input, got a int32 tensor of shape [1,3] (cast it with cast(x, 'float32'))");
    expect(bn.variables).toEqual([]);
    tidy(() => bn.apply(x3));
    throws(() => bn.apply(x3b), "BatchNormalization 'bn': the input's shape [2,3,5] does not match the layer's build: rank 3 with 4 features on axis 2");
    throws(() => bn.apply(x4), "BatchNormalization 'bn': the input's shape [2,3,4,1] does not match the layer's build: rank 3 with 4 features on axis 2");
    [x2, x3, x3b, x4, ints].forEach(t => t.dispose());
    bn.dispose();
  });
});

describe('LayerNormalization', () => {
  it("has Keras 3's weights gamma, beta shaped like the normalized axes; defaults axis -1, epsilon 0.001", () => {
    const ln = new LayerNormalization({ name: 'ln' });
    expect([ln.axis, ln.epsilon, ln.center, ln.scale]).toEqual([-1, 0.001, true, true]);
    ln.build([2, 7, 5]);
    expect(ln.variables.map(v => [v.name, v.shape, v.trainable])).toEqual([['ln/gamma', [5], true], ['ln/beta', [5], true]]);
    expect(ln.variables.map(f32)).toEqual([[1, 1, 1, 1, 1], [0, 0, 0, 0, 0]]);
    ln.dispose();
    const two = new LayerNormalization({ axis: [2, 1], center: false });
    two.build([2, 3, 4, 5]);
    expect(Object.keys(two.weights())).toEqual(['gamma']);
    expect(two.gamma!.shape).toEqual([3, 4]);
    two.dispose();
  });

  /** LayerNormalization over `axes` (sorted) in float64, gamma/beta shaped like those axes. */
  const refLayerNorm = (x: ND, axes: number[], g: ND | undefined, b: ND | undefined, eps: number): ND => {
    const shape = x.shape, strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
    const groupOf = (i: number) => shape.map((d, k) => axes.includes(k) ? 0 : Math.floor(i / strides[k]) % d).join();
    const paramOf = (i: number) => axes.reduce((p, k) => p * shape[k] + Math.floor(i / strides[k]) % shape[k], 0);
    const groups = new Map<string, number[]>();
    x.data.forEach((_, i) => { const key = groupOf(i); if (!groups.has(key)) groups.set(key, []); groups.get(key)!.push(i); });
    const out = new Float64Array(x.data.length);
    for (const idx of groups.values()) {
      const m = idx.reduce((s, i) => s + x.data[i], 0) / idx.length;
      const v = idx.reduce((s, i) => s + (x.data[i] - m) ** 2, 0) / idx.length;
      for (const i of idx) out[i] = (x.data[i] - m) / Math.sqrt(v + eps) * (g ? g.data[paramOf(i)] : 1) + (b ? b.data[paramOf(i)] : 0);
    }
    return { shape, data: out };
  };

  for (const [axis, shape, opts] of [[-1, [3, 5], {}], [[1, 2], [2, 3, 2, 2], {}], [1, [2, 4, 3], { center: false }], [-2, [2, 3, 4], { scale: false }]] as const) {
    it(`axis ${JSON.stringify(axis)} ${JSON.stringify(opts)}: values and gradients w.r.t. input, gamma, beta (float64)`, () => {
      const ln = new LayerNormalization({ axis: axis as number, epsilon: 0.01, ...opts });
      ln.build(shape);
      ln.variables.forEach((v, i) => setTo(v, uniform(v.shape, 0.5, 1.5, 30 + i)));
      const axes = (Array.isArray(axis) ? axis : [axis]).map(a => a < 0 ? a + shape.length : a).sort();
      gradCheck(ln, uniform(shape, -2, 2, 31), ([x, ...params]) => {
        const g = ln.gamma ? params.shift() : undefined, b = ln.beta ? params.shift() : undefined;
        return refLayerNorm(x, axes, g, b, 0.01);
      }, `LayerNormalization ${JSON.stringify(axis)}`);
      ln.dispose();
    });
  }

  it('bad input: axis out of range, repeated, not an integer; an input that does not match the build', () => {
    throws(() => new LayerNormalization({ name: 'ln', axis: [] }), "LayerNormalization 'ln': axis must be an integer or a non-empty array of integers, got []");
    throws(() => new LayerNormalization({ name: 'ln', axis: '1' as unknown as number }), `LayerNormalization 'ln': axis must be an integer or a non-empty array of integers, got "1"`);
    const x = ones([2, 3]), y = ones([2, 4]);
    throws(() => new LayerNormalization({ name: 'ln', axis: 2 }).apply(x), "LayerNormalization 'ln': axis 2 is out of range for an input of rank 2 (shape [2,3]): expected -2 to 1");
    throws(() => new LayerNormalization({ name: 'ln', axis: [1, -1] }).apply(x), "LayerNormalization 'ln': axis [1,-1] names an axis twice for an input of rank 2");
    const ln = new LayerNormalization({ name: 'ln' });
    tidy(() => ln.apply(x));
    throws(() => ln.apply(y), "LayerNormalization 'ln': the input's shape [2,4] has [4] on axis -1 but the layer was built for [3]");
    [x, y].forEach((t: Tensor) => t.dispose());
    ln.dispose();
  });
});
