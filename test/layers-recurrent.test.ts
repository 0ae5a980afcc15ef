// Embedding, SimpleRNN, GRU (both reset conventions), LSTM and Bidirectional: values and gradients
// (input, initial states, every weight) against float64 references written here from Keras 3's
// formulas, and against TensorFlow.js's layers with the same weights; Keras' masking, goBackwards,
// returnState and initialState; weight names, shapes, order and parameter counts (the TF
// text-generation tutorial's model); the initializers; bad input.
import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { tensor, tape, tidy, memory, mul, sum, randomNormal, matmul, gather, concat, Tensor } from '../src/index.js';
import { Embedding, SimpleRNN, GRU, LSTM, Bidirectional, Sequential, Dense, RNN, initialize, type MergeMode } from '../src/layers/index.js';
import { type ND, uniform, randint } from './support/nd.js';
import { numericGrad, expectClose } from './support/gradcheck.js';
import { T, toND, f32, gradCheck, setTo, throws } from './layers-support.js';

// ---- float64 reference (Keras 3's cells and backend rnn loop) ----
type Cell = 'simple' | 'gru' | 'gruBefore' | 'lstm';
interface RefOptions {
  cell: Cell;
  units: number;
  returnSequences?: boolean;
  goBackwards?: boolean;
  /** [batch][time], false = masked */
  mask?: boolean[][];
  zeroOutputForMask?: boolean;
  /** dropout masks as Keras applies them: one for every gate, or one per gate; input [B, F], recurrent [B, U] */
  inputMasks?: ND[];
  recurrentMasks?: ND[];
}
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const GATES: Record<Cell, number> = { simple: 1, gru: 3, gruBefore: 3, lstm: 4 };

/** [output, ...final states] of the layer for x [B, T, F], weights as Keras stores them, initial states (default zeros). */
function rnnRef(o: RefOptions, x: ND, kernel: ND, recurrent: ND, bias: ND | undefined, initial?: ND[]): ND[] {
  const [B, time, F] = x.shape, U = o.units, G = GATES[o.cell] * U;
  const nStates = o.cell === 'lstm' ? 2 : 1;
  const outSeq = new Float64Array(B * time * U), last = new Float64Array(B * U);
  const finals = Array.from({ length: nStates }, () => new Float64Array(B * U));
  const inputBias = (j: number) => !bias ? 0 : o.cell === 'gru' ? bias.data[j] : bias.data[j];
  const recurrentBias = (j: number) => bias && o.cell === 'gru' ? bias.data[G + j] : 0;
  /** v (row b's) · w[:, from : from + width], v scaled per gate (column block) by its dropout mask if any */
  const matvec = (v: ArrayLike<number>, w: ND, cols: number, b: number, masks?: ND[], from = 0, width = cols) => {
    const out = new Float64Array(width), n = v.length;
    for (let j = 0; j < width; j++) {
      const m = masks?.[masks.length === 1 ? 0 : Math.floor((from + j) / U)];
      let s = 0;
      for (let i = 0; i < n; i++) s += v[i] * (m ? m.data[b * n + i] : 1) * w.data[i * cols + from + j];
      out[j] = s;
    }
    return out;
  };
  for (let b = 0; b < B; b++) {
    let states: Float64Array<ArrayBufferLike>[] = Array.from({ length: nStates }, (_, s) => initial ? Float64Array.from(initial[s].data.subarray(b * U, (b + 1) * U)) : new Float64Array(U));
    let output: Float64Array<ArrayBufferLike> = new Float64Array(U);
    for (let k = 0; k < time; k++) {
      const t = o.goBackwards ? time - 1 - k : k;
      const xt = x.data.subarray((b * time + t) * F, (b * time + t + 1) * F);
      const xp = matvec(xt, kernel, G, b, o.inputMasks).map((v, j) => v + inputBias(j));
      const h = states[0];
      let next: Float64Array<ArrayBufferLike>[];
      if (o.cell === 'simple') next = [matvec(h, recurrent, G, b, o.recurrentMasks).map((v, j) => Math.tanh(xp[j] + v))];
      else if (o.cell === 'gru' || o.cell === 'gruBefore') {
        const hp = matvec(h, recurrent, G, b, o.recurrentMasks).map((v, j) => v + recurrentBias(j));
        const z = new Float64Array(U), r = new Float64Array(U), c = new Float64Array(U);
        for (let j = 0; j < U; j++) { z[j] = sigmoid(xp[j] + hp[j]); r[j] = sigmoid(xp[U + j] + hp[U + j]); }
        if (o.cell === 'gru') for (let j = 0; j < U; j++) c[j] = Math.tanh(xp[2 * U + j] + r[j] * hp[2 * U + j]);
        else { const rh = matvec(h.map((v, j) => r[j] * v), recurrent, G, b, o.recurrentMasks, 2 * U, U); for (let j = 0; j < U; j++) c[j] = Math.tanh(xp[2 * U + j] + rh[j]); }
        next = [h.map((v, j) => z[j] * v + (1 - z[j]) * c[j])];
      } else {
        const zz = matvec(h, recurrent, G, b, o.recurrentMasks).map((v, j) => v + xp[j]);
        const c = states[1].map((v, j) => sigmoid(zz[U + j]) * v + sigmoid(zz[j]) * Math.tanh(zz[2 * U + j]));
        next = [c.map((v, j) => sigmoid(zz[3 * U + j]) * Math.tanh(v)), c];
      }
      if (o.mask && !o.mask[b][t]) output = o.zeroOutputForMask ? new Float64Array(U) : output;
      else { output = next[0]; states = next; }
      outSeq.set(output, (b * time + k) * U);
    }
    last.set(output, b * U);
    states.forEach((s, i) => finals[i].set(s, b * U));
  }
  const out: ND = o.returnSequences ? { shape: [B, time, U], data: outSeq } : { shape: [B, U], data: last };
  return [out, ...finals.map(data => ({ shape: [B, U], data }))];
}

