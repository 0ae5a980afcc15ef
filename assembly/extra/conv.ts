// conv2d and its two backprop products (NHWC, HWIO filters), the extra module's op entries and
// backward rules. Kernels: assembly/kernels/conv.ts. Every rule is written with these recorded
// kernels, so derivatives of any order exist:
//   Conv2D(x, f)               dx = BackpropInput(dy, f)    df = BackpropFilter(x, dy)
//   BackpropInput(dy, f) → dx  d(dy) = Conv2D(g, f)         df = BackpropFilter(g, dy)
//   BackpropFilter(x, dy) → df dx = BackpropInput(dy, g)    d(dy) = Conv2D(x, g)
// Attributes of every convolution and pooling record: sh, sw, same (strides, TF's SAME padding),
// kh, kw (the window or filter), h, w (the input's size): each op reads those it cannot read off
// its inputs (BackpropInput: x's h, w; BackpropFilter: the filter's kh, kw).
import { Op, DType } from "../../build/generated/opcodes";
import { Record, Grads } from "../record";
import { newTensor, dataPtr, dimOf, sizeOfId, scratchTake, scratchMark, scratchRelease, commitRecord, packPanels } from "../../build/generated/extra-imports";
import { Geometry, GEOMETRY_BYTES, BLOCK_BYTES, FILTER_ROWS, copyPadded, tapOffsets, rowBases, convForward, convFilter, convInput } from "../kernels/conv";
import { panelsBytes } from "../kernels/gemm";

/** A float32 tensor [d0, d1, d2, d3], zeroed if asked. */
export function new4d(d0: i32, d1: i32, d2: i32, d3: i32, zero: bool): i32 {
  const mark = scratchMark(), shape = scratchTake(16);
  store<i32>(shape, d0); store<i32>(shape, d1, 4); store<i32>(shape, d2, 8); store<i32>(shape, d3, 12);
  const id = newTensor(DType.Float32, 4, shape);
  scratchRelease(mark);
  if (zero) memory.fill(dataPtr(id), 0, <usize>sizeOfId(id) << 2);
  return id;
}

/** Records op: out from in0 and in1 (0: none), with the attributes every spatial record has. */
export function recordSpatial(op: i32, out: i32, in0: i32, in1: i32, sh: i32, sw: i32, same: i32, kh: i32, kw: i32, h: i32, w: i32): void {
  const mark = scratchMark();
  const inputs = in1 != 0 ? 2 : 1;
  const rec = Record.build(scratchTake(Record.bytesFor(1, inputs, 7)), op, 1, inputs, 7).setOutput(0, out).setInput(0, in0);
  if (in1 != 0) rec.setInput(1, in1);
  rec.setAttr(0, sh).setAttr(1, sw).setAttr(2, same).setAttr(3, kh).setAttr(4, kw).setAttr(5, h).setAttr(6, w);
  commitRecord(changetype<usize>(rec));
  scratchRelease(mark);
}

/**
 * The padded image of x (x itself when no window reads padding), and the tap and row tables, in
 * scratch: [image, offsets, bases].
 */
function prepare(g: Geometry, x: usize, zeroed: bool, at: usize): void {
  let img = x;
  if (!g.unpadded) {
    img = scratchTake(g.paddedBytes);
    if (zeroed) memory.fill(img, 0, g.paddedBytes);
    else copyPadded(g, x, img, true);
  }
  const offsets = scratchTake(<usize>g.taps << 2), bases = scratchTake(<usize>g.rows << 2);
  tapOffsets(g, offsets);
  rowBases(g, bases);
  store<usize>(at, img); store<usize>(at, offsets, 4); store<usize>(at, bases, 8);
}

// ---- conv2d and its two backprop kernels ----
/** conv2d(x [N,H,W,C], filter [KH,KW,C,CO]) → [N,OH,OW,CO]. */
export function conv2d(x: i32, f: i32, sh: i32, sw: i32, same: i32): i32 {
  const mark = scratchMark();
  const g = Geometry.at(scratchTake(GEOMETRY_BYTES)).init(dimOf(x, 0), dimOf(x, 1), dimOf(x, 2), dimOf(x, 3), dimOf(f, 0), dimOf(f, 1), dimOf(f, 3), sh, sw, same != 0);
  const out = new4d(g.n, g.oh, g.ow, g.co, false);
  const K = g.taps, CO = g.co;
  if (g.rows > 0 && CO > 0) {
    const t = scratchTake(12);
    prepare(g, dataPtr(x), false, t);
    const panels = scratchTake(panelsBytes(K, CO));
    packPanels(dataPtr(f), CO, 1, K, CO, panels);
    convForward(g, load<usize>(t), load<usize>(t, 8), load<usize>(t, 4), panels, scratchTake(<usize>K << 4), dataPtr(out), scratchTake(BLOCK_BYTES));
  }
  recordSpatial(Op.Conv2D, out, x, f, sh, sw, same, g.kh, g.kw, g.h, g.w);
  scratchRelease(mark);
  return out;
}

