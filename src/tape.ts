// GradientTape: the JS face of a tape slot in the core. Recording is a bit in the core's
// recording mask; the records themselves live in wasm memory; `gradient` is one call into the core
// (plus a call back out for each customGradient op on the way).
import { core, ready, writeArgs, ints, callbacks, generation } from './core.js';
import { Tensor, TensorLike, toTensor, wrap, describe, tidy, reads, fill, zeros } from './tensor.js';
import { Variable } from './variable.js';
import { unrecorded, dims, identity, add } from './ops.js';

export interface TapeOptions { persistent?: boolean; watchAccessedVariables?: boolean }
export type Unconnected = 'none' | 'zero';
export interface GradientOptions { outputGradients?: unknown; unconnectedGradients?: Unconnected }

const MAX_TAPES = 32;
const slots: (GradientTape | undefined)[] = new Array(MAX_TAPES);
/** Tapes currently recording, innermost last. */
const recording: GradientTape[] = [];
let persistentWarned = false;
let dtypeWarnings = 0;

// held value: generation * 64 + slot, so a tape collected after a core reset frees nothing
const tapeRegistry: FinalizationRegistry<number> | undefined =
  typeof FinalizationRegistry === 'function' ? new FinalizationRegistry(held => {
    const slot = held % 64;
    if (Math.floor(held / 64) === generation && !slots[slot]) freeSlot(slot);
  }) : undefined;

callbacks.onReset = () => {
  slots.fill(undefined);
  recording.length = 0;
  customFns.clear();
  pendingError = undefined;
  updateVariableHook();
};

function freeSlot(slot: number): void {
  core.clearTape(slot); // releases records, clears watch bits and the recording bit
}

function updateVariableHook(): void {
  reads.onVariableRead = recording.some(t => t._watchAccessed) ? onVariableRead : undefined;
}
function onVariableRead(t: Tensor): void {
  if (!(t instanceof Variable) || !t.trainable) return;
  for (const tape of recording) if (tape._watchAccessed) tape._watchVariable(t);
}

export class GradientTape<R = unknown> {
  readonly persistent: boolean;
  /** what the recorded function returned */
  result!: R;
  /** @internal */ _watchAccessed: boolean;
  private slot = -1;
  private slotGeneration = 0;
  private isRecording = false;
  private consumed = false;
  private disposed = false;
  private watched = new Set<Variable>();
  /**
   * Every value each watched variable had when this tape watched or read it (ids this tape keeps a
   * reference to). As in TF, where the tape differentiates through the variable's reads, the
   * gradient w.r.t. a variable sums over all of them, so an assign() after a read keeps the gradient
   * of that read while cutting the gradient through the assigned value.
   */
  private variableValues = new Map<Variable, number[]>();

  constructor(options: TapeOptions = {}) {
    if (options === null || typeof options !== 'object') throw new Error(`GradientTape: options must be an object, got ${describe(options)}`);
    this.persistent = !!options.persistent;
    this._watchAccessed = options.watchAccessedVariables ?? true;
  }

  private ensureSlot(op = 'GradientTape'): number {
    if (this.disposed) throw new Error(`${op}: the tape is disposed`);
    if (this.slot >= 0 && this.slotGeneration !== generation) throw new Error(`${op}: the tape is no longer usable: the WebAssembly core was reset after an internal error`);
    if (this.slot >= 0) return this.slot;
    ready();
    const free = slots.findIndex(s => s === undefined);
    const slot = free >= 0 ? free : slots.length < MAX_TAPES ? slots.length : -1;
    if (slot < 0) throw new Error(`GradientTape: too many live tapes (${MAX_TAPES}); dispose() persistent tapes you no longer need`);
    slots[slot] = this;
    this.slot = slot;
    this.slotGeneration = generation;
    tapeRegistry?.register(this, generation * 64 + slot, this);
    return slot;
  }

