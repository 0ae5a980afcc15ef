// Convolution kernels (NHWC input, HWIO filter) as implicit gemms: conv2d and its two backprop
// products, on the f32x4 register-blocked loop of gemm.ts. Pure: the geometry comes in a Geometry
// struct, tables and buffers in scratch memory. Compiled into the extra module.
//
// conv2d lowers to matrix products, cols · filter, with the filter's HWIO layout already a
// row-major [KH·KW·C × CO] matrix and cols the im2col matrix of the receptive fields; the two
// backprop kernels are the transposed products (dx = col2im(dy · filterᵀ), dfilter = colsᵀ · dy).
// None of them materialises cols: row `row` = (n·OH + oh)·OW + ow of cols holds the window of output
// pixel (n, oh, ow), column p = (i·KW + j)·C + c a tap of it. The image is laid out with its zero
// padding made explicit (an HB × WB copy, or the image itself when no window reaches past it), so
// cols(row, p) = image[base(row) + offset(p)] with one table of row bases and one of tap offsets
// (bytes). Each kernel gathers four rows' taps straight from the image into gemm's packed [k][4]
// layout (4×4 shuffle transposes when C is a multiple of 4) and runs the 4×8 f32x4 loop on them
// (dot4xN); the input gradient scatter-adds its block back into the image. This skips writing and
// re-reading a panel K times the size of the image (9× for a 3×3 window) and the per-pixel
// bookkeeping of im2col/col2im passes: the bench's cnn step went from ~13.3 to ~9.7 ms (best of
// 50, one process, same load). Reading the image in place with per-pixel checks on the windows
// that reach into the padding, instead of the padded copy, measured no faster.
import { storeTransposed } from "./gemm";

/** The geometry of one convolution or pooling call (TF's SAME/VALID rules applied). */
@final @unmanaged export class Geometry {
  n: i32; h: i32; w: i32; c: i32;   // input [N, H, W, C]
  kh: i32; kw: i32; co: i32;        // window / filter [KH, KW, C, CO]
  dh: i32; dw: i32;                 // dilations (taps dh rows / dw columns apart)
  oh: i32; ow: i32;                 // output [N, OH, OW, CO]
  sh: i32; sw: i32; pt: i32; pl: i32; // strides, leading (top / left) padding
  hb: i32; wb: i32;                 // extents of the padded image

  @inline static at(p: usize): Geometry { return changetype<Geometry>(p); }
  /**
   * Sets every field from the input, window, strides and dilations (same: TF's SAME padding, else
   * VALID). A dilated window covers (k − 1)·d + 1 pixels, which is what the padding and output
   * size rules see.
   */
  init(n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, co: i32, sh: i32, sw: i32, same: bool, dh: i32, dw: i32): Geometry {
    this.n = n; this.h = h; this.w = w; this.c = c; this.kh = kh; this.kw = kw; this.co = co;
    this.sh = sh; this.sw = sw; this.dh = dh; this.dw = dw;
    const eh = (kh - 1) * dh + 1, ew = (kw - 1) * dw + 1;
    this.oh = outSize(h, eh, sh, same); this.ow = outSize(w, ew, sw, same);
    this.pt = padBefore(h, eh, sh, same); this.pl = padBefore(w, ew, sw, same);
    const spanH = (this.oh - 1) * sh + eh, spanW = (this.ow - 1) * sw + ew; // rows / columns the windows cover
    this.hb = max(spanH, this.pt + h); this.wb = max(spanW, this.pl + w);
    return this;
  }
  /** Whether the image itself serves as the padded image (no window reaches past it). */
  @inline get unpadded(): bool { return this.pt == 0 && this.pl == 0 && this.hb == this.h && this.wb == this.w; }
  @inline get paddedBytes(): usize { return <usize>this.n * this.hb * this.wb * this.c << 2; }
  @inline get rows(): i32 { return this.n * this.oh * this.ow; }       // M: output pixels
  @inline get taps(): i32 { return this.kh * this.kw * this.c; }       // K: window taps
}
export const GEOMETRY_BYTES: usize = 80; // 17 fields, rounded up

