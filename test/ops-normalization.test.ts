// What the op table cannot express for moments, batchNormalization, l2Normalize, dropout,
// clipByNorm and clipByGlobalNorm: TF's second derivative of moments (stop_gradient), dropout's mask
// (pattern, scaling, gradient, seeding, statistics), behaviour at zero norms, structured results,
// methods and memory.
import { describe, it, expect } from 'vitest';
import {
  tape, tensor, tidy, memory, Tensor, randomUniform, moments, batchNormalization, l2Normalize, dropout, clipByNorm,
  clipByGlobalNorm, sum, square, greaterEqual,
} from '../src/index.js';

const f32 = (t: Tensor | null) => Array.from(t!.data() as Float32Array);
const grads = (xs: Tensor[], f: () => Tensor, dy?: Tensor) => {
  const t = tape(t => { t.watch(xs); return f(); });
  return t.gradient(t.result, xs, dy ? { outputGradients: dy } : undefined) as (Tensor | null)[];
};

describe('moments', () => {
  it('gives the mean and population variance, with TF shapes for keepDims', () => tidy(() => {
    const x = tensor([[1, 2, 3], [5, 6, 10]]);
    const a = moments(x, 1);
    expect(f32(a.mean)).toEqual([2, 7]);
    expect(f32(a.variance)[0]).toBeCloseTo(2 / 3, 6);
    expect(f32(a.variance)[1]).toBeCloseTo(14 / 3, 5);
    const b = moments(x, 0, true);
    expect(b.mean.shape).toEqual([1, 3]);
    expect(b.variance.shape).toEqual([1, 3]);
    expect(f32(b.variance)).toEqual([4, 4, 12.25]);
    const c = x.moments(); // all axes, as a method
    expect(c.mean.shape).toEqual([]);
    expect(c.mean.item()).toBeCloseTo(27 / 6, 5);
  }));

  it("has TF's second derivative: the variance's Hessian is 2/n (stop_gradient on the mean), the mean's is 0", () => tidy(() => {
    const x = tensor([0.5, -1, 2, 0.25]), v = tensor([1, -2, 0.5, 3]);
    const outer = tape(o => {
      o.watch(x);
      const inner = tape(i => { i.watch(x); return moments(x, 0).variance; });
      return inner.gradient(inner.result, x) as Tensor;
    });
    const first = outer.result;
    // first derivative: 2(x − mean)/n, the true one
    const m = (0.5 - 1 + 2 + 0.25) / 4;
    f32(first).forEach((g, i) => expect(g).toBeCloseTo(2 * ([0.5, -1, 2, 0.25][i] - m) / 4, 6));
    const hv = outer.gradient(first, x, { outputGradients: v }) as Tensor;
    expect(f32(hv)).toEqual(f32(v).map(e => Math.fround(e / 2))); // 2/n · v, n = 4 (the exact Hessian would subtract mean(v)/2)
  }));

  it('leaves only its two results behind', () => {
    const x = tensor([[1, 2], [3, 4]]), before = memory().tensors;
    const { mean, variance } = moments(x, [0, 1]);
    expect(memory().tensors).toBe(before + 2);
    mean.dispose(); variance.dispose(); x.dispose();
  });
});

