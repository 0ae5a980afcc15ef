// einsum (src/ops-einsum.ts): values against a float64 einsum written from the definition
// (test/support/einsum-reference.ts) on every kind of equation, against TensorFlow.js's tf.einsum where
// it has the equation, gradients of every operand and second derivatives against finite differences,
// how many core calls the common equations cost (one matmul), memory, and bad input.
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { einsum, tensor, tape, tidy, memory, matmul, zeros, scalar, add, ForwardAccumulator, type Tensor } from './api.js';
import { core } from '../src/core.js';
import { C } from '../build/generated/interface.js';
import { einsumReference } from './support/einsum-reference.js';
import { uniform, type ND } from './support/nd.js';
import { numericGrad, numericSecondOrder, expectClose } from './support/gradcheck.js';

let seed = 100;
const inputsFor = (shapes: number[][]) => {
  const nds = shapes.map(s => uniform(s, -2, 2, seed++));
  return { nds, tensors: nds.map(x => tensor(Float32Array.from(x.data), x.shape)) };
};
const asFloat = (t: Tensor) => t.data() as Float32Array;

/** [equation, operand shapes]: every feature of the grammar. */
const CASES: [string, number[][]][] = [
  ['ij,jk->ik', [[3, 4], [4, 5]]], ['ij,jk', [[3, 4], [4, 5]]], ['ij,kj->ik', [[3, 4], [5, 4]]], ['ji,jk->ik', [[4, 3], [4, 5]]], ['ij,jk->ki', [[3, 4], [4, 5]]],
  ['bij,bjk->bik', [[2, 3, 4], [2, 4, 5]]], ['bhqd,bhkd->bhqk', [[2, 3, 4, 5], [2, 3, 6, 5]]], ['bhqk,bhkd->bhqd', [[2, 3, 4, 6], [2, 3, 6, 5]]],
  ['ibj,jbk->bki', [[3, 2, 4], [4, 2, 5]]], ['abcd,cdef->abef', [[2, 3, 4, 2], [4, 2, 3, 2]]], ['abc,cba->', [[2, 3, 4], [4, 3, 2]]],
  ['ij->ji', [[3, 4]]], ['ijk->kij', [[2, 3, 4]]], ['ij', [[3, 4]]], ['ji', [[3, 4]]], ['ij->ij', [[3, 4]]],
  ['ii->', [[4, 4]]], ['ii', [[4, 4]]], ['ii->i', [[4, 4]]], ['iii->i', [[3, 3, 3]]], ['iji->ij', [[3, 2, 3]]], ['iij->ji', [[3, 3, 2]]], ['ijij->ij', [[2, 3, 2, 3]]], ['jii->', [[2, 3, 3]]],
  ['ij->', [[3, 4]]], ['ij->j', [[3, 4]]], ['ij->i', [[3, 4]]], ['ijk->j', [[2, 3, 4]]],
  ['i,j->ij', [[3], [4]]], ['i,j', [[3], [4]]], ['i,jk->kji', [[2], [3, 4]]], ['i,i->', [[5], [5]]], ['i,i->i', [[5], [5]]], ['ij,ij->ij', [[2, 3], [2, 3]]], ['ij,ij->', [[2, 3], [2, 3]]],
  ['bi,bi->b', [[3, 4], [3, 4]]], ['ij,ji->', [[3, 4], [4, 3]]], [',ij->ij', [[], [2, 3]]], [',->', [[], []]], ['->', [[]]], ['ij,i->j', [[3, 4], [3]]],
  ['ij,jk,kl->il', [[2, 3], [3, 4], [4, 2]]], ['bi,ij,bj->b', [[3, 4], [4, 5], [3, 5]]], ['ij,jk,kl,lm->mi', [[2, 3], [3, 2], [2, 4], [4, 3]]], ['ab,bc,ca->', [[2, 3], [3, 4], [4, 2]]],
  ['i,i,i->i', [[4], [4], [4]]], ['ij,ij,ij->', [[2, 3], [2, 3], [2, 3]]], ['ii,ij,jj->ij', [[3, 3], [3, 2], [2, 2]]],
  ['...ij,...jk->...ik', [[2, 1, 3, 4], [5, 4, 2]]], ['...ij,...jk', [[2, 3, 4], [2, 4, 5]]], ['...ij->...ji', [[2, 3, 4]]], ['...', [[2, 3]]], ['...->...', [[]]],
  ['i...,i...->...', [[3, 2, 1], [3, 4]]], ['a...b,b...->a...', [[2, 3, 4], [4, 3]]], ['...ii->...i', [[2, 3, 3]]], ['...ij,j->...i', [[2, 3, 4], [4]]], ['ij...,jk...->ik...', [[3, 4, 1], [4, 2, 5]]],
  ['Ab,bA->A', [[3, 4], [4, 3]]], ['aB,Ba', [[2, 3], [3, 2]]], [' ij , jk -> ik ', [[3, 4], [4, 5]]], ['bA', [[2, 3]]],
  ['ij,jk->ik', [[0, 4], [4, 5]]], ['ij,jk->ik', [[3, 0], [0, 5]]], ['ii->i', [[0, 0]]], ['ij,ij->', [[1, 1], [1, 1]]],
];

