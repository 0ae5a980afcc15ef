// gradtape/layers: gradients of every layer against finite differences of a float64 reference,
// variable collection, weights() round trips, summary(), Dropout, the lazy build, initializers and
// every kind of bad input.
import { describe, it, expect } from 'vitest';
import {
  tape, tensor, tidy, memory, Tensor, Variable, variable, zeros, ones, randomNormal, mul, sum, mean, square, sub, adam, sgd,
  saveSafetensors, loadSafetensors, sparseSoftmaxCrossEntropy,
} from '../src/index.js';
import {
  Module, Layer, LayerError, Dense, Conv2D, MaxPool2D, AvgPool2D, Flatten, Dropout, Sequential, initialize, fans, activationFunction,
  type ActivationName,
} from '../src/layers/index.js';
import { deriveSeed } from '../src/layers/initializers.js';
import { reference as ref } from './support/reference.js';
import { type ND, uniform } from './support/nd.js';
import { numericGrad, expectClose } from './support/gradcheck.js';

const T = (x: ND) => tensor(Float32Array.from(x.data), x.shape);
const ND = (t: Tensor): ND => ({ shape: t.shape, data: Float64Array.from(t.data() as Float32Array) });
const f32 = (t: Tensor) => Array.from(t.data() as Float32Array);

/**
 * Checks d sum(u * layer(x)) / d [x, ...trainableVariables] from the tape against central differences
 * of `reference(x, ...variables)` in float64. The layer must be built already.
 */
function gradCheck(layer: Layer, x: ND, reference: (inputs: ND[]) => ND, label: string, tol = { rtol: 5e-3, atol: 5e-4 }) {
  const vars = layer.trainableVariables;
  const xt = T(x);
  const forward = layer.apply(xt);
  const u = uniform(forward.shape, -1, 1, 99);
  const ut = T(u);
  // the forward value itself matches the reference
  expectClose(forward.data() as Float32Array, reference([x, ...vars.map(ND)]).data, tol, `${label} forward`);
  const t = tape(tp => { tp.watch(xt); return sum(mul(layer.apply(xt), ut)); });
  const grads = t.gradient(t.result, [xt, ...vars]) as Tensor[];
  const want = numericGrad(reference, [x, ...vars.map(ND)], u);
  grads.forEach((g, i) => expectClose(g.data() as Float32Array, want[i].data, tol, `${label} d/d${i === 0 ? 'input' : vars[i - 1].name}`));
  t.dispose();
  [xt, ut, forward].forEach(v => v.dispose());
}

const unary = (f: (v: number) => number) => (x: ND): ND => ({ shape: x.shape, data: x.data.map(f) });
const hardSigmoid = (v: number) => Math.min(Math.max(v + 3, 0), 6) / 6; // Keras 3: relu6(x + 3) / 6
const softplus = (v: number) => Math.log1p(Math.exp(v));
// Keras 3's activations (keras/src/activations/activations.py), in float64
const refActivation: Record<ActivationName, (x: ND) => ND> = {
  linear: x => x, relu: ref.relu, sigmoid: ref.sigmoid, tanh: ref.tanh, softmax: x => ref.softmax(x, -1), gelu: ref.gelu, silu: ref.silu,
  leakyRelu: x => ref.leakyRelu(x, 0.2), relu6: ref.relu6, elu: ref.elu, selu: ref.selu, softplus: ref.softplus, swish: ref.silu,
  celu: unary(v => Math.max(0, v) + Math.min(0, Math.expm1(v))), softsign: unary(v => v / (Math.abs(v) + 1)),
  mish: unary(v => v * Math.tanh(softplus(v))), exponential: ref.exp, hardSigmoid: unary(hardSigmoid),
  hardSilu: unary(v => v * hardSigmoid(v)), hardSwish: unary(v => v * hardSigmoid(v)), hardTanh: unary(v => Math.min(Math.max(v, -1), 1)),
  logSigmoid: unary(v => -softplus(-v)), logSoftmax: x => ref.logSoftmax(x, -1), tanhShrink: unary(v => v - Math.tanh(v)),
  squareplus: unary(v => (v + Math.sqrt(v * v + 4)) / 2),
};
const refDense = (act: ActivationName, bias = true) => ([x, k, b]: ND[]) => {
  const flat = ref.reshape(x, [-1, x.shape[x.shape.length - 1]]);
  const y = ref.matmul(flat, k);
  return refActivation[act](ref.reshape(bias ? ref.add(y, b) : y, [...x.shape.slice(0, -1), k.shape[1]]));
};

