// What the table-driven op tests cannot express for the neural-net ops: random tensors (seeding,
// statistics, a golden check against an independent re-implementation of the generator), loss
// edge cases (huge logits, label errors), convolutions big enough to be chunked, the derivatives of
// the backprop kernels w.r.t. their upstream gradient, ties, zero sizes, validation and memory.
import { describe, it, expect } from 'vitest';
import {
  tape, tensor, tidy, memory, Tensor, ForwardAccumulator, randomNormal, randomUniform, conv2d, maxPool, avgPool,
  softmaxCrossEntropy, sparseSoftmaxCrossEntropy, sigmoidCrossEntropy, meanSquaredError, sigmoid, softmax, logSoftmax, sum, mul,
} from '../src/index.js';
import { core } from '../src/core.js';
import { C } from '../build/generated/interface.js';
import { referenceByName, refConvBackprop } from './support/reference.js';
import { type ND, uniform, mulberry32 } from './support/nd.js';
import { numericGrad, numericJvp, expectClose } from './support/gradcheck.js';

const f32 = (t: Tensor) => Array.from(t.data() as Float32Array);
const T = (nd: ND) => tensor(Float32Array.from(nd.data), nd.shape);
const allocated = () => core[C.allocatedBytes].value as number;

// ---- an independent JS re-implementation of assembly/ops/random.ts ----
function mix(v: number): number {
  let x = v >>> 0;
  x ^= x >>> 17; x = Math.imul(x, 0xed5ad4bb);
  x ^= x >>> 11; x = Math.imul(x, 0xac4c1b51);
  x ^= x >>> 15; x = Math.imul(x, 0x31848bab);
  x ^= x >>> 14;
  return x >>> 0;
}
function words(seed: number) {
  const lo = seed >>> 0, hi = Math.floor(seed / 2 ** 32) >>> 0;
  const key0 = mix((lo ^ mix(hi + 0x9e3779b9)) >>> 0), key1 = mix(key0 + 0x85ebca6b);
  return (i: number) => mix((mix(i + key0) ^ key1) >>> 0);
}
function jsUniform(n: number, seed: number, min = 0, max = 1): number[] {
  const w = words(seed);
  return Array.from({ length: n }, (_, i) => Math.fround(min + (max - min) * ((w(i) >>> 8) * 2 ** -24)));
}
function lnUnit(w: number): number {
  if (w === 0xffffffff) return 0;
  const v = w + 1;
  let k = 31 - Math.clz32(v);
  let m = v / ((1 << k) >>> 0);
  if (m > 1.4142135623730951) { m *= 0.5; k++; }
  const s = (m - 1) / (m + 1), s2 = s * s;
  const p = 1 + s2 * (0.3333333333333333 + s2 * (0.2 + s2 * (0.14285714285714285 + s2 * (0.1111111111111111 +
    s2 * (0.09090909090909091 + s2 * (0.07692307692307693 + s2 * (0.06666666666666667 + s2 * 0.058823529411764705)))))));
  return (k - 32) * 0.6931471805599453 + 2 * s * p;
}
function sinCosTurn(w: number): [number, number] {
  const q = w >>> 30, f = (w & 0x3fffffff) * 2 ** -30, low = f < 0.5;
  const x = (low ? f : 1 - f) * 1.5707963267948966, x2 = x * x;
  const s = x * (1 - x2 * (0.16666666666666666 - x2 * (0.008333333333333333 - x2 * (0.0001984126984126984 -
    x2 * (2.7557319223985893e-6 - x2 * (2.505210838544172e-8 - x2 * (1.6059043836821613e-10 - x2 * 7.647163731819816e-13)))))));
  const c = 1 - x2 * (0.5 - x2 * (0.041666666666666664 - x2 * (0.001388888888888889 - x2 * (2.48015873015873e-5 -
    x2 * (2.755731922398589e-7 - x2 * (2.08767569878681e-9 - x2 * 1.1470745597729725e-11))))));
  const sn = low ? s : c, cs = low ? c : s;
  return q === 0 ? [sn, cs] : q === 1 ? [cs, -sn] : q === 2 ? [-sn, -cs] : [-cs, sn];
}
function jsNormal(n: number, seed: number, mean = 0, stddev = 1): number[] {
  const w = words(seed), out: number[] = [];
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * lnUnit(w(i)));
    const [sin, cos] = sinCosTurn(w(i + 1));
    out.push(Math.fround(mean + stddev * (r * cos)));
    if (i + 1 < n) out.push(Math.fround(mean + stddev * (r * sin)));
  }
  return out;
}
const bits = (t: Tensor) => Array.from(new Uint32Array((t.data() as Float32Array).buffer), v => v.toString(16).padStart(8, '0'));

function stats(v: number[]) {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
  return { m, sd };
}

