// TensorFlow.js (CPU backend or wasm backend), idiomatic functional gradients: tf.grad / tf.grads /
// optimizer.minimize, everything inside tf.tidy, results read back with dataSync().
import { SEED, CHAIN, MLP, MATMUL, CNN } from '../data.mjs';
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

    matmul() {
      const n = MATMUL.n;
      const a = tf.tensor2d(MATMUL.a, [n, n]);
      const b = tf.tensor2d(MATMUL.b, [n, n]);
      const g = tf.grads((a, b) => tf.sum(tf.matMul(a, b)));
      const once = () => readBack(() => { const [dA, dB] = g([a, b]); return { dA, dB }; });
      return { step: once, check: once, dispose() { tf.dispose([a, b]); } };
    },

    cnn() {
      // checked before any tensor exists: the wasm backend has no filter gradient (see bench/README.md)
      if (!tf.getKernel('Conv2DBackpropFilter', backend)) throw new Error(`Kernel 'Conv2DBackpropFilter' not registered for backend '${backend}'`);
      const { batch, size, c1, c2, nOut } = CNN;
      const x = tf.tensor4d(CNN.x, [batch, size, size, 1]);
      const labels = tf.tensor2d(CNN.y, [batch, nOut]);
      const f1 = tf.tensor4d(CNN.f1, [3, 3, 1, c1]);
      const f2 = tf.tensor4d(CNN.f2, [3, 3, c1, c2]);
      const w = tf.tensor2d(CNN.w, [c2, nOut]);
      const lossAndGrads = tf.valueAndGrads((f1, f2, w) => {
        const h1 = tf.relu(tf.conv2d(x, f1, 1, 'same'));
        const h2 = tf.relu(tf.conv2d(h1, f2, 2, 'same'));
        const logits = tf.matMul(tf.mean(h2, [1, 2]), w);
        return tf.losses.softmaxCrossEntropy(labels, logits); // mean over the batch
      });
      const once = () => readBack(() => {
        const { value, grads: [df1, df2, dw] } = lossAndGrads([f1, f2, w]);
        return { loss: value, df1, df2, dw };
      });
      return { step: once, check: once, dispose() { tf.dispose([x, labels, f1, f2, w]); } };
    },
  };

  return {
    name: `tfjs-${backend}`, version, note, workloads, activate,
    memory: () => tf.memory(),
  };
}

