// The layers without variables: reshaping (Reshape, Permute, UpSampling2D, ZeroPadding2D,
// Cropping2D), global pooling, the activation layers (Activation, ReLU, LeakyReLU, Softmax) and the
// merging layers (Concatenate, Add, Multiply, Average). Values and gradients against float64
// references or hand computation; Keras' defaults; bad input.
import { describe, it, expect } from 'vitest';
import { tensor, ones, tidy, Tensor } from '../src/index.js';
import {
  Reshape, Permute, UpSampling2D, ZeroPadding2D, Cropping2D, GlobalAveragePooling2D, GlobalMaxPooling2D,
  Activation, ReLU, LeakyReLU, Softmax, Concatenate, Add, Multiply, Average, Sequential, Flatten,
} from '../src/layers/index.js';
import { reference as ref } from './support/reference.js';
import { type ND, uniform, sizeOf } from './support/nd.js';
import { f32, gradCheck, refResizeBilinear, throws } from './layers-support.js';

/** out[b, y, x, c] = x[b, src(y, x), c] for an index map on NHWC images, float64. */
function remap(x: ND, shape: number[], source: (y: number, xx: number) => [number, number] | null): ND {
  const [b, h, w, c] = shape, data = new Float64Array(sizeOf(shape));
  for (let n = 0; n < b; n++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) {
    const s = source(y, xx);
    for (let k = 0; k < c; k++) data[((n * h + y) * w + xx) * c + k] = s ? x.data[((n * x.shape[1] + s[0]) * x.shape[2] + s[1]) * c + k] : 0;
  }
  return { shape, data };
}

