// The update rules of Keras 3's optimizers, each a few lines over the base class (optimizers.ts),
// which checks the arguments, clips the gradients, applies weight decay and gives each rule the
// learning rate `lr` and the step number `t` (from 1). Defaults are Keras'.
import { Tensor, describe } from './tensor.js';
import { Variable } from './variable.js';
import { flag } from './ops.js';
import { Optimizer, LearningRate, OptimizerOptions } from './optimizers.js';
import { add, sub, mul, div, sqrt, square, abs, maximum } from './ops-elementwise.js';

type State = Record<string, Variable>;

// ---- SGD ----
/** Options of `sgd`: momentum in [0, 1] (default 0) and Nesterov momentum (default false). */
export interface SGDOptions extends OptimizerOptions { momentum?: number; nesterov?: boolean }

/** Keras SGD: v = momentum·v − lr·g; w += v (Nesterov: w += momentum·v − lr·g). Without momentum: w −= lr·g. */
export class SGD extends Optimizer {
  /** Momentum (0: plain SGD). */
  readonly momentum: number;
  /** Whether Nesterov momentum is used. */
  readonly nesterov: boolean;
  protected readonly slotNames: readonly string[];

  /** Use `sgd(learningRate, options)`; same arguments. */
  constructor(learningRate: LearningRate = 0.01, options?: SGDOptions) {
    super('sgd', learningRate, options, ['momentum', 'nesterov']);
    this.momentum = this.num('momentum', 0, 0, 1);
    this.nesterov = flag('sgd', 'nesterov', this.options.nesterov);
    this.slotNames = this.momentum > 0 ? ['momentum'] : [];
  }

  protected update(g: Tensor, w: Variable, s: State, lr: number): void {
    if (this.momentum === 0) { w.assignSub(mul(g, lr)); return; }
    const m = s.momentum, step = mul(g, -lr);
    m.assign(add(mul(m, this.momentum), step));
    w.assignAdd(this.nesterov ? add(mul(m, this.momentum), step) : m);
  }
}

// ---- RMSprop ----
/** Options of `rmsprop`: decay (or its Keras name rho, 0.9), momentum (0), epsilon (1e-7). */
export interface RMSpropOptions extends OptimizerOptions { decay?: number; rho?: number; momentum?: number; epsilon?: number }

/**
 * Keras RMSprop: ms = ρ·ms + (1 − ρ)·g²; Δ = lr·g / √(ms + ε); w −= Δ
 * (with momentum: mom = momentum·mom + Δ; w −= mom). `decay` is ρ (TF.js' name); `rho` is accepted too.
 */
export class RMSprop extends Optimizer {
  /** ρ, the decay of the mean square (default 0.9). */
  readonly decay: number;
  /** Momentum (default 0). */
  readonly momentum: number;
  /** Added inside the square root for stability (default 1e-7, as Keras). */
  readonly epsilon: number;
  protected readonly slotNames: readonly string[];

  /** Use `rmsprop(learningRate, options)`; same arguments. */
  constructor(learningRate: LearningRate = 0.001, options?: RMSpropOptions) {
    super('rmsprop', learningRate, options, ['decay', 'rho', 'momentum', 'epsilon']);
    const { decay, rho } = this.options;
    if (decay !== undefined && rho !== undefined && decay !== rho)
      throw new Error(`rmsprop: decay and rho name the same parameter; got decay=${describe(decay)} and rho=${describe(rho)}`);
    this.decay = this.num(decay !== undefined ? 'decay' : 'rho', 0.9, 0, 1);
    this.momentum = this.num('momentum', 0, 0, 1);
    this.epsilon = this.num('epsilon', 1e-7);
    this.slotNames = this.momentum > 0 ? ['rms', 'momentum'] : ['rms'];
  }

