// TensorFlow's GradientTape semantics (shared/TAPE_SEMANTICS.md), each with exact values taken from
// the semantics and TF's autodiff guides.
import { describe, it, expect, vi, afterEach } from 'vitest';
import {
  tape, GradientTape, tensor, scalar, variable, Variable, Tensor, stopGradient, customGradient,
  grad, valueAndGrad, ForwardAccumulator, mul, add, sub, sum, square, exp, sin, cos, where, greater, cast, reshape, matmul, memory, tidy, keep,
} from './api.js';

afterEach(() => vi.restoreAllMocks());
const val = (t: Tensor | null) => t === null ? null : t.toArray();

describe('recording', () => {
  it('records only ops whose inputs are watched: an unwatched constant gets null', () => {
    const x = scalar(3), c = scalar(5);
    const t = tape(t => { t.watch(x); return mul(x, c); });
    const [gx, gc] = t.gradient(t.result, [x, c]);
    expect(gx!.item()).toBe(5);
    expect(gc).toBeNull();
  });

  it('several tapes record at once, each with its own watch set', () => {
    const x = scalar(2), y = scalar(3);
    const t1 = new GradientTape(), t2 = new GradientTape();
    t1.record(() => t2.record(() => {
      t1.watch(x);
      t2.watch(y);
      return null;
    }));
    let z!: Tensor;
    t1.record(() => t2.record(() => { z = mul(x, y); }));
    expect(t1.gradient(z, [x, y]).map(val)).toEqual([3, null]);
    expect(t2.gradient(z, [x, y]).map(val)).toEqual([null, 2]);
  });

  it('watch throws naming the type of a non-tensor', () => {
    const t = new GradientTape();
    expect(() => t.watch('abc' as never)).toThrow(/string/);
    expect(() => t.watch([scalar(1), { a: 42 }] as never)).toThrow(/number/);
    expect(() => t.watch(new Map() as never)).toThrow(/Map/);
    t.dispose();
  });

  it('watching an int32 tensor only warns, and its gradient is null', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const i = tensor([1, 2], undefined, 'int32');
    const t = tape(t => { t.watch(i); return cast(i, 'float32').mul(2).sum(); });
    expect(warn.mock.calls.some(c => String(c[0]).includes('The dtype of the watched tensor must be floating (e.g. float32), got int32'))).toBe(true);
    expect(t.gradient(t.result, i)).toBeNull();
  });

  it('watching after use does not record earlier ops', () => {
    const x = scalar(3);
    const t = tape(t => {
      const y = mul(x, x); // x not watched yet
      t.watch(x);
      return add(y, mul(x, 2));
    });
    expect(t.gradient(t.result, x)!.item()).toBe(2);
  });

  it('trainable variables are watched when read, also when created inside; others are not', () => {
    const v = variable(2);
    const fixed = variable(3, { trainable: false });
    const plus = v.add(1); // a tensor, not a variable
    let inner!: Variable;
    const t = tape(() => {
      inner = variable(4);
      return add(add(mul(v, v), mul(fixed, plus)), mul(inner, 10));
    });
    const [gv, gf, gp, gi] = t.gradient(t.result, [v, fixed, plus, inner]);
    expect(gv!.item()).toBe(4);
    expect(gf).toBeNull();
    expect(gp).toBeNull();
    expect(gi!.item()).toBe(10);
  });

  it('watchAccessedVariables: false watches nothing automatically', () => {
    const v = variable(2);
    const t = tape(() => mul(v, v), { watchAccessedVariables: false });
    expect(t.gradient(t.result, v)).toBeNull();
    const t2 = tape(t => { t.watch(v); return mul(v, v); }, { watchAccessedVariables: false });
    expect(t2.gradient(t2.result, v)!.item()).toBe(4);
  });

  it('assigning to a variable cuts the gradient through it', () => {
    const v = variable(1);
    const x = scalar(3);
    const t = tape(t => {
      t.watch(x);
      v.assign(mul(x, 2));
      return mul(v, 1);
    });
    expect(t.gradient(t.result, x)).toBeNull();
    expect(v.item()).toBe(6);
    v.assignAdd(1); expect(v.item()).toBe(7);
    v.assignSub(3); expect(v.item()).toBe(4);
  });

  it('watchedVariables lists variables in creation order, after a used tape too, and after reset only new ones', () => {
    const a = variable(1), b = variable(2), c = variable(3);
    const t = new GradientTape();
    t.record(t => {
      const y = add(mul(c, b), a);
      expect(t.watchedVariables()).toEqual([a, b, c]);
      t.reset();
      expect(t.watchedVariables()).toEqual([]);
      return add(y, mul(b, 1));
    });
    expect(t.watchedVariables()).toEqual([b]);
    t.gradient(t.result, b);
    expect(t.watchedVariables()).toEqual([b]);
  });

  it('stopRecording: ops inside are not recorded; values recorded before stay differentiable', () => {
    const x = scalar(2);
    const t = tape(t => {
      t.watch(x);
      const y = mul(x, x);
      const z = t.stopRecording(() => mul(y, y));
      return add(y, z);
    });
    expect(t.gradient(t.result, x)!.item()).toBe(4);
    expect(() => t.stopRecording(() => 1)).toThrow('Trying to stop recording a tape which is not recording.');
  });

  it('reset forgets everything while recording; otherwise "Tape is not recording."', () => {
    const x = scalar(3);
    const t = tape(t => {
      t.watch(x);
      mul(x, x);
      t.reset();
      t.watch(x);
      return mul(x, 5);
    }, { persistent: true });
    expect(t.gradient(t.result, x)!.item()).toBe(5);
    expect(() => t.reset()).toThrow('Tape is not recording.');
    t.dispose();
  });

  it('re-entering a recording tape throws; record() later appends', () => {
    const x = scalar(2);
    const t = new GradientTape({ persistent: true });
    let y!: Tensor;
    t.record(t => { t.watch(x); y = mul(x, x); expect(() => t.record(() => 1)).toThrow('Tape is still recording'); });
    let z!: Tensor;
    t.record(() => { z = mul(y, x); }); // appended: z = x^3
    expect(t.gradient(z, x)!.item()).toBe(12);
    t.dispose();
  });

  it('an exception inside the callback propagates and leaves no tape recording', () => {
    const x = scalar(2);
    const t = new GradientTape();
    expect(() => t.record(t => { t.watch(x); throw new Error('boom'); })).toThrow('boom');
    const t2 = tape(t2 => { t2.watch(x); return mul(x, x); });
    // t stopped recording: the op above was not recorded on it
    expect(t.gradient(t2.result, x)).toBeNull();
    expect(t2.gradient(t2.result, x)!.item()).toBe(4);
  });

  it('an async callback is a TypeError', () => {
    expect(() => tape(async () => 1)).toThrow(TypeError);
    const x = scalar(1);
    const t = tape(t => { t.watch(x); return mul(x, 3); }); // nothing left recording
    expect(t.gradient(t.result, x)!.item()).toBe(3);
  });

  it('control flow: only the branch taken is recorded', () => {
    const g = (v: number) => {
      const x = scalar(v);
      const t = tape(t => { t.watch(x); return v > 0 ? mul(x, x) : sin(x); });
      return t.gradient(t.result, x)!.item();
    };
    expect(g(3)).toBe(6);
    expect(g(-1)).toBeCloseTo(Math.cos(-1), 6);
  });
});