const cellOf = (layer: RNN): Cell => layer instanceof SimpleRNN ? 'simple' : layer instanceof LSTM ? 'lstm' : (layer as GRU).resetAfter ? 'gru' : 'gruBefore';
const refOptions = (layer: RNN, mask?: boolean[][]): RefOptions => ({
  cell: cellOf(layer), units: layer.units, returnSequences: layer.returnSequences, goBackwards: layer.goBackwards, mask, zeroOutputForMask: layer.zeroOutputForMask,
});
/** Gives every weight random values (the bias too, which starts at zeros). */
function randomize(layer: RNN | Embedding | Bidirectional<boolean, MergeMode>, seed: number) {
  layer.variables.forEach((v, i) => setTo(v, uniform(v.shape as number[], -0.8, 0.8, seed + i)));
}
const weightsOf = (layer: RNN) => [layer.kernel!, layer.recurrentKernel!, ...(layer.bias ? [layer.bias] : [])].map(toND);

const CONFIGS: [string, () => RNN][] = [
  ['SimpleRNN', () => new SimpleRNN(3)],
  ['SimpleRNN returnSequences goBackwards', () => new SimpleRNN(3, { returnSequences: true, goBackwards: true })],
  ['GRU', () => new GRU(3)],
  ['GRU returnSequences', () => new GRU(3, { returnSequences: true })],
  ['GRU resetAfter false', () => new GRU(3, { resetAfter: false, returnSequences: true })],
  ['GRU goBackwards, no bias', () => new GRU(3, { goBackwards: true, useBias: false })],
  ['GRU resetAfter false, no bias', () => new GRU(3, { resetAfter: false, useBias: false })],
  ['LSTM', () => new LSTM(3)],
  ['LSTM returnSequences goBackwards', () => new LSTM(3, { returnSequences: true, goBackwards: true })],
  ['LSTM no bias', () => new LSTM(3, { useBias: false, returnSequences: true })],
];

