/**
 * Modules and layers for custom training loops (TF's tf.Module, Keras' layers): a separate entry
 * that shares the root's core and classes.
 * @module gradtape/layers
 */
// gradtape/layers: modules and layers for custom training loops (TF's tf.Module, Keras' layers).
// A separate entry so that the root bundle does not grow; it shares the root's core and classes.
// One file per family, as Keras' keras/src/layers/.
export { Module, Layer, LayerError } from './module.js';
export type { ApplyOptions, LayerInput, ShapeOf, ShapeArg } from './module.js';
export { Dense } from './core.js';
export type { DenseOptions, KernelOptions } from './core.js';
export { Conv2D, Conv2DTranspose, DepthwiseConv2D } from './convolutional.js';
export type { Conv2DOptions, Conv2DTransposeOptions, DepthwiseConv2DOptions } from './convolutional.js';
export { MaxPool2D, AvgPool2D, GlobalAveragePooling2D, GlobalMaxPooling2D } from './pooling.js';
export type { PoolOptions, GlobalPoolOptions } from './pooling.js';
export { BatchNormalization, LayerNormalization } from './normalization.js';
export type { BatchNormalizationOptions, LayerNormalizationOptions } from './normalization.js';
export { Flatten, Reshape, Permute, UpSampling2D, ZeroPadding2D, Cropping2D } from './reshaping.js';
export type { UpSampling2DOptions } from './reshaping.js';
export { Concatenate, Add, Multiply, Average } from './merging.js';
export { Dropout } from './regularization.js';
export { Sequential } from './sequential.js';
export { Activation, ReLU, LeakyReLU, Softmax, activationFunction } from './activations.js';
export type { ActivationLike, ActivationName, ReLUOptions } from './activations.js';
export type { Padding } from './util.js';
export { initialize, fans } from './initializers.js';
export type { InitializerName } from './initializers.js';
export { MultiHeadAttention, MASKED_SCORE } from './attention.js';
export type { MultiHeadAttentionOptions, AttentionApplyOptions, AttentionProjection } from './attention.js';
export { Embedding } from './embedding.js';
export type { EmbeddingOptions } from './embedding.js';
export { RNN } from './recurrent.js';
export type { RecurrentOptions, RecurrentApplyOptions } from './recurrent.js';
export { SimpleRNN, GRU, LSTM } from './recurrent-cells.js';
export type { SimpleRNNOptions, GRUOptions, LSTMOptions } from './recurrent-cells.js';
export { Bidirectional } from './bidirectional.js';
export type { BidirectionalOptions, BidirectionalApplyOptions, MergeMode } from './bidirectional.js';
