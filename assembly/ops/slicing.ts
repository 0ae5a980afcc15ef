// Slicing and gathering ops: slice, pad, concat, gather/scatter, tile, oneHot, with backward rules.
// Per-axis attributes (slice begin, paddings, tile reps) travel in a small int32 tensor recorded as
// an extra input: int tensors are never watched, so they get no gradient and the tape keeps them.
import { Op, DType } from "../opcodes";
import { dataPtr, dim, dtypeOf, elementBytes, newTensor, rankOf, release, retain, sizeOf, MAX_RANK } from "../tensor";
import { record, accumulate, needsGrad } from "../tape";
import { reshape, reduce } from "./reduce";

const S = MAX_RANK * 4;
// copyBox operands: the box (boxDims) at srcAt in src (shape srcDims) goes to dstAt in dst (dstDims)
const srcDims = memory.data(S, 16);
const dstDims = memory.data(S, 16);
const boxDims = memory.data(S, 16);
const srcAt = memory.data(S, 16);
const dstAt = memory.data(S, 16);
const srcStride = memory.data(S, 16);
const dstStride = memory.data(S, 16);
const odometer = memory.data(S, 16);
const tileShape = memory.data(S, 16);
const vecShape = memory.data(16, 16);

@inline function get(buf: usize, i: i32): i32 { return load<i32>(buf + (<usize>i << 2)); }
@inline function set(buf: usize, i: i32, v: i32): void { store<i32>(buf + (<usize>i << 2), v); }
function shapeInto(id: i32, buf: usize): void { for (let i = 0; i < rankOf(id); i++) set(buf, i, dim(id, i)); }

/** A new int32 vector of n zeros (an attribute tensor). */
function intVector(n: i32): i32 {
  store<i32>(vecShape, n);
  const id = newTensor(DType.Int32, 1, vecShape);
  memory.fill(dataPtr(id), 0, <usize>n << 2);
  return id;
}
function intVectorFrom(src: usize, n: i32): i32 {
  const id = intVector(n);
  memory.copy(dataPtr(id), src, <usize>n << 2);
  return id;
}

/** Copies the box boxDims from src at srcAt into dst at dstAt (rank r, e bytes per element). */
function copyBox(src: usize, dst: usize, r: i32, e: usize): void {
  let n = 1;
  for (let i = 0; i < r; i++) n *= get(boxDims, i);
  if (n == 0) return;
  if (r == 0) { memory.copy(dst, src, e); return; }
  // innermost dims taken whole in both tensors merge into one contiguous run per row
  let k0 = r - 1;
  while (k0 > 0 && get(boxDims, k0) == get(srcDims, k0) && get(boxDims, k0) == get(dstDims, k0)) k0--;
  let run = 1;
  for (let k = k0; k < r; k++) run *= get(boxDims, k);
  let ss = 1, ds = 1;
  for (let k = r - 1; k >= 0; k--) {
    set(srcStride, k, ss); set(dstStride, k, ds);
    ss *= get(srcDims, k); ds *= get(dstDims, k);
  }
  let so = 0, doff = 0;
  for (let k = 0; k <= k0; k++) { so += get(srcAt, k) * get(srcStride, k); doff += get(dstAt, k) * get(dstStride, k); }
  const rows = n / run, bytes = <usize>run * e;
  memory.fill(odometer, 0, S);
  for (let row = 0; row < rows; row++) {
    memory.copy(dst + <usize>doff * e, src + <usize>so * e, bytes);
    for (let k = k0 - 1; k >= 0; k--) {
      const idx = get(odometer, k) + 1;
      if (idx < get(boxDims, k)) { set(odometer, k, idx); so += get(srcStride, k); doff += get(dstStride, k); break; }
      set(odometer, k, 0);
      so -= (idx - 1) * get(srcStride, k); doff -= (idx - 1) * get(dstStride, k);
    }
  }
}

