// MultiHeadAttention against a float64 reference of Keras 3's computation (written here from Keras'
// einsum equations: projections, query scaled by 1/sqrt(keyDim), scores, masked softmax with -1e9
// and zeroed masked probabilities, weighted sum, output projection), using the layer's own weights:
// outputs, scores, and central-difference gradients w.r.t. every input and weight. Then Keras'
// weight names, shapes, order and parameter counts, masks, dropout, and a Transformer block.
import { describe, it, expect } from 'vitest';
import { Tensor, tensor, tape, tidy, mul, sum, add, ones, memory, dropout, randomNormal, type DType } from '../src/index.js';
import { MultiHeadAttention, LayerNormalization, Dense, MASKED_SCORE, type AttentionApplyOptions } from '../src/layers/index.js';
import { deriveSeed } from '../src/layers/initializers.js';
import { type ND, uniform, sizeOf } from './support/nd.js';
import { numericGrad, expectClose } from './support/gradcheck.js';
import { T, toND, f32, setTo, throws } from './layers-support.js';

interface Config { heads: number; keyDim: number; valueDim: number; useBias: boolean }
/** (b, n, i, j) -> whether query i attends to key j (undefined: everything attends) */
type Keep = (b: number, n: number, i: number, j: number) => boolean;

/**
 * Keras 3's MultiHeadAttention in float64. `w` is the layer's weights in weights() order (kernels and,
 * with useBias, biases); `drop` the dropout factors (0 or 1/(1-rate)) on the probabilities.
 */
function refMHA(q: ND, v: ND, k: ND, w: ND[], c: Config, keep?: Keep, drop?: ND): { out: ND; scores: ND } {
  const [B, Tq, Dq] = q.shape, [, S, Dv] = v.shape, Dk = k.shape[2];
  const { heads: N, keyDim: H, valueDim: Hv } = c;
  const ws = [...w];
  const next = (bias: boolean) => (bias ? ws.shift() : undefined);
  const [wq, bq] = [ws.shift()!, next(c.useBias)], [wk, bk] = [ws.shift()!, next(c.useBias)];
  const [wv, bv] = [ws.shift()!, next(c.useBias)], [wo, bo] = [ws.shift()!, next(c.useBias)];
  const O = sizeOf(wo.shape) / (N * Hv);
  // x [B, L, D] . W [D, N, Hd] + b [N, Hd] -> [B, L, N, Hd]
  const project = (x: ND, W: ND, b: ND | undefined, L: number, D: number, Hd: number) => {
    const y = new Float64Array(B * L * N * Hd);
    for (let bi = 0; bi < B; bi++) for (let l = 0; l < L; l++) for (let n = 0; n < N; n++) for (let h = 0; h < Hd; h++) {
      let s = b ? b.data[n * Hd + h] : 0;
      for (let d = 0; d < D; d++) s += x.data[(bi * L + l) * D + d] * W.data[(d * N + n) * Hd + h];
      y[((bi * L + l) * N + n) * Hd + h] = s;
    }
    return y;
  };
  const Q = project(q, wq, bq, Tq, Dq, H).map(x => x / Math.sqrt(H));
  const K = project(k, wk, bk, S, Dk, H), V = project(v, wv, bv, S, Dv, Hv);
  const scores = new Float64Array(B * N * Tq * S);
  const ctx = new Float64Array(B * Tq * N * Hv);
  for (let b = 0; b < B; b++) for (let n = 0; n < N; n++) for (let i = 0; i < Tq; i++) {
    const row = Array.from({ length: S }, (_, j) => {
      if (keep && !keep(b, n, i, j)) return MASKED_SCORE;
      let s = 0;
      for (let h = 0; h < H; h++) s += Q[((b * Tq + i) * N + n) * H + h] * K[((b * S + j) * N + n) * H + h];
      return s;
    });
    const mx = Math.max(...row), e = row.map(x => Math.exp(x - mx)), total = e.reduce((p, x) => p + x, 0);
    for (let j = 0; j < S; j++) {
      const p = keep && !keep(b, n, i, j) ? 0 : e[j] / total, at = ((b * N + n) * Tq + i) * S + j;
      scores[at] = p;
      const pd = drop ? p * drop.data[at] : p;
      for (let h = 0; h < Hv; h++) ctx[((b * Tq + i) * N + n) * Hv + h] += pd * V[((b * S + j) * N + n) * Hv + h];
    }
  }
  const out = new Float64Array(B * Tq * O);
  for (let r = 0; r < B * Tq; r++) for (let o = 0; o < O; o++) {
    let s = bo ? bo.data[o] : 0;
    for (let m = 0; m < N * Hv; m++) s += ctx[r * N * Hv + m] * wo.data[m * O + o];
    out[r * O + o] = s;
  }
  return { out: { shape: [B, Tq, ...wo.shape.slice(2)], data: out }, scores: { shape: [B, N, Tq, S], data: scores } };
}

