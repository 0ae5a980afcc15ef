// Float64 reference implementations of every op in API.md, with the same argument order and
// defaults, TF semantics. Straightforward loops on purpose: clarity over speed. Any argument
// that is a tensor in the API accepts an ND, a number, nested arrays or a typed array here.

import {
  type ND,
  type NDLike,
  broadcastIndexMap,
  broadcastShapes,
  broadcastTo as broadcastToND,
  normAxes,
  normAxis,
  ravel,
  sizeOf,
  stridesOf,
  toND,
  unravel,
} from './nd.js';
import { einsumReference } from './einsum-reference.js';

export type RefOp = (...args: any[]) => ND | ND[];
export type Padding = 'same' | 'valid';
export type DType = 'float32' | 'int32' | 'bool';

// ---------------------------------------------------------------------------------------------
// Scalar math helpers

const SQRT_PI = Math.sqrt(Math.PI);

/** erf to ~1 ulp: positive-term series for |x| < 3, 1 - erfc (continued fraction) beyond. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax >= 3) return Math.sign(x) * (1 - erfcPositiveLarge(ax));
  // erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n (2x^2)^n x / (1*3*...*(2n+1)): no cancellation.
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
  }
  return (2 / SQRT_PI) * Math.exp(-x2) * sum;
}

/** erfc for x >= 3 by the Laplace continued fraction (evaluated backwards, 80 levels). */
function erfcPositiveLarge(x: number): number {
  let t = x;
  for (let n = 80; n >= 1; n--) t = x + n / 2 / t;
  return Math.exp(-x * x) / SQRT_PI / t;
}

export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 3) return erfcPositiveLarge(x);
  if (x <= -3) return 2 - erfcPositiveLarge(-x);
  return 1 - erf(x);
}

export function sigmoidScalar(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export function softplusScalar(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** Round half to even (TF's round / banker's rounding). */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Floor modulo with the sign of the divisor (Python %, TF floormod). */
export function floorMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

export const SELU_ALPHA = 1.6732632423543772;
export const SELU_SCALE = 1.0507009873554805;

// ---------------------------------------------------------------------------------------------
// Elementwise machinery

function unary(x: NDLike, f: (v: number) => number): ND {
  const a = toND(x);
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(a.data[i]!);
  return { shape: [...a.shape], data: out };
}

function binary(x: NDLike, y: NDLike, f: (a: number, b: number) => number): ND {
  const a = toND(x);
  const b = toND(y);
  const shape = broadcastShapes(a.shape, b.shape);
  const ma = broadcastIndexMap(a.shape, shape);
  const mb = broadcastIndexMap(b.shape, shape);
  const out = new Float64Array(ma.length);
  for (let i = 0; i < out.length; i++) out[i] = f(a.data[ma[i]!]!, b.data[mb[i]!]!);
  return { shape, data: out };
}

function ternary(x: NDLike, y: NDLike, z: NDLike, f: (a: number, b: number, c: number) => number): ND {
  const a = toND(x);
  const b = toND(y);
  const c = toND(z);
  const shape = broadcastShapes(a.shape, b.shape, c.shape);
  const ma = broadcastIndexMap(a.shape, shape);
  const mb = broadcastIndexMap(b.shape, shape);
  const mc = broadcastIndexMap(c.shape, shape);
  const out = new Float64Array(ma.length);
  for (let i = 0; i < out.length; i++) out[i] = f(a.data[ma[i]!]!, b.data[mb[i]!]!, c.data[mc[i]!]!);
  return { shape, data: out };
}

const b01 = (v: boolean): number => (v ? 1 : 0);

// ---------------------------------------------------------------------------------------------
// Reductions: gather each output cell's values (in increasing index order along reduced axes).

type Axis = number | readonly number[] | undefined;

function reduceGroups(x: ND, axis: Axis, keepDims: boolean, op: string): { shape: number[]; groups: number[][] } {
  const rank = x.shape.length;
  const axes = normAxes(axis, rank, op);
  const reduced = new Array<boolean>(rank).fill(false);
  for (const a of axes) reduced[a] = true;
  const keptShape = x.shape.map((d, i) => (reduced[i] ? 1 : d));
  const shape = keepDims ? keptShape : x.shape.filter((_, i) => !reduced[i]);
  const groups: number[][] = Array.from({ length: sizeOf(keptShape) }, () => []);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape);
    for (let a = 0; a < rank; a++) if (reduced[a]) idx[a] = 0;
    groups[ravel(idx, keptShape)]!.push(x.data[i]!);
  }
  return { shape, groups };
}

function reduce(x: NDLike, axis: Axis, keepDims: boolean, op: string, f: (vals: number[]) => number): ND {
  const { shape, groups } = reduceGroups(toND(x), axis, keepDims, op);
  return { shape, data: Float64Array.from(groups, f) };
}

const sumOf = (v: number[]): number => v.reduce((s, a) => s + a, 0);
const maxOf = (v: number[]): number => v.reduce((m, a) => (a > m || Number.isNaN(a) ? a : m), -Infinity);
const minOf = (v: number[]): number => v.reduce((m, a) => (a < m || Number.isNaN(a) ? a : m), Infinity);

function logSumExpOf(v: number[]): number {
  const raw = maxOf(v);
  const m = Number.isFinite(raw) ? raw : 0; // TF: a non-finite max is not subtracted
  return Math.log(sumOf(v.map((a) => Math.exp(a - m)))) + m;
}

/** Applies a vector -> vector function along one axis (output length may differ). */
export function alongAxis(x: NDLike, axis: number, f: (vals: number[]) => number[], op = 'alongAxis'): ND {
  const a = toND(x);
  const ax = normAxis(axis, a.shape.length, op);
  const n = a.shape[ax]!;
  const outer = sizeOf(a.shape.slice(0, ax));
  const inner = sizeOf(a.shape.slice(ax + 1));
  let outLen = -1;
  let out: Float64Array = new Float64Array(0);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const vals: number[] = [];
      for (let k = 0; k < n; k++) vals.push(a.data[(o * n + k) * inner + i]!);
      const res = f(vals);
      if (outLen < 0) {
        outLen = res.length;
        out = new Float64Array(outer * outLen * inner);
      }
      for (let k = 0; k < outLen; k++) out[(o * outLen + k) * inner + i] = res[k]!;
    }
  }
  if (outLen < 0) outLen = f(new Array<number>(n).fill(0)).length;
  const shape = [...a.shape];
  shape[ax] = outLen;
  return { shape, data: out.length === sizeOf(shape) ? out : new Float64Array(sizeOf(shape)) };
}

function softmaxVec(v: number[]): number[] {
  const m = maxOf(v);
  const e = v.map((a) => Math.exp(a - m));
  const s = sumOf(e);
  return e.map((a) => a / s);
}

function logSoftmaxVec(v: number[]): number[] {
  const m = maxOf(v);
  const lse = Math.log(sumOf(v.map((a) => Math.exp(a - m)))) + m;
  return v.map((a) => a - lse);
}

// ---------------------------------------------------------------------------------------------
// Shape helpers

function resolveShape(shape: readonly number[], size: number, op: string): number[] {
  const neg = shape.filter((d) => d === -1).length;
  if (neg > 1) throw new Error(`${op}: only one -1 allowed in shape [${shape}]`);
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const out = shape.map((d) => {
    if (d === -1) {
      if (known === 0 || size % known !== 0) throw new Error(`${op}: cannot reshape size ${size} into [${shape}]`);
      return size / known;
    }
    return d;
  });
  if (sizeOf(out) !== size) throw new Error(`${op}: cannot reshape size ${size} into [${shape}]`);
  return out;
}

function transposeND(x: ND, perm?: readonly number[]): ND {
  const rank = x.shape.length;
  const p = perm ? perm.map((a) => normAxis(a, rank, 'transpose')) : x.shape.map((_, i) => rank - 1 - i);
  if (p.length !== rank || new Set(p).size !== rank) throw new Error(`transpose: bad perm [${perm}] for rank ${rank}`);
  const shape = p.map((a) => x.shape[a]!);
  const inStrides = stridesOf(x.shape);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, shape);
    let off = 0;
    for (let k = 0; k < rank; k++) off += idx[k]! * inStrides[p[k]!]!;
    out[i] = x.data[off]!;
  }
  return { shape, data: out };
}

