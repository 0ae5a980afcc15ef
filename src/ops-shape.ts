// Slicing, joining, gathering and creation ops, plus dot and norm. Kernels: assembly/ops/slicing.ts
// (slice, pad, concat, gather, tile, oneHot, each with its backward rule); everything else here is
// a composition of recorded ops and needs no gradient code.
import { def, checkDTypes, dims, axesMask, normAxis, flag, reshape, transpose, matmul, sqrt, sum, square, concatRaw } from './ops.js';
import { core, writeArgs } from './core.js';
import { Tensor, TensorLike, DType, toTensor, wrap, describe, empty, view, checkShape, MAX_RANK } from './tensor.js';

/** The kernels of assembly/ops/slicing.ts (array arguments go through the args buffer). */
interface SlicingCore {
  slice(x: number, argsPtr: number): number;
  pad(x: number, argsPtr: number, value: number): number;
  gather(x: number, indices: number, axis: number): number;
  tile(x: number, argsPtr: number): number;
  oneHot(indices: number, depth: number, on: number, off: number): number;
}
const kernels = () => core as unknown as SlicingCore;
const fmt = (s: readonly unknown[]) => `[${s.join(', ')}]`;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function intList(op: string, what: string, v: unknown): number[] {
  if (!Array.isArray(v) || !v.every(isInt)) throw new Error(`${op}: ${what} must be an array of integers, got ${describe(v)}`);
  return v.slice();
}
function checkRank(op: string, shape: readonly number[]): void {
  if (shape.length > MAX_RANK) throw new Error(`${op}: the result would have rank ${shape.length} (shape ${fmt(shape)}), more than the maximum rank ${MAX_RANK}`);
}
/** An int32 tensor argument (indices): plain arrays and numbers are converted to int32. */
function intTensor(op: string, what: string, x: TensorLike): Tensor {
  const t = toTensor(op, x, 'int32');
  if (t.dtype !== 'int32') {
    const error = new Error(`${op}: ${what} must be an int32 tensor, got dtype ${t.dtype} (shape ${fmt(dims(t))})`);
    if (t !== x) t.dispose(); // converted here (a typed array): not the caller's
    throw error;
  }
  return t;
}

/** Unvalidated slice: `begin` and `size` resolved, in range. */
function sliceRaw(t: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  const r = begin.length;
  writeArgs(begin); writeArgs(size, r);
  const out = wrap(kernels().slice(t.id, core.args()), t.dtype);
  out._shape = size.slice();
  return out;
}
/** Unvalidated reshape of a fresh temporary, which is disposed (a tape keeps what it recorded). */
function reshapeOwned(t: Tensor, shape: number[]): Tensor {
  const out = wrap(core.reshape(t.id, writeArgs(shape), shape.length), t.dtype);
  out._shape = shape;
  t.dispose();
  return out;
}

// ---- slicing and joining ----
/** The block starting at `begin` with `size` elements per axis (-1: to the end); a number applies to the first axis. */
export const slice = /* @__PURE__ */ def('slice', function slice(x: TensorLike, begin: number | readonly number[], size?: number | readonly number[]): Tensor {
  const t = toTensor('slice', x);
  const s = dims(t), r = s.length;
  const b = typeof begin === 'number' ? [begin] : intList('slice', 'begin', begin);
  const z = size === undefined ? [] : typeof size === 'number' ? [size] : intList('slice', 'size', size);
  if (b.length > r || z.length > r) throw new Error(`slice: begin ${describe(begin)} and size ${describe(size)} must have at most rank ${r} entries for shape ${fmt(s)}`);
  while (b.length < r) b.push(0);
  while (z.length < r) z.push(-1);
  const resolved = z.map((n, i) => {
    if (!isInt(b[i]) || b[i] < 0 || b[i] > s[i]) throw new Error(`slice: begin ${fmt(b)} is out of range for shape ${fmt(s)} (axis ${i}: expected 0 <= begin <= ${s[i]})`);
    if (!isInt(n) || n < -1) throw new Error(`slice: size ${fmt(z)} must contain non-negative integers or -1 (to the end), got ${describe(n)} at axis ${i}`);
    const m = n === -1 ? s[i] - b[i] : n;
    if (b[i] + m > s[i]) throw new Error(`slice: begin ${fmt(b)} + size ${fmt(z)} exceeds dimension ${s[i]} of shape ${fmt(s)} (axis ${i})`);
    return m;
  });
  return sliceRaw(t, b, resolved);
}, __TESTS__ && {
  kind: 'other', dtypes: 'any', grad: true,
  examples: [{ inputs: [[5, 4]], args: [[1, 1], [3, 2]] }, { inputs: [[2, 3, 4]], args: [[0, 1, 2], [-1, 2, -1]] }, { inputs: [[6]], args: [2] },
    { inputs: [[4, 3]], args: [1, 2] }, { inputs: [[3, 4]], args: [[0, 0], [0, 4]] }],
});

