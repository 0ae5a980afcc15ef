// Keras' pooling layers on NHWC images: MaxPool2D, AvgPool2D (windows), and the global poolings
// GlobalAveragePooling2D, GlobalMaxPooling2D (over height and width). No variables.
import { Tensor, maxPool, avgPool, mean, max } from '../index.js';
import { Layer, inContext } from './module.js';
import { type Padding, boolean, checkFloat, checkImages, checkOptions, pair, padding, spatialOutput } from './util.js';

/** Options of `MaxPool2D` and `AvgPool2D`: strides (default: the pool size) and padding ('valid'). */
export interface PoolOptions {
  /** default: the pool size */
  strides?: number | [number, number];
  padding?: Padding;
  name?: string;
}

/** Shared by MaxPool2D and AvgPool2D: a window over NHWC images, no variables. */
abstract class Pool2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly #pool: typeof maxPool;

  constructor(kind: string, pool: typeof maxPool, poolSize: number | [number, number], options: PoolOptions | undefined) {
    super(options?.name, kind);
    const o = inContext(this, () => checkOptions(options, ['strides', 'padding', 'name']));
    this.poolSize = inContext(this, () => pair('poolSize', poolSize));
    this.strides = inContext(this, () => pair('strides', o.strides ?? this.poolSize));
    this.padding = inContext(this, () => padding(o.padding));
    this.#pool = pool;
  }

  protected computeOutputShape(inputShape: number[]): number[] {
    checkImages(inputShape);
    return [inputShape[0], ...spatialOutput(inputShape, this.poolSize, this.strides, this.padding, 'pool window'), inputShape[3]];
  }

  protected call(x: Tensor): Tensor {
    checkFloat(x, false);
    this.outputShape(x.shape);
    return this.#pool(x, this.poolSize, this.strides, this.padding);
  }
}

/** Keras' MaxPooling2D. */
export class MaxPool2D extends Pool2D {
  constructor(poolSize: number | [number, number] = 2, options?: PoolOptions) { super('MaxPool2D', maxPool, poolSize, options); }
}

/** Keras' AveragePooling2D. */
export class AvgPool2D extends Pool2D {
  constructor(poolSize: number | [number, number] = 2, options?: PoolOptions) { super('AvgPool2D', avgPool, poolSize, options); }
}

/** Options of the global poolings: `keepdims` (Keras' spelling, default false) keeps height and width as 1s. */
export interface GlobalPoolOptions {
  keepdims?: boolean;
  name?: string;
}

/** Shared by the global poolings: a reduction over height and width of NHWC images. */
abstract class GlobalPool2D extends Layer {
  readonly keepdims: boolean;
  readonly #reduce: typeof mean;

  constructor(kind: string, reduce: typeof mean, options: GlobalPoolOptions | undefined) {
    super(options?.name, kind);
    const o = inContext(this, () => checkOptions(options, ['keepdims', 'name']));
    this.keepdims = inContext(this, () => boolean('keepdims', o.keepdims, false));
    this.#reduce = reduce;
  }

  protected computeOutputShape(inputShape: number[]): number[] {
    checkImages(inputShape);
    if (inputShape[1] === 0 || inputShape[2] === 0) throw new Error(`expected a non-empty image, got shape [${inputShape}]`);
    return this.keepdims ? [inputShape[0], 1, 1, inputShape[3]] : [inputShape[0], inputShape[3]];
  }

  protected call(x: Tensor): Tensor {
    checkFloat(x);
    this.outputShape(x.shape);
    return this.#reduce(x, [1, 2], this.keepdims);
  }
}

/** Keras' GlobalAveragePooling2D: the mean over height and width, [b, h, w, c] -> [b, c] ([b, 1, 1, c] with keepdims). */
export class GlobalAveragePooling2D extends GlobalPool2D {
  constructor(options?: GlobalPoolOptions) { super('GlobalAveragePooling2D', mean, options); }
}

/** Keras' GlobalMaxPooling2D: the max over height and width, [b, h, w, c] -> [b, c] ([b, 1, 1, c] with keepdims). */
export class GlobalMaxPooling2D extends GlobalPool2D {
  constructor(options?: GlobalPoolOptions) { super('GlobalMaxPooling2D', max, options); }
}