describe('reshaping', () => {
  it('Reshape: [batch, ...] to [batch, ...targetShape] with one -1 inferred; values and gradient', () => {
    const layer = new Reshape([3, -1]);
    expect(layer.outputShape([2, 12])).toEqual([2, 3, 4]);
    expect(layer.outputShape([5, 2, 3, 2])).toEqual([5, 3, 4]);
    gradCheck(layer, uniform([2, 4, 3], -1, 1, 1), ([x]) => ref.reshape(x, [2, 3, 4]), 'Reshape');
  });

  it('Permute: 1-based dims over the non-batch axes; values and gradient', () => {
    const layer = new Permute([3, 1, 2]);
    expect(layer.outputShape([2, 3, 4, 5])).toEqual([2, 5, 3, 4]);
    gradCheck(layer, uniform([2, 3, 4, 5], -1, 1, 2), ([x]) => ref.transpose(x, [0, 3, 1, 2]), 'Permute');
  });

  it("UpSampling2D 'nearest' (Keras' default, size 2) repeats each pixel (hand-checked)", () => {
    const layer = new UpSampling2D();
    expect([layer.size, layer.interpolation]).toEqual([[2, 2], 'nearest']);
    const x = tensor([[[[1], [2]], [[3], [4]]]]);
    const y = layer.apply(x);
    expect(y.toArray()).toEqual([[[[1], [1], [2], [2]], [[1], [1], [2], [2]], [[3], [3], [4], [4]], [[3], [3], [4], [4]]]]);
    [x, y].forEach(t => t.dispose());
    const wide = new UpSampling2D([2, 3]);
    gradCheck(wide, uniform([2, 2, 3, 2], -1, 1, 3), ([v]) => remap(v, [2, 4, 9, 2], (r, c) => [Math.floor(r / 2), Math.floor(c / 3)]), 'UpSampling2D nearest [2, 3]');
  });

  for (const size of [2, [3, 2]] as const) {
    it(`UpSampling2D 'bilinear' size ${JSON.stringify(size)} equals tf.image.resize (half-pixel centres): values and gradient`, () => {
      const layer = new UpSampling2D(size as number, { interpolation: 'bilinear' });
      const [sh, sw] = typeof size === 'number' ? [size, size] : size;
      gradCheck(layer, uniform([2, 3, 4, 2], -1, 1, 4), ([v]) => refResizeBilinear(v, 3 * sh, 4 * sw), `UpSampling2D bilinear ${size}`);
    });
  }

  it("ZeroPadding2D: Keras' three forms (default 1 on every side); values and gradient", () => {
    const x = tensor([[[[5]]]]);
    const y = new ZeroPadding2D().apply(x);
    expect(y.toArray()).toEqual([[[[0], [0], [0]], [[0], [5], [0]], [[0], [0], [0]]]]);
    [x, y].forEach(t => t.dispose());
    expect(new ZeroPadding2D(2).padding).toEqual([[2, 2], [2, 2]]);
    expect(new ZeroPadding2D([1, 3]).padding).toEqual([[1, 1], [3, 3]]);
    const layer = new ZeroPadding2D([[0, 1], [2, 3]]);
    expect(layer.outputShape([1, 4, 4, 2])).toEqual([1, 5, 9, 2]);
    gradCheck(layer, uniform([2, 3, 2, 2], -1, 1, 5), ([v]) => remap(v, [2, 4, 7, 2], (r, c) => (r < 3 && c >= 2 && c < 4 ? [r, c - 2] : null)), 'ZeroPadding2D');
  });

  it('Cropping2D: removes the given rows and columns (default none); values and gradient', () => {
    expect(new Cropping2D().cropping).toEqual([[0, 0], [0, 0]]);
    const layer = new Cropping2D([[1, 0], [2, 1]]);
    expect(layer.outputShape([1, 5, 6, 3])).toEqual([1, 4, 3, 3]);
    gradCheck(layer, uniform([2, 4, 5, 2], -1, 1, 6), ([v]) => remap(v, [2, 3, 2, 2], (r, c) => [r + 1, c + 2]), 'Cropping2D');
  });

  it('bad input', () => {
    throws(() => new Reshape([2, -1, -1], { name: 'r' }), "Reshape 'r': targetShape must be an array of positive integers (without the batch dimension) with at most one -1, got [2, -1, -1]");
    throws(() => new Reshape([0], { name: 'r' }), "Reshape 'r': targetShape must be an array of positive integers (without the batch dimension) with at most one -1, got [0]");
    const x = ones([2, 12]), img = ones([1, 3, 3, 2]), rank3 = ones([3, 3, 2]);
    throws(() => new Reshape([5], { name: 'r' }).apply(x), "Reshape 'r': cannot reshape an input of shape [2,12] (12 values per example) to targetShape [5] (5 values)");
    throws(() => new Reshape([5, -1], { name: 'r' }).apply(x), "Reshape 'r': cannot reshape an input of shape [2,12] (12 values per example) to targetShape [5,-1] (12 is not a multiple of 5)");
    throws(() => new Permute([0, 1], { name: 'p' }), "Permute 'p': dims must be a permutation of 1..n (the axes after the batch axis, 1-based), got [0, 1]");
    throws(() => new Permute([2, 1, 3], { name: 'p' }).apply(x), "Permute 'p': expected an input of rank 4 for dims [2,1,3], got shape [2,12]");
    throws(() => new UpSampling2D(2, { name: 'u', interpolation: 'bicubic' as 'nearest' }), `UpSampling2D 'u': interpolation must be 'nearest' or 'bilinear', got "bicubic"`);
    throws(() => new UpSampling2D(0, { name: 'u' }), "UpSampling2D 'u': size must be a positive integer, got 0");
    throws(() => new UpSampling2D(2, { name: 'u' }).apply(rank3), "UpSampling2D 'u': expected an input of rank 4 [batch, height, width, channels], got shape [3,3,2]");
    throws(() => new ZeroPadding2D(-1, { name: 'z' }), "ZeroPadding2D 'z': padding must be a non-negative integer, got -1");
    throws(() => new ZeroPadding2D([1, 2, 3] as unknown as number, { name: 'z' }), "ZeroPadding2D 'z': padding must be n, [rows, cols] or [[top, bottom], [left, right]] of non-negative integers, got [1, 2, 3]");
    expect(tidy(() => new Cropping2D([[1, 1], [1, 1]]).apply(img).shape)).toEqual([1, 1, 1, 2]);
    throws(() => new Cropping2D([[2, 1], [0, 0]], { name: 'c' }).apply(img), "Cropping2D 'c': cropping [[2, 1], [0, 0]] leaves nothing of the input's 3x3 image (shape [1,3,3,2]): each pair must sum to less than its side");
    [x, img, rank3].forEach(t => t.dispose());
  });
});