describe('values', () => {
  it('match the float64 reference on every kind of equation', () => tidy(() => {
    for (const [eq, shapes] of CASES) {
      const { nds, tensors } = inputsFor(shapes);
      const want = einsumReference(eq, ...nds), got = einsum(eq, ...tensors);
      expect(got.shape, eq).toEqual(want.shape);
      expectClose(asFloat(got), want.data, { rtol: 1e-5, atol: 1e-5 }, eq);
    }
  }));

  it('hand-checked values: implicit order (uppercase first), trace, diagonal, ellipsis broadcasting', () => tidy(() => {
    const m = [[1, 2], [3, 4]];
    expect(einsum('ii', m).item()).toBe(5);
    expect(einsum('ii->i', m).toArray()).toEqual([1, 4]);
    expect(einsum('ij->j', m).toArray()).toEqual([4, 6]);
    expect(einsum('ba', m).toArray()).toEqual([[1, 3], [2, 4]]); // implicit: sorted, so 'ab'
    expect(einsum('bA', [[1, 2, 3]]).shape).toEqual([3, 1]); // 'A' (65) sorts before 'b' (98)
    expect(einsum('i,j', [1, 2], [3, 4, 5]).toArray()).toEqual([[3, 4, 5], [6, 8, 10]]);
    // [2, 1] and [3] broadcast to [2, 3] over '...'
    expect(einsum('...i,...i->...', [[[1, 1]], [[2, 2]]], [[1, 0], [0, 1], [1, 1]]).toArray()).toEqual([[1, 1, 2], [2, 2, 4]]);
    expect(einsum('...j,ij->...i', [[1, 2]], [[1, 1], [1, -1]]).toArray()).toEqual([[3, -1]]);
  }));

  it('match TensorFlow.js tf.einsum on the equations it supports (two operands, no repeated index, no ...)', async () => {
    await tf.setBackend('cpu');
    const supported = CASES.filter(([eq, shapes]) => shapes.length <= 2 && !eq.includes('.') && !eq.includes(' ') && eq.includes('->') && shapes.every(s => s.length)
      && eq.split('->')[0].split(',').every(t => new Set(t).size === t.length) && eq !== 'ij->ij');
    expect(supported.length).toBeGreaterThan(15);
    tidy(() => {
      for (const [eq, shapes] of supported) {
        const { nds, tensors } = inputsFor(shapes);
        const want = tf.tidy(() => tf.einsum(eq, ...nds.map(x => tf.tensor(Array.from(x.data), x.shape))));
        const got = einsum(eq, ...tensors);
        expect(got.shape, eq).toEqual(want.shape);
        expectClose(asFloat(got), want.dataSync() as Float32Array, { rtol: 1e-5, atol: 1e-5 }, `${eq} vs tf.einsum`);
        want.dispose();
      }
    });
  });

  it('returns a new tensor even when the equation is the identity', () => tidy(() => {
    const x = tensor([[1, 2], [3, 4]]);
    const y = einsum('ij->ij', x);
    expect(y).not.toBe(x);
    y.dispose();
    expect(x.toArray()).toEqual([[1, 2], [3, 4]]);
  }));
});

