// Shape ops: reshaping and transposing (kernels in assembly/ops/shape.ts), slicing, joining,
// gathering (assembly/ops/slicing.ts, each with its backward rule), and creation ops; everything
// else here is a composition of recorded ops and needs no gradient code.
import { def, method, dims, axesMask, normAxis, axisOf, concatRaw, withShape, fmt, intTensor, finite, integer } from './ops.js';
import { core, writeArgs, ints } from './core.js';
import { Tensor, TensorLike, DType, toTensor, wrap, describe, empty, view, checkShape, tensor, product, isInt } from './tensor.js';
import { equal, where } from './ops-elementwise.js';
import { C } from '../build/generated/interface.js';

const counts = (s: readonly number[]) => s.every(v => isInt(v) && v >= 0);

/** Unvalidated slice: `begin` and `size` resolved, in range. */
function sliceRaw(t: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  const r = begin.length;
  writeArgs(begin); writeArgs(size, r);
  const out = wrap(core[C.slice](t.id, core[C.args]()), t.dtype);
  out._shape = size.slice();
  return out;
}
/**
 * Unvalidated split of t along `ax` into parts of the extents `sizes` (with `stacked`, parts of
 * extent 1 without the axis: unstack); one op and one record, whose gradient joins the parts'.
 */
function splitRaw(t: Tensor, ax: number, sizes: readonly number[], stacked: boolean): Tensor[] {
  const at = writeArgs(sizes);
  core[C.split](t.id, ax, stacked ? 1 : 0, at, sizes.length);
  const ids = ints().slice(at >>> 2, (at >>> 2) + sizes.length), s = dims(t);
  return sizes.map((m, j) => {
    const shape = s.slice();
    if (stacked) shape.splice(ax, 1);
    else shape[ax] = m;
    return withShape(wrap(ids[j], t.dtype), shape);
  });
}

