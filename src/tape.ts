// GradientTape: the JS face of a tape struct in the core (assembly/tape.ts), which holds its records
// and watches in wasm memory; `gradient` is one call into the core (plus a call back out for each
// customGradient op on the way). There is no limit on how many tapes live or record at once.
import { core, ready, writeArgs, argsFor, ints, callbacks, generation } from './core.js';
import { Tensor, TensorLike, toTensor, wrap, describe, tidy, reads, view, zeros, ownByTidy, Owned } from './tensor.js';
import { Variable } from './variable.js';
import { unrecorded, dims, concatRaw } from './ops.js';
import { identity, add } from './ops-elementwise.js';
import { reshape } from './ops-shape.js';
import { C } from '../build/generated/interface.js';

/** Options of a tape: `persistent` (default false) lets `gradient`/`jacobian` be called more than once; `watchAccessedVariables` (default true) watches the trainable variables read while recording. */
export interface TapeOptions { persistent?: boolean; watchAccessedVariables?: boolean }
/** What `gradient` returns for a source the target does not depend on: `'none'` (null, the default) or `'zero'` (zeros of the source's shape). */
export type Unconnected = 'none' | 'zero';
/** Options of `gradient`: `outputGradients`, the upstream gradient of each target (a vector-Jacobian product; default ones), and `unconnectedGradients`. */
export interface GradientOptions { outputGradients?: unknown; unconnectedGradients?: Unconnected }

/** Tapes currently recording, innermost last. */
export const recording: GradientTape[] = [];
let persistentWarned = false;
let dtypeWarnings = 0;

// Tapes nobody disposed are freed when the garbage collector collects them. Held value: generation *
// 2^32 + the tape's address in the core, so a tape collected after a core reset frees nothing.
const tapeRegistry: FinalizationRegistry<number> | undefined =
  typeof FinalizationRegistry === 'function' ? new FinalizationRegistry(held => {
    const flag = held % 2;
    if (Math.floor(held / 2 ** 32) === generation) core[C.freeTape](held % 2 ** 32 - flag);
    if (flag) livePersistent--;
  }) : undefined;
/**
 * Persistent tapes left to the garbage collector: each keeps what it recorded until it is collected,
 * and a synchronous loop gives the collector no chance to run. Past this many, warn once.
 */
const PERSISTENT_WARNING = 1000;
let livePersistent = 0;
let persistentLeakWarned = false;

callbacks.onReset = () => {
  recording.length = 0;
  customFns.clear();
  pendingError = undefined;
  updateVariableHook();
};

function updateVariableHook(): void {
  let any = false;
  for (const t of recording) any ||= t._watchAccessed;
  reads.onVariableRead = any ? onVariableRead : undefined;
}
function onVariableRead(t: Tensor): void {
  if (!(t instanceof Variable) || !t.trainable) return;
  for (const tape of recording) if (tape._watchAccessed) tape._watchVariable(t);
}

/**
 * Records operations for automatic differentiation, as TensorFlow's `tf.GradientTape`.
 *
 * Any number of tapes may exist and record at once (nested tapes give higher-order derivatives).
 * A tape holds the tensors it recorded until it is used up (a non-persistent tape, after its first
 * `gradient`/`jacobian`), disposed, freed by the `tidy` that created it, or garbage collected.
 *
 * @example
 * ```ts
 * import { GradientTape, tape, scalar, mul } from 'gradtape';
 *
 * const x = scalar(3);
 * const t = new GradientTape({ persistent: true });
 * const y = t.record((t) => { t.watch(x); return mul(x, x); }).result;
 * console.log(t.gradient(y, x).item()); // 6
 * t.dispose();
 *
 * // nested tapes: the outer one records the inner one's gradient computation
 * const outer = tape((o) => {
 *   o.watch(x);
 *   const inner = tape((i) => { i.watch(x); return mul(mul(x, x), x); });
 *   return inner.gradient(inner.result, x); // 3x² = 27
 * });
 * console.log(outer.result.item(), outer.gradient(outer.result, x).item()); // 27 18
 * ```
 */
