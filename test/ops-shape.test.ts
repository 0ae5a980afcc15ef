// The slicing family beyond what the OPS-table harness drives: every output of split/unstack,
// derivatives of order 2 and 3 through each backward rule (whose own backward is another kernel of
// the family), int32/bool and zero-size tensors, validation errors, and memory.
import { describe, it, expect } from 'vitest';
import * as api from './api.js';
import {
  tape, tensor, scalar, Tensor, tidy, memory, sin, mul, sum, cast,
  slice, pad, concat, stack, unstack, split, gather, tile, oneHot, eye, range, linspace, dot, norm,
} from '../src/index.js';
import { reference } from './support/reference.js';
import { type ND, uniform, mapND } from './support/nd.js';
import { numericGrad, numericSecondOrder, expectClose } from './support/gradcheck.js';

const T = (x: ND): Tensor => tensor(Float32Array.from(x.data), x.shape);
const asND = (t: Tensor): ND => ({ shape: t.shape, data: Float64Array.from(t.data() as ArrayLike<number>) });
const sinND = (x: ND): ND => mapND(x, Math.sin);
let seed = 100;

// ---- multi-output ops: all outputs at once ----
const multi: { label: string; shape: number[]; fn: (x: Tensor) => Tensor[]; ref: (x: ND) => ND[] }[] = [
  { label: 'unstack(x)', shape: [3, 2], fn: x => unstack(x), ref: x => reference.unstack(x) },
  { label: 'unstack(x, 1)', shape: [2, 3, 2], fn: x => unstack(x, 1), ref: x => reference.unstack(x, 1) },
  { label: 'unstack(x, -1)', shape: [2, 4], fn: x => x.unstack(-1), ref: x => reference.unstack(x, -1) },
  { label: 'split(x, 3)', shape: [6, 2], fn: x => split(x, 3), ref: x => reference.split(x, 3) },
  { label: 'split(x, [2, -1, 0, 1], -1)', shape: [3, 7], fn: x => x.split([2, -1, 0, 1], -1), ref: x => reference.split(x, [2, -1, 0, 1], -1) },
  { label: 'split(x, [1, 2], 1)', shape: [2, 3, 2], fn: x => split(x, [1, 2], 1), ref: x => reference.split(x, [1, 2], 1) },
];

describe.each(multi.map(c => [c.label, c] as const))('%s', (_label, c) => {
  it('forward matches the reference, every output', () => tidy(() => {
    const x = uniform(c.shape, -2, 2, seed++);
    const outs = c.fn(T(x)), want = c.ref(x);
    expect(outs.length).toBe(want.length);
    outs.forEach((o, k) => { expect(o.shape).toEqual(want[k].shape); expectClose(o.data() as Float32Array, want[k].data, {}, `${c.label} output ${k}`); });
  }));

  it('gradient of every output (weighted) matches finite differences', () => tidy(() => {
    const x = uniform(c.shape, -2, 2, seed++), xt = T(x);
    const t = tape(t => { t.watch(xt); return c.fn(xt); });
    const outs = t.result as Tensor[];
    const ws = outs.map(o => uniform(o.shape, -1, 1, seed++));
    const g = t.gradient(outs, xt, { outputGradients: ws.map(T) }) as Tensor;
    expectClose(g.data() as Float32Array, numericGrad(xs => c.ref(xs[0]), [x], ws)[0].data, { rtol: 5e-3, atol: 5e-4 }, c.label);
  }));

  it('second order through sin (nested tapes) matches finite differences', () => tidy(() => {
    const x = uniform(c.shape, -2, 2, seed++), xt = T(x);
    let ws: ND[] = [];
    const outer = tape(o => {
      o.watch(xt);
      const inner = tape(i => { i.watch(xt); return c.fn(xt).map(y => sin(y)); });
      const ys = inner.result as Tensor[];
      ws = ys.map(y => uniform(y.shape, -1, 1, seed++));
      return inner.gradient(ys, xt, { outputGradients: ws.map(T) }) as Tensor;
    });
    const v = uniform(c.shape, -1, 1, seed++);
    const h = outer.gradient(outer.result as Tensor, xt, { outputGradients: T(v) }) as Tensor;
    const want = numericSecondOrder(xs => c.ref(xs[0]).map(sinND), [x], [v], ws)[0];
    expectClose(h.data() as Float32Array, want.data, { rtol: 2e-2, atol: 2e-3 }, c.label);
  }));
});

