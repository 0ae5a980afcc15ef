// Every public op: validation in TypeScript, then one call into the core. Each op is declared once,
// through `def` (or the unary/binary/reduce helpers that call it), which also enters it in the OPS
// table with what the tests need to exercise it (kind, dtypes, input domain, example arguments).
// The forward and gradient tests iterate over OPS, so an op cannot be added without being tested.
import { core, writeArgs } from './core.js';
import { Op } from '../assembly/opcodes.js';
import { Tensor, TensorLike, DType, toTensor, wrap, describe, dtypeCode, checkShape, reads, opScope, shapeOf } from './tensor.js';

// ---- the op table ----
export type DTypes = 'float' | 'numeric' | 'bool' | 'any';
/** One example call for the tests: input shapes (float inputs unless `int`) and trailing arguments. */
export interface OpExample {
  inputs: (number[] | { shape: number[]; int: [number, number] } | { shape: number[]; bool: true })[]; args?: unknown[];
  /** adapts the call for ops that take an array first or return several tensors; applied to the op and to its reference alike */
  call?: (fn: (...a: any[]) => any, inputs: any[], args: unknown[]) => any;
}
export interface OpSpec {
  name: string;
  fn: (...args: any[]) => Tensor | Tensor[];
  kind: 'unary' | 'binary' | 'reduce' | 'other';
  dtypes: DTypes;
  /** false for TF's non-differentiable ops (∅ in API.md): their gradient is null */
  grad: boolean;
  /** sampling interval for float inputs in the tests (default [-2, 2]) */
  domain?: [number, number];
  /** points where the derivative jumps: test inputs stay away from them */
  kinks?: number[];
  /** second derivatives are checked unless false (ops whose second derivative is zero or not smooth) */
  secondOrder?: boolean;
  /** for kind 'other': the calls to test */
  examples?: OpExample[];
}
export const OPS: Record<string, OpSpec> = {};
/**
 * Declares a public op. The spec is test metadata: builds for users define __TESTS__ as false, so
 * `def(name, fn, __TESTS__ && {...})` ships no spec at all (see scripts/build.mjs, vitest.config.ts).
 * The op runs in a conversion scope: tensors it made from plain numbers/arrays (toTensor) are freed
 * when it returns or throws, so neither a result nor an error leaves them behind.
 */
export function def<F extends (...args: any[]) => any>(name: string, fn: F, spec: Omit<OpSpec, 'name' | 'fn'> | false): F {
  const op = ((...args: unknown[]) => opScope(fn, args)) as F;
  if (spec) OPS[name] = { name, fn: op, ...spec };
  return op;
}

/** A boolean flag argument (keepDims, transposeA, ...); undefined gives the default. */
export function flag(op: string, what: string, v: unknown, fallback = false): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new Error(`${op}: ${what} must be a boolean, got ${describe(v)}`);
  return v;
}
type SpecExtras = Partial<Omit<OpSpec, 'name' | 'fn' | 'kind' | 'dtypes'>>;

// ---- validation helpers ----
/** The (cached, do-not-mutate) shape of a tensor. */
export const dims = shapeOf;
const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  if (a.length === b.length) {
    let same = true;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) { same = false; break; }
    if (same) return a as number[];
  }
  const r = Math.max(a.length, b.length), out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const da = a[i - (r - a.length)] ?? 1, db = b[i - (r - b.length)] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`${op}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast together (dimension ${i}: ${da} vs ${db})`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

export function checkDTypes(op: string, x: Tensor, allowed: DTypes): void {
  const ok = allowed === 'any' || (allowed === 'float' ? x.dtype === 'float32' : allowed === 'numeric' ? x.dtype !== 'bool' : x.dtype === 'bool');
  if (!ok) {
    const want = allowed === 'float' ? 'float32' : allowed === 'numeric' ? 'float32 or int32' : 'bool';
    throw new Error(`${op}: expected a ${want} tensor, got dtype ${x.dtype} (shape ${fmt(dims(x))})`);
  }
}

