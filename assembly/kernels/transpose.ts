// Moving data without arithmetic: axis permutations and dtype conversion. Pure.
import { DType } from "../../build/generated/opcodes";

/**
 * Copies src into dst with permuted axes: dst has shape `outShape` (rank r) and its axis i walks src
 * with element stride strides[i]; `counter` is r ints of scratch; e is the element size (1 or 4).
 */
export function transposeKernel(src: usize, dst: usize, e: i32, r: i32, n: i32, outShape: usize, strides: usize, counter: usize): void {
  if (n == 0) return;
  memory.fill(counter, 0, <usize>r << 2);
  const innerDim = r > 0 ? load<i32>(outShape + (<usize>(r - 1) << 2)) : 1;
  const innerStride = r > 0 ? load<i32>(strides + (<usize>(r - 1) << 2)) : 1;
  let off = 0;
  let o = 0;
  while (o < n) {
    if (e == 4) for (let i = 0; i < innerDim; i++, o++) store<u32>(dst + (<usize>o << 2), load<u32>(src + (<usize>(off + i * innerStride) << 2)));
    else for (let i = 0; i < innerDim; i++, o++) store<u8>(dst + <usize>o, load<u8>(src + <usize>(off + i * innerStride)));
    for (let d = r - 2; d >= 0; d--) {
      const p = counter + (<usize>d << 2);
      const st = load<i32>(strides + (<usize>d << 2));
      const idx = load<i32>(p) + 1;
      if (idx < load<i32>(outShape + (<usize>d << 2))) { store<i32>(p, idx); off += st; break; }
      store<i32>(p, 0);
      off -= st * (idx - 1);
    }
  }
}

/** n elements of dtype `from` at s as dtype `to` at d: float→int truncates toward zero (saturating, NaN → 0); anything→bool is x != 0. */
export function castKernel(s: usize, d: usize, n: i32, from: i32, to: i32): void {
  for (let i = 0; i < n; i++) {
    let v: f64;
    if (from == DType.Float32) v = <f64>load<f32>(s + (<usize>i << 2));
    else if (from == DType.Int32) v = <f64>load<i32>(s + (<usize>i << 2));
    else v = <f64>load<u8>(s + <usize>i);
    if (to == DType.Float32) store<f32>(d + (<usize>i << 2), <f32>v);
    else if (to == DType.Int32) store<i32>(d + (<usize>i << 2), v != v ? 0 : v >= 2147483647 ? i32.MAX_VALUE : v <= -2147483648 ? i32.MIN_VALUE : <i32>v);
    else store<u8>(d + <usize>i, v != 0 ? 1 : 0);
  }
}
