// Scans, sorting, indexing and categorical sampling (src/ops-scan.ts, ops-indexing.ts, ops-random.ts):
// the flags of cumsum and cumprod, cumprod's gradient where x has zeros (first and second order
// against finite differences), values and gradients against TensorFlow.js, roll and reverse on
// several axes, gatherNd with partial index depth, scatterNd's duplicates, topK's ties, int32 data,
// and randomCategorical's reproducibility and frequencies. Random points, shapes and second orders
// away from zeros: ops.test.ts (from the op table); bad input: bad-input.test.ts.
import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  tensor, tape, tidy, memory, cumsum, cumprod, reverse, roll, topK, gatherNd, scatterNd, unsortedSegmentSum, randomCategorical, type Tensor,
} from './api.js';
import { reference as R } from './support/reference.js';
import { randn, type ND } from './support/nd.js';
import { numericGrad, numericSecondOrder, expectClose } from './support/gradcheck.js';

const arr = (t: Tensor) => Array.from(t.data() as ArrayLike<number>);
const FLAGS = [[false, false], [true, false], [false, true], [true, true]] as const;

describe('cumsum and cumprod', () => {
  it('follow TF for every flag combination', () => tidy(() => {
    const x = [1, 2, 3, 4];
    const want: Record<string, [number[], number[]]> = {
      'false,false': [[1, 3, 6, 10], [1, 2, 6, 24]], 'true,false': [[0, 1, 3, 6], [1, 1, 2, 6]],
      'false,true': [[10, 9, 7, 4], [24, 24, 12, 4]], 'true,true': [[9, 7, 4, 0], [24, 12, 4, 1]],
    };
    for (const [e, r] of FLAGS) {
      expect(arr(cumsum(x, 0, e, r)), `cumsum ${e} ${r}`).toEqual(want[`${e},${r}`]![0]);
      expect(arr(cumprod(x, 0, e, r)), `cumprod ${e} ${r}`).toEqual(want[`${e},${r}`]![1]);
    }
    expect(cumsum([[1, 2], [3, 4]], 1).toArray()).toEqual([[1, 3], [3, 7]]);
    expect(cumsum([[1, 2], [3, 4]], -2).toArray()).toEqual([[1, 2], [4, 6]]);
    expect(tensor([[1, 2], [3, 4]]).cumprod(1, true).toArray()).toEqual([[1, 1], [1, 3]]);
  }));

  it('int32 in, int32 out (not differentiable), wrapping as TF', () => tidy(() => {
    const s = cumsum(tensor([1, 2, 3], [3], 'int32'));
    expect(s.dtype).toBe('int32');
    expect(arr(s)).toEqual([1, 3, 6]);
    expect(arr(cumprod(tensor([65536, 65536, 3], [3], 'int32')))).toEqual([65536, 0, 0]);
  }));

  it('match tf.cumsum / tf.cumprod in value and gradient', async () => {
    await tf.setBackend('cpu');
    const x = randn([3, 4, 5], 31), w = randn([3, 4, 5], 32);
    for (const axis of [0, 1, 2, -1]) for (const [e, r] of FLAGS) for (const prod of [false, true]) tidy(() => {
      const label = `${prod ? 'cumprod' : 'cumsum'}(axis ${axis}, exclusive ${e}, reverse ${r})`;
      const xs = tensor(Float32Array.from(x.data), x.shape), ws = tensor(Float32Array.from(w.data), w.shape);
      const t = tape(g => { g.watch(xs); return (prod ? cumprod : cumsum)(xs, axis, e, r); });
      const dx = t.gradient(t.result, xs, { outputGradients: ws }) as Tensor;
      const f = (v: tf.Tensor) => (prod ? tf.cumprod : tf.cumsum)(v, axis < 0 ? axis + 3 : axis, e, r); // (tfjs: no negative axes)
      const tx = tf.tensor(Array.from(x.data), x.shape), tw = tf.tensor(Array.from(w.data), w.shape);
      expectClose(f(tx).dataSync() as Float32Array, t.result.data() as Float32Array, { rtol: 1e-5, atol: 1e-5 }, label);
      // (tfjs has no cumprod gradient, and its cumsum gradient is right on the last axis only:
      // elsewhere it comes back transposed; finite differences check them all in ops.test.ts)
      if (!prod && (axis === 2 || axis === -1)) expectClose(tf.grad((v: tf.Tensor) => f(v).mul(tw).sum())(tx).dataSync() as Float32Array, dx.data() as Float32Array, { rtol: 1e-4, atol: 1e-4 }, label + ' gradient');
    });
  });

  // inputs with zeros: TF's formula (cumsum(y·dy, reverse flipped)/x) is NaN there
  const ZEROS: [string, number[], number[]][] = [
    ['one zero', [2, 4], [0.5, -1.2, 0, 1.5, 0.8, -0.7, 1.1, 0.9]],
    ['two zeros', [2, 4], [0.5, 0, -1.3, 0, 1.4, 0, 0.9, 1.2]],
    ['three zeros and a line without any', [3, 4], [0, 0.7, 0, 0, 1.3, -0.6, 0.8, 1.1, -1.2, 0, 0.5, 0]],
  ];
  for (const [name, shape, values] of ZEROS) {
    for (const axis of [0, 1]) for (const [e, r] of FLAGS) {
      const label = `${name}, axis ${axis}, exclusive ${e}, reverse ${r}`;
      const x: ND = { shape, data: Float64Array.from(values) };
      const f = (xs: ND[]) => R.cumprod(xs[0]!, axis, e, r);
      it(`cumprod gradient with ${label} (first and second order)`, () => tidy(() => {
        const w = randn(shape, 40 + axis), v = randn(shape, 50 + axis);
        const xt = tensor(Float32Array.from(values), shape);
        const outer = tape(o => {
          o.watch(xt);
          const inner = tape(i => { i.watch(xt); return cumprod(xt, axis, e, r); });
          return inner.gradient(inner.result, xt, { outputGradients: tensor(Float32Array.from(w.data), shape) }) as Tensor;
        });
        const g = outer.result;
        expectClose(g.data() as Float32Array, numericGrad(f, [x], w)[0]!.data, { rtol: 1e-4, atol: 1e-4 }, label + ' first order');
        const hv = outer.gradient(g, xt, { outputGradients: tensor(Float32Array.from(v.data), shape) }) as Tensor;
        expectClose(hv.data() as Float32Array, numericSecondOrder(f, [x], [v], w)[0]!.data, { rtol: 2e-3, atol: 2e-3 }, label + ' second order');
      }));
    }
  }
});

