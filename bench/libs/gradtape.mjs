// gradtape, written against /work/shared/API.md (TensorFlow GradientTape style).
import { SEED, CHAIN, MLP, MATMUL, MATMUL512, CNN, CNN128, DCGAN, DCGAN_SHAPES, RNN, ATTENTION, ATTENTION_SHAPES, ATTENTION_INIT, PINN, PINN_NAMES } from '../data.mjs';

export async function create() {
  const gt = await import('gradtape');
  const layers = await import('gradtape/layers');
  let version = '?';
  // in Node; the browser bench (bench/browser.mjs) loads this file too, where node:module fails
  if (globalThis.process?.versions?.node) {
    try { version = (await import('node:module')).createRequire(import.meta.url)('gradtape/package.json').version; } catch {}
  }
  // threads() before any setThreads is the default (all cores where workers can share memory):
  // `configure` goes back to it for the `gradtape` column and to 1 for `gradtape-1t`
  const allThreads = gt.threads();

  /**
   * A training-step workload: `step` is one optimizer update (minimize: record, differentiate, apply,
   * free temporaries; the loss as a number), `check` the loss and the gradients on the current
   * weights, named by `names` in the order of `vars` (nothing updated).
   */
  const trainingStep = (opt, lossFn, vars, names, dispose) => ({
    step: () => opt.minimize(lossFn, vars),
    check: () => gt.tidy(() => {
      const t = gt.tape(lossFn);
      const grads = t.gradient(t.result, vars);
      return Object.fromEntries([['loss', [t.result.item()]], ...names.map((k, i) => [k, grads[i].data()])]);
    }),
    dispose,
  });

  const workloads = {
    seed() {
      const once = () => gt.tidy(() => {
        const out = {};
        // (a) x = ones(2,2); y = sum(x); z = y*y; persistent tape, two gradients
        const x = gt.ones([2, 2]);
        const ta = gt.tape((t) => {
          t.watch(x);
          const y = gt.sum(x);
          const z = gt.mul(y, y);
          return { y, z };
        }, { persistent: true });
        out['a.dz/dx'] = ta.gradient(ta.result.z, x).data();
        out['a.dz/dy'] = ta.gradient(ta.result.z, ta.result.y).data();
        ta.dispose();
        // (b) x = 3; y = x*x; z = y*y; persistent tape: dz/dx, dy/dx
        const xb = gt.scalar(3);
        const tb = gt.tape((t) => {
          t.watch(xb);
          const y = gt.mul(xb, xb);
          const z = gt.mul(y, y);
          return { y, z };
        }, { persistent: true });
        out['b.dz/dx'] = tb.gradient(tb.result.z, xb).data();
        out['b.dy/dx'] = tb.gradient(tb.result.y, xb).data();
        tb.dispose();
        // (c) control flow: a JS loop and branch inside the tape
        const f = (x, y) => {
          let output = gt.scalar(1);
          for (let i = 0; i < y; i++) if (i > 1 && i < 5) output = gt.mul(output, x);
          return output;
        };
        const xc = gt.scalar(SEED.x);
        for (const y of SEED.loopYs) {
          const tc = gt.tape((t) => { t.watch(xc); return f(xc, y); });
          out[`c.y=${y}`] = tc.gradient(tc.result, xc).data();
        }
        return out;
      });
      return { step: once, check: once, dispose() {} };
    },

    chain() {
      const x = gt.scalar(CHAIN.x);
      const once = () => gt.tidy(() => {
        const t = gt.tape((t) => {
          t.watch(x);
          let y = gt.scalar(CHAIN.y0);
          for (let i = 0; i < CHAIN.steps; i++) y = gt.add(gt.mul(y, x), gt.sin(y));
          return y;
        });
        return { 'dy/dx': t.gradient(t.result, x).data() };
      });
      return { step: once, check: once, dispose() { x.dispose(); } };
    },

    mlp() {
      const { batch, nIn, nHidden, nOut, lr } = MLP;
      const opt = gt.sgd(lr);
      const x = gt.tensor(MLP.x, [batch, nIn]);
      const labels = gt.tensor(MLP.y, [batch, nOut]);
      // tidy frees the initial-value tensors; variables survive it
      const vars = gt.tidy(() => [
        gt.variable(gt.tensor(MLP.w1, [nIn, nHidden])),
        gt.variable(gt.tensor(MLP.b1, [nHidden])),
        gt.variable(gt.tensor(MLP.w2, [nHidden, nOut])),
        gt.variable(gt.tensor(MLP.b2, [nOut])),
      ]);
      const [w1, b1, w2, b2] = vars;
      const lossFn = () => {
        const h = gt.relu(gt.add(gt.matmul(x, w1), b1));
        const logits = gt.add(gt.matmul(h, w2), b2);
        return gt.mean(gt.softmaxCrossEntropy(labels, logits));
      };
      return {
        // minimize: record, differentiate, apply, free temporaries; returns the loss as a number
        step: () => opt.minimize(lossFn, vars),
        check: () => gt.tidy(() => {
          const t = gt.tape(lossFn);
          const [g1, gb1, g2, gb2] = t.gradient(t.result, vars);
          return { loss: [t.result.item()], dw1: g1.data(), db1: gb1.data(), dw2: g2.data(), db2: gb2.data() };
        }),
        dispose() { gt.dispose([x, labels, ...vars]); },
      };
    },

    matmul(M = MATMUL) {
      const n = M.n;
      const a = gt.tensor(M.a, [n, n]);
      const b = gt.tensor(M.b, [n, n]);
      const once = () => gt.tidy(() => {
        const t = gt.tape((t) => { t.watch([a, b]); return gt.sum(gt.matmul(a, b)); });
        const [da, db] = t.gradient(t.result, [a, b]);
        return { dA: da.data(), dB: db.data() };
      });
      return { step: once, check: once, dispose() { gt.dispose([a, b]); } };
    },

    cnn(C = CNN) {
      const { batch, size, c1, c2, nOut } = C;
      const x = gt.tensor(C.x, [batch, size, size, 1]);
      const labels = gt.tensor(C.y, [batch, nOut]);
      const f1 = gt.tensor(C.f1, [3, 3, 1, c1]);
      const f2 = gt.tensor(C.f2, [3, 3, c1, c2]);
      const b1 = gt.tensor(C.b1, [c1]);
      const b2 = gt.tensor(C.b2, [c2]);
      const w = gt.tensor(C.w, [c2, nOut]);
      const params = [f1, b1, f2, b2, w];
      const once = () => gt.tidy(() => {
        const t = gt.tape((t) => {
          t.watch(params);
          // the fused bias + ReLU: one pass over each convolution's output instead of two
          const h1 = gt.conv2d(x, f1, 1, 'same', { bias: b1, activation: 'relu' });
          const h2 = gt.conv2d(h1, f2, 2, 'same', { bias: b2, activation: 'relu' });
          const logits = gt.matmul(gt.mean(h2, [1, 2]), w);
          return gt.mean(gt.softmaxCrossEntropy(labels, logits));
        });
        const [df1, db1, df2, db2, dw] = t.gradient(t.result, params);
        return { loss: t.result.data(), df1: df1.data(), db1: db1.data(), df2: df2.data(), db2: db2.data(), dw: dw.data() };
      });
      return { step: once, check: once, dispose() { gt.dispose([x, labels, ...params]); } };
    },

    dcgan() {
      const { batch, noiseDim, size, alpha, bnEpsilon, lr } = DCGAN;
      const noise = gt.tensor(DCGAN.noise, [batch, noiseDim]);
      const real = gt.tensor(DCGAN.real, [batch, size, size, 1]);
      const ones = gt.ones([batch, 1]), zeros = gt.zeros([batch, 1]);
      const vars = (which) => gt.tidy(() => Object.fromEntries(Object.entries(DCGAN_SHAPES[which])
        .map(([k, shape]) => [k, gt.variable(gt.tensor(DCGAN[which][k], shape), { name: `${which}.${k}` })])));
      const G = vars('gen'), D = vars('disc');
      const gVars = Object.values(G), dVars = Object.values(D);
      const gOpt = gt.adam(lr), dOpt = gt.adam(lr);
      // training-mode batch normalization as Keras computes it: the batch's own mean and (biased)
      // variance over every axis but the channels (tf.nn.moments), then tf.nn.batch_normalization;
      // no moving averages (inference would need them, this step does not)
      const batchNorm = (x, axes, gamma, beta) => {
        const { mean, variance } = gt.moments(x, axes);
        return gt.batchNormalization(x, mean, variance, beta, gamma, bnEpsilon);
      };
      const generator = (z) => {
        let h = gt.leakyRelu(batchNorm(gt.matmul(z, G.dense), [0], G.gamma0, G.beta0), alpha);
        h = gt.reshape(h, [batch, 7, 7, 256]);
        h = gt.leakyRelu(batchNorm(gt.conv2dTranspose(h, G.t1, [batch, 7, 7, 128], 1, 'same'), [0, 1, 2], G.gamma1, G.beta1), alpha);
        h = gt.leakyRelu(batchNorm(gt.conv2dTranspose(h, G.t2, [batch, 14, 14, 64], 2, 'same'), [0, 1, 2], G.gamma2, G.beta2), alpha);
        return gt.tanh(gt.conv2dTranspose(h, G.t3, [batch, 28, 28, 1], 2, 'same'));
      };
      const leaky = { activation: 'leakyRelu', leakyReluAlpha: alpha };
      const discriminator = (img) => {
        let h = gt.conv2d(img, D.c1, 2, 'same', { bias: D.b1, ...leaky });
        h = gt.conv2d(h, D.c2, 2, 'same', { bias: D.b2, ...leaky });
        return gt.matmul(gt.reshape(h, [batch, 6272]), D.dense, false, false, { bias: D.b3 });
      };
      // Keras BinaryCrossentropy(from_logits=True): the batch mean of the sigmoid cross-entropy
      const bce = (labels, logits) => gt.mean(gt.sigmoidCrossEntropy(labels, logits));
      // the tutorial's train_step: two tapes record the same forward pass; each differentiates its
      // own loss w.r.t. its own network (the sweep only visits records that lead to those sources),
      // then each optimizer applies its gradients
      const trainStep = (readGrads) => gt.tidy(() => {
        const genTape = new gt.GradientTape(), discTape = new gt.GradientTape();
        const { genLoss, discLoss } = genTape.record(() => discTape.record(() => {
          const fake = generator(noise);
          const realOut = discriminator(real), fakeOut = discriminator(fake);
          return { genLoss: bce(ones, fakeOut), discLoss: gt.add(bce(ones, realOut), bce(zeros, fakeOut)) };
        }).result).result;
        const gGrads = genTape.gradient(genLoss, gVars);
        const dGrads = discTape.gradient(discLoss, dVars);
        const out = { genLoss: genLoss.data(), discLoss: discLoss.data() };
        if (readGrads) {
          Object.keys(G).forEach((k, i) => { out[`gen.${k}`] = gGrads[i].data(); });
          Object.keys(D).forEach((k, i) => { out[`disc.${k}`] = dGrads[i].data(); });
        }
        gOpt.applyGradients(gGrads, gVars);
        dOpt.applyGradients(dGrads, dVars);
        return out;
      });
      return {
        step: () => trainStep(false),
        // the first step, on the initial weights: both losses and every gradient
        check: () => trainStep(true),
        dispose() { gt.dispose([noise, real, ones, zeros, ...gVars, ...dVars]); gOpt.dispose(); dOpt.dispose(); },
      };
    },

    // the model as a user writes it with gradtape/layers (Keras 3's GRU: reset_after, gates z, r, h),
    // with the bench's initial weights loaded into the layers
    rnn() {
      const { batch, steps, vocab, embed, units, lr } = RNN;
      const inputs = gt.tensor(RNN.inputs, [batch, steps], 'int32');
      const targets = gt.tensor(RNN.targets, [batch, steps], 'int32');
      const { Sequential, Embedding, GRU, Dense } = layers;
      const model = new Sequential([new Embedding(vocab, embed), new GRU(units, { returnSequences: true }), new Dense(vocab)]);
      model.build([batch, steps]);
      const names = ['embeddings', 'kernel', 'recurrentKernel', 'bias', 'denseKernel', 'denseBias'];
      const shapes = [[vocab, embed], [embed, 3 * units], [units, 3 * units], [2, 3 * units], [units, vocab], [vocab]];
      gt.tidy(() => model.loadWeights(Object.fromEntries(Object.keys(model.weights()).map((path, i) => [path, gt.tensor(RNN[names[i]], shapes[i])]))));
      const vars = model.trainableVariables; // in Keras' order: the order of `names`
      const opt = gt.sgd(lr);
      const lossFn = () => gt.mean(gt.sparseSoftmaxCrossEntropy(targets, model.apply(inputs)));
      // the check: the gradients on the initial weights, nothing updated
      return trainingStep(opt, lossFn, vars, names, () => { gt.dispose([inputs, targets]); model.dispose(); });
    },

    attention() {
      // What a user writes: gradtape/layers' MultiHeadAttention (causal), LayerNormalization and
      // Dense (bias and ReLU fused into the product), the bench's initial weights loaded into them.
      const { batch, seq, dModel, heads, keyDim, ff, epsilon, lr } = ATTENTION;
      const x = gt.tensor(ATTENTION.x, [batch, seq, dModel]);
      const target = gt.tensor(ATTENTION.target, [batch, seq, dModel]);
      const attention = new layers.MultiHeadAttention({ numHeads: heads, keyDim });
      const norm1 = new layers.LayerNormalization({ epsilon }), norm2 = new layers.LayerNormalization({ epsilon });
      const ff1 = new layers.Dense(ff, { activation: 'relu' }), ff2 = new layers.Dense(dModel);
      const block = (h) => {
        const h1 = norm1.apply(gt.add(h, attention.apply(h, h, { useCausalMask: true })));
        return norm2.apply(gt.add(h1, ff2.apply(ff1.apply(h1))));
      };
      const lossFn = () => gt.mean(gt.squaredDifference(block(x), target));
      gt.tidy(() => { // builds the layers, then loads the bench's weights (Keras' EinsumDense kernels are the [64, 64] matrices reshaped)
        attention.build(x.shape, x.shape); norm1.build(x.shape); norm2.build(x.shape); ff1.build(x.shape); ff2.build([batch, seq, ff]);
        const w = (k, shape = ATTENTION_SHAPES[k]) => gt.tensor(ATTENTION_INIT[k], shape);
        const perHead = [heads, keyDim];
        attention.loadWeights({
          'query/kernel': w('wq', [dModel, ...perHead]), 'query/bias': w('bq', perHead),
          'key/kernel': w('wk', [dModel, ...perHead]), 'key/bias': w('bk', perHead),
          'value/kernel': w('wv', [dModel, ...perHead]), 'value/bias': w('bv', perHead),
          'attention_output/kernel': w('wo', [...perHead, dModel]), 'attention_output/bias': w('bo'),
        });
        norm1.loadWeights({ gamma: w('gamma1'), beta: w('beta1') });
        ff1.loadWeights({ kernel: w('w1'), bias: w('b1') });
        ff2.loadWeights({ kernel: w('w2'), bias: w('b2') });
        norm2.loadWeights({ gamma: w('gamma2'), beta: w('beta2') });
      });
      // in ATTENTION_SHAPES' order (the check compares by these names; MHA's are reshaped back)
      const a = attention;
      const vars = [a.queryDense.kernel, a.queryDense.bias, a.keyDense.kernel, a.keyDense.bias, a.valueDense.kernel, a.valueDense.bias,
        a.outputDense.kernel, a.outputDense.bias, norm1.gamma, norm1.beta, ff1.kernel, ff1.bias, ff2.kernel, ff2.bias, norm2.gamma, norm2.beta];
      const names = Object.keys(ATTENTION_SHAPES);
      const opt = gt.sgd(lr);
      // the check: the gradients on the initial weights, nothing updated
      return trainingStep(opt, lossFn, vars, names, () => { gt.dispose([x, target]); for (const l of [attention, norm1, norm2, ff1, ff2]) l.dispose(); });
    },

    // What a user writes: a Sequential of gradtape/layers Dense layers (tanh fused into each product),
    // the bench's initial weights loaded into it; u_t, u_x and u_xx by two nested tapes around the
    // network (the sum trick: each point's u depends on its own t and x only, so the gradient of
    // sum(u) w.r.t. the points holds every point's derivative), all recorded by the optimizer's tape
    pinn() {
      const { nCollocation: n, nInitial, nBoundary, depth, width, lr, nu } = PINN;
      const column = (values, size) => gt.tensor(values, [size, 1]);
      const t = column(PINN.t, n), x = column(PINN.x, n);
      const initial = gt.tensor(PINN.initial, [nInitial, 2]), u0 = column(PINN.u0, nInitial);
      const boundary = gt.tensor(PINN.boundary, [nBoundary, 2]);
      const model = new layers.Sequential([
        ...Array.from({ length: depth }, () => new layers.Dense(width, { activation: 'tanh' })), new layers.Dense(1)]);
      model.build([n, 2]);
      gt.tidy(() => model.loadWeights(Object.fromEntries(Object.keys(model.weights()).map((path, i) =>
        [path, gt.tensor(i % 2 ? PINN.biases[i >> 1] : PINN.kernels[i >> 1], i % 2 ? [PINN.shapes[i >> 1][1]] : PINN.shapes[i >> 1])]))));
      const residual = () => {
        const outer = gt.tape((outer) => {
          outer.watch(x);
          const inner = gt.tape((inner) => { inner.watch([t, x]); return model.apply(gt.concat([t, x], 1)); });
          const [ut, ux] = inner.gradient(inner.result, [t, x]);
          return { u: inner.result, ut, ux };
        });
        const { u, ut, ux } = outer.result;
        const uxx = outer.gradient(ux, x);
        return gt.sub(gt.add(ut, gt.mul(u, ux)), gt.mul(uxx, nu));
      };
      const lossFn = () => gt.add(gt.add(gt.mean(gt.square(residual())),
        gt.mean(gt.squaredDifference(model.apply(initial), u0))), gt.mean(gt.square(model.apply(boundary))));
      const vars = model.trainableVariables; // kernel0, bias0, …: PINN_NAMES' order
      const opt = gt.adam(lr);
      // the check: the gradients on the initial weights, nothing updated
      return trainingStep(opt, lossFn, vars, PINN_NAMES, () => { gt.dispose([t, x, initial, u0, boundary]); model.dispose(); opt.dispose(); });
    },
  };

  // the large sizes of issue 25: the same workloads on matmul512's and cnn128's data
  workloads.matmul512 = () => workloads.matmul(MATMUL512);
  workloads.cnn128 = () => workloads.cnn(CNN128);

  return {
    name: 'gradtape', version, workloads,
    note: `threads ${allThreads}`,
    memory: () => gt.memory(),
    threads: () => gt.threads(),
    /** Variants of the library in one process (libs/index.mjs VARIANTS): { threads } or {} for the default. */
    configure({ threads = allThreads } = {}) { if (gt.threads() !== threads) gt.setThreads(threads); },
  };
}

