// Keras 3's optimizers (sgd, rmsprop, adam, adamw, adagrad, adamax, nadam) with every base option
// (clipNorm, clipValue, globalClipNorm, weightDecay, a learning-rate schedule) against a float64
// reference written here from Keras' equations; the state as a checkpoint (weights / loadWeights /
// build), and training resumed from a safetensors checkpoint matching an unbroken run bit for bit.
import { describe, it, expect } from 'vitest';
import {
  sgd, adam, adamw, adagrad, adamax, nadam, rmsprop, variable, tensor, memory, sum, mul, mean, square, sub,
  saveSafetensors, loadSafetensors, exponentialDecay, dispose, Optimizer, Variable, Tensor,
} from '../src/index.js';
import { Sequential, Dense } from '../src/layers/index.js';

const mem = () => { const { tensors, bytes } = memory(); return { tensors, bytes }; };

// ---- the float64 reference ----
type Kind = 'sgd' | 'rmsprop' | 'adam' | 'adamw' | 'adagrad' | 'adamax' | 'nadam';
interface Config {
  lr: number | ((step: number) => number);
  momentum?: number; nesterov?: boolean; rho?: number; epsilon?: number; beta1?: number; beta2?: number;
  initialAccumulatorValue?: number; weightDecay?: number; clipNorm?: number; clipValue?: number; globalClipNorm?: number;
}
const norm = (g: number[]) => Math.sqrt(g.reduce((s, x) => s + x * x, 0));

/** Keras 3's apply(): clip the gradients, decay the weights, then the rule; returns the weights after each step. */
function reference(kind: Kind, c: Config, w0: number[][], grads: number[][][]): number[][][] {
  const eps = c.epsilon ?? 1e-7, b1 = c.beta1 ?? 0.9, b2 = c.beta2 ?? 0.999;
  const wd = c.weightDecay ?? (kind === 'adamw' ? 0.004 : 0);
  const w = w0.map(x => x.map(Math.fround));
  const init = kind === 'adagrad' ? c.initialAccumulatorValue ?? 0.1 : 0;
  const a = w.map(x => x.map(() => init)), b = w.map(x => x.map(() => 0));
  let uProduct = 1;
  const mu = (t: number) => b1 * (1 - 0.5 * 0.96 ** t);
  const out: number[][][] = [];
  grads.forEach((step, k) => {
    const t = k + 1, lr = typeof c.lr === 'number' ? c.lr : c.lr(k);
    let gs = step.map(g => g.map(Math.fround));
    if (c.clipNorm) gs = gs.map(g => g.map(x => x * c.clipNorm! / Math.max(norm(g), c.clipNorm!)));
    if (c.clipValue) gs = gs.map(g => g.map(x => Math.min(c.clipValue!, Math.max(-c.clipValue!, x))));
    if (c.globalClipNorm) {
      const gn = norm(gs.flat());
      gs = gs.map(g => g.map(x => x * c.globalClipNorm! / Math.max(gn, c.globalClipNorm!)));
    }
    if (kind === 'nadam') uProduct *= mu(t);
    gs.forEach((g, j) => {
      const wj = w[j], m = a[j], v = b[j];
      for (let i = 0; i < g.length; i++) {
        const gi = g[i];
        wj[i] -= wj[i] * wd * lr;
        if (kind === 'sgd') {
          const mom = c.momentum ?? 0;
          if (mom === 0) { wj[i] -= lr * gi; continue; }
          m[i] = mom * m[i] - lr * gi;
          wj[i] += c.nesterov ? mom * m[i] - lr * gi : m[i];
        } else if (kind === 'rmsprop') {
          const rho = c.rho ?? 0.9, mom = c.momentum ?? 0;
          m[i] = rho * m[i] + (1 - rho) * gi * gi;
          const inc = lr * gi / Math.sqrt(m[i] + eps);
          if (mom > 0) { v[i] = mom * v[i] + inc; wj[i] -= v[i]; } else wj[i] -= inc;
        } else if (kind === 'adagrad') {
          m[i] += gi * gi;
          wj[i] -= lr * gi / Math.sqrt(m[i] + eps);
        } else if (kind === 'adamax') {
          m[i] = b1 * m[i] + (1 - b1) * gi;
          v[i] = Math.max(b2 * v[i], Math.abs(gi));
          wj[i] -= lr * m[i] / ((1 - b1 ** t) * (v[i] + eps));
        } else {
          m[i] = b1 * m[i] + (1 - b1) * gi;
          v[i] = b2 * v[i] + (1 - b2) * gi * gi;
          if (kind === 'nadam') {
            const mHat = mu(t + 1) * m[i] / (1 - uProduct * mu(t + 1)) + (1 - mu(t)) * gi / (1 - uProduct);
            wj[i] -= lr * mHat / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps);
          } else {
            wj[i] -= lr * Math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m[i] / (Math.sqrt(v[i]) + eps);
          }
        }
      }
    });
    out.push(w.map(x => x.slice()));
  });
  return out;
}