describe('random tensors', () => {
  it('a seed gives identical data; different seeds differ; no seed draws a fresh one', () => tidy(() => {
    expect(f32(randomNormal([50], { seed: 3 }))).toEqual(f32(randomNormal([50], { seed: 3 })));
    expect(f32(randomUniform([50], { seed: 3 }))).toEqual(f32(randomUniform([50], { seed: 3 })));
    expect(f32(randomNormal([50], { seed: 3 }))).not.toEqual(f32(randomNormal([50], { seed: 4 })));
    expect(f32(randomUniform([50], { seed: 3 }))).not.toEqual(f32(randomUniform([50], { seed: 4 })));
    expect(f32(randomNormal([50]))).not.toEqual(f32(randomNormal([50])));
    expect(f32(randomUniform([50]))).not.toEqual(f32(randomUniform([50])));
    // seeds beyond 32 bits and negative seeds are distinct seeds
    expect(f32(randomUniform([8], { seed: 1 }))).not.toEqual(f32(randomUniform([8], { seed: 1 + 2 ** 32 })));
    expect(f32(randomUniform([8], { seed: -1 }))).not.toEqual(f32(randomUniform([8], { seed: 2 ** 32 - 1 })));
  }));

  it('element i depends only on the seed and i (shapes and prefixes agree)', () => tidy(() => {
    const a = randomNormal([2, 3, 4], { seed: 9 });
    expect(a.shape).toEqual([2, 3, 4]);
    expect(f32(randomNormal([7], { seed: 9 }))).toEqual(f32(a).slice(0, 7));
    expect(f32(randomUniform([5], { seed: 9 }))).toEqual(f32(randomUniform([3, 4], { seed: 9 })).slice(0, 5));
    expect(randomNormal([], { seed: 1 }).shape).toEqual([]);
    expect(randomUniform([0, 3], { seed: 1 }).size).toBe(0);
  }));

  it('golden values of seed 42 equal an independent JS re-implementation of the integer generator', () => tidy(() => {
    // uniform: integer math and one float32 rounding, so bit-exact
    expect(f32(randomUniform([16], { seed: 42 }))).toEqual(jsUniform(16, 42));
    expect(f32(randomUniform([16], { seed: 42, min: -3, max: 5 }))).toEqual(jsUniform(16, 42, -3, 5));
    expect(f32(randomUniform([6], { seed: -7 }))).toEqual(jsUniform(6, -7));
    expect(f32(randomUniform([6], { seed: 2 ** 40 + 5 }))).toEqual(jsUniform(6, 2 ** 40 + 5));
    // normal: float64 arithmetic in the same order, with the core's own ln / sin / cos series: bit-exact too
    expect(f32(randomNormal([17], { seed: 42 }))).toEqual(jsNormal(17, 42));
    expect(f32(randomNormal([9], { seed: 42, mean: 1, stddev: 0.5 }))).toEqual(jsNormal(9, 42, 1, 0.5));
    expect(f32(randomNormal([2000], { seed: 5 }))).toEqual(jsNormal(2000, 5));
    // and pinned bit patterns, so any change of the generator is caught on every platform
    expect(bits(randomUniform([4], { seed: 42 }))).toEqual(GOLDEN_UNIFORM_42);
    expect(bits(randomNormal([4], { seed: 42 }))).toEqual(GOLDEN_NORMAL_42);
  }));

  it('the ln and sin/cos series of the Box-Muller step are accurate to float64 level', () => {
    for (const w of [0, 1, 2, 3, 1000, 0x7fffffff, 0x80000000, 0xb504f333, 0xb504f334, 0xfffffffe, 0xffffffff, 123456789, 3000000000]) {
      expect(Math.abs(lnUnit(w) - Math.log((w + 1) * 2 ** -32))).toBeLessThan(1e-14);
      const [s, c] = sinCosTurn(w), t = 2 * Math.PI * w * 2 ** -32;
      expect(Math.abs(s - Math.sin(t))).toBeLessThan(1e-15);
      expect(Math.abs(c - Math.cos(t))).toBeLessThan(1e-15);
    }
  });

  it('has the requested statistics (10,000 samples)', () => tidy(() => {
    const n = f32(randomNormal([10000], { mean: 2, stddev: 3, seed: 7 }));
    const s = stats(n);
    expect(Math.abs(s.m - 2)).toBeLessThan(0.12); // 4 standard errors (3 / 100)
    expect(Math.abs(s.sd - 3)).toBeLessThan(0.09);
    const within1 = n.filter(v => Math.abs(v - 2) < 3).length / n.length;
    expect(Math.abs(within1 - 0.6827)).toBeLessThan(0.02);
    const z = f32(randomNormal([10000], { seed: 8 }));
    expect(Math.abs(stats(z).m)).toBeLessThan(0.04);
    expect(Math.abs(stats(z).sd - 1)).toBeLessThan(0.03);
    const u = f32(randomUniform([10000], { min: -1, max: 3, seed: 7 }));
    const su = stats(u);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...u)).toBeLessThan(3);
    expect(Math.abs(su.m - 1)).toBeLessThan(0.05); // sd of the mean: 4/sqrt(12)/100 = 0.0115
    expect(Math.abs(su.sd - 4 / Math.sqrt(12))).toBeLessThan(0.03);
    // a histogram of 10 bins is flat (each ~1000, binomial sd ~30)
    const bins = new Array(10).fill(0);
    for (const v of u) bins[Math.floor((v + 1) / 4 * 10)]++;
    for (const b of bins) expect(Math.abs(b - 1000)).toBeLessThan(150);
  }));

  it('validates its arguments', () => {
    expect(() => randomNormal([2], { seed: 1.5 })).toThrow(/randomNormal: seed must be an integer/);
    expect(() => randomNormal([2], { stddev: -1 })).toThrow(/randomNormal: stddev must be >= 0/);
    expect(() => randomNormal([2], { mean: NaN })).toThrow(/randomNormal: mean must be a finite number/);
    expect(() => randomNormal([2], { stdev: 1 } as never)).toThrow(/randomNormal: unknown option "stdev"/);
    expect(() => randomUniform([2], { min: 2, max: 1 })).toThrow(/randomUniform: min must be <= max, got min=2, max=1/);
    expect(() => randomUniform([2, -1])).toThrow(/randomUniform: shape must contain non-negative integers/);
    expect(() => randomUniform([2], { dtype: 'int32' } as never)).toThrow(/randomUniform: only dtype 'float32'/);
  });
});

