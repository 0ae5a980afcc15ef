// TensorFlow's own autodiff guides, cell by cell: "Introduction to gradients and automatic
// differentiation" (site/en/guide/autodiff.ipynb) and "Advanced automatic differentiation"
// (site/en/guide/advanced_autodiff.ipynb) in the tensorflow/docs repository. One `it` per cell (or
// per group of cells that set up and print one result), named after the guide's section, each
// asserting what TF prints.
//
// The notebooks are stored without outputs, so every expected value here is worked out
// independently of gradtape: in closed form (written next to the assertion) or, for the cells with
// random models, from the float64 reference ops in test/support with finite differences.
//
// Where gradtape must differ from TF a comment says why and the test checks the closest equivalent:
// - Keras layers: the root package has none (the `gradtape/layers` subpath is separate), so a
//   `Dense` layer is written as plain variables and `matmul`, initialised like Keras (Glorot
//   uniform kernel, zero bias).
// - No `tf.function`, SavedModel, `IndexedSlices`, `tf.linalg.solve`, `tf.einsum` or symbolic shapes.
// - Variable names carry no `:0` output suffix.
// - Cells that only plot (matplotlib) are replaced by assertions on the plotted values.
import { describe, it, expect, vi, afterEach } from 'vitest';
import {
  tape, GradientTape, Tensor, Variable, tensor, scalar, variable, customGradient, stopGradient,
  add, sub, mul, div, pow, square, sin, sigmoid, softplus, relu, elu, floor, sum, mean, max, abs, sqrt, norm,
  maximum, matmul, reshape, transpose, slice, stack, eye, linspace, greater, memory,
} from './api.js';
import { reference as R } from './support/reference.js';
import { numericGrad, numericJacobian, expectClose, expectShape } from './support/gradcheck.js';
import { type ND, randn, uniform } from './support/nd.js';

afterEach(() => vi.restoreAllMocks());

const val = (t: Tensor | null) => t === null ? null : t.toArray();
const fromND = (a: ND): Tensor => tensor(Float32Array.from(a.data), a.shape);
const toND = (t: Tensor): ND => ({ shape: [...t.shape], data: Float64Array.from(t.data()) });
const sigmoid64 = (v: number) => 1 / (1 + Math.exp(-v));

/** A Keras `Dense` layer as plain variables: Glorot-uniform kernel [inputs, units], zero bias. */
function denseVariables(inputs: number, units: number, seed: number) {
  const limit = Math.sqrt(6 / (inputs + units));
  const kernelValues = uniform([inputs, units], -limit, limit, seed);
  return {
    kernelValues,
    kernel: variable(fromND(kernelValues), { name: 'dense/kernel' }),
    bias: variable(tensor(new Float32Array(units), [units]), { name: 'dense/bias' }),
  };
}
/** layer(x) = activation(x @ kernel + bias) */
const dense = (x: Tensor, l: { kernel: Tensor; bias: Tensor }, activation: (z: Tensor) => Tensor) =>
  activation(add(matmul(x, l.kernel), l.bias));
/** The same layer on the float64 reference (zero bias, as Keras builds it). */
const dense64 = (x: ND, kernel: ND, activation: (z: ND) => ND) => activation(R.matmul(x, kernel));

/** The off-diagonal (batch, batch) blocks of a jacobian of shape [b, m, b, n]: j[i, :, k, :] for i ≠ k. */
function offDiagonalBlocks(j: ND): number[] {
  const [b, m, , n] = j.shape;
  const out: number[] = [];
  for (let i = 0; i < b; i++) for (let o = 0; o < m; o++) for (let k = 0; k < b; k++) for (let a = 0; a < n; a++)
    if (i !== k) out.push(j.data[((i * m + o) * b + k) * n + a]);
  return out;
}

/** Solves A·u = rhs in float64 by Gaussian elimination with partial pivoting (A square, row-major). */
function solve(a: ND, rhs: Float64Array): Float64Array {
  const n = rhs.length, m = Float64Array.from(a.data), u = Float64Array.from(rhs);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[pivot * n + c])) pivot = r;
    for (let k = 0; k < n; k++) [m[c * n + k], m[pivot * n + k]] = [m[pivot * n + k], m[c * n + k]];
    [u[c], u[pivot]] = [u[pivot], u[c]];
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c] / m[c * n + c];
      for (let k = c; k < n; k++) m[r * n + k] -= f * m[c * n + k];
      u[r] -= f * u[c];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = u[r];
    for (let k = r + 1; k < n; k++) s -= m[r * n + k] * u[k];
    u[r] = s / m[r * n + r];
  }
  return u;
}

