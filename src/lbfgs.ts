// L-BFGS minimization as TensorFlow Probability's lbfgs_minimize: its arguments, defaults, stopping
// rules and result fields (in camelCase). The optimizer's own arithmetic (correction pairs, the
// two-loop recursion, the line search) runs on float64 JS arrays, which is fast for the parameter
// counts people give it (a PINN's few thousand); the user's function sees float32 tensors. The
// position is kept as float32 values, exactly what the function was evaluated at, so the correction
// pairs describe the function the user computes.
//
// Line search: Hager and Zhang's acceptance test, as in TFP. A step t along the direction d is
// taken when φ(t) = f(x + t·d) meets the Wolfe conditions
//   φ(t) ≤ φ(0) + δ·t·φ'(0)  and  φ'(t) ≥ σ·φ'(0)          (δ = 0.1, σ = 0.9)
// or the approximate Wolfe conditions
//   φ(t) ≤ φ(0) + ε·|φ(0)|  and  σ·φ'(0) ≤ φ'(t) ≤ (2δ − 1)·φ'(0)   (ε = 1e-6).
// The approximate ones matter here: the objective is float32, and near a minimum its rounding hides
// the decrease the first Wolfe condition asks for, while the slope still says where the minimum is.
// Both keep the curvature condition, so every accepted step gives sᵀy > 0 (a positive definite
// inverse-Hessian estimate). The search itself is a shorter relative of Hager and Zhang's: from
// TFP's initial step t = 1 it grows t ×5 (their ρ) until a trial brackets an acceptable step (a
// slope ≥ 0, or a value above φ(0) + ε·|φ(0)|), then shrinks the bracket with secant steps on φ',
// bisecting whenever the last trial did not shrink it below 0.66 of its width (their γ). As in TFP,
// only trials chosen inside a bracket are taken, never the first step unbracketed: secant steps make
// the search nearly exact (on a quadratic, exact), which is what lets L-BFGS finish a quadratic in
// about n iterations. A trial whose value or slope is not finite counts as too far, so the search
// backs off instead of failing (TFP fails on NaN).
import { Tensor, describe, tidy, tensor } from './tensor.js';
import { dims, optionsOf, finite, integer } from './ops.js';

/** Options of `lbfgsMinimize`, named and defaulted as in TensorFlow Probability. */
export interface LBFGSOptions {
  /** iterations (line searches) at most; default 50 */
  maxIterations?: number;
  /** stop when the gradient's largest absolute entry is ≤ tolerance; default 1e-8 */
  tolerance?: number;
  /** stop when a step changes no entry of the position by more than this; default 0 */
  xTolerance?: number;
  /** stop when a step changes the value by at most fRelativeTolerance·|value|; default 0 */
  fRelativeTolerance?: number;
  /** stop when a step changes the value by at most this; default 0 */
  fAbsoluteTolerance?: number;
  /** correction pairs kept for the inverse-Hessian estimate; default 10 */
  numCorrectionPairs?: number;
  /** evaluations one line search may make; default 50 */
  maxLineSearchIterations?: number;
}

/** What `lbfgsMinimize` returns (TFP's `LBfgsOptimizerResults`, without the correction pairs). */
export interface LBFGSResult<P extends Tensor | Tensor[]> {
  /** the last position reached (the minimizer when `converged`), in the structure of `initialPosition` */
  position: P;
  /** the objective's value at `position` */
  objectiveValue: number;
  /** the objective's gradient at `position`, in the structure of `initialPosition` */
  objectiveGradient: P;
  /** iterations (line searches) made */
  numIterations: number;
  /** calls of `valueAndGradients`, the first one included */
  numObjectiveEvaluations: number;
  /** whether a stopping tolerance was met */
  converged: boolean;
  /** whether a line search found no acceptable step (or the direction was not one of descent) */
  failed: boolean;
}