// ---- slice ----
/** x[begin : begin + shape]; `begin` is an int32 vector tensor, `shape` rank(x) ints. */
function sliceK(x: i32, begin: i32, shape: usize): i32 {
  const r = rankOf(x);
  for (let i = 0; i < r; i++) set(boxDims, i, get(shape, i)); // before newTensor: shape may sit in the table
  const out = newTensor(dtypeOf(x), r, boxDims);
  shapeInto(x, srcDims); shapeInto(out, dstDims);
  memory.copy(srcAt, dataPtr(begin), <usize>r << 2);
  memory.fill(dstAt, 0, S);
  copyBox(dataPtr(x), dataPtr(out), r, <usize>elementBytes(dtypeOf(x)));
  record(Op.Slice, out, x, begin);
  return out;
}
/** slice(x): args holds begin[rank] then size[rank] (sizes resolved, validated in TS). */
export function slice(x: i32, args: usize): i32 {
  const r = rankOf(x);
  const begin = intVectorFrom(args, r);
  const out = sliceK(x, begin, args + (<usize>r << 2));
  release(begin);
  return out;
}

// ---- pad ----
function fillValue(t: i32, value: f64): void {
  const p = dataPtr(t), n = sizeOf(t), dt = dtypeOf(t);
  if (dt == DType.Bool) { memory.fill(p, value != 0 ? 1 : 0, <usize>n); return; }
  if (dt == DType.Int32) { const v = <i32>value; for (let i = 0; i < n; i++) store<i32>(p + (<usize>i << 2), v); return; }
  const v = <f32>value;
  if (v == 0) { memory.fill(p, 0, <usize>n << 2); return; }
  let i = 0;
  const vv = f32x4.splat(v);
  for (; i + 4 <= n; i += 4) v128.store(p + (<usize>i << 2), vv);
  for (; i < n; i++) store<f32>(p + (<usize>i << 2), v);
}
/** x padded with `value`; `pads` is an int32 vector [before0, after0, before1, after1, ...]. */
function padK(x: i32, pads: i32, value: f64): i32 {
  const r = rankOf(x), p = dataPtr(pads);
  for (let i = 0; i < r; i++) set(dstDims, i, dim(x, i) + get(p, 2 * i) + get(p, 2 * i + 1));
  const out = newTensor(dtypeOf(x), r, dstDims);
  fillValue(out, value);
  const q = dataPtr(pads);
  shapeInto(x, srcDims); shapeInto(x, boxDims);
  memory.fill(srcAt, 0, S);
  for (let i = 0; i < r; i++) set(dstAt, i, get(q, 2 * i));
  copyBox(dataPtr(x), dataPtr(out), r, <usize>elementBytes(dtypeOf(x)));
  record(Op.Pad, out, x, pads, 0, reinterpret<i32>(<f32>value));
  return out;
}
/** pad(x, value): args holds [before, after] per axis. */
export function pad(x: i32, args: usize, value: f64): i32 {
  const pads = intVectorFrom(args, 2 * rankOf(x));
  const out = padK(x, pads, value);
  release(pads);
  return out;
}

// ---- concat ----
/** concat of the n tensor ids at `ids` along `axis` (same dtype, rank >= 1, equal off-axis dims). */
export function concat(ids: usize, n: i32, axis: i32): i32 {
  const first = load<i32>(ids);
  const r = rankOf(first);
  let total = 0;
  for (let j = 0; j < n; j++) total += dim(load<i32>(ids + (<usize>j << 2)), axis);
  for (let i = 0; i < r; i++) set(dstDims, i, i == axis ? total : dim(first, i));
  const out = newTensor(dtypeOf(first), r, dstDims);
  const e = <usize>elementBytes(dtypeOf(first));
  let offset = 0;
  for (let j = 0; j < n; j++) {
    const x = load<i32>(ids + (<usize>j << 2));
    shapeInto(x, srcDims); shapeInto(x, boxDims);
    memory.fill(srcAt, 0, S); memory.fill(dstAt, 0, S);
    set(dstAt, axis, offset);
    copyBox(dataPtr(x), dataPtr(out), r, e);
    record(Op.ConcatPart, out, x, 0, 0, axis, offset);
    offset += dim(x, axis);
  }
  return out;
}

