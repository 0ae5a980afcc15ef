// Optimizers with TF/Keras update rules and defaults: sgd (with momentum / Nesterov), adam, rmsprop.
// Slot state (momentum, first/second moments, mean squares) lives in non-trainable Variables, one
// set per optimised Variable, created on its first update. Updates run unrecorded and go through
// Variable.assign*, so they never enter a tape and cut the gradient as in TF.
import { Tensor, tidy, describe, zeros } from './tensor.js';
import { Variable, variable } from './variable.js';
import { GradientTape } from './tape.js';
import { unrecorded, dims, optionsOf, finite, flag } from './ops.js';
import { add, sub, mul, div, sqrt, square } from './ops-elementwise.js';

type Slots = Record<string, Variable>;

/** Base class: validation, slot bookkeeping, applyGradients and minimize. Subclasses give the update rule. */
export abstract class Optimizer {
  /** How many times applyGradients has run (Keras' `iterations`); Adam's bias correction uses it. */
  iterations = 0;
  #lr: number;
  #slots = new Map<Variable, Slots>();
  /** names the optimizer in errors ('sgd', 'adam', 'rmsprop') */
  #opName: string;
  /** @internal */ protected abstract readonly slotNames: readonly string[];

  /** @internal `opName` names the optimizer in errors ('sgd', 'adam', 'rmsprop'). */
  protected constructor(opName: string, learningRate: number) {
    this.#opName = opName;
    this.#lr = checkLearningRate(opName, learningRate);
  }

