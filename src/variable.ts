// Variables: mutable tensors. A Variable is a Tensor whose id is swapped on assign, so a tape that
// recorded the old value keeps it, and the new value starts with no history (assigning cuts the
// gradient, as in TF). tidy never frees variables.
import { core, ready } from './core.js';
import { Op } from '../build/generated/opcodes.js';
import { Tensor, TensorLike, toTensor, tensor, describe, variables, rebind } from './tensor.js';
import { unrecorded, dims, broadcastShapes, flag } from './ops.js';
import { add, sub } from './ops-elementwise.js';
import { C } from '../build/generated/interface.js';

let created = 0;
variables.is = (t: Tensor) => t instanceof Variable;

/** A mutable tensor (TF's tf.Variable): `assign` replaces its value without recording it, tapes watch trainable variables they read automatically, and `tidy` never frees it. Make one with `variable()`. */
export class Variable extends Tensor {
  /** Whether tapes watch this variable automatically when they read it, and optimizers' `minimize` updates it. */
  readonly trainable: boolean;
  /** The name given to `variable()`, or `Variable:<n>`. */
  readonly name: string;
  /** @internal creation order, for watchedVariables() */
  readonly _order: number;

  /** @internal use variable() */
  constructor(initial: Tensor, trainable: boolean, name: string | undefined) {
    super(copyOf(initial), initial.dtype);
    this._order = created++;
    this.trainable = trainable;
    this.name = name ?? `Variable:${this._order}`;
  }

  /** Replaces the value (same shape and dtype); not recorded, so it cuts the gradient as in TF. */
  assign(value: TensorLike): this { return this.#replace('assign', value, v => v); }
  /** Adds `delta` to the value in place (not recorded). */
  assignAdd(delta: TensorLike): this { return this.#replace('assignAdd', delta, d => add(this, d)); }
  /** Subtracts `delta` from the value in place (not recorded). */
  assignSub(delta: TensorLike): this { return this.#replace('assignSub', delta, d => sub(this, d)); }

  #replace(op: string, value: TensorLike, compute: (v: Tensor) => Tensor): this {
    if (this.isDisposed) throw new Error(`Variable.${op}: the variable ${JSON.stringify(this.name)} is disposed`);
    const id = this.id; // throws if the core was reset
    const v = toTensor(`Variable.${op}`, value, this.dtype);
    let next: Tensor | undefined;
    let fresh: number;
    try {
      const shape = dims(this), vs = dims(v);
      if (v.dtype !== this.dtype || (op === 'assign' ? vs.join() !== shape.join() : vs.length > shape.length || broadcastShapes(`Variable.${op}`, shape, vs).join() !== shape.join()))
        throw new Error(`Variable.${op}: expected a ${this.dtype} tensor of shape [${shape}], got ${describe(v)}`);
      // the variable's shape (v broadcasts to it). A value computed here (assignAdd/assignSub) is new and
      // has no tape history: adopt it; a value given by the caller (assign) is copied, so nothing
      // recorded about it reaches the variable
      next = unrecorded(() => compute(v));
      if (next !== v) { core[C.retain](next.id); fresh = next.id; }
      else fresh = copyOf(next);
    } finally {
      if (next && next !== v) next.dispose();
      if (v !== value) v.dispose();
    }
    core[C.release](id);
    rebind(this, fresh);
    return this;
  }
}

function copyOf(t: Tensor): number {
  ready();
  return unrecorded(() => core[C.unary](Op.Identity, t.id, 0));
}

/** A Variable holding a copy of `initial`; `trainable` (default true) and `name` as in TF. */
export function variable(initial: TensorLike, options: { trainable?: boolean; name?: string } = {}): Variable {
  if (options === null || typeof options !== 'object') throw new Error(`variable: options must be an object, got ${describe(options)}`);
  if (options.name !== undefined && typeof options.name !== 'string') throw new Error(`variable: name must be a string, got ${describe(options.name)}`);
  const trainable = flag('variable', 'trainable', options.trainable, true);
  let init: Tensor;
  try {
    init = initial instanceof Tensor ? toTensor('variable', initial) : tensor(initial);
  } catch (e) {
    const message = (e as Error).message;
    throw message.startsWith('variable:') ? e : new Error(`variable: ${message}`);
  }
  const v = new Variable(init, trainable, options.name);
  if (init !== initial) init.dispose();
  return v;
}
