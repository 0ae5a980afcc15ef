// Convolution, depthwise convolution and pooling (NHWC; HWIO filters), the extra module's op entry
// and backward rule. Kernels: assembly/kernels/conv.ts, depthwise.ts and pool.ts.
//
// The ten spatial ops share one entry (`run`) and one rule: every record carries the same nine
// attribute words, the whole geometry, sh, sw, same (strides, TF's SAME padding), kh, kw (the
// window or filter), h, w (the forward input's size), dh, dw (dilations), so each gradient is
// another spatial op run on the record's own attributes (one copy of the setup, recording and
// dispatch in the module). conv2dTranspose is BackpropInput called directly, with h, w the size it
// is asked for. Gradient graph (every arrow a recorded kernel, so derivatives of any order exist;
// the depthwise ops mirror the three convolutions):
//   Conv2D(x, f)               dx = BackpropInput(dy, f)    df = BackpropFilter(x, dy)
//   BackpropInput(dy, f) → dx  d(dy) = Conv2D(g, f)         df = BackpropFilter(g, dy)
//   BackpropFilter(x, dy) → df dx = BackpropInput(dy, g)    d(dy) = Conv2D(x, g)
//   MaxPool(v[, src])          dv = MaxPoolGrad(src ?? v, dy)   (argmax taken on src, first max wins)
//   MaxPoolGrad(src, dy) → dx  d(dy) = MaxPool(g, src)  (g gathered at the argmax)   dsrc = 0
//   AvgPool(x)                 dx = AvgPoolGrad(dy)
//   AvgPoolGrad(dy) → dx       d(dy) = AvgPool(g)
import { Op, DType } from "../../build/generated/opcodes";
import { Record, Grads } from "../record";
import { newTensor, dataPtr, dimOf, scratchTake, scratchMark, scratchRelease, commitRecord, packPanels, zerosLike } from "../../build/generated/extra-imports";
import { Geometry, GEOMETRY_BYTES, BLOCK_BYTES, FILTER_ROWS, tapOffsets, rowBases } from "../kernels/conv";
import { Spatial, job } from "./spatial-jobs";
import { panelsBytes } from "../kernels/gemm";

const ATTRS = 9; // sh, sw, same, kh, kw, h, w, dh, dw

/** For each of the three convolutions (and their depthwise twins): forward, input gradient, filter gradient. */
@inline function isConv(op: i32): bool { return op == Op.Conv2D || op == Op.Conv2DBackpropInput || op == Op.Conv2DBackpropFilter; }
@inline function isDepthwise(op: i32): bool { return op == Op.DepthwiseConv2D || op == Op.DepthwiseBackpropInput || op == Op.DepthwiseBackpropFilter; }
@inline function isBackpropInput(op: i32): bool { return op == Op.Conv2DBackpropInput || op == Op.DepthwiseBackpropInput; }

/**
 * Runs spatial op `op` on a (and b, 0 for the pools without one) with the attributes at `attrs`
 * (ATTRS words), and records it. a's batch is the batch; its channels are the channels, except
 * the input gradients' (dy, f), whose channels are the filter's inputs.
 */
