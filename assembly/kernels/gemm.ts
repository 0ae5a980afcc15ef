// Matrix multiply kernels: an f32x4 register-blocked kernel (4 rows x 8 columns per block) over
// packed panels of B. Operands are addressed through strides, so A·B, Aᵀ·B, A·Bᵀ and Aᵀ·Bᵀ (the
// backward products) share one kernel without copies. Pure (both wasm modules compile it: the
// convolutions pack their operands with packPanels too).

/** Stores the transpose of the 4×4 block whose rows are x0..x3: its row q goes to dst + q·stride. */
@inline export function storeTransposed(x0: v128, x1: v128, x2: v128, x3: v128, dst: usize, stride: usize): void {
  const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst + stride, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}

const ROW_BLOCK = 64; // a multiple of 4: only the last row block has leftover rows

/** Stores lanes 0..w-1 of v at dst (w = 1..3): a block of C that ends before its vector does. */
function storeLanes(dst: usize, v: v128, w: i32): void {
  if (w >= 2) v128.store64_lane(dst, v, 0);
  if (w == 1) v128.store32_lane(dst, v, 0);
  else if (w == 3) v128.store32_lane(dst, v, 2, 8);
}
/** Stores the first w (1..8) columns of a row of C held in lo (columns 0..3) and hi (4..7). */
function storeRow(dst: usize, lo: v128, hi: v128, w: i32): void {
  if (w < 4) { storeLanes(dst, lo, w); return; }
  v128.store(dst, lo);
  if (w == 8) v128.store(dst, hi, 16);
  else if (w > 4) storeLanes(dst + 16, hi, w - 4);
}

/**
 * Packs B(p, j) = b[p·brs + j·bcs] (k×n) into contiguous k×8 column panels, zero padded to a
 * multiple of 8 columns, at `panels` (panelsBytes(k, n)): panel jb holds B(p, 8·jb + t) at [p][t].
 * The kernels stream one panel from L1 while the rows of A go past it.
 */
export function packPanels(b: usize, brs: i32, bcs: i32, k: i32, n: i32, panels: usize): void {
  const blocks = (n + 7) >> 3;
  const panelBytes = <usize>k << 5;
  for (let jb = 0; jb < blocks; jb++) {
    const j0 = jb << 3, w = min(8, n - j0);
    let dst = panels + <usize>jb * panelBytes;
    let p = 0;
    if (w == 8 && brs == 1) { // a transposed B (the A·dCᵀ products): 4×4 blocks transposed with shuffles
      const col = <usize>bcs << 2, c0 = b + ((<usize>j0 * bcs) << 2), c4 = c0 + 4 * col;
      for (; p + 4 <= k; p += 4) {
        const o = <usize>p << 2;
        storeTransposed(v128.load(c0 + o), v128.load(c0 + col + o), v128.load(c0 + 2 * col + o), v128.load(c0 + 3 * col + o), dst, 32);
        storeTransposed(v128.load(c4 + o), v128.load(c4 + col + o), v128.load(c4 + 2 * col + o), v128.load(c4 + 3 * col + o), dst + 16, 32);
        dst += 128;
      }
    }
    for (; p < k; p++) {
      const src = b + ((<usize>p * brs + <usize>j0 * bcs) << 2);
      if (w == 8 && bcs == 1) {
        v128.store(dst, v128.load(src)); v128.store(dst, v128.load(src, 16), 16);
      } else {
        for (let t = 0; t < 8; t++) store<f32>(dst + (<usize>t << 2), t < w ? load<f32>(src + (<usize>(t * bcs) << 2)) : 0);
      }
      dst += 32;
    }
  }
}
export function panelsBytes(k: i32, n: i32): usize { return (<usize>k << 5) * <usize>((n + 7) >> 3); }

/** Bytes of scratch gemmStrided needs for a k × n B: one block of packed rows, then the panels. */
export function gemmScratchBytes(k: i32, n: i32): usize { return rowScratchBytes(k) + panelsBytes(k, n); }

