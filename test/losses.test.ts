// Keras' losses beyond the op table's random checks (test/ops.test.ts drives values, gradients and
// second derivatives against test/support/reference.ts): the values Keras' docstrings print,
// closed forms written out here, logits of any size, clipped probabilities, Keras' label and rank
// rules, and agreement with TensorFlow.js' Keras-style functions where their semantics match.
import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import {
  tape, tensor, tidy, memory, Tensor, mean,
  binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy, huber, meanAbsoluteError, logCosh, klDivergence, hinge,
} from '../src/index.js';
import { expectClose } from './support/gradcheck.js';

const values = (t: Tensor) => Array.from(t.data() as Float32Array);
const close = (t: Tensor, want: number[], tol = 1e-5, label = '') => expectClose(t.data() as Float32Array, Float64Array.from(want), { rtol: tol, atol: tol }, label);
/** The loss's value and its gradient w.r.t. yPred (of the sum over examples). */
function withGradient(loss: (p: Tensor) => Tensor, yPred: number[] | number[][]): { value: Tensor; grad: Tensor } {
  const p = tensor(yPred);
  const t = tape(t => { t.watch(p); return loss(p); });
  return { value: t.result, grad: t.gradient(t.result, p) as Tensor };
}
const allFinite = (t: Tensor) => values(t).every(Number.isFinite);

describe("Keras' docstring values (keras/src/losses/losses.py)", () => {
  it('binary_crossentropy, from probabilities and from logits', () => tidy(() => {
    close(binaryCrossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), [0.916, 0.714], 1e-3);
    const fromLogits = binaryCrossentropy([[0, 1], [0, 0]], [[-18.6, 0.51], [2.94, -12.8]], { fromLogits: true });
    close(fromLogits, [0.235, 1.496], 1e-3);
    expect(mean(fromLogits).item()).toBeCloseTo(0.8654, 3); // BinaryCrossentropy(from_logits=True)'s batch mean (Keras prints 4 digits of 0.86546)
  }));
  it('categorical_crossentropy and sparse_categorical_crossentropy', () => tidy(() => {
    const probs = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]];
    close(categoricalCrossentropy([[0, 1, 0], [0, 0, 1]], probs), [0.0513, 2.303], 1e-3);
    close(sparseCategoricalCrossentropy([1, 2], probs), [0.0513, 2.303], 1e-3);
    // the TensorFlow backend's docstring: [0.10536, 0.11653, 0.06188], and zero for a perfect prediction
    const onehot = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    close(categoricalCrossentropy(onehot, [[0.9, 0.05, 0.05], [0.05, 0.89, 0.06], [0.05, 0.01, 0.94]]), [0.10536, 0.11653, 0.06188], 1e-5);
    close(categoricalCrossentropy(onehot, onehot), [0, 0, 0], 1e-6);
  }));
  it('huber, log_cosh and MeanAbsoluteError (batch means)', () => tidy(() => {
    expect(mean(huber([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])).item()).toBeCloseTo(0.155, 6);
    expect(mean(logCosh([[0, 1], [0, 0]], [[1, 1], [0, 0]])).item()).toBeCloseTo(0.108, 3);
    expect(meanAbsoluteError([1, 0.3, 1], [1.9, 0.3, 1.8]).item()).toBeCloseTo(0.5666667, 6);
  }));
});

