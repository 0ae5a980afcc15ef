// Forward mode. A ForwardAccumulator records like a persistent tape watching its primals; a JVP is
// then obtained from reverse mode by the "double VJP" identity: g(u) = Jᵀu is linear in u, so
// J·t = ∂/∂u ⟨g(u), t⟩. Both sweeps go through the normal recording path, so an enclosing
// accumulator or tape records the JVP computation too (higher order, forward-over-back).
//
// TF computes tangents while the ops run, so the tapes and accumulators that enclose an accumulator
// see its tangent computations, and the ones it encloses do not. Here a JVP is computed when jvp()
// is read, so the accumulator remembers which tapes were recording around it and records on them
// again while it computes: the same tapes see the same computation, wherever jvp() is read.
import { Tensor, TensorLike, toTensor, describe, zeros, tidy, keep } from './tensor.js';
import { GradientTape, Unconnected, checkUnconnected, recording as recordingTapes } from './tape.js';
import { dims, unrecorded } from './ops.js';
import { mul, add, identity } from './ops-elementwise.js';
import { sum } from './ops-reduce.js';

/**
 * Forward-mode differentiation (TF's tf.autodiff.ForwardAccumulator): Jacobian-vector products of
 * what `record` computes, along `tangents` for the `primals`.
 * @example
 * ```ts
 * import { ForwardAccumulator, tensor, mul, sum } from 'gradtape';
 *
 * const x = tensor([1, 2, 3]);
 * const acc = new ForwardAccumulator(x, tensor([1, 1, 1]));
 * const y = acc.record(() => sum(mul(x, x)));
 * console.log(acc.jvp(y).item()); // 12
 * acc.dispose();
 * ```
 */
export class ForwardAccumulator {
  // kept: an accumulator made inside a tidy may be used after it
  readonly #tape = keep(new GradientTape({ persistent: true, watchAccessedVariables: false }));
  readonly #primals: Tensor[];
  readonly #tangents: Tensor[];
  #recording = false;
  /**
   * Tapes (and other accumulators' tapes) that were recording when this one recorded, outermost
   * first; weakly held, so an accumulator that lives long does not keep every tape around it alive.
   */
  #enclosing: WeakRef<GradientTape>[] = [];

