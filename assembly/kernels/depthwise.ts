// Depthwise convolution kernels (NHWC input, filter [KH, KW, C, M]): every input channel c has its
// own M filters, output channel c·M + k. Pure, like conv.ts, whose Geometry (with co = C·M), padded
// image and row-base table they share: the reduction is only KH·KW long per output, so these are
// direct loops (f32x4 over channels when M = 1, MobileNet's case) rather than gemms.
import { Geometry } from "./conv";

/** Byte offset of window tap (i, j) from its window's corner in the padded image. */
@inline function tapOffset(g: Geometry, i: i32, j: i32): usize { return <usize>((i * g.dh * g.wb + j * g.dw) * g.c) << 2; }

/** o[i] += a[i] · b[i] for i < n. */
@inline function addProducts(o: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) { const k = <usize>i << 2; v128.store(o + k, f32x4.add(v128.load(o + k), f32x4.mul(v128.load(a + k), v128.load(b + k)))); }
  for (; i < n; i++) { const k = <usize>i << 2; store<f32>(o + k, load<f32>(o + k) + load<f32>(a + k) * load<f32>(b + k)); }
}
/** o[c·M + k] += a[c] · b[c·M + k] for c < C, k < M (an input channel against its M outputs). */
@inline function addGroupProducts(o: usize, a: usize, b: usize, C: i32, M: i32): void {
  if (M == 1) { addProducts(o, a, b, C); return; }
  for (let c = 0; c < C; c++) {
    const v = load<f32>(a + (<usize>c << 2));
    for (let k = c * M, end = k + M; k < end; k++) { const q = <usize>k << 2; store<f32>(o + q, load<f32>(o + q) + v * load<f32>(b + q)); }
  }
}

/** out[row, c·M + k] = Σ_ij img[base(row) + tap(i, j) + c] · f[i, j, c, k] for rows r0..r1-1 (fully written). */
export function depthwiseForward(g: Geometry, img: usize, bases: usize, f: usize, out: usize, r0: i32, r1: i32): void {
  const C = g.c, CO = g.co, M = CO / C, rowBytes = <usize>CO << 2;
  for (let row = r0; row < r1; row++) {
    const base = img + <usize>load<u32>(bases + (<usize>row << 2)), o = out + <usize>row * rowBytes;
    memory.fill(o, 0, rowBytes);
    for (let i = 0; i < g.kh; i++) for (let j = 0; j < g.kw; j++)
      addGroupProducts(o, base + tapOffset(g, i, j), f + <usize>(i * g.kw + j) * rowBytes, C, M);
  }
}

/**
 * dimg[base(row) + tap(i, j) + c] += Σ_k dy[row, c·M + k] · f[i, j, c, k] for the rows of images
 * n0..n1-1 (dimg zeroed by the caller): images are disjoint in dimg, and each element gets its
 * terms in row order whichever images a call covers.
 */
export function depthwiseInput(g: Geometry, dimg: usize, bases: usize, f: usize, dy: usize, n0: i32, n1: i32): void {
  const C = g.c, CO = g.co, M = CO / C, rowBytes = <usize>CO << 2, P = g.oh * g.ow;
  for (let row = n0 * P, end = n1 * P; row < end; row++) {
    const base = dimg + <usize>load<u32>(bases + (<usize>row << 2)), d = dy + <usize>row * rowBytes;
    for (let i = 0; i < g.kh; i++) for (let j = 0; j < g.kw; j++) {
      const a = base + tapOffset(g, i, j), w = f + <usize>(i * g.kw + j) * rowBytes;
      if (M == 1) { addProducts(a, d, w, C); continue; }
      for (let c = 0; c < C; c++) {
        let s: f32 = 0;
        for (let k = c * M, end = k + M; k < end; k++) { const q = <usize>k << 2; s += load<f32>(d + q) * load<f32>(w + q); }
        const p = a + (<usize>c << 2);
        store<f32>(p, load<f32>(p) + s);
      }
    }
  }
}

/**
 * df[i, j, c, k] += Σ_row img[base(row) + tap(i, j) + c] · dy[row, c·M + k] for input channels
 * c0..c1-1 (df: the element of tap 0 and output channel c0·M, taps dfRow bytes apart; zeroed by
 * the caller): a channel range splits df, never its sums over rows, which run in row order (f32x4
 * lanes round as scalars do), so ranges give the whole call's bits.
 */
export function depthwiseFilter(g: Geometry, img: usize, bases: usize, dy: usize, df: usize, dfRow: usize, c0: i32, c1: i32): void {
  const C = g.c, CO = g.co, M = CO / C, rowBytes = <usize>CO << 2, rows = g.rows;
  const inOff = <usize>c0 << 2, outOff = <usize>(c0 * M) << 2;
  for (let row = 0; row < rows; row++) {
    const base = img + <usize>load<u32>(bases + (<usize>row << 2)) + inOff, d = dy + <usize>row * rowBytes + outOff;
    for (let i = 0; i < g.kh; i++) for (let j = 0; j < g.kw; j++)
      addGroupProducts(df + <usize>(i * g.kw + j) * dfRow, base + tapOffset(g, i, j), d, c1 - c0, M);
  }
}
