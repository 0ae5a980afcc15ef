// How public ops are defined, and the op table the tests are driven from. Each op is declared
// once, through `def` (or `method`, for the ops that are also Tensor methods), in its family's file:
// ops-elementwise.ts, ops-reduce.ts, ops-shape.ts, ops-linalg.ts, ops-nn.ts, ops-conv.ts,
// ops-normalization.ts, ops-image.ts, ops-math.ts, ops-scan.ts, ops-indexing.ts, ops-random.ts
// (conv2d's and matmul's fused epilogue: fused.ts). That
// declaration is the public function and the row of OPS from which the tests check forward values
// against a float64 reference, gradients against finite differences, and second derivatives.
// The validation helpers the families share live here too.
import { core, writeArgs } from './core.js';
import { Tensor, TensorLike, toTensor, wrap, describe, reads, opScope, shapeOf, isInt } from './tensor.js';
import { C } from '../build/generated/interface.js';

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

declare const IS_METHOD: unique symbol;
/** The type of an op that is also a `Tensor` method: `x.name(...rest)` is `name(x, ...rest)`. */
export interface TensorMethod { readonly [IS_METHOD]: true }
/** The `Tensor` methods of a module of ops: its ops typed `TensorMethod`, without their first argument. */
export type TensorMethods<M> = {
  [K in keyof M as M[K] extends TensorMethod ? K : never]: M[K] extends (x: any, ...args: infer A) => infer R ? (...args: A) => R : never;
};

/** Makes `op` a method of every Tensor under `name`: `x.name(...rest)` calls `op(x, ...rest)`. */
export function installMethod(name: string, op: (...args: any[]) => unknown): void {
  Object.defineProperty(Tensor.prototype, name, { value: function (this: Tensor, ...args: unknown[]) { return op(this, ...args); }, writable: true, configurable: true });
}

/**
 * Declares a public op that is also a `Tensor` method (API.md: every op that takes a tensor first),
 * as `def` does, and installs the method. Call it without a pure annotation, so the op (and its
 * method) stays in every program; the extra module's ops are the exception (see ops-conv.ts).
 */
export function method<F extends (...args: any[]) => any>(name: string, fn: F, spec: Omit<OpSpec, 'name' | 'fn'> | false): F & TensorMethod {
  const op = def(name, fn, spec);
  installMethod(name, op);
  return op as F & TensorMethod;
}

/**
 * Registers an op whose result is not a tensor or a flat list of tensors (an op scope would free the
 * tensors inside it): `op` gets them from an inner def(), whose scope already freed the intermediates.
 */
export function structured<F extends (...a: any[]) => unknown>(name: string, op: F, spec: Omit<OpSpec, 'name' | 'fn'> | false, isMethod?: boolean): F & TensorMethod {
  if (spec) OPS[name] = { name, fn: op as never, ...spec };
  if (isMethod) installMethod(name, op);
  return op as F & TensorMethod;
}

/** A boolean flag argument (keepDims, transposeA, ...); undefined gives the default. */
export function flag(op: string, what: string, v: unknown, fallback = false): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new Error(`${op}: ${what} must be a boolean, got ${describe(v)}`);
  return v;
}
export type SpecExtras = Partial<Omit<OpSpec, 'name' | 'fn' | 'kind' | 'dtypes'>>;

/** An options object (undefined and null give {}) with no key outside `keys`, or an Error naming the op. */
export function optionsOf(op: string, o: unknown, keys: readonly string[]): Record<string, unknown> {
  if (o != null && (typeof o !== 'object' || Array.isArray(o))) throw new Error(`${op}: options must be an object like { ${keys.join(', ')} }, got ${describe(o)}`);
  for (const k of Object.keys(o ?? {})) if (!keys.includes(k)) throw new Error(`${op}: unknown option ${JSON.stringify(k)} (expected ${keys.join(', ')})`);
  return (o ?? {}) as Record<string, unknown>;
}

/**
 * A finite number from `min` to `max`, each end included unless `open` names it ('(' the lower end,
 * ')' the upper one); otherwise an Error naming the op, the argument, the range and the value.
 */
export function finite(op: string, what: string, v: unknown, min = -Infinity, max = Infinity, open = ''): number {
  const lo = open.includes('('), hi = open.includes(')');
  if (typeof v !== 'number' || !Number.isFinite(v) || (lo ? v <= min : v < min) || (hi ? v >= max : v > max)) {
    const range = max < Infinity ? ` in ${lo ? '(' : '['}${min}, ${max}${hi ? ')' : ']'}` : min > -Infinity ? ` ${lo ? '>' : '>='} ${min}` : '';
    throw new Error(`${op}: ${what} must be a ${max < Infinity ? '' : 'finite '}number${range}, got ${describe(v)}`);
  }
  return v;
}

