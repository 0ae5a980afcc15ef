// Reductions over an axis set (bit mask) and their backward rule; unbroadcast (the adjoint of
// broadcasting, which every broadcasting op's rule uses). Kernels: assembly/kernels/reduce.ts.
import { Op, DType } from "../../build/generated/opcodes";
import { dataPtr, dim, dtypeOf, newTensor, rankOf, release, retain, sameShape, shapePtr } from "../tensor";
import { recordAttr2 } from "../tape";
import { Record, Grads } from "../record";
import { scratchMark, scratchRelease, scratchTake } from "../scratch";
import { MAX_RANK } from "../limits";
import { reduceRows, argReduce } from "../kernels/reduce";
import { scalarF32, outerSize, innerSize } from "./layout";
import { jobArgs, parallel, threadSlots } from "../threads";
import { Job, CHUNK, jobArgAt, worthElementThreads } from "../jobs";
import { binary, boolToFloat, broadcastToShape, mul, div, where, unary } from "./elementwise";
import { reshape, reshapeCopy } from "./shape";

/** x's shape with the axes in `mask` set to 1 (keepDims) or dropped, into `dst`; returns the rank. */
function reducedShape(x: i32, mask: u32, keepDims: bool, dst: usize): i32 {
  let r = 0;
  for (let i = 0; i < rankOf(x); i++) {
    const reduced = (mask >> <u32>i) & 1;
    if (reduced && !keepDims) continue;
    store<i32>(dst + (<usize>r << 2), reduced ? 1 : dim(x, i));
    r++;
  }
  return r;
}

/** Reduces one axis (keeping it as size 1). Never recorded. */
function reduceAxis(op: i32, x: i32, axis: i32): i32 {
  const r = rankOf(x);
  const mark = scratchMark(), shape = scratchTake(MAX_RANK * 4);
  for (let i = 0; i < r; i++) store<i32>(shape + (<usize>i << 2), i == axis ? 1 : dim(x, i));
  const isArg = op == Op.ArgMax || op == Op.ArgMin;
  const out = newTensor(isArg ? DType.Int32 : dtypeOf(x), r, shape);
  scratchRelease(mark);
  const outer = outerSize(x, axis), n = dim(x, axis), inner = innerSize(x, axis);
  const src = dataPtr(x), dst = dataPtr(out);
  const isInt = dtypeOf(x) == DType.Int32;
  if (isArg) argReduce(op, src, dst, outer, n, inner, isInt);
  else if (isInt) reduceRows<i32>(op, src, dst, outer, n, inner); // (int32 sums are rare and small: no threads)
  else if (!worthElementThreads(threadSlots(), outer * n * inner, false) || !reduceOnThreads(op, src, dst, outer, n, inner)) {
    reduceRows<f32>(op, src, dst, outer, n, inner);
  }
  return out;
}

/**
 * A large reduction on threads, cut over the outer axis only (never the reduced one: each
 * output's accumulation order stays the one-thread order), in slabs of whole groups of about CHUNK
 * inputs. False (nothing done) when there are fewer than two groups. (Splitting the inner axis of a
 * reduction over the first axis was measured 0.6-1.0× with 2 threads: one thread already streams
 * memory as fast as it comes.)
 */
function reduceOnThreads(op: i32, src: usize, dst: usize, outer: i32, n: i32, inner: i32): bool {
  if (outer < 2) return false;
  const per = max(1, CHUNK / (n * inner)), args = jobArgs(); // reduceTask's arguments (below)
  store<i32>(args, op); store<i32>(args, src, 4); store<i32>(args, dst, 8); store<i32>(args, outer, 12);
  store<i32>(args, n, 16); store<i32>(args, inner, 20); store<i32>(args, per, 24);
  parallel(Job.Reduce, (outer + per - 1) / per);
  return true;
}

/**
 * Job.Reduce's task (float32), args [op, src, dst, outer, n, inner, per]: reduceRows on outer
 * groups [task·per, +per) (each output is the same accumulation, in the same order, as on one thread).
 */
export function reduceTask(args: usize, task: i32, slot: i32): void {
  const n = jobArgAt(args, 4), inner = jobArgAt(args, 5), per = jobArgAt(args, 6), o0 = task * per;
  reduceRows<f32>(jobArgAt(args, 0), <usize>jobArgAt(args, 1) + ((<usize>o0 * n * inner) << 2), <usize>jobArgAt(args, 2) + ((<usize>o0 * inner) << 2),
    min(per, jobArgAt(args, 3) - o0), n, inner);
}