describe('gradients (finite differences of a float64 reference)', () => {
  for (const act of Object.keys(refActivation) as ActivationName[]) {
    it(`Dense with activation '${act}' w.r.t. input, kernel and bias`, () => {
      const layer = new Dense(3, { activation: act, seed: 5, biasInitializer: 'glorotUniform' });
      layer.build([4, 5]);
      gradCheck(layer, uniform([4, 5], -1, 1, 1), refDense(act), `Dense ${act}`);
      layer.dispose();
    });
  }

  it('Dense on a rank-3 input and without bias', () => {
    const layer = new Dense(2, { useBias: false, seed: 1 });
    layer.build([2, 3, 4]);
    expect(layer.variables.map(v => v.shape)).toEqual([[4, 2]]);
    gradCheck(layer, uniform([2, 3, 4], -1, 1, 2), refDense('linear', false), 'Dense rank 3');
    layer.dispose();
  });

  it('Dense with a function activation', () => {
    const layer = new Dense(2, { activation: x => square(x), seed: 3 });
    layer.build([3, 2]);
    gradCheck(layer, uniform([3, 2], -1, 1, 3), ([x, k, b]) => ref.square(ref.add(ref.matmul(x, k), b)), 'Dense square');
    layer.dispose();
  });

  for (const [padding, strides] of [['valid', 1], ['same', 2], ['same', [1, 2]]] as const) {
    it(`Conv2D padding '${padding}' strides ${JSON.stringify(strides)} w.r.t. input, kernel and bias`, () => {
      const layer = new Conv2D(3, [3, 2], { padding, strides: strides as number | [number, number], activation: 'tanh', seed: 4, biasInitializer: 'heUniform' });
      layer.build([2, 5, 6, 2]);
      expect(layer.kernel!.shape).toEqual([3, 2, 2, 3]);
      gradCheck(layer, uniform([2, 5, 6, 2], -1, 1, 4),
        ([x, k, b]) => ref.tanh(ref.add(ref.conv2d(x, k, strides, padding), b)), `Conv2D ${padding}`);
      layer.dispose();
    });
  }

  for (const [Pool, kind] of [[MaxPool2D, 'maxPool'], [AvgPool2D, 'avgPool']] as const) {
    it(`${kind} layers w.r.t. the input (default and explicit strides, both paddings)`, () => {
      const x = uniform([2, 5, 5, 3], -1, 1, 5);
      for (const [size, options] of [[2, {}], [3, { strides: 1, padding: 'same' }], [[2, 3], { strides: [2, 1], padding: 'valid' }]] as const) {
        const layer = new Pool(size as number, options as object);
        gradCheck(layer, x, ([v]) => ref[kind](v, size, (options as { strides?: number }).strides ?? size, (options as { padding?: 'same' }).padding ?? 'valid'),
          `${kind} ${JSON.stringify(size)} ${JSON.stringify(options)}`);
      }
    });
  }

  it('Flatten w.r.t. the input', () => {
    gradCheck(new Flatten(), uniform([2, 3, 2, 2], -1, 1, 6), ([x]) => ref.reshape(x, [2, 12]), 'Flatten');
    expect(new Flatten().outputShape([7])).toEqual([7, 1]);
  });

  it('a Sequential CNN w.r.t. the input and all six variables', () => {
    const model = new Sequential([
      new Conv2D(2, 3, { padding: 'same', activation: 'silu', seed: 1 }), new AvgPool2D(2), new Flatten(),
      new Dense(3, { activation: 'softmax', seed: 2, biasInitializer: 'glorotNormal' }),
    ]);
    model.build([2, 4, 4, 1]);
    expect(model.trainableVariables.length).toBe(4);
    gradCheck(model, uniform([2, 4, 4, 1], -1, 1, 7), ([x, k1, b1, k2, b2]) => {
      const h = ref.avgPool(ref.silu(ref.add(ref.conv2d(x, k1, 1, 'same'), b1)), 2, 2, 'valid');
      return ref.softmax(ref.add(ref.matmul(ref.reshape(h, [2, 8]), k2), b2), -1);
    }, 'Sequential CNN');
    model.dispose();
  });

  it('Dropout in training: the gradient w.r.t. the input is the mask times 1/(1-rate)', () => {
    const layer = new Dropout(0.4, { seed: 11 });
    const x = T(uniform([50, 20], 0.5, 1.5, 8));
    const t = tape(tp => { tp.watch(x); return layer.apply(x, { training: true }); });
    const g = t.gradient(t.result, x)!;
    const xs = f32(x), ys = f32(t.result), gs = f32(g);
    // the output tells which values were kept; the gradient must be 1/(1-rate) exactly there
    ys.forEach((y, i) => expect(gs[i]).toBeCloseTo(y === 0 ? 0 : 1 / 0.6, 5));
    ys.forEach((y, i) => { if (y !== 0) expect(y).toBeCloseTo(xs[i] / 0.6, 5); });
    t.dispose(); x.dispose(); g.dispose();
  });
});