// ---- single-output linear ops: derivatives of order 2 and 3 go through the backward of each backward ----
const idx = (values: number[], shape: number[]) => tensor(values, shape, 'int32');
const linear: { label: string; shape: number[]; fn: (x: Tensor) => Tensor; ref: (x: ND) => ND }[] = [
  { label: 'slice', shape: [4, 5], fn: x => slice(x, [1, 2], [2, -1]), ref: x => reference.slice(x, [1, 2], [2, -1]) },
  { label: 'slice (number begin)', shape: [4, 3], fn: x => x.slice(1, 2), ref: x => reference.slice(x, 1, 2) },
  { label: 'pad', shape: [2, 3], fn: x => pad(x, [[1, 2], [0, 1]], 0.5), ref: x => reference.pad(x, [[1, 2], [0, 1]], 0.5) },
  { label: 'concat [x, x]', shape: [2, 3], fn: x => concat([x, x], 1), ref: x => reference.concat([x, x], 1) },
  { label: 'concat [x, sin x, x]', shape: [2, 2], fn: x => concat([x, sin(x), x], 0), ref: x => reference.concat([x, sinND(x), x], 0) },
  { label: 'stack', shape: [3, 2], fn: x => stack([x, x], 1), ref: x => reference.stack([x, x], 1) },
  // split and unstack are one record whose gradient joins the parts' (zeros for the unused ones)
  { label: 'split, one part used', shape: [2, 5], fn: x => split(x, [1, 3, 1], 1)[1], ref: x => reference.split(x, [1, 3, 1], 1)[1] },
  { label: 'unstack, two parts restacked in reverse', shape: [2, 4, 2], fn: x => { const p = unstack(x, 1); return stack([p[3], p[1]], 0); },
    ref: x => { const p = reference.unstack(x, 1); return reference.stack([p[3], p[1]], 0); } },
  { label: 'gather (duplicates)', shape: [4, 3], fn: x => gather(x, idx([3, 0, 3, 1], [2, 2])), ref: x => reference.gather(x, [[3, 0], [3, 1]]) },
  { label: 'gather axis 1', shape: [2, 4, 2], fn: x => x.gather([2, 2, 0], 1), ref: x => reference.gather(x, [2, 2, 0], 1) },
  { label: 'tile', shape: [2, 3], fn: x => tile(x, [3, 2]), ref: x => reference.tile(x, [3, 2]) },
  { label: 'tile rank 5', shape: [2, 1, 2, 1, 2], fn: x => x.tile([2, 2, 1, 3, 2]), ref: x => reference.tile(x, [2, 2, 1, 3, 2]) },
  { label: 'slice of pad of gather', shape: [3, 4], fn: x => slice(pad(gather(x, [2, 0], 1), [[1, 1], [2, 0]]), [1, 1], [3, 3]),
    ref: x => reference.slice(reference.pad(reference.gather(x, [2, 0], 1), [[1, 1], [2, 0]]), [1, 1], [3, 3]) },
];
const sumAll = (y: ND): ND => ({ shape: [], data: Float64Array.of(y.data.reduce((a, b) => a + b, 0)) });

