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
const matmulData = (n) => ({ n, a: normal(n * n, 1, 5), b: normal(n * n, 1, 6) });
export const MATMUL = matmulData(256);
// matmul512: the same definition at n = 512 (issue 25: large enough for the second core to pay)
export const MATMUL512 = matmulData(512);

// ---- cnn: loss and gradients of a small convolutional classifier, batch 32 of 28×28×1 ----
// conv 3×3 1→16 (stride 1, same) + bias → ReLU → conv 3×3 16→32 (stride 2, same) + bias → ReLU →
// mean over height and width → dense 32→10 (no bias) → mean softmax cross-entropy; gradients w.r.t.
// both filters (HWIO), both biases and the dense kernel. Nothing is updated, so every step does the
// same work.
const cnnData = (batch) => {
  const size = 28, c1 = 16, c2 = 32, nOut = 10;
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
    // small nonzero biases (not Keras's zeros): a zero bias would let a bias mistake go unnoticed
    // by the cross-check; some pre-activations change sign, so the ReLU masks depend on them too
    b1: normal(c1, 0.1, 12),
    b2: normal(c2, 0.1, 13),
  };
};
export const CNN = cnnData(32);
// cnn128: the same network and weights at batch 128 (its first 32 images and labels are cnn's: the
// seeded streams just run longer)
export const CNN128 = cnnData(128);

// ---- dcgan: one training step of TensorFlow's DCGAN tutorial, batch 32 ----
// generator: dense 100→7·7·256 (no bias) → BN → LeakyReLU(0.3) → reshape [7,7,256] → transposed
// conv 5×5 256→128 stride 1 → BN → LeakyReLU → transposed conv 5×5 128→64 stride 2 → BN →
// LeakyReLU → transposed conv 5×5 64→1 stride 2 → tanh (all 'same', no bias); discriminator:
// conv 5×5 1→64 stride 2 + bias → LeakyReLU → conv 5×5 64→128 stride 2 + bias → LeakyReLU →
// flatten (NHWC order) → dense 6272→1 + bias. No Dropout (the tutorial has Dropout(0.3) after each
// discriminator LeakyReLU): it would make the libraries' work differ by their random streams.
// Weights as Keras initialises them (Glorot uniform kernels, zero biases, BN gamma 1 and beta 0),
// drawn from the seeded generator; the noise is one fixed batch (the tutorial draws a new one per
// step) so every library does identical work step after step.
function glorot(n, fanIn, fanOut, seed) {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const u = uniform(n, seed);
  for (let i = 0; i < n; i++) u[i] = (2 * u[i] - 1) * limit;
  return u;
}
export const DCGAN = (() => {
  const batch = 32, noiseDim = 100, k = 5, size = 28, alpha = 0.3, bnEpsilon = 1e-3, lr = 1e-4;
  // layer shapes: transposed-conv filters are [kh, kw, outChannels, inChannels] (Keras and
  // tf.nn.conv2d_transpose), conv filters HWIO; Keras's Glorot fans for both are
  // (k·k·shape[2], k·k·shape[3])
  const kk = k * k;
  const real = uniform(batch * size * size, 20); // [32, 28, 28, 1], scaled to (−1, 1) as the tutorial's MNIST
  for (let i = 0; i < real.length; i++) real[i] = 2 * real[i] - 1;
  return {
    batch, noiseDim, k, size, alpha, bnEpsilon, lr,
    noise: normal(batch * noiseDim, 1, 21), // [32, 100]
    real,
    gen: {
      dense: glorot(noiseDim * 12544, noiseDim, 12544, 22), // [100, 7·7·256]
      gamma0: new Float32Array(12544).fill(1), beta0: new Float32Array(12544),
      t1: glorot(kk * 128 * 256, kk * 128, kk * 256, 23), // [5, 5, 128, 256]
      gamma1: new Float32Array(128).fill(1), beta1: new Float32Array(128),
      t2: glorot(kk * 64 * 128, kk * 64, kk * 128, 24), // [5, 5, 64, 128]
      gamma2: new Float32Array(64).fill(1), beta2: new Float32Array(64),
      t3: glorot(kk * 1 * 64, kk * 1, kk * 64, 25), // [5, 5, 1, 64]
    },
    disc: {
      c1: glorot(kk * 64, kk * 1, kk * 64, 26), // [5, 5, 1, 64]
      b1: new Float32Array(64),
      c2: glorot(kk * 64 * 128, kk * 64, kk * 128, 27), // [5, 5, 64, 128]
      b2: new Float32Array(128),
      dense: glorot(6272, 6272, 1, 28), // [6272, 1]
      b3: new Float32Array(1),
    },
  };
})();
// Shapes of the DCGAN weights, by name (the order every library lists its variables in).
export const DCGAN_SHAPES = {
  gen: {
    dense: [100, 12544], gamma0: [12544], beta0: [12544],
    t1: [5, 5, 128, 256], gamma1: [128], beta1: [128],
    t2: [5, 5, 64, 128], gamma2: [64], beta2: [64],
    t3: [5, 5, 1, 64],
  },
  disc: { c1: [5, 5, 1, 64], b1: [64], c2: [5, 5, 64, 128], b2: [128], dense: [6272, 1], b3: [1] },
};