describe('Module: collection', () => {
  class Block extends Module {
    inner = new Dense(2, { seed: 1, name: 'inner' });
    scale = variable(tensor([1, 2]), { name: 'scale' });
  }
  class Net extends Module {
    first = variable(tensor(1), { name: 'first' });
    count = 3; // not a variable: skipped
    encoder = new Block(undefined, 'Block');
    list: unknown[] = [variable(tensor(2), { name: 'listed' }), { deep: variable(tensor(3), { name: 'deep', trainable: false }) }];
    frozen = variable(tensor(4), { name: 'frozen', trainable: false });
    constant = tensor(5); // a plain tensor is not a variable
    again: Variable;
    parent?: Net;
    constructor() {
      super('net');
      this.again = this.first; // the same variable twice: collected once, at its first path
      this.encoder.inner.build([1, 3]);
      (this.encoder as unknown as { back: Net }).back = this; // a cycle is walked once
    }
  }

  it('variables are depth-first in property order, each once; trainableVariables filters', () => {
    const net = new Net();
    expect(net.variables.map(v => v.name)).toEqual(['first', 'inner/kernel', 'inner/bias', 'scale', 'listed', 'deep', 'frozen']);
    expect(net.trainableVariables.map(v => v.name)).toEqual(['first', 'inner/kernel', 'inner/bias', 'scale', 'listed']);
    expect(net.submodules).toEqual([net.encoder, net.encoder.inner]);
    expect(Object.keys(net.weights())).toEqual(['first', 'encoder/inner/kernel', 'encoder/inner/bias', 'encoder/scale', 'list/0', 'list/1/deep', 'frozen']);
    expect(net.weights()['encoder/inner/kernel']).toBe(net.encoder.inner.kernel);
    const before = memory().tensors;
    net.dispose();
    expect(memory().tensors).toBe(before - 7);
    expect(net.variables).toEqual([]);
    net.constant.dispose();
  });

  it('Sequential names its layers by index; nested modules by property', () => {
    class Model extends Module {
      encoder = new Sequential([new Dense(3, { seed: 1 }), new Dropout(0.5), new Dense(2, { seed: 2, useBias: false })]);
      head = { dense: new Dense(1, { seed: 3 }) };
    }
    const m = new Model();
    tidy(() => m.head.dense.apply(m.encoder.apply(ones([1, 4]))));
    expect(Object.keys(m.weights())).toEqual(['encoder/0/kernel', 'encoder/0/bias', 'encoder/2/kernel', 'head/dense/kernel', 'head/dense/bias']);
    expect(m.submodules.map(s => s.kind)).toEqual(['Sequential', 'Dense', 'Dropout', 'Dense', 'Dense']);
    m.dispose();
  });

  it('variables are shared with the root: instanceof, optimizers and tapes take them as they are', () => {
    const layer = new Dense(1, { seed: 2 });
    const x = tensor([[1, 2], [3, 4]]), y = tensor([[1], [2]]);
    layer.build(x.shape);
    expect(layer.kernel).toBeInstanceOf(Variable);
    expect(layer.kernel).toBeInstanceOf(Tensor);
    const opt = sgd(0.05);
    const first = opt.minimize(() => mean(square(sub(layer.apply(x), y))), layer.trainableVariables);
    let last = first;
    for (let i = 0; i < 200; i++) last = opt.minimize(() => mean(square(sub(layer.apply(x), y))));
    expect(last).toBeLessThan(first * 1e-2);
    opt.dispose(); layer.dispose(); x.dispose(); y.dispose();
  });
});

describe('weights() and loadWeights()', () => {
  const makeModel = (seed: number) => new Sequential([
    new Conv2D(2, 2, { seed, activation: 'relu' }), new MaxPool2D(), new Flatten(), new Dense(3, { seed: seed + 1 }),
  ], { name: 'model' });

  it('a safetensors round trip restores the same values and outputs', () => {
    const a = makeModel(1), b = makeModel(2);
    a.build([1, 5, 5, 1]); b.build([1, 5, 5, 1]);
    const x = randomNormal([2, 5, 5, 1], { seed: 3 });
    const ya = a.apply(x), yb0 = b.apply(x);
    expect(f32(ya)).not.toEqual(f32(yb0)); // different seeds, different weights
    const bytes = saveSafetensors(a.weights());
    const loaded = loadSafetensors(bytes);
    expect(Object.keys(loaded).sort()).toEqual(['0/bias', '0/kernel', '3/bias', '3/kernel']);
    b.loadWeights(loaded);
    for (const [k, v] of Object.entries(a.weights())) expect(f32(b.weights()[k])).toEqual(f32(v));
    const yb = b.apply(x);
    expect(f32(yb)).toEqual(f32(ya));
    [x, ya, yb0, yb, ...Object.values(loaded)].forEach(t => t.dispose());
    a.dispose(); b.dispose();
  });

  it('loadWeights checks every name, shape and dtype first, then assigns nothing on failure', () => {
    const m = makeModel(4);
    m.build([1, 5, 5, 1]);
    const good = tidy(() => Object.fromEntries(Object.entries(m.weights()).map(([k, v]) => [k, mul(v, 2)])));
    const snapshot = () => Object.values(m.weights()).map(f32);
    const original = snapshot();
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ ...good, '3/bias': undefined }, /"3\/bias" must be a tensor, got undefined/],
      [Object.fromEntries(Object.entries(good).filter(([k]) => k !== '0/bias')), /missing "0\/bias"/],
      [{ ...good, '9/kernel': good['0/bias'] }, /unexpected "9\/kernel"/],
      [{ ...good, '3/kernel': zeros([3, 8]) }, /"3\/kernel" must be a float32 tensor of shape \[8,3\], got a float32 tensor of shape \[3,8\]/],
      [{ ...good, '0/bias': tensor([1, 2], undefined, 'int32') }, /"0\/bias" must be a float32 tensor of shape \[2\], got a int32 tensor of shape \[2\]/],
    ];
    for (const [record, message] of bad) {
      const before = memory().tensors;
      expect(() => m.loadWeights(record as Record<string, Tensor>)).toThrow(message);
      expect(() => m.loadWeights(record as Record<string, Tensor>)).toThrow(/^Sequential 'model': loadWeights: nothing assigned/);
      expect(snapshot()).toEqual(original);
      expect(memory().tensors).toBe(before);
    }
    expect(() => m.loadWeights([] as unknown as Record<string, Tensor>)).toThrow(/expected a record of tensors by name/);
    expect(() => makeModel(5).loadWeights(good)).toThrow(/it has no variables yet/);
    m.loadWeights(good);
    expect(snapshot()).toEqual(original.map(a => a.map(v => v * 2)));
    (bad[3][0]['3/kernel'] as Tensor).dispose(); (bad[4][0]['0/bias'] as Tensor).dispose();
    Object.values(good).forEach(t => t.dispose());
    m.dispose();
  });
});