describe('global pooling', () => {
  for (const [Pool, reduce] of [[GlobalAveragePooling2D, ref.mean], [GlobalMaxPooling2D, ref.max]] as const) {
    it(`${Pool.name}: over height and width, keepdims as Keras; values and gradient`, () => {
      const layer = new Pool();
      expect(layer.keepdims).toBe(false);
      expect(layer.outputShape([2, 5, 4, 3])).toEqual([2, 3]);
      gradCheck(layer, uniform([2, 3, 4, 3], -1, 1, 7), ([x]) => reduce(x, [1, 2]), `${Pool.name}`);
      const kept = new Pool({ keepdims: true });
      expect(kept.outputShape([2, 5, 4, 3])).toEqual([2, 1, 1, 3]);
      gradCheck(kept, uniform([2, 3, 4, 3], -1, 1, 8), ([x]) => reduce(x, [1, 2], true), `${Pool.name} keepdims`);
    });
  }

  it('bad input', () => {
    throws(() => new GlobalMaxPooling2D({ name: 'g', keepdims: 1 as unknown as boolean }), "GlobalMaxPooling2D 'g': keepdims must be a boolean, got 1");
    throws(() => new GlobalAveragePooling2D({ name: 'g', dataFormat: 'x' } as object), `GlobalAveragePooling2D 'g': unknown option "dataFormat" (expected keepdims, name)`);
    const x = ones([2, 3]);
    throws(() => new GlobalAveragePooling2D({ name: 'g' }).apply(x), "GlobalAveragePooling2D 'g': expected an input of rank 4 [batch, height, width, channels], got shape [2,3]");
    x.dispose();
  });
});