describe('batchNormalization', () => {
  it("is TF's formula, with offset and scale optional (null or undefined)", () => tidy(() => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(f32(batchNormalization(x, [2, 3], [4, 1], [1, -1], [2, 0.5], 0))).toEqual([0, -1.5, 2, -0.5]);
    expect(f32(batchNormalization(x, [2, 3], [4, 1], null, [2, 0.5], 0))).toEqual([-1, -0.5, 1, 0.5]);
    f32(x.batchNormalization(2, 3)).forEach((v, i) => expect(v).toBeCloseTo((i - 1) / Math.sqrt(3.001), 6)); // ε = 1e-3 by default
  }));

  it('is differentiable w.r.t. every tensor argument', () => tidy(() => {
    const x = tensor([[1, 2], [3, 5]]), m = tensor([2, 3]), v = tensor([4, 1]), o = tensor([1, -1]), s = tensor([2, 0.5]);
    const g = grads([x, m, v, o, s], () => sum(batchNormalization(x, m, v, o, s, 0)));
    expect(f32(g[0])).toEqual([1, 0.5, 1, 0.5]); // scale / sqrt(variance)
    expect(f32(g[1])).toEqual([-2, -1]);
    expect(f32(g[2])).toEqual([-0.5 * 2 * (-1 + 1) / 8, -0.5 * 0.5 * (-1 + 2) / 1]); // −½ s (x − m) v^(−3/2), summed
    expect(f32(g[3])).toEqual([2, 2]);
    expect(f32(g[4])).toEqual([(-1 + 1) / 2, (-1 + 2) / 1]);
  }));
});

describe('l2Normalize', () => {
  it('divides by the norm, and by sqrt(epsilon) below it (zero stays zero, with a finite gradient)', () => tidy(() => {
    expect(f32(l2Normalize(tensor([[3, 4], [0, 0]]), 1))).toEqual([0.6, 0.8, 0, 0].map(Math.fround));
    expect(f32(l2Normalize([1e-7, 0], 0, 1e-12))).toEqual([Math.fround(1e-7 / Math.fround(1e-6)), 0]);
    const z = tensor([0, 0, 0]);
    expect(f32(grads([z], () => sum(l2Normalize(z)))[0])).toEqual([1e6, 1e6, 1e6].map(Math.fround));
  }));
});

describe('dropout', () => {
  const x = tensor(Array.from({ length: 200 }, (_, i) => (i % 7) - 3.25));
  it('keeps exactly the elements whose uniform sample is >= rate, scaled by 1/(1 − rate)', () => tidy(() => {
    const rate = 0.3, y = f32(dropout(x, rate, { seed: 42 })), u = f32(randomUniform([200], { seed: 42 }));
    const scale = Math.fround(1 / (1 - rate));
    y.forEach((v, i) => expect(v).toBe(u[i] >= Math.fround(rate) ? Math.fround(f32(x)[i] * scale) : 0));
    expect(y.filter(v => v === 0).length).toBeGreaterThan(30);
    expect(y.filter(v => v !== 0).length).toBeGreaterThan(100);
  }));

  it('sends the gradient through the same mask', () => tidy(() => {
    const dy = tensor(Array.from({ length: 200 }, (_, i) => 1 + i / 100));
    const [g] = grads([x], () => dropout(x, 0.6, { seed: 9 }), dy);
    const y = f32(dropout(x, 0.6, { seed: 9 })), gy = f32(g), d = f32(dy);
    y.forEach((v, i) => expect(gy[i]).toBe(v === 0 ? 0 : Math.fround(d[i] * Math.fround(1 / 0.4))));
  }));

  it('is reproducible with a seed, fresh without one', () => tidy(() => {
    expect(f32(dropout(x, 0.5, { seed: 3 }))).toEqual(f32(dropout(x, 0.5, { seed: 3 })));
    expect(f32(dropout(x, 0.5, { seed: 3 }))).not.toEqual(f32(dropout(x, 0.5, { seed: 4 })));
    expect(f32(dropout(x, 0.5))).not.toEqual(f32(dropout(x, 0.5)));
  }));

  it('keeps a fraction 1 − rate of the elements (within 4 standard deviations), and preserves the mean', () => tidy(() => {
    const n = 40000, ones = tensor(new Float32Array(n).fill(1));
    for (const rate of [0.1, 0.5, 0.85]) {
      const y = f32(dropout(ones, rate, { seed: 1000 + rate * 100 }));
      const kept = y.filter(v => v !== 0).length / n, sd = Math.sqrt(rate * (1 - rate) / n);
      expect(Math.abs(kept - (1 - rate))).toBeLessThan(4 * sd);
      expect(Math.abs(y.reduce((a, b) => a + b, 0) / n - 1)).toBeLessThan(4 * sd / (1 - rate));
    }
  }));

  it('noiseShape broadcasts one mask sample along axes of size 1', () => tidy(() => {
    const img = tensor(Array.from({ length: 2 * 3 * 4 }, (_, i) => i + 1), [2, 3, 4]);
    const y = dropout(img, 0.5, { seed: 5, noiseShape: [2, 1, 4] }).toArray() as number[][][];
    const keep = (greaterEqual(randomUniform([2, 1, 4], { seed: 5 }), 0.5).toArray() as boolean[][][]);
    for (let b = 0; b < 2; b++) for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++)
      expect(y[b][r][c]).toBe(keep[b][0][c] ? 2 * (b * 12 + r * 4 + c + 1) : 0);
  }));

  it("rate 0 is the identity (a new tensor); dropped NaNs become 0 (TF's where)", () => tidy(() => {
    const y = x.dropout(0);
    expect(y).not.toBe(x);
    expect(f32(y)).toEqual(f32(x));
    const withNaN = tensor([NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN]);
    const out = f32(dropout(withNaN, 0.5, { seed: 2 }));
    expect(out.some(v => v === 0) && out.some(v => Number.isNaN(v))).toBe(true);
  }));
});