  /** The learning rate; may be changed between steps (a positive finite number). */
  get learningRate(): number { return this.#lr; }
  /** Sets the learning rate for the next steps. */
  set learningRate(value: number) { this.#lr = checkLearningRate(this.#opName, value); }

  /**
   * Applies one update, in TF's form `applyGradients([[grad, variable], ...])` (`zip(grads, vars)`)
   * or as two arrays, `applyGradients(grads, variables)`: each variable moves along its gradient.
   * A null (or undefined) gradient is skipped. Every argument is checked before anything is updated.
   * @example
   * ```ts
   * import { sgd, variable, tape, mul, sum } from 'gradtape';
   *
   * const w = variable([1, 2]);
   * const opt = sgd(0.25);
   * const t = tape(() => sum(mul(w, w)));
   * const [g] = t.gradient(t.result, [w]); // 2w = [2, 4]
   * opt.applyGradients([[g, w]]); // or opt.applyGradients([g], [w])
   * console.log(w.toArray()); // [0.5, 1]
   * ```
   */
  applyGradients(pairs: Iterable<readonly [Tensor | null | undefined, Variable]>): void;
  applyGradients(grads: readonly (Tensor | null | undefined)[], variables: readonly Variable[]): void;
  applyGradients(...args: unknown[]): void {
    const op = `${this.#opName}.applyGradients`;
    const [grads, vars, names] = args.length <= 1 ? unzipPairs(op, args[0]) : checkArrays(op, args[0], args[1]);
    vars.forEach((v, i) => checkVariable(op, v, names.variable(i)));
    const updates: [Tensor, Variable][] = [];
    grads.forEach((g, i) => {
      if (g === null || g === undefined) return;
      const v = vars[i] as Variable, name = names.grad(i);
      if (!(g instanceof Tensor) || g.isDisposed || g.dtype !== 'float32') throw new Error(`${op}: ${name} must be a float32 Tensor or null, got ${describe(g)}`);
      if (dims(g).join() !== dims(v).join())
        throw new Error(`${op}: ${name} has shape [${dims(g)}] but variable ${JSON.stringify(v.name)} has shape [${dims(v)}]`);
      updates.push([g, v]);
    });
    this.#pruneDisposed();
    const step = this.iterations + 1;
    unrecorded(() => {
      for (const [g, v] of updates) tidy(() => this.update(g, v, this.#slotsFor(v), step));
    });
    this.iterations++;
  }

  /**
   * Records `lossFn` on a new tape, differentiates the (scalar) loss w.r.t. `variables` (default:
   * every trainable variable `lossFn` read), applies the update and frees every temporary.
   * Returns the loss value (before the update).
   * @example
   * ```ts
   * import { sgd, variable, square } from 'gradtape';
   *
   * const w = variable(5);
   * const opt = sgd(0.25);
   * const loss = opt.minimize(() => square(w)); // w -= 0.25 · 2w
   * console.log(loss, w.item()); // 25 2.5
   * ```
   */
  minimize(lossFn: () => Tensor, variables?: readonly Variable[]): number {
    const op = `${this.#opName}.minimize`;
    if (typeof lossFn !== 'function') throw new Error(`${op}: lossFn must be a function returning a scalar loss tensor, got ${describe(lossFn)}`);
    if (variables !== undefined) {
      if (!Array.isArray(variables)) throw new Error(`${op}: variables must be an array of Variables, got ${describe(variables)}`);
      variables.forEach((v, i) => checkVariable(op, v, `variables[${i}]`));
    }
    // tidy frees its scope only when fn returns, so errors are caught inside and rethrown after
    let failure: { error: unknown } | undefined;
    const value = tidy(() => {
      const t = new GradientTape();
      try {
        t.record(tp => {
          if (variables) tp.watch([...variables]);
          return lossFn();
        });
        const loss = t.result as unknown;
        if (!(loss instanceof Tensor) || loss.isDisposed || loss.size !== 1 || loss.dtype !== 'float32')
          throw new Error(`${op}: lossFn must return a float32 scalar loss (reduce it with mean() or sum()), got ${describe(loss)}`);
        const vars = variables ?? t.watchedVariables();
        if (vars.length === 0) throw new Error(`${op}: lossFn read no trainable variable, so there is nothing to minimize (pass the variables explicitly or make them trainable)`);
        const grads = t.gradient(loss, [...vars]) as (Tensor | null)[];
        if (grads.every(g => g === null))
          throw new Error(`${op}: no gradients provided for any variable: the loss does not depend on ${vars.map(v => JSON.stringify(v.name)).join(', ')}`);
        const value = loss.item() as number;
        this.applyGradients(grads, vars);
        return value;
      } catch (error) {
        failure = { error };
        return NaN;
      } finally {
        t.dispose();
      }
    });
    if (failure) throw failure.error;
    return value;
  }

  /** A slot variable of `v` (e.g. 'm', 'v', 'momentum', 'rms'), or undefined before its first update. */
  getSlot(v: Variable, name: string): Variable | undefined {
    return this.#slots.get(v)?.[name];
  }
  /** The names of the per-variable slots this optimizer keeps (e.g. `['m', 'v']` for Adam). */
  getSlotNames(): string[] { return [...this.slotNames]; }

  /** Frees every slot variable; the optimizer starts afresh (iterations = 0). */
  dispose(): void {
    for (const s of this.#slots.values()) for (const t of Object.values(s)) t.dispose();
    this.#slots.clear();
    this.iterations = 0;
  }
  /** `using opt = adam()` frees the slot variables at the end of the block. */
  [Symbol.dispose](): void { this.dispose(); }

  /** @internal one variable's update; runs unrecorded inside a tidy */
  protected abstract update(g: Tensor, v: Variable, slots: Slots, step: number): void;

  #slotsFor(v: Variable): Slots {
    let s = this.#slots.get(v);
    if (!s) {
      s = {};
      for (const name of this.slotNames) {
        const z = zeros(dims(v));
        s[name] = variable(z, { trainable: false, name: `${v.name}/${name}` });
        z.dispose();
      }
      this.#slots.set(v, s);
    }
    return s;
  }

  /** Drops the slots of variables the user disposed. */
  #pruneDisposed(): void {
    for (const [v, s] of this.#slots) {
      if (!v.isDisposed) continue;
      for (const t of Object.values(s)) t.dispose();
      this.#slots.delete(v);
    }
  }
}

const checkLearningRate = (op: string, lr: unknown): number => finite(op, 'learningRate', lr, 0, Infinity, '(');

/** `name` says where the argument was: `variables[2]`, or `pairs[2][1]`. */
function checkVariable(op: string, v: unknown, name: string): void {
  if (!(v instanceof Variable)) throw new Error(`${op}: ${name} must be a Variable (create it with variable()), got ${describe(v)}`);
  if (v.isDisposed) throw new Error(`${op}: ${name} is a disposed Variable`);
  if (v.dtype !== 'float32') throw new Error(`${op}: ${name} (${JSON.stringify(v.name)}) must be float32 to be optimised, got dtype ${v.dtype}`);
}

/** How applyGradients names the i-th gradient and variable in its errors, for the form it was called with. */
interface ArgumentNames { grad(i: number): string; variable(i: number): string }

function checkArrays(op: string, grads: unknown, variables: unknown): [unknown[], unknown[], ArgumentNames] {
  if (!Array.isArray(grads)) throw new Error(`${op}: grads must be an array (one gradient or null per variable), got ${describe(grads)}`);
  if (!Array.isArray(variables)) throw new Error(`${op}: variables must be an array of Variables, got ${describe(variables)}`);
  if (grads.length !== variables.length)
    throw new Error(`${op}: got ${grads.length} gradient(s) for ${variables.length} variable(s); the two arrays must have the same length`);
  return [grads, variables, { grad: i => `grads[${i}]`, variable: i => `variables[${i}]` }];
}

function unzipPairs(op: string, pairs: unknown): [unknown[], unknown[], ArgumentNames] {
  const usage = 'pass [[gradient, variable], ...] or (grads, variables)';
  if (pairs === null || typeof pairs !== 'object' || typeof (pairs as Iterable<unknown>)[Symbol.iterator] !== 'function')
    throw new Error(`${op}: expected an array of [gradient, variable] pairs, got ${describe(pairs)}; ${usage}`);
  const grads: unknown[] = [], variables: unknown[] = [];
  for (const pair of pairs as Iterable<unknown>) {
    if (!Array.isArray(pair) || pair.length !== 2)
      throw new Error(`${op}: pairs[${grads.length}] must be a [gradient, variable] pair, got ${describe(pair)}; ${usage}`);
    grads.push(pair[0]);
    variables.push(pair[1]);
  }
  return [grads, variables, { grad: i => `pairs[${i}][0] (the gradient)`, variable: i => `pairs[${i}][1] (the variable)` }];
}


// ---- SGD ----
/** Options of `sgd`: momentum in [0, 1] (default 0) and Nesterov momentum (default false). */
export interface SGDOptions { momentum?: number; nesterov?: boolean }

/** Keras SGD: v = momentum·v − lr·g; w += v (Nesterov: w += momentum·v − lr·g). Without momentum: w −= lr·g. */
export class SGD extends Optimizer {
  /** Momentum (0: plain SGD). */
  readonly momentum: number;
  /** Whether Nesterov momentum is used. */
  readonly nesterov: boolean;
  protected readonly slotNames: readonly string[];

  /** Use `sgd(learningRate, options)`; same arguments. */
  constructor(learningRate = 0.01, options?: SGDOptions) {
    super('sgd', learningRate);
    const o = optionsOf('sgd', options, ['momentum', 'nesterov']);
    this.momentum = finite('sgd', 'momentum', o.momentum ?? 0, 0, 1);
    this.nesterov = flag('sgd', 'nesterov', o.nesterov);
    this.slotNames = this.momentum > 0 ? ['momentum'] : [];
  }

  protected update(g: Tensor, v: Variable, slots: Slots, _step: number): void {
    const lr = this.learningRate;
    if (this.momentum === 0) { v.assignSub(mul(g, lr)); return; }
    const m = slots.momentum;
    const step = mul(g, -lr);
    m.assign(add(mul(m, this.momentum), step));
    v.assignAdd(this.nesterov ? add(mul(m, this.momentum), step) : m);
  }
}

// ---- Adam ----
/** Options of `adam`: beta1 (0.9) and beta2 (0.999) in [0, 1), epsilon (1e-7). */
export interface AdamOptions { beta1?: number; beta2?: number; epsilon?: number }

/**
 * Keras Adam: m += (g − m)(1 − β1); v += (g² − v)(1 − β2);
 * w −= lr·√(1 − β2^t)/(1 − β1^t) · m / (√v + ε), with t the step number (from 1).
 */
export class Adam extends Optimizer {
  /** Decay rate of the first-moment estimate (default 0.9). */
  readonly beta1: number;
  /** Decay rate of the second-moment estimate (default 0.999). */
  readonly beta2: number;
  /** Added to the denominator for stability (default 1e-7, as Keras). */
  readonly epsilon: number;
  protected readonly slotNames = ['m', 'v'] as const;

  /** Use `adam(learningRate, options)`; same arguments. */
  constructor(learningRate = 0.001, options?: AdamOptions) {
    super('adam', learningRate);
    const o = optionsOf('adam', options, ['beta1', 'beta2', 'epsilon']);
    this.beta1 = finite('adam', 'beta1', o.beta1 ?? 0.9, 0, 1, ')');
    this.beta2 = finite('adam', 'beta2', o.beta2 ?? 0.999, 0, 1, ')');
    this.epsilon = finite('adam', 'epsilon', o.epsilon ?? 1e-7, 0);
  }

  protected update(g: Tensor, w: Variable, slots: Slots, step: number): void {
    const { m, v } = slots;
    const alpha = this.learningRate * Math.sqrt(1 - this.beta2 ** step) / (1 - this.beta1 ** step);
    m.assignAdd(mul(sub(g, m), 1 - this.beta1));
    v.assignAdd(mul(sub(square(g), v), 1 - this.beta2));
    w.assignSub(div(mul(m, alpha), add(sqrt(v), this.epsilon)));
  }
}

// ---- RMSprop ----
/** Options of `rmsprop`: decay (or its Keras name rho, 0.9), momentum (0), epsilon (1e-7). */
export interface RMSpropOptions { decay?: number; rho?: number; momentum?: number; epsilon?: number }

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
  constructor(learningRate = 0.001, options?: RMSpropOptions) {
    super('rmsprop', learningRate);
    const o = optionsOf('rmsprop', options, ['decay', 'rho', 'momentum', 'epsilon']);
    if (o.decay !== undefined && o.rho !== undefined && o.decay !== o.rho)
      throw new Error(`rmsprop: decay and rho name the same parameter; got decay=${describe(o.decay)} and rho=${describe(o.rho)}`);
    this.decay = finite('rmsprop', o.decay !== undefined ? 'decay' : 'rho', o.decay ?? o.rho ?? 0.9, 0, 1);
    this.momentum = finite('rmsprop', 'momentum', o.momentum ?? 0, 0, 1);
    this.epsilon = finite('rmsprop', 'epsilon', o.epsilon ?? 1e-7, 0);
    this.slotNames = this.momentum > 0 ? ['rms', 'momentum'] : ['rms'];
  }

  protected update(g: Tensor, w: Variable, slots: Slots, _step: number): void {
    const ms = slots.rms;
    ms.assign(add(mul(ms, this.decay), mul(square(g), 1 - this.decay)));
    const increment = div(mul(g, this.learningRate), sqrt(add(ms, this.epsilon)));
    if (this.momentum > 0) {
      const mom = slots.momentum;
      mom.assign(add(mul(mom, this.momentum), increment));
      w.assignSub(mom);
    } else {
      w.assignSub(increment);
    }
  }
}

// ---- factories (the public API) ----
/**
 * Stochastic gradient descent (Keras rules), learning rate 0.01 by default; with optional momentum and Nesterov momentum.
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
export function sgd(learningRate?: number, options?: SGDOptions): SGD { return new SGD(learningRate, options); }
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
export function adam(learningRate?: number, options?: AdamOptions): Adam { return new Adam(learningRate, options); }
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
export function rmsprop(learningRate?: number, options?: RMSpropOptions): RMSprop { return new RMSprop(learningRate, options); }
