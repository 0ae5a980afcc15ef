// gradtape, written against /work/shared/API.md (TensorFlow GradientTape style).
import { SEED, CHAIN, MLP, MATMUL, CNN } from '../data.mjs';

export async function create() {
  const gt = await import('gradtape');
  const { createRequire } = await import('node:module');
  let version = '?';
  try { version = createRequire(import.meta.url)('gradtape/package.json').version; } catch {}

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

    matmul() {
      const n = MATMUL.n;
      const a = gt.tensor(MATMUL.a, [n, n]);
      const b = gt.tensor(MATMUL.b, [n, n]);
      const once = () => gt.tidy(() => {
        const t = gt.tape((t) => { t.watch([a, b]); return gt.sum(gt.matmul(a, b)); });
        const [da, db] = t.gradient(t.result, [a, b]);
        return { dA: da.data(), dB: db.data() };
      });
      return { step: once, check: once, dispose() { gt.dispose([a, b]); } };
    },

    cnn() {
      const { batch, size, c1, c2, nOut } = CNN;
      const x = gt.tensor(CNN.x, [batch, size, size, 1]);
      const labels = gt.tensor(CNN.y, [batch, nOut]);
      const f1 = gt.tensor(CNN.f1, [3, 3, 1, c1]);
      const f2 = gt.tensor(CNN.f2, [3, 3, c1, c2]);
      const w = gt.tensor(CNN.w, [c2, nOut]);
      const once = () => gt.tidy(() => {
        const t = gt.tape((t) => {
          t.watch([f1, f2, w]);
          const h1 = gt.relu(gt.conv2d(x, f1, 1, 'same'));
          const h2 = gt.relu(gt.conv2d(h1, f2, 2, 'same'));
          const logits = gt.matmul(gt.mean(h2, [1, 2]), w);
          return gt.mean(gt.softmaxCrossEntropy(labels, logits));
        });
        const [df1, df2, dw] = t.gradient(t.result, [f1, f2, w]);
        return { loss: t.result.data(), df1: df1.data(), df2: df2.data(), dw: dw.data() };
      });
      return { step: once, check: once, dispose() { gt.dispose([x, labels, f1, f2, w]); } };
    },
  };

  return {
    name: 'gradtape', version, workloads,
    memory: () => gt.memory(),
  };
}