  private releaseSlot(): void {
    this.releaseVariableValues();
    if (this.slot < 0) return;
    tapeRegistry?.unregister(this);
    if (this.slotGeneration === generation) {
      freeSlot(this.slot);
      slots[this.slot] = undefined;
    }
    this.slot = -1;
  }

  private setRecording(on: boolean): void {
    if (this.slotGeneration !== generation) { // the core was reset: nothing of this tape is left in it
      this.isRecording = false;
      const i = recording.indexOf(this);
      if (i >= 0) recording.splice(i, 1);
      return;
    }
    const bit = 1 << this.slot;
    const mask = core.recordingMask.value;
    core.setRecordingMask(on ? mask | bit : mask & ~bit);
    this.isRecording = on;
    const i = recording.indexOf(this);
    if (on && i < 0) recording.push(this);
    if (!on && i >= 0) recording.splice(i, 1);
    updateVariableHook();
  }

  /** Runs fn while recording on this tape (appending to what it already holds); returns the tape. */
  record<T>(fn: (tape: GradientTape) => T): GradientTape<T> {
    if (typeof fn !== 'function') throw new TypeError(`GradientTape.record: expected a function, got ${describe(fn)}`);
    if (this.isRecording) throw new Error('GradientTape.record: Tape is still recording, This can happen if you try to re-enter an already-active tape.');
    if (this.consumed) throw new Error('GradientTape.record: A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)');
    const self = this as unknown as GradientTape<T>;
    this.ensureSlot('GradientTape.record');
    this.setRecording(true);
    try {
      const result = fn(this);
      if (result !== null && typeof result === 'object' && typeof (result as any).then === 'function')
        throw new TypeError('GradientTape.record: the function returned a Promise; recording must be synchronous (await outside the tape)');
      self.result = result;
    } finally {
      if (this.slot >= 0 && this.isRecording) this.setRecording(false);
    }
    return self;
  }

  /** Watches a tensor, variable, or any array/object nesting of them. */
  watch(x: unknown): void {
    const slot = this.ensureSlot('GradientTape.watch');
    forEachLeaf(x, 'GradientTape.watch', leaf => {
      if (leaf.dtype !== 'float32') { if (leaf instanceof Variable) this.watched.add(leaf); warnDType(leaf.dtype); return; }
      if (leaf instanceof Variable) this._watchVariable(leaf);
      else core.watch(slot, leaf.id);
    });
  }

  /** @internal watch of a variable (explicit, or automatic when read while recording) */
  _watchVariable(v: Variable): void {
    if (!this.watched.has(v)) this.watched.add(v);
    if (v.dtype !== 'float32') return;
    const id = v.id;
    const values = this.variableValues.get(v);
    if (values && values[values.length - 1] === id) return;
    core.watch(this.ensureSlot(), id);
    core.retain(id);
    if (values) values.push(id); else this.variableValues.set(v, [id]);
  }

  private releaseVariableValues(): void {
    if (this.slotGeneration === generation) for (const ids of this.variableValues.values()) for (const id of ids) core.release(id);
    this.variableValues.clear();
  }

  watchedVariables(): Variable[] {
    return [...this.watched].filter(v => !v.isDisposed).sort((a, b) => a._order - b._order);
  }

  stopRecording<T>(fn: () => T): T {
    if (!this.isRecording) throw new Error('GradientTape.stopRecording: Trying to stop recording a tape which is not recording.');
    this.setRecording(false);
    try { return fn(); } finally { if (!this.consumed && this.slot >= 0) this.setRecording(true); }
  }

  reset(): void {
    if (!this.isRecording) throw new Error('GradientTape.reset: Tape is not recording.');
    freeSlot(this.slot);
    this.releaseVariableValues();
    this.watched.clear();
    this.setRecording(true);
  }

  private checkUsable(op: string): void {
    if (this.disposed) throw new Error(`${op}: the tape is disposed`);
    if (this.consumed) throw new Error(`${op}: A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)`);
  }