// ---- reshaping ----
/** The same values in a new shape; one dimension may be -1 (inferred). */
export const reshape = method('reshape', function reshape(x: TensorLike, shape: readonly number[]): Tensor {
  const t = toTensor('reshape', x), size = t.size;
  const out = Array.isArray(shape) ? shape.slice() : [NaN], inferAt = out.indexOf(-1);
  if (inferAt >= 0) { out[inferAt] = 1; out[inferAt] = size / product(out); } // (not an integer if it cannot be inferred)
  if (!counts(out) || product(out) !== size)
    throw new Error(`reshape: cannot reshape shape ${fmt(dims(t))} (${size} elements) into ${describe(shape)}: expected non-negative integers (one may be -1) making ${size} elements`);
  checkShape('reshape', out);
  return withShape(wrap(core[C.reshape](t.id, writeArgs(out), out.length), t.dtype), out);
}, __TESTS__ && { kind: 'other', dtypes: 'any', grad: true, examples: [{ inputs: [[2, 3]], args: [[3, 2]] }, { inputs: [[2, 3, 2]], args: [[-1, 4]] }, { inputs: [[6]], args: [[1, 6, 1]] }] });
/** Inserts an axis of size 1 at `axis` (default 0; negative counts from the end). */
export const expandDims = method('expandDims', function expandDims(x: TensorLike, axis = 0): Tensor {
  const t = toTensor('expandDims', x);
  const ax = normAxis('expandDims', axis, t.rank, 1);
  const s = dims(t).slice();
  s.splice(ax, 0, 1);
  return reshape(t, s);
}, __TESTS__ && { kind: 'other', dtypes: 'any', grad: true, examples: [{ inputs: [[2, 3]], args: [0] }, { inputs: [[2, 3]], args: [-1] }, { inputs: [[]], args: [0] }] });
/** Removes axes of size 1: all of them, or those in `axis`. */
export const squeeze = method('squeeze', function squeeze(x: TensorLike, axis?: number | number[]): Tensor {
  const t = toTensor('squeeze', x);
  const s = dims(t);
  if (axis === undefined) return reshape(t, s.filter(d => d !== 1));
  const mask = axesMask('squeeze', axis, t.rank);
  s.forEach((d, i) => { if ((mask >> i) & 1 && d !== 1) throw new Error(`squeeze: cannot squeeze axis ${i} of size ${d} (shape ${fmt(s)})`); });
  return reshape(t, s.filter((_, i) => !((mask >> i) & 1)));
}, __TESTS__ && { kind: 'other', dtypes: 'any', grad: true, examples: [{ inputs: [[1, 3, 1]] }, { inputs: [[1, 3, 1]], args: [[-1]] }, { inputs: [[2, 1]], args: [1] }] });
/** Permutes the axes by `perm` (default: reversed). */
export const transpose = method('transpose', function transpose(x: TensorLike, perm?: number[]): Tensor {
  const t = toTensor('transpose', x);
  const r = t.rank;
  const p = perm ?? Array.from({ length: r }, (_, i) => r - 1 - i);
  if (!Array.isArray(p) || p.length !== r || [...p].sort((a, b) => a - b).some((v, i) => v !== i))
    throw new Error(`transpose: perm must be a permutation of [0..${r - 1}] for a tensor of rank ${r}, got ${describe(perm)}`);
  return withShape(wrap(core[C.transpose](t.id, writeArgs(p)), t.dtype), p.map(a => dims(t)[a]));
}, __TESTS__ && { kind: 'other', dtypes: 'any', grad: true, examples: [{ inputs: [[2, 3]] }, { inputs: [[2, 3, 4]], args: [[1, 2, 0]] }, { inputs: [[2, 1, 3, 2]], args: [[3, 1, 0, 2]] }] });
/** Broadcasts x to `shape` (NumPy rules); the gradient sums back over the broadcast axes. */
export const broadcastTo = method('broadcastTo', function broadcastTo(x: TensorLike, shape: readonly number[]): Tensor {
  const t = toTensor('broadcastTo', x);
  checkShape('broadcastTo', shape);
  const s = dims(t);
  if (s.length > shape.length || s.some((d, i) => d !== 1 && d !== shape[i + shape.length - s.length]))
    throw new Error(`broadcastTo: cannot broadcast shape ${fmt(s)} to ${fmt(shape)}`);
  return withShape(wrap(core[C.broadcastToShape](t.id, writeArgs(shape), shape.length), t.dtype), shape.slice());
}, __TESTS__ && { kind: 'other', dtypes: 'any', grad: true, examples: [{ inputs: [[3]], args: [[2, 3]] }, { inputs: [[2, 1]], args: [[2, 4]] }, { inputs: [[]], args: [[2, 2]] }] });


// ---- slicing and joining ----
/** The block starting at `begin` with `size` elements per axis (-1: to the end); a number applies to the first axis. */
export const slice = method('slice', function slice(x: TensorLike, begin: number | readonly number[], size?: number | readonly number[]): Tensor {
  const t = toTensor('slice', x);
  const s = dims(t), r = s.length;
  const list = (v: unknown): unknown[] => (typeof v === 'number' ? [v] : Array.isArray(v) ? v : [NaN]);
  const b = list(begin), z = size === undefined ? [] : list(size);
  const starts = s.map((_, i) => b[i] ?? 0) as number[], sizes = s.map((d, i) => ((z[i] ?? -1) === -1 ? d - starts[i] : z[i]) as number);
  if (b.length > r || z.length > r || !counts(starts) || !counts(sizes) || starts.some((a, i) => a + sizes[i] > s[i]))
    throw new Error(`slice: begin ${describe(begin)} and size ${describe(size)} do not fit shape ${fmt(s)}: expected up to ${r} integers each, 0 <= begin <= begin + size <= dimension (size -1: to the end)`);
  return sliceRaw(t, starts, sizes);
}, __TESTS__ && {
  kind: 'other', dtypes: 'any', grad: true,
  examples: [{ inputs: [[5, 4]], args: [[1, 1], [3, 2]] }, { inputs: [[2, 3, 4]], args: [[0, 1, 2], [-1, 2, -1]] }, { inputs: [[6]], args: [2] },
    { inputs: [[4, 3]], args: [1, 2] }, { inputs: [[3, 4]], args: [[0, 0], [0, 4]] }],
});