/** Pads each axis with `paddings[i] = [before, after]` elements of `value` (default 0). */
export const pad = /* @__PURE__ */ def('pad', function pad(x: TensorLike, paddings: readonly (readonly number[])[], value: number | boolean = 0): Tensor {
  const t = toTensor('pad', x);
  const s = dims(t), r = s.length;
  const bad = () => new Error(`pad: paddings must be ${r} pairs [before, after] of non-negative integers for shape ${fmt(s)}, got ${describe(paddings)}`);
  if (!Array.isArray(paddings) || paddings.length !== r) throw bad();
  const flat: number[] = [];
  for (const p of paddings) {
    if (!Array.isArray(p) || p.length !== 2 || !p.every(v => isInt(v) && v >= 0)) throw bad();
    flat.push(p[0], p[1]);
  }
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new Error(`pad: value must be a number, got ${describe(value)}`);
  const shape = s.map((d, i) => d + flat[2 * i] + flat[2 * i + 1]);
  checkShape('pad', shape);
  const out = wrap(kernels().pad(t.id, writeArgs(flat), Number(value)), t.dtype);
  out._shape = shape;
  return out;
}, __TESTS__ && {
  kind: 'other', dtypes: 'any', grad: true,
  examples: [{ inputs: [[2, 3]], args: [[[1, 0], [2, 1]]] }, { inputs: [[3]], args: [[[2, 3]], 1.5] }, { inputs: [[2, 1, 2]], args: [[[0, 1], [1, 1], [0, 0]], -1] }, { inputs: [[]], args: [[]] }],
});

/** Joins tensors of the same rank along an existing `axis` (default 0). */
export const concat = /* @__PURE__ */ def('concat', function concat(xs: readonly TensorLike[], axis = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw new Error(`concat: expected a non-empty array of tensors, got ${describe(xs)}`);
  const ts = xs.map(x => toTensor('concat', x));
  const first = dims(ts[0]), r = first.length;
  if (r === 0) throw new Error('concat: cannot concatenate scalars (rank 0 tensors); use stack');
  const ax = normAxis('concat', axis, r);
  let total = 0;
  ts.forEach((t, j) => {
    const s = dims(t);
    if (t.dtype !== ts[0].dtype) throw new Error(`concat: all tensors must have the same dtype, got ${ts[0].dtype} (tensor 0) and ${t.dtype} (tensor ${j})`);
    if (s.length !== r || s.some((d, i) => i !== ax && d !== first[i])) throw new Error(`concat: shapes must match except along axis ${axis}: tensor 0 has shape ${fmt(first)}, tensor ${j} has shape ${fmt(s)}`);
    total += s[ax];
  });
  const shape = first.slice();
  shape[ax] = total;
  checkShape('concat', shape);
  return concatRaw(ts, ax, shape);
}, __TESTS__ && {
  kind: 'other', dtypes: 'any', grad: true,
  examples: [{ inputs: [[2, 3], [4, 3]], args: [0], call: (f, xs, args) => f(xs, ...args) }, { inputs: [[2, 3], [2, 1], [2, 2]], args: [-1], call: (f, xs, args) => f(xs, ...args) },
    { inputs: [[2, 1, 3], [2, 2, 3]], args: [1], call: (f, xs, args) => f(xs, ...args) }, { inputs: [[3]], args: [0], call: (f, xs, args) => f(xs, ...args) }],
});

