// Copying kernels: copies through a plan (broadcasts, transpose, and a box of one tensor into a box
// of another for slice, pad, concat and split), rows gathered or scatter-added by index (gather and
// its adjoint), and dtype conversion. Pure: shapes and strides come in a Plan in scratch memory.
import { DType } from "../../build/generated/opcodes";
import { Plan } from "./broadcast";

/**
 * Copies through a copying plan (broadcast.ts): a's element i of each row, at src + (rowA + i·sa)·e,
 * goes to dst + (rowB + i·sb)·e. Broadcasts (sa = 0), permutations, tiles and the boxes of slice,
 * pad and concat; e bytes per element.
 */
export function planCopy(plan: Plan, src: usize, dst: usize, e: usize): void {
  const rows = plan.rows(), last = plan.rank - 1, n = plan.dim(last), sa = plan.strideA(last), sb = plan.strideB(last);
  let rowA = 0, rowB = 0;
  for (let row = 0; row < rows; row++) {
    const a = src + <usize>rowA * e, o = dst + <usize>rowB * e;
    if (sb == 1 && sa == 1) memory.copy(o, a, <usize>n * e);
    else if (sb == 1 && sa == 0) { // one element along the row
      if (e == 1) memory.fill(o, load<u8>(a), <usize>n);
      else {
        let i = 0;
        const v = v128.load32_splat(a);
        for (; i + 4 <= n; i += 4) v128.store(o + (<usize>i << 2), v);
        for (; i < n; i++) store<u32>(o + (<usize>i << 2), load<u32>(a));
      }
    } else if (e == 1) for (let i = 0; i < n; i++) store<u8>(o + <usize>(i * sb), load<u8>(a + <usize>(i * sa)));
    else for (let i = 0; i < n; i++) store<u32>(o + (<usize>(i * sb) << 2), load<u32>(a + (<usize>(i * sa) << 2)));
    // plan.nextRow with the row offsets in locals: a call and two fields per row cost slices and
    // pads of many short rows up to 40 % (pad of [16, 32, 32] by one on H and W)
    for (let d = last - 1; d >= 0; d--) {
      const at = plan.digit(d), idx = load<i32>(at) + 1, da = plan.strideA(d), db = plan.strideB(d);
      if (idx < plan.dim(d)) { store<i32>(at, idx); rowA += da; rowB += db; break; }
      store<i32>(at, 0);
      rowA -= da * (idx - 1); rowB -= db * (idx - 1);
    }
  }
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