/** Normalises an axis argument (number | number[] | undefined = all) into a bit mask. */
export function axesMask(op: string, axis: number | number[] | undefined | null, rank: number): number {
  if (axis === undefined || axis === null) return rank === 0 ? 0 : (2 ** rank - 1) | 0;
  const list = Array.isArray(axis) ? axis : [axis];
  let mask = 0;
  for (const a of list) {
    const ax = normAxis(op, a, rank);
    if (mask & (1 << ax)) throw new Error(`${op}: axis ${a} is given more than once in ${describe(axis)}`);
    mask |= 1 << ax;
  }
  return mask;
}
export function normAxis(op: string, axis: unknown, rank: number, extra = 0): number {
  const n = rank + extra;
  if (typeof axis !== 'number' || !Number.isInteger(axis)) throw new Error(`${op}: axis must be an integer, got ${describe(axis)}`);
  if (axis < -n || axis >= Math.max(n, 1)) throw new Error(`${op}: axis ${axis} is out of range for a tensor of rank ${rank} (expected ${-n} <= axis < ${Math.max(n, 1)})`);
  return axis < 0 ? axis + n : axis;
}

/** Runs fn with every tape paused (stopGradient, customGradient's forward). */
export function unrecorded<T>(fn: () => T): T {
  const saved = core.recordingMask.value, onRead = reads.onVariableRead;
  core.setRecordingMask(0);
  reads.onVariableRead = undefined; // paused tapes do not watch the variables read meanwhile either
  try { return fn(); } finally { core.setRecordingMask(saved); reads.onVariableRead = onRead; }
}

/** Frees a tensor made from a plain number/array argument once the op used it (tapes keep their own reference). */
export function dropConverted(t: Tensor, given: unknown): void {
  if (t !== given) t.dispose();
}

export function withShape(t: Tensor, shape: readonly number[]): Tensor { t._shape = shape as number[]; return t; }

/**
 * One call into the core's concat kernel (one ConcatPart record per input, so it is differentiable):
 * `ts` already checked to share dtype and rank and to match off `ax`; `shape` is the result's. Used by
 * concat/stack and by the tape's jacobians (which need none of concat's checks).
 */
export function concatRaw(ts: Tensor[], ax: number, shape: number[]): Tensor {
  return withShape(wrap(core.concat(writeArgs(ts.map(t => t.id)), ts.length, ax), ts[0].dtype), shape);
}