  protected update(g: Tensor, w: Variable, s: State, lr: number): void {
    const ms = s.rms;
    ms.assign(add(mul(ms, this.decay), mul(square(g), 1 - this.decay)));
    const increment = div(mul(g, lr), sqrt(add(ms, this.epsilon)));
    if (this.momentum > 0) {
      s.momentum.assign(add(mul(s.momentum, this.momentum), increment));
      w.assignSub(s.momentum);
    } else {
      w.assignSub(increment);
    }
  }
}

// ---- Adagrad ----
/** Options of `adagrad`: initialAccumulatorValue (0.1) and epsilon (1e-7). */
export interface AdagradOptions extends OptimizerOptions { initialAccumulatorValue?: number; epsilon?: number }

/** Keras Adagrad: a += g² (a starts at initialAccumulatorValue); w −= lr·g / √(a + ε). */
export class Adagrad extends Optimizer {
  /** The value every accumulator starts at (default 0.1). */
  readonly initialAccumulatorValue: number;
  /** Added inside the square root for stability (default 1e-7). */
  readonly epsilon: number;
  protected readonly slotNames = ['accumulator'];

  /** Use `adagrad(learningRate, options)`; same arguments. */
  constructor(learningRate: LearningRate = 0.001, options?: AdagradOptions) {
    super('adagrad', learningRate, options, ['initialAccumulatorValue', 'epsilon']);
    this.slotInit = this.initialAccumulatorValue = this.num('initialAccumulatorValue', 0.1);
    this.epsilon = this.num('epsilon', 1e-7);
  }

  protected update(g: Tensor, w: Variable, { accumulator }: State, lr: number): void {
    accumulator.assignAdd(square(g));
    w.assignSub(div(mul(g, lr), sqrt(add(accumulator, this.epsilon))));
  }
}

// ---- the Adam family: Adam, AdamW, Adamax, Nadam ----
/** Options of `adam`, `adamw`, `adamax` and `nadam`: beta1 (0.9) and beta2 (0.999) in [0, 1), epsilon (1e-7). */
export interface AdamOptions extends OptimizerOptions { beta1?: number; beta2?: number; epsilon?: number }

/** What the Adam family shares: the betas, epsilon and the moment updates. */
abstract class Moments extends Optimizer {
  /** Decay rate of the first-moment estimate (default 0.9). */
  readonly beta1: number;
  /** Decay rate of the second-moment estimate (Adamax: of the infinity norm; default 0.999). */
  readonly beta2: number;
  /** Added to the denominator for stability (default 1e-7, as Keras). */
  readonly epsilon: number;
  protected readonly slotNames: readonly string[] = ['m', 'v'];

  protected constructor(opName: string, learningRate: LearningRate, options: unknown, weightDecay?: number) {
    super(opName, learningRate, options, ['beta1', 'beta2', 'epsilon'], weightDecay);
    this.beta1 = this.num('beta1', 0.9, 0, 1, ')');
    this.beta2 = this.num('beta2', 0.999, 0, 1, ')');
    this.epsilon = this.num('epsilon', 1e-7);
  }

  /** m += (g − m)(1 − β1), and v += (g² − v)(1 − β2) where the rule keeps v (Adamax does not) */
  protected moments(g: Tensor, { m, v }: State): void {
    m.assignAdd(mul(sub(g, m), 1 - this.beta1));
    v?.assignAdd(mul(sub(square(g), v), 1 - this.beta2));
  }
}

/**
 * Keras Adam: m += (g − m)(1 − β1); v += (g² − v)(1 − β2);
 * w −= lr·√(1 − β2^t)/(1 − β1^t) · m / (√v + ε), with t the step number (from 1).
 */
export class Adam extends Moments {
  /** Use `adam(learningRate, options)` (or `adamw`: AdamW); same arguments. */
  constructor(learningRate: LearningRate = 0.001, options?: AdamOptions) {
    // Keras' AdamW is Adam whose weight decay defaults to 0.004
    super(new.target === AdamW ? 'adamw' : 'adam', learningRate, options, new.target === AdamW ? 0.004 : 0);
  }