const FACTORIES: Record<Kind, (lr: Config['lr'], o?: object) => Optimizer> = {
  sgd: (lr, o) => sgd(lr, o), rmsprop: (lr, o) => rmsprop(lr, o), adam: (lr, o) => adam(lr, o), adamw: (lr, o) => adamw(lr, o),
  adagrad: (lr, o) => adagrad(lr, o), adamax: (lr, o) => adamax(lr, o), nadam: (lr, o) => nadam(lr, o),
};
const KINDS = Object.keys(FACTORIES) as Kind[];

const W0 = [[0.5, -1.25, 2, 0.1], [0.75, -0.3]];
const GRADS = [
  [[0.3, -0.7, 1.5, -0.02], [0.2, -0.1]], [[-0.4, 0.25, 0.9, 0.6], [-0.05, 0.3]], [[1.2, -0.3, 0.1, 0.45], [0.6, 0.02]],
  [[-0.8, 0.05, -1.1, 0.3], [0.15, -0.4]], [[0.2, 0.9, -0.6, -0.35], [-0.25, 0.5]],
];

/** float32 values against the float64 reference, relative tolerance `tol` */
function expectClose(actual: ArrayLike<number>, expected: number[], tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (diff > tol * Math.max(1, Math.abs(expected[i]))) throw new Error(`element ${i}: got ${actual[i]}, expected ${expected[i]} (diff ${diff})`);
  }
}

/** runs `opt` over GRADS on two variables; returns their values after each step */
function run(opt: Optimizer, grads = GRADS): number[][][] {
  const ws = W0.map(w => variable(w));
  const out = grads.map(step => {
    const gs = step.map(g => tensor(g));
    opt.applyGradients(gs, ws);
    gs.forEach(g => g.dispose());
    return ws.map(w => Array.from(w.data()));
  });
  ws.forEach(w => w.dispose());
  opt.dispose();
  return out;
}

function expectTrajectory(kind: Kind, config: Config, options: object = {}): void {
  const got = run(FACTORIES[kind](config.lr, options));
  const want = reference(kind, { ...config, ...options }, W0, GRADS);
  got.forEach((step, k) => step.forEach((w, j) => expectClose(w, want[k][j])));
}

