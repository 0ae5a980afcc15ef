// Max and average pooling (NHWC), the extra module's op entries and backward rules. Kernels:
// assembly/kernels/pool.ts. Attributes as every spatial record has them (extra/conv.ts).
// Gradient graph (every arrow a recorded kernel):
//   MaxPool(v[, src])          dv = MaxPoolGrad(src ?? v, dy)   (argmax taken on src, first max wins)
//   MaxPoolGrad(src, dy) → dx  d(dy) = MaxPool(g, src)  (g gathered at the argmax)   dsrc = 0
//   AvgPool(x)                 dx = AvgPoolGrad(dy)
//   AvgPoolGrad(dy) → dx       d(dy) = AvgPool(g)
import { Op } from "../../build/generated/opcodes";
import { Record, Grads } from "../record";
import { dataPtr, dimOf, sizeOfId, scratchTake, scratchMark, scratchRelease, zerosLike } from "../../build/generated/extra-imports";
import { Geometry, GEOMETRY_BYTES } from "../kernels/conv";
import { walkArgmax, avgPoolKernel, avgPoolGradKernel } from "../kernels/pool";
import { new4d, recordSpatial } from "./conv";

/** The geometry of a pooling window over the [N, H, W, C] tensor x (h, w: x's, unless given). */
function windowOver(x: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, same: i32): Geometry {
  const c = dimOf(x, 3);
  return Geometry.at(scratchTake(GEOMETRY_BYTES)).init(dimOf(x, 0), h, w, c, kh, kw, c, sh, sw, same != 0);
}

/**
 * Max pooling of `values` with the argmax taken on `src` (0: on `values` itself, the user op).
 * With src = x and values = g this gathers g at x's argmax positions: the backward of MaxPoolGrad.
 */
function maxPoolOf(values: i32, src: i32, kh: i32, kw: i32, sh: i32, sw: i32, same: i32): i32 {
  const mark = scratchMark();
  const g = windowOver(values, dimOf(values, 1), dimOf(values, 2), kh, kw, sh, sw, same);
  const out = new4d(g.n, g.oh, g.ow, g.c, false);
  if (sizeOfId(out) > 0) walkArgmax(g, dataPtr(src != 0 ? src : values), dataPtr(values), dataPtr(out), false, src == 0, scratchTake(<usize>g.c << 3));
  recordSpatial(Op.MaxPool, out, values, src, sh, sw, same, kh, kw, g.h, g.w);
  scratchRelease(mark);
  return out;
}

/** maxPool(x [N,H,W,C]) → [N,OH,OW,C]. */
export function maxPool(x: i32, kh: i32, kw: i32, sh: i32, sw: i32, same: i32): i32 { return maxPoolOf(x, 0, kh, kw, sh, sw, same); }

/** dx [N,H,W,C]: dy routed to the argmax of each window of x (summed where windows share it). */
function maxPoolGrad(x: i32, dy: i32, kh: i32, kw: i32, sh: i32, sw: i32, same: i32): i32 {
  const mark = scratchMark();
  const g = windowOver(x, dimOf(x, 1), dimOf(x, 2), kh, kw, sh, sw, same);
  const dx = new4d(g.n, g.h, g.w, g.c, true);
  if (sizeOfId(dy) > 0) walkArgmax(g, dataPtr(x), dataPtr(dy), dataPtr(dx), true, false, scratchTake(<usize>g.c << 3));
  recordSpatial(Op.MaxPoolGrad, dx, x, dy, sh, sw, same, kh, kw, g.h, g.w);
  scratchRelease(mark);
  return dx;
}

/** avgPool(x [N,H,W,C]) → [N,OH,OW,C], dividing by the count of valid (unpadded) elements. */
export function avgPool(x: i32, kh: i32, kw: i32, sh: i32, sw: i32, same: i32): i32 {
  const mark = scratchMark();
  const g = windowOver(x, dimOf(x, 1), dimOf(x, 2), kh, kw, sh, sw, same);
  const out = new4d(g.n, g.oh, g.ow, g.c, true);
  if (sizeOfId(out) > 0) avgPoolKernel(g, dataPtr(x), dataPtr(out));
  recordSpatial(Op.AvgPool, out, x, 0, sh, sw, same, kh, kw, g.h, g.w);
  scratchRelease(mark);
  return out;
}

/** dx [N,H,W,C] (of size h × w): each dy spread evenly over its window's valid elements. */
function avgPoolGrad(dy: i32, kh: i32, kw: i32, sh: i32, sw: i32, same: i32, h: i32, w: i32): i32 {
  const mark = scratchMark();
  const g = windowOver(dy, h, w, kh, kw, sh, sw, same);
  const dx = new4d(g.n, g.h, g.w, g.c, true);
  if (sizeOfId(dy) > 0) avgPoolGradKernel(g, dataPtr(dy), dataPtr(dx), scratchTake(<usize>g.c << 2));
  recordSpatial(Op.AvgPoolGrad, dx, dy, 0, sh, sw, same, kh, kw, h, w);
  scratchRelease(mark);
  return dx;
}

export function maxPoolBackward(rec: Record, grads: Grads): void { // inputs values[, argmax source]
  const v = rec.input(0), src = rec.inputs > 1 ? rec.input(1) : 0;
  if (grads.wants(0)) grads.set(0, maxPoolGrad(src != 0 ? src : v, grads.dy(), rec.attr(3), rec.attr(4), rec.attr(0), rec.attr(1), rec.attr(2)));
  if (src != 0 && grads.wants(1)) grads.set(1, zerosLike(src)); // the argmax is piecewise constant
}
export function maxPoolGradBackward(rec: Record, grads: Grads): void { // inputs x (argmax source), dy'
  const x = rec.input(0);
  if (grads.wants(1)) grads.set(1, maxPoolOf(grads.dy(), x, rec.attr(3), rec.attr(4), rec.attr(0), rec.attr(1), rec.attr(2)));
  if (grads.wants(0)) grads.set(0, zerosLike(x));
}
export function avgPoolBackward(rec: Record, grads: Grads): void {
  const x = rec.input(0);
  grads.set(0, avgPoolGrad(grads.dy(), rec.attr(3), rec.attr(4), rec.attr(0), rec.attr(1), rec.attr(2), dimOf(x, 1), dimOf(x, 2)));
}
export function avgPoolGradBackward(rec: Record, grads: Grads): void {
  grads.set(0, avgPool(grads.dy(), rec.attr(3), rec.attr(4), rec.attr(0), rec.attr(1), rec.attr(2)));
}