describe('clipByNorm', () => {
  it('scales down only where the norm exceeds clipNorm, per slice of axes', () => tidy(() => {
    expect(f32(clipByNorm([3, 4], 10))).toEqual([3, 4]);
    expect(f32(clipByNorm([3, 4], 1))).toEqual([0.6, 0.8].map(Math.fround));
    expect(f32(tensor([[3, 4], [0.3, 0.4]]).clipByNorm(1, 1))).toEqual([0.6, 0.8, 0.3, 0.4].map(Math.fround));
  }));

  it('has a finite gradient (1) at x = 0', () => tidy(() => {
    const z = tensor([0, 0, 0]);
    expect(f32(clipByNorm(z, 1))).toEqual([0, 0, 0]);
    expect(f32(grads([z], () => sum(clipByNorm(z, 1)))[0])).toEqual([1, 1, 1]);
    // and the second derivative is finite too
    const outer = tape(o => { o.watch(z); const i = tape(i => { i.watch(z); return sum(square(clipByNorm(z, 1))); }); return i.gradient(i.result, z) as Tensor; });
    expect(f32(outer.gradient(outer.result, z) as Tensor).every(Number.isFinite)).toBe(true);
  }));
});

describe('clipByGlobalNorm', () => {
  it("returns TF's tuple: [clipped, globalNorm], null entries staying null", () => tidy(() => {
    const [clipped, norm] = clipByGlobalNorm([tensor([3]), null, tensor([[4]])], 1);
    expect(norm.item()).toBe(5);
    expect(clipped[1]).toBeNull();
    expect(f32(clipped[0])).toEqual([Math.fround(0.6)]);
    expect(clipped[2]!.shape).toEqual([1, 1]);
    expect(f32(clipped[2])).toEqual([Math.fround(0.8)]);
    const [same] = clipByGlobalNorm([[3], [4]], 10);
    expect(same.map(f32)).toEqual([[3], [4]]);
  }));

  it('a non-finite global norm makes every result NaN (as TF)', () => tidy(() => {
    const [[a, b], norm] = clipByGlobalNorm([[Infinity], [1, 2]], 1);
    expect(norm.item()).toBe(Infinity);
    expect([...f32(a), ...f32(b)].every(Number.isNaN)).toBe(true);
  }));

  it('leaves only its results behind', () => {
    const x = tensor([1, 2]), before = memory().tensors;
    const [[a, n1], norm] = clipByGlobalNorm([x, null], 1);
    expect(n1).toBeNull();
    expect(memory().tensors).toBe(before + 2);
    a!.dispose(); norm.dispose(); x.dispose();
  });
});
