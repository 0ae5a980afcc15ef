// Shared, deterministic inputs so every library sees exactly the same numbers.

/** mulberry32: tiny seeded PRNG returning floats in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(n, std, seed) {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(r(), 1e-12), v = r();
    const m = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = m * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = m * Math.sin(2 * Math.PI * v);
  }
  return out;
}

function uniform(n, seed) {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r();
  return out;
}

// ---- seed: the three programs of TensorFlow's autodiff notebook ----
export const SEED = {
  // (c) f(x, y): output = 1; for i in range(y): if 1 < i < 5: output *= x
  loopYs: [6, 5, 4],
  x: 2,
  expected: {
    'a.dz/dx': [8, 8, 8, 8],
    'a.dz/dy': [8],
    'b.dz/dx': [108],
    'b.dy/dx': [6],
    'c.y=6': [12],
    'c.y=5': [12],
    'c.y=4': [4],
  },
};

// ---- chain: 1,000 steps of y = y*x + sin(y) ----
export const CHAIN = { steps: 1000, x: 0.5, y0: 0.1 };
{
  // float64 reference for dy/dx (forward-mode by hand)
  let y = CHAIN.y0, d = 0;
  for (let i = 0; i < CHAIN.steps; i++) {
    const ny = y * CHAIN.x + Math.sin(y);
    d = d * CHAIN.x + y + Math.cos(y) * d;
    y = ny;
  }
  CHAIN.expected = { 'dy/dx': [d] };
}

// ---- mlp: one SGD step of 784 -> 128 -> 10 ReLU MLP, batch 64 ----
export const MLP = (() => {
  const batch = 64, nIn = 784, nHidden = 128, nOut = 10, lr = 0.1;
  const x = uniform(batch * nIn, 1);
  const y = new Float32Array(batch * nOut);
  const r = rng(2);
  for (let i = 0; i < batch; i++) y[i * nOut + Math.floor(r() * nOut)] = 1;
  return {
    batch, nIn, nHidden, nOut, lr,
    x, y, // x: [64, 784] in [0,1); y: one-hot labels [64, 10]
    w1: normal(nIn * nHidden, Math.sqrt(2 / nIn), 3),
    b1: new Float32Array(nHidden),
    w2: normal(nHidden * nOut, Math.sqrt(2 / nHidden), 4),
    b2: new Float32Array(nOut),
  };
})();

// ---- matmul: gradients of sum(A·B) w.r.t. A and B ----
export const MATMUL = (() => {
  const n = 256;
  return { n, a: normal(n * n, 1, 5), b: normal(n * n, 1, 6) };
})();

// ---- cnn: loss and gradients of a small convolutional classifier, batch 32 of 28×28×1 ----
// conv 3×3 1→16 (stride 1, same) → ReLU → conv 3×3 16→32 (stride 2, same) → ReLU → mean over
// height and width → dense 32→10 (no bias) → mean softmax cross-entropy; gradients w.r.t. both
// filters (HWIO) and the dense kernel. Nothing is updated, so every step does the same work.
export const CNN = (() => {
  const batch = 32, size = 28, c1 = 16, c2 = 32, nOut = 10;
  const y = new Float32Array(batch * nOut);
  const r = rng(8);
  for (let i = 0; i < batch; i++) y[i * nOut + Math.floor(r() * nOut)] = 1;
  return {
    batch, size, c1, c2, nOut,
    x: uniform(batch * size * size, 7), // [32, 28, 28, 1] NHWC in [0, 1)
    y, // one-hot labels [32, 10]
    f1: normal(3 * 3 * 1 * c1, Math.sqrt(2 / 9), 9), // [3, 3, 1, 16] HWIO
    f2: normal(3 * 3 * c1 * c2, Math.sqrt(2 / (9 * c1)), 10), // [3, 3, 16, 32] HWIO
    w: normal(c2 * nOut, Math.sqrt(2 / c2), 11), // [32, 10]
  };
})();

// Floating-point operations per iteration, counted as 2 per multiply-add of the products a step
// needs (the elementwise work, a few % of the total, is left out); see bench/README.md.
const conv = (outPixels, k, cout) => 2 * outPixels * k * cout; // one conv as a product [outPixels × k]·[k × cout]
export const FLOPS = {
  matmul: 3 * 2 * MATMUL.n ** 3, // forward A·B, backward dC·Bᵀ and Aᵀ·dC
  cnn: (() => {
    const { batch, size, c1, c2, nOut } = CNN;
    const conv1 = conv(batch * size * size, 9, c1); // 28×28 outputs
    const conv2 = conv(batch * (size / 2) ** 2, 9 * c1, c2); // 14×14 outputs (stride 2)
    const dense = 2 * batch * c2 * nOut;
    // forward both convs; backward: conv2's input and filter gradients, conv1's filter gradient
    // (its input is data, nobody asks for its gradient); dense forward, its input and kernel gradients
    return conv1 + conv2 + (conv2 + conv2) + conv1 + 3 * dense;
  })(),
};

export const WORKLOADS = ['seed', 'chain', 'mlp', 'matmul', 'cnn'];