  protected update(g: Tensor, w: Variable, s: State, lr: number, t: number): void {
    this.moments(g, s);
    const alpha = lr * Math.sqrt(1 - this.beta2 ** t) / (1 - this.beta1 ** t);
    w.assignSub(div(mul(s.m, alpha), add(sqrt(s.v), this.epsilon)));
  }
}

/** Keras AdamW: Adam with decoupled weight decay, `weightDecay` 0.004 by default. */
export class AdamW extends Adam {}

/** Keras Adamax: m += (g − m)(1 − β1); u = max(β2·u, |g|); w −= lr·m / ((1 − β1^t)(u + ε)). */
export class Adamax extends Moments {
  protected readonly slotNames = ['m', 'u'];
  /** Use `adamax(learningRate, options)`; same arguments. */
  constructor(learningRate: LearningRate = 0.001, options?: AdamOptions) { super('adamax', learningRate, options); }

  protected update(g: Tensor, w: Variable, s: State, lr: number, t: number): void {
    this.moments(g, s);
    s.u.assign(maximum(mul(s.u, this.beta2), abs(g)));
    w.assignSub(div(mul(s.m, lr), mul(add(s.u, this.epsilon), 1 - this.beta1 ** t)));
  }
}

/**
 * Keras Nadam (Adam with Nesterov momentum and a momentum schedule μ_t = β1·(1 − 0.5·0.96^t)):
 * with Π = μ_1···μ_t kept as state (`u_product`), m̂ = μ_{t+1}·m / (1 − Π·μ_{t+1}) + (1 − μ_t)·g / (1 − Π),
 * v̂ = v / (1 − β2^t), w −= lr·m̂ / (√v̂ + ε).
 */
export class Nadam extends Moments {
  protected scalars = { u_product: 1 };
  /** Use `nadam(learningRate, options)`; same arguments. */
  constructor(learningRate: LearningRate = 0.001, options?: AdamOptions) { super('nadam', learningRate, options); }

  #mu(t: number): number { return this.beta1 * (1 - 0.5 * 0.96 ** t); }