const config = (mha: MultiHeadAttention): Config => ({ heads: mha.numHeads, keyDim: mha.keyDim, valueDim: mha.valueDim, useBias: mha.useBias });
const FWD = { rtol: 1e-4, atol: 1e-5 }, GRAD = { rtol: 2e-3, atol: 2e-4 };

/** Builds `mha` for these inputs and gives every weight random values (biases too, so they are checked). */
function randomize(mha: MultiHeadAttention, q: ND, v: ND, k: ND, seed: number): void {
  mha.build(q.shape, v.shape, k.shape);
  mha.variables.forEach((w, i) => setTo(w, uniform(w.shape, -0.8, 0.8, seed + i)));
}

/** Forward output and scores against refMHA; then d sum(u * output) / d [query, value, key?, weights...] by central differences. */
function check(mha: MultiHeadAttention, q: ND, v: ND, k: ND | undefined, options: Omit<AttentionApplyOptions, 'returnAttentionScores'>, keep: Keep | undefined, label: string) {
  const c = config(mha), vars = mha.trainableVariables;
  const [tq, tv, tk] = [T(q), T(v), k && T(k)];
  const [out, scores] = mha.apply(tq, tv, tk, { ...options, returnAttentionScores: true });
  const want = refMHA(q, v, k ?? v, vars.map(toND), c, keep);
  expect(out.shape).toEqual(want.out.shape);
  expect(scores.shape).toEqual(want.scores.shape);
  expectClose(out.data() as Float32Array, want.out.data, FWD, `${label} output`);
  expectClose(scores.data() as Float32Array, want.scores.data, FWD, `${label} scores`);
  const u = uniform(out.shape, -1, 1, 7), ut = T(u);
  const inputs = k ? [tq, tv, tk!] : [tq, tv];
  const t = tape(tp => { inputs.forEach(x => tp.watch(x)); return sum(mul(mha.apply(tq, tv, tk, options), ut)); });
  const grads = t.gradient(t.result, [...inputs, ...vars]) as Tensor[];
  const values = [q, v, ...(k ? [k] : []), ...vars.map(toND)];
  const nIn = inputs.length;
  const numeric = numericGrad(xs => refMHA(xs[0], xs[1], k ? xs[2] : xs[1], xs.slice(nIn), c, keep).out, values, u);
  const names = ['query', 'value', 'key'];
  grads.forEach((g, i) => expectClose(g.data() as Float32Array, numeric[i].data, GRAD, `${label} d/d${i < nIn ? names[i] : vars[i - nIn].name}`));
  t.dispose();
  [tq, tv, ut, out, scores, ...(tk ? [tk] : [])].forEach(x => x.dispose());
}