describe('gradient', () => {
  it('several targets: the gradient of their sum (arrays and objects)', () => {
    const x = scalar(3);
    const t = tape(t => { t.watch(x); return { a: mul(x, x), b: mul(x, 4) }; }, { persistent: true });
    expect(t.gradient([t.result.a, t.result.b], x)!.item()).toBe(10);
    expect(t.gradient(t.result, x)!.item()).toBe(10);
    t.dispose();
  });

  it('a non-scalar target is seeded with ones; outputGradients gives a vector-Jacobian product', () => {
    const x = tensor([1, 2, 3]);
    const t = tape(t => { t.watch(x); return mul(x, x); }, { persistent: true });
    expect(val(t.gradient(t.result, x))).toEqual([2, 4, 6]);
    expect(val(t.gradient(t.result, x, { outputGradients: tensor([1, 0, -1]) }))).toEqual([2, 0, -6]);
    const y = t.result;
    expect(val(t.gradient([y, y], x, { outputGradients: [null, tensor([1, 1, 0])] }))).toEqual([4, 8, 6]);
    t.dispose();
  });

  it('sources may be intermediate values', () => {
    const x = scalar(2);
    const t = tape(t => { t.watch(x); const y = mul(x, 3); return { y, z: square(y) }; }, { persistent: true });
    expect(t.gradient(t.result.z, t.result.y)!.item()).toBe(12);
    expect(t.gradient(t.result.z, x)!.item()).toBe(36);
    t.dispose();
  });

  it('a target that is also a source adds its seed: gradient([x, x*x], x) at 2 is 5; y = x gives 1', () => {
    const x = scalar(2);
    const t = tape(t => { t.watch(x); return mul(x, x); }, { persistent: true });
    expect(t.gradient([x, t.result], x)!.item()).toBe(5);
    expect(t.gradient(x, x)!.item()).toBe(1);
    t.dispose();
  });

  it('repeated sources each receive the full gradient; the result mirrors any nesting', () => {
    const x = scalar(2), y = scalar(5);
    const t = tape(t => { t.watch([x, y]); return mul(x, y); }, { persistent: true });
    const g = t.gradient(t.result, { a: x, list: [y, x, { deep: y }] });
    expect(g.a!.item()).toBe(5);
    expect((g.list[0] as Tensor).item()).toBe(2);
    expect((g.list[1] as Tensor).item()).toBe(5);
    expect((g.list[2] as { deep: Tensor | null }).deep!.item()).toBe(2);
    expect(t.gradient(t.result, x)).toBeInstanceOf(Tensor);
    t.dispose();
  });

  it('unconnected sources: null, zeros under "zero", and the TF error for anything else', () => {
    const x = scalar(2), u = tensor([[1, 2]]);
    const t = tape(t => { t.watch([x, u]); return mul(x, x); }, { persistent: true });
    expect(t.gradient(t.result, u)).toBeNull();
    const z = t.gradient(t.result, u, { unconnectedGradients: 'zero' })!;
    expect(z.shape).toEqual([1, 2]);
    expect(z.toArray()).toEqual([[0, 0]]);
    expect(() => t.gradient(t.result, u, { unconnectedGradients: 'nope' as never })).toThrow("Unknown value for unconnected_gradients: 'nope'");
    t.dispose();
  });

  it('a missing target is a TypeError', () => {
    const x = scalar(1);
    const t = tape(t => { t.watch(x); return mul(x, x); });
    expect(() => t.gradient(null, x)).toThrow(TypeError);
    expect(() => t.gradient(undefined, x)).toThrow(TypeError);
  });

  it('a non-persistent tape computes one set of gradients', () => {
    const x = scalar(3);
    const t = tape(t => { t.watch(x); return mul(x, x); });
    expect(t.gradient(t.result, x)!.item()).toBe(6);
    expect(() => t.gradient(t.result, x)).toThrow('A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)');
    expect(() => t.jacobian(t.result, x)).toThrow('A non-persistent GradientTape can only be used to compute one set of gradients');
  });

  it('gradient inside the callback: a non-persistent tape stops recording', () => {
    const x = scalar(3);
    let after!: Tensor;
    const t = tape(t => {
      t.watch(x);
      const y = mul(x, x);
      const g = t.gradient(y, x)!;
      after = mul(y, 2); // not recorded any more
      expect(() => t.stopRecording(() => 0)).toThrow('Trying to stop recording a tape which is not recording.');
      return g;
    });
    expect(t.result.item()).toBe(6);
    expect(after.item()).toBe(18);
  });

  it('third derivatives of x³ from one persistent tape: 27, 18, 6 (and a warning once)', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const x = scalar(3);
    const t = tape(t => {
      t.watch(x);
      const y = mul(mul(x, x), x);
      const dy = t.gradient(y, x)!;
      const d2y = t.gradient(dy, x)!;
      return { dy, d2y };
    }, { persistent: true });
    const d3y = t.gradient(t.result.d2y, x)!;
    expect([t.result.dy.item(), t.result.d2y.item(), d3y.item()]).toEqual([27, 18, 6]);
    expect(warn.mock.calls.length).toBeLessThanOrEqual(1);
    t.dispose();
  });

  it('gradients from several consumers of one tensor are summed', () => {
    const x = scalar(2);
    const t = tape(t => { t.watch(x); const y = mul(x, x); return add(add(sin(y), y), mul(y, 3)); });
    expect(t.gradient(t.result, x)!.item()).toBeCloseTo((Math.cos(4) + 1 + 3) * 4, 5);
  });

  it('nested tapes: the outer tape records the inner gradient (second derivatives)', () => {
    const x = scalar(1.5);
    const outer = tape(o => {
      o.watch(x);
      const inner = tape(i => { i.watch(x); return exp(sin(x)); });
      return inner.gradient(inner.result, x)!; // cos(x) e^{sin x}
    });
    const d2 = outer.gradient(outer.result, x)!.item() as number;
    const s = Math.sin(1.5), c = Math.cos(1.5);
    expect(d2).toBeCloseTo((c * c - s) * Math.exp(s), 5);
  });

  it('watching is per tape: the outer tape does not see what only the inner watches', () => {
    const x = scalar(2);
    const outer = new GradientTape();
    let inner!: GradientTape<Tensor>;
    outer.record(() => { inner = tape(i => { i.watch(x); return mul(x, x); }); });
    expect(outer.gradient(inner.result, x)).toBeNull();
    expect(inner.gradient(inner.result, x)!.item()).toBe(4);
  });
});

