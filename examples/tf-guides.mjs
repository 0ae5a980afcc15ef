// TensorFlow's two autodiff guides, "Introduction to gradients and automatic differentiation" and
// "Advanced automatic differentiation", step by step with gradtape. The Python of each step is in the
// comments beside the JavaScript, with what TF prints; every JS result is printed after it.
// The same cells are asserted in test/tf-guides.test.ts.
// Run: node examples/tf-guides.mjs  (after `npm run build`)
//
// Where gradtape differs from TF:
// - no Keras layers in the root package: a Dense layer is written as a kernel and a bias variable
//   and a matmul (Glorot-uniform kernel, zero bias, as Keras builds it);
// - no tf.function / SavedModel, tf.linalg.solve, tf.einsum, tf.clip_by_norm: the closest
//   equivalents are written out where the guide uses them;
// - `None` is `null`, and variable names carry no `:0` suffix.
import {
  tape, GradientTape, Variable, tensor, scalar, variable, zeros, randomNormal, randomUniform, customGradient, stopGradient,
  add, sub, mul, div, pow, square, sin, sigmoid, softplus, relu, elu, floor, sum, mean, max, abs, sqrt, norm, maximum,
  matmul, reshape, slice, stack, eye, linspace,
} from 'gradtape';
import { pathToFileURL } from 'node:url';

/** A Keras Dense layer as plain variables: kernel [inputs, units] (Glorot uniform), bias [units] (zeros). */
function denseLayer(inputs, units, activation, seed) {
  const limit = Math.sqrt(6 / (inputs + units));
  const kernel = variable(randomUniform([inputs, units], { min: -limit, max: limit, seed }), { name: 'dense/kernel' });
  const bias = variable(zeros([units]), { name: 'dense/bias' });
  const layer = x => activation(add(matmul(x, kernel), bias));
  layer.kernel = kernel;
  layer.trainableVariables = [kernel, bias];
  return layer;
}

/** Solves A·u = b (A: [n, n], b: [n, 1]) by Gaussian elimination in float64; gradtape has no linalg.solve. */
function solve(a, b) {
  const n = a.shape[0], m = Float64Array.from(a.data()), u = Float64Array.from(b.data());
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
    for (let k = 0; k < n; k++) [m[c * n + k], m[p * n + k]] = [m[p * n + k], m[c * n + k]];
    [u[c], u[p]] = [u[p], u[c]];
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
  return tensor(Array.from(u), [n, 1]);
}