/** Joins tensors of the same shape along a new `axis` (default 0). */
export const stack = /* @__PURE__ */ def('stack', function stack(xs: readonly TensorLike[], axis = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw new Error(`stack: expected a non-empty array of tensors, got ${describe(xs)}`);
  const ts = xs.map(x => toTensor('stack', x));
  const first = dims(ts[0]);
  ts.forEach((t, j) => {
    if (t.dtype !== ts[0].dtype) throw new Error(`stack: all tensors must have the same dtype, got ${ts[0].dtype} (tensor 0) and ${t.dtype} (tensor ${j})`);
    const s = dims(t);
    if (s.length !== first.length || s.some((d, i) => d !== first[i])) throw new Error(`stack: all tensors must have the same shape: tensor 0 has shape ${fmt(first)}, tensor ${j} has shape ${fmt(s)}`);
  });
  const ax = normAxis('stack', axis, first.length, 1);
  const expanded = first.slice();
  expanded.splice(ax, 0, 1);
  checkRank('stack', expanded);
  const shape = expanded.slice();
  shape[ax] = ts.length;
  checkShape('stack', shape);
  const parts = ts.map(t => reshape(t, expanded));
  const out = concatRaw(parts, ax, shape);
  for (const p of parts) p.dispose();
  return out;
}, __TESTS__ && {
  kind: 'other', dtypes: 'any', grad: true,
  examples: [{ inputs: [[2, 3], [2, 3]], args: [0], call: (f, xs, args) => f(xs, ...args) }, { inputs: [[3], [3], [3]], args: [-1], call: (f, xs, args) => f(xs, ...args) },
    { inputs: [[2, 2], [2, 2]], args: [1], call: (f, xs, args) => f(xs, ...args) }, { inputs: [[], []], call: (f, xs, args) => f(xs, ...args) }],
});

/** Splits x along `axis` (default 0) into its slices, each without that axis. */
export const unstack = /* @__PURE__ */ def('unstack', function unstack(x: TensorLike, axis = 0): Tensor[] {
  const t = toTensor('unstack', x);
  const s = dims(t);
  if (s.length === 0) throw new Error('unstack: expected a tensor of rank >= 1, got a scalar');
  const ax = normAxis('unstack', axis, s.length);
  const begin = s.map(() => 0), size = s.slice();
  size[ax] = 1;
  const shape = s.filter((_, i) => i !== ax);
  return Array.from({ length: s[ax] }, (_, i) => {
    begin[ax] = i;
    return reshapeOwned(sliceRaw(t, begin, size), shape.slice());
  });
}, __TESTS__ && {
  kind: 'other', dtypes: 'any', grad: true,
  examples: [{ inputs: [[3, 4]], call: (f, xs, args) => f(...xs, ...args)[1] }, { inputs: [[2, 3, 2]], args: [1], call: (f, xs, args) => f(...xs, ...args)[2] },
    { inputs: [[2, 5]], args: [-1], call: (f, xs, args) => f(...xs, ...args)[4] }],
});