/** TF's output size along one spatial dim. */
export function outSize(n: i32, k: i32, s: i32, same: bool): i32 {
  if (same) return (n + s - 1) / s;
  return n >= k ? (n - k) / s + 1 : 0;
}
/** TF's SAME rule: pad_total = max((ceil(n/s) - 1)·s + k - n, 0), pad_before = pad_total / 2. */
function padBefore(n: i32, k: i32, s: i32, same: bool): i32 {
  if (!same) return 0;
  const total = ((n + s - 1) / s - 1) * s + k - n;
  return total > 0 ? total >> 1 : 0;
}

/**
 * Copies images n0..n1-1 of x [N,H,W,C] into the padded buffer xb, zero outside the image
 * (toPadded), or the image part of xb back into x (its adjoint, for the input gradient).
 */
export function copyPadded(g: Geometry, x: usize, xb: usize, toPadded: bool, n0: i32, n1: i32): void {
  const pixel = <usize>g.c << 2, rowBytes = <usize>g.wb * pixel, imageRow = <usize>g.w * pixel;
  const left = <usize>g.pl * pixel, right = rowBytes - left - imageRow;
  let padded = xb + <usize>n0 * g.hb * rowBytes, image = x + <usize>n0 * g.h * imageRow;
  for (let n = n0; n < n1; n++) for (let hb = 0; hb < g.hb; hb++) {
    const h = hb - g.pt;
    if (h >= 0 && h < g.h) {
      if (toPadded) {
        memory.fill(padded, 0, left);
        memory.copy(padded + left, image, imageRow);
        memory.fill(padded + left + imageRow, 0, right);
      } else memory.copy(image, padded + left, imageRow);
      image += imageRow;
    } else if (toPadded) memory.fill(padded, 0, rowBytes);
    padded += rowBytes;
  }
}

/** Byte offset of tap p = (i·KW + j)·C + c (dilated: i·dh rows, j·dw columns down) from its window's corner in the padded image (K entries at `table`). */
export function tapOffsets(g: Geometry, table: usize): void {
  let at = table;
  for (let i = 0; i < g.kh; i++) for (let j = 0; j < g.kw; j++) for (let c = 0; c < g.c; c++) {
    store<u32>(at, <u32>((i * g.dh * g.wb + j * g.dw) * g.c + c) << 2);
    at += 4;
  }
}

/** Byte offset of each output pixel's window corner in the padded image (M entries at `table`). */
export function rowBases(g: Geometry, table: usize): void {
  let at = table;
  for (let n = 0; n < g.n; n++) for (let oh = 0; oh < g.oh; oh++) for (let ow = 0; ow < g.ow; ow++) {
    store<u32>(at, <u32>(((n * g.hb + oh * g.sh) * g.wb + ow * g.sw) * g.c) << 2);
    at += 4;
  }
}

/** Bytes of a partial 4×8 block (dot4xN's `block` scratch). */
export const BLOCK_BYTES: usize = 32 * 4;

/**
 * dst[r][j] = Σ_p pa[p][r] · B(p, j) for r < rows, j < n (or with `add`, +=), rows of dst `dstRow`
 * bytes apart: four rows packed [k][4] (gemm's layout) times B in 8-column blocks (block jb's
 * row p at pb + jb·blockStride + bRow·p: packPanels' layout, bRow 32, or a matrix whose row
 * length is a multiple of 8 read in place, blockStride 32), with the 4×8 f32x4
 * register-blocked loop of linalg.ts. One function for the three conv kernels (one copy of the
 * loop in the wasm). The loop over column blocks lives here, not in the callers, because V8
 * unrolls only nested loops: as the function's outermost loop the k loop ran 34 instructions per
 * step against gemm's ~26 (V8's disassembly). A's four values are splat by shuffles from one
 * 16-byte load: here V8 spent an extra instruction on the address of each offset splat load. Now
 * ~29 per step; the time is the same (the step is bound by its 16 multiplies and adds), the
 * instruction count of the bench's cnn step 9 % lower. A full block goes from the registers
 * straight to dst, a partial one through `block` (BLOCK_BYTES of scratch).
 */