describe('jacobian and batchJacobian', () => {
  it('jacobian has shape target ++ source', () => {
    const x = tensor([1, 2, 3]);
    const w = tensor([[1, 2], [3, 4]]);
    const t = tape(t => { t.watch([x, w]); return { y: mul(x, x), m: matmul(w, w) }; }, { persistent: true });
    const jx = t.jacobian(t.result.y, x)!;
    expect(jx.shape).toEqual([3, 3]);
    expect(jx.toArray()).toEqual([[2, 0, 0], [0, 4, 0], [0, 0, 6]]);
    const [jw, jx2] = t.jacobian(t.result.m, [w, x]);
    expect(jw!.shape).toEqual([2, 2, 2, 2]);
    // d(W W)[i,j] / dW[k,l] = δik W[l,j] + W[i,k] δjl
    const W = [[1, 2], [3, 4]], J = jw!.toArray() as number[][][][];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 2; k++) for (let l = 0; l < 2; l++)
      expect(J[i][j][k][l]).toBe((i === k ? W[l][j] : 0) + (j === l ? W[i][k] : 0));
    expect(jx2).toBeNull();
    const z = t.jacobian(t.result.m, x, { unconnectedGradients: 'zero' })!;
    expect(z.shape).toEqual([2, 2, 3]);
    expect(Array.from(z.data())).toEqual(new Array(12).fill(0));
    t.dispose();
  });

  it('batchJacobian has shape [b, target[1:], source[1:]] and checks its inputs', () => {
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    const w = tensor([[1, 0, 2], [0, 1, 3]]);
    const t = tape(t => { t.watch(x); return matmul(square(x), w); }, { persistent: true });
    const bj = t.batchJacobian(t.result, x);
    expect(bj.shape).toEqual([3, 3, 2]);
    const X = x.toArray() as number[][], Wv = w.toArray() as number[][];
    const B = bj.toArray() as number[][][];
    for (let b = 0; b < 3; b++) for (let j = 0; j < 3; j++) for (let k = 0; k < 2; k++) expect(B[b][j][k]).toBe(2 * X[b][k] * Wv[k][j]);
    expect(() => t.batchJacobian(sum(t.result), x)).toThrow(/rank at least 2/);
    const other = tensor([[1, 2]]);
    expect(() => t.batchJacobian(t.result, other)).toThrow('Need first dimension of target shape (3) and source shape (1) to match.');
    const u = tensor([[1], [2], [3]]);
    const zeroJ = t.batchJacobian(t.result, u);
    expect(zeroJ.shape).toEqual([3, 3, 1]);
    expect(Array.from(zeroJ.data()).every(v => v === 0)).toBe(true);
    t.dispose();
  });
});

