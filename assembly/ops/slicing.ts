// Slicing and gathering ops: slice, pad, concat and split, gather (and its adjoint, scatter), with
// their backward rules. Per-axis arguments (begin, paddings) are the records' attribute words.
// Kernels: assembly/kernels/copy.ts. (tile and oneHot are compositions: src/ops-shape.ts.)
import { Op, DType } from "../../build/generated/opcodes";
import { dataPtr, dim, dtypeOf, elementBytes, newTensor, rankOf, release, sizeOf, shapePtr } from "../tensor";
import { commitRecord, newRecord, isRecording, recordAttr, recordAttr2, recordWords } from "../tape";
import { Record, Grads } from "../record";
import { scratchMark, scratchRelease, scratchTake } from "../scratch";
import { MAX_RANK } from "../limits";
import { planCopy, gatherKernel, scatterAddKernel } from "../kernels/copy";
import { Plan, PLAN_BYTES } from "../kernels/broadcast";
import { outerSize, innerSize, copyShape } from "./layout";
import { zerosLike } from "./elementwise";

@inline function get(buf: usize, i: i32): i32 { return load<i32>(buf + (<usize>i << 2)); }
@inline function set(buf: usize, i: i32, v: i32): void { store<i32>(buf + (<usize>i << 2), v); }
/** Fills tensor `id` with `value` (as its dtype): one element broadcast through planCopy. Takes scratch. */
function fill(id: i32, value: f64): void {
  const dtype = dtypeOf(id), cell = scratchTake(4);
  if (dtype == DType.Float32) store<f32>(cell, value == 0 ? 0 : <f32>value); // (−0 fills +0, as it always did)
  else if (dtype == DType.Int32) store<i32>(cell, <i32>value);
  else store<u8>(cell, value != 0 ? 1 : 0);
  planCopy(Plan.make(scratchTake(PLAN_BYTES), cell, 0, shapePtr(id), rankOf(id), shapePtr(id), rankOf(id)), cell, dataPtr(id), <usize>elementBytes(dtype));
}

/** The element offset of index `at` (r ints) in a tensor of shape `shape`. */
function offsetOf(at: usize, shape: usize, r: i32): i32 {
  let offset = 0;
  for (let i = 0; i < r; i++) offset = offset * get(shape, i) + get(at, i);
  return offset;
}

// ---- slice ----
/** x[begin : begin + size], `begin` and `size` rank(x) ints each; recorded. */
function sliceAt(x: i32, begin: usize, size: usize): i32 {
  const r = rankOf(x);
  const mark = scratchMark(), b = scratchTake(MAX_RANK * 4), shape = scratchTake(MAX_RANK * 4);
  memory.copy(b, begin, <usize>r << 2); memory.copy(shape, size, <usize>r << 2); // (either may sit in the tensor table)
  const out = newTensor(dtypeOf(x), r, shape);
  const e = <usize>elementBytes(dtypeOf(x));
  planCopy(Plan.make(scratchTake(PLAN_BYTES), shapePtr(x), r, shape, r, shape, r), dataPtr(x) + <usize>offsetOf(b, shapePtr(x), r) * e, dataPtr(out), e);
  recordWords(Op.Slice, out, x, b, r);
  scratchRelease(mark);
  return out;
}
/** slice(x): args holds begin[rank] then size[rank] (sizes resolved, validated in TS). */
export function slice(x: i32, args: usize): i32 { return sliceAt(x, args, args + (<usize>rankOf(x) << 2)); }

export function sliceBackward(rec: Record, grads: Grads): void { // dy padded with zeros back to x's shape
  const x = rec.input(0), out = rec.output(), r = rankOf(x);
  const mark = scratchMark(), pads = scratchTake(2 * MAX_RANK * 4);
  for (let i = 0; i < r; i++) {
    set(pads, 2 * i, rec.attr(i));
    set(pads, 2 * i + 1, dim(x, i) - rec.attr(i) - dim(out, i));
  }
  grads.set(0, padWith(grads.dy(), pads, 0));
  scratchRelease(mark);
}

