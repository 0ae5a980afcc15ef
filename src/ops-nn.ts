// Neural-network ops: conv2d and pooling (kernels and backward rules in assembly/ops/conv.ts), the
// losses (compositions of recorded ops, so they need no gradient code), and seeded random tensors
// (generated inside the core by assembly/ops/random.ts, bit-identical on every platform).
import { def, checkDTypes, dims, broadcastShapes, reshape, logSoftmax, softplus, mul, sub, sum, mean, square, equal, cast, expandDims, neg } from './ops.js';
import { core } from './core.js';
import { Tensor, TensorLike, toTensor, wrap, describe, tensor, empty, checkShape } from './tensor.js';

/** The kernels of assembly/ops/conv.ts and assembly/ops/random.ts. */
interface NNCore {
  conv2d(x: number, filter: number, geometry: number): number;
  maxPool(x: number, geometry: number, window: number): number;
  avgPool(x: number, geometry: number, window: number): number;
  randomUniform(id: number, seed: number, min: number, max: number): void;
  randomNormal(id: number, seed: number, mean: number, stddev: number): void;
}
const kernels = () => core as unknown as NNCore;
const fmt = (s: readonly unknown[]) => `[${s.join(', ')}]`;

/** Convolution and pooling padding, as in TF: 'valid' (no padding) or 'same' (output size ceil(input / stride)). */
export type Padding = 'same' | 'valid';

// ---- convolution and pooling geometry (TF's rules) ----
const MAX_STRIDE = 0x7fff; // attribute packing limits of assembly/ops/conv.ts
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
const geometry = (sh: number, sw: number, same: boolean) => sh | (sw << 15) | (same ? 1 << 30 : 0);

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
  if (x.batched) return withDims(wrap(call(x.t.id), 'float32'), outShape);
  const x4 = reshape(x.t, x.shape);
  const out4 = withDims(wrap(call(x4.id), 'float32'), outShape);
  const out = reshape(out4, outShape.slice(1));
  x4.dispose(); out4.dispose(); // temporaries: a tape keeps its own references
  return out;
}
function withDims(t: Tensor, shape: number[]): Tensor { t._shape = shape; return t; }