// ---- gather / scatter ----
/** x.shape[:axis] ++ indices.shape ++ x.shape[axis+1:]; indices validated in TS. */
export function gather(x: i32, indices: i32, axis: i32): i32 {
  const r = rankOf(x), ri = rankOf(indices);
  let k = 0, outer = 1, inner = 1;
  for (let i = 0; i < axis; i++) { set(dstDims, k++, dim(x, i)); outer *= dim(x, i); }
  for (let i = 0; i < ri; i++) set(dstDims, k++, dim(indices, i));
  for (let i = axis + 1; i < r; i++) { set(dstDims, k++, dim(x, i)); inner *= dim(x, i); }
  const out = newTensor(dtypeOf(x), k, dstDims);
  const d = dim(x, axis), m = sizeOf(indices), e = <usize>elementBytes(dtypeOf(x));
  const px = dataPtr(x), pi = dataPtr(indices), po = dataPtr(out), row = <usize>inner * e;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const at = load<i32>(pi + (<usize>j << 2));
      memory.copy(po + <usize>(o * m + j) * row, px + <usize>(o * d + at) * row, row);
    }
  }
  record(Op.Gather, out, x, indices, 0, axis);
  return out;
}

/** The adjoint of gather: g (gather-shaped) scatter-added into zeros whose `axis` has size d. */
function scatterAdd(g: i32, indices: i32, axis: i32, d: i32): i32 {
  const rg = rankOf(g), ri = rankOf(indices);
  let k = 0, outer = 1, inner = 1;
  for (let i = 0; i < axis; i++) { set(dstDims, k++, dim(g, i)); outer *= dim(g, i); }
  set(dstDims, k++, d);
  for (let i = axis + ri; i < rg; i++) { set(dstDims, k++, dim(g, i)); inner *= dim(g, i); }
  const out = newTensor(DType.Float32, k, dstDims);
  memory.fill(dataPtr(out), 0, <usize>sizeOf(out) << 2);
  const m = sizeOf(indices), pg = dataPtr(g), pi = dataPtr(indices), po = dataPtr(out);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const dst = po + (<usize>((o * d + load<i32>(pi + (<usize>j << 2))) * inner) << 2);
      const src = pg + (<usize>((o * m + j) * inner) << 2);
      let i = 0;
      for (; i + 4 <= inner; i += 4) { const q = <usize>i << 2; v128.store(dst + q, f32x4.add(v128.load(dst + q), v128.load(src + q))); }
      for (; i < inner; i++) { const q = <usize>i << 2; store<f32>(dst + q, load<f32>(dst + q) + load<f32>(src + q)); }
    }
  }
  record(Op.Scatter, out, g, indices, 0, axis, d);
  return out;
}

// ---- tile ----
function tileK(x: i32, reps: i32): i32 {
  const r = rankOf(x), rp = dataPtr(reps);
  for (let i = 0; i < r; i++) set(dstDims, i, dim(x, i) * get(rp, i));
  const out = newTensor(dtypeOf(x), r, dstDims);
  const n = sizeOf(out), e = <usize>elementBytes(dtypeOf(x)), px = dataPtr(x), po = dataPtr(out);
  if (n > 0) {
    if (r == 0) memory.copy(po, px, e);
    else {
      // every output row (last axis) is the matching x row repeated reps[last] times
      shapeInto(x, srcDims);
      let s = 1;
      for (let k = r - 1; k >= 0; k--) { set(srcStride, k, s); s *= get(srcDims, k); }
      const last = get(srcDims, r - 1), rowReps = get(rp, r - 1), rowBytes = <usize>last * e;
      const rows = n / (last * rowReps);
      memory.fill(odometer, 0, S);
      let dst = po;
      for (let row = 0; row < rows; row++) {
        let so = 0;
        for (let k = 0; k < r - 1; k++) so += (get(odometer, k) % get(srcDims, k)) * get(srcStride, k);
        const src = px + <usize>so * e;
        for (let t = 0; t < rowReps; t++) { memory.copy(dst, src, rowBytes); dst += rowBytes; }
        for (let k = r - 2; k >= 0; k--) {
          const idx = get(odometer, k) + 1;
          if (idx < get(dstDims, k)) { set(odometer, k, idx); break; }
          set(odometer, k, 0);
        }
      }
    }
  }
  record(Op.Tile, out, x, reps);
  return out;
}
/** tile(x): args holds reps[rank]. */
export function tile(x: i32, args: usize): i32 {
  const reps = intVectorFrom(args, rankOf(x));
  const out = tileK(x, reps);
  release(reps);
  return out;
}