// ---- pad ----
/** x padded with `value`; `pads` holds [before0, after0, before1, after1, ...]; recorded. */
function padWith(x: i32, pads: usize, value: f64): i32 {
  const r = rankOf(x);
  // the record's attribute words: the value, then the paddings
  const mark = scratchMark(), attrs = scratchTake(4 + 2 * MAX_RANK * 4), p = attrs + 4, shape = scratchTake(MAX_RANK * 4);
  const before = scratchTake(MAX_RANK * 4);
  store<f32>(attrs, <f32>value);
  memory.copy(p, pads, <usize>r << 3);
  for (let i = 0; i < r; i++) { set(before, i, get(p, 2 * i)); set(shape, i, dim(x, i) + get(p, 2 * i) + get(p, 2 * i + 1)); }
  const out = newTensor(dtypeOf(x), r, shape);
  fill(out, value);
  const e = <usize>elementBytes(dtypeOf(x));
  planCopy(Plan.make(scratchTake(PLAN_BYTES), shapePtr(x), r, shape, r, shapePtr(x), r), dataPtr(x), dataPtr(out) + <usize>offsetOf(before, shape, r) * e, e);
  recordWords(Op.Pad, out, x, attrs, 1 + 2 * r);
  scratchRelease(mark);
  return out;
}
/** pad(x, value): args holds [before, after] per axis. */
export function pad(x: i32, args: usize, value: f64): i32 { return padWith(x, args, value); }

export function padBackward(rec: Record, grads: Grads): void { // the interior sliced back out
  const x = rec.input(0), r = rankOf(x);
  const mark = scratchMark(), begin = scratchTake(MAX_RANK * 4);
  for (let i = 0; i < r; i++) set(begin, i, rec.attr(1 + 2 * i));
  grads.set(0, sliceAt(grads.dy(), begin, shapePtr(x)));
  scratchRelease(mark);
}

// ---- concat and split ----
// Each is the other's gradient, one record either way. `stacked` parts lack the axis (stack and
// unstack): in memory a part of shape [a, c] is the part [a, 1, c], so the copies are the same.

/**
 * Joins the n parts whose ids are at `parts` into a new tensor (whole = 0: concat, or stack), or
 * splits `whole` into n new parts of the extents at `parts`, writing their ids over the extents
 * (split, or unstack). Returns the whole; one record (Concat or Split). Attribute words: the axis
 * and `stacked`.
 */
function joinOrSplit(whole: i32, parts: usize, n: i32, axis: i32, stacked: i32): i32 {
  const join = whole == 0;
  const mark = scratchMark(), box = scratchTake(MAX_RANK * 4), partShape = scratchTake(MAX_RANK * 4), plan = scratchTake(PLAN_BYTES);
  if (join) { // the whole's shape: the first part's, with the axis inserted if stacked
    const first = get(parts, 0), r = rankOf(first) + stacked;
    let total = 0;
    for (let j = 0; j < n; j++) total += stacked != 0 ? 1 : dim(get(parts, j), axis);
    for (let i = 0; i < r; i++) set(box, i, i == axis ? total : dim(first, i > axis ? i - stacked : i));
    whole = newTensor(dtypeOf(first), r, box);
  }
  const r = copyShape(whole, box), dtype = dtypeOf(whole), e = <usize>elementBytes(dtype);
  const step = <usize>innerSize(whole, axis) * e; // bytes per index along the axis
  let at = dataPtr(whole);
  for (let j = 0; j < n; j++) {
    const m = stacked != 0 ? 1 : join ? dim(get(parts, j), axis) : get(parts, j);
    set(box, axis, m);
    if (!join) { // the part's shape: the box, without the axis if stacked
      for (let i = 0; i < r - stacked; i++) set(partShape, i, get(box, i < axis ? i : i + stacked));
      set(parts, j, newTensor(dtype, r - stacked, partShape));
    }
    const part = dataPtr(get(parts, j));
    planCopy(Plan.make(plan, join ? box : shapePtr(whole), r, join ? shapePtr(whole) : box, r, box, r), join ? part : at, join ? at : part, e);
    at += <usize>m * step;
  }
  let recording = isRecording(whole);
  for (let j = 0; j < n; j++) recording = recording || isRecording(get(parts, j));
  if (recording) { // ids: outputs, then inputs
    const rec = newRecord(join ? Op.Concat : Op.Split, join ? 1 : n, join ? n : 1, 2).setAttr(0, axis).setAttr(1, stacked);
    store<i32>(rec.ids + (join ? 0 : <usize>n << 2), whole);
    memory.copy(rec.ids + (join ? 4 : 0), parts, <usize>n << 2);
    commitRecord(rec);
  }
  scratchRelease(mark);
  return whole;
}