describe('closed forms', () => {
  it('label smoothing: binary labels move towards 1/2, categorical ones towards 1/classes', () => tidy(() => {
    const s = 0.2, z = (y: number) => y * (1 - s) + s / 2;
    const bce = (y: number, p: number) => -(z(y) * Math.log(p) + (1 - z(y)) * Math.log(1 - p));
    close(binaryCrossentropy([[1, 0]], [[0.8, 0.3]], { labelSmoothing: s }), [(bce(1, 0.8) + bce(0, 0.3)) / 2]);
    const x = [2, -1, 0.5], lse = Math.log(x.reduce((a, v) => a + Math.exp(v), 0)), c = 0.3;
    const zc = [0, 1, 0].map(y => y * (1 - c) + c / 3);
    close(categoricalCrossentropy([[0, 1, 0]], [x], { fromLogits: true, labelSmoothing: c }), [-zc.reduce((a, zi, i) => a + zi * (x[i] - lse), 0)]);
  }));
  it('categoricalCrossentropy normalizes probabilities along the class axis, any axis', () => tidy(() => {
    // classes on axis 0: columns [1, 3] and [2, 2] normalized to [0.25, 0.75] and [0.5, 0.5]
    close(categoricalCrossentropy([[0, 1], [1, 0]], [[1, 2], [3, 2]], { axis: 0 }), [-Math.log(0.75), -Math.log(0.5)]);
  }));
  it('klDivergence sums over the last axis; hinge and the regression losses average', () => tidy(() => {
    close(klDivergence([[0.5, 0.5]], [[0.25, 0.75]]), [0.5 * Math.log(2) + 0.5 * Math.log(2 / 3)]);
    close(klDivergence([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]), [0]);
    close(huber([[0, 0]], [[3, -0.5]], 2), [(2 * 3 - 2) / 2 + 0.125 / 2]);
    close(logCosh([[0, 0]], [[0.3, -2]]), [(Math.log(Math.cosh(0.3)) + Math.log(Math.cosh(2))) / 2]);
  }));
  it('hinge takes labels that are all 0 or 1 as -1 and 1, and others as they are', () => tidy(() => {
    const h = (ys: number[], ps: number[]) => ys.reduce((a, y, i) => a + Math.max(1 - y * ps[i], 0), 0) / ys.length;
    close(hinge([0, 1, 1], [0.3, 0.2, 2]), [h([-1, 1, 1], [0.3, 0.2, 2])]);
    close(hinge([-1, 1, 1], [0.3, 0.2, 2]), [h([-1, 1, 1], [0.3, 0.2, 2])]);
    close(hinge([0, 0.5, 1], [0.3, 0.2, 2]), [h([0, 0.5, 1], [0.3, 0.2, 2])]); // not all binary: unchanged
    close(hinge(tensor([0, 1], [2], 'int32'), [0.5, -0.5]), [h([-1, 1], [0.5, -0.5])]);
  }));
});

describe("Keras' shape rules", () => {
  it('sparse labels shaped [batch] or [batch, 1] give the same loss', () => tidy(() => {
    const p = [[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]];
    const flat = sparseCategoricalCrossentropy([1, 0], p), column = sparseCategoricalCrossentropy([[1], [0]], p);
    expect(column.shape).toEqual([2]);
    close(column, values(flat));
    close(flat, [-Math.log(0.7), -Math.log(0.5)]);
  }));
  it('regression losses pair [batch] labels with [batch, 1] predictions elementwise (no [batch, batch] broadcast)', () => tidy(() => {
    const t = [0, 1, 2], p = [[0.5], [3], [2]];
    const mae = meanAbsoluteError(t, p);
    expect(mae.shape).toEqual([3]);
    close(mae, [0.5, 2, 0]);
    close(huber(t, p), [0.125, 1.5, 0]);
    close(logCosh(p, t), [0.5, 2, 0].map(e => Math.log(Math.cosh(e))));
  }));
  it('int32 and bool labels are cast to float32', () => tidy(() => {
    close(binaryCrossentropy(tensor([[true, false]]), [[0.9, 0.2]]), [-(Math.log(0.9) + Math.log(0.8)) / 2]);
    close(categoricalCrossentropy(tensor([[0, 1]], [1, 2], 'int32'), [[0.4, 0.6]]), [-Math.log(0.6)]);
  }));
});

