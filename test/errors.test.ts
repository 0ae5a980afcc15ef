// Bad input gets an Error naming the op and the offending values; nothing leaks; the next call works.
import { describe, it, expect } from 'vitest';
import {
  tensor, scalar, zeros, ones, add, mul, div, matmul, sum, reshape, transpose, sqrt, logicalAnd, softmax, where,
  expandDims, squeeze, broadcastTo, tape, memory, argMax, cast, Tensor, fill, gather,
} from './api.js';

function expectCleanError(fn: () => unknown, message: RegExp | string) {
  const before = memory();
  expect(fn).toThrow(message);
  const after = memory();
  expect(after.tensors).toBe(before.tensors);
  expect(after.bytes).toBe(before.bytes);
  // the library keeps working
  expect(add(scalar(1), scalar(2)).item()).toBe(3);
}

describe('errors', () => {
  const a = tensor([[1, 2, 3], [4, 5, 6]]);
  const b = tensor([[1, 2], [3, 4]]);
  const v2 = tensor([1, 2]), mask3 = tensor([true, false, true]), i2 = tensor([1, 2], undefined, 'int32');
  const f2 = tensor([1.5, 2]), bools = tensor([true, false]);

  it('a shape mismatch names the op and both shapes', () => {
    expectCleanError(() => add(a, b), /add: shapes \[2, 3\] and \[2, 2\] cannot be broadcast/);
    expectCleanError(() => mul(a, v2), /mul: shapes \[2, 3\] and \[2\]/);
    expectCleanError(() => matmul(a, a), /matmul: inner dimensions must match: shapes \[2, 3\] and \[2, 3\]/);
    expectCleanError(() => matmul(v2, b), /matmul: both operands must have rank >= 2, got shapes \[2\] and \[2, 2\]/);
    expectCleanError(() => reshape(a, [4, 2]), /reshape: cannot reshape shape \[2, 3\] \(6 elements\) into \[4, 2\]: expected .* making 6 elements/);
    expectCleanError(() => broadcastTo(a, [3, 3]), /broadcastTo: cannot broadcast shape \[2, 3\] to \[3, 3\]/);
    expectCleanError(() => where(mask3, a, b), /where: shapes/);
  });

  it('a wrong dtype names the op and the dtype', () => {
    const i = i2;
    expectCleanError(() => sqrt(i), /sqrt: expected a float32 tensor, got dtype int32/);
    expectCleanError(() => add(i, f2), /add: both operands must have the same dtype, got int32 .* and float32/);
    expectCleanError(() => logicalAnd(v2, bools), /logicalAnd: .*(bool|dtype)/);
    expectCleanError(() => div(i, i), /div: expected a float32 tensor, got dtype int32/);
    expectCleanError(() => tensor([1], undefined, 'float64' as never), /tensor: dtype must be 'float32', 'int32' or 'bool', got "float64"/);
    expectCleanError(() => cast(a, 'int8' as never), /cast: dtype must be/);
  });

  it('axes out of range or not integers', () => {
    expectCleanError(() => sum(a, 2), /sum: axis 2 is out of range for a tensor of rank 2/);
    expectCleanError(() => sum(a, -3), /sum: axis -3 is out of range/);
    expectCleanError(() => sum(a, 0.5), /sum: axis must be an integer, got 0.5/);
    expectCleanError(() => sum(a, [0, 0]), /sum: axis 0 is given more than once/);
    expectCleanError(() => softmax(a, 5), /softmax: axis 5 is out of range/);
    const one = scalar(1);
    expectCleanError(() => argMax(one), /argMax: expected a tensor of rank >= 1/);
    expectCleanError(() => expandDims(a, 4), /expandDims: axis 4 is out of range/);
    expectCleanError(() => squeeze(a, 0), /squeeze: cannot squeeze axis 0 of size 2/);
    expectCleanError(() => transpose(a, [0, 0]), /transpose: perm must be a permutation of \[0..1\]/);
  });

  it('bad values and shapes at creation', () => {
    expectCleanError(() => tensor([[1, 2], [3]]), /tensor: ragged nested array/);
    expectCleanError(() => tensor([1, 2, 3], [2, 2]), /tensor: shape \[2,2\] has 4 elements but 3 values were given/);
    expectCleanError(() => zeros([2, -1]), /shape must contain non-negative integers/);
    expectCleanError(() => zeros([2, 1.5]), /shape must contain non-negative integers/);
    expectCleanError(() => zeros([NaN]), /shape must contain non-negative integers/);
    expectCleanError(() => ones([65536, 65536]), /has 4294967296 elements, more than the maximum/);
    expectCleanError(() => tensor('abc' as never), /tensor: values must be a number, a nested array or a typed array, got "abc"/);
    expectCleanError(() => tensor([1, 'x'] as never), /tensor: values must be numbers or booleans, got "x"/);
    expectCleanError(() => add(a, { x: 1 } as never), /add: expected a Tensor, number or nested array, got an object \(Object\)/);
    expectCleanError(() => add(a, undefined as never), /add: expected a Tensor, number or nested array, got undefined/);
    expectCleanError(() => add(a, [[1, 2]]), /add: shapes \[2, 3\] and \[1, 2\] cannot be broadcast/);
    expectCleanError(() => add([1, 2, 3], [[1, 2]]), /add: shapes \[3\] and \[1, 2\]/);
  });

  it('int32 values must be integers in range (no silent truncation)', () => {
    const x = tensor([10, 20, 30]);
    const ints = tensor([1, 2], undefined, 'int32');
    expectCleanError(() => tensor([1, 1.5], undefined, 'int32'), /tensor: 1.5 \(at flat index 1\) is not an int32 value/);
    expectCleanError(() => scalar(2 ** 31, 'int32'), /scalar: 2147483648 is not an int32 value/);
    expectCleanError(() => fill([2], 0.5, 'int32'), /fill: 0.5 is not an int32 value/);
    expectCleanError(() => gather(x, [0, 1.5]), /gather: .*1.5 \(at flat index 1\) is not an int32 value/);
    expectCleanError(() => add(ints, 1.5), /add: could not convert argument to a tensor: scalar: 1.5 is not an int32 value/);
    expect(add(ints, 2).toArray()).toEqual([3, 4]);
    const halves = tensor([1, 2.5]);
    expectCleanError(() => tensor(halves, undefined, 'int32'), /tensor: 2.5 \(at flat index 1\) is not an int32 value/);
  });

  it('tensor(t, shape, dtype) copies a tensor like its values: reshaped, converted, a single value filling the shape', () => {
    const t = tensor([[1, 2], [3, 4]]), c = tensor(t);
    expect(c).not.toBe(t);
    t.dispose();
    expect([c.shape, c.dtype, c.toArray()]).toEqual([[2, 2], 'float32', [[1, 2], [3, 4]]]);
    expect(tensor(c, [4]).toArray()).toEqual([1, 2, 3, 4]);
    expect(tensor(c, [1, 4], 'int32').toArray()).toEqual([[1, 2, 3, 4]]);
    expect(tensor(tensor([true, false]), undefined, 'float32').toArray()).toEqual([1, 0]);
    expect(tensor(scalar(7), [2, 2], 'int32').toArray()).toEqual([[7, 7], [7, 7]]);
    expectCleanError(() => tensor(c, [3]), /tensor: shape \[3\] has 3 elements but 4 values were given/);
  });

  it('a disposed tensor', () => {
    const t = tensor([1, 2]);
    t.dispose();
    expectCleanError(() => add(t, 1), /add: got a disposed tensor/);
    expectCleanError(() => t.toArray(), /disposed/);
    expect(t.toString()).toBe('Tensor(<disposed>)');
  });

  it('a second gradient from a non-persistent tape', () => {
    const x = scalar(2);
    const t = tape(t => { t.watch(x); return mul(x, x); });
    t.gradient(t.result, x);
    expectCleanError(() => t.gradient(t.result, x), 'A non-persistent GradientTape can only be used to compute one set of gradients');
  });

  it('empty tensors work where they are valid', () => {
    const e = zeros([0, 3]);
    expect(e.size).toBe(0);
    expect(add(e, tensor([1, 2, 3])).shape).toEqual([0, 3]);
    expect(sum(e, 0).toArray()).toEqual([0, 0, 0]);
    expect(e.toArray()).toEqual([]);
    expect(matmul(zeros([2, 0]), zeros([0, 3])).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
  });

  it('toString and Node inspect print like TF', () => {
    expect(String(tensor([[1.5, 2], [3, 4]]))).toBe('Tensor([[1.5, 2], [3, 4]], shape=[2, 2], dtype=float32)');
    expect(String(tensor([true, false]))).toBe('Tensor([true, false], shape=[2], dtype=bool)');
    expect(String(scalar(7, 'int32'))).toBe('Tensor(7, shape=[], dtype=int32)');
    const big = String(zeros([2000]));
    expect(big).toContain('...');
    expect(big.length).toBeLessThan(200);
    const inspect = (tensor([1, 2]) as unknown as Record<symbol, () => string>)[Symbol.for('nodejs.util.inspect.custom')]();
    expect(inspect).toBe('Tensor([1, 2], shape=[2], dtype=float32)');
    expect(scalar(0.1).toString()).toBe('Tensor(0.1, shape=[], dtype=float32)');
    expect((tensor([1, 2]) instanceof Tensor)).toBe(true);
  });
});
