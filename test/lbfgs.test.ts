// lbfgsMinimize against problems whose minimum is known in closed form (Rosenbrock, quadratics,
// TFP's docstring example), with gradients written by hand in float64 JS and computed by tapes;
// its counters, stopping rules, memory and errors.
import { describe, it, expect } from 'vitest';
import {
  lbfgsMinimize, tensor, scalar, sub, mul, sum, square, slice, matmul, reshape, valueAndGrad, tape, memory, dispose, Tensor,
} from '../src/index.js';

/** Rosenbrock's chained function Σ 100(x[i+1] − x[i]²)² + (1 − x[i])² and its gradient, in float64. */
function rosenbrock(x: ArrayLike<number>): [number, number[]] {
  let f = 0;
  const g = Array.from(x, () => 0);
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
    f += 100 * a * a + b * b;
    g[i] += -400 * x[i] * a - 2 * b;
    g[i + 1] += 200 * a;
  }
  return [f, g];
}
/** The standard start [-1.2, 1, -1.2, 1, ...]. */
const rosenbrockStart = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 ? 1 : -1.2));
/** valueAndGradients from a float64 JS function of the values. */
const byHand = (fn: (x: ArrayLike<number>) => [number, number[]]) => (x: Tensor): [Tensor, Tensor] => {
  const [f, g] = fn(x.data());
  return [scalar(f), tensor(g, x.shape)];
};
/** The same function as recorded ops, differentiated by a tape. */
const rosenbrockOps = (x: Tensor) => {
  const n = x.size, head = slice(x, [0], [n - 1]), tail = slice(x, [1], [n - 1]);
  return sum(mul(square(sub(tail, square(head))), 100)).add(sum(square(sub(1, head))));
};
const supNorm = (v: ArrayLike<number>) => Math.max(...Array.from(v, Math.abs));
const maxError = (actual: ArrayLike<number>, expected: ArrayLike<number>) => Math.max(...Array.from(actual, (v, i) => Math.abs(v - expected[i])));

