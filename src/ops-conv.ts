// Convolution and pooling (NHWC): validation here, kernels and backward rules in the extra wasm
// module (assembly/extra/), which the first call compiles. A program that does not import these
// ops does not carry that module: its bundler leaves out this file and the bytes it imports.
import { method, floatArg, dims, withShape, fmt } from './ops.js';
import { reshape } from './ops-shape.js';
import { extraModule } from './core.js';
import { Op } from '../build/generated/opcodes.js';
import { extraWasm } from './extra-source.js';
import { type FusedOptions, checkFused, fusedBias, applyFused } from './fused.js';
import { Tensor, TensorLike, wrap, describe, checkShape, isInt } from './tensor.js';
import { X } from '../build/generated/interface.js';

const kernels = () => extraModule(extraWasm);

/** Convolution and pooling padding, as in TF: 'valid' (no padding) or 'same' (output size ceil(input / stride)). */
export type Padding = 'same' | 'valid';

// ---- convolution and pooling geometry (TF's rules) ----
// Limits that keep the kernels' geometry within int32 arithmetic ((OH − 1)·stride + window).
const MAX_STRIDE = 0x7fff;
const MAX_SPATIAL = 0xffff;

/** A spatial pair from a number, [h, w] or TF's [1, h, w, 1]; positive integers. */
function spatialPair(op: string, what: string, v: unknown, max: number): [number, number] {
  let p: unknown[] | undefined;
  if (typeof v === 'number') p = [v, v];
  else if (Array.isArray(v) && v.length === 2) p = v;
  else if (Array.isArray(v) && v.length === 4 && v[0] === 1 && v[3] === 1) p = [v[1], v[2]];
  if (!p || !p.every(d => isInt(d) && d >= 1))
    throw new Error(`${op}: ${what} must be a positive integer, [h, w] or [1, h, w, 1], got ${describe(v)}`);
  const [a, b] = p as [number, number];
  if (a > max || b > max) throw new Error(`${op}: ${what} ${describe(v)} exceeds the supported maximum of ${max}`);
  return [a, b];
}

function isSame(op: string, padding: unknown): boolean {
  const p = typeof padding === 'string' ? padding.toLowerCase() : padding;
  if (p === 'same') return true;
  if (p === 'valid') return false;
  throw new Error(`${op}: padding must be 'same' or 'valid', got ${describe(padding)}`);
}

/** TF's output size: ceil(n / s) for SAME, ceil((n - k + 1) / s) (at least 0) for VALID (k: the dilated window's extent). */
const outSize = (n: number, k: number, s: number, same: boolean) => same ? Math.ceil(n / s) : n >= k ? Math.floor((n - k) / s) + 1 : 0;

/** x as NHWC: a rank-4 tensor, or rank 3 (HWC) given a batch of one. */
function nhwc(op: string, x: TensorLike, what = 'x'): { t: Tensor; shape: number[]; batched: boolean } {
  const t = floatArg(op, x);
  const s = dims(t);
  if (s.length !== 4 && s.length !== 3) throw new Error(`${op}: ${what} must be [batch, height, width, channels] or [height, width, channels], got shape ${fmt(s)}`);
  const shape = s.length === 4 ? s.slice() : [1, ...s];
  if (shape[1] > MAX_SPATIAL || shape[2] > MAX_SPATIAL) throw new Error(`${op}: ${what} of shape ${fmt(s)} exceeds the supported maximum height and width of ${MAX_SPATIAL}`);
  return { t, shape, batched: s.length === 4 };
}

/** Runs a kernel on the NHWC view of x and gives the result back in x's rank. */
function spatialCall(x: { t: Tensor; shape: number[]; batched: boolean }, outShape: number[], call: (id: number) => number): Tensor {
  if (x.batched) return withShape(wrap(call(x.t.id), 'float32'), outShape);
  // (the op scope frees the temporaries; a tape keeps its own references)
  return reshape(withShape(wrap(call(reshape(x.t, x.shape).id), 'float32'), outShape), outShape.slice(1));
}