  /** Marks a non-persistent tape used up: it stops recording and frees its records afterwards. */
  private beginUse(op: string): void {
    this.checkUsable(op);
    if (!this.persistent) {
      this.consumed = true;
      if (this.isRecording) this.setRecording(false);
    } else if (this.isRecording && !persistentWarned) {
      persistentWarned = true;
      console.warn('gradtape: calling gradient() on a persistent tape while it is recording records the gradient computation too; do it only for higher-order derivatives');
    }
  }
  private endUse(): void {
    if (!this.persistent) this.releaseSlot();
  }

  gradient<S>(target: unknown, sources: S, options: GradientOptions = {}): Grads<S> {
    if (target === null || target === undefined) throw new TypeError(`GradientTape.gradient: target must be a tensor or a nesting of tensors, got ${target}`);
    const unconnected = checkUnconnected('GradientTape.gradient', options?.unconnectedGradients);
    // bad targets or sources throw before the tape is used up
    leaves(target, 'GradientTape.gradient (target)');
    leaves(sources, 'GradientTape.gradient (sources)');
    this.beginUse('GradientTape.gradient');
    try {
      return this.sweep(target, sources, options.outputGradients, unconnected);
    } finally {
      this.endUse();
    }
  }

  /** The core of gradient(), reusable by jacobian without consuming the tape. */
  private sweep<S>(target: unknown, sources: S, outputGradients: unknown, unconnected: Unconnected): Grads<S> {
    const targets = leaves(target, 'GradientTape.gradient (target)');
    const seeds = seedLeaves(target, outputGradients);
    const srcs = leaves(sources, 'GradientTape.gradient (sources)');
    const total = targets.length * 2 + srcs.length + this.variableValues.size;
    if (total > core.argsCapacity()) throw new Error(`GradientTape.gradient: too many targets and sources (${total}); at most ${core.argsCapacity()} in one call`);
    const seedTensors: (Tensor | null)[] = []; // null: the core seeds the target with ones
    try {
      targets.forEach((t, i) => {
        const s = seeds[i];
        if (s === null) { seedTensors.push(null); return; }
        const st = toTensor('GradientTape.gradient (outputGradients)', s as TensorLike);
        seedTensors.push(st);
        if (dims(st).join() !== dims(t).join()) throw new Error(`GradientTape.gradient: outputGradients[${i}] has shape [${dims(st)}] but its target has shape [${dims(t)}]`);
      });
    } catch (e) {
      seedTensors.forEach((s, i) => { if (s && s !== seeds[i]) s.dispose(); });
      throw e;
    }
    const ids: number[] = [];
    for (const t of targets) ids.push(t.id);
    for (const s of seedTensors) ids.push(s ? s.id : 0);
    // a variable stands for every value it had while this tape watched it
    const values = srcs.map(s => (s instanceof Variable && this.variableValues.get(s)) || [s.id]);
    for (let i = 0; i < srcs.length; i++) {
      if (srcs[i].dtype !== 'float32') warnDType(srcs[i].dtype);
      ids.push(...values[i]);
    }
    const nSources = ids.length - 2 * targets.length;
    const slot = this.ensureSlot();
    if (core.sweepNesting() >= 15) throw new Error('GradientTape.gradient: gradients nested more than 15 deep (custom gradients computing gradients)');
    const args = writeArgs(ids);
    let out: number[];
    const outerError = pendingError;
    pendingError = undefined;
    try {
      core.gradient(slot, args, targets.length, nSources);
    } catch (e) {
      core.endSweep();
      throw e;
    } finally {
      const m = ints();
      out = Array.from(m.subarray((args >>> 2) + 2 * targets.length, (args >>> 2) + 2 * targets.length + nSources));
      seedTensors.forEach((s, i) => { if (s && s !== seeds[i]) s.dispose(); });
    }
    if (pendingError !== undefined) {
      const e = pendingError;
      pendingError = outerError;
      for (const id of out) if (id) core.release(id);
      throw e;
    }
    pendingError = outerError;
    let next = 0;
    const grads = srcs.map((src, i) => {
      const parts = out.slice(next, next += values[i].length).filter(id => id !== 0).map(id => wrap(id, 'float32'));
      if (src.dtype !== 'float32') { parts.forEach(p => p.dispose()); return null; }
      if (parts.length === 0) return unconnected === 'zero' ? zeros(dims(src)) : null;
      let g = parts[0];
      for (const p of parts.slice(1)) { const sum = add(g, p); g.dispose(); p.dispose(); g = sum; }
      return g;
    });
    let k = 0;
    return rebuild(sources, () => grads[k++]) as Grads<S>;
  }