describe('reverse and roll', () => {
  const x = () => tensor(Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);
  it('match tf.reverse on one and several axes, and TF roll (hand values)', async () => {
    await tf.setBackend('cpu');
    const tx = tf.range(0, 24).reshape([2, 3, 4]);
    for (const axis of [0, 1, 2, -1, [0, 2], [1, 2], [0, 1, 2], []] as (number | number[])[]) tidy(() => {
      expect(reverse(x(), axis).toArray(), JSON.stringify(axis)).toEqual(tf.reverse(tx, axis).arraySync());
    });
    tidy(() => {
      expect(roll([1, 2, 3, 4, 5], 2, 0).toArray()).toEqual([4, 5, 1, 2, 3]);
      expect(roll([1, 2, 3, 4, 5], -7, 0).toArray()).toEqual([3, 4, 5, 1, 2]);
      expect(roll([[1, 2, 3], [4, 5, 6]], [1, -1], [0, 1]).toArray()).toEqual([[5, 6, 4], [2, 3, 1]]);
      expect(roll([[1, 2, 3], [4, 5, 6]], [1, 1], [1, 1]).toArray()).toEqual([[2, 3, 1], [5, 6, 4]]); // a repeated axis: shifts add up
      expect(x().roll(1, -1).toArray()).toEqual(tf.concat([tx.slice([0, 0, 3], [2, 3, 1]), tx.slice([0, 0, 0], [2, 3, 3])], 2).arraySync());
      expect(reverse(tensor([1, 2, 3], [3], 'int32'), 0).toArray()).toEqual([3, 2, 1]);
      expect(roll(tensor([true, false, false]), 1, 0).toArray()).toEqual([false, true, false]);
    });
  });

  it('gradients reverse and roll dy back (tf.reverse gradient)', async () => {
    await tf.setBackend('cpu');
    tidy(() => {
      const w = randn([2, 3, 4], 61), xs = tensor(Float32Array.from(randn([2, 3, 4], 62).data), [2, 3, 4]);
      const wt = tensor(Float32Array.from(w.data), w.shape);
      const t = tape(g => { g.watch(xs); return reverse(xs, [0, 2]); });
      const want = tf.grad((v: tf.Tensor) => tf.reverse(v, [0, 2]).mul(tf.tensor(Array.from(w.data), w.shape)).sum())(tf.tensor(Array.from(xs.data() as Float32Array), [2, 3, 4]));
      expectClose(want.dataSync() as Float32Array, t.gradient(t.result, xs, { outputGradients: wt })!.data() as Float32Array, {}, 'reverse');
      const t2 = tape(g => { g.watch(xs); return roll(xs, [2, -1], [1, 2]); });
      expect((t2.gradient(t2.result, xs, { outputGradients: wt }) as Tensor).toArray()).toEqual(roll(wt, [-2, 1], [1, 2]).toArray());
    });
  });
});

