// gradtape/metrics against Keras: the values its docstrings print (keras/src/metrics/*.py), and the
// formulas of reduction_metrics.py / accuracy_metrics.py / regression_metrics.py written out here in
// float64 over random batches, sample weights of every accepted shape, several updates; names,
// options, errors (all or nothing), and memory (nothing left behind, nothing recorded on a tape).
import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { tensor, memory, tape, mul, Tensor, hinge } from '../src/index.js';
import {
  Metric, Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError,
} from '../src/metrics/index.js';
import { mulberry32 } from './support/nd.js';

const rng = mulberry32(2024);
/** float32-exact random numbers in [lo, hi), so the float32 inputs are the values the formulas see. */
const rand = (n: number, lo = 0, hi = 1) => Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * rng()));
const rows = (flat: number[], width: number) => Array.from({ length: flat.length / width }, (_, i) => flat.slice(i * width, (i + 1) * width));
const sumOf = (v: number[]) => v.reduce((a, b) => a + b, 0);
const meanOf = (v: number[]) => sumOf(v) / v.length;
const argmax = (v: number[]) => v.indexOf(Math.max(...v));
/** Σ wᵢ·xᵢ / Σ wᵢ */
const weightedMean = (x: number[], w: number[]) => sumOf(x.map((v, i) => v * w[i])) / sumOf(w);

describe("Keras' docstring values", () => {
  it('Mean, Sum', () => {
    const m = new Mean();
    m.updateState([1, 3, 5, 7]);
    expect(m.result()).toBe(4);
    m.resetState();
    m.updateState([1, 3, 5, 7], [1, 1, 0, 0]);
    expect(m.result()).toBe(2);
    const s = new Sum();
    s.updateState([1, 3, 5, 7]);
    expect(s.result()).toBe(16);
    s.resetState();
    s.updateState([1, 3, 5, 7], [1, 1, 0, 0]);
    expect(s.result()).toBe(4);
  });
  it('the accuracies', () => {
    const a = new Accuracy();
    a.updateState([[1], [2], [3], [4]], [[0], [2], [3], [4]]);
    expect(a.result()).toBe(0.75);
    a.resetState();
    a.updateState([[1], [2], [3], [4]], [[0], [2], [3], [4]], [1, 1, 0, 0]);
    expect(a.result()).toBe(0.5);
    const b = new BinaryAccuracy();
    b.updateState([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]]);
    expect(b.result()).toBe(0.75);
    b.resetState();
    b.updateState([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], [1, 0, 0, 1]);
    expect(b.result()).toBe(0.5);
    const c = new CategoricalAccuracy();
    c.updateState([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]);
    expect(c.result()).toBe(0.5);
    c.resetState();
    c.updateState([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], [0.7, 0.3]);
    expect(c.result()).toBeCloseTo(0.3, 6); // (the weights are float32)
    const sc = new SparseCategoricalAccuracy();
    sc.updateState([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]);
    expect(sc.result()).toBe(0.5);
    sc.resetState();
    sc.updateState([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], [0.7, 0.3]);
    expect(sc.result()).toBeCloseTo(0.3, 6);
  });
  it('MeanSquaredError, MeanAbsoluteError', () => {
    const mse = new MeanSquaredError();
    mse.updateState([[0, 1], [0, 0]], [[1, 1], [0, 0]]);
    expect(mse.result()).toBe(0.25);
    const mae = new MeanAbsoluteError();
    mae.updateState([[0, 1], [0, 0]], [[1, 1], [0, 0]]);
    expect(mae.result()).toBe(0.25);
    mae.resetState();
    mae.updateState([[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0]);
    expect(mae.result()).toBe(0.5);
  });
});