describe('MultiHeadAttention: values and gradients against the float64 reference', () => {
  it('self-attention (key defaults to value), every weight with a bias', () => {
    const mha = new MultiHeadAttention({ numHeads: 2, keyDim: 3, name: 'mha' });
    const x = uniform([2, 4, 5], -1, 1, 1);
    randomize(mha, x, x, x, 10);
    check(mha, x, x, undefined, {}, undefined, 'self');
    mha.dispose();
  });

  it('cross-attention with its own key, query length != key length, valueDim != keyDim, no biases', () => {
    const mha = new MultiHeadAttention({ numHeads: 3, keyDim: 2, valueDim: 4, useBias: false });
    const q = uniform([2, 3, 4], -1, 1, 2), v = uniform([2, 5, 6], -1, 1, 3), k = uniform([2, 5, 3], -1, 1, 4);
    randomize(mha, q, v, k, 20);
    expect(mha.variables.map(w => w.shape)).toEqual([[4, 3, 2], [3, 3, 2], [6, 3, 4], [3, 4, 4]]);
    check(mha, q, v, k, {}, undefined, 'cross');
    mha.dispose();
  });

  it('outputShape as a number and as a shape', () => {
    for (const outputShape of [7, [2, 3]]) {
      const mha = new MultiHeadAttention({ numHeads: 2, keyDim: 2, outputShape });
      const q = uniform([1, 3, 4], -1, 1, 5), v = uniform([1, 2, 4], -1, 1, 6);
      randomize(mha, q, v, v, 30);
      const dims = typeof outputShape === 'number' ? [outputShape] : outputShape;
      expect(mha.outputDense!.kernel.shape).toEqual([2, 2, ...dims]);
      expect(mha.outputDense!.bias!.shape).toEqual(dims);
      expect(mha.outputShape([1, 3, 4], [1, 2, 4])).toEqual([1, 3, ...dims]);
      check(mha, q, v, undefined, {}, undefined, `outputShape ${JSON.stringify(outputShape)}`);
      mha.dispose();
    }
  });

  const maskND = (shape: number[], seed: number) => uniform(shape, 0, 1, seed).data.map(x => (x > 0.35 ? 1 : 0));
  it('attentionMask [batch, queryLen, keyLen] as bool, float32 and int32 (nonzero attends)', () => {
    const mha = new MultiHeadAttention({ numHeads: 2, keyDim: 3 });
    const q = uniform([2, 3, 4], -1, 1, 7), v = uniform([2, 4, 4], -1, 1, 8);
    randomize(mha, q, v, v, 40);
    const m = maskND([2, 3, 4], 9);
    const keep: Keep = (b, _n, i, j) => m[(b * 3 + i) * 4 + j] !== 0;
    for (const dtype of ['bool', 'float32', 'int32'] as DType[]) {
      const values = dtype === 'bool' ? Array.from(m, x => x !== 0) : Array.from(m, x => x * (dtype === 'float32' ? 0.25 : 3));
      const mask = tensor(values, [2, 3, 4], dtype);
      check(mha, q, v, undefined, { attentionMask: mask }, keep, `mask ${dtype}`);
      mask.dispose();
    }
    mha.dispose();
  });

  it("Keras' broadcast masks: [queryLen, keyLen], [batch, 1, keyLen], per head [batch, heads, queryLen, keyLen]", () => {
    const mha = new MultiHeadAttention({ numHeads: 2, keyDim: 2 });
    const q = uniform([2, 3, 3], -1, 1, 10), v = uniform([2, 4, 3], -1, 1, 11);
    randomize(mha, q, v, v, 50);
    const cases: [number[], (m: Float64Array) => Keep][] = [
      [[3, 4], m => (_b, _n, i, j) => m[i * 4 + j] !== 0],
      [[2, 1, 4], m => (b, _n, _i, j) => m[b * 4 + j] !== 0],
      [[2, 2, 3, 4], m => (b, n, i, j) => m[((b * 2 + n) * 3 + i) * 4 + j] !== 0],
      [[1, 2, 1, 4], m => (_b, n, _i, j) => m[n * 4 + j] !== 0],
    ];
    for (const [shape, keep] of cases) {
      const m = maskND(shape, 12 + shape.length);
      const mask = tensor(Array.from(m), shape);
      check(mha, q, v, undefined, { attentionMask: mask }, keep(m), `mask [${shape}]`);
      mask.dispose();
    }
    mha.dispose();
  });

  it('useCausalMask, alone and combined (AND) with an attentionMask; query length != key length', () => {
    const mha = new MultiHeadAttention({ numHeads: 2, keyDim: 3 });
    const q = uniform([2, 4, 3], -1, 1, 13), v = uniform([2, 5, 3], -1, 1, 14);
    randomize(mha, q, v, v, 60);
    check(mha, q, v, undefined, { useCausalMask: true }, (_b, _n, i, j) => j <= i, 'causal');
    const m = maskND([2, 4, 5], 15);
    const mask = tensor(Array.from(m, x => x !== 0), [2, 4, 5], 'bool');
    check(mha, q, v, undefined, { useCausalMask: true, attentionMask: mask }, (b, _n, i, j) => j <= i && m[(b * 4 + i) * 5 + j] !== 0, 'causal + mask');
    mask.dispose();
    const longer = uniform([1, 5, 3], -1, 1, 27), shorter = uniform([1, 3, 3], -1, 1, 28); // queryLen > keyLen
    check(mha, longer, shorter, undefined, { useCausalMask: true }, (_b, _n, i, j) => j <= i, 'causal, 5 queries over 3 keys');
    mha.dispose();
  });

  it("fully masked rows: zero scores (Keras 3's Softmax zeroes masked probabilities), so the output is the output bias", () => {
    const mha = new MultiHeadAttention({ numHeads: 2, keyDim: 2 });
    const q = uniform([1, 2, 3], -1, 1, 16), v = uniform([1, 3, 3], -1, 1, 17);
    randomize(mha, q, v, v, 70);
    const mask = tensor([[[true, false, true], [false, false, false]]]);
    const keep: Keep = (_b, _n, i, j) => i === 0 && j !== 1;
    check(mha, q, v, undefined, { attentionMask: mask }, keep, 'fully masked row');
    const [tq, tv] = [T(q), T(v)];
    const [out, scores] = mha.apply(tq, tv, { attentionMask: mask, returnAttentionScores: true });
    expect(f32(scores).slice(3, 6)).toEqual([0, 0, 0]); // head 0, query 1
    expect(f32(scores).slice(9, 12)).toEqual([0, 0, 0]); // head 1, query 1
    expect(f32(scores).slice(0, 3).map(p => p > 0)).toEqual([true, false, true]);
    expectClose(f32(out).slice(3, 6), f32(mha.outputDense!.bias!), FWD, 'output of the masked row');
    [tq, tv, out, scores, mask].forEach(t => t.dispose());
    mha.dispose();
  });
});

