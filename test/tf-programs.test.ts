// TensorFlow programs that run unchanged: no limit on live or nested tapes, a target that is also a
// source, differentiable jacobians, and forward mode that nests as TF's does (issue 11, items 1-4).
// Expected values come from closed forms (derivatives worked by hand), never from gradtape itself.
import { describe, it, expect, vi, afterEach } from 'vitest';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  tape, GradientTape, tensor, scalar, variable, Tensor, ForwardAccumulator, customGradient, mul, add, sum, square, exp, pow, sin, cos,
  memory, tidy, randomNormal,
} from './api.js';
import { expectClose } from './support/gradcheck.js';

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;
const turn = () => new Promise(resolve => setImmediate(resolve));
afterEach(() => vi.restoreAllMocks());

describe('no limit on live tapes', () => {
  it("the issue's loop: a persistent tape per step, never disposed, no tidy, 10,000 steps", () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const w = variable(tensor([1, 2, 3]));
    const expected = [1, 2, 3];
    for (let step = 0; step < 10000; step++) {
      const t = tape(() => { const y = sum(square(w)); return { y, z: mul(y, 2) }; }, { persistent: true });
      const gy = t.gradient(t.result.y, w) as Tensor;
      const gz = t.gradient(t.result.z, w) as Tensor;
      if (step < 50) { // d sum(w²)/dw = 2w, and z = 2y doubles it (float64 reference of the same updates)
        expectClose(gy.data(), expected.map(v => 2 * v), { rtol: 1e-5, atol: 1e-30 });
        expectClose(gz.data(), expected.map(v => 4 * v), { rtol: 1e-5, atol: 1e-30 });
      }
      w.assignSub(mul(gy, 0.01));
      for (let i = 0; i < 3; i++) expected[i] *= 0.98;
    }
    const last = Array.from(w.data());
    for (let i = 0; i < 3; i++) expect(Math.abs(last[i] - expected[i])).toBeLessThan(1e-30);
    // one warning per process, saying how to free the tapes
    const leakWarnings = warn.mock.calls.filter(c => /persistent tapes are alive/.test(String(c[0])));
    expect(leakWarnings).toHaveLength(1);
    expect(String(leakWarnings[0][0])).toMatch(/^gradtape: 1000 persistent tapes .*dispose\(\).*using.*tidy/);
  });

  it('100 tapes that never compute a gradient, then all of them do', () => {
    const x = scalar(3);
    const tapes: GradientTape<Tensor>[] = [];
    for (let i = 0; i < 100; i++) tapes.push(tape(t => { t.watch(x); return mul(x, scalar(i)); }));
    tapes.forEach((t, i) => expect((t.gradient(t.result, x) as Tensor).item()).toBe(i));
  });

  it('40 nested tapes record at once: the 40th derivative of exp(x/2)', () => {
    // d^n/dx^n exp(x/2) = 2^-n exp(x/2); each level differentiates the level inside it
    const x = scalar(0.3);
    const nested = (depth: number): Tensor => {
      if (depth === 0) return exp(mul(x, 0.5));
      const t = tape(t => { t.watch(x); return nested(depth - 1); });
      return t.gradient(t.result, x) as Tensor;
    };
    for (const n of [1, 31, 32, 40]) expectClose(nested(n).item(), 2 ** -n * Math.exp(0.15), { rtol: 1e-4 }, `derivative ${n}`);
  });

  it('beyond 31 tapes recording at once, each still has its own watch set', () => {
    const a = scalar(2), b = scalar(5);
    const tapes: GradientTape[] = [];
    let product!: Tensor, square_!: Tensor;
    const open = (k: number): void => {
      if (k === 40) { product = mul(a, b); square_ = mul(a, a); return; }
      new GradientTape({ persistent: true }).record(t => {
        tapes.push(t);
        t.watch(k % 2 === 0 ? a : b); // even tapes watch a, odd ones b
        open(k + 1);
      });
    };
    open(0);
    tapes.forEach((t, k) => {
      const [ga, gb] = t.gradient(product, [a, b]);
      if (k % 2 === 0) { expect(ga!.item()).toBe(5); expect(gb).toBeNull(); }
      else { expect(ga).toBeNull(); expect(gb!.item()).toBe(2); }
      // a*a is recorded only by the tapes watching a
      const g = t.gradient(square_, a);
      if (k % 2 === 0) expect(g!.item()).toBe(4); else expect(g).toBeNull();
      t.dispose();
    });
  });

  it('stopRecording and reset work on tapes beyond the 31st recording at once', () => {
    const x = scalar(2);
    const results: number[][] = [];
    const open = (k: number): void => {
      if (k === 36) return;
      new GradientTape({ persistent: true }).record(t => {
        t.watch(x);
        t.reset(); // forgets x: watch again
        t.watch(x);
        const skipped = t.stopRecording(() => mul(x, x)); // not recorded on t (it is on the outer tapes)
        const y = mul(mul(x, x), x); // x³ on every tape
        open(k + 1);
        results.push([(t.gradient(y, x) as Tensor).item(), t.gradient(skipped, x) === null ? 0 : 1]);
      });
    };
    open(0);
    expect(results).toHaveLength(36);
    // every tape: d(x³)/dx = 12; its own `skipped` was computed while it was paused: unconnected
    for (const [g, connected] of results) { expect(g).toBe(12); expect(connected).toBe(0); }
  });

  it('a tape re-entered after others took its slot keeps what it watched and recorded', () => {
    const x = scalar(2);
    const t = new GradientTape({ persistent: true });
    t.record(t => t.watch(x));
    const others = Array.from({ length: 40 }, () => tape(u => { u.watch(x); return mul(x, x); }, { persistent: true }));
    const y = t.record(() => mul(mul(x, x), x)).result; // x³
    expect((t.gradient(y, x) as Tensor).item()).toBe(12);
    for (const o of others) { expect((o.gradient(o.result, x) as Tensor).item()).toBe(4); o.dispose(); }
    t.dispose();
  });

  it('custom gradients that compute gradients, nested 20 sweeps deep', () => {
    // f_k(x) = x² for every k; f_k's gradient function differentiates f_{k-1} on a tape of its own,
    // so differentiating f_20 runs 20 sweeps inside each other
    const make = (k: number): ((x: Tensor) => Tensor) => k === 0 ? (x => mul(x, x)) : customGradient((x: Tensor) => ({
      value: make(k - 1)(x),
      grad: (dy: Tensor) => {
        const t = tape(t => { t.watch(x); return make(k - 1)(x); });
        return mul(dy, t.gradient(t.result, x) as Tensor);
      },
    }));
    const x = scalar(1.5);
    const t = tape(t => { t.watch(x); return make(20)(x); });
    expect((t.gradient(t.result, x) as Tensor).item()).toBe(3);
  });

  it('a gradient with 20,000 sources (more than the first argument buffer of the core holds)', () => {
    const x = scalar(3), y = scalar(4);
    const t = tape(t => { t.watch([x, y]); return mul(x, y); });
    const sources = Array.from({ length: 20000 }, (_, i) => (i % 2 ? y : x));
    const grads = t.gradient(t.result, sources) as Tensor[];
    expect(grads).toHaveLength(20000);
    grads.forEach((g, i) => expect(g.item()).toBe(i % 2 ? 3 : 4));
  });

  it('undisposed tapes are freed when the garbage collector collects them', async () => {
    const w = variable(tensor([1, 2, 3]));
    for (let i = 0; i < 5; i++) { gc(); await turn(); }
    const base = memory();
    (() => { // nothing of this escapes
      for (let i = 0; i < 300; i++) {
        const t = tape(() => { const y = sum(square(w)); return { y, z: mul(y, 2) }; }, { persistent: true });
        t.gradient(t.result.z, w);
      }
    })();
    // the tapes hold what they recorded: w's value and three results each
    expect(memory().tensors).toBeGreaterThanOrEqual(base.tensors + 300 * 3);
    expect(memory().bytes).toBeGreaterThan(base.bytes + 300 * 12);
    for (let i = 0; i < 20 && memory().tensors > base.tensors; i++) { gc(); await turn(); }
    expect(memory().tensors).toBe(base.tensors);
    expect(memory().bytes).toBe(base.bytes);
    w.dispose();
  });
});