// ---- convolutions ----
/** A rank-4 float filter, its shape checked against x's channels (`channelAxis` of the filter). */
function filter4(op: string, filter: TensorLike, layout: string, short: string, x: { t: Tensor; shape: number[] }, channelAxis: number): { f: Tensor; fs: readonly number[] } {
  const f = floatArg(op, filter);
  const fs = dims(f);
  if (fs.length !== 4) throw new Error(`${op}: filter must have rank 4 ${layout}, got shape ${fmt(fs)}`);
  const c = x.shape[3];
  if (fs[channelAxis] !== c) throw new Error(`${op}: x has ${c} channels (shape ${fmt(dims(x.t))}) but the filter ${fmt(fs)} (${short}) expects ${fs[channelAxis]}`);
  if (fs[0] < 1 || fs[1] < 1 || fs[0] > MAX_SPATIAL || fs[1] > MAX_SPATIAL) throw new Error(`${op}: filter height and width must be between 1 and ${MAX_SPATIAL}, got filter shape ${fmt(fs)}`);
  return { f, fs };
}

/** conv2d's options: TF's dilations, and the fused bias and activation. */
export interface Conv2DOptions extends FusedOptions {
  /** the filter's taps are `dilations` pixels apart (atrous convolution); a number, [h, w] or [1, h, w, 1]; default 1 */
  dilations?: number | readonly number[];
}

/**
 * 2-D convolution of an NHWC input with an HWIO filter (TF's tf.nn.conv2d layout), with `strides`
 * and `padding` 'valid' (default) or 'same'. `options.dilations` spaces the filter's taps (TF's
 * dilations); `options.bias` and `options.activation` fuse `activation(conv + bias)` into the call
 * (TensorFlow.js's tf.fused.conv2d), equal in value and gradient to the separate ops.
 */
export const conv2d = /* @__PURE__ */ method('conv2d', function conv2d(x: TensorLike, filter: TensorLike, strides: number | readonly number[] = 1, padding: Padding = 'valid', options?: Conv2DOptions): Tensor {
  const op = 'conv2d';
  checkFused(op, options, ['dilations']);
  const input = nhwc(op, x);
  const { f, fs } = filter4(op, filter, '[filterHeight, filterWidth, inChannels, outChannels] (HWIO)', 'HWIO', input, 2);
  const [n, h, w] = input.shape;
  const [kh, kw, , co] = fs;
  const [sh, sw] = spatialPair(op, 'strides', strides, MAX_STRIDE);
  const [dh, dw] = spatialPair(op, 'dilations', options?.dilations ?? 1, MAX_STRIDE);
  const same = isSame(op, padding);
  const outShape = [n, outSize(h, (kh - 1) * dh + 1, sh, same), outSize(w, (kw - 1) * dw + 1, sw, same), co];
  checkShape(op, outShape);
  const bias = fusedBias(op, options, co);
  return applyFused(spatialCall(input, outShape, id => kernels()[X.spatial](Op.Conv2D, id, f.id, kh, kw, sh, sw, same ? 1 : 0, h, w, dh, dw)), bias, options);
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [
    { inputs: [[1, 4, 4, 1], [2, 2, 1, 1]], args: [1, 'valid'] },
    { inputs: [[2, 5, 5, 3], [3, 3, 3, 4]], args: [2, 'same'] },
    { inputs: [[1, 6, 5, 2], [3, 2, 2, 3]], args: [[2, 1], 'valid'] },
    { inputs: [[2, 4, 6, 3], [2, 3, 3, 2]], args: [[1, 2], 'same'] },
    { inputs: [[1, 5, 5, 2], [1, 1, 2, 3]], args: [1, 'same'] },
    { inputs: [[1, 5, 4, 2], [1, 1, 2, 2]], args: [2, 'valid'] },
    { inputs: [[1, 3, 3, 1], [3, 3, 1, 2]], args: [3, 'same'] },
    { inputs: [[1, 7, 7, 2], [4, 4, 2, 1]], args: [[1, 3, 2, 1], 'same'] },
    { inputs: [[5, 5, 2], [3, 3, 2, 2]], args: [1, 'same'] },
    { inputs: [[2, 3, 3, 2], [3, 3, 2, 5]], args: [1, 'valid'] },
    // dilated (atrous), and the fused bias + activation
    { inputs: [[1, 7, 6, 2], [3, 2, 2, 3]], args: [1, 'same', { dilations: 2 }] },
    { inputs: [[2, 8, 7, 3], [2, 3, 3, 2]], args: [1, 'valid', { dilations: [3, 2] }] },
    { inputs: [[1, 9, 9, 1], [3, 3, 1, 2]], args: [2, 'same', { dilations: 2 }] },
    { inputs: [[2, 5, 5, 3], [3, 3, 3, 4], [4]], call: (f, [x, w, bias]) => f(x, w, 1, 'same', { bias, activation: 'relu' }) },
    { inputs: [[1, 6, 6, 2], [3, 3, 2, 8], [8]], call: (f, [x, w, bias]) => f(x, w, 2, 'valid', { bias, activation: 'tanh' }) },
    { inputs: [[1, 5, 5, 2], [2, 2, 2, 3], [3]], call: (f, [x, w, bias]) => f(x, w, 1, 'same', { bias, activation: 'leakyRelu', leakyReluAlpha: 0.1 }) },
    { inputs: [[1, 5, 5, 2], [2, 2, 2, 3]], call: (f, [x, w]) => f(x, w, 1, 'same', { activation: 'sigmoid', dilations: 2 }) },
  ],
});

