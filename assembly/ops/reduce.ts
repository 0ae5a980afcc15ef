// Reductions over an axis set (bit mask), reshape/broadcast helpers, and their backward rules.
import { Op, DType } from "../opcodes";
import { dataPtr, dim, dtypeOf, newTensor, rankOf, release, retain, sameShape, shapePtr, sizeOf, MAX_RANK } from "../tensor";
import { record, accumulate } from "../tape";
import { shapeBuf, splitAt, splitOuter, splitN, splitInner, scalarF32 } from "./layout";
import { binary, boolToFloat, broadcastToShape, mul, div, where, unary } from "./elementwise";

const keepShape = memory.data(MAX_RANK * 4, 16);

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
  for (let i = 0; i < r; i++) store<i32>(shapeBuf + (<usize>i << 2), i == axis ? 1 : dim(x, i));
  const isArg = op == Op.ArgMax || op == Op.ArgMin;
  const out = newTensor(isArg ? DType.Int32 : dtypeOf(x), r, shapeBuf);
  splitAt(x, axis);
  const outer = splitOuter, n = splitN, inner = splitInner;
  const src = dataPtr(x), dst = dataPtr(out);
  if (isArg) argReduce(op, src, dst, outer, n, inner, dtypeOf(x) == DType.Int32);
  else if (dtypeOf(x) == DType.Int32) reduceRows<i32>(op, src, dst, outer, n, inner);
  else reduceRows<f32>(op, src, dst, outer, n, inner);
  return out;
}

@inline function combine<T>(op: i32, acc: T, v: T): T {
  if (op == Op.Sum) return acc + v;
  if (op == Op.Prod) return acc * v;
  if (op == Op.Max) return v > acc || v != v ? v : acc;
  return v < acc || v != v ? v : acc;
}
@inline function identityOf<T>(op: i32): T {
  if (op == Op.Sum) return <T>0;
  if (op == Op.Prod) return <T>1;
  if (isInteger<T>()) return op == Op.Max ? <T>i32.MIN_VALUE : <T>i32.MAX_VALUE;
  return op == Op.Max ? <T>-Infinity : <T>Infinity;
}

function reduceRows<T>(op: i32, src: usize, dst: usize, outer: i32, n: i32, inner: i32): void {
  const e = sizeof<T>();
  for (let o = 0; o < outer; o++) {
    const base = src + <usize>o * n * inner * e;
    const out = dst + <usize>o * inner * e;
    if (inner == 1) {
      let acc = identityOf<T>(op);
      let j = 0;
      if (!isInteger<T>() && op == Op.Sum && n >= 8) {
        let v0 = f32x4.splat(0), v1 = f32x4.splat(0);
        for (; j + 8 <= n; j += 8) {
          v0 = f32x4.add(v0, v128.load(base + (<usize>j << 2)));
          v1 = f32x4.add(v1, v128.load(base + (<usize>j << 2), 16));
        }
        v0 = f32x4.add(v0, v1);
        acc = <T>(f32x4.extract_lane(v0, 0) + f32x4.extract_lane(v0, 1) + f32x4.extract_lane(v0, 2) + f32x4.extract_lane(v0, 3));
      }
      for (; j < n; j++) acc = combine<T>(op, acc, load<T>(base + <usize>j * e));
      store<T>(out, acc);
    } else {
      for (let i = 0; i < inner; i++) store<T>(out + <usize>i * e, identityOf<T>(op));
      for (let j = 0; j < n; j++) {
        const row = base + <usize>j * inner * e;
        let i = 0;
        if (!isInteger<T>() && op == Op.Sum) {
          for (; i + 4 <= inner; i += 4) {
            const k = <usize>i << 2;
            v128.store(out + k, f32x4.add(v128.load(out + k), v128.load(row + k)));
          }
        }
        for (; i < inner; i++) store<T>(out + <usize>i * e, combine<T>(op, load<T>(out + <usize>i * e), load<T>(row + <usize>i * e)));
      }
    }
  }
}

function argReduce(op: i32, src: usize, dst: usize, outer: i32, n: i32, inner: i32, isInt: bool): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = 0;
      let bestV: f64 = isInt ? <f64>load<i32>(src + ((<usize>o * n * inner + i) << 2)) : <f64>load<f32>(src + ((<usize>o * n * inner + i) << 2));
      for (let j = 1; j < n; j++) {
        const k = (<usize>o * n * inner + <usize>j * inner + i) << 2;
        const v: f64 = isInt ? <f64>load<i32>(src + k) : <f64>load<f32>(src + k);
        if (op == Op.ArgMax ? (v > bestV || (v != v && bestV == bestV)) : (v < bestV || (v != v && bestV == bestV))) { best = j; bestV = v; }
      }
      store<i32>(dst + ((<usize>o * inner + i) << 2), best);
    }
  }
}

