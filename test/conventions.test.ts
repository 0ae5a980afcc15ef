// TensorFlow's gradient conventions at kinks and edges (shared/TAPE_SEMANTICS.md), value by value.
import { describe, it, expect } from 'vitest';
import {
  tape, tensor, scalar, relu, abs, sign, maximum, minimum, max, min, pow, clipByValue, softmaxCrossEntropy,
  logSoftmax, gather, mul, add, sum, where, greater, floor, round, ceil, argMax, equal, Tensor,
} from './api.js';

const grads = (xs: Tensor[], f: () => Tensor) => {
  const t = tape(t => { t.watch(xs); return f(); });
  return t.gradient(t.result, xs) as (Tensor | null)[];
};
const arr = (t: Tensor | null) => (t ? Array.from(t.data()) : null);

describe('gradient conventions at kinks', () => {
  it("relu'(0) = 0 and abs'(0) = 0; sign gives zeros", () => {
    const x = tensor([-1, 0, 2]);
    expect(arr(grads([x], () => sum(relu(x)))[0])).toEqual([0, 0, 1]);
    expect(arr(grads([x], () => sum(abs(x)))[0])).toEqual([-1, 0, 1]);
    expect(arr(grads([x], () => sum(sign(x)))[0])).toEqual([0, 0, 0]);
  });

  it("relu's gradient selects the upstream gradient (TF's ReluGrad): a NaN or Inf upstream where x <= 0 gives 0", () => {
    const x = tensor([-1, 0, 2, 3, NaN]), dy = tensor([NaN, Infinity, NaN, -Infinity, 5]);
    const t = tape(t => { t.watch(x); return relu(x); });
    // dy·step(x) would give NaN at x = -1 and x = 0 (NaN·0, Inf·0); NaN > 0 is false, so x = NaN gives 0
    expect(arr(t.gradient(t.result, x, { outputGradients: dy }))).toEqual([0, 0, NaN, -Infinity, 0]);
  });

  it('maximum/minimum ties send the whole gradient to the first argument', () => {
    const a = tensor([1, 2, 3]), b = tensor([1, 5, 0]);
    const [ga, gb] = grads([a, b], () => sum(maximum(a, b)));
    expect(arr(ga)).toEqual([1, 0, 1]);
    expect(arr(gb)).toEqual([0, 1, 0]);
    const [ma, mb] = grads([a, b], () => sum(minimum(a, b)));
    expect(arr(ma)).toEqual([1, 1, 0]);
    expect(arr(mb)).toEqual([0, 0, 1]);
  });

  it('max/min reductions split the gradient evenly between ties', () => {
    const x = tensor([[3, 1, 3], [2, 2, 2]]);
    const third = Math.fround(1 / 3);
    expect(arr(grads([x], () => sum(max(x, 1)))[0])).toEqual([0.5, 0, 0.5, third, third, third]);
    expect(arr(grads([x], () => sum(min(x, 1)))[0])).toEqual([0, 1, 0, third, third, third]);
  });

  it('pow: d/dy is 0 where x <= 0 (no NaN); d/dx of x^2 at 0 is 0', () => {
    const x = tensor([-2, 0, 3]), y = tensor([2, 2, 2]);
    const [gx, gy] = grads([x, y], () => sum(pow(x, y)));
    expect(arr(gx)).toEqual([-4, 0, 6]);
    expect(arr(gy)![0]).toBe(0);
    expect(arr(gy)![1]).toBe(0);
    expect(arr(gy)![2]).toBeCloseTo(9 * Math.log(3), 4);
  });

  it('clipByValue: gradient 1 inside [lo, hi] including both ends, 0 outside', () => {
    const x = tensor([-2, -1, 0, 1, 2]);
    expect(arr(grads([x], () => sum(clipByValue(x, -1, 1)))[0])).toEqual([0, 1, 1, 1, 0]);
  });

  it('softmaxCrossEntropy is differentiable w.r.t. labels: −logSoftmax(logits)', () => {
    const labels = tensor([[0.2, 0.8]]), logits = tensor([[1, 3]]);
    const [gl] = grads([labels], () => sum(softmaxCrossEntropy(labels, logits)));
    const want = Array.from(logSoftmax(logits).data(), v => -v);
    arr(gl)!.forEach((g, i) => expect(g).toBeCloseTo(want[i], 6));
  });

  it('broadcasting: an input gradient is summed over broadcast axes and keeps its shape', () => {
    const a = tensor([[1], [2]]), b = tensor([[10, 20, 30]]);
    const [ga, gb] = grads([a, b], () => sum(mul(a, b)));
    expect(ga!.shape).toEqual([2, 1]);
    expect(ga!.toArray()).toEqual([[60], [60]]);
    expect(gb!.shape).toEqual([1, 3]);
    expect(gb!.toArray()).toEqual([[3, 3, 3]]);
  });

  it('gather scatter-adds into zeros of the input shape; indices get none', () => {
    const x = tensor([10, 20, 30]);
    const idx = tensor([2, 0, 2], undefined, 'int32');
    const [gx, gi] = grads([x, idx], () => sum(gather(x, idx)));
    expect(arr(gx)).toEqual([1, 0, 2]);
    expect(gi).toBeNull();
  });

  it('non-differentiable ops give null quietly; a comparison feeding where keeps the branches differentiable', () => {
    const x = tensor([0.5, 1.5, -2.5]);
    const g = grads([x], () => add(sum(floor(x)), add(sum(round(x)), sum(ceil(x)))));
    expect(g[0]).toBeNull();
    const t = tape(t => { t.watch(x); return { i: argMax(x), e: equal(x, x) }; });
    expect(t.gradient(t.result.i as never, x)).toBeNull();
    const w = grads([x], () => sum(where(greater(x, 0), mul(x, 3), mul(x, -1))))[0];
    expect(arr(w)).toEqual([3, 3, -1]);
    expect(scalar(1).item()).toBe(1);
  });
});