function sliceND(x: ND, begin: readonly number[], size: readonly number[]): ND {
  const out = new Float64Array(sizeOf(size));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, size);
    for (let k = 0; k < idx.length; k++) idx[k]! += begin[k]!;
    out[i] = x.data[ravel(idx, x.shape)]!;
  }
  return { shape: [...size], data: out };
}

function concatND(xs: readonly NDLike[], axis: number): ND {
  if (xs.length === 0) throw new Error('concat: needs at least one tensor');
  const arrs = xs.map(toND);
  const rank = arrs[0]!.shape.length;
  const ax = normAxis(axis, rank, 'concat');
  for (const a of arrs) {
    if (a.shape.length !== rank || a.shape.some((d, i) => i !== ax && d !== arrs[0]!.shape[i])) {
      throw new Error(`concat: shapes ${arrs.map((q) => `[${q.shape}]`).join(', ')} do not match off axis ${axis}`);
    }
  }
  const shape = [...arrs[0]!.shape];
  shape[ax] = arrs.reduce((s, a) => s + a.shape[ax]!, 0);
  const outer = sizeOf(shape.slice(0, ax));
  const out = new Float64Array(sizeOf(shape));
  let off = 0;
  for (let o = 0; o < outer; o++) {
    for (const a of arrs) {
      const chunk = sizeOf(a.shape.slice(ax));
      out.set(a.data.subarray(o * chunk, (o + 1) * chunk), off);
      off += chunk;
    }
  }
  return { shape, data: out };
}

function expandDimsND(x: ND, axis: number): ND {
  const rank = x.shape.length;
  if (!Number.isInteger(axis) || axis < -(rank + 1) || axis > rank) {
    throw new Error(`expandDims: axis ${axis} is out of range for rank ${rank}`);
  }
  const ax = axis < 0 ? axis + rank + 1 : axis;
  const shape = [...x.shape];
  shape.splice(ax, 0, 1);
  return { shape, data: Float64Array.from(x.data) };
}

function pair(v: number | readonly number[], op: string, what: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (v.length === 2) return [v[0]!, v[1]!];
  if (v.length === 4) return [v[1]!, v[2]!]; // TF's [1, sh, sw, 1] form
  throw new Error(`${op}: ${what} must be a number or [h, w], got [${v}]`);
}

/** TF output size and leading pad for one spatial dim. */
export function convOutAndPad(inSize: number, k: number, stride: number, padding: Padding): { out: number; padBefore: number } {
  if (padding === 'valid') {
    return { out: Math.max(Math.ceil((inSize - k + 1) / stride), 0), padBefore: 0 };
  }
  if (padding === 'same') {
    const out = Math.ceil(inSize / stride);
    const total = Math.max((out - 1) * stride + k - inSize, 0);
    return { out, padBefore: Math.floor(total / 2) };
  }
  throw new Error(`padding must be 'same' or 'valid', got ${String(padding)}`);
}

/** float64 gradients of conv2d (dx, df) for upstream dy (NHWC, HWIO, no dilation). */
export function refConvBackprop(x: ND, f: ND, dy: ND, strides: number | [number, number], padding: 'same' | 'valid'): { dx: Float64Array; df: Float64Array } {
  const [N, H, W, C] = x.shape, [KH, KW, , CO] = f.shape;
  const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
  const { out: OH, padBefore: pt } = convOutAndPad(H, KH, sh, padding);
  const { out: OW, padBefore: pl } = convOutAndPad(W, KW, sw, padding);
  const dx = new Float64Array(x.data.length), df = new Float64Array(f.data.length);
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let i = 0; i < KH; i++) {
    const h = oh * sh - pt + i;
    if (h < 0 || h >= H) continue;
    for (let j = 0; j < KW; j++) {
      const w = ow * sw - pl + j;
      if (w < 0 || w >= W) continue;
      for (let c = 0; c < C; c++) for (let o = 0; o < CO; o++) {
        const g = dy.data[((n * OH + oh) * OW + ow) * CO + o];
        dx[((n * H + h) * W + w) * C + c] += g * f.data[((i * KW + j) * C + c) * CO + o];
        df[((i * KW + j) * C + c) * CO + o] += g * x.data[((n * H + h) * W + w) * C + c];
      }
    }
  }
  return { dx, df };
}

function pool(
  x: NDLike,
  size: number | readonly number[],
  strides: number | readonly number[] | undefined,
  padding: Padding,
  kind: 'max' | 'avg',
): ND {
  const op = kind === 'max' ? 'maxPool' : 'avgPool';
  let a = toND(x);
  const batched = a.shape.length === 4;
  if (!batched) {
    if (a.shape.length !== 3) throw new Error(`${op}: x must be rank 4 (NHWC) or 3 (HWC), got [${a.shape}]`);
    a = { shape: [1, ...a.shape], data: a.data };
  }
  const [N, H, W, C] = a.shape as [number, number, number, number];
  const [kh, kw] = pair(size, op, 'size');
  const [sh, sw] = pair(strides ?? size, op, 'strides');
  const { out: OH, padBefore: pt } = convOutAndPad(H, kh, sh, padding);
  const { out: OW, padBefore: pl } = convOutAndPad(W, kw, sw, padding);
  const out = new Float64Array(N * OH * OW * C);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let c = 0; c < C; c++) {
          let acc = kind === 'max' ? -Infinity : 0;
          let count = 0;
          for (let i = 0; i < kh; i++) {
            const h = oh * sh - pt + i;
            if (h < 0 || h >= H) continue;
            for (let j = 0; j < kw; j++) {
              const w = ow * sw - pl + j;
              if (w < 0 || w >= W) continue;
              const v = a.data[((n * H + h) * W + w) * C + c]!;
              if (kind === 'max') acc = v > acc || Number.isNaN(v) ? v : acc;
              else acc += v;
              count++;
            }
          }
          out[((n * OH + oh) * OW + ow) * C + c] = kind === 'max' ? acc : acc / count;
        }
  return { shape: batched ? [N, OH, OW, C] : [OH, OW, C], data: out };
}

/** Elementwise sigmoid cross-entropy with logits (TF's stable form). */
export function sigmoidCrossEntropyPerElement(labels: NDLike, logits: NDLike): ND {
  return binary(labels, logits, (z, x) => Math.max(x, 0) - x * z + Math.log1p(Math.exp(-Math.abs(x))));
}

function meanLastAxis(x: ND): ND {
  if (x.shape.length === 0) return x;
  return reduce(x, -1, false, 'mean', (v) => sumOf(v) / v.length);
}

function intValue(v: number, op: string, what: string): number {
  if (!Number.isInteger(v)) throw new Error(`${op}: ${what} must be integers, got ${v}`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// The ops

function matmul(a: NDLike, b: NDLike, transposeA = false, transposeB = false, options?: FusedRef): ND {
  if (options) return fusedRef(matmul(a, b, transposeA, transposeB), options);
  const A = toND(a);
  const B = toND(b);
  if (A.shape.length < 2 || B.shape.length < 2) {
    throw new Error(`matmul: both inputs need rank >= 2, got [${A.shape}] and [${B.shape}]`);
  }
  const ra = A.shape.length;
  const rb = B.shape.length;
  const [aRows, aCols] = [A.shape[ra - 2]!, A.shape[ra - 1]!];
  const [bRows, bCols] = [B.shape[rb - 2]!, B.shape[rb - 1]!];
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const k2 = transposeB ? bCols : bRows;
  const n = transposeB ? bRows : bCols;
  if (k !== k2) throw new Error(`matmul: inner dimensions ${k} and ${k2} differ ([${A.shape}] x [${B.shape}])`);
  const batchA = A.shape.slice(0, -2);
  const batchB = B.shape.slice(0, -2);
  const batch = broadcastShapes(batchA, batchB);
  const mapA = broadcastIndexMap(batchA, batch);
  const mapB = broadcastIndexMap(batchB, batch);
  const out = new Float64Array(mapA.length * m * n);
  for (let bi = 0; bi < mapA.length; bi++) {
    const oa = mapA[bi]! * aRows * aCols;
    const ob = mapB[bi]! * bRows * bCols;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = transposeA ? A.data[oa + p * aCols + i]! : A.data[oa + i * aCols + p]!;
          const bv = transposeB ? B.data[ob + j * bCols + p]! : B.data[ob + p * bCols + j]!;
          s += av * bv;
        }
        out[(bi * m + i) * n + j] = s;
      }
  }
  return { shape: [...batch, m, n], data: out };
}