describe('Mean and Sum: sample weights as reduce_to_samplewise_values', () => {
  const v = rand(12, -2, 2), x = rows(v, 3); // 4 examples of 3 values
  const rowMeans = x.map(meanOf), rowSums = x.map(sumOf);

  it('no weights: one value per example (the mean of its row), counted once', () => {
    const m = new Mean(), s = new Sum();
    m.updateState(x);
    s.updateState(x);
    expect(m.result()).toBeCloseTo(meanOf(rowMeans), 6);
    expect(s.result()).toBeCloseTo(sumOf(v), 5);
    m.updateState(7); // a scalar counts as one example
    expect(m.result()).toBeCloseTo((sumOf(rowMeans) + 7) / 5, 6);
  });
  it('weights per example: [batch], and [batch, 1] against [batch, 1] values', () => {
    const w = rand(4, 0, 2), m = new Mean(), s = new Sum();
    m.updateState(x, w);
    s.updateState(x, w);
    expect(m.result()).toBeCloseTo(weightedMean(rowMeans, w), 6);
    expect(s.result()).toBeCloseTo(sumOf(rowSums.map((r, i) => r * w[i])), 5);
    const column = new Mean();
    column.updateState(rowMeans.map(r => [r]), w); // values [4, 1], weights [4]: the weights gain the axis
    expect(column.result()).toBeCloseTo(weightedMean(rowMeans, w), 6);
    const both = new Mean();
    both.updateState(rowMeans, w.map(wi => [wi])); // values [4], weights [4, 1]: the values gain it
    expect(both.result()).toBeCloseTo(weightedMean(rowMeans, w), 6);
  });
  it('weights per value ([batch, 3]): Σ mean(v·w) / Σ mean(w) for Mean, Σ v·w for Sum', () => {
    const w = rand(12, 0, 2), ww = rows(w, 3), m = new Mean(), s = new Sum();
    m.updateState(x, ww);
    s.updateState(x, ww);
    const num = sumOf(x.map((r, i) => meanOf(r.map((vi, j) => vi * ww[i][j])))), den = sumOf(ww.map(meanOf));
    expect(m.result()).toBeCloseTo(num / den, 6);
    expect(s.result()).toBeCloseTo(sumOf(v.map((vi, i) => vi * w[i])), 5);
  });
  it('a broadcast weight ([1] and [1, 3]) weighs every example alike', () => {
    const m = new Mean();
    m.updateState(x, [0.5]);
    expect(m.result()).toBeCloseTo(meanOf(rowMeans), 6);
    const s = new Sum();
    s.updateState(x, [[1, 0, 2]]);
    expect(s.result()).toBeCloseTo(sumOf(x.map(r => r[0] + 2 * r[2])), 5);
  });
  it('updates accumulate: batches of different sizes and weights make one weighted mean', () => {
    const m = new Mean(), all: number[] = [], weights: number[] = [];
    for (const n of [3, 1, 5]) {
      const batch = rand(n, -1, 1), w = rand(n, 0.1, 1);
      m.updateState(batch, w);
      all.push(...batch);
      weights.push(...w);
      expect(m.result()).toBeCloseTo(weightedMean(all, weights), 6);
    }
  });
  it('result() is 0 before any update, and after resetState', () => {
    const m = new Mean(), s = new Sum();
    expect([m.result(), s.result()]).toEqual([0, 0]);
    m.updateState([1, 2], [0, 0]); // total weight 0: Keras' divide_no_nan gives 0
    expect(m.result()).toBe(0);
    m.updateState([5]);
    s.updateState([5]);
    m.resetState();
    s.resetState();
    expect([m.result(), s.result()]).toEqual([0, 0]);
  });
});

