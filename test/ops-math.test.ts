// More math (src/ops-math.ts): values at the edges of each function's domain, the classification
// ops on IEEE values, gradients at the points the compositions treat specially and of higher order
// against closed forms, and bad input. Accuracy over whole ranges is in ulp.test.ts; forward values,
// gradients and second derivatives at random points in ops.test.ts (from the op table).
import { describe, it, expect } from 'vitest';
import * as gt from './api.js';
import { tensor, tape, sum, tidy, memory, scalar, add, type Tensor } from './api.js';
import { nthDerivative } from './support/nth-derivative.js';

type Unary = 'asin' | 'acos' | 'atan' | 'sinh' | 'cosh' | 'asinh' | 'acosh' | 'atanh';
const values = (name: Unary | 'isNaN' | 'isInf' | 'isFinite', xs: number[]) => tidy(() => Array.from(gt[name](tensor(xs)).data() as ArrayLike<number>));

const near = (got: number[], xs: number[], want: (x: number) => number, label: string, rtol = 2e-5) =>
  xs.forEach((x, i) => expect(Math.abs(got[i]! - want(x)), `${label} at ${x}: ${got[i]} vs ${want(x)}`).toBeLessThanOrEqual(rtol * (1 + Math.abs(want(x)))));

describe('values at the edges of the domains', () => {
  it('asin, acos at ±1 and outside; atan at ±Inf', () => {
    expect(values('asin', [1, -1, 0, -0, 1.5, -2, NaN])).toEqual([Math.fround(Math.PI / 2), -Math.fround(Math.PI / 2), 0, -0, NaN, NaN, NaN]);
    expect(values('acos', [1, -1, 0, 1.5, NaN])).toEqual([0, Math.fround(Math.PI), Math.fround(Math.PI / 2), NaN, NaN]);
    expect(values('atan', [Infinity, -Infinity, -0, NaN])).toEqual([Math.fround(Math.PI / 2), -Math.fround(Math.PI / 2), -0, NaN]);
  });

  it('sinh and cosh: signed zero, overflow where eˣ overflows, infinities', () => {
    expect(values('sinh', [-0, 0, 88.72284, -100, Infinity, -Infinity, NaN])).toEqual([-0, 0, Infinity, -Infinity, Infinity, -Infinity, NaN]);
    expect(values('cosh', [0, -0, -88.72284, Infinity, -Infinity, NaN])).toEqual([1, 1, Infinity, Infinity, Infinity, NaN]);
    // just below: finite, within 2 ulp
    const edge = Math.fround(88.72283);
    for (const [name, f] of [['sinh', Math.sinh], ['cosh', Math.cosh]] as const) {
      const [up, down] = values(name, [edge, -edge]);
      expect(Math.abs(up! - f(edge)) / f(edge)).toBeLessThan(2.5e-7);
      expect(down).toBe(name === 'sinh' ? -up! : up);
    }
  });

  it('asinh and acosh: both forms (log1p up to 4096, log(2x) beyond) and the largest floats; acosh NaN below 1', () => {
    const big = [4095, 4096, 4097, 1e10, 1.8e19, 1e30, 3.4028235e38];
    values('asinh', big).forEach((v, i) => expect(Math.abs(v - Math.asinh(Math.fround(big[i]!))) / Math.asinh(big[i]!)).toBeLessThan(2.5e-7));
    values('asinh', big.map((b) => -b)).forEach((v, i) => expect(v).toBe(-values('asinh', big)[i]!));
    values('acosh', big).forEach((v, i) => expect(Math.abs(v - Math.acosh(Math.fround(big[i]!))) / Math.acosh(big[i]!)).toBeLessThan(2.5e-7));
    expect(values('asinh', [-0, 0, Infinity, -Infinity, NaN])).toEqual([-0, 0, Infinity, -Infinity, NaN]);
    expect(values('acosh', [1, 0.999, 0, -1, -1.5, -3000, -Infinity, Infinity, NaN])).toEqual([0, NaN, NaN, NaN, NaN, NaN, NaN, Infinity, NaN]);
  });

  it('atanh: ±Inf at ±1, NaN beyond, signed zero', () => {
    expect(values('atanh', [1, -1, 1.0000001, -2, -0, 0, NaN])).toEqual([Infinity, -Infinity, NaN, NaN, -0, 0, NaN]);
  });
});