describe('Sequential.summary()', () => {
  it('lists each layer with its output shape and parameter count, and the totals', () => {
    class Scaled extends Layer {
      factor = variable(tensor([2, 2, 2]), { trainable: false });
      protected call(x: Tensor) { return mul(x, this.factor); }
    }
    const model = new Sequential([
      new Conv2D(4, 3, { padding: 'same', seed: 1, name: 'conv' }), new MaxPool2D(2, { name: 'pool' }), new Flatten({ name: 'flat' }),
      new Dense(3, { seed: 2, name: 'out' }), new Scaled('scaled'),
    ], { name: 'cnn' });
    expect(() => model.summary()).toThrow("Sequential 'cnn': summary() needs the input shape: call apply(x) or build(inputShape) first");
    tidy(() => model.apply(ones([2, 6, 6, 2])));
    const text = model.summary();
    const rows = text.split('\n');
    expect(rows[0]).toBe('Model: "cnn"');
    const row = (name: string) => rows.find(r => r.startsWith(name + ' '))!.trim().split(/\s{2,}/);
    // conv: 3*3*2*4 weights + 4 biases; dense: (3*3*4)*3 + 3
    expect(row('conv (Conv2D)')).toEqual(['conv (Conv2D)', '(None, 6, 6, 4)', String(3 * 3 * 2 * 4 + 4)]);
    expect(row('pool (MaxPool2D)')).toEqual(['pool (MaxPool2D)', '(None, 3, 3, 4)', '0']);
    expect(row('flat (Flatten)')).toEqual(['flat (Flatten)', '(None, 36)', '0']);
    expect(row('out (Dense)')).toEqual(['out (Dense)', '(None, 3)', String(36 * 3 + 3)]);
    expect(row('scaled (Scaled)')).toEqual(['scaled (Scaled)', '(None, 3)', '3']);
    const total = 3 * 3 * 2 * 4 + 4 + 36 * 3 + 3 + 3;
    expect(rows).toContain(`Total params: ${total}`);
    expect(rows).toContain(`Trainable params: ${total - 3}`);
    expect(rows).toContain('Non-trainable params: 3');
    expect(model.countParams()).toBe(total);
    model.dispose();
  });

  it('build(inputShape) creates the variables without running anything', () => {
    const model = new Sequential([new Dense(5, { seed: 1 }), new Dense(2, { seed: 2 })]);
    const before = memory().tensors;
    model.build([10, 3]);
    expect(memory().tensors).toBe(before + 4);
    expect(model.variables.map(v => v.shape)).toEqual([[3, 5], [5], [5, 2], [2]]);
    expect(model.summary()).toContain('(None, 2)');
    model.dispose();
  });
});

