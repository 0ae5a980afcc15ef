// Moving data without arithmetic: dtype conversion (axis permutations are a strided Plan: see
// broadcast.ts). Pure.
import { DType } from "../../build/generated/opcodes";

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