/** Reduction `op` (Sum, Max, Min, Prod, ArgMax, ArgMin) of x over the axes in `mask`. */
export function reduce(op: i32, x: i32, mask: u32, keepDims: i32): i32 {
  let cur = x;
  retain(cur);
  for (let axis = rankOf(x) - 1; axis >= 0; axis--) {
    if (((mask >> <u32>axis) & 1) == 0) continue;
    const next = reduceAxis(op, cur, axis);
    release(cur);
    cur = next;
  }
  const mark = scratchMark(), shape = scratchTake(MAX_RANK * 4);
  const out = reshapeCopy(cur, shape, reducedShape(x, mask, keepDims != 0, shape));
  scratchRelease(mark);
  release(cur);
  recordAttr2(op, out, x, 0, <i32>mask, keepDims);
  return out;
}

/** Sums g over the axes along which `like` was broadcast, then reshapes to like's shape. */
export function unbroadcast(g: i32, like: i32): i32 {
  if (sameShape(g, like)) { retain(g); return g; }
  const rg = rankOf(g), rl = rankOf(like);
  let mask: u32 = 0;
  for (let i = 0; i < rg; i++) {
    const j = i - (rg - rl);
    if (j < 0 || (dim(like, j) == 1 && dim(g, i) != 1)) mask |= <u32>1 << i;
  }
  const s = reduce(Op.Sum, g, mask, 1);
  if (sameShape(s, like)) return s;
  const y = reshape(s, shapePtr(like), rankOf(like));
  release(s);
  return y;
}

export function reduceBackward(rec: Record, grads: Grads): void {
  const op = rec.op, y = rec.output(), x = rec.input(0), dy = grads.dy();
  const mask = <u32>rec.attr(0), keepDims = rec.attr(1) != 0;
  // dy with the reduced axes restored as size 1, then broadcast back to x's shape
  const mark = scratchMark(), keepShape = scratchTake(MAX_RANK * 4);
  const r = reducedShape(x, mask, true, keepShape);
  const dyk = keepDims ? (retain(dy), dy) : reshape(dy, keepShape, r);
  if (op == Op.Sum) {
    grads.set(0, broadcastToShape(dyk, shapePtr(x), rankOf(x)));
  } else if (op == Op.Max || op == Op.Min) {
    // ties share the gradient evenly: dy * mask / count
    const yk = keepDims ? (retain(y), y) : reshape(y, keepShape, r);
    const eq = binary(Op.Equal, x, yk);
    const m = boolToFloat(eq);
    const count = reduce(Op.Sum, m, mask, 1);
    const share = div(dyk, count);
    grads.set(0, mul(m, share));
    release(yk); release(eq); release(m); release(count); release(share);
  } else if (op == Op.Prod) {
    // d prod / d x_i = the product of the others. Zeros are handled as TF does: for a non-zero x_i
    // that is p / x_i when its group has no zero (p = product of the group's non-zero entries) and 0
    // otherwise; for a zero x_i it is p when it is its group's only zero, else 0.
    const zero = scalarF32(0), one = scalarF32(1);
    const nonzero = binary(Op.NotEqual, x, zero);
    const safe = where(nonzero, x, one);
    const p = reduce(Op.Prod, safe, mask, 1);
    const isZero = unary(Op.LogicalNot, nonzero, 0);
    const zeroFlags = boolToFloat(isZero);
    const zeros = reduce(Op.Sum, zeroFlags, mask, 1);
    const noZero = binary(Op.Equal, zeros, zero), oneZero = binary(Op.Equal, zeros, one);
    const others = div(p, safe);
    const atNonzero = where(noZero, others, zero), atZero = where(oneZero, p, zero);
    const g = where(nonzero, atNonzero, atZero);
    grads.set(0, mul(dyk, g));
    release(zero); release(one); release(nonzero); release(safe); release(p); release(isZero); release(zeroFlags);
    release(zeros); release(noZero); release(oneZero); release(others); release(atNonzero); release(atZero); release(g);
  }
  release(dyk);
  scratchRelease(mark);
}