describe('recurrent layers against the float64 reference', () => {
  CONFIGS.forEach(([label, make], n) => it(`${label}: value and gradients w.r.t. the input and every weight`, () => {
    const before = memory().tensors;
    const layer = make();
    layer.build([2, 4, 2]);
    randomize(layer, 10 * n);
    tidy(() => gradCheck(layer, uniform([2, 4, 2], -1, 1, n), ([x, ...w]) => rnnRef(refOptions(layer), x, w[0], w[1], w[2])[0], label));
    layer.dispose();
    expect(memory().tensors).toBe(before);
  }));

  it('a longer sequence (11 steps: the projection is split in two levels) in value and gradient', () => {
    for (const layer of [new GRU(2, { returnSequences: true }), new LSTM(2, { goBackwards: true })]) {
      layer.build([2, 11, 2]);
      randomize(layer, 5);
      tidy(() => gradCheck(layer, uniform([2, 11, 2], -1, 1, 6), ([x, ...w]) => rnnRef(refOptions(layer), x, w[0], w[1], w[2])[0], `${layer.kind} 11 steps`));
      layer.dispose();
    }
  });

  /** sum of u_i · result_i over [output, ...states], its gradients w.r.t. x, the initial states and the weights, vs the reference. */
  function checkFull(layer: RNN, x: ND, initial: ND[] | undefined, mask: boolean[][] | undefined, label: string) {
    const before = memory().tensors;
    const xt = T(x), init = initial?.map(T);
    const maskT = mask ? tensor(mask) : undefined;
    const vars = layer.trainableVariables;
    const t = tape(g => {
      g.watch([xt, ...(init ?? [])]);
      const r = layer.apply(xt, { initialState: init && (init.length === 1 ? init[0] : init), mask: maskT }) as Tensor[];
      return r;
    });
    const results = t.result;
    const us = results.map((r, i) => uniform(r.shape as number[], -1, 1, 50 + i));
    const seeds = us.map(T);
    const grads = t.gradient(results, [xt, ...(init ?? []), ...vars], { outputGradients: seeds }) as Tensor[];
    const values = [x, ...(initial ?? []), ...weightsOf(layer)];
    const nInit = initial?.length ?? 0;
    const f = (v: ND[]) => rnnRef(refOptions(layer, mask), v[0], v[1 + nInit], v[2 + nInit], v[3 + nInit], nInit ? v.slice(1, 1 + nInit) : undefined);
    const want = f(values);
    results.forEach((r, i) => expectClose(f32(r), want[i].data, { rtol: 5e-3, atol: 5e-4 }, `${label} result ${i}`));
    const numeric = numericGrad(f, values, us);
    grads.forEach((g, i) => expectClose(f32(g), numeric[i].data, { rtol: 5e-3, atol: 5e-4 }, `${label} gradient ${i}`));
    t.dispose();
    [xt, ...(init ?? []), ...results, ...grads, ...seeds, ...(maskT ? [maskT] : [])].forEach(v => v.dispose());
    expect(memory().tensors).toBe(before);
  }

  const mask = [[true, false, true, true, false], [false, false, true, false, true]];
  for (const [label, make] of [
    ['SimpleRNN', () => new SimpleRNN(3, { returnSequences: true, returnState: true })],
    ['GRU', () => new GRU(3, { returnSequences: true, returnState: true })],
    ['GRU resetAfter false goBackwards', () => new GRU(3, { resetAfter: false, returnState: true, goBackwards: true })],
    ['LSTM', () => new LSTM(3, { returnSequences: true, returnState: true })],
    ['LSTM goBackwards', () => new LSTM(3, { returnState: true, goBackwards: true })],
    ['GRU zeroOutputForMask', () => new GRU(3, { returnSequences: true, returnState: true, zeroOutputForMask: true })],
  ] as [string, () => RNN][]) {
    it(`${label}: returnState, initialState and a mask (Keras' semantics) in value and gradient`, () => {
      const layer = make();
      layer.build([2, 5, 2]);
      randomize(layer, 7);
      const nStates = layer instanceof LSTM ? 2 : 1;
      const x = uniform([2, 5, 2], -1, 1, 3);
      const initial = Array.from({ length: nStates }, (_, i) => uniform([2, 3], -1, 1, 20 + i));
      checkFull(layer, x, initial, undefined, `${label} initialState`);
      checkFull(layer, x, initial, mask, `${label} initialState + mask`);
      checkFull(layer, x, undefined, mask, `${label} mask`);
      layer.dispose();
    });
  }

  it('a masked step carries the states and repeats the previous output (zeros before the first unmasked step)', () => {
    const gru = new GRU(2, { returnSequences: true, returnState: true, seed: 1 });
    const x = randomNormal([1, 4, 3], { seed: 2 });
    const h0 = tensor([[0.5, -0.5]]);
    const [seq, state] = gru.apply(x, { mask: tensor([[false, true, false, false]]), initialState: h0 });
    const rows = seq.toArray() as number[][][];
    expect(rows[0][0]).toEqual([0, 0]); // TF's loop: the output before any unmasked step is zeros, not the initial state
    expect(rows[0][2]).toEqual(rows[0][1]);
    expect(rows[0][3]).toEqual(rows[0][1]);
    expect(f32(state)).toEqual(rows[0][1].map(Math.fround)); // the state after the one unmasked step
    const alone = gru.apply(gather(x, tensor([1], undefined, 'int32'), 1), { initialState: h0 });
    expectClose(f32(alone[1]), rows[0][1], { rtol: 1e-6, atol: 1e-7 }, 'the unmasked step from h0');
    gru.dispose();
  });

  it('goBackwards equals the forward layer on the reversed sequence; its sequence is in processing order, as Keras', () => {
    const fwd = new LSTM(3, { returnSequences: true, seed: 4 }), back = new LSTM(3, { returnSequences: true, goBackwards: true, seed: 5 });
    fwd.build([2, 4, 2]); back.build([2, 4, 2]);
    back.loadWeights(fwd.weights());
    const x = randomNormal([2, 4, 2], { seed: 6 });
    const reversed = gather(x, tensor([3, 2, 1, 0], undefined, 'int32'), 1);
    expect(f32(back.apply(x))).toEqual(f32(fwd.apply(reversed)));
    fwd.dispose(); back.dispose();
  });

  it('Bidirectional is its two layers: backward sequence re-reversed, states forward then backward, masked steps zeros', () => {
    const bi = new Bidirectional(new LSTM(3, { returnSequences: true, returnState: true, seed: 8 }), { name: 'bi' });
    const x = randomNormal([2, 4, 2], { seed: 9 });
    const mask = tensor([[true, true, false, true], [false, true, true, true]]);
    const states = [0, 1, 2, 3].map(i => randomNormal([2, 3], { seed: 20 + i }));
    const [y, ...finals] = bi.apply(x, { mask, initialState: states });
    expect([bi.forwardLayer.zeroOutputForMask, bi.backwardLayer.zeroOutputForMask]).toEqual([true, true]);
    const [fy, fh, fc] = bi.forwardLayer.apply(x, { mask, initialState: states.slice(0, 2) });
    const [by, bh, bc] = bi.backwardLayer.apply(x, { mask, initialState: states.slice(2) });
    const back = gather(by, tensor([3, 2, 1, 0], undefined, 'int32'), 1);
    expect(y.shape).toEqual([2, 4, 6]);
    expect(f32(y)).toEqual(f32(concat([fy, back], -1)));
    expect(finals.map(f32)).toEqual([fh, fc, bh, bc].map(f32));
    expect((y.toArray() as number[][][])[0][2]).toEqual([0, 0, 0, 0, 0, 0]); // masked step: zeros from both directions
    const [a, b] = new Bidirectional(new GRU(3, { seed: 1 }), { mergeMode: null }).apply(x);
    expect([a.shape, b.shape]).toEqual([[2, 3], [2, 3]]);
    bi.dispose();
  });

  it('a right-padded batch with Embedding(maskZero).computeMask gives each sequence its unpadded result', () => {
    const embed = new Embedding(6, 3, { maskZero: true, seed: 1 }), gru = new GRU(4, { seed: 2 });
    const ids = tensor([[3, 1, 4, 0, 0], [2, 5, 1, 1, 0]], undefined, 'int32');
    const batched = f32(gru.apply(embed.apply(ids), { mask: embed.computeMask(ids) }));
    const first = f32(gru.apply(embed.apply(tensor([[3, 1, 4]], undefined, 'int32'))));
    const second = f32(gru.apply(embed.apply(tensor([[2, 5, 1, 1]], undefined, 'int32'))));
    expectClose(batched, [...first, ...second], { rtol: 1e-6, atol: 1e-6 }, 'padded vs unpadded');
    embed.dispose(); gru.dispose();
  });
});