/** The equations the gradients are checked on. */
const GRAD_CASES: [string, number[][]][] = [
  ['ij,jk->ik', [[3, 4], [4, 5]]], ['bij,bjk->bik', [[2, 3, 4], [2, 4, 5]]], ['ijk->kji', [[2, 3, 4]]], ['ii->', [[4, 4]]], ['ii->i', [[4, 4]]],
  ['iij->ji', [[3, 3, 2]]], ['ij->', [[3, 4]]], ['ij->j', [[3, 4]]], ['i,j->ij', [[3], [4]]], ['ij,jk,kl->il', [[2, 3], [3, 4], [4, 2]]],
  ['...ij,...jk->...ik', [[2, 1, 3, 4], [5, 4, 2]]], ['bi,ij,bj->b', [[3, 4], [4, 5], [3, 5]]], ['bhqd,bhkd->bhqk', [[2, 2, 3, 4], [2, 2, 5, 4]]],
  ['bhqk,bhkd->bhqd', [[2, 2, 3, 5], [2, 2, 5, 4]]], ['ij,ij->ij', [[2, 3], [2, 3]]], ['bi,bi->b', [[3, 4], [3, 4]]], ['ii,ij,jj->ij', [[3, 3], [3, 2], [2, 2]]],
  ['i...,i...->...', [[3, 2, 1], [3, 4]]],
];

describe('gradients', () => {
  it.each(GRAD_CASES)('%s: every operand against finite differences', (eq, shapes) => tidy(() => {
    const { nds, tensors } = inputsFor(shapes);
    const t = tape(t => { t.watch(tensors); return einsum(eq, ...tensors); });
    const w = uniform(t.result.shape, -1, 1, seed++);
    const grads = t.gradient(t.result, tensors, { outputGradients: tensor(Float32Array.from(w.data), t.result.shape) }) as Tensor[];
    const want = numericGrad(xs => einsumReference(eq, ...xs), nds, w);
    grads.forEach((g, i) => {
      expect(g.shape).toEqual(nds[i].shape);
      expectClose(asFloat(g), want[i].data, { rtol: 1e-3, atol: 1e-4 }, `${eq} d/doperand${i}`);
    });
  }));

  it.each(GRAD_CASES)('%s: second derivatives (nested tapes) against finite differences', (eq, shapes) => tidy(() => {
    const { nds, tensors } = inputsFor(shapes);
    let w!: ND;
    const outer = tape(o => {
      o.watch(tensors);
      const inner = tape(i => { i.watch(tensors); return einsum(eq, ...tensors); });
      w = uniform(inner.result.shape, -1, 1, seed++);
      // (einsum is linear in each operand: these are the cross terms between operands, zero for one operand)
      const y = inner.result;
      return inner.gradient(y, tensors, { outputGradients: tensor(Float32Array.from(w.data), y.shape) }) as Tensor[];
    });
    const v = nds.map(x => uniform(x.shape, -1, 1, seed++));
    const hv = outer.gradient(outer.result, tensors, { outputGradients: v.map(x => tensor(Float32Array.from(x.data), x.shape)), unconnectedGradients: 'zero' }) as Tensor[];
    const want = numericSecondOrder(xs => einsumReference(eq, ...xs), nds, v, w);
    hv.forEach((h, i) => expectClose(asFloat(h), want[i].data, { rtol: 1e-2, atol: 1e-3 }, `${eq} second order, operand ${i}`));
  }));

  it('one tensor given as two operands gets the sum of both gradients', () => tidy(() => {
    const x = tensor([[1, -2], [3, 0.5]]);
    const t = tape(t => { t.watch(x); return einsum('ij,ij->', x, x); }); // Σ x²
    expect((t.gradient(t.result, x) as Tensor).toArray()).toEqual([[2, -4], [6, 1]]);
  }));

  it('forward mode: the jvp of a bilinear einsum is einsum(dA, B) + einsum(A, dB)', () => tidy(() => {
    const { tensors: [a, b, da, db] } = inputsFor([[3, 4], [4, 5], [3, 4], [4, 5]]);
    const acc = new ForwardAccumulator([a, b], [da, db]);
    const y = acc.record(() => einsum('ij,jk->ki', a, b));
    const want = add(einsum('ij,jk->ki', da, b), einsum('ij,jk->ki', a, db));
    expectClose(asFloat(acc.jvp(y)!), asFloat(want), { rtol: 1e-5, atol: 1e-5 }, 'jvp');
  }));

  it('second derivative of a squared einsum (not multilinear) w.r.t. one operand', () => tidy(() => {
    // f(A) = Σ (A·B)², d²f/dA² v = 2 (v·B)·Bᵀ
    const a = tensor([[1, 2], [3, -1]]), b = tensor([[0.5, -1], [2, 1]]), v = tensor([[1, 0], [-1, 2]]);
    const outer = tape(o => {
      o.watch(a);
      const inner = tape(i => { i.watch(a); const y = einsum('ij,jk->ik', a, b); return einsum('ik,ik->', y, y); });
      return inner.gradient(inner.result, a) as Tensor;
    });
    const hv = outer.gradient(outer.result, a, { outputGradients: v }) as Tensor;
    const want = matmul(matmul(v, b), b, false, true).mul(2);
    expectClose(asFloat(hv), asFloat(want), { rtol: 1e-6, atol: 1e-6 }, 'Hv');
  }));
});

