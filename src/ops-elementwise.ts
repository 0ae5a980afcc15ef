// Elementwise ops: unary maps, broadcasting binary ops, comparisons, where, clipping and casts.
// Kernels and backward rules: assembly/ops/elementwise.ts.
// ---- unary ----
import { core } from './core.js';
import { Op } from '../build/generated/opcodes.js';
import { Tensor, TensorLike, DType, toTensor, wrap, describe, dtypeCode, checkDType } from './tensor.js';
import { method, checkDTypes, dims, withShape, operands, broadcastShapes, unrecorded, fmt, type DTypes, type SpecExtras } from './ops.js';
import { C } from '../build/generated/interface.js';

function unaryOp(name: string, op: Op, allowed: DTypes, extras: SpecExtras | false = false) {
  return method(name, (x: TensorLike): Tensor => {
    const t = toTensor(name, x);
    checkDTypes(name, t, allowed);
    return withShape(wrap(core[C.unary](op, t.id, 0), op === Op.LogicalNot ? 'bool' : t.dtype), dims(t));
  }, __TESTS__ && { kind: 'unary', dtypes: allowed, grad: true, ...extras });
}
/** Elementwise negation, -x. */
export const neg = unaryOp('neg', Op.Neg, 'numeric');
/** Elementwise absolute value, |x|. */
export const abs = unaryOp('abs', Op.Abs, 'numeric', __TESTS__ && { kinks: [0] });
/** Elementwise sign: -1, 0 or 1 (gradient 0, as in TF). */
export const sign = unaryOp('sign', Op.Sign, 'numeric', __TESTS__ && { kinks: [0] });
/** Elementwise square, x². */
export const square = unaryOp('square', Op.Square, 'numeric');
/** Elementwise square root (float32). */
export const sqrt = unaryOp('sqrt', Op.Sqrt, 'float', __TESTS__ && { domain: [0.2, 3] });
/** Elementwise reciprocal square root, 1 / √x (float32). */
export const rsqrt = unaryOp('rsqrt', Op.Rsqrt, 'float', __TESTS__ && { domain: [0.2, 3] });
/** Elementwise eˣ (float32). */
export const exp = unaryOp('exp', Op.Exp, 'float');
/** Elementwise eˣ - 1, accurate near 0 (float32). */
export const expm1 = unaryOp('expm1', Op.Expm1, 'float');
/** Elementwise natural logarithm (float32). */
export const log = unaryOp('log', Op.Log, 'float', __TESTS__ && { domain: [0.2, 3] });
/** Elementwise ln(1 + x), accurate near 0 (float32). */
export const log1p = unaryOp('log1p', Op.Log1p, 'float', __TESTS__ && { domain: [-0.8, 2] });
/** Elementwise sine (float32). */
export const sin = unaryOp('sin', Op.Sin, 'float');
/** Elementwise cosine (float32). */
export const cos = unaryOp('cos', Op.Cos, 'float');
/** Elementwise tangent (float32). */
export const tan = unaryOp('tan', Op.Tan, 'float', __TESTS__ && { domain: [-1.2, 1.2] });
/** Elementwise hyperbolic tangent (float32). */
export const tanh = unaryOp('tanh', Op.Tanh, 'float');
/** Elementwise logistic sigmoid, 1 / (1 + e⁻ˣ) (float32). */
export const sigmoid = unaryOp('sigmoid', Op.Sigmoid, 'float');
/** Elementwise max(x, 0) (float32). */
export const relu = unaryOp('relu', Op.Relu, 'float', __TESTS__ && { kinks: [0] });
/** Elementwise min(max(x, 0), 6) (float32). */
export const relu6 = unaryOp('relu6', Op.Relu6, 'float', __TESTS__ && { kinks: [0, 6], domain: [-2, 8] });
/** Elementwise ELU: x for x > 0, eˣ - 1 otherwise (float32). */
export const elu = unaryOp('elu', Op.Elu, 'float', __TESTS__ && { kinks: [0] });
/** Elementwise SELU: scale · (x for x > 0, α(eˣ - 1) otherwise), with TF's α and scale (float32). */
export const selu = unaryOp('selu', Op.Selu, 'float', __TESTS__ && { kinks: [0] });
/** Elementwise ln(1 + eˣ), computed without overflow (float32). */
export const softplus = unaryOp('softplus', Op.Softplus, 'float');
/** Elementwise Gauss error function (float32). */
export const erf = unaryOp('erf', Op.Erf, 'float');
/** Elementwise 1 / x (float32). */
export const reciprocal = unaryOp('reciprocal', Op.Reciprocal, 'float', __TESTS__ && { domain: [0.3, 2] });
/** Elementwise floor (float32; not differentiable: its gradient is null, as in TF). */
export const floor = unaryOp('floor', Op.Floor, 'float', __TESTS__ && { grad: false });
/** Elementwise ceiling (float32; not differentiable). */
export const ceil = unaryOp('ceil', Op.Ceil, 'float', __TESTS__ && { grad: false });
/** Elementwise rounding, half to even as in TF (float32; not differentiable). */
export const round = unaryOp('round', Op.Round, 'float', __TESTS__ && { grad: false });
/** Elementwise NOT of a bool tensor. */
export const logicalNot = unaryOp('logicalNot', Op.LogicalNot, 'bool', __TESTS__ && { grad: false });
/** A copy of x (any dtype); the gradient passes through unchanged. */
export const identity = unaryOp('identity', Op.Identity, 'any');

