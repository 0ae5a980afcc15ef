// Normalization, dropout and norm clipping, with TF's (tf.nn, tf.clip_by_*) formulas and defaults.
// All are compositions of recorded ops: no kernels, no gradient code, every derivative order.
import { def, method, structured, floatArg, dims, axesMask, fmt, flag, optionsOf, finite, seedOf } from './ops.js';
import { Tensor, TensorLike, describe } from './tensor.js';
import { add, sub, mul, div, neg, square, sqrt, rsqrt, maximum, minimum, reciprocal, greater, greaterEqual, where, stopGradient } from './ops-elementwise.js';
import { sum, mean } from './ops-reduce.js';
import { reshape } from './ops-shape.js';
import { randomUniform } from './ops-nn.js';

/** Throws unless `shape` broadcasts to `xs` (the shape of x) without growing it. */
function fits(op: string, what: string, shape: unknown, xs: readonly number[]): void {
  if (!Array.isArray(shape) || shape.length > xs.length || shape.some((d, i) => d !== 1 && d !== xs[i - shape.length + xs.length]))
    throw new Error(`${op}: ${what} ${describe(shape)} must broadcast to the shape of x, ${fmt(xs)}`);
}

// ---- moments ----
/** The result of `moments`. */
export interface Moments { mean: Tensor; variance: Tensor }
const momentsList = /* @__PURE__ */ def('moments', (x: TensorLike, axes?: number | number[], keepDims = false): Tensor[] => {
  const op = 'moments', t = floatArg(op, x), mask = axesMask(op, axes, t.rank);
  const m = mean(t, axes, true);
  // TF: the squared differences from stop_gradient(mean); the first derivative is the same either way
  // (Σ(x − mean) = 0), second derivatives are TF's
  const v = mean(square(sub(t, stopGradient(m))), axes, true);
  if (flag(op, 'keepDims', keepDims)) return [m, v];
  const shape = dims(t).filter((_, i) => !((mask >> i) & 1));
  return [reshape(m, shape), reshape(v, shape)];
}, false);
/**
 * Mean and variance of x over `axes` (all axes when omitted), TF's tf.nn.moments: the variance is the
 * mean squared difference from stop_gradient(mean) (the population variance), so its gradient is
 * 2(x − mean)/n and its second derivative TF's 2/n. `keepDims` keeps the reduced axes with size 1.
 * @example
 * ```ts
 * import { moments } from 'gradtape';
 *
 * const { mean, variance } = moments([[1, 2], [3, 6]], 0);
 * console.log(mean.toArray(), variance.toArray()); // [2, 4] [1, 4]
 * ```
 */
export const moments = /* @__PURE__ */ structured('moments', function moments(x: TensorLike, axes?: number | number[], keepDims = false): Moments {
  const [mean, variance] = momentsList(x, axes, keepDims);
  return { mean, variance };
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true, secondOrder: false, // TF's stop_gradient: see test/ops-normalization.test.ts
  examples: [{ inputs: [[3, 4]], args: [0], call: (f, xs, a) => f(...xs, ...a).mean }, { inputs: [[3, 4]], args: [0], call: (f, xs, a) => f(...xs, ...a).variance },
    { inputs: [[2, 3, 4]], args: [[0, 2], true], call: (f, xs, a) => f(...xs, ...a).variance }, { inputs: [[5]], call: (f, xs, a) => f(...xs, ...a).variance },
    { inputs: [[2, 3, 2]], args: [-1], call: (f, xs, a) => f(...xs, ...a).mean }],
}, true);

// ---- batch normalization ----
/**
 * TF's tf.nn.batch_normalization: with inv = rsqrt(variance + varianceEpsilon) · scale, the result is
 * x · inv + (offset − mean · inv). `mean`, `variance`, `offset` and `scale` (the last two optional:
 * null or undefined leave them out) broadcast to x's shape; differentiable w.r.t. every tensor argument.
 * @example
 * ```ts
 * import { batchNormalization } from 'gradtape';
 *
 * const y = batchNormalization([1, 3], 2, 1, 0.5, 2, 0);
 * console.log(y.toArray()); // [-1.5, 2.5]
 * ```
 */