describe('the new rules against the float64 Keras formulas (5 steps)', () => {
  it('adamw: defaults (weightDecay 0.004) and custom betas, epsilon and decay', () => {
    const opt = adamw();
    expect([opt.learningRate, opt.weightDecay, opt.beta1, opt.beta2, opt.epsilon]).toEqual([0.001, 0.004, 0.9, 0.999, 1e-7]);
    opt.dispose();
    expectTrajectory('adamw', { lr: 0.001 });
    expectTrajectory('adamw', { lr: 0.05 }, { weightDecay: 0.5, beta1: 0.8, beta2: 0.9, epsilon: 1e-3 });
    // the decay is visible: a zero gradient still shrinks the weights by lr · weightDecay
    const w = variable([2, -4]), g = tensor([0, 0]), o = adamw(0.1, { weightDecay: 0.5 });
    o.applyGradients([g], [w]);
    expectClose(w.data(), [2 * 0.95, -4 * 0.95]);
    o.dispose(); w.dispose(); g.dispose();
  });
  it('adagrad: defaults (initialAccumulatorValue 0.1) and custom ones', () => {
    const opt = adagrad();
    expect([opt.learningRate, opt.initialAccumulatorValue, opt.epsilon]).toEqual([0.001, 0.1, 1e-7]);
    opt.dispose();
    expectTrajectory('adagrad', { lr: 0.001 });
    expectTrajectory('adagrad', { lr: 0.2 }, { initialAccumulatorValue: 0.5, epsilon: 0.01 });
    // the accumulator starts at initialAccumulatorValue, by hand: 1 - 0.1 · 0.3 / √(0.1 + 0.09)
    const w = variable([1]), g = tensor([0.3]), o = adagrad(0.1);
    o.applyGradients([g], [w]);
    expectClose(w.data(), [1 - 0.03 / Math.sqrt(0.19)]);
    expectClose(o.getSlot(w, 'accumulator')!.data(), [0.19]);
    o.dispose(); w.dispose(); g.dispose();
  });
  it('adamax: defaults and custom betas and epsilon', () => {
    const opt = adamax();
    expect([opt.learningRate, opt.beta1, opt.beta2, opt.epsilon, opt.getSlotNames()]).toEqual([0.001, 0.9, 0.999, 1e-7, ['m', 'u']]);
    opt.dispose();
    expectTrajectory('adamax', { lr: 0.001 });
    expectTrajectory('adamax', { lr: 0.1 }, { beta1: 0.5, beta2: 0.7, epsilon: 0.01 });
  });
  it('nadam: defaults and custom betas and epsilon; u_product is the product of the momentum schedule', () => {
    const opt = nadam();
    expect([opt.learningRate, opt.beta1, opt.beta2, opt.epsilon]).toEqual([0.001, 0.9, 0.999, 1e-7]);
    opt.dispose();
    expectTrajectory('nadam', { lr: 0.001 });
    expectTrajectory('nadam', { lr: 0.1 }, { beta1: 0.6, beta2: 0.8, epsilon: 0.01 });
    const o = nadam(0.1), w = variable([1, 2]), g = tensor([0.5, -0.5]);
    for (let i = 0; i < 3; i++) o.applyGradients([g], [w]);
    const product = [1, 2, 3].reduce((p, t) => p * 0.9 * (1 - 0.5 * 0.96 ** t), 1);
    expectClose(o.weights().u_product.data(), [product]);
    o.dispose(); w.dispose(); g.dispose();
  });
  it('the old rules still match, with the learning rate now given to the rule', () => {
    expectTrajectory('sgd', { lr: 0.05 }, { momentum: 0.9, nesterov: true });
    expectTrajectory('rmsprop', { lr: 0.02 }, { rho: 0.8, momentum: 0.5, epsilon: 0.05 });
    expectTrajectory('adam', { lr: 0.1 }, { beta1: 0.5, beta2: 0.75, epsilon: 0.01 });
  });
});