  /**
   * Watches `primals` (a tensor or variable, or an array of them), each with a tangent of its shape.
   * @example
   * ```ts
   * import { ForwardAccumulator, tensor, mul } from 'gradtape';
   *
   * const x = tensor([1, 2, 3]);
   * const acc = new ForwardAccumulator(x, tensor([1, 0, 0])); // the derivative along the first element
   * const y = acc.record(() => mul(x, x));
   * console.log(acc.jvp(y).toArray()); // [2, 0, 0]
   * acc.dispose();
   * ```
   */
  constructor(primals: TensorLike | TensorLike[], tangents: TensorLike | TensorLike[]) {
    const list = (x: TensorLike | TensorLike[]) => (Array.isArray(x) && x.every(v => v instanceof Tensor) ? x : [x]) as TensorLike[];
    const ps = list(primals), ts = list(tangents);
    if (ps.length !== ts.length) throw new Error(`ForwardAccumulator: got ${ps.length} primal(s) but ${ts.length} tangent(s)`);
    this.#primals = ps.map((p, i) => {
      if (!(p instanceof Tensor)) throw new Error(`ForwardAccumulator: primal ${i} must be a Tensor or Variable, got ${describe(p)}`);
      if (ps.indexOf(p) < i)
        throw new Error(`ForwardAccumulator: Tensor ${describe(p)} was specified as a primal multiple times. This may indicate an error. If it was intended, use the sum of the tangents instead.`);
      return toTensor('ForwardAccumulator', p);
    });
    // copies of the tangents (kept: an accumulator made inside a tidy may be used after it)
    this.#tangents = tidy(() => ts.map((t, i) => {
      const tt = toTensor('ForwardAccumulator', t), ps = dims(this.#primals[i]), tsh = dims(tt);
      if (ps.join() !== tsh.join()) throw new Error(`ForwardAccumulator: tangent ${i} has shape [${tsh}] but its primal has shape [${ps}]`);
      return unrecorded(() => identity(tt));
    })).map(t => keep(t));
    this.#tape.watch(this.#primals);
  }

  /**
   * Runs fn while accumulating JVPs; returns its value. May be called again.
   * @example
   * ```ts
   * import { ForwardAccumulator, scalar, mul, sin } from 'gradtape';
   *
   * const x = scalar(0);
   * const acc = new ForwardAccumulator(x, scalar(2));
   * const y = acc.record(() => sin(x));
   * const z = acc.record(() => mul(y, 3));
   * console.log(acc.jvp(y).item(), acc.jvp(z).item()); // 2 6
   * acc.dispose();
   * ```
   */
  record<T>(fn: () => T): T {
    if (typeof fn !== 'function') throw new TypeError(`ForwardAccumulator.record: expected a function, got ${describe(fn)}`);
    if (this.#recording) throw new Error('ForwardAccumulator.record: Accumulator is already recording.');
    this.#recording = true;
    this.#enclosing = this.#enclosing.filter(r => r.deref()?._usable());
    for (const t of recordingTapes) if (!this.#enclosing.some(r => r.deref() === t)) this.#enclosing.push(new WeakRef(t));
    try {
      return this.#tape.record(() => fn()).result as T;
    } finally {
      this.#recording = false;
    }
  }

  /**
   * The JVP of `x` (its derivative along the tangents): null if x does not depend on a primal (or zeros,
   * with `unconnectedGradients: 'zero'`).
   * @example
   * ```ts
   * import { ForwardAccumulator, scalar, mul } from 'gradtape';
   *
   * const a = scalar(2), b = scalar(5);
   * const acc = new ForwardAccumulator([a, b], [scalar(1), scalar(0)]);
   * const y = acc.record(() => mul(a, b));
   * console.log(acc.jvp(y).item(), acc.jvp(scalar(7))); // 5 null
   * acc.dispose();
   * ```
   */
  jvp(x: TensorLike, options: { unconnectedGradients?: Unconnected } = {}): Tensor | null {
    const unconnected = checkUnconnected('ForwardAccumulator.jvp', options?.unconnectedGradients);
    if (!(x instanceof Tensor)) throw new Error(`ForwardAccumulator.jvp: expected a Tensor, got ${describe(x)}`);
    const target = toTensor('ForwardAccumulator.jvp', x);
    const resumed: GradientTape[] = [];
    for (const r of this.#enclosing) { const t = r.deref(); if (t?._resume()) resumed.push(t); }
    let result: Tensor | null;
    try {
      result = this.#computeJVP(target);
    } finally {
      for (let i = resumed.length - 1; i >= 0; i--) resumed[i]._pause();
    }
    if (result) return result;
    return unconnected === 'zero' ? zeros(dims(target)) : null;
  }

  #computeJVP(target: Tensor): Tensor | null {
    return tidy(() => {
      if (target.dtype !== 'float32') return null;
      const u = zeros(dims(target));
      const outer = new GradientTape({ watchAccessedVariables: false });
      let connected = false;
      outer.record(o => {
        o.watch(u);
        const g = this.#tape._vjp(target, this.#primals, u);
        let s: Tensor | null = null;
        g.forEach((gi, i) => {
          if (!gi) return;
          connected = true;
          const term = sum(mul(gi, this.#tangents[i]));
          s = s ? add(s, term) : term;
        });
        return s;
      });
      const s = outer.result as Tensor | null;
      if (!connected || !s) { outer.dispose(); return null; }
      const jv = outer.gradient(s, u) as Tensor | null;
      return jv ?? zeros(dims(target)); // connected through ops whose derivative is zero (sign, ...)
    });
  }

  /**
   * Frees what the accumulator recorded and its tangents.
   * @example
   * ```ts
   * import { ForwardAccumulator, scalar, mul, memory } from 'gradtape';
   *
   * const x = scalar(3);
   * const before = memory().tensors;
   * const acc = new ForwardAccumulator(x, scalar(1));
   * acc.record(() => mul(x, x)).dispose();
   * acc.dispose();
   * console.log(memory().tensors - before); // 1
   * ```
   */
  dispose(): void {
    this.#tape.dispose();
    for (const t of this.#tangents) t.dispose();
  }
  /** `using acc = new ForwardAccumulator(...)` disposes it at the end of the block. */
  [Symbol.dispose](): void { this.dispose(); }
}
