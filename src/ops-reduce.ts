// Reductions over axes: sum, mean, max, min, prod, logSumExp, argMax, argMin. Kernels and the
// backward rule: assembly/ops/reduce.ts.
// ---- reductions ----
import { core } from './core.js';
import { Op } from '../build/generated/opcodes.js';
import { Tensor, TensorLike, toTensor, wrap } from './tensor.js';
import { method, checkDTypes, dims, axesMask, axisOf, flag, fmt, type DTypes, type SpecExtras } from './ops.js';
import { stopGradient, where, add, sub, mul, log, exp, less, abs } from './ops-elementwise.js';
import { reshape } from './ops-shape.js';
import { C } from '../build/generated/interface.js';

function reduceOp(name: string, op: Op, allowed: DTypes, extras: SpecExtras | false = false) {
  return method(name, (x: TensorLike, axis?: number | number[], keepDims = false): Tensor => {
    const t = toTensor(name, x);
    checkDTypes(name, t, allowed);
    const mask = axesMask(name, axis, t.rank);
    return wrap(core[C.reduce](op, t.id, mask, flag(name, 'keepDims', keepDims) ? 1 : 0), t.dtype);
  }, __TESTS__ && { kind: 'reduce', dtypes: allowed, grad: true, ...extras });
}
/** Sum over `axis` (a number, a list, or all axes by default); `keepDims` keeps reduced axes with size 1. */
export const sum = reduceOp('sum', Op.Sum, 'numeric');
/** Maximum over `axis` (all axes by default); the gradient goes to the maxima. */
export const max = reduceOp('max', Op.Max, 'numeric');
/** Minimum over `axis` (all axes by default); the gradient goes to the minima. */
export const min = reduceOp('min', Op.Min, 'numeric');
/** Product over `axis` (all axes by default). */
export const prod = reduceOp('prod', Op.Prod, 'numeric', __TESTS__ && { domain: [0.5, 1.5] });
/** Mean over `axis` (all axes by default; float32). */
export const mean = method('mean', function mean(x: TensorLike, axis?: number | number[], keepDims = false): Tensor {
  const t = toTensor('mean', x);
  checkDTypes('mean', t, 'float');
  const mask = axesMask('mean', axis, t.rank);
  flag('mean', 'keepDims', keepDims);
  const count = dims(t).reduce((n, d, i) => (mask >> i) & 1 ? n * d : n, 1);
  return mul(sum(t, axis, keepDims), 1 / count);
}, __TESTS__ && { kind: 'reduce', dtypes: 'float', grad: true });
/** ln(Σ eˣ) over `axis` (all axes by default), computed without overflow (float32). */
export const logSumExp = method('logSumExp', function logSumExp(x: TensorLike, axis?: number | number[], keepDims = false): Tensor {
  const t = toTensor('logSumExp', x);
  checkDTypes('logSumExp', t, 'float');
  axesMask('logSumExp', axis, t.rank); // validates the axes with this op's name
  flag('logSumExp', 'keepDims', keepDims);
  // subtracting the (constant) max keeps exp finite; its gradient cancels, so it is not recorded
  const m = stopGradient(max(t, axis, true));
  const safe = where(isFinite(m), m, 0);
  const s = add(log(sum(exp(sub(t, safe)), axis, true)), safe);
  return keepDims ? s : reshape(s, dims(t).filter((_, i) => !((axesMask('logSumExp', axis, t.rank) >> i) & 1)));
}, __TESTS__ && { kind: 'reduce', dtypes: 'float', grad: true });
const isFinite = (t: Tensor) => less(abs(t), Infinity);
function argOp(name: string, op: Op) {
  return method(name, (x: TensorLike, axis = 0): Tensor => {
    const t = toTensor(name, x);
    checkDTypes(name, t, 'numeric');
    const ax = axisOf(name, t, axis);
    if (dims(t)[ax] === 0) throw new Error(`${name}: axis ${axis} has size 0 (shape ${fmt(dims(t))})`);
    return wrap(core[C.reduce](op, t.id, 1 << ax, 0), 'int32');
  }, __TESTS__ && { kind: 'other', dtypes: 'numeric', grad: false, examples: [{ inputs: [[3, 4]], args: [0] }, { inputs: [[3, 4]], args: [-1] }, { inputs: [[5]] }] });
}
/** Index (int32) of the maximum along `axis` (default 0); the first one on ties. Not differentiable. */
export const argMax = argOp('argMax', Op.ArgMax);
/** Index (int32) of the minimum along `axis` (default 0); the first one on ties. Not differentiable. */
export const argMin = argOp('argMin', Op.ArgMin);

