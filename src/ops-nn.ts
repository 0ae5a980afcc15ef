// Neural-network ops: softmax and logSoftmax (kernel and backward rule in assembly/ops/nn.ts),
// the losses (compositions of recorded ops, so they need no gradient code), and seeded random
// tensors (generated inside the core by assembly/kernels/random.ts, bit-identical on every
// platform). Convolution and pooling: ops-conv.ts.
import { def, method, checkDTypes, dims, broadcastShapes, normAxis, withShape, fmt, seedOf, optionsOf, finite } from './ops.js';
import { core } from './core.js';
import { Tensor, TensorLike, toTensor, wrap, describe, tensor, empty } from './tensor.js';
import { softplus, mul, sub, square, equal, cast, neg } from './ops-elementwise.js';
import { sum } from './ops-reduce.js';
import { expandDims } from './ops-shape.js';
import { floatLabels, meanLastAxis } from './labels.js';

// ---- softmax ----
function softmaxOp(name: string, log: number) {
  return method(name, (x: TensorLike, axis = -1): Tensor => {
    const t = toTensor(name, x);
    checkDTypes(name, t, 'float');
    if (t.rank === 0) throw new Error(`${name}: expected a tensor of rank >= 1, got a scalar`);
    return withShape(wrap(core.softmax(t.id, normAxis(name, axis, t.rank), log), 'float32'), dims(t));
  }, __TESTS__ && { kind: 'other', dtypes: 'float', grad: true, examples: [{ inputs: [[2, 5]] }, { inputs: [[3, 4, 2]], args: [1] }, { inputs: [[4]], args: [0] }] });
}
/** Softmax along `axis` (default -1): eˣ / Σ eˣ, computed without overflow (float32). */
export const softmax = softmaxOp('softmax', 0);
/** Log of the softmax along `axis` (default -1), computed stably (float32). */
export const logSoftmax = softmaxOp('logSoftmax', 1);



// ---- losses (one value per example: the last axis is reduced) ----
/** labels must broadcast to the shape of logits. */
function checkLabelShape(op: string, labels: Tensor, logits: Tensor): void {
  const ls = dims(labels), xs = dims(logits), off = xs.length - ls.length;
  if (off < 0 || ls.some((d, i) => d !== 1 && d !== xs[i + off]))
    throw new Error(`${op}: labels of shape ${fmt(ls)} do not match logits of shape ${fmt(xs)} (nor broadcast to it)`);
}

/** -sum(labels · logSoftmax(logits), -1); differentiable w.r.t. both. */
export const softmaxCrossEntropy = /* @__PURE__ */ def('softmaxCrossEntropy', function softmaxCrossEntropy(labels: TensorLike, logits: TensorLike): Tensor {
  const op = 'softmaxCrossEntropy';
  const x = toTensor(op, logits);
  checkDTypes(op, x, 'float');
  if (x.rank === 0) throw new Error(`${op}: logits must have rank >= 1, got a scalar`);
  const z = floatLabels(op, labels);
  checkLabelShape(op, z, x);
  return neg(sum(mul(z, logSoftmax(x, -1)), -1));
  
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [{ inputs: [[2, 5], [2, 5]] }, { inputs: [[4], [3, 4]] }, { inputs: [[2, 3, 4], [2, 3, 4]] }, { inputs: [[6], [6]] }],
});

/** Labels are int32 class indices, shaped like logits without the last axis; they get no gradient. */
export const sparseSoftmaxCrossEntropy = /* @__PURE__ */ def('sparseSoftmaxCrossEntropy', function sparseSoftmaxCrossEntropy(labels: TensorLike, logits: TensorLike): Tensor {
  const op = 'sparseSoftmaxCrossEntropy';
  const x = toTensor(op, logits);
  checkDTypes(op, x, 'float');
  const z = toTensor(op, labels, 'int32');
  if (z.dtype !== 'int32') throw new Error(`${op}: labels must be int32 class indices, got dtype ${z.dtype} (shape ${fmt(dims(z))})`);
  const xs = dims(x), ls = dims(z);
  if (xs.length === 0) throw new Error(`${op}: logits must have rank >= 1, got a scalar`);
  if (ls.length !== xs.length - 1 || ls.some((d, i) => d !== xs[i]))
    throw new Error(`${op}: labels of shape ${fmt(ls)} must have the shape of logits ${fmt(xs)} without its last axis, i.e. ${fmt(xs.slice(0, -1))}`);
  const classes = xs[xs.length - 1];
  const values = z.data() as Int32Array;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0 || values[i] >= classes)
      throw new Error(`${op}: label ${values[i]} at flat index ${i} is out of range [0, ${classes}) for logits of shape ${fmt(xs)}`);
  }
  // one-hot by comparison with 0..classes-1: comparisons are not recorded, so labels get no gradient
  const iota = tensor(Int32Array.from({ length: classes }, (_, i) => i), [classes], 'int32');
  return softmaxCrossEntropy(cast(equal(expandDims(z, -1), iota), 'float32'), x);
  
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [{ inputs: [{ shape: [3], int: [0, 5] }, [3, 5]] }, { inputs: [{ shape: [2, 3], int: [0, 4] }, [2, 3, 4]] }, { inputs: [{ shape: [], int: [0, 6] }, [6]] }],
});