describe('dropout and recurrentDropout (Keras: one mask per sequence; one per gate with recurrent dropout)', () => {
  const cases: [string, () => RNN, number][] = [
    ['SimpleRNN', () => new SimpleRNN(3, { dropout: 0.3, recurrentDropout: 0.4, returnSequences: true, seed: 1 }), 1],
    ['GRU dropout only (one mask)', () => new GRU(3, { dropout: 0.3, seed: 1 }), 1],
    ['GRU', () => new GRU(3, { dropout: 0.3, recurrentDropout: 0.4, returnSequences: true, seed: 1 }), 3],
    ['GRU resetAfter false', () => new GRU(3, { resetAfter: false, dropout: 0.3, recurrentDropout: 0.4, seed: 1 }), 3],
    ['GRU recurrentDropout only', () => new GRU(3, { recurrentDropout: 0.4, seed: 1 }), 3],
    ['LSTM', () => new LSTM(3, { dropout: 0.3, recurrentDropout: 0.4, returnSequences: true, seed: 1 }), 4],
  ];
  cases.forEach(([label, make, count], n) => it(`${label}: with training, value and gradients with the masks applied as Keras (${count} per kind)`, () => {
    const layer = make();
    layer.build([2, 4, 2]);
    randomize(layer, 60 + n);
    const drawn = layer.dropoutMasks(2, 2, count);
    expect([drawn.input?.length, drawn.recurrent?.length]).toEqual([layer.dropout ? count : undefined, layer.recurrentDropout ? count : undefined]);
    for (const [m, rate] of [...(drawn.input ?? []).map(m => [m, layer.dropout] as const), ...(drawn.recurrent ?? []).map(m => [m, layer.recurrentDropout] as const)])
      expect(new Set(f32(m).map(v => Math.fround(v)))).toSatisfy((values: Set<number>) => [...values].every(v => v === 0 || v === Math.fround(1 / (1 - rate))));
    const masks = { input: drawn.input?.map(toND), recurrent: drawn.recurrent?.map(toND) };
    layer.dropoutMasks = () => drawn; // the run below uses these masks
    const ref = (v: ND[]) => rnnRef({ ...refOptions(layer), inputMasks: masks.input, recurrentMasks: masks.recurrent }, v[0], v[1], v[2], v[3])[0];
    tidy(() => gradCheck(layer, uniform([2, 4, 2], -1, 1, n), ref, label, { training: true }));
    const plain = tidy(() => f32(layer.apply(T(uniform([2, 4, 2], -1, 1, n))) as Tensor));
    expectClose(plain, rnnRef(refOptions(layer), uniform([2, 4, 2], -1, 1, n), ...weightsOf(layer) as [ND, ND, ND])[0].data, { rtol: 1e-5, atol: 1e-6 }, `${label} without training: no dropout`);
    [...(drawn.input ?? []), ...(drawn.recurrent ?? [])].forEach(m => m.dispose());
    layer.dispose();
  }));

  it('masks: the dropped fraction is the rate; a seed makes the sequence of masks reproducible; calls differ', () => {
    const a = new GRU(4, { dropout: 0.25, recurrentDropout: 0.5, seed: 5 }), b = new GRU(4, { dropout: 0.25, recurrentDropout: 0.5, seed: 5 });
    const [ma1, ma2, mb1] = [a.dropoutMasks(200, 50, 3), a.dropoutMasks(200, 50, 3), b.dropoutMasks(200, 50, 3)];
    const zeros = (m: Tensor) => f32(m).filter(v => v === 0).length / m.size;
    expect(Math.abs(zeros(ma1.input![0]) - 0.25)).toBeLessThan(0.02);
    expect(Math.abs(zeros(ma1.recurrent![2]) - 0.5)).toBeLessThan(0.03);
    expect(f32(mb1.input![1])).toEqual(f32(ma1.input![1]));
    expect(f32(ma2.input![1])).not.toEqual(f32(ma1.input![1]));
    expect(f32(ma1.input![0])).not.toEqual(f32(ma1.input![1]));
    const x = randomNormal([3, 5, 2], { seed: 1 });
    expect(f32(a.apply(x, { training: true }))).not.toEqual(f32(a.apply(x, { training: true })));
    expect(f32(a.apply(x))).toEqual(f32(a.apply(x)));
    [ma1, ma2, mb1].forEach(m => [...m.input!, ...m.recurrent!].forEach(t => t.dispose()));
    a.dispose(); b.dispose();
  });
});