function run(op: i32, a: i32, b: i32, attrs: usize): i32 {
  const mark = scratchMark();
  const conv = isConv(op), depthwise = isDepthwise(op), toInput = isBackpropInput(op) || op == Op.MaxPoolGrad || op == Op.AvgPoolGrad;
  const c = isBackpropInput(op) ? dimOf(b, 2) : dimOf(a, 3);
  // output channels: the filter's for the forward convolutions (C·M for depthwise), dy's for the gradients
  const co = op == Op.Conv2D ? dimOf(b, 3) : op == Op.DepthwiseConv2D ? dimOf(b, 2) * dimOf(b, 3)
    : isBackpropInput(op) ? dimOf(a, 3) : conv || depthwise ? dimOf(b, 3) : c;
  const g = Geometry.at(scratchTake(GEOMETRY_BYTES)).init(dimOf(a, 0), load<i32>(attrs, 20), load<i32>(attrs, 24), c,
    load<i32>(attrs, 12), load<i32>(attrs, 16), co, load<i32>(attrs), load<i32>(attrs, 4), load<i32>(attrs, 8) != 0, load<i32>(attrs, 28), load<i32>(attrs, 32));
  const M = g.rows, K = g.taps, CO = g.co;
  const work = M > 0 && K > 0 && CO > 0;
  // the output: window-shaped for the forward ops, input-shaped for the input gradients, filter-shaped
  const shape = scratchTake(16);
  store<i32>(shape, g.n); store<i32>(shape, toInput ? g.h : g.oh, 4); store<i32>(shape, toInput ? g.w : g.ow, 8); store<i32>(shape, toInput ? g.c : g.co, 12);
  if (op == Op.Conv2DBackpropFilter || op == Op.DepthwiseBackpropFilter) {
    store<i32>(shape, g.kh); store<i32>(shape, g.kw, 4); store<i32>(shape, g.c, 8);
    if (depthwise) store<i32>(shape, g.co / g.c, 12);
  }
  const out = newTensor(DType.Float32, 4, shape);
  const po = dataPtr(out), pa = dataPtr(a), pb = dataPtr(b);
  // zeroed here for the filter gradients (the kernels add into it); the other kernels' tasks write
  // or zero their own parts (spatial-jobs.ts)
  const written = op != Op.Conv2DBackpropFilter && op != Op.DepthwiseBackpropFilter;
  if (!work || !written) {
    memory.fill(po, 0, <usize>load<i32>(shape) * load<i32>(shape, 4) * load<i32>(shape, 8) * load<i32>(shape, 12) << 2);
  }
  if (work) {
    if (conv || depthwise) {
      // the padded image (the image itself when no window reads padding; an input gradient's dx
      // serves as its own, zeroed and copied out by the tasks), and the row table (and the tap
      // table for the gemm kernels)
      let img = isBackpropInput(op) ? po : pa;
      if (!g.unpadded) {
        img = scratchTake(g.paddedBytes);
        if (!isBackpropInput(op)) job(Spatial.Pad, g.n, <f64>g.paddedBytes / g.n, 1, g, pa, img, 0, 0, 0); // (bytes as its work)
      }
      const bases = scratchTake(<usize>M << 2);
      rowBases(g, bases);
      const P = g.oh * g.ow, taps = g.kh * g.kw;
      if (depthwise) {
        const pixel = <f64>taps * CO; // multiply-adds of an output pixel
        if (op == Op.DepthwiseConv2D) job(Spatial.DepthwiseForward, M, pixel, 1, g, img, bases, pb, po, 0);
        // (two tasks of half the channels, at least 16: every task walks all rows and taps for its
        // channels, so narrower ones repeat that loop for less work each; 16-channel tasks measured
        // 0.8-1.0× on 2 threads for 64 and 128 channels, 4-channel ones 0.6× for 16)
        else if (op == Op.DepthwiseBackpropFilter) job(Spatial.DepthwiseFilter, g.c, M * pixel / g.c, max(16, ((g.c + 1) >> 1) + 15 & ~15), g, img, bases, pb, po, 0);
        else job(Spatial.DepthwiseInput, g.n, P * pixel, 1, g, img, bases, pb, pa, 0, 0, po);
      } else {
        const offsets = scratchTake(<usize>K << 2);
        tapOffsets(g, offsets);
        // b packed in 8-column panels: the filter [K × CO], filterᵀ [CO × K], or dy [M × CO] (read
        // in place when CO is a multiple of 8: conv.ts convFilter)
        const rows = op == Op.Conv2D ? K : op == Op.Conv2DBackpropInput ? CO : M, cols = op == Op.Conv2DBackpropInput ? K : CO;
        let panels = pb;
        if (op != Op.Conv2DBackpropFilter || (CO & 7) != 0) {
          panels = scratchTake(panelsBytes(rows, cols));
          if (op == Op.Conv2DBackpropInput) packPanels(pb, 1, CO, rows, cols, panels);
          else packPanels(pb, CO, 1, rows, cols, panels);
        }
        const pixel = <f64>K * CO;
        // per-thread scratch: the gathered taps or dy rows (and the input gradient's products), and a block
        if (op == Op.Conv2D) job(Spatial.ConvForward, M, pixel, 4, g, img, bases, offsets, panels, (<usize>K << 4) + BLOCK_BYTES, po);
        else if (op == Op.Conv2DBackpropFilter) job(Spatial.ConvFilter, (K + 3) >> 2, M * pixel / K * 4, 1, g, img, bases, offsets, panels, (<usize>FILTER_ROWS << 4) + BLOCK_BYTES, po);
        else job(Spatial.ConvInput, g.n, P * pixel, 1, g, img, bases, offsets, pa, (<usize>CO << 4) + (<usize>((K + 7) >> 3) << 7) + BLOCK_BYTES, panels, po);
      }
    } else {
      // max pooling walks the argmax of b (given) or a; its gradient scatters dy (b) there. Scatters
      // go in whole images, gathers in blocks of output pixels. The work of a window element counts
      // as 16 multiply-adds: the pools' scalar loops took ~2.7 ns an element (maxPool 2×2 on
      // [128,28,28,16], 1 thread) against ~0.16 ns a conv multiply-add
      const scatter = op == Op.MaxPoolGrad || op == Op.AvgPoolGrad, window = <f64>g.kh * g.kw * g.c * 16, P = g.oh * g.ow;
      job(op == Op.MaxPool || op == Op.MaxPoolGrad ? Spatial.Argmax : Spatial.AvgPool, scatter ? g.n : M, scatter ? P * window : window, 1,
        g, op == Op.MaxPool && b != 0 ? pb : pa, op == Op.MaxPool ? pa : pb, po, 0, (<usize>g.c << 3) + 15 & ~15,
        <usize>scatter | <usize>(op == Op.MaxPool && b == 0) << 1);
    }
  }
  const inputs = b != 0 ? 2 : 1;
  const rec = Record.build(scratchTake(Record.bytesFor(1, inputs, ATTRS)), op, 1, inputs, ATTRS).setOutput(0, out).setInput(0, a);
  if (b != 0) rec.setInput(1, b);
  memory.copy(rec.attrAt(0), attrs, ATTRS * 4);
  commitRecord(changetype<usize>(rec));
  scratchRelease(mark);
  return out;
}