// ---- rnn: one SGD step of a char model, Embedding(64, 32) → GRU(128, return_sequences) → Dense(64) ----
// Keras 3's GRU with reset_after=True (gate order z, r, h): kernel [32, 384], recurrent kernel
// [128, 384], bias [2, 384] (row 0 input bias, row 1 recurrent bias); h0 = 0. Loss: mean sparse
// softmax cross-entropy of the next character. Token ids come from one seeded row of 33 characters
// per sequence: inputs are its first 32, targets its last 32 (the next character of each).
// Weights: Keras's uniform(±0.05) embeddings and Glorot uniform kernels (the recurrent kernel too:
// Keras makes it orthogonal, which only changes the starting point, not the work); the biases are
// small seeded values instead of Keras's zeros, so that a bias mistake shows in the cross-check.
export const RNN = (() => {
  const batch = 16, steps = 32, vocab = 64, embed = 32, units = 128, lr = 0.1;
  const r = rng(30);
  const inputs = new Int32Array(batch * steps), targets = new Int32Array(batch * steps);
  for (let b = 0; b < batch; b++) {
    const row = Array.from({ length: steps + 1 }, () => Math.floor(r() * vocab));
    for (let t = 0; t < steps; t++) { inputs[b * steps + t] = row[t]; targets[b * steps + t] = row[t + 1]; }
  }
  const embeddings = uniform(vocab * embed, 31);
  for (let i = 0; i < embeddings.length; i++) embeddings[i] = (2 * embeddings[i] - 1) * 0.05;
  return {
    batch, steps, vocab, embed, units, lr,
    inputs, targets, // int32 [16, 32] each
    embeddings, // [64, 32]
    kernel: glorot(embed * 3 * units, embed, 3 * units, 32), // [32, 384]
    recurrentKernel: glorot(units * 3 * units, units, 3 * units, 33), // [128, 384]
    bias: normal(2 * 3 * units, 0.1, 34), // [2, 384]
    denseKernel: glorot(units * vocab, units, vocab, 35), // [128, 64]
    denseBias: normal(vocab, 0.1, 36), // [64]
  };
})();