/** Sums dy over the tiled copies, one axis at a time: [outer, rep, d, inner] summed over rep. */
function tileBackward(x: i32, reps: i32, dy: i32): void {
  const r = rankOf(x);
  shapeInto(dy, tileShape); // the current logical shape
  let cur = dy;
  retain(cur);
  for (let i = 0; i < r; i++) {
    const rep = get(dataPtr(reps), i), d = dim(x, i);
    if (rep == 1) continue;
    let outer = 1, inner = 1;
    for (let k = 0; k < i; k++) outer *= get(tileShape, k);
    for (let k = i + 1; k < r; k++) inner *= get(tileShape, k);
    set(boxDims, 0, outer); set(boxDims, 1, rep); set(boxDims, 2, d); set(boxDims, 3, inner);
    const split = reshape(cur, boxDims, 4);
    release(cur);
    cur = reduce(Op.Sum, split, 2, false);
    release(split);
    set(tileShape, i, d);
  }
  shapeInto(x, boxDims);
  const g = reshape(cur, boxDims, r);
  release(cur);
  accumulate(x, g);
}

// ---- oneHot (integer input: never recorded) ----
export function oneHot(indices: i32, depth: i32, on: f32, off: f32): i32 {
  const ri = rankOf(indices);
  shapeInto(indices, dstDims);
  set(dstDims, ri, depth);
  const out = newTensor(DType.Float32, ri + 1, dstDims);
  fillValue(out, off);
  const n = sizeOf(indices), pi = dataPtr(indices), po = dataPtr(out);
  for (let i = 0; i < n; i++) {
    const k = load<i32>(pi + (<usize>i << 2));
    if (k >= 0 && k < depth) store<f32>(po + ((<usize>i * depth + k) << 2), on); // else all off, as TF
  }
  return out;
}

/** Backward rules of the ops in this file (dispatched from backward.ts). */
export function slicingBackward(op: i32, out: i32, in0: i32, in1: i32, in2: i32, a0: i32, a1: i32, a2: i32, dy: i32): void {
  if (!needsGrad(in0)) return;
  const r = rankOf(in0);
  switch (op) {
    case Op.Slice: { // pad dy with zeros back to x's shape
      const pads = intVector(2 * r);
      const p = dataPtr(pads), b = dataPtr(in1);
      for (let i = 0; i < r; i++) {
        set(p, 2 * i, get(b, i));
        set(p, 2 * i + 1, dim(in0, i) - get(b, i) - dim(out, i));
      }
      accumulate(in0, padK(dy, pads, 0));
      release(pads);
      break;
    }
    case Op.Pad: { // slice the interior back out
      const begin = intVector(r);
      const b = dataPtr(begin), p = dataPtr(in1);
      for (let i = 0; i < r; i++) set(b, i, get(p, 2 * i));
      shapeInto(in0, tileShape);
      accumulate(in0, sliceK(dy, begin, tileShape));
      release(begin);
      break;
    }
    case Op.ConcatPart: { // this part's block of dy: a0 = axis, a1 = offset
      const begin = intVector(r);
      set(dataPtr(begin), a0, a1);
      shapeInto(in0, tileShape);
      accumulate(in0, sliceK(dy, begin, tileShape));
      release(begin);
      break;
    }
    case Op.Gather: accumulate(in0, scatterAdd(dy, in1, a0, dim(in0, a0))); break;
    case Op.Scatter: accumulate(in0, gather(dy, in1, a0)); break;
    case Op.Tile: tileBackward(in0, in1, dy); break;
  }
}