describe('a target that is also a source gets its seed', () => {
  it("the guide's control flow: dv0 = 1, dv1 = None", () => {
    // x = tf.constant(1.0); v0 = tf.Variable(2.0); v1 = tf.Variable(2.0)
    // with tf.GradientTape(persistent=True) as tape:
    //   tape.watch(x)
    //   if x > 0.0: result = v0
    //   else: result = v1**2
    const x = scalar(1), v0 = variable(2), v1 = variable(2);
    const t = tape(t => { t.watch(x); return x.item() > 0 ? v0 : mul(v1, v1); }, { persistent: true });
    const [dv0, dv1] = t.gradient(t.result, [v0, v1]);
    expect(dv0!.item()).toBe(1);
    expect(dv1).toBeNull();
  });

  it('gradient(v, v) is ones for a variable never read; gradient(x, x) for an unwatched constant', () => {
    const v = variable([[1, 2], [3, 4]]), x = tensor([5, 6, 7]);
    const t = tape(() => null, { persistent: true });
    expect(t.gradient(v, v)!.toArray()).toEqual([[1, 1], [1, 1]]);
    expect(t.gradient(x, x)!.toArray()).toEqual([1, 1, 1]);
    expect(t.gradient(x, x, { outputGradients: tensor([2, 3, 4]) })!.toArray()).toEqual([2, 3, 4]);
  });

  it('an unwatched constant that is a target and an input receives its seed only', () => {
    // y = x * c with only x watched: c gets no gradient through y, but its own seed as a target
    const x = scalar(2), c = scalar(3);
    const t = tape(t => { t.watch(x); return mul(x, c); }, { persistent: true });
    expect(t.gradient([t.result, c], c)!.item()).toBe(1);
    expect(t.gradient([t.result, x], x)!.item()).toBe(4); // watched: 3 through y, 1 as a target
    expect(t.gradient([t.result, c], [c, c]).map(g => g!.item())).toEqual([1, 1]);
  });
});