export class GradientTape<R = unknown> extends Owned {
  /**
   * Whether the tape can compute several sets of gradients (as constructed). A non-persistent tape
   * frees what it recorded after its first `gradient` or `jacobian`; dispose() a persistent tape when done.
   * @example
   * ```ts
   * import { tape, scalar, mul } from 'gradtape';
   *
   * const x = scalar(3);
   * const t = tape((t) => { t.watch(x); return mul(x, x); }, { persistent: true });
   * console.log(t.persistent, t.gradient(t.result, x).item(), t.gradient(t.result, x).item()); // true 6 6
   * t.dispose();
   * ```
   */
  readonly persistent: boolean;
  /**
   * What the recorded function returned (the last `record` call's).
   * @example
   * ```ts
   * import { tape, tensor, sum, mul } from 'gradtape';
   *
   * const x = tensor([1, 2]);
   * const t = tape((t) => { t.watch(x); const y = sum(x); return { y, z: mul(y, y) }; }, { persistent: true });
   * console.log(t.result.y.item(), t.result.z.item()); // 3 9
   * console.log(t.gradient(t.result.z, t.result.y).item()); // 6
   * t.dispose();
   * ```
   */
  result!: R;
  /** @internal */ _watchAccessed: boolean;
  /** the tape's struct in the core (0: none yet), valid while `coreGeneration` is the core's */
  #ptr = 0;
  #coreGeneration = 0;
  #isRecording = false;
  #consumed = false;
  #disposed = false;
  /**
   * The watched variables (in watch order), each with every value it had when this tape watched or
   * read it (the core holds a reference to each; none for non-float variables). As in TF, where the
   * tape differentiates through the variable's reads, the gradient w.r.t. a variable sums over all of
   * them, so an assign() after a read keeps the gradient of that read while cutting the gradient
   * through the assigned value. Created on first use: most tapes never see a variable.
   */
  #variables: Map<Variable, number[]> | undefined;
  /** owned by the enclosing tidy (which frees it unless it is returned or kept) */
  #inTidy = false;
  #registered = false;

  /**
   * A tape that is not recording yet: call `record` (possibly several times); `tape(fn, options)` does
   * both at once. `persistent`: allow several `gradient`/`jacobian` calls; `watchAccessedVariables`
   * (default true): watch trainable variables read while recording.
   * @example
   * ```ts
   * import { GradientTape, scalar, mul } from 'gradtape';
   *
   * const x = scalar(3);
   * const t = new GradientTape({ persistent: true });
   * t.record((t) => t.watch(x));
   * const y = t.record(() => mul(x, x)).result; // recording resumes where it stopped
   * console.log(t.gradient(y, x).item()); // 6
   * t.dispose();
   * ```
   */
  constructor(options: TapeOptions = {}) {
    super();
    if (options === null || typeof options !== 'object') throw new Error(`GradientTape: options must be an object, got ${describe(options)}`);
    this.persistent = !!options.persistent;
    this._watchAccessed = options.watchAccessedVariables ?? true;
    this.#inTidy = ownByTidy(this);
  }