// ---- TensorFlow.js's layers with the same weights ----
/** Our layer's value and gradients (input, weights) for sum(u · output) against tfjs's. */
function againstTfjs(ours: RNN | Bidirectional<boolean, MergeMode> | Embedding, theirs: tf.layers.Layer, x: ND, label: string, opts: { mask?: boolean[][]; int?: boolean } = {}) {
  const before = memory().tensors - ours.variables.length; // the layer's variables are freed at the end
  const xt = opts.int ? tensor(Int32Array.from(x.data), x.shape, 'int32') : T(x);
  const maskT = opts.mask ? tensor(opts.mask) : undefined;
  const vars = ours.trainableVariables;
  const t = tape(g => { if (!opts.int) g.watch(xt); return (ours as RNN).apply(xt, maskT ? { mask: maskT } : undefined) as Tensor; });
  const u = uniform(t.result.shape as number[], -1, 1, 77);
  const seed = T(u);
  const grads = t.gradient(t.result, opts.int ? vars : [xt, ...vars], { outputGradients: seed }) as Tensor[];
  const txs = opts.int ? tf.tensor(Array.from(x.data), x.shape, 'int32') : tf.tensor(Array.from(x.data), x.shape);
  const tmask = opts.mask ? tf.tensor(opts.mask.map(r => r.map(Number))) : undefined;
  tf.dispose(theirs.apply(txs, tmask ? { mask: tmask } : undefined) as tf.Tensor); // builds it
  theirs.setWeights(vars.map(v => tf.tensor(f32(v), v.shape as number[])));
  const tu = tf.tensor(Array.from(u.data), u.shape);
  const loss = () => (theirs.apply(txs, tmask ? { mask: tmask } : undefined) as tf.Tensor).mul(tu).sum() as tf.Scalar;
  const wantY = theirs.apply(txs, tmask ? { mask: tmask } : undefined) as tf.Tensor;
  expectClose(f32(t.result), wantY.dataSync() as Float32Array, { rtol: 1e-4, atol: 1e-5 }, `${label} output`);
  const { grads: wantW } = tf.variableGrads(loss, theirs.trainableWeights.map(w => (w as unknown as { val: tf.Variable }).val));
  const wantList = [...(opts.int ? [] : [tf.grad((a: tf.Tensor) => (theirs.apply(a, tmask ? { mask: tmask } : undefined) as tf.Tensor).mul(tu).sum())(txs)]),
    ...theirs.trainableWeights.map(w => wantW[(w as unknown as { val: tf.Variable }).val.name])];
  expect(grads.length).toBe(wantList.length);
  grads.forEach((g, i) => expectClose(f32(g), wantList[i].dataSync() as Float32Array, { rtol: 1e-3, atol: 1e-5 }, `${label} gradient ${i}`));
  t.dispose();
  [xt, t.result, seed, ...grads, ...(maskT ? [maskT] : [])].forEach(v => v.dispose());
  ours.dispose();
  tf.dispose([txs, tu, wantY, ...wantList, ...(tmask ? [tmask] : [])]);
  expect(memory().tensors).toBe(before);
}

