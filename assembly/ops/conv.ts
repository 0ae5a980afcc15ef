// Convolution and pooling (NHWC), with backward rules that are themselves recorded ops.
//
// conv2d lowers to matrix products, cols · filter, with the filter's HWIO layout already a
// row-major [KH·KW·C × CO] matrix and cols the im2col matrix of the receptive fields; the two
// backprop kernels are the transposed products (dx = col2im(dy · filterᵀ), dfilter = colsᵀ · dy).
// None of them materialises cols: see "implicit-gemm kernels" below.
//
// Attributes (the three int slots of a tape record):
//   a0 = sh | sw << 15 | same << 30   strides (1..32767) and the padding flag (1 = TF's SAME)
//   a1 = kh | kw << 16                window / filter size when it cannot be read off an input
//   a2 = h | w << 16                  the spatial size of the forward input when it cannot either
// The TypeScript wrapper validates every shape and the ranges above before calling in.
//
// Gradient graph (every arrow a recorded kernel, so derivatives of any order exist):
//   Conv2D(x, f)               dx = BackpropInput(dy, f)    df = BackpropFilter(x, dy)
//   BackpropInput(dy, f) → dx  d(dy) = Conv2D(g, f)         df = BackpropFilter(g, dy)
//   BackpropFilter(x, dy) → df dx = BackpropInput(dy, g)    d(dy) = Conv2D(x, g)
//   MaxPool(v[, src])          dv = MaxPoolGrad(src ?? v, dy)   (argmax taken on src, first max wins)
//   MaxPoolGrad(src, dy) → dx  d(dy) = MaxPool(g, src)  (g gathered at the argmax)   dsrc = 0
//   AvgPool(x)                 dx = AvgPoolGrad(dy)
//   AvgPoolGrad(dy) → dx       d(dy) = AvgPool(g)
import { Op, DType } from "../opcodes";
import { alloc, free } from "../memory";
import { dataPtr, dim, newTensor, sizeOf } from "../tensor";
import { record, accumulate, needsGrad } from "../tape";
import { zerosLikeF } from "./elementwise";
import { packPanels, panelsBytes, storeTransposed } from "./linalg";
import { shapeBuf } from "./layout";

// ---- geometry of the current kernel call (kernels never nest while it is in use) ----
let gN = 0, gH = 0, gW = 0, gC = 0;     // input  [N, H, W, C]
let gKH = 0, gKW = 0, gCO = 0;          // window / filter [KH, KW, C, CO]
let gOH = 0, gOW = 0;                   // output [N, OH, OW, CO]
let gSH = 1, gSW = 1, gPT = 0, gPL = 0; // strides, leading (top / left) padding

@inline function strideH(a0: i32): i32 { return a0 & 0x7fff; }
@inline function strideW(a0: i32): i32 { return (a0 >> 15) & 0x7fff; }
@inline function isSame(a0: i32): bool { return ((a0 >> 30) & 1) != 0; }
@inline function lo16(v: i32): i32 { return v & 0xffff; }
@inline function hi16(v: i32): i32 { return (v >>> 16) & 0xffff; }

/** TF's output size along one spatial dim. */
function outSize(n: i32, k: i32, s: i32, same: bool): i32 {
  if (same) return (n + s - 1) / s;
  return n >= k ? (n - k) / s + 1 : 0;
}
/** TF's SAME rule: pad_total = max((ceil(n/s) - 1)·s + k - n, 0), pad_before = pad_total / 2. */
function padBefore(n: i32, k: i32, s: i32, same: bool): i32 {
  if (!same) return 0;
  const total = ((n + s - 1) / s - 1) * s + k - n;
  return total > 0 ? total >> 1 : 0;
}

function setGeometry(n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, co: i32, a0: i32): void {
  gN = n; gH = h; gW = w; gC = c; gKH = kh; gKW = kw; gCO = co;
  gSH = strideH(a0); gSW = strideW(a0);
  const same = isSame(a0);
  gOH = outSize(h, kh, gSH, same); gOW = outSize(w, kw, gSW, same);
  gPT = padBefore(h, kh, gSH, same); gPL = padBefore(w, kw, gSW, same);
}