// ---- unary ----
function unaryOp(name: string, op: Op, allowed: DTypes, extras: SpecExtras | false = false) {
  return def(name, (x: TensorLike): Tensor => {
    const t = toTensor(name, x);
    try {
      checkDTypes(name, t, allowed);
      return withShape(wrap(core.unary(op, t.id, 0), op === Op.LogicalNot ? 'bool' : t.dtype), dims(t));
    } finally {
      dropConverted(t, x);
    }
  }, __TESTS__ && { kind: 'unary', dtypes: allowed, grad: true, ...extras });
}
/** Elementwise negation, -x. */
export const neg = /* @__PURE__ */ unaryOp('neg', Op.Neg, 'numeric');
/** Elementwise absolute value, |x|. */
export const abs = /* @__PURE__ */ unaryOp('abs', Op.Abs, 'numeric', __TESTS__ && { kinks: [0] });
/** Elementwise sign: -1, 0 or 1 (gradient 0, as in TF). */
export const sign = /* @__PURE__ */ unaryOp('sign', Op.Sign, 'numeric', __TESTS__ && { kinks: [0] });
/** Elementwise square, x². */
export const square = /* @__PURE__ */ unaryOp('square', Op.Square, 'numeric');
/** Elementwise square root (float32). */
export const sqrt = /* @__PURE__ */ unaryOp('sqrt', Op.Sqrt, 'float', __TESTS__ && { domain: [0.2, 3] });
/** Elementwise reciprocal square root, 1 / √x (float32). */
export const rsqrt = /* @__PURE__ */ unaryOp('rsqrt', Op.Rsqrt, 'float', __TESTS__ && { domain: [0.2, 3] });
/** Elementwise eˣ (float32). */
export const exp = /* @__PURE__ */ unaryOp('exp', Op.Exp, 'float');
/** Elementwise eˣ - 1, accurate near 0 (float32). */
export const expm1 = /* @__PURE__ */ unaryOp('expm1', Op.Expm1, 'float');
/** Elementwise natural logarithm (float32). */
export const log = /* @__PURE__ */ unaryOp('log', Op.Log, 'float', __TESTS__ && { domain: [0.2, 3] });
/** Elementwise ln(1 + x), accurate near 0 (float32). */
export const log1p = /* @__PURE__ */ unaryOp('log1p', Op.Log1p, 'float', __TESTS__ && { domain: [-0.8, 2] });
/** Elementwise sine (float32). */
export const sin = /* @__PURE__ */ unaryOp('sin', Op.Sin, 'float');
/** Elementwise cosine (float32). */
export const cos = /* @__PURE__ */ unaryOp('cos', Op.Cos, 'float');
/** Elementwise tangent (float32). */
export const tan = /* @__PURE__ */ unaryOp('tan', Op.Tan, 'float', __TESTS__ && { domain: [-1.2, 1.2] });
/** Elementwise hyperbolic tangent (float32). */
export const tanh = /* @__PURE__ */ unaryOp('tanh', Op.Tanh, 'float');
/** Elementwise logistic sigmoid, 1 / (1 + e⁻ˣ) (float32). */
export const sigmoid = /* @__PURE__ */ unaryOp('sigmoid', Op.Sigmoid, 'float');
/** Elementwise max(x, 0) (float32). */
export const relu = /* @__PURE__ */ unaryOp('relu', Op.Relu, 'float', __TESTS__ && { kinks: [0] });
/** Elementwise min(max(x, 0), 6) (float32). */
export const relu6 = /* @__PURE__ */ unaryOp('relu6', Op.Relu6, 'float', __TESTS__ && { kinks: [0, 6], domain: [-2, 8] });
/** Elementwise ELU: x for x > 0, eˣ - 1 otherwise (float32). */
export const elu = /* @__PURE__ */ unaryOp('elu', Op.Elu, 'float', __TESTS__ && { kinks: [0] });
/** Elementwise SELU: scale · (x for x > 0, α(eˣ - 1) otherwise), with TF's α and scale (float32). */
export const selu = /* @__PURE__ */ unaryOp('selu', Op.Selu, 'float', __TESTS__ && { kinks: [0] });
/** Elementwise ln(1 + eˣ), computed without overflow (float32). */
export const softplus = /* @__PURE__ */ unaryOp('softplus', Op.Softplus, 'float');
/** Elementwise Gauss error function (float32). */
export const erf = /* @__PURE__ */ unaryOp('erf', Op.Erf, 'float');
/** Elementwise 1 / x (float32). */
export const reciprocal = /* @__PURE__ */ unaryOp('reciprocal', Op.Reciprocal, 'float', __TESTS__ && { domain: [0.3, 2] });
/** Elementwise floor (float32; not differentiable: its gradient is null, as in TF). */
export const floor = /* @__PURE__ */ unaryOp('floor', Op.Floor, 'float', __TESTS__ && { grad: false });
/** Elementwise ceiling (float32; not differentiable). */
export const ceil = /* @__PURE__ */ unaryOp('ceil', Op.Ceil, 'float', __TESTS__ && { grad: false });
/** Elementwise rounding, half to even as in TF (float32; not differentiable). */
export const round = /* @__PURE__ */ unaryOp('round', Op.Round, 'float', __TESTS__ && { grad: false });
/** Elementwise NOT of a bool tensor. */
export const logicalNot = /* @__PURE__ */ unaryOp('logicalNot', Op.LogicalNot, 'bool', __TESTS__ && { grad: false });
/** A copy of x (any dtype); the gradient passes through unchanged. */
export const identity = /* @__PURE__ */ unaryOp('identity', Op.Identity, 'any');

/** Elementwise x for x > 0, alpha · x otherwise (alpha defaults to 0.2, as in TF). */
export const leakyRelu = /* @__PURE__ */ def('leakyRelu', function leakyRelu(x: TensorLike, alpha = 0.2): Tensor {
  const t = toTensor('leakyRelu', x);
  checkDTypes('leakyRelu', t, 'float');
  if (typeof alpha !== 'number') throw new Error(`leakyRelu: alpha must be a number, got ${describe(alpha)}`);
  return withShape(wrap(core.unary(Op.LeakyRelu, t.id, alpha), 'float32'), dims(t));
}, __TESTS__ && { kind: 'unary', dtypes: 'float', grad: true, kinks: [0], examples: [{ inputs: [[2, 3]] }, { inputs: [[4]], args: [0.5] }] });
/** Elementwise SiLU (swish), x · sigmoid(x). */
export const silu = /* @__PURE__ */ def('silu', (x: TensorLike): Tensor => { const t = toTensor('silu', x); checkDTypes('silu', t, 'float'); return mul(t, sigmoid(t)); }, __TESTS__ && { kind: 'unary', dtypes: 'float', grad: true });
/**
 * Exact GELU (TF's default, approximate = false): x · Φ(x) = 0.5 · x · (1 + erf(x / √2)), as
 * accurate as TF's formula; one kernel computes it and its derivative.
 */