describe('against TensorFlow.js layers (same weights)', () => {
  it('SimpleRNN, GRU (resetAfter false: tfjs has no resetAfter), LSTM, with returnSequences, goBackwards and a mask', async () => {
    await tf.setBackend('cpu');
    const x = uniform([2, 5, 3], -1, 1, 9);
    const mask = [[true, true, false, true, true], [true, false, false, true, false]];
    const cases: [string, () => RNN, () => tf.layers.Layer][] = [
      ['SimpleRNN', () => new SimpleRNN(4, { returnSequences: true }), () => tf.layers.simpleRNN({ units: 4, returnSequences: true })],
      ['GRU', () => new GRU(4, { resetAfter: false, returnSequences: true }), () => tf.layers.gru({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid' })],
      ['GRU goBackwards', () => new GRU(4, { resetAfter: false, goBackwards: true }), () => tf.layers.gru({ units: 4, goBackwards: true, recurrentActivation: 'sigmoid' })],
      ['LSTM', () => new LSTM(4, { returnSequences: true }), () => tf.layers.lstm({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid' })],
      ['LSTM goBackwards', () => new LSTM(4, { goBackwards: true }), () => tf.layers.lstm({ units: 4, goBackwards: true, recurrentActivation: 'sigmoid' })],
    ];
    cases.forEach(([label, ours, theirs], i) => {
      for (const m of [undefined, mask]) {
        const layer = ours();
        layer.build(x.shape);
        randomize(layer, 30 + i);
        againstTfjs(layer, theirs(), x, `${label}${m ? ' masked' : ''}`, { mask: m });
      }
    });
  });

  it('Bidirectional (concat, sum, mul, ave; LSTM and GRU) and Embedding', async () => {
    await tf.setBackend('cpu');
    const x = uniform([2, 4, 3], -1, 1, 11);
    for (const mode of ['concat', 'sum', 'mul', 'ave'] as const) {
      const bi = new Bidirectional(new LSTM(3, { returnSequences: true }), { mergeMode: mode });
      bi.build(x.shape);
      randomize(bi, 40);
      againstTfjs(bi, tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true, recurrentActivation: 'sigmoid' }) as tf.RNN, mergeMode: mode }), x, `Bidirectional LSTM ${mode}`);
    }
    const bi = new Bidirectional(new GRU(3, { resetAfter: false }));
    bi.build(x.shape);
    randomize(bi, 41);
    againstTfjs(bi, tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, recurrentActivation: 'sigmoid' }) as tf.RNN }), x, 'Bidirectional GRU last output');
    const embed = new Embedding(7, 3);
    againstTfjs(embed, tf.layers.embedding({ inputDim: 7, outputDim: 3 }), randint([2, 5], 0, 7, 3), 'Embedding', { int: true });
  });
});

describe('weights, parameter counts and initializers', () => {
  it("Keras' weight names, shapes and order; GRU's two bias conventions; LSTM's unitForgetBias", () => {
    const gru = new GRU(4, { name: 'gru' }), before = new GRU(4, { resetAfter: false, name: 'gru_b' }), lstm = new LSTM(2, { name: 'lstm' }), rnn = new SimpleRNN(5, { name: 'rnn' });
    for (const l of [gru, before, lstm, rnn]) l.build([1, 2, 3]);
    expect(Object.keys(gru.weights())).toEqual(['kernel', 'recurrentKernel', 'bias']);
    expect(gru.variables.map(v => [v.name, v.shape])).toEqual([['gru/kernel', [3, 12]], ['gru/recurrent_kernel', [4, 12]], ['gru/bias', [2, 12]]]);
    expect(before.bias!.shape).toEqual([12]);
    expect(lstm.variables.map(v => v.shape)).toEqual([[3, 8], [2, 8], [8]]);
    expect(f32(lstm.bias!)).toEqual([0, 0, 1, 1, 0, 0, 0, 0]); // i, f, c, o: the forget block at ones
    const plain = new LSTM(2, { unitForgetBias: false });
    plain.build([1, 2, 3]);
    expect(f32(plain.bias!)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(rnn.variables.map(v => v.shape)).toEqual([[3, 5], [5, 5], [5]]);
    expect([gru.countParams(), before.countParams(), lstm.countParams(), rnn.countParams()]).toEqual([3 * (3 * 4 + 4 * 4 + 2 * 4), 3 * (3 * 4 + 4 * 4 + 4), 4 * (3 * 2 + 2 * 2 + 2), 3 * 5 + 25 + 5]);
    expect(Object.keys(new GRU(2, { useBias: false }).weights())).toEqual([]); // lazily built
    const bi = new Bidirectional(new GRU(4, { name: 'enc' }));
    bi.build([1, 2, 3]);
    expect([bi.forwardLayer.name, bi.backwardLayer.name, bi.forwardLayer.goBackwards, bi.backwardLayer.goBackwards]).toEqual(['forward_enc', 'backward_enc', false, true]);
    expect(Object.keys(bi.weights())).toEqual(['forwardLayer/kernel', 'forwardLayer/recurrentKernel', 'forwardLayer/bias', 'backwardLayer/kernel', 'backwardLayer/recurrentKernel', 'backwardLayer/bias']);
    expect(bi.countParams()).toBe(2 * gru.countParams());
    for (const l of [gru, before, lstm, rnn, plain, bi]) l.dispose();
  });

  it("the TF text-generation tutorial's model has Keras' counts: 16,640 + 3,938,304 + 66,625", () => {
    const model = new Sequential([
      new Embedding(65, 256, { name: 'embedding' }),
      new GRU(1024, { returnSequences: true, returnState: true, name: 'gru', recurrentInitializer: 'zeros' }), // zeros: the count, without the 3072 x 1024 QR
      new Dense(65, { name: 'dense' }),
    ], { name: 'my_model' });
    model.build([64, 100]);
    expect(model.layers.map(l => l.countParams())).toEqual([16640, 3938304, 66625]);
    const summary = model.summary();
    expect(summary).toContain('embedding (Embedding)');
    expect(summary).toMatch(/gru \(GRU\)\s+\(None, 100, 1024\)\s+3,938,304/);
    expect(summary).toContain('Total params: 4,021,569');
    model.dispose();
  });

  it("'orthogonal' is the sign-corrected Q of the QR of a seeded normal matrix; 'uniform' is U(-0.05, 0.05)", () => {
    for (const [shape, m, n] of [[[40, 12], 40, 12], [[12, 40], 40, 12], [[2, 5, 7], 10, 7], [[70, 70], 70, 70]] as [number[], number, number][]) {
      const q = initialize('orthogonal', shape, 123);
      const rows = shape.slice(0, -1).reduce((p, d) => p * d, 1);
      const flat = q.reshape([rows, shape[shape.length - 1]]);
      const tall = rows >= shape[shape.length - 1] ? flat : flat.transpose(); // m x n
      const a = randomNormal([m, n], { seed: 123 }); // the matrix it decomposes
      const r = toND(matmul(tall, a, true)); // R = Qᵀ A: upper triangular, positive diagonal
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        if (i > j) expect(Math.abs(r.data[i * n + j]), `R[${i}, ${j}] of ${shape}`).toBeLessThan(1e-4);
        if (i === j) expect(r.data[i * n + j]).toBeGreaterThan(0);
      }
      expectClose(f32(matmul(tall, tall, true)), toND(tensor(Array.from({ length: n * n }, (_, k) => Number(k % (n + 1) === 0)))).data, { rtol: 0, atol: 1e-5 }, `QᵀQ of ${shape}`);
      expect(f32(initialize('orthogonal', shape, 123))).toEqual(f32(q));
    }
    const u = f32(initialize('uniform', [100, 50], 3));
    expect(Math.max(...u.map(Math.abs))).toBeLessThanOrEqual(0.05);
    expect(Math.max(...u)).toBeGreaterThan(0.045);
    expect(Math.abs(u.reduce((s, v) => s + v, 0) / u.length)).toBeLessThan(0.003);
  });
});