/** tfjs dot / np.dot: contracts a's last axis with b's first (rank 1) or second-to-last axis. */
function dot(a: NDLike, b: NDLike): ND {
  const A = toND(a);
  const B = toND(b);
  if (A.shape.length === 0 || B.shape.length === 0) {
    throw new Error(`dot: inputs need rank >= 1, got [${A.shape}] and [${B.shape}]`);
  }
  const ka = A.shape[A.shape.length - 1]!;
  const bAxis = B.shape.length === 1 ? 0 : B.shape.length - 2;
  const kb = B.shape[bAxis]!;
  if (ka !== kb) throw new Error(`dot: inner dimensions ${ka} and ${kb} differ ([${A.shape}] . [${B.shape}])`);
  const aOuter = A.shape.slice(0, -1);
  const bOuterShape = B.shape.filter((_, i) => i !== bAxis);
  const bStrides = stridesOf(B.shape);
  const nA = sizeOf(aOuter);
  const nB = sizeOf(bOuterShape);
  const out = new Float64Array(nA * nB);
  for (let i = 0; i < nA; i++)
    for (let j = 0; j < nB; j++) {
      const bIdx = unravel(j, bOuterShape);
      bIdx.splice(bAxis, 0, 0);
      const base = ravel(bIdx, B.shape);
      let s = 0;
      for (let p = 0; p < ka; p++) s += A.data[i * ka + p]! * B.data[base + p * bStrides[bAxis]!]!;
      out[i * nB + j] = s;
    }
  return { shape: [...aOuter, ...bOuterShape], data: out };
}

/** conv2d's and matmul's fused epilogue: activation(y + bias), bias along the last axis. */
interface FusedRef { bias?: NDLike; activation?: string; leakyReluAlpha?: number; dilations?: number | readonly number[] }
function fusedRef(y: ND, o: FusedRef): ND {
  let z = y;
  if (o.bias !== undefined) {
    const B = toND(o.bias), C = y.shape[y.shape.length - 1]!;
    z = { shape: y.shape, data: y.data.map((v, i) => v + B.data[B.data.length === 1 ? 0 : i % C]!) };
  }
  const alpha = o.leakyReluAlpha ?? 0.2;
  const act: Record<string, (v: number) => number> = {
    linear: v => v, relu: v => Math.max(v, 0), relu6: v => Math.min(Math.max(v, 0), 6), sigmoid: v => 1 / (1 + Math.exp(-v)),
    tanh: Math.tanh, elu: v => v > 0 ? v : Math.expm1(v), leakyRelu: v => v > 0 ? v : alpha * v,
  };
  const f = act[o.activation ?? 'linear'];
  if (!f) throw new Error(`unknown activation ${o.activation}`);
  return { shape: z.shape, data: z.data.map(f) };
}

/** TF's conv2d_transpose: the adjoint of conv2d(·, filter) from outputShape ([N,]H,W,CO) to x's shape. Filter [KH, KW, CO, C]. */
function conv2dTranspose(x: NDLike, filter: NDLike, outputShape: readonly number[], strides: number | readonly number[] = 1, padding: Padding = 'valid', options?: FusedRef): ND {
  if (options) return fusedRef(conv2dTranspose(x, filter, outputShape, strides, padding), options);
  let X = toND(x);
  const F = toND(filter);
  const batched = X.shape.length === 4;
  if (!batched) X = { shape: [1, ...X.shape], data: X.data };
  const [N, OH, OW, C] = X.shape as [number, number, number, number];
  const [KH, KW, CO, CI] = F.shape as [number, number, number, number];
  if (CI !== C) throw new Error(`conv2dTranspose: x has ${C} channels, filter expects ${CI}`);
  const os = outputShape.length === 4 ? outputShape.slice(1) : outputShape;
  const [H, W] = os as [number, number, number];
  const [sh, sw] = pair(strides, 'conv2dTranspose', 'strides');
  const { out: oh2, padBefore: pt } = convOutAndPad(H, KH, sh, padding);
  const { out: ow2, padBefore: pl } = convOutAndPad(W, KW, sw, padding);
  if (oh2 !== OH || ow2 !== OW) throw new Error(`conv2dTranspose: output ${os} does not give x's size ${OH}x${OW}`);
  const out = new Float64Array(N * H * W * CO);
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++)
    for (let i = 0; i < KH; i++) {
      const h = oh * sh - pt + i;
      if (h < 0 || h >= H) continue;
      for (let j = 0; j < KW; j++) {
        const w = ow * sw - pl + j;
        if (w < 0 || w >= W) continue;
        for (let co = 0; co < CO; co++) {
          let s = 0;
          for (let c = 0; c < C; c++) s += X.data[((n * OH + oh) * OW + ow) * C + c]! * F.data[((i * KW + j) * CO + co) * C + c]!;
          out[((n * H + h) * W + w) * CO + co] += s;
        }
      }
    }
  return { shape: batched ? [N, H, W, CO] : [H, W, CO], data: out };
}

/** TF's depthwise_conv2d: filter [KH, KW, C, M], output channel c·M + k. */
function depthwiseConv2d(x: NDLike, filter: NDLike, strides: number | readonly number[] = 1, padding: Padding = 'valid', options?: FusedRef): ND {
  if (options) return fusedRef(depthwiseConv2d(x, filter, strides, padding), options);
  let X = toND(x);
  const F = toND(filter);
  const batched = X.shape.length === 4;
  if (!batched) X = { shape: [1, ...X.shape], data: X.data };
  const [N, H, W, C] = X.shape as [number, number, number, number];
  const [KH, KW, CI, M] = F.shape as [number, number, number, number];
  if (CI !== C) throw new Error(`depthwiseConv2d: x has ${C} channels, filter expects ${CI}`);
  const [sh, sw] = pair(strides, 'depthwiseConv2d', 'strides');
  const { out: OH, padBefore: pt } = convOutAndPad(H, KH, sh, padding);
  const { out: OW, padBefore: pl } = convOutAndPad(W, KW, sw, padding);
  const out = new Float64Array(N * OH * OW * C * M);
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++)
    for (let c = 0; c < C; c++) for (let k = 0; k < M; k++) {
      let s = 0;
      for (let i = 0; i < KH; i++) {
        const h = oh * sh - pt + i;
        if (h < 0 || h >= H) continue;
        for (let j = 0; j < KW; j++) {
          const w = ow * sw - pl + j;
          if (w < 0 || w >= W) continue;
          s += X.data[((n * H + h) * W + w) * C + c]! * F.data[((i * KW + j) * C + c) * M + k]!;
        }
      }
      out[((n * OH + oh) * OW + ow) * C * M + c * M + k] = s;
    }
  return { shape: batched ? [N, OH, OW, C * M] : [OH, OW, C * M], data: out };
}

