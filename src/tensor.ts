// Tensor handles. A Tensor is a small JS object naming a tensor id in the WebAssembly table; the
// data never leaves wasm memory except through data()/toArray(). Each handle owns one reference;
// dispose() (or tidy, or the FinalizationRegistry when the handle is collected) gives it back.
import type { GradientTape } from './tape.js';
import { core, ready, ints, floats, bytes, writeArgs, generation, entryIndex, dataAddress, E_RANK, E_SHAPE, E_SIZE } from './core.js';
import { DType as DTypeCode } from '../build/generated/opcodes.js';
import { C } from '../build/generated/interface.js';

/** A tensor's element type: 32-bit float, 32-bit integer, or boolean (stored as one byte). */
export type DType = 'float32' | 'int32' | 'bool';
/** A number, a boolean, or nested arrays of them (as `tensor()` accepts: `[[1, 2], [3, 4]]`). */
export type NestedArray = number | boolean | NestedArray[];
/** Anything accepted where a tensor is expected. */
export type TensorLike = Tensor | number | boolean | NestedArray | Float32Array | Int32Array | Uint8Array
  | Float64Array | Int8Array | Int16Array | Uint16Array | Uint32Array | Uint8ClampedArray;

export const DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];
export const dtypeCode = (d: DType): number => d === 'float32' ? DTypeCode.Float32 : d === 'int32' ? DTypeCode.Int32 : DTypeCode.Bool;
const MAX_RANK = 8;
/** Largest element count accepted (the data of one tensor must fit in 2 GiB of wasm memory). */
export const MAX_ELEMENTS = 2 ** 29;

// the held value packs the id with its generation, so a collected handle from before a reset is ignored
const registry: FinalizationRegistry<number> | undefined =
  typeof FinalizationRegistry === 'function' ? new FinalizationRegistry(held => { if (Math.floor(held / 2 ** 32) === generation) core[C.release](held % 2 ** 32); }) : undefined;

// ---- tidy scopes ----
/** Tensors created while tidy()s or ops run; each running scope owns a suffix (from its start index). */
const created: Tensor[] = [];
let scopeDepth = 0;
/**
 * What a tidy owns besides tensors: gradient tapes created inside it, freed at its end unless they are
 * returned or kept (a tape holds a slot and the tensors it recorded; see GradientTape._release).
 */
export class Owned {
  /** @internal the end of the last tidy that owns it: free it, or (it escapes) hand it to the garbage collector */
  _release(_escapes: boolean): void {}
}
/** Objects owned by the running tidy()s, innermost last (each tidy owns a suffix, as with `created`). */
const owned: Owned[] = [];
let tidyDepth = 0;
/** Gives `o` to the innermost running tidy, if any; returns whether one took it. */
export function ownByTidy(o: Owned): boolean {
  if (tidyDepth === 0) return false;
  owned.push(o);
  return true;
}

/** The tensor's shape, read from the core once and cached (callers must not modify it). */
export function shapeOf(t: Tensor): readonly number[] {
  if (!t._shape) {
    const base = entryIndex(t.id) + E_SHAPE;
    const m = ints(), shape: number[] = [];
    for (let i = 0, rank = m[base - E_SHAPE + E_RANK]; i < rank; i++) shape.push(m[base + i]);
    t._shape = shape;
  }
  return t._shape;
}

/** Lets the garbage collector free the tensor's data once the handle is unreachable. */
function track(t: Tensor): void {
  if (!registry || t._registered) return;
  registry.register(t, t._gen * 2 ** 32 + t._id, t);
  t._registered = true;
}

/**
 * An n-dimensional array in WebAssembly memory (float32, int32 or bool). Immutable: ops return new
 * tensors. Every op that takes a tensor first is also a method (`x.mul(y)`, `x.sum(0)`). Free tensors
 * with `tidy`, `dispose()` or `using`; a `FinalizationRegistry` frees dropped ones eventually.
 * @example
 * ```ts
 * import { tensor } from 'gradtape';
 *
 * const x = tensor([[1, 2], [3, 4]]);
 * console.log(x.shape, x.dtype, x.mul(2).sum().item()); // [2, 2] float32 20
 * console.log(x.toString()); // Tensor([[1, 2], [3, 4]], shape=[2, 2], dtype=float32)
 * ```
 */
