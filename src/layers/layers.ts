// The layers: Dense, Conv2D, MaxPool2D, AvgPool2D, Flatten, Dropout and Sequential (Keras'
// semantics and defaults). Variables are created on the first apply() from the input's shape
// (Keras' lazy build), or by build(inputShape).
import {
  Tensor, Variable, variable, add, matmul, conv2d, maxPool, avgPool, reshape, mul, cast, greaterEqual, randomUniform,
} from '../index.js';
import { Layer, Module, describeValue, inContext, type ApplyOptions } from './module.js';
import { type Activation, activationFunction } from './activations.js';
import { type InitializerName, checkInitializer, checkSeed, deriveSeed, initialize, randomSeed } from './initializers.js';

/** Convolution and pooling padding, as in TF: 'valid' (no padding) or 'same' (output size ceil(input / stride)). */
export type Padding = 'same' | 'valid';

/** Throws unless `options` is undefined or an object whose keys are all in `allowed`. */
function checkOptions<T extends object>(options: T | undefined, allowed: readonly string[]): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new Error(`options must be an object like { ${allowed.join(', ')} }, got ${describeValue(options)}`);
  for (const key of Object.keys(options))
    if (!allowed.includes(key)) throw new Error(`unknown option ${JSON.stringify(key)} (expected ${allowed.join(', ')})`);
  return options;
}

function positiveInteger(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${what} must be a positive integer, got ${describeValue(v)}`);
  return v;
}

/** A size or stride given as n or [rows, cols]. */
function pair(what: string, v: unknown): [number, number] {
  if (typeof v === 'number') { positiveInteger(what, v); return [v, v]; }
  if (Array.isArray(v) && v.length === 2) return [positiveInteger(what, v[0]), positiveInteger(what, v[1])];
  throw new Error(`${what} must be a positive integer or a pair [rows, cols] of them, got ${describeValue(v)}`);
}

function padding(v: unknown): Padding {
  if (v === undefined) return 'valid';
  if (v === 'same' || v === 'valid') return v;
  throw new Error(`padding must be 'same' or 'valid', got ${describeValue(v)}`);
}

function boolean(what: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new Error(`${what} must be a boolean, got ${describeValue(v)}`);
  return v;
}

/** The spatial output size of a convolution or pooling window (TF's formula). */
function windowOutput(inSize: number, window: number, stride: number, pad: Padding): number {
  return pad === 'same' ? Math.ceil(inSize / stride) : Math.ceil((inSize - window + 1) / stride);
}

/** Creates a variable named `${layer.name}/${what}` from an initializer (temporaries freed). */
function makeVariable(layer: Module, what: string, init: InitializerName, shape: number[], seed: number | undefined): Variable {
  const initial = initialize(init, shape, seed);
  try {
    return variable(initial, { name: `${layer.name}/${what}` });
  } finally {
    initial.dispose();
  }
}

/** Kernel and bias seeds: two independent streams of the layer's seed (random when none). */
function variableSeeds(seed: number | undefined): { kernel: number; bias: number } {
  const base = seed ?? randomSeed();
  return { kernel: deriveSeed(base, 0), bias: deriveSeed(base, 1) };
}

/** Options Dense and Conv2D share. */
interface KernelOptions {
  activation?: Activation;
  useBias?: boolean;
  kernelInitializer?: InitializerName;
  biasInitializer?: InitializerName;
  /** makes the random initial values reproducible on every platform */
  seed?: number;
  name?: string;
}
const KERNEL_OPTIONS = ['activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'seed', 'name'];

/** Options of `Dense`: activation (default linear), useBias (true), kernel and bias initializers (glorotUniform, zeros), seed, name. */
export interface DenseOptions extends KernelOptions {}

/** Options of `Conv2D`: those of `Dense`, plus strides (1) and padding ('valid'). */
export interface Conv2DOptions extends KernelOptions {
  strides?: number | [number, number];
  padding?: Padding;
}

/**
 * Dense and Conv2D: activation(op(x, kernel) + bias). The kernel's shape comes from the input's
 * shape on the first apply or build; `inputWidth` names the dimension it depends on.
 */
abstract class KernelLayer extends Layer {
  readonly activation: (x: Tensor) => Tensor;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  readonly seed: number | undefined;
  /** created on the first apply or build */
  kernel: Variable | undefined = undefined;
  /** created on the first apply or build (none when useBias is false) */
  bias: Variable | undefined = undefined;

  constructor(kind: string, options: KernelOptions | undefined, extraOptions: readonly string[]) {
    super(options?.name, kind);
    const o = inContext(this, () => checkOptions(options, [...extraOptions, ...KERNEL_OPTIONS]));
    this.activation = inContext(this, () => activationFunction(o.activation));
    this.useBias = inContext(this, () => boolean('useBias', o.useBias, true));
    this.kernelInitializer = inContext(this, () => checkInitializer(o.kernelInitializer ?? 'glorotUniform', 'kernelInitializer'));
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
      if (this.useBias) this.bias = makeVariable(this, 'bias', this.biasInitializer, [shape[shape.length - 1]], seeds.bias);
    });
  }

  /** The kernel's shape for a (validated) input shape. */
  protected abstract kernelShape(inputShape: number[]): number[];
  /** The computation before bias and activation. */
  protected abstract transform(x: Tensor, kernel: Variable): Tensor;

  /** Throws unless the input's `what` (its width `given`) matches the built kernel's. */
  protected checkWidth(inputShape: number[], given: number, what: string, kernelAxis: number): void {
    if (this.kernel) {
      if (this.kernel.isDisposed) throw new Error('the layer is disposed');
      const built = this.kernel.shape[kernelAxis];
      if (given !== built) throw new Error(`the input's ${what} is ${given} (shape [${inputShape}]) but the layer was built for ${built} (kernel [${this.kernel.shape}])`);
    } else if (given < 1) throw new Error(`the input's ${what} must be at least 1, got shape [${inputShape}]`);
  }

  protected call(x: Tensor): Tensor {
    if (x.dtype !== 'float32') throw new Error(`expected a float32 input, got ${describeValue(x)} (cast it with cast(x, 'float32'))`);
    this.build(x.shape);
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
  protected transform(x: Tensor, kernel: Variable): Tensor { return matmul(x, kernel); }
}