/** A seeded symmetric positive definite matrix (MᵀM + n·I) and vector, as float64 arrays. */
function spdProblem(n: number, seed: number): { A: number[][]; b: number[] } {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const M = Array.from({ length: n }, () => Array.from({ length: n }, rand));
  const A = M.map((_, i) => M.map((_, j) => M.reduce((acc, row) => acc + row[i] * row[j], 0) + (i === j ? n / 4 : 0)));
  return { A, b: Array.from({ length: n }, rand) };
}
/** A⁻¹b by Gaussian elimination with partial pivoting, in float64. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length, m = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    const p = m.reduce((best, row, r) => (r >= c && Math.abs(row[c]) > Math.abs(m[best][c]) ? r : best), c);
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = c + 1; r < n; r++) { const k = m[r][c] / m[c][c]; for (let j = c; j <= n; j++) m[r][j] -= k * m[c][j]; }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) { let v = m[r][n]; for (let j = r + 1; j < n; j++) v -= m[r][j] * x[j]; x[r] = v / m[r][r]; }
  return x;
}

describe('lbfgsMinimize: minima', () => {
  // The minimizer is checked to 1e-3 per entry. The runs keep TFP's default tolerance 1e-8, which a
  // float32 gradient does not reach: they stop at float32's precision floor, as converged (a step that
  // no longer changes the value) or as failed (a last line search that finds no lower float32 value),
  // before maxIterations either way.
  const stoppedByARule = (r: { converged: boolean; failed: boolean; numIterations: number }, maxIterations: number) =>
    expect((r.converged || r.failed) && r.numIterations < maxIterations).toBe(true);
  for (const n of [2, 10]) {
    it(`Rosenbrock in ${n} dimensions from [-1.2, 1, ...], gradient by hand: reaches the ones`, () => {
      const r = lbfgsMinimize(byHand(rosenbrock), tensor(rosenbrockStart(n)), { maxIterations: 200 });
      stoppedByARule(r, 200);
      expect(maxError(r.position.data(), new Array(n).fill(1))).toBeLessThan(1e-3);
      // the value and gradient reported are the function's at the position returned
      const [f, g] = rosenbrock(r.position.data());
      expect(r.objectiveValue).toBeCloseTo(f, 6);
      expect(maxError(r.objectiveGradient.data(), g)).toBeLessThan(1e-3);
      expect(r.objectiveValue).toBeLessThan(1e-6);
      dispose(r);
    });

    it(`Rosenbrock in ${n} dimensions, gradient by valueAndGrad: reaches the ones`, () => {
      const vg = valueAndGrad(rosenbrockOps);
      const r = lbfgsMinimize((x) => { const { value, grads } = vg(x); return [value, grads as Tensor]; }, tensor(rosenbrockStart(n)), { maxIterations: 200 });
      stoppedByARule(r, 200);
      expect(r.objectiveValue).toBeLessThan(1e-6);
      expect(maxError(r.position.data(), new Array(n).fill(1))).toBeLessThan(1e-3);
      dispose(r);
    });
  }

  it('Rosenbrock in 2 dimensions with a tape, TFP test tolerance 1e-5: converged, |gradient| <= 1e-5', () => {
    const r = lbfgsMinimize((x) => {
      const t = tape((t) => { t.watch(x); return rosenbrockOps(x); });
      return [t.result, t.gradient(t.result, x) as Tensor];
    }, tensor([-1.2, 1]), { tolerance: 1e-5 });
    expect(r.converged).toBe(true);
    expect(supNorm(r.objectiveGradient.data())).toBeLessThanOrEqual(1e-5);
    expect(maxError(r.position.data(), [1, 1])).toBeLessThan(1e-3);
    dispose(r);
  });

  it('a quadratic ½xᵀAx − bᵀx in 8 dimensions: the closed-form minimum A⁻¹b in about n iterations', () => {
    const n = 8, { A, b } = spdProblem(n, 7), xStar = solve(A, b);
    const At = tensor(A), bt = tensor(b);
    const vg = valueAndGrad((x: Tensor) => sub(mul(sum(mul(x, reshape(matmul(At, reshape(x, [n, 1])), [n]))), 0.5), sum(mul(bt, x))));
    const r = lbfgsMinimize((x) => { const { value, grads } = vg(x); return [value, grads as Tensor]; }, tensor(new Array(n).fill(0)));
    expect(r.converged).toBe(true);
    // n with exact line searches in exact arithmetic; float32 rounding adds a couple of polishing steps
    expect(r.numIterations).toBeLessThanOrEqual(n + 2);
    expect(maxError(r.position.data(), xStar)).toBeLessThan(1e-4);
    expect(r.objectiveValue).toBeCloseTo(-0.5 * b.reduce((acc, v, i) => acc + v * xStar[i], 0), 5);
    dispose([r, At, bt]);
  });

  it("TFP's docstring example: the 60-dimensional bowl Σ (i+1)(x − 1)² from [60, ..., 1] converges to the ones", () => {
    const ndims = 60, scales = tensor(Array.from({ length: ndims }, (_, i) => i + 1));
    const r = lbfgsMinimize((x) => {
      const d = sub(x, 1);
      return [sum(mul(scales, square(d))), mul(mul(scales, d), 2)];
    }, tensor(Array.from({ length: ndims }, (_, i) => ndims - i)), { numCorrectionPairs: 10, tolerance: 1e-8 });
    expect(r.converged).toBe(true);
    expect(r.failed).toBe(false);
    expect(r.numIterations).toBeLessThanOrEqual(50); // within TFP's default maxIterations
    expect(maxError(r.position.data(), new Array(ndims).fill(1))).toBeLessThan(1e-5);
    dispose([r, scales]);
  });

  it('an array of tensors as the position: gradients in the same structure, the minimum of each part', () => {
    // f(a, c) = Σ (a − A)² + 3(c − 2)², a of shape [2, 2], c a scalar
    const target = [[1, -2], [0.5, 4]];
    let seen: unknown;
    const vg = valueAndGrad((a: Tensor, c: Tensor) => sum(square(sub(a, target))).add(mul(square(sub(c, 2)), 3)));
    const r = lbfgsMinimize((p) => {
      seen ??= p.map(t => t.shape);
      const { value, grads } = vg(...p);
      return [value, grads as Tensor[]];
    }, [tensor([[0, 0], [0, 0]]), scalar(-1)]);
    expect(seen).toEqual([[2, 2], []]);
    expect(r.converged).toBe(true);
    expect(r.position.map(t => t.shape)).toEqual([[2, 2], []]);
    expect(r.objectiveGradient.map(t => t.shape)).toEqual([[2, 2], []]);
    expect(maxError(r.position[0].data(), target.flat())).toBeLessThan(1e-5);
    expect(Math.abs(r.position[1].item() - 2)).toBeLessThan(1e-5);
    dispose(r);
  });

  it('a start at the minimum converges with no iteration and one evaluation', () => {
    const r = lbfgsMinimize(byHand(rosenbrock), tensor([1, 1, 1]));
    expect([r.converged, r.failed, r.numIterations, r.numObjectiveEvaluations]).toEqual([true, false, 0, 1]);
    expect(Array.from(r.position.data())).toEqual([1, 1, 1]);
    dispose(r);
  });
});

describe('lbfgsMinimize: counters and stopping', () => {
  it('numObjectiveEvaluations counts the calls; every iteration makes at least one', () => {
    let calls = 0;
    const f = byHand(rosenbrock);
    const r = lbfgsMinimize((x) => { calls++; return f(x); }, tensor(rosenbrockStart(2)), { maxIterations: 200 });
    expect(r.numObjectiveEvaluations).toBe(calls);
    expect(r.numIterations).toBeGreaterThan(10); // Rosenbrock's valley takes a few dozen
    expect(calls).toBeGreaterThanOrEqual(r.numIterations + 1);
    expect(calls).toBeLessThanOrEqual(1 + r.numIterations * 50);
    dispose(r);
  });

  it('maxIterations is honoured: stops after it, neither converged nor failed', () => {
    for (const maxIterations of [0, 1, 5]) {
      const r = lbfgsMinimize(byHand(rosenbrock), tensor(rosenbrockStart(2)), { maxIterations });
      expect([r.numIterations, r.converged, r.failed]).toEqual([maxIterations, false, false]);
      if (maxIterations === 0) {
        expect(r.numObjectiveEvaluations).toBe(1);
        expect(Array.from(r.position.data())).toEqual(Array.from(new Float32Array([-1.2, 1])));
      } else expect(r.objectiveValue).toBeLessThan(rosenbrock([-1.2, 1])[0]); // every iteration descends
      dispose(r);
    }
  });

  it('xTolerance, fRelativeTolerance and fAbsoluteTolerance stop earlier than the gradient tolerance', () => {
    const start = tensor(rosenbrockStart(2)), full = lbfgsMinimize(byHand(rosenbrock), start, { maxIterations: 200 });
    for (const o of [{ xTolerance: 0.1 }, { fRelativeTolerance: 0.5 }, { fAbsoluteTolerance: 0.1 }]) {
      const r = lbfgsMinimize(byHand(rosenbrock), start, o);
      expect(r.converged).toBe(true);
      expect(r.numIterations).toBeLessThan(full.numIterations);
      dispose(r);
    }
    dispose([full, start]);
  });

  it('a gradient that does not match the value: the line search fails, failed is reported (TFP), the position stays finite', () => {
    // the gradient of Σx² negated: each direction climbs, so no step satisfies the Wolfe conditions
    const r = lbfgsMinimize((x) => [sum(square(x)), mul(x, -2)], tensor([1, -2]), { maxIterations: 10 });
    expect(r.failed).toBe(true);
    expect(r.converged).toBe(false);
    expect(r.numIterations).toBe(1);
    expect(Array.from(r.position.data()).every(Number.isFinite)).toBe(true);
    expect(r.objectiveValue).toBeLessThanOrEqual(5 * (1 + 1e-6)); // Hager–Zhang's approximate-Wolfe limit φ(0) + 1e-6·|φ(0)|
    dispose(r);
  });

  it('a random objective stops within maxIterations · maxLineSearchIterations evaluations', () => {
    let s = 1;
    const rand = () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5;
    const r = lbfgsMinimize(() => [scalar(rand()), tensor([rand(), rand()])], tensor([0, 0]), { maxIterations: 20, maxLineSearchIterations: 10 });
    expect(r.numIterations).toBeLessThanOrEqual(20);
    expect(r.numObjectiveEvaluations).toBeLessThanOrEqual(1 + 20 * 10);
    expect(Array.from(r.position.data()).every(Number.isFinite)).toBe(true);
    dispose(r);
  });

  it('a step into a region where the value is NaN is shortened, not taken', () => {
    // (x − 1)² defined for x >= 0 only: the first trial step from 4 lands at −2
    const r = lbfgsMinimize((x) => {
      const v = x.item();
      return [scalar(v < 0 ? NaN : (v - 1) ** 2), scalar(v < 0 ? NaN : 2 * (v - 1))];
    }, scalar(4));
    expect(r.converged).toBe(true);
    expect(r.position.item()).toBeCloseTo(1, 5);
    dispose(r);
  });

  it('a value of −∞ stops with converged, as TFP (a quadratic with a hole)', () => {
    const r = lbfgsMinimize((x) => {
      const [a, b] = x.data(), hole = a > 0.7 && a < 1.3 && b > 0.7 && b < 1.3;
      return [scalar(hole ? -Infinity : 2 * (a - 1) ** 2 + 3 * (b - 1) ** 2), tensor([4 * (a - 1), 6 * (b - 1)])];
    }, tensor([0, 0]));
    expect(r.converged).toBe(true);
    expect(r.objectiveValue).toBe(-Infinity);
    dispose(r);
  });
});

describe('lbfgsMinimize: memory', () => {
  it('leaves only the result tensors: the position and gradient tensors it passes and those returned are freed', () => {
    const start = [tensor([0.5, 0.5]), scalar(3)];
    const before = memory().tensors;
    const r = lbfgsMinimize(([a, c]) => [sum(square(a)).add(square(c)), [mul(a, 2), mul(c, 2)]], start);
    expect(r.converged).toBe(true);
    expect(memory().tensors).toBe(before + 4); // position and objectiveGradient, two tensors each
    dispose(r);
    expect(memory().tensors).toBe(before);
    dispose(start);
  });
});

describe('lbfgsMinimize: bad input', () => {
  const quadratic = (x: Tensor): [Tensor, Tensor] => [sum(square(x)), mul(x, 2)];
  const x0 = tensor([1, 2]);
  /** The call must throw an Error naming lbfgsMinimize and matching `re`, leaving memory() as it was. */
  const rejects = (call: () => unknown, re: RegExp) => {
    const before = memory();
    let error: unknown;
    try { call(); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^lbfgsMinimize: /);
    expect((error as Error).message).toMatch(re);
    expect(memory()).toEqual(before);
  };

  it('valueAndGradients not a function, initialPosition not float32 tensors', () => {
    rejects(() => lbfgsMinimize('f' as never, x0), /valueAndGradients must be a function.*"f"/);
    rejects(() => lbfgsMinimize(quadratic, [1, 2] as never), /initialPosition must be a float32 Tensor.*\[1, 2\]/);
    const int = tensor([1, 2], undefined, 'int32');
    rejects(() => lbfgsMinimize(quadratic, int), /initialPosition.*int32/);
    rejects(() => lbfgsMinimize(quadratic as never, [] as Tensor[]), /initialPosition.*\[\]/);
    const d = tensor([1]); d.dispose();
    rejects(() => lbfgsMinimize(quadratic, d), /initialPosition.*disposed/);
    int.dispose();
  });

  it('bad options name the option and the value', () => {
    rejects(() => lbfgsMinimize(quadratic, x0, { maxIter: 3 } as never), /unknown option "maxIter"/);
    rejects(() => lbfgsMinimize(quadratic, x0, { maxIterations: -1 }), /maxIterations must be an integer >= 0, got -1/);
    rejects(() => lbfgsMinimize(quadratic, x0, { maxIterations: 2.5 }), /maxIterations.*2\.5/);
    rejects(() => lbfgsMinimize(quadratic, x0, { tolerance: -1e-3 }), /tolerance must be a finite number >= 0, got -0\.001/);
    rejects(() => lbfgsMinimize(quadratic, x0, { xTolerance: NaN }), /xTolerance.*NaN/);
    rejects(() => lbfgsMinimize(quadratic, x0, { fRelativeTolerance: 'a' as never }), /fRelativeTolerance.*"a"/);
    rejects(() => lbfgsMinimize(quadratic, x0, { numCorrectionPairs: 0 }), /numCorrectionPairs must be an integer >= 1, got 0/);
    rejects(() => lbfgsMinimize(quadratic, x0, { maxLineSearchIterations: 0 }), /maxLineSearchIterations.*0/);
    rejects(() => lbfgsMinimize(quadratic, x0, 5 as never), /options must be an object.*5/);
  });

  it('valueAndGradients returning the wrong structure: what it returned and what was expected', () => {
    const expected = /\[value, gradients\]: a float32 scalar and float32 gradients shaped \[2\]/;
    rejects(() => lbfgsMinimize((x) => sum(x) as never, x0), new RegExp(`${expected.source}, got Tensor\\(shape=\\[\\]`));
    rejects(() => lbfgsMinimize((x) => [sum(x)] as never, x0), /got \[Tensor\(shape=\[\], dtype=float32\)\]/);
    rejects(() => lbfgsMinimize((x) => [x, mul(x, 2)], x0), /got \[Tensor\(shape=\[2\], dtype=float32\), Tensor/); // a non-scalar value
    rejects(() => lbfgsMinimize((x) => [sum(x), sum(x)], x0), /got \[Tensor\(shape=\[\].*, Tensor\(shape=\[\]/); // a gradient of the wrong shape
    rejects(() => lbfgsMinimize((x) => [sum(x), [x]] as never, x0), expected); // an array for one tensor
    rejects(() => lbfgsMinimize((x) => [sum(x), tensor([1, 2], undefined, 'int32')], x0), /dtype=int32/);
    rejects(() => lbfgsMinimize((x) => [sum(x), null] as never, x0), /got \[Tensor\(shape=\[\], dtype=float32\), null\]/);
    // an array position: the gradients' count and shapes
    const parts = [tensor([1, 2]), tensor([[3]])];
    rejects(() => lbfgsMinimize((p) => [sum(p[0]), [p[0]]], parts), /float32 gradients shaped \[\[2\], \[1, 1\]\], got \[Tensor\(shape=\[\].*\[Tensor\(shape=\[2\]/);
    rejects(() => lbfgsMinimize((p) => [sum(p[0]), mul(p[0], 2)] as never, parts), /shaped \[\[2\], \[1, 1\]\]/);
    dispose(parts);
  });

  it('a non-finite value or gradient at the start', () => {
    rejects(() => lbfgsMinimize((x) => [scalar(NaN), mul(x, 2)], x0), /must be finite at initialPosition, got value NaN/);
    rejects(() => lbfgsMinimize((x) => [scalar(Infinity), mul(x, 2)], x0), /got value Infinity/);
    rejects(() => lbfgsMinimize((x) => [sum(x), tensor([1, NaN])], x0), /non-finite gradient/);
  });

  it('an error thrown by valueAndGradients propagates, at the start or mid-run, and frees what the call made', () => {
    rejects(() => lbfgsMinimize(() => { throw new Error('lbfgsMinimize: boom'); }, x0), /boom/);
    let calls = 0;
    const start = tensor(rosenbrockStart(2)), f = byHand(rosenbrock), before = memory();
    expect(() => lbfgsMinimize((x) => {
      const r = f(x);
      if (++calls === 6) throw new RangeError('stop at the 6th call');
      return r;
    }, start)).toThrow(RangeError);
    expect(calls).toBe(6);
    expect(memory()).toEqual(before);
    start.dispose();
  });
});