/** An integer >= `min` (a count, an index), or an Error naming the op, the argument and the value. */
export function integer(op: string, what: string, v: unknown, min = 0): number {
  if (!isInt(v) || v < min) throw new Error(`${op}: ${what} must be an integer >= ${min}, got ${describe(v)}`);
  return v;
}

// ---- validation helpers ----
/** The (cached, do-not-mutate) shape of a tensor. */
export const dims = shapeOf;
export const fmt = (s: readonly unknown[]) => `[${s.join(', ')}]`;

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

/** An int32 tensor argument (indices): plain arrays and numbers are converted to int32. */
export function intTensor(op: string, what: string, x: TensorLike): Tensor {
  const t = toTensor(op, x, 'int32'); // (in an op, whose scope frees what is converted here)
  if (t.dtype !== 'int32') throw new Error(`${op}: ${what} must be an int32 tensor, got dtype ${t.dtype} (shape ${fmt(dims(t))})`);
  return t;
}

/** The seed (a safe integer; the core splits it into 64-bit two's complement words), or a fresh random one. */
export function seedOf(op: string, seed: unknown): number {
  if (seed === undefined || seed === null) {
    const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint32Array) => Uint32Array } }).crypto;
    const w = c?.getRandomValues ? c.getRandomValues(new Uint32Array(2)) : [(Math.random() * 2 ** 32) >>> 0, (Math.random() * 2 ** 32) >>> 0];
    return (w[1] & 0x1fffff) * 2 ** 32 + w[0]; // 53 random bits
  }
  if (!Number.isSafeInteger(seed)) throw new Error(`${op}: seed must be an integer (a safe integer), got ${describe(seed)}`);
  return seed as number;
}

/** A float32 tensor argument (converted from plain values), or an Error naming the op. */
export function floatArg(op: string, x: TensorLike): Tensor {
  const t = toTensor(op, x);
  checkDTypes(op, t, 'float');
  return t;
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
  if (!isInt(axis)) throw new Error(`${op}: axis must be an integer, got ${describe(axis)}`);
  if (axis < -n || axis >= Math.max(n, 1)) throw new Error(`${op}: axis ${axis} is out of range for a tensor of rank ${rank} (expected ${-n} <= axis < ${Math.max(n, 1)})`);
  return axis < 0 ? axis + n : axis;
}

/** An axis of a tensor of rank >= 1 (the ops that take slices along it), or an Error naming the op. */
export function axisOf(op: string, t: Tensor, axis: unknown): number {
  if (!t.rank) throw new Error(`${op}: expected a tensor of rank >= 1, got a scalar`);
  return normAxis(op, axis, t.rank);
}

/** Runs fn with every tape paused (stopGradient, customGradient's forward). */
export function unrecorded<T>(fn: () => T): T {
  const saved = core[C.recordingMask].value, onRead = reads.onVariableRead;
  core[C.setRecordingMask](0);
  reads.onVariableRead = undefined; // paused tapes do not watch the variables read meanwhile either
  try { return fn(); } finally { core[C.setRecordingMask](saved); reads.onVariableRead = onRead; }
}

export function withShape(t: Tensor, shape: readonly number[]): Tensor { t._shape = shape as number[]; return t; }

/**
 * One call into the core's concat kernel (one record, so it is differentiable): `ts` already checked
 * to share dtype and rank and to match off `ax` (with `stacked`, to share their shape, which lacks
 * `ax`: stack); `shape` is the result's. Used by concat/stack and by the tape's jacobians (which need
 * none of concat's checks).
 */
export function concatRaw(ts: Tensor[], ax: number, shape: number[], stacked = false): Tensor {
  return withShape(wrap(core[C.concat](writeArgs(ts.map(t => t.id)), ts.length, ax, stacked ? 1 : 0), ts[0].dtype), shape);
}

/** The two operands of a binary op (in an op, whose scope frees what is converted here). */
export function operands(name: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  // a plain number takes the dtype of the tensor it meets
  const ta = a instanceof Tensor ? toTensor(name, a) : undefined;
  const tb = b instanceof Tensor ? toTensor(name, b) : undefined;
  const x = ta ?? toTensor(name, a, tb?.dtype), y = tb ?? toTensor(name, b, x.dtype);
  if (x.dtype !== y.dtype) throw new Error(`${name}: both operands must have the same dtype, got ${x.dtype} (shape ${fmt(dims(x))}) and ${y.dtype} (shape ${fmt(dims(y))})`);
  return [x, y];
}