/**
 * The transpose (adjoint) of conv2d, TF's tf.nn.conv2d_transpose: maps x [N, H, W, C] to
 * `outputShape` ([N,] outH, outW, outC, the shape whose conv2d with these strides and padding is x's),
 * with filter [kh, kw, outC, C]. The gradient of conv2d with respect to its input. `options.bias`
 * and `options.activation` fuse `activation(result + bias)` into the call, as conv2d's.
 */
export const conv2dTranspose = /* @__PURE__ */ method('conv2dTranspose', function conv2dTranspose(x: TensorLike, filter: TensorLike, outputShape: readonly number[], strides: number | readonly number[] = 1, padding: Padding = 'valid', options?: FusedOptions): Tensor {
  const op = 'conv2dTranspose';
  checkFused(op, options);
  const input = nhwc(op, x);
  const { f, fs } = filter4(op, filter, '[filterHeight, filterWidth, outChannels, inChannels]', '[kh, kw, outChannels, inChannels]', input, 3);
  const [n, xh, xw] = input.shape;
  const [kh, kw, co] = fs;
  const given = Array.isArray(outputShape) ? outputShape : undefined;
  const shape3 = given?.length === 4 ? given.slice(1) : given;
  if (!shape3 || shape3.length !== 3 || !shape3.every(d => isInt(d) && d >= 0))
    throw new Error(`${op}: outputShape must be [batch, height, width, channels] or [height, width, channels], got ${describe(outputShape)}`);
  const [h, w, oc] = shape3;
  if ((given!.length === 4 && given![0] !== n) || oc !== co)
    throw new Error(`${op}: outputShape ${fmt(given!)} must have x's batch ${n} (shape ${fmt(dims(input.t))}) and the ${co} channels the filter ${fmt(fs)} makes`);
  if (h > MAX_SPATIAL || w > MAX_SPATIAL) throw new Error(`${op}: outputShape ${fmt(given!)} exceeds the supported maximum height and width of ${MAX_SPATIAL}`);
  const [sh, sw] = spatialPair(op, 'strides', strides, MAX_STRIDE);
  const same = isSame(op, padding);
  const eh = outSize(h, kh, sh, same), ew = outSize(w, kw, sw, same);
  if (eh !== xh || ew !== xw)
    throw new Error(`${op}: outputShape ${fmt(given!)} with strides ${describe(strides)} and padding '${padding}' convolves to ${eh}x${ew}, not to x's ${xh}x${xw}`);
  const outShape = [n, h, w, co];
  checkShape(op, outShape);
  const bias = fusedBias(op, options, co);
  return applyFused(spatialCall(input, outShape, id => kernels()[X.spatial](Op.Conv2DBackpropInput, id, f.id, kh, kw, sh, sw, same ? 1 : 0, h, w, 1, 1)), bias, options);
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [
    { inputs: [[1, 3, 3, 2], [3, 3, 4, 2]], args: [[1, 5, 5, 4], 1, 'valid'] },
    { inputs: [[2, 3, 3, 3], [5, 5, 2, 3]], args: [[2, 6, 6, 2], 2, 'same'] },
    { inputs: [[1, 4, 3, 2], [5, 5, 3, 2]], args: [[7, 5, 3], [2, 2], 'same'] },
    { inputs: [[1, 2, 2, 1], [3, 2, 2, 1]], args: [[1, 5, 7, 2], [2, 3], 'valid'] },
    { inputs: [[3, 3, 2], [2, 2, 1, 2]], args: [[6, 6, 1], 2, 'valid'] },
    { inputs: [[2, 3, 3, 3], [3, 3, 4, 3], [4]], call: (f, [x, w, bias]) => f(x, w, [2, 6, 6, 4], 2, 'same', { bias, activation: 'relu' }) },
  ],
});

