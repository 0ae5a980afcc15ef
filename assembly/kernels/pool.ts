// Pooling kernels (NHWC): max pooling with its argmax walks (the gradient routes dy to each
// window's first maximum), and average pooling over each window's valid (unpadded) elements.
// Pure: the geometry comes in a Geometry struct (kernels/conv.ts), buffers in scratch memory.
// Compiled into the extra module.
import { Geometry } from "./conv";

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
 * For output pixel (n, oh, ow): per channel, the value and flat pixel index of the window's first
 * maximum of `src` (a NaN beats every number, the first NaN wins), into bestV / bestI.
 */
function windowArgmax(g: Geometry, src: usize, n: i32, oh: i32, ow: i32, bestV: usize, bestI: usize): void {
  const C = g.c;
  let first = true;
  for (let i = 0; i < g.kh; i++) {
    const h = oh * g.sh - g.pt + i;
    if (h < 0 || h >= g.h) continue;
    for (let j = 0; j < g.kw; j++) {
      const w = ow * g.sw - g.pl + j;
      if (w < 0 || w >= g.w) continue;
      const pix = (n * g.h + h) * g.w + w;
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
 * Walks the output windows q0..q1-1 (flat output pixels) with the per-channel argmax of `ps`:
 * gathers the values at `pv` there into `po` (window-shaped output), or with `scatter` adds the
 * values (window-shaped) into `po` (input-shaped) there. `pickOwn`: gather the maxima of ps itself.
 * `scratch`: 8·C bytes. A scatter's windows overlap within an image only: whole images per call
 * keep each element's terms in the whole walk's order.
 */
export function walkArgmax(g: Geometry, ps: usize, pv: usize, po: usize, scatter: bool, pickOwn: bool, scratch: usize, q0: i32, q1: i32): void {
  const C = g.c;
  const bytes = <usize>C << 2;
  const bestV = scratch, bestI = scratch + bytes;
  let window = <usize>q0 * bytes; // offset of the current output pixel in window-shaped data
  let n = q0 / (g.oh * g.ow), oh = q0 / g.ow % g.oh, ow = q0 % g.ow;
  for (let q = q0; q < q1; q++) {
    windowArgmax(g, ps, n, oh, ow, bestV, bestI);
    if (pickOwn) copyFloats(po + window, bestV, C);
    else for (let c = 0; c < C; c++) {
      const at = (<usize>load<i32>(bestI + (<usize>c << 2)) * C + c) << 2; // the argmax in input-shaped data
      if (scatter) store<f32>(po + at, load<f32>(po + at) + load<f32>(pv + window + (<usize>c << 2)));
      else store<f32>(po + window + (<usize>c << 2), load<f32>(pv + at));
    }
    window += bytes;
    if (++ow == g.ow) { ow = 0; if (++oh == g.oh) { oh = 0; n++; } }
  }
}

/** Valid (unpadded) elements in the window of output pixel (oh, ow). */
function windowCount(g: Geometry, oh: i32, ow: i32): i32 {
  let h0 = oh * g.sh - g.pt, w0 = ow * g.sw - g.pl;
  let h1 = h0 + g.kh, w1 = w0 + g.kw;
  if (h0 < 0) h0 = 0; if (w0 < 0) w0 = 0;
  if (h1 > g.h) h1 = g.h; if (w1 > g.w) w1 = g.w;
  return (h1 - h0) * (w1 - w0);
}

/**
 * Average pooling of ps (input-shaped) into pd (window-shaped, zeroed), dividing by the count of
 * valid (unpadded) elements; or with `grad` its adjoint: each value of ps (window-shaped, dy)
 * spread evenly over its window's valid elements of pd (input-shaped, zeroed). One walk for both,
 * over output pixels q0..q1-1 (whole images for `grad`, as walkArgmax's scatter).
 * `scratch`: 4·C bytes.
 */
export function avgPoolKernel(g: Geometry, ps: usize, pd: usize, grad: bool, scratch: usize, q0: i32, q1: i32): void {
  const C = g.c, bytes = <usize>C << 2;
  const share = scratch;
  let window = <usize>q0 * bytes; // offset of the current output pixel in window-shaped data
  let n = q0 / (g.oh * g.ow), oh = q0 / g.ow % g.oh, ow = q0 % g.ow;
  for (let q = q0; q < q1; q++) {
    const count = <f32>windowCount(g, oh, ow);
    if (grad) for (let c = 0; c < C; c++) store<f32>(share + (<usize>c << 2), load<f32>(ps + window + (<usize>c << 2)) / count);
    for (let i = 0; i < g.kh; i++) {
      const h = oh * g.sh - g.pt + i;
      if (h < 0 || h >= g.h) continue;
      for (let j = 0; j < g.kw; j++) {
        const w = ow * g.sw - g.pl + j;
        if (w < 0 || w >= g.w) continue;
        const pixel = <usize>((n * g.h + h) * g.w + w) * bytes;
        addFloats(grad ? pd + pixel : pd + window, grad ? share : ps + pixel, C);
      }
    }
    if (!grad) for (let c = 0; c < C; c++) { const k = pd + window + (<usize>c << 2); store<f32>(k, load<f32>(k) / count); }
    window += bytes;
    if (++ow == g.ow) { ow = 0; if (++oh == g.oh) { oh = 0; n++; } }
  }
}
