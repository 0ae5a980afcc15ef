// Keras' error metrics (keras/src/metrics/regression_metrics.py): the per-example losses of the root
// API averaged with Keras' sample weights by MeanMetricWrapper.
import { meanSquaredError, meanAbsoluteError } from '../index.js';
import { MeanMetricWrapper, MetricOptions, sameRank } from './metric.js';

/**
 * Keras' MeanSquaredError: the mean of (yPred − yTrue)² (per example over the last axis, then
 * over examples with their weights), after Keras' rank fitting (yTrue [batch] meets yPred [batch, 1]).
 * @example
 * ```ts
 * import { MeanSquaredError } from 'gradtape/metrics';
 *
 * const m = new MeanSquaredError();
 * m.updateState([[0, 1], [0, 0]], [[1, 1], [0, 0]]);
 * console.log(m.result()); // 0.25
 * ```
 */
export class MeanSquaredError extends MeanMetricWrapper {
  /** Named `options.name` or 'mean_squared_error'. */
  constructor(options?: MetricOptions) {
    super((yTrue, yPred) => meanSquaredError(...sameRank(yTrue, yPred)), options, 'MeanSquaredError', 'mean_squared_error');
  }
}

/**
 * Keras' MeanAbsoluteError: the mean of |yPred − yTrue| (per example over the last axis, then over
 * examples with their weights), after Keras' rank fitting.
 * @example
 * ```ts
 * import { MeanAbsoluteError } from 'gradtape/metrics';
 *
 * const m = new MeanAbsoluteError();
 * m.updateState([[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0]);
 * console.log(m.result()); // 0.5
 * ```
 */
export class MeanAbsoluteError extends MeanMetricWrapper {
  /** Named `options.name` or 'mean_absolute_error'. */
  constructor(options?: MetricOptions) {
    super(meanAbsoluteError, options, 'MeanAbsoluteError', 'mean_absolute_error');
  }
}