describe('Dropout', () => {
  it('zeroes about `rate` of the values in training, scales the rest by 1/(1-rate), keeps the mean', () => {
    const n = 200 * 500, rate = 0.3;
    const x = ones([200, 500]);
    const y = new Dropout(rate, { seed: 1 }).apply(x, { training: true });
    const values = f32(y);
    const zerosCount = values.filter(v => v === 0).length;
    expect(values.every(v => v === 0 || Math.abs(v - 1 / (1 - rate)) < 1e-6)).toBe(true);
    // binomial: standard deviation sqrt(rate (1 - rate) / n) ≈ 0.00145; allow 5 of them
    expect(Math.abs(zerosCount / n - rate)).toBeLessThan(5 * Math.sqrt(rate * (1 - rate) / n));
    expect(Math.abs(values.reduce((s, v) => s + v, 0) / n - 1)).toBeLessThan(0.01);
    x.dispose(); y.dispose();
  });

  it('is the identity unless training is true, and for rate 0', () => {
    const x = randomNormal([4, 4], { seed: 2 });
    expect(new Dropout(0.5).apply(x)).toBe(x);
    expect(new Dropout(0.5).apply(x, { training: false })).toBe(x);
    expect(new Dropout(0, { seed: 1 }).apply(x, { training: true })).toBe(x);
    x.dispose();
  });

  it('a seed makes the sequence of masks reproducible; successive calls differ', () => {
    const x = ones([64, 64]);
    const masks = (layer: Dropout) => [0, 1, 2].map(() => tidy(() => f32(layer.apply(x, { training: true }))));
    const a = masks(new Dropout(0.5, { seed: 42 })), b = masks(new Dropout(0.5, { seed: 42 }));
    expect(a).toEqual(b);
    expect(a[0]).not.toEqual(a[1]);
    expect(a[1]).not.toEqual(a[2]);
    expect(masks(new Dropout(0.5, { seed: 43 }))[0]).not.toEqual(a[0]);
    const unseeded = new Dropout(0.5);
    expect(masks(unseeded)[0]).not.toEqual(masks(unseeded)[0]);
    x.dispose();
  });

  it('Sequential passes training through', () => {
    const model = new Sequential([new Dropout(0.5, { seed: 3 })]);
    const x = ones([10, 10]);
    expect(tidy(() => f32(model.apply(x)))).toEqual(f32(x));
    expect(tidy(() => f32(model.apply(x, { training: true })).filter(v => v === 0).length)).toBeGreaterThan(20);
    x.dispose();
  });
});