/** Keras' Conv2D on NHWC images: kernel [kh, kw, inChannels, filters], then bias and activation. */
export class Conv2D extends KernelLayer {
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;

  constructor(filters: number, kernelSize: number | [number, number], options?: Conv2DOptions) {
    super('Conv2D', options, ['strides', 'padding']);
    this.filters = inContext(this, () => positiveInteger('filters', filters));
    this.kernelSize = inContext(this, () => pair('kernelSize', kernelSize));
    this.strides = inContext(this, () => pair('strides', options?.strides ?? 1));
    this.padding = inContext(this, () => padding(options?.padding));
  }

  protected computeOutputShape(inputShape: number[]): number[] {
    if (inputShape.length !== 4) throw new Error(`expected an input of rank 4 [batch, height, width, channels], got shape [${inputShape}]`);
    this.checkWidth(inputShape, inputShape[3], 'channel count', 2);
    return [inputShape[0], ...spatialOutput(inputShape, this.kernelSize, this.strides, this.padding, 'kernel'), this.filters];
  }
  protected kernelShape(inputShape: number[]): number[] { return [...this.kernelSize, inputShape[3], this.filters]; }
  protected transform(x: Tensor, kernel: Variable): Tensor { return conv2d(x, kernel, this.strides, this.padding); }
}

