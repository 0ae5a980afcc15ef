// Activations by name (Keras' names) or as any function of a tensor.
import { Tensor, identity, relu, sigmoid, tanh, softmax, gelu, silu } from '../index.js';
import { describeValue } from './module.js';

/** The activations a layer can name (Keras' names): applied elementwise, `softmax` over the last axis. */
export type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'gelu' | 'silu';
/** A layer's activation: one of the named ones, or any function from tensor to tensor. */
export type Activation = ActivationName | ((x: Tensor) => Tensor);

const ACTIVATIONS: Record<ActivationName, (x: Tensor) => Tensor> = {
  linear: x => identity(x),
  relu: x => relu(x),
  sigmoid: x => sigmoid(x),
  tanh: x => tanh(x),
  softmax: x => softmax(x, -1), // over the last axis, as Keras
  gelu: x => gelu(x), // exact (erf) form, Keras' default approximate=False
  silu: x => silu(x),
};

/** The activation function for a name or function (undefined: linear). Throws for anything else. */
export function activationFunction(activation: Activation | undefined): (x: Tensor) => Tensor {
  if (activation === undefined) return ACTIVATIONS.linear;
  if (typeof activation === 'function') return activation;
  if (typeof activation === 'string' && Object.hasOwn(ACTIVATIONS, activation)) return ACTIVATIONS[activation];
  throw new Error(`unknown activation ${describeValue(activation)} (expected one of ${Object.keys(ACTIVATIONS).map(k => `'${k}'`).join(', ')}, or a function (x: Tensor) => Tensor)`);
}
