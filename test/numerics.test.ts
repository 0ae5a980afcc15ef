// Numerics as in TensorFlow: IEEE results at the edges, stable softmax/logSumExp/cross-entropy.
import { describe, it, expect } from 'vitest';
import { tensor, exp, log, div, pow, softmax, logSoftmax, logSumExp, sigmoidCrossEntropy, softmaxCrossEntropy, tape, sigmoid, sqrt, sum, mean, prod, matmul } from './api.js';

describe('numerics', () => {
  it('exp overflow is Infinity, log(0) is -Infinity, 0/0 is NaN', () => {
    expect(Array.from(exp(tensor([100, -200, 0])).data())).toEqual([Infinity, 0, 1]);
    expect(Array.from(log(tensor([0, 1])).data())).toEqual([-Infinity, 0]);
    const q = div(tensor([0, 1, -1]), tensor([0, 0, 0])).data();
    expect(Number.isNaN(q[0])).toBe(true);
    expect([q[1], q[2]]).toEqual([Infinity, -Infinity]);
  });

  it('sqrt has an infinite derivative at 0', () => {
    const x = tensor([0, 4]);
    const t = tape(t => { t.watch(x); return sum(sqrt(x)); });
    expect(Array.from(t.gradient(t.result, x)!.data())).toEqual([Infinity, 0.25]);
  });

  it('softmax, logSoftmax and logSumExp of large logits stay finite', () => {
    const big = tensor([[1000, 1001, 1002], [-1000, -1000, -1000]]);
    const s = Array.from(softmax(big).data());
    expect(s.every(Number.isFinite)).toBe(true);
    expect(s[2]).toBeCloseTo(Math.exp(2) / (1 + Math.E + Math.exp(2)), 6);
    expect(s[3]).toBeCloseTo(1 / 3, 6);
    const l = Array.from(logSoftmax(big).data());
    expect(l.every(Number.isFinite)).toBe(true);
    const lse = Array.from(logSumExp(big, -1).data());
    expect(lse[0]).toBeCloseTo(1002 + Math.log(1 + Math.exp(-1) + Math.exp(-2)), 3);
    expect(lse[1]).toBeCloseTo(-1000 + Math.log(3), 3);
    const x = tensor([1e4, -1e4]);
    const t = tape(t => { t.watch(x); return logSumExp(x); });
    expect(Array.from(t.gradient(t.result, x)!.data())).toEqual([1, 0]);
  });

  it('logSoftmax of large logits is accurate at its own scale: (x − max) − log(sum), as TF', () => {
    const l = Array.from(logSoftmax(tensor([[1000, 1000, -1000], [3e4, 3e4 - 1, 3e4 - 2]])).data());
    const want = [-Math.LN2, -Math.LN2, -2000 - Math.LN2, ...[0, -1, -2].map(d => d - Math.log(1 + Math.exp(-1) + Math.exp(-2)))];
    // within 2 float32 ulps of each result (x − (max + log sum) was off by 2.9e-5 on −ln 2: 490 ulps)
    l.forEach((v, i) => expect(Math.abs(v - want[i]!), `element ${i}: ${v}`).toBeLessThanOrEqual(2 * 2 ** (Math.floor(Math.log2(Math.abs(want[i]!))) - 23)));
  });

  it('sigmoidCrossEntropy with logits ±100 stays finite; its gradient is sigmoid(x) − label', () => {
    const logits = tensor([[100, -100, 0, 3]]);
    const labels = tensor([[0, 1, 1, 0.25]]);
    const t = tape(t => { t.watch(logits); return mean(sigmoidCrossEntropy(labels, logits)); });
    const loss = t.result.item() as number;
    expect(Number.isFinite(loss)).toBe(true);
    // per element: softplus(x) - x z; mean over the 4 logits
    const sp = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
    const want = (sp(100) + (sp(-100) + 100) + sp(0) + (sp(3) - 0.75)) / 4;
    expect(loss).toBeCloseTo(want, 3);
    const g = Array.from(t.gradient(t.result, logits)!.data());
    const sig = Array.from(sigmoid(logits).data());
    const z = [0, 1, 1, 0.25];
    g.forEach((gi, i) => expect(gi).toBeCloseTo((sig[i] - z[i]) / 4, 6));
  });

  it('softmaxCrossEntropy of huge logits is finite with gradient softmax − labels', () => {
    const logits = tensor([[500, 0, -500]]);
    const labels = tensor([[0, 1, 0]]);
    const t = tape(t => { t.watch(logits); return sum(softmaxCrossEntropy(labels, logits)); });
    expect(t.result.item()).toBeCloseTo(500, 2);
    const g = Array.from(t.gradient(t.result, logits)!.data());
    expect(g[0]).toBeCloseTo(1, 6);
    expect(g[1]).toBeCloseTo(-1, 6);
    expect(g[2]).toBeCloseTo(0, 6);
  });
});

