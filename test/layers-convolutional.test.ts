// Conv2DTranspose and DepthwiseConv2D (Keras 3's weight shapes, output sizes, defaults), and the
// fused bias + activation that Dense and Conv2D hand to matmul and conv2d: values and gradients
// against float64 references, and bad input.
import { describe, it, expect, vi, afterEach } from 'vitest';
import * as root from '../src/index.js';
import { ones, tidy } from '../src/index.js';
import { Conv2DTranspose, DepthwiseConv2D, Dense, Conv2D } from '../src/layers/index.js';
import { reference as ref } from './support/reference.js';
import { uniform } from './support/nd.js';
import { gradCheck, refConv2dTranspose, refDepthwiseConv2d, throws } from './layers-support.js';

afterEach(() => { vi.restoreAllMocks(); });

describe('Conv2DTranspose', () => {
  it("Keras 3's kernel [kh, kw, filters, inChannels], bias [filters], defaults strides 1, padding 'valid', glorotUniform", () => {
    const layer = new Conv2DTranspose(4, [3, 2], { name: 'up' });
    expect([layer.strides, layer.padding, layer.useBias, layer.kernelInitializer, layer.biasInitializer]).toEqual([[1, 1], 'valid', true, 'glorotUniform', 'zeros']);
    layer.build([2, 5, 5, 3]);
    expect(layer.variables.map(v => [v.name, v.shape])).toEqual([['up/kernel', [3, 2, 4, 3]], ['up/bias', [4]]]);
    expect(Object.keys(layer.weights())).toEqual(['kernel', 'bias']);
    expect(layer.countParams()).toBe(3 * 2 * 4 * 3 + 4);
    layer.dispose();
  });

  it("output sizes as Keras: in * stride with 'same', (in - 1) * stride + max(kernel, stride) with 'valid'", () => {
    const cases: [number, number, 'same' | 'valid', number][] = [[5, 2, 'same', 14], [3, 2, 'valid', 15], [5, 1, 'same', 7], [5, 1, 'valid', 11], [2, 3, 'valid', 21]];
    for (const [k, s, padding, want] of cases) {
      const layer = new Conv2DTranspose(1, k, { strides: s, padding });
      expect(layer.outputShape([1, 7, 7, 2]), `k ${k} s ${s} ${padding}`).toEqual([1, want, want, 1]);
    }
  });

  for (const [k, s, padding] of [[3, 1, 'valid'], [3, 2, 'same'], [[2, 3], [2, 1], 'valid'], [2, 3, 'valid'], [5, 2, 'same']] as const) {
    it(`kernel ${JSON.stringify(k)} strides ${JSON.stringify(s)} '${padding}': values and gradients w.r.t. input, kernel, bias (float64)`, () => {
      const layer = new Conv2DTranspose(2, k as number, { strides: s as number, padding, activation: 'tanh', biasInitializer: 'glorotUniform', seed: 3 });
      const shape = [2, 3, 4, 3];
      layer.build(shape);
      const [, oh, ow] = layer.outputShape(shape);
      const st: [number, number] = typeof s === 'number' ? [s, s] : [s[0], s[1]];
      gradCheck(layer, uniform(shape, -1, 1, 7), ([x, kernel, bias]) => ref.tanh(ref.add(refConv2dTranspose(x, kernel, [oh, ow], st, padding), bias)),
        `Conv2DTranspose ${JSON.stringify([k, s, padding])}`);
      layer.dispose();
    });
  }

  it('bad input: rank, channels after the build, options', () => {
    throws(() => new Conv2DTranspose(0, 3, { name: 'up' }), "Conv2DTranspose 'up': filters must be a positive integer, got 0");
    throws(() => new Conv2DTranspose(2, 3, { name: 'up', outputPadding: 1 } as object), /^Conv2DTranspose 'up': unknown option "outputPadding" \(expected strides, padding, activation/);
    throws(() => new Conv2DTranspose(2, 3, { name: 'up', padding: 'full' as 'same' }), `Conv2DTranspose 'up': padding must be 'same' or 'valid', got "full"`);
    const layer = new Conv2DTranspose(2, 3, { name: 'up', seed: 1 });
    const rank3 = ones([4, 4, 1]), x = ones([1, 4, 4, 1]), wide = ones([1, 4, 4, 3]);
    throws(() => layer.apply(rank3), "Conv2DTranspose 'up': expected an input of rank 4 [batch, height, width, channels], got shape [4,4,1]");
    expect(layer.variables).toEqual([]);
    tidy(() => layer.apply(x));
    throws(() => layer.apply(wide), "Conv2DTranspose 'up': the input's channel count is 3 (shape [1,4,4,3]) but the layer was built for 1 (kernel [3,3,2,1])");
    [rank3, x, wide].forEach(t => t.dispose());
    layer.dispose();
  });
});

describe('DepthwiseConv2D', () => {
  it("Keras 3's kernel [kh, kw, inChannels, depthMultiplier] (named kernel; depthwiseKernel is the same), bias [inChannels * depthMultiplier]", () => {
    const layer = new DepthwiseConv2D(3, { depthMultiplier: 2, name: 'dw' });
    expect([layer.strides, layer.padding, layer.depthMultiplier, layer.kernelInitializer]).toEqual([[1, 1], 'valid', 2, 'glorotUniform']);
    layer.build([1, 6, 6, 5]);
    expect(layer.variables.map(v => [v.name, v.shape])).toEqual([['dw/kernel', [3, 3, 5, 2]], ['dw/bias', [10]]]);
    expect(layer.depthwiseKernel).toBe(layer.kernel);
    expect(layer.outputShape([1, 6, 6, 5])).toEqual([1, 4, 4, 10]);
    expect(layer.countParams()).toBe(3 * 3 * 5 * 2 + 10);
    expect(new DepthwiseConv2D(3).depthMultiplier).toBe(1);
    layer.dispose();
  });

  for (const [k, s, padding, m] of [[3, 1, 'same', 1], [[2, 3], 2, 'valid', 3], [3, [1, 2], 'same', 2]] as const) {
    it(`kernel ${JSON.stringify(k)} strides ${JSON.stringify(s)} '${padding}' multiplier ${m}: values and gradients (float64)`, () => {
      const layer = new DepthwiseConv2D(k as number, { strides: s as number, padding, depthMultiplier: m, activation: 'sigmoid', depthwiseInitializer: 'heUniform', biasInitializer: 'glorotUniform', seed: 5 });
      const shape = [2, 5, 6, 3];
      layer.build(shape);
      const st: [number, number] = typeof s === 'number' ? [s, s] : [s[0], s[1]];
      gradCheck(layer, uniform(shape, -1, 1, 8), ([x, kernel, bias]) => ref.sigmoid(ref.add(refDepthwiseConv2d(x, kernel, st, padding), bias)),
        `DepthwiseConv2D ${JSON.stringify([k, s, padding, m])}`);
      layer.dispose();
    });
  }

  it('bad input: depthMultiplier, kernelInitializer under its Keras name, image too small', () => {
    throws(() => new DepthwiseConv2D(3, { name: 'dw', depthMultiplier: 0 }), "DepthwiseConv2D 'dw': depthMultiplier must be a positive integer, got 0");
    throws(() => new DepthwiseConv2D(3, { name: 'dw', kernelInitializer: 'zeros' } as object), /^DepthwiseConv2D 'dw': unknown option "kernelInitializer" \(expected strides, padding, depthMultiplier, activation, useBias, depthwiseInitializer/);
    throws(() => new DepthwiseConv2D(3, { name: 'dw', depthwiseInitializer: 'he' as 'zeros' }), /^DepthwiseConv2D 'dw': unknown depthwiseInitializer "he"/);
    const small = ones([1, 2, 5, 1]);
    throws(() => new DepthwiseConv2D(3, { name: 'dw' }).apply(small), "DepthwiseConv2D 'dw': the input's 2x5 image (shape [1,2,5,1]) is smaller than the 3x3 kernel with padding 'valid'");
    small.dispose();
  });
});

describe('Conv2D dilationRate (Keras\' dilation_rate)', () => {
  for (const [d, padding] of [[2, 'valid'], [[1, 3], 'same'], [[2, 2], 'same']] as const) {
    it(`dilationRate ${JSON.stringify(d)} '${padding}': output size from the dilated extent; values and gradients (float64)`, () => {
      const layer = new Conv2D(2, 3, { dilationRate: d as number, padding, activation: 'relu', biasInitializer: 'glorotUniform', seed: 6 });
      expect(new Conv2D(1, 3).dilationRate).toEqual([1, 1]);
      const shape = [2, 7, 8, 2];
      layer.build(shape);
      const [dh, dw] = typeof d === 'number' ? [d, d] : d;
      expect(layer.outputShape(shape)).toEqual(padding === 'same' ? [2, 7, 8, 2] : [2, 7 - 2 * dh, 8 - 2 * dw, 2]);
      gradCheck(layer, uniform(shape, -1, 1, 9), ([x, k, b]) => ref.relu(ref.add(ref.conv2d(x, k, 1, padding, [dh, dw]), b)), `Conv2D dilation ${JSON.stringify(d)}`);
      layer.dispose();
    });
  }

  it('bad input: strides with dilation, a dilated kernel larger than the image', () => {
    throws(() => new Conv2D(2, 3, { name: 'c', strides: 2, dilationRate: 2 }), "Conv2D 'c': strides > 1 cannot be combined with dilationRate > 1 (as in Keras), got strides [2,2] and dilationRate [2,2]");
    throws(() => new Conv2D(2, 3, { name: 'c', dilationRate: 0 }), "Conv2D 'c': dilationRate must be a positive integer, got 0");
    const x = ones([1, 4, 6, 1]);
    throws(() => new Conv2D(2, 3, { name: 'c', dilationRate: 2 }).apply(x), "Conv2D 'c': the input's 4x6 image (shape [1,4,6,1]) is smaller than the 5x5 kernel (3x3 dilated by [2,2]) with padding 'valid'");
    x.dispose();
  });
});

describe('fused bias + activation', () => {
  it('Dense and Conv2D hand bias and a fusable activation to matmul / conv2d; others are applied after', () => {
    const matmul = vi.spyOn(root, 'matmul'), conv2d = vi.spyOn(root, 'conv2d');
    const x = ones([2, 3]), img = ones([1, 4, 4, 2]);
    const run = (layer: Dense | Conv2D, input: root.Tensor) => { tidy(() => layer.apply(input)); layer.dispose(); };
    run(new Dense(2, { activation: 'relu', seed: 1 }), x);
    expect(matmul.mock.lastCall![4]).toEqual({ bias: expect.any(root.Tensor), activation: 'relu' });
    run(new Dense(2, { seed: 1 }), x); // no activation: the bias alone is fused ('linear')
    expect(matmul.mock.lastCall![4]).toMatchObject({ activation: 'linear' });
    run(new Dense(2, { activation: 'leakyRelu', useBias: false, seed: 1 }), x);
    expect(matmul.mock.lastCall![4]).toEqual({ bias: undefined, activation: 'leakyRelu' });
    run(new Dense(2, { activation: 'gelu', seed: 1 }), x);
    expect(matmul.mock.lastCall![4]).toBeUndefined();
    run(new Dense(2, { activation: t => root.square(t), seed: 1 }), x);
    expect(matmul.mock.lastCall![4]).toBeUndefined();
    run(new Conv2D(2, 3, { activation: 'elu', seed: 1 }), img);
    expect(conv2d.mock.lastCall![4]).toEqual({ bias: expect.any(root.Tensor), activation: 'elu' });
    run(new Conv2D(2, 3, { activation: 'softmax', seed: 1 }), img);
    expect(conv2d.mock.lastCall![4]).toBeUndefined();
    [x, img].forEach(t => t.dispose());
  });

  it("the fused path equals activation(x · kernel + bias) with Keras' leaky_relu slope 0.2 (float64)", () => {
    const layer = new Dense(3, { activation: 'leakyRelu', biasInitializer: 'glorotUniform', seed: 2 });
    layer.build([4, 5]);
    gradCheck(layer, uniform([4, 5], -1, 1, 3), ([x, k, b]) => ref.leakyRelu(ref.add(ref.matmul(x, k), b), 0.2), 'Dense leakyRelu');
    layer.dispose();
    const conv = new Conv2D(2, 2, { activation: 'relu6', biasInitializer: 'glorotUniform', seed: 4, padding: 'same' });
    conv.build([1, 3, 3, 2]);
    gradCheck(conv, uniform([1, 3, 3, 2], -3, 3, 5), ([x, k, b]) => ref.relu6(ref.add(ref.conv2d(x, k, 1, 'same'), b)), 'Conv2D relu6');
    conv.dispose();
  });
});