describe("MultiHeadAttention: Keras 3's weights", () => {
  /** Keras' count: three EinsumDense projections and the output one, each with its bias. */
  const kerasCount = (dq: number, dv: number, dk: number, n: number, h: number, hv: number, out: number, bias: boolean) =>
    dq * n * h + dk * n * h + dv * n * hv + n * hv * out + (bias ? 2 * n * h + n * hv + out : 0);

  it('names, shapes and order of weights(), variable names, defaults', () => {
    const mha = new MultiHeadAttention({ numHeads: 4, keyDim: 16, name: 'attn' });
    expect([mha.valueDim, mha.dropout, mha.useBias, mha.kernelInitializer, mha.biasInitializer]).toEqual([16, 0, true, 'glorotUniform', 'zeros']);
    expect(mha.countParams()).toBe(0);
    mha.build([8, 64, 64], [8, 64, 64]);
    const w = mha.weights();
    expect(Object.keys(w)).toEqual(['query/kernel', 'query/bias', 'key/kernel', 'key/bias', 'value/kernel', 'value/bias', 'attention_output/kernel', 'attention_output/bias']);
    expect(Object.values(w).map(t => t.shape)).toEqual([[64, 4, 16], [4, 16], [64, 4, 16], [4, 16], [64, 4, 16], [4, 16], [4, 16, 64], [64]]);
    expect(mha.variables.map(v => [v.name, v.trainable])).toEqual(Object.keys(w).map(k => [`attn/${k}`, true]));
    expect(mha.countParams()).toBe(kerasCount(64, 64, 64, 4, 16, 16, 64, true)); // 16,640 as Keras' summary
    expect(mha.countParams()).toBe(16640);
    expect(f32(mha.queryDense!.bias!).every(x => x === 0)).toBe(true);
    mha.dispose();
  });

  it('parameter counts of several configurations equal Keras\' formula', () => {
    const cases: [MultiHeadAttention, number[], number[], number[] | undefined, number][] = [
      [new MultiHeadAttention({ numHeads: 2, keyDim: 2 }), [1, 8, 16], [1, 4, 16], undefined, kerasCount(16, 16, 16, 2, 2, 2, 16, true)],
      [new MultiHeadAttention({ numHeads: 3, keyDim: 5, valueDim: 7, outputShape: 9 }), [1, 2, 4], [1, 3, 6], [1, 3, 8], kerasCount(4, 6, 8, 3, 5, 7, 9, true)],
      [new MultiHeadAttention({ numHeads: 2, keyDim: 32, useBias: false }), [2, 5, 32], [2, 5, 32], undefined, kerasCount(32, 32, 32, 2, 32, 32, 32, false)],
      [new MultiHeadAttention({ numHeads: 1, keyDim: 3, outputShape: [2, 5] }), [1, 2, 4], [1, 2, 4], undefined, kerasCount(4, 4, 4, 1, 3, 3, 10, true)],
    ];
    for (const [mha, q, v, k, want] of cases) {
      mha.build(q, v, k);
      expect(mha.countParams()).toBe(want);
      mha.dispose();
    }
    expect(kerasCount(16, 16, 16, 2, 2, 2, 16, true)).toBe(284);
  });

  it("kernels drawn with Keras 3's EinsumDense fans (fanIn = input axes, fanOut = output axes), seeded", () => {
    const a = new MultiHeadAttention({ numHeads: 4, keyDim: 8, seed: 3 }), b = new MultiHeadAttention({ numHeads: 4, keyDim: 8, seed: 3 });
    a.build([1, 2, 40], [1, 2, 40]);
    b.build([1, 2, 40], [1, 2, 40]);
    const [qa, ka, , oa] = [a.queryDense!, a.keyDense!, a.valueDense!, a.outputDense!];
    expect(f32(qa.kernel)).toEqual(f32(b.queryDense!.kernel)); // the seed reproduces
    expect(f32(qa.kernel)).not.toEqual(f32(ka.kernel)); // each projection its own stream
    // glorotUniform: limit sqrt(6 / (fanIn + fanOut)); query [40, 4, 8]: 40 + 32; output [4, 8, 40]: 32 + 40
    for (const kernel of [qa.kernel, oa.kernel]) {
      const values = f32(kernel), limit = Math.sqrt(6 / 72);
      expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(limit);
      expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.9 * limit); // not the convolution rule's sqrt(6 / (4*40 + 8*40)) = 0.11
    }
    a.dispose(); b.dispose();
  });

  it('loadWeights by the Keras names round-trips; a built layer rejects inputs of other widths, naming both', () => {
    const a = new MultiHeadAttention({ numHeads: 2, keyDim: 3, name: 'a', seed: 1 }), b = new MultiHeadAttention({ numHeads: 2, keyDim: 3, name: 'b', seed: 2 });
    const x = T(uniform([2, 3, 4], -1, 1, 18)), y = T(uniform([2, 3, 5], -1, 1, 19));
    const ya = a.apply(x, x);
    b.build(x.shape, x.shape);
    b.loadWeights(a.weights());
    const yb = b.apply(x, x);
    expect(f32(yb)).toEqual(f32(ya));
    throws(() => a.apply(y, x), "MultiHeadAttention 'a': the query's last dimension is 5 (shape [2,3,5]) but the layer was built for 4 (query/kernel [4,2,3])");
    throws(() => a.apply(x, y), "MultiHeadAttention 'a': the value's last dimension is 5 (shape [2,3,5]) but the layer was built for 4 (value/kernel [4,2,3])");
    [x, y, ya, yb].forEach(t => t.dispose());
    a.dispose(); b.dispose();
  });
});