/** Splits x along `axis` (default 0) into `count` equal parts, or parts of the given sizes (one may be -1). */
export const split = /* @__PURE__ */ def('split', function split(x: TensorLike, sizesOrCount: number | readonly number[], axis = 0): Tensor[] {
  const t = toTensor('split', x);
  const s = dims(t);
  if (s.length === 0) throw new Error('split: expected a tensor of rank >= 1, got a scalar');
  const ax = normAxis('split', axis, s.length), n = s[ax];
  let sizes: number[];
  if (typeof sizesOrCount === 'number') {
    if (!isInt(sizesOrCount) || sizesOrCount <= 0 || n % sizesOrCount !== 0)
      throw new Error(`split: cannot split dimension ${n} (axis ${axis} of shape ${fmt(s)}) into ${describe(sizesOrCount)} equal parts`);
    sizes = new Array<number>(sizesOrCount).fill(n / sizesOrCount);
  } else {
    sizes = intList('split', 'sizesOrCount', sizesOrCount);
    const infer = sizes.indexOf(-1);
    if (sizes.some((v, i) => v < -1 || (v === -1 && i !== infer))) throw new Error(`split: sizes ${fmt(sizes)} must be non-negative integers with at most one -1`);
    const known = sizes.reduce((a, v) => (v === -1 ? a : a + v), 0);
    if (infer >= 0 && known <= n) sizes[infer] = n - known;
    if (infer >= 0 ? known > n : known !== n) throw new Error(`split: sizes ${describe(sizesOrCount)} do not add up to dimension ${n} (axis ${axis} of shape ${fmt(s)})`);
  }
  const begin = s.map(() => 0), size = s.slice();
  return sizes.map(m => {
    size[ax] = m;
    const part = sliceRaw(t, begin, size);
    begin[ax] += m;
    return part;
  });
}, __TESTS__ && {
  kind: 'other', dtypes: 'any', grad: true,
  examples: [{ inputs: [[6, 2]], args: [3], call: (f, xs, args) => f(...xs, ...args)[1] }, { inputs: [[2, 7]], args: [[2, -1, 1], 1], call: (f, xs, args) => f(...xs, ...args)[1] },
    { inputs: [[3, 5]], args: [[1, 4], -1], call: (f, xs, args) => f(...xs, ...args)[1] }],
});

// ---- gathering ----
/** Takes the slices of x at `indices` (int32) along `axis` (default 0); the gradient scatters back (adding repeats). */
export const gather = /* @__PURE__ */ def('gather', function gather(x: TensorLike, indices: TensorLike, axis = 0): Tensor {
  const t = toTensor('gather', x);
  const s = dims(t);
  if (s.length === 0) throw new Error('gather: expected a tensor of rank >= 1, got a scalar');
  const ax = normAxis('gather', axis, s.length), n = s[ax];
  const idx = intTensor('gather', 'indices', indices);
  const shape = [...s.slice(0, ax), ...dims(idx), ...s.slice(ax + 1)];
  try {
    checkRank('gather', shape);
    checkShape('gather', shape);
    const values = view(idx) as Int32Array;
    for (let i = 0; i < values.length; i++) {
      const k = values[i];
      if (k < 0 || k >= n) throw new Error(`gather: index ${k} (at position ${i} of indices) is out of range [0, ${n}) for axis ${axis} of shape ${fmt(s)}`);
    }
  } catch (e) {
    if (idx !== indices) idx.dispose(); // converted from an array here
    throw e;
  }
  const out = wrap(kernels().gather(t.id, idx.id, ax), t.dtype);
  out._shape = shape;
  return out;
}, __TESTS__ && {
  kind: 'other', dtypes: 'any', grad: true,
  examples: [{ inputs: [[5, 3], { shape: [4], int: [0, 5] }] }, { inputs: [[3, 4], { shape: [2, 3], int: [0, 4] }], args: [1] },
    { inputs: [[2, 3, 2], { shape: [5], int: [0, 3] }], args: [-2] }, { inputs: [[4], { shape: [], int: [0, 4] }] }],
});