  /** @internal vector-Jacobian product for forward mode: never consumes the tape, never warns */
  _vjp(target: Tensor, sources: Tensor[], seed: Tensor): (Tensor | null)[] {
    return this.sweep(target, sources, seed, 'none') as (Tensor | null)[];
  }

  jacobian<S>(target: TensorLike, sources: S, options: { unconnectedGradients?: Unconnected } = {}): Grads<S> {
    const unconnected = checkUnconnected('GradientTape.jacobian', options?.unconnectedGradients);
    if (!(target instanceof Tensor)) throw new Error(`GradientTape.jacobian: target must be a single tensor, got ${describe(target)}`);
    if (target.isDisposed) throw new Error('GradientTape.jacobian: target is a disposed tensor');
    const srcs = leaves(sources, 'GradientTape.jacobian (sources)');
    this.beginUse('GradientTape.jacobian');
    try {
      const tShape = dims(target), n = target.size;
      const rows: (Tensor | null)[][] = srcs.map(() => []);
      for (let i = 0; i < n; i++) {
        const seed = fill(tShape, 0, 'float32');
        seedView(seed)[i] = 1;
        const g = this.sweep(target, srcs, seed, 'none') as (Tensor | null)[];
        seed.dispose();
        g.forEach((gi, j) => rows[j].push(gi));
      }
      const result = srcs.map((src, j) => {
        const r = rows[j];
        if (r.every(g => g === null) && unconnected === 'none') return null;
        return stackRows(r, tShape, dims(src));
      });
      let k = 0;
      return rebuild(sources, () => result[k++]) as Grads<S>;
    } finally {
      this.endUse();
    }
  }