function conv2d(
  x: NDLike,
  filter: NDLike,
  strides: number | readonly number[] = 1,
  padding: Padding = 'valid',
  dilationsOrOptions: number | readonly number[] | FusedRef = 1,
): ND {
  if (typeof dilationsOrOptions === 'object' && !Array.isArray(dilationsOrOptions)) {
    const o = dilationsOrOptions as FusedRef;
    return fusedRef(conv2d(x, filter, strides, padding, o.dilations ?? 1), o);
  }
  const dilations = dilationsOrOptions as number | readonly number[];
  let X = toND(x);
  const F = toND(filter);
  const batched = X.shape.length === 4;
  if (!batched) {
    if (X.shape.length !== 3) throw new Error(`conv2d: x must be rank 4 (NHWC) or 3 (HWC), got [${X.shape}]`);
    X = { shape: [1, ...X.shape], data: X.data };
  }
  if (F.shape.length !== 4) throw new Error(`conv2d: filter must be rank 4 (HWIO), got [${F.shape}]`);
  const [N, H, W, C] = X.shape as [number, number, number, number];
  const [KH, KW, CI, CO] = F.shape as [number, number, number, number];
  if (CI !== C) throw new Error(`conv2d: x has ${C} channels but filter expects ${CI} ([${X.shape}], [${F.shape}])`);
  const [sh, sw] = pair(strides, 'conv2d', 'strides');
  const [dh, dw] = pair(dilations, 'conv2d', 'dilations');
  const ekh = (KH - 1) * dh + 1;
  const ekw = (KW - 1) * dw + 1;
  const { out: OH, padBefore: pt } = convOutAndPad(H, ekh, sh, padding);
  const { out: OW, padBefore: pl } = convOutAndPad(W, ekw, sw, padding);
  const out = new Float64Array(N * OH * OW * CO);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let co = 0; co < CO; co++) {
          let s = 0;
          for (let i = 0; i < KH; i++) {
            const h = oh * sh - pt + i * dh;
            if (h < 0 || h >= H) continue;
            for (let j = 0; j < KW; j++) {
              const w = ow * sw - pl + j * dw;
              if (w < 0 || w >= W) continue;
              for (let c = 0; c < C; c++) {
                s += X.data[((n * H + h) * W + w) * C + c]! * F.data[((i * KW + j) * CI + c) * CO + co]!;
              }
            }
          }
          out[((n * OH + oh) * OW + ow) * CO + co] = s;
        }
  return { shape: batched ? [N, OH, OW, CO] : [OH, OW, CO], data: out };
}

function split(x: NDLike, sizesOrCount: number | readonly number[], axis = 0): ND[] {
  const a = toND(x);
  const ax = normAxis(axis, a.shape.length, 'split');
  const dim = a.shape[ax]!;
  let sizes: number[];
  if (typeof sizesOrCount === 'number') {
    if (!Number.isInteger(sizesOrCount) || sizesOrCount <= 0 || dim % sizesOrCount !== 0) {
      throw new Error(`split: dimension ${dim} of axis ${axis} is not divisible into ${sizesOrCount} parts`);
    }
    sizes = new Array<number>(sizesOrCount).fill(dim / sizesOrCount);
  } else {
    sizes = [...sizesOrCount];
    const neg = sizes.filter((s) => s === -1).length;
    if (neg > 1) throw new Error(`split: only one -1 allowed in sizes [${sizesOrCount}]`);
    if (neg === 1) {
      const rest = dim - sizes.reduce((p, s) => (s === -1 ? p : p + s), 0);
      sizes = sizes.map((s) => (s === -1 ? rest : s));
    }
    if (sizes.some((s) => s < 0) || sizes.reduce((p, s) => p + s, 0) !== dim) {
      throw new Error(`split: sizes [${sizesOrCount}] do not sum to dimension ${dim} of axis ${axis}`);
    }
  }
  const res: ND[] = [];
  let start = 0;
  for (const s of sizes) {
    const begin = a.shape.map((_, i) => (i === ax ? start : 0));
    const size = a.shape.map((d, i) => (i === ax ? s : d));
    res.push(sliceND(a, begin, size));
    start += s;
  }
  return res;
}

/** tfjs slice: a number begin means [begin, 0, ...]; a missing/short size is filled with -1 (= rest). */
function slice(x: NDLike, begin: number | readonly number[], size?: number | readonly number[]): ND {
  const a = toND(x);
  const rank = a.shape.length;
  const b = typeof begin === 'number' ? [begin] : [...begin];
  while (b.length < rank) b.push(0);
  const s = size === undefined ? [] : typeof size === 'number' ? [size] : [...size];
  while (s.length < rank) s.push(-1);
  if (b.length !== rank || s.length !== rank) {
    throw new Error(`slice: begin [${begin}] / size [${size}] do not match rank ${rank}`);
  }
  const sz = s.map((v, i) => (v === -1 ? a.shape[i]! - b[i]! : v));
  for (let i = 0; i < rank; i++) {
    if (b[i]! < 0 || sz[i]! < 0 || b[i]! + sz[i]! > a.shape[i]!) {
      throw new Error(`slice: begin [${begin}] size [${size}] out of bounds for shape [${a.shape}]`);
    }
  }
  return sliceND(a, b, sz);
}

function gather(x: NDLike, indices: NDLike, axis = 0): ND {
  const a = toND(x);
  const idx = toND(indices);
  const ax = normAxis(axis, a.shape.length, 'gather');
  const dim = a.shape[ax]!;
  const outer = sizeOf(a.shape.slice(0, ax));
  const inner = sizeOf(a.shape.slice(ax + 1));
  const nIdx = idx.data.length;
  const out = new Float64Array(outer * nIdx * inner);
  for (let j = 0; j < nIdx; j++) {
    const k = intValue(idx.data[j]!, 'gather', 'indices');
    if (k < 0 || k >= dim) throw new Error(`gather: index ${k} is out of range [0, ${dim}) on axis ${axis}`);
  }
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < nIdx; j++) {
      const k = idx.data[j]!;
      for (let i = 0; i < inner; i++) out[(o * nIdx + j) * inner + i] = a.data[(o * dim + k) * inner + i]!;
    }
  return { shape: [...a.shape.slice(0, ax), ...idx.shape, ...a.shape.slice(ax + 1)], data: out };
}

function tile(x: NDLike, reps: readonly number[]): ND {
  const a = toND(x);
  if (reps.length !== a.shape.length) throw new Error(`tile: reps [${reps}] must have rank ${a.shape.length}`);
  const shape = a.shape.map((d, i) => d * reps[i]!);
  const out = new Float64Array(sizeOf(shape));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, shape).map((v, k) => v % a.shape[k]!);
    out[i] = a.data[ravel(idx, a.shape)]!;
  }
  return { shape, data: out };
}

function pad(x: NDLike, paddings: readonly (readonly [number, number] | readonly number[])[], value = 0): ND {
  const a = toND(x);
  if (paddings.length !== a.shape.length) {
    throw new Error(`pad: paddings has ${paddings.length} entries for rank ${a.shape.length}`);
  }
  const shape = a.shape.map((d, i) => d + paddings[i]![0]! + paddings[i]![1]!);
  const out = new Float64Array(sizeOf(shape)).fill(value);
  for (let i = 0; i < a.data.length; i++) {
    const idx = unravel(i, a.shape).map((v, k) => v + paddings[k]![0]!);
    out[ravel(idx, shape)] = a.data[i]!;
  }
  return { shape, data: out };
}

function squeeze(x: NDLike, axis?: number | readonly number[]): ND {
  const a = toND(x);
  const rank = a.shape.length;
  let drop: number[];
  if (axis === undefined) drop = a.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  else {
    drop = normAxes(axis, rank, 'squeeze');
    for (const d of drop) {
      if (a.shape[d] !== 1) throw new Error(`squeeze: dimension ${d} of shape [${a.shape}] is not 1`);
    }
  }
  return { shape: a.shape.filter((_, i) => !drop.includes(i)), data: Float64Array.from(a.data) };
}

function argReduce(x: NDLike, axis: number, better: (a: number, b: number) => boolean, op: string): ND {
  const a = toND(x);
  normAxis(axis, a.shape.length, op);
  return reduce(a, axis, false, op, (v) => {
    let best = 0;
    for (let i = 1; i < v.length; i++) if (better(v[i]!, v[best]!)) best = i;
    return best;
  });
}

function softmaxCrossEntropy(labels: NDLike, logits: NDLike): ND {
  const L = toND(logits);
  const Y = broadcastToND(toND(labels), L.shape);
  const lsm = alongAxis(L, -1, logSoftmaxVec, 'softmaxCrossEntropy');
  const prod = binary(Y, lsm, (y, l) => -y * l);
  return reduce(prod, -1, false, 'softmaxCrossEntropy', sumOf);
}