describe('guide: Introduction to gradients and automatic differentiation', () => {
  it('Gradient tapes: dy/dx of x**2 at x = 3 is 6', () => {
    // x = tf.Variable(3.0); with tf.GradientTape() as tape: y = x**2; tape.gradient(y, x).numpy() → 6.0
    const x = variable(3);
    const t = tape(() => pow(x, 2));
    expect(t.result.item()).toBe(9);
    expect(t.gradient(t.result, x)!.item()).toBe(6);
  });

  /** The guide's cell: w random normal (3, 2), b zeros(2), x = [[1, 2, 3]], loss = mean((x @ w + b)**2). */
  function lossOfLinear(seed: number) {
    const wValues = randn([3, 2], seed);
    const w = variable(fromND(wValues), { name: 'w' });
    const b = variable(tensor(new Float32Array(2), [2]), { name: 'b' });
    const x = [[1, 2, 3]];
    const t = tape(() => {
      const y = add(matmul(x, w), b);
      return mean(pow(y, 2));
    }, { persistent: true });
    // float64 reference: loss(w, b) and its finite-difference gradient
    const loss64 = ([w64, b64]: ND[]) => R.mean(R.square(R.add(R.matmul(x, w64), b64)));
    const [dw64, db64] = numericGrad(loss64, [wValues, { shape: [2], data: new Float64Array(2) }]);
    return { w, b, t, dw64, db64 };
  }

  it('Gradient tapes: the gradient of a loss w.r.t. a list of variables, each shaped like its source', () => {
    // [dl_dw, dl_db] = tape.gradient(loss, [w, b]); print(w.shape); print(dl_dw.shape) → (3, 2) (3, 2)
    const { w, b, t, dw64, db64 } = lossOfLinear(11);
    const [dlDw, dlDb] = t.gradient(t.result, [w, b]);
    expect(w.shape).toEqual([3, 2]);
    expect(dlDw!.shape).toEqual([3, 2]);
    expectClose(dlDw!.data(), dw64);
    expectClose(dlDb!.data(), db64);
    // closed form: dl/dy = y (mean of y² over its 2 elements), so dl/db = y and dl/dw = xᵀy = [1, 2, 3]ᵀ·dl/db
    const dlDbValues = dlDb!.data();
    expectClose(dlDw!.data(), [1, 2, 3].flatMap(xi => [xi * dlDbValues[0], xi * dlDbValues[1]]));
  });

  it('Gradient tapes: a dictionary of sources gives a dictionary of gradients', () => {
    // my_vars = {'w': w, 'b': b}; grad = tape.gradient(loss, my_vars); grad['b'] → shape (2,)
    const { w, b, t, dw64, db64 } = lossOfLinear(12);
    const grads = t.gradient(t.result, { w, b });
    expect(Object.keys(grads)).toEqual(['w', 'b']);
    expect(grads.b!.shape).toEqual([2]);
    expectClose(grads.b!.data(), db64);
    expectClose(grads.w!.data(), dw64);
  });

  it('Gradients with respect to a model: one gradient per trainable variable', () => {
    // layer = tf.keras.layers.Dense(2, activation='relu'); x = tf.constant([[1., 2., 3.]])
    // with tf.GradientTape() as tape: y = layer(x); loss = tf.reduce_mean(y**2)
    // grad = tape.gradient(loss, layer.trainable_variables)
    // prints: dense/kernel:0, shape: (3, 2)   dense/bias:0, shape: (2,)
    // No Keras layer in the root package: the layer is its two variables and a matmul. The seed is
    // one where both units are active, so the relu passes gradient to both columns.
    const layer = denseVariables(3, 2, 2);
    const x = tensor([[1, 2, 3]]);
    const t = tape(() => mean(pow(dense(x, layer, relu), 2)));
    const trainableVariables = [layer.kernel, layer.bias];
    const grad = t.gradient(t.result, trainableVariables);
    expect(trainableVariables.map((v, i) => `${v.name}, shape: (${grad[i]!.shape.join(', ')})`))
      .toEqual(['dense/kernel, shape: (3, 2)', 'dense/bias, shape: (2)']);
    const x64 = R.tensor([[1, 2, 3]]);
    const loss64 = ([k, bias]: ND[]) => R.mean(R.square(R.relu(R.add(R.matmul(x64, k), bias))));
    const [dk, db] = numericGrad(loss64, [layer.kernelValues, { shape: [2], data: new Float64Array(2) }]);
    expect(db.data.every(v => v !== 0)).toBe(true); // both units active: a non-trivial check
    expectClose(grad[0]!.data(), dk);
    expectClose(grad[1]!.data(), db);
  });

  it('Controlling what the tape watches: only trainable variables are watched', () => {
    // x0 = tf.Variable(3.0, name='x0'); x1 = tf.Variable(3.0, name='x1', trainable=False)
    // x2 = tf.Variable(2.0, name='x2') + 1.0; x3 = tf.constant(3.0, name='x3')
    // with tf.GradientTape() as tape: y = (x0**2) + (x1**2) + (x2**2)
    // prints: tf.Tensor(6.0, ...) None None None
    const x0 = variable(3, { name: 'x0' });
    const x1 = variable(3, { name: 'x1', trainable: false });
    const x2 = add(variable(2, { name: 'x2' }), 1);
    const x3 = scalar(3);
    const t = tape(() => add(add(pow(x0, 2), pow(x1, 2)), pow(x2, 2)));
    expect(x2).not.toBeInstanceOf(Variable);
    expect(t.gradient(t.result, [x0, x1, x2, x3]).map(val)).toEqual([6, null, null, null]);
  });

  it('Controlling what the tape watches: watched_variables lists what the tape watched', () => {
    // [var.name for var in tape.watched_variables()] → ['x0:0']
    // (gradtape's variable names have no ':0' suffix: there is no graph output index to name)
    const x0 = variable(3, { name: 'x0' });
    const x1 = variable(3, { name: 'x1', trainable: false });
    const x2 = add(variable(2, { name: 'x2' }), 1);
    const t = tape(() => add(add(pow(x0, 2), pow(x1, 2)), pow(x2, 2)));
    t.gradient(t.result, [x0, x1, x2]);
    expect(t.watchedVariables().map(v => v.name)).toEqual(['x0']);
  });

  it('Controlling what the tape watches: tape.watch a constant', () => {
    // x = tf.constant(3.0); with tf.GradientTape() as tape: tape.watch(x); y = x**2
    // print(tape.gradient(y, x).numpy()) → 6.0
    const x = scalar(3);
    const t = tape(t => { t.watch(x); return pow(x, 2); });
    expect(t.gradient(t.result, x)!.item()).toBe(6);
  });

  it('Controlling what the tape watches: watch_accessed_variables=False watches only what is asked', () => {
    // x0 = tf.Variable(0.0); x1 = tf.Variable(10.0)
    // with tf.GradientTape(watch_accessed_variables=False) as tape:
    //   tape.watch(x1); y0 = tf.math.sin(x0); y1 = tf.nn.softplus(x1); y = y0 + y1; ys = tf.reduce_sum(y)
    // grad = tape.gradient(ys, {'x0': x0, 'x1': x1}) → dy/dx0: None, dy/dx1: 0.9999546 (= sigmoid(10))
    const x0 = variable(0), x1 = variable(10);
    const t = tape(t => {
      t.watch(x1);
      const y = add(sin(x0), softplus(x1));
      return sum(y);
    }, { watchAccessedVariables: false });
    const grad = t.gradient(t.result, { x0, x1 });
    expect(grad.x0).toBeNull();
    expect(grad.x1!.item()).toBeCloseTo(sigmoid64(10), 6); // 0.9999546021312976
  });

  it('Intermediate results: the gradient w.r.t. an intermediate value', () => {
    // x = tf.constant(3.0); tape.watch(x); y = x * x; z = y * y
    // print(tape.gradient(z, y).numpy()) → 18.0 (dz/dy = 2y, y = 9)
    const x = scalar(3);
    const t = tape(t => { t.watch(x); const y = mul(x, x); return { y, z: mul(y, y) }; });
    expect(t.gradient(t.result.z, t.result.y)!.item()).toBe(18);
  });

  it('Intermediate results: a persistent tape answers several gradient calls, then is dropped', () => {
    // x = tf.constant([1, 3.0]); with tf.GradientTape(persistent=True) as tape: tape.watch(x); y = x * x; z = y * y
    // tape.gradient(z, x) → [4.0, 108.0] (4x³); tape.gradient(y, x) → [2.0, 6.0] (2x); del tape
    const x = tensor([1, 3]);
    const t = tape(t => { t.watch(x); const y = mul(x, x); return { y, z: mul(y, y) }; }, { persistent: true });
    expect(t.gradient(t.result.z, x)!.toArray()).toEqual([4, 108]);
    expect(t.gradient(t.result.y, x)!.toArray()).toEqual([2, 6]);
    // `del tape` drops the last reference so Python frees the tape's resources; in JS the garbage
    // collector would too, and dispose() does it at once: the tape lets go of the tensors it recorded.
    const { y, z } = t.result;
    y.dispose(); z.dispose();
    const heldByTape = memory().tensors;
    t.dispose();
    expect(memory().tensors).toBeLessThan(heldByTape);
    expect(() => t.gradient(scalar(1), x)).toThrow(/dispos/);
  });

  it('Gradients of non-scalar targets: two targets, one persistent tape', () => {
    // x = tf.Variable(2.0); y0 = x**2; y1 = 1 / x
    // tape.gradient(y0, x) → 4.0; tape.gradient(y1, x) → -0.25
    const x = variable(2);
    const t = tape(() => ({ y0: pow(x, 2), y1: div(1, x) }), { persistent: true });
    expect(t.gradient(t.result.y0, x)!.item()).toBe(4);
    expect(t.gradient(t.result.y1, x)!.item()).toBe(-0.25);
  });

  it('Gradients of non-scalar targets: a dictionary of targets gives the gradient of their sum', () => {
    // tape.gradient({'y0': y0, 'y1': y1}, x).numpy() → 3.75 (2x - 1/x² at 2)
    const x = variable(2);
    const t = tape(() => ({ y0: pow(x, 2), y1: div(1, x) }));
    expect(t.gradient({ y0: t.result.y0, y1: t.result.y1 }, x)!.item()).toBe(3.75);
  });

  it('Gradients of non-scalar targets: a vector target gives the gradient of its sum', () => {
    // x = tf.Variable(2.); y = x * [3., 4.]; tape.gradient(y, x).numpy() → 7.0
    const x = variable(2);
    const t = tape(() => mul(x, [3, 4]));
    expect(t.result.toArray()).toEqual([6, 8]);
    expect(t.gradient(t.result, x)!.item()).toBe(7);
  });

  it('Gradients of non-scalar targets: the elementwise derivative of sigmoid (plotted in the guide)', () => {
    // x = tf.linspace(-10.0, 10.0, 200+1); tape.watch(x); y = tf.nn.sigmoid(x); dy_dx = tape.gradient(y, x)
    // The guide plots y and dy_dx; here they are checked against sigmoid(x) and sigmoid(x)(1 - sigmoid(x)).
    const x = linspace(-10, 10, 201);
    const t = tape(t => { t.watch(x); return sigmoid(x); });
    const dyDx = t.gradient(t.result, x)!;
    expect(dyDx.shape).toEqual([201]);
    const xs = Array.from({ length: 201 }, (_, i) => -10 + i * 0.1);
    expectClose(t.result.data(), xs.map(sigmoid64));
    expectClose(dyDx.data(), xs.map(v => sigmoid64(v) * (1 - sigmoid64(v))), { rtol: 2e-3, atol: 1e-6 });
    expect(dyDx.data()[100]).toBeCloseTo(0.25, 6); // the peak, at x = 0
  });

  it('Control flow: a variable returned as is gets gradient 1, the branch not taken None', () => {
    // x = tf.constant(1.0); v0 = tf.Variable(2.0); v1 = tf.Variable(2.0)
    // with tf.GradientTape(persistent=True) as tape:
    //   tape.watch(x)
    //   if x > 0.0: result = v0
    //   else: result = v1**2
    // dv0, dv1 = tape.gradient(result, [v0, v1]) → tf.Tensor(1.0, ...) None
    // TF hands a source that is itself the target its seed, whether or not an op read it.
    const x = scalar(1), v0 = variable(2), v1 = variable(2);
    const t = tape(t => {
      t.watch(x);
      return x.item() > 0 ? v0 : pow(v1, 2);
    }, { persistent: true });
    expect(t.result).toBe(v0);
    const [dv0, dv1] = t.gradient(t.result, [v0, v1]);
    expect(val(dv0)).toBe(1);
    expect(dv1).toBeNull();
  });

  it('Control flow: the condition itself is not differentiable', () => {
    // dx = tape.gradient(result, x); print(dx) → None
    // In the guide `result` is v0 here (x > 0); the gradient w.r.t. x is None either way, and also
    // when the comparison is a recorded op (greater gives a bool: no gradient flows through it).
    const x = scalar(1), v0 = variable(2), v1 = variable(2);
    const t = tape(t => {
      t.watch(x);
      const condition = greater(x, 0);
      return { condition, result: condition.item() ? v0 : pow(v1, 2) };
    }, { persistent: true });
    expect(t.gradient(t.result.result, x)).toBeNull();
    expect(t.gradient(t.result.condition, x)).toBeNull();
  });

  it('Cases where gradient returns None: the target is not connected to the source', () => {
    // x = tf.Variable(2.); y = tf.Variable(3.); z = y * y; print(tape.gradient(z, x)) → None
    const x = variable(2), y = variable(3);
    const t = tape(() => mul(y, y));
    expect(t.gradient(t.result, x)).toBeNull();
  });

  it('Cases where gradient returns None: 1. Replaced a variable with a tensor', () => {
    // x = tf.Variable(2.0)
    // for epoch in range(2):
    //   with tf.GradientTape() as tape: y = x+1
    //   print(type(x).__name__, ":", tape.gradient(y, x))
    //   x = x + 1   # This should be `x.assign_add(1)`
    // prints: ResourceVariable : tf.Tensor(1.0, ...)   EagerTensor : None
    // (the JS class names are Variable and Tensor)
    let x: Tensor = variable(2);
    const printed: [string, number | null][] = [];
    for (let epoch = 0; epoch < 2; epoch++) {
      const t = tape(() => add(x, 1));
      printed.push([x.constructor.name, val(t.gradient(t.result, x)) as number | null]);
      x = add(x, 1);
    }
    expect(printed).toEqual([['Variable', 1], ['Tensor', null]]);
  });

  it('Cases where gradient returns None: 2. Did calculations outside of TensorFlow', () => {
    // x = tf.Variable([[1.0, 2.0], [3.0, 4.0]]); x2 = x**2
    // y = np.mean(x2, axis=0)          # computed with NumPy
    // y = tf.reduce_mean(y, axis=0)    # converted back to a constant tensor
    // print(tape.gradient(y, x)) → None
    // The JS equivalent of a NumPy step: read the values out (toArray) and compute in plain JS.
    const x = variable([[1, 2], [3, 4]]);
    const t = tape(() => {
      const x2 = pow(x, 2).toArray() as number[][];
      const columnMeans = [0, 1].map(j => (x2[0][j] + x2[1][j]) / 2);
      return mean(tensor(columnMeans), 0);
    });
    expect(t.result.item()).toBe(7.5);
    expect(t.gradient(t.result, x)).toBeNull();
  });

  it('Cases where gradient returns None: 3. Took gradients through an integer', () => {
    // x = tf.constant(10); g.watch(x); y = x * x; print(g.gradient(y, x))
    // → WARNING: The dtype of the watched tensor must be floating (e.g. tf.float32), got tf.int32; None
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const x = scalar(10, 'int32');
    const g = tape(g => { g.watch(x); return mul(x, x); });
    expect(g.result.item()).toBe(100);
    expect(g.gradient(g.result, x)).toBeNull();
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/The dtype of the watched tensor must be floating.*int32/));
  });

  it('Cases where gradient returns None: 4. Took gradients through a stateful object', () => {
    // x0 = tf.Variable(3.0); x1 = tf.Variable(0.0)
    // with tf.GradientTape() as tape: x1.assign_add(x0); y = x1**2
    // print(tape.gradient(y, x0)) → None   (the tape starts recording from x1)
    const x0 = variable(3), x1 = variable(0);
    const t = tape(() => { x1.assignAdd(x0); return pow(x1, 2); });
    expect(t.result.item()).toBe(9);
    expect(t.gradient(t.result, x0)).toBeNull();
  });

  it('No gradient registered: gradtape has no op without a gradient, so nothing raises LookupError', () => {
    // image = tf.Variable([[[0.5, 0.0, 0.0]]]); delta = tf.Variable(0.1)
    // new_image = tf.image.adjust_contrast(image, delta)
    // tape.gradient(new_image, [image, delta]) → LookupError: gradient registry has no entry for: AdjustContrastv2
    // gradtape differs by design: every op either has a gradient or is documented as not
    // differentiable, and those give None quietly (TAPE_SEMANTICS: "never throw during backprop").
    // Closest equivalents: (1) adjust_contrast written with differentiable ops, whose gradient
    // exists; (2) an op without a gradient (floor), which gives None instead of raising.
    const image = variable([[[0.5, 0, 0]]]), delta = variable(0.1);
    // adjust_contrast: (x - mean) * delta + mean, the mean over height and width per channel
    const t = tape(() => {
      const channelMean = mean(image, [0, 1], true);
      return add(mul(sub(image, channelMean), delta), channelMean);
    });
    const [dImage, dDelta] = t.gradient(t.result, [image, delta]);
    // one pixel: the mean is the pixel itself, so new_image = image: d/dimage = 1, d/ddelta = Σ(x - mean) = 0
    expect(t.result.toArray()).toEqual([[[0.5, 0, 0]]]);
    expect(dImage!.toArray()).toEqual([[[1, 1, 1]]]);
    expect(dDelta!.item()).toBe(0);

    const withFloor = tape(() => floor(mul(image, delta)));
    expect(withFloor.gradient(withFloor.result, [image, delta]).map(val)).toEqual([null, null]);
  });

  it('Zeros instead of None: unconnected_gradients=ZERO', () => {
    // x = tf.Variable([2., 2.]); y = tf.Variable(3.); z = y**2
    // tape.gradient(z, x, unconnected_gradients=tf.UnconnectedGradients.ZERO) → tf.Tensor([0. 0.], shape=(2,))
    const x = variable([2, 2]), y = variable(3);
    const t = tape(() => pow(y, 2));
    const g = t.gradient(t.result, x, { unconnectedGradients: 'zero' })!;
    expect(g.shape).toEqual([2]);
    expect(g.toArray()).toEqual([0, 0]);
  });
});