describe('gatherNd, scatterNd, unsortedSegmentSum', () => {
  it('gatherNd: full and partial index depth, as tf.gatherND, gradient scatters back', async () => {
    await tf.setBackend('cpu');
    const x = randn([3, 4, 2], 71);
    const cases: [number[], number[]][] = [
      [[0, 1, 1, 2, 0, 1, 2, 3, 1], [3, 3]], // full depth: elements
      [[2, 1, 0, 3], [2, 2]], // depth 2: rows of 2
      [[2, 0, 2], [3, 1]], // depth 1: slices [4, 2], a repeat
      [[1, 3, 0, 0, 2, 2, 1, 1], [2, 2, 2]], // batch of batches
    ];
    for (const [idx, shape] of cases) tidy(() => {
      const xs = tensor(Float32Array.from(x.data), x.shape), it = tensor(idx, shape, 'int32');
      const tx = tf.tensor(Array.from(x.data), x.shape), ti = tf.tensor(idx, shape, 'int32');
      const want = tf.gatherND(tx, ti);
      const t = tape(g => { g.watch(xs); return gatherNd(xs, it); });
      expect(t.result.shape).toEqual(want.shape);
      expectClose(want.dataSync() as Float32Array, t.result.data() as Float32Array, { rtol: 0, atol: 0 }, `gatherNd ${shape}`);
      const w = randn(want.shape, 72), wt = tensor(Float32Array.from(w.data), w.shape);
      const dx = t.gradient(t.result, xs, { outputGradients: wt }) as Tensor;
      // the gradient is scatterNd of w at the same tuples
      const K = shape[shape.length - 1]!;
      expectClose(tf.scatterND(ti, tf.tensor(Array.from(w.data), w.shape), x.shape.slice(0) as number[]).dataSync() as Float32Array, dx.data() as Float32Array, {}, `gatherNd ${shape} gradient (depth ${K})`);
    });
    tidy(() => expect(gatherNd(tensor([[1, 2], [3, 4]], [2, 2], 'int32'), [[1, 0], [0, 1]]).toArray()).toEqual([3, 2]));
  });

  it('scatterNd sums duplicates, as tf.scatterND; gradient gathers dy', async () => {
    await tf.setBackend('cpu');
    tidy(() => {
      const idx = [[4], [3], [1], [7], [1], [4], [4]], up = [9, 10, 11, 12, 13, 14, 15];
      const want = tf.scatterND(tf.tensor(idx, [7, 1], 'int32'), tf.tensor(up), [8]);
      expect(scatterNd(idx, up, [8]).toArray()).toEqual(want.arraySync());
      expect(scatterNd(idx, up, [8]).toArray()).toEqual([0, 24, 0, 10, 38, 0, 0, 12]);
      // slices, depth 2 of a rank-3 shape
      const u = randn([3, 2], 81), i2 = [[0, 1], [2, 0], [0, 1]];
      const ut = tensor(Float32Array.from(u.data), u.shape);
      const t = tape(g => { g.watch(ut); return scatterNd(i2, ut, [3, 2, 2]); });
      expectClose(tf.scatterND(tf.tensor(i2, [3, 2], 'int32'), tf.tensor(Array.from(u.data), u.shape), [3, 2, 2]).dataSync() as Float32Array, t.result.data() as Float32Array, {}, 'scatterNd slices');
      const w = randn([3, 2, 2], 82), wt = tensor(Float32Array.from(w.data), w.shape);
      expect((t.gradient(t.result, ut, { outputGradients: wt }) as Tensor).toArray()).toEqual(gatherNd(wt, i2).toArray());
      // int32 updates: an int32 result
      const si = scatterNd([[1], [1], [0]], tensor([5, 7, 2], [3], 'int32'), [3]);
      expect(si.dtype).toBe('int32');
      expect(si.toArray()).toEqual([2, 12, 0]);
    });
  });

  it('unsortedSegmentSum: negative ids drop, as tf.unsortedSegmentSum in value and gradient', async () => {
    await tf.setBackend('cpu');
    tidy(() => {
      const d = randn([6, 3], 91), ids = [2, 0, -1, 2, 4, 0];
      const dt = tensor(Float32Array.from(d.data), d.shape);
      const tdt = tf.tensor(Array.from(d.data), d.shape), tids = tf.tensor1d(ids, 'int32');
      const t = tape(g => { g.watch(dt); return unsortedSegmentSum(dt, ids, 5); });
      // (tfjs keeps negative ids' rows out too)
      expectClose(tf.unsortedSegmentSum(tdt, tids, 5).dataSync() as Float32Array, t.result.data() as Float32Array, {}, 'unsortedSegmentSum');
      expect(t.result.shape).toEqual([5, 3]);
      const w = randn([5, 3], 92), wt = tensor(Float32Array.from(w.data), w.shape);
      const want = tf.grad((v: tf.Tensor) => tf.unsortedSegmentSum(v, tids, 5).mul(tf.tensor(Array.from(w.data), w.shape)).sum())(tdt);
      expectClose(want.dataSync() as Float32Array, (t.gradient(t.result, dt, { outputGradients: wt }) as Tensor).data() as Float32Array, {}, 'unsortedSegmentSum gradient');
      // ids of rank 2, int32 data
      const s = unsortedSegmentSum(tensor([[1, 2], [3, 4]], [2, 2], 'int32'), [[1, 1], [0, -1]], 3);
      expect(s.dtype).toBe('int32');
      expect(s.toArray()).toEqual([3, 3, 0]);
      expect(tensor([1, 2, 3, 4]).unsortedSegmentSum([0, 0, 1, 0], 2).toArray()).toEqual([7, 3]);
    });
  });
});

