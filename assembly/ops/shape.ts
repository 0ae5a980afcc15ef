// Layout ops that move data without arithmetic: transpose and cast, with their backward rules.
import { Op, DType } from "../opcodes";
import { dataPtr, dim, dtypeOf, newLike, newTensor, rankOf, sizeOf, elementBytes, MAX_RANK } from "../tensor";
import { record, accumulate } from "../tape";

const permShape = memory.data(MAX_RANK * 4, 16);
const srcStrides = memory.data(MAX_RANK * 4, 16);
const counter = memory.data(MAX_RANK * 4, 16);

/** Axis `i` of a permutation packed 4 bits per axis. */
@inline function permAt(perm: u32, i: i32): i32 { return <i32>((perm >> (<u32>i << 2)) & 15); }

/** transpose(x, perm): out.shape[i] = x.shape[perm[i]]. */
export function transpose(x: i32, perm: u32): i32 {
  const r = rankOf(x);
  for (let i = 0; i < r; i++) store<i32>(permShape + (<usize>i << 2), dim(x, permAt(perm, i)));
  const out = newTensor(dtypeOf(x), r, permShape);
  // stride in x of each output axis
  let s = 1;
  for (let i = r - 1; i >= 0; i--) {
    for (let j = 0; j < r; j++) if (permAt(perm, j) == i) store<i32>(srcStrides + (<usize>j << 2), s);
    s *= dim(x, i);
  }
  const n = sizeOf(x);
  if (n > 0) {
    const e = elementBytes(dtypeOf(x));
    const src = dataPtr(x), dst = dataPtr(out);
    memory.fill(counter, 0, MAX_RANK * 4);
    const innerDim = r > 0 ? load<i32>(permShape + (<usize>(r - 1) << 2)) : 1;
    const innerStride = r > 0 ? load<i32>(srcStrides + (<usize>(r - 1) << 2)) : 1;
    let off = 0;
    let o = 0;
    while (o < n) {
      if (e == 4) for (let i = 0; i < innerDim; i++, o++) store<u32>(dst + (<usize>o << 2), load<u32>(src + (<usize>(off + i * innerStride) << 2)));
      else for (let i = 0; i < innerDim; i++, o++) store<u8>(dst + <usize>o, load<u8>(src + <usize>(off + i * innerStride)));
      for (let d = r - 2; d >= 0; d--) {
        const p = counter + (<usize>d << 2);
        const st = load<i32>(srcStrides + (<usize>d << 2));
        const idx = load<i32>(p) + 1;
        if (idx < load<i32>(permShape + (<usize>d << 2))) { store<i32>(p, idx); off += st; break; }
        store<i32>(p, 0);
        off -= st * (idx - 1);
      }
    }
  }
  record(Op.Transpose, out, x, 0, 0, <i32>perm);
  return out;
}

export function transposeBackward(x: i32, perm: u32, dy: i32): void {
  let inv: u32 = 0;
  for (let i = 0; i < rankOf(x); i++) inv |= <u32>i << (<u32>permAt(perm, i) << 2);
  accumulate(x, transpose(dy, inv));
}

/** cast(x, dtype): float→int truncates toward zero; anything→bool is x != 0. */
export function cast(x: i32, dtype: i32): i32 {
  const out = newLike(x, dtype);
  const from = dtypeOf(x), n = sizeOf(x), s = dataPtr(x), d = dataPtr(out);
  for (let i = 0; i < n; i++) {
    let v: f64;
    if (from == DType.Float32) v = <f64>load<f32>(s + (<usize>i << 2));
    else if (from == DType.Int32) v = <f64>load<i32>(s + (<usize>i << 2));
    else v = <f64>load<u8>(s + <usize>i);
    if (dtype == DType.Float32) store<f32>(d + (<usize>i << 2), <f32>v);
    else if (dtype == DType.Int32) store<i32>(d + (<usize>i << 2), v != v ? 0 : v >= 2147483647 ? i32.MAX_VALUE : v <= -2147483648 ? i32.MIN_VALUE : <i32>v);
    else store<u8>(d + <usize>i, v != 0 ? 1 : 0);
  }
  // only float -> float can carry a gradient; record() ignores the rest
  if (from == DType.Float32) record(Op.Cast, out, x);
  return out;
}
