// TensorFlow.js (CPU backend or wasm backend), idiomatic functional gradients: tf.grad / tf.grads /
// optimizer.minimize, everything inside tf.tidy, results read back with dataSync().
import { SEED, CHAIN, MLP, MATMUL, MATMUL512, CNN, CNN128, DCGAN, DCGAN_SHAPES, RNN, ATTENTION, ATTENTION_SHAPES, ATTENTION_INIT, PINN, PINN_NAMES } from '../data.mjs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

async function loadTf(backend) {
  const tf = await import('@tensorflow/tfjs');
  tf.enableProdMode(); // only silences tfjs's console warnings (the "install tfjs-node" banner)
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    wasm.setWasmPaths(dir);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') returned false`);
  await tf.ready();
  return tf;
}

export async function create(backend) {
  const tf = await loadTf(backend);
  const version = tf.version.tfjs;
  let note = '';
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const mt = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    note = `simd=${simd} threads=${mt ? wasm.getThreadsCount() : 1}`;
  }
  /**
   * Runs `fn` in tf.tidy, keeping the tensors it returns (an object of them), then reads them back
   * outside the tidy and frees them. Reading inside would hand tidy typed arrays to scan: it walks a
   * returned container element by element (a Set entry per float), a cost that is not the library's
   * gradient work.
   */
  const readBack = (fn) => {
    const tensors = tf.tidy(fn);
    const out = {};
    for (const [k, t] of Object.entries(tensors)) out[k] = t.dataSync();
    tf.dispose(Object.values(tensors));
    return out;
  };
  // Every sample first makes this backend the active one (tfjs has one global backend).
  const activate = async () => { if (tf.getBackend() !== backend) await tf.setBackend(backend); };

  /**
   * A training-step workload: `step` is one optimizer update (the loss as a number), `check` the
   * loss and the gradients on the current weights, named by `names` in the order of `vars`.
   */
  const trainingStep = (opt, lossFn, vars, names, dispose) => ({
    step() {
      const cost = opt.minimize(lossFn, /* returnCost */ true, vars);
      const v = cost.dataSync()[0];
      cost.dispose();
      return v;
    },
    check: () => readBack(() => {
      const { value, grads } = tf.variableGrads(lossFn, vars);
      return Object.fromEntries([['loss', value], ...names.map((k, i) => [k, grads[vars[i].name]])]);
    }),
    dispose,
  });

  const workloads = {
    seed() {
      // tfjs has no persistent tape: each gradient is its own tf.grad call.
      const f = (x, y) => {
        let output = tf.scalar(1);
        for (let i = 0; i < y; i++) if (i > 1 && i < 5) output = tf.mul(output, x);
        return output;
      };
      const once = () => tf.tidy(() => {
        const out = {};
        const x = tf.ones([2, 2]);
        out['a.dz/dx'] = tf.grad((x) => { const y = tf.sum(x); return tf.mul(y, y); })(x).dataSync();
        out['a.dz/dy'] = tf.grad((y) => tf.mul(y, y))(tf.sum(x)).dataSync();
        const xb = tf.scalar(3);
        out['b.dz/dx'] = tf.grad((x) => { const y = tf.mul(x, x); return tf.mul(y, y); })(xb).dataSync();
        out['b.dy/dx'] = tf.grad((x) => tf.mul(x, x))(xb).dataSync();
        const xc = tf.scalar(SEED.x);
        for (const y of SEED.loopYs) out[`c.y=${y}`] = tf.grad((x) => f(x, y))(xc).dataSync();
        return out;
      });
      return { step: once, check: once, dispose() {} };
    },

    chain() {
      const x = tf.scalar(CHAIN.x);
      const dydx = tf.grad((x) => {
        let y = tf.scalar(CHAIN.y0);
        for (let i = 0; i < CHAIN.steps; i++) y = tf.add(tf.mul(y, x), tf.sin(y));
        return y;
      });
      const once = () => tf.tidy(() => ({ 'dy/dx': dydx(x).dataSync() }));
      return { step: once, check: once, dispose() { x.dispose(); } };
    },

    mlp() {
      const { batch, nIn, nHidden, nOut, lr } = MLP;
      const x = tf.tensor2d(MLP.x, [batch, nIn]);
      const labels = tf.tensor2d(MLP.y, [batch, nOut]);
      // tidy frees the initial-value tensors; variables survive it
      const vars = tf.tidy(() => [
        tf.variable(tf.tensor2d(MLP.w1, [nIn, nHidden])),
        tf.variable(tf.tensor1d(MLP.b1)),
        tf.variable(tf.tensor2d(MLP.w2, [nHidden, nOut])),
        tf.variable(tf.tensor1d(MLP.b2)),
      ]);
      const [w1, b1, w2, b2] = vars;
      const opt = tf.train.sgd(lr);
      const lossFn = () => {
        const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
        const logits = tf.add(tf.matMul(h, w2), b2);
        // default reduction SUM_BY_NONZERO_WEIGHTS = mean over the batch
        return tf.losses.softmaxCrossEntropy(labels, logits);
      };
      return {
        step() {
          const cost = opt.minimize(lossFn, /* returnCost */ true, vars);
          const v = cost.dataSync()[0];
          cost.dispose();
          return v;
        },
        check: () => tf.tidy(() => {
          const { value, grads } = tf.variableGrads(lossFn, vars);
          return {
            loss: value.dataSync(),
            dw1: grads[w1.name].dataSync(), db1: grads[b1.name].dataSync(),
            dw2: grads[w2.name].dataSync(), db2: grads[b2.name].dataSync(),
          };
        }),
        dispose() { tf.dispose([x, labels, ...vars]); opt.dispose(); },
      };
    },

    matmul(M = MATMUL) {
      const n = M.n;
      const a = tf.tensor2d(M.a, [n, n]);
      const b = tf.tensor2d(M.b, [n, n]);
      const g = tf.grads((a, b) => tf.sum(tf.matMul(a, b)));
      const once = () => readBack(() => { const [dA, dB] = g([a, b]); return { dA, dB }; });
      return { step: once, check: once, dispose() { tf.dispose([a, b]); } };
    },

    cnn(C = CNN) {
      // checked before any tensor exists: the wasm backend has no filter gradient (see bench/README.md)
      if (!tf.getKernel('Conv2DBackpropFilter', backend)) throw new Error(`Kernel 'Conv2DBackpropFilter' not registered for backend '${backend}'`);
      const { batch, size, c1, c2, nOut } = C;
      const x = tf.tensor4d(C.x, [batch, size, size, 1]);
      const labels = tf.tensor2d(C.y, [batch, nOut]);
      const f1 = tf.tensor4d(C.f1, [3, 3, 1, c1]);
      const f2 = tf.tensor4d(C.f2, [3, 3, c1, c2]);
      const b1 = tf.tensor1d(C.b1);
      const b2 = tf.tensor1d(C.b2);
      const w = tf.tensor2d(C.w, [c2, nOut]);
      // tf.fused.conv2d, as gradtape's fused call; while gradients are recorded tfjs 4.22 runs it
      // as conv2d + add + relu (shouldFuse: only a linear activation fuses in gradient mode)
      const lossAndGrads = tf.valueAndGrads((f1, b1, f2, b2, w) => {
        const h1 = tf.fused.conv2d({ x, filter: f1, strides: 1, pad: 'same', bias: b1, activation: 'relu' });
        const h2 = tf.fused.conv2d({ x: h1, filter: f2, strides: 2, pad: 'same', bias: b2, activation: 'relu' });
        const logits = tf.matMul(tf.mean(h2, [1, 2]), w);
        return tf.losses.softmaxCrossEntropy(labels, logits); // mean over the batch
      });
      const params = [f1, b1, f2, b2, w];
      const once = () => readBack(() => {
        const { value, grads: [df1, db1, df2, db2, dw] } = lossAndGrads(params);
        return { loss: value, df1, db1, df2, db2, dw };
      });
      return { step: once, check: once, dispose() { tf.dispose([x, labels, ...params]); } };
    },

    dcgan() {
      // every filter gradient here (the discriminator's convolutions and the generator's transposed
      // ones alike) is a Conv2DBackpropFilter, which the wasm backend lacks, as in cnn
      if (!tf.getKernel('Conv2DBackpropFilter', backend)) throw new Error(`Kernel 'Conv2DBackpropFilter' not registered for backend '${backend}'`);
      const { batch, noiseDim, size, alpha, bnEpsilon, lr } = DCGAN;
      const noise = tf.tensor2d(DCGAN.noise, [batch, noiseDim]);
      const real = tf.tensor4d(DCGAN.real, [batch, size, size, 1]);
      const vars = (which) => tf.tidy(() => Object.fromEntries(Object.entries(DCGAN_SHAPES[which])
        .map(([k, shape]) => [k, tf.variable(tf.tensor(DCGAN[which][k], shape), true, `${which}.${k}`)])));
      const G = vars('gen'), D = vars('disc');
      const gVars = Object.values(G), dVars = Object.values(D);
      const gOpt = tf.train.adam(lr), dOpt = tf.train.adam(lr);
      // training-mode batch normalization as tf.layers.batchNormalization computes it: tf.moments
      // over every axis but the channels, then tf.batchNorm (no moving averages: not needed here)
      const batchNorm = (x, axes, gamma, beta) => {
        const { mean, variance } = tf.moments(x, axes); // shape [channels], as gamma and beta
        return tf.batchNorm(x, mean, variance, beta, gamma, bnEpsilon);
      };
      const bnLeaky = (x, axes, gamma, beta) => tf.leakyRelu(batchNorm(x, axes, gamma, beta), alpha);
      const generator = (z) => {
        let h = bnLeaky(tf.matMul(z, G.dense), [0], G.gamma0, G.beta0);
        h = tf.reshape(h, [batch, 7, 7, 256]);
        h = bnLeaky(tf.conv2dTranspose(h, G.t1, [batch, 7, 7, 128], 1, 'same'), [0, 1, 2], G.gamma1, G.beta1);
        h = bnLeaky(tf.conv2dTranspose(h, G.t2, [batch, 14, 14, 64], 2, 'same'), [0, 1, 2], G.gamma2, G.beta2);
        return tf.tanh(tf.conv2dTranspose(h, G.t3, [batch, 28, 28, 1], 2, 'same'));
      };
      const leaky = { activation: 'leakyrelu', leakyreluAlpha: alpha };
      const discriminator = (img) => {
        let h = tf.fused.conv2d({ x: img, filter: D.c1, strides: 2, pad: 'same', bias: D.b1, ...leaky });
        h = tf.fused.conv2d({ x: h, filter: D.c2, strides: 2, pad: 'same', bias: D.b2, ...leaky });
        return tf.fused.matMul({ a: tf.reshape(h, [batch, 6272]), b: D.dense, bias: D.b3 });
      };
      const ones = tf.ones([batch, 1]), zeros = tf.zeros([batch, 1]);
      // Keras BinaryCrossentropy(from_logits=True): the batch mean
      const bce = (labels, logits) => tf.losses.sigmoidCrossEntropy(labels, logits);
      // tfjs has one tape per gradient call and no stopGradient, so the tutorial's two tapes over
      // one forward pass become two tf.variableGrads calls: the generator's loss first, keeping the
      // fake batch it generated; then the discriminator's loss on real and on that (constant) fake
      // batch. The generator runs once, the discriminator on the fake batch twice (once per loss).
      // Both sets of gradients are taken before either optimizer updates anything, as in the tutorial.
      const trainStep = (readGrads) => {
        let fake;
        const tensors = tf.tidy(() => {
          const gen = tf.variableGrads(() => {
            fake = tf.keep(generator(noise));
            return bce(ones, discriminator(fake));
          }, gVars);
          const disc = tf.variableGrads(() => tf.add(bce(ones, discriminator(real)), bce(zeros, discriminator(fake))), dVars);
          return { gen, disc };
        });
        fake.dispose();
        const { gen, disc } = tensors;
        const out = { genLoss: gen.value.dataSync(), discLoss: disc.value.dataSync() };
        if (readGrads) {
          for (const k of Object.keys(G)) out[`gen.${k}`] = gen.grads[G[k].name].dataSync();
          for (const k of Object.keys(D)) out[`disc.${k}`] = disc.grads[D[k].name].dataSync();
        }
        gOpt.applyGradients(gen.grads);
        dOpt.applyGradients(disc.grads);
        tf.dispose([gen.value, disc.value, ...Object.values(gen.grads), ...Object.values(disc.grads)]);
        return out;
      };
      return {
        step: () => trainStep(false),
        // the first step, on the initial weights: both losses and every gradient
        check: () => trainStep(true),
        dispose() { tf.dispose([noise, real, ones, zeros, ...gVars, ...dVars]); gOpt.dispose(); dOpt.dispose(); },
      };
    },

    rnn() {
      const { batch, steps, vocab, embed, units, lr } = RNN;
      const inputs = tf.tensor2d(RNN.inputs, [batch, steps], 'int32');
      const labels = tf.tidy(() => tf.oneHot(tf.tensor2d(RNN.targets, [batch, steps], 'int32'), vocab).reshape([batch * steps, vocab]));
      const h0 = tf.zeros([batch, units]);
      const names = ['embeddings', 'kernel', 'recurrentKernel', 'bias', 'denseKernel', 'denseBias'];
      const shapes = [[vocab, embed], [embed, 3 * units], [units, 3 * units], [2, 3 * units], [units, vocab], [vocab]];
      const vars = tf.tidy(() => names.map((k, i) => tf.variable(tf.tensor(RNN[k], shapes[i]), true, `rnn.${k}`)));
      const [embeddings, kernel, recurrentKernel, bias, denseKernel, denseBias] = vars;
      // the embedding lookup is tf.gather, whose gradient is an UnsortedSegmentSum: the wasm backend
      // has no such kernel, so there the lookup is the product one-hot(inputs)·embeddings (same values)
      const gatherGrad = !!tf.getKernel('UnsortedSegmentSum', backend);
      const inputsOneHot = gatherGrad ? null : tf.tidy(() => tf.oneHot(inputs, vocab).reshape([batch * steps, vocab]));
      const embed3 = () => (gatherGrad ? tf.gather(embeddings, inputs) : tf.matMul(inputsOneHot, embeddings).reshape([batch, steps, embed]));
      const opt = tf.train.sgd(lr);
      const lossFn = () => {
        const [inputBias, recurrentBias] = tf.unstack(bias);
        // the input projection of every step at once, [16, 32, 384], then split per step and gate
        const projected = tf.add(tf.matMul(embed3().reshape([batch * steps, embed]), kernel), inputBias).reshape([batch, steps, 3 * units]);
        const xs = tf.unstack(projected, 1);
        let h = h0;
        const outputs = [];
        for (let t = 0; t < steps; t++) {
          const [xz, xr, xh] = tf.split(xs[t], 3, 1);
          const [hz, hr, hh] = tf.split(tf.add(tf.matMul(h, recurrentKernel), recurrentBias), 3, 1);
          const z = tf.sigmoid(tf.add(xz, hz));
          const r = tf.sigmoid(tf.add(xr, hr));
          const candidate = tf.tanh(tf.add(xh, tf.mul(r, hh))); // reset_after: r gates h·Uh + its bias
          h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), candidate));
          outputs.push(h);
        }
        const logits = tf.add(tf.matMul(tf.stack(outputs, 1).reshape([batch * steps, units]), denseKernel), denseBias);
        return tf.losses.softmaxCrossEntropy(labels, logits); // mean over the 512 positions
      };
      // the check: the gradients on the initial weights, nothing updated
      return trainingStep(opt, lossFn, vars, names, () => { tf.dispose([inputs, labels, h0, ...(inputsOneHot ? [inputsOneHot] : []), ...vars]); opt.dispose(); });
    },

    attention() {
      const { batch, seq, dModel, heads, keyDim, epsilon, lr } = ATTENTION;
      const x = tf.tensor3d(ATTENTION.x, [batch, seq, dModel]);
      const target = tf.tensor3d(ATTENTION.target, [batch, seq, dModel]);
      const mask = tf.tensor2d(ATTENTION.mask, [seq, seq]);
      const names = Object.keys(ATTENTION_SHAPES);
      const vars = tf.tidy(() => names.map((k) => tf.variable(tf.tensor(ATTENTION_INIT[k], ATTENTION_SHAPES[k]), true, `attention.${k}`)));
      const W = Object.fromEntries(names.map((k, i) => [k, vars[i]]));
      const opt = tf.train.sgd(lr);
      // tf.matMul takes rank-3 operands only with matching batch dims: the dense layers run on the
      // [batch·seq, features] view, as tf.layers.dense does
      const dense = (h, w, b) => tf.add(tf.matMul(h.reshape([-1, h.shape[h.rank - 1]]), w), b).reshape([...h.shape.slice(0, -1), w.shape[1]]);
      const toHeads = (h) => tf.transpose(tf.reshape(h, [batch, seq, heads, keyDim]), [0, 2, 1, 3]);
      const fromHeads = (h) => tf.reshape(tf.transpose(h, [0, 2, 1, 3]), [batch, seq, heads * keyDim]);
      // Keras's LayerNormalization: moments over the last axis, then (x − mean)·γ/√(var + ε) + β,
      // written out as tf.layers.layerNormalization does (tf.batchNorm's gradient wants mean and
      // offset of equal rank: [8, 64, 1] and [64] are not)
      const layerNorm = (h, gamma, beta) => {
        const { mean, variance } = tf.moments(h, -1, true);
        return tf.add(tf.mul(tf.mul(tf.sub(h, mean), tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
      };
      const lossFn = () => {
        // the scores' 1/√keyDim scaling is applied to the query, as Keras's MultiHeadAttention does
        const q = tf.mul(toHeads(dense(x, W.wq, W.bq)), 1 / Math.sqrt(keyDim));
        const k = toHeads(dense(x, W.wk, W.bk)), v = toHeads(dense(x, W.wv, W.bv));
        const scores = tf.add(tf.matMul(q, k, false, true), mask);
        const attended = fromHeads(tf.matMul(tf.softmax(scores), v));
        const h1 = layerNorm(tf.add(x, dense(attended, W.wo, W.bo)), W.gamma1, W.beta1);
        const h2 = layerNorm(tf.add(h1, dense(tf.relu(dense(h1, W.w1, W.b1)), W.w2, W.b2)), W.gamma2, W.beta2);
        return tf.losses.meanSquaredError(target, h2);
      };
      // the check: the gradients on the initial weights, nothing updated
      return trainingStep(opt, lossFn, vars, names, () => { tf.dispose([x, target, mask, ...vars]); opt.dispose(); });
    },

    pinn() {
      const { nCollocation: n, nInitial, nBoundary, lr, nu } = PINN;
      const t = tf.tensor2d(PINN.t, [n, 1]), x = tf.tensor2d(PINN.x, [n, 1]);
      const initial = tf.tensor2d(PINN.initial, [nInitial, 2]), u0 = tf.tensor2d(PINN.u0, [nInitial, 1]);
      const boundary = tf.tensor2d(PINN.boundary, [nBoundary, 2]);
      const vars = tf.tidy(() => PINN_NAMES.map((k, i) => {
        const layer = i >> 1, shape = i % 2 ? [PINN.shapes[layer][1]] : PINN.shapes[layer];
        return tf.variable(tf.tensor(i % 2 ? PINN.biases[layer] : PINN.kernels[layer], shape), true, `pinn.${k}`);
      }));
      // tanh as sinh/cosh: tf.tanh cannot be differentiated twice in tfjs 4.22. Its gradient reads
      // its saved output, and the engine tapes the copy it saves before the tanh itself, so a later
      // gradient call, which walks the tape in order to find what depends on its sources, finds the
      // saved copy unconnected ("Cannot compute gradient of y=f(x) with respect to x"). sinh, cosh
      // and div save their inputs, so every order of derivative goes through them.
      const tanh = (z) => tf.div(tf.sinh(z), tf.cosh(z));
      const net = (points) => {
        let h = points;
        for (let i = 0; i < vars.length; i += 2) {
          const z = tf.add(tf.matMul(h, vars[i]), vars[i + 1]);
          h = i + 2 < vars.length ? tanh(z) : z;
        }
        return h;
      };
      // tf.grad's function returns one scalar and tf.grad returns the gradient only, and each call
      // runs in a tidy that frees what its function made: u, u_t and u_x, computed inside the calls
      // that make u_xx, are kept out of those tidies (tf.keep) and freed after the step. Nested tf.grad
      // calls record onto one shared tape while the optimizer's gradient call is open, so every
      // value here stays differentiable w.r.t. the weights.
      let kept = [];
      const residual = () => {
        let u, ut, ux;
        const uxx = tf.grad((x) => {
          [ut, ux] = tf.grads((t, x) => { u = tf.keep(net(tf.concat([t, x], 1))); return tf.sum(u); })([t, x]);
          kept.push(u, tf.keep(ut), tf.keep(ux));
          return tf.sum(ux); // the sum trick: rows are independent, so this gradient is each row's u_xx
        })(x);
        return tf.sub(tf.add(ut, tf.mul(u, ux)), tf.mul(uxx, nu));
      };
      const lossFn = () => tf.addN([
        tf.mean(tf.square(residual())),
        tf.mean(tf.squaredDifference(net(initial), u0)),
        tf.mean(tf.square(net(boundary))),
      ]);
      const freeKept = () => { tf.dispose(kept); kept = []; };
      const opt = tf.train.adam(lr);
      const inner = trainingStep(opt, lossFn, vars, PINN_NAMES, () => { tf.dispose([t, x, initial, u0, boundary, ...vars]); opt.dispose(); });
      return {
        step() { try { return inner.step(); } finally { freeKept(); } },
        check() { try { return inner.check(); } finally { freeKept(); } },
        dispose: inner.dispose,
      };
    },
  };

  // the large sizes of issue 25: the same workloads on matmul512's and cnn128's data
  workloads.matmul512 = () => workloads.matmul(MATMUL512);
  workloads.cnn128 = () => workloads.cnn(CNN128);

  return {
    name: `tfjs-${backend}`, version, note, workloads, activate,
    memory: () => tf.memory(),
  };
}