describe('topK', () => {
  it('matches tf.topk (values and indices); ties keep the lower index first', async () => {
    await tf.setBackend('cpu');
    tidy(() => {
      const x = randn([4, 9], 101);
      expect(topK(tensor(Float32Array.from(x.data), x.shape), 0).values.shape).toEqual([4, 0]);
      for (const k of [1, 3, 9]) {
        const { values, indices } = topK(tensor(Float32Array.from(x.data), x.shape), k);
        const want = tf.topk(tf.tensor(Array.from(x.data), x.shape), k);
        expect(values.toArray()).toEqual(want.values.arraySync());
        expect(indices.toArray()).toEqual(want.indices.arraySync());
        expect(indices.dtype).toBe('int32');
      }
      const ties = topK([3, 1, 3, 2, 3, 1], 4);
      expect(ties.values.toArray()).toEqual([3, 3, 3, 2]);
      expect(ties.indices.toArray()).toEqual([0, 2, 4, 3]);
      const many = topK(tensor(Array.from({ length: 50 }, (_, i) => i % 5)), 40); // the sorting path (k > 32)
      expect(arr(many.indices).slice(0, 12)).toEqual([4, 9, 14, 19, 24, 29, 34, 39, 44, 49, 3, 8]);
      expect(topK([1, NaN, 2], 2).indices.toArray()).toEqual([1, 2]); // NaN ranks first, as argMax
      // the same orders on the sorting path: NaN first, -0 ties with 0, -Infinity last, ints
      const special = [0, NaN, -Infinity, 2, -0, Infinity, NaN, -1.5, ...Array.from({ length: 12 }, (_, i) => i - 6)];
      const order = (k: number) => arr(topK(special, k).indices);
      expect(order(20)).toEqual([1, 6, 5, 19, 18, 17, 3, 16, 15, 0, 4, 14, 13, 7, 12, 11, 10, 9, 8, 2]);
      expect(order(20).slice(0, 8)).toEqual(order(8));
      // k > 64 (each row sorted): the same order as the insertion path, which the reference follows
      const wide = [...special, ...Array.from({ length: 80 }, (_, i) => (i * 37) % 11 - 5)], wk = (k: number) => arr(topK(wide, k).indices);
      const refOrder = Array.from((R.topK(wide, 100) as unknown as { indices: ND }).indices.data);
      expect(wk(100)).toEqual(refOrder);
      expect(wk(64)).toEqual(refOrder.slice(0, 64));
      expect(wk(65)).toEqual(refOrder.slice(0, 65));
      expect(arr(topK(tensor([5, -2147483648, 2147483647, 5, 0, ...Array.from({ length: 15 }, () => 1)], [20], 'int32'), 18).indices).slice(0, 5)).toEqual([2, 0, 3, 5, 6]);
      expect(tensor([[1, 5, 2]], [1, 3], 'int32').topK(2).values.toArray()).toEqual([[5, 2]]);
    });
  });

  it('values are differentiable: the gradient goes to the chosen entries', () => tidy(() => {
    const x = tensor([[1, 4, 2, 4], [0, -1, 3, 2]]);
    const t = tape(g => { g.watch(x); return topK(x, 2).values; });
    expect((t.gradient(t.result, x, { outputGradients: tensor([[1, 10], [100, 1000]]) }) as Tensor).toArray()).toEqual([[0, 1, 0, 10], [0, 0, 100, 1000]]);
  }));
});

