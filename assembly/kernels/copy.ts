// Copying kernels of the slicing family: a box of one tensor into a box of another (slice, pad,
// concat), rows gathered or scatter-added by index (gather and its adjoint), one-hot rows and
// constant fills (tile is a broadcast: ops/slicing.ts). Pure: shapes and offsets come in a Box in
// scratch memory.
import { DType } from "../../build/generated/opcodes";
import { MAX_RANK } from "../limits";

/**
 * The operands of copyBox: the box `box` at `srcAt` in a tensor of shape `src` goes to `dstAt` in a
 * tensor of shape `dst` (rank `rank`); strides and the odometer are its working space.
 */
@final @unmanaged export class Box {
  rank: i32;
  @inline private at(array: i32, i: i32): usize { return changetype<usize>(this) + 16 + ((<usize>(array * MAX_RANK + i)) << 2); }
  @inline of(array: i32, i: i32): i32 { return load<i32>(this.at(array, i)); }
  @inline put(array: i32, i: i32, v: i32): void { store<i32>(this.at(array, i), v); }
  /** Zeroes both offsets (a box from the origin to the origin). */
  @inline clearOffsets(): void { memory.fill(this.at(SRC_AT, 0), 0, 2 * MAX_RANK * 4); }
}
// the arrays of a Box, MAX_RANK ints each
export const SRC = 0, DST = 1, SIZE = 2, SRC_AT = 3, DST_AT = 4;
const SRC_STRIDE = 5, DST_STRIDE = 6, ODOMETER = 7;
export const BOX_BYTES: usize = 16 + 8 * MAX_RANK * 4;

/** Copies the box (see Box) from src into dst; e bytes per element. */
export function copyBox(src: usize, dst: usize, box: Box, e: usize): void {
  const r = box.rank;
  let n = 1;
  for (let i = 0; i < r; i++) n *= box.of(SIZE, i);
  if (n == 0) return;
  if (r == 0) { memory.copy(dst, src, e); return; }
  // innermost dims taken whole in both tensors merge into one contiguous run per row
  let k0 = r - 1;
  while (k0 > 0 && box.of(SIZE, k0) == box.of(SRC, k0) && box.of(SIZE, k0) == box.of(DST, k0)) k0--;
  let run = 1;
  for (let k = k0; k < r; k++) run *= box.of(SIZE, k);
  let ss = 1, ds = 1;
  for (let k = r - 1; k >= 0; k--) {
    box.put(SRC_STRIDE, k, ss); box.put(DST_STRIDE, k, ds);
    ss *= box.of(SRC, k); ds *= box.of(DST, k);
  }
  let so = 0, doff = 0;
  for (let k = 0; k <= k0; k++) { so += box.of(SRC_AT, k) * box.of(SRC_STRIDE, k); doff += box.of(DST_AT, k) * box.of(DST_STRIDE, k); }
  const rows = n / run, bytes = <usize>run * e;
  for (let k = 0; k < r; k++) box.put(ODOMETER, k, 0);
  for (let row = 0; row < rows; row++) {
    memory.copy(dst + <usize>doff * e, src + <usize>so * e, bytes);
    for (let k = k0 - 1; k >= 0; k--) {
      const idx = box.of(ODOMETER, k) + 1;
      if (box.of(SIZE, k) > idx) { box.put(ODOMETER, k, idx); so += box.of(SRC_STRIDE, k); doff += box.of(DST_STRIDE, k); break; }
      box.put(ODOMETER, k, 0);
      so -= (idx - 1) * box.of(SRC_STRIDE, k); doff -= (idx - 1) * box.of(DST_STRIDE, k);
    }
  }
}

/** Sets the n elements at p (of `dtype`) to value. */
export function fillKernel(p: usize, n: i32, dtype: i32, value: f64): void {
  if (dtype == DType.Bool) { memory.fill(p, value != 0 ? 1 : 0, <usize>n); return; }
  if (dtype == DType.Int32) { const v = <i32>value; for (let i = 0; i < n; i++) store<i32>(p + (<usize>i << 2), v); return; }
  const v = <f32>value;
  if (v == 0) { memory.fill(p, 0, <usize>n << 2); return; }
  let i = 0;
  const vv = f32x4.splat(v);
  for (; i + 4 <= n; i += 4) v128.store(p + (<usize>i << 2), vv);
  for (; i < n; i++) store<f32>(p + (<usize>i << 2), v);
}

/** out [outer, m, row] = x [outer, d, row] at the m int32 indices (rows of `row` bytes). */
export function gatherKernel(px: usize, pi: usize, po: usize, outer: i32, m: i32, d: i32, row: usize): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const at = load<i32>(pi + (<usize>j << 2));
      memory.copy(po + <usize>(o * m + j) * row, px + <usize>(o * d + at) * row, row);
    }
  }
}

/** The adjoint of gatherKernel on floats: out [outer, d, inner] (zeroed) += g [outer, m, inner] at the indices. */
export function scatterAddKernel(pg: usize, pi: usize, po: usize, outer: i32, m: i32, d: i32, inner: i32): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const dst = po + (<usize>((o * d + load<i32>(pi + (<usize>j << 2))) * inner) << 2);
      const src = pg + (<usize>((o * m + j) * inner) << 2);
      let i = 0;
      for (; i + 4 <= inner; i += 4) { const q = <usize>i << 2; v128.store(dst + q, f32x4.add(v128.load(dst + q), v128.load(src + q))); }
      for (; i < inner; i++) { const q = <usize>i << 2; store<f32>(dst + q, load<f32>(dst + q) + load<f32>(src + q)); }
    }
  }
}

/** out [n, depth] (already filled with `off`) gets `on` at each in-range index. */
export function oneHotKernel(pi: usize, po: usize, n: i32, depth: i32, on: f32): void {
  for (let i = 0; i < n; i++) {
    const k = load<i32>(pi + (<usize>i << 2));
    if (k >= 0 && k < depth) store<f32>(po + ((<usize>i * depth + k) << 2), on); // else all off, as TF
  }
}
