// Matrix multiply: an f32x4 register-blocked kernel (4 rows x 8 columns per block) for C = A·B,
// batched with broadcasting of the leading dims. Transposed operands are copied into a contiguous
// row-major panel first (O(n²) next to the O(n³) product), so one kernel serves every variant.
import { Op, DType } from "../opcodes";
import { alloc, free } from "../memory";
import { dataPtr, dim, newTensor, rankOf, release, MAX_RANK } from "../tensor";
import { record, accumulate, needsGrad } from "../tape";
import { unbroadcastOwned } from "./elementwise";

const outShape = memory.data(MAX_RANK * 4, 16);
const batchIdx = memory.data(MAX_RANK * 4, 16);

/** C[m×n] = A[m×k] · B[k×n], all row-major and contiguous. */
export function gemm(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32): void {
  const rowB = <usize>n << 2;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = a + (<usize>i * k << 2), a1 = a0 + (<usize>k << 2), a2 = a1 + (<usize>k << 2), a3 = a2 + (<usize>k << 2);
    const c0 = c + (<usize>i * n << 2), c1 = c0 + rowB, c2 = c1 + rowB, c3 = c2 + rowB;
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
      let pb = b + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        const b0 = v128.load(pb), b1 = v128.load(pb, 16);
        const q = <usize>p << 2;
        const x0 = v128.load32_splat(a0 + q), x1 = v128.load32_splat(a1 + q);
        const x2 = v128.load32_splat(a2 + q), x3 = v128.load32_splat(a3 + q);
        s00 = f32x4.add(s00, f32x4.mul(x0, b0)); s01 = f32x4.add(s01, f32x4.mul(x0, b1));
        s10 = f32x4.add(s10, f32x4.mul(x1, b0)); s11 = f32x4.add(s11, f32x4.mul(x1, b1));
        s20 = f32x4.add(s20, f32x4.mul(x2, b0)); s21 = f32x4.add(s21, f32x4.mul(x2, b1));
        s30 = f32x4.add(s30, f32x4.mul(x3, b0)); s31 = f32x4.add(s31, f32x4.mul(x3, b1));
        pb += rowB;
      }
      const q = <usize>j << 2;
      v128.store(c0 + q, s00); v128.store(c0 + q, s01, 16);
      v128.store(c1 + q, s10); v128.store(c1 + q, s11, 16);
      v128.store(c2 + q, s20); v128.store(c2 + q, s21, 16);
      v128.store(c3 + q, s30); v128.store(c3 + q, s31, 16);
    }
    for (; j < n; j++) {
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
      for (let p = 0; p < k; p++) {
        const bv = load<f32>(b + ((<usize>p * n + j) << 2));
        const q = <usize>p << 2;
        s0 += load<f32>(a0 + q) * bv; s1 += load<f32>(a1 + q) * bv;
        s2 += load<f32>(a2 + q) * bv; s3 += load<f32>(a3 + q) * bv;
      }
      const q = <usize>j << 2;
      store<f32>(c0 + q, s0); store<f32>(c1 + q, s1); store<f32>(c2 + q, s2); store<f32>(c3 + q, s3);
    }
  }
  for (; i < m; i++) { // remaining rows, one at a time
    const ar = a + (<usize>i * k << 2), cr = c + (<usize>i * n << 2);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      let s = f32x4.splat(0);
      for (let p = 0; p < k; p++) s = f32x4.add(s, f32x4.mul(v128.load32_splat(ar + (<usize>p << 2)), v128.load(b + ((<usize>p * n + j) << 2))));
      v128.store(cr + (<usize>j << 2), s);
    }
    for (; j < n; j++) {
      let s: f32 = 0;
      for (let p = 0; p < k; p++) s += load<f32>(ar + (<usize>p << 2)) * load<f32>(b + ((<usize>p * n + j) << 2));
      store<f32>(cr + (<usize>j << 2), s);
    }
  }
}

