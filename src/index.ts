/**
 * gradtape's root API: tensors and ops, tapes (reverse and forward mode), variables, optimizers,
 * safetensors. Modules and layers are in `gradtape/layers`.
 * @module gradtape
 */
// gradtape's public API. Entry points (src/entry-*.ts) add where the WebAssembly core comes from.
import { Tensor, TensorLike } from './tensor.js';
import {
  neg, abs, sign, square, sqrt, rsqrt, exp, expm1, log, log1p, sin, cos, tan, tanh, sigmoid, relu, relu6, leakyRelu,
  elu, selu, softplus, silu, gelu, erf, reciprocal, floor, ceil, round, logicalNot, identity, clipByValue, stopGradient, cast,
  add, sub, mul, div, pow, maximum, minimum, mod, floorDiv, squaredDifference,
  equal, notEqual, greater, greaterEqual, less, lessEqual, logicalAnd, logicalOr, where,
  sum, mean, max, min, prod, logSumExp, argMax, argMin,
  reshape, expandDims, squeeze, transpose, broadcastTo, matmul, softmax, logSoftmax,
} from './ops.js';
import { slice, pad, tile, gather, unstack, split, oneHot, dot, norm } from './ops-shape.js';
import { conv2d, maxPool, avgPool } from './ops-nn.js';

export { init, initSync } from './core.js';
export { Tensor, tensor, scalar, zeros, ones, fill, zerosLike, onesLike, tidy, keep, dispose, memory } from './tensor.js';
export type { DType, TensorLike, NestedArray } from './tensor.js';
export { Variable, variable } from './variable.js';
export { GradientTape, tape, grad, valueAndGrad, customGradient } from './tape.js';
export { ForwardAccumulator } from './forward.js';
export type { TapeOptions, GradientOptions, Grads, Unconnected } from './tape.js';
export {
  neg, abs, sign, square, sqrt, rsqrt, exp, expm1, log, log1p, sin, cos, tan, tanh, sigmoid, relu, relu6, leakyRelu,
  elu, selu, softplus, silu, gelu, erf, reciprocal, floor, ceil, round, logicalNot, identity, clipByValue, stopGradient, cast,
  add, sub, mul, div, pow, maximum, minimum, mod, floorDiv, squaredDifference,
  equal, notEqual, greater, greaterEqual, less, lessEqual, logicalAnd, logicalOr, where,
  sum, mean, max, min, prod, logSumExp, argMax, argMin,
  reshape, expandDims, squeeze, transpose, broadcastTo, matmul, softmax, logSoftmax,
} from './ops.js';
export * from './ops-shape.js';
export * from './ops-nn.js';
export * from './optimizers.js';
export * from './safetensors.js';