/** Pads each axis with `paddings[i] = [before, after]` elements of `value` (default 0). */
export const pad = method('pad', function pad(x: TensorLike, paddings: readonly (readonly number[])[], value: number | boolean = 0): Tensor {
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
  const out = wrap(core[C.pad](t.id, writeArgs(flat), Number(value)), t.dtype);
  out._shape = shape;
  return out;
}, __TESTS__ && {
  kind: 'other', dtypes: 'any', grad: true,
  examples: [{ inputs: [[2, 3]], args: [[[1, 0], [2, 1]]] }, { inputs: [[3]], args: [[[2, 3]], 1.5] }, { inputs: [[2, 1, 2]], args: [[[0, 1], [1, 1], [0, 0]], -1] }, { inputs: [[]], args: [[]] }],
});

/**
 * concat's and stack's checks and call: a non-empty array of tensors of one dtype, whose shapes
 * match (concat: except along `axis`, which it joins; stack: everywhere, a new `axis`).
 */
function join(op: 'concat' | 'stack', xs: readonly TensorLike[], axis: number): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw new Error(`${op}: expected a non-empty array of tensors, got ${describe(xs)}`);
  const ts = xs.map(x => toTensor(op, x)), stacked = op === 'stack';
  const first = dims(ts[0]), r = first.length;
  if (r === 0 && !stacked) throw new Error('concat: cannot concatenate scalars (rank 0 tensors); use stack');
  const ax = normAxis(op, axis, r, stacked ? 1 : 0);
  ts.forEach((t, j) => {
    const s = dims(t);
    if (t.dtype !== ts[0].dtype || s.length !== r || s.some((d, i) => d !== first[i] && (stacked || i !== ax)))
      throw new Error(`${op}: tensor ${j} (${describe(t)}) does not match tensor 0 (${describe(ts[0])}): expected the same dtype and shape${stacked ? '' : ` except along axis ${axis}`}`);
  });
  const shape = first.slice();
  if (stacked) shape.splice(ax, 0, ts.length);
  else shape[ax] = ts.reduce((n, t) => n + dims(t)[ax], 0);
  checkShape(op, shape);
  return concatRaw(ts, ax, shape, stacked);
}

/** Joins tensors of the same rank along an existing `axis` (default 0). */
export const concat = /* @__PURE__ */ def('concat', function concat(xs: readonly TensorLike[], axis = 0): Tensor {
  return join('concat', xs, axis);
}, __TESTS__ && {
  kind: 'other', dtypes: 'any', grad: true,
  examples: [{ inputs: [[2, 3], [4, 3]], args: [0], call: (f, xs, args) => f(xs, ...args) }, { inputs: [[2, 3], [2, 1], [2, 2]], args: [-1], call: (f, xs, args) => f(xs, ...args) },
    { inputs: [[2, 1, 3], [2, 2, 3]], args: [1], call: (f, xs, args) => f(xs, ...args) }, { inputs: [[3]], args: [0], call: (f, xs, args) => f(xs, ...args) }],
});

/** Joins tensors of the same shape along a new `axis` (default 0): one op, whose gradient is one `unstack`. */
export const stack = /* @__PURE__ */ def('stack', function stack(xs: readonly TensorLike[], axis = 0): Tensor {
  return join('stack', xs, axis);
}, __TESTS__ && {
  kind: 'other', dtypes: 'any', grad: true,
  examples: [{ inputs: [[2, 3], [2, 3]], args: [0], call: (f, xs, args) => f(xs, ...args) }, { inputs: [[3], [3], [3]], args: [-1], call: (f, xs, args) => f(xs, ...args) },
    { inputs: [[2, 2], [2, 2]], args: [1], call: (f, xs, args) => f(xs, ...args) }, { inputs: [[], []], call: (f, xs, args) => f(xs, ...args) }],
});