describe('MultiHeadAttention: dropout on the attention probabilities', () => {
  const q = uniform([2, 3, 4], -1, 1, 20), v = uniform([2, 5, 4], -1, 1, 21);
  const make = (seed?: number) => {
    const mha = new MultiHeadAttention({ numHeads: 2, keyDim: 3, dropout: 0.4, seed });
    randomize(mha, q, v, v, 80);
    return mha;
  };

  it('only with training: true; scores are returned before dropout; kept probabilities scaled by 1/(1 - rate)', () => {
    const mha = make(5);
    const c = config(mha), w = mha.variables.map(toND);
    const plain = refMHA(q, v, v, w, c);
    const [tq, tv] = [T(q), T(v)];
    const inference = mha.apply(tq, tv);
    expectClose(f32(inference), plain.out.data, FWD, 'training false: no dropout');
    for (let call = 0; call < 2; call++) {
      const [out, scores] = mha.apply(tq, tv, { training: true, returnAttentionScores: true });
      // the factors of this call's mask: the layer's seed stream (4) at the call's index
      const factors = dropout(ones([2, 2, 3, 5]), 0.4, { seed: deriveSeed(deriveSeed(5, 4), call) });
      const drop = toND(factors);
      expect(new Set(drop.data)).toEqual(new Set([0, 1 / 0.6].map(x => Math.fround(x))));
      expectClose(f32(scores), plain.scores.data, FWD, 'scores before dropout');
      const want = refMHA(q, v, v, w, c, undefined, drop);
      expectClose(f32(out), want.out.data, FWD, `training call ${call}`);
      expect(f32(out)).not.toEqual(f32(inference));
      [out, scores, factors].forEach(t => t.dispose());
    }
    [tq, tv, inference].forEach(t => t.dispose());
    mha.dispose();
  });

  it('a seed reproduces the sequence of masks; successive calls differ; gradients flow through the kept entries', () => {
    const a = make(9), b = make(9);
    const [tq, tv] = [T(q), T(v)];
    const a1 = a.apply(tq, tv, { training: true }), a2 = a.apply(tq, tv, { training: true });
    const b1 = b.apply(tq, tv, { training: true }), b2 = b.apply(tq, tv, { training: true });
    expect(f32(b1)).toEqual(f32(a1));
    expect(f32(b2)).toEqual(f32(a2));
    expect(f32(a2)).not.toEqual(f32(a1));
    // the gradient of a training call equals the reference's with that call's mask
    const c = make(11), cfg = config(c), vars = c.trainableVariables;
    const drop = tidy(() => toND(dropout(ones([2, 2, 3, 5]), 0.4, { seed: deriveSeed(deriveSeed(11, 4), 0) })));
    const u = uniform([2, 3, 4], -1, 1, 22), ut = T(u);
    const t = tape(tp => { tp.watch(tq); return sum(mul(c.apply(tq, tv, { training: true }), ut)); });
    const grads = t.gradient(t.result, [tq, ...vars]) as Tensor[];
    const numeric = numericGrad(xs => refMHA(xs[0], v, v, xs.slice(1), cfg, undefined, drop).out, [q, ...vars.map(toND)], u);
    grads.forEach((g, i) => expectClose(f32(g), numeric[i].data, GRAD, `dropout d/d${i === 0 ? 'query' : vars[i - 1].name}`));
    t.dispose();
    [tq, tv, ut, a1, a2, b1, b2].forEach(x => x.dispose());
    [a, b, c].forEach(m => m.dispose());
  });
});