describe.each(linear.map(c => [c.label, c] as const))('%s', (_label, c) => {
  it('second order through sin (nested tapes) matches finite differences', () => tidy(() => {
    const x = uniform(c.shape, -2, 2, seed++), xt = T(x);
    let w!: ND;
    const outer = tape(o => {
      o.watch(xt);
      const inner = tape(i => { i.watch(xt); return sin(c.fn(xt)); });
      const y = inner.result as Tensor;
      expectClose(y.data() as Float32Array, sinND(c.ref(x)).data, {}, `${c.label} forward`);
      w = uniform(y.shape, -1, 1, seed++);
      return inner.gradient(y, xt, { outputGradients: T(w) }) as Tensor;
    });
    const g = outer.result as Tensor;
    expectClose(g.data() as Float32Array, numericGrad(xs => sinND(c.ref(xs[0])), [x], w)[0].data, { rtol: 5e-3, atol: 5e-4 }, `${c.label} first order`);
    const v = uniform(c.shape, -1, 1, seed++);
    const h = outer.gradient(g, xt, { outputGradients: T(v) }) as Tensor;
    expectClose(h.data() as Float32Array, numericSecondOrder(xs => sinND(c.ref(xs[0])), [x], [v], w)[0].data, { rtol: 2e-2, atol: 2e-3 }, `${c.label} second order`);
  }));

  it('third order from one persistent tape (sum of cubes)', () => tidy(() => {
    const x = uniform(c.shape, -2, 2, seed++), xt = T(x);
    const t = tape(t => {
      t.watch(xt);
      const y = c.fn(xt);
      const g1 = t.gradient(sum(mul(mul(y, y), y)), xt) as Tensor;
      const g2 = t.gradient(g1, xt) as Tensor;
      return { g1, g2 };
    }, { persistent: true });
    const g3 = t.gradient(t.result.g2, xt) as Tensor;
    t.dispose();
    // L = Σ y³ with y a selection of x: ∇L = ∇Σy³, ∇Σ∇L = ∇Σ3y², ∇Σ∇Σ∇L = ∇Σ6y
    const nonlinear = c.label.includes('sin');
    const want = (f: (y: ND) => ND) => numericGrad(xs => sumAll(f(c.ref(xs[0]))), [x])[0].data;
    expectClose(t.result.g1.data() as Float32Array, want(y => mapND(y, v => v ** 3)), { rtol: 5e-3, atol: 5e-4 }, `${c.label} g1`);
    if (nonlinear) return; // the identities below hold for selections only
    expectClose(t.result.g2.data() as Float32Array, want(y => mapND(y, v => 3 * v * v)), { rtol: 5e-3, atol: 5e-4 }, `${c.label} g2`);
    expectClose(g3.data() as Float32Array, want(y => mapND(y, v => 6 * v)), { rtol: 5e-3, atol: 5e-4 }, `${c.label} g3`);
  }));
});

// ---- dtypes, zero sizes, creation ----
describe('int32 and bool tensors', () => {
  it('slice, pad, concat, stack, split, gather, tile keep the dtype', () => tidy(() => {
    const i = tensor([[1, 2, 3], [4, 5, 6]], undefined, 'int32');
    const b = tensor([[true, false], [false, true]]);
    expect(slice(i, [0, 1], [2, 2]).toArray()).toEqual([[2, 3], [5, 6]]);
    expect(slice(i, [0, 1], [2, 2]).dtype).toBe('int32');
    expect(pad(i, [[0, 1], [1, 0]], 9).toArray()).toEqual([[9, 1, 2, 3], [9, 4, 5, 6], [9, 9, 9, 9]]);
    expect(pad(b, [[1, 0], [0, 0]], true).toArray()).toEqual([[true, true], [true, false], [false, true]]);
    expect(concat([i, i], 0).toArray()).toEqual([[1, 2, 3], [4, 5, 6], [1, 2, 3], [4, 5, 6]]);
    expect(concat([b, b], 1).toArray()).toEqual([[true, false, true, false], [false, true, false, true]]);
    expect(stack([b, b], 2).shape).toEqual([2, 2, 2]);
    expect(split(i, [1, 2], 1).map(t => t.toArray())).toEqual([[[1], [4]], [[2, 3], [5, 6]]]);
    expect(gather(i, [2, 0], 1).toArray()).toEqual([[3, 1], [6, 4]]);
    expect(gather(b, [1, 1]).toArray()).toEqual([[false, true], [false, true]]);
    expect(tile(i, [1, 2]).toArray()).toEqual([[1, 2, 3, 1, 2, 3], [4, 5, 6, 4, 5, 6]]);
    expect(tile(b, [2, 1]).dtype).toBe('bool');
    expect(unstack(i, 1).map(t => t.toArray())).toEqual([[1, 4], [2, 5], [3, 6]]);
  }));
  it('integer results carry no gradient', () => tidy(() => {
    const x = tensor([1.5, 2.5, 3.5]);
    const t = tape(t => { t.watch(x); return sum(cast(slice(cast(x, 'int32'), 1), 'float32')); });
    expect(t.gradient(t.result, x)).toBeNull();
  }));
});

