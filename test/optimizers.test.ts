// Optimizers against the Keras update rules, written out here in float64 JS.
import { describe, it, expect } from 'vitest';
import {
  sgd, adam, rmsprop, variable, tensor, scalar, sum, mul, square, sub, memory, tidy, tape, Variable, Tensor,
} from '../src/index.js';

const W0 = [0.5, -1.25, 2, 0.1];
const G1 = [0.3, -0.7, 1.5, -0.02];
const G2 = [-0.4, 0.25, 0.9, 0.6];

/** float32-level agreement with a float64 reference */
function expectClose(actual: ArrayLike<number>, expected: number[], tol = 2e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (diff > tol * Math.max(1, Math.abs(expected[i]))) throw new Error(`element ${i}: got ${actual[i]}, expected ${expected[i]} (diff ${diff})`);
  }
}

/** runs the optimizer over the gradient sequence and returns the variable's values after each step */
function run(opt: { applyGradients(g: (Tensor | null)[], v: Variable[]): void }, grads: number[][]): number[][] {
  const w = variable(W0);
  const out: number[][] = [];
  for (const g of grads) {
    const gt = tensor(g);
    opt.applyGradients([gt], [w]);
    gt.dispose();
    out.push(Array.from(w.data()));
  }
  w.dispose();
  return out;
}

// ---- Keras formulas, float64 ----
function refSGD(lr: number, momentum: number, nesterov: boolean, grads: number[][]): number[][] {
  const w = W0.slice(), v = W0.map(() => 0), out: number[][] = [];
  for (const g of grads) {
    for (let i = 0; i < w.length; i++) {
      if (momentum === 0) { w[i] -= lr * g[i]; continue; }
      v[i] = momentum * v[i] - lr * g[i];
      w[i] += nesterov ? momentum * v[i] - lr * g[i] : v[i];
    }
    out.push(w.slice());
  }
  return out;
}
function refAdam(lr: number, b1: number, b2: number, eps: number, grads: number[][]): number[][] {
  const w = W0.slice(), m = W0.map(() => 0), v = W0.map(() => 0), out: number[][] = [];
  grads.forEach((g, k) => {
    const t = k + 1;
    const lrT = lr * Math.sqrt(1 - b2 ** t) / (1 - b1 ** t);
    for (let i = 0; i < w.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      w[i] -= lrT * m[i] / (Math.sqrt(v[i]) + eps);
    }
    out.push(w.slice());
  });
  return out;
}
/** Keras (and TF's ApplyRMSProp, TF.js): the epsilon goes inside the square root */
function refRMSprop(lr: number, rho: number, momentum: number, eps: number, grads: number[][]): number[][] {
  const w = W0.slice(), ms = W0.map(() => 0), mom = W0.map(() => 0), out: number[][] = [];
  for (const g of grads) {
    for (let i = 0; i < w.length; i++) {
      ms[i] = rho * ms[i] + (1 - rho) * g[i] * g[i];
      const inc = lr * g[i] / Math.sqrt(ms[i] + eps);
      if (momentum > 0) { mom[i] = momentum * mom[i] + inc; w[i] -= mom[i]; } else w[i] -= inc;
    }
    out.push(w.slice());
  }
  return out;
}

describe('sgd', () => {
  it('plain: w -= lr * g', () => {
    const got = run(sgd(0.1), [G1, G2]);
    const want = refSGD(0.1, 0, false, [G1, G2]);
    expectClose(got[0], want[0]); expectClose(got[1], want[1]);
    expectClose(got[0], [0.5 - 0.03, -1.25 + 0.07, 2 - 0.15, 0.1 + 0.002]); // by hand
  });
  it('momentum: v = m v - lr g; w += v', () => {
    const got = run(sgd(0.05, { momentum: 0.9 }), [G1, G2, G1]);
    const want = refSGD(0.05, 0.9, false, [G1, G2, G1]);
    got.forEach((g, i) => expectClose(g, want[i]));
  });
  it('nesterov: w += m v - lr g', () => {
    const got = run(sgd(0.05, { momentum: 0.9, nesterov: true }), [G1, G2, G1]);
    const want = refSGD(0.05, 0.9, true, [G1, G2, G1]);
    got.forEach((g, i) => expectClose(g, want[i]));
    // nesterov differs from plain momentum from the first step on
    expect(Math.abs(want[0][0] - refSGD(0.05, 0.9, false, [G1])[0][0])).toBeGreaterThan(1e-3);
  });
  it('default learning rate is 0.01 (Keras)', () => {
    expect(sgd().learningRate).toBe(0.01);
  });
});