// ---- attention: one SGD step of one post-norm Transformer block on x [8, 64, 64] ----
// multi-head causal self-attention (4 heads, key dim 16; Q, K, V, output projections with biases;
// scores · 1/√16, the causal mask adds -1e9 above the diagonal, as Keras's softmax masking does) →
// residual add → LayerNormalization(ε 1e-3) → Dense(256, relu) → Dense(64) → residual add →
// LayerNormalization; loss: mean squared error against a fixed target. The projections are [64, 64]
// matrices (Keras's EinsumDense kernels [64, 4, 16] and [4, 16, 64] reshaped; same products).
// Weights Glorot uniform; biases, betas and gammas − 1 small seeded values (not Keras's zeros and ones).
export const ATTENTION = (() => {
  const batch = 8, seq = 64, dModel = 64, heads = 4, keyDim = 16, ff = 256, epsilon = 1e-3, lr = 0.1;
  const dense = (nIn, nOut, seed) => ({ kernel: glorot(nIn * nOut, nIn, nOut, seed), bias: normal(nOut, 0.1, seed + 100) });
  const gamma = (seed) => { const g = normal(dModel, 0.1, seed); for (let i = 0; i < dModel; i++) g[i] += 1; return g; };
  const mask = new Float32Array(seq * seq); // [64, 64]: 0 where key j ≤ query i, −1e9 above the diagonal
  for (let i = 0; i < seq; i++) for (let j = i + 1; j < seq; j++) mask[i * seq + j] = -1e9;
  return {
    batch, seq, dModel, heads, keyDim, ff, epsilon, lr,
    x: normal(batch * seq * dModel, 1, 40), // [8, 64, 64]
    target: normal(batch * seq * dModel, 1, 41), // [8, 64, 64]
    mask,
    weights: {
      query: dense(dModel, heads * keyDim, 42), key: dense(dModel, heads * keyDim, 43),
      value: dense(dModel, heads * keyDim, 44), output: dense(heads * keyDim, dModel, 45),
      gamma1: gamma(46), beta1: normal(dModel, 0.1, 47),
      ff1: dense(dModel, ff, 48), ff2: dense(ff, dModel, 49),
      gamma2: gamma(50), beta2: normal(dModel, 0.1, 51),
    },
  };
})();
// The attention block's trainable tensors, flattened by name (the order every library lists them in)
// with their shapes: the check compares each gradient by these names.
export const ATTENTION_SHAPES = (() => {
  const { dModel: d, ff } = ATTENTION;
  return {
    wq: [d, d], bq: [d], wk: [d, d], bk: [d], wv: [d, d], bv: [d], wo: [d, d], bo: [d],
    gamma1: [d], beta1: [d], w1: [d, ff], b1: [ff], w2: [ff, d], b2: [d], gamma2: [d], beta2: [d],
  };
})();
export const ATTENTION_INIT = (() => {
  const w = ATTENTION.weights;
  return {
    wq: w.query.kernel, bq: w.query.bias, wk: w.key.kernel, bk: w.key.bias, wv: w.value.kernel, bv: w.value.bias,
    wo: w.output.kernel, bo: w.output.bias, gamma1: w.gamma1, beta1: w.beta1,
    w1: w.ff1.kernel, b1: w.ff1.bias, w2: w.ff2.kernel, b2: w.ff2.bias, gamma2: w.gamma2, beta2: w.beta2,
  };
})();

// ---- pinn: one Adam step of a physics-informed network for Burgers' equation ----
// u_t + u·u_x = ν·u_xx, ν = 0.01/π, on x ∈ [−1, 1], t ∈ [0, 1], u(0, x) = −sin(πx), u(t, ±1) = 0 (Raissi
// et al.'s setup). Network (t, x) → 8 Dense layers of 20 tanh units → 1 (the common TF2 PINN tutorial's
// size), fed [t, x] as they are (no input scaling). Loss: mean(residual²) over 2,000 collocation points +
// mean((u − u0)²) over 100 initial points + mean(u²) over 100 boundary points; the derivatives w.r.t.
// t and x by nested differentiation. Points uniform in the domain (boundary points alternate x = −1,
// x = +1); kernels Glorot uniform, biases small seeded values (not Keras's zeros, so that a bias
// mistake shows in the cross-check).
export const PINN = (() => {
  const nCollocation = 2000, nInitial = 100, nBoundary = 100, depth = 8, width = 20, lr = 1e-3;
  const spread = (u, lo, hi) => u.map((v) => lo + (hi - lo) * v);
  const x0 = spread(uniform(nInitial, 62), -1, 1), tb = uniform(nBoundary, 63);
  const sizes = [2, ...Array(depth).fill(width), 1];
  return {
    nCollocation, nInitial, nBoundary, depth, width, lr, nu: 0.01 / Math.PI,
    t: uniform(nCollocation, 60), x: spread(uniform(nCollocation, 61), -1, 1), // collocation points, [2000] each
    // initial points [100, 2], rows (0, x0), and u(0, x0) = −sin(π·x0) [100]
    initial: Float32Array.from({ length: 2 * nInitial }, (_, i) => (i % 2 ? x0[i >> 1] : 0)),
    u0: x0.map((v) => -Math.sin(Math.PI * v)),
    // boundary points [100, 2], rows (t, −1), (t, +1), (t, −1), …
    boundary: Float32Array.from({ length: 2 * nBoundary }, (_, i) => (i % 2 ? ((i >> 1) % 2 ? 1 : -1) : tb[i >> 1])),
    // layer i: kernel [sizes[i], sizes[i + 1]], bias [sizes[i + 1]]
    shapes: sizes.slice(1).map((n, i) => [sizes[i], n]),
    kernels: sizes.slice(1).map((n, i) => glorot(sizes[i] * n, sizes[i], n, 64 + i)),
    biases: sizes.slice(1).map((n, i) => normal(n, 0.1, 80 + i)),
  };
})();
// The names the check compares gradients by, in the order every library lists its weights:
// kernel0, bias0, …, kernel8, bias8.
export const PINN_NAMES = PINN.shapes.flatMap((_, i) => [`kernel${i}`, `bias${i}`]);