type Axis = number | number[];
// Every op that takes a tensor first is also a method: x.mul(y), x.sum(0).
declare module './tensor.js' {
  interface Tensor {
    neg(): Tensor; abs(): Tensor; sign(): Tensor; square(): Tensor; sqrt(): Tensor; rsqrt(): Tensor; exp(): Tensor;
    expm1(): Tensor; log(): Tensor; log1p(): Tensor; sin(): Tensor; cos(): Tensor; tan(): Tensor; tanh(): Tensor;
    sigmoid(): Tensor; relu(): Tensor; relu6(): Tensor; leakyRelu(alpha?: number): Tensor; elu(): Tensor; selu(): Tensor;
    softplus(): Tensor; silu(): Tensor; gelu(): Tensor; erf(): Tensor; reciprocal(): Tensor; floor(): Tensor; ceil(): Tensor;
    round(): Tensor; logicalNot(): Tensor; identity(): Tensor; clipByValue(lo: number, hi: number): Tensor;
    stopGradient(): Tensor; cast(dtype: DType): Tensor;
    add(b: TensorLike): Tensor; sub(b: TensorLike): Tensor; mul(b: TensorLike): Tensor; div(b: TensorLike): Tensor;
    pow(b: TensorLike): Tensor; maximum(b: TensorLike): Tensor; minimum(b: TensorLike): Tensor; mod(b: TensorLike): Tensor;
    floorDiv(b: TensorLike): Tensor; squaredDifference(b: TensorLike): Tensor;
    equal(b: TensorLike): Tensor; notEqual(b: TensorLike): Tensor; greater(b: TensorLike): Tensor; greaterEqual(b: TensorLike): Tensor;
    less(b: TensorLike): Tensor; lessEqual(b: TensorLike): Tensor; logicalAnd(b: TensorLike): Tensor; logicalOr(b: TensorLike): Tensor;
    where(a: TensorLike, b: TensorLike): Tensor;
    sum(axis?: Axis, keepDims?: boolean): Tensor; mean(axis?: Axis, keepDims?: boolean): Tensor; max(axis?: Axis, keepDims?: boolean): Tensor;
    min(axis?: Axis, keepDims?: boolean): Tensor; prod(axis?: Axis, keepDims?: boolean): Tensor; logSumExp(axis?: Axis, keepDims?: boolean): Tensor;
    argMax(axis?: number): Tensor; argMin(axis?: number): Tensor;
    reshape(shape: readonly number[]): Tensor; expandDims(axis?: number): Tensor; squeeze(axis?: Axis): Tensor;
    transpose(perm?: number[]): Tensor; broadcastTo(shape: readonly number[]): Tensor;
    matmul(b: TensorLike, transposeA?: boolean, transposeB?: boolean): Tensor;
    softmax(axis?: number): Tensor; logSoftmax(axis?: number): Tensor;
    slice(begin: number | readonly number[], size?: number | readonly number[]): Tensor; pad(paddings: readonly (readonly number[])[], value?: number | boolean): Tensor;
    tile(reps: readonly number[]): Tensor; gather(indices: TensorLike, axis?: number): Tensor; unstack(axis?: number): Tensor[];
    split(sizesOrCount: number | readonly number[], axis?: number): Tensor[]; oneHot(depth: number, onValue?: number, offValue?: number): Tensor;
    dot(b: TensorLike): Tensor; norm(axis?: Axis, keepDims?: boolean): Tensor;
    conv2d(filter: TensorLike, strides?: number | readonly number[], padding?: 'same' | 'valid'): Tensor;
    maxPool(size: number | readonly number[], strides?: number | readonly number[], padding?: 'same' | 'valid'): Tensor;
    avgPool(size: number | readonly number[], strides?: number | readonly number[], padding?: 'same' | 'valid'): Tensor;
  }
}

// Every method calls the op of the same name. Named imports, not namespace objects: a namespace would
// keep every export of ops*.ts in a user's bundle, methods or not (concat, losses, random, ...).
const methods: Record<string, (...args: any[]) => unknown> = {
  neg, abs, sign, square, sqrt, rsqrt, exp, expm1, log, log1p, sin, cos, tan, tanh, sigmoid, relu, relu6, leakyRelu, elu, selu,
  softplus, silu, gelu, erf, reciprocal, floor, ceil, round, logicalNot, identity, clipByValue, stopGradient, cast,
  add, sub, mul, div, pow, maximum, minimum, mod, floorDiv, squaredDifference,
  equal, notEqual, greater, greaterEqual, less, lessEqual, logicalAnd, logicalOr,
  sum, mean, max, min, prod, logSumExp, argMax, argMin, reshape, expandDims, squeeze, transpose, broadcastTo, matmul, softmax, logSoftmax,
  slice, pad, tile, gather, unstack, split, oneHot, dot, norm, conv2d, maxPool, avgPool,
};
for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: function (this: Tensor, ...args: unknown[]) { return fn(this, ...args); }, writable: true, configurable: true });
}
// where as a method reads `cond.where(a, b)`
Object.defineProperty(Tensor.prototype, 'where', { value: function (this: Tensor, a: TensorLike, b: TensorLike) { return where(this, a, b); }, writable: true, configurable: true });