function sparseSoftmaxCrossEntropy(labels: NDLike, logits: NDLike): ND {
  const L = toND(logits);
  const Y = toND(labels);
  const rank = L.shape.length;
  if (rank < 1 || Y.shape.length !== rank - 1 || Y.shape.some((d, i) => d !== L.shape[i])) {
    throw new Error(`sparseSoftmaxCrossEntropy: labels [${Y.shape}] must be logits [${L.shape}] without its last axis`);
  }
  const C = L.shape[rank - 1]!;
  const lsm = alongAxis(L, -1, logSoftmaxVec, 'sparseSoftmaxCrossEntropy');
  const out = new Float64Array(Y.data.length);
  for (let r = 0; r < out.length; r++) {
    const c = intValue(Y.data[r]!, 'sparseSoftmaxCrossEntropy', 'labels');
    if (c < 0 || c >= C) throw new Error(`sparseSoftmaxCrossEntropy: label ${c} out of range [0, ${C})`);
    out[r] = -lsm.data[r * C + c]!;
  }
  return { shape: [...Y.shape], data: out };
}

function oneHot(indices: NDLike, depth: number, onValue = 1, offValue = 0): ND {
  const idx = toND(indices);
  const out = new Float64Array(idx.data.length * depth).fill(offValue);
  for (let i = 0; i < idx.data.length; i++) {
    const k = idx.data[i]!;
    if (Number.isInteger(k) && k >= 0 && k < depth) out[i * depth + k] = onValue; // else: all off (TF)
  }
  return { shape: [...idx.shape, depth], data: out };
}

function cast(x: NDLike, dtype: DType): ND {
  switch (dtype) {
    case 'float32':
      return unary(x, (v) => v); // identity in float64 so finite differences stay exact
    case 'int32':
      return unary(x, (v) => (Number.isNaN(v) ? 0 : Math.trunc(v)));
    case 'bool':
      return unary(x, (v) => b01(v !== 0));
    default:
      throw new Error(`cast: unknown dtype ${String(dtype)}`);
  }
}

function range(start: number, stop?: number, step = 1): ND {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new Error('range: step must not be 0');
  const n = Math.max(Math.ceil((stop - start) / step), 0);
  return { shape: [n], data: Float64Array.from({ length: n }, (_, i) => start + i * step) };
}

function linspace(start: number, stop: number, num: number): ND {
  if (!Number.isInteger(num) || num <= 0) throw new Error(`linspace: num must be a positive integer, got ${num}`);
  const delta = num === 1 ? 0 : (stop - start) / (num - 1);
  return { shape: [num], data: Float64Array.from({ length: num }, (_, i) => start + i * delta) };
}

function eye(n: number, numColumns = n): ND {
  const out = new Float64Array(n * numColumns);
  for (let i = 0; i < Math.min(n, numColumns); i++) out[i * numColumns + i] = 1;
  return { shape: [n, numColumns], data: out };
}

// ---------------------------------------------------------------------------------------------
// Normalization, dropout, resize, norm clipping (TF's tf.nn / tf.image / tf.clip_by_* formulas)

function moments(x: NDLike, axes?: Axis, keepDims = false): { mean: ND; variance: ND } {
  const a = toND(x);
  const m = reduce(a, axes, true, 'moments', (v) => sumOf(v) / v.length);
  const variance = reduce(binary(a, m, (p, q) => (p - q) * (p - q)), axes, keepDims, 'moments', (v) => sumOf(v) / v.length);
  return { mean: keepDims ? m : reduce(a, axes, false, 'moments', (v) => sumOf(v) / v.length), variance };
}

function batchNormalization(x: NDLike, mean: NDLike, variance: NDLike, offset?: NDLike | null, scale?: NDLike | null, varianceEpsilon = 1e-3): ND {
  const inv = binary(variance, scale ?? 1, (v, s) => s / Math.sqrt(v + varianceEpsilon));
  return ternary(binary(x, mean, (p, q) => p - q), inv, offset ?? 0, (d, i, o) => d * i + o);
}

/** The uniform numbers of randomUniform(shape, { seed }): the core's counter-based generator (assembly/kernels/random.ts). */
export function uniformWords(n: number, seed: number): Float64Array {
  const mix = (v: number): number => {
    let x = v >>> 0;
    x ^= x >>> 17; x = Math.imul(x, 0xed5ad4bb);
    x ^= x >>> 11; x = Math.imul(x, 0xac4c1b51);
    x ^= x >>> 15; x = Math.imul(x, 0x31848bab);
    return (x ^ (x >>> 14)) >>> 0;
  };
  const lo = Number(BigInt.asUintN(32, BigInt(seed))), hi = Number(BigInt.asUintN(32, BigInt(seed) >> 32n));
  const key0 = mix(lo ^ mix(hi + 0x9e3779b9)), key1 = mix(key0 + 0x85ebca6b);
  return Float64Array.from({ length: n }, (_, i) => (mix(mix(i + key0) ^ key1) >>> 8) * 2 ** -24);
}

/** TF's dropout with the library's generator: keep where u >= rate (rate as float32), scale by 1 / (1 - rate). */
function dropout(x: NDLike, rate: number, { seed, noiseShape }: { seed?: number; noiseShape?: readonly number[] } = {}): ND {
  const a = toND(x);
  if (seed === undefined) throw new Error('dropout reference: needs a seed');
  const ns = noiseShape ?? a.shape;
  const u: ND = { shape: [...ns], data: uniformWords(sizeOf(ns), seed) };
  return binary(a, u, (v, w) => (w >= Math.fround(rate) ? v / (1 - rate) : 0));
}

/** Per output position: the source indices and weights along one axis (TF's half-pixel centres, float64). */
function resizeTaps(n: number, out: number, bilinear: boolean): [number, number][][] {
  return Array.from({ length: out }, (_, i) => {
    if (!bilinear) return [[Math.max(0, Math.min(Math.floor(((i + 0.5) * n) / out), n - 1)), 1]];
    const c = ((i + 0.5) * n) / out - 0.5, f = Math.floor(c);
    return [[Math.max(f, 0), 1 - (c - f)], [Math.min(Math.ceil(c), n - 1), c - f]];
  });
}

function resize(images: NDLike, size: readonly [number, number] | readonly number[], { method = 'bilinear' }: { method?: string } = {}): ND {
  const a = toND(images);
  if (a.shape.length !== 3 && a.shape.length !== 4) throw new Error(`resize: images must be rank 3 or 4, got [${a.shape}]`);
  if (method !== 'bilinear' && method !== 'nearest') throw new Error(`resize: unknown method ${method}`);
  const [N, H, W, C] = (a.shape.length === 4 ? a.shape : [1, ...a.shape]) as [number, number, number, number];
  const [OH, OW] = size as [number, number];
  const th = resizeTaps(H, OH, method === 'bilinear'), tw = resizeTaps(W, OW, method === 'bilinear');
  const out = new Float64Array(N * OH * OW * C);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++)
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (const [h, wh] of th[i]!) for (const [w, ww] of tw[j]!) s += wh * ww * a.data[((n * H + h) * W + w) * C + c]!;
          out[((n * OH + i) * OW + j) * C + c] = s;
        }
  return { shape: a.shape.length === 4 ? [N, OH, OW, C] : [OH, OW, C], data: out };
}

function clipByNorm(x: NDLike, clipNorm: number, axes?: Axis): ND {
  const a = toND(x);
  const norm = reduce(a, axes, true, 'clipByNorm', (v) => Math.sqrt(v.reduce((s, q) => s + q * q, 0)));
  return binary(a, norm, (v, l) => (v * clipNorm) / Math.max(l, clipNorm));
}

function clipByGlobalNorm(tensors: readonly (NDLike | null)[], clipNorm: number): [(ND | null)[], ND] {
  const ts = tensors.map((t) => (t === null ? null : toND(t)));
  let ss = 0;
  for (const t of ts) if (t) for (const v of t.data) ss += v * v;
  const norm = Math.sqrt(ss);
  const scale = clipNorm / Math.max(norm, clipNorm);
  return [ts.map((t) => (t ? unary(t, (v) => v * scale) : null)), { shape: [], data: Float64Array.of(norm) }];
}