/** Elementwise x for x > 0, alpha · x otherwise (alpha defaults to 0.2, as in TF). */
export const leakyRelu = method('leakyRelu', function leakyRelu(x: TensorLike, alpha = 0.2): Tensor {
  const t = toTensor('leakyRelu', x);
  checkDTypes('leakyRelu', t, 'float');
  if (typeof alpha !== 'number') throw new Error(`leakyRelu: alpha must be a number, got ${describe(alpha)}`);
  return withShape(wrap(core[C.unary](Op.LeakyRelu, t.id, alpha), 'float32'), dims(t));
}, __TESTS__ && { kind: 'unary', dtypes: 'float', grad: true, kinks: [0], examples: [{ inputs: [[2, 3]] }, { inputs: [[4]], args: [0.5] }] });
/** Elementwise SiLU (swish), x · sigmoid(x). */
export const silu = method('silu', (x: TensorLike): Tensor => { const t = toTensor('silu', x); checkDTypes('silu', t, 'float'); return mul(t, sigmoid(t)); }, __TESTS__ && { kind: 'unary', dtypes: 'float', grad: true });
/**
 * Exact GELU (TF's default, approximate = false): x · Φ(x) = 0.5 · x · (1 + erf(x / √2)), as
 * accurate as TF's formula; one kernel computes it and its derivative.
 */
export const gelu = unaryOp('gelu', Op.Gelu, 'float');
/** Elementwise min(max(x, lo), hi); the gradient is 1 inside [lo, hi] (both ends included) and 0 outside. */
export const clipByValue = method('clipByValue', function clipByValue(x: TensorLike, lo: number, hi: number): Tensor {
  const t = toTensor('clipByValue', x);
  checkDTypes('clipByValue', t, 'numeric');
  if (typeof lo !== 'number' || typeof hi !== 'number' || !(lo <= hi)) throw new Error(`clipByValue: expected numbers lo <= hi, got lo=${describe(lo)}, hi=${describe(hi)}`);
  // ties go to the first argument of maximum/minimum, so both ends keep gradient 1 (as TF)
  return minimum(maximum(t, lo), hi);
}, __TESTS__ && { kind: 'other', dtypes: 'numeric', grad: true, kinks: [-0.5, 0.7], examples: [{ inputs: [[3, 4]], args: [-0.5, 0.7] }] });
/** A copy of x that no tape records: gradients do not flow through it (TF's tf.stop_gradient). */
export const stopGradient = method('stopGradient', function stopGradient(x: TensorLike): Tensor {
  const t = toTensor('stopGradient', x);
  return withShape(wrap(unrecorded(() => core[C.unary](Op.Identity, t.id, 0)), t.dtype), dims(t));
}, __TESTS__ && { kind: 'unary', dtypes: 'any', grad: false });
/** x converted to `dtype` ('float32', 'int32' or 'bool'); float to int truncates toward zero. Gradients flow between float tensors only. */
export const cast = method('cast', function cast(x: TensorLike, dtype: DType): Tensor {
  const t = toTensor('cast', x);
  checkDType('cast', dtype);
  return withShape(wrap(core[C.cast](t.id, dtypeCode(dtype)), dtype), dims(t));
}, __TESTS__ && { kind: 'other', dtypes: 'any', grad: true, examples: [{ inputs: [[2, 3]], args: ['float32'] }] });