/** The names (the manifest's, not the short wasm ones) of the core functions called while fn runs. */
function coreCalls(fn: () => unknown): string[] {
  const c = core as unknown as Record<string, unknown>, saved: Record<string, unknown> = {}, calls: string[] = [];
  const names = new Map(Object.entries(C).map(([name, wasmName]) => [wasmName as string, name]));
  for (const [k, v] of Object.entries(c)) {
    const name = names.get(k) ?? k;
    if (typeof v !== 'function' || ['args', 'release'].includes(name)) continue;
    saved[k] = v;
    c[k] = (...a: unknown[]) => { calls.push(name); return (v as (...a: unknown[]) => unknown)(...a); };
  }
  try { fn(); } finally { Object.assign(c, saved); }
  return calls;
}

describe('plan', () => {
  const ops = (eq: string, shapes: number[][]) => tidy(() => {
    const { tensors } = inputsFor(shapes);
    einsum(eq, ...tensors); // (planned and cached here)
    return coreCalls(() => einsum(eq, ...tensors)).filter(k => k !== 'argsCapacity'); // (the argument buffer's size)
  });
  it('the common contractions are one matmul, with no transpose or reshape', () => {
    expect(ops('bij,bjk->bik', [[8, 16, 16], [8, 16, 16]])).toEqual(['matmul']);
    expect(ops('ij,jk->ik', [[4, 5], [5, 6]])).toEqual(['matmul']);
    expect(ops('ij,kj->ik', [[4, 5], [6, 5]])).toEqual(['matmul']); // transposeB
    expect(ops('ji,jk->ik', [[5, 4], [5, 6]])).toEqual(['matmul']); // transposeA
    expect(ops('ij,jk->ki', [[4, 5], [5, 6]])).toEqual(['matmul']); // operands swapped: (B^T A^T)
    expect(ops('bhqd,bhkd->bhqk', [[2, 3, 4, 5], [2, 3, 6, 5]])).toEqual(['matmul']);
    expect(ops('bhqk,bhkd->bhqd', [[2, 3, 4, 6], [2, 3, 6, 5]])).toEqual(['matmul']);
    expect(ops('...ij,...jk->...ik', [[2, 1, 3, 4], [5, 4, 2]])).toEqual(['matmul']); // matmul broadcasts '...'
  });
  it('elementwise products are one mul; a trace a reshape, a gather (of indices made for it) and a sum', () => {
    expect(ops('ij,ij->ij', [[3, 4], [3, 4]])).toEqual(['binary']);
    expect(ops('ij->ji', [[3, 4]])).toEqual(['transpose']);
    expect(ops('ii->', [[3, 3]])).toEqual(['reshape', 'newTensor', 'gather', 'reduce']);
    expect(ops('i,j->ij', [[3], [4]])).toEqual(['reshape', 'binary']); // [3, 1] · [4]
  });
});

describe('memory', () => {
  it('leaves only the result behind, also with three operands and a diagonal', () => {
    const a = tensor([[1, 2], [3, 4]]), b = tensor([[1, 0], [0, 1]]);
    const before = memory().tensors;
    const y = einsum('ii,ij,jk->ik', a, b, a);
    expect(memory().tensors).toBe(before + 1);
    expect(y.toArray()).toEqual([[1, 2], [12, 16]]);
    y.dispose(); a.dispose(); b.dispose();
  });
  it('a recording tape keeps what it needs, and frees it with its gradient', () => {
    const before = memory().tensors;
    tidy(() => {
      const a = tensor([[1, 2], [3, 4]]), b = tensor([[5, 6], [7, 8]]);
      const t = tape(t => { t.watch([a, b]); return einsum('ij,jk,kl->', a, b, a); });
      const [ga] = t.gradient(t.result, [a, b]) as Tensor[];
      expect(ga.shape).toEqual([2, 2]);
    });
    expect(memory().tensors).toBe(before);
  });
});