describe('stopGradient and customGradient', () => {
  it('stopGradient is identity forward and blocks the gradient', () => {
    const x = scalar(3);
    const t = tape(t => { t.watch(x); const s = stopGradient(mul(x, x)); return { s, y: add(mul(s, x), x) }; }, { persistent: true });
    expect(t.result.s.item()).toBe(9);
    expect(t.gradient(t.result.y, x)!.item()).toBe(10);
    expect(t.gradient(t.result.s, x)).toBeNull();
    expect(t.gradient(t.result.s, x, { unconnectedGradients: 'zero' })!.item()).toBe(0);
    t.dispose();
  });

  it('the custom grad replaces the derivative (TF docs: clip the gradient)', () => {
    const clipGradient = customGradient((x: Tensor) => ({
      value: mul(x, 1),
      grad: (dy: Tensor) => mul(dy, 0.5),
    }));
    const x = tensor([1, 2]);
    const t = tape(t => { t.watch(x); return sum(mul(clipGradient(mul(x, x)), 3)); });
    expect(val(t.gradient(t.result, x))).toEqual([3, 6]); // 3 * 0.5 * 2x
  });

  it('numerically stable log1pexp from the TF guide', () => {
    const log1pexp = customGradient((x: Tensor) => {
      const e = exp(x);
      return { value: exp(x).add(1).log(), grad: (dy: Tensor) => mul(dy, sub(1, mul(1, exp(x).add(1).reciprocal()))) };
    });
    const x = scalar(100);
    const t = tape(t => { t.watch(x); return log1pexp(x); });
    expect(t.gradient(t.result, x)!.item()).toBe(1);
  });

  it('a wrong number of gradients or an exception in grad is a clear error', () => {
    const two = customGradient((a: Tensor, b: Tensor) => ({ value: mul(a, b), grad: (dy: Tensor) => [dy] as never }));
    const a = scalar(1), b = scalar(2);
    const t = tape(t => { t.watch([a, b]); return two(a, b); });
    expect(() => t.gradient(t.result, [a, b])).toThrow('customGradient: the gradient function returned 1 gradient(s) but the function has 2 input(s)');
    const bad = customGradient((x: Tensor) => ({ value: mul(x, 2), grad: () => { throw new Error('grad failed'); } }));
    const before = memory().tensors;
    const t2 = tape(t => { t.watch(a); return bad(a); });
    expect(() => t2.gradient(t2.result, a)).toThrow('grad failed');
    t2.result.dispose();
    expect(memory().tensors).toBe(before);
    // the library keeps working
    const t3 = tape(t => { t.watch(a); return mul(a, 7); });
    expect(t3.gradient(t3.result, a)!.item()).toBe(7);
  });

  it('an outer tape records what grad computes: custom second derivatives', () => {
    const cube = customGradient((x: Tensor) => ({ value: mul(mul(x, x), x), grad: (dy: Tensor) => mul(dy, mul(mul(x, x), 3)) }));
    const x = scalar(2);
    const outer = tape(o => {
      o.watch(x);
      const inner = tape(i => { i.watch(x); return cube(x); });
      return inner.gradient(inner.result, x)!;
    });
    expect(outer.result.item()).toBe(12);
    expect(outer.gradient(outer.result, x)!.item()).toBe(12);
  });
});

