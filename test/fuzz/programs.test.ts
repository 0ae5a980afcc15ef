// Property-based fuzzing: random programs of 1 to 12 ops over random broadcastable shapes.
// Every program is run by gradtape (float32, wasm) and by the float64 reference; gradients must
// match finite differences, persistent and non-persistent tapes must agree, nested-tape second
// derivatives must match finite differences of first derivatives, and tidy must leave nothing.
// `npm test` runs a few hundred cases; `npm run fuzz` (FUZZ_RUNS=2000) runs many more.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tape, tensor, tidy, memory, Tensor } from '../api.js';
import * as gt from '../api.js';
import { referenceByName } from '../support/reference.js';
import { ND } from '../support/nd.js';
import { numericGrad, numericSecondOrder, expectClose } from '../support/gradcheck.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const UNARY = ['sin', 'cos', 'tanh', 'sigmoid', 'softplus', 'square'] as const;
const BINARY = ['add', 'sub', 'mul', 'squaredDifference'] as const;

type Step = { kind: 'unary'; op: typeof UNARY[number]; a: number } | { kind: 'binary'; op: typeof BINARY[number]; a: number; b: number }
  | { kind: 'mean'; a: number; axis: number };
interface Program { base: number[]; inputShapes: number[][]; inputs: number[][]; steps: Step[] }

/** A shape broadcastable to `base`: each trailing dim is the base dim or 1, leading dims may be dropped. */
const shapeFor = (base: number[]) => fc.tuple(fc.integer({ min: 0, max: base.length }), fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }))
  .map(([drop, ones]) => base.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));

const programArb: fc.Arbitrary<Program> = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 3 }).chain(base =>
  fc.array(shapeFor(base), { minLength: 1, maxLength: 3 }).chain(inputShapes =>
    fc.record({
      base: fc.constant(base),
      inputShapes: fc.constant(inputShapes),
      inputs: fc.tuple(...inputShapes.map(s => fc.array(fc.double({ min: -1.5, max: 1.5, noNaN: true }).map(Math.fround), { minLength: s.reduce((a, b) => a * b, 1), maxLength: s.reduce((a, b) => a * b, 1) }))),
      steps: fc.array(fc.oneof(
        fc.record({ kind: fc.constant('unary' as const), op: fc.constantFrom(...UNARY), a: fc.nat() }),
        fc.record({ kind: fc.constant('binary' as const), op: fc.constantFrom(...BINARY), a: fc.nat(), b: fc.nat() }),
        fc.record({ kind: fc.constant('mean' as const), a: fc.nat(), axis: fc.nat() }),
      ), { minLength: 1, maxLength: 12 }),
    })));

/** Runs a program with either library: values are referenced by index into a growing pool. */
function run<T>(p: Program, inputs: T[], ops: Record<string, (...a: any[]) => T>, shapeOf: (t: T) => number[]): T {
  const pool = [...inputs];
  for (const s of p.steps) {
    const a = pool[s.a % pool.length];
    if (s.kind === 'unary') pool.push(ops[s.op](a));
    else if (s.kind === 'binary') pool.push(ops[s.op](a, pool[s.b % pool.length]));
    else {
      const r = shapeOf(a).length;
      pool.push(r === 0 ? ops.square(a) : ops.mean(a, s.axis % r, true));
    }
  }
  return pool[pool.length - 1];
}
const gtOps = gt as unknown as Record<string, (...a: any[]) => Tensor>;
const refOps = referenceByName as unknown as Record<string, (...a: any[]) => ND>;
const nd = (p: Program, i: number): ND => ({ shape: p.inputShapes[i], data: Float64Array.from(p.inputs[i]) });
const tol = { rtol: 2e-2, atol: 2e-3 };

describe('fuzzed programs', () => {
  it('gradients match finite differences, and persistent and non-persistent tapes agree', () => {
    fc.assert(fc.property(programArb, p => {
      tidy(() => {
        const xs = p.inputShapes.map((s, i) => tensor(Float32Array.from(p.inputs[i]), s));
        const once = tape(t => { t.watch(xs); return run(p, xs, gtOps, x => x.shape); });
        const y = once.result;
        const grads = once.gradient(y, xs, { unconnectedGradients: 'zero' }) as Tensor[];
        const again = tape(t => { t.watch(xs); return run(p, xs, gtOps, x => x.shape); }, { persistent: true });
        const grads2 = again.gradient(again.result, xs, { unconnectedGradients: 'zero' }) as Tensor[];
        const grads3 = again.gradient(again.result, xs, { unconnectedGradients: 'zero' }) as Tensor[];
        again.dispose();
        const f = (ins: ND[]) => run(p, ins, refOps, x => x.shape);
        const ref = f(p.inputShapes.map((_, i) => nd(p, i)));
        expectClose(y.data() as Float32Array, ref.data, tol, 'forward');
        const want = numericGrad(f, p.inputShapes.map((_, i) => nd(p, i)));
        grads.forEach((g, i) => {
          expectClose(g.data() as Float32Array, want[i].data, tol, `d/dx${i}`);
          expect(Array.from(grads2[i].data())).toEqual(Array.from(g.data()));
          expect(Array.from(grads3[i].data())).toEqual(Array.from(g.data()));
        });
      });
    }), { numRuns: RUNS, seed: 42 });
  });

  it('nested-tape second derivatives match finite differences of first derivatives', () => {
    fc.assert(fc.property(programArb, p => {
      tidy(() => {
        const xs = p.inputShapes.map((s, i) => tensor(Float32Array.from(p.inputs[i]), s));
        const outer = tape(o => {
          o.watch(xs);
          const inner = tape(t => { t.watch(xs); return run(p, xs, gtOps, x => x.shape); });
          return inner.gradient(inner.result, xs, { unconnectedGradients: 'zero' }) as Tensor[];
        });
        const hv = outer.gradient(outer.result, xs, { unconnectedGradients: 'zero' }) as Tensor[];
        const f = (ins: ND[]) => run(p, ins, refOps, x => x.shape);
        const want = numericSecondOrder(f, p.inputShapes.map((_, i) => nd(p, i)));
        hv.forEach((h, i) => expectClose(h.data() as Float32Array, want[i].data, { rtol: 5e-2, atol: 5e-3 }, `second order x${i}`));
      });
    }), { numRuns: Math.max(10, RUNS >> 1), seed: 7 });
  });

  it('tidy leaves no tensor behind', () => {
    const before = memory();
    fc.assert(fc.property(programArb, p => {
      tidy(() => {
        const xs = p.inputShapes.map((s, i) => tensor(Float32Array.from(p.inputs[i]), s));
        const t = tape(t => { t.watch(xs); return run(p, xs, gtOps, x => x.shape); });
        t.gradient(t.result, xs);
      });
      expect(memory().tensors).toBe(before.tensors);
      expect(memory().bytes).toBe(before.bytes);
    }), { numRuns: RUNS, seed: 3 });
  });
});