// ---- conv2d ----
/** 2-D convolution of an NHWC input with an HWIO filter (TF's tf.nn.conv2d layout), with `strides` and `padding` 'valid' (default) or 'same'. No dilation or groups. */
export const conv2d = /* @__PURE__ */ def('conv2d', function conv2d(x: TensorLike, filter: TensorLike, strides: number | readonly number[] = 1, padding: Padding = 'valid'): Tensor {
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
  return spatialCall(input, outShape, id => kernels().conv2d(id, f.id, geometry(sh, sw, same)));
  
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
    const g = geometry(sh, sw, same), win = kh | (kw << 16);
    return spatialCall(input, outShape, id => name === 'maxPool' ? kernels().maxPool(id, g, win) : kernels().avgPool(id, g, win));
    
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
export const maxPool = /* @__PURE__ */ def('maxPool', /* @__PURE__ */ poolOp('maxPool'), __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  // a wide domain keeps window values far apart, so finite differences never straddle a tie
  domain: [-100, 100],
  examples: POOL_EXAMPLES,
});
/** Average pooling (NHWC). With SAME padding each window averages its valid elements only (TF). */
export const avgPool = /* @__PURE__ */ def('avgPool', /* @__PURE__ */ poolOp('avgPool'), __TESTS__ && { kind: 'other', dtypes: 'float', grad: true, examples: POOL_EXAMPLES });

// ---- losses (one value per example: the last axis is reduced) ----
/** A float tensor of labels; int32 and bool labels are cast to float32 (they carry no gradient). */
function floatLabels(op: string, labels: TensorLike): Tensor {
  const t = toTensor(op, labels, 'float32');
  return t.dtype === 'float32' ? t : cast(t, 'float32');
}
/** labels must broadcast to the shape of logits. */
function checkLabelShape(op: string, labels: Tensor, logits: Tensor): void {
  const ls = dims(labels), xs = dims(logits), off = xs.length - ls.length;
  if (off < 0 || ls.some((d, i) => d !== 1 && d !== xs[i + off]))
    throw new Error(`${op}: labels of shape ${fmt(ls)} do not match logits of shape ${fmt(xs)} (they must have the same shape, or broadcast to it)`);
}
const meanLastAxis = (t: Tensor) => t.rank === 0 ? t : mean(t, -1);

/** -sum(labels · logSoftmax(logits), -1); differentiable w.r.t. both. */
export const softmaxCrossEntropy = /* @__PURE__ */ def('softmaxCrossEntropy', function softmaxCrossEntropy(labels: TensorLike, logits: TensorLike): Tensor {
  const op = 'softmaxCrossEntropy';
  const x = toTensor(op, logits);
  checkDTypes(op, x, 'float');
  if (x.rank === 0) throw new Error(`${op}: logits must have rank >= 1 (classes on the last axis), got a scalar`);
  const z = floatLabels(op, labels);
  checkLabelShape(op, z, x);
  return neg(sum(mul(z, logSoftmax(x, -1)), -1));
  
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [{ inputs: [[2, 5], [2, 5]] }, { inputs: [[4], [3, 4]] }, { inputs: [[2, 3, 4], [2, 3, 4]] }, { inputs: [[6], [6]] }],
});

/** Labels are int32 class indices, shaped like logits without the last axis; they get no gradient. */
export const sparseSoftmaxCrossEntropy = /* @__PURE__ */ def('sparseSoftmaxCrossEntropy', function sparseSoftmaxCrossEntropy(labels: TensorLike, logits: TensorLike): Tensor {
  const op = 'sparseSoftmaxCrossEntropy';
  const x = toTensor(op, logits);
  checkDTypes(op, x, 'float');
  const z = toTensor(op, labels, 'int32');
  if (z.dtype !== 'int32') throw new Error(`${op}: labels must be an int32 tensor of class indices, got dtype ${z.dtype} (shape ${fmt(dims(z))})`);
  const xs = dims(x), ls = dims(z);
  if (xs.length === 0) throw new Error(`${op}: logits must have rank >= 1 (classes on the last axis), got a scalar`);
  if (ls.length !== xs.length - 1 || ls.some((d, i) => d !== xs[i]))
    throw new Error(`${op}: labels of shape ${fmt(ls)} must have the shape of logits ${fmt(xs)} without its last axis, i.e. ${fmt(xs.slice(0, -1))}`);
  const classes = xs[xs.length - 1];
  const values = z.data() as Int32Array;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0 || values[i] >= classes)
      throw new Error(`${op}: label ${values[i]} at flat index ${i} is out of range [0, ${classes}) for logits of shape ${fmt(xs)}`);
  }
  // one-hot by comparison with 0..classes-1: comparisons are not recorded, so labels get no gradient
  const iota = tensor(Int32Array.from({ length: classes }, (_, i) => i), [classes], 'int32');
  const oneHot = cast(equal(expandDims(z, -1), iota), 'float32');
  return neg(sum(mul(oneHot, logSoftmax(x, -1)), -1));
  
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [{ inputs: [{ shape: [3], int: [0, 5] }, [3, 5]] }, { inputs: [{ shape: [2, 3], int: [0, 4] }, [2, 3, 4]] }, { inputs: [{ shape: [], int: [0, 6] }, [6]] }],
});

/**
 * Mean over the last axis of softplus(x) - x·z (x = logits, z = labels), i.e. TF's stable
 * max(x, 0) - x·z + log(1 + exp(-|x|)) (Keras binary_crossentropy from logits). Its gradient
 * w.r.t. the logits is (sigmoid(x) - z) / lastAxisSize, finite for any |x|.
 */
export const sigmoidCrossEntropy = /* @__PURE__ */ def('sigmoidCrossEntropy', function sigmoidCrossEntropy(labels: TensorLike, logits: TensorLike): Tensor {
  const op = 'sigmoidCrossEntropy';
  const x = toTensor(op, logits);
  checkDTypes(op, x, 'float');
  const z = floatLabels(op, labels);
  checkLabelShape(op, z, x);
  return meanLastAxis(sub(softplus(x), mul(x, z)));
  
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true, domain: [-4, 4],
  examples: [{ inputs: [[2, 3], [2, 3]] }, { inputs: [[4], [4]] }, { inputs: [[3, 1], [3, 1]] }, { inputs: [[3], [2, 3]] }, { inputs: [[], []] }],
});