describe('adam', () => {
  it('two steps with the Keras defaults (beta1 0.9, beta2 0.999, epsilon 1e-7)', () => {
    const opt = adam();
    expect([opt.learningRate, opt.beta1, opt.beta2, opt.epsilon]).toEqual([0.001, 0.9, 0.999, 1e-7]);
    const got = run(opt, [G1, G2]);
    const want = refAdam(0.001, 0.9, 0.999, 1e-7, [G1, G2]);
    expectClose(got[0], want[0]); expectClose(got[1], want[1]);
    // first step moves every weight by about lr against the gradient's sign
    for (let i = 0; i < 4; i++) expect(Math.abs(want[0][i] - W0[i] + 0.001 * Math.sign(G1[i]))).toBeLessThan(1e-5);
  });
  it('custom betas and epsilon, three steps', () => {
    const grads = [G1, G2, G1];
    const got = run(adam(0.1, { beta1: 0.5, beta2: 0.75, epsilon: 0.01 }), grads);
    const want = refAdam(0.1, 0.5, 0.75, 0.01, grads);
    got.forEach((g, i) => expectClose(g, want[i]));
  });
  it('bias correction follows the optimizer step count', () => {
    const opt = adam(0.1);
    expect(opt.iterations).toBe(0);
    run(opt, [G1, G2]);
    expect(opt.iterations).toBe(2);
  });
});

describe('rmsprop', () => {
  it('no momentum, Keras defaults rho 0.9, epsilon 1e-7', () => {
    const opt = rmsprop(0.01);
    expect([opt.decay, opt.momentum, opt.epsilon]).toEqual([0.9, 0, 1e-7]);
    const got = run(opt, [G1, G2]);
    const want = refRMSprop(0.01, 0.9, 0, 1e-7, [G1, G2]);
    expectClose(got[0], want[0]); expectClose(got[1], want[1]);
  });
  it('with momentum and a visible epsilon', () => {
    const grads = [G1, G2, G1];
    const got = run(rmsprop(0.02, { decay: 0.8, momentum: 0.5, epsilon: 0.05 }), grads);
    const want = refRMSprop(0.02, 0.8, 0.5, 0.05, grads);
    got.forEach((g, i) => expectClose(g, want[i]));
  });
  it('rho is accepted as an alias of decay', () => {
    expect(rmsprop(0.01, { rho: 0.7 }).decay).toBe(0.7);
    expect(() => rmsprop(0.01, { rho: 0.7, decay: 0.8 })).toThrow(/decay and rho/);
  });
});