// Floating-point operations per iteration, counted as 2 per multiply-add of the products a step
// needs (the elementwise work, a few % of the total, is left out); see bench/README.md.
const conv = (outPixels, k, cout) => 2 * outPixels * k * cout; // one conv as a product [outPixels × k]·[k × cout]
function cnnFlops(C) {
  const { batch, size, c1, c2, nOut } = C;
  const conv1 = conv(batch * size * size, 9, c1); // 28×28 outputs
  const conv2 = conv(batch * (size / 2) ** 2, 9 * c1, c2); // 14×14 outputs (stride 2)
  const dense = 2 * batch * c2 * nOut;
  // forward both convs; backward: conv2's input and filter gradients, conv1's filter gradient
  // (its input is data, nobody asks for its gradient); dense forward, its input and kernel gradients
  return conv1 + conv2 + (conv2 + conv2) + conv1 + 3 * dense;
}
export const FLOPS = {
  matmul: 3 * 2 * MATMUL.n ** 3, // forward A·B, backward dC·Bᵀ and Aᵀ·dC
  matmul512: 3 * 2 * MATMUL512.n ** 3,
  cnn: cnnFlops(CNN),
  cnn128: cnnFlops(CNN128),
  dcgan: (() => {
    // multiply-adds of each product, forward (× 2 for flops at the end). A transposed conv is the
    // product [input pixels × Cin]·[Cin × K·Cout]; a conv [output pixels × K·Cin]·[K·Cin × Cout].
    const { batch: b, noiseDim } = DCGAN, kk = 25;
    const gDense = b * noiseDim * 12544;
    const t1 = b * 49 * 256 * kk * 128, t2 = b * 49 * 128 * kk * 64, t3 = b * 196 * 64 * kk * 1;
    const c1 = b * 196 * kk * 1 * 64, c2 = b * 49 * kk * 64 * 128, dDense = b * 6272;
    const disc = c1 + c2 + dDense; // one discriminator pass over 32 images
    const forward = gDense + t1 + t2 + t3 + 2 * disc; // generator once, discriminator on real and on fake
    // generator loss: through the discriminator on the fake batch to its input (input gradients of
    // dense, conv2, conv1; no weight gradients), then the generator's input and weight gradients
    // (the dense layer's input is noise: weight gradient only)
    const genBackward = (dDense + c2 + c1) + 2 * (t3 + t2 + t1) + gDense;
    // discriminator loss, on real and on fake: weight and input gradients of dense and conv2,
    // conv1's weight gradient only (its input is an image: data, or the fake batch, whose gradient
    // this loss does not need)
    const discBackward = 2 * (2 * dDense + 2 * c2 + c1);
    return 2 * (forward + genBackward + discBackward);
  })(),
  rnn: (() => {
    // multiply-adds; the embedding lookup is a gather (no products; tfjs-wasm's one-hot product is not counted)
    const { batch, steps, embed, units, vocab } = RNN;
    const input = batch * steps * embed * 3 * units; // x·W for all steps at once: [512 × 32]·[32 × 384]
    const recurrent = batch * units * 3 * units; // h·U per step: [16 × 128]·[128 × 384]
    const dense = batch * steps * units * vocab; // [512 × 128]·[128 × 64]
    // input and dense: forward, weight gradient, input gradient (the embeddings are trained);
    // recurrent: forward and dU every step, dh every step but the first (h0 = 0 is a constant)
    return 2 * (3 * input + (3 * steps - 1) * recurrent + 3 * dense);
  })(),
  attention: (() => {
    // multiply-adds. x is data: the Q, K, V projections need forward and weight gradient only; the
    // output projection and both feed-forward layers forward, weight and input gradients; the two
    // batched products (Q·Kᵀ, weights·V) forward and both input gradients.
    const { batch, seq, dModel, heads, keyDim, ff } = ATTENTION;
    const rows = batch * seq;
    const proj = rows * dModel * heads * keyDim; // one of Q, K, V, output
    const scores = batch * heads * seq * keyDim * seq, mix = batch * heads * seq * seq * keyDim;
    const ff1 = rows * dModel * ff, ff2 = rows * ff * dModel;
    return 2 * (3 * 2 * proj + 3 * proj + 3 * scores + 3 * mix + 3 * ff1 + 3 * ff2);
  })(),
};

export const WORKLOADS = ['seed', 'chain', 'mlp', 'matmul', 'matmul512', 'cnn', 'cnn128', 'dcgan', 'rnn', 'attention', 'pinn'];