describe('jacobians are differentiable', () => {
  it('a Hessian as the jacobian of a jacobian (pow(x, 3) at [1, 2, 3])', () => {
    const x = tensor([1, 2, 3]);
    const outer = tape(o => {
      o.watch(x);
      const inner = tape(i => { i.watch(x); return pow(x, 3); });
      return inner.jacobian(inner.result, x) as Tensor; // diag(3x²)
    });
    expectClose(outer.result.data(), [3, 0, 0, 0, 12, 0, 0, 0, 27]);
    const h = outer.jacobian(outer.result, x) as Tensor;
    expect(h.shape).toEqual([3, 3, 3]);
    const want = new Array(27).fill(0);
    [6, 12, 18].forEach((v, i) => { want[i * 9 + i * 3 + i] = v; });
    expectClose(h.data(), want);
  });

  it('batchJacobian of an inner jacobian: ten 2x2 blocks of 2·I', () => {
    const x = randomNormal([10, 2], { seed: 3 });
    const outer = tape(o => {
      o.watch(x);
      const inner = tape(i => { i.watch(x); return sum(square(x)); });
      return inner.jacobian(inner.result, x) as Tensor; // 2x
    });
    expectClose(outer.result.data(), Array.from(x.data(), v => 2 * v));
    const bj = outer.batchJacobian(outer.result, x);
    expect(bj.shape).toEqual([10, 2, 2]);
    expectClose(bj.data(), Array.from({ length: 10 }, () => [2, 0, 0, 2]).flat());
  });

  it('gradient of a jacobian, and of a batchJacobian, through an outer tape', () => {
    // J = diag(cos x) for sin(x); d(sum J)/dx = -sin x
    const x = tensor([0.5, 1, 2]);
    const outer = tape(o => {
      o.watch(x);
      const inner = tape(i => { i.watch(x); return sin(x); });
      return sum(inner.jacobian(inner.result, x) as Tensor);
    });
    expectClose(outer.gradient(outer.result, x)!.data(), [0.5, 1, 2].map(v => -Math.sin(v)));
    // batchJacobian of y = x² row-wise: blocks diag(2x); d(sum)/dx = 2
    const xb = tensor([[1, 2], [3, 4]]);
    const outer2 = tape(o => {
      o.watch(xb);
      const inner = tape(i => { i.watch(xb); return square(xb); });
      return sum(inner.batchJacobian(inner.result, xb));
    });
    expectClose(outer2.gradient(outer2.result, xb)!.data(), [2, 2, 2, 2]);
  });

  it('a persistent tape differentiates its own jacobian', () => {
    const x = tensor([1, 2]);
    const t = new GradientTape({ persistent: true });
    const j = t.record(t => {
      t.watch(x);
      const y = mul(mul(x, x), x); // x³
      return t.jacobian(y, x) as Tensor; // diag(3x²), recorded on t itself
    }).result;
    expectClose(t.gradient(j, x)!.data(), [6, 12]);
    t.dispose();
  });

  it('an unconnected source keeps its conventions: null from jacobian, zeros from batchJacobian', () => {
    const x = tensor([[1, 2]]), c = tensor([[3, 4]]);
    const t = tape(t => { t.watch(x); return square(x); }, { persistent: true });
    expect(t.jacobian(t.result, c)).toBeNull();
    expect(t.batchJacobian(t.result, c).toArray()).toEqual([[[0, 0], [0, 0]]]);
  });
});