/**
 * conv2d(x [N,H,W,C], filter [KH,KW,C,CO]) → [N,OH,OW,CO], depthwiseConv2d(x, filter [KH,KW,C,M])
 * → [N,OH,OW,C·M] (b: the filter, kh, kw its size), maxPool / avgPool(x) → [N,OH,OW,C] (b: 0, kh, kw
 * the window), or conv2dTranspose: Conv2DBackpropInput(x, filter [KH,KW,CO,C]) → [N,h,w,CO]. h, w:
 * the forward op's input size (x's own, except for conv2dTranspose's asked-for output).
 */
export function spatial(op: i32, x: i32, b: i32, kh: i32, kw: i32, sh: i32, sw: i32, same: i32, h: i32, w: i32, dh: i32, dw: i32): i32 {
  const mark = scratchMark(), attrs = scratchTake(ATTRS * 4);
  store<i32>(attrs, sh); store<i32>(attrs, sw, 4); store<i32>(attrs, same, 8);
  store<i32>(attrs, kh, 12); store<i32>(attrs, kw, 16); store<i32>(attrs, h, 20); store<i32>(attrs, w, 24);
  store<i32>(attrs, dh, 28); store<i32>(attrs, dw, 32);
  const out = run(op, x, b, attrs);
  scratchRelease(mark);
  return out;
}

/** The rule of every spatial op: its inputs' gradients are spatial ops on the record's attributes. */
export function spatialBackward(rec: Record, grads: Grads): void {
  const op = rec.op, in0 = rec.input(0), in1 = rec.inputs > 1 ? rec.input(1) : 0, dy = grads.dy(), attrs = rec.attrAt(0);
  if (grads.wants(0)) {
    let g: i32;
    switch (op) {
      case Op.Conv2D: g = run(Op.Conv2DBackpropInput, dy, in1, attrs); break;
      case Op.Conv2DBackpropInput: g = run(Op.Conv2D, dy, in1, attrs); break;
      case Op.Conv2DBackpropFilter: g = run(Op.Conv2DBackpropInput, in1, dy, attrs); break;
      case Op.MaxPool: g = run(Op.MaxPoolGrad, in1 != 0 ? in1 : in0, dy, attrs); break;
      case Op.MaxPoolGrad: g = zerosLike(in0); break; // the argmax is piecewise constant
      case Op.AvgPool: g = run(Op.AvgPoolGrad, dy, 0, attrs); break;
      case Op.AvgPoolGrad: g = run(Op.AvgPool, dy, 0, attrs); break;
      case Op.DepthwiseConv2D: g = run(Op.DepthwiseBackpropInput, dy, in1, attrs); break;
      case Op.DepthwiseBackpropInput: g = run(Op.DepthwiseConv2D, dy, in1, attrs); break;
      default: g = run(Op.DepthwiseBackpropInput, in1, dy, attrs); // DepthwiseBackpropFilter
    }
    grads.set(0, g);
  }
  if (in1 != 0 && grads.wants(1)) {
    let g: i32;
    switch (op) {
      case Op.Conv2D: g = run(Op.Conv2DBackpropFilter, in0, dy, attrs); break;
      case Op.Conv2DBackpropInput: g = run(Op.Conv2DBackpropFilter, dy, in0, attrs); break;
      case Op.Conv2DBackpropFilter: g = run(Op.Conv2D, in0, dy, attrs); break;
      case Op.MaxPool: g = zerosLike(in1); break;
      case Op.MaxPoolGrad: g = run(Op.MaxPool, dy, in0, attrs); break; // dy gathered at x's argmax
      case Op.DepthwiseConv2D: g = run(Op.DepthwiseBackpropFilter, in0, dy, attrs); break;
      case Op.DepthwiseBackpropInput: g = run(Op.DepthwiseBackpropFilter, dy, in0, attrs); break;
      default: g = run(Op.DepthwiseConv2D, in0, dy, attrs); // DepthwiseBackpropFilter
    }
    grads.set(1, g);
  }
}