function introduction(log) {
  log('--- Introduction to gradients and automatic differentiation ---');
  // ## Gradient tapes
  {
    const x = variable(3);                              // x = tf.Variable(3.0)
    const t = tape(() => pow(x, 2));                    // with tf.GradientTape() as tape: y = x**2
    const dyDx = t.gradient(t.result, x);               // dy_dx = tape.gradient(y, x)
    log('dy_dx:', dyDx.item());                         // dy_dx.numpy() → 6.0
  }
  {
    const w = variable(randomNormal([3, 2], { seed: 1 }), { name: 'w' }); // w = tf.Variable(tf.random.normal((3, 2)), name='w')
    const b = variable(zeros([2]), { name: 'b' });      // b = tf.Variable(tf.zeros(2, dtype=tf.float32), name='b')
    const x = [[1, 2, 3]];                              // x = [[1., 2., 3.]]
    const t = tape(() => {                              // with tf.GradientTape(persistent=True) as tape:
      const y = add(matmul(x, w), b);                   //   y = x @ w + b
      return mean(pow(y, 2));                           //   loss = tf.reduce_mean(y**2)
    }, { persistent: true });
    const [dlDw, dlDb] = t.gradient(t.result, [w, b]);  // [dl_dw, dl_db] = tape.gradient(loss, [w, b])
    log('w.shape:', w.shape, 'dl_dw.shape:', dlDw.shape); // print(w.shape); print(dl_dw.shape) → (3, 2) (3, 2)
    const grad = t.gradient(t.result, { w, b });        // grad = tape.gradient(loss, {'w': w, 'b': b})
    log("grad['b']:", `${grad.b}`, 'same as dl_db:', `${dlDb}`); // grad['b']
    t.dispose();
  }
  // ## Gradients with respect to a model
  {
    const layer = denseLayer(3, 2, relu, 2);            // layer = tf.keras.layers.Dense(2, activation='relu')
    const x = tensor([[1, 2, 3]]);                      // x = tf.constant([[1., 2., 3.]])
    const t = tape(() => mean(pow(layer(x), 2)));       // with tf.GradientTape() as tape: y = layer(x); loss = tf.reduce_mean(y**2)
    const grad = t.gradient(t.result, layer.trainableVariables); // grad = tape.gradient(loss, layer.trainable_variables)
    layer.trainableVariables.forEach((v, i) =>          // for var, g in zip(layer.trainable_variables, grad):
      log(`${v.name}, shape: [${grad[i].shape}]`));     //   print(f'{var.name}, shape: {g.shape}') → dense/kernel:0, shape: (3, 2) ...
  }
  // ## Controlling what the tape watches
  {
    const x0 = variable(3, { name: 'x0' });             // x0 = tf.Variable(3.0, name='x0')
    const x1 = variable(3, { name: 'x1', trainable: false }); // x1 = tf.Variable(3.0, name='x1', trainable=False)
    const x2 = add(variable(2, { name: 'x2' }), 1);     // x2 = tf.Variable(2.0, name='x2') + 1.0
    const x3 = scalar(3);                               // x3 = tf.constant(3.0, name='x3')
    const t = tape(() => add(add(pow(x0, 2), pow(x1, 2)), pow(x2, 2))); // y = (x0**2) + (x1**2) + (x2**2)
    const grad = t.gradient(t.result, [x0, x1, x2, x3]); // grad = tape.gradient(y, [x0, x1, x2, x3])
    for (const g of grad) log(g === null ? null : `${g}`); // → tf.Tensor(6.0, ...) None None None
    log(t.watchedVariables().map(v => v.name));          // [var.name for var in tape.watched_variables()] → ['x0:0']
  }
  {
    const x = scalar(3);                                // x = tf.constant(3.0)
    const t = tape(t => { t.watch(x); return pow(x, 2); }); // with tf.GradientTape() as tape: tape.watch(x); y = x**2
    log('dy_dx:', t.gradient(t.result, x).item());      // print(tape.gradient(y, x).numpy()) → 6.0
  }
  {
    const x0 = variable(0), x1 = variable(10);          // x0 = tf.Variable(0.0); x1 = tf.Variable(10.0)
    const t = tape(t => {                               // with tf.GradientTape(watch_accessed_variables=False) as tape:
      t.watch(x1);                                      //   tape.watch(x1)
      const y = add(sin(x0), softplus(x1));             //   y0 = tf.math.sin(x0); y1 = tf.nn.softplus(x1); y = y0 + y1
      return sum(y);                                    //   ys = tf.reduce_sum(y)
    }, { watchAccessedVariables: false });
    const grad = t.gradient(t.result, { x0, x1 });      // grad = tape.gradient(ys, {'x0': x0, 'x1': x1})
    log('dy/dx0:', grad.x0);                            // print('dy/dx0:', grad['x0']) → None
    log('dy/dx1:', grad.x1.item());                     // print('dy/dx1:', grad['x1'].numpy()) → 0.9999546
  }
  // ## Intermediate results
  {
    const x = scalar(3);                                // x = tf.constant(3.0)
    const t = tape(t => {                               // with tf.GradientTape() as tape:
      t.watch(x);                                       //   tape.watch(x)
      const y = mul(x, x);                              //   y = x * x
      return { y, z: mul(y, y) };                       //   z = y * y
    });
    log('dz/dy:', t.gradient(t.result.z, t.result.y).item()); // print(tape.gradient(z, y).numpy()) → 18.0
  }
  {
    const x = tensor([1, 3]);                           // x = tf.constant([1, 3.0])
    const t = tape(t => {                               // with tf.GradientTape(persistent=True) as tape:
      t.watch(x);                                       //   tape.watch(x)
      const y = mul(x, x);                              //   y = x * x
      return { y, z: mul(y, y) };                       //   z = y * y
    }, { persistent: true });
    log(t.gradient(t.result.z, x).toArray());           // print(tape.gradient(z, x).numpy()) → [4.0, 108.0]
    log(t.gradient(t.result.y, x).toArray());           // print(tape.gradient(y, x).numpy()) → [2.0, 6.0]
    t.dispose();                                        // del tape
  }
  // ## Gradients of non-scalar targets
  {
    const x = variable(2);                              // x = tf.Variable(2.0)
    const t = tape(() => ({ y0: pow(x, 2), y1: div(1, x) }), { persistent: true }); // y0 = x**2; y1 = 1 / x
    log(t.gradient(t.result.y0, x).item());             // print(tape.gradient(y0, x).numpy()) → 4.0
    log(t.gradient(t.result.y1, x).item());             // print(tape.gradient(y1, x).numpy()) → -0.25
    log(t.gradient({ y0: t.result.y0, y1: t.result.y1 }, x).item()); // tape.gradient({'y0': y0, 'y1': y1}, x) → 3.75
    t.dispose();
  }
  {
    const x = variable(2);                              // x = tf.Variable(2.)
    const t = tape(() => mul(x, [3, 4]));               // with tf.GradientTape() as tape: y = x * [3., 4.]
    log(t.gradient(t.result, x).item());                // print(tape.gradient(y, x).numpy()) → 7.0
  }
  {
    const x = linspace(-10, 10, 201);                   // x = tf.linspace(-10.0, 10.0, 200+1)
    const t = tape(t => { t.watch(x); return sigmoid(x); }); // tape.watch(x); y = tf.nn.sigmoid(x)
    const dyDx = t.gradient(t.result, x);               // dy_dx = tape.gradient(y, x)
    // plt.plot(x, y); plt.plot(x, dy_dx): instead, a few points of each curve
    for (const i of [0, 80, 100, 120, 200]) log(`x ${x.data()[i].toFixed(1)}  y ${t.result.data()[i].toFixed(5)}  dy/dx ${dyDx.data()[i].toFixed(5)}`);
  }
  // ## Control flow
  {
    const x = scalar(1);                                // x = tf.constant(1.0)
    const v0 = variable(2), v1 = variable(2);           // v0 = tf.Variable(2.0); v1 = tf.Variable(2.0)
    const t = tape(t => {                               // with tf.GradientTape(persistent=True) as tape:
      t.watch(x);                                       //   tape.watch(x)
      return x.item() > 0 ? v0 : pow(v1, 2);            //   if x > 0.0: result = v0 / else: result = v1**2
    }, { persistent: true });
    const [dv0, dv1] = t.gradient(t.result, [v0, v1]);  // dv0, dv1 = tape.gradient(result, [v0, v1])
    log('dv0:', dv0 === null ? null : dv0.item());      // print(dv0) → tf.Tensor(1.0, ...)
    log('dv1:', dv1);                                   // print(dv1) → None
    log('dx:', t.gradient(t.result, x));                // dx = tape.gradient(result, x); print(dx) → None
    t.dispose();
  }
  // ## Cases where `gradient` returns `None`
  {
    const x = variable(2), y = variable(3);             // x = tf.Variable(2.); y = tf.Variable(3.)
    const t = tape(() => mul(y, y));                    // with tf.GradientTape() as tape: z = y * y
    log(t.gradient(t.result, x));                       // print(tape.gradient(z, x)) → None
  }
  {
    // ### 1. Replaced a variable with a tensor
    let x = variable(2);                                // x = tf.Variable(2.0)
    for (let epoch = 0; epoch < 2; epoch++) {           // for epoch in range(2):
      const t = tape(() => add(x, 1));                  //   with tf.GradientTape() as tape: y = x+1
      const g = t.gradient(t.result, x);                //   print(type(x).__name__, ":", tape.gradient(y, x))
      log(x instanceof Variable ? 'Variable' : 'Tensor', ':', g === null ? null : `${g}`); // → ResourceVariable : tf.Tensor(1.0, ...) / EagerTensor : None
      x = add(x, 1);                                    //   x = x + 1   # This should be `x.assign_add(1)`
    }
  }
  {
    // ### 2. Did calculations outside of TensorFlow
    const x = variable([[1, 2], [3, 4]]);               // x = tf.Variable([[1.0, 2.0], [3.0, 4.0]], dtype=tf.float32)
    const t = tape(() => {                              // with tf.GradientTape() as tape:
      const x2 = pow(x, 2).toArray();                   //   x2 = x**2
      const y = [0, 1].map(j => (x2[0][j] + x2[1][j]) / 2); //   y = np.mean(x2, axis=0)   (here: plain JS)
      return mean(tensor(y), 0);                        //   y = tf.reduce_mean(y, axis=0)
    });
    log(t.gradient(t.result, x));                       // print(tape.gradient(y, x)) → None
  }
  {
    // ### 3. Took gradients through an integer or string
    const x = scalar(10, 'int32');                      // x = tf.constant(10)
    const g = tape(g => { g.watch(x); return mul(x, x); }); // with tf.GradientTape() as g: g.watch(x); y = x * x
    log(g.gradient(g.result, x));                       // print(g.gradient(y, x)) → WARNING: The dtype of the watched tensor must be floating ... None
  }
  {
    // ### 4. Took gradients through a stateful object
    const x0 = variable(3), x1 = variable(0);           // x0 = tf.Variable(3.0); x1 = tf.Variable(0.0)
    const t = tape(() => { x1.assignAdd(x0); return pow(x1, 2); }); // x1.assign_add(x0); y = x1**2
    log(t.gradient(t.result, x0));                      // print(tape.gradient(y, x0)) → None
  }
  // ## No gradient registered
  {
    // tf.image.adjust_contrast has no gradient in TF (LookupError). gradtape has no such op: written
    // with differentiable ops it has a gradient, and its non-differentiable ops (floor, ...) give null.
    const image = variable([[[0.5, 0, 0]]]), delta = variable(0.1); // image = tf.Variable([[[0.5, 0.0, 0.0]]]); delta = tf.Variable(0.1)
    const t = tape(() => {                              // new_image = tf.image.adjust_contrast(image, delta)
      const channelMean = mean(image, [0, 1], true);
      return add(mul(sub(image, channelMean), delta), channelMean);
    });
    const [dImage, dDelta] = t.gradient(t.result, [image, delta]); // tape.gradient(new_image, [image, delta]) → LookupError in TF
    log('adjust_contrast written out:', dImage.toArray(), dDelta.item());
    const f = tape(() => floor(mul(image, delta)));
    log('through floor:', f.gradient(f.result, [image, delta]));
  }
  // ## Zeros instead of None
  {
    const x = variable([2, 2]), y = variable(3);        // x = tf.Variable([2., 2.]); y = tf.Variable(3.)
    const t = tape(() => pow(y, 2));                    // with tf.GradientTape() as tape: z = y**2
    log(`${t.gradient(t.result, x, { unconnectedGradients: 'zero' })}`); // unconnected_gradients=tf.UnconnectedGradients.ZERO → [0. 0.]
  }
}