describe('guide: Advanced automatic differentiation', () => {
  it('Controlling gradient recording: Stop recording', () => {
    // with tf.GradientTape() as t:
    //   x_sq = x * x
    //   with t.stop_recording(): y_sq = y * y
    //   z = x_sq + y_sq
    // grad = t.gradient(z, {'x': x, 'y': y}) → dz/dx: 4.0, dz/dy: None
    const x = variable(2), y = variable(3);
    const t = tape(t => {
      const xSq = mul(x, x);
      const ySq = t.stopRecording(() => mul(y, y));
      return add(xSq, ySq);
    });
    const grad = t.gradient(t.result, { x, y });
    expect(t.result.item()).toBe(13);
    expect(val(grad.x)).toBe(4);
    expect(grad.y).toBeNull();
  });

  it('Controlling gradient recording: Reset/start recording from scratch', () => {
    // with tf.GradientTape() as t:
    //   y_sq = y * y
    //   if reset: t.reset()   # throw out all the tape recorded so far
    //   z = x * x + y_sq
    // → dz/dx: 4.0, dz/dy: None
    const x = variable(2), y = variable(3);
    const reset = true;
    const t = tape(t => {
      const ySq = mul(y, y);
      if (reset) t.reset();
      return add(mul(x, x), ySq);
    });
    const grad = t.gradient(t.result, { x, y });
    expect(val(grad.x)).toBe(4);
    expect(grad.y).toBeNull();
  });

  it('Stop gradient flow with precision: tf.stop_gradient', () => {
    // y_sq = y**2; z = x**2 + tf.stop_gradient(y_sq) → dz/dx: 4.0, dz/dy: None
    const x = variable(2), y = variable(3);
    const t = tape(() => add(pow(x, 2), stopGradient(pow(y, 2))));
    const grad = t.gradient(t.result, { x, y });
    expect(t.result.item()).toBe(13);
    expect(val(grad.x)).toBe(4);
    expect(grad.y).toBeNull();
  });

  /** @tf.custom_gradient clip_gradients: identity forward, tf.clip_by_norm(dy, 0.5) backward. */
  const clipGradients = customGradient((y: Tensor) => ({
    value: y,
    // clip_by_norm(t, c) = t * c / max(‖t‖, c) (gradtape has no clip_by_norm op; this is its formula)
    grad: (dy: Tensor) => div(mul(dy, 0.5), maximum(norm(dy), 0.5)),
  }));

  it('Custom gradients: clip the gradient by norm in the backward pass', () => {
    // v = tf.Variable(2.0); output = clip_gradients(v * v)
    // print(t.gradient(output, v)) → tf.Tensor(2.0, ...): the seed 1 is clipped to 0.5, times d(v²)/dv = 4
    const v = variable(2);
    const t = tape(() => clipGradients(mul(v, v)));
    expect(t.result.item()).toBe(4);
    expect(t.gradient(t.result, v)!.item()).toBe(2);
  });

  it('Custom gradients in SavedModel: the closest equivalent is a module method calling the custom gradient', () => {
    // class MyModule(tf.Module):
    //   @tf.function(input_signature=[tf.TensorSpec(None)])
    //   def call_custom_grad(self, x): return clip_gradients(x)
    // tf.saved_model.save(model, 'saved_model', options=SaveOptions(experimental_custom_gradients=True))
    // loaded = tf.saved_model.load('saved_model'); output = loaded.call_custom_grad(v * v) → tf.Tensor(2.0, ...)
    // gradtape has no tf.function and no SavedModel (a JS function is already the program; only
    // weights are saved, as safetensors), so the custom gradient is called through a module method.
    class MyModule { callCustomGrad(x: Tensor) { return clipGradients(x); } }
    const model = new MyModule();
    const v = variable(2);
    const t = tape(() => model.callCustomGrad(mul(v, v)));
    expect(t.gradient(t.result, v)!.item()).toBe(2);
  });

  it('Multiple tapes: each tape watches its own tensor', () => {
    // with tf.GradientTape() as tape0, tf.GradientTape() as tape1:
    //   tape0.watch(x0); tape1.watch(x1); y0 = tf.math.sin(x0); y1 = tf.nn.sigmoid(x1); ys = reduce_sum(y0 + y1)
    // tape0.gradient(ys, x0) → 1.0 (cos 0); tape1.gradient(ys, x1) → 0.25 (sigmoid'(0))
    const x0 = scalar(0), x1 = scalar(0);
    const tape0 = new GradientTape(), tape1 = new GradientTape();
    let ys!: Tensor;
    tape0.record(() => tape1.record(() => {
      tape0.watch(x0);
      tape1.watch(x1);
      const y = add(sin(x0), sigmoid(x1));
      ys = sum(y);
    }));
    expect(tape0.gradient(ys, x0)!.item()).toBe(1);
    expect(tape1.gradient(ys, x1)!.item()).toBe(0.25);
  });

  it('Multiple tapes: Higher-order gradients from nested tapes', () => {
    // x = tf.Variable(1.0)
    // with tf.GradientTape() as t2:
    //   with tf.GradientTape() as t1: y = x * x * x
    //   dy_dx = t1.gradient(y, x)
    // d2y_dx2 = t2.gradient(dy_dx, x) → dy_dx: 3.0, d2y_dx2: 6.0
    const x = variable(1);
    const t2 = tape(() => {
      const t1 = tape(() => mul(mul(x, x), x));
      return t1.gradient(t1.result, x)!;
    });
    const dyDx = t2.result;
    const d2yDx2 = t2.gradient(dyDx, x)!;
    expect(dyDx.item()).toBe(3);
    expect(d2yDx2.item()).toBe(6);
  });

  it('Higher-order gradients, Example: Input gradient regularization', () => {
    // x = tf.random.normal([7, 5]); layer = tf.keras.layers.Dense(10, activation=tf.nn.relu)
    // with tf.GradientTape() as t2:
    //   with tf.GradientTape(watch_accessed_variables=False) as t1:
    //     t1.watch(x); y = layer(x); out = tf.reduce_sum(layer(x)**2)
    //   g1 = t1.gradient(out, x)          # 1. the input gradient
    //   g1_mag = tf.norm(g1)              # 2. its magnitude
    // dg1_mag = t2.gradient(g1_mag, layer.trainable_variables)   # 3. its gradient w.r.t. the model
    // [var.shape for var in dg1_mag] → [TensorShape([5, 10]), TensorShape([10])]
    // (Dense as plain variables: no Keras layer in the root package)
    const xValues = randn([7, 5], 21);
    const x = fromND(xValues);
    const layer = denseVariables(5, 10, 22);
    const t2 = tape(() => {
      const t1 = tape(t1 => {
        t1.watch(x);
        dense(x, layer, relu); // `y = layer(x)`: computed and unused, as in the guide
        return sum(pow(dense(x, layer, relu), 2));
      }, { watchAccessedVariables: false });
      const g1 = t1.gradient(t1.result, x)!;
      return norm(g1);
    });
    const dg1Mag = t2.gradient(t2.result, [layer.kernel, layer.bias]);
    expect(dg1Mag.map(g => g!.shape)).toEqual([[5, 10], [10]]);
    // float64 reference: g1 = d/dx Σ relu(x·W + b)² = 2·relu(x·W + b)·Wᵀ in closed form, its norm
    // differentiated w.r.t. W and b by finite differences
    const g1Magnitude = ([w, b]: ND[]) => R.norm(R.mul(2, R.matmul(R.relu(R.add(R.matmul(xValues, w), b)), w, false, true)));
    const [dw, db] = numericGrad(g1Magnitude, [layer.kernelValues, { shape: [10], data: new Float64Array(10) }]);
    expectClose(t2.result.item(), g1Magnitude([layer.kernelValues, { shape: [10], data: new Float64Array(10) }]));
    expectClose(dg1Mag[0]!.data(), dw);
    expectClose(dg1Mag[1]!.data(), db);
  });

  it('Jacobians, Scalar source: the jacobian of a vector w.r.t. a scalar', () => {
    // x = tf.linspace(-10.0, 10.0, 200+1); delta = tf.Variable(0.0)
    // with tf.GradientTape() as tape: y = tf.nn.sigmoid(x+delta)
    // dy_dx = tape.jacobian(y, delta); print(y.shape); print(dy_dx.shape) → (201,) (201,)
    // The guide plots y and dy_dx; here they are checked against sigmoid and its derivative.
    const x = linspace(-10, 10, 201);
    const delta = variable(0);
    const t = tape(() => sigmoid(add(x, delta)));
    const dyDx = t.jacobian(t.result, delta)!;
    expect(t.result.shape).toEqual([201]);
    expect(dyDx.shape).toEqual([201]);
    const xs = Array.from({ length: 201 }, (_, i) => -10 + i * 0.1);
    expectClose(dyDx.data(), xs.map(v => sigmoid64(v) * (1 - sigmoid64(v))), { rtol: 2e-3, atol: 1e-6 });
  });

  /** x = tf.random.normal([7, 5]); layer = Dense(10, relu); with tf.GradientTape(persistent=True) as tape: y = layer(x) */
  function denseJacobianSetup() {
    const xValues = randn([7, 5], 31);
    const x = fromND(xValues);
    const layer = denseVariables(5, 10, 32);
    const t = tape(() => dense(x, layer, relu), { persistent: true });
    const y64 = ([kernel]: ND[]) => dense64(xValues, kernel, R.relu);
    return { layer, t, y: t.result, y64 };
  }

  it('Jacobians, Tensor source: the jacobian w.r.t. a kernel has shape target ++ source', () => {
    // y.shape → TensorShape([7, 10]); layer.kernel.shape → TensorShape([5, 10])
    // j = tape.jacobian(y, layer.kernel); j.shape → TensorShape([7, 10, 5, 10])
    const { layer, t, y, y64 } = denseJacobianSetup();
    expect(y.shape).toEqual([7, 10]);
    expect(layer.kernel.shape).toEqual([5, 10]);
    const j = t.jacobian(y, layer.kernel)!;
    expect(j.shape).toEqual([7, 10, 5, 10]);
    const [j64] = numericJacobian(y64, [layer.kernelValues]);
    expectShape(j64.shape, [7, 10, 5, 10]);
    expectClose(j.data(), j64);
  });

  it('Jacobians, Tensor source: the gradient is the jacobian summed over the target', () => {
    // g = tape.gradient(y, layer.kernel); print('g.shape:', g.shape) → (5, 10)
    // j_sum = tf.reduce_sum(j, axis=[0, 1]); delta = tf.reduce_max(abs(g - j_sum)).numpy(); assert delta < 1e-3
    const { layer, t, y } = denseJacobianSetup();
    const j = t.jacobian(y, layer.kernel)!;
    const g = t.gradient(y, layer.kernel)!;
    expect(g.shape).toEqual([5, 10]);
    const jSum = sum(j, [0, 1]);
    const delta = max(abs(sub(g, jSum))).item();
    expect(delta).toBeLessThan(1e-3);
    expect(max(abs(g)).item()).toBeGreaterThan(0.1); // not vacuous: the gradient is not all zeros
  });

  /**
   * The Hessian cell: x = tf.random.normal([7, 5]); layer1 = Dense(8, relu); layer2 = Dense(6, relu)
   * with tf.GradientTape() as t2:
   *   with tf.GradientTape() as t1: x = layer1(x); x = layer2(x); loss = tf.reduce_mean(x**2)
   *   g = t1.gradient(loss, layer1.kernel)
   * h = t2.jacobian(g, layer1.kernel)
   */
  function hessianSetup() {
    const xValues = randn([7, 5], 41);
    const x = fromND(xValues);
    const layer1 = denseVariables(5, 8, 42), layer2 = denseVariables(8, 6, 43);
    const t2 = tape(() => {
      const t1 = tape(() => mean(pow(dense(dense(x, layer1, relu), layer2, relu), 2)));
      return t1.gradient(t1.result, layer1.kernel)!;
    });
    const g = t2.result;
    const h = t2.jacobian(g, layer1.kernel)!;
    // float64 reference. The network is piecewise linear in layer1.kernel (relu), so near this
    // point y = output(kernel) is linear and loss = mean(y²) quadratic: g = (2/N)·Jᵀy and the
    // Hessian is exactly (2/N)·JᵀJ, with J = dy/dkernel (N = 7·6 outputs).
    const y64 = ([k1]: ND[]) => dense64(dense64(xValues, k1, R.relu), layer2.kernelValues, R.relu);
    const [jacobian64] = numericJacobian(y64, [layer1.kernelValues]);
    const N = 42, P = 40;
    const y = y64([layer1.kernelValues]).data;
    const g64 = new Float64Array(P), h64 = new Float64Array(P * P);
    for (let p = 0; p < P; p++) {
      for (let o = 0; o < N; o++) g64[p] += (2 / N) * jacobian64.data[o * P + p] * y[o];
      for (let q = 0; q < P; q++) {
        let s = 0;
        for (let o = 0; o < N; o++) s += jacobian64.data[o * P + p] * jacobian64.data[o * P + q];
        h64[p * P + q] = (2 / N) * s;
      }
    }
    return { layer1, g, h, g64, h64 };
  }

  it('Jacobians, Example: Hessian as the jacobian of a recorded gradient', () => {
    // print(f'layer.kernel.shape: {layer1.kernel.shape}') → (5, 8); print(f'h.shape: {h.shape}') → (5, 8, 5, 8)
    const { layer1, g, h, g64, h64 } = hessianSetup();
    expect(layer1.kernel.shape).toEqual([5, 8]);
    expect(h.shape).toEqual([5, 8, 5, 8]);
    expectClose(g.data(), g64, { atol: 1e-5 });
    expectClose(h.data(), h64, { atol: 1e-5 });
    expect(h64.some(v => Math.abs(v) > 1e-2)).toBe(true); // not vacuous
  });

  it('Jacobians, Example: Hessian: a Newton step', () => {
    // n_params = tf.reduce_prod(layer1.kernel.shape); g_vec = tf.reshape(g, [n_params, 1]); h_mat = tf.reshape(h, [n_params, n_params])
    // eps = 1e-3; eye_eps = tf.eye(h_mat.shape[0])*eps
    // update = tf.linalg.solve(h_mat + eye_eps, g_vec); layer1.kernel.assign_sub(tf.reshape(update, layer1.kernel.shape))
    // gradtape has no tf.linalg.solve (no linear-algebra solvers): the 40×40 system is solved here
    // in float64 by Gaussian elimination, then checked with gradtape's matmul.
    const { layer1, g, h } = hessianSetup();
    const nParams = layer1.kernel.shape[0] * layer1.kernel.shape[1];
    const gVec = reshape(g, [nParams, 1]);
    const hMat = reshape(h, [nParams, nParams]);
    expect(nParams).toBe(40);
    expectClose(hMat.data(), transpose(hMat).data(), { atol: 1e-6 }); // a Hessian is symmetric
    const eps = 1e-3;
    const system = add(hMat, mul(eye(nParams), eps));
    const update = tensor(Array.from(solve(toND(system), Float64Array.from(gVec.data()))), [nParams, 1]);
    // the solve is right: (h_mat + eps·I)·update = g_vec
    expectClose(matmul(system, update).data(), gVec.data(), { atol: 1e-5 });
    const before = layer1.kernel.data();
    layer1.kernel.assignSub(reshape(update, layer1.kernel.shape));
    const after = layer1.kernel.data(), step = update.data();
    expectClose(Array.from(before, (b, i) => b - after[i]), step, { atol: 1e-6 });
  });

  /**
   * The batch-jacobian cell: x = tf.random.normal([7, 5]); layer1 = Dense(8, elu); layer2 = Dense(6, elu)
   * with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
   *   tape.watch(x); y = layer1(x); y = layer2(y)
   */
  function batchJacobianSetup() {
    const xValues = randn([7, 5], 51);
    const x = fromND(xValues);
    const layer1 = denseVariables(5, 8, 52), layer2 = denseVariables(8, 6, 53);
    const t = tape(t => {
      t.watch(x);
      return dense(dense(x, layer1, elu), layer2, elu);
    }, { persistent: true, watchAccessedVariables: false });
    const y64 = ([x64]: ND[]) => dense64(dense64(x64, layer1.kernelValues, R.elu), layer2.kernelValues, R.elu);
    const [j64] = numericJacobian(y64, [xValues]);
    return { x, t, y: t.result, j64 };
  }

  it('Jacobians, Batch Jacobian: the full jacobian of a batch', () => {
    // y.shape → TensorShape([7, 6]); j = tape.jacobian(y, x); j.shape → TensorShape([7, 6, 7, 5])
    const { x, t, y, j64 } = batchJacobianSetup();
    expect(y.shape).toEqual([7, 6]);
    const j = t.jacobian(y, x)!;
    expect(j.shape).toEqual([7, 6, 7, 5]);
    expectClose(j.data(), j64);
  });

  it('Jacobians, Batch Jacobian: every (batch, batch) slice off the diagonal is zero (plotted in the guide)', () => {
    // imshow_zero_center(j[:, 0, :, 0]); plot_as_patches(j) → "All (batch, batch) slices are diagonal"
    const { x, t, y } = batchJacobianSetup();
    const j = toND(t.jacobian(y, x)!);
    expect(offDiagonalBlocks(j).every(v => v === 0)).toBe(true);
    // j[:, 0, :, 0] is a diagonal 7×7 matrix with a non-zero diagonal
    const slice00 = Array.from({ length: 7 }, (_, i) => Array.from({ length: 7 }, (_, k) => j.data[((i * 6) * 7 + k) * 5]));
    slice00.forEach((row, i) => row.forEach((v, k) => expect(v === 0).toBe(i !== k)));
  });

  it('Jacobians, Batch Jacobian: summing out the source batch or selecting the diagonal gives the same', () => {
    // j_sum = tf.reduce_sum(j, axis=2); print(j_sum.shape) → (7, 6, 5)
    // j_select = tf.einsum('bxby->bxy', j); print(j_select.shape) → (7, 6, 5)
    // gradtape has no einsum: the diagonal blocks are selected with slice and stack.
    const { x, t, y } = batchJacobianSetup();
    const j = t.jacobian(y, x)!;
    const jSum = sum(j, 2);
    const jSelect = stack(Array.from({ length: 7 }, (_, b) => reshape(slice(j, [b, 0, b, 0], [1, 6, 1, 5]), [6, 5])));
    expect(jSum.shape).toEqual([7, 6, 5]);
    expect(jSelect.shape).toEqual([7, 6, 5]);
    expect(jSum.toArray()).toEqual(jSelect.toArray()); // exact: every other term of the sum is 0
  });

  it('Jacobians, Batch Jacobian: batch_jacobian gives the diagonal blocks directly', () => {
    // jb = tape.batch_jacobian(y, x); jb.shape → TensorShape([7, 6, 5])
    // error = tf.reduce_max(abs(jb - j_sum)); assert error < 1e-3
    const { x, t, y, j64 } = batchJacobianSetup();
    const jb = t.batchJacobian(y, x);
    expect(jb.shape).toEqual([7, 6, 5]);
    const jSum = sum(t.jacobian(y, x)!, 2);
    expect(max(abs(sub(jb, jSum))).item()).toBeLessThan(1e-3);
    expectClose(jb.data(), R.sum(j64, 2));
  });

  it('Jacobians, Batch Jacobian: not for layers that mix the batch (BatchNormalization)', () => {
    // layer1 = Dense(8, elu); bn = tf.keras.layers.BatchNormalization(); layer2 = Dense(6, elu)
    // y = layer1(x); y = bn(y, training=True); y = layer2(y)
    // j = tape.jacobian(y, x) → j.shape: (7, 6, 7, 5), "These slices are not diagonal"
    // jb = tape.batch_jacobian(y, x) → jb.shape: (7, 6, 5)   "Don't use batch_jacobian"
    // BatchNormalization in training mode, written out with Keras' defaults (gamma 1, beta 0,
    // epsilon 1e-3): (y - mean) / sqrt(var + epsilon), the moments taken over the batch.
    const xValues = randn([7, 5], 61);
    const x = fromND(xValues);
    const layer1 = denseVariables(5, 8, 62), layer2 = denseVariables(8, 6, 63);
    const batchNorm = (h: Tensor) => {
      const m = mean(h, 0, true);
      const variance = mean(square(sub(h, m)), 0, true);
      return div(sub(h, m), sqrt(add(variance, 1e-3)));
    };
    const t = tape(t => {
      t.watch(x);
      return dense(batchNorm(dense(x, layer1, elu)), layer2, elu);
    }, { persistent: true, watchAccessedVariables: false });
    const j = t.jacobian(t.result, x)!;
    expect(j.shape).toEqual([7, 6, 7, 5]);
    const batchNorm64 = (h: ND) => {
      const m = R.mean(h, 0, true);
      return R.div(R.sub(h, m), R.sqrt(R.add(R.mean(R.square(R.sub(h, m)), 0, true), 1e-3)));
    };
    const y64 = ([x64]: ND[]) => dense64(batchNorm64(dense64(x64, layer1.kernelValues, R.elu)), layer2.kernelValues, R.elu);
    const [j64] = numericJacobian(y64, [xValues]);
    expectClose(j.data(), j64);
    expect(offDiagonalBlocks(toND(j)).some(v => Math.abs(v) > 1e-3)).toBe(true); // not diagonal

    const jb = t.batchJacobian(t.result, x);
    expect(jb.shape).toEqual([7, 6, 5]);
    // What TF's batch_jacobian computes, column by column of the target, is the gradient of
    // y[:, o] summed over the batch: jb[b, o, :] = Σ_b' dy[b', o]/dx[b, :]. With a batch-mixing
    // layer that is not the per-example jacobian j[b, o, b, :], hence the guide's warning.
    expectClose(jb.data(), R.transpose(R.sum(j64, 0), [1, 0, 2]));
    const diagonalBlocks = Array.from({ length: 7 }, (_, b) => R.slice(j64, [b, 0, b, 0], [1, 6, 1, 5]).data).flatMap(d => Array.from(d));
    expect(() => expectClose(jb.data(), diagonalBlocks)).toThrow();
  });
});