describe('options of every optimizer (Keras base optimizer)', () => {
  const lrs: Record<Kind, number> = { sgd: 0.1, rmsprop: 0.01, adam: 0.05, adamw: 0.05, adagrad: 0.1, adamax: 0.05, nadam: 0.05 };
  const extra: Record<Kind, object> = { sgd: { momentum: 0.8 }, rmsprop: { momentum: 0.5 }, adam: {}, adamw: {}, adagrad: {}, adamax: {}, nadam: {} };
  const schedule = (t: number) => [0.3, 0.1, 0.2, 0.05, 0.15][t];
  for (const kind of KINDS) {
    it(`${kind}: clipNorm, clipValue, globalClipNorm, weightDecay and a schedule`, () => {
      const lr = lrs[kind];
      for (const options of [{ clipNorm: 0.5 }, { clipValue: 0.25 }, { globalClipNorm: 0.8 }, { weightDecay: 0.3 }, { globalClipNorm: 100 }])
        expectTrajectory(kind, { lr }, { ...extra[kind], ...options });
      expectTrajectory(kind, { lr: schedule }, { ...extra[kind], clipNorm: 0.7, weightDecay: 0.2 });
    });
  }

  it('clipping by hand: each gradient by its own norm, by value, or all by their global norm', () => {
    const step = (options: object, grads: number[][]) => {
      const ws = grads.map(g => variable(g.map(() => 0))), gs = grads.map(g => tensor(g)), opt = sgd(1, options);
      opt.applyGradients(gs, ws);
      const out = ws.map(w => Array.from(w.data()));
      [...ws, ...gs, opt].forEach(x => x.dispose());
      return out;
    };
    const [a, b] = step({ clipNorm: 1 }, [[3, 4], [0.3, 0.4]]);
    expectClose(a, [-0.6, -0.8]); // norm 5 → 1
    expectClose(b, [-0.3, -0.4]); // norm 0.5, under the limit: unchanged
    const [c, d] = step({ globalClipNorm: 1 }, [[3], [4]]);
    expectClose(c, [-0.6]); expectClose(d, [-0.8]); // global norm 5 → 1
    const [e] = step({ clipValue: 0.5 }, [[3, -0.2, -4]]);
    expectClose(e, [-0.5, 0.2, 0.5]);
    expect(step({ clipNorm: 1 }, [[0, 0]])[0]).toEqual([0, 0]); // a zero gradient stays zero (no NaN)
  });

  it('the learning rate at step `iterations`, before it goes up: schedule(0) for the first update', () => {
    const seen: number[] = [];
    const opt = sgd((t: number) => { seen.push(t); return [0.5, 0.25, 0.125][t]; });
    const w = variable([1]), g = tensor([1]);
    expect(opt.learningRate).toBe(0.5);
    opt.applyGradients([g], [w]);
    expect(w.item()).toBe(0.5);
    expect([opt.iterations, opt.learningRate]).toEqual([1, 0.25]);
    opt.applyGradients([g], [w]);
    expect(w.item()).toBe(0.25);
    expect(seen).toEqual([0, 0, 1, 1]);
    // a schedule with weight decay: the decay uses the same rate
    const o = sgd(exponentialDecay(0.5, 1, 0.5), { weightDecay: 0.2 }), u = variable([1]);
    o.applyGradients([g], [u]); // u · (1 - 0.5 · 0.2) - 0.5
    o.applyGradients([g], [u]); // then with rate 0.25
    expectClose(u.data(), [(0.9 - 0.5) * (1 - 0.25 * 0.2) - 0.25]);
    // the setter takes either kind
    o.learningRate = 0.3;
    expect(o.learningRate).toBe(0.3);
    o.learningRate = () => 0.7;
    expect(o.learningRate).toBe(0.7);
    [opt, o, w, u, g].forEach(x => x.dispose());
  });

  it('a schedule giving a non-finite or negative rate: an Error naming the optimizer, the step and the value; nothing assigned', () => {
    for (const bad of [NaN, -0.1, Infinity, '0.1']) {
      for (const kind of KINDS) {
        const opt = FACTORIES[kind]((t: number) => (t < 2 ? 0.01 : bad) as number, kind === 'sgd' ? { momentum: 0.9 } : {});
        const w = variable([1, 2]), g = tensor([0.5, -0.5]);
        opt.applyGradients([g], [w]);
        opt.applyGradients([g], [w]);
        const before = mem(), values = Array.from(w.data());
        const state = Object.fromEntries(Object.entries(opt.weights()).map(([k, t]) => [k, Array.from(t.data())]));
        expect(() => opt.applyGradients([g], [w])).toThrow(new RegExp(`^${kind}: learningRate schedule at step 2 must be a finite number >= 0, got ${bad === '0.1' ? '"0.1"' : bad}`));
        expect(() => opt.learningRate).toThrow(/at step 2/);
        expect(mem()).toEqual(before);
        expect(Array.from(w.data())).toEqual(values);
        expect(Object.fromEntries(Object.entries(opt.weights()).map(([k, t]) => [k, Array.from(t.data())]))).toEqual(state);
        expect(opt.iterations).toBe(2);
        [opt, w, g].forEach(x => x.dispose());
      }
    }
    // on a fresh optimizer nothing is created either
    const before = mem(), w = variable([1]), g = tensor([1]);
    const opt = adam(() => NaN);
    expect(() => opt.applyGradients([g], [w])).toThrow(/adam: learningRate schedule at step 0 must be a finite number >= 0, got NaN/);
    expect(w.item()).toBe(1);
    w.dispose(); g.dispose();
    expect(mem()).toEqual(before);
  });

  it('bad options: unknown, two kinds of clipping, out of range', () => {
    for (const kind of KINDS) {
      const make = (o: object) => () => FACTORIES[kind](0.1, o);
      expect(make({ clipnorm: 1 })).toThrow(new RegExp(`^${kind}: unknown option "clipnorm" \\(expected .*clipNorm, clipValue, globalClipNorm, weightDecay\\)`));
      expect(make({ clipNorm: 1, clipValue: 2 })).toThrow(new RegExp(`^${kind}: set at most one of clipNorm, clipValue, globalClipNorm, got clipNorm=1, clipValue=2`));
      expect(make({ clipValue: 1, globalClipNorm: 2 })).toThrow(/got clipValue=1, globalClipNorm=2/);
      expect(make({ clipNorm: 0 })).toThrow(new RegExp(`^${kind}: clipNorm must be a finite number > 0, got 0`));
      expect(make({ globalClipNorm: -1 })).toThrow(/globalClipNorm must be a finite number > 0, got -1/);
      expect(make({ clipValue: NaN })).toThrow(/clipValue must be a finite number > 0, got NaN/);
      expect(make({ weightDecay: -0.1 })).toThrow(new RegExp(`^${kind}: weightDecay must be a finite number >= 0, got -0.1`));
      expect(() => FACTORIES[kind]('fast' as never)).toThrow(new RegExp(`^${kind}: learningRate must be a finite number > 0, got "fast"`));
    }
    expect(() => adagrad(0.1, { initialAccumulatorValue: -1 })).toThrow(/adagrad: initialAccumulatorValue must be a finite number >= 0, got -1/);
    expect(() => adamax(0.1, { beta1: 1 })).toThrow(/adamax: beta1 must be a number in \[0, 1\), got 1/);
    expect(() => nadam(0.1, { beta2: -0.5 })).toThrow(/nadam: beta2 must be a number in \[0, 1\), got -0.5/);
    expect(() => adamw(0.1, { epsilon: 'x' as never })).toThrow(/adamw: epsilon must be a finite number >= 0, got "x"/);
  });
});