const copy = (x: NDLike): ND => unary(x, (v) => v);

// ---- scans, sorting, indexing, categorical sampling (src/ops-scan.ts, ops-indexing.ts, ops-random.ts) ----
function scan(x: NDLike, axis: number, exclusive: boolean, reverse: boolean, prod: boolean, op: string): ND {
  return alongAxis(x, axis, (v) => {
    const n = v.length, out = new Array<number>(n);
    let acc = prod ? 1 : 0;
    for (let s = 0; s < n; s++) {
      const k = reverse ? n - 1 - s : s;
      if (exclusive) { out[k] = acc; acc = prod ? acc * v[k]! : acc + v[k]!; }
      else { acc = prod ? acc * v[k]! : acc + v[k]!; out[k] = acc; }
    }
    return out;
  }, op);
}

/** x gathered along axis `ax` at index map `f` (output i takes input f(i)). */
function permuteAxis(a: ND, ax: number, f: (i: number, n: number) => number): ND {
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, a.shape);
    idx[ax] = f(idx[ax]!, a.shape[ax]!);
    out[i] = a.data[ravel(idx, a.shape)]!;
  }
  return { shape: [...a.shape], data: out };
}

function reverse(x: NDLike, axis: number | readonly number[]): ND {
  let a = toND(x);
  for (const ax of normAxes(axis, a.shape.length, 'reverse')) a = permuteAxis(a, ax, (i, n) => n - 1 - i);
  return a;
}

function roll(x: NDLike, shift: number | readonly number[], axis: number | readonly number[]): ND {
  let a = toND(x);
  const shifts = typeof shift === 'number' ? [shift] : shift, axes = typeof axis === 'number' ? [axis] : axis;
  axes.forEach((ax, j) => { a = permuteAxis(a, normAxis(ax, a.shape.length, 'roll'), (i, n) => (((i - shifts[j]!) % n) + n) % n); });
  return a;
}

/** TF's top_k: the k largest of each last-axis row (ties: lower index first; NaN above numbers). */
function topKRef(x: NDLike, k = 1): { values: ND; indices: ND } {
  const a = toND(x);
  const n = a.shape[a.shape.length - 1]!, rows = a.data.length / n;
  if (k > n) throw new Error(`topK: k ${k} > ${n}`);
  const values = new Float64Array(rows * k), indices = new Float64Array(rows * k);
  const better = (p: number, q: number) => p > q || (Number.isNaN(p) && !Number.isNaN(q));
  for (let r = 0; r < rows; r++) {
    const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => better(a.data[r * n + i]!, a.data[r * n + j]!) ? -1 : better(a.data[r * n + j]!, a.data[r * n + i]!) ? 1 : i - j);
    for (let i = 0; i < k; i++) { indices[r * k + i] = order[i]!; values[r * k + i] = a.data[r * n + order[i]!]!; }
  }
  const shape = [...a.shape.slice(0, -1), k];
  return { values: { shape, data: values }, indices: { shape: [...shape], data: indices } };
}

function gatherNd(x: NDLike, indices: NDLike): ND {
  const a = toND(x), idx = toND(indices);
  const K = idx.shape[idx.shape.length - 1]!, lead = idx.shape.slice(0, -1), rest = a.shape.slice(K), inner = sizeOf(rest);
  const m = sizeOf(lead), out = new Float64Array(m * inner);
  for (let p = 0; p < m; p++) {
    const tuple = Array.from(idx.data.subarray(p * K, p * K + K));
    tuple.forEach((v, d) => { if (v < 0 || v >= a.shape[d]!) throw new Error(`gatherNd: index [${tuple}] out of range`); });
    const base = ravel([...tuple, ...rest.map(() => 0)], a.shape);
    for (let i = 0; i < inner; i++) out[p * inner + i] = a.data[base + i]!;
  }
  return { shape: [...lead, ...rest], data: out };
}

function scatterNd(indices: NDLike, updates: NDLike, shape: readonly number[]): ND {
  const idx = toND(indices), u = toND(updates);
  const K = idx.shape[idx.shape.length - 1]!, m = sizeOf(idx.shape.slice(0, -1)), rest = shape.slice(K), inner = sizeOf(rest);
  const out = new Float64Array(sizeOf(shape));
  for (let p = 0; p < m; p++) {
    const tuple = Array.from(idx.data.subarray(p * K, p * K + K));
    tuple.forEach((v, d) => { if (v < 0 || v >= shape[d]!) throw new Error(`scatterNd: index [${tuple}] out of range`); });
    const base = ravel([...tuple, ...rest.map(() => 0)], shape);
    for (let i = 0; i < inner; i++) out[base + i]! += u.data[p * inner + i]!;
  }
  return { shape: [...shape], data: out };
}

function unsortedSegmentSum(data: NDLike, segmentIds: NDLike, numSegments: number): ND {
  const a = toND(data), ids = toND(segmentIds);
  const rest = a.shape.slice(ids.shape.length), inner = sizeOf(rest);
  const out = new Float64Array(numSegments * inner);
  ids.data.forEach((s, p) => {
    if (s >= numSegments) throw new Error(`unsortedSegmentSum: id ${s} >= ${numSegments}`);
    if (s < 0) return;
    for (let i = 0; i < inner; i++) out[s * inner + i]! += a.data[p * inner + i]!;
  });
  return { shape: [numSegments, ...rest], data: out };
}

/** tf.random.categorical with the library's generator: inverse CDF of softmax(logits) at randomUniform's numbers. */
function randomCategorical(logits: NDLike, numSamples: number, { seed }: { seed?: number } = {}): ND {
  const a = toND(logits);
  if (seed === undefined) throw new Error('randomCategorical reference: needs a seed');
  const [batch, classes] = a.shape as [number, number];
  const u = uniformWords(batch * numSamples, seed), out = new Float64Array(batch * numSamples);
  for (let b = 0; b < batch; b++) {
    const p = softmaxVec(Array.from(a.data.subarray(b * classes, (b + 1) * classes)));
    for (let i = 0; i < numSamples; i++) {
      let j = 0, c = p[0]!;
      while (c <= u[b * numSamples + i]! && j < classes - 1) c += p[++j]!;
      out[b * numSamples + i] = j;
    }
  }
  return { shape: [batch, numSamples], data: out };
}

// ---------------------------------------------------------------------------------------------
// Keras' losses in function form (keras/src/losses/losses.py): closed forms per element, in float64

const KERAS_EPSILON = 1e-7;
const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
type CrossentropyOptions = { fromLogits?: boolean; labelSmoothing?: number; axis?: number };

/** Keras' squeeze_or_expand_to_same_rank on two arrays (values unchanged, shapes adjusted). */
function kerasSameRank(t: ND, p: ND): [ND, ND] {
  const fit = (a: ND, b: ND): [ND, ND] => {
    if (a.shape.length !== b.shape.length + 1 || a.shape[a.shape.length - 1] !== 1) return [a, b];
    if (b.shape.length === 1) return [a, { shape: [...b.shape, 1], data: b.data }];
    return [{ shape: a.shape.slice(0, -1), data: a.data }, b];
  };
  [t, p] = fit(t, p);
  [p, t] = fit(p, t);
  return [t, p];
}

/** Per-example regression loss: f(yPred - yTrue) averaged over the last axis, after Keras' rank fitting. */
function regressionLoss(yTrue: NDLike, yPred: NDLike, f: (e: number) => number): ND {
  const [t, p] = kerasSameRank(toND(yTrue), toND(yPred));
  return meanLastAxis(binary(t, p, (a, b) => f(b - a)));
}

function binaryCrossentropy(yTrue: NDLike, yPred: NDLike, { fromLogits = false, labelSmoothing = 0 }: CrossentropyOptions = {}): ND {
  return meanLastAxis(binary(yTrue, yPred, (y, x) => {
    const z = y * (1 - labelSmoothing) + labelSmoothing / 2;
    if (fromLogits) return Math.max(x, 0) - x * z + Math.log1p(Math.exp(-Math.abs(x)));
    const q = clamp(x, KERAS_EPSILON, 1 - KERAS_EPSILON);
    return -(z * Math.log(q) + (1 - z) * Math.log(1 - q));
  }));
}