/** dst[c×r] = transpose of src[r×c]. */
export function transpose2d(src: usize, dst: usize, r: i32, c: i32): void {
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++)
    store<f32>(dst + ((<usize>j * r + i) << 2), load<f32>(src + ((<usize>i * c + j) << 2)));
}

/** matmul(a, b, transposeA, transposeB) with broadcast batch dims (TS validated the shapes). */
export function matmul(a: i32, b: i32, ta: bool, tb: bool): i32 {
  const ra = rankOf(a), rb = rankOf(b);
  const m = ta ? dim(a, ra - 1) : dim(a, ra - 2), k = ta ? dim(a, ra - 2) : dim(a, ra - 1);
  const n = tb ? dim(b, rb - 2) : dim(b, rb - 1);
  const batchA = ra - 2, batchB = rb - 2;
  const batchR = batchA > batchB ? batchA : batchB;
  let batches = 1;
  for (let i = 0; i < batchR; i++) {
    const ia = i - (batchR - batchA), ib = i - (batchR - batchB);
    const da = ia >= 0 ? dim(a, ia) : 1, db = ib >= 0 ? dim(b, ib) : 1;
    const d = da == 1 ? db : da;
    store<i32>(outShape + (<usize>i << 2), d);
    batches *= d;
  }
  store<i32>(outShape + (<usize>batchR << 2), m);
  store<i32>(outShape + (<usize>(batchR + 1) << 2), n);
  const out = newTensor(DType.Float32, batchR + 2, outShape);
  const panelA: usize = ta ? alloc(<usize>m * k << 2) : 0;
  const panelB: usize = tb ? alloc(<usize>k * n << 2) : 0;
  memory.fill(batchIdx, 0, MAX_RANK * 4);
  for (let t = 0; t < batches; t++) {
    // matrix index of a and b for this output batch (broadcast dims stay at 0)
    let offA = 0, offB = 0, strideA = 1, strideB = 1;
    for (let i = batchR - 1; i >= 0; i--) {
      const idx = load<i32>(batchIdx + (<usize>i << 2));
      const ia = i - (batchR - batchA), ib = i - (batchR - batchB);
      if (ia >= 0) { const d = dim(a, ia); if (d != 1) offA += idx * strideA; strideA *= d; }
      if (ib >= 0) { const d = dim(b, ib); if (d != 1) offB += idx * strideB; strideB *= d; }
    }
    let pa = dataPtr(a) + (<usize>offA * m * k << 2);
    let pb = dataPtr(b) + (<usize>offB * k * n << 2);
    if (ta) { transpose2d(pa, panelA, k, m); pa = panelA; }
    if (tb) { transpose2d(pb, panelB, n, k); pb = panelB; }
    gemm(pa, pb, dataPtr(out) + (<usize>t * m * n << 2), m, k, n);
    for (let i = batchR - 1; i >= 0; i--) { // next batch index
      const p = batchIdx + (<usize>i << 2);
      const idx = load<i32>(p) + 1;
      if (idx < load<i32>(outShape + (<usize>i << 2))) { store<i32>(p, idx); break; }
      store<i32>(p, 0);
    }
  }
  if (ta) free(panelA, <usize>m * k << 2);
  if (tb) free(panelB, <usize>k * n << 2);
  record(Op.MatMul, out, a, b, 0, ta ? 1 : 0, tb ? 1 : 0);
  return out;
}

export function matmulBackward(a: i32, b: i32, ta: bool, tb: bool, dy: i32): void {
  if (needsGrad(a)) {
    const g = !ta ? matmul(dy, b, false, !tb) : (!tb ? matmul(b, dy, false, true) : matmul(b, dy, true, true));
    accumulate(a, unbroadcastOwned(g, a));
  }
  if (needsGrad(b)) {
    const g = !tb ? matmul(a, dy, !ta, false) : (!ta ? matmul(dy, a, true, false) : matmul(dy, a, true, true));
    accumulate(b, unbroadcastOwned(g, b));
  }
}