// ---- state and checkpoints ----
const snapshot = (r: Record<string, Tensor>) => Object.fromEntries(Object.entries(r).map(([k, t]) => [k, [t.dtype, [...t.shape], Array.from(t.data())]]));

describe('weights, build, loadWeights', () => {
  it('weights(): iterations (int32 scalar), the scalars, then each variable\'s slots by build order, not by name', () => {
    const a = variable([1, 2], { name: 'same' }), b = variable([[3]], { name: 'same' });
    const opt = nadam(0.1), ga = tensor([1, 1]), gb = tensor([[1]]);
    opt.applyGradients([null, gb], [a, b]); // b is met first
    opt.applyGradients([ga, gb], [a, b]);
    const w = opt.weights();
    expect(Object.keys(w)).toEqual(['iterations', 'u_product', '0/m', '0/v', '1/m', '1/v']);
    expect(snapshot({ iterations: w.iterations })).toEqual({ iterations: ['int32', [], [2]] });
    expect(w['0/m']).toBe(opt.getSlot(b, 'm')); // the Variables themselves
    expect(w['1/v']).toBe(opt.getSlot(a, 'v'));
    expect(w['0/m'].shape).toEqual([1, 1]);
    expect(Object.values(w).every(t => t instanceof Variable && !t.trainable)).toBe(true);
    for (const x of [opt, a, b, ga, gb]) x.dispose();
  });

  it('a disposed variable drops out and the later ones move up', () => {
    const a = variable([1]), b = variable([2, 3]), opt = adagrad(0.1);
    opt.build([a, b]);
    expect(Object.keys(opt.weights())).toEqual(['iterations', '0/accumulator', '1/accumulator']);
    a.dispose();
    expect(opt.weights()['0/accumulator'].shape).toEqual([2]);
    expect(Object.keys(opt.weights())).toEqual(['iterations', '0/accumulator']);
    opt.dispose(); b.dispose();
  });

  it('build(variables) creates the slots in that order (initial values included), once', () => {
    const a = variable([1, 2]), b = variable([3]);
    const before = memory().tensors;
    const opt = adagrad(0.1, { initialAccumulatorValue: 0.25 });
    opt.build([b, a]);
    opt.build([a, b, a]);
    expect(memory().tensors).toBe(before + 3); // two accumulators and the step count
    expect(Array.from(opt.weights()['0/accumulator'].data())).toEqual([0.25]);
    expect(opt.weights()['1/accumulator'].shape).toEqual([2]);
    expect(opt.iterations).toBe(0);
    expect(() => opt.build([a, 'b' as never])).toThrow(/adagrad\.build: variables\[1\] must be a Variable/);
    expect(() => opt.build(a as never)).toThrow(/adagrad\.build: variables must be an array of Variables, got Tensor/);
    opt.dispose();
    expect(memory().tensors).toBe(before);
    a.dispose(); b.dispose();
  });

  it('loadWeights into a fresh optimizer, with the variables: the same state, and the same next step', () => {
    for (const kind of KINDS) {
      const options = kind === 'sgd' ? { momentum: 0.9 } : kind === 'rmsprop' ? { momentum: 0.5 } : {};
      const ws = W0.map(w => variable(w)), copies = W0.map(w => variable(w));
      const opt = FACTORIES[kind](0.05, options), other = FACTORIES[kind](0.05, options);
      const step = (o: Optimizer, vs: Variable[], grads: number[][]) => { const gs = grads.map(g => tensor(g)); o.applyGradients(gs, vs); gs.forEach(g => g.dispose()); };
      step(opt, ws, GRADS[0]); step(opt, ws, GRADS[1]);
      copies.forEach((c, j) => c.assign(ws[j]));
      const record = loadSafetensors(saveSafetensors(opt.weights()));
      other.loadWeights(record, copies);
      dispose(Object.values(record));
      expect(snapshot(other.weights())).toEqual(snapshot(opt.weights()));
      expect(other.iterations).toBe(2);
      step(opt, ws, GRADS[2]); step(other, copies, GRADS[2]);
      copies.forEach((c, j) => expect(c.data()).toEqual(ws[j].data()));
      for (const x of [opt, other, ...ws, ...copies]) x.dispose();
    }
  });

  it('bad records: missing, unexpected, mis-shaped, wrong dtype, not a record, no variables yet; nothing created or assigned', () => {
    const w = variable([1, 2]), u = variable([3]), g = tensor([1, 1]);
    const opt = adam(0.1);
    opt.applyGradients([g], [w]);
    const good = loadSafetensors(saveSafetensors(opt.weights())); // copies
    const f2 = tensor([9, 9]), f3 = tensor([9, 9, 9]), i2 = tensor([9, 9], undefined, 'int32'), f0 = tensor(5);
    const fresh = adam(0.1);
    fresh.weights(); // (creates its step count: the checks below must not)
    const state = snapshot(opt.weights());
    const cases: [Optimizer, unknown, Variable[] | undefined, RegExp][] = [
      [opt, { ...good, '0/v': undefined }, undefined, /^adam\.loadWeights: nothing assigned: "0\/v" must be float32 of shape \[2\], got undefined\. Expected "iterations", "0\/m", "0\/v"$/],
      [opt, (({ '0/m': _, ...rest }) => rest)(good), undefined, /nothing assigned: missing "0\/m"\. Expected "iterations", "0\/m", "0\/v"/],
      [opt, { ...good, extra: f2 }, undefined, /nothing assigned: unexpected "extra"\./],
      [opt, { ...good, '0/m': f3 }, undefined, /"0\/m" must be float32 of shape \[2\], got Tensor\(shape=\[3\], dtype=float32\)/],
      [opt, { ...good, '0/v': i2 }, undefined, /"0\/v" must be float32 of shape \[2\], got Tensor\(shape=\[2\], dtype=int32\)/],
      [opt, { ...good, iterations: f0 }, undefined, /"iterations" must be int32 of shape \[\], got Tensor\(shape=\[\], dtype=float32\)/],
      [opt, { ...good, '0/m': f3, extra: f2 }, undefined, /nothing assigned: unexpected "extra"; "0\/m" must be float32 of shape \[2\]/],
      [opt, good, [w, u], /missing "1\/m", "1\/v"/], // u would be built, so the record lacks its slots
      [opt, 'abc', undefined, /^adam\.loadWeights: expected a record of tensors by name \(as weights\(\) returns\), got "abc"/],
      [opt, [f2], undefined, /expected a record of tensors/],
      [opt, good, [f2] as never, /adam\.loadWeights: variables\[0\] must be a Variable/],
      [fresh, good, undefined, /^adam\.loadWeights: nothing assigned: unexpected "0\/m", "0\/v"\. Expected "iterations" \(no variables yet: pass them, loadWeights\(record, variables\)\)$/],
      [fresh, good, [u], /"0\/m" must be float32 of shape \[1\], got Tensor\(shape=\[2\]/],
    ];
    for (const [o, record, vars, message] of cases) {
      const freshBefore = snapshot(fresh.weights()), before = mem();
      expect(() => o.loadWeights(record as Record<string, Tensor>, vars)).toThrow(message);
      expect(mem()).toEqual(before);
      expect(snapshot(opt.weights())).toEqual(state);
      expect(snapshot(fresh.weights())).toEqual(freshBefore);
    }
    expect(fresh.getSlot(u, 'm')).toBeUndefined();
    expect(w.toArray()).not.toEqual([1, 2]); // (the one real step happened)
    // and the good record loads into the fresh one given the variable
    fresh.loadWeights(good, [w]);
    expect(snapshot(fresh.weights())).toEqual(state);
    for (const x of [opt, fresh, w, u, g, f2, f3, i2, f0, ...Object.values(good)]) x.dispose();
  });

  it('dispose() frees the slots and the step count; the optimizer starts afresh', () => {
    const before = memory().tensors;
    const opt = nadam(0.1), w = variable([1, 2]), g = tensor([1, 1]);
    opt.applyGradients([g], [w]);
    expect(memory().tensors).toBe(before + 2 + 4); // w, g; m, v, iterations, u_product
    opt.dispose();
    expect(memory().tensors).toBe(before + 2);
    expect(opt.iterations).toBe(0);
    opt.applyGradients([g], [w]);
    expect(opt.iterations).toBe(1);
    opt.dispose(); w.dispose(); g.dispose();
    expect(memory().tensors).toBe(before);
  });
});

describe('training resumed from a safetensors checkpoint continues bit for bit', () => {
  const x = tensor([[0.5, -1, 2], [1.5, 0.25, -0.75], [-1, 1, 0.5], [0.2, -0.4, 1]]);
  const y = tensor([[1, 0], [0, 1], [0.5, 0.5], [-1, 1]]);
  const makeModel = (seed: number) => {
    const model = new Sequential([new Dense(5, { activation: 'tanh', seed }), new Dense(2, { seed: seed + 1 })]);
    model.build([4, 3]);
    return model;
  };
  const lossOf = (model: Sequential) => () => mean(square(sub(model.apply(x), y)));
  const schedule = exponentialDecay(0.05, 2, 0.7, true);
  const makers: [string, () => Optimizer][] = [
    ['sgd with momentum', () => sgd(schedule, { momentum: 0.9, clipNorm: 0.5 })],
    ['sgd with Nesterov momentum', () => sgd(schedule, { momentum: 0.8, nesterov: true, globalClipNorm: 0.3 })],
    ['adam', () => adam(schedule, { clipValue: 0.05 })],
    ['rmsprop with momentum', () => rmsprop(schedule, { momentum: 0.5, clipNorm: 0.4, weightDecay: 0.01 })],
    ['adamw', () => adamw(schedule, { globalClipNorm: 0.2 })],
    ['adagrad', () => adagrad(schedule, { clipValue: 0.1 })],
    ['adamax', () => adamax(schedule, { clipNorm: 0.3 })],
    ['nadam', () => nadam(schedule, { globalClipNorm: 0.5, weightDecay: 0.02 })],
  ];
  const N = 7, K = 3;
  for (const [label, make] of makers) {
    it(label, () => {
      const start = memory().tensors;
      const unbroken = makeModel(1), opt = make();
      for (let i = 0; i < N; i++) opt.minimize(lossOf(unbroken), unbroken.trainableVariables);

      const first = makeModel(1), opt1 = make();
      for (let i = 0; i < K; i++) opt1.minimize(lossOf(first), first.trainableVariables);
      const modelBytes = saveSafetensors(first.weights()), optBytes = saveSafetensors(opt1.weights());
      const resumed = makeModel(10), opt2 = make(); // other initial weights: the checkpoint must replace them
      const modelRecord = loadSafetensors(modelBytes), optRecord = loadSafetensors(optBytes);
      resumed.loadWeights(modelRecord);
      opt2.loadWeights(optRecord, resumed.trainableVariables);
      expect(opt2.iterations).toBe(K);
      for (let i = K; i < N; i++) opt2.minimize(lossOf(resumed), resumed.trainableVariables);

      const final = (m: Sequential) => Object.values(m.weights()).map(t => t.data());
      expect(final(resumed)).toEqual(final(unbroken));
      expect(snapshot(opt2.weights())).toEqual(snapshot(opt.weights()));
      expect(final(resumed)).not.toEqual(final(first)); // (it did train on)
      for (const t of [...Object.values(modelRecord), ...Object.values(optRecord)]) t.dispose();
      for (const m of [unbroken, first, resumed, opt, opt1, opt2]) m.dispose();
      expect(memory().tensors).toBe(start);
    });
  }
});

it('minimize with a schedule and clipping trains a regression (every optimizer)', () => {
  const xs = tensor([[0], [1], [2], [3], [4]]), ys = tensor([[1], [3], [5], [7], [9]]);
  for (const kind of KINDS) {
    const w = variable([[0]]), b = variable([0]);
    const opt = FACTORIES[kind](exponentialDecay(kind === 'adagrad' ? 1 : kind === 'sgd' ? 0.02 : 0.3, 100, 0.5), { clipNorm: 10, ...(kind === 'sgd' ? { momentum: 0.9 } : {}) });
    const loss = () => mean(square(sub(xs.matmul(w).add(b), ys)));
    const first = opt.minimize(loss);
    let last = first;
    for (let i = 0; i < 300; i++) last = opt.minimize(loss);
    expect(last, kind).toBeLessThan(0.05 * first);
    for (const t of [opt, w, b]) t.dispose();
  }
  xs.dispose(); ys.dispose();
});

it('minimize and applyGradients give the same updates (nadam, with clipping)', () => {
  const a = variable([0.5, -1]), b = variable([0.5, -1]), c = tensor([2, 3]);
  const o1 = nadam(0.1, { clipNorm: 1 }), o2 = nadam(0.1, { clipNorm: 1 });
  for (let i = 0; i < 3; i++) {
    o1.minimize(() => sum(mul(a, c)));
    o2.applyGradients([c], [b]);
  }
  expect(a.data()).toEqual(b.data());
  for (const t of [a, b, c, o1, o2]) t.dispose();
});