/** mean(square(yPred - yTrue), -1) (Keras MSE); yTrue and yPred broadcast together. */
export const meanSquaredError = /* @__PURE__ */ def('meanSquaredError', function meanSquaredError(yTrue: TensorLike, yPred: TensorLike): Tensor {
  const op = 'meanSquaredError';
  const p = toTensor(op, yPred);
  checkDTypes(op, p, 'float');
  const t = floatLabels(op, yTrue);
  broadcastShapes(op, dims(t), dims(p));
  return meanLastAxis(square(sub(p, t)));
  
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [{ inputs: [[2, 3], [2, 3]] }, { inputs: [[3], [2, 3]] }, { inputs: [[4], [4]] }, { inputs: [[2, 1], [2, 5]] }],
});

// ---- random tensors ----
/** Options of `randomNormal`: mean (0), standard deviation (1), seed, dtype (float32 only). */
export interface RandomNormalOptions { mean?: number; stddev?: number; seed?: number; dtype?: 'float32' }
/** Options of `randomUniform`: the interval [min, max) (default [0, 1)), seed, dtype (float32 only). */
export interface RandomUniformOptions { min?: number; max?: number; seed?: number; dtype?: 'float32' }

function checkOptions(op: string, options: unknown, keys: readonly string[]): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) throw new Error(`${op}: options must be an object like { ${keys.join(', ')} }, got ${describe(options)}`);
  const o = options as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!keys.includes(k) && k !== 'dtype') throw new Error(`${op}: unknown option ${JSON.stringify(k)} (expected ${keys.join(', ')})`);
  }
  if (o.dtype !== undefined && o.dtype !== 'float32') throw new Error(`${op}: only dtype 'float32' is supported, got ${describe(o.dtype)}`);
  return o;
}
function finiteOption(op: string, o: Record<string, unknown>, key: string, fallback: number): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${op}: ${key} must be a finite number, got ${describe(o[key])}`);
  return v;
}
/** The seed (a safe integer; the core splits it into 64-bit two's complement words), or a fresh random one. */
function seedOf(op: string, seed: unknown): number {
  if (seed === undefined || seed === null) {
    const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint32Array) => Uint32Array } }).crypto;
    const w = c?.getRandomValues ? c.getRandomValues(new Uint32Array(2)) : [(Math.random() * 2 ** 32) >>> 0, (Math.random() * 2 ** 32) >>> 0];
    return (w[1] & 0x1fffff) * 2 ** 32 + w[0]; // 53 random bits
  }
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw new Error(`${op}: seed must be an integer (a safe integer), got ${describe(seed)}`);
  return seed;
}

/** Normal samples (float32) from a seeded counter-based generator: the same seed gives the same tensor everywhere. */
export function randomNormal(shape: readonly number[], options?: RandomNormalOptions): Tensor {
  const op = 'randomNormal';
  const o = checkOptions(op, options, ['mean', 'stddev', 'seed']);
  const m = finiteOption(op, o, 'mean', 0), sd = finiteOption(op, o, 'stddev', 1);
  if (sd < 0) throw new Error(`${op}: stddev must be >= 0, got ${sd}`);
  const seed = seedOf(op, o.seed);
  const out = empty(shape, 'float32', op);
  out._shape = shape.slice();
  kernels().randomNormal(out.id, seed, m, sd);
  return out;
}

/** Uniform samples (float32) in [min, max) from a seeded counter-based generator. */
export function randomUniform(shape: readonly number[], options?: RandomUniformOptions): Tensor {
  const op = 'randomUniform';
  const o = checkOptions(op, options, ['min', 'max', 'seed']);
  const min = finiteOption(op, o, 'min', 0), max = finiteOption(op, o, 'max', 1);
  if (!(min <= max)) throw new Error(`${op}: min must be <= max, got min=${min}, max=${max}`);
  const seed = seedOf(op, o.seed);
  const out = empty(shape, 'float32', op);
  out._shape = shape.slice();
  kernels().randomUniform(out.id, seed, min, max);
  return out;
}