/**
 * C[m×n] = A·B with A(i,p) at a[i·ars + p·acs] and B(p,j) at b[p·brs + j·bcs] (element strides), so
 * transposed operands need no copy. B is packed once into contiguous k×8 column panels (zero
 * padded), then each block of ROW_BLOCK rows of C is computed by gemmRows. `scratch`:
 * gemmScratchBytes(k, n). (The core's threaded gemm, assembly/ops/linalg.ts, hands the row blocks
 * to threads: each is computed the same way wherever it runs.)
 */
export function gemmStrided(a: usize, ars: i32, acs: i32, b: usize, brs: i32, bcs: i32, c: usize, m: i32, k: i32, n: i32, scratch: usize): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) { memory.fill(c, 0, <usize>m * n << 2); return; }
  const panels = scratch + (<usize>ROW_BLOCK * k << 2);
  packPanels(b, brs, bcs, k, n, panels);
  for (let block = 0, blocks = rowBlocks(m); block < blocks; block++) gemmRows(a, ars, acs, panels, c, m, k, n, block, scratch, 0, (n + 7) >> 3);
}

/** Blocks of rows in an m-row product: gemmRows' tasks. */
export function rowBlocks(m: i32): i32 { return (m + ROW_BLOCK - 1) / ROW_BLOCK; }
/** Bytes of the scratch gemmRows packs its rows of A into. */
export function rowScratchBytes(k: i32): usize { return <usize>ROW_BLOCK * k << 2; }

/**
 * Rows ROW_BLOCK·block .. of C = A·B (k ≥ 1), in B's column panels jb0 .. jb1 - 1 (8 columns
 * each), B packed at `panels` (packPanels), a 4×8 f32x4
 * register-blocked kernel streaming each panel from L1 while A is read by splat loads; C is written
 * once, partial blocks in place. `packed`: rowScratchBytes(k), this call's own.
 */