  /** The tape's struct in the core, made on first use. */
  #ensureTape(op = 'GradientTape'): number {
    if (this.#disposed) throw new Error(`${op}: the tape is disposed`);
    if (this.#ptr && this.#coreGeneration !== generation) throw new Error(`${op}: the tape is no longer usable: the WebAssembly core was reset after an internal error`);
    if (this.#ptr) return this.#ptr;
    ready();
    this.#ptr = core[C.newTape]();
    this.#coreGeneration = generation;
    if (!this.#inTidy) this.#register();
    return this.#ptr;
  }

  /** Lets the garbage collector free the tape once it is unreachable (tidy's tapes: only if they escape). */
  #register(): void {
    if (this.#registered || !tapeRegistry) return;
    // the low bit of the address (always 0: structs are 16-byte aligned) flags a persistent tape
    tapeRegistry.register(this, this.#coreGeneration * 2 ** 32 + this.#ptr + (this.persistent ? 1 : 0), this);
    this.#registered = true;
    if (this.persistent && ++livePersistent >= PERSISTENT_WARNING && !persistentLeakWarned) {
      persistentLeakWarned = true;
      console.warn(`gradtape: ${livePersistent} persistent tapes are alive, not disposed: each holds what it recorded until garbage collected. Free them: tape.dispose(), \`using\`, or tidy().`);
    }
  }

  /** @internal the end of the tidy that owns this tape */
  override _release(escapes: boolean): void {
    if (!escapes) return this.dispose();
    this.#inTidy = false;
    if (this.#ptr) this.#register();
  }

  /** Frees the tape's struct in the core and everything it holds (the tape object stays usable). */
  #freeTape(): void {
    if (this.#variables) for (const ids of this.#variables.values()) ids.length = 0;
    if (!this.#ptr) return;
    if (this.#registered) {
      tapeRegistry!.unregister(this);
      if (this.persistent) livePersistent--;
    }
    this.#registered = false;
    if (this.#coreGeneration === generation) core[C.freeTape](this.#ptr);
    this.#ptr = 0;
    if (this.#isRecording) this.#setRecordingState(false);
  }

  #setRecordingState(on: boolean): void {
    this.#isRecording = on;
    const i = recording.indexOf(this);
    if (on && i < 0) recording.push(this);
    if (!on && i >= 0) recording.splice(i, 1);
    updateVariableHook();
  }

  /** Starts (or stops) recording in the core: a recording tape holds one of its fast watch slots. */
  #setRecording(on: boolean): void {
    if (this.#coreGeneration === generation) (on ? core[C.startRecording] : core[C.stopRecording])(this.#ptr);
    this.#setRecordingState(on);
  }

  /** @internal can it still record (not disposed, not used up)? */
  _usable(): boolean { return !this.#disposed && !this.#consumed && this.#coreGeneration === generation; }
  /** @internal records again for a while (a forward accumulator computing a JVP it watched); false if it cannot */
  _resume(): boolean {
    if (this.#isRecording || !this.#ptr || !this._usable()) return false;
    this.#setRecording(true);
    return true;
  }
  /** @internal the end of `_resume` */
  _pause(): void { if (this.#isRecording) this.#setRecording(false); }

  /**
   * Runs `fn` while recording on this tape (appending to what it already holds), as TF's re-entered
   * `with tape:` block; `tape.result` is what `fn` returned. `fn` must be synchronous.
   * @example
   * ```ts
   * import { GradientTape, scalar, mul } from 'gradtape';
   *
   * const x = scalar(4);
   * const t = new GradientTape();
   * const y = t.record((t) => { t.watch(x); return mul(x, x); }).result;
   * console.log(t.gradient(y, x).item()); // 8
   * ```
   */
  record<T>(fn: (tape: GradientTape) => T): GradientTape<T> {
    if (typeof fn !== 'function') throw new TypeError(`GradientTape.record: expected a function, got ${describe(fn)}`);
    if (this.#isRecording) throw new Error('GradientTape.record: Tape is still recording, This can happen if you try to re-enter an already-active tape.');
    this.#checkUsable('GradientTape.record');
    const self = this as unknown as GradientTape<T>;
    this.#ensureTape('GradientTape.record');
    this.#setRecording(true);
    try {
      const result = fn(this);
      if (result !== null && typeof result === 'object' && typeof (result as any).then === 'function')
        throw new TypeError('GradientTape.record: the function returned a Promise; recording must be synchronous (await outside the tape)');
      self.result = result;
    } finally {
      if (this.#ptr && this.#isRecording) this.#setRecording(false);
    }
    return self;
  }

  /**
   * Watches a tensor, variable, or any array/object nesting of them: operations on it are recorded from
   * now on. Trainable variables read while recording are watched automatically.
   * @example
   * ```ts
   * import { tape, scalar, mul } from 'gradtape';
   *
   * const a = scalar(2), b = scalar(5);
   * const t = tape((t) => { t.watch([a, b]); return mul(a, b); });
   * const [da, db] = t.gradient(t.result, [a, b]);
   * console.log(da.item(), db.item()); // 5 2
   * ```
   */
  watch(x: unknown): void {
    this.#ensureTape('GradientTape.watch');
    for (const leaf of leaves(x, 'GradientTape.watch')) this.#watchLeaf(leaf);
  }

  #watchLeaf(leaf: Tensor): void {
    if (leaf.dtype !== 'float32') { if (leaf instanceof Variable) this.#valuesOf(leaf); warnDType(leaf.dtype); return; }
    if (leaf instanceof Variable) this._watchVariable(leaf);
    else core[C.watch](this.#ptr, leaf.id, 0);
  }

  /** @internal watch of a variable (explicit, or automatic when read while recording) */
  _watchVariable(v: Variable): void {
    const values = this.#valuesOf(v);
    if (v.dtype !== 'float32') return;
    const id = v.id;
    if (values[values.length - 1] === id) return;
    core[C.watch](this.#ensureTape(), id, 1); // the core holds the value until the tape is freed or reset
    values.push(id);
  }

  #valuesOf(v: Variable): number[] {
    const vars = this.#variables ??= new Map();
    let values = vars.get(v);
    if (!values) vars.set(v, values = []);
    return values;
  }

  /**
   * The variables this tape watches (explicitly or because they were read while recording), in creation order.
   * @example
   * ```ts
   * import { tape, variable, mul } from 'gradtape';
   *
   * const w = variable(2, { name: 'w' });
   * const t = tape(() => mul(w, 3)); // reading a trainable variable watches it
   * console.log(t.watchedVariables().map((v) => v.name)); // ['w']
   * console.log(t.gradient(t.result, w).item()); // 3
   * ```
   */
  watchedVariables(): Variable[] {
    return [...(this.#variables?.keys() ?? [])].filter(v => !v.isDisposed).sort((a, b) => a._order - b._order);
  }

  /**
   * Runs `fn` without recording on this tape and returns its value; what was recorded before stays
   * differentiable (TF's `with tape.stop_recording():`).
   * @example
   * ```ts
   * import { tape, scalar, mul, add } from 'gradtape';
   *
   * const x = scalar(3);
   * const t = tape((t) => {
   *   t.watch(x);
   *   const y = mul(x, x);
   *   const frozen = t.stopRecording(() => mul(y, 2)); // computed, not recorded: a constant for the tape
   *   return add(y, frozen);
   * });
   * console.log(t.result.item(), t.gradient(t.result, x).item()); // 27 6
   * ```
   */
  stopRecording<T>(fn: () => T): T {
    if (!this.#isRecording) throw new Error('GradientTape.stopRecording: Trying to stop recording a tape which is not recording.');
    const ptr = this.#ptr;
    core[C.setActive](ptr, 0); // keeps its slot: resuming is cheap
    this.#setRecordingState(false);
    try { return fn(); } finally {
      if (!this.#consumed && this.#ptr === ptr && this.#coreGeneration === generation) { // not used up or freed meanwhile
        core[C.setActive](ptr, 1);
        this.#setRecordingState(true);
      }
    }
  }

  /**
   * Forgets everything recorded and watched so far; only while recording (TF's `tape.reset()`).
   * @example
   * ```ts
   * import { tape, scalar, mul } from 'gradtape';
   *
   * const x = scalar(3);
   * const t = tape((t) => {
   *   t.watch(x);
   *   mul(x, x); // forgotten by reset()
   *   t.reset();
   *   t.watch(x);
   *   return mul(x, 4);
   * });
   * console.log(t.gradient(t.result, x).item()); // 4
   * ```
   */
  reset(): void {
    if (!this.#isRecording) throw new Error('GradientTape.reset: Tape is not recording.');
    core[C.resetTape](this.#ptr);
    this.#variables = undefined;
  }

  #checkUsable(op: string): void {
    if (this.#disposed) throw new Error(`${op}: the tape is disposed`);
    if (this.#consumed) throw new Error(`${op}: A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)`);
  }

  /** Runs fn as `op`, which uses up a non-persistent tape: it stops recording, and frees its records afterwards. */
  #use<T>(op: string, fn: () => T): T {
    this.#checkUsable(op);
    if (!this.persistent) {
      this.#consumed = true;
      if (this.#isRecording) this.#setRecording(false);
    } else if (this.#isRecording && !persistentWarned) {
      persistentWarned = true;
      console.warn('gradtape: gradient() on a persistent tape that is recording records the gradient computation too (for higher-order derivatives)');
    }
    try {
      return fn();
    } finally {
      if (!this.persistent) this.#freeTape();
    }
  }

  /**
   * The gradient of `target` (a tensor, or a nesting of tensors whose gradients are summed) with respect
   * to `sources` (a tensor, variable, or any array/object nesting of them); the result mirrors the nesting
   * of `sources`, with null for a source the target does not depend on (or zeros, with
   * `unconnectedGradients: 'zero'`). A non-persistent tape can do this once.
   * @example
   * ```ts
   * import { tape, tensor, scalar, mul, sum } from 'gradtape';
   *
   * const x = tensor([1, 2, 3]);
   * const t = tape((t) => { t.watch(x); return { a: mul(x, x), b: sum(x) }; }, { persistent: true });
   * console.log(t.gradient(t.result.a, x).toArray()); // [2, 4, 6]
   * console.log(t.gradient([t.result.a, t.result.b], { x }).x.toArray()); // [3, 5, 7]
   * console.log(t.gradient(t.result.a, x, { outputGradients: tensor([1, 0, 0]) }).toArray()); // [2, 0, 0]
   * console.log(t.gradient(t.result.b, scalar(1)), t.gradient(t.result.b, scalar(1), { unconnectedGradients: 'zero' }).item()); // null 0
   * t.dispose();
   * ```
   */
  gradient<S>(target: unknown, sources: S, options?: GradientOptions): Grads<S> {
    if (target === null || target === undefined) throw new TypeError(`GradientTape.gradient: target must be a tensor or a nesting of tensors, got ${target}`);
    const unconnected = checkUnconnected('GradientTape.gradient', options?.unconnectedGradients);
    // bad targets or sources throw before the tape is used up
    const targets = leaves(target, 'GradientTape.gradient (target)');
    const srcs = leaves(sources, 'GradientTape.gradient (sources)');
    const seeds = options?.outputGradients === undefined ? undefined : seedLeaves(target, options.outputGradients);
    return this.#use('GradientTape.gradient', () => {
      const grads = this.#sweep(targets, srcs, seeds, unconnected);
      return rebuild(sources, grads) as Grads<S>;
    });
  }

  /**
   * The core of gradient(), reusable by jacobian without consuming the tape: one gradient per source
   * (null if unconnected). `seeds[i]` replaces the ones seed of target i (null or missing: ones).
   */
  #sweep(targets: Tensor[], srcs: Tensor[], seeds: unknown[] | undefined, unconnected: Unconnected): (Tensor | null)[] {
    // the ids each source stands for: a variable, every value it had while this tape watched it (a
    // snapshot: a persistent tape recording its own sweep may see the variable read again meanwhile)
    const ids = srcs.map(s => {
      const values = s instanceof Variable && this.#variables?.get(s);
      return values && values.length ? values.slice() : [s.id];
    });
    const nTargets = targets.length, nSources = ids.reduce((n, list) => n + list.length, 0), outerError = pendingError;
    // seeds converted from plain values (freed after the sweep); converting may use the args buffer,
    // so it happens before the ids are written there
    const seedIds: number[] = [], madeSeeds: Tensor[] = [];
    let args = 0;
    try {
      seeds?.forEach((s, i) => {
        if (s == null) return;
        const st = toTensor('GradientTape.gradient (outputGradients)', s as TensorLike), t = targets[i];
        if (st !== s) madeSeeds.push(st);
        if (dims(st).join() !== dims(t).join()) throw new Error(`GradientTape.gradient: outputGradients[${i}] has shape [${dims(st)}] but its target has shape [${dims(t)}]`);
        seedIds[i] = st.id;
      });
      const ptr = this.#ensureTape();
      // the core reads, from the args buffer: targets, seeds (0: ones), then every source id
      args = argsFor(2 * nTargets + nSources);
      const m = ints();
      let at = args >>> 2;
      for (const t of targets) m[at++] = t.id;
      for (let i = 0; i < nTargets; i++) m[at++] = seedIds[i] ?? 0;
      for (const list of ids) for (const id of list) m[at++] = id;
      for (const s of srcs) if (s.dtype !== 'float32') warnDType(s.dtype);
      pendingError = undefined;
      core[C.gradient](ptr, args, nTargets, nSources);
    } catch (e) {
      if (args) { core[C.endSweep](); pendingError = outerError; }
      throw e;
    } finally {
      disposeAll(madeSeeds);
    }
    // the gradient ids were written over the sources; each carries its own reference
    const first = (args >>> 2) + 2 * nTargets, out = ints().slice(first, first + nSources), error = pendingError;
    pendingError = outerError;
    if (error !== undefined) {
      for (const id of out) if (id) core[C.release](id);
      throw error;
    }
    let next = 0;
    return srcs.map((src, i) => {
      let g: Tensor | null = null;
      for (const _ of ids[i]) {
        const id = out[next++];
        if (!id) continue;
        const part = wrap(id, 'float32');
        if (src.dtype !== 'float32') part.dispose();
        else if (!g) g = part;
        else { const sum: Tensor = add(g, part); g.dispose(); part.dispose(); g = sum; }
      }
      return g ?? (unconnected === 'zero' && src.dtype === 'float32' ? zeros(dims(src)) : null);
    });
  }

  /** @internal vector-Jacobian product for forward mode: never consumes the tape, never warns */
  _vjp(target: Tensor, sources: Tensor[], seed: Tensor): (Tensor | null)[] {
    return this.#sweep([target], sources, [seed], 'none');
  }

  /**
   * The full Jacobian of `target` with respect to each source: shape `[...target.shape, ...source.shape]`.
   * @example
   * ```ts
   * import { tape, tensor, mul } from 'gradtape';
   *
   * const x = tensor([1, 2]);
   * const t = tape((t) => { t.watch(x); return mul(x, x); });
   * console.log(t.jacobian(t.result, x).toArray()); // [[2, 0], [0, 4]]
   * ```
   */
  jacobian<S>(target: TensorLike, sources: S, options: { unconnectedGradients?: Unconnected } = {}): Grads<S> {
    const unconnected = checkUnconnected('GradientTape.jacobian', options?.unconnectedGradients);
    if (!(target instanceof Tensor) || target.isDisposed) throw new Error(`GradientTape.jacobian: target must be a single tensor, got ${describe(target)}`);
    const srcs = leaves(sources, 'GradientTape.jacobian (sources)');
    return this.#use('GradientTape.jacobian', () => rebuild(sources, this.#jacobians(target, srcs, 0, unconnected)) as Grads<S>);
  }

  /**
   * The Jacobian of each example of a batch: for target `[b, ...y]` and source `[b, ...x]`, the
   * `[b, ...y, ...x]` tensor of d target[i] / d source[i] (examples must not depend on each other).
   * @example
   * ```ts
   * import { tape, tensor, mul } from 'gradtape';
   *
   * const x = tensor([[1, 2], [3, 4]]); // a batch of two
   * const t = tape((t) => { t.watch(x); return mul(x, x); });
   * console.log(t.batchJacobian(t.result, x).toArray()); // [[[2, 0], [0, 4]], [[6, 0], [0, 8]]]
   * ```
   */
  batchJacobian(target: TensorLike, source: TensorLike, options: { unconnectedGradients?: Unconnected } = {}): Tensor {
    checkUnconnected('GradientTape.batchJacobian', options?.unconnectedGradients);
    if (!(target instanceof Tensor) || !(source instanceof Tensor)) throw new Error(`GradientTape.batchJacobian: target and source must be tensors, got ${describe(target)} and ${describe(source)}`);
    const ts = dims(target), ss = dims(source);
    if (ts.length < 2 || ss.length < 2) throw new Error(`GradientTape.batchJacobian: target and source must have rank at least 2, got shapes [${ts}] and [${ss}]`);
    if (ts[0] !== ss[0]) throw new Error(`GradientTape.batchJacobian: Need first dimension of target shape (${ts[0]}) and source shape (${ss[0]}) to match.`);
    return this.#use('GradientTape.batchJacobian', () => this.#jacobians(target, [source], ts[0], 'zero')[0]!);
  }

  /**
   * The Jacobians of `target` w.r.t. `srcs`: one sweep per element (with a `batch`, per element of an
   * example, seeded in every example at once), each row of gradients stacked and shaped [...target,
   * ...source] (batched: [...target, ...source without its batch axis]), or null if none is connected.
   */
  #jacobians(target: Tensor, srcs: Tensor[], batch: number, unconnected: Unconnected): (Tensor | null)[] {
    const ts = dims(target), b = batch || 1, inner = target.size / b, rows: (Tensor | null)[][] = srcs.map(() => []);
    for (let j = 0; j < inner; j++) {
      const seed = zeros(ts), ones = view(seed);
      for (let i = 0; i < b; i++) ones[i * inner + j] = 1;
      this.#sweep([target], srcs, [seed], 'none').forEach((g, k) => rows[k].push(g));
      seed.dispose();
    }
    // a row has the source's shape: stacked on axis 0 (batched: 1, after the batch), then split into target's
    return srcs.map((src, k) => rows[k].every(g => g === null) && unconnected === 'none' ? null
      : stackRows(rows[k], batch ? 1 : 0, [...ts, ...dims(src).slice(batch ? 1 : 0)], dims(src)));
  }

  /**
   * Frees what the tape holds (idempotent); it cannot be used afterwards.
   * @example
   * ```ts
   * import { tape, scalar, mul } from 'gradtape';
   *
   * const x = scalar(3);
   * const t = tape((t) => { t.watch(x); return mul(x, x); }, { persistent: true });
   * console.log(t.gradient(t.result, x).item()); // 6
   * t.dispose();
   * let message;
   * try { t.gradient(t.result, x); } catch (e) { message = e.message; }
   * console.log(message); // GradientTape.gradient: the tape is disposed
   * ```
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#freeTape();
    this.#disposed = true;
  }
  /** `using t = tape(...)` disposes the tape at the end of the block. */
  [Symbol.dispose](): void { this.dispose(); }
}

function disposeAll(tensors: Tensor[]): void { for (const t of tensors) t.dispose(); }

/**
 * Stacks per-element gradients (null: zeros of `rowShape`) on `axis` (0, or 1 for batchJacobian's
 * rows [b, ...]), reshaped to `shape`. Done with recorded ops (concatRaw, the kernel call without
 * stack's checks, so programs using tapes need not bundle them, and reshape), so a jacobian computed
 * while an outer tape records is differentiable by it.
 */
function stackRows(rows: (Tensor | null)[], axis: number, shape: number[], rowShape: readonly number[]): Tensor {
  if (rows.length === 0 || shape.some(d => d === 0)) { disposeAll(rows.filter(r => r !== null) as Tensor[]); return zeros(shape); }
  const parts = rows.map(g => g ?? zeros(rowShape));
  try {
    const stacked = [...rowShape];
    stacked.splice(axis, 0, parts.length);
    const joined = concatRaw(parts, axis, stacked, true);
    const out = reshape(joined, shape);
    if (out !== joined) joined.dispose();
    return out;
  } finally {
    disposeAll(parts);
  }
}

export function checkUnconnected(op: string, v: unknown): Unconnected {
  if (v === undefined || v === 'none' || v === 'zero') return (v ?? 'none') as Unconnected;
  throw new Error(`${op}: Unknown value for unconnected_gradients: '${String(v)}'`);
}

function warnDType(dtype: string): void {
  if (dtypeWarnings++ < 5) console.warn(`The dtype of the watched tensor must be floating (e.g. float32), got ${dtype}`);
}

/**
 * The nesting (arrays, plain objects) of `x` with each tensor replaced by fn(tensor), in order; throws
 * naming anything that is not a tensor.
 */
function mapLeaves(x: unknown, op: string, fn: (t: Tensor) => unknown): unknown {
  if (x instanceof Tensor) {
    if (x.isDisposed) throw new Error(`${op}: got a disposed tensor`);
    return fn(x);
  }
  if (Array.isArray(x)) return x.map(v => mapLeaves(v, op, fn));
  if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, mapLeaves(v, op, fn)]));
  throw new Error(`${op}: expected a Tensor, Variable, or an array/object of them, got ${x === null ? 'null' : typeof x === 'object' ? (x as object).constructor?.name ?? 'object' : typeof x} (${describe(x)})`);
}
function leaves(x: unknown, op: string): Tensor[] {
  if (x instanceof Tensor && !x.isDisposed) return [x];
  const out: Tensor[] = [];
  mapLeaves(x, op, t => out.push(t));
  return out;
}
/** Rebuilds the nesting of `like` (already checked) with the leaves taken in order from `values`. */
function rebuild(like: unknown, values: unknown[]): unknown {
  let i = 0;
  return mapLeaves(like, '', () => values[i++]);
}
/** Output gradients mirror the target's structure; a missing or null entry means ones. */
function seedLeaves(target: unknown, seeds: any, out: unknown[] = []): unknown[] {
  if (target instanceof Tensor) out.push(seeds ?? null);
  else if (Array.isArray(target)) {
    if (seeds != null && !Array.isArray(seeds)) throw new Error(`GradientTape.gradient: outputGradients must mirror the target (an array), got ${describe(seeds)}`);
    target.forEach((t, i) => seedLeaves(t, seeds?.[i], out));
  } else for (const [k, t] of Object.entries(target as object)) seedLeaves(t, seeds?.[k], out);
  return out;
}

/** The gradient structure mirroring the sources. */
export type Grads<S> = S extends Tensor ? Tensor | null
  : S extends readonly unknown[] ? { [K in keyof S]: Grads<S[K]> }
  : S extends object ? { [K in keyof S]: Grads<S[K]> } : never;

/**
 * Records fn on a new tape (TF's `with tf.GradientTape() as t:`) and returns the tape; `t.result` is
 * what fn returned.
 * @example
 * ```ts
 * import { tape, ones, sum, mul } from 'gradtape';
 *
 * const x = ones([2, 2]);
 * const t = tape((t) => {
 *   t.watch(x);
 *   const y = sum(x);
 *   return mul(y, y);
 * });
 * console.log(t.gradient(t.result, x).toArray()); // [[8, 8], [8, 8]]
 * ```
 */
export function tape<R>(fn: (t: GradientTape) => R, options?: TapeOptions): GradientTape<R> {
  if (typeof fn !== 'function') throw new TypeError(`tape: expected a function, got ${describe(fn)}`);
  if (options !== undefined && (options === null || typeof options !== 'object')) throw new Error(`tape: options must be an object, got ${describe(options)}`);
  return new GradientTape(options).record(fn);
}

// ---- grad / valueAndGrad ----
/**
 * Turns a scalar function of tensors into one that returns its value and its gradient with respect to
 * every argument (one tensor for one argument, an array for several; zeros where unconnected).
 * @example
 * ```ts
 * import { valueAndGrad, tensor, sum, square } from 'gradtape';
 *
 * const f = valueAndGrad((x) => sum(square(x)));
 * const { value, grads } = f(tensor([1, 2]));
 * console.log(value.item(), grads.toArray()); // 5 [2, 4]
 * ```
 */
export function valueAndGrad<A extends TensorLike[]>(f: (...args: Tensor[]) => Tensor): (...args: A) => { value: Tensor; grads: Tensor | Tensor[] } {
  return valueAndGradAs('valueAndGrad', f);
}
function valueAndGradAs<A extends TensorLike[]>(op: string, f: (...args: Tensor[]) => Tensor): (...args: A) => { value: Tensor; grads: Tensor | Tensor[] } {
  if (typeof f !== 'function') throw new Error(`${op}: expected a function, got ${describe(f)}`);
  return (...args: A) => {
    const inputs: Tensor[] = [];
    const t = new GradientTape();
    let value: unknown;
    try {
      args.forEach((a, i) => inputs.push(toTensor(`${op} (argument ${i})`, a)));
      value = t.record(tp => { tp.watch(inputs); return f(...inputs); }).result;
      if (!(value instanceof Tensor) || value.size !== 1) throw new Error(`${op}: f must return a scalar tensor, got ${describe(value)}`);
      const gs = t.gradient(value, inputs, { unconnectedGradients: 'zero' }) as Tensor[];
      return { value, grads: inputs.length === 1 ? gs[0] : gs };
    } catch (e) {
      if (value instanceof Tensor && !args.includes(value as never)) value.dispose();
      throw e;
    } finally {
      t.dispose();
      inputs.forEach((x, i) => { if (x !== args[i] && x !== value) x.dispose(); });
    }
  };
}
/**
 * Turns a scalar function of tensors into the function computing its gradient with respect to every
 * argument (one tensor for one argument, an array for several). Nest it for higher derivatives.
 * @example
 * ```ts
 * import { grad, mul, scalar } from 'gradtape';
 *
 * const cube = (x) => mul(mul(x, x), x);
 * console.log(grad(cube)(scalar(3)).item()); // 27
 * console.log(grad(grad(cube))(scalar(3)).item()); // 18
 * console.log(grad((a, b) => mul(a, b))(2, 5).map((g) => g.item())); // [5, 2]
 * ```
 */
export function grad<A extends TensorLike[]>(f: (...args: Tensor[]) => Tensor): (...args: A) => Tensor | Tensor[] {
  const vg = valueAndGradAs<A>('grad', f);
  return (...args: A) => { const { value, grads } = vg(...args); value.dispose(); return grads; };
}

// ---- customGradient ----
interface CustomEntry { grad: (...dys: Tensor[]) => unknown; tapes: number; shapes: (readonly number[])[] }
const customFns = new Map<number, CustomEntry>();
let nextCustomId = 1;

/** An exception thrown by a custom gradient: kept until the sweep has finished and cleaned up. */
let pendingError: unknown = undefined;

let customCallbacksInstalled = false;
/**
 * Installs the core's callbacks into custom gradients; done by the first customGradient() call, so
 * programs that never use one do not bundle this code.
 */
function installCustomCallbacks(): void {
  if (customCallbacksInstalled) return;
  customCallbacksInstalled = true;
  // grads: the core's Grads (assembly/record.ts): outputs n, inputs m, n upstream gradient ids (0:
  // none reached that output), m flags (input wanted), m slots for the inputs' gradients (each with
  // its own reference)
  callbacks.customGradient = (fnId, grads) => {
    if (pendingError !== undefined) return; // a previous custom gradient of this sweep failed
    const entry = customFns.get(fnId)!;
    const at = grads >>> 2, m = ints(), outputs = m[at], count = m[at + 1];
    try {
      tidy(() => {
        // as TF, an output no gradient reached gets zeros
        const dys = entry.shapes.map((shape, i) => {
          const id = ints()[at + 2 + i];
          if (id === 0) return zeros(shape);
          core[C.retain](id);
          return wrap(id, 'float32');
        });
        const raw = entry.grad(...dys);
        const list = Array.isArray(raw) ? raw : [raw];
        if (list.length !== count) throw new Error(`customGradient: the gradient function returned ${list.length} gradient(s) but the function has ${count} input(s)`);
        const ids = list.map((g, i) => {
          if (g === null || g === undefined) return 0;
          const t = toTensor(`customGradient (gradient ${i})`, g as TensorLike);
          core[C.retain](t.id);
          return t.id;
        });
        ints().set(ids, at + 2 + outputs + count);
      });
    } catch (e) {
      // never unwind through the wasm sweep: it finishes (with no gradient from here) and cleans up
      pendingError = e;
    }
  };
  callbacks.releaseCustom = fnId => {
    const e = customFns.get(fnId);
    if (e && --e.tapes <= 0) customFns.delete(fnId);
  };
}

/** What `customGradient`'s `f` returns: the forward value(s) and the gradient function. */
type CustomResult = { value: Tensor | Tensor[]; grad: (...dys: Tensor[]) => Tensor | (Tensor | null)[] | null };

/**
 * Defines an op with its own gradient: `f` returns the forward `value` and a `grad` function from the
 * upstream gradient `dy` to the gradient of each input (a tensor for one input, an array, or null).
 * `grad` is itself recorded by enclosing tapes, so it may be differentiated again. With several
 * outputs (`value` an array, as TF's tuple), `grad` receives one upstream gradient per output
 * (zeros for an output the target does not depend on) and the wrapped function returns the array.
 * @example
 * ```ts
 * import { customGradient, tape, tensor, mul, clipByValue } from 'gradtape';
 *
 * // the identity forward, with the gradient clipped to [-1, 1] on the way back
 * const clipGradient = customGradient((x) => ({ value: mul(x, 1), grad: (dy) => clipByValue(dy, -1, 1) }));
 * const x = tensor([1, 2]);
 * const t = tape((t) => { t.watch(x); return clipGradient(x); });
 * console.log(t.gradient(t.result, x, { outputGradients: tensor([5, -0.5]) }).toArray()); // [1, -0.5]
 * ```
 */
export function customGradient<A extends TensorLike[]>(f: (...inputs: Tensor[]) => { value: Tensor; grad: (dy: Tensor) => Tensor | (Tensor | null)[] | null }): (...inputs: A) => Tensor;
export function customGradient<A extends TensorLike[]>(f: (...inputs: Tensor[]) => { value: Tensor[]; grad: (...dys: Tensor[]) => Tensor | (Tensor | null)[] | null }): (...inputs: A) => Tensor[];
export function customGradient<A extends TensorLike[]>(f: (...inputs: Tensor[]) => CustomResult): (...inputs: A) => Tensor | Tensor[] {
  if (typeof f !== 'function') throw new Error(`customGradient: expected a function, got ${describe(f)}`);
  installCustomCallbacks();
  return (...args: A) => {
    const inputs: Tensor[] = [];
    let res: CustomResult | undefined;
    const values = () => { const v = (res as { value?: unknown } | undefined)?.value; return Array.isArray(v) ? v : [v]; };
    try {
      args.forEach((a, i) => inputs.push(toTensor(`customGradient (input ${i})`, a)));
      res = unrecorded(() => f(...inputs));
      if (!res || typeof res.grad !== 'function' || !values().every(v => v instanceof Tensor) || (Array.isArray(res.value) && res.value.length === 0))
        throw new Error(`customGradient: f must return { value: Tensor (or a non-empty array of them), grad: (dy) => gradients }, got ${describe(res)}`);
    } catch (e) {
      for (const value of res ? values() : []) if (value instanceof Tensor && !inputs.includes(value) && !args.includes(value as never)) value.dispose();
      inputs.forEach((x, i) => { if (x !== args[i]) x.dispose(); });
      throw e;
    }
    const outs = (values() as Tensor[]).map(v => inputs.includes(v) ? unrecorded(() => identity(v)) : v);
    const id = nextCustomId++;
    customFns.set(id, { grad: res.grad, tapes: 0, shapes: outs.map(o => dims(o)) });
    const ids = writeArgs([...outs.map(o => o.id), ...inputs.map(t => t.id)]); // the outputs, then the inputs
    const tapes = core[C.recordCustom](id, ids, outs.length, ids + 4 * outs.length, inputs.length);
    if (tapes === 0) customFns.delete(id); else customFns.get(id)!.tapes = tapes;
    return Array.isArray(res.value) ? outs : outs[0];
  };
}