function categoricalCrossentropy(yTrue: NDLike, yPred: NDLike, { fromLogits = false, labelSmoothing = 0, axis = -1 }: CrossentropyOptions = {}): ND {
  const P = toND(yPred);
  const ax = normAxis(axis, P.shape.length, 'categoricalCrossentropy');
  const n = P.shape[ax]!;
  // log-probabilities along the class axis: log-softmax of logits, or the log of normalized, clipped probabilities
  const logQ = alongAxis(P, ax, fromLogits ? logSoftmaxVec : (v) => {
    const s = sumOf(v);
    return v.map((x) => Math.log(clamp(x / s, KERAS_EPSILON, 1 - KERAS_EPSILON)));
  }, 'categoricalCrossentropy');
  const terms = binary(yTrue, logQ, (y, l) => -(y * (1 - labelSmoothing) + labelSmoothing / n) * l);
  return reduce(terms, ax - P.shape.length, false, 'categoricalCrossentropy', sumOf); // (counted from the end: yTrue may add leading axes)
}

function sparseCategoricalCrossentropy(yTrue: NDLike, yPred: NDLike, { fromLogits = false }: CrossentropyOptions = {}): ND {
  let Y = toND(yTrue);
  const P = toND(yPred);
  if (Y.shape.length === P.shape.length && Y.shape[Y.shape.length - 1] === 1) Y = { shape: Y.shape.slice(0, -1), data: Y.data };
  // −log of the label's probability among the clipped ones (Keras takes log-softmax of their logs)
  return sparseSoftmaxCrossEntropy(Y, fromLogits ? P : unary(P, (v) => Math.log(clamp(v, KERAS_EPSILON, 1 - KERAS_EPSILON))));
}

function klDivergence(yTrue: NDLike, yPred: NDLike): ND {
  const terms = binary(yTrue, yPred, (y, p) => {
    const t = clamp(y, KERAS_EPSILON, 1);
    return t * Math.log(t / clamp(p, KERAS_EPSILON, 1));
  });
  return terms.shape.length === 0 ? terms : reduce(terms, -1, false, 'klDivergence', sumOf);
}

function hinge(yTrue: NDLike, yPred: NDLike): ND {
  const T = toND(yTrue);
  const binaryLabels = T.data.every((v) => v === 0 || v === 1);
  return meanLastAxis(binary(T, yPred, (y, p) => Math.max(1 - (binaryLabels ? 2 * y - 1 : y) * p, 0)));
}