describe('isNaN, isInf, isFinite', () => {
  const xs = [NaN, Infinity, -Infinity, 0, -0, 1.5, -3.4028235e38, 2 ** -149];
  it('classify IEEE values into bool tensors of the same shape', () => {
    expect(values('isNaN', xs)).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(values('isInf', xs)).toEqual([0, 1, 1, 0, 0, 0, 0, 0]);
    expect(values('isFinite', xs)).toEqual([0, 0, 0, 1, 1, 1, 1, 1]);
    tidy(() => {
      const t = tensor([[NaN, 1], [Infinity, 2]]);
      for (const r of [gt.isNaN(t), t.isInf(), t.isFinite()]) { expect(r.dtype).toBe('bool'); expect(r.shape).toEqual([2, 2]); }
      expect(t.isNaN().toArray()).toEqual([[true, false], [false, false]]);
    });
  });
  it('are not differentiable: a null gradient, no error', () => tidy(() => {
    const x = tensor([1, NaN]);
    const t = tape((t) => { t.watch(x); return [gt.isNaN(x), gt.isInf(x), gt.isFinite(x)]; });
    expect(t.gradient(t.result, x)).toBeNull();
  }));
});

describe('gradients', () => {
  it('asinh: 1 at 0 and −0 (the sign is a constant to the gradient), 0 second derivative there', () => {
    expect(nthDerivative((x) => gt.asinh(x), [0, -0, 1e-30], 1)).toEqual([1, 1, 1]);
    expect(nthDerivative((x) => gt.asinh(x), [0, -0], 2)).toEqual([0, 0]);
  });

  it('asinh and acosh across 4096, where they change form (ties give the gradient to one form only)', () => {
    const xs = [4095, 4096, 4097, 1e6];
    near(nthDerivative((x) => gt.asinh(x), xs, 1), xs, (x) => 1 / Math.sqrt(1 + x * x), 'asinh\'', 1e-6);
    near(nthDerivative((x) => gt.acosh(x), xs, 1), xs, (x) => 1 / Math.sqrt(x * x - 1), 'acosh\'', 1e-6);
    near(nthDerivative((x) => gt.asinh(x), [-4096, -1e6], 1), [-4096, -1e6], (x) => 1 / Math.sqrt(1 + x * x), 'asinh\' (negative)', 1e-6);
  });

  it('atan2: x/(x² + y²) to y and −y/(x² + y²) to x, summed back over broadcast dimensions', () => tidy(() => {
    const y = tensor([[1], [-2]]), x = tensor([3, -0.5, 0.25]);
    const t = tape((t) => { t.watch([y, x]); return sum(gt.atan2(y, x)); });
    const [gy, gx] = t.gradient(t.result, [y, x]) as Tensor[];
    expect(gy!.shape).toEqual([2, 1]);
    expect(gx!.shape).toEqual([3]);
    const ys = [1, -2], xs = [3, -0.5, 0.25];
    near(Array.from(gy!.data()), ys, (yv) => xs.reduce((s, xv) => s + xv / (xv * xv + yv * yv), 0), 'd/dy');
    near(Array.from(gx!.data()), xs, (xv) => ys.reduce((s, yv) => s - yv / (xv * xv + yv * yv), 0), 'd/dx');
  }));

  it('third derivatives match closed forms (every order through recorded ops)', () => {
    const xs = [-0.8, -0.3, 0.1, 0.6];
    near(nthDerivative((x) => gt.atan(x), xs, 3), xs, (x) => (6 * x * x - 2) / (1 + x * x) ** 3, 'atan\'\'\'');
    near(nthDerivative((x) => gt.asin(x), xs, 3), xs, (x) => (1 + 2 * x * x) / (1 - x * x) ** 2.5, 'asin\'\'\'', 1e-4);
    near(nthDerivative((x) => gt.sinh(x), xs, 3), xs, Math.cosh, 'sinh\'\'\'');
    near(nthDerivative((x) => gt.cosh(x), xs, 3), xs, Math.sinh, 'cosh\'\'\'');
    near(nthDerivative((x) => gt.atanh(x), xs, 3), xs, (x) => (2 + 6 * x * x) / (1 - x * x) ** 3, 'atanh\'\'\'', 1e-4);
    near(nthDerivative((x) => gt.asinh(x), xs, 3), xs, (x) => (2 * x * x - 1) / (1 + x * x) ** 2.5, 'asinh\'\'\'');
    const ys = [1.3, 2, 5];
    near(nthDerivative((x) => gt.acosh(x), ys, 3), ys, (x) => (2 * x * x + 1) / (x * x - 1) ** 2.5, 'acosh\'\'\'', 1e-4);
    // atan2 in its second argument: ∂³/∂x³ atan2(y, x) at y = 1 is −(6x² − 2)/(1 + x²)³
    near(nthDerivative((x) => gt.atan2(1, x), xs, 3), xs, (x) => -(6 * x * x - 2) / (1 + x * x) ** 3, 'atan2(1, x)\'\'\'');
  });

  it('forward mode: jvp of atan2 (in both arguments) and of asinh', () => tidy(() => {
    const y = tensor([0.5, -1.5]), x = tensor([2, -0.25]), v = tensor([1, 0.5]), w = tensor([-0.5, 2]);
    const acc = new gt.ForwardAccumulator([y, x], [v, w]);
    const out = acc.record(() => gt.atan2(y, x));
    const want = [0, 1].map((i) => { const [yi, xi, vi, wi] = [[0.5, -1.5][i]!, [2, -0.25][i]!, [1, 0.5][i]!, [-0.5, 2][i]!]; return (xi * vi - yi * wi) / (xi * xi + yi * yi); });
    near(Array.from(acc.jvp(out)!.data()), [0, 1], (i) => want[i]!, 'atan2 jvp');
    const acc2 = new gt.ForwardAccumulator(y, v);
    const a = acc2.record(() => gt.asinh(y));
    near(Array.from(acc2.jvp(a)!.data()), [0.5, -1.5], (yi) => (yi === 0.5 ? 1 : 0.5) / Math.sqrt(1 + yi * yi), 'asinh jvp');
    acc.dispose(); acc2.dispose();
  }));

  it('methods are the functions', () => tidy(() => {
    const x = tensor([0.25, -0.5]);
    for (const name of ['asin', 'acos', 'atan', 'sinh', 'cosh', 'asinh', 'atanh'] as const) expect(x[name]().toArray()).toEqual(gt[name](x).toArray());
    expect(x.atan2(2).toArray()).toEqual(gt.atan2(x, 2).toArray());
    expect(add(x, 2).acosh().toArray()).toEqual(gt.acosh(add(x, 2)).toArray());
  }));
});