/** The gradient of conv2d w.r.t. its input: dx [N,H,W,C] from dy [N,OH,OW,CO] and the filter. */
function conv2dBackpropInput(dy: i32, f: i32, sh: i32, sw: i32, same: i32, h: i32, w: i32): i32 {
  const mark = scratchMark();
  const g = Geometry.at(scratchTake(GEOMETRY_BYTES)).init(dimOf(dy, 0), h, w, dimOf(f, 2), dimOf(f, 0), dimOf(f, 1), dimOf(f, 3), sh, sw, same != 0);
  const K = g.taps, CO = g.co;
  const work = g.rows > 0 && K > 0 && CO > 0;
  // zeroed unless a padded image is accumulated into and copied out
  const dx = new4d(g.n, g.h, g.w, g.c, !work || g.unpadded);
  if (work) {
    const t = scratchTake(12);
    prepare(g, dataPtr(dx), true, t); // a zeroed dx serves as its own padded image when no padding is read
    const panels = scratchTake(panelsBytes(CO, K));
    packPanels(dataPtr(f), 1, CO, CO, K, panels); // filterᵀ
    const img = load<usize>(t);
    convInput(g, img, load<usize>(t, 8), load<usize>(t, 4), dataPtr(dy), panels, scratchTake(<usize>CO << 4),
      scratchTake(<usize>((K + 7) >> 3) << 7), scratchTake(BLOCK_BYTES));
    if (!g.unpadded) copyPadded(g, dataPtr(dx), img, false);
  }
  recordSpatial(Op.Conv2DBackpropInput, dx, dy, f, sh, sw, same, g.kh, g.kw, h, w);
  scratchRelease(mark);
  return dx;
}

/** The gradient of conv2d w.r.t. its filter: df [KH,KW,C,CO] from x [N,H,W,C] and dy [N,OH,OW,CO]. */
function conv2dBackpropFilter(x: i32, dy: i32, sh: i32, sw: i32, same: i32, kh: i32, kw: i32): i32 {
  const mark = scratchMark();
  const g = Geometry.at(scratchTake(GEOMETRY_BYTES)).init(dimOf(x, 0), dimOf(x, 1), dimOf(x, 2), dimOf(x, 3), kh, kw, dimOf(dy, 3), sh, sw, same != 0);
  const df = new4d(g.kh, g.kw, g.c, g.co, true);
  const M = g.rows, K = g.taps, CO = g.co;
  if (M > 0 && K > 0 && CO > 0) {
    const t = scratchTake(12);
    prepare(g, dataPtr(x), false, t);
    // dy packed in 8-column panels, like the filters for the other two kernels, so dot4xN has one
    // layout for B (a pass over dy; reading it in place when CO is a multiple of 8 timed the same)
    const pdy = scratchTake(panelsBytes(M, CO));
    packPanels(dataPtr(dy), CO, 1, M, CO, pdy);
    convFilter(g, load<usize>(t), load<usize>(t, 8), load<usize>(t, 4), pdy, scratchTake(FILTER_ROWS << 4), dataPtr(df), scratchTake(BLOCK_BYTES));
  }
  recordSpatial(Op.Conv2DBackpropFilter, df, x, dy, sh, sw, same, kh, kw, g.h, g.w);
  scratchRelease(mark);
  return df;
}

export function conv2dBackward(rec: Record, grads: Grads): void { // inputs x, filter
  const x = rec.input(0), f = rec.input(1), dy = grads.dy(), sh = rec.attr(0), sw = rec.attr(1), same = rec.attr(2);
  if (grads.wants(0)) grads.set(0, conv2dBackpropInput(dy, f, sh, sw, same, dimOf(x, 1), dimOf(x, 2)));
  if (grads.wants(1)) grads.set(1, conv2dBackpropFilter(x, dy, sh, sw, same, dimOf(f, 0), dimOf(f, 1)));
}
export function conv2dBackpropInputBackward(rec: Record, grads: Grads): void { // inputs dy', filter; the output has x's shape
  const d = rec.input(0), f = rec.input(1), g = grads.dy(), sh = rec.attr(0), sw = rec.attr(1), same = rec.attr(2);
  if (grads.wants(0)) grads.set(0, conv2d(g, f, sh, sw, same));
  if (grads.wants(1)) grads.set(1, conv2dBackpropFilter(g, d, sh, sw, same, dimOf(f, 0), dimOf(f, 1)));
}
export function conv2dBackpropFilterBackward(rec: Record, grads: Grads): void { // inputs x, dy'; the output has the filter's shape
  const x = rec.input(0), d = rec.input(1), g = grads.dy(), sh = rec.attr(0), sw = rec.attr(1), same = rec.attr(2);
  if (grads.wants(0)) grads.set(0, conv2dBackpropInput(d, g, sh, sw, same, dimOf(x, 1), dimOf(x, 2)));
  if (grads.wants(1)) grads.set(1, conv2d(x, g, sh, sw, same));
}
