// The elementwise workload: forward + gradient of sum(f(x)) on 2^20 float32 values, one workload
// per op (`ew-relu`, `ew-exp`, …), for every library. Self-contained: the inputs, the op list and
// each library's version of the step live here; run.mjs and worker.mjs only route `ew-*` names to it.
import { rng } from './data.mjs';

export const EW_OPS = ['relu', 'sqrt', 'square', 'exp', 'log', 'sigmoid', 'tanh', 'softplus', 'erf', 'gelu'];
export const EW_WORKLOADS = EW_OPS.map((op) => `ew-${op}`);
/** The op the table's ratios divide by (the cheapest arithmetic op with a gradient). */
export const EW_BASE = 'square';
export const isElementwise = (w) => w.startsWith('ew-') && EW_OPS.includes(w.slice(3));

const N = 1 << 20;
function uniform(lo, hi, seed) {
  const r = rng(seed);
  const out = new Float32Array(N);
  for (let i = 0; i < N; i++) out[i] = lo + (hi - lo) * r();
  return out;
}
// (−4, 4) covers every op's curved part (sigmoid, tanh, erf saturate past it); log and sqrt get (0.01, 4)
let inputs;
/** The input of `op` (made on first use: 8 MB that other workloads do not need). */
function inputFor(op) {
  inputs ??= { any: uniform(-4, 4, 11), positive: uniform(0.01, 4, 12) };
  return op === 'log' || op === 'sqrt' ? inputs.positive : inputs.any;
}

/** { step, check, dispose } for library `lib` (a bench library name) and workload `ew-<op>`. */
export async function elementwiseWorkload(lib, workload) {
  const op = workload.slice(3);
  if (!EW_OPS.includes(op)) throw new Error(`unknown workload ${workload}`);
  const data = inputFor(op);
  if (lib === 'gradtape') {
    const gt = await import('gradtape');
    const x = gt.tensor(data);
    const once = () => gt.tidy(() => {
      const t = gt.tape((t) => { t.watch(x); return gt.sum(gt[op](x)); });
      return { dx: t.gradient(t.result, x).data() };
    });
    return { step: once, check: once, dispose() { x.dispose(); } };
  }
  if (lib === 'tfjs-cpu' || lib === 'tfjs-wasm') {
    const tf = await import('@tensorflow/tfjs'); // the worker's instance, backend already set
    // tfjs has no gelu op: the exact form, 0.5·x·(1 + erf(x/√2)), from its ops
    const gelu = (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
    const f = op === 'gelu' ? gelu : tf[op];
    const x = tf.tensor1d(data);
    const g = tf.grad((x) => tf.sum(f(x)));
    // read back outside tidy: tidy walks what its function returns looking for tensors, and a
    // returned Float32Array of 2^20 values costs it tens of ms
    const once = () => { const dx = tf.tidy(() => g(x)); const out = dx.dataSync(); dx.dispose(); return { dx: out }; };
    return { step: once, check: once, dispose() { x.dispose(); } };
  }
  if (lib === 'jax' || lib === 'jax-jit') {
    const { numpy: np, nn, scipySpecial, grad, jit } = await import('@jax-js/jax'); // initialised by jax.mjs
    const fns = {
      relu: nn.relu, sigmoid: nn.sigmoid, softplus: nn.softplus, erf: scipySpecial.erf,
      gelu: (x) => nn.gelu(x, { approximate: false }),
      sqrt: np.sqrt, square: np.square, exp: np.exp, log: np.log, tanh: np.tanh,
    };
    const gradient = grad((x) => np.sum(fns[op](x)));
    const g = lib === 'jax-jit' ? jit(gradient) : gradient;
    const x = np.array(data);
    const once = async () => ({ dx: await g(x.ref).data() });
    return { step: once, check: once, dispose() { x.dispose(); if (lib === 'jax-jit') g.dispose(); } };
  }
  throw new Error(`no elementwise workload for ${lib}`);
}
