// Keras' losses in function form (keras.losses.binary_crossentropy, ...): one value per example, the
// last axis reduced as Keras reduces it (a mean, or a sum where Keras sums). Compositions of recorded
// ops, so gradients of every order come from the ops they are made of; each is declared pure, so a
// program that imports none of them carries none. Formulas and constants are Keras 3's
// (keras/src/losses/losses.py, keras/src/backend/tensorflow/nn.py).
import { def, dims, broadcastShapes, floatArg, axisOf, optionsOf, flag, finite } from './ops.js';
import { Tensor, TensorLike, toTensor } from './tensor.js';
import { add, sub, mul, div, neg, abs, square, log, softplus, relu, clipByValue, lessEqual, where } from './ops-elementwise.js';
import { sum } from './ops-reduce.js';
import { expandDims, squeeze } from './ops-shape.js';
import { logSoftmax, sparseSoftmaxCrossEntropy } from './ops-nn.js';
import { floatLabels, meanLastAxis } from './labels.js';

/** Keras' backend.epsilon(): probabilities are clipped to [EPSILON, 1 − EPSILON] before their log. */
const EPSILON = 1e-7;
const clipProbabilities = (p: Tensor): Tensor => clipByValue(p, EPSILON, 1 - EPSILON);

/**
 * Keras' squeeze_or_expand_to_same_rank for `a` one rank above `b` with a last axis of 1: against a
 * rank-1 `b`, `b` gains that axis; otherwise `a` loses it. So labels [batch] meet predictions
 * [batch, 1] elementwise instead of broadcasting to [batch, batch].
 */
const fitRank = (a: Tensor, b: Tensor): [Tensor, Tensor] =>
  a.rank !== b.rank + 1 || dims(a)[b.rank] !== 1 ? [a, b] : b.rank === 1 ? [a, expandDims(b, -1)] : [squeeze(a, -1), b];

/**
 * [yTrue, yPred]: yPred a float32 tensor, yTrue cast to float32 (int32 and bool labels carry no
 * gradient), the two broadcasting together; with `fit`, after Keras' rank fitting (fitRank).
 */
function operands(op: string, yTrue: TensorLike, yPred: TensorLike, fit?: boolean): [Tensor, Tensor] {
  let p = floatArg(op, yPred), t = floatLabels(op, yTrue);
  if (fit) { [t, p] = fitRank(t, p); [p, t] = fitRank(p, t); }
  broadcastShapes(op, dims(t), dims(p));
  return [t, p];
}

/** Keras' label smoothing: labels moved towards `to` by the fraction `amount` (in [0, 1]). */
function smoothed(op: string, t: Tensor, amount: unknown, to: number): Tensor {
  const s = finite(op, 'labelSmoothing', amount ?? 0, 0, 1);
  return s ? add(mul(t, 1 - s), s * to) : t;
}

/** Options of `binaryCrossentropy`. */
export interface BinaryCrossentropyOptions {
  /** yPred holds logits rather than probabilities (default false) */
  fromLogits?: boolean;
  /** in [0, 1] (default 0): labels become `y · (1 − labelSmoothing) + labelSmoothing / 2` */
  labelSmoothing?: number;
}
/** Options of `categoricalCrossentropy`. */
export interface CategoricalCrossentropyOptions {
  /** yPred holds logits rather than probabilities (default false) */
  fromLogits?: boolean;
  /** in [0, 1] (default 0): labels become `y · (1 − labelSmoothing) + labelSmoothing / classes` */
  labelSmoothing?: number;
  /** the class axis of yPred (default -1) */
  axis?: number;
}
/** Options of `sparseCategoricalCrossentropy`. */
export interface SparseCategoricalCrossentropyOptions {
  /** yPred holds logits rather than probabilities (default false) */
  fromLogits?: boolean;
}

