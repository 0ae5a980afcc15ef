// Linear algebra: matmul (batched, broadcast; kernel and backward rule in assembly/ops/linalg.ts),
// and dot and norm, compositions of recorded ops.
// ---- linear algebra ----
import { core } from './core.js';
import { Tensor, TensorLike, toTensor, wrap, product } from './tensor.js';
import { method, checkDTypes, dims, operands, flag, broadcastShapes, withShape, axesMask, fmt } from './ops.js';
import { checkShape } from './tensor.js';
import { sqrt, square } from './ops-elementwise.js';
import { type FusedOptions, checkFused, fusedBias, applyFused } from './fused.js';
import { sum } from './ops-reduce.js';
import { reshape, transpose } from './ops-shape.js';
import { C } from '../build/generated/interface.js';

/**
 * Matrix product of the last two axes, batched and broadcast over the leading ones; `transposeA`/
 * `transposeB` transpose an operand first (float32). `options.bias` and `options.activation` fuse
 * `activation(product + bias)` into the same call (TensorFlow.js's tf.fused.matMul), equal in value
 * and gradient to the separate ops.
 */
export const matmul = method('matmul', function matmul(a: TensorLike, b: TensorLike, transposeA = false, transposeB = false, options?: FusedOptions): Tensor {
  checkFused('matmul', options);
  const [x, y] = operands('matmul', a, b);
  checkDTypes('matmul', x, 'float');
  flag('matmul', 'transposeA', transposeA); flag('matmul', 'transposeB', transposeB);
  const sa = dims(x), sb = dims(y);
  if (sa.length < 2 || sb.length < 2) throw new Error(`matmul: both operands must have rank >= 2, got shapes ${fmt(sa)} and ${fmt(sb)}`);
  const m = transposeA ? sa[sa.length - 1] : sa[sa.length - 2], ka = transposeA ? sa[sa.length - 2] : sa[sa.length - 1];
  const kb = transposeB ? sb[sb.length - 1] : sb[sb.length - 2], n = transposeB ? sb[sb.length - 2] : sb[sb.length - 1];
  if (ka !== kb) throw new Error(`matmul: inner dimensions must match: shapes ${fmt(sa)} and ${fmt(sb)} give ${ka} vs ${kb} (transposeA=${transposeA}, transposeB=${transposeB})`);
  const batch = broadcastShapes('matmul', sa.slice(0, -2), sb.slice(0, -2));
  const shape = [...batch, m, n];
  checkShape('matmul', shape);
  const bias = fusedBias('matmul', options, n);
  return applyFused(withShape(wrap(core[C.matmul](x.id, y.id, transposeA ? 1 : 0, transposeB ? 1 : 0), 'float32'), shape), bias, options);
}, __TESTS__ && { kind: 'other', dtypes: 'float', grad: true, examples: [
  { inputs: [[3, 4], [4, 5], [5]], call: (f, [a, b, bias]) => f(a, b, false, false, { bias, activation: 'tanh' }) },
  { inputs: [[2, 3, 4], [4, 6], [6]], call: (f, [a, b, bias]) => f(a, b, false, false, { bias, activation: 'sigmoid' }) },
  { inputs: [[4, 3], [5, 4], [5]], call: (f, [a, b, bias]) => f(a, b, true, true, { bias, activation: 'elu' }) },
  { inputs: [[3, 4], [4, 9], [9]], call: (f, [a, b, bias]) => f(a, b, false, false, { bias, activation: 'relu' }) },
  { inputs: [[3, 4], [4, 9], [1]], call: (f, [a, b, bias]) => f(a, b, false, false, { bias, activation: 'leakyRelu' }) },
  { inputs: [[3, 4], [4, 5]], call: (f, [a, b]) => f(a, b, false, false, { activation: 'relu6' }) },
  { inputs: [[70, 5], [5, 9], [9]], call: (f, [a, b, bias]) => f(a, b, false, false, { bias, activation: 'linear' }) },
  { inputs: [[3, 4], [4, 5]] }, { inputs: [[4, 3], [4, 5]], args: [true, false] }, { inputs: [[3, 4], [5, 4]], args: [false, true] }, { inputs: [[4, 3], [5, 4]], args: [true, true] }, { inputs: [[2, 5, 9], [9, 11]] }, { inputs: [[2, 1, 3, 4], [3, 4, 2]] }, { inputs: [[9, 13], [13, 17]] }, { inputs: [[13, 9], [17, 13]], args: [true, true] }, { inputs: [[9, 13], [17, 13]], args: [false, true] }, { inputs: [[13, 9], [13, 17]], args: [true, false] }, { inputs: [[2, 13, 9], [1, 17, 13]], args: [true, true] }, { inputs: [[70, 5], [5, 9]] }, { inputs: [[5, 133], [3, 5]], args: [true, true] },
  // a batch over one matrix b (one product over all of a's rows): b transposed, two batch dims
  { inputs: [[2, 5, 9], [11, 9]], args: [false, true] }, { inputs: [[2, 3, 5, 4], [4, 6]] }] });