export class Tensor {
  /** @internal tensor id in the wasm table; 0 once disposed */
  _id: number;
  /** @internal */
  _shape: number[] | undefined;
  /** The element type: 'float32', 'int32' or 'bool'. */
  readonly dtype: DType;

  /** @internal wraps a fresh id (whose reference it takes over) */
  /** @internal registered with the FinalizationRegistry (tensors inside tidy are, only if they escape) */
  _registered = false;
  /** @internal the core instance generation the id belongs to */
  _gen: number;

  /** Wraps a tensor of the WebAssembly core (taking over its reference). Make tensors with `tensor()`, `scalar()`, `zeros()`, `ones()`, ... rather than this. */
  constructor(id: number, dtype: DType) {
    this._id = id;
    this._gen = generation;
    this.dtype = dtype;
    // registering costs more than the op itself, so tidy's tensors are registered only if they escape
    if (scopeDepth > 0) created.push(this);
    else track(this);
  }

  /** @internal the id, checking the tensor is alive */
  get id(): number {
    if (this._id === 0 || this._gen !== generation) throw new Error(this._id === 0
      ? 'Tensor is disposed: it was freed by dispose() or by tidy(); keep() it or return it from tidy to use it afterwards'
      : 'Tensor is no longer usable: the WebAssembly core was reset after an internal error');
    return this._id;
  }

  /** The size of each axis (a copy): `[]` for a scalar. */
  get shape(): number[] { return shapeOf(this).slice(); }
  /** The number of axes. */
  get rank(): number { return this._shape ? this._shape.length : ints()[entryIndex(this.id) + E_RANK]; }
  /** The number of elements (the product of the shape). */
  get size(): number { return ints()[entryIndex(this.id) + E_SIZE]; }
  /** Whether the tensor was freed (by `dispose()`, `tidy` or a `using` block); a disposed tensor cannot be used. */
  get isDisposed(): boolean { return this._id === 0; }

  /** A copy of the values: Float32Array, Int32Array or Uint8Array (bool). */
  data(): Float32Array | Int32Array | Uint8Array {
    const ptr = dataAddress(this.id), n = this.size;
    if (this.dtype === 'bool') return copyOut(bytes(), ptr, n, Uint8Array);
    return this.dtype === 'float32' ? copyOut(floats(), ptr >>> 2, n, Float32Array) : copyOut(ints(), ptr >>> 2, n, Int32Array);
  }

  /** Nested arrays (a number, or boolean for bool, at rank 0). */
  toArray(): any {
    const values = Array.from(this.data() as ArrayLike<number>);
    const flat: unknown[] = this.dtype === 'bool' ? values.map(v => v !== 0) : values;
    return nest(flat, this.shape);
  }

  /** The single value of a size-1 tensor as a number (a bool tensor gives 1 or 0). */
  item(): number {
    if (this.size !== 1) throw new Error(`item(): tensor has ${this.size} elements (shape [${this.shape}]), expected exactly 1`);
    return this.data()[0];
  }

  /** Frees the tensor's memory now (idempotent). Tapes that recorded it keep their own reference. */
  dispose(): void {
    if (this._id === 0) return;
    if (this._registered) registry?.unregister(this);
    if (this._gen === generation) core[C.release](this._id);
    this._id = 0;
  }
  /** `using x = tensor(...)` frees the tensor at the end of the block. */
  [Symbol.dispose](): void { this.dispose(); }

