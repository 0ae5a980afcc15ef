/**
 * Keras' stateful metrics for custom training loops: a separate entry that shares the root's core
 * and tensors. Each metric accumulates over `updateState` calls; `result()` reads it as a number.
 * @module gradtape/metrics
 */
// gradtape/metrics: Keras' metrics (keras.metrics). A separate entry so that the root bundle does
// not grow; it imports only the root's public API. One file per family, as keras/src/metrics/.
export { Metric, Mean, Sum, MeanMetricWrapper } from './metric.js';
export type { MetricOptions } from './metric.js';
export { Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy } from './accuracy.js';
export type { BinaryAccuracyOptions } from './accuracy.js';
export { MeanSquaredError, MeanAbsoluteError } from './regression.js';