describe('activation layers', () => {
  const xs = uniform([3, 8], -8, 8, 9); // spans ReLU's thresholds and caps below

  it('Activation applies a named activation or a function', () => {
    gradCheck(new Activation('selu'), xs, ([x]) => ref.selu(x), 'Activation selu');
    gradCheck(new Activation(t => t.mul(t)), xs, ([x]) => ref.square(x), 'Activation function');
  });

  it("ReLU: plain by default; maxValue, negativeSlope and threshold as Keras' relu", () => {
    const keras = (v: number, slope: number, max: number | undefined, t: number) => v > t ? Math.min(v, max ?? Infinity) : slope * (v - t);
    const cases = [{}, { maxValue: 6 }, { maxValue: 2.5 }, { negativeSlope: 0.1 }, { threshold: 1 }, { maxValue: 4, negativeSlope: 0.2, threshold: 0.5 }];
    for (const o of cases) {
      const want = (x: ND): ND => ({ shape: x.shape, data: x.data.map(v => keras(v, (o as { negativeSlope?: number }).negativeSlope ?? 0, (o as { maxValue?: number }).maxValue, (o as { threshold?: number }).threshold ?? 0)) });
      gradCheck(new ReLU(o), xs, ([x]) => want(x), `ReLU ${JSON.stringify(o)}`);
    }
  });

  it("LeakyReLU's default slope is Keras' 0.3 (the activation 'leakyRelu' uses 0.2)", () => {
    const layer = new LeakyReLU();
    expect(layer.negativeSlope).toBe(0.3);
    const x = tensor([[-1, 2]]), y = layer.apply(x);
    expect(f32(y)).toEqual([Math.fround(-0.3), 2]);
    [x, y].forEach(t => t.dispose());
    gradCheck(new LeakyReLU({ negativeSlope: 0.05 }), xs, ([v]) => ref.leakyRelu(v, 0.05), 'LeakyReLU 0.05');
  });

  it('Softmax over the last axis by default, or any axis', () => {
    gradCheck(new Softmax(), uniform([2, 3, 4], -2, 2, 10), ([x]) => ref.softmax(x, -1), 'Softmax');
    gradCheck(new Softmax(1), uniform([2, 3, 4], -2, 2, 11), ([x]) => ref.softmax(x, 1), 'Softmax axis 1');
  });

  it('bad input', () => {
    throws(() => new Activation('swishy' as 'swish', { name: 'a' }), /^Activation 'a': unknown activation "swishy" \(expected one of 'linear'/);
    throws(() => new ReLU({ name: 'r', maxValue: -1 }), "ReLU 'r': maxValue must be a number >= 0, got -1");
    throws(() => new ReLU({ name: 'r', threshold: NaN }), "ReLU 'r': threshold must be a number >= 0, got NaN");
    throws(() => new LeakyReLU({ name: 'l', alpha: 0.1 } as object), `LeakyReLU 'l': unknown option "alpha" (expected negativeSlope, name)`);
    throws(() => new LeakyReLU({ name: 'l', negativeSlope: -0.1 }), "LeakyReLU 'l': negativeSlope must be a number >= 0, got -0.1");
    const x = ones([2, 3]), ints = tensor([1, 2], undefined, 'int32');
    throws(() => new Softmax(2, { name: 's' }).apply(x), "Softmax 's': axis 2 is out of range for an input of rank 2 (shape [2,3]): expected -2 to 1");
    throws(() => new Activation('relu', { name: 'a' }).apply(ints), "Activation 'a': expected a float32 input, got a int32 tensor of shape [2] (cast it with cast(x, 'float32'))");
    [x, ints].forEach(t => t.dispose());
  });
});

describe('merging layers', () => {
  const a = uniform([2, 3, 4], -1, 1, 12), b = uniform([2, 3, 4], -1, 1, 13), c = uniform([2, 3, 4], -1, 1, 14);

  it('Add, Multiply, Average of three inputs: values and gradients w.r.t. each', () => {
    gradCheck(new Add(), [a, b, c], ([x, y, z]) => ref.add(ref.add(x, y), z), 'Add');
    gradCheck(new Multiply(), [a, b, c], ([x, y, z]) => ref.mul(ref.mul(x, y), z), 'Multiply');
    gradCheck(new Average(), [a, b, c], ([x, y, z]) => ref.div(ref.add(ref.add(x, y), z), 3), 'Average');
  });

  it("broadcast as Keras: a lower-rank input gains axes after the batch axis; size-1 axes stretch", () => {
    const add = new Add();
    expect(add.outputShape([[2, 3, 4], [2, 4]])).toEqual([2, 3, 4]);
    expect(add.outputShape([[2, 1, 4], [2, 3, 1]])).toEqual([2, 3, 4]);
    const low = uniform([2, 4], -1, 1, 15);
    gradCheck(add, [a, low], ([x, y]) => ref.add(x, ref.reshape(y, [2, 1, 4])), 'Add broadcast');
    // [2, 3] against [2, 3, 4] would not broadcast right-aligned; Keras' rule makes it [2, 1, 3] vs [2, 3, 4]: still not
    expect(() => add.outputShape([[2, 3, 4], [2, 3]])).toThrow(/do not broadcast/);
  });

  it('Concatenate along the last axis (default) or any axis: values and gradients', () => {
    expect(new Concatenate().axis).toBe(-1);
    gradCheck(new Concatenate(), [a, uniform([2, 3, 2], -1, 1, 16)], ([x, y]) => ref.concat([x, y], -1), 'Concatenate -1');
    gradCheck(new Concatenate(1), [a, b, uniform([2, 1, 4], -1, 1, 17)], ([x, y, z]) => ref.concat([x, y, z], 1), 'Concatenate 1');
  });

  it('bad input', () => {
    const x = ones([2, 3]), y = ones([3, 3]), z = ones([2, 4]), r3 = ones([2, 3, 1]), ints = tensor([[1, 2, 3], [4, 5, 6]], undefined, 'int32');
    throws(() => new Add({ name: 'add' }).apply(x as unknown as Tensor[]), "Add 'add': apply: expected an array of tensors [a, b, ...], got a float32 tensor of shape [2,3]");
    throws(() => new Add({ name: 'add' }).apply([]), "Add 'add': apply: expected an array of tensors [a, b, ...], got []");
    throws(() => new Add({ name: 'add' }).apply([x, 3 as unknown as Tensor]), "Add 'add': apply: inputs[1] must be a Tensor, got 3");
    throws(() => new Add({ name: 'add' }).apply([x, ints]), "Add 'add': expected a float32 input, got a int32 tensor of shape [2,3] (cast it with cast(x, 'float32'))");
    throws(() => new Multiply({ name: 'mul' }).apply([x, y]), "Multiply 'mul': the inputs' batch sizes differ: shapes [2,3], [3,3]");
    throws(() => new Average({ name: 'avg' }).apply([x, z]), "Average 'avg': the inputs' shapes do not broadcast: [2,3], [2,4]");
    throws(() => new Concatenate(-1, { name: 'cat' }).apply([x, r3]), "Concatenate 'cat': the inputs must have the same rank, got shapes [2,3], [2,3,1]");
    throws(() => new Concatenate(0, { name: 'cat' }).apply([x, z]), "Concatenate 'cat': the inputs' shapes must agree except on axis 0, got [2,3], [2,4]");
    throws(() => new Concatenate(2, { name: 'cat' }).apply([x, z]), "Concatenate 'cat': axis 2 is out of range for an input of rank 2 (shape [2,3]): expected -2 to 1");
    throws(() => new Concatenate(1, { name: 'cat' }).outputShape([[2, 3], 5] as unknown as number[][]), "Concatenate 'cat': expected an array of input shapes (one per input), got [[2, 3], 5]");
    // a merging layer takes a list, so it cannot sit in a Sequential (which passes one tensor)
    const model = new Sequential([new Flatten(), new Add({ name: 'add' }) as never], { name: 'm' });
    throws(() => tidy(() => model.apply(x)), "Sequential 'm' > Add 'add': apply: expected an array of tensors [a, b, ...], got a float32 tensor of shape [2,3]");
    [x, y, z, r3, ints].forEach(t => t.dispose());
  });
});