  /** Prints like TensorFlow: `Tensor([[8, 8], [8, 8]], shape=[2, 2], dtype=float32)`. */
  toString(): string {
    if (this._id === 0) return 'Tensor(<disposed>)';
    return `Tensor(${formatValues(this)}, shape=[${this.shape.join(', ')}], dtype=${this.dtype})`;
  }
  /** Node's `console.log` shows the same text as `toString()`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string { return this.toString(); }
}

/** Whether v is an integer (a number: Number.isInteger does not convert). */
export const isInt = Number.isInteger as (v: unknown) => v is number;
/** The product of the dimensions: the element count of a shape. */
export const product = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** The values (in C order) from flat[at] on as nested arrays of the axes from `axis` on. */
function nest(flat: unknown[], shape: number[], axis = 0, at = 0): any {
  if (axis === shape.length) return flat[at];
  const stride = product(shape.slice(axis + 1));
  return Array.from({ length: shape[axis] }, (_, i) => nest(flat, shape, axis + 1, at + i * stride));
}

function formatNumber(v: number, dtype: DType): string {
  if (dtype === 'bool') return v ? 'true' : 'false';
  if (dtype === 'int32' || !Number.isFinite(v)) return String(v);
  return String(parseFloat(v.toPrecision(7)));
}

/** Values printed like TF, eliding the middle of long axes. */
function formatValues(t: Tensor): string {
  const values = t.data(), shape = t.shape;
  const strides = shape.map((_, i) => product(shape.slice(i + 1)));
  const edge = 3, long = 1000;
  const summarize = values.length > long;
  const fmt = (axis: number, offset: number): string => {
    if (axis === shape.length) return formatNumber(values[offset], t.dtype);
    const n = shape[axis], parts: string[] = [];
    for (let i = 0; i < n; i++) {
      if (summarize && n > 2 * edge && i === edge) { parts.push('...'); i = n - edge - 1; continue; }
      parts.push(fmt(axis + 1, offset + i * strides[axis]));
    }
    return `[${parts.join(', ')}]`;
  };
  return fmt(0, 0);
}

// ---- creating tensors ----
function checkShape(op: string, shape: readonly number[]): number {
  if (!Array.isArray(shape)) throw new Error(`${op}: shape must be an array of non-negative integers, got ${describe(shape)}`);
  if (shape.length > MAX_RANK) throw new Error(`${op}: rank ${shape.length} exceeds the maximum rank ${MAX_RANK} (shape [${shape}])`);
  let size = 1;
  for (const d of shape) {
    if (!isInt(d) || d < 0) throw new Error(`${op}: shape must contain non-negative integers, got [${shape.map(describe)}]`);
    size *= d;
  }
  if (size > MAX_ELEMENTS) throw new Error(`${op}: shape [${shape}] has ${size} elements, more than the maximum of ${MAX_ELEMENTS}`);
  // an empty shape can still name a dimension the core cannot store (dimensions are int32 there)
  for (const d of shape) if (d > MAX_ELEMENTS) throw new Error(`${op}: shape [${shape}] has a dimension of ${d} elements, more than the maximum of ${MAX_ELEMENTS}`);
  return size;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v instanceof Tensor) return v.isDisposed ? 'a disposed Tensor' : `Tensor(shape=[${v.shape}], dtype=${v.dtype})`;
  if (Array.isArray(v)) return `[${v.slice(0, 8).map(describe).join(', ')}${v.length > 8 ? ', ...' : ''}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  return String(v);
}

/** Allocates an uninitialised tensor; returns its handle. */
export function empty(shape: readonly number[], dtype: DType, op = 'tensor'): Tensor {
  checkShape(op, shape);
  ready();
  return new Tensor(core[C.newTensor](dtypeCode(dtype), shape.length, writeArgs(shape)), dtype);
}

/** A copy of memory[start, start + n): a loop for a few values (no intermediate view), slice() for more. */
function copyOut<A extends Float32Array | Int32Array | Uint8Array>(memory: A, start: number, n: number, Array: new (n: number) => A): A {
  if (n > 16) return memory.slice(start, start + n) as A;
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = memory[start + i];
  return out;
}

/** The typed-array view of a tensor's data in wasm memory (valid until memory grows). */
export function view(t: Tensor): Float32Array | Int32Array | Uint8Array {
  const ptr = dataAddress(t.id), n = t.size, buf = ints().buffer;
  return t.dtype === 'float32' ? new Float32Array(buf, ptr, n) : t.dtype === 'int32' ? new Int32Array(buf, ptr, n) : new Uint8Array(buf, ptr, n);
}

export function checkDType(op: string, dtype: unknown): DType {
  if (dtype === 'float32' || dtype === 'int32' || dtype === 'bool') return dtype;
  throw new Error(`${op}: dtype must be 'float32', 'int32' or 'bool', got ${describe(dtype)}`);
}

/** Infers shape from nesting and flattens; throws on ragged arrays or non-numbers. */
function flatten(op: string, values: NestedArray, shape: number[], flat: (number | boolean)[], depth: number): void {
  if (Array.isArray(values)) {
    if (shape.length === depth) shape.push(values.length);
    else if (shape[depth] !== values.length) throw new Error(`${op}: ragged nested array: expected ${shape[depth]} elements at depth ${depth}, got ${values.length}`);
    for (const v of values) flatten(op, v, shape, flat, depth + 1);
    return;
  }
  if (depth < shape.length) throw new Error(`${op}: ragged nested array: expected an array at depth ${depth}, got ${describe(values)}`);
  if (typeof values !== 'number' && typeof values !== 'boolean') throw new Error(`${op}: values must be numbers or booleans, got ${describe(values)}`);
  flat.push(values);
}

/** A tensor from a number, a (nested) array, a typed array or another tensor (copied). `shape` reshapes the values (a single value fills it); the dtype is inferred (numbers: float32, booleans: bool, Int32Array: int32) unless given. */
export function tensor(values: TensorLike, shape?: readonly number[], dtype?: DType): Tensor {
  const op = 'tensor';
  if (dtype !== undefined) checkDType(op, dtype);
  let flat: ArrayLike<number | boolean>;
  let inferred: number[];
  if (values instanceof Tensor) { // (a copy: C order, so writing the values in a new shape reshapes them)
    flat = toTensor(op, values).data(); // (toTensor: throws if disposed)
    inferred = values.shape;
    dtype ??= values.dtype;
  } else if (typeof values === 'number' || typeof values === 'boolean') {
    if (!shape || shape.length === 0) return scalar(values, dtype);
    flat = [values]; inferred = [];
    dtype ??= typeof values === 'boolean' ? 'bool' : 'float32';
  } else if (ArrayBuffer.isView(values) && !(values instanceof DataView) && typeof (values as unknown as ArrayLike<unknown>)[0] !== 'bigint') {
    // Uint8Array as bool; the other float arrays (Float64Array, Float16Array) as float32, integer ones as int32
    const typed = values as unknown as ArrayLike<number>;
    flat = typed; inferred = [typed.length];
    dtype ??= values instanceof Uint8Array ? 'bool' : values.constructor.name.startsWith('Float') ? 'float32' : 'int32';
  } else if (Array.isArray(values)) {
    const list: (number | boolean)[] = [];
    inferred = [];
    flatten(op, values, inferred, list, 0);
    flat = list;
    dtype ??= list.length > 0 && typeof list[0] === 'boolean' ? 'bool' : 'float32';
  } else {
    throw new Error(`${op}: values must be a number, a nested array or a typed array, got ${describe(values)}`);
  }
  const finalShape = shape ?? inferred;
  const size = checkShape(op, finalShape);
  if (size !== flat.length) {
    if (flat.length === 1 && shape) return fill(finalShape, Number(flat[0]), dtype); // a single value fills the shape, as in TF
    throw new Error(`${op}: shape [${finalShape}] has ${size} elements but ${flat.length} values were given`);
  }
  if (dtype === 'int32' && !(flat instanceof Int32Array)) for (let i = 0; i < flat.length; i++) checkInt32(op, flat[i], ` (at flat index ${i})`);
  const out = empty(finalShape, dtype, op);
  writeValues(out, flat);
  return out;
}

/** TF refuses to truncate silently: an int32 value must be an integer in range. */
function checkInt32(op: string, value: number | boolean, where = ''): number {
  const v = Number(value);
  if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new Error(`${op}: ${value}${where} is not an int32 value (an integer from -2^31 to 2^31-1); use cast() to convert floats`);
  return v;
}

/** Writes the values (a typed array's set() converts numbers and booleans as Number() does; bool stores 0 or 1). */
function writeValues(t: Tensor, flat: ArrayLike<number | boolean>): void {
  const v = view(t);
  if (t.dtype === 'bool') for (let i = 0; i < flat.length; i++) v[i] = flat[i] ? 1 : 0;
  else v.set(flat as ArrayLike<number>);
}

/** A rank-0 tensor holding `value` (float32 for numbers, bool for booleans, unless `dtype` says otherwise). */
export function scalar(value: number | boolean, dtype?: DType): Tensor {
  dtype = fillDType('scalar', value, dtype);
  ready();
  const id = core[C.newTensor](dtypeCode(dtype), 0, core[C.args]());
  const ptr = dataAddress(id);
  if (dtype === 'float32') floats()[ptr >>> 2] = Number(value);
  else if (dtype === 'int32') ints()[ptr >>> 2] = Number(value);
  else bytes()[ptr] = value ? 1 : 0;
  return new Tensor(id, dtype);
}

/** A tensor of `shape` with every element `value`. */
export function fill(shape: readonly number[], value: number | boolean, dtype?: DType): Tensor { return fillAs('fill', shape, value, dtype); }
/** The dtype of a tensor filled with `value`: `dtype` if given (and able to hold it), else the value's own. */
function fillDType(op: string, value: number | boolean, dtype?: DType): DType {
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new Error(`${op}: value must be a number or boolean, got ${describe(value)}`);
  if (dtype !== undefined) checkDType(op, dtype);
  if (dtype === 'int32') checkInt32(op, value);
  return dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
}
function fillAs(op: string, shape: readonly number[], value: number | boolean, dtype?: DType): Tensor {
  const t = empty(shape, fillDType(op, value, dtype), op);
  view(t).fill(t.dtype === 'bool' ? (value ? 1 : 0) : Number(value));
  return t;
}
/** A tensor of `shape` filled with 0 (float32 unless `dtype` is given). */
export const zeros = (shape: readonly number[], dtype: DType = 'float32'): Tensor => fillAs('zeros', shape, 0, dtype);
/** A tensor of `shape` filled with 1 (float32 unless `dtype` is given). */
export const ones = (shape: readonly number[], dtype: DType = 'float32'): Tensor => fillAs('ones', shape, 1, dtype);
function fillLike(op: string, x: TensorLike, value: number): Tensor {
  const t = toTensor(op, x);
  const { shape, dtype } = t;
  if (t !== x) t.dispose();
  return fillAs(op, shape, value, dtype);
}
/** Zeros with the shape and dtype of `x`. */
export const zerosLike = (x: TensorLike): Tensor => fillLike('zerosLike', x, 0);
/** Ones with the shape and dtype of `x`. */
export const onesLike = (x: TensorLike): Tensor => fillLike('onesLike', x, 1);

/** Hook set by the variable/tape layer: called for every Variable read while a tape records. */
export const reads = { onVariableRead: undefined as ((t: Tensor) => void) | undefined };

/** Converts an op argument to a Tensor (numbers and arrays become new tensors of `dtype`). */
export function toTensor(op: string, x: TensorLike, dtype?: DType): Tensor {
  if (x instanceof Tensor) {
    if (x._id === 0) throw new Error(`${op}: got a disposed tensor; it was freed by dispose() or tidy()`);
    if (reads.onVariableRead !== undefined) reads.onVariableRead(x);
    return x;
  }
  if (typeof x !== 'number' && typeof x !== 'boolean' && !Array.isArray(x) && !(x instanceof Float32Array || x instanceof Int32Array || x instanceof Uint8Array))
    throw new Error(`${op}: expected a Tensor, number or nested array, got ${describe(x)}`);
  try {
    return typeof x === 'number' ? scalar(x, dtype === 'bool' ? 'float32' : dtype) : typeof x === 'boolean' ? scalar(x, 'bool') : tensor(x, undefined, dtype && Array.isArray(x) ? dtype : undefined);
  } catch (e) { throw new Error(`${op}: could not convert argument to a tensor: ${(e as Error).message}`); }
}

// ---- memory management ----
const kept = new WeakSet<object>();

/**
 * Runs `fn` and then frees every tensor (and tape) it created, except what it returns (tensors, tapes,
 * or any array/object nesting of them), variables, and what was `keep()`-ed. Synchronous functions only.
 * @example
 * ```ts
 * import { tidy, ones, mul, memory } from 'gradtape';
 *
 * const before = memory().tensors;
 * const y = tidy(() => mul(ones([2]), 3)); // ones([2]) is freed, y is returned
 * console.log(y.toArray()); // [3, 3]
 * console.log(memory().tensors - before); // 1
 * ```
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new Error(`tidy: expected a function, got ${describe(fn)}`);
  const start = created.length, ownedStart = owned.length;
  scopeDepth++;
  tidyDepth++;
  let result: T;
  try {
    result = fn();
    if (result && typeof (result as any).then === 'function') throw new TypeError('tidy: the function returned a Promise; tidy must be synchronous');
  } catch (e) {
    releaseOwned(ownedStart, NOTHING);
    endScope(start, undefined, NOTHING);
    throw e;
  }
  // a primitive result (the common `tidy(() => { ... })`) keeps nothing: no set to build
  const keep = result !== null && typeof result === 'object' ? new Set<unknown>() : NOTHING;
  if (keep !== NOTHING) collect(result, keep);
  releaseOwned(ownedStart, keep);
  endScope(start, undefined, keep);
  return result;
}

/** Ends the tidy that owns owned[start..]: frees those not escaping; escapees go to the enclosing tidy. */
function releaseOwned(start: number, escaping: Set<unknown>): void {
  tidyDepth--;
  const end = owned.length;
  let survivors = start;
  for (let i = start; i < end; i++) {
    const o = owned[i];
    if (!escaping.has(o) && !kept.has(o)) o._release(false);
    else if (tidyDepth > 0 && !kept.has(o)) owned[survivors++] = o;
    else o._release(true);
  }
  if (survivors !== end) owned.length = survivors;
}
const NOTHING = new Set<unknown>();

/**
 * Ends the scope whose tensors are created[start..]: frees them except kept ones (left to the
 * garbage collector), variables and those that escape: members of `escaping`, or without it the
 * result (a tensor or an array of tensors). Escapees move to the enclosing scope, if any.
 */
function endScope(start: number, result: unknown, escaping: Set<unknown> | undefined): void {
  scopeDepth--;
  const end = created.length;
  let survivors = start; // survivors move down into the enclosing scope's part of the stack
  for (let i = start; i < end; i++) {
    const t = created[i];
    if (t._id === 0) continue;
    if (kept.has(t)) track(t);
    else if ((escaping ? escaping.has(t) : t === result || (Array.isArray(result) && result.includes(t))) || isVariableHandle(t)) {
      if (scopeDepth > 0) created[survivors++] = t;
      else track(t);
    } else t.dispose();
  }
  if (survivors !== end) created.length = survivors; // (setting length costs even when unchanged)
}

/** Set by the variable layer: variables are never disposed by tidy. */
export const variables = { is: (_t: Tensor) => false };
function isVariableHandle(t: Tensor): boolean { return variables.is(t); }

function collect(value: unknown, into: Set<unknown>, seen?: Set<unknown>): void {
  if (value instanceof Tensor) { into.add(value); return; }
  // typed arrays and buffers hold numbers only: walking their elements would be O(size)
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return;
  seen ??= new Set<unknown>(); // (cycles) made only once a container is met
  if (seen.has(value)) return;
  seen.add(value);
  if (value instanceof Owned) into.add(value); // a tape: kept, and so is what it holds
  if (Array.isArray(value)) { for (const v of value) collect(v, into, seen); return; }
  if (value instanceof Map) { for (const v of value.values()) collect(v, into, seen); return; }
  for (const v of Object.values(value)) collect(v, into, seen);
}

/**
 * Runs one public op, fn(...args): every tensor it creates (arguments converted from plain values,
 * intermediates of composite ops) is freed when it returns or throws, except its result (a tensor or
 * an array of tensors). A tape keeps its own references to what it recorded. A lighter tidy for the
 * hot path: no allocation beyond the tensors themselves.
 */
export function opScope<T>(fn: (...args: any[]) => T, args: unknown[]): T {
  const start = created.length;
  scopeDepth++;
  let result: T | undefined;
  try {
    return result = fn(...args);
  } finally {
    endScope(start, result, undefined);
  }
}

/** Exempts a tensor (or a tape) from the enclosing tidy. */
export function keep<T extends Tensor | GradientTape<any>>(x: T): T {
  if (!(x instanceof Tensor) && !(x instanceof Owned)) throw new Error(`keep: expected a Tensor or a GradientTape, got ${describe(x)}`);
  kept.add(x);
  return x;
}

/** Frees a tensor or any nesting (arrays, objects) of tensors. */
export function dispose(x: unknown): void {
  const all = new Set<unknown>();
  collect(x, all);
  for (const t of all) (t as Tensor).dispose(); // tensors, and tapes in the nesting
}

/** What lives in WebAssembly memory now: live tensors, their bytes, and the size of the memory itself. */
export function memory(): { tensors: number; bytes: number; wasmBytes: number } {
  ready();
  return { tensors: core[C.liveTensors].value, bytes: core[C.liveBytes].value >>> 0, wasmBytes: core.memory.buffer.byteLength };
}

/** Points a handle (a Variable) at a new id whose reference it takes over. */
export function rebind(t: Tensor, id: number): void {
  if (t._registered) registry?.unregister(t);
  t._registered = false;
  t._id = id;
  track(t);
}

/** Wraps a fresh id from the core as a Tensor. */
export function wrap(id: number, dtype: DType): Tensor { return new Tensor(id, dtype); }
export { checkShape, MAX_RANK };