describe('grad and valueAndGrad', () => {
  it('grad of a one-argument function returns one tensor', () => {
    const dsin = grad((x: Tensor) => sin(x));
    expect((dsin(0.5) as Tensor).item()).toBeCloseTo(Math.cos(0.5), 6);
  });
  it('several arguments give an array; valueAndGrad gives the value too', () => {
    const f = (x: Tensor, y: Tensor) => sum(mul(x, y));
    const [gx, gy] = grad(f)([1, 2], [3, 4]) as Tensor[];
    expect(gx.toArray()).toEqual([3, 4]);
    expect(gy.toArray()).toEqual([1, 2]);
    const { value, grads } = valueAndGrad(f)([1, 2], [3, 4]);
    expect(value.item()).toBe(11);
    expect((grads as Tensor[]).map(g => g.toArray())).toEqual([[3, 4], [1, 2]]);
  });
});

describe('ForwardAccumulator', () => {
  it('jvp gives the directional derivative; null or zeros when unconnected', () => {
    const x = tensor([1, 2]), other = scalar(3);
    const acc = new ForwardAccumulator(x, tensor([1, 0.5]));
    const { y, z } = acc.record(() => ({ y: mul(x, x), z: mul(other, 2) }));
    expect(val(acc.jvp(y))).toEqual([2, 2]);
    expect(acc.jvp(z)).toBeNull();
    expect(acc.jvp(z, { unconnectedGradients: 'zero' })!.item()).toBe(0);
    expect(val(acc.jvp(x))).toEqual([1, 0.5]);
  });

  it('an accumulator made inside a tidy keeps working after it (its tape is not the tidy\'s)', () => {
    const x = scalar(3);
    let acc!: ForwardAccumulator;
    tidy(() => { acc = new ForwardAccumulator(x, scalar(1)); });
    const y = acc.record(() => mul(x, x));
    expect(acc.jvp(y)!.item()).toBe(6);
    acc.dispose();
  });

  it('several primals (TF guide: jvp of x * y)', () => {
    const x = scalar(2), y = scalar(3);
    const acc = new ForwardAccumulator([x, y], [scalar(1), scalar(10)]);
    const p = acc.record(() => mul(x, y));
    expect(acc.jvp(p)!.item()).toBe(3 * 1 + 2 * 10);
  });

  it('a primal given twice throws; re-entering while recording throws', () => {
    const x = scalar(1);
    expect(() => new ForwardAccumulator([x, x], [scalar(1), scalar(1)])).toThrow(/specified as a primal multiple times/);
    const acc = new ForwardAccumulator(x, scalar(1));
    acc.record(() => expect(() => acc.record(() => 1)).toThrow('Accumulator is already recording.'));
  });

  it('nested accumulators give higher-order JVPs', () => {
    const x = scalar(0.7);
    const outer = new ForwardAccumulator(x, scalar(1));
    const d2 = outer.record(() => {
      const inner = new ForwardAccumulator(x, scalar(1));
      const y = inner.record(() => sin(mul(x, x)));
      return inner.jvp(y)!; // 2x cos(x²)
    });
    const v = 0.7;
    expect(d2.item()).toBeCloseTo(2 * v * Math.cos(v * v), 5);
    expect(outer.jvp(d2)!.item()).toBeCloseTo(2 * Math.cos(v * v) - 4 * v * v * Math.sin(v * v), 4);
  });

  it('forward-over-back gives Hessian-vector products', () => {
    const x = tensor([1, 2]);
    const v = tensor([1, -1]);
    const acc = new ForwardAccumulator(x, v);
    const g = acc.record(() => {
      const t = tape(t => { t.watch(x); return sum(mul(mul(x, x), x)); }); // sum x³
      return t.gradient(t.result, x)!; // 3x²
    });
    expect(val(g)).toEqual([3, 12]);
    expect(val(acc.jvp(g))).toEqual([6, -12]); // H v = diag(6x) v
  });
});

