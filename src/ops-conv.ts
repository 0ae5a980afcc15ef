// Convolution and pooling (NHWC): validation here, kernels and backward rules in the extra wasm
// module (assembly/extra/), which the first call compiles. A program that does not import these
// ops does not carry that module: its bundler leaves out this file and the bytes it imports.
import { method, checkDTypes, dims, withShape, fmt } from './ops.js';
import { reshape } from './ops-shape.js';
import { extraModule } from './core.js';
import { Op } from '../build/generated/opcodes.js';
import { extraWasm } from './extra-source.js';
import { Tensor, TensorLike, toTensor, wrap, describe, checkShape } from './tensor.js';

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
  if (!p || !p.every(d => typeof d === 'number' && Number.isInteger(d) && d >= 1))
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

/** TF's output size: ceil(n / s) for SAME, ceil((n - k + 1) / s) (at least 0) for VALID. */
const outSize = (n: number, k: number, s: number, same: boolean) => same ? Math.ceil(n / s) : n >= k ? Math.floor((n - k) / s) + 1 : 0;

/** x as NHWC: a rank-4 tensor, or rank 3 (HWC) given a batch of one. */
function nhwc(op: string, x: TensorLike, what = 'x'): { t: Tensor; shape: number[]; batched: boolean } {
  const t = toTensor(op, x);
  checkDTypes(op, t, 'float');
  const s = dims(t);
  if (s.length !== 4 && s.length !== 3) throw new Error(`${op}: ${what} must have rank 4 [batch, height, width, channels] (or rank 3 without the batch), got shape ${fmt(s)}`);
  const shape = s.length === 4 ? s.slice() : [1, ...s];
  if (shape[1] > MAX_SPATIAL || shape[2] > MAX_SPATIAL) throw new Error(`${op}: ${what} height and width must be at most ${MAX_SPATIAL}, got shape ${fmt(s)}`);
  return { t, shape, batched: s.length === 4 };
}

/** Runs a kernel on the NHWC view of x and gives the result back in x's rank. */
function spatialCall(x: { t: Tensor; shape: number[]; batched: boolean }, outShape: number[], call: (id: number) => number): Tensor {
  if (x.batched) return withShape(wrap(call(x.t.id), 'float32'), outShape);
  const x4 = reshape(x.t, x.shape);
  const out4 = withShape(wrap(call(x4.id), 'float32'), outShape);
  const out = reshape(out4, outShape.slice(1));
  x4.dispose(); out4.dispose(); // temporaries: a tape keeps its own references
  return out;
}

// ---- conv2d ----
/** 2-D convolution of an NHWC input with an HWIO filter (TF's tf.nn.conv2d layout), with `strides` and `padding` 'valid' (default) or 'same'. No dilation or groups. */
export const conv2d = /* @__PURE__ */ method('conv2d', function conv2d(x: TensorLike, filter: TensorLike, strides: number | readonly number[] = 1, padding: Padding = 'valid'): Tensor {
  const op = 'conv2d';
  const input = nhwc(op, x);
  const f = toTensor(op, filter);
  checkDTypes(op, f, 'float');
  const fs = dims(f);
  if (fs.length !== 4) throw new Error(`${op}: filter must have rank 4 [filterHeight, filterWidth, inChannels, outChannels] (HWIO), got shape ${fmt(fs)}`);
  const [n, h, w, c] = input.shape;
  const [kh, kw, ci, co] = fs;
  if (ci !== c) throw new Error(`${op}: x has ${c} channels (shape ${fmt(dims(input.t))}) but the filter expects ${ci} input channels (filter shape ${fmt(fs)}, HWIO)`);
  if (kh < 1 || kw < 1 || kh > MAX_SPATIAL || kw > MAX_SPATIAL) throw new Error(`${op}: filter height and width must be between 1 and ${MAX_SPATIAL}, got filter shape ${fmt(fs)}`);
  const [sh, sw] = spatialPair(op, 'strides', strides, MAX_STRIDE);
  const same = isSame(op, padding);
  const outShape = [n, outSize(h, kh, sh, same), outSize(w, kw, sw, same), co];
  checkShape(op, outShape);
  return spatialCall(input, outShape, id => kernels().spatial(Op.Conv2D, id, f.id, kh, kw, sh, sw, same ? 1 : 0));
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
    return spatialCall(input, outShape, id => kernels().spatial(op, id, 0, kh, kw, sh, sw, same ? 1 : 0));
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

