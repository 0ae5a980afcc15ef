// jax-js on its wasm device, eager or with jit. jax-js uses move semantics: every function consumes
// its Array arguments, `.ref` adds a reference, `.data()` reads back and consumes. Arrays are lazy,
// so every step awaits the data it produces (and `blockUntilReady` on updated parameters).
import { SEED, CHAIN, MLP, MATMUL, MATMUL512, CNN, CNN128, DCGAN, DCGAN_SHAPES, RNN, ATTENTION, ATTENTION_SHAPES, ATTENTION_INIT, PINN, PINN_NAMES } from '../data.mjs';

async function loadJax() {
  const jax = await import('@jax-js/jax');
  // init() with no argument probes WebGPU through `navigator`, which Node 20 lacks: ask for wasm only.
  const devs = await jax.init('wasm');
  if (!devs.includes('wasm')) throw new Error(`jax-js wasm device unavailable (got ${devs})`);
  jax.defaultDevice('wasm');
  return jax;
}

export async function create(useJit) {
  const jax = await loadJax();
  const { numpy: np, nn, lax, grad, valueAndGrad, jvp, jit, tree, blockUntilReady } = jax;
  const J = useJit ? (f, opts) => jit(f, opts) : (f) => f;
  let version = '?';
  // (not in the browser bench: there browser.mjs reads the versions)
  if (globalThis.process?.versions?.node) {
    try {
      // the package's exports map hides package.json: read it next to the resolved entry point
      const { readFileSync } = await import('node:fs');
      version = JSON.parse(readFileSync(new URL('../package.json', import.meta.resolve('@jax-js/jax')), 'utf8')).version;
    } catch {}
  }

  const readAll = async (obj) => {
    const out = {};
    for (const [k, v] of Object.entries(obj)) out[k] = await v.data(); // consumes v
    return out;
  };

  const workloads = {
    seed() {
      // (a) z = (sum x)^2: dz/dx at x = ones(2,2), and dz/dy at y = sum(x)
      const dzdxA = J(grad((x) => { const y = np.sum(x); return y.ref.mul(y); }));
      const dzdyA = J(grad((y) => y.ref.mul(y)));
      const sumA = J((x) => np.sum(x));
      // (b) y = x*x, z = y*y at x = 3
      const dzdxB = J(grad((x) => { const y = x.ref.mul(x); return y.ref.mul(y); }));
      const dydxB = J(grad((x) => x.ref.mul(x)));
      // (c) JS loop and branch; y is a compile-time constant (one traced function per y under jit)
      const f = (x, y) => {
        let output = np.array(1);
        for (let i = 0; i < y; i++) if (i > 1 && i < 5) output = output.mul(x.ref);
        x.dispose();
        return output;
      };
      const dfdx = SEED.loopYs.map((y) => [y, J(grad((x) => f(x, y)))]);
      const xa = np.ones([2, 2]);
      const xb = np.array(3);
      const xc = np.array(SEED.x);
      const once = async () => {
        const res = {
          'a.dz/dx': dzdxA(xa.ref),
          'a.dz/dy': dzdyA(sumA(xa.ref)),
          'b.dz/dx': dzdxB(xb.ref),
          'b.dy/dx': dydxB(xb.ref),
        };
        for (const [y, g] of dfdx) res[`c.y=${y}`] = g(xc.ref);
        return readAll(res);
      };
      const fns = [dzdxA, dzdyA, sumA, dzdxB, dydxB, ...dfdx.map((p) => p[1])];
      return { step: once, check: once, dispose() { xa.dispose(); xb.dispose(); xc.dispose(); if (useJit) fns.forEach((g) => g.dispose()); } };
    },

    chain() {
      if (useJit && !globalThis.process?.env?.BENCH_JAX_JIT_CHAIN) {
        // jit traces the 1,000 unrolled steps (jax-js has no fori_loop/scan) and fuses the whole
        // scalar chain into one expression; simplifying it overflows the default JS stack.
        throw new Error('jit of 1,000 unrolled steps overflows the JS stack in jax-js (RangeError in AluExp.simplify); ' +
          'with node --stack-size=6000 it compiles in ~35 s. Set BENCH_JAX_JIT_CHAIN=1 and run with a larger --stack-size to try.');
      }
      const chain = (x) => {
        let y = np.array(CHAIN.y0);
        for (let i = 0; i < CHAIN.steps; i++) y = y.mul(x.ref).add(np.sin(y.ref));
        x.dispose();
        return y;
      };
      const g = J(grad(chain));
      const x = np.array(CHAIN.x);
      const once = async () => ({ 'dy/dx': await g(x.ref).data() });
      return { step: once, check: once, dispose() { x.dispose(); if (useJit) g.dispose(); } };
    },

    mlp() {
      const { batch, nIn, nHidden, nOut, lr } = MLP;
      const x = np.array(MLP.x).reshape([batch, nIn]);
      const labels = np.array(MLP.y).reshape([batch, nOut]);
      let params = {
        w1: np.array(MLP.w1).reshape([nIn, nHidden]),
        b1: np.array(MLP.b1),
        w2: np.array(MLP.w2).reshape([nHidden, nOut]),
        b2: np.array(MLP.b2),
      };
      // consumes params, x, labels
      const loss = (p, x, labels) => {
        const h = nn.relu(np.matmul(x, p.w1).add(p.b1));
        const logits = np.matmul(h, p.w2).add(p.b2);
        return np.mean(np.sum(labels.mul(nn.logSoftmax(logits, -1)), -1)).neg();
      };
      const lossAndGrad = valueAndGrad(loss);
      // one SGD step: (params, x, labels) -> [newParams, loss]; consumes its arguments
      const trainStep = J((p, x, labels) => {
        const [l, g] = lossAndGrad(tree.ref(p), x, labels);
        return [tree.map((w, dw) => w.sub(dw.mul(lr)), p, g), l];
      });
      const checkFn = J((p, x, labels) => lossAndGrad(p, x, labels));
      return {
        async step() {
          const [next, l] = trainStep(params, x.ref, labels.ref);
          params = next;
          const v = (await l.data())[0];
          await blockUntilReady(params);
          return v;
        },
        async check() {
          const [l, g] = checkFn(tree.ref(params), x.ref, labels.ref);
          return { loss: await l.data(), dw1: await g.w1.data(), db1: await g.b1.data(), dw2: await g.w2.data(), db2: await g.b2.data() };
        },
        dispose() { tree.dispose(params); x.dispose(); labels.dispose(); if (useJit) { trainStep.dispose(); checkFn.dispose(); } },
      };
    },

    matmul(M = MATMUL) {
      const n = M.n;
      const a = np.array(M.a).reshape([n, n]);
      const b = np.array(M.b).reshape([n, n]);
      const g = J(grad((a, b) => np.sum(np.matmul(a, b)), { argnums: [0, 1] }));
      const once = async () => {
        const [da, db] = g(a.ref, b.ref);
        return { dA: await da.data(), dB: await db.data() };
      };
      return { step: once, check: once, dispose() { a.dispose(); b.dispose(); if (useJit) g.dispose(); } };
    },

    cnn(C = CNN) {
      // jax-js convolves NCHW inputs with OIHW kernels: the input is transposed once here, the
      // HWIO filters inside the loss (so their gradients come back HWIO, like the other libraries')
      const { batch, size, c1, c2, nOut } = C;
      const x = np.array(C.x).reshape([batch, size, size, 1]).transpose([0, 3, 1, 2]);
      const labels = np.array(C.y).reshape([batch, nOut]);
      const params = {
        f1: np.array(C.f1).reshape([3, 3, 1, c1]),
        b1: np.array(C.b1),
        f2: np.array(C.f2).reshape([3, 3, c1, c2]),
        b2: np.array(C.b2),
        w: np.array(C.w).reshape([c2, nOut]),
      };
      // conv + bias + ReLU: jax-js has no fused conv; the bias broadcasts over NCHW's channel axis
      // (under jit, jax-js may fuse the elementwise tail itself)
      const convBiasRelu = (x, f, b, stride) =>
        nn.relu(lax.conv(x, f.transpose([3, 2, 0, 1]), [stride, stride], 'SAME').add(b.reshape([1, -1, 1, 1])));
      // consumes p, x, labels
      const loss = (p, x, labels) => {
        const h1 = convBiasRelu(x, p.f1, p.b1, 1);
        const h2 = convBiasRelu(h1, p.f2, p.b2, 2);
        const logits = np.matmul(np.mean(h2, [2, 3]), p.w);
        return np.mean(np.sum(labels.mul(nn.logSoftmax(logits, -1)), -1)).neg();
      };
      const g = J(valueAndGrad(loss));
      const once = async () => {
        const [l, d] = g(tree.ref(params), x.ref, labels.ref);
        return { loss: await l.data(), df1: await d.f1.data(), db1: await d.b1.data(), df2: await d.f2.data(), db2: await d.b2.data(), dw: await d.w.data() };
      };
      return { step: once, check: once, dispose() { tree.dispose(params); x.dispose(); labels.dispose(); if (useJit) g.dispose(); } };
    },

    dcgan() {
      // NCHW inside (jax-js's convolutions take NCHW inputs and OIHW kernels); the weights stay in
      // TF's layouts and are transposed inside the losses, so their gradients come back in TF's
      // layouts like the other libraries'. Images have one channel, so NHWC data is NCHW as it is.
      const { batch, noiseDim, size, alpha, bnEpsilon, lr } = DCGAN;
      const beta1 = 0.9, beta2 = 0.999, adamEps = 1e-7; // Keras's Adam defaults
      const noise = np.array(DCGAN.noise).reshape([batch, noiseDim]);
      const real = np.array(DCGAN.real).reshape([batch, 1, size, size]);
      const init = (which) => Object.fromEntries(Object.entries(DCGAN_SHAPES[which]).map(([k, shape]) => [k, np.array(DCGAN[which][k]).reshape(shape)]));
      const zerosOf = (which) => Object.fromEntries(Object.entries(DCGAN_SHAPES[which]).map(([k, shape]) => [k, np.zeros(shape)]));
      // parameters and Adam's moments, replaced by every step (move semantics: the step consumes them)
      let state = { gp: init('gen'), dp: init('disc'), gm: zerosOf('gen'), gv: zerosOf('gen'), dm: zerosOf('disc'), dv: zerosOf('disc') };
      let iteration = 0;

      const leaky = (x) => nn.leakyRelu(x, alpha);
      // training-mode batch normalization: batch mean and biased variance over `axes`; gamma and
      // beta broadcast as `shape` (the channel axis: last for the dense layer, 1 in NCHW)
      const bn = (x, axes, gamma, beta, shape) => {
        const c = x.ref.sub(np.mean(x, axes, { keepdims: true }));
        const variance = np.mean(np.square(c.ref), axes, { keepdims: true });
        return c.div(np.sqrt(variance.add(bnEpsilon))).mul(gamma.reshape(shape)).add(beta.reshape(shape));
      };
      const ch = (c) => [1, c, 1, 1];
      // TF's conv2d_transpose: transposeKernel flips the taps and swaps the channel axes of a
      // [in, out, kh, kw] kernel (TF's [kh, kw, out, in] transposed), and 'SAME' pads as TF does
      const convT = (x, f, stride) => lax.convTranspose(x, f.transpose([3, 2, 0, 1]), [stride, stride], 'SAME', { transposeKernel: true });
      const generator = (p, z) => {
        let h = leaky(bn(np.matmul(z, p.dense), [0], p.gamma0, p.beta0, [1, 12544]));
        h = h.reshape([batch, 7, 7, 256]).transpose([0, 3, 1, 2]); // Keras's Reshape is NHWC
        h = leaky(bn(convT(h, p.t1, 1), [0, 2, 3], p.gamma1, p.beta1, ch(128)));
        h = leaky(bn(convT(h, p.t2, 2), [0, 2, 3], p.gamma2, p.beta2, ch(64)));
        return np.tanh(convT(h, p.t3, 2)); // [32, 1, 28, 28]
      };
      const convLeaky = (x, f, b) => leaky(lax.conv(x, f.transpose([3, 2, 0, 1]), [2, 2], 'SAME').add(b.reshape(ch(-1))));
      const discriminator = (p, img) => {
        let h = convLeaky(img, p.c1, p.b1);
        h = convLeaky(h, p.c2, p.b2);
        h = h.transpose([0, 2, 3, 1]).reshape([batch, 6272]); // Keras's Flatten is NHWC order
        return np.matmul(h, p.dense).add(p.b3);
      };
      // Keras BinaryCrossentropy(from_logits=True), labels all one or all zero:
      // mean(softplus(x) − x·z)
      const bceOnes = (x) => np.mean(nn.softplus(x.ref).sub(x));
      const bceZeros = (x) => np.mean(nn.softplus(x));
      // jax differentiates functions, not tapes: each loss is its own function of the parameters it
      // is differentiated with respect to. The generator's loss returns the fake batch as aux (no
      // gradient flows through aux), which the discriminator's loss takes as data; so the generator
      // runs once and the discriminator on the fake batch twice, once per loss.
      const genLoss = (gp, dp, z) => {
        const fake = generator(gp, z);
        return [bceOnes(discriminator(dp, fake.ref)), fake];
      };
      const discLoss = (dp, real, fake) => bceOnes(discriminator(tree.ref(dp), real)).add(bceZeros(discriminator(dp, fake)));
      const genVG = valueAndGrad(genLoss, { hasAux: true });
      const discVG = valueAndGrad(discLoss);
      // Keras's Adam, as gradtape's: m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g²,
      // w ← w − α·m / (√v + ε) with α = lr·√(1−β2^t)/(1−β1^t) passed in per step
      const adam = (p, g, m, v, a) => {
        const P = {}, M = {}, V = {};
        for (const k of Object.keys(p)) {
          M[k] = m[k].mul(beta1).add(g[k].ref.mul(1 - beta1));
          V[k] = v[k].mul(beta2).add(np.square(g[k]).mul(1 - beta2));
          P[k] = p[k].sub(M[k].ref.mul(a.ref).div(np.sqrt(V[k].ref).add(adamEps)));
        }
        a.dispose();
        return [P, M, V];
      };
      // one training step: (state, noise, real, α) → [state, genLoss, discLoss, gradients];
      // consumes its arguments. The gradients are returned for the check; the timed steps free
      // them unread. One function for both, so that jax-jit compiles once, during the check step
      // (a second jitted variant would compile in the first timed step: minutes)
      const trainStep = J((s, z, real, a) => {
        const [[gl, fake], gg] = genVG(tree.ref(s.gp), tree.ref(s.dp), z);
        const [dl, dg] = discVG(tree.ref(s.dp), real, fake);
        const grads = { gen: tree.ref(gg), disc: tree.ref(dg) };
        const [gp, gm, gv] = adam(s.gp, gg, s.gm, s.gv, a.ref);
        const [dp, dm, dv] = adam(s.dp, dg, s.dm, s.dv, a);
        return [{ gp, dp, gm, gv, dm, dv }, gl, dl, grads];
      });
      const alphaNow = () => {
        iteration++;
        return np.array(lr * Math.sqrt(1 - beta2 ** iteration) / (1 - beta1 ** iteration));
      };
      return {
        async step() {
          const [next, gl, dl, grads] = trainStep(state, noise.ref, real.ref, alphaNow());
          state = next;
          tree.dispose(grads);
          const out = { genLoss: await gl.data(), discLoss: await dl.data() };
          await blockUntilReady(state);
          return out;
        },
        // the first step, on the initial weights: both losses and every gradient
        async check() {
          const [next, gl, dl, grads] = trainStep(state, noise.ref, real.ref, alphaNow());
          state = next;
          const out = { genLoss: await gl.data(), discLoss: await dl.data() };
          for (const k of Object.keys(grads.gen)) out[`gen.${k}`] = await grads.gen[k].data();
          for (const k of Object.keys(grads.disc)) out[`disc.${k}`] = await grads.disc[k].data();
          await blockUntilReady(state);
          return out;
        },
        dispose() { tree.dispose(state); noise.dispose(); real.dispose(); if (useJit) trainStep.dispose(); },
      };
    },

    rnn() {
      const { batch, steps, vocab, embed, units, lr } = RNN;
      const inputs = np.array(RNN.inputs, { dtype: 'int32' }).reshape([batch, steps]);
      const labels = nn.oneHot(np.array(RNN.targets, { dtype: 'int32' }), vocab).reshape([batch, steps, vocab]);
      const names = ['embeddings', 'kernel', 'recurrentKernel', 'bias', 'denseKernel', 'denseBias'];
      const shapes = [[vocab, embed], [embed, 3 * units], [units, 3 * units], [2, 3 * units], [units, vocab], [vocab]];
      let params = Object.fromEntries(names.map((k, i) => [k, np.array(RNN[k]).reshape(shapes[i])]));
      // the embedding lookup: np.take eagerly (its gradient scatters back); under jit the scatter of
      // take's gradient does not compile in jax-js 0.1.25 ("jit: routine primitive scatter input is
      // not imm"), so jax-jit takes the product one-hot(inputs)·embeddings instead (same values)
      const lookup = useJit
        ? (embeddings, inputs) => np.matmul(nn.oneHot(inputs.reshape([-1]), vocab), embeddings).reshape([batch, steps, embed])
        : (embeddings, inputs) => np.take(embeddings, inputs, 0);
      // consumes p, inputs, labels; the time loop is unrolled (jax-js has no lax.scan)
      const loss = (p, inputs, labels) => {
        const U = p.recurrentKernel, recurrentBias = p.bias.ref.slice(1);
        // the input projection of every step at once, [16, 32, 384]
        const projected = np.matmul(lookup(p.embeddings, inputs), p.kernel).add(p.bias.slice(0));
        let h = np.zeros([batch, units]);
        const outputs = [];
        for (let t = 0; t < steps; t++) {
          const [xz, xr, xh] = np.split(projected.ref.slice([], t), 3, -1);
          const [hz, hr, hh] = np.split(np.matmul(h.ref, U.ref).add(recurrentBias.ref), 3, -1);
          const z = nn.sigmoid(xz.add(hz));
          const r = nn.sigmoid(xr.add(hr));
          const candidate = np.tanh(xh.add(r.mul(hh))); // reset_after: r gates h·Uh + its bias
          h = z.ref.mul(h).add(np.subtract(1, z).mul(candidate));
          outputs.push(h.ref);
        }
        h.dispose(); projected.dispose(); U.dispose(); recurrentBias.dispose();
        const logits = np.matmul(np.stack(outputs, 1), p.denseKernel).add(p.denseBias);
        return np.mean(np.sum(labels.mul(nn.logSoftmax(logits, -1)), -1)).neg();
      };
      const lossAndGrad = valueAndGrad(loss);
      // one SGD step: (params, inputs, labels) -> [newParams, loss]; consumes its arguments
      const trainStep = J((p, inputs, labels) => {
        const [l, g] = lossAndGrad(tree.ref(p), inputs, labels);
        return [tree.map((w, dw) => w.sub(dw.mul(lr)), p, g), l];
      });
      const checkFn = J((p, inputs, labels) => lossAndGrad(p, inputs, labels));
      return {
        async step() {
          const [next, l] = trainStep(params, inputs.ref, labels.ref);
          params = next;
          const v = (await l.data())[0];
          await blockUntilReady(params);
          return v;
        },
        // the gradients on the initial weights, nothing updated
        async check() {
          const [l, g] = checkFn(tree.ref(params), inputs.ref, labels.ref);
          const out = { loss: await l.data() };
          for (const k of names) out[k] = await g[k].data();
          return out;
        },
        dispose() { tree.dispose(params); inputs.dispose(); labels.dispose(); if (useJit) { trainStep.dispose(); checkFn.dispose(); } },
      };
    },

    attention() {
      const { batch, seq, dModel, heads, keyDim, epsilon, lr } = ATTENTION;
      const x = np.array(ATTENTION.x).reshape([batch, seq, dModel]);
      const target = np.array(ATTENTION.target).reshape([batch, seq, dModel]);
      const mask = np.array(ATTENTION.mask).reshape([seq, seq]);
      const names = Object.keys(ATTENTION_SHAPES);
      let params = Object.fromEntries(names.map((k) => [k, np.array(ATTENTION_INIT[k]).reshape(ATTENTION_SHAPES[k])]));
      const dense = (h, w, b) => np.matmul(h, w).add(b);
      const toHeads = (h) => h.reshape([batch, seq, heads, keyDim]).transpose([0, 2, 1, 3]);
      const fromHeads = (h) => h.transpose([0, 2, 1, 3]).reshape([batch, seq, heads * keyDim]);
      // Keras's LayerNormalization: (x − mean)·γ/√(var + ε) + β over the last axis, written out
      const layerNorm = (h, gamma, beta) => {
        const c = h.ref.sub(np.mean(h, -1, { keepdims: true }));
        const variance = np.mean(np.square(c.ref), -1, { keepdims: true });
        return c.div(np.sqrt(variance.add(epsilon))).mul(gamma).add(beta);
      };
      // consumes p, x, target, mask
      const loss = (p, x, target, mask) => {
        // the scores' 1/√keyDim scaling is applied to the query, as Keras's MultiHeadAttention does
        const q = toHeads(dense(x.ref, p.wq, p.bq)).mul(1 / Math.sqrt(keyDim));
        const k = toHeads(dense(x.ref, p.wk, p.bk)), v = toHeads(dense(x.ref, p.wv, p.bv));
        const scores = np.matmul(q, k.transpose([0, 1, 3, 2])).add(mask);
        const attended = fromHeads(np.matmul(nn.softmax(scores, -1), v));
        const h1 = layerNorm(x.add(dense(attended, p.wo, p.bo)), p.gamma1, p.beta1);
        const h2 = layerNorm(h1.ref.add(dense(nn.relu(dense(h1, p.w1, p.b1)), p.w2, p.b2)), p.gamma2, p.beta2);
        return np.mean(np.square(h2.sub(target)));
      };
      const lossAndGrad = valueAndGrad(loss);
      const trainStep = J((p, x, target, mask) => {
        const [l, g] = lossAndGrad(tree.ref(p), x, target, mask);
        return [tree.map((w, dw) => w.sub(dw.mul(lr)), p, g), l];
      });
      const checkFn = J((p, x, target, mask) => lossAndGrad(p, x, target, mask));
      return {
        async step() {
          const [next, l] = trainStep(params, x.ref, target.ref, mask.ref);
          params = next;
          const v = (await l.data())[0];
          await blockUntilReady(params);
          return v;
        },
        // the gradients on the initial weights, nothing updated
        async check() {
          const [l, g] = checkFn(tree.ref(params), x.ref, target.ref, mask.ref);
          const out = { loss: await l.data() };
          for (const k of names) out[k] = await g[k].data();
          return out;
        },
        dispose() { tree.dispose(params); x.dispose(); target.dispose(); mask.dispose(); if (useJit) { trainStep.dispose(); checkFn.dispose(); } },
      };
    },

    pinn() {
      const { nCollocation: n, nInitial, nBoundary, lr, nu } = PINN;
      const beta1 = 0.9, beta2 = 0.999, adamEps = 1e-7; // Keras's Adam defaults
      const data = {
        t: np.array(PINN.t).reshape([n, 1]), x: np.array(PINN.x).reshape([n, 1]),
        initial: np.array(PINN.initial).reshape([nInitial, 2]), u0: np.array(PINN.u0).reshape([nInitial, 1]),
        boundary: np.array(PINN.boundary).reshape([nBoundary, 2]),
      };
      const shapeOf = (i) => (i % 2 ? [PINN.shapes[i >> 1][1]] : PINN.shapes[i >> 1]);
      const weights = (fill) => Object.fromEntries(PINN_NAMES.map((k, i) => [k, fill(i)]));
      // parameters and Adam's moments, replaced by every step (move semantics: the step consumes them)
      let state = {
        p: weights((i) => np.array(i % 2 ? PINN.biases[i >> 1] : PINN.kernels[i >> 1]).reshape(shapeOf(i))),
        m: weights((i) => np.zeros(shapeOf(i))), v: weights((i) => np.zeros(shapeOf(i))),
      };
      let iteration = 0;
      const layerCount = PINN.shapes.length;
      // h·w as a broadcast product summed over the shared axis: through np.matmul (np.dot and
      // np.tensordot alike: one primitive) jax-js 0.1.25's wasm device gets the weight gradients
      // of this loss wrong by up to 47 % (see bench/README.md); this form gives the float64 values,
      // eager and under jit, and runs no slower (jit: 226 ms a step against 299 ms)
      const product = (h, w) => np.sum(h.reshape([h.shape[0], w.shape[0], 1]).mul(w.reshape([1, ...w.shape])), 1);
      // the network on points [rows, 2]; consumes p and points
      const net = (p, points) => {
        let h = points;
        for (let i = 0; i < layerCount; i++) {
          const z = product(h, p[`kernel${i}`]).add(p[`bias${i}`]);
          h = i + 1 < layerCount ? np.tanh(z) : z;
        }
        return h;
      };
      // consumes everything. The sum trick: each point's u depends on its own t and x only, so the
      // gradient of sum(u) w.r.t. the points holds every point's u_t and u_x; x ↦ u_x then acts
      // point by point, so its forward-mode derivative with a tangent of ones is every point's
      // u_xx (jvp of grad: forward over reverse, which also returns u_t and u_x as its primal).
      // The inner functions close over p: jax-js 0.1.25 treats an argument outside `argnums` as a
      // constant to the outer differentiation too (its gradient came out 0). See bench/README.md
      // for why not reverse over reverse (grad of grad) or `hasAux` here.
      const loss = (p, d) => {
        const sumU = (t, x) => np.sum(net(tree.ref(p), np.concatenate([t, x], 1)));
        const firstDerivatives = (x) => grad(sumU, { argnums: [0, 1] })(d.t.ref, x);
        const [[ut, ux], [utx, uxx]] = jvp(firstDerivatives, [d.x.ref], [np.onesLike(d.x.ref)]);
        utx.dispose();
        const u = net(tree.ref(p), np.concatenate([d.t, d.x], 1));
        const residual = ut.add(u.mul(ux)).sub(uxx.mul(nu));
        const initialLoss = np.mean(np.square(net(tree.ref(p), d.initial).sub(d.u0)));
        return np.mean(np.square(residual)).add(initialLoss).add(np.mean(np.square(net(p, d.boundary))));
      };
      const lossAndGrad = valueAndGrad(loss);
      // Keras's Adam (as in dcgan), α = lr·√(1−β2^t)/(1−β1^t) passed in per step
      const trainStep = J((s, d, a) => {
        const [l, g] = lossAndGrad(tree.ref(s.p), d);
        const P = {}, M = {}, V = {};
        for (const k of PINN_NAMES) {
          M[k] = s.m[k].mul(beta1).add(g[k].ref.mul(1 - beta1));
          V[k] = s.v[k].mul(beta2).add(np.square(g[k]).mul(1 - beta2));
          P[k] = s.p[k].sub(M[k].ref.mul(a.ref).div(np.sqrt(V[k].ref).add(adamEps)));
        }
        a.dispose();
        return [{ p: P, m: M, v: V }, l];
      });
      const checkFn = J((p, d) => lossAndGrad(p, d));
      return {
        async step() {
          iteration++;
          const a = np.array(lr * Math.sqrt(1 - beta2 ** iteration) / (1 - beta1 ** iteration));
          const [next, l] = trainStep(state, tree.ref(data), a);
          state = next;
          const v = (await l.data())[0];
          await blockUntilReady(state);
          return v;
        },
        // the gradients on the initial weights, nothing updated
        async check() {
          const [l, g] = checkFn(tree.ref(state.p), tree.ref(data));
          const out = { loss: await l.data() };
          for (const k of PINN_NAMES) out[k] = await g[k].data();
          return out;
        },
        dispose() { tree.dispose(state); tree.dispose(data); if (useJit) { trainStep.dispose(); checkFn.dispose(); } },
      };
    },
  };

  // the large sizes of issue 25: the same workloads on matmul512's and cnn128's data
  workloads.matmul512 = () => workloads.matmul(MATMUL512);
  workloads.cnn128 = () => workloads.cnn(CNN128);

  return { name: useJit ? 'jax-jit' : 'jax', version, note: 'device=wasm', workloads };
}