describe('accuracies and errors against their formulas (random batches, weights, several updates)', () => {
  /** Runs `metric` over three batches and checks it against the weighted mean of `perExample` over all. */
  function check(metric: MeanMetricWrapper, make: () => { yTrue: unknown; yPred: unknown; values: number[] }) {
    const all: number[] = [], weights: number[] = [];
    for (let k = 0; k < 3; k++) {
      const { yTrue, yPred, values } = make(), w = rand(values.length, 0.1, 2);
      metric.updateState(yTrue as never, yPred as never, w);
      all.push(...values);
      weights.push(...w);
    }
    expect(metric.result()).toBeCloseTo(weightedMean(all, weights), 6);
  }
  const labels01 = (n: number) => rand(n).map(v => (v < 0.5 ? 0 : 1));

  it('BinaryAccuracy: [batch, 1] labels (float, int32, bool), default and custom thresholds', () => {
    for (const threshold of [undefined, 0.7]) {
      const t = threshold ?? 0.5;
      check(new BinaryAccuracy(threshold === undefined ? undefined : { threshold }), () => {
        const y = labels01(6), p = rand(6);
        return { yTrue: y.map(v => [v]), yPred: p.map(v => [v]), values: y.map((v, i) => Number((p[i] > t ? 1 : 0) === v)) };
      });
    }
    check(new BinaryAccuracy(), () => {
      const y = labels01(5), p = rand(5);
      return { yTrue: tensor(y.map(v => v === 1), [5, 1]), yPred: p.map(v => [v]), values: y.map((v, i) => Number((p[i] > 0.5 ? 1 : 0) === v)) };
    });
    check(new BinaryAccuracy(), () => {
      const y = labels01(4), p = rand(4);
      return { yTrue: tensor(y, [4], 'int32'), yPred: p.map(v => [v]), values: y.map((v, i) => Number((p[i] > 0.5 ? 1 : 0) === v)) };
    });
  });
  it('BinaryAccuracy of [batch, 4] (several outputs per example): the mean of each row\'s matches', () => {
    check(new BinaryAccuracy(), () => {
      const y = rows(labels01(12), 4), p = rows(rand(12), 4);
      return { yTrue: y, yPred: p, values: y.map((r, i) => meanOf(r.map((v, j) => Number((p[i][j] > 0.5 ? 1 : 0) === v)))) };
    });
  });
  it('Accuracy: exact equality', () => {
    check(new Accuracy(), () => {
      const y = rand(6).map(v => Math.floor(v * 3)), p = rand(6).map(v => Math.floor(v * 3));
      return { yTrue: y, yPred: p.map(v => [v]), values: y.map((v, i) => Number(v === p[i])) };
    });
  });
  it('CategoricalAccuracy: argmax of one-hot labels against argmax of predictions (or logits)', () => {
    check(new CategoricalAccuracy(), () => {
      const cls = rand(5).map(v => Math.floor(v * 4)), p = rows(rand(20, -3, 3), 4);
      return { yTrue: cls.map(c => [0, 1, 2, 3].map(j => Number(j === c))), yPred: p, values: cls.map((c, i) => Number(argmax(p[i]) === c)) };
    });
  });
  it('SparseCategoricalAccuracy: labels [batch] (int32) or [batch, 1] (float)', () => {
    for (const column of [false, true]) {
      check(new SparseCategoricalAccuracy(), () => {
        const cls = rand(5).map(v => Math.floor(v * 4)), p = rows(rand(20), 4);
        return { yTrue: column ? cls.map(c => [c]) : tensor(cls, [5], 'int32'), yPred: p, values: cls.map((c, i) => Number(argmax(p[i]) === c)) };
      });
    }
  });
  it('MeanSquaredError and MeanAbsoluteError: [batch, 3], and [batch] labels against [batch, 1] predictions', () => {
    for (const [metric, f] of [[new MeanSquaredError(), (e: number) => e * e], [new MeanAbsoluteError(), Math.abs]] as const) {
      check(metric, () => {
        const y = rows(rand(12, -1, 1), 3), p = rows(rand(12, -1, 1), 3);
        return { yTrue: y, yPred: p, values: y.map((r, i) => meanOf(r.map((v, j) => f(p[i][j] - v)))) };
      });
      metric.resetState();
      check(metric, () => {
        const y = rand(4, -1, 1), p = rand(4, -1, 1);
        return { yTrue: y, yPred: p.map(v => [v]), values: y.map((v, i) => f(p[i] - v)) }; // not [4, 4]
      });
    }
  });
  it('MeanMetricWrapper averages any per-example function', () => {
    check(new MeanMetricWrapper(hinge), () => {
      const y = rows(labels01(6), 2), p = rows(rand(6, -2, 2), 2);
      return { yTrue: y, yPred: p, values: y.map((r, i) => meanOf(r.map((v, j) => Math.max(1 - (2 * v - 1) * p[i][j], 0)))) };
    });
  });
  it('agrees with TensorFlow.js (tf.metrics.binaryAccuracy, categoricalAccuracy: per-example matches)', async () => {
    await tf.setBackend('cpu');
    const y = rows(labels01(8), 4), p = rows(rand(8), 4), c = [[0, 0, 1, 0], [1, 0, 0, 0]];
    const b = new BinaryAccuracy(), k = new CategoricalAccuracy();
    b.updateState(y, p);
    k.updateState(c, p);
    const tb = tf.metrics.binaryAccuracy(tf.tensor(y), tf.tensor(p)), tc = tf.metrics.categoricalAccuracy(tf.tensor(c), tf.tensor(p));
    expect(b.result()).toBeCloseTo(tf.mean(tb).dataSync()[0], 6);
    expect(k.result()).toBeCloseTo(tf.mean(tc).dataSync()[0], 6);
    tf.dispose([tb, tc]);
  });
});

