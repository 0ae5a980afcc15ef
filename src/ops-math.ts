// More math (API.md "More math"): atan2, the inverse trigonometric and the hyperbolic functions, and
// isNaN, isInf, isFinite. atan2 is the one kernel (in the extra module: assembly/extra/math.ts,
// assembly/kernels/atan2.ts), and atan, asin, acos go through it; the rest are compositions of
// recorded ops, so their gradients (of every order) come from the ops they are made of. Every op here
// is declared pure: a program that does not import one leaves it out (and atan2's kernel with it).
import { method, checkDTypes, floatArg, dims, withShape, operands, broadcastShapes } from './ops.js';
import { extraModule } from './core.js';
import { broadcastTo } from './ops-shape.js';
import { extraWasm } from './extra-source.js';
import { Tensor, TensorLike, wrap, onesLike } from './tensor.js';
import { add, sub, mul, div, neg, sign, sqrt, exp, expm1, log, log1p, abs, maximum, minimum, where, less, equal, notEqual } from './ops-elementwise.js';
import { X } from '../build/generated/interface.js';

/** x converted and checked to be float32 (errors name the op), then `f(x)`. */
function floatOp(name: string, f: (x: Tensor) => Tensor): (x: TensorLike) => Tensor {
  return (x: TensorLike): Tensor => f(floatArg(name, x));
}

// ---- atan2 and the inverse trigonometric functions ----
/** The kernel, on y and x of one shape. */
const atan2Of = (y: Tensor, x: Tensor): Tensor => withShape(wrap(extraModule(extraWasm)[X.atan2](y.id, x.id), 'float32'), dims(y));

/**
 * Elementwise arctangent of y/x in (−π, π], the angle of the point (x, y), with broadcasting (float32;
 * TF's tf.math.atan2, same argument order). As C's atan2f, within 2 ulp, with IEEE results for signed
 * zeros, infinities and NaN (atan2(±0, −0) = ±π, atan2(±Inf, −Inf) = ±3π/4, ...). Gradients
 * x/(x² + y²) for y and −y/(x² + y²) for x.
 */
export const atan2 = /* @__PURE__ */ method('atan2', function atan2(y: TensorLike, x: TensorLike): Tensor {
  const [a, b] = operands('atan2', y, x);
  checkDTypes('atan2', a, 'float');
  const shape = broadcastShapes('atan2', dims(a), dims(b));
  // the kernel takes one shape: broadcastTo (recorded, so its gradient sums back) where they differ
  const to = (t: Tensor): Tensor => dims(t).length === shape.length && dims(t).every((d, i) => d === shape[i]) ? t : broadcastTo(t, shape);
  return atan2Of(to(a), to(b));
}, __TESTS__ && { kind: 'binary', dtypes: 'float', grad: true, kinks: [0] }); // (away from the origin and the branch cut)

/** Elementwise arctangent, in (−π/2, π/2) (float32; TF's tf.math.atan): atan2(x, 1). */
export const atan = /* @__PURE__ */ method('atan', /* @__PURE__ */ floatOp('atan', (x): Tensor => atan2Of(x, onesLike(x))), __TESTS__ && { kind: 'unary', dtypes: 'float', grad: true, domain: [-4, 4] });

/** √((1 − x)(1 + x)) = √(1 − x²), without 1 − x²'s cancellation near ±1 (NaN for |x| > 1). */
const cosOfAsin = (x: Tensor): Tensor => sqrt(mul(sub(1, x), add(1, x)));
/** Elementwise arcsine, in [−π/2, π/2], NaN outside [−1, 1] (float32; TF's tf.math.asin): atan2(x, √(1 − x²)). */
export const asin = /* @__PURE__ */ method('asin', /* @__PURE__ */ floatOp('asin', (x): Tensor => atan2Of(x, cosOfAsin(x))), __TESTS__ && { kind: 'unary', dtypes: 'float', grad: true, domain: [-0.9, 0.9] });
/** Elementwise arccosine, in [0, π], NaN outside [−1, 1] (float32; TF's tf.math.acos): atan2(√(1 − x²), x). */
export const acos = /* @__PURE__ */ method('acos', /* @__PURE__ */ floatOp('acos', (x): Tensor => atan2Of(cosOfAsin(x), x)), __TESTS__ && { kind: 'unary', dtypes: 'float', grad: true, domain: [-0.9, 0.9] });

// ---- hyperbolic functions ----
/**
 * Elementwise hyperbolic sine (float32; TF's tf.math.sinh): (eˣ − 1 − (e⁻ˣ − 1))/2, whose two terms
 * have opposite signs, so nothing cancels near 0. Infinite beyond |x| = 88.72, where eˣ is (the
 * exact value is until 89.42).
 */