/**
 * Keras' binary_crossentropy: the mean over the last axis of −(y·log p + (1 − y)·log(1 − p)), p
 * clipped to [1e-7, 1 − 1e-7] (so a gradient of 0 beyond); with `fromLogits`, TF's stable
 * max(x, 0) − x·y + log(1 + e^−|x|), finite with its gradient for logits of any size. yTrue (any
 * dtype, cast to float32) broadcasts with yPred.
 * @example
 * ```ts
 * import { binaryCrossentropy } from 'gradtape';
 *
 * const loss = binaryCrossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]);
 * console.log(loss.toArray().map(v => +v.toFixed(3))); // [0.916, 0.714]
 * ```
 */
export const binaryCrossentropy = /* @__PURE__ */ def('binaryCrossentropy', function binaryCrossentropy(yTrue: TensorLike, yPred: TensorLike, options?: BinaryCrossentropyOptions): Tensor {
  const op = 'binaryCrossentropy', o = optionsOf(op, options, ['fromLogits', 'labelSmoothing']);
  const [labels, p] = operands(op, yTrue, yPred), t = smoothed(op, labels, o.labelSmoothing, 0.5);
  if (flag(op, 'fromLogits', o.fromLogits)) return meanLastAxis(sub(softplus(p), mul(p, t))); // = max(x, 0) − x·y + log(1 + e^−|x|)
  const q = clipProbabilities(p);
  return meanLastAxis(neg(add(mul(t, log(q)), mul(sub(1, t), log(sub(1, q))))));
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true, domain: [0.05, 0.95],
  examples: [{ inputs: [[2, 3], [2, 3]] }, { inputs: [[2, 3], [2, 3]], args: [{ labelSmoothing: 0.2 }] }, { inputs: [[4], [4]], args: [{ fromLogits: true }] },
    { inputs: [[3], [2, 3]], args: [{ fromLogits: true, labelSmoothing: 0.1 }] }, { inputs: [[], []] }],
});

/**
 * Keras' categorical_crossentropy: −Σ y·log p over the class `axis`, p being yPred divided by its
 * sum over that axis and clipped to [1e-7, 1 − 1e-7]; with `fromLogits`, −Σ y·logSoftmax(yPred)
 * (stable for logits of any size). yTrue (one-hot or any distribution) broadcasts with yPred.
 * @example
 * ```ts
 * import { categoricalCrossentropy } from 'gradtape';
 *
 * const loss = categoricalCrossentropy([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]);
 * console.log(loss.toArray().map(v => +v.toFixed(4))); // [0.0513, 2.3026]
 * ```
 */
export const categoricalCrossentropy = /* @__PURE__ */ def('categoricalCrossentropy', function categoricalCrossentropy(yTrue: TensorLike, yPred: TensorLike, options?: CategoricalCrossentropyOptions): Tensor {
  const op = 'categoricalCrossentropy', o = optionsOf(op, options, ['fromLogits', 'labelSmoothing', 'axis']);
  const [labels, p] = operands(op, yTrue, yPred);
  const ax = axisOf(op, p, o.axis ?? -1) - p.rank; // negative: the same axis of the (maybe broadcast) product
  const t = smoothed(op, labels, o.labelSmoothing, 1 / dims(p)[p.rank + ax]);
  const logP = flag(op, 'fromLogits', o.fromLogits) ? logSoftmax(p, ax) : log(clipProbabilities(div(p, sum(p, ax, true))));
  return neg(sum(mul(t, logP), ax));
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true, domain: [0.05, 0.95],
  examples: [{ inputs: [[2, 4], [2, 4]] }, { inputs: [[2, 4], [2, 4]], args: [{ fromLogits: true }] },
    { inputs: [[3, 2, 4], [3, 2, 4]], args: [{ labelSmoothing: 0.1, axis: 1 }] }, { inputs: [[4], [3, 4]], args: [{ fromLogits: true, labelSmoothing: 0.3 }] }],
});