describe('zero-size tensors', () => {
  it('forward and gradients', () => tidy(() => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const e = tensor(new Float32Array(0), [0, 3]);
    const t = tape(t => {
      t.watch([x, e]);
      return {
        s: slice(x, [1, 0], [0, 3]), c: concat([e, x, e], 0), r: tile(x, [0, 1]), g: gather(x, tensor([], [0], 'int32')),
        p: pad(tensor(new Float32Array(0), [0]), [[1, 2]], 7), q: sum(pad(e, [[1, 0], [0, 0]])), sp: split(x, [0, 2], 0)[0],
      };
    }, { persistent: true });
    const { s, c, r, g, p, sp } = t.result;
    expect(s.shape).toEqual([0, 3]); expect(r.shape).toEqual([0, 3]); expect(g.shape).toEqual([0, 3]); expect(sp.shape).toEqual([0, 3]);
    expect(c.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(p.toArray()).toEqual([7, 7, 7]);
    for (const y of [s, r, g, sp]) expect((t.gradient(y, x, { unconnectedGradients: 'zero' }) as Tensor).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect((t.gradient(c, x) as Tensor).toArray()).toEqual([[1, 1, 1], [1, 1, 1]]);
    expect((t.gradient(c, e) as Tensor).shape).toEqual([0, 3]);
    t.dispose();
  }));
  it('a rank-0 slice, pad and tile copy the scalar', () => tidy(() => {
    const x = scalar(3);
    expect(slice(x, []).item()).toBe(3);
    expect(pad(x, []).item()).toBe(3);
    expect(tile(x, []).item()).toBe(3);
    const t = tape(t => { t.watch(x); return mul(slice(x, [], []), tile(x, [])); });
    expect((t.gradient(t.result, x) as Tensor).item()).toBe(6);
  }));
});

describe('concat of many tensors', () => {
  it('2,100 inputs in one kernel call (the argument buffer grows as needed), gradients to each', () => tidy(() => {
    const xs = Array.from({ length: 2100 }, (_, i) => tensor([i, -i]).reshape([1, 2]));
    const t = tape(t => { t.watch(xs); return concat(xs, 0); });
    const y = t.result;
    expect(y.shape).toEqual([2100, 2]);
    expect(Array.from(y.data().slice(4000, 4004))).toEqual([2000, -2000, 2001, -2001]);
    const w = range(0, 4200).reshape([2100, 2]);
    const gs = t.gradient(y, [xs[0], xs[1234], xs[2099]], { outputGradients: w }) as Tensor[];
    expect(gs.map(g => g.toArray())).toEqual([[[0, 1]], [[2468, 2469]], [[4198, 4199]]]);
  }));
});

describe('creation ops', () => {
  it('tensor() takes every numeric typed array: floats as float32, integers as int32', () => tidy(() => {
    const f64 = api.tensor(new Float64Array([1.5, -2, 1e-3]), [3]);
    expect(f64.dtype).toBe('float32');
    expect(Array.from(f64.data())).toEqual(Array.from(new Float32Array([1.5, -2, 1e-3])));
    for (const T of [Int8Array, Int16Array, Uint16Array, Uint32Array, Uint8ClampedArray]) {
      const t = api.tensor(new T([1, 2, 3, 4]), [2, 2]);
      expect(t.dtype).toBe('int32');
      expect(t.toArray()).toEqual([[1, 2], [3, 4]]);
    }
    expect(api.tensor(new Float64Array([1, 2]), undefined, 'int32').toArray()).toEqual([1, 2]);
    expect(() => api.tensor(new Float64Array([0.5]), undefined, 'int32')).toThrow(/0.5 .*not an int32 value/);
    expect(() => api.tensor(new Uint32Array([2 ** 32 - 1]))).toThrow(/tensor/);
  }));

  it('eye, range, linspace', () => tidy(() => {
    expect(eye(2, 3).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
    expect(eye(0).shape).toEqual([0, 0]);
    const r = range(0, 6, 2, 'int32');
    expect(r.dtype).toBe('int32');
    expect(r.toArray()).toEqual([0, 2, 4]);
    expect(range(3).toArray()).toEqual([0, 1, 2]);
    expect(range(5, 5).shape).toEqual([0]);
    expect(range(1, 0, -0.5).toArray()).toEqual([1, 0.5]);
    expectClose(range(0, 1, 0.1).data() as Float32Array, reference.range(0, 1, 0.1).data);
    expect(linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(linspace(2, 9, 1).toArray()).toEqual([2]);
  }));
  it('oneHot: out-of-range indices give an all-off row; custom on/off values', () => tidy(() => {
    expect(oneHot([0, 2, -1, 3], 3).toArray()).toEqual([[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]]);
    expect(tensor([1], [1], 'int32').oneHot(2, 5, -1).toArray()).toEqual([[-1, 5]]);
    expect(oneHot(tensor([[0], [1]], undefined, 'int32'), 2).shape).toEqual([2, 1, 2]);
  }));
});

describe('dot and norm', () => {
  it('tfjs cases and methods', () => tidy(() => {
    const v = tensor([1, 2, 3]), m = tensor([[1, 0, 1], [2, 1, 0]]);
    expect(dot(v, v).item()).toBe(14);
    expect(m.dot(v).toArray()).toEqual([4, 4]);
    expect(tensor([1, 1]).dot(m).toArray()).toEqual([3, 1, 1]);
    expect(dot(m, m.transpose()).toArray()).toEqual([[2, 2], [2, 5]]);
    expect(tensor([3, 4]).norm().item()).toBe(5);
    expect(tensor([[3, 4], [6, 8]]).norm(1, true).toArray()).toEqual([[5], [10]]);
    expect(norm(tensor([[3, 4], [6, 8]]), 0).shape).toEqual([2]);
  }));
});

// ---- validation: clear errors, never a trap, nothing leaked ----
describe('errors', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['slice past the end', () => slice(tensor([1, 2, 3, 4]), [3], [2]), /slice: begin \[3\] and size \[2\] do not fit shape \[4\]: expected .*0 <= begin <= begin \+ size <= dimension/],
    ['slice negative begin', () => slice(tensor([1, 2]), [-1]), /slice: begin \[-1\] and size undefined do not fit shape \[2\]/],
    ['slice bad size', () => slice(tensor([1, 2]), [0], [-2]), /slice: begin \[0\] and size \[-2\] do not fit/],
    ['slice too many begins', () => slice(tensor([1, 2]), [0, 0]), /slice: begin \[0, 0\] .*: expected up to 1 integers/],
    ['slice non-integer', () => slice(tensor([1, 2]), [0.5]), /slice: begin \[0.5\] .*: expected up to 1 integers/],
    ['pad wrong count', () => pad(tensor([[1]]), [[1, 1]]), /pad: paddings must be 2 pairs/],
    ['pad negative', () => pad(tensor([1]), [[-1, 0]]), /pad: paddings must be/],
    ['pad value', () => pad(tensor([1]), [[0, 0]], 'x' as unknown as number), /pad: value must be a number/],
    ['concat empty', () => concat([], 0), /concat: expected a non-empty array/],
    ['concat scalars', () => concat([scalar(1), scalar(2)], 0), /concat: cannot concatenate scalars/],
    ['concat shapes', () => concat([tensor([[1, 2]]), tensor([[1, 2, 3]])], 0), /concat: tensor 1 \(Tensor\(shape=\[1,3\], dtype=float32\)\) does not match tensor 0 \(Tensor\(shape=\[1,2\], dtype=float32\)\): expected the same dtype and shape except along axis 0/],
    ['concat dtypes', () => concat([tensor([1]), tensor([1], [1], 'int32')], 0), /concat: tensor 1 \(.*dtype=int32\)\) does not match tensor 0 \(.*dtype=float32\)\): expected the same dtype/],
    ['concat axis', () => concat([tensor([1])], 1), /concat: axis 1 is out of range/],
    ['stack shapes', () => stack([tensor([1]), tensor([1, 2])]), /stack: tensor 1 \(Tensor\(shape=\[2\].*does not match tensor 0 \(Tensor\(shape=\[1\].*expected the same dtype and shape$/],
    ['stack axis', () => stack([tensor([1]), tensor([2])], 3), /stack: axis 3 is out of range/],
    ['unstack scalar', () => unstack(scalar(1)), /unstack: expected a tensor of rank >= 1/],
    ['split count', () => split(tensor([1, 2, 3]), 2), /split: cannot split dimension 3 \(axis 0 of shape \[3\]\) into 2: expected a count dividing it/],
    ['split sizes', () => split(tensor([1, 2, 3]), [1, 1]), /split: cannot split dimension 3 .* into \[1, 1\]: .*sizes adding up to it/],
    ['split two -1', () => split(tensor([1, 2, 3]), [-1, -1]), /split: cannot split dimension 3 .* into \[-1, -1\]: .*one may be -1/],
    ['split -1 too big', () => split(tensor([1, 2, 3]), [4, -1]), /split: cannot split dimension 3 .* into \[4, -1\]/],
    ['gather out of range', () => gather(tensor([[1, 2], [3, 4]]), [0, 2]), /gather: index 2 \(at position 1 of indices\) is out of range \[0, 2\) for axis 0 of shape \[2, 2\]/],
    ['gather negative', () => gather(tensor([1, 2]), [-1]), /gather: index -1 .* out of range/],
    ['gather float indices', () => gather(tensor([1, 2]), tensor([0, 1])), /gather: indices must be an int32 tensor, got dtype float32/],
    ['gather scalar', () => gather(scalar(1), [0]), /gather: expected a tensor of rank >= 1/],
    ['gather rank', () => gather(tensor(new Float32Array(1), [1, 1, 1, 1, 1]), tensor([0], [1, 1, 1, 1, 1], 'int32')), /gather: rank 9 exceeds the maximum rank 8/],
    ['tile reps', () => tile(tensor([[1]]), [2]), /tile: reps must be 2 non-negative integers/],
    ['tile too big', () => tile(tensor([1, 2]), [2 ** 29]), /tile: shape \[1073741824\] has 1073741824 elements, more than the maximum/],
    ['oneHot depth', () => oneHot([1], -1), /oneHot: depth must be an integer >= 0, got -1/],
    ['oneHot float', () => oneHot(tensor([1]), 2), /oneHot: indices must be an int32 tensor/],
    ['eye', () => eye(-1), /eye: n must be an integer >= 0, got -1/],
    ['range step', () => range(0, 1, 0), /range: step must not be 0/],
    ['range NaN', () => range(NaN), /range: stop must be a finite number/],
    ['linspace num', () => linspace(0, 1, 0), /linspace: num must be an integer >= 1, got 0/],
    ['dot dims', () => dot(tensor([1, 2]), tensor([1, 2, 3])), /dot: inner dimensions must match: shapes \[2\] and \[3\] give 2 vs 3/],
    ['dot scalar', () => dot(scalar(1), tensor([1])), /dot: both operands must have rank >= 1/],
    ['dot int', () => dot(tensor([1], [1], 'int32'), tensor([1], [1], 'int32')), /dot: expected a float32 tensor, got dtype int32/],
    ['norm axis', () => norm(tensor([1, 2]), 2), /norm: axis 2 is out of range/],
  ];
  it.each(cases)('%s', (_name, fn, message) => {
    const before = memory().tensors;
    let error: unknown;
    try { fn(); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(WebAssembly.RuntimeError);
    expect((error as Error).message).toMatch(message);
    // the inputs built by the case are garbage; nothing else may be left behind
    expect(memory().tensors - before).toBeLessThanOrEqual(2);
    expect(tidy(() => slice(tensor([1, 2, 3]), [1]).toArray())).toEqual([2, 3]); // still usable
  });
});

describe('memory', () => {
  it('taped ops and their gradients leave nothing behind once disposed', () => {
    const before = memory().tensors;
    tidy(() => {
      const x = tensor([[1, 2, 3], [4, 5, 6]]);
      const t = tape(t => {
        t.watch(x);
        const parts = [slice(x, [0, 1]), pad(x, [[1, 0], [0, 2]]), tile(x, [2, 1]), gather(x, [1, 1, 0]), concat([x, x], 1), stack([x, x]),
          ...unstack(x), ...split(x, [1, 2], 1), dot(x, tensor([1, 2, 3])), norm(x, 1)];
        return parts.map(p => sum(mul(p, p))).reduce((a, b) => a.add(b));
      }, { persistent: true });
      const g1 = t.gradient(t.result as Tensor, x) as Tensor;
      t.gradient(g1, x);
      t.dispose();
    });
    expect(memory().tensors).toBe(before);
  });
  it('an index error frees the indices it converted', () => {
    const x = tensor([1, 2, 3]);
    const before = memory().tensors;
    expect(() => gather(x, [0, 3])).toThrow(/gather: index 3/);
    expect(() => gather(x, new Float32Array([0]))).toThrow(/gather: indices must be an int32 tensor/);
    expect(() => oneHot(new Float32Array([0]), 2)).toThrow(/oneHot: indices must be an int32 tensor/);
    expect(memory().tensors).toBe(before);
    x.dispose();
  });
  it('a non-persistent tape releases the attribute tensors after its gradient', () => {
    const before = memory().tensors;
    tidy(() => {
      const x = tensor([1, 2, 3, 4]);
      const t = tape(t => { t.watch(x); return sum(tile(pad(slice(x, [1], [2]), [[2, 1]]), [3])); });
      expect((t.gradient(t.result, x) as Tensor).toArray()).toEqual([0, 3, 3, 0]);
    });
    expect(memory().tensors).toBe(before);
  });
});