/** Splits x along `axis` (default 0) into its slices, each without that axis: one op, whose gradient is one `stack` (zeros for unused slices). */
export const unstack = method('unstack', function unstack(x: TensorLike, axis = 0): Tensor[] {
  const t = toTensor('unstack', x);
  const ax = axisOf('unstack', t, axis);
  return splitRaw(t, ax, new Array<number>(dims(t)[ax]).fill(1), true);
}, __TESTS__ && {
  kind: 'other', dtypes: 'any', grad: true,
  examples: [{ inputs: [[3, 4]], call: (f, xs, args) => f(...xs, ...args)[1] }, { inputs: [[2, 3, 2]], args: [1], call: (f, xs, args) => f(...xs, ...args)[2] },
    { inputs: [[2, 5]], args: [-1], call: (f, xs, args) => f(...xs, ...args)[4] }],
});

/**
 * Splits x along `axis` (default 0) into `count` equal parts, or parts of the given sizes (one may be
 * -1): one op, whose gradient is one `concat` of the parts' gradients (zeros for unused parts).
 */
export const split = method('split', function split(x: TensorLike, sizesOrCount: number | readonly number[], axis = 0): Tensor[] {
  const t = toTensor('split', x);
  const ax = axisOf('split', t, axis), n = dims(t)[ax], c = sizesOrCount;
  const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
  // a count: that many equal parts (not integers if it does not divide n); sizes: one -1 is the rest
  const sizes = isInt(c) && c > 0 ? new Array<number>(c).fill(n / c) : Array.isArray(c) ? c.slice() : [NaN], infer = sizes.indexOf(-1);
  if (infer >= 0) { sizes[infer] = 0; sizes[infer] = n - sum(sizes); }
  if (!counts(sizes) || sum(sizes) !== n)
    throw new Error(`split: cannot split dimension ${n} (axis ${axis} of shape ${fmt(dims(t))}) into ${describe(c)}: expected a count dividing it or sizes adding up to it (one may be -1)`);
  return splitRaw(t, ax, sizes, false);
}, __TESTS__ && {
  kind: 'other', dtypes: 'any', grad: true,
  examples: [{ inputs: [[6, 2]], args: [3], call: (f, xs, args) => f(...xs, ...args)[1] }, { inputs: [[2, 7]], args: [[2, -1, 1], 1], call: (f, xs, args) => f(...xs, ...args)[1] },
    { inputs: [[3, 5]], args: [[1, 4], -1], call: (f, xs, args) => f(...xs, ...args)[1] }],
});

// ---- gathering ----
/** Takes the slices of x at `indices` (int32) along `axis` (default 0); the gradient scatters back (adding repeats). */
export const gather = method('gather', function gather(x: TensorLike, indices: TensorLike, axis = 0): Tensor {
  const t = toTensor('gather', x);
  const s = dims(t), ax = axisOf('gather', t, axis), n = s[ax];
  const idx = intTensor('gather', 'indices', indices);
  const shape = [...s.slice(0, ax), ...dims(idx), ...s.slice(ax + 1)];
  checkShape('gather', shape); // (on an error, the op scope frees indices converted here)
  const values = view(idx) as Int32Array;
  for (let i = 0; i < values.length; i++) {
    const k = values[i];
    if (k < 0 || k >= n) throw new Error(`gather: index ${k} (at position ${i} of indices) is out of range [0, ${n}) for axis ${axis} of shape ${fmt(s)}`);
  }
  const out = wrap(core[C.gather](t.id, idx.id, ax), t.dtype);
  out._shape = shape;
  return out;
}, __TESTS__ && {
  kind: 'other', dtypes: 'any', grad: true,
  examples: [{ inputs: [[5, 3], { shape: [4], int: [0, 5] }] }, { inputs: [[3, 4], { shape: [2, 3], int: [0, 4] }], args: [1] },
    { inputs: [[2, 3, 2], { shape: [5], int: [0, 3] }], args: [-2] }, { inputs: [[4], { shape: [], int: [0, 4] }] }],
});