/**
 * Keras' sparse_categorical_crossentropy: yTrue holds int32 class indices, shaped like yPred without
 * its last (class) axis, or with a last axis of 1. The loss is −log of the label's probability,
 * probabilities clipped to [1e-7, 1 − 1e-7] (and then normalized to sum to 1, as Keras' log-softmax
 * of their logs does); with `fromLogits`, −logSoftmax(yPred) at the label.
 * @example
 * ```ts
 * import { sparseCategoricalCrossentropy } from 'gradtape';
 *
 * const loss = sparseCategoricalCrossentropy([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]);
 * console.log(loss.toArray().map(v => +v.toFixed(4))); // [0.0513, 2.3026]
 * ```
 */
export const sparseCategoricalCrossentropy = /* @__PURE__ */ def('sparseCategoricalCrossentropy', function sparseCategoricalCrossentropy(yTrue: TensorLike, yPred: TensorLike, options?: SparseCategoricalCrossentropyOptions): Tensor {
  const op = 'sparseCategoricalCrossentropy', fromLogits = flag(op, 'fromLogits', optionsOf(op, options, ['fromLogits']).fromLogits);
  const p = floatArg(op, yPred);
  let labels = toTensor(op, yTrue, 'int32');
  if (labels.rank && labels.rank === p.rank && dims(labels)[p.rank - 1] === 1) labels = squeeze(labels, -1);
  try {
    return sparseSoftmaxCrossEntropy(labels, fromLogits ? p : log(clipProbabilities(p)));
  } catch (e) { // (its checks of the labels and their range, named for this op)
    throw new Error(`${op}: ${(e as Error).message}`);
  }
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true, domain: [0.05, 0.95],
  examples: [{ inputs: [{ shape: [3], int: [0, 4] }, [3, 4]] }, { inputs: [{ shape: [3], int: [0, 4] }, [3, 4]], args: [{ fromLogits: true }] },
    { inputs: [{ shape: [3, 1], int: [0, 4] }, [3, 4]] }, { inputs: [{ shape: [2, 3], int: [0, 5] }, [2, 3, 5]], args: [{ fromLogits: true }] }],
});

// The regression losses take Keras' rank fitting first (fitRank), as Keras' functions do.
const REGRESSION_EXAMPLES = [{ inputs: [[2, 3], [2, 3]] }, { inputs: [[3], [3, 1]] }, { inputs: [[4, 1], [4]] }, { inputs: [[2, 3, 1], [2, 3]] }, { inputs: [[3], [2, 3]] }];

/**
 * Keras' huber: with e = yPred − yTrue, the mean over the last axis of e²/2 where |e| ≤ delta and
 * delta·|e| − delta²/2 beyond (`delta` > 0, default 1).
 * @example
 * ```ts
 * import { huber } from 'gradtape';
 *
 * const loss = huber([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]);
 * console.log(loss.toArray().map(v => +v.toFixed(3))); // [0.18, 0.13]
 * ```
 */
export const huber = /* @__PURE__ */ def('huber', function huber(yTrue: TensorLike, yPred: TensorLike, delta = 1): Tensor {
  const op = 'huber', d = finite(op, 'delta', delta, 0, Infinity, '('), [t, p] = operands(op, yTrue, yPred, true);
  const e = sub(p, t), a = abs(e);
  return meanLastAxis(where(lessEqual(a, d), mul(square(e), 0.5), sub(mul(a, d), d * d / 2)));
}, __TESTS__ && { kind: 'other', dtypes: 'float', grad: true, examples: [...REGRESSION_EXAMPLES, { inputs: [[2, 3], [2, 3]], args: [0.5] }] });

/**
 * Keras' mean_absolute_error: the mean of |yPred − yTrue| over the last axis.
 * @example
 * ```ts
 * import { meanAbsoluteError } from 'gradtape';
 *
 * console.log(meanAbsoluteError([[0, 1], [0, 0]], [[1, 1], [0, 0]]).toArray()); // [0.5, 0]
 * ```
 */
