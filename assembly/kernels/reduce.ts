// Reduction kernels over one axis of a tensor seen as [outer, n, inner]: sum, prod, max, min
// (f32x4 sums along contiguous rows and across inner runs), and argmax/argmin. Pure.
import { Op } from "../../build/generated/opcodes";

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

/** `op` (Sum, Prod, Max, Min) of src [outer, n, inner] over n into dst [outer, inner]. */
export function reduceRows<T>(op: i32, src: usize, dst: usize, outer: i32, n: i32, inner: i32): void {
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

/** The index (int32) of the first maximum (ArgMax) or minimum along n, a NaN beating every number. */
export function argReduce(op: i32, src: usize, dst: usize, outer: i32, n: i32, inner: i32, isInt: bool): void {
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