export const gelu = /* @__PURE__ */ unaryOp('gelu', Op.Gelu, 'float');
/** Elementwise min(max(x, lo), hi); the gradient is 1 inside [lo, hi] (both ends included) and 0 outside. */
export const clipByValue = /* @__PURE__ */ def('clipByValue', function clipByValue(x: TensorLike, lo: number, hi: number): Tensor {
  const t = toTensor('clipByValue', x);
  checkDTypes('clipByValue', t, 'numeric');
  if (typeof lo !== 'number' || typeof hi !== 'number' || !(lo <= hi)) throw new Error(`clipByValue: expected numbers lo <= hi, got lo=${describe(lo)}, hi=${describe(hi)}`);
  // ties go to the first argument of maximum/minimum, so both ends keep gradient 1 (as TF)
  return minimum(maximum(t, lo), hi);
}, __TESTS__ && { kind: 'other', dtypes: 'numeric', grad: true, kinks: [-0.5, 0.7], examples: [{ inputs: [[3, 4]], args: [-0.5, 0.7] }] });
/** A copy of x that no tape records: gradients do not flow through it (TF's tf.stop_gradient). */
export const stopGradient = /* @__PURE__ */ def('stopGradient', function stopGradient(x: TensorLike): Tensor {
  const t = toTensor('stopGradient', x);
  return withShape(wrap(unrecorded(() => core.unary(Op.Identity, t.id, 0)), t.dtype), dims(t));
}, __TESTS__ && { kind: 'unary', dtypes: 'any', grad: false });
/** x converted to `dtype` ('float32', 'int32' or 'bool'); float to int truncates toward zero. Gradients flow between float tensors only. */
export const cast = /* @__PURE__ */ def('cast', function cast(x: TensorLike, dtype: DType): Tensor {
  const t = toTensor('cast', x);
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') throw new Error(`cast: dtype must be 'float32', 'int32' or 'bool', got ${describe(dtype)}`);
  return withShape(wrap(core.cast(t.id, dtypeCode(dtype)), dtype), dims(t));
}, __TESTS__ && { kind: 'other', dtypes: 'any', grad: true, examples: [{ inputs: [[2, 3]], args: ['float32'] }] });

// ---- binary ----
export function operands(name: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  // a plain number takes the dtype of the tensor it meets
  const ta = a instanceof Tensor ? toTensor(name, a) : undefined;
  const tb = b instanceof Tensor ? toTensor(name, b) : undefined;
  const x = ta ?? toTensor(name, a, tb?.dtype);
  let y: Tensor;
  try { y = tb ?? toTensor(name, b, x.dtype); } catch (e) { dropConverted(x, a); throw e; }
  if (x.dtype !== y.dtype) {
    const message = `${name}: both operands must have the same dtype, got ${x.dtype} (shape ${fmt(dims(x))}) and ${y.dtype} (shape ${fmt(dims(y))})`;
    dropConverted(x, a); dropConverted(y, b);
    throw new Error(message);
  }
  return [x, y];
}
function binaryOp(name: string, op: Op, allowed: DTypes, out?: DType, extras: SpecExtras | false = false) {
  return def(name, (a: TensorLike, b: TensorLike): Tensor => {
    const [x, y] = operands(name, a, b);
    try {
      checkDTypes(name, x, allowed);
      const shape = broadcastShapes(name, dims(x), dims(y));
      return withShape(wrap(core.binary(op, x.id, y.id), out ?? x.dtype), shape);
    } finally {
      dropConverted(x, a); dropConverted(y, b);
    }
  }, __TESTS__ && { kind: 'binary', dtypes: allowed, grad: out !== 'bool', ...extras });
}
/** Elementwise a + b, with NumPy/TF broadcasting. */
export const add = /* @__PURE__ */ binaryOp('add', Op.Add, 'numeric');
/** Elementwise a - b, with broadcasting. */
export const sub = /* @__PURE__ */ binaryOp('sub', Op.Sub, 'numeric');
/** Elementwise a · b, with broadcasting. */
export const mul = /* @__PURE__ */ binaryOp('mul', Op.Mul, 'numeric');
/** Elementwise a / b, with broadcasting (float32). */
export const div = /* @__PURE__ */ binaryOp('div', Op.Div, 'float', undefined, __TESTS__ && { domain: [0.5, 2] });
/**
 * Elementwise aᵇ, with broadcasting (float32), with C's special cases (pow(1, NaN) = 1, pow(x, 0) = 1).
 * Exponents that are multiples of ½ (up to ±64) are computed in the core (float64, rounded once);
 * other exponents call the host's `Math.pow` per element (~0.1 µs each).
 */
