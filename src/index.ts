/**
 * gradtape's root API: tensors and ops, tapes (reverse and forward mode), variables, Keras' losses,
 * optimizers, safetensors. Modules and layers are in `gradtape/layers`, metrics in `gradtape/metrics`.
 * @module gradtape
 */
// gradtape's public API. Entry points (src/entry-*.ts) add where the WebAssembly core comes from.
import { Tensor } from './tensor.js';
import { installMethod } from './ops.js';
import type { TensorMethods } from './ops.js';
import type * as elementwiseOps from './ops-elementwise.js';
import type * as reduceOps from './ops-reduce.js';
import type * as shapeOps from './ops-shape.js';
import type * as linalgOps from './ops-linalg.js';
import type * as nnOps from './ops-nn.js';
import type * as convOps from './ops-conv.js';
import type * as normalizationOps from './ops-normalization.js';
import type * as imageOps from './ops-image.js';
import type * as mathOps from './ops-math.js';
import type * as scanOps from './ops-scan.js';
import type * as indexingOps from './ops-indexing.js';
import type * as randomOps from './ops-random.js';
import { EXTRA_METHODS } from '../build/generated/interface.js';

export { init, initSync } from './core.js';
export { setThreads, threads } from './threads.js';
export { Tensor, tensor, scalar, zeros, ones, fill, zerosLike, onesLike, tidy, keep, dispose, memory } from './tensor.js';
export type { DType, TensorLike, NestedArray } from './tensor.js';
export { Variable, variable } from './variable.js';
export { GradientTape, tape, grad, valueAndGrad, customGradient } from './tape.js';
export { ForwardAccumulator } from './forward.js';
export type { TapeOptions, GradientOptions, Grads, Unconnected } from './tape.js';
export * from './ops-elementwise.js';
export * from './ops-reduce.js';
export * from './ops-linalg.js';
export type { TensorMethod } from './ops.js';
export * from './ops-shape.js';
export * from './ops-nn.js';
export * from './losses.js';
export * from './ops-conv.js';
export * from './ops-normalization.js';
export * from './ops-image.js';
export * from './ops-math.js';
export * from './ops-einsum.js';
export * from './ops-scan.js';
export * from './ops-indexing.js';
export * from './ops-random.js';
export * from './optimizers.js';
export * from './optimizers-keras.js';
export * from './schedules.js';
export * from './lbfgs.js';
export * from './safetensors.js';

// Every op that takes a tensor first is also a method (x.mul(y), x.sum(0)): `method()` installs it
// where the op is defined, and these typings follow from the ops' own types.
declare module './tensor.js' {
  interface Tensor extends TensorMethods<typeof elementwiseOps & typeof reduceOps & typeof shapeOps & typeof linalgOps & typeof nnOps & typeof convOps
    & typeof normalizationOps & typeof imageOps & typeof mathOps & typeof scanOps & typeof indexingOps & typeof randomOps> {}
}

// The extra module's ops are methods too, but a bundle that never imports them leaves out their code
// and bytes: there the method says how to get them.
for (const name of EXTRA_METHODS) {
  if (!(name in Tensor.prototype)) installMethod(name, () => {
    throw new Error(`Tensor.${name}(): this bundle left ${name} out; import { ${name} } from 'gradtape' anywhere to bring it and its kernels`);
  });
}
