// Learning-rate schedules with the formulas of Keras 3's keras.optimizers.schedules, as plain
// functions step → rate: an optimizer given one as its learning rate evaluates it at `iterations`
// (the updates applied so far), so the first update uses the rate at step 0.
import { describe } from './tensor.js';
import { finite, flag, optionsOf } from './ops.js';

/** A learning-rate schedule: the rate for the update that follows `step` updates. Any such function works. */
export type LearningRateSchedule = (step: number) => number;

/** `rate` as a schedule named `op`, whose step must be a finite number >= 0. */
const schedule = (op: string, rate: LearningRateSchedule): LearningRateSchedule => step => rate(finite(op, 'step', step, 0));

/** exponentialDecay and inverseTimeDecay: `rule(initial rate, decay rate, p)` with p = step / decaySteps (floored with `staircase`). */
function decay(op: string, initialLearningRate: unknown, decaySteps: unknown, decayRate: unknown, staircase: unknown, rule: (lr: number, rate: number, p: number) => number): LearningRateSchedule {
  const lr = finite(op, 'initialLearningRate', initialLearningRate, 0), n = finite(op, 'decaySteps', decaySteps, 0, Infinity, '(');
  const rate = finite(op, 'decayRate', decayRate, 0), stairs = flag(op, 'staircase', staircase);
  return schedule(op, t => rule(lr, rate, stairs ? Math.floor(t / n) : t / n));
}

/**
 * Keras' ExponentialDecay: initialLearningRate · decayRate^(step / decaySteps), the exponent
 * floored when `staircase` is true.
 * @example
 * ```ts
 * import { exponentialDecay, sgd } from 'gradtape';
 *
 * const schedule = exponentialDecay(0.1, 10, 0.5);
 * console.log(schedule(0), schedule(10), schedule(5).toFixed(4)); // 0.1 0.05 0.0707
 * const opt = sgd(schedule); // the optimizer evaluates it at opt.iterations
 * ```
 */
export function exponentialDecay(initialLearningRate: number, decaySteps: number, decayRate: number, staircase = false): LearningRateSchedule {
  return decay('exponentialDecay', initialLearningRate, decaySteps, decayRate, staircase, (lr, rate, p) => lr * rate ** p);
}

/**
 * Keras' InverseTimeDecay: initialLearningRate / (1 + decayRate · step / decaySteps), the ratio
 * step / decaySteps floored when `staircase` is true.
 * @example
 * ```ts
 * import { inverseTimeDecay } from 'gradtape';
 *
 * const schedule = inverseTimeDecay(0.1, 10, 0.5, true);
 * console.log(schedule(9), schedule(10), schedule(20)); // 0.1 0.06666666666666667 0.05
 * ```
 */
export function inverseTimeDecay(initialLearningRate: number, decaySteps: number, decayRate: number, staircase = false): LearningRateSchedule {
  return decay('inverseTimeDecay', initialLearningRate, decaySteps, decayRate, staircase, (lr, rate, p) => lr / (1 + rate * p));
}

/**
 * Keras' PiecewiseConstantDecay: `values[0]` while step <= boundaries[0], `values[i]` while
 * boundaries[i − 1] < step <= boundaries[i], the last value after the last boundary. Boundaries
 * increase strictly; there is one value more than boundaries.
 * @example
 * ```ts
 * import { piecewiseConstantDecay } from 'gradtape';
 *
 * const schedule = piecewiseConstantDecay([100, 200], [0.1, 0.01, 0.001]);
 * console.log(schedule(100), schedule(101), schedule(201)); // 0.1 0.01 0.001
 * ```
 */
export function piecewiseConstantDecay(boundaries: readonly number[], values: readonly number[]): LearningRateSchedule {
  const op = 'piecewiseConstantDecay';
  if (!Array.isArray(boundaries) || !Array.isArray(values) || values.length !== boundaries.length + 1)
    throw new Error(`${op}: expected an array of boundaries and one more value, got boundaries ${describe(boundaries)} and values ${describe(values)}`);
  const bs = boundaries.map((b, i) => finite(op, `boundaries[${i}]`, b, i ? boundaries[i - 1] : -Infinity, Infinity, i ? '(' : ''));
  const vs = values.map((v, i) => finite(op, `values[${i}]`, v, 0));
  return schedule(op, t => vs[bs.filter(b => t > b).length]);
}

/** Options of `cosineDecay`: alpha in [0, 1] (0), and a linear warmup to warmupTarget over warmupSteps (0). */
export interface CosineDecayOptions { alpha?: number; warmupTarget?: number; warmupSteps?: number }

/**
 * Keras' CosineDecay: from rate r (initialLearningRate, or warmupTarget after the warmup) down to
 * r · alpha over decaySteps: r · ((1 − alpha) · (1 + cos(π · s / decaySteps)) / 2 + alpha), s the steps
 * since the warmup (at most decaySteps). With a warmupTarget, the first warmupSteps go linearly from
 * initialLearningRate to it; without one, warmupSteps is ignored, as in Keras.
 * @example
 * ```ts
 * import { cosineDecay } from 'gradtape';
 *
 * const schedule = cosineDecay(0, 100, { warmupTarget: 0.1, warmupSteps: 10 });
 * console.log(schedule(5), schedule(10), schedule(60), schedule(500)); // 0.05 0.1 0.05 0
 * ```
 */
export function cosineDecay(initialLearningRate: number, decaySteps: number, options?: CosineDecayOptions): LearningRateSchedule {
  const op = 'cosineDecay', o = optionsOf(op, options, ['alpha', 'warmupTarget', 'warmupSteps']);
  const lr = finite(op, 'initialLearningRate', initialLearningRate, 0), n = finite(op, 'decaySteps', decaySteps, 0, Infinity, '(');
  const alpha = finite(op, 'alpha', o.alpha ?? 0, 0, 1), warmupSteps = finite(op, 'warmupSteps', o.warmupSteps ?? 0, 0);
  const target = o.warmupTarget === undefined ? lr : finite(op, 'warmupTarget', o.warmupTarget, 0);
  const warm = o.warmupTarget === undefined ? 0 : warmupSteps;
  return schedule(op, step => {
    const t = Math.min(step, n + warm);
    return t < warm ? lr + (target - lr) * t / warm : target * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * (t - warm) / n)) + alpha);
  });
}