describe('numerically stable', () => {
  it('binaryCrossentropy from logits of ±1e4: exact values, gradients (sigmoid(x) − y)/n', () => tidy(() => {
    const { value, grad } = withGradient(p => binaryCrossentropy([[1, 0], [0, 1]], p, { fromLogits: true }), [[1e4, -1e4], [1e4, -1e4]]);
    close(value, [0, 1e4]);
    close(grad, [0, 0, 0.5, -0.5]);
  }));
  it('categorical and sparse cross-entropy from logits of ±1e4', () => tidy(() => {
    const logits = [[1e4, -1e4, 0], [0, 1e4, -1e4]];
    for (const loss of [(p: Tensor) => categoricalCrossentropy([[0, 1, 0], [0, 1, 0]], p, { fromLogits: true }), (p: Tensor) => sparseCategoricalCrossentropy([1, 1], p, { fromLogits: true })]) {
      const { value, grad } = withGradient(loss, logits);
      close(value, [2e4, 0]);
      close(grad, [1, -1, 0, 0, 0, 0]); // softmax − one-hot
    }
  }));
  it('probabilities of exactly 0 and 1 are clipped: finite losses (−log 1e-7 at most), zero gradients there', () => tidy(() => {
    const { value, grad } = withGradient(p => binaryCrossentropy([[1, 0]], p), [[0, 1]]);
    const limit = -Math.log(1e-7); // 16.1; the upper clip 1 − 1e-7 rounds to 1 − 2^-23 in float32: −log(2^-23) = 15.9
    close(value, [(limit + 23 * Math.LN2) / 2], 1e-4);
    expect(values(grad)).toEqual([0, 0]);
    for (const v of [categoricalCrossentropy([[1, 0]], [[0, 1]]), sparseCategoricalCrossentropy([0], [[0, 1]]), klDivergence([[1, 0]], [[0, 1]])]) {
      expect(allFinite(v)).toBe(true);
      expect(v.item()).toBeCloseTo(limit, 4);
    }
  }));
  it('logCosh of errors of ±1e4 is |e| − log 2, its gradient tanh(e)/n', () => tidy(() => {
    const { value, grad } = withGradient(p => logCosh([[0, 0]], p), [[1e4, -1e4]]);
    close(value, [1e4 - Math.LN2]);
    close(grad, [0.5, -0.5]);
    const small = withGradient(p => logCosh([[0]], p), [[1e-3]]);
    close(small.grad, [Math.tanh(1e-3)], 1e-6);
  }));
});

describe('memory', () => {
  it('each loss leaves only its result behind, with arrays as arguments', () => {
    const calls: (() => Tensor)[] = [
      () => binaryCrossentropy([[1, 0]], [[0.2, 0.4]], { labelSmoothing: 0.1 }), () => categoricalCrossentropy([[1, 0]], [[0.2, 0.4]], { labelSmoothing: 0.1 }),
      () => sparseCategoricalCrossentropy([[1]], [[0.2, 0.4]]), () => huber([1, 2], [[0], [3]]), () => meanAbsoluteError([1, 2], [0, 3]),
      () => logCosh([1, 2], [0, 3]), () => klDivergence([0.5, 0.5], [0.1, 0.9]), () => hinge([0, 1], [0.5, 2]),
    ];
    for (const call of calls) {
      const before = memory().tensors;
      const out = call();
      expect(memory().tensors - before).toBe(1);
      out.dispose();
    }
  });
});

describe('agrees with TensorFlow.js (its Keras-style per-example functions)', () => {
  it('tf.metrics.binaryCrossentropy, categoricalCrossentropy, meanAbsoluteError', async () => {
    await tf.setBackend('cpu');
    const yTrue = [[0, 1, 1], [1, 0, 0]], probs = [[0.1, 0.7, 0.4], [0.6, 0.3, 0.05]], oneHot = [[0, 1, 0], [1, 0, 0]];
    const ours: [Tensor, tf.Tensor][] = [
      [binaryCrossentropy(yTrue, probs), tf.metrics.binaryCrossentropy(tf.tensor(yTrue), tf.tensor(probs))],
      [categoricalCrossentropy(oneHot, probs), tf.metrics.categoricalCrossentropy(tf.tensor(oneHot), tf.tensor(probs))],
      [meanAbsoluteError(yTrue, probs), tf.metrics.meanAbsoluteError(tf.tensor(yTrue), tf.tensor(probs))],
    ];
    for (const [got, want] of ours) {
      expectClose(got.data() as Float32Array, Float64Array.from(want.dataSync()), { rtol: 1e-5, atol: 1e-6 });
      got.dispose();
      want.dispose();
    }
  });
});