function new4d(d0: i32, d1: i32, d2: i32, d3: i32, zero: bool): i32 {
  store<i32>(shapeBuf, d0); store<i32>(shapeBuf, d1, 4); store<i32>(shapeBuf, d2, 8); store<i32>(shapeBuf, d3, 12);
  const id = newTensor(DType.Float32, 4, shapeBuf);
  if (zero) memory.fill(dataPtr(id), 0, <usize>sizeOf(id) << 2);
  return id;
}

@inline function copyFloats(dst: usize, src: usize, n: i32): void {
  if (n >= 16) { memory.copy(dst, src, <usize>n << 2); return; }
  for (let c = 0; c < n; c++) store<f32>(dst + (<usize>c << 2), load<f32>(src + (<usize>c << 2)));
}
@inline function addFloats(dst: usize, src: usize, n: i32): void {
  let c = 0;
  for (; c + 4 <= n; c += 4) { const k = <usize>c << 2; v128.store(dst + k, f32x4.add(v128.load(dst + k), v128.load(src + k))); }
  for (; c < n; c++) { const k = <usize>c << 2; store<f32>(dst + k, load<f32>(dst + k) + load<f32>(src + k)); }
}

// ---- implicit-gemm kernels ----
// Row `row` = (n·OH + oh)·OW + ow of cols holds the window of output pixel (n, oh, ow), column
// p = (i·KW + j)·C + c a tap of it. The image is laid out with its zero padding made explicit (an
// HB × WB copy, or the image itself when no window reaches past it), so cols(row, p) =
// image[base(row) + offset(p)] with one table of row bases and one of tap offsets (bytes). Each
// kernel gathers four rows' taps straight from the image into gemm's packed [k][4] layout (4×4
// shuffle transposes when C is a multiple of 4) and runs the 4×8 f32x4 register-blocked loop of
// linalg.ts on them (dot4xN); the input gradient scatter-adds its block back into the image. This
// skips writing and re-reading a panel K times the size of the image (9× for a 3×3 window) and the
// per-pixel bookkeeping of the old im2col/col2im passes: the bench's cnn step went from ~13.3 to
// ~9.7 ms (best of 50, one process, same load). Reading the image in place with per-pixel checks
// on the windows that reach into the padding, instead of the padded copy, measured no faster.
let gHB = 0, gWB = 0; // extents of the padded image

/** Sets the padded extents; true if the image itself serves (no window reaches past it). */
function setPaddedExtents(): bool {
  const spanH = (gOH - 1) * gSH + gKH, spanW = (gOW - 1) * gSW + gKW; // rows / columns the windows cover
  gHB = max(spanH, gPT + gH); gWB = max(spanW, gPL + gW);
  return gPT == 0 && gPL == 0 && gHB == gH && gWB == gW;
}
@inline function paddedBytes(): usize { return <usize>gN * gHB * gWB * gC << 2; }

/**
 * Copies image x [N,H,W,C] into the padded buffer xb, zero outside the image (toPadded), or the
 * image part of xb back into x (its adjoint, for the input gradient).
 */