export function gemmRows(a: usize, ars: i32, acs: i32, panels: usize, c: usize, m: i32, k: i32, n: i32, block: i32, packed: usize, jb0: i32, jb1: i32): void {
  const panelBytes = <usize>k << 5;
  const stepA = <usize>acs << 2, rowA = <usize>ars << 2, rowC = <usize>n << 2;
  // Rows go in blocks of ROW_BLOCK so the block of A being multiplied stays in L2 while every
  // panel of B streams past it (without blocking, all of A is re-read from L3 for each panel:
  // 512³ ran at 31 GFLOP/s, now 45). Each block of A is packed into 4-row groups laid out [k][4],
  // so the kernel reads one 16-byte group per step through a single pointer: 4 % faster than four
  // row pointers, and a transposed A (the backward product Aᵀ·dC), which would otherwise jump a
  // row of memory per step, runs as fast as a row-major one (1024³ Aᵀ·B: 18 -> 43 GFLOP/s).
  // (A 6×8 kernel measured 2x slower: its 12 accumulators spill on x64's 16 vector registers.)
  const packA = acs != 1;
  assert(!packA || ars == 1, "gemmStrided: A is row-major (acs = 1) or transposed (ars = 1)");
  const i0 = block * ROW_BLOCK, i1 = min(m, i0 + ROW_BLOCK);
  let dst = packed;
  for (let i = i0; i + 4 <= i1; i += 4) {
    if (packA) {
      for (let p = 0; p < k; p++) {
        v128.store(dst, v128.load(a + ((<usize>i + <usize>p * acs) << 2))); // rows i..i+3 are adjacent
        dst += 16;
      }
    } else {
      // row-major A: 4×4 blocks transposed with shuffles, so each step of k reads one 16-byte group
      const r0 = a + ((<usize>i * ars) << 2), r1 = r0 + rowA, r2 = r1 + rowA, r3 = r2 + rowA;
      let p = 0;
      for (; p + 4 <= k; p += 4) {
        const o = <usize>p << 2;
        storeTransposed(v128.load(r0 + o), v128.load(r1 + o), v128.load(r2 + o), v128.load(r3 + o), dst, 16);
        dst += 64;
      }
      for (; p < k; p++) {
        const o = <usize>p << 2;
        store<f32>(dst, load<f32>(r0 + o)); store<f32>(dst, load<f32>(r1 + o), 4);
        store<f32>(dst, load<f32>(r2 + o), 8); store<f32>(dst, load<f32>(r3 + o), 12);
        dst += 16;
      }
    }
  }
  for (let jb = jb0; jb < jb1; jb++) {
    // a last panel of 1 to 4 columns (n = 20: columns 16..19) goes through a 4×4 kernel that reads
    // only its left half: half the work of the 4×8 one, which would multiply 4 columns of zeros
    const j0 = jb << 3, w = min(8, n - j0), four = w <= 4;
    const panel = panels + <usize>jb * panelBytes;
    let i = i0;
    for (; i + 4 <= i1; i += 4) {
      let pa = packed + ((<usize>(i - i0) * k) << 2);
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
      let pb = panel;
      if (w == 1) { // one column (a matrix-vector product): the group's 4 rows share one vector
        for (let p = 0; p < k; p++, pb += 32, pa += 16) s00 = f32x4.add(s00, f32x4.mul(v128.load(pa), v128.load32_splat(pb)));
        const c0 = c + ((<usize>i * n + j0) << 2);
        v128.store32_lane(c0, s00, 0); v128.store32_lane(c0 + rowC, s00, 1);
        v128.store32_lane(c0 + 2 * rowC, s00, 2); v128.store32_lane(c0 + 3 * rowC, s00, 3);
        continue;
      }
      if (four) {
        for (let p = 0; p < k; p++) {
          const b0 = v128.load(pb);
          s00 = f32x4.add(s00, f32x4.mul(v128.load32_splat(pa), b0)); s10 = f32x4.add(s10, f32x4.mul(v128.load32_splat(pa, 4), b0));
          s20 = f32x4.add(s20, f32x4.mul(v128.load32_splat(pa, 8), b0)); s30 = f32x4.add(s30, f32x4.mul(v128.load32_splat(pa, 12), b0));
          pb += 32; pa += 16;
        }
      } else {
        for (let p = 0; p < k; p++) {
          const b0 = v128.load(pb), b1 = v128.load(pb, 16);
          const x0 = v128.load32_splat(pa), x1 = v128.load32_splat(pa, 4);
          const x2 = v128.load32_splat(pa, 8), x3 = v128.load32_splat(pa, 12);
          s00 = f32x4.add(s00, f32x4.mul(x0, b0)); s01 = f32x4.add(s01, f32x4.mul(x0, b1));
          s10 = f32x4.add(s10, f32x4.mul(x1, b0)); s11 = f32x4.add(s11, f32x4.mul(x1, b1));
          s20 = f32x4.add(s20, f32x4.mul(x2, b0)); s21 = f32x4.add(s21, f32x4.mul(x2, b1));
          s30 = f32x4.add(s30, f32x4.mul(x3, b0)); s31 = f32x4.add(s31, f32x4.mul(x3, b1));
          pb += 32; pa += 16;
        }
      }
      const c0 = c + ((<usize>i * n + j0) << 2);
      if ((w & 3) == 0) { // whole vectors (8 columns, or the 4 of a 4-wide last panel)
        v128.store(c0, s00); v128.store(c0 + rowC, s10); v128.store(c0 + 2 * rowC, s20); v128.store(c0 + 3 * rowC, s30);
        if (w == 8) { v128.store(c0, s01, 16); v128.store(c0 + rowC, s11, 16); v128.store(c0 + 2 * rowC, s21, 16); v128.store(c0 + 3 * rowC, s31, 16); }
      } else {
        storeRow(c0, s00, s01, w); storeRow(c0 + rowC, s10, s11, w);
        storeRow(c0 + 2 * rowC, s20, s21, w); storeRow(c0 + 3 * rowC, s30, s31, w);
      }
    }
    for (; i < i1; i++) { // remaining rows, one at a time
      let pa = a + ((<usize>i * ars) << 2);
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
      for (let p = 0, pb = panel; p < k; p++) {
        const x = v128.load32_splat(pa);
        s0 = f32x4.add(s0, f32x4.mul(x, v128.load(pb)));
        s1 = f32x4.add(s1, f32x4.mul(x, v128.load(pb, 16)));
        pb += 32; pa += stepA;
      }
      storeRow(c + ((<usize>i * n + j0) << 2), s0, s1, w);
    }
  }
}