describe('applyGradients', () => {
  it('skips null gradients and updates the others', () => {
    const a = variable([1, 2]), b = variable([3, 4]);
    const opt = sgd(0.5);
    const g = tensor([1, -1]);
    opt.applyGradients([null, g], [a, b]);
    expect(a.toArray()).toEqual([1, 2]);
    expect(b.toArray()).toEqual([2.5, 4.5]);
    // a skipped variable gets no slots
    const m = sgd(0.5, { momentum: 0.9 });
    m.applyGradients([null, g], [a, b]);
    expect(m.getSlot(a, 'momentum')).toBeUndefined();
    expect(m.getSlot(b, 'momentum')).toBeInstanceOf(Variable);
    expect(m.getSlot(b, 'momentum')!.trainable).toBe(false);
    m.dispose(); g.dispose(); a.dispose(); b.dispose();
  });

  it('per-variable slots: two variables with Adam match independent references', () => {
    const a = variable(W0), b = variable(W0.map(x => -x));
    const opt = adam(0.1);
    for (const [ga, gb] of [[G1, G2], [G2, G1]]) {
      const ta = tensor(ga), tb = tensor(gb);
      opt.applyGradients([ta, tb], [a, b]);
      ta.dispose(); tb.dispose();
    }
    expectClose(a.data(), refAdam(0.1, 0.9, 0.999, 1e-7, [G1, G2])[1]);
    // b: W0 negated; Adam is odd-symmetric in (w, g), so compare against the negated reference with negated grads
    const refB = refAdam(0.1, 0.9, 0.999, 1e-7, [G2.map(x => -x), G1.map(x => -x)])[1].map(x => -x);
    expectClose(b.data(), refB);
    opt.dispose(); a.dispose(); b.dispose();
  });

  it("takes TF's [[gradient, variable], ...] pairs: the same updates as the two-array form", () => {
    const makers = [() => sgd(0.1, { momentum: 0.9, nesterov: true }), () => adam(0.1), () => rmsprop(0.05, { momentum: 0.5 })];
    for (const make of makers) {
      const [viaPairs, viaArrays] = [make(), make()];
      const [a1, b1, a2, b2] = [variable(W0), variable(W0.map(x => -x)), variable(W0), variable(W0.map(x => -x))];
      for (const [ga, gb] of [[G1, G2], [G2, G1]]) {
        const ta = tensor(ga), tb = tensor(gb);
        viaPairs.applyGradients([[ta, a1], [tb, b1]]);
        viaArrays.applyGradients([ta, tb], [a2, b2]);
        ta.dispose(); tb.dispose();
      }
      expect(Array.from(a1.data())).toEqual(Array.from(a2.data()));
      expect(Array.from(b1.data())).toEqual(Array.from(b2.data()));
      expect(viaPairs.iterations).toBe(2);
      for (const x of [viaPairs, viaArrays, a1, b1, a2, b2]) x.dispose();
    }
    // and against the float64 Keras formula
    const w = variable(W0), opt = adam(0.1);
    for (const g of [G1, G2]) { const t = tensor(g); opt.applyGradients([[t, w]]); t.dispose(); }
    expectClose(w.data(), refAdam(0.1, 0.9, 0.999, 1e-7, [G1, G2])[1]);
    opt.dispose(); w.dispose();
  });

  it('pairs: null gradients are skipped, and any iterable of pairs works (a zip)', () => {
    const a = variable([1, 2]), b = variable([3, 4]);
    const opt = sgd(0.5, { momentum: 0.9 });
    const g = tensor([1, -1]);
    opt.applyGradients([[null, a], [g, b]]);
    expect(a.toArray()).toEqual([1, 2]);
    expect(b.toArray()).toEqual([2.5, 4.5]);
    expect(opt.getSlot(a, 'momentum')).toBeUndefined();
    function* zip<A, B>(xs: A[], ys: B[]): Generator<[A, B]> { for (let i = 0; i < xs.length; i++) yield [xs[i], ys[i]]; }
    opt.applyGradients(zip([g, undefined], [a, b]));
    expect(a.toArray()).toEqual([0.5, 2.5]);
    expect(b.toArray()).toEqual([2.5, 4.5]); // a skipped variable is not touched, momentum or not (as in TF)
    opt.dispose(); g.dispose(); a.dispose(); b.dispose();
  });

  it('pairs: bad input gets errors that name the pair and the expected forms', () => {
    const v = variable([1, 2, 3]);
    const opt = adam(0.1);
    const g2 = tensor([1, 2]), g3 = tensor([1, 2, 3]);
    const forms = /pass \[\[gradient, variable\], \.\.\.\] or \(grads, variables\)/;
    expect(() => opt.applyGradients([g3] as unknown as [Tensor, Variable][])).toThrow(/adam\.applyGradients: pairs\[0\] must be a \[gradient, variable\] pair, got Tensor\(shape=\[3\], dtype=float32\)/);
    expect(() => opt.applyGradients([g3] as unknown as [Tensor, Variable][])).toThrow(forms);
    expect(() => opt.applyGradients([[g3, v, v]] as unknown as [Tensor, Variable][])).toThrow(/pairs\[0\] must be a \[gradient, variable\] pair/);
    expect(() => (opt.applyGradients as (x?: unknown) => void)()).toThrow(/adam\.applyGradients: expected an array of \[gradient, variable\] pairs, got undefined/);
    expect(() => opt.applyGradients(5 as unknown as [Tensor, Variable][])).toThrow(/expected an array of \[gradient, variable\] pairs, got 5/);
    expect(() => opt.applyGradients([[g3, g3 as unknown as Variable]])).toThrow(/pairs\[0\]\[1\] \(the variable\) must be a Variable \(create it with variable\(\)\)/);
    expect(() => opt.applyGradients([[g3, v], [g2, v]])).toThrow(/pairs\[1\]\[0\] \(the gradient\) has shape \[2\] but variable .* has shape \[3\]/);
    expect(() => opt.applyGradients([[[1, 2, 3] as unknown as Tensor, v]])).toThrow(/pairs\[0\]\[0\] \(the gradient\) must be a float32 Tensor or null, got \[1, 2, 3\]/);
    // nothing was updated by the failing calls
    expect(v.toArray()).toEqual([1, 2, 3]);
    expect(opt.iterations).toBe(0);
    for (const t of [v, g2, g3]) t.dispose();
  });

  it('rejects mismatched lengths, non-Variables, wrong shapes and dtypes with clear errors', () => {
    const v = variable([1, 2, 3]);
    const opt = sgd(0.1);
    const g2 = tensor([1, 2]), g3 = tensor([1, 2, 3]), gi = tensor([1, 2, 3], undefined, 'int32');
    expect(() => opt.applyGradients([g3, g3], [v])).toThrow(/2 gradient\(s\) for 1 variable/);
    expect(() => opt.applyGradients([g3], [g3 as unknown as Variable])).toThrow(/variables\[0\] must be a Variable/);
    expect(() => opt.applyGradients([g2], [v])).toThrow(/grads\[0\] has shape \[2\] but variable .* has shape \[3\]/);
    expect(() => opt.applyGradients([gi], [v])).toThrow(/grads\[0\] must be a float32 Tensor or null, got Tensor\(shape=\[3\], dtype=int32\)/);
    expect(() => opt.applyGradients([[1, 2, 3] as unknown as Tensor], [v])).toThrow(/grads\[0\] must be a float32 Tensor or null/);
    expect(() => opt.applyGradients(g3 as unknown as Tensor[], [v])).toThrow(/grads must be an array/);
    const intInit = tensor([1, 2], undefined, 'int32');
    const intVar = variable(intInit, { name: 'counter' });
    expect(() => opt.applyGradients([null], [intVar])).toThrow(/variables\[0\] \("counter"\) must be float32 to be optimised, got dtype int32/);
    // nothing was updated by the failing calls
    expect(v.toArray()).toEqual([1, 2, 3]);
    expect(opt.iterations).toBe(0);
    for (const t of [v, g2, g3, gi, intInit, intVar]) t.dispose();
  });

  it('validates learning rates and options', () => {
    for (const lr of [0, -0.1, NaN, Infinity, '0.1']) {
      expect(() => sgd(lr as number)).toThrow(/sgd: learningRate must be a finite number > 0/);
      expect(() => adam(lr as number)).toThrow(/adam: learningRate must be a finite number > 0/);
      expect(() => rmsprop(lr as number)).toThrow(/rmsprop: learningRate must be a finite number > 0/);
    }
    expect(() => sgd(0.1, { momentum: -0.5 })).toThrow(/momentum must be a number in \[0, 1\]/);
    expect(() => sgd(0.1, { nesterov: 'yes' as unknown as boolean })).toThrow(/nesterov must be a boolean/);
    expect(() => adam(0.1, { beta1: 1 })).toThrow(/beta1 must be a number in \[0, 1\)/);
    expect(() => adam(0.1, { epsilon: -1 })).toThrow(/epsilon must be a finite number >= 0/);
    expect(() => adam(0.1, { beta_1: 0.5 } as never)).toThrow(/unknown option "beta_1"/);
    const opt = adam(0.1);
    opt.learningRate = 0.5;
    expect(opt.learningRate).toBe(0.5);
    expect(() => { opt.learningRate = -1; }).toThrow(/learningRate/);
  });

  it('updates are not recorded by a tape that is recording', () => {
    const w = variable([1, 2]);
    const x = tensor([3, 5]);
    const opt = adam(0.1);
    const g0 = tensor([1, 1]);
    opt.applyGradients([g0], [w]); // slots exist from here on
    g0.dispose();
    const before = memory().tensors;
    const t = tape(tp => {
      tp.watch(x);
      const g = mul(x, x); // a gradient that depends on a watched tensor
      opt.applyGradients([g], [w]);
      const after = memory().tensors;
      return { after, z: sum(w) };
    }, { persistent: true });
    // the update recorded nothing (a recorded op would keep its inputs alive on the tape) ...
    const res = t.result as { after: number; z: Tensor };
    expect(res.after).toBe(before + 1); // only g
    // ... and the new value of w has no gradient path back to x
    expect(t.gradient(res.z, x)).toBeNull();
    t.dispose(); opt.dispose(); w.dispose(); x.dispose();
  });
});