describe('lazy build', () => {
  it('Dense creates kernel and bias on the first apply, from the last dimension', () => {
    const layer = new Dense(4, { seed: 1 });
    expect(layer.variables).toEqual([]);
    expect(layer.kernel).toBeUndefined();
    const y = layer.apply(ones([3, 6]));
    expect(y.shape).toEqual([3, 4]);
    expect(layer.kernel!.shape).toEqual([6, 4]);
    expect(layer.bias!.shape).toEqual([4]);
    expect(layer.kernel!.name).toBe(`${layer.name}/kernel`);
    const [kernel, bias] = layer.variables;
    tidy(() => layer.apply(ones([7, 6])));
    expect(layer.variables[0]).toBe(kernel); // no new variables on later calls
    expect(layer.variables[1]).toBe(bias);
    expect(() => layer.apply(ones([3, 5]))).toThrow(
      `Dense '${layer.name}': the input's last dimension is 5 (shape [3,5]) but the layer was built for 6 (kernel [6,4])`);
    expect(() => layer.build([1, 2])).toThrow(/built for 6/);
    y.dispose(); layer.dispose();
  });

  it('variables created inside a tape (the first apply) get gradients, as in TF', () => {
    const model = new Sequential([new Dense(3, { activation: 'relu', seed: 1 }), new Dense(2, { seed: 2 })]);
    const x = randomNormal([4, 5], { seed: 3 });
    const t = tape(() => sum(square(model.apply(x))));
    const vars = model.trainableVariables;
    expect(vars.map(v => v.shape)).toEqual([[5, 3], [3], [3, 2], [2]]);
    const grads = t.gradient(t.result, vars) as Tensor[];
    // the same gradients as a tape recorded after the build
    const again = tape(() => sum(square(model.apply(x))));
    const want = again.gradient(again.result, vars) as Tensor[];
    grads.forEach((g, i) => expect(f32(g)).toEqual(f32(want[i])));
    expect(grads.some(g => f32(g).some(v => v !== 0))).toBe(true);
    [x, t.result, again.result, ...grads, ...want].forEach(v => v.dispose());
    model.dispose();
  });

  it('Conv2D creates its kernel from the channels and rejects other channel counts later', () => {
    const layer = new Conv2D(5, 3, { seed: 1 });
    const y = layer.apply(ones([1, 4, 4, 2]));
    expect(y.shape).toEqual([1, 2, 2, 5]);
    expect(layer.kernel!.shape).toEqual([3, 3, 2, 5]);
    expect(() => layer.apply(ones([1, 4, 4, 3]))).toThrow(/the input's channel count is 3 \(shape \[1,4,4,3\]\) but the layer was built for 2 \(kernel \[3,3,2,5\]\)/);
    y.dispose(); layer.dispose();
  });

  it('apply frees every intermediate: one new tensor per call, plus the variables on the first', () => {
    const model = new Sequential([new Dense(8, { activation: 'relu', seed: 1 }), new Dropout(0.5, { seed: 1 }), new Dense(2, { seed: 2 })]);
    const x = ones([4, 3]);
    let before = memory().tensors;
    const first = model.apply(x, { training: true });
    expect(memory().tensors).toBe(before + 4 + 1);
    before = memory().tensors;
    const second = model.apply(x, { training: true });
    expect(memory().tensors).toBe(before + 1);
    [x, first, second].forEach(t => t.dispose());
    model.dispose();
  });
});

describe('initializers', () => {
  it('Keras fans', () => {
    expect(fans([4, 6])).toEqual({ fanIn: 4, fanOut: 6 });
    expect(fans([3, 3, 2, 8])).toEqual({ fanIn: 18, fanOut: 72 });
    expect(fans([5])).toEqual({ fanIn: 5, fanOut: 5 });
    expect(fans([])).toEqual({ fanIn: 1, fanOut: 1 });
  });

  it('a seed gives the same values; another seed other values', () => {
    for (const name of ['glorotUniform', 'glorotNormal', 'heNormal', 'heUniform'] as const) {
      const [a, b, c] = [7, 7, 8].map(seed => tidy(() => f32(initialize(name, [20, 30], seed))));
      expect(a, name).toEqual(b);
      expect(a, name).not.toEqual(c);
    }
    const layers = [1, 1].map(() => new Dense(3, { seed: 9 }));
    layers.forEach(l => l.build([2, 4]));
    expect(f32(layers[0].kernel!)).toEqual(f32(layers[1].kernel!));
    layers.forEach(l => l.dispose());
  });

  const stats = (v: number[]) => {
    const m = v.reduce((s, a) => s + a, 0) / v.length;
    return { mean: m, std: Math.sqrt(v.reduce((s, a) => s + (a - m) ** 2, 0) / v.length), maxAbs: Math.max(...v.map(Math.abs)) };
  };

  it('uniform ones stay within their limit with the variance of U(-l, l)', () => {
    const shape = [3, 3, 64, 128], { fanIn, fanOut } = fans(shape);
    for (const [name, limit] of [['glorotUniform', Math.sqrt(6 / (fanIn + fanOut))], ['heUniform', Math.sqrt(6 / fanIn)]] as const) {
      const s = stats(tidy(() => f32(initialize(name, shape, 1))));
      expect(s.maxAbs).toBeLessThanOrEqual(limit);
      expect(s.maxAbs).toBeGreaterThan(limit * 0.999);
      expect(s.std / (limit / Math.sqrt(3))).toBeCloseTo(1, 1);
      expect(Math.abs(s.mean)).toBeLessThan(limit * 0.01);
    }
  });

  it('normal ones are truncated at two (pre-truncation) standard deviations and have the nominal stddev', () => {
    const shape = [3, 3, 64, 128], { fanIn, fanOut } = fans(shape);
    for (const [name, nominal] of [['glorotNormal', Math.sqrt(2 / (fanIn + fanOut))], ['heNormal', Math.sqrt(2 / fanIn)]] as const) {
      const s = stats(tidy(() => f32(initialize(name, shape, 2))));
      expect(s.maxAbs).toBeLessThanOrEqual(2 * nominal / 0.87962566103423978 * (1 + 1e-6));
      expect(s.std / nominal).toBeCloseTo(1, 1.5);
    }
  });

  it('derived seeds are safe integers, distinct across seeds and streams (negative and large seeds too)', () => {
    const seen = new Set<number>();
    for (const seed of [-(2 ** 53 - 1), -5, -1, 0, 1, 2, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1])
      for (let stream = 0; stream < 500; stream++) {
        const d = deriveSeed(seed, stream);
        expect(Number.isSafeInteger(d) && d >= 0).toBe(true);
        seen.add(d);
      }
    expect(seen.size).toBe(9 * 500);
  });

  it('truncated normals keep the in-range draws in order and redraw the rest (about 4.6% beyond 2 stddev)', () => {
    const n = 100 * 100, stddev = Math.sqrt(2 / 100) / 0.87962566103423978, bound = 2 * stddev;
    const values = tidy(() => f32(initialize('heNormal', [100, 100], 3)));
    const firstRound = tidy(() => f32(randomNormal([n], { stddev, seed: deriveSeed(3, 0) })));
    const kept = firstRound.filter(v => Math.abs(v) <= bound);
    const dropped = n - kept.length;
    expect(dropped / n).toBeGreaterThan(0.035); // P(|z| > 2) = 4.55%
    expect(dropped / n).toBeLessThan(0.056);
    expect(values.slice(0, kept.length)).toEqual(kept);
    const redrawn = values.slice(kept.length);
    expect(redrawn).toHaveLength(dropped);
    expect(redrawn.every(v => Math.abs(v) <= bound)).toBe(true);
    expect(redrawn).not.toEqual(firstRound.filter(v => Math.abs(v) > bound)); // new values, not the old ones
  });

  it('zeros and ones', () => {
    expect(tidy(() => f32(initialize('zeros', [2, 2])))).toEqual([0, 0, 0, 0]);
    expect(tidy(() => f32(initialize('ones', [3])))).toEqual([1, 1, 1]);
  });
});

describe('bad input: a clear Error naming the layer path and the values', () => {
  const throws = (fn: () => unknown, message: string | RegExp) => {
    const before = memory().tensors;
    let error: unknown;
    try { fn(); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(LayerError);
    expect(error).toBeInstanceOf(Error);
    if (typeof message === 'string') expect((error as Error).message).toBe(message);
    else expect((error as Error).message).toMatch(message);
    expect(memory().tensors).toBe(before);
  };

  it('constructor arguments', () => {
    throws(() => new Dense(0, { name: 'd' }), "Dense 'd': units must be a positive integer, got 0");
    throws(() => new Dense(2.5, { name: 'd' }), "Dense 'd': units must be a positive integer, got 2.5");
    throws(() => new Dense('3' as unknown as number, { name: 'd' }), `Dense 'd': units must be a positive integer, got "3"`);
    throws(() => new Dense(3, { name: 'd', activation: 'rleu' as ActivationName }),
      `Dense 'd': unknown activation "rleu" (expected one of 'linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'gelu', 'silu', 'leakyRelu', 'relu6', 'elu', 'selu', 'celu', 'softplus', 'softsign', 'swish', 'mish', 'exponential', 'hardSigmoid', 'hardSilu', 'hardSwish', 'hardTanh', 'logSigmoid', 'logSoftmax', 'tanhShrink', 'squareplus', or a function (x: Tensor) => Tensor)`);
    throws(() => new Dense(3, { name: 'd', kernelInitializer: 'glorot' as 'zeros' }),
      `Dense 'd': unknown kernelInitializer "glorot" (expected one of 'glorotUniform', 'glorotNormal', 'heNormal', 'heUniform', 'zeros', 'ones', 'uniform', 'orthogonal')`);
    throws(() => new Conv2D(3, 3, { name: 'c', biasInitializer: 7 as unknown as 'zeros' }), /^Conv2D 'c': unknown biasInitializer 7/);
    throws(() => new Dense(3, { name: 'd', seed: 1.5 }), "Dense 'd': seed must be an integer (a safe integer), got 1.5");
    throws(() => new Dense(3, { name: 'd', useBias: 1 as unknown as boolean }), "Dense 'd': useBias must be a boolean, got 1");
    throws(() => new Dense(3, { name: 'd', unit: 3 } as object), /^Dense 'd': unknown option "unit" \(expected activation, useBias/);
    throws(() => new Dense(3, 'relu' as unknown as object), /^Dense 'dense(_\d+)?': options must be an object like \{ activation, useBias, kernelInitializer, biasInitializer, seed, name \}, got "relu"$/);
    throws(() => new Conv2D(3, 0, { name: 'c' }), "Conv2D 'c': kernelSize must be a positive integer, got 0");
    throws(() => new Conv2D(3, [3, 3, 3] as unknown as number, { name: 'c' }), "Conv2D 'c': kernelSize must be a positive integer or a pair [rows, cols] of them, got [3, 3, 3]");
    throws(() => new Conv2D(3, 3, { name: 'c', padding: 'full' as 'same' }), `Conv2D 'c': padding must be 'same' or 'valid', got "full"`);
    throws(() => new Conv2D(3, 3, { name: 'c', strides: [1, 0] }), "Conv2D 'c': strides must be a positive integer, got 0");
    throws(() => new MaxPool2D(-2, { name: 'p' }), "MaxPool2D 'p': poolSize must be a positive integer, got -2");
    throws(() => new MaxPool2D(2, { name: 'p', stride: 1 } as object), `MaxPool2D 'p': unknown option "stride" (expected strides, padding, name)`);
    throws(() => new AvgPool2D(2, { name: 'p', padding: 'SAME' as 'same' }), `AvgPool2D 'p': padding must be 'same' or 'valid', got "SAME"`);
    throws(() => new Conv2D(3, 3, { name: 'c', stride: 2 } as object), /^Conv2D 'c': unknown option "stride" \(expected strides, padding, activation/);
    throws(() => new Flatten({ name: 'f', axis: 1 } as object), `Flatten 'f': unknown option "axis" (expected name)`);
    throws(() => new Dropout(0.5, { name: 'drop', seed: '1' as unknown as number }), `Dropout 'drop': seed must be an integer (a safe integer), got "1"`);
    throws(() => new Sequential([], { name: 's', layers: [] } as object), `Sequential 's': unknown option "layers" (expected name)`);
    for (const rate of [1, -0.1, NaN, '0.5'])
      throws(() => new Dropout(rate as number, { name: 'drop' }), `Dropout 'drop': rate must be a number in [0, 1), got ${typeof rate === 'string' ? '"0.5"' : rate}`);
    throws(() => new Sequential({} as Layer[], { name: 's' }), "Sequential 's': expected an array of layers, got {}");
    throws(() => new Sequential([new Flatten(), 3 as unknown as Layer], { name: 's' }), "Sequential 's': layers[1] must be a Layer, got 3");
    // before it has a name, a module is named by its class
    expect(() => new Dense(2, { name: '' })).toThrow(/^Dense: name must be a non-empty string, got ""$/);
    expect(() => new Module(5 as unknown as string)).toThrow(/^Module: name must be a non-empty string, got 5$/);
  });

  it('apply: wrong inputs and options', () => {
    const dense = new Dense(2, { name: 'd', seed: 1 });
    const x = ones([2, 3]), rank1 = ones([3]), ints = tensor([[1, 2]], undefined, 'int32'), rank3 = ones([4, 4, 1]), small = ones([1, 2, 5, 1]);
    const rank2 = ones([2, 2]), tiny = ones([1, 2, 2, 1]), scalar1 = tensor(1), ints1 = tensor([1, 2], undefined, 'int32');
    throws(() => dense.apply([[1, 2]] as unknown as Tensor), "Dense 'd': apply: expected a Tensor, got [[1, 2]]");
    throws(() => dense.apply(rank1), "Dense 'd': expected an input of rank >= 2 [batch, ..., features], got shape [3]");
    throws(() => dense.apply(ints), "Dense 'd': expected a float32 input, got a int32 tensor of shape [1,2] (cast it with cast(x, 'float32'))");
    throws(() => dense.apply(x, { training: 1 as unknown as boolean }), "Dense 'd': apply: training must be a boolean, got 1");
    throws(() => dense.apply(x, { train: true } as object), `Dense 'd': apply: unknown option "train" (expected training)`);
    throws(() => dense.apply(x, null as unknown as object), "Dense 'd': apply: options must be an object like { training: true }, got null");
    const gone = ones([2, 3]); gone.dispose();
    throws(() => dense.apply(gone), "Dense 'd': apply: the input tensor is disposed");
    expect(dense.variables).toEqual([]); // nothing was built by the failed calls
    const conv = new Conv2D(2, 3, { name: 'c' });
    throws(() => conv.apply(rank3), "Conv2D 'c': expected an input of rank 4 [batch, height, width, channels], got shape [4,4,1]");
    throws(() => conv.apply(small), "Conv2D 'c': the input's 2x5 image (shape [1,2,5,1]) is smaller than the 3x3 kernel with padding 'valid'");
    throws(() => new AvgPool2D(2, { name: 'p' }).apply(rank2), "AvgPool2D 'p': expected an input of rank 4 [batch, height, width, channels], got shape [2,2]");
    throws(() => new MaxPool2D(3, { name: 'p' }).apply(tiny), "MaxPool2D 'p': the input's 2x2 image (shape [1,2,2,1]) is smaller than the 3x3 pool window with padding 'valid'");
    throws(() => new Flatten({ name: 'f' }).apply(scalar1), "Flatten 'f': expected an input with a batch dimension (rank >= 1), got a scalar");
    throws(() => new Dropout(0.5, { name: 'drop' }).apply(ints1, { training: true }), "Dropout 'drop': expected a float32 input, got a int32 tensor of shape [2]");
    throws(() => dense.build('3' as unknown as number[]), `Dense 'd': expected an input shape (an array of non-negative integers), got "3"`);
    [x, rank1, ints, rank3, small, rank2, tiny, scalar1, ints1].forEach(t => t.dispose());
  });

  it('errors inside a Sequential name the path; nested containers too', () => {
    const inner = new Sequential([new Dense(4, { name: 'dense_a', seed: 1 }), new Dense(3, { name: 'dense_1', seed: 2 })], { name: 'block' });
    const model = new Sequential([new Flatten({ name: 'flat' }), inner], { name: 'model' });
    tidy(() => model.apply(ones([2, 2, 3])));
    const wide = ones([2, 5]), flat = ones([3]), x23 = ones([2, 3]);
    throws(() => model.apply(wide), "Sequential 'model' > Sequential 'block' > Dense 'dense_a': the input's last dimension is 5 (shape [2,5]) but the layer was built for 6 (kernel [6,4])");
    const error = (() => { try { model.apply(wide); } catch (e) { return e as LayerError; } })()!;
    expect(error.modules).toEqual([model, inner, inner.layers[0]]);
    expect(error.stack).toContain("Sequential 'model' > Sequential 'block' > Dense 'dense_a'");
    const seq = new Sequential([new Dense(2, { name: 'dense_1', seed: 1 })], { name: 'model' });
    throws(() => seq.apply(flat), "Sequential 'model' > Dense 'dense_1': expected an input of rank >= 2 [batch, ..., features], got shape [3]");
    // an error from an op inside a custom layer is wrapped, keeping the original as its cause
    class Broken extends Layer { protected call(x: Tensor) { return mul(x, ones([7])); } }
    const broken = new Sequential([new Broken('broken')], { name: 'outer' });
    const e = (() => { try { broken.apply(x23); } catch (err) { return err as LayerError; } })()!;
    expect(e.message).toMatch(/^Sequential 'outer' > Broken 'broken': mul: /);
    expect((e.cause as Error).message).toMatch(/^mul: /);
    model.dispose(); seq.dispose(); [wide, flat, x23].forEach(t => t.dispose());
  });

  it('a disposed layer says so', () => {
    const dense = new Dense(2, { name: 'd', seed: 1 });
    dense.build([1, 2]);
    dense.dispose();
    const x = ones([1, 2]);
    throws(() => dense.apply(x), "Dense 'd': the layer is disposed");
    x.dispose();
  });
});

describe('activations', () => {
  it('names map to the root ops; functions pass through; unknown names throw', () => {
    const f = (x: Tensor) => x;
    expect(activationFunction(f)).toBe(f);
    const x = tensor([[-1, 0.5, 2]]);
    expect(tidy(() => f32(activationFunction('relu')(x)))).toEqual([0, 0.5, 2]);
    expectClose(tidy(() => activationFunction('softmax')(x).data() as Float32Array), ref.softmax(ND(x), -1).data);
    expect(() => activationFunction('leaky_relu' as ActivationName)).toThrow(/unknown activation "leaky_relu"/); // camelCase only
    x.dispose();
  });
});