export const pow = /* @__PURE__ */ binaryOp('pow', Op.Pow, 'float', undefined, __TESTS__ && { domain: [0.5, 2] });
/** Elementwise max(a, b), with broadcasting; on ties the gradient goes to a. */
export const maximum = /* @__PURE__ */ binaryOp('maximum', Op.Maximum, 'numeric');
/** Elementwise min(a, b), with broadcasting; on ties the gradient goes to a. */
export const minimum = /* @__PURE__ */ binaryOp('minimum', Op.Minimum, 'numeric');
/** Elementwise remainder of floor division (the sign of b, as in TF's floormod), with broadcasting; not differentiable. */
export const mod = /* @__PURE__ */ binaryOp('mod', Op.Mod, 'numeric', undefined, __TESTS__ && { grad: false, domain: [0.5, 3] });
/** Elementwise floor(a / b), with broadcasting; not differentiable. */
export const floorDiv = /* @__PURE__ */ binaryOp('floorDiv', Op.FloorDiv, 'numeric', undefined, __TESTS__ && { grad: false, domain: [0.5, 3] });
/** Elementwise a == b, with broadcasting (bool result). */
export const equal = /* @__PURE__ */ binaryOp('equal', Op.Equal, 'any', 'bool');
/** Elementwise a != b, with broadcasting (bool result). */
export const notEqual = /* @__PURE__ */ binaryOp('notEqual', Op.NotEqual, 'any', 'bool');
/** Elementwise a > b, with broadcasting (bool result). */
export const greater = /* @__PURE__ */ binaryOp('greater', Op.Greater, 'numeric', 'bool');
/** Elementwise a >= b, with broadcasting (bool result). */
export const greaterEqual = /* @__PURE__ */ binaryOp('greaterEqual', Op.GreaterEqual, 'numeric', 'bool');
/** Elementwise a < b, with broadcasting (bool result). */
export const less = /* @__PURE__ */ binaryOp('less', Op.Less, 'numeric', 'bool');
/** Elementwise a <= b, with broadcasting (bool result). */
export const lessEqual = /* @__PURE__ */ binaryOp('lessEqual', Op.LessEqual, 'numeric', 'bool');
/** Elementwise AND of two bool tensors, with broadcasting. */
export const logicalAnd = /* @__PURE__ */ binaryOp('logicalAnd', Op.LogicalAnd, 'bool', 'bool');
/** Elementwise OR of two bool tensors, with broadcasting. */
export const logicalOr = /* @__PURE__ */ binaryOp('logicalOr', Op.LogicalOr, 'bool', 'bool');
/** Elementwise (a - b)², with broadcasting. */
export const squaredDifference = /* @__PURE__ */ def('squaredDifference', (a: TensorLike, b: TensorLike): Tensor => { const [x, y] = operands('squaredDifference', a, b); checkDTypes('squaredDifference', x, 'numeric'); broadcastShapes('squaredDifference', dims(x), dims(y)); return square(sub(x, y)); }, __TESTS__ && { kind: 'binary', dtypes: 'numeric', grad: true });

/** Elementwise `cond ? a : b` (cond a bool tensor); the three broadcast together. Gradients go to a where cond holds and to b elsewhere. */
export const where = /* @__PURE__ */ def('where', function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const c = toTensor('where', cond, 'bool');
  if (c.dtype !== 'bool') throw new Error(`where: condition must be a bool tensor, got dtype ${c.dtype}`);
  let x: Tensor | undefined, y: Tensor | undefined;
  try {
    [x, y] = operands('where', a, b);
    const shape = broadcastShapes('where', dims(c), broadcastShapes('where', dims(x), dims(y)));
    return withShape(wrap(core.where(c.id, x.id, y.id), x.dtype), shape);
  } finally {
    dropConverted(c, cond);
    if (x) dropConverted(x, a);
    if (y) dropConverted(y, b);
  }
}, __TESTS__ && { kind: 'other', dtypes: 'any', grad: true, examples: [{ inputs: [{ shape: [2, 3], bool: true }, [2, 3], [2, 3]] }, { inputs: [{ shape: [3], bool: true }, [2, 3], [1]] }, { inputs: [{ shape: [2, 1], bool: true }, [], [1, 4]] }] });

