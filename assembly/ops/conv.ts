// Convolution and pooling (NHWC), with backward rules that are themselves recorded ops.
//
// conv2d lowers to matrix products: each chunk of output positions gathers its receptive fields
// into an im2col panel [rows × KH·KW·C] and multiplies it by the filter, which HWIO layout already
// makes a row-major [KH·KW·C × CO] matrix, with the SIMD `gemm` of linalg.ts. The two backprop
// kernels are the transposed products (dcols = dy · filterᵀ scattered back by col2im; dfilter =
// colsᵀ · dy, both read through strides, with no transposed copies). Panels are built chunk by
// chunk so scratch memory stays bounded.
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
import { gemm, gemmStrided } from "./linalg";
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

// ---- im2col / col2im over a chunk of output rows (row = (n·OH + oh)·OW + ow) ----
const CHUNK_FLOATS: i32 = 1 << 18; // 1 MiB of panel per chunk

/** Output rows per chunk for a panel of k floats per row (a multiple of 4 for gemm's row blocks). */
function chunkRows(k: i32, m: i32): i32 {
  let r = k > 0 ? CHUNK_FLOATS / k : m;
  r &= ~3;
  if (r < 4) r = 4;
  return r < m ? r : m;
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

/**
 * Walks the receptive fields of output rows row0.. against the rows of `cols` [rows × KH·KW·C]:
 * im2col (scatter = false) copies each field into its row, zeros where padded; col2im
 * (scatter = true) adds each row back into the pixels it came from (the adjoint), skipping padding.
 */
function patches(img: usize, cols: usize, row0: i32, rows: i32, scatter: bool): void {
  const C = gC, K = gKH * gKW * C, spatial = gOH * gOW;
  const pixelBytes = <usize>C << 2;
  for (let r = 0; r < rows; r++) {
    const row = row0 + r;
    const n = row / spatial, rem = row - n * spatial;
    const oh = rem / gOW, ow = rem - oh * gOW;
    let slot = cols + (<usize>r * K << 2);
    for (let i = 0; i < gKH; i++) {
      const h = oh * gSH - gPT + i;
      if (h < 0 || h >= gH) {
        if (!scatter) memory.fill(slot, 0, <usize>gKW * pixelBytes);
        slot += <usize>gKW * pixelBytes;
        continue;
      }
      for (let j = 0; j < gKW; j++) {
        const w = ow * gSW - gPL + j;
        if (w < 0 || w >= gW) { if (!scatter) memory.fill(slot, 0, pixelBytes); }
        else {
          const pixel = img + ((<usize>((n * gH + h) * gW + w) * C) << 2);
          if (scatter) addFloats(pixel, slot, C);
          else copyFloats(slot, pixel, C);
        }
        slot += pixelBytes;
      }
    }
  }
}

@inline function isPointwise(): bool { return gKH == 1 && gKW == 1 && gSH == 1 && gSW == 1; }

// ---- conv2d and its two backprop kernels ----
/** conv2d(x [N,H,W,C], filter [KH,KW,C,CO]) → [N,OH,OW,CO]. */
export function conv2d(x: i32, f: i32, a0: i32): i32 {
  setGeometry(dim(x, 0), dim(x, 1), dim(x, 2), dim(x, 3), dim(f, 0), dim(f, 1), dim(f, 3), a0);
  const out = new4d(gN, gOH, gOW, gCO, false);
  const M = gN * gOH * gOW, K = gKH * gKW * gC;
  if (M > 0 && gCO > 0) {
    if (isPointwise()) {
      gemm(dataPtr(x), dataPtr(f), dataPtr(out), M, K, gCO); // x is its own im2col panel
    } else {
      const R = chunkRows(K, M);
      const bytes = <usize>R * K << 2;
      const cols = alloc(bytes);
      for (let row0 = 0; row0 < M; row0 += R) {
        const rows = M - row0 < R ? M - row0 : R;
        patches(dataPtr(x), cols, row0, rows, false);
        gemm(cols, dataPtr(f), dataPtr(out) + (<usize>row0 * gCO << 2), rows, K, gCO);
      }
      free(cols, bytes);
    }
  }
  record(Op.Conv2D, out, x, f, 0, a0);
  return out;
}

/** The gradient of conv2d w.r.t. its input: dx [N,H,W,C] from dy [N,OH,OW,CO] and the filter. */
export function conv2dBackpropInput(dy: i32, f: i32, a0: i32, hw: i32): i32 {
  setGeometry(dim(dy, 0), lo16(hw), hi16(hw), dim(f, 2), dim(f, 0), dim(f, 1), dim(f, 3), a0);
  const dx = new4d(gN, gH, gW, gC, true);
  const M = gN * gOH * gOW, K = gKH * gKW * gC;
  if (M > 0 && K > 0 && gCO > 0) {
    // dy · fᵀ: the filter [K × CO] is read transposed through its strides
    const pf = dataPtr(f);
    if (isPointwise()) {
      gemmStrided(dataPtr(dy), gCO, 1, pf, 1, gCO, dataPtr(dx), M, gCO, K); // OH = H, OW = W: dx rows are the output rows
    } else {
      const R = chunkRows(K, M);
      const bytes = <usize>R * K << 2;
      const cols = alloc(bytes);
      for (let row0 = 0; row0 < M; row0 += R) {
        const rows = M - row0 < R ? M - row0 : R;
        gemmStrided(dataPtr(dy) + (<usize>row0 * gCO << 2), gCO, 1, pf, 1, gCO, cols, rows, gCO, K);
        patches(dataPtr(dx), cols, row0, rows, true);
      }
      free(cols, bytes);
    }
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
    const R = chunkRows(K, M);
    const bytes = <usize>R * K << 2;
    const cols = alloc(bytes);
    const single = R >= M;
    const tmpBytes = <usize>K * gCO << 2;
    const tmp: usize = single ? 0 : alloc(tmpBytes);
    for (let row0 = 0; row0 < M; row0 += R) {
      const rows = M - row0 < R ? M - row0 : R;
      patches(dataPtr(x), cols, row0, rows, false);
      const dyRows = dataPtr(dy) + (<usize>row0 * gCO << 2);
      // colsᵀ · dy: the [rows × K] panel is read transposed through its strides
      if (single) gemmStrided(cols, 1, K, dyRows, gCO, 1, dataPtr(df), K, rows, gCO);
      else { gemmStrided(cols, 1, K, dyRows, gCO, 1, tmp, K, rows, gCO); addFloats(dataPtr(df), tmp, K * gCO); }
    }
    if (!single) free(tmp, tmpBytes);
    free(cols, bytes);
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