describe('names and options', () => {
  it("Keras' default names, and { name }", () => {
    const made: [Metric, string][] = [[new Mean(), 'mean'], [new Sum(), 'sum'], [new Accuracy(), 'accuracy'], [new BinaryAccuracy(), 'binary_accuracy'],
      [new CategoricalAccuracy(), 'categorical_accuracy'], [new SparseCategoricalAccuracy(), 'sparse_categorical_accuracy'],
      [new MeanSquaredError(), 'mean_squared_error'], [new MeanAbsoluteError(), 'mean_absolute_error'], [new MeanMetricWrapper(hinge), 'mean_metric_wrapper']];
    for (const [m, name] of made) expect(m.name).toBe(name);
    expect(new Mean({ name: 'loss' }).name).toBe('loss');
    expect(new BinaryAccuracy({ name: 'acc', threshold: 0.3 }).threshold).toBe(0.3);
  });
  it('bad options are errors naming the class and the value', () => {
    expect(() => new Mean('loss' as never)).toThrow(/Mean: options must be an object like \{ name \}, got "loss"/);
    expect(() => new Sum({ nme: 'x' } as never)).toThrow(/Sum: unknown option "nme" \(expected name\)/);
    expect(() => new Accuracy({ name: '' })).toThrow(/Accuracy: name must be a non-empty string, got ""/);
    expect(() => new BinaryAccuracy({ threshold: NaN })).toThrow(/BinaryAccuracy: threshold must be a finite number, got NaN/);
    expect(() => new BinaryAccuracy({ threshold: '0.5' as never })).toThrow(/got "0.5"/);
    expect(() => new CategoricalAccuracy({ threshold: 0.5 } as never)).toThrow(/CategoricalAccuracy: unknown option "threshold"/);
    expect(() => new MeanMetricWrapper(undefined as never)).toThrow(/MeanMetricWrapper: fn must be a function/);
  });
});

describe('errors and memory', () => {
  it('a bad update throws an Error naming the class and what was wrong, and changes neither the state nor memory()', () => {
    const m = new Mean(), acc = new BinaryAccuracy(), mse = new MeanSquaredError();
    m.updateState([2, 4]);
    acc.updateState([[1]], [[0.9]]);
    const disposed = tensor([1, 2]);
    disposed.dispose();
    const bad: [() => void, RegExp][] = [
      [() => m.updateState('abc' as never), /^Mean\.updateState: values: expected a Tensor, number or nested array, got "abc"/],
      [() => m.updateState(disposed), /^Mean\.updateState: values: got a disposed tensor/],
      [() => m.updateState([1, 2, 3], [1, 2]), /^Mean\.updateState: sampleWeight of shape \[2\] does not broadcast to the values' shape \[3\]/],
      [() => m.updateState([1, 2], [[1, 2], [3, 4], [5, 6]]), /sampleWeight of shape \[3, 2\]/],
      [() => m.updateState([1, 2], [[[1]]]), /sampleWeight of shape \[1, 1, 1\]/],
      [() => acc.updateState([[1], [0]], [[0.2], [0.3], [0.4]]), /^BinaryAccuracy\.updateState: .*\[2, 1\].*\[3, 1\]/],
      [() => acc.updateState([[1]], [[0.5]], 'w' as never), /^BinaryAccuracy\.updateState: sampleWeight: .*"w"/],
      [() => mse.updateState([[1, 2]], [[1, 2, 3]]), /^MeanSquaredError\.updateState: .*\[1, 2\].*\[1, 3\]/],
      [() => new SparseCategoricalAccuracy().updateState([0, 1, 1], [[0.2, 0.8], [0.1, 0.9]]), /^SparseCategoricalAccuracy\.updateState: .*\[3\].*\[2\]/],
    ];
    for (const [call, message] of bad) {
      const before = memory();
      expect(call).toThrow(message);
      expect(memory().tensors).toBe(before.tensors);
      expect(memory().bytes).toBe(before.bytes);
    }
    expect(m.result()).toBe(3);
    expect(acc.result()).toBe(1);
  });
  it('updateState leaves no tensor behind, with tensors or arrays as arguments', () => {
    const yTrue = tensor([[0, 1, 0], [1, 0, 0]]), yPred = tensor([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]]), w = tensor([1, 2]);
    const before = memory();
    for (const m of [new Accuracy(), new BinaryAccuracy(), new CategoricalAccuracy(), new MeanSquaredError(), new MeanAbsoluteError()]) {
      m.updateState(yTrue, yPred, w);
      m.updateState(yTrue.toArray() as number[][], yPred.toArray() as number[][]);
    }
    new SparseCategoricalAccuracy().updateState([[1], [0]], yPred, w);
    new Mean().updateState(yPred, w);
    new Sum().updateState(yPred.toArray() as number[][]);
    expect([memory().tensors, memory().bytes]).toEqual([before.tensors, before.bytes]);
  });
  it('an update inside a recording tape records nothing (the tape holds no tensor of it)', () => {
    const x = tensor([[0.2, 0.9], [0.7, 0.4]]), m = new BinaryAccuracy();
    let during = 0;
    const t = tape(t => {
      t.watch(x);
      const y = mul(x, 1);
      const before = memory().tensors;
      m.updateState([[0, 1], [1, 1]], y);
      during = memory().tensors - before;
      return y;
    });
    expect(during).toBe(0);
    expect(m.result()).toBe(0.75);
    expect((t.gradient(t.result, x) as Tensor).toArray()).toEqual([[1, 1], [1, 1]]);
    t.dispose();
  });
});