function dot4xN(pa: usize, pb: usize, blockStride: usize, bRow: usize, k: i32, dst: usize, dstRow: usize, rows: i32, n: i32, add: bool, block: usize): void {
  for (let j0 = 0; j0 < n; j0 += 8) {
    let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
    let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
    let a = pa, b = pb;
    for (let p = 0; p < k; p++) {
      const b0 = v128.load(b), b1 = v128.load(b, 16);
      const x = v128.load(a);
      const x0 = v128.shuffle<f32>(x, x, 0, 0, 0, 0), x1 = v128.shuffle<f32>(x, x, 1, 1, 1, 1);
      const x2 = v128.shuffle<f32>(x, x, 2, 2, 2, 2), x3 = v128.shuffle<f32>(x, x, 3, 3, 3, 3);
      s00 = f32x4.add(s00, f32x4.mul(x0, b0)); s01 = f32x4.add(s01, f32x4.mul(x0, b1));
      s10 = f32x4.add(s10, f32x4.mul(x1, b0)); s11 = f32x4.add(s11, f32x4.mul(x1, b1));
      s20 = f32x4.add(s20, f32x4.mul(x2, b0)); s21 = f32x4.add(s21, f32x4.mul(x2, b1));
      s30 = f32x4.add(s30, f32x4.mul(x3, b0)); s31 = f32x4.add(s31, f32x4.mul(x3, b1));
      a += 16; b += bRow;
    }
    pb += blockStride;
    const w = min(8, n - j0), full = rows == 4 && w == 8;
    const to = full ? dst + (<usize>j0 << 2) : block, row = full ? dstRow : 32;
    if (full && add) {
      s00 = f32x4.add(s00, v128.load(to)); s01 = f32x4.add(s01, v128.load(to, 16));
      s10 = f32x4.add(s10, v128.load(to + row)); s11 = f32x4.add(s11, v128.load(to + row, 16));
      s20 = f32x4.add(s20, v128.load(to + 2 * row)); s21 = f32x4.add(s21, v128.load(to + 2 * row, 16));
      s30 = f32x4.add(s30, v128.load(to + 3 * row)); s31 = f32x4.add(s31, v128.load(to + 3 * row, 16));
    }
    v128.store(to, s00); v128.store(to, s01, 16); v128.store(to + row, s10); v128.store(to + row, s11, 16);
    v128.store(to + 2 * row, s20); v128.store(to + 2 * row, s21, 16); v128.store(to + 3 * row, s30); v128.store(to + 3 * row, s31, 16);
    if (full) continue;
    // the block's first `rows` rows and `w` columns into dst
    for (let r = 0; r < rows; r++) {
      const d = dst + <usize>r * dstRow + (<usize>j0 << 2), from = block + (<usize>r << 5);
      for (let t: usize = 0; t < (<usize>w << 2); t += 4) store<f32>(d + t, add ? load<f32>(d + t) + load<f32>(from + t) : load<f32>(from + t));
    }
  }
}

@inline function lastRow(bases: usize, row: i32, last: i32): usize { return <usize>load<u32>(bases + (<usize>min(row, last) << 2)); }

/**
 * Gathers the windows of four rows (corners a0..a3 in the image) into `group` [K][4], the layout
 * gemm packs its rows into, so the kernels read a tap of all four rows through one pointer.
 */
function gatherGroup(group: usize, a0: usize, a1: usize, a2: usize, a3: usize, offsets: usize, K: i32, C: i32): void {
  let to = group, po = offsets, p = 0;
  if ((C & 3) == 0) { // taps come in runs of C adjacent channels: 4×4 blocks transposed with shuffles
    for (; p < K; p += 4) {
      const o = <usize>load<u32>(po);
      storeTransposed(v128.load(a0 + o), v128.load(a1 + o), v128.load(a2 + o), v128.load(a3 + o), to, 16);
      to += 64; po += 16;
    }
    return;
  }
  for (; p < K; p++) {
    const o = <usize>load<u32>(po);
    store<f32>(to, load<f32>(a0 + o)); store<f32>(to, load<f32>(a1 + o), 4);
    store<f32>(to, load<f32>(a2 + o), 8); store<f32>(to, load<f32>(a3 + o), 12);
    to += 16; po += 4;
  }
}