describe('MultiHeadAttention in a Transformer block', () => {
  it('LayerNormalization on [batch, seq, dim] normalizes each position over the features (values and gradients)', () => {
    const ln = new LayerNormalization({ epsilon: 1e-3 });
    const x = uniform([2, 3, 5], -2, 2, 23);
    ln.build(x.shape);
    ln.variables.forEach((w, i) => setTo(w, uniform(w.shape, 0.5, 1.5, 24 + i)));
    expect(ln.gamma!.shape).toEqual([5]);
    const ref = ([xs, g, b]: ND[]): ND => {
      const out = new Float64Array(xs.data.length);
      for (let r = 0; r < 6; r++) {
        const row = xs.data.slice(r * 5, r * 5 + 5), m = row.reduce((p, y) => p + y, 0) / 5;
        const variance = row.reduce((p, y) => p + (y - m) ** 2, 0) / 5;
        row.forEach((y, d) => { out[r * 5 + d] = (y - m) / Math.sqrt(variance + 1e-3) * g.data[d] + b.data[d]; });
      }
      return { shape: xs.shape, data: out };
    };
    const tx = T(x), u = uniform(x.shape, -1, 1, 26), ut = T(u);
    const values = [x, ...ln.variables.map(toND)];
    const y = ln.apply(tx);
    expectClose(f32(y), ref(values).data, FWD, 'LayerNormalization rank 3');
    const t = tape(tp => { tp.watch(tx); return sum(mul(ln.apply(tx), ut)); });
    const grads = t.gradient(t.result, [tx, ...ln.variables]) as Tensor[];
    numericGrad(ref, values, u).forEach((g, i) => expectClose(f32(grads[i]), g.data, GRAD, `LayerNormalization d/d${i}`));
    t.dispose();
    [tx, ut, y].forEach(z => z.dispose());
    ln.dispose();
  });

  it('a block (causal self-attention + residual + LayerNormalization + feed-forward) trains: every weight gets a gradient, memory stays flat', () => {
    const mha = new MultiHeadAttention({ numHeads: 4, keyDim: 4, dropout: 0.1, seed: 1 });
    const ln1 = new LayerNormalization(), ln2 = new LayerNormalization();
    const ff1 = new Dense(32, { activation: 'relu', seed: 2 }), ff2 = new Dense(16, { seed: 3 });
    const layers = [mha, ln1, ln2, ff1, ff2];
    const x = randomNormal([2, 6, 16], { seed: 4 });
    const block = (training: boolean) => {
      const h = ln1.apply(add(x, mha.apply(x, x, { useCausalMask: true, training })));
      return ln2.apply(add(h, ff2.apply(ff1.apply(h))));
    };
    const u = randomNormal([2, 6, 16], { seed: 5 });
    tidy(() => block(false));
    const vars = layers.flatMap(l => l.trainableVariables);
    expect(vars.length).toBe(8 + 2 + 2 + 2 + 2);
    let before = 0;
    for (let step = 0; step < 3; step++) {
      tidy(() => {
        const t = tape(() => sum(mul(block(true), u)));
        const grads = t.gradient(t.result, vars) as Tensor[];
        grads.forEach((g, i) => {
          expect(g, vars[i].name).not.toBeNull();
          expect(f32(g).every(Number.isFinite)).toBe(true);
          vars[i].assignSub(mul(g, 0.01));
        });
      });
      if (step === 0) before = memory().tensors;
    }
    expect(memory().tensors).toBe(before);
    [x, u].forEach(z => z.dispose());
    layers.forEach(l => l.dispose());
  });
});