export const sinh = /* @__PURE__ */ method('sinh', /* @__PURE__ */ floatOp('sinh', (x): Tensor => mul(sub(expm1(x), expm1(neg(x))), 0.5)), __TESTS__ && { kind: 'unary', dtypes: 'float', grad: true });
/** Elementwise hyperbolic cosine (float32; TF's tf.math.cosh): (eˣ + e⁻ˣ)/2. Infinite beyond |x| = 88.72, as sinh. */
export const cosh = /* @__PURE__ */ method('cosh', /* @__PURE__ */ floatOp('cosh', (x): Tensor => mul(add(exp(x), exp(neg(x))), 0.5)), __TESTS__ && { kind: 'unary', dtypes: 'float', grad: true });

// asinh and acosh as log1p(...) up to K = 2^12, and log(2x) beyond (where the two agree to float32
// precision): the log1p form alone would square x and overflow past 1.8e19. min(x, K) and
// max(K, x) split the range with recorded ops (ties: the gradient goes to the first argument), so
// each form only ever sees arguments where it and its derivatives are finite.
const K = 4096;
/** log(max(K, x)/K): 0 up to K, log(x) − log(K) beyond. */
const logAboveK = (x: Tensor): Tensor => log(mul(maximum(K, x), 1 / K));
/** asinh of a ≥ 0: log1p(c + c²/(1 + √(1 + c²))), c = min(a, K) (all terms positive: no cancellation), plus logAboveK. */
function asinhOfNonNegative(a: Tensor): Tensor {
  const c = minimum(a, K), c2 = mul(c, c);
  return add(log1p(add(c, div(c2, add(1, sqrt(add(1, c2)))))), logAboveK(a));
}
/**
 * Elementwise inverse hyperbolic sine (float32; TF's tf.math.asinh): s·asinh(s·x) with s = sign(x)
 * (not differentiable: a constant to the gradient), from a form accurate for positive arguments;
 * x itself at ±0 (so asinh(−0) = −0, and the gradient there is 1).
 */
export const asinh = /* @__PURE__ */ method('asinh', /* @__PURE__ */ floatOp('asinh', (x): Tensor => {
  const s = sign(x);
  return where(equal(x, 0), x, mul(asinhOfNonNegative(mul(x, s)), s));
}), __TESTS__ && { kind: 'unary', dtypes: 'float', grad: true, domain: [-4, 4] });
/**
 * Elementwise inverse hyperbolic cosine, NaN below 1 (float32; TF's tf.math.acosh): log1p(t + √t·√(t + 2))
 * with t = x − 1 (exact near 1, where acosh is steep; √t is NaN for every x < 1), up to K = 2^12,
 * log(2x) beyond.
 */
export const acosh = /* @__PURE__ */ method('acosh', /* @__PURE__ */ floatOp('acosh', (x): Tensor => {
  const t = sub(minimum(x, K), 1);
  return add(log1p(add(t, mul(sqrt(t), sqrt(add(t, 2))))), logAboveK(x));
}), __TESTS__ && { kind: 'unary', dtypes: 'float', grad: true, domain: [1.2, 5] });
/** Elementwise inverse hyperbolic tangent, ±Inf at ±1, NaN beyond (float32; TF's tf.math.atanh): (log1p(x) − log1p(−x))/2, without cancellation. */
export const atanh = /* @__PURE__ */ method('atanh', /* @__PURE__ */ floatOp('atanh', (x): Tensor => mul(sub(log1p(x), log1p(neg(x))), 0.5)), __TESTS__ && { kind: 'unary', dtypes: 'float', grad: true, domain: [-0.9, 0.9] });

// ---- classification (not differentiable: bool results, like the comparisons) ----
/** Elementwise x is NaN, x ≠ x (bool result; TF's tf.math.is_nan). */
export const isNaN = /* @__PURE__ */ method('isNaN', /* @__PURE__ */ floatOp('isNaN', (x): Tensor => notEqual(x, x)), __TESTS__ && { kind: 'unary', dtypes: 'float', grad: false });
/** Elementwise x is +Infinity or −Infinity (bool result; TF's tf.math.is_inf). */
export const isInf = /* @__PURE__ */ method('isInf', /* @__PURE__ */ floatOp('isInf', (x): Tensor => equal(abs(x), Infinity)), __TESTS__ && { kind: 'unary', dtypes: 'float', grad: false });
/** Elementwise x is neither infinite nor NaN, |x| < Infinity (bool result; TF's tf.math.is_finite). */
export const isFinite = /* @__PURE__ */ method('isFinite', /* @__PURE__ */ floatOp('isFinite', (x): Tensor => less(abs(x), Infinity)), __TESTS__ && { kind: 'unary', dtypes: 'float', grad: false });
