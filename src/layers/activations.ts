// Activations by name (Keras' names, camelCase) or as any function of a tensor, and the activation
// layers (Keras' layers/activations/): Activation, ReLU, LeakyReLU, Softmax.
import {
  Tensor, identity, relu, relu6, sigmoid, tanh, softmax, logSoftmax, gelu, silu, leakyRelu, elu, selu, softplus, exp, abs,
  div, add, sub, mul, neg, square, sqrt, minimum, clipByValue, where, greater, expm1,
} from '../index.js';
import { Layer, describeValue, inContext } from './module.js';
import { checkFloat, checkOptions, integer, numberIn, resolveAxis } from './util.js';

/** The activations a layer can name (Keras' names in camelCase): applied elementwise, `softmax` and `logSoftmax` over the last axis. */
export type ActivationName =
  | 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'gelu' | 'silu'
  | 'leakyRelu' | 'relu6' | 'elu' | 'selu' | 'celu' | 'softplus' | 'softsign' | 'swish' | 'mish' | 'exponential'
  | 'hardSigmoid' | 'hardSilu' | 'hardSwish' | 'hardTanh' | 'logSigmoid' | 'logSoftmax' | 'tanhShrink' | 'squareplus';
/**
 * A layer's activation option: one of the named ones, or any function from tensor to tensor.
 * (The name `Activation` is Keras' Activation layer, the class below.)
 */
export type ActivationLike = ActivationName | ((x: Tensor) => Tensor);

// Keras 3's hard_sigmoid: relu6(x + 3) / 6 (a slope of 1/6, not Keras 2's 0.2).
const hardSigmoid = (x: Tensor) => div(relu6(add(x, 3)), 6);

const ACTIVATIONS: Record<ActivationName, (x: Tensor) => Tensor> = {
  linear: x => identity(x),
  relu: x => relu(x),
  sigmoid: x => sigmoid(x),
  tanh: x => tanh(x),
  softmax: x => softmax(x, -1), // over the last axis, as Keras
  gelu: x => gelu(x), // exact (erf) form, Keras' default approximate=False
  silu: x => silu(x),
  leakyRelu: x => leakyRelu(x, 0.2), // Keras' activation default (the LeakyReLU layer's is 0.3)
  relu6: x => relu6(x),
  elu: x => elu(x), // alpha 1
  selu: x => selu(x),
  celu: x => add(relu(x), minimum(expm1(x), 0)), // alpha 1: max(0, x) + min(0, exp(x) - 1)
  softplus: x => softplus(x),
  softsign: x => div(x, add(abs(x), 1)),
  swish: x => silu(x), // Keras' alias
  mish: x => mul(x, tanh(softplus(x))),
  exponential: x => exp(x),
  hardSigmoid,
  hardSilu: x => mul(x, hardSigmoid(x)),
  hardSwish: x => mul(x, hardSigmoid(x)), // Keras' alias
  hardTanh: x => clipByValue(x, -1, 1),
  logSigmoid: x => neg(softplus(neg(x))),
  logSoftmax: x => logSoftmax(x, -1),
  tanhShrink: x => sub(x, tanh(x)),
  squareplus: x => div(add(x, sqrt(add(square(x), 4))), 2), // b = 4
};

/** The activation function for a name or function (undefined: linear). Throws for anything else. */
export function activationFunction(activation: ActivationLike | undefined): (x: Tensor) => Tensor {
  if (activation === undefined) return ACTIVATIONS.linear;
  if (typeof activation === 'function') return activation;
  if (typeof activation === 'string' && Object.hasOwn(ACTIVATIONS, activation)) return ACTIVATIONS[activation];
  throw new Error(`unknown activation ${describeValue(activation)} (expected one of ${Object.keys(ACTIVATIONS).map(k => `'${k}'`).join(', ')}, or a function (x: Tensor) => Tensor)`);
}

/** Keras' Activation layer: applies an activation (a name or a function) elementwise. */
export class Activation extends Layer {
  /** the function applied */
  readonly activation: (x: Tensor) => Tensor;
  constructor(activation: ActivationLike, options?: { name?: string }) {
    super(options?.name, 'Activation');
    inContext(this, () => checkOptions(options, ['name']));
    this.activation = inContext(this, () => activationFunction(activation));
  }
  protected call(x: Tensor): Tensor {
    checkFloat(x);
    return this.activation(x);
  }
}

/** Options of `ReLU` (Keras' names and defaults). */
export interface ReLUOptions {
  /** the largest output (default: none) */
  maxValue?: number;
  /** slope below the threshold (default 0) */
  negativeSlope?: number;
  /** values above it pass (default 0) */
  threshold?: number;
  name?: string;
}

/**
 * Keras' ReLU layer: `min(x, maxValue)` for x above `threshold`, `negativeSlope * (x - threshold)`
 * below it; with the defaults, plain relu.
 */
export class ReLU extends Layer {
  readonly maxValue: number | undefined;
  readonly negativeSlope: number;
  readonly threshold: number;
  constructor(options?: ReLUOptions) {
    super(options?.name, 'ReLU');
    const o = inContext(this, () => checkOptions(options, ['maxValue', 'negativeSlope', 'threshold', 'name']));
    this.maxValue = inContext(this, () => o.maxValue === undefined ? undefined : numberIn('maxValue', o.maxValue, 0, 0, Infinity, '>= 0'));
    this.negativeSlope = inContext(this, () => numberIn('negativeSlope', o.negativeSlope, 0, 0, Infinity, '>= 0'));
    this.threshold = inContext(this, () => numberIn('threshold', o.threshold, 0, 0, Infinity, '>= 0'));
  }
  protected call(x: Tensor): Tensor {
    checkFloat(x);
    const { maxValue, negativeSlope: slope, threshold } = this;
    if (threshold === 0 && maxValue === undefined) return slope === 0 ? relu(x) : leakyRelu(x, slope);
    if (threshold === 0 && maxValue === 6 && slope === 0) return relu6(x);
    let y = threshold === 0 ? relu(x) : where(greater(x, threshold), x, 0);
    if (maxValue !== undefined) y = minimum(y, maxValue);
    return slope === 0 ? y : sub(y, mul(relu(sub(threshold, x)), slope));
  }
}

/** Keras' LeakyReLU layer: x for x >= 0, `negativeSlope * x` below (Keras' layer default 0.3). */
export class LeakyReLU extends Layer {
  readonly negativeSlope: number;
  constructor(options?: { negativeSlope?: number; name?: string }) {
    super(options?.name, 'LeakyReLU');
    const o = inContext(this, () => checkOptions(options, ['negativeSlope', 'name']));
    this.negativeSlope = inContext(this, () => numberIn('negativeSlope', o.negativeSlope, 0.3, 0, Infinity, '>= 0'));
  }
  protected call(x: Tensor): Tensor {
    checkFloat(x);
    return leakyRelu(x, this.negativeSlope);
  }
}

/** Keras' Softmax layer: softmax over `axis` (default the last). */
export class Softmax extends Layer {
  readonly axis: number;
  constructor(axis = -1, options?: { name?: string }) {
    super(options?.name, 'Softmax');
    inContext(this, () => checkOptions(options, ['name']));
    this.axis = inContext(this, () => integer('axis', axis, -1));
  }
  protected computeOutputShape(inputShape: number[]): number[] {
    resolveAxis('axis', this.axis, inputShape.length, inputShape);
    return inputShape;
  }
  protected call(x: Tensor): Tensor {
    checkFloat(x);
    return softmax(x, resolveAxis('axis', this.axis, x.rank, x.shape));
  }
}

