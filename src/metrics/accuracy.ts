// Keras' accuracy metrics (keras/src/metrics/accuracy_metrics.py): per-example matches (1 or 0)
// averaged with Keras' sample weights by MeanMetricWrapper. Inputs arrive as float32 copies.
import { Tensor, cast, equal, greater, argMax, squeeze } from '../index.js';
import { MeanMetricWrapper, MetricOptions, sameRank, show } from './metric.js';

const matches = (a: Tensor, b: Tensor): Tensor => cast(equal(a, b), 'float32');
/** The predicted class: the index of the largest value on the last axis (the first of ties), as float32. */
const predictedClass = (yPred: Tensor): Tensor => cast(argMax(yPred, -1), 'float32');

/**
 * Keras' Accuracy: how often yPred equals yTrue exactly, elementwise (yTrue [batch] meets yPred
 * [batch, 1] by Keras' rank fitting).
 * @example
 * ```ts
 * import { Accuracy } from 'gradtape/metrics';
 *
 * const m = new Accuracy();
 * m.updateState([[1], [2], [3], [4]], [[0], [2], [3], [4]]);
 * console.log(m.result()); // 0.75
 * m.resetState();
 * m.updateState([[1], [2], [3], [4]], [[0], [2], [3], [4]], [1, 1, 0, 0]);
 * console.log(m.result()); // 0.5
 * ```
 */
export class Accuracy extends MeanMetricWrapper {
  /** Named `options.name` or 'accuracy'. */
  constructor(options?: MetricOptions) {
    super((yTrue, yPred) => matches(...sameRank(yTrue, yPred)), options, 'Accuracy', 'accuracy');
  }
}

/** Options of `BinaryAccuracy`. */
export interface BinaryAccuracyOptions extends MetricOptions {
  /** predictions above it count as 1, the others as 0 (default 0.5) */
  threshold?: number;
}

/**
 * Keras' BinaryAccuracy: how often yPred > threshold (as 1, else 0) equals yTrue, elementwise.
 * @example
 * ```ts
 * import { BinaryAccuracy } from 'gradtape/metrics';
 *
 * const m = new BinaryAccuracy();
 * m.updateState([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]]);
 * console.log(m.result()); // 0.75
 * m.resetState();
 * m.updateState([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], [1, 0, 0, 1]);
 * console.log(m.result()); // 0.5
 * ```
 */
export class BinaryAccuracy extends MeanMetricWrapper {
  /** the threshold given (default 0.5) */
  readonly threshold: number;

  /** Named `options.name` or 'binary_accuracy'; `options.threshold` (default 0.5) a finite number. */
  constructor(options?: BinaryAccuracyOptions) {
    const threshold = (options as BinaryAccuracyOptions | null | undefined)?.threshold ?? 0.5;
    super((yTrue, yPred) => {
      const [t, p] = sameRank(yTrue, yPred);
      return matches(t, cast(greater(p, threshold), 'float32'));
    }, options, 'BinaryAccuracy', 'binary_accuracy', ['threshold']);
    if (typeof threshold !== 'number' || !Number.isFinite(threshold)) throw new Error(`BinaryAccuracy: threshold must be a finite number, got ${show(threshold)}`);
    this.threshold = threshold;
  }
}

/**
 * Keras' CategoricalAccuracy: how often the predicted class (argmax of yPred's last axis) is the
 * true one (argmax of yTrue's, one-hot labels). Logits work as well as probabilities.
 * @example
 * ```ts
 * import { CategoricalAccuracy } from 'gradtape/metrics';
 *
 * const m = new CategoricalAccuracy();
 * m.updateState([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]);
 * console.log(m.result()); // 0.5
 * m.updateState([[1, 0, 0]], [[3, -1, 2]], [2]); // logits work too; this example counts twice
 * console.log(m.result()); // 0.75
 * ```
 */
export class CategoricalAccuracy extends MeanMetricWrapper {
  /** Named `options.name` or 'categorical_accuracy'. */
  constructor(options?: MetricOptions) {
    super((yTrue, yPred) => matches(predictedClass(yTrue), predictedClass(yPred)), options, 'CategoricalAccuracy', 'categorical_accuracy');
  }
}

/**
 * Keras' SparseCategoricalAccuracy: how often the predicted class (argmax of yPred's last axis) is
 * the label, yTrue holding class indices shaped [batch] or [batch, 1].
 * @example
 * ```ts
 * import { SparseCategoricalAccuracy } from 'gradtape/metrics';
 *
 * const m = new SparseCategoricalAccuracy();
 * m.updateState([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]);
 * console.log(m.result()); // 0.5
 * ```
 */
export class SparseCategoricalAccuracy extends MeanMetricWrapper {
  /** Named `options.name` or 'sparse_categorical_accuracy'. */
  constructor(options?: MetricOptions) {
    super((yTrue, yPred) => {
      const labels = yTrue.rank && yTrue.rank === yPred.rank && yTrue.shape[yTrue.rank - 1] === 1 ? squeeze(yTrue, -1) : yTrue;
      return matches(labels, predictedClass(yPred));
    }, options, 'SparseCategoricalAccuracy', 'sparse_categorical_accuracy');
  }
}