describe('bad input', () => {
  /** Throws an Error matching `message`, frees what the call converted, and leaves the library working. */
  function expectCleanError(fn: () => unknown, message: RegExp) {
    const before = memory();
    expect(fn).toThrow(message);
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
    expect(add(scalar(1), scalar(2)).item()).toBe(3);
  }
  const ints = tensor([1, 2, 3], undefined, 'int32'), bools = tensor([true, false]), floats = tensor([1, 2, 3]);
  it('a non-float tensor names the op and the dtype', () => {
    for (const name of ['asin', 'acos', 'atan', 'sinh', 'cosh', 'asinh', 'acosh', 'atanh', 'isNaN', 'isInf', 'isFinite'] as const) {
      expectCleanError(() => gt[name](ints), new RegExp(`^${name}: expected a float32 tensor, got dtype int32 \\(shape \\[3\\]\\)`));
      expectCleanError(() => gt[name](bools), new RegExp(`^${name}: expected a float32 tensor, got dtype bool`));
    }
    expectCleanError(() => gt.atan2(ints, ints), /^atan2: expected a float32 tensor, got dtype int32/);
    expectCleanError(() => gt.atan2(floats, ints), /^atan2: both operands must have the same dtype, got float32 .* and int32/);
    expectCleanError(() => gt.atan2([1, 2, 3], ints), /^atan2: expected a float32 tensor, got dtype int32/); // (the array takes the tensor's dtype)
  });
  it('atan2: shapes that do not broadcast, and values that are not tensors, named with the op', () => {
    expectCleanError(() => gt.atan2([[1, 2, 3]], [1, 2]), /^atan2: shapes \[1, 3\] and \[2\] cannot be broadcast/);
    expectCleanError(() => gt.atan2('abc' as never, [1]), /^atan2: .*"abc"/);
    expectCleanError(() => gt.asinh({} as never), /^asinh: expected a Tensor, number or nested array, got/);
  });
});