// ---- reductions ----
function reduceOp(name: string, op: Op, allowed: DTypes, extras: SpecExtras | false = false) {
  return def(name, (x: TensorLike, axis?: number | number[], keepDims = false): Tensor => {
    const t = toTensor(name, x);
    checkDTypes(name, t, allowed);
    const mask = axesMask(name, axis, t.rank);
    return wrap(core.reduce(op, t.id, mask, flag(name, 'keepDims', keepDims) ? 1 : 0), t.dtype);
  }, __TESTS__ && { kind: 'reduce', dtypes: allowed, grad: true, ...extras });
}
/** Sum over `axis` (a number, a list, or all axes by default); `keepDims` keeps reduced axes with size 1. */
export const sum = /* @__PURE__ */ reduceOp('sum', Op.Sum, 'numeric');
/** Maximum over `axis` (all axes by default); the gradient goes to the maxima. */
export const max = /* @__PURE__ */ reduceOp('max', Op.Max, 'numeric');
/** Minimum over `axis` (all axes by default); the gradient goes to the minima. */
export const min = /* @__PURE__ */ reduceOp('min', Op.Min, 'numeric');
/** Product over `axis` (all axes by default). */
export const prod = /* @__PURE__ */ reduceOp('prod', Op.Prod, 'numeric', __TESTS__ && { domain: [0.5, 1.5] });
/** Mean over `axis` (all axes by default; float32). */
export const mean = /* @__PURE__ */ def('mean', function mean(x: TensorLike, axis?: number | number[], keepDims = false): Tensor {
  const t = toTensor('mean', x);
  checkDTypes('mean', t, 'float');
  const mask = axesMask('mean', axis, t.rank);
  flag('mean', 'keepDims', keepDims);
  const count = dims(t).reduce((n, d, i) => (mask >> i) & 1 ? n * d : n, 1);
  return mul(sum(t, axis, keepDims), 1 / count);
}, __TESTS__ && { kind: 'reduce', dtypes: 'float', grad: true });
/** ln(Σ eˣ) over `axis` (all axes by default), computed without overflow (float32). */
export const logSumExp = /* @__PURE__ */ def('logSumExp', function logSumExp(x: TensorLike, axis?: number | number[], keepDims = false): Tensor {
  const t = toTensor('logSumExp', x);
  checkDTypes('logSumExp', t, 'float');
  axesMask('logSumExp', axis, t.rank); // validates the axes with this op's name
  flag('logSumExp', 'keepDims', keepDims);
  // subtracting the (constant) max keeps exp finite; its gradient cancels, so it is not recorded
  const m = stopGradient(max(t, axis, true));
  const safe = where(isFinite(m), m, 0);
  const s = add(log(sum(exp(sub(t, safe)), axis, true)), safe);
  return keepDims ? s : reshape(s, dims(t).filter((_, i) => !((axesMask('logSumExp', axis, t.rank) >> i) & 1)));
}, __TESTS__ && { kind: 'reduce', dtypes: 'float', grad: true });
const isFinite = (t: Tensor) => less(abs(t), Infinity);
function argOp(name: string, op: Op) {
  return def(name, (x: TensorLike, axis = 0): Tensor => {
    const t = toTensor(name, x);
    checkDTypes(name, t, 'numeric');
    if (t.rank === 0) throw new Error(`${name}: expected a tensor of rank >= 1, got a scalar`);
    const ax = normAxis(name, axis, t.rank);
    if (dims(t)[ax] === 0) throw new Error(`${name}: axis ${axis} has size 0 (shape ${fmt(dims(t))})`);
    return wrap(core.reduce(op, t.id, 1 << ax, 0), 'int32');
  }, __TESTS__ && { kind: 'other', dtypes: 'numeric', grad: false, examples: [{ inputs: [[3, 4]], args: [0] }, { inputs: [[3, 4]], args: [-1] }, { inputs: [[5]] }] });
}
/** Index (int32) of the maximum along `axis` (default 0); the first one on ties. Not differentiable. */
export const argMax = /* @__PURE__ */ argOp('argMax', Op.ArgMax);
/** Index (int32) of the minimum along `axis` (default 0); the first one on ties. Not differentiable. */
export const argMin = /* @__PURE__ */ argOp('argMin', Op.ArgMin);