describe('tidy and memory', () => {
  it('tidy frees everything created inside except the result', () => {
    const before = memory().tensors;
    const kept = tidy(() => {
      const x = tensor([1, 2, 3]);
      const t = tape(t => { t.watch(x); return sum(square(x)); });
      return t.gradient(t.result, x)!;
    });
    expect(kept.toArray()).toEqual([2, 4, 6]);
    expect(memory().tensors).toBe(before + 1);
    kept.dispose();
    expect(memory().tensors).toBe(before);
  });
  it('tidy frees the tapes made inside it: a loop may create any number of tapes without gradient()', () => {
    const x = scalar(3);
    const before = memory().tensors;
    for (let i = 0; i < 100; i++) {
      tidy(() => { tape(t => { t.watch(x); return mul(x, x); }, { persistent: i % 2 === 0 }); });
    }
    expect(memory().tensors).toBe(before); // the tapes' records released their tensors
    // and their slots: 40 more tapes alive at once still fit (the core has 32 slots)
    const alive = tidy(() => Array.from({ length: 20 }, () => tape(t => { t.watch(x); return mul(x, x); }, { persistent: true })));
    for (const t of alive) expect(t.gradient(t.result, x)!.item()).toBe(6); // returned: still usable
    for (const t of alive) t.dispose();
  });
  it('a tape returned from or kept in a tidy stays usable; one made outside is not owned by a later tidy', () => {
    const x = scalar(2);
    let inner!: GradientTape<Tensor>;
    tidy(() => { inner = keep(tape(t => { t.watch(x); return keep(mul(mul(x, x), x)); })); });
    expect(inner.gradient(inner.result, x)!.item()).toBe(12);
    const outside = new GradientTape({ persistent: true });
    const y = tidy(() => outside.record(t => { t.watch(x); return mul(x, 5); }).result);
    expect(outside.gradient(y, x)!.item()).toBe(5);
    outside.dispose();
  });
  it('tidy frees its tapes when fn throws', () => {
    const x = scalar(2);
    const before = memory().tensors;
    let made!: GradientTape;
    expect(() => tidy(() => { made = tape(t => { t.watch(x); return mul(x, x); }, { persistent: true }); throw new Error('boom'); })).toThrow('boom');
    expect(() => made.gradient(made.result as Tensor, x)).toThrow(/disposed/);
    expect(memory().tensors).toBe(before);
  });
  it('a slot reused after a tape is freed starts with no watched tensors', () => {
    const x = scalar(3);
    for (let i = 0; i < 40; i++) {
      const a = tape(t => { t.watch(x); return mul(x, x); }); // watches x, then frees its slot
      a.gradient(a.result, x);
      const b = tape(() => mul(x, x)); // same slot, nothing watched: x must not count as watched
      expect(b.gradient(b.result, x)).toBeNull();
    }
  });
  it('using a disposed tensor throws an error naming the problem', () => {
    const x = tensor([1]);
    x.dispose();
    expect(x.isDisposed).toBe(true);
    expect(() => mul(x, 2)).toThrow(/disposed/);
    expect(() => x.data()).toThrow(/disposed/);
  });
});

describe('variables across assignments', () => {
  it('a read before assign keeps its gradient; the assigned value is cut (as TF differentiates through reads)', () => {
    const v = variable(2);
    const x = scalar(3);
    const t = tape(t => {
      t.watch(x);
      const y = mul(v, v);          // read of v = 2
      v.assign(mul(x, 5));          // cuts: no gradient to x through v
      return add(y, mul(v, 10));    // read of v = 15
    });
    const [gv, gx] = t.gradient(t.result, [v, x]);
    expect(gv!.item()).toBe(2 * 2 + 10);
    expect(gx).toBeNull();
    expect(v.item()).toBe(15);
  });
});