describe('randomCategorical', () => {
  it('the same seed gives the same samples; int32 [batch, numSamples]', () => tidy(() => {
    const logits = [[0, 1, 2], [2, 0, -1]];
    const a = randomCategorical(logits, 50, { seed: 5 }), b = randomCategorical(logits, 50, { seed: 5 }), c = randomCategorical(logits, 50, { seed: 6 });
    expect(a.dtype).toBe('int32');
    expect(a.shape).toEqual([2, 50]);
    expect(a.toArray()).toEqual(b.toArray());
    expect(a.toArray()).not.toEqual(c.toArray());
    expect(tensor(logits).randomCategorical(50, { seed: 5 }).toArray()).toEqual(a.toArray());
    expect(randomCategorical(logits, 0, { seed: 1 }).shape).toEqual([2, 0]);
    // unseeded draws differ from run to run (but are valid classes)
    const u = arr(randomCategorical(logits, 200));
    expect(u.every(v => v >= 0 && v < 3)).toBe(true);
  }));

  it('frequencies over 20,000 draws are within 4 standard errors of softmax(logits); -Infinity classes never drawn', () => tidy(() => {
    const logits = [[1, -Infinity, 0.5, -1, 2, -Infinity], [0, 0, 0, 0, -Infinity, 0]];
    const n = 20_000, s = randomCategorical(logits, n, { seed: 2024 }).toArray() as number[][];
    logits.forEach((row, b) => {
      const m = Math.max(...row), e = row.map(v => Math.exp(v - m)), total = e.reduce((p, q) => p + q, 0);
      const counts = new Array<number>(row.length).fill(0);
      for (const k of s[b]!) counts[k]!++;
      row.forEach((l, k) => {
        const p = e[k]! / total;
        if (l === -Infinity) expect(counts[k], `row ${b} class ${k}`).toBe(0);
        else expect(Math.abs(counts[k]! / n - p), `row ${b} class ${k}: ${counts[k]} of ${n}, p ${p}`).toBeLessThanOrEqual(4 * Math.sqrt((p * (1 - p)) / n));
      });
    });
  }));

  it('is not differentiable, and leaves nothing behind', () => {
    const before = memory().tensors;
    tidy(() => {
      const l = tensor([[0.5, 1]]);
      const t = tape(g => { g.watch(l); return randomCategorical(l, 3, { seed: 1 }); });
      expect(t.gradient(t.result, l)).toBeNull();
    });
    expect(memory().tensors).toBe(before);
  });
});