export const batchNormalization = /* @__PURE__ */ method('batchNormalization', function batchNormalization(x: TensorLike, mean: TensorLike, variance: TensorLike,
  offset?: TensorLike | null, scale?: TensorLike | null, varianceEpsilon = 1e-3): Tensor {
  const op = 'batchNormalization', t = floatArg(op, x), xs = dims(t);
  const arg = (v: TensorLike, what: string) => {
    const p = floatArg(op, v);
    fits(op, what + ' of shape', dims(p), xs);
    return p;
  };
  const m = arg(mean, 'mean'), v = arg(variance, 'variance');
  const o = offset == null ? undefined : arg(offset, 'offset'), s = scale == null ? undefined : arg(scale, 'scale');
  let inv = rsqrt(add(v, finite(op, 'varianceEpsilon', varianceEpsilon, 0)));
  if (s) inv = mul(inv, s);
  return add(mul(t, inv), o ? sub(o, mul(m, inv)) : neg(mul(m, inv)));
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true, domain: [0.2, 2], // (domain: variance + ε stays positive)
  examples: [{ inputs: [[2, 3], [3], [3], [3], [3]] }, { inputs: [[2, 3, 2], [2], [2]] }, { inputs: [[4, 3], [1, 3], [1, 3], [3], [1, 3]], args: [0.1] },
    { inputs: [[2, 3], [3], [3], [3]], call: (f, [x, m, v, s], a) => f(x, m, v, null, s, ...a) }, { inputs: [[3], [], [], [], []], args: [0] }],
});

// ---- l2Normalize ----
/**
 * x / ‖x‖ over `axis` (all axes when omitted), TF's tf.math.l2_normalize: x · rsqrt(max(Σx², epsilon)).
 * @example
 * ```ts
 * import { l2Normalize } from 'gradtape';
 *
 * console.log(l2Normalize([1, -1, 1, 1]).toArray()); // [0.5, -0.5, 0.5, 0.5]
 * ```
 */
export const l2Normalize = /* @__PURE__ */ method('l2Normalize', function l2Normalize(x: TensorLike, axis?: number | number[], epsilon = 1e-12): Tensor {
  const op = 'l2Normalize', t = floatArg(op, x);
  axesMask(op, axis, t.rank); // validates the axes with this op's name
  return mul(t, rsqrt(maximum(sum(square(t), axis, true), finite(op, 'epsilon', epsilon, 0))));
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [{ inputs: [[5]] }, { inputs: [[3, 4]], args: [1] }, { inputs: [[2, 3, 4]], args: [[0, 2]] }, { inputs: [[3, 4]], args: [-2, 0.1] }],
});

// ---- dropout ----
/** Options of `dropout`: `seed` makes the mask reproducible; `noiseShape` (broadcast to x's shape) shares it along axes of size 1. */
export interface DropoutOptions { seed?: number; noiseShape?: number[] }
/**
 * TF's tf.nn.dropout: keeps each element where a uniform sample in [0, 1) is >= `rate` (so with
 * probability 1 − rate), scaled by 1 / (1 − rate), and sets the others to 0. `rate` is in [0, 1).
 * The gradient goes through the same mask. `noiseShape` draws one sample per element of that shape,
 * broadcast to x's (e.g. [batch, 1, 1, channels] drops whole channels); a `seed` gives the same mask
 * on every platform.
 * @example
 * ```ts
 * import { dropout } from 'gradtape';
 *
 * const y = dropout([1, 1, 1, 1, 1, 1], 0.5, { seed: 7 });
 * console.log(y.toArray().every(v => v === 0 || v === 2)); // true
 * ```
 */
export const dropout = /* @__PURE__ */ method('dropout', function dropout(x: TensorLike, rate: number, options?: DropoutOptions): Tensor {
  const op = 'dropout', t = floatArg(op, x), xs = dims(t);
  finite(op, 'rate', rate, 0, 1, ')');
  const o = optionsOf(op, options, ['seed', 'noiseShape']), seed = seedOf(op, o.seed), noiseShape = o.noiseShape ?? xs;
  fits(op, 'noiseShape', noiseShape, xs);
  if (rate === 0) return mul(t, 1); // (TF returns x itself)
  const keep = greaterEqual(randomUniform(noiseShape as number[], { seed }), rate);
  return where(keep, mul(t, 1 / (1 - rate)), 0);
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [{ inputs: [[4, 5]], args: [0.3, { seed: 5 }] }, { inputs: [[3, 4, 2]], args: [0.5, { seed: -2, noiseShape: [3, 1, 2] }] },
    { inputs: [[6]], args: [0, { seed: 1 }] }, { inputs: [[2, 3]], args: [0.9, { seed: 11, noiseShape: [3] }] }],
});