/** A point on the search line: step t, the float32 position, value, gradient and slope φ'(t). */
interface LinePoint { t: number; x: Float32Array; f: number; g: Float64Array; slope: number }

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
/** Copies the tensors' values one after the other into `into`. */
const flatten = <A extends Float32Array | Float64Array>(ts: Tensor[], into: A): A => {
  let at = 0;
  for (const t of ts) { into.set(t.data(), at); at += t.size; }
  return into;
};
/** The largest absolute entry (NaN if any entry is NaN). */
const supNorm = (a: Float64Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * Minimizes a differentiable function with L-BFGS, as TensorFlow Probability's
 * `tfp.optimizer.lbfgs_minimize`. `initialPosition` is a float32 tensor or an array of them;
 * `valueAndGradients(position)` gets the same structure and returns `[value, gradients]`: a float32
 * scalar and the gradients, in the same structure (from `valueAndGrad(f)`: `(x) => { const { value,
 * grads } = vg(x); return [value, grads]; }`). Each call runs in its own scope: the tensors it is
 * given and every tensor it creates (its results included) are freed when it returns, so keep() what
 * must outlive it. Only the result's tensors stay; `objectiveValue` is a number.
 *
 * Stopping, as TFP: `converged` when the gradient's largest entry is ≤ `tolerance`, or a step moves
 * no entry by more than `xTolerance`, or changes the value by at most `fRelativeTolerance`·|value|
 * or `fAbsoluteTolerance` (these three default to 0, which a step that changes nothing still
 * meets); `failed` when a line search finds no acceptable step, within `maxLineSearchIterations`
 * evaluations or down to float32's resolution (the position is then where it stopped, at most
 * 1e-6·|value| above the previous value); both false after `maxIterations`. A float32 gradient
 * seldom gets below the default `tolerance` of 1e-8, so runs usually stop at float32's precision
 * floor, as converged (a step changed nothing) or as failed (no lower float32 value along the last
 * direction): judge the result by `objectiveValue` and `objectiveGradient`, not `converged` alone.
 * Positions are never NaN: a trial step whose value or gradient is not finite is shortened.
 * @example
 * ```ts
 * import { lbfgsMinimize, tensor, sub, sum, square, mul } from 'gradtape';
 *
 * // f(x) = Σ (x − [1, 2])², whose gradient is 2(x − [1, 2])
 * const result = lbfgsMinimize((x) => {
 *   const d = sub(x, [1, 2]);
 *   return [sum(square(d)), mul(d, 2)];
 * }, tensor([0, 0]));
 * console.log(result.position.toArray(), result.converged); // [1, 2] true
 * ```
 */
