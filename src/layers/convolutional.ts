// Keras' convolutional layers on NHWC images: Conv2D, Conv2DTranspose, DepthwiseConv2D. Weight
// shapes, names and defaults as Keras 3 (keras/src/layers/convolutional/).
import { Tensor, Variable, conv2d, conv2dTranspose, depthwiseConv2d } from '../index.js';
import { inContext } from './module.js';
import { type Epilogue, type KernelOptions, KernelLayer } from './core.js';
import { type Padding, checkImages, pair, padding, positiveInteger, spatialOutput } from './util.js';

/** Options of `Conv2D`: those of `Dense`, plus strides (1) and padding ('valid'). */
export interface Conv2DOptions extends KernelOptions {
  strides?: number | [number, number];
  padding?: Padding;
  /** spacing of the kernel's taps (atrous convolution), Keras' dilation_rate; default 1; not with strides > 1 */
  dilationRate?: number | [number, number];
}

/** Options of `Conv2DTranspose`: strides (1), padding ('valid') and those of `Dense`. */
export interface Conv2DTransposeOptions extends Omit<Conv2DOptions, 'dilationRate'> {}

/** Options of `DepthwiseConv2D`: Keras' names; the kernel's initializer is `depthwiseInitializer` (glorotUniform). */
export interface DepthwiseConv2DOptions extends Omit<KernelOptions, 'kernelInitializer'> {
  strides?: number | [number, number];
  padding?: Padding;
  /** output channels per input channel (default 1) */
  depthMultiplier?: number;
  depthwiseInitializer?: KernelOptions['kernelInitializer'];
}

/** Shared by the 2-D convolutions: window, strides and padding. */
abstract class Conv2DBase extends KernelLayer {
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;

  constructor(kind: string, kernelSize: unknown, options: Conv2DOptions | DepthwiseConv2DOptions | undefined, extra: string[], kernelOption?: string, later?: string[]) {
    super(kind, options as KernelOptions, ['strides', 'padding', ...extra], kernelOption, later);
    this.kernelSize = inContext(this, () => pair('kernelSize', kernelSize));
    this.strides = inContext(this, () => pair('strides', options?.strides ?? 1));
    this.padding = inContext(this, () => padding(options?.padding));
  }
}

/** Keras' Conv2D on NHWC images: kernel [kh, kw, inChannels, filters], then bias and activation. */
export class Conv2D extends Conv2DBase {
  readonly filters: number;
  readonly dilationRate: [number, number];

  constructor(filters: number, kernelSize: number | [number, number], options?: Conv2DOptions) {
    super('Conv2D', kernelSize, options, [], undefined, ['dilationRate']);
    this.filters = inContext(this, () => positiveInteger('filters', filters));
    this.dilationRate = inContext(this, () => {
      const d = pair('dilationRate', options?.dilationRate ?? 1);
      if (Math.max(...d) > 1 && Math.max(...this.strides) > 1)
        throw new Error(`strides > 1 cannot be combined with dilationRate > 1 (as in Keras), got strides [${this.strides}] and dilationRate [${d}]`);
      return d;
    });
  }

  protected computeOutputShape(inputShape: number[]): number[] {
    checkImages(inputShape);
    this.checkWidth(inputShape, inputShape[3], 'channel count', 2);
    const [dh, dw] = this.dilationRate, [kh, kw] = this.kernelSize, dilated = dh > 1 || dw > 1;
    const window: [number, number] = [(kh - 1) * dh + 1, (kw - 1) * dw + 1]; // the taps' extent
    return [inputShape[0], ...spatialOutput(inputShape, window, this.strides, this.padding, dilated ? `kernel (${kh}x${kw} dilated by [${this.dilationRate}])` : 'kernel'), this.filters];
  }
  protected kernelShape(inputShape: number[]): number[] { return [...this.kernelSize, inputShape[3], this.filters]; }
  protected get canFuse(): boolean { return true; }
  protected transform(x: Tensor, kernel: Variable, epilogue?: Epilogue): Tensor {
    const dilated = this.dilationRate[0] > 1 || this.dilationRate[1] > 1;
    return conv2d(x, kernel, this.strides, this.padding, dilated ? { ...epilogue, dilations: this.dilationRate } : epilogue);
  }
}

/**
 * Keras' Conv2DTranspose (the gradient of a convolution, used to upsample): kernel
 * [kh, kw, filters, inChannels]. Output size per spatial axis, as Keras without `outputPadding`:
 * `in * stride` with 'same', `(in - 1) * stride + max(kernel, stride)` with 'valid'.
 */
export class Conv2DTranspose extends Conv2DBase {
  readonly filters: number;

  constructor(filters: number, kernelSize: number | [number, number], options?: Conv2DTransposeOptions) {
    super('Conv2DTranspose', kernelSize, options, []);
    this.filters = inContext(this, () => positiveInteger('filters', filters));
  }

  protected computeOutputShape(inputShape: number[]): number[] {
    checkImages(inputShape);
    this.checkWidth(inputShape, inputShape[3], 'channel count', 3);
    const size = (n: number, i: 0 | 1) => this.padding === 'same' ? n * this.strides[i] : (n - 1) * this.strides[i] + Math.max(this.kernelSize[i], this.strides[i]);
    return [inputShape[0], size(inputShape[1], 0), size(inputShape[2], 1), this.filters];
  }
  protected kernelShape(inputShape: number[]): number[] { return [...this.kernelSize, this.filters, inputShape[3]]; }
  protected biasSize(): number { return this.filters; }
  protected transform(x: Tensor, kernel: Variable): Tensor {
    const [, height, width, channels] = this.outputShape(x.shape);
    return conv2dTranspose(x, kernel, [height, width, channels], this.strides, this.padding);
  }
}

/**
 * Keras' DepthwiseConv2D: each input channel convolved with its own `depthMultiplier` filters;
 * kernel [kh, kw, inChannels, depthMultiplier] (Keras 3 names it `kernel`; `depthwiseKernel` is the
 * same variable), bias [inChannels * depthMultiplier].
 */
export class DepthwiseConv2D extends Conv2DBase {
  readonly depthMultiplier: number;

  constructor(kernelSize: number | [number, number], options?: DepthwiseConv2DOptions) {
    super('DepthwiseConv2D', kernelSize, options, ['depthMultiplier'], 'depthwiseInitializer');
    this.depthMultiplier = inContext(this, () => positiveInteger('depthMultiplier', options?.depthMultiplier ?? 1));
  }

  /** The kernel under its Keras 2 name. */
  get depthwiseKernel(): Variable | undefined { return this.kernel; }

  protected computeOutputShape(inputShape: number[]): number[] {
    checkImages(inputShape);
    this.checkWidth(inputShape, inputShape[3], 'channel count', 2);
    return [inputShape[0], ...spatialOutput(inputShape, this.kernelSize, this.strides, this.padding, 'kernel'), inputShape[3] * this.depthMultiplier];
  }
  protected kernelShape(inputShape: number[]): number[] { return [...this.kernelSize, inputShape[3], this.depthMultiplier]; }
  protected biasSize(kernelShape: number[]): number { return kernelShape[2] * kernelShape[3]; }
  protected transform(x: Tensor, kernel: Variable): Tensor {
    return depthwiseConv2d(x, kernel, this.strides, this.padding);
  }
}