function copyPadded(x: usize, xb: usize, toPadded: bool): void {
  const pixel = <usize>gC << 2, rowBytes = <usize>gWB * pixel, imageRow = <usize>gW * pixel;
  const left = <usize>gPL * pixel, right = rowBytes - left - imageRow;
  let padded = xb, image = x;
  for (let n = 0; n < gN; n++) for (let hb = 0; hb < gHB; hb++) {
    const h = hb - gPT;
    if (h >= 0 && h < gH) {
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

/** Byte offset of tap p = (i·KW + j)·C + c from its window's corner in the padded image (K entries). */
function tapOffsets(): usize {
  const table = alloc(<usize>gKH * gKW * gC << 2);
  let at = table;
  for (let i = 0; i < gKH; i++) for (let j = 0; j < gKW; j++) for (let c = 0; c < gC; c++) {
    store<u32>(at, <u32>((i * gWB + j) * gC + c) << 2);
    at += 4;
  }
  return table;
}

/** Byte offset of each output pixel's window corner in the padded image (M entries). */
function rowBases(): usize {
  const table = alloc(<usize>gN * gOH * gOW << 2);
  let at = table;
  for (let n = 0; n < gN; n++) for (let oh = 0; oh < gOH; oh++) for (let ow = 0; ow < gOW; ow++) {
    store<u32>(at, <u32>(((n * gHB + oh * gSH) * gWB + ow * gSW) * gC) << 2);
    at += 4;
  }
  return table;
}

const block = memory.data(32 * 4, 16); // a partial 4×8 block, before its rows are copied out

/**
 * dst[r][j] = Σ_p pa[p][r] · B(p, j) for r < rows, j < n (or with `add`, +=), rows of dst `dstRow`
 * bytes apart: four rows packed [k][4] (gemm's layout) times B packed in 8-column panels
 * (packPanels' layout: block jb's row p at pb + jb·blockStride + 32·p), with the 4×8 f32x4
 * register-blocked loop of linalg.ts. One function for the three conv kernels (one copy of the
 * loop in the wasm). The loop over column blocks lives here, not in the callers, because V8
 * unrolls only nested loops: as the function's outermost loop the k loop ran 34 instructions per
 * step against gemm's ~26 (V8's disassembly). A's four values are splat by shuffles from one
 * 16-byte load: here V8 spent an extra instruction on the address of each offset splat load. Now
 * ~29 per step; the time is the same (the step is bound by its 16 multiplies and adds), the
 * instruction count of the bench's cnn step 9 % lower. A full block goes from the registers
 * straight to dst, a partial one through `block`.
 */
function dot4xN(pa: usize, pb: usize, blockStride: usize, k: i32, dst: usize, dstRow: usize, rows: i32, n: i32, add: bool): void {
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
      a += 16; b += 32;
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
function gatherGroup(group: usize, a0: usize, a1: usize, a2: usize, a3: usize, offsets: usize, K: i32): void {
  let to = group, po = offsets, p = 0;
  if ((gC & 3) == 0) { // taps come in runs of C adjacent channels: 4×4 blocks transposed with shuffles
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

/** out [M × CO] = cols · filter: `panels` is the filter [K × CO] packed by packPanels. */
function convForward(img: usize, bases: usize, offsets: usize, panels: usize, group: usize, out: usize, M: i32, K: i32, CO: i32): void {
  const rowBytes = <usize>CO << 2;
  for (let row = 0; row < M; row += 4) {
    // a last group of fewer than 4 rows repeats its last row and stores only the real ones
    gatherGroup(group, img + lastRow(bases, row, M - 1), img + lastRow(bases, row + 1, M - 1),
      img + lastRow(bases, row + 2, M - 1), img + lastRow(bases, row + 3, M - 1), offsets, K);
    dot4xN(group, panels, <usize>K << 5, K, out + <usize>row * rowBytes, rowBytes, min(4, M - row), CO, false);
  }
}

const FILTER_ROWS = 128; // output pixels per pass of the filter gradient: their dy and windows stay in L1

/**
 * df [K × CO] += colsᵀ · dy, with dy [M × CO] packed by packPanels (block jb's row `row` at
 * dy + jb·M·32 + row·32).
 * For each chunk of rows and four taps, the taps' values are first gathered into `group` [rows][4]
 * (one 16-byte load per row when C is a multiple of 4), then every 8-column block of dy is
 * multiplied against them through one pointer, as in gemm.
 */
function convFilter(img: usize, bases: usize, offsets: usize, dy: usize, group: usize, df: usize, M: i32, K: i32, CO: i32): void {
  const rowBytes = <usize>CO << 2;
  const adjacent = (gC & 3) == 0; // then taps p0..p0+3 (p0 a multiple of 4) are adjacent channels
  for (let r0 = 0; r0 < M; r0 += FILTER_ROWS) {
    const r1 = min(M, r0 + FILTER_ROWS);
    for (let p0 = 0; p0 < K; p0 += 4) {
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
      dot4xN(group, dy + (<usize>r0 << 5), <usize>M << 5, r1 - r0, df + <usize>p0 * rowBytes, rowBytes, min(4, K - p0), CO, true);
    }
  }
}

/**
 * dimg[base(row) + offset(p)] += (dy · filterᵀ)(row, p): `panels` is filterᵀ [CO × K] packed by
 * packPanels. The four dy rows of a group are first interleaved into `group` [CO][4], so the inner
 * loop reads them through one pointer like gemm's packed rows (the reduction is only CO long);
 * the group's four rows of products land in `products` [4][K rounded up to 8], then are added
 * into the image tap by tap.
 */
function convInput(dimg: usize, bases: usize, offsets: usize, dy: usize, panels: usize, group: usize, products: usize, M: i32, K: i32, CO: i32): void {
  const blocks = (K + 7) >> 3, productRow = <usize>blocks << 5, dyRow = <usize>CO << 2;
  for (let row = 0; row < M; row += 4) {
    const rows = min(4, M - row), rowBase = bases + (<usize>row << 2);
    const d0 = dy + <usize>row * dyRow, d1 = dy + <usize>min(row + 1, M - 1) * dyRow;
    const d2 = dy + <usize>min(row + 2, M - 1) * dyRow, d3 = dy + <usize>min(row + 3, M - 1) * dyRow;
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
    dot4xN(group, panels, <usize>CO << 5, CO, products, productRow, 4, blocks << 3, false);
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

/** The padded image of x (x itself when no padding is read), the tap and the row tables, for one kernel call. */
let gImg: usize = 0, gOffsets: usize = 0, gBases: usize = 0, gOwnImg = false;
function beginConv(x: usize, zeroed: bool): void {
  gOwnImg = !setPaddedExtents();
  if (gOwnImg) {
    gImg = alloc(paddedBytes());
    if (zeroed) memory.fill(gImg, 0, paddedBytes());
    else copyPadded(x, gImg, true);
  } else gImg = x;
  gOffsets = tapOffsets();
  gBases = rowBases();
}
function endConv(): void {
  if (gOwnImg) free(gImg, paddedBytes());
  free(gOffsets, <usize>gKH * gKW * gC << 2);
  free(gBases, <usize>gN * gOH * gOW << 2);
}

// ---- conv2d and its two backprop kernels ----
/** conv2d(x [N,H,W,C], filter [KH,KW,C,CO]) → [N,OH,OW,CO]. */
export function conv2d(x: i32, f: i32, a0: i32): i32 {
  setGeometry(dim(x, 0), dim(x, 1), dim(x, 2), dim(x, 3), dim(f, 0), dim(f, 1), dim(f, 3), a0);
  const out = new4d(gN, gOH, gOW, gCO, false);
  const M = gN * gOH * gOW, K = gKH * gKW * gC;
  if (M > 0 && gCO > 0) {
    beginConv(dataPtr(x), false);
    const panels = packPanels(dataPtr(f), gCO, 1, K, gCO);
    const group = alloc(<usize>K << 4);
    convForward(gImg, gBases, gOffsets, panels, group, dataPtr(out), M, K, gCO);
    free(group, <usize>K << 4);
    free(panels, panelsBytes(K, gCO));
    endConv();
  }
  record(Op.Conv2D, out, x, f, 0, a0);
  return out;
}

/** The gradient of conv2d w.r.t. its input: dx [N,H,W,C] from dy [N,OH,OW,CO] and the filter. */
export function conv2dBackpropInput(dy: i32, f: i32, a0: i32, hw: i32): i32 {
  setGeometry(dim(dy, 0), lo16(hw), hi16(hw), dim(f, 2), dim(f, 0), dim(f, 1), dim(f, 3), a0);
  const M = gN * gOH * gOW, K = gKH * gKW * gC;
  const work = M > 0 && K > 0 && gCO > 0;
  // zeroed unless a padded image is accumulated into and copied out
  const dx = new4d(gN, gH, gW, gC, !work || setPaddedExtents());
  if (work) {
    beginConv(dataPtr(dx), true); // a zeroed dx serves as its own padded image when no padding is read
    const panels = packPanels(dataPtr(f), 1, gCO, gCO, K); // filterᵀ
    const group = alloc(<usize>gCO << 4), products = alloc(<usize>((K + 7) >> 3) << 7);
    convInput(gImg, gBases, gOffsets, dataPtr(dy), panels, group, products, M, K, gCO);
    free(group, <usize>gCO << 4); free(products, <usize>((K + 7) >> 3) << 7);
    free(panels, panelsBytes(gCO, K));
    if (gOwnImg) copyPadded(dataPtr(dx), gImg, false);
    endConv();
  }
  record(Op.Conv2DBackpropInput, dx, dy, f, 0, a0, hw);
  return dx;
}

/** The gradient of conv2d w.r.t. its filter: df [KH,KW,C,CO] from x [N,H,W,C] and dy [N,OH,OW,CO]. */
export function conv2dBackpropFilter(x: i32, dy: i32, a0: i32, khw: i32): i32 {
  setGeometry(dim(x, 0), dim(x, 1), dim(x, 2), dim(x, 3), lo16(khw), hi16(khw), dim(dy, 3), a0);
  const df = new4d(gKH, gKW, gC, gCO, true);
  const M = gN * gOH * gOW, K = gKH * gKW * gC;
  if (M > 0 && K > 0 && gCO > 0) {
    beginConv(dataPtr(x), false);
    // dy packed in 8-column panels, like the filters for the other two kernels, so dot4xN has one
    // layout for B (a pass over dy; reading it in place when CO is a multiple of 8 timed the same)
    const pdy = packPanels(dataPtr(dy), gCO, 1, M, gCO);
    const group = alloc(FILTER_ROWS << 4);
    convFilter(gImg, gBases, gOffsets, pdy, group, dataPtr(df), M, K, gCO);
    free(group, FILTER_ROWS << 4);
    free(pdy, panelsBytes(M, gCO));
    endConv();
  }
  record(Op.Conv2DBackpropFilter, df, x, dy, 0, a0, khw);
  return df;
}

// ---- pooling ----
/**
 * For output pixel (n, oh, ow): per channel, the value and flat pixel index of the window's first
 * maximum of `src` (a NaN beats every number, the first NaN wins), into bestV / bestI.
 */
function windowArgmax(src: usize, n: i32, oh: i32, ow: i32, bestV: usize, bestI: usize): void {
  const C = gC;
  let first = true;
  for (let i = 0; i < gKH; i++) {
    const h = oh * gSH - gPT + i;
    if (h < 0 || h >= gH) continue;
    for (let j = 0; j < gKW; j++) {
      const w = ow * gSW - gPL + j;
      if (w < 0 || w >= gW) continue;
      const pix = (n * gH + h) * gW + w;
      const p = src + (<usize>pix * C << 2);
      if (first) {
        for (let c = 0; c < C; c++) { store<f32>(bestV + (<usize>c << 2), load<f32>(p + (<usize>c << 2))); store<i32>(bestI + (<usize>c << 2), pix); }
        first = false;
        continue;
      }
      for (let c = 0; c < C; c++) {
        const k = <usize>c << 2;
        const v = load<f32>(p + k), b = load<f32>(bestV + k);
        if (v > b || (v != v && b == b)) { store<f32>(bestV + k, v); store<i32>(bestI + k, pix); }
      }
    }
  }
}

/**
 * Walks every output window with the per-channel argmax of `src` (geometry already set):
 * gathers `values` there into `out` (window-shaped output), or with `scatter` adds `values`
 * (window-shaped) into `out` (input-shaped) there. `pickOwn`: gather the maxima of src itself.
 */
function walkArgmax(src: i32, values: i32, out: i32, scatter: bool, pickOwn: bool): void {
  const C = gC;
  const scratch = <usize>C << 2;
  const bestV = alloc(scratch), bestI = alloc(scratch);
  const ps = dataPtr(src), pv = dataPtr(values), po = dataPtr(out);
  let window: usize = 0; // offset of the current output pixel in window-shaped data
  for (let n = 0; n < gN; n++) for (let oh = 0; oh < gOH; oh++) for (let ow = 0; ow < gOW; ow++) {
    windowArgmax(ps, n, oh, ow, bestV, bestI);
    if (pickOwn) copyFloats(po + window, bestV, C);
    else for (let c = 0; c < C; c++) {
      const at = (<usize>load<i32>(bestI + (<usize>c << 2)) * C + c) << 2; // the argmax in input-shaped data
      if (scatter) store<f32>(po + at, load<f32>(po + at) + load<f32>(pv + window + (<usize>c << 2)));
      else store<f32>(po + window + (<usize>c << 2), load<f32>(pv + at));
    }
    window += scratch;
  }
  free(bestV, scratch); free(bestI, scratch);
}

/**
 * Max pooling of `values` with the argmax taken on `src` (0: on `values` itself, the user op).
 * With src = x and values = g this gathers g at x's argmax positions: the backward of MaxPoolGrad.
 */
function maxPoolOf(values: i32, src: i32, a0: i32, win: i32): i32 {
  setGeometry(dim(values, 0), dim(values, 1), dim(values, 2), dim(values, 3), lo16(win), hi16(win), dim(values, 3), a0);
  const out = new4d(gN, gOH, gOW, gC, false);
  if (sizeOf(out) > 0) walkArgmax(src != 0 ? src : values, values, out, false, src == 0);
  record(Op.MaxPool, out, values, src, 0, a0, win);
  return out;
}

/** maxPool(x [N,H,W,C]) → [N,OH,OW,C]. */
export function maxPool(x: i32, a0: i32, win: i32): i32 { return maxPoolOf(x, 0, a0, win); }

/** dx [N,H,W,C]: dy routed to the argmax of each window of x (summed where windows share it). */
function maxPoolGrad(x: i32, dy: i32, a0: i32, win: i32): i32 {
  setGeometry(dim(x, 0), dim(x, 1), dim(x, 2), dim(x, 3), lo16(win), hi16(win), dim(x, 3), a0);
  const dx = new4d(gN, gH, gW, gC, true);
  if (sizeOf(dy) > 0) walkArgmax(x, dy, dx, true, false);
  record(Op.MaxPoolGrad, dx, x, dy, 0, a0, win);
  return dx;
}

/** Valid (unpadded) elements in the window of output pixel (oh, ow). */
function windowCount(oh: i32, ow: i32): i32 {
  let h0 = oh * gSH - gPT, w0 = ow * gSW - gPL;
  let h1 = h0 + gKH, w1 = w0 + gKW;
  if (h0 < 0) h0 = 0; if (w0 < 0) w0 = 0;
  if (h1 > gH) h1 = gH; if (w1 > gW) w1 = gW;
  return (h1 - h0) * (w1 - w0);
}

/** avgPool(x [N,H,W,C]) → [N,OH,OW,C], dividing by the count of valid (unpadded) elements. */
export function avgPool(x: i32, a0: i32, win: i32): i32 {
  setGeometry(dim(x, 0), dim(x, 1), dim(x, 2), dim(x, 3), lo16(win), hi16(win), dim(x, 3), a0);
  const out = new4d(gN, gOH, gOW, gC, true);
  const C = gC;
  if (sizeOf(out) > 0) {
    const px = dataPtr(x);
    let po = dataPtr(out);
    for (let n = 0; n < gN; n++) for (let oh = 0; oh < gOH; oh++) for (let ow = 0; ow < gOW; ow++) {
      for (let i = 0; i < gKH; i++) {
        const h = oh * gSH - gPT + i;
        if (h < 0 || h >= gH) continue;
        for (let j = 0; j < gKW; j++) {
          const w = ow * gSW - gPL + j;
          if (w < 0 || w >= gW) continue;
          addFloats(po, px + (<usize>((n * gH + h) * gW + w) * C << 2), C);
        }
      }
      const count = <f32>windowCount(oh, ow);
      for (let c = 0; c < C; c++) { const k = po + (<usize>c << 2); store<f32>(k, load<f32>(k) / count); }
      po += <usize>C << 2;
    }
  }
  record(Op.AvgPool, out, x, 0, 0, a0, win);
  return out;
}

/** dx [N,H,W,C] (H, W from `hw`): each dy spread evenly over its window's valid elements. */
function avgPoolGrad(dy: i32, a0: i32, win: i32, hw: i32): i32 {
  setGeometry(dim(dy, 0), lo16(hw), hi16(hw), dim(dy, 3), lo16(win), hi16(win), dim(dy, 3), a0);
  const dx = new4d(gN, gH, gW, gC, true);
  const C = gC;
  if (sizeOf(dy) > 0) {
    const scratch = <usize>C << 2;
    const share = alloc(scratch);
    const pdx = dataPtr(dx);
    let pdy = dataPtr(dy);
    for (let n = 0; n < gN; n++) for (let oh = 0; oh < gOH; oh++) for (let ow = 0; ow < gOW; ow++) {
      const count = <f32>windowCount(oh, ow);
      for (let c = 0; c < C; c++) store<f32>(share + (<usize>c << 2), load<f32>(pdy + (<usize>c << 2)) / count);
      for (let i = 0; i < gKH; i++) {
        const h = oh * gSH - gPT + i;
        if (h < 0 || h >= gH) continue;
        for (let j = 0; j < gKW; j++) {
          const w = ow * gSW - gPL + j;
          if (w < 0 || w >= gW) continue;
          addFloats(pdx + (<usize>((n * gH + h) * gW + w) * C << 2), share, C);
        }
      }
      pdy += scratch;
    }
    free(share, scratch);
  }
  record(Op.AvgPoolGrad, dx, dy, 0, 0, a0, win, hw);
  return dx;
}

@inline function packHW(x: i32): i32 { return dim(x, 1) | (dim(x, 2) << 16); }
@inline function packKernel(f: i32): i32 { return dim(f, 0) | (dim(f, 1) << 16); }

/** Backward rules of the ops in this file (dispatched from backward.ts). */
export function convBackward(op: i32, out: i32, in0: i32, in1: i32, in2: i32, a0: i32, a1: i32, a2: i32, dy: i32): void {
  switch (op) {
    case Op.Conv2D: // in0 = x, in1 = filter
      if (needsGrad(in0)) accumulate(in0, conv2dBackpropInput(dy, in1, a0, packHW(in0)));
      if (needsGrad(in1)) accumulate(in1, conv2dBackpropFilter(in0, dy, a0, packKernel(in1)));
      break;
    case Op.Conv2DBackpropInput: // in0 = dy', in1 = filter; out has x's shape
      if (needsGrad(in0)) accumulate(in0, conv2d(dy, in1, a0));
      if (needsGrad(in1)) accumulate(in1, conv2dBackpropFilter(dy, in0, a0, packKernel(in1)));
      break;
    case Op.Conv2DBackpropFilter: // in0 = x, in1 = dy'; out has the filter's shape
      if (needsGrad(in0)) accumulate(in0, conv2dBackpropInput(in1, dy, a0, packHW(in0)));
      if (needsGrad(in1)) accumulate(in1, conv2d(in0, dy, a0));
      break;
    case Op.MaxPool: // in0 = values, in1 = argmax source (0: in0)
      if (needsGrad(in0)) accumulate(in0, maxPoolGrad(in1 != 0 ? in1 : in0, dy, a0, a1));
      if (needsGrad(in1)) accumulate(in1, zerosLikeF(in1)); // the argmax is piecewise constant
      break;
    case Op.MaxPoolGrad: // in0 = x (argmax source), in1 = dy'
      if (needsGrad(in1)) accumulate(in1, maxPoolOf(dy, in0, a0, a1));
      if (needsGrad(in0)) accumulate(in0, zerosLikeF(in0));
      break;
    case Op.AvgPool:
      if (needsGrad(in0)) accumulate(in0, avgPoolGrad(dy, a0, a1, packHW(in0)));
      break;
    case Op.AvgPoolGrad:
      if (needsGrad(in0)) accumulate(in0, avgPool(dy, a0, a1));
      break;
  }
}