/**
 * out [M × CO] = cols · filter for output rows r0..r1-1 (r0 a multiple of 4: groups of four rows
 * start where the whole loop's do, so a range computes its rows exactly as the whole call does):
 * `panels` is the filter [K × CO] packed by packPanels.
 */
export function convForward(g: Geometry, img: usize, bases: usize, offsets: usize, panels: usize, group: usize, out: usize, block: usize, r0: i32, r1: i32): void {
  const K = g.taps, CO = g.co;
  const rowBytes = <usize>CO << 2;
  for (let row = r0; row < r1; row += 4) {
    // a last group of fewer than 4 rows repeats its last row and stores only the real ones
    gatherGroup(group, img + lastRow(bases, row, r1 - 1), img + lastRow(bases, row + 1, r1 - 1),
      img + lastRow(bases, row + 2, r1 - 1), img + lastRow(bases, row + 3, r1 - 1), offsets, K, g.c);
    dot4xN(group, panels, <usize>K << 5, 32, K, out + <usize>row * rowBytes, rowBytes, min(4, r1 - row), CO, false, block);
  }
}

export const FILTER_ROWS = 128; // output pixels per pass of the filter gradient: their dy and windows stay in L1

/**
 * df += colsᵀ · dy for the taps of groups tg0..tg1-1 (four taps a group) and the columns of
 * 8-column blocks jb0..jb1-1 (df: the element of tap 4·tg0 and column 8·jb0, taps dfRow bytes
 * apart), with dy [M × CO] read in place when CO is a multiple of 8,
 * else packed by packPanels (block jb's row `row` at dy + jb·M·32 + row·32): the pack was a
 * serial pass over dy on the calling thread, 6.4 MB for the bench's first layer. Every element of df sums its rows in row order whatever the range (a
 * range splits df, never the sum), so ranges give the whole call's bits.
 * For each chunk of rows and four taps, the taps' values are first gathered into `group` [rows][4]
 * (one 16-byte load per row when C is a multiple of 4), then every 8-column block of dy is
 * multiplied against them through one pointer, as in gemm.
 */
export function convFilter(g: Geometry, img: usize, bases: usize, offsets: usize, dy: usize, group: usize, df: usize, dfRow: usize, block: usize, tg0: i32, tg1: i32, jb0: i32, jb1: i32): void {
  const M = g.rows, K = g.taps, CO = g.co;
  const rowBytes = <usize>CO << 2, cols = min(CO, jb1 << 3) - (jb0 << 3);
  const adjacent = (g.c & 3) == 0; // then taps p0..p0+3 (p0 a multiple of 4) are adjacent channels
  const inPlace = (CO & 7) == 0, dyRow: usize = inPlace ? rowBytes : 32, blockStride: usize = inPlace ? 32 : <usize>M << 5;
  dy += <usize>jb0 * blockStride; df -= <usize>(tg0 << 2) * dfRow;
  for (let r0 = 0; r0 < M; r0 += FILTER_ROWS) {
    const r1 = min(M, r0 + FILTER_ROWS);
    for (let p0 = tg0 << 2, end = min(K, tg1 << 2); p0 < end; p0 += 4) {
      // four taps: a last group of fewer repeats its last tap and adds only the real ones
      const o0 = <usize>load<u32>(offsets + (<usize>p0 << 2)), o1 = <usize>load<u32>(offsets + (<usize>min(p0 + 1, K - 1) << 2));
      const o2 = <usize>load<u32>(offsets + (<usize>min(p0 + 2, K - 1) << 2)), o3 = <usize>load<u32>(offsets + (<usize>min(p0 + 3, K - 1) << 2));
      let to = group, pr = bases + (<usize>r0 << 2);
      for (let row = r0; row < r1; row++) {
        const a = img + <usize>load<u32>(pr);
        if (adjacent) v128.store(to, v128.load(a + o0));
        else {
          store<f32>(to, load<f32>(a + o0)); store<f32>(to, load<f32>(a + o1), 4);
          store<f32>(to, load<f32>(a + o2), 8); store<f32>(to, load<f32>(a + o3), 12);
        }
        to += 16; pr += 4;
      }
      dot4xN(group, dy + <usize>r0 * dyRow, blockStride, dyRow, r1 - r0, df + <usize>p0 * dfRow, dfRow, min(4, K - p0), cols, true, block);
    }
  }
}