/** Repeats x `reps[i]` times along each axis i. */
export const tile = method('tile', function tile(x: TensorLike, reps: readonly number[]): Tensor {
  const t = toTensor('tile', x);
  const s = dims(t);
  if (!Array.isArray(reps) || reps.length !== s.length || !reps.every(v => isInt(v) && v >= 0))
    throw new Error(`tile: reps must be ${s.length} non-negative integers (one per axis of shape ${fmt(s)}), got ${describe(reps)}`);
  checkShape('tile', s.map((d, i) => d * reps[i]));
  // one axis at a time, recorded ops only: [outer, 1, rest] broadcast to [outer, rep, rest]
  let out = reshape(t, s); // (a new tensor even if nothing is tiled)
  reps.forEach((rep, i) => {
    if (rep === 1) return;
    const shape = dims(out).slice(), outer = product(shape.slice(0, i)), rest = product(shape.slice(i));
    const flat = reshape(out, [outer, 1, rest]), wide = broadcastTo(flat, [outer, rep, rest]);
    shape[i] *= rep;
    const next = reshape(wide, shape);
    for (const x of [out, flat, wide]) x.dispose();
    out = next;
  });
  return out;
}, __TESTS__ && {
  kind: 'other', dtypes: 'any', grad: true,
  examples: [{ inputs: [[2, 3]], args: [[2, 1]] }, { inputs: [[3]], args: [[3]] }, { inputs: [[2, 1, 2]], args: [[1, 3, 2]] }, { inputs: [[2, 2]], args: [[1, 1]] }],
});

/** A float32 tensor with a new last axis of `depth`: `onValue` (1) at each index, `offValue` (0) elsewhere; out-of-range indices give a row of offValue. */
export const oneHot = method('oneHot', function oneHot(indices: TensorLike, depth: number, onValue = 1, offValue = 0): Tensor {
  integer('oneHot', 'depth', depth);
  if (typeof onValue !== 'number' || typeof offValue !== 'number') throw new Error(`oneHot: onValue and offValue must be numbers, got ${describe(onValue)} and ${describe(offValue)}`);
  const idx = intTensor('oneHot', 'indices', indices);
  checkShape('oneHot', [...dims(idx), depth]);
  // the indices compared with 0..depth-1 (comparisons are not recorded); the op scope frees the temporaries
  const iota = tensor(Int32Array.from({ length: depth }, (_, i) => i), [depth], 'int32');
  return where(equal(reshape(idx, [...dims(idx), 1]), iota), onValue, offValue);
}, __TESTS__ && { kind: 'other', dtypes: 'numeric', grad: false, examples: [{ inputs: [{ shape: [4], int: [0, 5] }], args: [5] }, { inputs: [{ shape: [2, 3], int: [-1, 4] }], args: [3] }] });

// ---- creation ----
/** The n × numColumns identity matrix (float32). */
export const eye = /* @__PURE__ */ def('eye', function eye(n: number, numColumns: number = n): Tensor {
  integer('eye', 'n', n); integer('eye', 'numColumns', numColumns);
  const out = empty([n, numColumns], 'float32', 'eye');
  const v = view(out);
  v.fill(0);
  for (let i = 0; i < Math.min(n, numColumns); i++) v[i * numColumns + i] = 1;
  return out;
}, __TESTS__ && { kind: 'other', dtypes: 'float', grad: false, examples: [{ inputs: [], args: [3] }, { inputs: [], args: [2, 4] }, { inputs: [], args: [0] }] });

/** Values from `start` up to (not including) `stop`, by `step` (one argument: from 0 to it). */
export const range = /* @__PURE__ */ def('range', function range(start: number, stop?: number, step = 1, dtype: DType = 'float32'): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  finite('range', 'start', start); finite('range', 'stop', stop); finite('range', 'step', step);
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
  finite('linspace', 'start', start); finite('linspace', 'stop', stop); integer('linspace', 'num', num, 1);
  const out = empty([num], 'float32', 'linspace');
  const v = view(out), delta = num === 1 ? 0 : (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) v[i] = start + i * delta;
  return out;
}, __TESTS__ && { kind: 'other', dtypes: 'float', grad: false, examples: [{ inputs: [], args: [0, 1, 5] }, { inputs: [], args: [-2, 3, 1] }, { inputs: [], args: [3, -1, 9] }] });

