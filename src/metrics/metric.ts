// The base of Keras' stateful metrics, and Mean, Sum and MeanMetricWrapper with Keras' sample-weight
// rules (keras/src/metrics/reduction_metrics.py: reduce_to_samplewise_values). Each update runs
// the root's ops in a tidy() on copies no tape records, then adds two numbers to the state in JS:
// nothing stays in WebAssembly memory between updates.
import { Tensor, TensorLike, tidy, cast, stopGradient, mean, sum, mul, broadcastTo, expandDims, squeeze } from '../index.js';

/** How a message shows a value the caller gave. */
export const show = (v: unknown): string => typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' && v !== null ? JSON.stringify(v) ?? String(v) : String(v);

/**
 * A float32 copy of an argument that no tape records (metrics are not differentiated): updating a
 * metric inside a tape's recording leaves nothing on the tape. Errors say which argument.
 */
export function input(what: string, x: TensorLike): Tensor {
  try {
    return cast(stopGradient(x), 'float32');
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message.replace(/^stopGradient: /, '')}`);
  }
}

/**
 * Keras' squeeze_or_expand_to_same_rank: when one rank exceeds the other by one and its last axis
 * is 1, that axis goes, or (against a rank-1 tensor) the other gains one; so [batch] labels meet
 * [batch, 1] predictions elementwise instead of broadcasting to [batch, batch].
 */
export function sameRank(a: Tensor, b: Tensor): [Tensor, Tensor] {
  const fit = (x: Tensor, y: Tensor): [Tensor, Tensor] =>
    x.rank !== y.rank + 1 || x.shape[y.rank] !== 1 ? [x, y] : y.rank === 1 ? [x, expandDims(y, -1)] : [squeeze(x, -1), y];
  [a, b] = fit(a, b);
  [b, a] = fit(b, a);
  return [a, b];
}

/** The axes from `start` to rank − 1. */
const axesFrom = (start: number, rank: number): number[] => Array.from({ length: rank - start }, (_, i) => start + i);
/** Σ in float64. */
const total = (t: Tensor): number => (t.data() as Float32Array).reduce((s, v) => s + v, 0);

/**
 * Keras' reduce_to_samplewise_values, then what Mean and Sum add up: [Σ of the weighted per-example
 * values, Σ of the per-example weights (without weights: the number of examples, 1 for a scalar)].
 * Values of rank > 1 are reduced (by `reduce`) to one per example along axis 0; weights broadcast
 * to the values after rank fitting, and values of higher rank than the weights are reduced to it first.
 */
function samplewise(values: Tensor, weights: Tensor | undefined, reduce: typeof mean): [number, number] {
  let v = values, w = weights;
  if (w) {
    [v, w] = sameRank(v, w);
    if (v.rank > w.rank) v = reduce(v, axesFrom(w.rank, v.rank));
    if (w.rank > v.rank || w.shape.some((d, i) => d !== 1 && d !== v.shape[i]))
      throw new Error(`sampleWeight of shape [${weights!.shape.join(', ')}] does not broadcast to the values' shape [${values.shape.join(', ')}]`);
    w = broadcastTo(w, v.shape);
    v = mul(v, w);
    if (w.rank > 1) w = reduce(w, axesFrom(1, w.rank));
  }
  if (v.rank > 1) v = reduce(v, axesFrom(1, v.rank));
  return [total(v), w ? total(w) : v.rank ? v.shape[0] : 1];
}

/** Options every metric takes. */
export interface MetricOptions {
  /** the metric's name (default: Keras' name for its class, e.g. 'mean' or 'binary_accuracy') */
  name?: string;
}

/**
 * The base of every metric (Keras' keras.metrics.Metric): a `name`, a running state updated by each
 * subclass' `updateState`, `result()` and `resetState()`. Each update computes in float32 (its
 * inputs are float32 tensors), but the state is two JS numbers, a weighted total and a total weight,
 * summed in float64 (Keras keeps float32 variables): long runs of batches lose no precision (a
 * float32 count stops growing at 2^24), and nothing stays in WebAssembly memory between updates.
 * @example
 * ```ts
 * import { Metric, Mean, BinaryAccuracy } from 'gradtape/metrics';
 *
 * const metrics = [new Mean(), new BinaryAccuracy()];
 * for (const m of metrics) m.resetState(); // at the start of each epoch
 * console.log(metrics.every(m => m instanceof Metric), metrics.map(m => m.name)); // true ['mean', 'binary_accuracy']
 * ```
 */
export abstract class Metric {
  /** the name given in the options, or Keras' default for the class */
  readonly name: string;
  /** the class name messages start with */
  protected readonly kind: string;
  /** the weighted sum of the per-example values so far */
  protected total = 0;
  /** the sum of their weights (their number, unweighted) */
  protected count = 0;

  /**
   * @param kind the class name messages start with
   * @param defaultName the name when the options give none
   * @param keys the options the subclass takes besides `name`
   */
  protected constructor(kind: string, defaultName: string, options: MetricOptions | undefined, keys: readonly string[] = []) {
    const allowed = ['name', ...keys];
    if (options != null && (typeof options !== 'object' || Array.isArray(options)))
      throw new Error(`${kind}: options must be an object like { ${allowed.join(', ')} }, got ${show(options)}`);
    for (const k of Object.keys(options ?? {}))
      if (!allowed.includes(k)) throw new Error(`${kind}: unknown option ${JSON.stringify(k)} (expected ${allowed.join(', ')})`);
    const name = options?.name ?? defaultName;
    if (typeof name !== 'string' || name === '') throw new Error(`${kind}: name must be a non-empty string, got ${show(name)}`);
    this.kind = kind;
    this.name = name;
  }