// ---- binary ----
function binaryOp(name: string, op: Op, allowed: DTypes, out?: DType, extras: SpecExtras | false = false) {
  return method(name, (a: TensorLike, b: TensorLike): Tensor => {
    const [x, y] = operands(name, a, b);
    checkDTypes(name, x, allowed);
    const shape = broadcastShapes(name, dims(x), dims(y));
    return withShape(wrap(core[C.binary](op, x.id, y.id), out ?? x.dtype), shape);
  }, __TESTS__ && { kind: 'binary', dtypes: allowed, grad: out !== 'bool', ...extras });
}
/** Elementwise a + b, with NumPy/TF broadcasting. */
export const add = binaryOp('add', Op.Add, 'numeric');
/** Elementwise a - b, with broadcasting. */
export const sub = binaryOp('sub', Op.Sub, 'numeric');
/** Elementwise a · b, with broadcasting. */
export const mul = binaryOp('mul', Op.Mul, 'numeric');
/** Elementwise a / b, with broadcasting (float32). */
export const div = binaryOp('div', Op.Div, 'float', undefined, __TESTS__ && { domain: [0.5, 2] });
/**
 * Elementwise aᵇ, with broadcasting (float32; TF's tf.math.pow), within 0.6 ulp of the exact value
 * for every exponent, with C's special cases (pow(1, NaN) = 1, pow(x, ±0) = 1, a negative base
 * with an odd integral exponent keeps its sign, with a non-integral one gives NaN).
 */
export const pow = binaryOp('pow', Op.Pow, 'float', undefined, __TESTS__ && { domain: [0.5, 2] });
/** Elementwise max(a, b), with broadcasting; on ties the gradient goes to a. */
export const maximum = binaryOp('maximum', Op.Maximum, 'numeric');
/** Elementwise min(a, b), with broadcasting; on ties the gradient goes to a. */
export const minimum = binaryOp('minimum', Op.Minimum, 'numeric');
/** Elementwise remainder of floor division (the sign of b, as in TF's floormod), with broadcasting; not differentiable. */
export const mod = binaryOp('mod', Op.Mod, 'numeric', undefined, __TESTS__ && { grad: false, domain: [0.5, 3] });
/** Elementwise floor(a / b), with broadcasting; not differentiable. */
export const floorDiv = binaryOp('floorDiv', Op.FloorDiv, 'numeric', undefined, __TESTS__ && { grad: false, domain: [0.5, 3] });
/** Elementwise a == b, with broadcasting (bool result). */
export const equal = binaryOp('equal', Op.Equal, 'any', 'bool');
/** Elementwise a != b, with broadcasting (bool result). */
export const notEqual = binaryOp('notEqual', Op.NotEqual, 'any', 'bool');
/** Elementwise a > b, with broadcasting (bool result). */
export const greater = binaryOp('greater', Op.Greater, 'numeric', 'bool');
/** Elementwise a >= b, with broadcasting (bool result). */
export const greaterEqual = binaryOp('greaterEqual', Op.GreaterEqual, 'numeric', 'bool');
/** Elementwise a < b, with broadcasting (bool result). */
export const less = binaryOp('less', Op.Less, 'numeric', 'bool');
/** Elementwise a <= b, with broadcasting (bool result). */
export const lessEqual = binaryOp('lessEqual', Op.LessEqual, 'numeric', 'bool');
/** Elementwise AND of two bool tensors, with broadcasting. */
export const logicalAnd = binaryOp('logicalAnd', Op.LogicalAnd, 'bool', 'bool');
/** Elementwise OR of two bool tensors, with broadcasting. */
export const logicalOr = binaryOp('logicalOr', Op.LogicalOr, 'bool', 'bool');
/** Elementwise (a - b)², with broadcasting. */
export const squaredDifference = method('squaredDifference', (a: TensorLike, b: TensorLike): Tensor => { const [x, y] = operands('squaredDifference', a, b); checkDTypes('squaredDifference', x, 'numeric'); broadcastShapes('squaredDifference', dims(x), dims(y)); return square(sub(x, y)); }, __TESTS__ && { kind: 'binary', dtypes: 'numeric', grad: true });

/** Elementwise `cond ? a : b` (cond a bool tensor); the three broadcast together. Gradients go to a where cond holds and to b elsewhere. */
export const where = method('where', function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const c = toTensor('where', cond, 'bool');
  if (c.dtype !== 'bool') throw new Error(`where: condition must be a bool tensor, got dtype ${c.dtype}`);
  const [x, y] = operands('where', a, b);
  const shape = broadcastShapes('where', dims(c), broadcastShapes('where', dims(x), dims(y)));
  return withShape(wrap(core[C.where](c.id, x.id, y.id), x.dtype), shape);
}, __TESTS__ && { kind: 'other', dtypes: 'any', grad: true, examples: [{ inputs: [{ shape: [2, 3], bool: true }, [2, 3], [2, 3]] }, { inputs: [{ shape: [3], bool: true }, [2, 3], [1]] }, { inputs: [{ shape: [2, 1], bool: true }, [], [1, 4]] }] });
