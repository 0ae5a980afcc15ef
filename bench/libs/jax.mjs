// jax-js on its wasm device, eager or with jit. jax-js uses move semantics: every function consumes
// its Array arguments, `.ref` adds a reference, `.data()` reads back and consumes. Arrays are lazy,
// so every step awaits the data it produces (and `blockUntilReady` on updated parameters).
import { SEED, CHAIN, MLP, MATMUL, CNN } from '../data.mjs';

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
  const { numpy: np, nn, lax, grad, valueAndGrad, jit, tree, blockUntilReady } = jax;
  const J = useJit ? (f, opts) => jit(f, opts) : (f) => f;
  let version = '?';
  try {
    // the package's exports map hides package.json: read it next to the resolved entry point
    const { readFileSync } = await import('node:fs');
    version = JSON.parse(readFileSync(new URL('../package.json', import.meta.resolve('@jax-js/jax')), 'utf8')).version;
  } catch {}

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
      if (useJit && !process.env.BENCH_JAX_JIT_CHAIN) {
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

    matmul() {
      const n = MATMUL.n;
      const a = np.array(MATMUL.a).reshape([n, n]);
      const b = np.array(MATMUL.b).reshape([n, n]);
      const g = J(grad((a, b) => np.sum(np.matmul(a, b)), { argnums: [0, 1] }));
      const once = async () => {
        const [da, db] = g(a.ref, b.ref);
        return { dA: await da.data(), dB: await db.data() };
      };
      return { step: once, check: once, dispose() { a.dispose(); b.dispose(); if (useJit) g.dispose(); } };
    },

    cnn() {
      // jax-js convolves NCHW inputs with OIHW kernels: the input is transposed once here, the
      // HWIO filters inside the loss (so their gradients come back HWIO, like the other libraries')
      const { batch, size, c1, c2, nOut } = CNN;
      const x = np.array(CNN.x).reshape([batch, size, size, 1]).transpose([0, 3, 1, 2]);
      const labels = np.array(CNN.y).reshape([batch, nOut]);
      const params = {
        f1: np.array(CNN.f1).reshape([3, 3, 1, c1]),
        f2: np.array(CNN.f2).reshape([3, 3, c1, c2]),
        w: np.array(CNN.w).reshape([c2, nOut]),
      };
      // consumes p, x, labels
      const loss = (p, x, labels) => {
        const h1 = nn.relu(lax.conv(x, p.f1.transpose([3, 2, 0, 1]), [1, 1], 'SAME'));
        const h2 = nn.relu(lax.conv(h1, p.f2.transpose([3, 2, 0, 1]), [2, 2], 'SAME'));
        const logits = np.matmul(np.mean(h2, [2, 3]), p.w);
        return np.mean(np.sum(labels.mul(nn.logSoftmax(logits, -1)), -1)).neg();
      };
      const g = J(valueAndGrad(loss));
      const once = async () => {
        const [l, d] = g(tree.ref(params), x.ref, labels.ref);
        return { loss: await l.data(), df1: await d.f1.data(), df2: await d.f2.data(), dw: await d.w.data() };
      };
      return { step: once, check: once, dispose() { tree.dispose(params); x.dispose(); labels.dispose(); if (useJit) g.dispose(); } };
    },
  };

  return { name: useJit ? 'jax-jit' : 'jax', version, note: 'device=wasm', workloads };
}

