// The optimizers' base class, as Keras 3's base optimizer: argument checks, gradient clipping,
// weight decay, learning-rate schedules, the step count, slot bookkeeping and checkpoints
// (weights / loadWeights); the update rules are in optimizers-keras.ts. State lives in
// non-trainable Variables: per optimised Variable its slots (momentum, moments, accumulators),
// created on its first update or by build(), and once per optimizer `iterations` and any scalar
// the rule keeps (Nadam's u_product), created on first use. Updates run unrecorded and go through
// Variable.assign*, so they never enter a tape and cut the gradient as in TF.
import { Tensor, tidy, describe, fill, DType } from './tensor.js';
import { Variable, variable } from './variable.js';
import { GradientTape } from './tape.js';
import { unrecorded, dims, optionsOf, finite } from './ops.js';
import { mul, clipByValue } from './ops-elementwise.js';
import { clipByNorm, clipByGlobalNorm } from './ops-normalization.js';
import type { LearningRateSchedule } from './schedules.js';

/** A learning rate: a number > 0, or a schedule giving the rate for each step (see `exponentialDecay`). */
export type LearningRate = number | LearningRateSchedule;

/** Options of every optimizer (Keras 3's base optimizer): gradient clipping, at most one kind, and weight decay. */
export interface OptimizerOptions {
  /** Clips each gradient to this L2 norm (> 0) on its own. */
  clipNorm?: number;
  /** Clips each gradient element to [−clipValue, clipValue] (> 0). */
  clipValue?: number;
  /** Scales all the gradients of a step together so their global norm is at most this (> 0). */
  globalClipNorm?: number;
  /** Decoupled weight decay: before each update, w −= w · weightDecay · learningRate (default 0; AdamW: 0.004). */
  weightDecay?: number;
}

/** Variables by name: one variable's slots, or the optimizer's scalars (`iterations`, ...). */
type State = Record<string, Variable>;
const CLIPS = ['clipNorm', 'clipValue', 'globalClipNorm'];

/** A non-trainable Variable filled with `value`: optimizer state. */
function stateVariable(shape: readonly number[], value: number, name: string, dtype?: DType): Variable {
  const init = fill(shape, value, dtype), v = variable(init, { trainable: false, name });
  init.dispose();
  return v;
}

/**
 * Base class: validation, clipping, weight decay, schedules, state, applyGradients, minimize and
 * checkpoints. Subclasses give the update rule.
 */
export abstract class Optimizer {
  /** Decoupled weight decay (Keras' `weight_decay`; 0: none): w −= w · weightDecay · learningRate before each update. */
  readonly weightDecay: number;
  /** @internal the options given, already checked against the rule's keys */
  protected readonly options: Record<string, unknown>;
  /** @internal names of the per-variable slots */
  protected abstract readonly slotNames: readonly string[];
  /** @internal the value slots start at (Adagrad: initialAccumulatorValue) */
  protected slotInit = 0;
  /** @internal scalar state beside `iterations` and its initial values (Nadam: u_product) */
  protected scalars: Record<string, number> = {};
  #lr!: LearningRate;
  #clip?: [string, number];
  #slots = new Map<Variable, State>();
  #state?: State;
  /** names the optimizer in errors ('sgd', 'adam', ...) */
  #opName: string;

  /** @internal `keys`: the rule's own options; `weightDecay`: its default */
  protected constructor(opName: string, learningRate: LearningRate, options: unknown, keys: readonly string[], weightDecay = 0) {
    this.#opName = opName;
    this.learningRate = learningRate;
    const o = this.options = optionsOf(opName, options, [...keys, ...CLIPS, 'weightDecay']);
    this.weightDecay = this.num('weightDecay', weightDecay);
    const clips = CLIPS.filter(k => o[k] !== undefined);
    if (clips.length > 1) throw new Error(`${opName}: set at most one of ${CLIPS.join(', ')}, got ${clips.map(k => `${k}=${describe(o[k])}`).join(', ')}`);
    if (clips.length) this.#clip = [clips[0], this.num(clips[0], 0, 0, Infinity, '(')];
  }

