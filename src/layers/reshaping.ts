// Keras' reshaping layers: Flatten, Reshape, Permute (batch axis untouched), and on NHWC images
// UpSampling2D, ZeroPadding2D, Cropping2D. No variables.
import { Tensor, reshape, transpose, broadcastTo, pad, slice, resize } from '../index.js';
import { Layer, describeValue, inContext } from './module.js';
import { checkFloat, checkImages, checkOptions, nonNegativeInteger, pair } from './util.js';

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

/** Keras' Reshape: [batch, ...] -> [batch, ...targetShape]; one entry of targetShape may be -1 (inferred). */
export class Reshape extends Layer {
  readonly targetShape: number[];
  constructor(targetShape: number[], options?: { name?: string }) {
    super(options?.name, 'Reshape');
    inContext(this, () => checkOptions(options, ['name']));
    this.targetShape = inContext(this, () => {
      if (!Array.isArray(targetShape) || targetShape.some(d => !Number.isInteger(d) || (d < 1 && d !== -1)) || targetShape.filter(d => d === -1).length > 1)
        throw new Error(`targetShape must be an array of positive integers (without the batch dimension) with at most one -1, got ${describeValue(targetShape)}`);
      return [...targetShape];
    });
  }
  protected computeOutputShape(inputShape: number[]): number[] {
    if (inputShape.length < 1) throw new Error('expected an input with a batch dimension (rank >= 1), got a scalar');
    const size = inputShape.slice(1).reduce((p, d) => p * d, 1);
    const known = this.targetShape.reduce((p, d) => d === -1 ? p : p * d, 1);
    const inferred = this.targetShape.includes(-1);
    if (inferred ? size % known !== 0 : size !== known)
      throw new Error(`cannot reshape an input of shape [${inputShape}] (${size} values per example) to targetShape [${this.targetShape}]${inferred ? ` (${size} is not a multiple of ${known})` : ` (${known} values)`}`);
    return [inputShape[0], ...this.targetShape.map(d => d === -1 ? size / known : d)];
  }
  protected call(x: Tensor): Tensor {
    return reshape(x, this.outputShape(x.shape));
  }
}

/** Keras' Permute: reorders the non-batch axes; `dims` is a permutation of 1..n (1-based, as Keras). */
export class Permute extends Layer {
  readonly dims: number[];
  constructor(dims: number[], options?: { name?: string }) {
    super(options?.name, 'Permute');
    inContext(this, () => checkOptions(options, ['name']));
    this.dims = inContext(this, () => {
      const ok = Array.isArray(dims) && dims.length > 0 && [...dims].sort((a, b) => a - b).every((d, i) => d === i + 1);
      if (!ok) throw new Error(`dims must be a permutation of 1..n (the axes after the batch axis, 1-based), got ${describeValue(dims)}`);
      return [...dims];
    });
  }
  protected computeOutputShape(inputShape: number[]): number[] {
    if (inputShape.length !== this.dims.length + 1)
      throw new Error(`expected an input of rank ${this.dims.length + 1} for dims [${this.dims}], got shape [${inputShape}]`);
    return [inputShape[0], ...this.dims.map(d => inputShape[d])];
  }
  protected call(x: Tensor): Tensor {
    this.outputShape(x.shape);
    return transpose(x, [0, ...this.dims]);
  }
}

/** Options of `UpSampling2D`: interpolation 'nearest' (default, Keras') or 'bilinear'. */
export interface UpSampling2DOptions {
  interpolation?: 'nearest' | 'bilinear';
  name?: string;
}

/**
 * Keras' UpSampling2D: repeats rows and columns `size` times ('nearest'), or interpolates
 * ('bilinear', as tf.image.resize: half-pixel centres). [b, h, w, c] -> [b, h·sh, w·sw, c].
 */