function advanced(log) {
  log('--- Advanced automatic differentiation ---');
  // ## Controlling gradient recording: Stop recording
  {
    const x = variable(2), y = variable(3);             // x = tf.Variable(2.0); y = tf.Variable(3.0)
    const t = tape(t => {                               // with tf.GradientTape() as t:
      const xSq = mul(x, x);                            //   x_sq = x * x
      const ySq = t.stopRecording(() => mul(y, y));     //   with t.stop_recording(): y_sq = y * y
      return add(xSq, ySq);                             //   z = x_sq + y_sq
    });
    const grad = t.gradient(t.result, { x, y });        // grad = t.gradient(z, {'x': x, 'y': y})
    log('dz/dx:', grad.x.item(), 'dz/dy:', grad.y);     // → dz/dx: 4.0, dz/dy: None
  }
  // ### Reset/start recording from scratch
  {
    const x = variable(2), y = variable(3);
    const reset = true;                                 // reset = True
    const t = tape(t => {                               // with tf.GradientTape() as t:
      const ySq = mul(y, y);                            //   y_sq = y * y
      if (reset) t.reset();                             //   if reset: t.reset()
      return add(mul(x, x), ySq);                       //   z = x * x + y_sq
    });
    const grad = t.gradient(t.result, { x, y });
    log('dz/dx:', grad.x.item(), 'dz/dy:', grad.y);     // → dz/dx: 4.0, dz/dy: None
  }
  // ## Stop gradient flow with precision
  {
    const x = variable(2), y = variable(3);
    const t = tape(() => add(pow(x, 2), stopGradient(pow(y, 2)))); // y_sq = y**2; z = x**2 + tf.stop_gradient(y_sq)
    const grad = t.gradient(t.result, { x, y });
    log('dz/dx:', grad.x.item(), 'dz/dy:', grad.y);     // → dz/dx: 4.0, dz/dy: None
  }
  // ## Custom gradients
  // @tf.custom_gradient
  // def clip_gradients(y):
  //   def backward(dy): return tf.clip_by_norm(dy, 0.5)
  //   return y, backward
  const clipGradients = customGradient(y => ({
    value: y,
    grad: dy => div(mul(dy, 0.5), maximum(norm(dy), 0.5)), // clip_by_norm(dy, 0.5) = dy·0.5 / max(‖dy‖, 0.5)
  }));
  {
    const v = variable(2);                              // v = tf.Variable(2.0)
    const t = tape(() => clipGradients(mul(v, v)));     // with tf.GradientTape() as t: output = clip_gradients(v * v)
    log(`${t.gradient(t.result, v)}`);                  // print(t.gradient(output, v)) → tf.Tensor(2.0, ...)
  }
  // ### Custom gradients in SavedModel: no tf.function or SavedModel in gradtape; a plain object's
  // method calling the custom gradient is the closest equivalent.
  {
    const model = { callCustomGrad: x => clipGradients(x) }; // class MyModule(tf.Module): def call_custom_grad(self, x): return clip_gradients(x)
    const v = variable(2);
    const t = tape(() => model.callCustomGrad(mul(v, v))); // output = loaded.call_custom_grad(v * v)
    log(`${t.gradient(t.result, v)}`);                  // print(t.gradient(output, v)) → tf.Tensor(2.0, ...)
  }
  // ## Multiple tapes
  {
    const x0 = scalar(0), x1 = scalar(0);               // x0 = tf.constant(0.0); x1 = tf.constant(0.0)
    const tape0 = new GradientTape(), tape1 = new GradientTape();
    let ys;
    tape0.record(() => tape1.record(() => {             // with tf.GradientTape() as tape0, tf.GradientTape() as tape1:
      tape0.watch(x0);                                  //   tape0.watch(x0)
      tape1.watch(x1);                                  //   tape1.watch(x1)
      const y = add(sin(x0), sigmoid(x1));              //   y0 = tf.math.sin(x0); y1 = tf.nn.sigmoid(x1); y = y0 + y1
      ys = sum(y);                                      //   ys = tf.reduce_sum(y)
    }));
    log(tape0.gradient(ys, x0).item());                 // tape0.gradient(ys, x0).numpy() → 1.0
    log(tape1.gradient(ys, x1).item());                 // tape1.gradient(ys, x1).numpy() → 0.25
  }
  // ### Higher-order gradients
  {
    const x = variable(1);                              // x = tf.Variable(1.0)
    const t2 = tape(() => {                             // with tf.GradientTape() as t2:
      const t1 = tape(() => mul(mul(x, x), x));         //   with tf.GradientTape() as t1: y = x * x * x
      return t1.gradient(t1.result, x);                 //   dy_dx = t1.gradient(y, x)
    });
    const d2yDx2 = t2.gradient(t2.result, x);           // d2y_dx2 = t2.gradient(dy_dx, x)
    log('dy_dx:', t2.result.item(), 'd2y_dx2:', d2yDx2.item()); // → dy_dx: 3.0, d2y_dx2: 6.0
  }
  // #### Example: Input gradient regularization
  {
    const x = randomNormal([7, 5], { seed: 3 });        // x = tf.random.normal([7, 5])
    const layer = denseLayer(5, 10, relu, 4);           // layer = tf.keras.layers.Dense(10, activation=tf.nn.relu)
    const t2 = tape(() => {                             // with tf.GradientTape() as t2:
      const t1 = tape(t1 => {                           //   with tf.GradientTape(watch_accessed_variables=False) as t1:
        t1.watch(x);                                    //     t1.watch(x)
        layer(x);                                       //     y = layer(x)
        return sum(pow(layer(x), 2));                   //     out = tf.reduce_sum(layer(x)**2)
      }, { watchAccessedVariables: false });
      const g1 = t1.gradient(t1.result, x);             //   g1 = t1.gradient(out, x)
      return norm(g1);                                  //   g1_mag = tf.norm(g1)
    });
    const dg1Mag = t2.gradient(t2.result, layer.trainableVariables); // dg1_mag = t2.gradient(g1_mag, layer.trainable_variables)
    log(dg1Mag.map(g => g.shape));                      // [var.shape for var in dg1_mag] → [TensorShape([5, 10]), TensorShape([10])]
  }
  // ## Jacobians: Scalar source
  {
    const x = linspace(-10, 10, 201);                   // x = tf.linspace(-10.0, 10.0, 200+1)
    const delta = variable(0);                          // delta = tf.Variable(0.0)
    const t = tape(() => sigmoid(add(x, delta)));       // with tf.GradientTape() as tape: y = tf.nn.sigmoid(x+delta)
    const dyDx = t.jacobian(t.result, delta);           // dy_dx = tape.jacobian(y, delta)
    log(t.result.shape, dyDx.shape);                    // print(y.shape); print(dy_dx.shape) → (201,) (201,)
  }
  // ### Tensor source
  {
    const x = randomNormal([7, 5], { seed: 5 });        // x = tf.random.normal([7, 5])
    const layer = denseLayer(5, 10, relu, 6);           // layer = tf.keras.layers.Dense(10, activation=tf.nn.relu)
    const t = tape(() => layer(x), { persistent: true }); // with tf.GradientTape(persistent=True) as tape: y = layer(x)
    const y = t.result;
    log(y.shape, layer.kernel.shape);                   // y.shape → [7, 10]; layer.kernel.shape → [5, 10]
    const j = t.jacobian(y, layer.kernel);              // j = tape.jacobian(y, layer.kernel)
    log(j.shape);                                       // j.shape → [7, 10, 5, 10]
    const g = t.gradient(y, layer.kernel);              // g = tape.gradient(y, layer.kernel)
    log('g.shape:', g.shape);                           // print('g.shape:', g.shape) → (5, 10)
    const jSum = sum(j, [0, 1]);                        // j_sum = tf.reduce_sum(j, axis=[0, 1])
    const delta = max(abs(sub(g, jSum))).item();        // delta = tf.reduce_max(abs(g - j_sum)).numpy()
    if (!(delta < 1e-3)) throw new Error(`tf-guides: the gradient is not the summed jacobian (delta ${delta})`); // assert delta < 1e-3
    log('delta:', delta);                               // print('delta:', delta)
    t.dispose();
  }
  // #### Example: Hessian
  {
    let x = randomNormal([7, 5], { seed: 7 });          // x = tf.random.normal([7, 5])
    const layer1 = denseLayer(5, 8, relu, 8);           // layer1 = tf.keras.layers.Dense(8, activation=tf.nn.relu)
    const layer2 = denseLayer(8, 6, relu, 9);           // layer2 = tf.keras.layers.Dense(6, activation=tf.nn.relu)
    const t2 = tape(() => {                             // with tf.GradientTape() as t2:
      const t1 = tape(() => {                           //   with tf.GradientTape() as t1:
        x = layer1(x);                                  //     x = layer1(x)
        x = layer2(x);                                  //     x = layer2(x)
        return mean(pow(x, 2));                         //     loss = tf.reduce_mean(x**2)
      });
      return t1.gradient(t1.result, layer1.kernel);     //   g = t1.gradient(loss, layer1.kernel)
    });
    const g = t2.result;
    const h = t2.jacobian(g, layer1.kernel);            // h = t2.jacobian(g, layer1.kernel)
    log(`layer.kernel.shape: [${layer1.kernel.shape}]`); // → (5, 8)
    log(`h.shape: [${h.shape}]`);                       // → (5, 8, 5, 8)
    const nParams = layer1.kernel.size;                 // n_params = tf.reduce_prod(layer1.kernel.shape)
    const gVec = reshape(g, [nParams, 1]);              // g_vec = tf.reshape(g, [n_params, 1])
    const hMat = reshape(h, [nParams, nParams]);        // h_mat = tf.reshape(h, [n_params, n_params])
    const eps = 1e-3;                                   // eps = 1e-3
    const eyeEps = mul(eye(nParams), eps);              // eye_eps = tf.eye(h_mat.shape[0])*eps
    const update = solve(add(hMat, eyeEps), gVec);      // update = tf.linalg.solve(h_mat + eye_eps, g_vec)
    layer1.kernel.assignSub(reshape(update, layer1.kernel.shape)); // layer1.kernel.assign_sub(tf.reshape(update, layer1.kernel.shape))
    log('Newton step, largest |update|:', max(abs(update)).item().toFixed(4));
  }
  // ### Batch Jacobian
  {
    const x = randomNormal([7, 5], { seed: 10 });       // x = tf.random.normal([7, 5])
    const layer1 = denseLayer(5, 8, elu, 11);           // layer1 = tf.keras.layers.Dense(8, activation=tf.nn.elu)
    const layer2 = denseLayer(8, 6, elu, 12);           // layer2 = tf.keras.layers.Dense(6, activation=tf.nn.elu)
    const t = tape(t => {                               // with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
      t.watch(x);                                       //   tape.watch(x)
      return layer2(layer1(x));                         //   y = layer1(x); y = layer2(y)
    }, { persistent: true, watchAccessedVariables: false });
    const y = t.result;
    log(y.shape);                                       // y.shape → [7, 6]
    const j = t.jacobian(y, x);                         // j = tape.jacobian(y, x)
    log(j.shape);                                       // j.shape → [7, 6, 7, 5]
    const jSum = sum(j, 2);                             // j_sum = tf.reduce_sum(j, axis=2)
    log(jSum.shape);                                    // print(j_sum.shape) → (7, 6, 5)
    const jSelect = stack(Array.from({ length: 7 }, (_, b) => reshape(slice(j, [b, 0, b, 0], [1, 6, 1, 5]), [6, 5])));
    log(jSelect.shape);                                 // j_select = tf.einsum('bxby->bxy', j); print(j_select.shape) → (7, 6, 5)
    const jb = t.batchJacobian(y, x);                   // jb = tape.batch_jacobian(y, x)
    log(jb.shape);                                      // jb.shape → [7, 6, 5]
    const error = max(abs(sub(jb, jSum))).item();       // error = tf.reduce_max(abs(jb - j_sum))
    if (!(error < 1e-3)) throw new Error(`tf-guides: batchJacobian differs from the summed jacobian (${error})`); // assert error < 1e-3
    log(error);                                         // print(error.numpy())
    t.dispose();
  }
  {
    const x = randomNormal([7, 5], { seed: 13 });       // x = tf.random.normal([7, 5])
    const layer1 = denseLayer(5, 8, elu, 14);           // layer1 = tf.keras.layers.Dense(8, activation=tf.nn.elu)
    const bn = h => {                                   // bn = tf.keras.layers.BatchNormalization(); bn(y, training=True)
      const m = mean(h, 0, true);                       //   (Keras' defaults: gamma 1, beta 0, epsilon 1e-3)
      return div(sub(h, m), sqrt(add(mean(square(sub(h, m)), 0, true), 1e-3)));
    };
    const layer2 = denseLayer(8, 6, elu, 15);           // layer2 = tf.keras.layers.Dense(6, activation=tf.nn.elu)
    const t = tape(t => {                               // with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
      t.watch(x);                                       //   tape.watch(x)
      return layer2(bn(layer1(x)));                     //   y = layer1(x); y = bn(y, training=True); y = layer2(y)
    }, { persistent: true, watchAccessedVariables: false });
    const j = t.jacobian(t.result, x);                  // j = tape.jacobian(y, x)
    log(`j.shape: [${j.shape}]`);                       // print(f'j.shape: {j.shape}') → (7, 6, 7, 5)
    const offDiagonal = max(abs(slice(j, [0, 0, 1, 0], [1, 6, 1, 5]))).item();
    log('an off-diagonal (batch, batch) block is not zero:', offDiagonal.toFixed(4)); // plot_as_patches(j): "These slices are not diagonal"
    const jb = t.batchJacobian(t.result, x);            // jb = tape.batch_jacobian(y, x)
    log(`jb.shape: [${jb.shape}]`);                     // print(f'jb.shape: {jb.shape}') → (7, 6, 5)
    t.dispose();
  }
}

export async function main({ log = console.log } = {}) {
  introduction(log);
  advanced(log);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