describe('Embedding', () => {
  it('gathers rows; the gradient adds into the rows used (repeats add); maskZero; float input holding integers', () => {
    const e = new Embedding(5, 2, { maskZero: true, name: 'emb' });
    expect(e.embeddings.name).toBe('emb/embeddings');
    expect(Math.max(...f32(e.embeddings).map(Math.abs))).toBeLessThanOrEqual(0.05);
    setTo(e.embeddings, { shape: [5, 2], data: Float64Array.from({ length: 10 }, (_, i) => i) });
    const ids = tensor([[1, 3, 1], [0, 4, 0]], undefined, 'int32');
    expect(e.apply(ids).toArray()).toEqual([[[2, 3], [6, 7], [2, 3]], [[0, 1], [8, 9], [0, 1]]]);
    expect(e.apply(tensor([[1, 3, 1], [0, 4, 0]])).toArray()).toEqual(e.apply(ids).toArray());
    const t = tape(() => sum(mul(e.apply(ids), tensor([[[1, 1], [1, 1], [1, 1]], [[1, 1], [1, 1], [1, 1]]]))));
    expect((t.gradient(t.result, e.embeddings) as Tensor).toArray()).toEqual([[2, 2], [2, 2], [0, 0], [1, 1], [1, 1]]);
    expect(e.computeMask(ids)!.toArray()).toEqual([[true, true, true], [false, true, false]]);
    expect(new Embedding(3, 2).computeMask(ids)).toBeUndefined();
    expect(e.outputShape([4, 7])).toEqual([4, 7, 2]);
    expect(e.countParams()).toBe(10);
    e.dispose();
  });
});