describe('pow as C\'s powf (TF), f32x4 with float64 lanes inside (more in ulp.test.ts)', () => {
  /** C99's pow where it differs from JS's Math.pow: pow(1, y) = 1 and pow(−1, ±Inf) = 1. */
  const powC = (a: number, b: number) => (a === 1 || (a === -1 && Math.abs(b) === Infinity) ? 1 : Math.pow(a, b));
  const ulp = (r: number) => (r === 0 ? 2 ** -149 : Math.max(2 ** -149, 2 ** (Math.floor(Math.log2(Math.abs(Math.fround(r)))) - 23)));

  it('IEEE/C99 special cases', () => {
    const cases: [number, number][] = [];
    for (const a of [0, -0, 1, -1, 2, -2, 0.5, -0.5, Infinity, -Infinity, NaN]) {
      for (const b of [0, -0, 1, -1, 2, 3, -2, -3, 0.5, -0.5, 2.5, -2.5, Infinity, -Infinity, NaN]) cases.push([a, b]);
    }
    const got = pow(tensor(cases.map(c => c[0])), tensor(cases.map(c => c[1]))).data();
    cases.forEach(([a, b], i) => expect(got[i], `pow(${a}, ${b})`).toBe(Math.fround(powC(a, b))));
  });

  it('within an ulp of float64 pow over a grid, for multiples of ½ (up to ±64) and other exponents', () => {
    const as: number[] = [], bs: number[] = [];
    const exponents = [2, 3, 4, 7, -1, -2, -3, 0.5, -0.5, 1.5, -1.5, 2.5, 63.5, 1 / 3, 64, -64, 65, 1.0001];
    for (const b of exponents) for (let i = 0; i < 400; i++) { as.push(Math.fround(-6 + 12 * (i + 0.5) / 400)); bs.push(Math.fround(b)); }
    const got = pow(tensor(as), tensor(bs)).data();
    as.forEach((a, i) => {
      const want = powC(a, bs[i]!);
      if (!Number.isFinite(want) || Math.abs(want) > 3.4e38 || Math.abs(want) < 1e-38) return expect(got[i], `pow(${a}, ${bs[i]})`).toBe(Math.fround(want));
      expect(Math.abs(got[i]! - want) / ulp(want), `pow(${a}, ${bs[i]}) = ${got[i]}, want ${want}`).toBeLessThanOrEqual(1);
    });
  });
});

describe('prod with zeros (as TF)', () => {
  it('the gradient is the product of the others, also at and beside zeros', () => {
    const x = tensor([[2, 3, 4], [0, 5, 6], [0, 7, 0]]);
    const t = tape(t => { t.watch(x); return sum(prod(x, 1)); });
    expect(t.gradient(t.result, x)!.toArray()).toEqual([[12, 8, 6], [30, 0, 0], [0, 0, 0]]);
  });
});

describe('matmul kernel paths', () => {
  // sizes around the kernel's blocking: 4-row groups, 8-column panels, 4-deep transposes of packed
  // operands, 64-row blocks of A; every transpose combination against a float64 reference
  const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 2);
  const reference = (a: Float32Array, b: Float32Array, m: number, k: number, n: number, ta: boolean, tb: boolean) => {
    const out = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ta ? p * m + i : i * k + p] * b[tb ? j * k + p : p * n + j];
      out[i * n + j] = s;
    }
    return out;
  };
  // narrow and ragged widths (a 4-column tail panel, blocks of C that end mid-vector): every n % 8
  const ragged = [[2, 20, 20], [37, 36, 20], [5, 16, 36], [17, 20, 1], [36, 1, 20], [20, 37, 36], [7, 2, 2], [13, 9, 3],
    [6, 11, 4], [11, 7, 5], [9, 4, 6], [21, 1, 12], [16, 16, 16], [1, 37, 37], [33, 5, 13], [3, 28, 28], [12, 19, 15], [40, 37, 1]];
  for (const [m, k, n] of [[1, 1, 1], [3, 5, 7], [4, 4, 8], [9, 13, 17], [64, 8, 16], [65, 3, 9], [130, 67, 75], [200, 33, 130], ...ragged]) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      it(`[${m}×${k}]·[${k}×${n}] transposeA=${ta} transposeB=${tb}`, () => {
        const a = values(m * k, m + k), b = values(k * n, n + 2 * k);
        const got = matmul(tensor(a, ta ? [k, m] : [m, k]), tensor(b, tb ? [n, k] : [k, n]), ta, tb).data();
        const want = reference(a, b, m, k, n, ta, tb);
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
        expect(worst).toBeLessThan(1e-5 * k * 4); // float32 accumulation over k terms of size <= 4
      });
    }
  }
});