/**
 * Depthwise 2-D convolution, TF's tf.nn.depthwise_conv2d: each input channel c is convolved with
 * its own `multiplier` filters (filter [kh, kw, inChannels, multiplier]), giving output channel
 * c·multiplier + k. NHWC, `strides`, `padding` 'valid' (default) or 'same'. `options.bias` and
 * `options.activation` fuse `activation(result + bias)` into the call, as conv2d's.
 */
export const depthwiseConv2d = /* @__PURE__ */ method('depthwiseConv2d', function depthwiseConv2d(x: TensorLike, filter: TensorLike, strides: number | readonly number[] = 1, padding: Padding = 'valid', options?: FusedOptions): Tensor {
  const op = 'depthwiseConv2d';
  checkFused(op, options);
  const input = nhwc(op, x);
  const { f, fs } = filter4(op, filter, '[filterHeight, filterWidth, inChannels, channelMultiplier]', '[kh, kw, inChannels, multiplier]', input, 2);
  const [n, h, w, c] = input.shape;
  const [kh, kw, , m] = fs;
  const [sh, sw] = spatialPair(op, 'strides', strides, MAX_STRIDE);
  const same = isSame(op, padding);
  const outShape = [n, outSize(h, kh, sh, same), outSize(w, kw, sw, same), c * m];
  checkShape(op, outShape);
  const bias = fusedBias(op, options, c * m);
  return applyFused(spatialCall(input, outShape, id => kernels()[X.spatial](Op.DepthwiseConv2D, id, f.id, kh, kw, sh, sw, same ? 1 : 0, h, w, 1, 1)), bias, options);
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [
    { inputs: [[1, 4, 4, 3], [3, 3, 3, 1]], args: [1, 'same'] },
    { inputs: [[2, 5, 5, 5], [3, 3, 5, 1]], args: [2, 'valid'] },
    { inputs: [[1, 5, 4, 2], [2, 3, 2, 3]], args: [[1, 2], 'same'] },
    { inputs: [[2, 6, 6, 8], [3, 3, 8, 1]], args: [2, 'same'] },
    { inputs: [[4, 4, 3], [2, 2, 3, 2]], args: [1, 'valid'] },
    { inputs: [[1, 5, 5, 4], [3, 3, 4, 2], [8]], call: (f, [x, w, bias]) => f(x, w, 1, 'same', { bias, activation: 'elu' }) },
  ],
});

// ---- pooling ----
function poolOp(name: 'maxPool' | 'avgPool') {
  return function pool(x: TensorLike, size: number | readonly number[], strides?: number | readonly number[], padding: Padding = 'valid'): Tensor {
    const input = nhwc(name, x);
    const [kh, kw] = spatialPair(name, 'size', size, MAX_SPATIAL);
    const [sh, sw] = spatialPair(name, 'strides', strides ?? size, MAX_STRIDE);
    const same = isSame(name, padding);
    const [n, h, w, c] = input.shape;
    const outShape = [n, outSize(h, kh, sh, same), outSize(w, kw, sw, same), c];
    const op = name === 'maxPool' ? Op.MaxPool : Op.AvgPool;
    return spatialCall(input, outShape, id => kernels()[X.spatial](op, id, 0, kh, kw, sh, sw, same ? 1 : 0, h, w, 1, 1));
  };
}
const POOL_EXAMPLES = [
  { inputs: [[1, 4, 4, 1]], args: [2] },
  { inputs: [[2, 5, 5, 3]], args: [3, 2, 'same'] },
  { inputs: [[1, 6, 5, 2]], args: [[2, 3], [1, 2], 'valid'] },
  { inputs: [[1, 5, 4, 2]], args: [3, 1, 'same'] },
  { inputs: [[1, 4, 6, 2]], args: [[2, 2], [2, 2], 'same'] },
  { inputs: [[1, 7, 5, 1]], args: [[4, 2], [3, 1], 'same'] },
  { inputs: [[4, 5, 2]], args: [2, 2, 'same'] },
];
/** Max pooling (NHWC). The gradient goes to each window's first maximum. */
export const maxPool = /* @__PURE__ */ method('maxPool', /* @__PURE__ */ poolOp('maxPool'), __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  // a wide domain keeps window values far apart, so finite differences never straddle a tie
  domain: [-100, 100],
  examples: POOL_EXAMPLES,
});
/** Average pooling (NHWC). With SAME padding each window averages its valid elements only (TF). */
export const avgPool = /* @__PURE__ */ method('avgPool', /* @__PURE__ */ poolOp('avgPool'), __TESTS__ && { kind: 'other', dtypes: 'float', grad: true, examples: POOL_EXAMPLES });