describe('bad input', () => {
  it('recurrent layers: rank, features after build, mask shape and dtype, initialState, options; memory unchanged', () => {
    const gru = new GRU(3, { name: 'gru' }), lstm = new LSTM(3, { name: 'lstm' });
    const x = randomNormal([2, 4, 5], { seed: 1 });
    gru.apply(x); lstm.apply(x);
    const rank2 = randomNormal([2, 5]), wide = randomNormal([2, 4, 6]), short = tensor([[true, false, true, true]]), floats = tensor([[1, 0, 1, 1], [1, 1, 1, 1]]);
    const h1 = tensor([[1, 2, 3]]), h2 = tensor([[1, 2, 3], [4, 5, 6]]), ints = tensor([[[1, 2, 3, 4, 5]]], undefined, 'int32');
    throws(() => gru.apply(rank2), "GRU 'gru': expected an input of rank 3 [batch, time, features], got shape [2,5]");
    throws(() => gru.apply(wide), "GRU 'gru': the input has 6 features (shape [2,4,6]) but the layer was built for 5 (kernel [5,9])");
    throws(() => gru.apply(x, { mask: short }), /^GRU 'gru': apply: mask must be a bool tensor of shape \[2, 4\] \(\[batch, time\]\), got a bool tensor of shape \[1,4\]$/);
    throws(() => gru.apply(x, { mask: floats }), /mask must be a bool tensor of shape \[2, 4\].*got a float32 tensor of shape \[2,4\]/);
    throws(() => gru.apply(x, { initialState: h1 }), /^GRU 'gru': apply: initialState must be a tensor of shape \[2, 3\].*got a float32 tensor of shape \[1,3\]$/);
    throws(() => lstm.apply(x, { initialState: h2 }), /^LSTM 'lstm': apply: initialState must be an array of 2 tensors \[h, c\] of shape \[2, 3\]/);
    throws(() => gru.apply(x, { initialStates: [] } as never), /unknown option "initialStates"/);
    throws(() => gru.apply(ints), /expected a float32 input, got a int32 tensor/);
    throws(() => new GRU(0), /units must be a positive integer, got 0/);
    throws(() => new GRU(2, { dropout: 1 }), /^GRU '[a-z_0-9]+': dropout must be a number in \[0, 1\), got 1$/);
    throws(() => new LSTM(2, { recurrentDropout: -0.1 }), /recurrentDropout must be a number in \[0, 1\), got -0.1$/);
    throws(() => new LSTM(2, { resetAfter: true } as never), /unknown option "resetAfter"/);
    throws(() => new GRU(2, { recurrentInitializer: 'orthonormal' as never }), /unknown recurrentInitializer "orthonormal"/);
    throws(() => new Bidirectional(new Dense(2) as never), /expected a recurrent layer/);
    throws(() => new Bidirectional(new GRU(2), { mergeMode: 'max' as never }), /mergeMode must be one of/);
    throws(() => new Bidirectional(new GRU(2), { backwardLayer: new GRU(2) }), /must have different goBackwards/);
    const bi = new Bidirectional(new LSTM(3), { name: 'bi' });
    const one = tensor([[1]]);
    throws(() => bi.apply(x, { initialState: [one] }), /^Bidirectional 'bi': apply: initialState must be an array of 4 tensors/);
    const h = randomNormal([2, 3]);
    throws(() => bi.apply(x, { initialState: [h, h, h, one] }), /initialState must be an array of 2 tensors \[h, c\] of shape \[2, 3\]/);
    expect(Object.keys(bi.weights())).toEqual([]); // nothing built by the failed calls
    for (const l of [gru, lstm]) l.dispose();
  });

  it('Embedding: an index out of range (naming it, its position and inputDim), a fraction, a bool input', () => {
    const e = new Embedding(4, 2, { name: 'emb' });
    const big = tensor([[0, 1], [4, 2]], undefined, 'int32'), negative = tensor([-1], undefined, 'int32'), half = tensor([[0.5, 1]]), bools = tensor([true]);
    throws(() => e.apply(big), "Embedding 'emb': apply: index 4 at position [1, 0] of indices of shape [2,2] is out of range [0, 4) (inputDim 4)");
    throws(() => e.apply(negative), /index -1 at position \[0\]/);
    throws(() => e.apply(half), "Embedding 'emb': apply: expected integer indices, got 0.5 at position [0, 0] of a float32 tensor of shape [1,2]");
    throws(() => e.apply(bools), /expected int32 indices, got a bool tensor/);
    throws(() => new Embedding(0, 2), /inputDim must be a positive integer, got 0/);
    throws(() => new Embedding(2, 2, { embeddingsInitializer: 'normal' as never }), /unknown embeddingsInitializer "normal"/);
    e.dispose();
  });
});

describe('memory', () => {
  it('apply, tape and gradient leave nothing behind', () => {
    const model = new Sequential([new Embedding(10, 4, { seed: 1 }), new Bidirectional(new LSTM(3, { returnSequences: true, seed: 2 })), new GRU(3, { seed: 3 })]);
    const ids = tensor([[1, 2, 3], [4, 5, 0]], undefined, 'int32');
    model.apply(ids).dispose();
    const before = memory().tensors;
    for (let i = 0; i < 3; i++) {
      const t = tape(() => { const y = model.apply(ids), s = sum(y); y.dispose(); return s; });
      const grads = t.gradient(t.result, model.trainableVariables) as Tensor[];
      expect(grads.every(g => g !== null)).toBe(true);
      [t.result, ...grads].forEach(g => g.dispose());
      t.dispose();
    }
    expect(memory().tensors).toBe(before);
    model.dispose();
  });
});
