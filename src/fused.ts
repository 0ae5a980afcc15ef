// The optional epilogue of conv2d and matmul (TF's fused ops, tf.fused.* in TensorFlow.js):
// activation(y + bias) in one pass over y (assembly/ops/elementwise.ts biasActivation), recorded as
// the add and the activation it equals, so its gradients are theirs.
import { core } from './core.js';
import { Op } from '../build/generated/opcodes.js';
import { Tensor, TensorLike, wrap, describe } from './tensor.js';
import { floatArg, dims, withShape, fmt, optionsOf } from './ops.js';
import { C } from '../build/generated/interface.js';

/** The activations conv2d and matmul fuse with their bias. */
export type FusedActivation = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'elu' | 'leakyRelu';
const ACTIVATION_OPS: Record<FusedActivation, number> = {
  linear: -1, relu: Op.Relu, relu6: Op.Relu6, sigmoid: Op.Sigmoid, tanh: Op.Tanh, elu: Op.Elu, leakyRelu: Op.LeakyRelu,
};

/** conv2d's and matmul's fused epilogue: `activation(result + bias)`, equal in value and gradient. */
export interface FusedOptions {
  /** added along the result's last axis (its channels or columns): shape [n], [1] or [] */
  bias?: TensorLike;
  /** applied after the bias; default 'linear' */
  activation?: FusedActivation;
  /** leakyRelu's slope for negative inputs (default 0.2, as tf.nn.leaky_relu) */
  leakyReluAlpha?: number;
}
const FUSED_KEYS = ['bias', 'activation', 'leakyReluAlpha'];

/** Checks `options` (before the op runs, so a bad option leaves nothing behind). */
export function checkFused(op: string, options: unknown, extraKeys: readonly string[] = []): void {
  const { activation, leakyReluAlpha } = optionsOf(op, options, [...extraKeys, ...FUSED_KEYS]);
  if (activation !== undefined && !Object.hasOwn(ACTIVATION_OPS, activation as string))
    throw new Error(`${op}: unknown activation ${describe(activation)} (expected one of ${Object.keys(ACTIVATION_OPS).map(a => `'${a}'`).join(', ')})`);
  if (leakyReluAlpha !== undefined && !Number.isFinite(leakyReluAlpha))
    throw new Error(`${op}: leakyReluAlpha must be a finite number, got ${describe(leakyReluAlpha)}`);
}

/** The bias as a float tensor that fits y's last axis (shape [n], [1] or []), checked before the op runs. */
export function fusedBias(op: string, options: FusedOptions | undefined, channels: number): Tensor | undefined {
  if (options?.bias === undefined) return undefined;
  const b = floatArg(op, options.bias);
  const s = dims(b);
  if (s.length > 1 || (b.size !== channels && b.size !== 1))
    throw new Error(`${op}: bias must have shape [${channels}], [1] or [], got shape ${fmt(s)}`);
  return b;
}

/** activation(y + bias) (y itself when there is neither); y, a temporary, is freed (tapes keep their own references). */
export function applyFused(y: Tensor, bias: Tensor | undefined, options: FusedOptions | undefined): Tensor {
  const act = ACTIVATION_OPS[options?.activation ?? 'linear'];
  if (!bias && act < 0) return y;
  const alpha = options?.leakyReluAlpha ?? 0.2, shape = dims(y);
  const out = bias ? core[C.biasActivation](y.id, bias.id, act, alpha) : core[C.unary](act, y.id, alpha);
  y.dispose();
  return withShape(wrap(out, 'float32'), shape);
}