// ---- shape ----
/** The same values in a new shape; one dimension may be -1 (inferred). */
export const reshape = /* @__PURE__ */ def('reshape', function reshape(x: TensorLike, shape: readonly number[]): Tensor {
  const t = toTensor('reshape', x);
  if (!Array.isArray(shape)) throw new Error(`reshape: shape must be an array, got ${describe(shape)}`);
  const size = t.size;
  let known = 1, inferAt = -1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (d === -1 && inferAt < 0) { inferAt = i; continue; }
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) throw new Error(`reshape: shape must contain non-negative integers and at most one -1, got ${fmt(shape)}`);
    known *= d;
  }
  const out = shape.slice();
  if (inferAt >= 0) {
    if (known === 0 || size % known !== 0) throw new Error(`reshape: cannot reshape a tensor of ${size} elements (shape ${fmt(dims(t))}) into shape ${fmt(shape)}`);
    out[inferAt] = size / known;
  }
  checkShape('reshape', out);
  if (out.reduce((a, b) => a * b, 1) !== size) throw new Error(`reshape: cannot reshape a tensor of ${size} elements (shape ${fmt(dims(t))}) into shape ${fmt(shape)}`);
  return withShape(wrap(core.reshape(t.id, writeArgs(out), out.length), t.dtype), out);
}, __TESTS__ && { kind: 'other', dtypes: 'any', grad: true, examples: [{ inputs: [[2, 3]], args: [[3, 2]] }, { inputs: [[2, 3, 2]], args: [[-1, 4]] }, { inputs: [[6]], args: [[1, 6, 1]] }] });
/** Inserts an axis of size 1 at `axis` (default 0; negative counts from the end). */
export const expandDims = /* @__PURE__ */ def('expandDims', function expandDims(x: TensorLike, axis = 0): Tensor {
  const t = toTensor('expandDims', x);
  const ax = normAxis('expandDims', axis, t.rank, 1);
  const s = dims(t).slice();
  s.splice(ax, 0, 1);
  return reshape(t, s);
}, __TESTS__ && { kind: 'other', dtypes: 'any', grad: true, examples: [{ inputs: [[2, 3]], args: [0] }, { inputs: [[2, 3]], args: [-1] }, { inputs: [[]], args: [0] }] });
/** Removes axes of size 1: all of them, or those in `axis`. */
export const squeeze = /* @__PURE__ */ def('squeeze', function squeeze(x: TensorLike, axis?: number | number[]): Tensor {
  const t = toTensor('squeeze', x);
  const s = dims(t);
  if (axis === undefined) return reshape(t, s.filter(d => d !== 1));
  const mask = axesMask('squeeze', axis, t.rank);
  s.forEach((d, i) => { if ((mask >> i) & 1 && d !== 1) throw new Error(`squeeze: cannot squeeze axis ${i} of size ${d} (shape ${fmt(s)})`); });
  return reshape(t, s.filter((_, i) => !((mask >> i) & 1)));
}, __TESTS__ && { kind: 'other', dtypes: 'any', grad: true, examples: [{ inputs: [[1, 3, 1]] }, { inputs: [[1, 3, 1]], args: [[-1]] }, { inputs: [[2, 1]], args: [1] }] });
/** Permutes the axes by `perm` (default: reversed). */
export const transpose = /* @__PURE__ */ def('transpose', function transpose(x: TensorLike, perm?: number[]): Tensor {
  const t = toTensor('transpose', x);
  const r = t.rank;
  const p = perm ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  if (!Array.isArray(p) || p.length !== r || [...p].sort((a, b) => a - b).some((v, i) => v !== i))
    throw new Error(`transpose: perm must be a permutation of [0..${r - 1}] for a tensor of rank ${r}, got ${describe(perm)}`);
  let packed = 0;
  p.forEach((a, i) => { packed |= a << (4 * i); });
  return withShape(wrap(core.transpose(t.id, packed), t.dtype), p.map(a => dims(t)[a]));
}, __TESTS__ && { kind: 'other', dtypes: 'any', grad: true, examples: [{ inputs: [[2, 3]] }, { inputs: [[2, 3, 4]], args: [[1, 2, 0]] }, { inputs: [[2, 1, 3, 2]], args: [[3, 1, 0, 2]] }] });
/** Broadcasts x to `shape` (NumPy rules); the gradient sums back over the broadcast axes. */
export const broadcastTo = /* @__PURE__ */ def('broadcastTo', function broadcastTo(x: TensorLike, shape: readonly number[]): Tensor {
  const t = toTensor('broadcastTo', x);
  checkShape('broadcastTo', shape);
  const s = dims(t);
  if (s.length > shape.length || s.some((d, i) => d !== 1 && d !== shape[i + shape.length - s.length]))
    throw new Error(`broadcastTo: cannot broadcast shape ${fmt(s)} to ${fmt(shape)}`);
  return withShape(wrap(core.broadcastToShape(t.id, writeArgs(shape), shape.length), t.dtype), shape.slice());
}, __TESTS__ && { kind: 'other', dtypes: 'any', grad: true, examples: [{ inputs: [[3]], args: [[2, 3]] }, { inputs: [[2, 1]], args: [[2, 4]] }, { inputs: [[]], args: [[2, 2]] }] });