  protected beginStep(t: number, { u_product }: State): void { u_product.assign(mul(u_product, this.#mu(t))); }

  protected update(g: Tensor, w: Variable, s: State, lr: number, t: number): void {
    this.moments(g, s);
    const mu = this.#mu(t), next = this.#mu(t + 1), product = s.u_product.item();
    const mHat = add(mul(s.m, next / (1 - product * next)), mul(g, (1 - mu) / (1 - product)));
    w.assignSub(div(mul(mHat, lr), add(sqrt(div(s.v, 1 - this.beta2 ** t)), this.epsilon)));
  }
}

// ---- factories (the public API) ----
/**
 * Stochastic gradient descent (Keras rules), learning rate 0.01 by default; with optional momentum and Nesterov momentum.
 * Every optimizer also takes `clipNorm`, `clipValue` or `globalClipNorm`, `weightDecay`, and a schedule as its learning rate.
 * @example
 * ```ts
 * import { sgd, variable, sum } from 'gradtape';
 *
 * const w = variable([1]);
 * const opt = sgd(0.5, { momentum: 0.5 });
 * opt.minimize(() => sum(w)); // gradient 1: velocity -0.5
 * opt.minimize(() => sum(w)); // velocity 0.5 · -0.5 - 0.5 = -0.75
 * console.log(w.toArray()); // [-0.25]
 * ```
 */
export function sgd(learningRate?: LearningRate, options?: SGDOptions): SGD { return new SGD(learningRate, options); }
/**
 * Adam (Keras rules and defaults: learning rate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7).
 * @example
 * ```ts
 * import { adam, variable, sum, mul, tensor } from 'gradtape';
 *
 * const w = variable([1, 1]);
 * const opt = adam(0.5);
 * opt.minimize(() => sum(mul(w, tensor([2, -0.1])))); // the first step moves each weight by about the learning rate
 * console.log(w.toArray().map((v) => v.toFixed(3))); // ['0.500', '1.500']
 * ```
 */
export function adam(learningRate?: LearningRate, options?: AdamOptions): Adam { return new Adam(learningRate, options); }
/**
 * AdamW (Keras 3): Adam with decoupled weight decay, `weightDecay` 0.004 by default: before each
 * update w −= w · weightDecay · learningRate.
 * @example
 * ```ts
 * import { adamw, variable, sum, mul, tensor } from 'gradtape';
 *
 * const w = variable([1, 1]);
 * const opt = adamw(0.5, { weightDecay: 0.1 });
 * opt.minimize(() => sum(mul(w, tensor([2, -0.1])))); // w · (1 - 0.05), then Adam's step of about 0.5
 * console.log(w.toArray().map((v) => v.toFixed(3))); // ['0.450', '1.450']
 * ```
 */
export function adamw(learningRate?: LearningRate, options?: AdamOptions): AdamW { return new AdamW(learningRate, options); }
/**
 * Adagrad (Keras rules and defaults: learning rate 0.001, initialAccumulatorValue 0.1, epsilon 1e-7).
 * @example
 * ```ts
 * import { adagrad, variable, sum, mul, tensor } from 'gradtape';
 *
 * const w = variable([1, 1]);
 * const opt = adagrad(0.1);
 * opt.minimize(() => sum(mul(w, tensor([0.3, -0.4])))); // step 0.1 · g / √(0.1 + g²)
 * console.log(w.toArray().map((v) => v.toFixed(4))); // ['0.9312', '1.0784']
 * ```
 */
export function adagrad(learningRate?: LearningRate, options?: AdagradOptions): Adagrad { return new Adagrad(learningRate, options); }
/**
 * Adamax, Adam with the infinity norm (Keras rules and defaults: learning rate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7).
 * @example
 * ```ts
 * import { adamax, variable, sum, mul, tensor } from 'gradtape';
 *
 * const w = variable([1, 1]);
 * const opt = adamax(0.5);
 * opt.minimize(() => sum(mul(w, tensor([2, -0.1])))); // the first step moves each weight by the learning rate
 * console.log(w.toArray().map((v) => v.toFixed(3))); // ['0.500', '1.500']
 * ```
 */
export function adamax(learningRate?: LearningRate, options?: AdamOptions): Adamax { return new Adamax(learningRate, options); }
/**
 * Nadam, Adam with Nesterov momentum (Keras rules and defaults: learning rate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7).
 * @example
 * ```ts
 * import { nadam, variable, sum, mul, tensor } from 'gradtape';
 *
 * const w = variable([1, 1]);
 * const opt = nadam(0.5);
 * opt.minimize(() => sum(mul(w, tensor([2, -0.1]))));
 * console.log(w.toArray().map((v) => v.toFixed(3)), Object.keys(opt.weights())); // ['0.469', '1.531'] ['iterations', 'u_product', '0/m', '0/v']
 * ```
 */
export function nadam(learningRate?: LearningRate, options?: AdamOptions): Nadam { return new Nadam(learningRate, options); }
/**
 * RMSprop (Keras rules and defaults: learning rate 0.001, decay (rho) 0.9, momentum 0, epsilon 1e-7).
 * @example
 * ```ts
 * import { rmsprop, variable, sum, mul, tensor } from 'gradtape';
 *
 * const w = variable([1, 1]);
 * const opt = rmsprop(0.1);
 * opt.minimize(() => sum(mul(w, tensor([4, -4])))); // step lr · g / √(0.1 g²) = ±0.316
 * console.log(w.toArray().map((v) => v.toFixed(3))); // ['0.684', '1.316']
 * ```
 */
export function rmsprop(learningRate?: LearningRate, options?: RMSpropOptions): RMSprop { return new RMSprop(learningRate, options); }