/**
 * Mean over the last axis of softplus(x) - x·z (x = logits, z = labels), i.e. TF's stable
 * max(x, 0) - x·z + log(1 + exp(-|x|)) (Keras binary_crossentropy from logits). Its gradient
 * w.r.t. the logits is (sigmoid(x) - z) / lastAxisSize, finite for any |x|.
 */
export const sigmoidCrossEntropy = /* @__PURE__ */ def('sigmoidCrossEntropy', function sigmoidCrossEntropy(labels: TensorLike, logits: TensorLike): Tensor {
  const op = 'sigmoidCrossEntropy';
  const x = toTensor(op, logits);
  checkDTypes(op, x, 'float');
  const z = floatLabels(op, labels);
  checkLabelShape(op, z, x);
  return meanLastAxis(sub(softplus(x), mul(x, z)));
  
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true, domain: [-4, 4],
  examples: [{ inputs: [[2, 3], [2, 3]] }, { inputs: [[4], [4]] }, { inputs: [[3, 1], [3, 1]] }, { inputs: [[3], [2, 3]] }, { inputs: [[], []] }],
});

/** mean(square(yPred - yTrue), -1) (Keras MSE); yTrue and yPred broadcast together. */
export const meanSquaredError = /* @__PURE__ */ def('meanSquaredError', function meanSquaredError(yTrue: TensorLike, yPred: TensorLike): Tensor {
  const op = 'meanSquaredError';
  const p = toTensor(op, yPred);
  checkDTypes(op, p, 'float');
  const t = floatLabels(op, yTrue);
  broadcastShapes(op, dims(t), dims(p));
  return meanLastAxis(square(sub(p, t)));
  
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [{ inputs: [[2, 3], [2, 3]] }, { inputs: [[3], [2, 3]] }, { inputs: [[4], [4]] }, { inputs: [[2, 1], [2, 5]] }],
});

// ---- random tensors ----
/** Options of `randomNormal`: mean (0), standard deviation (1), seed, dtype (float32 only). */
export interface RandomNormalOptions { mean?: number; stddev?: number; seed?: number; dtype?: 'float32' }
/** Options of `randomUniform`: the interval [min, max) (default [0, 1)), seed, dtype (float32 only). */
export interface RandomUniformOptions { min?: number; max?: number; seed?: number; dtype?: 'float32' }

/** The options of a random op: its two numbers (given or default, finite) and its seed. */
function randomOptions(op: string, options: unknown, [a, b]: string[], [da, db]: number[]): [number, number, number] {
  const o = optionsOf(op, options, [a, b, 'seed', 'dtype']);
  if (o.dtype !== undefined && o.dtype !== 'float32') throw new Error(`${op}: only dtype 'float32' is supported, got ${describe(o.dtype)}`);
  return [finite(op, a, o[a] ?? da), finite(op, b, o[b] ?? db), seedOf(op, o.seed)];
}

/** Normal samples (float32) from a seeded counter-based generator: the same seed gives the same tensor everywhere. */
export function randomNormal(shape: readonly number[], options?: RandomNormalOptions): Tensor {
  const op = 'randomNormal';
  const [m, sd, seed] = randomOptions(op, options, ['mean', 'stddev'], [0, 1]);
  if (sd < 0) throw new Error(`${op}: stddev must be >= 0, got ${sd}`);
  const out = empty(shape, 'float32', op);
  out._shape = shape.slice();
  core.randomNormal(out.id, seed, m, sd);
  return out;
}

/** Uniform samples (float32) in [min, max) from a seeded counter-based generator. */
export function randomUniform(shape: readonly number[], options?: RandomUniformOptions): Tensor {
  const op = 'randomUniform';
  const [min, max, seed] = randomOptions(op, options, ['min', 'max'], [0, 1]);
  if (!(min <= max)) throw new Error(`${op}: min must be <= max, got min=${min}, max=${max}`);
  const out = empty(shape, 'float32', op);
  out._shape = shape.slice();
  core.randomUniform(out.id, seed, min, max);
  return out;
}