describe('forward mode nests like TF', () => {
  it("the issue's program: outer sees inner's tangents, inner does not see outer's", () => {
    const p = scalar(1.1);
    const outer = new ForwardAccumulator(p, scalar(1)), inner = new ForwardAccumulator(p, scalar(1));
    const y = outer.record(() => inner.record(() => pow(p, 3.5)));
    expectClose(inner.jvp(y)!.item(), 3.5 * 1.1 ** 2.5, { rtol: 1e-5 });
    expectClose(outer.jvp(inner.jvp(y)!)!.item(), 8.75 * 1.1 ** 1.5, { rtol: 1e-5 });
    expect(inner.jvp(outer.jvp(y)!)).toBeNull();
  });

  it('jvp read inside the outer recording gives the same second derivative', () => {
    const p = scalar(0.7);
    const outer = new ForwardAccumulator(p, scalar(1));
    const second = outer.record(() => {
      const inner = new ForwardAccumulator(p, scalar(1));
      const y = inner.record(() => sin(p));
      return inner.jvp(y)!; // cos p, seen by outer
    });
    expectClose(outer.jvp(second)!.item(), -Math.sin(0.7), { rtol: 1e-5 });
  });

  it('backward over forward: a tape around an accumulator differentiates a JVP read after the tape closed', () => {
    // jvp of x³ along v is 3x²·v; its gradient w.r.t. x is 6x·v
    const x = tensor([1, 2]), v = tensor([1, 0.5]);
    const acc = new ForwardAccumulator(x, v);
    let y!: Tensor;
    const t = tape(t => { t.watch(x); y = acc.record(() => mul(mul(x, x), x)); });
    const jv = acc.jvp(y)!;
    expectClose(jv.data(), [3, 6]);
    expectClose(t.gradient(jv, x)!.data(), [6, 6]);
  });

  it('forward over backward: Hessian-vector products, with jvp read after everything closed', () => {
    // f = sum(x³): gradient 3x², Hessian diag(6x), H·v = 6x·v
    const x = tensor([1, 2, 3]), v = tensor([1, -1, 2]);
    const acc = new ForwardAccumulator(x, v);
    const g = acc.record(() => {
      const t = tape(t => { t.watch(x); return sum(mul(mul(x, x), x)); });
      return t.gradient(t.result, x) as Tensor;
    });
    expectClose(acc.jvp(g)!.data(), [6, -12, 36]);
  });

  it('three accumulators deep: the third derivative of exp(2p)', () => {
    const p = scalar(0.25);
    const a = new ForwardAccumulator(p, scalar(1)), b = new ForwardAccumulator(p, scalar(1)), c = new ForwardAccumulator(p, scalar(1));
    const y = a.record(() => b.record(() => c.record(() => exp(mul(p, 2)))));
    const d3 = a.jvp(b.jvp(c.jvp(y)!)!)!;
    expectClose(d3.item(), 8 * Math.exp(0.5), { rtol: 1e-5 });
    expect(c.jvp(b.jvp(y)!)).toBeNull(); // c is inside b: it does not see b's tangents
  });

  it('a long-lived accumulator does not keep the tapes around it alive', async () => {
    // the same loop twice: tapes disposed by hand, then tapes left to the garbage collector; the
    // accumulator remembers the tapes around it only weakly, so both end with the same live tensors
    const run = async (disposeTapes: boolean) => {
      const x = scalar(1);
      const acc = new ForwardAccumulator(x, scalar(1));
      (() => {
        for (let i = 0; i < 50; i++) {
          // sin(x) and the sum are recorded by the tape only: it alone keeps them alive
          const t = tape(t => { t.watch(x); return add(sin(x), acc.record(() => mul(x, cos(x)))); }, { persistent: true });
          (t.gradient(t.result, x) as Tensor).dispose();
          t.result.dispose();
          if (disposeTapes) t.dispose();
        }
      })();
      for (let i = 0; i < 10; i++) { gc(); await turn(); }
      const live = memory().tensors;
      acc.dispose(); x.dispose();
      return live;
    };
    for (let i = 0; i < 5; i++) { gc(); await turn(); }
    const base = memory().tensors;
    const disposed = await run(true);
    const collected = await run(false);
    expect(disposed).toBeGreaterThan(base); // the accumulator's own records
    expect(collected).toBe(disposed);
  });
});

describe('forward mode and addition stay consistent', () => {
  it('jvp of a sum of two accumulated values', () => {
    const x = scalar(2);
    const acc = new ForwardAccumulator(x, scalar(3));
    const y = acc.record(() => add(mul(x, x), sin(x)));
    expectClose(acc.jvp(y)!.item(), 3 * (4 + Math.cos(2)), { rtol: 1e-5 });
  });
});
