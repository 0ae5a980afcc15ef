// Keras' core layers: Dense, and KernelLayer, the base that Dense and the convolutions share
// (activation(op(x, kernel) + bias) with a lazily built kernel). Variables are created on the first
// apply() from the input's shape (Keras' lazy build), or by build(inputShape).
import { Tensor, Variable, add, matmul } from '../index.js';
import { Layer, inContext } from './module.js';
import { type ActivationLike, type ActivationName, activationFunction } from './activations.js';
import { type InitializerName, checkInitializer, checkSeed } from './initializers.js';
import { boolean, checkFloat, checkOptions, makeVariable, positiveInteger, variableSeeds } from './util.js';

/** Options every kernel layer takes (Dense, Conv2D, Conv2DTranspose, DepthwiseConv2D). */
export interface KernelOptions {
  activation?: ActivationLike;
  useBias?: boolean;
  kernelInitializer?: InitializerName;
  biasInitializer?: InitializerName;
  /** makes the random initial values reproducible on every platform */
  seed?: number;
  name?: string;
}
const KERNEL_OPTIONS = ['activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'seed', 'name'];

/** The activations matmul and conv2d fuse with their bias (one pass over the product). */
export type FusedActivation = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'elu' | 'leakyRelu';
const FUSED: readonly string[] = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'elu', 'leakyRelu'];
/** The fused epilogue a kernel layer passes to its op: `activation(op + bias)`. */
export interface Epilogue { bias?: Tensor; activation: FusedActivation }

/** Options of `Dense`: activation (default linear), useBias (true), kernel and bias initializers (glorotUniform, zeros), seed, name. */
export interface DenseOptions extends KernelOptions {}

/**
 * The base of Dense and the convolutions (not exported from gradtape/layers): activation(op(x,
 * kernel) + bias). The kernel's shape comes from the input's shape on the first apply or build;
 * subclasses say how.
 */
export abstract class KernelLayer extends Layer {
  readonly activation: (x: Tensor) => Tensor;
  /** the activation's name ('linear' when none was given; undefined for a function): the fused ops take some by name */
  readonly activationName: ActivationName | undefined;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  readonly seed: number | undefined;
  /** created on the first apply or build */
  kernel: Variable | undefined = undefined;
  /** created on the first apply or build (none when useBias is false) */
  bias: Variable | undefined = undefined;

  /**
   * @param kernelOption the option naming the kernel's initializer (DepthwiseConv2D: Keras' depthwiseInitializer)
   * @param laterOptions options listed after the shared ones in messages
   */
  constructor(kind: string, options: KernelOptions | undefined, extraOptions: readonly string[], kernelOption = 'kernelInitializer', laterOptions: readonly string[] = []) {
    super(options?.name, kind);
    const allowed = [...extraOptions, ...KERNEL_OPTIONS, ...laterOptions].map(k => k === 'kernelInitializer' ? kernelOption : k);
    const o = inContext(this, () => checkOptions(options, allowed)) as Record<string, unknown>;
    this.activation = inContext(this, () => activationFunction(o.activation as ActivationLike | undefined));
    this.activationName = o.activation === undefined ? 'linear' : typeof o.activation === 'string' ? o.activation as ActivationName : undefined;
    this.useBias = inContext(this, () => boolean('useBias', o.useBias, true));
    this.kernelInitializer = inContext(this, () => checkInitializer(o[kernelOption] ?? 'glorotUniform', kernelOption));
    this.biasInitializer = inContext(this, () => checkInitializer(o.biasInitializer ?? 'zeros', 'biasInitializer'));
    this.seed = inContext(this, () => checkSeed(o.seed));
  }

  build(inputShape: readonly number[]): void {
    inContext(this, () => {
      this.outputShape(inputShape); // validates the shape, and a built layer's input width
      if (this.kernel) return;
      const shape = this.kernelShape([...inputShape]);
      const seeds = variableSeeds(this.seed);
      this.kernel = makeVariable(this, 'kernel', this.kernelInitializer, shape, seeds.kernel);
      if (this.useBias) this.bias = makeVariable(this, 'bias', this.biasInitializer, [this.biasSize(shape)], seeds.bias);
    });
  }

  /** The kernel's shape for a (validated) input shape. */
  protected abstract kernelShape(inputShape: number[]): number[];
  /**
   * The computation before bias and activation; layers whose op fuses them (`canFuse`) get the
   * `epilogue` to pass on, when the activation is one the op fuses.
   */
  protected abstract transform(x: Tensor, kernel: Variable, epilogue?: Epilogue): Tensor;
  /** whether `transform` takes an epilogue (matmul and conv2d do) */
  protected get canFuse(): boolean { return false; }
  /** The bias length: the kernel's last dimension, unless the layer says otherwise. */
  protected biasSize(kernelShape: number[]): number { return kernelShape[kernelShape.length - 1]; }

  /** Throws unless the input's `what` (its width `given`) matches the built kernel's. */
  protected checkWidth(inputShape: number[], given: number, what: string, kernelAxis: number): void {
    if (this.kernel) {
      if (this.kernel.isDisposed) throw new Error('the layer is disposed');
      const built = this.kernel.shape[kernelAxis];
      if (given !== built) throw new Error(`the input's ${what} is ${given} (shape [${inputShape}]) but the layer was built for ${built} (kernel [${this.kernel.shape}])`);
    } else if (given < 1) throw new Error(`the input's ${what} must be at least 1, got shape [${inputShape}]`);
  }

  protected call(x: Tensor): Tensor {
    checkFloat(x);
    this.build(x.shape);
    const name = this.activationName;
    if (this.canFuse && name !== undefined && FUSED.includes(name))
      return this.transform(x, this.kernel!, { bias: this.bias, activation: name as FusedActivation });
    const y = this.transform(x, this.kernel!);
    return this.activation(this.bias ? add(y, this.bias) : y);
  }
}

/** Keras' Dense: `activation(x · kernel + bias)` over the last axis of x (rank >= 2); kernel [inputDim, units]. */
export class Dense extends KernelLayer {
  readonly units: number;

  constructor(units: number, options?: DenseOptions) {
    super('Dense', options, []);
    this.units = inContext(this, () => positiveInteger('units', units));
  }

  protected computeOutputShape(inputShape: number[]): number[] {
    if (inputShape.length < 2) throw new Error(`expected an input of rank >= 2 [batch, ..., features], got shape [${inputShape}]`);
    this.checkWidth(inputShape, inputShape[inputShape.length - 1], 'last dimension', 0);
    return [...inputShape.slice(0, -1), this.units];
  }
  protected kernelShape(inputShape: number[]): number[] { return [inputShape[inputShape.length - 1], this.units]; }
  protected get canFuse(): boolean { return true; }
  protected transform(x: Tensor, kernel: Variable, epilogue?: Epilogue): Tensor { return matmul(x, kernel, false, false, epilogue); }
}