/**
 * dimg[base(row) + offset(p)] += (dy · filterᵀ)(row, p) for the rows of images n0..n1-1: `panels`
 * is filterᵀ [CO × K] packed by packPanels. Windows overlap, so rows are not disjoint in dimg, but
 * images are (each has its own rows of the padded image); groups of four rows start afresh at each
 * image, so every element of dimg gets its terms in the same order whichever images a call covers.
 * The four dy rows of a group are first interleaved into `group` [CO][4], so the inner loop reads
 * them through one pointer like gemm's packed rows (the reduction is only CO long); the group's
 * four rows of products land in `products` [4][K rounded up to 8], then are added into the image
 * tap by tap.
 */
export function convInput(g: Geometry, dimg: usize, bases: usize, offsets: usize, dy: usize, panels: usize, group: usize, products: usize, block: usize, n0: i32, n1: i32): void {
  const P = g.oh * g.ow;
  for (let n = n0; n < n1; n++) convInputRows(g, dimg, bases, offsets, dy, panels, group, products, block, n * P, (n + 1) * P);
}

function convInputRows(g: Geometry, dimg: usize, bases: usize, offsets: usize, dy: usize, panels: usize, group: usize, products: usize, block: usize, r0: i32, r1: i32): void {
  const K = g.taps, CO = g.co, last = r1 - 1;
  const blocks = (K + 7) >> 3, productRow = <usize>blocks << 5, dyRow = <usize>CO << 2;
  for (let row = r0; row < r1; row += 4) {
    const rows = min(4, r1 - row), rowBase = bases + (<usize>row << 2);
    const d0 = dy + <usize>row * dyRow, d1 = dy + <usize>min(row + 1, last) * dyRow;
    const d2 = dy + <usize>min(row + 2, last) * dyRow, d3 = dy + <usize>min(row + 3, last) * dyRow;
    let to = group, q: usize = 0;
    if ((CO & 3) == 0) for (; q < dyRow; q += 16) { // 4×4 blocks transposed with shuffles
      storeTransposed(v128.load(d0 + q), v128.load(d1 + q), v128.load(d2 + q), v128.load(d3 + q), to, 16);
      to += 64;
    }
    for (; q < dyRow; q += 4) {
      store<f32>(to, load<f32>(d0 + q)); store<f32>(to, load<f32>(d1 + q), 4);
      store<f32>(to, load<f32>(d2 + q), 8); store<f32>(to, load<f32>(d3 + q), 12);
      to += 16;
    }
    dot4xN(group, panels, <usize>CO << 5, 32, CO, products, productRow, 4, blocks << 3, false, block);
    for (let jb = 0; jb < blocks; jb++) {
      const p0 = jb << 3, w = min(8, K - p0);
      const first = <usize>load<u32>(offsets + (<usize>p0 << 2));
      // the 8 taps are adjacent channels of one pixel (C a multiple of 8): add 8 floats per row
      const adjacent = w == 8 && <usize>load<u32>(offsets + (<usize>(p0 + 7) << 2)) == first + 28;
      for (let r = 0; r < rows; r++) {
        const base = dimg + <usize>load<u32>(rowBase + (<usize>r << 2)), from = products + <usize>r * productRow + (<usize>p0 << 2);
        if (adjacent) {
          const at = base + first;
          v128.store(at, f32x4.add(v128.load(at), v128.load(from))); v128.store(at, f32x4.add(v128.load(at, 16), v128.load(from, 16)), 16);
          continue;
        }
        for (let t = 0; t < w; t++) {
          const at = base + <usize>load<u32>(offsets + (<usize>(p0 + t) << 2));
          store<f32>(at, load<f32>(at) + load<f32>(from + (<usize>t << 2)));
        }
      }
    }
  }
}