/** Reduction `op` (Sum, Max, Min, Prod, ArgMax, ArgMin) of x over the axes in `mask`. */
export function reduce(op: i32, x: i32, mask: u32, keepDims: bool): i32 {
  let cur = x;
  retain(cur);
  for (let axis = rankOf(x) - 1; axis >= 0; axis--) {
    if (((mask >> <u32>axis) & 1) == 0) continue;
    const next = reduceAxis(op, cur, axis);
    release(cur);
    cur = next;
  }
  const r = reducedShape(x, mask, keepDims, keepShape);
  const out = reshapeRaw(cur, keepShape, r);
  release(cur);
  record(op, out, x, 0, 0, <i32>mask, keepDims ? 1 : 0);
  return out;
}

/** A copy of x with a new shape (same element count). Not recorded. */
function reshapeRaw(x: i32, shape: usize, r: i32): i32 {
  const out = newTensor(dtypeOf(x), r, shape);
  const bytes = <usize>sizeOf(x) * (dtypeOf(x) == DType.Bool ? 1 : 4);
  memory.copy(dataPtr(out), dataPtr(x), bytes);
  return out;
}

/** reshape(x, shape): recorded. */
export function reshape(x: i32, shape: usize, r: i32): i32 {
  const out = reshapeRaw(x, shape, r);
  record(Op.Reshape, out, x);
  return out;
}

/** reshape(x, like.shape). */
export function reshapeLike(x: i32, like: i32): i32 { return reshape(x, shapePtr(like), rankOf(like)); }

/** Sums g over the axes along which `like` was broadcast, then reshapes to like's shape. */
export function unbroadcast(g: i32, like: i32): i32 {
  if (sameShape(g, like)) { retain(g); return g; }
  const rg = rankOf(g), rl = rankOf(like);
  let mask: u32 = 0;
  for (let i = 0; i < rg; i++) {
    const j = i - (rg - rl);
    if (j < 0 || (dim(like, j) == 1 && dim(g, i) != 1)) mask |= <u32>1 << i;
  }
  const s = reduce(Op.Sum, g, mask, true);
  if (sameShape(s, like)) return s;
  const y = reshapeLike(s, like);
  release(s);
  return y;
}

export function reduceBackward(op: i32, y: i32, x: i32, mask: u32, keepDims: bool, dy: i32): void {
  // dy with the reduced axes restored as size 1, then broadcast back to x's shape
  const r = reducedShape(x, mask, true, keepShape);
  const dyk = keepDims ? (retain(dy), dy) : reshape(dy, keepShape, r);
  if (op == Op.Sum) {
    accumulate(x, broadcastToShape(dyk, shapePtr(x), rankOf(x)));
  } else if (op == Op.Max || op == Op.Min) {
    // ties share the gradient evenly: dy * mask / count
    const yk = keepDims ? (retain(y), y) : reshape(y, keepShape, r);
    const eq = binary(Op.Equal, x, yk);
    const m = boolToFloat(eq);
    const count = reduce(Op.Sum, m, mask, true);
    const share = div(dyk, count);
    accumulate(x, mul(m, share));
    release(yk); release(eq); release(m); release(count); release(share);
  } else if (op == Op.Prod) {
    // d prod / d x_i = the product of the others. Zeros are handled as TF does: for a non-zero x_i
    // that is p / x_i when its group has no zero (p = product of the group's non-zero entries) and 0
    // otherwise; for a zero x_i it is p when it is its group's only zero, else 0.
    const zero = scalarF32(0), one = scalarF32(1);
    const nonzero = binary(Op.NotEqual, x, zero);
    const safe = where(nonzero, x, one);
    const p = reduce(Op.Prod, safe, mask, true);
    const isZero = unary(Op.LogicalNot, nonzero, 0);
    const zeroFlags = boolToFloat(isZero);
    const zeros = reduce(Op.Sum, zeroFlags, mask, true);
    const noZero = binary(Op.Equal, zeros, zero), oneZero = binary(Op.Equal, zeros, one);
    const others = div(p, safe);
    const atNonzero = where(noZero, others, zero), atZero = where(oneZero, p, zero);
    const g = where(nonzero, atNonzero, atZero);
    accumulate(x, mul(dyk, g));
    release(zero); release(one); release(nonzero); release(safe); release(p); release(isZero); release(zeroFlags);
    release(zeros); release(noZero); release(oneZero); release(others); release(atNonzero); release(atZero); release(g);
  }
  release(dyk);
}