/** concat of the n tensor ids at `ids` along `axis` (same dtype, equal off-axis dims), or with `stacked` their stack. */
export function concat(ids: usize, n: i32, axis: i32, stacked: i32): i32 { return joinOrSplit(0, ids, n, axis, stacked); }
/** x split along `axis` into n parts of the extents at `sizes` (stacked: n parts without the axis); their ids replace the extents. */
export function split(x: i32, axis: i32, stacked: i32, sizes: usize, n: i32): void { joinOrSplit(x, sizes, n, axis, stacked); }

export function concatBackward(rec: Record, grads: Grads): void { // dy split back into the parts
  const n = rec.inputs, axis = rec.attr(0), stacked = rec.attr(1);
  const mark = scratchMark(), ids = scratchTake(<usize>n << 2);
  for (let j = 0; j < n; j++) set(ids, j, stacked != 0 ? 1 : dim(rec.input(j), axis));
  joinOrSplit(grads.dy(), ids, n, axis, stacked);
  for (let j = 0; j < n; j++) {
    if (grads.wants(j)) grads.set(j, get(ids, j));
    else release(get(ids, j));
  }
  scratchRelease(mark);
}

export function splitBackward(rec: Record, grads: Grads): void { // the parts' gradients joined, zeros where none
  const n = rec.outputs;
  const mark = scratchMark(), ids = scratchTake(<usize>n << 2);
  for (let j = 0; j < n; j++) set(ids, j, grads.dy(j) != 0 ? grads.dy(j) : zerosLike(rec.output(j)));
  grads.set(0, joinOrSplit(0, ids, n, rec.attr(0), rec.attr(1)));
  for (let j = 0; j < n; j++) if (grads.dy(j) == 0) release(get(ids, j));
  scratchRelease(mark);
}

// ---- gather / scatter ----
/** x.shape[:axis] ++ indices.shape ++ x.shape[axis+1:]; indices validated in TS. */
export function gather(x: i32, indices: i32, axis: i32): i32 {
  const r = rankOf(x), ri = rankOf(indices);
  const mark = scratchMark(), shape = scratchTake(MAX_RANK * 4);
  let k = 0;
  for (let i = 0; i < axis; i++) set(shape, k++, dim(x, i));
  for (let i = 0; i < ri; i++) set(shape, k++, dim(indices, i));
  for (let i = axis + 1; i < r; i++) set(shape, k++, dim(x, i));
  const out = newTensor(dtypeOf(x), k, shape);
  scratchRelease(mark);
  const row = <usize>innerSize(x, axis) * elementBytes(dtypeOf(x));
  gatherKernel(dataPtr(x), dataPtr(indices), dataPtr(out), outerSize(x, axis), sizeOf(indices), dim(x, axis), row);
  recordAttr(Op.Gather, out, x, indices, axis);
  return out;
}

/**
 * The adjoint of gather: g (gather-shaped, float32) scatter-added into zeros whose `axis` has size d;
 * recorded (its rule is gather). Also exported: scatterNd and unsortedSegmentSum are built on it
 * (indices validated in TS).
 */
export function scatterAdd(g: i32, indices: i32, axis: i32, d: i32): i32 {
  const rg = rankOf(g), ri = rankOf(indices);
  const mark = scratchMark(), shape = scratchTake(MAX_RANK * 4);
  let k = 0, inner = 1;
  for (let i = 0; i < axis; i++) set(shape, k++, dim(g, i));
  set(shape, k++, d);
  for (let i = axis + ri; i < rg; i++) { set(shape, k++, dim(g, i)); inner *= dim(g, i); }
  const out = newTensor(DType.Float32, k, shape);
  scratchRelease(mark);
  memory.fill(dataPtr(out), 0, <usize>sizeOf(out) << 2);
  scatterAddKernel(dataPtr(g), dataPtr(indices), dataPtr(out), outerSize(g, axis), sizeOf(indices), d, inner);
  recordAttr2(Op.Scatter, out, g, indices, axis, d);
  return out;
}

export function gatherBackward(rec: Record, grads: Grads): void {
  const x = rec.input(0), axis = rec.attr(0);
  grads.set(0, scatterAdd(grads.dy(), rec.input(1), axis, dim(x, axis)));
}
export function scatterBackward(rec: Record, grads: Grads): void { grads.set(0, gather(grads.dy(), rec.input(1), rec.attr(0))); }