export const meanAbsoluteError = /* @__PURE__ */ def('meanAbsoluteError', function meanAbsoluteError(yTrue: TensorLike, yPred: TensorLike): Tensor {
  const [t, p] = operands('meanAbsoluteError', yTrue, yPred, true);
  return meanLastAxis(abs(sub(p, t)));
}, __TESTS__ && { kind: 'other', dtypes: 'float', grad: true, secondOrder: false, examples: REGRESSION_EXAMPLES });

/**
 * Keras' log_cosh: the mean over the last axis of log(cosh(e)), e = yPred − yTrue, computed as
 * e + softplus(−2e) − log 2: no overflow for any |e| (about |e| − log 2 there), gradient tanh(e).
 * @example
 * ```ts
 * import { logCosh } from 'gradtape';
 *
 * const loss = logCosh([[0, 1], [0, 0]], [[1, 1], [0, 0]]);
 * console.log(loss.toArray().map(v => +v.toFixed(3))); // [0.217, 0]
 * ```
 */
export const logCosh = /* @__PURE__ */ def('logCosh', function logCosh(yTrue: TensorLike, yPred: TensorLike): Tensor {
  const [t, p] = operands('logCosh', yTrue, yPred, true), e = sub(p, t);
  return meanLastAxis(sub(add(e, softplus(mul(e, -2))), Math.LN2));
}, __TESTS__ && { kind: 'other', dtypes: 'float', grad: true, examples: REGRESSION_EXAMPLES });

/**
 * Keras' kl_divergence: Σ y·log(y / p) over the last axis (a sum, as Keras), y and p clipped to
 * [1e-7, 1]. yTrue broadcasts with yPred.
 * @example
 * ```ts
 * import { klDivergence } from 'gradtape';
 *
 * const loss = klDivergence([[0.5, 0.5], [1, 0]], [[0.25, 0.75], [1, 0]]);
 * console.log(loss.toArray().map(v => +v.toFixed(4))); // [0.1438, 0]
 * ```
 */
export const klDivergence = /* @__PURE__ */ def('klDivergence', function klDivergence(yTrue: TensorLike, yPred: TensorLike): Tensor {
  const [labels, p] = operands('klDivergence', yTrue, yPred), t = clipByValue(labels, EPSILON, 1);
  const terms = mul(t, log(div(t, clipByValue(p, EPSILON, 1))));
  return terms.rank ? sum(terms, -1) : terms;
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true, domain: [0.05, 0.95],
  examples: [{ inputs: [[2, 3], [2, 3]] }, { inputs: [[3], [2, 3]] }, { inputs: [[4], [4]] }, { inputs: [[], []] }],
});

/**
 * Keras' hinge: the mean over the last axis of max(1 − y·yPred, 0), labels y in {−1, 1}; labels that
 * are all 0 or 1 are taken as −1 and 1 first (Keras' rule: it reads yTrue's values).
 * @example
 * ```ts
 * import { hinge } from 'gradtape';
 *
 * console.log(hinge([[0, 1], [1, 1]], [[-0.5, 0.25], [2, -1]]).toArray()); // [0.625, 1]
 * ```
 */
export const hinge = /* @__PURE__ */ def('hinge', function hinge(yTrue: TensorLike, yPred: TensorLike): Tensor {
  const [labels, p] = operands('hinge', yTrue, yPred);
  const t = (labels.data() as Float32Array).every(v => v === 0 || v === 1) ? sub(mul(labels, 2), 1) : labels;
  return meanLastAxis(relu(sub(1, mul(t, p))));
}, __TESTS__ && { kind: 'other', dtypes: 'float', grad: true, secondOrder: false, examples: [{ inputs: [[2, 3], [2, 3]] }, { inputs: [[3], [2, 3]] }, { inputs: [[5], [5]] }] });