describe('minimize', () => {
  it('returns the loss as a number and steps every trainable variable read', () => {
    const w = variable([1, -2]), b = variable(0.5);
    const frozen = variable([10, 10], { trainable: false });
    const x = tensor([3, 4]);
    const opt = sgd(0.01);
    const loss = opt.minimize(() => square(sum(mul(w, x)).add(b).sub(sum(frozen))));
    // r = 1*3 - 2*4 + 0.5 - 20 = -24.5; loss = r^2; dL/dw = 2 r x, dL/db = 2 r
    expect(typeof loss).toBe('number');
    expect(loss).toBeCloseTo(600.25, 3);
    const r = -24.5;
    expectClose(w.data(), [1 - 0.01 * 2 * r * 3, -2 - 0.01 * 2 * r * 4]);
    expectClose(b.data(), [0.5 - 0.01 * 2 * r]);
    expect(frozen.toArray()).toEqual([10, 10]);
    for (const t of [w, b, frozen, x]) t.dispose();
  });

  it('with explicit variables: only those are updated, including a non-trainable one', () => {
    const w = variable([1, 2]), u = variable([3], { trainable: false });
    const opt = sgd(0.1);
    opt.minimize(() => sum(square(w)).add(sum(square(u))), [u]);
    expect(w.toArray()).toEqual([1, 2]);
    expectClose(u.data(), [3 - 0.1 * 6]);
    w.dispose(); u.dispose();
  });

  it('leaves memory().tensors unchanged across repeated calls after the first (slots made once)', () => {
    for (const opt of [sgd(0.01), sgd(0.01, { momentum: 0.9, nesterov: true }), adam(0.05), rmsprop(0.01, { momentum: 0.5 })]) {
      const w = variable([[0.5, -0.3], [0.2, 0.8]]), b = variable([0.1, -0.1]);
      const x = tensor([[1, 2], [3, 4], [5, 6]]), y = tensor([[1, 0], [0, 1], [1, 1]]);
      const before = memory().tensors;
      const lossFn = () => square(x.matmul(w).add(b).sub(y)).mean();
      const first = opt.minimize(lossFn);
      const afterFirst = memory().tensors;
      expect(afterFirst - before).toBe(2 * opt.getSlotNames().length + 1); // the slots and the step count, nothing else
      const losses = [first];
      for (let i = 0; i < 30; i++) {
        losses.push(opt.minimize(lossFn));
        expect(memory().tensors).toBe(afterFirst);
      }
      expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
      opt.dispose();
      expect(memory().tensors).toBe(before);
      for (const t of [w, b, x, y]) t.dispose();
    }
  });

  it('validation errors: non-functions, non-scalars, no variables, no gradients; nothing leaks', () => {
    const w = variable([1, 2]);
    const opt = adam(0.1);
    const before = memory().tensors;
    expect(() => opt.minimize(42 as unknown as () => Tensor)).toThrow(/lossFn must be a function/);
    expect(() => opt.minimize(() => square(w))).toThrow(/must return a float32 scalar loss \(reduce it with mean\(\) or sum\(\)\), got Tensor\(shape=\[2\], dtype=float32\)/);
    expect(() => opt.minimize(() => 3 as unknown as Tensor)).toThrow(/lossFn must return a float32 scalar loss .*, got 3/);
    expect(() => opt.minimize(() => scalar(1).add(2))).toThrow(/read no trainable variable/);
    const other = variable([5]);
    expect(() => opt.minimize(() => sum(square(w)), [other])).toThrow(/no gradients provided for any variable/);
    expect(() => opt.minimize(() => sum(w), [w, 'x' as unknown as Variable])).toThrow(/variables\[1\] must be a Variable/);
    expect(() => opt.minimize(() => { sum(square(w)); throw new Error('boom'); })).toThrow('boom');
    expect(memory().tensors).toBe(before + 1); // only `other`
    expect(w.toArray()).toEqual([1, 2]);
    expect(opt.iterations).toBe(0);
    other.dispose(); w.dispose();
  });

  it('inside tidy, minimize keeps variables and slots alive', () => {
    const w = variable([2]);
    const opt = rmsprop(0.1);
    tidy(() => { opt.minimize(() => sum(square(w))); });
    expect(w.isDisposed).toBe(false);
    expect(opt.getSlot(w, 'rms')!.isDisposed).toBe(false);
    expect(() => opt.minimize(() => sum(square(w)))).not.toThrow();
    opt.dispose(); w.dispose();
  });

  it('slots of disposed variables are freed on the next update', () => {
    const opt = adam(0.1);
    const before = memory().tensors;
    const w = variable([1, 2]);
    opt.minimize(() => sum(square(w)));
    expect(memory().tensors).toBe(before + 4); // w, its 2 slots, the step count
    w.dispose();
    const u = variable([1]);
    opt.minimize(() => sum(square(u)));
    expect(memory().tensors).toBe(before + 4); // u + its 2 slots + the step count; w's slots are gone
    opt.dispose(); u.dispose();
    expect(memory().tensors).toBe(before);
  });

  it('trains a small linear regression to a low loss with each optimizer', () => {
    const xs = tensor([[0], [1], [2], [3], [4]]), ys = tensor([[1], [3], [5], [7], [9]]); // y = 2x + 1
    for (const [opt, steps] of [[sgd(0.05, { momentum: 0.9 }), 200], [adam(0.1), 300], [rmsprop(0.02), 400]] as const) {
      const w = variable([[0]]), b = variable([0]);
      let loss = Infinity;
      for (let i = 0; i < steps; i++) loss = opt.minimize(() => square(sub(xs.matmul(w).add(b), ys)).mean());
      expect(loss).toBeLessThan(1e-2);
      expect(w.item()).toBeCloseTo(2, 1);
      expect(b.item()).toBeCloseTo(1, 0);
      opt.dispose(); w.dispose(); b.dispose();
    }
    xs.dispose(); ys.dispose();
  });
});