  batchJacobian(target: TensorLike, source: TensorLike, options: { unconnectedGradients?: Unconnected } = {}): Tensor {
    checkUnconnected('GradientTape.batchJacobian', options?.unconnectedGradients);
    if (!(target instanceof Tensor) || !(source instanceof Tensor)) throw new Error(`GradientTape.batchJacobian: target and source must be tensors, got ${describe(target)} and ${describe(source)}`);
    const ts = dims(target), ss = dims(source);
    if (ts.length < 2) throw new Error(`GradientTape.batchJacobian: target must have rank at least 2, got shape [${ts}]`);
    if (ss.length < 2) throw new Error(`GradientTape.batchJacobian: source must have rank at least 2, got shape [${ss}]`);
    if (ts[0] !== ss[0]) throw new Error(`GradientTape.batchJacobian: Need first dimension of target shape (${ts[0]}) and source shape (${ss[0]}) to match.`);
    this.beginUse('GradientTape.batchJacobian');
    try {
      const b = ts[0], inner = target.size / b;
      const rows: (Tensor | null)[] = [];
      for (let j = 0; j < inner; j++) {
        const seed = fill(ts, 0, 'float32');
        const v = seedView(seed);
        for (let i = 0; i < b; i++) v[i * inner + j] = 1;
        const [g] = this.sweep(target, [source], seed, 'none') as (Tensor | null)[];
        seed.dispose();
        rows.push(g);
      }
      // rows[j] has shape [b, ...source[1:]]; result [b, ...target[1:], ...source[1:]]
      const srcInner = source.size / b;
      const out = zeros([b, ...ts.slice(1), ...ss.slice(1)]);
      const o = seedView(out);
      rows.forEach((g, j) => {
        if (!g) return;
        const d = g.data();
        for (let i = 0; i < b; i++) o.set(d.subarray(i * srcInner, (i + 1) * srcInner), (i * inner + j) * srcInner);
        g.dispose();
      });
      return out;
    } finally {
      this.endUse();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    if (this.isRecording) this.setRecording(false);
    this.releaseSlot();
    this.disposed = true;
  }
  [Symbol.dispose](): void { this.dispose(); }
}

function seedView(t: Tensor): Float32Array { return new Float32Array(core.memory.buffer, core.dataPtr(t.id), t.size); }

/** Stacks per-target-element gradients into shape target ++ source. */
function stackRows(rows: (Tensor | null)[], tShape: readonly number[], sShape: readonly number[]): Tensor {
  const out = zeros([...tShape, ...sShape]);
  const per = sShape.reduce((a, b) => a * b, 1);
  rows.forEach((g, i) => {
    if (!g) return;
    const d = g.data();
    seedView(out).set(d, i * per);
    g.dispose();
  });
  return out;
}

export function checkUnconnected(op: string, v: unknown): Unconnected {
  if (v === undefined || v === 'none' || v === 'zero') return (v ?? 'none') as Unconnected;
  throw new Error(`${op}: Unknown value for unconnected_gradients: '${String(v)}'`);
}

function warnDType(dtype: string): void {
  if (dtypeWarnings++ < 5) console.warn(`The dtype of the watched tensor must be floating (e.g. float32), got ${dtype}`);
}

/** Calls fn for every tensor leaf of a nesting; throws naming anything that is not a tensor. */
function forEachLeaf(x: unknown, op: string, fn: (t: Tensor) => void): void {
  if (x instanceof Tensor) { if (x.isDisposed) throw new Error(`${op}: got a disposed tensor`); fn(x); return; }
  if (Array.isArray(x)) { x.forEach(v => forEachLeaf(v, op, fn)); return; }
  if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) { Object.values(x).forEach(v => forEachLeaf(v, op, fn)); return; }
  throw new Error(`${op}: expected a Tensor, Variable, or an array/object of them, got ${x === null ? 'null' : typeof x === 'object' ? (x as object).constructor?.name ?? 'object' : typeof x} (${describe(x)})`);
}
function leaves(x: unknown, op: string): Tensor[] {
  const out: Tensor[] = [];
  forEachLeaf(x, op, t => out.push(t));
  return out;
}
/** Output gradients mirror the target's structure; a missing or null entry means ones. */
function seedLeaves(target: unknown, seeds: unknown, out: unknown[] = []): unknown[] {
  if (target instanceof Tensor) { out.push(seeds ?? null); return out; }
  if (Array.isArray(target)) {
    if (seeds != null && !Array.isArray(seeds)) throw new Error(`GradientTape.gradient: outputGradients must mirror the target (an array), got ${describe(seeds)}`);
    target.forEach((t, i) => seedLeaves(t, (seeds as unknown[] | null)?.[i], out));
    return out;
  }
  for (const [k, t] of Object.entries(target as object)) seedLeaves(t, (seeds as Record<string, unknown> | null)?.[k], out);
  return out;
}
/** Rebuilds the nesting of `like` with leaves from next(). */
function rebuild(like: unknown, next: () => unknown): unknown {
  if (like instanceof Tensor) return next();
  if (Array.isArray(like)) return like.map(v => rebuild(v, next));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(like as object)) out[k] = rebuild(v, next);
  return out;
}

/** The gradient structure mirroring the sources. */
export type Grads<S> = S extends Tensor ? Tensor | null
  : S extends readonly unknown[] ? { [K in keyof S]: Grads<S[K]> }
  : S extends object ? { [K in keyof S]: Grads<S[K]> } : never;

/** Records fn on a new tape (TF's `with tf.GradientTape() as t:`) and returns the tape. */
export function tape<R>(fn: (t: GradientTape) => R, options?: TapeOptions): GradientTape<R> {
  if (typeof fn !== 'function') throw new TypeError(`tape: expected a function, got ${describe(fn)}`);
  if (options !== undefined && (options === null || typeof options !== 'object')) throw new Error(`tape: options must be an object, got ${describe(options)}`);
  return new GradientTape(options).record(fn);
}