  /** @internal option `key` (or `fallback`), a finite number in [min, max] (`open` as for `finite`) */
  protected num(key: string, fallback: number, min = 0, max = Infinity, open = ''): number {
    return finite(this.#opName, key, this.options[key] ?? fallback, min, max, open);
  }

  /**
   * The learning rate of the next update: the number given, or the schedule's value at `iterations`
   * (checked: an Error names the step and the value unless it is a finite number >= 0).
   */
  get learningRate(): number {
    const lr = this.#lr, t = this.iterations;
    return typeof lr === 'number' ? lr : finite(this.#opName, `learningRate schedule at step ${t}`, lr(t), 0);
  }
  /** Sets the learning rate for the next steps: a finite number > 0, or a schedule `(step) => rate`. */
  set learningRate(value: LearningRate) {
    this.#lr = typeof value === 'function' ? value : finite(this.#opName, 'learningRate', value, 0, Infinity, '(');
  }

  /** How many updates applyGradients has applied (Keras' `iterations`); schedules and bias corrections use it; loadWeights restores it. */
  get iterations(): number { return this.#state ? this.#state.iterations.item() : 0; }

  /**
   * Applies one update, in TF's form `applyGradients([[grad, variable], ...])` (`zip(grads, vars)`)
   * or as two arrays, `applyGradients(grads, variables)`: each variable moves along its gradient.
   * A null (or undefined) gradient is skipped. Every argument, and a schedule's learning rate, is
   * checked before anything is updated. As Keras: the gradients are clipped, weight decay applied,
   * then the rule's update, with the learning rate at `iterations`, which then goes up by one.
   * @example
   * ```ts
   * import { sgd, variable, tape, mul, sum } from 'gradtape';
   *
   * const w = variable([1, 2]);
   * const opt = sgd(0.25);
   * const t = tape(() => sum(mul(w, w)));
   * const [g] = t.gradient(t.result, [w]); // 2w = [2, 4]
   * opt.applyGradients([[g, w]]); // or opt.applyGradients([g], [w])
   * console.log(w.toArray(), opt.iterations); // [0.5, 1] 1
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
    const lr = this.learningRate, decay = lr * this.weightDecay;
    this.#pruneDisposed();
    const state = this.#stateVariables(), step = this.iterations + 1;
    unrecorded(() => tidy(() => {
      const clipped = this.#clipped(updates.map(u => u[0]));
      this.beginStep(step, state);
      updates.forEach(([, v], i) => tidy(() => {
        if (decay) v.assignSub(mul(v, decay));
        this.update(clipped[i], v, { ...this.#slotsFor(v), ...state }, lr, step);
      }));
      state.iterations.assignAdd(1);
    }));
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
    if (variables !== undefined) this.#checkVariables('minimize', variables);
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

  /**
   * Creates the state for `variables`, in that order (Keras' `build`), as their first updates would;
   * variables it already tracks keep theirs. Needed before `loadWeights` into a fresh optimizer
   * (or pass the variables to `loadWeights`).
   * @example
   * ```ts
   * import { adam, variable } from 'gradtape';
   *
   * const w = variable([1, 2]), b = variable(0);
   * const opt = adam();
   * opt.build([w, b]);
   * console.log(Object.keys(opt.weights())); // ['iterations', '0/m', '0/v', '1/m', '1/v']
   * ```
   */
  build(variables: readonly Variable[]): void {
    this.#checkVariables('build', variables);
    this.#pruneDisposed();
    this.#stateVariables();
    for (const v of variables) this.#slotsFor(v);
  }

  /**
   * The optimizer's state, for checkpoints (saved with `saveSafetensors`, beside `Module.weights()`):
   * `iterations` (an int32 scalar), any scalar of the rule (Nadam: `u_product`), and the slots of the
   * variables it tracks as `<k>/<slot>`, `k` counting the variables in the order it first met them
   * (first update or `build`), so names need not be unique: '0/m', '0/v', '1/m', ... The values are
   * the optimizer's own Variables, not copies: do not dispose them. (A fresh optimizer creates its
   * step count here: `{ iterations: 0 }`.)
   * @example
   * ```ts
   * import { sgd, variable, sum, saveSafetensors, loadSafetensors } from 'gradtape';
   *
   * const w = variable([1, 2]);
   * const opt = sgd(0.5, { momentum: 0.9 });
   * opt.minimize(() => sum(w));
   * const saved = loadSafetensors(saveSafetensors(opt.weights()));
   * const copy = sgd(0.5, { momentum: 0.9 });
   * copy.loadWeights(saved, [w]); // creates w's slot, then loads
   * console.log(copy.iterations, copy.getSlot(w, 'momentum')?.toArray()); // 1 [-0.5, -0.5]
   * ```
   */
  weights(): Record<string, Tensor> {
    this.#pruneDisposed();
    const record: Record<string, Tensor> = { ...this.#stateVariables() };
    [...this.#slots.values()].forEach((slots, k) => { for (const name in slots) record[`${k}/${name}`] = slots[name]; });
    return record;
  }

  /**
   * Restores a state saved from `weights()`. `variables` (optional) are built first, as `build`
   * does, so a fresh optimizer can load: pass the same variables in the same order as the optimizer
   * that saved (e.g. `model.trainableVariables`). Every name, shape and dtype is checked first: on
   * any mismatch it throws, naming them all, and nothing is created or assigned.
   * @example
   * ```ts
   * import { adam, variable, sum, square } from 'gradtape';
   *
   * const w = variable([1, 2]);
   * const opt = adam(0.1);
   * opt.minimize(() => sum(square(w)));
   * const fresh = adam(0.1);
   * try {
   *   fresh.loadWeights({ iterations: opt.weights().iterations }, [w]);
   * } catch (e) {
   *   console.log(e.message); // adam.loadWeights: nothing assigned: missing "0/m", "0/v". Expected "iterations", "0/m", "0/v"
   * }
   * fresh.loadWeights(opt.weights(), [w]);
   * console.log(fresh.iterations); // 1
   * ```
   */
  loadWeights(record: Record<string, Tensor>, variables?: readonly Variable[]): void {
    const op = `${this.#opName}.loadWeights`;
    if (record === null || typeof record !== 'object' || Array.isArray(record) || record instanceof Tensor)
      throw new Error(`${op}: expected a record of tensors by name (as weights() returns), got ${describe(record)}`);
    if (variables !== undefined) this.#checkVariables('loadWeights', variables);
    this.#pruneDisposed();
    // what the record must hold: the state as build(variables) would leave it
    const tracked = new Set([...this.#slots.keys(), ...variables ?? []]);
    const want: Record<string, [DType, readonly number[]]> = { iterations: ['int32', []] };
    for (const name in this.scalars) want[name] = ['float32', []];
    [...tracked].forEach((v, k) => { for (const name of this.slotNames) want[`${k}/${name}`] = ['float32', dims(v)]; });
    const keys = Object.keys(want), quote = (ks: string[]) => ks.map(k => JSON.stringify(k)).join(', ');
    const missing = keys.filter(k => !Object.hasOwn(record, k)), extra = Object.keys(record).filter(k => !Object.hasOwn(want, k));
    const problems = [...missing.length ? [`missing ${quote(missing)}`] : [], ...extra.length ? [`unexpected ${quote(extra)}`] : []];
    for (const k of keys) {
      const x = record[k], [dtype, shape] = want[k];
      if (Object.hasOwn(record, k) && !(x instanceof Tensor && !x.isDisposed && x.dtype === dtype && dims(x).join() === shape.join()))
        problems.push(`${JSON.stringify(k)} must be ${dtype} of shape [${shape}], got ${describe(x)}`);
    }
    if (problems.length)
      throw new Error(`${op}: nothing assigned: ${problems.join('; ')}. Expected ${quote(keys)}${tracked.size || !this.slotNames.length ? '' : ' (no variables yet: pass them, loadWeights(record, variables))'}`);
    this.build([...tracked]);
    const mine = this.weights();
    for (const k of keys) (mine[k] as Variable).assign(record[k]);
  }

  /** A slot variable of `v` (e.g. 'm', 'v', 'momentum', 'rms'), or undefined before its first update (or `build`). */
  getSlot(v: Variable, name: string): Variable | undefined {
    return this.#slots.get(v)?.[name];
  }
  /** The names of the per-variable slots this optimizer keeps (e.g. `['m', 'v']` for Adam). */
  getSlotNames(): string[] { return [...this.slotNames]; }

  /** Frees every slot variable and the step count; the optimizer starts afresh (iterations = 0). */
  dispose(): void {
    for (const s of [...this.#slots.values(), this.#state ?? {}]) for (const t of Object.values(s)) t.dispose();
    this.#slots.clear();
    this.#state = undefined;
  }
  /** `using opt = adam()` frees the slot variables at the end of the block. */
  [Symbol.dispose](): void { this.dispose(); }

  /** @internal one variable's update at step `t` (from 1); `s` holds its slots and the scalars; runs unrecorded inside a tidy */
  protected abstract update(g: Tensor, w: Variable, s: State, lr: number, t: number): void;
  /** @internal runs once per step, before the updates (Nadam: u_product) */
  protected beginStep(_t: number, _s: State): void {}

  #checkVariables(method: string, variables: unknown): void {
    const op = `${this.#opName}.${method}`;
    if (!Array.isArray(variables)) throw new Error(`${op}: variables must be an array of Variables, got ${describe(variables)}`);
    variables.forEach((v, i) => checkVariable(op, v, `variables[${i}]`));
  }

  /** Keras' clipping: each gradient by its own norm, by value, or all together by their global norm. */
  #clipped(grads: Tensor[]): Tensor[] {
    const [kind, c] = this.#clip ?? [];
    return kind === 'clipNorm' ? grads.map(g => clipByNorm(g, c!)) : kind === 'clipValue' ? grads.map(g => clipByValue(g, -c!, c!))
      : kind && grads.length ? clipByGlobalNorm(grads, c!)[0] as Tensor[] : grads;
  }

  #stateVariables(): State {
    if (!this.#state) {
      const s: State = { iterations: stateVariable([], 0, `${this.#opName}/iterations`, 'int32') };
      for (const [name, value] of Object.entries(this.scalars)) s[name] = stateVariable([], value, `${this.#opName}/${name}`);
      this.#state = s;
    }
    return this.#state;
  }

  #slotsFor(v: Variable): State {
    let s = this.#slots.get(v);
    if (!s) {
      s = {};
      for (const name of this.slotNames) s[name] = stateVariable(dims(v), this.slotInit, `${v.name}/${name}`);
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