function spatialOutput(inputShape: number[], window: [number, number], strides: [number, number], pad: Padding, what: string): [number, number] {
  const [, height, width] = inputShape;
  const out: [number, number] = [windowOutput(height, window[0], strides[0], pad), windowOutput(width, window[1], strides[1], pad)];
  if (pad === 'valid' && (height < window[0] || width < window[1]))
    throw new Error(`the input's ${height}x${width} image (shape [${inputShape}]) is smaller than the ${window[0]}x${window[1]} ${what} with padding 'valid'`);
  return out;
}

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
    if (inputShape.length !== 4) throw new Error(`expected an input of rank 4 [batch, height, width, channels], got shape [${inputShape}]`);
    return [inputShape[0], ...spatialOutput(inputShape, this.poolSize, this.strides, this.padding, 'pool window'), inputShape[3]];
  }

  protected call(x: Tensor): Tensor {
    if (x.dtype !== 'float32') throw new Error(`expected a float32 input, got ${describeValue(x)}`);
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

/** Keras' Flatten: [batch, ...] -> [batch, product of the rest] ([batch] -> [batch, 1]). */
export class Flatten extends Layer {
  constructor(options?: { name?: string }) {
    super(options?.name, 'Flatten');
    inContext(this, () => checkOptions(options, ['name']));
  }
  protected computeOutputShape(inputShape: number[]): number[] {
    if (inputShape.length < 1) throw new Error('expected an input with a batch dimension (rank >= 1), got a scalar');
    return [inputShape[0], inputShape.slice(1).reduce((p, d) => p * d, 1)];
  }
  protected call(x: Tensor): Tensor {
    return reshape(x, this.outputShape(x.shape));
  }
}

/**
 * Keras' Dropout (inverted dropout): with `training: true`, each value is zeroed with probability
 * `rate` and the kept ones are scaled by 1 / (1 - rate), so the expected output equals the input;
 * otherwise the identity. With a seed, the masks of successive calls are a reproducible sequence.
 */
export class Dropout extends Layer {
  readonly rate: number;
  readonly seed: number | undefined;
  #calls = 0;

  constructor(rate: number, options?: { seed?: number; name?: string }) {
    super(options?.name, 'Dropout');
    const o = inContext(this, () => checkOptions(options, ['seed', 'name']));
    this.rate = inContext(this, () => {
      if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new Error(`rate must be a number in [0, 1), got ${describeValue(rate)}`);
      return rate;
    });
    this.seed = inContext(this, () => checkSeed(o.seed));
  }

  protected call(x: Tensor, { training }: { training: boolean }): Tensor {
    if (x.dtype !== 'float32') throw new Error(`expected a float32 input, got ${describeValue(x)}`);
    if (!training || this.rate === 0) return x;
    const seed = this.seed === undefined ? randomSeed() : deriveSeed(this.seed, this.#calls++);
    const keep = cast(greaterEqual(randomUniform(x.shape, { seed }), this.rate), 'float32');
    return mul(x, mul(keep, 1 / (1 - this.rate)));
  }
}

/** Keras' Sequential: applies its layers in order. Variables are named by index: '0/kernel'. */
export class Sequential extends Layer {
  readonly layers: Layer[];
  /** the input shape (batch first) of the first apply or build, for summary() */
  #inputShape: number[] | undefined;

  constructor(layers: Layer[], options?: { name?: string }) {
    super(options?.name, 'Sequential');
    inContext(this, () => {
      checkOptions(options, ['name']);
      if (!Array.isArray(layers)) throw new Error(`expected an array of layers, got ${describeValue(layers)}`);
      layers.forEach((l, i) => { if (!(l instanceof Layer)) throw new Error(`layers[${i}] must be a Layer, got ${describeValue(l)}`); });
    });
    this.layers = [...layers];
  }

  namedChildren(): [string, unknown][] {
    return this.layers.map((layer, i) => [String(i), layer]);
  }

  build(inputShape: readonly number[]): void {
    inContext(this, () => {
      this.outputShape(inputShape); // validates the shape against every layer first
      let shape = [...inputShape];
      for (const layer of this.layers) {
        layer.build(shape);
        shape = layer.outputShape(shape);
      }
      this.#inputShape = [...inputShape];
    });
  }

  protected computeOutputShape(inputShape: number[]): number[] {
    return this.layers.reduce((shape, layer) => layer.outputShape(shape), inputShape);
  }

  protected call(x: Tensor, options: ApplyOptions): Tensor {
    let y = x;
    for (const layer of this.layers) y = layer.apply(y, options);
    this.#inputShape ??= x.shape;
    return y;
  }

  /**
   * A text table as Keras prints it: each layer's name and class, output shape (batch shown as None)
   * and parameter count, then the totals. Needs the input shape: call apply() or build() first.
   */
  summary(): string {
    return inContext(this, () => {
      if (!this.#inputShape) throw new Error('summary() needs the input shape: call apply(x) or build(inputShape) first');
      const show = (shape: number[]) => `(${['None', ...shape.slice(1)].join(', ')})`;
      const rows: string[][] = [['Layer (type)', 'Output Shape', 'Param #']];
      let shape = this.#inputShape;
      for (const layer of this.layers) {
        shape = layer.outputShape(shape);
        rows.push([`${layer.name} (${layer.kind})`, show(shape), String(layer.countParams())]);
      }
      const widths = [0, 1, 2].map(c => Math.max(...rows.map(r => r[c].length)) + 2);
      const line = (r: string[]) => r[0].padEnd(widths[0]) + r[1].padEnd(widths[1]) + r[2].padStart(widths[2] - 2);
      const rule = (ch: string) => ch.repeat(widths[0] + widths[1] + widths[2] - 2);
      const all = this.variables, trainable = all.filter(v => v.trainable);
      const count = (vs: Variable[]) => vs.reduce((n, v) => n + v.size, 0);
      return [
        `Model: "${this.name}"`, rule('_'), line(rows[0]), rule('='),
        ...rows.slice(1).flatMap((r, i) => i === 0 ? [line(r)] : [rule('_'), line(r)]), rule('='),
        `Total params: ${count(all)}`, `Trainable params: ${count(trainable)}`, `Non-trainable params: ${count(all) - count(trainable)}`, rule('_'),
      ].join('\n');
    });
  }
}