describe('losses', () => {
  it('sigmoidCrossEntropy is finite for logits of ±100 with gradient exactly sigmoid(x) - labels', () => tidy(() => {
    const x = tensor([[100], [-100], [100], [-100], [0.5]]);
    const z = tensor([[1], [0], [0], [1], [0.25]]);
    const t = tape(t => { t.watch(x); return sigmoidCrossEntropy(z, x); });
    expect(t.result.shape).toEqual([5]);
    expectClose(f32(t.result), [0, 0, 100, 100, Math.log1p(Math.exp(-0.5)) + 0.5 - 0.125], { rtol: 1e-6, atol: 1e-6 });
    const g = t.gradient(t.result, x)!;
    expect(f32(g)).toEqual(f32(sigmoid(x).sub(z)));
    expectClose(f32(g).slice(0, 4), [0, 0, 1, -1], { rtol: 0, atol: 1e-30 });
    // over a longer last axis the loss is the mean, so the gradient is (sigmoid(x) - z) / n
    const x2 = tensor([[100, -100, 3, -3]]), z2 = tensor([[0, 1, 1, 0]]);
    const t2 = tape(t => { t.watch(x2); return sigmoidCrossEntropy(z2, x2); });
    expectClose(f32(t2.result), [(100 + 100 + Math.log1p(Math.exp(-3)) * 2) / 4], { rtol: 1e-6 });
    expectClose(f32(t2.gradient(t2.result, x2)!), f32(sigmoid(x2).sub(z2).mul(0.25)), { rtol: 1e-6, atol: 1e-7 });
  }));

  it('softmaxCrossEntropy is finite for huge logits; gradients softmax - labels and -logSoftmax', () => tidy(() => {
    const x = tensor([[100, -100, 0], [-100, 100, 100]]);
    const z = tensor([[0.5, 0.5, 0], [0, 0, 1]]);
    const t = tape(t => { t.watch([x, z]); return softmaxCrossEntropy(z, x); }, { persistent: true });
    expectClose(f32(t.result), [100, Math.LN2], { rtol: 1e-6 });
    // logSoftmax's backward uses exp(x - lse) with lse = 100.69 rounded to float32: ~1e-6 off
    expectClose(f32(t.gradient(t.result, x)!), f32(softmax(x).sub(z)), { rtol: 1e-5, atol: 5e-6 });
    expectClose(f32(t.gradient(t.result, z)!), f32(logSoftmax(x).neg()), { rtol: 1e-6 });
    t.dispose();
  }));

  it('sparseSoftmaxCrossEntropy: labels get no gradient, logits softmax - oneHot', () => tidy(() => {
    const x = tensor([[1, 2, 3], [100, -100, 0]]);
    const labels = tensor([2, 1], [2], 'int32');
    const t = tape(t => { t.watch(x); return sparseSoftmaxCrossEntropy(labels, x); });
    const [gx, gl] = t.gradient(t.result, [x, labels]) as (Tensor | null)[];
    expect(gl).toBeNull();
    const sm = f32(softmax(x));
    expectClose(f32(gx!), sm.map((v, i) => v - (i === 2 || i === 4 ? 1 : 0)), { rtol: 1e-6, atol: 1e-7 });
    expectClose(f32(t.result), [-f32(logSoftmax(x))[2], 200], { rtol: 1e-6 });
    // plain arrays are accepted as labels
    expectClose(f32(sparseSoftmaxCrossEntropy([0, 0], x)), [-f32(logSoftmax(x))[0], 0], { rtol: 1e-6, atol: 1e-6 });
  }));

  it('sparseSoftmaxCrossEntropy rejects bad labels with a clear error and leaks nothing', () => {
    const logits = [[1, 2, 3], [4, 5, 6]];
    const before = memory().tensors;
    // plain arrays: every tensor the failed calls create is theirs to free
    expect(() => sparseSoftmaxCrossEntropy([0, 3], logits)).toThrow(/sparseSoftmaxCrossEntropy: label 3 at flat index 1 is out of range \[0, 3\) for logits of shape \[2, 3\]/);
    expect(() => sparseSoftmaxCrossEntropy([-1, 0], logits)).toThrow(/label -1 at flat index 0 is out of range/);
    expect(() => sparseSoftmaxCrossEntropy([0, 1, 2], logits)).toThrow(/labels of shape \[3\] must have the shape of logits \[2, 3\] without its last axis, i.e. \[2\]/);
    expect(() => sparseSoftmaxCrossEntropy(0, 1)).toThrow(/logits must have rank >= 1/);
    expect(() => conv2d([[[[1]]]], [[[[1, 2]]]], 1, 'full' as never)).toThrow(/conv2d: padding/);
    expect(() => maxPool([[[[1]]]], 0)).toThrow(/maxPool: size/);
    expect(memory().tensors).toBe(before);
    tidy(() => expect(() => sparseSoftmaxCrossEntropy(tensor([0, 1]), logits)).toThrow(/labels must be int32 class indices, got dtype float32/));
    expect(memory().tensors).toBe(before);
  });

  it('validates shapes and dtypes', () => tidy(() => {
    expect(() => softmaxCrossEntropy(tensor([[1, 0, 0]]), tensor([[1, 2]]))).toThrow(/softmaxCrossEntropy: labels of shape \[1, 3\] do not match logits of shape \[1, 2\]/);
    expect(() => softmaxCrossEntropy(1, 2)).toThrow(/softmaxCrossEntropy: logits must have rank >= 1/);
    expect(() => sigmoidCrossEntropy(tensor([[1, 0]]), tensor([1, 2]))).toThrow(/sigmoidCrossEntropy: labels of shape \[1, 2\] do not match logits of shape \[2\]/);
    expect(() => sigmoidCrossEntropy([1, 0], tensor([1, 2], [2], 'int32'))).toThrow(/sigmoidCrossEntropy: expected a float32 tensor, got dtype int32/);
    expect(() => meanSquaredError(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(/meanSquaredError: shapes \[3\] and \[2\] cannot be broadcast/);
    // int labels are cast to float
    expectClose(f32(meanSquaredError(tensor([[1, 2]], [1, 2], 'int32'), tensor([[2, 4]]))), [2.5]);
    expectClose(f32(sigmoidCrossEntropy(tensor([1], [1], 'int32'), tensor([0]))), [Math.LN2], { rtol: 1e-6 });
  }));
});


/**
 * The backprop kernels are linear in the upstream gradient u: d/du <v, (dL/dinputs)(u)> is the
 * forward-mode derivative of the op in direction v. Checks that through a second tape watching u.
 */
function checkSeedDerivative(name: string, inputs: ND[], args: unknown[], seed: number) {
  tidy(() => {
    const ref = referenceByName[name];
    const fn = { conv2d, maxPool, avgPool }[name] as (...a: unknown[]) => Tensor;
    const xs = inputs.map(T);
    const outShape = (ref(...inputs, ...args) as ND).shape;
    const u = T(uniform(outShape, -1, 1, seed));
    const v = inputs.map((x, k) => uniform(x.shape, -1, 1, seed + 1 + k));
    const outer = tape(o => {
      o.watch(u);
      const inner = tape(i => { i.watch(xs); return fn(...xs, ...args); });
      return inner.gradient(inner.result, xs, { outputGradients: u }) as Tensor[];
    });
    const du = outer.gradient(outer.result, u, { outputGradients: v.map(T) })!;
    const want = numericJvp(ys => ref(...ys, ...args) as ND, inputs, v);
    expect(du.shape).toEqual(outShape);
    expectClose(f32(du), want.data, { rtol: 2e-3, atol: 2e-4 }, `${name} d/d(upstream gradient)`);
  });
}

describe('conv2d and pooling', () => {
  it('matches TF on a hand-computed SAME convolution with an even kernel (padding after)', () => tidy(() => {
    const x = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]).reshape([1, 3, 3, 1]);
    const f = tensor([1, 1, 1, 1], [2, 2, 1, 1]);
    // pad_total = 1 per axis: 0 before, 1 after
    expect(conv2d(x, f, 1, 'same').reshape([3, 3]).toArray()).toEqual([[12, 16, 9], [24, 28, 15], [15, 17, 9]]);
    expect(x.conv2d(f, 2, 'same').reshape([2, 2]).toArray()).toEqual([[12, 9], [15, 9]]);
    expect(conv2d(x, f, 1, 'valid').reshape([2, 2]).toArray()).toEqual([[12, 16], [24, 28]]);
    expect(conv2d(x, f, [1, 2, 2, 1], 'SAME' as 'same').shape).toEqual([1, 2, 2, 1]);
    // avgPool SAME divides by the count of valid elements; maxPool strides default to the size
    expect(avgPool(x, 2, 1, 'same').reshape([3, 3]).toArray()).toEqual([[3, 4, 4.5], [6, 7, 7.5], [7.5, 8.5, 9]]);
    expect(x.maxPool(2).reshape([1]).toArray()).toEqual([5]);
    expect(x.avgPool(3, 1, 'same').reshape([3, 3]).toArray()[0][0]).toBe(3);
  }));

  // The kernels of assembly/ops/conv.ts take different paths by geometry: channel counts that are
  // multiples of 4 (taps gathered by 4×4 transposes) or 8 (the input gradient adds 8 channels of one
  // pixel at once) or neither, out-channels that do not fill the 8-wide blocks (the filter gradient
  // pads dy's columns), a last group of fewer than 4 output pixels or 4 taps, more output pixels
  // than one pass of the filter gradient (128), padding before and after, and the image read in
  // place (VALID) or through a zero-padded copy (SAME). Each is checked against float64.
  it('matches the float64 reference on every kernel path (channels, blocks, strides, padding), gradients included', () => tidy(() => {
    const cases: [number[], number[], number | [number, number], 'same' | 'valid'][] = [
      [[2, 28, 28, 1], [3, 3, 1, 16], 1, 'same'], // the bench's first layer: K = 9, one channel
      [[2, 28, 28, 16], [3, 3, 16, 32], 2, 'same'], // its second: padding after only, C and CO multiples of 8
      [[2, 30, 30, 8], [5, 5, 8, 4], 1, 'same'], // CO < 8
      [[2, 30, 30, 8], [5, 5, 8, 4], 2, 'valid'], // VALID leaves the last row and column of x unread
      [[1, 9, 11, 4], [3, 3, 4, 20], [2, 3], 'same'], // C = 4: an 8-tap block spans two pixels
      [[3, 7, 7, 12], [2, 2, 12, 9], 1, 'same'], // C = 12 (multiple of 4, not 8), CO = 9, even window
      [[1, 13, 5, 3], [4, 3, 3, 5], [3, 1], 'same'], // C = 3: K = 36 scalar gathers, M = 25 (not a multiple of 4)
      [[2, 17, 19, 2], [1, 1, 2, 3], 1, 'valid'], // pointwise, M = 646 (several filter passes, a partial one)
      [[1, 6, 6, 16], [6, 6, 16, 8], 1, 'valid'], // a single output pixel: K = 576
      [[2, 12, 12, 5], [3, 3, 5, 7], 3, 'same'], // stride 3, odd everything
    ];
    for (const [xs, fs, s, p] of cases) {
      const what = `x [${xs}] f [${fs}] s ${s} ${p}`;
      const x = uniform(xs, -1, 1, xs[1] * 7 + fs[3]), f = uniform(fs, -1, 1, fs[2] * 11 + fs[0]);
      const want = referenceByName.conv2d(x, f, s, p) as ND;
      const dy = uniform(want.shape, -1, 1, 103);
      const xt = T(x), ft = T(f);
      const t = tape(t => { t.watch([xt, ft]); return conv2d(xt, ft, s, p); });
      expect(t.result.shape, what).toEqual(want.shape);
      expectClose(f32(t.result), want.data, { rtol: 1e-4, atol: 1e-4 }, `forward ${what}`);
      const [dx, df] = t.gradient(t.result, [xt, ft], { outputGradients: T(dy) }) as Tensor[];
      const ref = refConvBackprop(x, f, dy, s, p);
      expectClose(f32(dx), ref.dx, { rtol: 1e-4, atol: 1e-4 }, `dx ${what}`);
      expectClose(f32(df), ref.df, { rtol: 1e-4, atol: 2e-3 }, `dfilter ${what}`);
    }
  }));

  it('a filter gradient alone (x is data, as in the bench) matches, with no gradient for x', () => tidy(() => {
    const x = uniform([2, 28, 28, 1], -1, 1, 5), f = uniform([3, 3, 1, 16], -1, 1, 6);
    const xt = T(x), ft = T(f);
    const t = tape(t => { t.watch(ft); return conv2d(xt, ft, 1, 'same'); });
    const dy = uniform(t.result.shape, -1, 1, 7);
    const [dx, df] = t.gradient(t.result, [xt, ft], { outputGradients: T(dy) }) as (Tensor | null)[];
    expect(dx).toBeNull();
    expectClose(f32(df!), refConvBackprop(x, f, dy, 1, 'same').df, { rtol: 1e-4, atol: 2e-3 }, 'dfilter');
  }));

  it('agrees with the float64 reference over 150 random geometries (forward and both gradients)', () => {
    const rng = mulberry32(77);
    const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
    for (let k = 0; k < 150; k++) tidy(() => {
      const shape = [int(1, 2), int(1, 8), int(1, 8), int(1, 3)], kh = int(1, 5), kw = int(1, 5), co = int(1, 3);
      const strides: [number, number] = [int(1, 4), int(1, 4)], padding = rng() < 0.5 ? 'same' as const : 'valid' as const;
      const what = `x [${shape}] k ${kh}x${kw} s [${strides}] ${padding}`;
      const x = uniform(shape, -1, 1, 1000 + k), f = uniform([kh, kw, shape[3], co], -1, 1, 2000 + k);
      const want = referenceByName.conv2d(x, f, strides, padding) as ND;
      const dy = uniform(want.shape, -1, 1, 3000 + k);
      const xt = T(x), ft = T(f);
      const t = tape(t => { t.watch([xt, ft]); return conv2d(xt, ft, strides, padding); });
      expect(t.result.shape, what).toEqual(want.shape);
      expectClose(f32(t.result), want.data, { rtol: 1e-5, atol: 1e-5 }, `conv2d ${what}`);
      if (want.data.length === 0) { t.dispose(); return; }
      const [dx, df] = t.gradient(t.result, [xt, ft], { outputGradients: T(dy) }) as Tensor[];
      const ref = refConvBackprop(x, f, dy, strides, padding);
      expectClose(f32(dx), ref.dx, { rtol: 1e-5, atol: 1e-5 }, `conv2d dx ${what}`);
      expectClose(f32(df), ref.df, { rtol: 1e-5, atol: 1e-5 }, `conv2d dfilter ${what}`);
      for (const name of ['maxPool', 'avgPool'] as const) {
        const xp = uniform(shape, -100, 100, 4000 + k);
        const size: [number, number] = [kh, kw];
        const pw = referenceByName[name](xp, size, strides, padding) as ND;
        const xpt = T(xp);
        const tp = tape(t => { t.watch(xpt); return (name === 'maxPool' ? maxPool : avgPool)(xpt, size, strides, padding); });
        expect(tp.result.shape, `${name} ${what}`).toEqual(pw.shape);
        expectClose(f32(tp.result), pw.data, { rtol: 1e-5, atol: 1e-5 }, `${name} ${what}`);
        if (pw.data.length === 0) { tp.dispose(); continue; }
        const u = uniform(pw.shape, -1, 1, 5000 + k);
        const g = tp.gradient(tp.result, xpt, { outputGradients: T(u) })!;
        const num = numericGrad(xs => referenceByName[name](xs[0], size, strides, padding) as ND, [xp], u)[0];
        expectClose(f32(g), num.data, { rtol: 1e-4, atol: 1e-5 }, `${name} gradient ${what}`);
      }
    });
  });

  it('the backprop kernels are differentiable w.r.t. the upstream gradient', () => {
    checkSeedDerivative('conv2d', [uniform([2, 5, 5, 3], -2, 2, 11), uniform([3, 3, 3, 4], -2, 2, 12)], [2, 'same'], 13);
    checkSeedDerivative('conv2d', [uniform([1, 6, 5, 2], -2, 2, 21), uniform([2, 3, 2, 3], -2, 2, 22)], [[1, 2], 'valid'], 23);
    checkSeedDerivative('conv2d', [uniform([1, 4, 4, 3], -2, 2, 24), uniform([1, 1, 3, 2], -2, 2, 25)], [1, 'same'], 26);
    checkSeedDerivative('maxPool', [uniform([2, 5, 5, 3], -100, 100, 31)], [3, 2, 'same'], 32);
    checkSeedDerivative('maxPool', [uniform([1, 5, 4, 2], -100, 100, 33)], [3, 1, 'same'], 34);
    checkSeedDerivative('avgPool', [uniform([2, 5, 5, 3], -2, 2, 41)], [3, 2, 'same'], 42);
    checkSeedDerivative('avgPool', [uniform([1, 6, 5, 2], -2, 2, 43)], [[2, 3], [1, 2], 'valid'], 44);
  });

  it('forward mode (ForwardAccumulator) gives the directional derivative', () => {
    const cases: [string, ND[], unknown[]][] = [
      ['conv2d', [uniform([2, 5, 4, 3], -2, 2, 61), uniform([3, 2, 3, 2], -2, 2, 62)], [[2, 1], 'same']],
      ['maxPool', [uniform([1, 5, 5, 2], -100, 100, 63)], [3, 2, 'same']],
      ['avgPool', [uniform([2, 4, 5, 2], -2, 2, 64)], [[2, 3], 1, 'same']],
    ];
    for (const [name, inputs, args] of cases) tidy(() => {
      const fn = { conv2d, maxPool, avgPool }[name] as (...a: unknown[]) => Tensor;
      const xs = inputs.map(T), v = inputs.map((x, k) => uniform(x.shape, -1, 1, 70 + k));
      const acc = new ForwardAccumulator(xs, v.map(T));
      const y = acc.record(() => fn(...xs, ...args));
      const want = numericJvp(ys => referenceByName[name](...ys, ...args) as ND, inputs, v);
      expectClose(f32(acc.jvp(y)!), want.data, { rtol: 2e-3, atol: 2e-4 }, `${name} jvp`);
      acc.dispose();
    });
  });

  it('third derivatives flow through the gradient kernels (conv2d(x, x²) is cubic)', () => tidy(() => {
    // y = sum(conv2d(x, w·x²)) with x a scalar broadcast: y = c·x³ for a constant c
    const x = tensor(0.7);
    const img = tensor([1, 2, -1, 0.5, 3, -2, 1, 1, 2], [1, 3, 3, 1]);
    const w = tensor([0.5, -1, 2, 1], [2, 2, 1, 1]);
    const f = (v: Tensor) => sum(conv2d(mul(img, v), mul(w, mul(v, v)), 1, 'same'));
    const c = (f(tensor(1)).item() as number);
    const t3 = tape(t3 => {
      t3.watch(x);
      const t2 = tape(t2 => {
        t2.watch(x);
        const t1 = tape(t1 => { t1.watch(x); return f(x); });
        return t1.gradient(t1.result, x)!;
      });
      return t2.gradient(t2.result, x)!;
    });
    expect(t3.result.item()).toBeCloseTo(6 * c * 0.7, 4);
    expect(t3.gradient(t3.result, x)!.item()).toBeCloseTo(6 * c, 4);
  }));

  it('maxPool sends a tie to the first maximum; maxPool twice-differentiated is zero w.r.t. x', () => tidy(() => {
    const x = tensor([3, 3, 1, 7, 3, 3, 7, 0], [1, 2, 4, 1]);
    const t = tape(t => { t.watch(x); return maxPool(x, 2, 2, 'valid'); });
    expect(f32(t.result)).toEqual([3, 7]);
    expect(f32(t.gradient(t.result, x)!)).toEqual([1, 0, 0, 1, 0, 0, 0, 0]);
    // overlapping windows that share a maximum accumulate into it
    const y = tensor([1, 9, 2, 3], [1, 1, 4, 1]);
    const t2 = tape(t => { t.watch(y); return maxPool(y, [1, 2], 1, 'valid'); });
    expect(f32(t2.gradient(t2.result, y)!)).toEqual([0, 2, 0, 1]);
    const outer = tape(o => {
      o.watch(x);
      const inner = tape(i => { i.watch(x); return maxPool(x, 2, 1, 'same'); });
      return inner.gradient(inner.result, x)!;
    });
    const h = outer.gradient(outer.result, x);
    expect(h && f32(h)).toEqual(new Array(8).fill(0));
  }));

  it('handles zero-size batches, channels and outputs', () => tidy(() => {
    const x0 = tensor(new Float32Array(0), [0, 4, 4, 2]);
    const f = tensor(new Float32Array(3 * 3 * 2 * 3).fill(1), [3, 3, 2, 3]);
    const t = tape(t => { t.watch([x0, f]); return conv2d(x0, f, 1, 'same'); });
    expect(t.result.shape).toEqual([0, 4, 4, 3]);
    const [gx, gf] = t.gradient(t.result, [x0, f]) as Tensor[];
    expect(gx.shape).toEqual([0, 4, 4, 2]);
    expect(f32(gf)).toEqual(new Array(54).fill(0));
    const xc = tensor(new Float32Array(0), [1, 3, 3, 0]);
    expect(f32(conv2d(xc, tensor(new Float32Array(0), [2, 2, 0, 2]), 1, 'same'))).toEqual(new Array(18).fill(0));
    expect(maxPool(xc, 2, 1, 'same').shape).toEqual([1, 3, 3, 0]);
    expect(avgPool(x0, 2, 2, 'valid').shape).toEqual([0, 2, 2, 2]);
    // a window larger than the input with VALID padding gives an empty output (as TF)
    expect(conv2d(tensor(new Float32Array(4), [1, 2, 2, 1]), tensor(new Float32Array(9), [3, 3, 1, 1])).shape).toEqual([1, 0, 0, 1]);
    expect(maxPool(tensor(new Float32Array(4), [1, 2, 2, 1]), 3).shape).toEqual([1, 0, 0, 1]);
  }));

  it('validates its arguments with errors naming the op and the values', () => tidy(() => {
    const x = tensor(new Float32Array(32), [1, 4, 4, 2]), f = tensor(new Float32Array(18), [3, 3, 2, 1]);
    expect(() => conv2d(x, tensor(new Float32Array(27), [3, 3, 3, 1]))).toThrow(/conv2d: x has 2 channels \(shape \[1, 4, 4, 2\]\) but the filter \[3, 3, 3, 1\] \(HWIO\) expects 3/);
    expect(() => conv2d(x, f, 1, 'full' as never)).toThrow(/conv2d: padding must be 'same' or 'valid', got "full"/);
    expect(() => conv2d(x, f, 0)).toThrow(/conv2d: strides must be a positive integer, \[h, w\] or \[1, h, w, 1\], got 0/);
    expect(() => conv2d(x, f, [1, 2, 3])).toThrow(/conv2d: strides must be .* got \[1, 2, 3\]/);
    expect(() => conv2d(x, f, 1.5)).toThrow(/conv2d: strides/);
    expect(() => conv2d(x, f, 40000)).toThrow(/conv2d: strides 40000 exceeds the supported maximum of 32767/);
    expect(() => conv2d(tensor(new Float32Array(16), [4, 4]), f)).toThrow(/conv2d: x must be \[batch, height, width, channels\] .* got shape \[4, 4\]/);
    expect(() => conv2d(x, tensor(new Float32Array(18), [3, 3, 2]))).toThrow(/conv2d: filter must have rank 4 .*HWIO.*got shape \[3, 3, 2\]/);
    expect(() => conv2d(tensor(new Int32Array(32), [1, 4, 4, 2]), f)).toThrow(/conv2d: expected a float32 tensor, got dtype int32/);
    expect(() => conv2d(x, tensor(new Float32Array(0), [0, 3, 2, 1]))).toThrow(/conv2d: filter height and width must be between 1 and 65535/);
    expect(() => conv2d(tensor(new Float32Array(70000), [1, 70000, 1, 1]), tensor([1], [1, 1, 1, 1]))).toThrow(/conv2d: x of shape \[1, 70000, 1, 1\] exceeds the supported maximum height and width of 65535/);
    expect(() => maxPool(x, 0)).toThrow(/maxPool: size must be a positive integer/);
    expect(() => avgPool(x, 2, [2, 0])).toThrow(/avgPool: strides must be a positive integer/);
    expect(() => avgPool(x, 2, 2, 'SAME ' as never)).toThrow(/avgPool: padding must be 'same' or 'valid', got "SAME "/);
    expect(() => maxPool(tensor([1, 2]), 2)).toThrow(/maxPool: x must be \[batch, height, width, channels\]/);
  }));

  it('frees every temporary tensor and scratch buffer', () => {
    const run = () => tidy(() => {
      const x = T(uniform([2, 9, 9, 3], -1, 1, 5)), f = T(uniform([3, 3, 3, 4], -1, 1, 6));
      const outer = tape(o => {
        o.watch([x, f]);
        const inner = tape(i => { i.watch([x, f]); return sum(maxPool(avgPool(conv2d(x, f, 2, 'same'), 2, 1, 'same'), 2, 1, 'valid')); });
        return inner.gradient(inner.result, [x, f]) as Tensor[];
      });
      outer.gradient(outer.result, [x, f]);
      conv2d(T(uniform([2, 30, 30, 8], -1, 1, 7)), T(uniform([5, 5, 8, 4], -1, 1, 8)), 1, 'same');
    });
    run(); // warm up the allocator's free lists
    const tensors = memory().tensors, bytes = allocated();
    run();
    expect(memory().tensors).toBe(tensors);
    expect(allocated()).toBe(bytes);
  });
});

// float32 bit patterns of the first values of seed 42 (0.99718863, 0.40415502, 0.027305126, 0.80206388 and
// -0.061837021, 0.042506061, 0.86228359, -2.5412257)
const GOLDEN_UNIFORM_42 = ['3f7f47c1', '3eceed68', '3cdfaf00', '3f4d540f'];
const GOLDEN_NORMAL_42 = ['bd7d48d1', '3d2e1ad6', '3f5cbe9e', 'c022a371'];