// ---- grad / valueAndGrad ----
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
      if (!(value instanceof Tensor)) throw new Error(`${op}: f must return a Tensor, got ${describe(value)}`);
      if (value.size !== 1) throw new Error(`${op}: f must return a scalar, got shape [${dims(value)}]`);
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
export function grad<A extends TensorLike[]>(f: (...args: Tensor[]) => Tensor): (...args: A) => Tensor | Tensor[] {
  const vg = valueAndGradAs<A>('grad', f);
  return (...args: A) => { const { value, grads } = vg(...args); value.dispose(); return grads; };
}

// ---- customGradient ----
interface CustomEntry { grad: (dy: Tensor) => unknown; inputs: number; tapes: number }
const customFns = new Map<number, CustomEntry>();
let nextCustomId = 1;

/** An exception thrown by a custom gradient: kept until the sweep has finished and cleaned up. */
let pendingError: unknown = undefined;

callbacks.customGradient = (fnId, dyId, outPtr, count) => {
  const entry = customFns.get(fnId)!;
  core.retain(dyId);
  const dy = wrap(dyId, 'float32');
  if (pendingError !== undefined) return; // a previous custom gradient of this sweep failed
  try {
    tidy(() => {
      const raw = entry.grad(dy);
      const list = Array.isArray(raw) ? raw : [raw];
      if (list.length !== count) throw new Error(`customGradient: the gradient function returned ${list.length} gradient(s) but the function has ${count} input(s)`);
      const ids = list.map((g, i) => {
        if (g === null || g === undefined) return 0;
        const t = toTensor(`customGradient (gradient ${i})`, g as TensorLike);
        core.retain(t.id);
        return t.id;
      });
      ints().set(ids, outPtr >>> 2);
    });
  } catch (e) {
    // never unwind through the wasm sweep: it finishes (with no gradient from here) and cleans up
    pendingError = e;
  } finally {
    dy.dispose();
  }
};
callbacks.releaseCustom = fnId => {
  const e = customFns.get(fnId);
  if (e && --e.tapes <= 0) customFns.delete(fnId);
};

export function customGradient<A extends TensorLike[]>(f: (...inputs: Tensor[]) => { value: Tensor; grad: (dy: Tensor) => Tensor | (Tensor | null)[] | null }): (...inputs: A) => Tensor {
  if (typeof f !== 'function') throw new Error(`customGradient: expected a function, got ${describe(f)}`);
  return (...args: A) => {
    const inputs: Tensor[] = [];
    let res: ReturnType<typeof f> | undefined;
    try {
      args.forEach((a, i) => inputs.push(toTensor(`customGradient (input ${i})`, a)));
      res = unrecorded(() => f(...inputs));
      if (!res || !(res.value instanceof Tensor) || typeof res.grad !== 'function')
        throw new Error(`customGradient: f must return { value: Tensor, grad: (dy) => gradients }, got ${describe(res)}`);
    } catch (e) {
      const value = (res as { value?: unknown } | undefined)?.value;
      if (value instanceof Tensor && !inputs.includes(value) && !args.includes(value as never)) value.dispose();
      inputs.forEach((x, i) => { if (x !== args[i]) x.dispose(); });
      throw e;
    }
    const { value, grad: gradFn } = res;
    const out = inputs.includes(value) ? unrecorded(() => identity(value)) : value;
    const id = nextCustomId++;
    customFns.set(id, { grad: gradFn, inputs: inputs.length, tapes: 0 });
    const mask = core.recordCustom(id, out.id, writeArgs(inputs.map(t => t.id)), inputs.length);
    let tapes = 0;
    for (let m = mask >>> 0; m; m &= m - 1) tapes++;
    if (tapes === 0) customFns.delete(id); else customFns.get(id)!.tapes = tapes;
    return out;
  };
}