describe('the walkthrough, examples/tf-guides.mjs (dist build)', () => {
  it('prints what TF prints for the cells with exact values', async () => {
    // the example imports the built package, like the training examples (test/training.test.ts)
    const load = (name: string) => import(`../examples/${name}.mjs`) as Promise<{ main(o: { log: (...a: unknown[]) => void }): Promise<void> }>;
    const { main } = await load('tf-guides');
    const { format } = await import('node:util');
    vi.spyOn(console, 'warn').mockImplementation(() => {}); // the int32 cell's warning
    const lines: string[] = [];
    await main({ log: (...args) => lines.push(format(...args)) });
    const expected = [
      'dy_dx: 6', 'dense/kernel, shape: [3,2]', 'dense/bias, shape: [2]',
      'Tensor(6, shape=[], dtype=float32)', "[ 'x0' ]", 'dy/dx0: null', 'dz/dy: 18', '[ 4, 108 ]', '[ 2, 6 ]',
      '-0.25', '3.75', '7', 'dv0: 1', 'dv1: null', 'dx: null',
      'Variable : Tensor(1, shape=[], dtype=float32)', 'Tensor : null',
      'adjust_contrast written out: [ [ [ 1, 1, 1 ] ] ] 0', 'through floor: [ null, null ]',
      'Tensor([0, 0], shape=[2], dtype=float32)',
      'dz/dx: 4 dz/dy: null', 'Tensor(2, shape=[], dtype=float32)', '0.25', 'dy_dx: 3 d2y_dx2: 6',
      '[ [ 5, 10 ], [ 10 ] ]', '[ 201 ] [ 201 ]', '[ 7, 10, 5, 10 ]', 'layer.kernel.shape: [5,8]', 'h.shape: [5,8,5,8]',
      '[ 7, 6, 7, 5 ]', '[ 7, 6, 5 ]', 'j.shape: [7,6,7,5]', 'jb.shape: [7,6,5]',
    ];
    for (const line of expected) expect(lines).toContain(line);
    expect(lines.filter(l => l === 'dz/dx: 4 dz/dy: null')).toHaveLength(3); // stop_recording, reset, stop_gradient
    const dydx1 = lines.find(l => l.startsWith('dy/dx1: '))!;
    expect(Number(dydx1.slice(8))).toBeCloseTo(sigmoid64(10), 6);
  }, 60_000);
});