export class UpSampling2D extends Layer {
  readonly size: [number, number];
  readonly interpolation: 'nearest' | 'bilinear';
  constructor(size: number | [number, number] = 2, options?: UpSampling2DOptions) {
    super(options?.name, 'UpSampling2D');
    const o = inContext(this, () => checkOptions(options, ['interpolation', 'name']));
    this.size = inContext(this, () => pair('size', size));
    this.interpolation = inContext(this, () => {
      const v = o.interpolation ?? 'nearest';
      if (v !== 'nearest' && v !== 'bilinear') throw new Error(`interpolation must be 'nearest' or 'bilinear', got ${describeValue(v)}`);
      return v;
    });
  }
  protected computeOutputShape(inputShape: number[]): number[] {
    checkImages(inputShape);
    return [inputShape[0], inputShape[1] * this.size[0], inputShape[2] * this.size[1], inputShape[3]];
  }
  protected call(x: Tensor): Tensor {
    checkFloat(x);
    const [b, h, w, c] = x.shape, [sh, sw] = this.size;
    const out = this.outputShape(x.shape);
    // nearest: a broadcast repeats each pixel sh x sw times (Keras' ops.repeat; one op, no gathers)
    if (this.interpolation === 'nearest') return reshape(broadcastTo(reshape(x, [b, h, 1, w, 1, c]), [b, h, sh, w, sw, c]), out);
    return resize(x, [out[1], out[2]], { method: 'bilinear' }); // Keras' ops.image.resize
  }
}

/** Paddings or croppings: n, [rows, cols] (symmetric), or [[top, bottom], [left, right]] (Keras' forms). */
function fourSides(what: string, v: unknown): [[number, number], [number, number]] {
  const side = (x: unknown) => nonNegativeInteger(what, x);
  if (typeof v === 'number') { side(v); return [[v, v], [v, v]]; }
  if (Array.isArray(v) && v.length === 2) {
    const axis = (a: unknown): [number, number] => {
      if (typeof a === 'number') return [side(a), a];
      if (Array.isArray(a) && a.length === 2) return [side(a[0]), side(a[1])];
      throw new Error(`${what} must be n, [rows, cols] or [[top, bottom], [left, right]] of non-negative integers, got ${describeValue(v)}`);
    };
    return [axis(v[0]), axis(v[1])];
  }
  throw new Error(`${what} must be n, [rows, cols] or [[top, bottom], [left, right]] of non-negative integers, got ${describeValue(v)}`);
}

/** Keras' ZeroPadding2D: zeros around NHWC images (default 1 on every side). */
export class ZeroPadding2D extends Layer {
  readonly padding: [[number, number], [number, number]];
  constructor(padding: number | [number, number] | [[number, number], [number, number]] = 1, options?: { name?: string }) {
    super(options?.name, 'ZeroPadding2D');
    inContext(this, () => checkOptions(options, ['name']));
    this.padding = inContext(this, () => fourSides('padding', padding));
  }
  protected computeOutputShape(inputShape: number[]): number[] {
    checkImages(inputShape);
    const [[t, b], [l, r]] = this.padding;
    return [inputShape[0], inputShape[1] + t + b, inputShape[2] + l + r, inputShape[3]];
  }
  protected call(x: Tensor): Tensor {
    checkFloat(x);
    this.outputShape(x.shape);
    return pad(x, [[0, 0], this.padding[0], this.padding[1], [0, 0]]);
  }
}

/** Keras' Cropping2D: removes rows and columns at the edges of NHWC images (default none). */
export class Cropping2D extends Layer {
  readonly cropping: [[number, number], [number, number]];
  constructor(cropping: number | [number, number] | [[number, number], [number, number]] = 0, options?: { name?: string }) {
    super(options?.name, 'Cropping2D');
    inContext(this, () => checkOptions(options, ['name']));
    this.cropping = inContext(this, () => fourSides('cropping', cropping));
  }
  protected computeOutputShape(inputShape: number[]): number[] {
    checkImages(inputShape);
    const [[t, b], [l, r]] = this.cropping;
    if (t + b >= inputShape[1] || l + r >= inputShape[2])
      throw new Error(`cropping [[${t}, ${b}], [${l}, ${r}]] leaves nothing of the input's ${inputShape[1]}x${inputShape[2]} image (shape [${inputShape}]): each pair must sum to less than its side`);
    return [inputShape[0], inputShape[1] - t - b, inputShape[2] - l - r, inputShape[3]];
  }
  protected call(x: Tensor): Tensor {
    const out = this.outputShape(x.shape);
    return slice(x, [0, this.cropping[0][0], this.cropping[1][0], 0], out);
  }
}
