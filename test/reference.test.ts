// Self-tests of the float64 reference (test/support) against values computed by hand or with
// Python's math module, so gradient tests can trust it.
import { describe, it, expect } from 'vitest';
import { reference as R, erf, erfc } from './support/reference.js';
import {
  nd, toNested, broadcastShapes, broadcastTo, reduceToShape, randn, uniform, mulberry32, unravel, ravel, stridesOf,
  type ND,
} from './support/nd.js';
import { numericGrad, numericSecondOrder, numericJacobian, numericJvp, expectClose } from './support/gradcheck.js';

const exact = { rtol: 0, atol: 1e-12 };
/** Shape and values, to 1e-12. */
function same(actual: ND, expected: unknown, label = 'values'): void {
  const e = nd(expected as number);
  expect(actual.shape, `${label} shape`).toEqual(e.shape);
  expectClose(actual.data, e.data, exact, label);
}

describe('nd helpers', () => {
  it('builds, indexes and converts', () => {
    const x = nd([[1, 2, 3], [4, 5, 6]]);
    expect(x.shape).toEqual([2, 3]);
    expect(Array.from(x.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(toNested(x)).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(toNested(nd(7))).toBe(7);
    expect(nd([1, 2, 3, 4], [2, 2]).shape).toEqual([2, 2]);
    expect(() => nd([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => nd([1, 2, 3], [2, 2])).toThrow(/needs 4 values/);
    expect(stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
    expect(unravel(23, [2, 3, 4])).toEqual([1, 2, 3]);
    expect(ravel([1, 0, 2], [2, 3, 4])).toBe(14);
  });

  it('broadcasts and reduces back to a shape', () => {
    expect(broadcastShapes([2, 1], [3])).toEqual([2, 3]);
    expect(broadcastShapes([4, 1, 3], [5, 1], [])).toEqual([4, 5, 3]);
    expect(() => broadcastShapes([2, 3], [4])).toThrow(/incompatible/);
    same(broadcastTo(nd([[1], [2]]), [2, 3]), [[1, 1, 1], [2, 2, 2]]);
    const g = nd([[1, 2, 3], [4, 5, 6]]);
    same(reduceToShape(g, [2, 1]), [[6], [15]]);
    same(reduceToShape(g, [3]), [5, 7, 9]);
    same(reduceToShape(g, [1, 3]), [[5, 7, 9]]);
    same(reduceToShape(g, []), 21);
  });

  it('seeded generators are reproducible and respect domains', () => {
    const r1 = mulberry32(42);
    const r2 = mulberry32(42);
    const a = [r1(), r1(), r1()];
    expect([r2(), r2(), r2()]).toEqual(a);
    expect(a.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(Array.from(randn([5], 3).data)).toEqual(Array.from(randn([5], 3).data));
    expect(Array.from(randn([5], 3).data)).not.toEqual(Array.from(randn([5], 4).data));
    const u = uniform([200], -1, 1, 7, { avoid: [0], margin: 0.1 });
    expect(u.data.every((v) => v >= -1 && v < 1 && Math.abs(v) >= 0.1)).toBe(true);
    expect(u.data.every((v) => Math.fround(v) === v)).toBe(true);
    const n = randn([4000], 9, { mean: 2, std: 0.5 });
    const mean = n.data.reduce((s, v) => s + v, 0) / n.data.length;
    expect(Math.abs(mean - 2)).toBeLessThan(0.05);
  });
});

describe('reference ops', () => {
  it('broadcast add', () => {
    same(R.add([[1], [2]], [10, 20, 30]), [[11, 21, 31], [12, 22, 32]]);
    same(R.add(5, [[1, 2]]), [[6, 7]]);
    expect(() => R.add([1, 2], [1, 2, 3])).toThrow(/incompatible/);
  });

  it('sum with keepDims and negative axes', () => {
    const x = nd([[1, 2, 3], [4, 5, 6]]);
    same(R.sum(x), 21);
    same(R.sum(x, 0), [5, 7, 9]);
    same(R.sum(x, -1), [6, 15]);
    same(R.sum(x, -1, true), [[6], [15]]);
    same(R.sum(x, [-2, -1], true), [[21]]);
    same(R.sum(x, []), [[1, 2, 3], [4, 5, 6]]);
    same(R.mean(x, 0), [2.5, 3.5, 4.5]);
    same(R.max(x, 1), [3, 6]);
    same(R.prod(x, -1), [6, 120]);
    same(R.logSumExp([[1, 2, 3]], -1), [3.40760596444438]);
    same(R.argMax([[1, 9, 3], [7, 5, 7]], 1), [1, 0]);
    same(R.argMin([[1, 9, 3], [7, 0, 7]]), [0, 1, 0]);
    expect(() => R.sum(x, 2)).toThrow(/axis 2/);
  });

  it('matmul with transposes and broadcast batch dims', () => {
    const A = nd([[1, 2], [3, 4]]);
    const B = nd([[5, 6], [7, 8]]);
    same(R.matmul(A, B), [[19, 22], [43, 50]]);
    same(R.matmul(A, B, true), [[26, 30], [38, 44]]);
    same(R.matmul(A, B, false, true), [[17, 23], [39, 53]]);
    same(R.matmul(A, B, true, true), [[23, 31], [34, 46]]);
    same(R.matmul(R.stack([A, R.mul(A, 2)]), B), [[[19, 22], [43, 50]], [[38, 44], [86, 100]]]);
    same(R.matmul([[1, 2, 3]], [[1], [1], [1]]), [[6]]);
    expect(() => R.matmul([[1, 2]], [[1, 2]])).toThrow(/inner dimensions/);
  });

  it('dot like tfjs', () => {
    same(R.dot([1, 2, 3], [4, 5, 6]), 32);
    same(R.dot([[1, 2], [3, 4]], [1, 1]), [3, 7]);
    same(R.dot([1, 1], [[1, 2], [3, 4]]), [4, 6]);
    same(R.dot([[1, 2], [3, 4]], [[5, 6], [7, 8]]), [[19, 22], [43, 50]]);
  });

  it("conv2d 'same' and 'valid' on a tiny input", () => {
    // x = 1..9 (3x3, one channel), filter [[1,2],[3,4]]: cross-correlation, TF pads after only.
    const x = nd([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const f = nd([1, 2, 3, 4], [2, 2, 1, 1]);
    same(R.conv2d(x, f, 1, 'same'), nd([37, 47, 21, 67, 77, 33, 23, 26, 9], [1, 3, 3, 1]));
    same(R.conv2d(x, f, 1, 'valid'), nd([37, 47, 67, 77], [1, 2, 2, 1]));
    // 4x4 input 1..16, 3x3 ones, stride 2 'same': out 2x2, pad_total 1 -> 0 before, 1 after.
    const x4 = nd(Array.from({ length: 16 }, (_, i) => i + 1), [1, 4, 4, 1]);
    same(R.conv2d(x4, nd(1, [3, 3, 1, 1]), 2, 'same'), nd([54, 45, 72, 54], [1, 2, 2, 1]));
    // 3x3 ones, stride 1 'same' on 3x3: pad 1 before and after.
    same(R.conv2d(x, nd(1, [3, 3, 1, 1]), [1, 1], 'same'), nd([12, 21, 16, 27, 45, 33, 24, 39, 28], [1, 3, 3, 1]));
    // two in/out channels: out[o] = sum_c w[c][o] * x[c] for a 1x1 filter
    const x2 = nd([1, 10, 2, 20], [1, 1, 2, 2]);
    const f2 = nd([1, 2, 3, 4], [1, 1, 2, 2]);
    same(R.conv2d(x2, f2, 1, 'valid'), nd([31, 42, 62, 84], [1, 1, 2, 2]));
  });

  it('avgPool divides by the count of unpadded elements; maxPool ignores padding', () => {
    const x = nd([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    same(R.avgPool(x, 2, 1, 'same'), nd([3, 4, 4.5, 6, 7, 7.5, 7.5, 8.5, 9], [1, 3, 3, 1]));
    same(R.avgPool(x, 3, 1, 'same'), nd([3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7], [1, 3, 3, 1]));
    same(R.avgPool(x, 2, 1, 'valid'), nd([3, 4, 6, 7], [1, 2, 2, 1]));
    same(R.maxPool(nd(-1, [1, 3, 3, 1]), 2, 1, 'same'), nd(-1, [1, 3, 3, 1]));
    same(R.maxPool(x, 2, 2, 'same'), nd([5, 6, 8, 9], [1, 2, 2, 1]));
  });

  it('cross-entropies and losses, one value per example', () => {
    const l = Math.log(1 + Math.exp(-1) + Math.exp(-2)); // 0.4076059644443804
    same(R.softmaxCrossEntropy([[1, 0, 0], [0, 0, 1]], [[0, 0, 0], [1, 2, 3]]), [Math.log(3), l]);
    same(R.softmaxCrossEntropy([[0.5, 0.5, 0]], [[1, 2, 3]]), [3 + l - 1.5]);
    same(R.sparseSoftmaxCrossEntropy([0, 2], [[0, 0, 0], [1, 2, 3]]), [Math.log(3), l]);
    same(R.sigmoidCrossEntropy([[1, 0]], [[0, 0]]), [Math.LN2]);
    same(R.sigmoidCrossEntropy([[0], [1]], [[100], [-100]]), [100, 100]); // stable at large |x|
    same(R.sigmoidCrossEntropy([[1]], [[100]]), [0]);
    same(R.meanSquaredError([[1, 2], [0, 0]], [[2, 4], [1, 1]]), [2.5, 1]);
    same(R.softmax([1, 2, 3]), [0.09003057317038046, 0.24472847105479764, 0.6652409557748219]);
    same(R.logSoftmax([[1, 2, 3]]), [[-2.40760596444438, -1.40760596444438, -0.40760596444438]]);
  });

  it('unary and binary math with TF conventions', () => {
    same(R.round([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.6]), [0, 2, 2, -0, -2, -2, 3]);
    same(R.mod([-7, 7, 7, -7, 5.5], [3, -3, 3, -3, 2]), [2, -2, 1, -1, 1.5]);
    same(R.floorDiv([-7, 7], [2, 2]), [-4, 3]);
    same(R.cast([-1.7, 1.7, 0, 2], 'int32'), [-1, 1, 0, 2]);
    same(R.cast([-1.7, 0, 2], 'bool'), [1, 0, 1]);
    same(R.gelu([1, -3]), [0.8413447460685429, -0.00404969409489031]);
    same(R.selu([-1, 2]), [-1.1113307378125625, 2 * 1.0507009873554805]);
    same(R.silu([2]), [1.7615941559557646]);
    same(R.leakyRelu([-1, 2]), [-0.2, 2]);
    same(R.relu6([-1, 3, 7]), [0, 3, 6]);
    same(R.elu([-1, 1]), [Math.exp(-1) - 1, 1]);
    same(R.softplus([0, 800, -800]), [Math.LN2, 800, 0]);
    same(R.clipByValue([-2, -1, 0, 1, 2], -1, 1), [-1, -1, 0, 1, 1]);
    same(R.greaterEqual([1, 2, 3], 2), [0, 1, 1]);
    same(R.logicalOr([0, 1, 0], [0, 0, 2]), [0, 1, 1]);
    expectClose([erf(0.5), erf(2.9), erf(3.1), erfc(4), erfc(-0.3)],
      [0.5204998778130465, 0.9999589021219005, 0.9999883513426328, 1.541725790028002e-08, 1.3286267594591274],
      { rtol: 1e-14, atol: 0 }, 'erf');
  });

  it('shape ops', () => {
    const x = nd([[1, 2, 3], [4, 5, 6]]);
    same(R.reshape(x, [3, -1]), [[1, 2], [3, 4], [5, 6]]);
    same(R.transpose(x), [[1, 4], [2, 5], [3, 6]]);
    expect(R.transpose(nd(0, [2, 3, 4]), [2, 0, 1]).shape).toEqual([4, 2, 3]);
    expect(R.expandDims(x, -1).shape).toEqual([2, 3, 1]);
    expect(R.squeeze(nd(0, [1, 2, 1])).shape).toEqual([2]);
    same(R.concat([x, [[7, 8, 9]]], 0), [[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    same(R.stack([[1, 2], [3, 4]], 1), [[1, 3], [2, 4]]);
    const [u0, u1, u2] = R.unstack(x, 1);
    same(u0!, [1, 4]); same(u1!, [2, 5]); same(u2!, [3, 6]);
    const parts = R.split(x, [1, -1], 1);
    same(parts[0]!, [[1], [4]]); same(parts[1]!, [[2, 3], [5, 6]]);
    same(R.slice(x, [0, 1], [-1, 2]), [[2, 3], [5, 6]]);
    same(R.gather(x, [2, 0, 2], 1), [[3, 1, 3], [6, 4, 6]]);
    same(R.gather(x, [[1], [0]]), [[[4, 5, 6]], [[1, 2, 3]]]);
    same(R.tile([[1, 2]], [2, 2]), [[1, 2, 1, 2], [1, 2, 1, 2]]);
    same(R.pad([[1]], [[1, 0], [0, 2]], 9), [[9, 9, 9], [1, 9, 9]]);
    same(R.where([1, 0, 1], [1, 2, 3], 0), [1, 0, 3]);
    same(R.oneHot([2, 0, 5], 3), [[0, 0, 1], [1, 0, 0], [0, 0, 0]]);
    same(R.norm([[3, 4], [6, 8]], -1), [5, 10]);
    same(R.norm([3, 4, 12]), 13);
    same(R.eye(2), [[1, 0], [0, 1]]);
    same(R.range(3), [0, 1, 2]);
    same(R.range(1, 2, 0.25), [1, 1.25, 1.5, 1.75]);
    same(R.linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1]);
  });
});

describe('finite differences', () => {
  it('numericGrad of x^2 at 3 is 6', () => {
    const [g] = numericGrad(([x]) => R.square(x!), [nd(3)]);
    expect(g!.shape).toEqual([]);
    expect(Math.abs(g!.data[0]! - 6)).toBeLessThan(1e-7);
  });

  it('numericGrad honours weights and broadcasting', () => {
    // f = a * b with a [2,1], b [3]; weights w [2,3]: dL/da = sum_j w_ij b_j, dL/db = sum_i w_ij a_i
    const a = nd([[1], [2]]);
    const b = nd([3, 4, 5]);
    const w = nd([[1, 0, 2], [0, 1, 1]]);
    const [ga, gb] = numericGrad(([p, q]) => R.mul(p!, q!), [a, b], w);
    expectClose(ga!.data, [13, 9], { rtol: 1e-8, atol: 1e-8 }, 'ga');
    expect(ga!.shape).toEqual([2, 1]);
    expectClose(gb!.data, [1, 2, 4], { rtol: 1e-8, atol: 1e-8 }, 'gb');
    // inputs are not mutated
    expect(Array.from(a.data)).toEqual([1, 2]);
  });

  it('second order, jacobian and jvp', () => {
    // d/dx (d/dx x^3) = 6x = 18 at x = 3
    const [h] = numericSecondOrder(([x]) => R.pow(x!, 3), [nd(3)]);
    expect(Math.abs(h!.data[0]! - 18)).toBeLessThan(1e-5);
    // L = x*y^2: gradients (y^2, 2xy); d/d(x,y) of [v_x*y^2 + v_y*2xy] with v = (1, 0) -> (0, 2y)
    const [hx, hy] = numericSecondOrder(([x, y]) => R.mul(x!, R.square(y!)), [nd(2), nd(5)], [nd(1), null]);
    expect(Math.abs(hx!.data[0]!)).toBeLessThan(1e-5);
    expect(Math.abs(hy!.data[0]! - 10)).toBeLessThan(1e-5);
    const [J] = numericJacobian(([x]) => R.square(x!), [nd([1, 2])]);
    expect(J!.shape).toEqual([2, 2]);
    expectClose(J!.data, [2, 0, 0, 4], { rtol: 1e-7, atol: 1e-7 }, 'jacobian');
    const jvp = numericJvp(([x]) => R.sin(x!), [nd([0, 1])], [nd([1, 2])]);
    expectClose(jvp.data, [1, 2 * Math.cos(1)], { rtol: 1e-8, atol: 1e-8 }, 'jvp');
  });

  it('expectClose passes within tolerance and throws a clear message otherwise', () => {
    expectClose(new Float32Array([1, 2.0001, NaN, Infinity]), [1, 2, NaN, Infinity], undefined, 'ok');
    expect(() => expectClose(new Float32Array([1, 2.1]), [1, 2], {}, 'grad of x')).toThrow(
      /grad of x: 1 of 2 values differ.*\n.*at index 1: actual 2\.1\d*, expected 2/,
    );
    expect(() => expectClose([1, 2], nd([[1, 2, 3]]), {}, 'len')).toThrow(/len: length mismatch/);
    expect(() => expectClose([0, 1], [0, 1.01], { rtol: 1e-3, atol: 0 }, 'tight')).toThrow(/tight/);
    expect(() => expectClose([NaN], [0], {}, 'nan')).toThrow(/nan/);
    expect(() => expectClose([Infinity], [-Infinity], {}, 'inf')).toThrow(/inf/);
  });
});