// ---- clipping by norm ----
/**
 * TF's tf.clip_by_norm: x · clipNorm / max(‖x‖, clipNorm), the L2 norm taken over `axes` (all axes
 * when omitted), so x is unchanged where its norm is at most clipNorm (> 0). Safe at x = 0, where the
 * gradient is 1 (TF's double-where trick keeps sqrt's infinite slope out of it).
 * @example
 * ```ts
 * import { clipByNorm } from 'gradtape';
 *
 * console.log(clipByNorm([6, 8], 5).toArray()); // [3, 4]
 * ```
 */
export const clipByNorm = /* @__PURE__ */ method('clipByNorm', function clipByNorm(x: TensorLike, clipNorm: number, axes?: number | number[]): Tensor {
  const op = 'clipByNorm', t = floatArg(op, x), c = finite(op, 'clipNorm', clipNorm, 0, Infinity, '(');
  axesMask(op, axes, t.rank);
  const l2sum = sum(square(t), axes, true), nonzero = greater(l2sum, 0);
  const l2norm = where(nonzero, sqrt(where(nonzero, l2sum, 1)), l2sum);
  return div(mul(t, c), maximum(l2norm, c));
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [{ inputs: [[2, 3]], args: [1] }, { inputs: [[2, 3]], args: [100] }, { inputs: [[3, 4]], args: [1.5, 1] }, { inputs: [[2, 3, 2]], args: [1, [0, 2]] }],
});

const globalList = /* @__PURE__ */ def('clipByGlobalNorm', (tensors: readonly (TensorLike | null)[], clipNorm: number): Tensor[] => {
  const op = 'clipByGlobalNorm';
  if (!Array.isArray(tensors)) throw new Error(`${op}: expected an array of tensors (or nulls), got ${describe(tensors)}`);
  const ts = tensors.filter(v => v !== null).map(v => floatArg(op, v!));
  if (!ts.length) throw new Error(`${op}: expected at least one tensor, got ${describe(tensors)}`);
  const c = finite(op, 'clipNorm', clipNorm, 0, Infinity, '(');
  const norm = sqrt(ts.map(v => sum(square(v))).reduce((a, b) => add(a, b)));
  // TF: clipNorm · min(1 / norm, 1 / clipNorm), plus (norm − norm) so a non-finite norm gives NaN
  const scale = add(mul(minimum(reciprocal(norm), Math.fround(1 / Math.fround(c))), c), sub(norm, norm));
  return [norm, ...ts.map(v => mul(v, scale))];
}, false);
/**
 * TF's tf.clip_by_global_norm: scales every tensor by clipNorm / max(globalNorm, clipNorm), where
 * globalNorm = sqrt(Σ ‖t‖²) over all of them, and returns `[clipped, globalNorm]`; `null` entries stay
 * `null`. A non-finite global norm makes every result NaN, as in TF.
 * @example
 * ```ts
 * import { clipByGlobalNorm } from 'gradtape';
 *
 * const [[a, b], norm] = clipByGlobalNorm([[6], [8]], 5);
 * console.log(a.toArray(), b.toArray(), norm.item()); // [3] [4] 10
 * ```
 */
export const clipByGlobalNorm = /* @__PURE__ */ structured('clipByGlobalNorm', function clipByGlobalNorm(tensors: readonly (TensorLike | null)[], clipNorm: number): [(Tensor | null)[], Tensor] {
  const [norm, ...clipped] = globalList(tensors, clipNorm);
  return [tensors.map(v => v === null ? null : clipped.shift()!), norm];
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [{ inputs: [[2, 3], [4]], args: [1], call: (f, xs, a) => f(xs, ...a)[0][0] }, { inputs: [[2, 3], [4]], args: [1], call: (f, xs, a) => f(xs, ...a)[1] },
    { inputs: [[3], [2, 2]], args: [100], call: (f, [x, y], a) => f([null, x, y, null], ...a)[0][2] }, { inputs: [[5]], args: [2], call: (f, xs, a) => f(xs, ...a)[0][0] }],
});