// ---- linear algebra ----
/** Matrix product of the last two axes, batched and broadcast over the leading ones; `transposeA`/`transposeB` transpose an operand first (float32). */
export const matmul = /* @__PURE__ */ def('matmul', function matmul(a: TensorLike, b: TensorLike, transposeA = false, transposeB = false): Tensor {
  const [x, y] = operands('matmul', a, b);
  checkDTypes('matmul', x, 'float');
  flag('matmul', 'transposeA', transposeA); flag('matmul', 'transposeB', transposeB);
  const sa = dims(x), sb = dims(y);
  if (sa.length < 2 || sb.length < 2) throw new Error(`matmul: both operands must have rank >= 2, got shapes ${fmt(sa)} and ${fmt(sb)}`);
  const m = transposeA ? sa[sa.length - 1] : sa[sa.length - 2], ka = transposeA ? sa[sa.length - 2] : sa[sa.length - 1];
  const kb = transposeB ? sb[sb.length - 1] : sb[sb.length - 2], n = transposeB ? sb[sb.length - 2] : sb[sb.length - 1];
  if (ka !== kb) throw new Error(`matmul: inner dimensions must match: shapes ${fmt(sa)} and ${fmt(sb)} (transposeA=${transposeA}, transposeB=${transposeB}) give ${ka} vs ${kb}`);
  const batch = broadcastShapes('matmul', sa.slice(0, -2), sb.slice(0, -2));
  const shape = [...batch, m, n];
  checkShape('matmul', shape);
  return withShape(wrap(core.matmul(x.id, y.id, transposeA ? 1 : 0, transposeB ? 1 : 0), 'float32'), shape);
}, __TESTS__ && { kind: 'other', dtypes: 'float', grad: true, examples: [{ inputs: [[3, 4], [4, 5]] }, { inputs: [[4, 3], [4, 5]], args: [true, false] }, { inputs: [[3, 4], [5, 4]], args: [false, true] }, { inputs: [[4, 3], [5, 4]], args: [true, true] }, { inputs: [[2, 5, 9], [9, 11]] }, { inputs: [[2, 1, 3, 4], [3, 4, 2]] }, { inputs: [[9, 13], [13, 17]] }, { inputs: [[13, 9], [17, 13]], args: [true, true] }, { inputs: [[9, 13], [17, 13]], args: [false, true] }, { inputs: [[13, 9], [13, 17]], args: [true, false] }, { inputs: [[2, 13, 9], [1, 17, 13]], args: [true, true] }, { inputs: [[70, 5], [5, 9]] }, { inputs: [[5, 133], [3, 5]], args: [true, true] }] });

// ---- neural nets ----
function softmaxOp(name: string, log: number) {
  return def(name, (x: TensorLike, axis = -1): Tensor => {
    const t = toTensor(name, x);
    checkDTypes(name, t, 'float');
    if (t.rank === 0) throw new Error(`${name}: expected a tensor of rank >= 1, got a scalar`);
    return withShape(wrap(core.softmax(t.id, normAxis(name, axis, t.rank), log), 'float32'), dims(t));
  }, __TESTS__ && { kind: 'other', dtypes: 'float', grad: true, examples: [{ inputs: [[2, 5]] }, { inputs: [[3, 4, 2]], args: [1] }, { inputs: [[4]], args: [0] }] });
}
/** Softmax along `axis` (default -1): eˣ / Σ eˣ, computed without overflow (float32). */
export const softmax = /* @__PURE__ */ softmaxOp('softmax', 0);
/** Log of the softmax along `axis` (default -1), computed stably (float32). */
export const logSoftmax = /* @__PURE__ */ softmaxOp('logSoftmax', 1);