export function lbfgsMinimize<P extends Tensor | Tensor[]>(valueAndGradients: (position: P) => readonly [Tensor, P], initialPosition: P, options?: LBFGSOptions): LBFGSResult<P> {
  const op = 'lbfgsMinimize';
  if (typeof valueAndGradients !== 'function') throw new Error(`${op}: valueAndGradients must be a function (position) => [value, gradients], got ${describe(valueAndGradients)}`);
  const single = initialPosition instanceof Tensor, parts = (single ? [initialPosition] : initialPosition) as Tensor[];
  if (!Array.isArray(parts) || !parts.length || parts.some(t => !(t instanceof Tensor) || t.isDisposed || t.dtype !== 'float32'))
    throw new Error(`${op}: initialPosition must be a float32 Tensor or a non-empty array of them, got ${describe(initialPosition)}`);
  const o = optionsOf(op, options, ['maxIterations', 'tolerance', 'xTolerance', 'fRelativeTolerance', 'fAbsoluteTolerance', 'numCorrectionPairs', 'maxLineSearchIterations']);
  const maxIterations = integer(op, 'maxIterations', o.maxIterations ?? 50);
  const [tolerance, xTolerance, fRelativeTolerance, fAbsoluteTolerance] =
    (['tolerance', 'xTolerance', 'fRelativeTolerance', 'fAbsoluteTolerance'] as const).map(k => finite(op, k, o[k] ?? (k === 'tolerance' ? 1e-8 : 0), 0));
  const numCorrectionPairs = integer(op, 'numCorrectionPairs', o.numCorrectionPairs ?? 10, 1);
  const maxLineSearchIterations = integer(op, 'maxLineSearchIterations', o.maxLineSearchIterations ?? 50, 1);

  const shapes = parts.map(t => dims(t)), n = parts.reduce((k, t) => k + t.size, 0);
  /** Flat values as tensors in the structure of initialPosition. */
  const structured = (v: Float32Array | Float64Array): P => {
    let at = 0;
    const ts = shapes.map(s => tensor(v.subarray(at, at += s.reduce((a, b) => a * b, 1)), s));
    return (single ? ts[0] : ts) as P;
  };
  let evaluations = 0;
  /** Calls valueAndGradients at x, checks and reads what it returned, and frees every tensor of the call. */
  const evaluate = (x: Float32Array): [number, Float64Array] => tidy(() => {
    evaluations++;
    const r: unknown = valueAndGradients(structured(x));
    const [value, grads] = Array.isArray(r) && r.length === 2 ? [r[0], single ? [r[1]] : r[1]] : [];
    // a float32 tensor of the given shape, or of one element without a shape (the value)
    const fits = (t: unknown, shape?: readonly number[]): t is Tensor => t instanceof Tensor && !t.isDisposed && t.dtype === 'float32'
      && (shape ? dims(t).join() === shape.join() : t.size === 1);
    if (!fits(value) || !Array.isArray(grads) || grads.length !== shapes.length || grads.some((t, i) => !fits(t, shapes[i]))) {
      // (the shapes as the position's structure: [2] for one tensor, [[2], [3]] for an array)
      throw new Error(`${op}: valueAndGradients must return [value, gradients]: a float32 scalar and float32 gradients shaped ${describe(single ? shapes[0] : shapes)}, got ${describe(r)}`);
    }
    return [value.item(), flatten(grads as Tensor[], new Float64Array(n))];
  });

  let x: Float32Array = flatten(parts, new Float32Array(n)), [f, g] = evaluate(x);
  if (!Number.isFinite(f) || !g.every(Number.isFinite))
    throw new Error(`${op}: valueAndGradients must be finite at initialPosition, got value ${f}${g.every(Number.isFinite) ? '' : ' and a non-finite gradient'}`);

  /** The last correction pairs: position change s, gradient change y, and sᵀy. */
  const history: [Float64Array, Float64Array, number][] = [];
  /** −H·g by the two-loop recursion, H the L-BFGS inverse-Hessian estimate scaled by sᵀy/yᵀy of the newest pair. */
  const searchDirection = (): Float64Array => {
    const q = Float64Array.from(g), alphas: number[] = [], k = history.length;
    for (let i = k - 1; i >= 0; i--) {
      const [s, y, sy] = history[i], a = alphas[i] = dot(s, q) / sy;
      for (let j = 0; j < n; j++) q[j] -= a * y[j];
    }
    const gamma = k ? history[k - 1][2] / dot(history[k - 1][1], history[k - 1][1]) : 1;
    for (let j = 0; j < n; j++) q[j] *= gamma;
    for (let i = 0; i < k; i++) {
      const [s, y, sy] = history[i], b = alphas[i] - dot(y, q) / sy;
      for (let j = 0; j < n; j++) q[j] += b * s[j];
    }
    return q.map(v => -v);
  };

  /** The line search along d from x (slope φ'(0) = slope0 < 0): the point taken, and whether it is acceptable. */
  const lineSearch = (d: Float64Array, slope0: number): [LinePoint, boolean] => {
    const fLimit = f + 1e-6 * Math.abs(f);
    let lo: LinePoint = { t: 0, x, f, g, slope: slope0 }, hi: LinePoint | undefined, width = Infinity, t = 1;
    for (let i = 0; i < maxLineSearchIterations; i++) {
      const xt = Float32Array.from(x, (v, j) => v + t * d[j]);
      // No float32 point left between the bracket's ends: the step is as good as float32 can make it,
      // unless the right end's value is too high while its slope still falls (the value and the
      // gradient disagree), which fails, as TFP's bisection does.
      if (xt.every((v, j) => v === lo.x[j])) return [lo, !(hi && hi.slope < 0)];
      const [ft, gt] = xt.every(Number.isFinite) ? evaluate(xt) : [NaN, g];
      const p: LinePoint = { t, x: xt, f: ft, g: gt, slope: ft < Infinity ? dot(gt, d) : NaN }; // (no slope where the value is not finite)
      // (only a trial chosen inside a bracket is taken; −∞ is a minimum, as TFP)
      if (ft === -Infinity || hi && (ft <= f + 0.1 * t * slope0 || ft <= fLimit && p.slope <= -0.8 * slope0) && p.slope >= 0.9 * slope0) return [p, true];
      if (p.slope < 0 && ft <= fLimit) lo = p; else hi = p; // (NaN compares false: too far)
      if (!hi) t *= 5;
      else {
        const w = hi.t - lo.t, secant = (lo.t * hi.slope - hi.t * lo.slope) / (hi.slope - lo.slope);
        t = w < 0.66 * width && secant > lo.t && secant < hi.t ? secant : lo.t + w / 2;
        width = w;
      }
    }
    return [lo, false];
  };

  let converged = supNorm(g) < tolerance, failed = false, iterations = 0;
  while (!converged && !failed && iterations < maxIterations) {
    iterations++;
    const d = searchDirection(), slope0 = dot(g, d);
    if (!(slope0 < 0)) { failed = true; break; } // rounding made it no descent direction (TFP fails too)
    const [p, ok] = lineSearch(d, slope0);
    const s = Float64Array.from(p.x, (v, j) => v - x[j]), y = p.g.map((v, j) => v - g[j]), change = Math.abs(p.f - f);
    failed = !ok;
    // TFP's tests, the relative one against |f| (TFP multiplies by f, so a negative objective never met it)
    converged = ok && (p.f === -Infinity || supNorm(p.g) <= tolerance || supNorm(s) <= xTolerance
      || change <= fRelativeTolerance * Math.abs(f) || change <= fAbsoluteTolerance);
    const sy = dot(s, y); // > 0 after a Wolfe step, unless float32 rounding of the position undid it: skip such pairs
    if (!converged && sy > 0 && history.push([s, y, sy]) > numCorrectionPairs) history.shift();
    x = p.x; f = p.f; g = p.g;
  }
  return { position: structured(x), objectiveValue: f, objectiveGradient: structured(g), numIterations: iterations, numObjectiveEvaluations: evaluations, converged, failed };
}
