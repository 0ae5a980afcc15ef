/**
 * Modules and layers for custom training loops (TF's tf.Module, Keras' layers): a separate entry
 * that shares the root's core and classes.
 * @module gradtape/layers
 */
// gradtape/layers: modules and layers for custom training loops (TF's tf.Module, Keras' layers).
// A separate entry so that the root bundle does not grow; it shares the root's core and classes.
export { Module, Layer, LayerError } from './module.js';
export type { ApplyOptions } from './module.js';
export { Dense, Conv2D, MaxPool2D, AvgPool2D, Flatten, Dropout, Sequential } from './layers.js';
export type { DenseOptions, Conv2DOptions, PoolOptions, Padding } from './layers.js';
export { activationFunction } from './activations.js';
export type { Activation, ActivationName } from './activations.js';
export { initialize, fans } from './initializers.js';
export type { InitializerName } from './initializers.js';