  /** The metric's value: the weighted mean of the values accumulated so far (0 before any). */
  result(): number {
    return this.count ? this.total / this.count : 0;
  }

  /** Forgets every update: back to the state of a new metric. */
  resetState(): void {
    this.total = this.count = 0;
  }

  /**
   * Adds the per-example `values()` (made in a tidy, as every temporary) and their weights to the
   * state, all or nothing: an error (its message prefixed with `Kind.updateState:`) changes nothing.
   */
  protected accumulate(values: () => Tensor, sampleWeight: TensorLike | null | undefined, reduce: typeof mean = mean): void {
    try {
      const [t, c] = tidy(() => samplewise(values(), sampleWeight == null ? undefined : input('sampleWeight', sampleWeight), reduce));
      this.total += t;
      this.count += c;
    } catch (e) {
      throw new Error(`${this.kind}.updateState: ${(e as Error).message}`);
    }
  }
}

/**
 * Keras' Mean: the weighted mean of every value given to `updateState`. Values of rank > 1 count
 * as one per example along axis 0 (each the mean over its other axes), as Keras.
 * @example
 * ```ts
 * import { Mean } from 'gradtape/metrics';
 *
 * const m = new Mean();
 * m.updateState([1, 3, 5, 7]);
 * console.log(m.result()); // 4
 * m.resetState();
 * m.updateState([1, 3, 5, 7], [1, 1, 0, 0]);
 * console.log(m.result()); // 2
 * ```
 */
export class Mean extends Metric {
  /** A mean of nothing yet (result 0), named `options.name` or 'mean'. */
  constructor(options?: MetricOptions) {
    super('Mean', 'mean', options);
  }

  /**
   * Adds `values` (any shape and dtype), each weighted by `sampleWeight` (default 1; broadcast to
   * the values after Keras' rank fitting; values with more axes than the weights are first averaged
   * down to the weights' rank).
   */
  updateState(values: TensorLike, sampleWeight?: TensorLike | null): void {
    this.accumulate(() => input('values', values), sampleWeight);
  }
}

/**
 * Keras' Sum: the weighted sum of every value given to `updateState`.
 * @example
 * ```ts
 * import { Sum } from 'gradtape/metrics';
 *
 * const s = new Sum();
 * s.updateState([1, 3, 5, 7]);
 * s.updateState([[1, 2], [3, 4]], [1, 0]);
 * console.log(s.result()); // 19
 * ```
 */
export class Sum extends Metric {
  /** A sum of nothing yet (result 0), named `options.name` or 'sum'. */
  constructor(options?: MetricOptions) {
    super('Sum', 'sum', options);
  }

  /** Adds `values` (any shape and dtype), each weighted by `sampleWeight` (default 1; broadcast as in `Mean`). */
  updateState(values: TensorLike, sampleWeight?: TensorLike | null): void {
    this.accumulate(() => input('values', values), sampleWeight, sum);
  }

  /** The weighted sum so far. */
  override result(): number {
    return this.total;
  }
}

/**
 * Keras' MeanMetricWrapper: the weighted mean of `fn(yTrue, yPred)`'s per-example values (a loss
 * function, say). `fn` gets float32 tensors (yTrue and yPred converted and cast) that no tape
 * records, and its temporaries are freed. The base of the accuracy and error metrics.
 * @example
 * ```ts
 * import { hinge } from 'gradtape';
 * import { MeanMetricWrapper } from 'gradtape/metrics';
 *
 * const m = new MeanMetricWrapper(hinge, { name: 'hinge' });
 * m.updateState([[0, 1]], [[-0.5, 0.25]]);
 * console.log(m.name, m.result()); // hinge 0.625
 * ```
 */
export class MeanMetricWrapper extends Metric {
  readonly #fn: (yTrue: Tensor, yPred: Tensor) => Tensor;

  /**
   * A mean of `fn`'s values over nothing yet (result 0), named `options.name` or 'mean_metric_wrapper'.
   * @param fn the per-example values of (yTrue, yPred)
   * @param kind for subclasses: their class name, which messages start with
   * @param defaultName for subclasses: Keras' name for them
   * @param keys for subclasses: the options they take besides `name`
   */
  constructor(fn: (yTrue: Tensor, yPred: Tensor) => Tensor, options?: MetricOptions, kind = 'MeanMetricWrapper', defaultName = 'mean_metric_wrapper', keys: readonly string[] = []) {
    super(kind, defaultName, options, keys);
    if (typeof fn !== 'function') throw new Error(`${kind}: fn must be a function (yTrue, yPred) => Tensor, got ${show(fn)}`);
    this.#fn = fn;
  }

  /**
   * Adds the per-example values of (yTrue, yPred), each weighted by `sampleWeight` (default 1; one
   * per example, or any shape that broadcasts to the values, as in `Mean`).
   */
  updateState(yTrue: TensorLike, yPred: TensorLike, sampleWeight?: TensorLike | null): void {
    this.accumulate(() => this.#fn(input('yTrue', yTrue), input('yPred', yPred)), sampleWeight);
  }
}