/** np.dot / tf.dot: contracts a's last axis with b's only axis (rank 1) or second-to-last axis. */
export const dot = method('dot', function dot(a: TensorLike, b: TensorLike): Tensor {
  const x = toTensor('dot', a), y = toTensor('dot', b);
  checkDTypes('dot', x, 'float'); checkDTypes('dot', y, 'float');
  const sa = dims(x), sb = dims(y);
  if (sa.length === 0 || sb.length === 0) throw new Error(`dot: both operands must have rank >= 1, got shapes ${fmt(sa)} and ${fmt(sb)}`);
  const bAxis = sb.length === 1 ? 0 : sb.length - 2;
  const k = sa[sa.length - 1];
  if (k !== sb[bAxis]) throw new Error(`dot: inner dimensions must match: shapes ${fmt(sa)} and ${fmt(sb)} give ${k} vs ${sb[bAxis]}`);
  const aOuter = sa.slice(0, -1), bOuter = sb.filter((_, i) => i !== bAxis);
  const shape = [...aOuter, ...bOuter];
  checkShape('dot', shape);
  if (sa.length === 2 && sb.length === 2) return matmul(x, y);
  // (the op scope frees the temporaries)
  const nA = product(aOuter), nB = product(bOuter);
  const a2 = sa.length === 2 ? x : reshape(x, [nA, k]);
  const bt = sb.length <= 2 ? y : transpose(y, [bAxis, ...sb.map((_, i) => i).filter(i => i !== bAxis)]);
  const b2 = sb.length === 2 ? y : reshape(bt, [k, nB]);
  return reshape(matmul(a2, b2), shape);
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [{ inputs: [[4], [4]] }, { inputs: [[3, 4], [4]] }, { inputs: [[4], [4, 5]] }, { inputs: [[3, 4], [4, 5]] }, { inputs: [[2, 3, 4], [4, 2]] }, { inputs: [[2, 3], [2, 3, 4]] }],
});

/** Euclidean norm: sqrt(sum(x²)) over `axis` (all axes by default). */
export const norm = method('norm', function norm(x: TensorLike, axis?: number | number[], keepDims = false): Tensor {
  const t = toTensor('norm', x);
  checkDTypes('norm', t, 'float');
  axesMask('norm', axis, t.rank); // validates the axes with this op's name
  flag('norm', 'keepDims', keepDims);
  return sqrt(sum(square(t), axis, keepDims)); // (the op scope frees the temporaries)
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [{ inputs: [[3, 4]] }, { inputs: [[3, 4]], args: [1] }, { inputs: [[2, 3, 4]], args: [[0, 2], true] }, { inputs: [[5]], args: [0] }, { inputs: [[2, 3]], args: [-1, true] }],
});