/** Repeats x `reps[i]` times along each axis i. */
export const tile = /* @__PURE__ */ def('tile', function tile(x: TensorLike, reps: readonly number[]): Tensor {
  const t = toTensor('tile', x);
  const s = dims(t);
  if (!Array.isArray(reps) || reps.length !== s.length || !reps.every(v => isInt(v) && v >= 0))
    throw new Error(`tile: reps must be ${s.length} non-negative integers (one per axis of shape ${fmt(s)}), got ${describe(reps)}`);
  const shape = s.map((d, i) => d * reps[i]);
  checkShape('tile', shape);
  const out = wrap(kernels().tile(t.id, writeArgs(reps)), t.dtype);
  out._shape = shape;
  return out;
}, __TESTS__ && {
  kind: 'other', dtypes: 'any', grad: true,
  examples: [{ inputs: [[2, 3]], args: [[2, 1]] }, { inputs: [[3]], args: [[3]] }, { inputs: [[2, 1, 2]], args: [[1, 3, 2]] }, { inputs: [[2, 2]], args: [[1, 1]] }],
});

/** A float32 tensor with a new last axis of `depth`: `onValue` (1) at each index, `offValue` (0) elsewhere; out-of-range indices give a row of offValue. */
export const oneHot = /* @__PURE__ */ def('oneHot', function oneHot(indices: TensorLike, depth: number, onValue = 1, offValue = 0): Tensor {
  if (!isInt(depth) || depth < 0) throw new Error(`oneHot: depth must be a non-negative integer, got ${describe(depth)}`);
  if (typeof onValue !== 'number' || typeof offValue !== 'number') throw new Error(`oneHot: onValue and offValue must be numbers, got ${describe(onValue)} and ${describe(offValue)}`);
  const idx = intTensor('oneHot', 'indices', indices);
  const shape = [...dims(idx), depth];
  try {
    checkRank('oneHot', shape);
    checkShape('oneHot', shape);
  } catch (e) {
    if (idx !== indices) idx.dispose();
    throw e;
  }
  const out = wrap(kernels().oneHot(idx.id, depth, onValue, offValue), 'float32');
  out._shape = shape;
  return out;
}, __TESTS__ && { kind: 'other', dtypes: 'numeric', grad: false, examples: [{ inputs: [{ shape: [4], int: [0, 5] }], args: [5] }, { inputs: [{ shape: [2, 3], int: [-1, 4] }], args: [3] }] });