export const reference = {
  // creation
  tensor: (values: NDLike, shape?: readonly number[]): ND => (shape ? { shape: [...shape], data: Float64Array.from(toND(values).data) } : copy(values)),
  scalar: (v: number): ND => ({ shape: [], data: Float64Array.of(v) }),
  zeros: (shape: readonly number[]): ND => ({ shape: [...shape], data: new Float64Array(sizeOf(shape)) }),
  ones: (shape: readonly number[]): ND => ({ shape: [...shape], data: new Float64Array(sizeOf(shape)).fill(1) }),
  fill: (shape: readonly number[], value: number): ND => ({ shape: [...shape], data: new Float64Array(sizeOf(shape)).fill(value) }),
  zerosLike: (x: NDLike): ND => unary(x, () => 0),
  onesLike: (x: NDLike): ND => unary(x, () => 1),
  eye,
  range,
  linspace,

  // elementwise binary (NumPy broadcasting)
  add: (a: NDLike, b: NDLike): ND => binary(a, b, (x, y) => x + y),
  sub: (a: NDLike, b: NDLike): ND => binary(a, b, (x, y) => x - y),
  mul: (a: NDLike, b: NDLike): ND => binary(a, b, (x, y) => x * y),
  div: (a: NDLike, b: NDLike): ND => binary(a, b, (x, y) => x / y),
  pow: (a: NDLike, b: NDLike): ND => binary(a, b, Math.pow),
  maximum: (a: NDLike, b: NDLike): ND => binary(a, b, Math.max),
  minimum: (a: NDLike, b: NDLike): ND => binary(a, b, Math.min),
  squaredDifference: (a: NDLike, b: NDLike): ND => binary(a, b, (x, y) => (x - y) * (x - y)),
  mod: (a: NDLike, b: NDLike): ND => binary(a, b, floorMod),
  floorDiv: (a: NDLike, b: NDLike): ND => binary(a, b, (x, y) => Math.floor(x / y)),

  // comparisons and logic: 0/1 values
  equal: (a: NDLike, b: NDLike): ND => binary(a, b, (x, y) => b01(x === y)),
  notEqual: (a: NDLike, b: NDLike): ND => binary(a, b, (x, y) => b01(x !== y)),
  greater: (a: NDLike, b: NDLike): ND => binary(a, b, (x, y) => b01(x > y)),
  greaterEqual: (a: NDLike, b: NDLike): ND => binary(a, b, (x, y) => b01(x >= y)),
  less: (a: NDLike, b: NDLike): ND => binary(a, b, (x, y) => b01(x < y)),
  lessEqual: (a: NDLike, b: NDLike): ND => binary(a, b, (x, y) => b01(x <= y)),
  logicalAnd: (a: NDLike, b: NDLike): ND => binary(a, b, (x, y) => b01(x !== 0 && y !== 0)),
  logicalOr: (a: NDLike, b: NDLike): ND => binary(a, b, (x, y) => b01(x !== 0 || y !== 0)),
  logicalNot: (x: NDLike): ND => unary(x, (v) => b01(v === 0)),

  // unary
  neg: (x: NDLike): ND => unary(x, (v) => -v),
  abs: (x: NDLike): ND => unary(x, Math.abs),
  sign: (x: NDLike): ND => unary(x, Math.sign),
  square: (x: NDLike): ND => unary(x, (v) => v * v),
  sqrt: (x: NDLike): ND => unary(x, Math.sqrt),
  rsqrt: (x: NDLike): ND => unary(x, (v) => 1 / Math.sqrt(v)),
  exp: (x: NDLike): ND => unary(x, Math.exp),
  expm1: (x: NDLike): ND => unary(x, Math.expm1),
  log: (x: NDLike): ND => unary(x, Math.log),
  log1p: (x: NDLike): ND => unary(x, Math.log1p),
  sin: (x: NDLike): ND => unary(x, Math.sin),
  cos: (x: NDLike): ND => unary(x, Math.cos),
  tan: (x: NDLike): ND => unary(x, Math.tan),
  tanh: (x: NDLike): ND => unary(x, Math.tanh),
  sigmoid: (x: NDLike): ND => unary(x, sigmoidScalar),
  relu: (x: NDLike): ND => unary(x, (v) => (v > 0 ? v : 0)),
  relu6: (x: NDLike): ND => unary(x, (v) => Math.min(Math.max(v, 0), 6)),
  leakyRelu: (x: NDLike, alpha = 0.2): ND => unary(x, (v) => (v > 0 ? v : alpha * v)),
  elu: (x: NDLike): ND => unary(x, (v) => (v > 0 ? v : Math.expm1(v))),
  selu: (x: NDLike): ND => unary(x, (v) => SELU_SCALE * (v > 0 ? v : SELU_ALPHA * Math.expm1(v))),
  softplus: (x: NDLike): ND => unary(x, softplusScalar),
  silu: (x: NDLike): ND => unary(x, (v) => v * sigmoidScalar(v)),
  gelu: (x: NDLike): ND => unary(x, (v) => 0.5 * v * erfc(-v / Math.SQRT2)),
  erf: (x: NDLike): ND => unary(x, erf),
  reciprocal: (x: NDLike): ND => unary(x, (v) => 1 / v),
  floor: (x: NDLike): ND => unary(x, Math.floor),
  ceil: (x: NDLike): ND => unary(x, Math.ceil),
  round: (x: NDLike): ND => unary(x, roundHalfEven),
  clipByValue: (x: NDLike, lo: NDLike, hi: NDLike): ND => ternary(x, lo, hi, (v, l, h) => Math.min(Math.max(v, l), h)),
  // more math (src/ops-math.ts); the classifications give 0/1 values like the comparisons
  atan2: (y: NDLike, x: NDLike): ND => binary(y, x, Math.atan2),
  asin: (x: NDLike): ND => unary(x, Math.asin),
  acos: (x: NDLike): ND => unary(x, Math.acos),
  atan: (x: NDLike): ND => unary(x, Math.atan),
  sinh: (x: NDLike): ND => unary(x, Math.sinh),
  cosh: (x: NDLike): ND => unary(x, Math.cosh),
  asinh: (x: NDLike): ND => unary(x, Math.asinh),
  acosh: (x: NDLike): ND => unary(x, Math.acosh),
  atanh: (x: NDLike): ND => unary(x, Math.atanh),
  isNaN: (x: NDLike): ND => unary(x, (v) => b01(Number.isNaN(v))),
  isInf: (x: NDLike): ND => unary(x, (v) => b01(Math.abs(v) === Infinity)),
  isFinite: (x: NDLike): ND => unary(x, (v) => b01(Number.isFinite(v))),
  cast,
  identity: copy,
  stopGradient: copy,

  // reductions
  sum: (x: NDLike, axis?: Axis, keepDims = false): ND => reduce(x, axis, keepDims, 'sum', sumOf),
  mean: (x: NDLike, axis?: Axis, keepDims = false): ND => reduce(x, axis, keepDims, 'mean', (v) => sumOf(v) / v.length),
  max: (x: NDLike, axis?: Axis, keepDims = false): ND => reduce(x, axis, keepDims, 'max', maxOf),
  min: (x: NDLike, axis?: Axis, keepDims = false): ND => reduce(x, axis, keepDims, 'min', minOf),
  prod: (x: NDLike, axis?: Axis, keepDims = false): ND => reduce(x, axis, keepDims, 'prod', (v) => v.reduce((p, a) => p * a, 1)),
  logSumExp: (x: NDLike, axis?: Axis, keepDims = false): ND => reduce(x, axis, keepDims, 'logSumExp', logSumExpOf),
  argMax: (x: NDLike, axis = 0): ND => argReduce(x, axis, (a, b) => a > b || (Number.isNaN(a) && !Number.isNaN(b)), 'argMax'),
  argMin: (x: NDLike, axis = 0): ND => argReduce(x, axis, (a, b) => a < b || (Number.isNaN(a) && !Number.isNaN(b)), 'argMin'),

  // shape
  reshape: (x: NDLike, shape: readonly number[]): ND => {
    const a = toND(x);
    return { shape: resolveShape(shape, a.data.length, 'reshape'), data: Float64Array.from(a.data) };
  },
  transpose: (x: NDLike, perm?: readonly number[]): ND => transposeND(toND(x), perm),
  expandDims: (x: NDLike, axis = 0): ND => expandDimsND(toND(x), axis),
  squeeze,
  concat: (xs: readonly NDLike[], axis = 0): ND => concatND(xs, axis),
  stack: (xs: readonly NDLike[], axis = 0): ND => {
    const arrs = xs.map(toND);
    if (arrs.length === 0) throw new Error('stack: needs at least one tensor');
    return concatND(arrs.map((a) => expandDimsND(a, axis)), axis);
  },
  unstack: (x: NDLike, axis = 0): ND[] => {
    const a = toND(x);
    const ax = normAxis(axis, a.shape.length, 'unstack');
    return split(a, a.shape[ax]!, ax).map((p) => ({ shape: p.shape.filter((_, i) => i !== ax), data: p.data }));
  },
  split,
  slice,
  gather,
  tile,
  broadcastTo: (x: NDLike, shape: readonly number[]): ND => broadcastToND(toND(x), shape),
  pad,
  where: (cond: NDLike, a: NDLike, b: NDLike): ND => ternary(cond, a, b, (c, x, y) => (c !== 0 ? x : y)),
  oneHot,

  // linear algebra
  matmul,
  dot,
  conv2dTranspose,
  depthwiseConv2d,
  norm: (x: NDLike, axis?: Axis, keepDims = false): ND =>
    reduce(x, axis, keepDims, 'norm', (v) => Math.sqrt(v.reduce((s, a) => s + a * a, 0))),

  // neural nets
  softmax: (x: NDLike, axis = -1): ND => alongAxis(x, axis, softmaxVec, 'softmax'),
  logSoftmax: (x: NDLike, axis = -1): ND => alongAxis(x, axis, logSoftmaxVec, 'logSoftmax'),
  softmaxCrossEntropy,
  sparseSoftmaxCrossEntropy,
  /** Mean over the last axis of the elementwise loss (tf.keras.losses.binary_crossentropy, from_logits). */
  sigmoidCrossEntropy: (labels: NDLike, logits: NDLike): ND => meanLastAxis(sigmoidCrossEntropyPerElement(labels, logits)),
  /** Mean over the last axis of (yPred - yTrue)^2 (tf.keras.losses.MSE). */
  meanSquaredError: (yTrue: NDLike, yPred: NDLike): ND => meanLastAxis(binary(yTrue, yPred, (t, p) => (p - t) * (p - t))),
  // Keras' losses (src/losses.ts)
  binaryCrossentropy,
  categoricalCrossentropy,
  sparseCategoricalCrossentropy,
  huber: (yTrue: NDLike, yPred: NDLike, delta = 1): ND => regressionLoss(yTrue, yPred, (e) => (Math.abs(e) <= delta ? e * e / 2 : delta * Math.abs(e) - delta * delta / 2)),
  meanAbsoluteError: (yTrue: NDLike, yPred: NDLike): ND => regressionLoss(yTrue, yPred, Math.abs),
  logCosh: (yTrue: NDLike, yPred: NDLike): ND => regressionLoss(yTrue, yPred, (e) => Math.log(Math.cosh(e))),
  klDivergence,
  hinge,
  conv2d,
  maxPool: (x: NDLike, size: number | readonly number[], strides?: number | readonly number[], padding: Padding = 'valid'): ND =>
    pool(x, size, strides, padding, 'max'),
  avgPool: (x: NDLike, size: number | readonly number[], strides?: number | readonly number[], padding: Padding = 'valid'): ND =>
    pool(x, size, strides, padding, 'avg'),
  moments: moments as unknown as RefOp,
  batchNormalization,
  l2Normalize: (x: NDLike, axis?: Axis, epsilon = 1e-12): ND =>
    binary(x, reduce(x, axis, true, 'l2Normalize', (v) => v.reduce((s, a) => s + a * a, 0)), (v, ss) => v / Math.sqrt(Math.max(ss, epsilon))),
  dropout,
  resize,
  clipByNorm,
  clipByGlobalNorm: clipByGlobalNorm as unknown as RefOp,
  einsum: einsumReference,
  // scans, sorting, indexing, sampling
  cumsum: (x: NDLike, axis = 0, exclusive = false, reverse = false): ND => scan(x, axis, exclusive, reverse, false, 'cumsum'),
  cumprod: (x: NDLike, axis = 0, exclusive = false, reverse = false): ND => scan(x, axis, exclusive, reverse, true, 'cumprod'),
  reverse,
  roll,
  topK: topKRef as unknown as RefOp,
  gatherNd,
  scatterNd,
  unsortedSegmentSum,
  randomCategorical,
} satisfies Record<string, RefOp>;

export type ReferenceOpName = keyof typeof reference;

/** The same table typed loosely, for driving tests by op name. */
export const referenceByName: Record<string, RefOp> = reference;

/** Ops marked ∅ (not differentiable) in API.md, plus the creation ops: their gradients are null. */
export const nonDifferentiableOps: ReadonlySet<string> = new Set([
  'mod', 'floorDiv',
  'equal', 'notEqual', 'greater', 'greaterEqual', 'less', 'lessEqual', 'logicalAnd', 'logicalOr', 'logicalNot',
  'floor', 'ceil', 'round', 'argMax', 'argMin', 'oneHot', 'isNaN', 'isInf', 'isFinite', 'randomCategorical',
  'tensor', 'scalar', 'zeros', 'ones', 'fill', 'zerosLike', 'onesLike', 'eye', 'range', 'linspace',
]);