describe('bad input', () => {
  const f23 = tensor([[1, 2, 3], [4, 5, 6]]), f34 = zeros([3, 4]), f45 = zeros([4, 5]);
  function expectCleanError(fn: () => unknown, message: RegExp) {
    const before = memory();
    let error: unknown;
    try { fn(); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^einsum: /);
    expect((error as Error).message).toMatch(message);
    const after = memory();
    expect([after.tensors, after.bytes]).toEqual([before.tensors, before.bytes]);
    expect(add(scalar(1), scalar(2)).item()).toBe(3);
  }
  beforeAll(() => { einsum('ij,jk->ik', f23, f34).dispose(); });
  it('an equation that does not parse names it', () => {
    expectCleanError(() => einsum('ij,jk->ik->', f23, f34), /"ij,jk->ik->" has more than one '->'/);
    expectCleanError(() => einsum('i1', f23), /subscripts of operand 0 "i1" of equation "i1" does not parse \(expected letters a-z, A-Z and at most one '\.\.\.'\)/);
    expectCleanError(() => einsum('i.j', f23), /"i\.j"/);
    expectCleanError(() => einsum('ij->i.', f23), /output subscripts "i\."/);
    expectCleanError(() => einsum('...i...', f23), /"\.\.\.i\.\.\."/);
    expectCleanError(() => einsum(42 as never, f23), /equation must be a string .* got 42/);
  });
  it('too many or too few operands', () => {
    expectCleanError(() => einsum('ij,jk->ik', f23), /equation "ij,jk->ik" has subscripts for 2 operands, got 1/);
    expectCleanError(() => einsum('ij->ji', f23, f34), /equation "ij->ji" has subscripts for 1 operand, got 2/);
    expectCleanError(() => einsum('ij->ji', [[1, 2]], [[3]]), /for 1 operand, got 2/); // (arrays converted, then freed)
  });
  it('subscripts that do not match the rank of an operand', () => {
    expectCleanError(() => einsum('ij,jkl->ik', f23, f34), /operand 1 has shape \[3, 4\] \(rank 2\), but its subscripts "jkl" in equation "ij,jkl->ik" expect rank 3/);
    expectCleanError(() => einsum('ijk...->i', f23), /expect rank >= 3/);
  });
  it('inconsistent sizes for one index name both operands and sizes', () => {
    expectCleanError(() => einsum('ij,jk', f23, f45), /index 'j' has size 3 in operand 0 \(shape \[2, 3\]\) but size 4 in operand 1 \(shape \[4, 5\]\) in equation "ij,jk"/);
    expectCleanError(() => einsum('ii', f23), /index 'i' has size 2 in operand 0 \(shape \[2, 3\]\) but size 3 in operand 0/);
    const z23 = zeros([2, 3]), z43 = zeros([4, 3]);
    expectCleanError(() => einsum('...i,...i->...', z23, z43), /'\.\.\.' dimensions of operand 1 \(shape \[4, 3\]\) do not broadcast with those of operand 0 \(shape \[2, 3\]\)/);
  });
  it('output indices: absent from the inputs, repeated, or missing the ...', () => {
    expectCleanError(() => einsum('ij->k', f23), /output index 'k' of equation "ij->k" does not appear in any input/);
    expectCleanError(() => einsum('ij->ii', f23), /output index 'i' appears more than once in equation "ij->ii"/);
    expectCleanError(() => einsum('...j->j', f23), /the output subscripts of equation "\.\.\.j->j" have no '\.\.\.' for the 1 dimension\(s\) of the inputs' '\.\.\.'/);
  });
  it('non-float operands (einsum is float32 only, as matmul)', () => {
    const i31 = tensor([[1], [2], [3]], undefined, 'int32'), b2 = tensor([true, false]);
    expectCleanError(() => einsum('ij,jk', f23, i31), /operand 1 of equation "ij,jk" must be a float32 tensor, got dtype int32 \(shape \[3, 1\]\)/);
    expectCleanError(() => einsum('i', b2), /operand 0 of equation "i" must be a float32 tensor, got dtype bool/);
  });
  it('a result beyond the maximum rank', () => {
    const ones5 = zeros([1, 1, 1, 1, 1]);
    expectCleanError(() => einsum('abcde,fghij', ones5, ones5), /result of equation "abcde,fghij" would have rank 10, more than the maximum rank 8/);
  });
});