// ---- creation ----
function creationNumber(op: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${op}: ${what} must be a finite number, got ${describe(v)}`);
  return v;
}

/** The n × numColumns identity matrix (float32). */
export const eye = /* @__PURE__ */ def('eye', function eye(n: number, numColumns: number = n): Tensor {
  if (!isInt(n) || n < 0 || !isInt(numColumns) || numColumns < 0) throw new Error(`eye: sizes must be non-negative integers, got ${describe(n)} and ${describe(numColumns)}`);
  const out = empty([n, numColumns], 'float32', 'eye');
  const v = view(out);
  v.fill(0);
  for (let i = 0; i < Math.min(n, numColumns); i++) v[i * numColumns + i] = 1;
  return out;
}, __TESTS__ && { kind: 'other', dtypes: 'float', grad: false, examples: [{ inputs: [], args: [3] }, { inputs: [], args: [2, 4] }, { inputs: [], args: [0] }] });

/** Values from `start` up to (not including) `stop`, by `step` (one argument: from 0 to it). */
export const range = /* @__PURE__ */ def('range', function range(start: number, stop?: number, step = 1, dtype: DType = 'float32'): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  creationNumber('range', 'start', start); creationNumber('range', 'stop', stop); creationNumber('range', 'step', step);
  if (step === 0) throw new Error('range: step must not be 0');
  if (dtype !== 'float32' && dtype !== 'int32') throw new Error(`range: dtype must be 'float32' or 'int32', got ${describe(dtype)}`);
  const n = Math.max(Math.ceil((stop - start) / step), 0);
  const out = empty([n], dtype, 'range');
  const v = view(out);
  for (let i = 0; i < n; i++) v[i] = start + i * step;
  return out;
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: false,
  examples: [{ inputs: [], args: [5] }, { inputs: [], args: [1, 4] }, { inputs: [], args: [0, 1, 0.25] }, { inputs: [], args: [5, 0, -2] }, { inputs: [], args: [3, 1] }, { inputs: [], args: [0, 6, 2, 'int32'] }],
});

/** `num` evenly spaced values from `start` to `stop`, both included (float32). */
export const linspace = /* @__PURE__ */ def('linspace', function linspace(start: number, stop: number, num: number): Tensor {
  creationNumber('linspace', 'start', start); creationNumber('linspace', 'stop', stop);
  if (!isInt(num) || num <= 0) throw new Error(`linspace: num must be a positive integer, got ${describe(num)}`);
  const out = empty([num], 'float32', 'linspace');
  const v = view(out), delta = num === 1 ? 0 : (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) v[i] = start + i * delta;
  return out;
}, __TESTS__ && { kind: 'other', dtypes: 'float', grad: false, examples: [{ inputs: [], args: [0, 1, 5] }, { inputs: [], args: [-2, 3, 1] }, { inputs: [], args: [3, -1, 9] }] });

// ---- linear algebra ----
/** np.dot / tf.dot: contracts a's last axis with b's only axis (rank 1) or second-to-last axis. */
export const dot = /* @__PURE__ */ def('dot', function dot(a: TensorLike, b: TensorLike): Tensor {
  const x = toTensor('dot', a), y = toTensor('dot', b);
  checkDTypes('dot', x, 'float'); checkDTypes('dot', y, 'float');
  const sa = dims(x), sb = dims(y);
  if (sa.length === 0 || sb.length === 0) throw new Error(`dot: both operands must have rank >= 1, got shapes ${fmt(sa)} and ${fmt(sb)}`);
  const bAxis = sb.length === 1 ? 0 : sb.length - 2;
  const k = sa[sa.length - 1];
  if (k !== sb[bAxis]) throw new Error(`dot: inner dimensions must match: shapes ${fmt(sa)} and ${fmt(sb)} give ${k} vs ${sb[bAxis]}`);
  const aOuter = sa.slice(0, -1), bOuter = sb.filter((_, i) => i !== bAxis);
  const shape = [...aOuter, ...bOuter];
  checkRank('dot', shape);
  if (sa.length === 2 && sb.length === 2) return matmul(x, y);
  const temps: Tensor[] = [];
  const temp = (t: Tensor) => (temps.push(t), t);
  const nA = aOuter.reduce((p, d) => p * d, 1), nB = bOuter.reduce((p, d) => p * d, 1);
  const a2 = sa.length === 2 ? x : temp(reshape(x, [nA, k]));
  const bt = sb.length <= 2 ? y : temp(transpose(y, [bAxis, ...sb.map((_, i) => i).filter(i => i !== bAxis)]));
  const b2 = sb.length === 2 ? y : temp(reshape(bt, [k, nB]));
  const out = reshape(temp(matmul(a2, b2)), shape);
  for (const t of temps) t.dispose();
  return out;
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [{ inputs: [[4], [4]] }, { inputs: [[3, 4], [4]] }, { inputs: [[4], [4, 5]] }, { inputs: [[3, 4], [4, 5]] }, { inputs: [[2, 3, 4], [4, 2]] }, { inputs: [[2, 3], [2, 3, 4]] }],
});

/** Euclidean norm: sqrt(sum(x²)) over `axis` (all axes by default). */
export const norm = /* @__PURE__ */ def('norm', function norm(x: TensorLike, axis?: number | number[], keepDims = false): Tensor {
  const t = toTensor('norm', x);
  checkDTypes('norm', t, 'float');
  axesMask('norm', axis, t.rank); // validates the axes with this op's name
  flag('norm', 'keepDims', keepDims);
  const sq = square(t), s = sum(sq, axis, keepDims);
  const out = sqrt(s);
  sq.dispose(); s.dispose();
  return out;
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [{ inputs: [[3, 4]] }, { inputs: [[3, 4]], args: [1] }, { inputs: [[2, 3, 4]], args: [[0, 2], true] }, { inputs: [[5]], args: [0] }, { inputs: [[2, 3]], args: [-1, true] }],
});
