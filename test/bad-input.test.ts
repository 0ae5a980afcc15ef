// Bad input, table-driven: every public function of the package root has a row with one valid call
// and a list of bad calls (generated where possible: a disposed tensor, a string, undefined, a plain
// object, the wrong dtype, the wrong shape for each tensor argument; bad axes and shapes; the same
// with the other tensor arguments given as plain arrays, whose converted tensors must be freed).
// Every bad call must throw an Error naming the op and the offending value, leave memory() exactly
// as it was, and leave the library working (a valid call of the same function succeeds right after).
// A new export without a row fails the 'covers every export' test.
import { describe, it, expect } from 'vitest';
import * as api from './api.js';
import {
  Tensor, tensor, scalar, zeros, ones, fill, memory, dispose, variable, tape, GradientTape, ForwardAccumulator,
  SGD, Adam, RMSprop, AdamW, Adagrad, Adamax, Nadam, sgd, adam, rmsprop, adamw, adagrad, adamax, nadam,
  exponentialDecay, inverseTimeDecay, piecewiseConstantDecay, cosineDecay, mul, sum, add, saveSafetensors, loadSafetensors, loadSafetensorsMetadata,
  reshape, broadcastTo, tile, range, oneHot, matmul, concat, mean, softmax, eye, linspace, randomNormal, pad, stack,
  grad, valueAndGrad, customGradient, lbfgsMinimize,
} from './api.js';
import { OPS } from '../src/ops.js';
import { core } from '../src/core.js';
import { MultiHeadAttention } from '../src/layers/index.js';

type Call = () => unknown;
interface Bad {
  label: string;
  /** builds the arguments (not measured) and returns the call (measured) */
  make: () => Call;
  /** the offending value as it should appear in the message */
  value?: RegExp | string;
  /** what names the op in the message (default: the row's name) */
  names?: RegExp | string;
  /** the valid call to run afterwards (default: the row's) */
  valid?: () => unknown;
}
interface Row { valid: () => unknown; bad: Bad[]; names?: RegExp | string; noBad?: string }

/** Exports deliberately without a row, and why. */
const EXCLUDED: Record<string, string> = {
  init: 'async, idempotent: the core is already initialised by test/setup.ts, so any later source is ignored by contract',
  initSync: 'idempotent: the core is already initialised by test/setup.ts, so any later source is ignored by contract',
  Tensor: 'class not constructed by users (its constructor takes a raw core id); its op methods call the function rows below',
  Variable: 'class not constructed by users (variable() creates them); assign/assignAdd/assignSub are cases of the variable row',
  Optimizer: 'abstract base class; its members are cases of the optimizer rows (sgd, adam, ...)',
};
// (type-only exports, DType, TensorLike, NestedArray, TapeOptions, GradientOptions, Grads, Unconnected,
// and the option interfaces, do not exist at run time)

// ---- fixtures (live for the whole file) ----
const f23 = tensor([[1, 2, 3], [4, 5, 6]]);
const f32 = tensor([[1, 2], [3, 4], [5, 6]]);
const f3 = tensor([1, 2, 3]);
const f4 = tensor([1, 2, 3, 4]);
const f13 = tensor([[1, 2, 3]]);
const i23 = tensor([[1, 2, 3], [4, 5, 6]], undefined, 'int32');
const i3 = tensor([1, 2, 3], undefined, 'int32');
const i2 = tensor([0, 2], undefined, 'int32');
const b23 = tensor([[true, false, true], [false, true, false]]);
const b3 = tensor([true, false, true]);
const s1 = scalar(1);
const img = randomNormal([1, 4, 4, 1], { seed: 1 });
const img3 = randomNormal([1, 4, 4, 3], { seed: 2 });
const filt = randomNormal([2, 2, 1, 2], { seed: 3 });
const filt2 = randomNormal([2, 2, 2, 2], { seed: 4 });
const filtT = randomNormal([2, 2, 2, 1], { seed: 5 }); // conv2dTranspose: 1 → 2 channels
const filtD = randomNormal([3, 3, 3, 2], { seed: 6 }); // depthwise: 3 channels, multiplier 2
const v23 = variable(zeros([2, 3]));
const vi = variable(tensor([1, 2], undefined, 'int32'));

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** a shape as the messages print it: [2, 3] or [2,3] */
const shapeRe = (s: readonly number[]) => new RegExp(`\\[${s.map(String).join(',\\s?')}\\]`);
const disposedLike = (t: Tensor): Tensor => { const d = tensor(t); d.dispose(); return d; };

// ---- generated bad calls ----
type Param =
  | { kind: 'tensor'; v: Tensor; dtype?: Tensor; shape?: Tensor }
  | { kind: 'axis'; v: unknown }
  | { kind: 'shape'; v: number[]; minusOneOk?: boolean; mismatch?: number[] }
  | { kind: 'raw'; v: unknown; bad?: [unknown, (RegExp | string)?][] };
const T = (v: Tensor, o: { dtype?: Tensor; shape?: Tensor } = {}): Param => ({ kind: 'tensor', v, ...o });
const AX = (v: unknown): Param => ({ kind: 'axis', v });
const SH = (v: number[], o: { minusOneOk?: boolean; mismatch?: number[] } = {}): Param => ({ kind: 'shape', v, ...o });
const R = (v: unknown, bad: [unknown, (RegExp | string)?][] = []): Param => ({ kind: 'raw', v, bad });

const BAD_AXES: [unknown, RegExp][] = [[99, /99/], [-99, /-99/], [0.5, /0\.5/], [NaN, /NaN/], ['0', /"0"/]];
const badTensors = (p: Extract<Param, { kind: 'tensor' }>): [string, () => unknown, RegExp | undefined, boolean][] => {
  const out: [string, () => unknown, RegExp | undefined, boolean][] = [
    ['a disposed tensor', () => disposedLike(p.v), /disposed/, true],
    ["'abc'", () => 'abc', /"abc"/, true],
    ['undefined', () => undefined, /undefined/, true],
    ['{}', () => ({}), /object/i, true],
    ['a ragged array', () => [[1, 2], [3]], /ragged/, true],
  ];
  if (p.dtype) out.push([`a ${p.dtype.dtype} tensor`, () => p.dtype, new RegExp(p.dtype.dtype), false]);
  if (p.shape) out.push([`a tensor of shape [${p.shape.shape}]`, () => p.shape, shapeRe(p.shape.shape), true]);
  return out;
};

/** The valid call and the generated bad calls of `fn(...params)`; `extra` adds hand-written cases. */
function gen(name: string, fn: (...a: any[]) => unknown, params: Param[], extra: Bad[] = []): Row {
  const validArgs = () => params.map(p => p.v);
  const bad: Bad[] = [];
  // the other tensor arguments as plain arrays (converted inside the op, so they must be freed on error)
  const convertible = (i: number) => params.some((p, j) => j !== i && p.kind === 'tensor' && p.v.dtype !== 'int32');
  const asArrays = (args: unknown[], except: number) =>
    args.map((a, j) => j !== except && params[j].kind === 'tensor' && (a as Tensor).dtype !== 'int32' ? (a as Tensor).toArray() : a);
  const add = (label: string, i: number, value: () => unknown, re: RegExp | string | undefined, arrays: boolean) => {
    bad.push({ label: `${label} as argument ${i}`, value: re, make: () => { const a = validArgs(); a[i] = value(); return () => fn(...a); } });
    if (arrays && convertible(i))
      bad.push({ label: `${label} as argument ${i}, the other tensors as arrays`, value: re, make: () => { const a = validArgs(); a[i] = value(); const b = asArrays(a, i); return () => fn(...b); } });
  };
  params.forEach((p, i) => {
    if (p.kind === 'tensor') for (const [label, v, re, arrays] of badTensors(p)) add(label, i, v, re, arrays);
    if (p.kind === 'axis') for (const [v, re] of BAD_AXES) add(`axis ${String(v)}`, i, () => v, re, true);
    if (p.kind === 'shape') {
      const list: [unknown, RegExp][] = [[[NaN], /NaN/], [[1.5], /1\.5/], [['a'], /a/], ['abc', /abc/], [[2, -3], /-3/]];
      if (!p.minusOneOk) list.push([[-1, 2], /-1/]);
      if (p.mismatch) list.push([p.mismatch, shapeRe(p.mismatch)]);
      for (const [v, re] of list) add(`shape ${JSON.stringify(v)}`, i, () => v, re, true);
    }
    if (p.kind === 'raw') for (const [v, re] of p.bad ?? []) add(`${typeof v === 'string' ? JSON.stringify(v) : describeValue(v)}`, i, () => v, re, true);
  });
  return { valid: () => fn(...validArgs()), bad: [...bad, ...extra] };
}
function describeValue(v: unknown): string {
  if (Array.isArray(v)) return JSON.stringify(v);
  if (v && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
const bad = (label: string, make: () => Call, value?: RegExp | string, more: Partial<Bad> = {}): Bad => ({ label, make, value, ...more });

// ---- the table ----
const table: Record<string, Row> = {};

// unary, binary and reduction ops come from the op table's metadata (kind and allowed dtypes)
const fixtureFor = (dtypes: string) => dtypes === 'bool' ? b23 : f23;
const wrongDType = (dtypes: string) => dtypes === 'float' ? i23 : dtypes === 'numeric' ? b23 : dtypes === 'bool' ? f23 : undefined;
for (const spec of Object.values(OPS)) {
  const fn = spec.fn as (...a: any[]) => unknown;
  if (spec.kind === 'unary') table[spec.name] = gen(spec.name, fn, [T(fixtureFor(spec.dtypes), { dtype: wrongDType(spec.dtypes) })]);
  if (spec.kind === 'binary') {
    const x = fixtureFor(spec.dtypes), shape = spec.dtypes === 'bool' ? tensor([true, false, true, true]) : f4;
    table[spec.name] = gen(spec.name, fn, [T(x, { dtype: wrongDType(spec.dtypes), shape }), T(x, { dtype: wrongDType(spec.dtypes) ?? i23, shape })]);
  }
  if (spec.kind === 'reduce') table[spec.name] = gen(spec.name, fn, [T(f23, { dtype: wrongDType(spec.dtypes) }), AX(1), R(false, [['yes', /"yes"/]])], [
    bad('axis [0, 0]', () => () => fn(f23, [0, 0]), /0/),
    bad("axis ['a']", () => () => fn(f23, ['a']), /"a"/),
  ]);
}
table.leakyRelu.bad.push(
  bad("alpha 'abc'", () => () => api.leakyRelu(f23, 'abc' as never), /"abc"/),
  bad("alpha 'abc', x an array", () => { const a = f23.toArray(); return () => api.leakyRelu(a, 'abc' as never); }, /"abc"/),
);

Object.assign(table, {
  clipByValue: gen('clipByValue', api.clipByValue, [T(f23, { dtype: b23 }), R(0, [['a', /"a"/], [NaN, /NaN/], [undefined, /undefined/], [9, /9/]]), R(5, [['b', /"b"/], [NaN, /NaN/], [-1, /-1/]])]),
  cast: gen('cast', api.cast, [T(f23), R('int32', [['float64', /"float64"/], [undefined, /undefined/], [5, /5/]])]),
  where: gen('where', api.where, [T(b23, { dtype: f23, shape: tensor([true, false, true, true]) }), T(f23, { dtype: i23, shape: f4 }), T(f23, { dtype: i23, shape: f4 })]),
  argMax: gen('argMax', api.argMax, [T(f23, { dtype: b23 }), AX(1)], [bad('a scalar', () => () => api.argMax(s1), /scalar/), bad('an empty axis', () => { const e = zeros([0, 3]); return () => api.argMax(e, 0); }, /\[0, 3\]/)]),
  argMin: gen('argMin', api.argMin, [T(f23, { dtype: b23 }), AX(1)], [bad('a scalar', () => () => api.argMin(s1), /scalar/)]),
  reshape: gen('reshape', api.reshape, [T(f23), SH([3, 2], { minusOneOk: true, mismatch: [7] })], [
    bad('two -1', () => () => api.reshape(f23, [-1, -1]), shapeRe([-1, -1])),
    bad('-1 with a 0', () => () => api.reshape(f23, [0, -1]), shapeRe([0, -1])),
  ]),
  expandDims: gen('expandDims', api.expandDims, [T(f23), AX(0)]),
  squeeze: gen('squeeze', api.squeeze, [T(f13), AX(0)], [bad('a dimension that is not 1', () => () => api.squeeze(f13, 1), /axis 1 of size 3/)]),
  transpose: gen('transpose', api.transpose, [T(f23), R([1, 0], [[[0, 0], shapeRe([0, 0])], [[1], shapeRe([1])], [[0, 2], shapeRe([0, 2])], ['abc', /"abc"/], [[0.5, 1], /0\.5/], [['1', '0'], /"1"/], [{}, /object/]])]),
  broadcastTo: gen('broadcastTo', api.broadcastTo, [T(f3), SH([2, 3], { mismatch: [3, 4] })], [bad('fewer dims', () => () => api.broadcastTo(f23, [3]), shapeRe([3]))]),
  matmul: gen('matmul', api.matmul, [T(f23, { dtype: i23, shape: f3 }), T(f32, { dtype: i23, shape: f23 }), R(false, [['yes', /"yes"/], [1, /1/]]), R(false, [['no', /"no"/]])], [
    bad('an unknown activation', () => () => api.matmul(f23, f32, false, false, { activation: 'gelu' as any }), /"gelu"/),
    bad('a bias of the wrong shape', () => () => api.matmul(f23, f32, false, false, { bias: [[1, 2]] }), shapeRe([1, 2])),
    bad('a non-finite leakyReluAlpha', () => () => api.matmul(f23, f32, false, false, { activation: 'leakyRelu', leakyReluAlpha: NaN }), /NaN/),
  ]),
  softmax: gen('softmax', api.softmax, [T(f23, { dtype: i23 }), AX(-1)], [bad('a scalar', () => () => api.softmax(s1), /scalar/)]),
  logSoftmax: gen('logSoftmax', api.logSoftmax, [T(f23, { dtype: i23 }), AX(-1)], [bad('a scalar', () => () => api.logSoftmax(s1), /scalar/)]),
  slice: gen('slice', api.slice, [T(f23), R([0, 1], [[[3, 0], shapeRe([3, 0])], [[-1, 0], /-1/], [[0.5, 0], /0\.5/], ['abc', /"abc"/], [[0, 0, 0], shapeRe([0, 0, 0])], [[NaN, 0], /NaN/]]),
    R([2, 2], [[[3, 1], shapeRe([3, 1])], [[1, 5], shapeRe([1, 5])], [[1.5, 1], /1\.5/], [[-2, 1], /-2/], ['abc', /"abc"/]])]),
  pad: gen('pad', api.pad, [T(f23), R([[1, 0], [0, 2]], [[[[1, 0]], /\[\[1, 0\]\]/], [[[-1, 0], [0, 0]], /-1/], ['abc', /"abc"/], [[[1], [0, 0]], /\[\[1\]/], [[[0.5, 0], [0, 0]], /0\.5/], [[[NaN, 0], [0, 0]], /NaN/]]), R(0, [['x', /"x"/], [{}, /object/]])]),
  concat: {
    valid: () => api.concat([f23, f23], 1),
    bad: [
      ...gen('concat', (t: Tensor, axis: unknown) => api.concat([t, f23], axis as number), [T(f23, { dtype: i23, shape: f3 }), AX(0)]).bad,
      bad('an empty list', () => () => api.concat([]), /\[\]/),
      bad("'abc'", () => () => api.concat('abc' as never), /"abc"/),
      bad('undefined', () => () => api.concat(undefined as never), /undefined/),
      bad('scalars', () => () => api.concat([s1, s1]), /scalar/),
      bad('mismatched shapes, as arrays', () => { const a = f23.toArray(), b = f3.toArray(); return () => api.concat([a, b]); }, shapeRe([3])),
      bad('an array then a string', () => { const a = f23.toArray(); return () => api.concat([a, 'abc' as never]); }, /"abc"/),
      bad('an array then a disposed tensor', () => { const a = f23.toArray(), d = disposedLike(f23); return () => api.concat([a, d]); }, /disposed/),
      bad('an array and a bad axis', () => { const a = f23.toArray(); return () => api.concat([a, a], 5); }, /5/),
    ],
  },
  stack: {
    valid: () => api.stack([f23, f23], 1),
    bad: [
      ...gen('stack', (t: Tensor, axis: unknown) => api.stack([t, f23], axis as number), [T(f23, { dtype: i23, shape: f3 }), AX(0)]).bad,
      bad('an empty list', () => () => api.stack([]), /\[\]/),
      bad("'abc'", () => () => api.stack('abc' as never), /"abc"/),
      bad('mismatched shapes, as arrays', () => { const a = f23.toArray(), b = f3.toArray(); return () => api.stack([a, b]); }, shapeRe([3])),
      bad('an array then a string', () => { const a = f23.toArray(); return () => api.stack([a, 'abc' as never]); }, /"abc"/),
      bad('arrays and a bad axis', () => { const a = f23.toArray(); return () => api.stack([a, a], 3); }, /3/),
    ],
  },
  unstack: gen('unstack', api.unstack, [T(f23), AX(1)], [bad('a scalar', () => () => api.unstack(s1), /scalar/)]),
  split: gen('split', api.split, [T(f23), R(3, [[4, /4/], [0, /0/], [1.5, /1\.5/], ['abc', /"abc"/], [[1, 1], shapeRe([1, 1])], [[-2, 5], shapeRe([-2, 5])], [[-1, -1], shapeRe([-1, -1])], [NaN, /NaN/]]), AX(1)],
    [bad('a scalar', () => () => api.split(s1, 1), /scalar/)]),
  gather: gen('gather', api.gather, [T(f23), T(i2, { dtype: f3 }), AX(1)], [
    bad('an index out of range', () => () => api.gather(f23, [0, 3], 1), /3/),
    bad('a negative index', () => () => api.gather(f23, [-1], 1), /-1/),
    bad('an index out of range, x an array', () => { const a = f23.toArray(); return () => api.gather(a, [0, 3], 1); }, /3/),
    bad('an index tensor out of range', () => { const idx = tensor([5], undefined, 'int32'); return () => api.gather(f23, idx); }, /5/),
    bad('bool indices', () => () => api.gather(f23, b3), /bool/),
    bad('a scalar', () => () => api.gather(s1, [0]), /scalar/),
  ]),
  tile: gen('tile', api.tile, [T(f23), R([2, 1], [[[2], shapeRe([2])], [[-1, 1], /-1/], [[1.5, 1], /1\.5/], ['abc', /"abc"/], [[NaN, 1], /NaN/], [undefined, /undefined/]])]),
  oneHot: gen('oneHot', api.oneHot, [T(i2, { dtype: f3 }), R(3, [[-1, /-1/], [1.5, /1\.5/], [NaN, /NaN/], ['abc', /"abc"/], [undefined, /undefined/]]), R(1, [['x', /"x"/]]), R(0, [['y', /"y"/]])], [
    bad('bool indices', () => () => api.oneHot(b3, 3), /bool/),
  ]),
  eye: gen('eye', api.eye, [R(3, [[-1, /-1/], [1.5, /1\.5/], [NaN, /NaN/], ['abc', /"abc"/], [undefined, /undefined/]]), R(2, [[-2, /-2/], ['x', /"x"/]])]),
  range: gen('range', api.range, [R(0, [['a', /"a"/], [NaN, /NaN/], [Infinity, /Infinity/]]), R(5, [['b', /"b"/], [NaN, /NaN/], [-Infinity, /Infinity/]]), R(1, [[0, /step/], ['c', /"c"/], [NaN, /NaN/]]), R('int32', [['bool', /"bool"/], [5, /5/]])]),
  linspace: gen('linspace', api.linspace, [R(0, [['a', /"a"/], [NaN, /NaN/]]), R(1, [[Infinity, /Infinity/], [undefined, /undefined/]]), R(5, [[0, /0/], [-1, /-1/], [1.5, /1\.5/], ['abc', /"abc"/], [undefined, /undefined/]])]),
  dot: gen('dot', api.dot, [T(f23, { dtype: i23, shape: f4 }), T(f3, { dtype: i3, shape: f4 })], [bad('a scalar', () => () => api.dot(s1, f3), /\[\]/)]),
  norm: gen('norm', api.norm, [T(f23, { dtype: i23 }), AX(1), R(false, [['yes', /"yes"/]])]),
  conv2d: gen('conv2d', api.conv2d, [T(img, { dtype: tensor([[[[1]]]], undefined, 'int32'), shape: f23 }), T(filt, { dtype: tensor([[[[1]]]], undefined, 'int32'), shape: f23 }),
    R(1, [[0, /0/], [-1, /-1/], [1.5, /1\.5/], ['abc', /"abc"/], [[1, 2, 3], shapeRe([1, 2, 3])], [NaN, /NaN/]]), R('same', [['foo', /"foo"/], [1, /1/]])], [
    bad('a channel mismatch', () => () => api.conv2d(img3, filt), /3 channels/),
    bad('a channel mismatch, as arrays', () => { const a = img3.toArray(), b = filt.toArray(); return () => api.conv2d(a, b); }, /3 channels/),
    bad('a filter with a zero dimension', () => { const f = zeros([0, 2, 1, 1]); return () => api.conv2d(img, f); }, shapeRe([0, 2, 1, 1])),
    bad('a filter of the wrong rank', () => { const f = filt2.reshape([4, 2, 2]); return () => api.conv2d(img, f); }, shapeRe([4, 2, 2])),
    bad('an unknown option', () => () => api.conv2d(img, filt, 1, 'same', { activaton: 'relu' } as any), /"activaton"/),
    bad('an unknown activation', () => () => api.conv2d(img, filt, 1, 'same', { activation: 'swish' as any }), /"swish"/),
    bad('a bias of the wrong size', () => () => api.conv2d(img, filt, 1, 'same', { bias: [1, 2, 3] }), shapeRe([3])),
    bad('an int32 bias', () => { const b = tensor([1, 2], undefined, 'int32'); return () => api.conv2d(img, filt, 1, 'same', { bias: b }); }, /int32/),
    bad('zero dilations', () => () => api.conv2d(img, filt, 1, 'same', { dilations: 0 }), /dilations/),
    bad('options not an object', () => () => api.conv2d(img, filt, 1, 'same', 'relu' as any), /"relu"/),
  ]),
  conv2dTranspose: gen('conv2dTranspose', api.conv2dTranspose, [T(img, { dtype: tensor([[[[1]]]], undefined, 'int32'), shape: f23 }), T(filtT, { dtype: tensor([[[[1]]]], undefined, 'int32'), shape: f23 }),
    R([1, 8, 8, 2], [[[1, 9, 9, 2], shapeRe([1, 9, 9, 2])], [[1, 8, 8, 3], /outputShape \[1, 8, 8, 3\] must have x's batch 1 .* and the 2 channels/], [[2, 8, 8, 2], /outputShape \[2, 8, 8, 2\] must have x's batch 1/], ['abc', /"abc"/], [[8, -8, 2], shapeRe([8, -8, 2])], [undefined, /undefined/]]),
    R(2, [[0, /0/], [1.5, /1\.5/], ['abc', /"abc"/]]), R('same', [['foo', /"foo"/]])], [
    bad('a channel mismatch', () => () => api.conv2dTranspose(img3, filtT, [1, 8, 8, 2], 2, 'same'), /3 channels/),
    bad('a filter of the wrong rank', () => { const f = filtT.reshape([2, 2, 2]); return () => api.conv2dTranspose(img, f, [1, 8, 8, 2], 2, 'same'); }, shapeRe([2, 2, 2])),
    bad('an unknown activation', () => () => api.conv2dTranspose(img, filtT, [1, 8, 8, 2], 2, 'same', { activation: 'softmax' as any }), /"softmax"/),
    bad('a bias of the wrong size', () => () => api.conv2dTranspose(img, filtT, [1, 8, 8, 2], 2, 'same', { bias: [1, 2, 3] }), shapeRe([3])),
  ]),
  depthwiseConv2d: gen('depthwiseConv2d', api.depthwiseConv2d, [T(img3, { dtype: tensor([[[[1]]]], undefined, 'int32'), shape: f23 }), T(filtD, { dtype: tensor([[[[1]]]], undefined, 'int32'), shape: f23 }),
    R(1, [[0, /0/], [-1, /-1/], ['abc', /"abc"/], [[1, 2, 3], shapeRe([1, 2, 3])]]), R('same', [['foo', /"foo"/]])], [
    bad('a channel mismatch', () => () => api.depthwiseConv2d(img, filtD), /1 channels/),
    bad('a bias of the wrong size', () => () => api.depthwiseConv2d(img3, filtD, 1, 'same', { bias: [1, 2, 3] }), /\[6\]/),
  ]),
  ...Object.fromEntries((['maxPool', 'avgPool'] as const).map(name => [name, gen(name, api[name], [T(img, { dtype: tensor([[[[1]]]], undefined, 'int32'), shape: f23 }),
    R(2, [[0, /0/], [-1, /-1/], [1.5, /1\.5/], ['abc', /"abc"/], [[2, 2, 2], shapeRe([2, 2, 2])], [undefined, /undefined/], [NaN, /NaN/]]),
    R(1, [[0, /0/], ['abc', /"abc"/]]), R('valid', [['foo', /"foo"/], [{}, /object/]])])])),
  softmaxCrossEntropy: gen('softmaxCrossEntropy', api.softmaxCrossEntropy, [T(f23, { shape: f4 }), T(f23, { dtype: i23, shape: f4 })], [bad('scalar logits', () => () => api.softmaxCrossEntropy(s1, s1), /scalar/)]),
  sparseSoftmaxCrossEntropy: gen('sparseSoftmaxCrossEntropy', api.sparseSoftmaxCrossEntropy, [T(i2, { dtype: tensor([0, 1]), shape: i3 }), T(f23, { dtype: i23, shape: f4 })], [
    bad('a label out of range', () => () => api.sparseSoftmaxCrossEntropy([0, 3], f23), /label 3/),
    bad('a negative label', () => () => api.sparseSoftmaxCrossEntropy([-1, 0], f23), /label -1/),
    bad('a label out of range, logits an array', () => { const a = f23.toArray(); return () => api.sparseSoftmaxCrossEntropy([0, 3], a); }, /label 3/),
    bad('bool labels', () => { const l = tensor([true, false]); return () => api.sparseSoftmaxCrossEntropy(l, f23); }, /bool/),
  ]),
  sigmoidCrossEntropy: gen('sigmoidCrossEntropy', api.sigmoidCrossEntropy, [T(f23, { shape: f4 }), T(f23, { dtype: i23, shape: f4 })]),
  meanSquaredError: gen('meanSquaredError', api.meanSquaredError, [T(f23, { shape: f4 }), T(f23, { dtype: i23, shape: f4 })]),
  binaryCrossentropy: gen('binaryCrossentropy', api.binaryCrossentropy, [T(f23, { shape: f4 }), T(f23, { dtype: i23, shape: f4 }),
    R(undefined, [['abc', /"abc"/], [{ fromLogits: 1 }, /1/], [{ labelSmoothing: 2 }, /2/], [{ labelSmoothing: NaN }, /NaN/], [{ from_logits: true }, /from_logits/]])]),
  categoricalCrossentropy: gen('categoricalCrossentropy', api.categoricalCrossentropy, [T(f23, { shape: f4 }), T(f23, { dtype: i23, shape: f4 }),
    R(undefined, [['abc', /"abc"/], [{ fromLogits: 'yes' }, /"yes"/], [{ labelSmoothing: -0.1 }, /-0\.1/], [{ axis: 5 }, /5/], [{ axis: 0.5 }, /0\.5/], [{ axes: 1 }, /axes/]])],
  [bad('a scalar yPred', () => () => api.categoricalCrossentropy(s1, s1), /scalar/)]),
  sparseCategoricalCrossentropy: gen('sparseCategoricalCrossentropy', api.sparseCategoricalCrossentropy, [T(i2, { dtype: tensor([0, 1]), shape: i3 }), T(f23, { dtype: i23, shape: f4 }),
    R(undefined, [['abc', /"abc"/], [{ fromLogits: 1 }, /1/], [{ labelSmoothing: 0.1 }, /labelSmoothing/]])], [
    bad('a label out of range', () => () => api.sparseCategoricalCrossentropy([0, 3], f23), /label 3/),
    bad('a negative label, from logits', () => () => api.sparseCategoricalCrossentropy([-1, 0], f23, { fromLogits: true }), /label -1/),
    bad('labels [2, 2] for yPred [2, 3]', () => { const l = tensor([[0, 1], [1, 0]], undefined, 'int32'); return () => api.sparseCategoricalCrossentropy(l, f23); }, shapeRe([2, 2])),
    bad('bool labels', () => { const l = tensor([true, false]); return () => api.sparseCategoricalCrossentropy(l, f23); }, /bool/),
    bad('a scalar yPred', () => () => api.sparseCategoricalCrossentropy(0, s1), /scalar/),
  ]),
  huber: gen('huber', api.huber, [T(f23, { shape: f4 }), T(f23, { dtype: i23, shape: f4 }), R(1, [[0, /0/], [-1, /-1/], ['a', /"a"/], [NaN, /NaN/], [Infinity, /Infinity/]])]),
  meanAbsoluteError: gen('meanAbsoluteError', api.meanAbsoluteError, [T(f23, { shape: f4 }), T(f23, { dtype: i23, shape: f4 })]),
  logCosh: gen('logCosh', api.logCosh, [T(f23, { shape: f4 }), T(f23, { dtype: i23, shape: f4 })]),
  klDivergence: gen('klDivergence', api.klDivergence, [T(f23, { shape: f4 }), T(f23, { dtype: i23, shape: f4 })]),
  hinge: gen('hinge', api.hinge, [T(f23, { shape: f4 }), T(f23, { dtype: i23, shape: f4 })]),
});

// ---- normalization, dropout, resize, norm clipping (ops-normalization.ts, ops-image.ts) ----
const deadF3 = disposedLike(f3);
const optionalTensor: [unknown, RegExp][] = [['abc', /"abc"/], [{}, /object/], [deadF3, /disposed/], [i3, /int32/], [f4, shapeRe([4])], [[[1, 2], [3]], /ragged/]];
Object.assign(table, {
  moments: gen('moments', api.moments, [T(f23, { dtype: i23 }), AX(1), R(false, [['yes', /"yes"/]])], [bad('axis [0, 0]', () => () => api.moments(f23, [0, 0]), /\[0, 0\]/)]),
  batchNormalization: gen('batchNormalization', api.batchNormalization, [T(f23, { dtype: i23 }), T(f3, { dtype: i3, shape: f4 }), T(f3, { dtype: i3, shape: f4 }),
    R(f3, optionalTensor), R(f3, optionalTensor), R(0.001, [[-1, /-1/], ['a', /"a"/], [NaN, /NaN/], [null, /null/]])], [
    bad('a mean of higher rank than x', () => () => api.batchNormalization(f3, f23, f3), shapeRe([2, 3])),
  ]),
  l2Normalize: gen('l2Normalize', api.l2Normalize, [T(f23, { dtype: i23 }), AX(1), R(1e-12, [[-1, /-1/], ['a', /"a"/], [NaN, /NaN/]])]),
  dropout: gen('dropout', api.dropout, [T(f23, { dtype: i23 }), R(0.5, [[1, /got 1$/], [-0.1, /-0\.1/], [NaN, /NaN/], ['a', /"a"/], [undefined, /undefined/], [Infinity, /Infinity/]]),
    R({ seed: 1 }, [['abc', /"abc"/], [[1], /\[1\]/], [{ foo: 1 }, /"foo"/], [{ seed: 1.5 }, /1\.5/], [{ seed: 'a' }, /"a"/], [{ noiseShape: [3, 3] }, shapeRe([3, 3])],
      [{ noiseShape: [1, 2, 3] }, shapeRe([1, 2, 3])], [{ noiseShape: [2, 0.5] }, /0\.5/], [{ noiseShape: 'x' }, /"x"/]])]),
  resize: gen('resize', api.resize, [T(img, { dtype: tensor([[[[true]]]]), shape: f23 }),
    R([3, 5], [[[0, 2], shapeRe([0, 2])], [[2], shapeRe([2])], [[1.5, 2], /1\.5/], [[2, -1], /-1/], ['abc', /"abc"/], [undefined, /undefined/], [[NaN, 2], /NaN/]]),
    R(undefined, [['abc', /"abc"/], [{ method: 'bicubic' }, /"bicubic"/], [{ foo: 1 }, /"foo"/], [{ method: 'nearest', antialias: true }, /"antialias"/]])], [
    bad('an image of height 0', () => { const e = zeros([1, 0, 4, 1]); return () => api.resize(e, [2, 2]); }, shapeRe([1, 0, 4, 1])),
    bad('a size too large', () => () => api.resize(img, [2 ** 15, 2 ** 15]), /1073741824/),
  ]),
  clipByNorm: gen('clipByNorm', api.clipByNorm, [T(f23, { dtype: i23 }), R(1, [[0, /got 0/], [-1, /-1/], [NaN, /NaN/], ['a', /"a"/], [undefined, /undefined/], [Infinity, /Infinity/]]), AX(1)]),
  clipByGlobalNorm: {
    valid: () => api.clipByGlobalNorm([f23, null, f3], 1),
    bad: [
      ...gen('clipByGlobalNorm', (t: Tensor, c: unknown) => api.clipByGlobalNorm([null, t, f3], c as number), [T(f23, { dtype: i23 }),
        R(1, [[0, /got 0/], [-1, /-1/], [NaN, /NaN/], ['a', /"a"/], [undefined, /undefined/]])]).bad,
      bad("'abc'", () => () => api.clipByGlobalNorm('abc' as never, 1), /"abc"/),
      bad('an empty list', () => () => api.clipByGlobalNorm([], 1), /\[\]/),
      bad('only nulls', () => () => api.clipByGlobalNorm([null, null], 1), /\[null, null\]/),
      bad('an array then a string', () => { const a = f23.toArray(); return () => api.clipByGlobalNorm([a, 'abc' as never], 1); }, /"abc"/),
      bad('arrays and a bad clipNorm', () => { const a = f23.toArray(); return () => api.clipByGlobalNorm([a, a], -2); }, /-2/),
    ],
  },
});

// ---- einsum (ops-einsum.ts) ----
Object.assign(table, {
  einsum: gen('einsum', api.einsum, [R('ij,jk->ik', [['ij,jk->ik->', /"ij,jk->ik->"/], ['i1,jk->ik', /"i1"/], ['i.j,jk->ik', /"i\.j"/], ['ij,jk->ik,', /"ik,"/], ['ij,jk->ii', /'i'/],
    ['ij,jk->iz', /'z'/], ['i...j...,jk->ik', /"i\.\.\.j\.\.\."/], [5, /5/], [undefined, /undefined/], ['ij->ij', /2/], ['ij,jk,kl->il', /3/]]),
    T(f23, { dtype: i23, shape: f3 }), T(f32, { dtype: i23, shape: f23 })], [
    bad('too few operands', () => () => api.einsum('ij,jk->ik', f23), /2 operands, got 1/),
    bad('too many operands, as arrays', () => { const a = f23.toArray(); return () => api.einsum('ij->ji', a, a); }, /1 operand, got 2/),
    bad('sizes 3 and 4 for one index', () => { const b = zeros([4, 5]); return () => api.einsum('ij,jk', f23, b); }, /index 'j' has size 3 in operand 0 \(shape \[2, 3\]\) but size 4 in operand 1 \(shape \[4, 5\]\)/),
    bad('a diagonal of unequal sizes', () => () => api.einsum('ii->i', f23), /index 'i' has size 2 .* but size 3/),
    bad("'...' dimensions that do not broadcast", () => { const a = zeros([2, 3, 3]), b = zeros([4, 3, 3]); return () => api.einsum('...ij,...jk->...ik', a, b); }, /2 vs 4|4 vs 2/),
    bad("'...' dimensions without '...' in the output", () => { const a = zeros([2, 3, 3]); return () => api.einsum('...ij->ij', a); }, /no '\.\.\.'/),
    bad('a bool operand', () => () => api.einsum('ij->ji', b23), /bool/),
    bad('a result beyond the maximum rank', () => { const a = zeros([1, 1, 1, 1, 1]); return () => api.einsum('abcde,fghij->abcdefghij', a, a); }, /rank 10/),
  ]),
});

// ---- scans, sorting, indexing, categorical sampling (ops-scan.ts, ops-indexing.ts, ops-random.ts) ----
const flagBad: [unknown, RegExp][] = [['yes', /"yes"/], [1, /got 1/]];
const idx22 = tensor([[0, 1], [1, 2]], undefined, 'int32');
const seg3 = tensor([0, 2, 0], undefined, 'int32');
const flagged = (name: string) => [
  bad('a scalar', () => () => (api as any)[name](s1), /scalar/),
  bad('a bool tensor', () => () => (api as any)[name](b3), /bool/),
];
Object.assign(table, {
  cumsum: gen('cumsum', api.cumsum, [T(f23), AX(1), R(false, flagBad), R(true, flagBad)], flagged('cumsum')),
  cumprod: gen('cumprod', api.cumprod, [T(f23), AX(1), R(false, flagBad), R(true, flagBad)], flagged('cumprod')),
  reverse: gen('reverse', api.reverse, [T(f23), AX(1)], [
    bad('axis [0, 0]', () => () => api.reverse(f23, [0, 0]), /\[0, 0\]/),
    bad('axis undefined', () => () => api.reverse(f23, undefined as never), /undefined/),
  ]),
  roll: gen('roll', api.roll, [T(f23), R(1, [[1.5, /1\.5/], ['a', /"a"/], [[1, 2], /\[1, 2\]/]]), AX(1)], [
    bad('shifts and axes of different lengths', () => () => api.roll(f23, [1, 2], [0]), /\[1, 2\]/),
  ]),
  topK: gen('topK', api.topK, [T(f23, { dtype: b23 }), R(2, [[4, /k = 4/], [-1, /-1/], [1.5, /1\.5/], ['a', /"a"/]]), R(true, flagBad)], [
    bad('a scalar', () => () => api.topK(s1), /scalar/),
  ]),
  gatherNd: gen('gatherNd', api.gatherNd, [T(f23), T(idx22, { dtype: f23 })], [
    bad('an index out of range', () => () => api.gatherNd(f23, [[0, 1], [1, 3]]), /index \[1, 3\] at position 1 of indices is out of range for shape \[2, 3\]/),
    bad('a negative index', () => () => api.gatherNd(f23, [[-1]]), /\[-1\]/),
    bad('index tuples longer than the rank', () => () => api.gatherNd(f3, [[0, 1]]), shapeRe([1, 2])),
    bad('scalar indices', () => { const i = tensor(1, undefined, 'int32'); return () => api.gatherNd(f3, i); }, /scalar/),
  ]),
  scatterNd: gen('scatterNd', api.scatterNd, [T(idx22, { dtype: f23 }), T(f3.slice(0, 2), { dtype: tensor([true, false]), shape: f3 }), SH([2, 3])], [
    bad('an index out of range', () => () => api.scatterNd([[0, 1], [2, 0]], [1, 2], [2, 3]), /index \[2, 0\] at position 1 of indices is out of range for shape \[2, 3\]/),
    bad('updates of the wrong shape', () => () => api.scatterNd([[0], [1]], [1, 2], [2, 3]), shapeRe([2, 3])),
  ]),
  unsortedSegmentSum: gen('unsortedSegmentSum', api.unsortedSegmentSum, [T(f32, { dtype: b23 }), T(seg3, { dtype: f3, shape: f4 }), R(3, [[-1, /-1/], [1.5, /1\.5/], ['a', /"a"/]])], [
    bad('an id >= numSegments', () => () => api.unsortedSegmentSum(f32, [0, 3, 1], 3), /segment id 3 at position 1 of segmentIds is out of range for numSegments = 3/),
  ]),
  randomCategorical: gen('randomCategorical', api.randomCategorical, [T(f23, { dtype: i23, shape: f3 }), R(4, [[-1, /-1/], [1.5, /1\.5/], ['a', /"a"/]]),
    R({ seed: 1 }, [['abc', /"abc"/], [{ seed: 1.5 }, /1\.5/], [{ foo: 1 }, /"foo"/]])], [
    bad('a row of -Infinity', () => { const l = tensor([[0, 1], [-Infinity, -Infinity]]); return () => api.randomCategorical(l, 2, { seed: 1 }); }, /row 1/),
    bad('zero classes', () => { const l = zeros([2, 0]); return () => api.randomCategorical(l, 2); }, shapeRe([2, 0])),
  ]),
});

// ---- creation ----
Object.assign(table, {
  tensor: gen('tensor', api.tensor, [R([[1, 2, 3], [4, 5, 6]], [['abc', /"abc"/], [undefined, /undefined/], [{}, /object/], [[[1, 2], [3]], /ragged/], [[1, 'x'], /"x"/], [[[1], 2], /ragged/], [[1, undefined], /undefined/], [null, /null/]]),
    R([3, 2], [[[NaN], /NaN/], [[-1, 6], /-1/], [[1.5, 4], /1\.5/], ['abc', /"abc"/], [[4, 2], /8 elements but 6/], [['a'], /"a"/]]), R('float32', [['float64', /"float64"/], [5, /5/]])], [
    bad('a disposed tensor as values', () => { const d = disposedLike(f23); return () => api.tensor(d); }, /disposed/),
    bad('a tensor with a mismatched shape', () => () => api.tensor(f23, [4, 2]), shapeRe([4, 2])),
    bad('a tensor with a bad dtype', () => () => api.tensor(f23, undefined, 'float64' as never), /"float64"/),
    bad('a typed array with a mismatched shape', () => { const a = new Float32Array(3); return () => api.tensor(a, [2, 2]); }, shapeRe([2, 2])),
  ]),
  scalar: gen('scalar', api.scalar, [R(1, [['abc', /"abc"/], [undefined, /undefined/], [{}, /object/], [[1], /\[1\]/]]), R('int32', [['int64', /"int64"/], [0, /0/]])]),
  zeros: gen('zeros', api.zeros, [SH([2, 3]), R('float32', [['float64', /"float64"/], [1, /1/]])]),
  ones: gen('ones', api.ones, [SH([2, 3]), R('float32', [['float64', /"float64"/]])]),
  fill: gen('fill', api.fill, [SH([2, 3]), R(7, [['x', /"x"/], [undefined, /undefined/], [{}, /object/]]), R('int32', [['float64', /"float64"/]])]),
  zerosLike: gen('zerosLike', api.zerosLike, [T(f23)], [bad('a ragged array', () => () => api.zerosLike([[1, 2], [3]]), /ragged/)]),
  onesLike: gen('onesLike', api.onesLike, [T(f23)], [bad('a ragged array', () => () => api.onesLike([[1, 2], [3]]), /ragged/)]),
  randomNormal: gen('randomNormal', api.randomNormal, [SH([2, 3]), R({ seed: 1 }, [['abc', /"abc"/], [{ stddev: -1 }, /-1/], [{ mean: NaN }, /NaN/], [{ seed: 1.5 }, /1\.5/], [{ foo: 1 }, /"foo"/], [{ dtype: 'int32' }, /"int32"/]])]),
  randomUniform: gen('randomUniform', api.randomUniform, [SH([2, 3]), R({ seed: 1 }, [['abc', /"abc"/], [{ min: 2, max: 1 }, /min=2/], [{ max: Infinity }, /Infinity/], [{ seed: 'x' }, /"x"/]])]),
});

// ---- variables ----
const vValid = () => { v23.assign(zeros([2, 3])); };
table.variable = gen('variable', api.variable, [R([1, 2], [['abc', /"abc"/], [undefined, /undefined/], [[[1, 2], [3]], /ragged/], [{}, /object/]]), R({ name: 'w' }, [['abc', /"abc"/], [{ trainable: 'yes' }, /"yes"/], [{ name: 5 }, /5/]])], [
  bad('a disposed tensor', () => { const d = disposedLike(f23); return () => api.variable(d); }, /disposed/),
  ...(['assign', 'assignAdd', 'assignSub'] as const).flatMap(m => [
    bad(`Variable.${m} with a wrong shape`, () => () => v23[m](f4), shapeRe([4]), { names: `Variable.${m}`, valid: vValid }),
    bad(`Variable.${m} with a wrong shape, as an array`, () => { const a = f4.toArray(); return () => v23[m](a); }, shapeRe([4]), { names: `Variable.${m}`, valid: vValid }),
    bad(`Variable.${m} with a wrong dtype`, () => () => v23[m](i23), /int32/, { names: `Variable.${m}`, valid: vValid }),
    bad(`Variable.${m} with 'abc'`, () => () => v23[m]('abc' as never), /"abc"/, { names: `Variable.${m}`, valid: vValid }),
    bad(`Variable.${m} with undefined`, () => () => v23[m](undefined as never), /undefined/, { names: `Variable.${m}`, valid: vValid }),
    bad(`Variable.${m} with a disposed tensor`, () => { const d = disposedLike(f23); return () => v23[m](d); }, /disposed/, { names: `Variable.${m}`, valid: vValid }),
    bad(`Variable.${m} of an int32 variable with floats`, () => { const x = tensor([1.5, 2]); return () => vi[m](x); }, /float32/, { names: `Variable.${m}`, valid: vValid }),
  ]),
  bad('Variable.assign of a disposed variable', () => { const v = variable([1, 2]); v.dispose(); return () => v.assign([1, 2]); }, /disposed/, { names: /Variable\.assign|Tensor is disposed/, valid: vValid }),
]);

// ---- memory ----
Object.assign(table, {
  tidy: gen('tidy', api.tidy, [R(() => 1, [['abc', /"abc"/], [undefined, /undefined/], [{}, /object/]])], [
    bad('a function returning a promise', () => () => api.tidy((() => Promise.resolve(1)) as never), /Promise/),
  ]),
  keep: { ...gen('keep', api.keep, [R(f23, [['abc', /"abc"/], [undefined, /undefined/], [{}, /object/], [[f23], /\[Tensor/]])]), valid: () => api.keep(scalar(1)) },
  dispose: { valid: () => api.dispose([]), bad: [], noBad: 'accepts anything by contract: frees every tensor found in any nesting, ignores the rest, and a disposed tensor again' },
  memory: { valid: () => api.memory(), bad: [], noBad: 'takes no arguments' },
});

// ---- threads ----
Object.assign(table, {
  setThreads: { ...gen('setThreads', api.setThreads, [R(api.threads(), [[0, /0/], [1.5, /1\.5/], ['2', /"2"/], [NaN, /NaN/], [undefined, /undefined/]])]), valid: () => api.setThreads(api.threads()) },
  threads: { valid: () => api.threads(), bad: [], noBad: 'takes no arguments' },
});

// ---- tapes ----
const recorded = (persistent = false) => tape(t => { t.watch(f3); return sum(mul(f3, f3)); }, { persistent });
const gValid = () => { const t = recorded(); const g = t.gradient(t.result, f3); dispose([t.result, g]); return g; };
const G = (member: string) => ({ names: `GradientTape.${member}`, valid: gValid });
const withTape = (persistent: boolean, call: (t: GradientTape<Tensor>) => unknown) => () => { const t = recorded(persistent); return () => call(t); };
table.GradientTape = {
  valid: () => new GradientTape().record(t => { t.watch(f3); return 1; }).dispose(),
  bad: [
    bad("options 'abc'", () => () => new GradientTape('abc' as never), /"abc"/),
    bad('options null', () => () => new GradientTape(null as never), /null/),
    bad("record('abc')", () => () => new GradientTape().record('abc' as never), /"abc"/, G('record')),
    bad('record(undefined)', () => () => new GradientTape().record(undefined as never), /undefined/, G('record')),
    bad('record while recording', () => () => new GradientTape().record(t => t.record(() => 1)), /still recording/, G('record')),
    bad('record after the gradient of a non-persistent tape', () => { const t = recorded(); dispose(t.gradient(t.result, f3)); return () => t.record(() => 1); }, /non-persistent/, G('record')),
    bad("watch('abc')", () => () => new GradientTape().record(t => t.watch('abc')), /"abc"/, G('watch')),
    bad('watch({ a: 5 })', () => () => new GradientTape().record(t => t.watch({ a: 5 })), /5/, G('watch')),
    bad('watch(a disposed tensor)', () => { const d = disposedLike(f3); return () => new GradientTape().record(t => t.watch(d)); }, /disposed/, G('watch')),
    bad('watch on a disposed tape', () => { const t = new GradientTape(); t.dispose(); return () => t.watch(f3); }, /disposed/, G('watch')),
    bad('gradient(undefined, x)', withTape(false, t => t.gradient(undefined, f3)), /undefined/, G('gradient')),
    bad("gradient(y, 'abc')", withTape(false, t => t.gradient(t.result, 'abc')), /"abc"/, G('gradient')),
    bad('gradient(y, [x, 5])', withTape(false, t => t.gradient(t.result, [f3, 5])), /5/, G('gradient')),
    bad("gradient(y, {a: 'abc'}) on a persistent tape", withTape(true, t => t.gradient(t.result, { a: 'abc' })), /"abc"/, G('gradient')),
    bad('gradient(a disposed target, x)', withTape(false, t => t.gradient(disposedLike(f3), f3)), /disposed/, G('gradient')),
    bad("gradient with unconnectedGradients 'foo'", withTape(false, t => t.gradient(t.result, f3, { unconnectedGradients: 'foo' as never })), /'foo'/, G('gradient')),
    bad('gradient with outputGradients of the wrong shape', withTape(false, t => t.gradient(t.result, f3, { outputGradients: f4 })), shapeRe([4]), G('gradient')),
    bad('gradient with outputGradients of the wrong shape, as an array', withTape(false, t => t.gradient(t.result, f3, { outputGradients: [1, 2] })), shapeRe([2]), G('gradient')),
    bad("gradient with outputGradients 'abc'", withTape(false, t => t.gradient(t.result, f3, { outputGradients: 'abc' })), /"abc"/, G('gradient')),
    bad('a second gradient of a non-persistent tape', () => { const t = recorded(); dispose(t.gradient(t.result, f3)); return () => t.gradient(t.result, f3); }, /non-persistent/, G('gradient')),
    bad('gradient of a disposed tape', () => { const t = recorded(true); const y = t.result; t.dispose(); return () => t.gradient(y, f3); }, /disposed/, G('gradient')),
    bad("jacobian('abc', x)", withTape(false, t => t.jacobian('abc' as never, f3)), /"abc"/, G('jacobian')),
    bad("jacobian(y, 'abc')", withTape(false, t => t.jacobian(t.result, 'abc')), /"abc"/, G('jacobian')),
    bad("jacobian with unconnectedGradients 'foo'", withTape(false, t => t.jacobian(t.result, f3, { unconnectedGradients: 'foo' as never })), /'foo'/, G('jacobian')),
    bad('batchJacobian with mismatched batch', () => { const x = tensor([[1, 2], [3, 4]]); const t = tape(t => { t.watch(x); return mul(x, 2); }); return () => t.batchJacobian(t.result, f32); }, /\(2\) and source shape \(3\)/, G('batchJacobian')),
    bad('batchJacobian of rank 1', withTape(false, t => t.batchJacobian(t.result, f3)), /\[\]/, G('batchJacobian')),
    bad("batchJacobian(y, 'abc')", withTape(false, t => t.batchJacobian(t.result, 'abc' as never)), /"abc"/, G('batchJacobian')),
    bad('stopRecording when not recording', withTape(false, t => t.stopRecording(() => 1)), /not recording/, G('stopRecording')),
    bad('reset when not recording', withTape(false, t => t.reset()), /not recording/, G('reset')),
  ],
};
table.tape = gen('tape', api.tape, [R(() => 1, [['abc', /"abc"/], [undefined, /undefined/], [{}, /object/]]), R({ persistent: true }, [['abc', /"abc"/]])], [
  bad('a function returning a promise', () => () => api.tape((async () => 1) as never), /Promise/),
]);
const sq = (x: Tensor) => sum(mul(x, x));
table.grad = gen('grad', api.grad, [R(sq, [['abc', /"abc"/], [undefined, /undefined/], [{}, /object/]])], [
  bad("grad(f)('abc')", () => { const g = grad(sq); return () => g('abc' as never); }, /"abc"/),
  bad('grad(f)(a disposed tensor)', () => { const g = grad(sq), d = disposedLike(f3); return () => g(d); }, /disposed/),
  bad('grad(f) with f returning a non-scalar', () => { const g = grad((x: Tensor) => mul(x, x)); return () => g(f3); }, shapeRe([3])),
  bad('grad(f) with f returning a non-scalar, as an array', () => { const g = grad((x: Tensor) => mul(x, x)); return () => g([1, 2, 3]); }, shapeRe([3])),
  bad("grad(f) with f returning 'abc'", () => { const g = grad((() => 'abc') as never); return () => g(f3); }, /"abc"/),
  bad('grad(f)(an array, then a string)', () => { const g = grad((a: Tensor, b: Tensor) => sum(mul(a, b))); return () => g([1, 2], 'x' as never); }, /"x"/),
]);
table.valueAndGrad = gen('valueAndGrad', api.valueAndGrad, [R(sq, [['abc', /"abc"/], [undefined, /undefined/]])], [
  bad("valueAndGrad(f)('abc')", () => { const g = valueAndGrad(sq); return () => g('abc' as never); }, /"abc"/),
  bad('valueAndGrad(f) with f returning a non-scalar', () => { const g = valueAndGrad((x: Tensor) => mul(x, x)); return () => g(f3); }, shapeRe([3])),
]);
const customSquare = (x: Tensor) => ({ value: mul(x, x), grad: (dy: Tensor) => mul(dy, mul(x, 2)) });
table.customGradient = gen('customGradient', api.customGradient, [R(customSquare, [['abc', /"abc"/], [undefined, /undefined/]])], [
  bad("customGradient(f)('abc')", () => { const f = customGradient(customSquare); return () => f('abc' as never); }, /"abc"/),
  bad("customGradient(f)([1, 2], 'abc')", () => { const f = customGradient((x: Tensor) => customSquare(x)); return () => f([1, 2], 'abc' as never); }, /"abc"/),
  bad('customGradient(f) with f returning no grad', () => { const f = customGradient((x: Tensor) => ({ value: mul(x, x) }) as never); return () => f(f3); }, /value|grad/),
  bad('customGradient(f) with f returning no grad, as an array', () => { const f = customGradient((x: Tensor) => ({ value: mul(x, x) }) as never); return () => f([1, 2]); }, /value|grad/),
]);
const FA = (member: string) => ({ names: `ForwardAccumulator.${member}`, valid: () => new ForwardAccumulator(f3, f3).dispose() });
table.ForwardAccumulator = {
  valid: () => { const acc = new ForwardAccumulator(f3, ones([3])); const y = acc.record(() => mul(f3, f3)); dispose([y, acc.jvp(y)]); acc.dispose(); },
  bad: [
    bad("a primal 'abc'", () => () => new ForwardAccumulator('abc' as never, f3), /"abc"/),
    bad("a tangent 'abc'", () => () => new ForwardAccumulator(f3, 'abc' as never), /"abc"/),
    bad('a tangent of the wrong shape', () => () => new ForwardAccumulator(f3, f4), shapeRe([4])),
    bad('a tangent of the wrong shape, as an array', () => { const a = f4.toArray(); return () => new ForwardAccumulator(f3, a); }, shapeRe([4])),
    bad('a second tangent of the wrong shape', () => () => new ForwardAccumulator([f3, f23], [f3, f4]), shapeRe([4])),
    bad('a disposed primal', () => { const d = disposedLike(f3); return () => new ForwardAccumulator(d, f3); }, /disposed/),
    bad('more primals than tangents', () => () => new ForwardAccumulator([f3, f23], [f3]), /2 primal/),
    bad('a primal given twice', () => () => new ForwardAccumulator([f3, f3], [f3, f3]), /multiple times/),
    bad("record('abc')", () => { const acc = new ForwardAccumulator(f3, f3); return () => acc.record('abc' as never); }, /"abc"/, FA('record')),
    bad('record while recording', () => { const acc = new ForwardAccumulator(f3, f3); return () => acc.record(() => acc.record(() => 1)); }, /already recording/, FA('record')),
    bad("jvp('abc')", () => { const acc = new ForwardAccumulator(f3, f3); return () => acc.jvp('abc' as never); }, /"abc"/, FA('jvp')),
    bad('jvp(a disposed tensor)', () => { const acc = new ForwardAccumulator(f3, f3), d = disposedLike(f3); return () => acc.jvp(d); }, /disposed/, FA('jvp')),
    bad("jvp with unconnectedGradients 'foo'", () => { const acc = new ForwardAccumulator(f3, f3); return () => acc.jvp(f3, { unconnectedGradients: 'foo' as never }); }, /'foo'/, FA('jvp')),
  ],
};

// ---- optimizers ----
const w = variable(ones([3]), { name: 'w' });
const wi = variable(tensor([1, 2, 3], undefined, 'int32'), { name: 'wi' });
function optimizerRow(name: string, make: (lr?: unknown, o?: unknown) => { applyGradients: Function; minimize: Function; build: Function; loadWeights: Function; learningRate: number }, options: [unknown, RegExp][]): Row {
  const M = (m: string) => ({ names: `${name}.${m}`, valid: () => make(0.1).applyGradients([ones([3])], [w]) });
  const opt = () => make(0.1);
  return gen(name, make, [R(0.1, [['abc', /"abc"/], [-1, /-1/], [0, /0/], [NaN, /NaN/], [Infinity, /Infinity/], [{}, /object/]]), R(undefined, [['abc', /"abc"/], [{ foo: 1 }, /"foo"/], ...options])], [
    bad('applyGradients of a wrong shape', () => { const o = opt(); return () => o.applyGradients([f4], [w]); }, shapeRe([4]), M('applyGradients')),
    bad('applyGradients with lengths that differ', () => { const o = opt(); return () => o.applyGradients([f3, f3], [w]); }, /2 gradient/, M('applyGradients')),
    bad("applyGradients of 'abc'", () => { const o = opt(); return () => o.applyGradients('abc', [w]); }, /"abc"/, M('applyGradients')),
    bad('applyGradients of an array', () => { const o = opt(); return () => o.applyGradients([[1, 2, 3]], [w]); }, /\[1, 2, 3\]/, M('applyGradients')),
    bad('applyGradients to a tensor', () => { const o = opt(); return () => o.applyGradients([f3], [f3]); }, /Tensor\(shape=\[3\]/, M('applyGradients')),
    bad('applyGradients to an int32 variable', () => { const o = opt(); return () => o.applyGradients([f3], [wi]); }, /int32/, M('applyGradients')),
    bad('applyGradients of an int32 gradient', () => { const o = opt(); return () => o.applyGradients([i3], [w]); }, /int32/, M('applyGradients')),
    bad('applyGradients of a disposed gradient', () => { const o = opt(), d = disposedLike(f3); return () => o.applyGradients([d], [w]); }, /disposed/, M('applyGradients')),
    bad("minimize('abc')", () => { const o = opt(); return () => o.minimize('abc'); }, /"abc"/, M('minimize')),
    bad('minimize of a non-scalar loss', () => { const o = opt(); return () => o.minimize(() => mul(w, 2), [w]); }, shapeRe([3]), M('minimize')),
    bad('minimize of a loss reading no variable', () => { const o = opt(); return () => o.minimize(() => sum(f3)); }, /no trainable variable/, M('minimize')),
    bad('minimize with variables that are not Variables', () => { const o = opt(); return () => o.minimize(() => sum(w), [f3]); }, /Tensor\(shape=\[3\]/, M('minimize')),
    bad('learningRate = -1', () => { const o = opt(); return () => { o.learningRate = -1; }; }, /-1/),
    bad('two kinds of clipping', () => () => make(0.1, { clipNorm: 1, clipValue: 1 }), /clipNorm=1, clipValue=1/),
    bad('clipNorm 0', () => () => make(0.1, { clipNorm: 0 }), /clipNorm must be a finite number > 0, got 0/),
    bad('weightDecay -1', () => () => make(0.1, { weightDecay: -1 }), /weightDecay .*-1/),
    bad('a schedule giving NaN', () => { const o = make(() => NaN); return () => o.applyGradients([f3], [w]); }, /schedule at step 0 .*NaN/),
    bad('build of a tensor', () => { const o = opt(); return () => o.build([f3 as never]); }, /Tensor\(shape=\[3\]/, M('build')),
    bad('loadWeights of a missing slot', () => { const o = opt(); return () => o.loadWeights({}, [w]); }, /missing "iterations"/, M('loadWeights')),
    bad("loadWeights of 'abc'", () => { const o = opt(); return () => o.loadWeights('abc' as never); }, /"abc"/, M('loadWeights')),
  ]);
}
Object.assign(table, {
  sgd: optimizerRow('sgd', (lr, o) => sgd(lr as number, o as never), [[{ momentum: 2 }, /2/], [{ momentum: -0.5 }, /-0\.5/], [{ nesterov: 'yes' }, /"yes"/]]),
  adam: optimizerRow('adam', (lr, o) => adam(lr as number, o as never), [[{ beta1: 1 }, /1/], [{ beta2: NaN }, /NaN/], [{ epsilon: -1 }, /-1/]]),
  rmsprop: optimizerRow('rmsprop', (lr, o) => rmsprop(lr as number, o as never), [[{ decay: 2 }, /2/], [{ decay: 0.9, rho: 0.5 }, /0\.5/], [{ momentum: 'x' }, /"x"/]]),
  adamw: optimizerRow('adamw', (lr, o) => adamw(lr as number, o as never), [[{ beta1: 1 }, /1/], [{ weightDecay: NaN }, /NaN/]]),
  adagrad: optimizerRow('adagrad', (lr, o) => adagrad(lr as number, o as never), [[{ initialAccumulatorValue: -1 }, /-1/], [{ epsilon: 'x' }, /"x"/]]),
  adamax: optimizerRow('adamax', (lr, o) => adamax(lr as number, o as never), [[{ beta2: 1 }, /1/], [{ epsilon: -1 }, /-1/]]),
  nadam: optimizerRow('nadam', (lr, o) => nadam(lr as number, o as never), [[{ beta1: -0.1 }, /-0\.1/], [{ globalClipNorm: 'x' }, /"x"/]]),
});
for (const [name, Cls] of [['SGD', SGD], ['Adam', Adam], ['RMSprop', RMSprop], ['AdamW', AdamW], ['Adagrad', Adagrad], ['Adamax', Adamax], ['Nadam', Nadam]] as const) {
  const lower = name.toLowerCase();
  table[name] = {
    valid: () => new Cls(0.1),
    names: lower,
    bad: [
      bad("new(learningRate 'abc')", () => () => new Cls('abc' as never), /"abc"/),
      bad('new(learningRate -1)', () => () => new Cls(-1), /-1/),
      bad("new(0.1, options 'abc')", () => () => new Cls(0.1, 'abc' as never), /"abc"/),
    ],
  };
}

// ---- lbfgsMinimize (more cases in lbfgs.test.ts) ----
const bowl = (x: Tensor): [Tensor, Tensor] => [sum(mul(x, x)), mul(x, 2)];
table.lbfgsMinimize = gen('lbfgsMinimize', lbfgsMinimize, [
  R(bowl, [['abc', /"abc"/], [undefined, /undefined/]]),
  R(f3, [[[1, 2], /\[1, 2\]/], [i3, /int32/], ['abc', /"abc"/], [[], /\[\]/]]),
  R(undefined, [['abc', /"abc"/], [{ foo: 1 }, /"foo"/], [{ maxIterations: -1 }, /-1/], [{ tolerance: NaN }, /NaN/], [{ numCorrectionPairs: 0 }, /0/]]),
], [
  bad('valueAndGradients returning a non-scalar value', () => () => lbfgsMinimize((x: Tensor) => [x, x], f3), /\[Tensor\(shape=\[3\]/),
  bad('valueAndGradients returning gradients of another shape', () => () => lbfgsMinimize((x: Tensor) => [sum(x), f4], f3), shapeRe([4])),
  bad('valueAndGradients returning a non-finite value', () => () => lbfgsMinimize((x: Tensor) => [mul(sum(x), NaN), x], f3), /NaN/),
]);

// ---- learning-rate schedules ----
Object.assign(table, {
  exponentialDecay: gen('exponentialDecay', exponentialDecay, [R(0.1, [[-1, /-1/], ['a', /"a"/]]), R(10, [[0, /0/], [NaN, /NaN/]]), R(0.5, [[-0.5, /-0\.5/]]), R(false, [['yes', /"yes"/]])]),
  inverseTimeDecay: gen('inverseTimeDecay', inverseTimeDecay, [R(0.1, [[Infinity, /Infinity/]]), R(10, [[-1, /-1/]]), R(0.5, [['x', /"x"/]]), R(true, [[1, /1/]])]),
  piecewiseConstantDecay: gen('piecewiseConstantDecay', piecewiseConstantDecay, [R([10], [[[10, 5], /\[10, 5\]/], ['a', /"a"/]]), R([0.1, 0.01], [[[0.1], /\[0\.1\]/], [[0.1, -1], /-1/]])]),
  cosineDecay: gen('cosineDecay', cosineDecay, [R(0.1, [[-0.1, /-0\.1/]]), R(100, [[0, /0/]]), R({ warmupTarget: 0.5, warmupSteps: 5 }, [[{ alpha: 3 }, /3/], [{ warmupTarget: NaN }, /NaN/], [{ warmup: 1 }, /"warmup"/], ['x', /"x"/]])]),
});
for (const [name, schedule] of [['exponentialDecay', exponentialDecay(0.1, 10, 0.5)], ['inverseTimeDecay', inverseTimeDecay(0.1, 10, 0.5)], ['piecewiseConstantDecay', piecewiseConstantDecay([1], [1, 2])], ['cosineDecay', cosineDecay(0.1, 10)]] as const)
  table[name].bad.push(bad('a schedule called with step -1', () => () => schedule(-1), /step must be a finite number >= 0, got -1/));

// ---- safetensors ----
const enc = new TextEncoder();
function file(header: unknown, data: number, headerText?: string): Uint8Array {
  const h = enc.encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data);
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 8);
  return out;
}
const good = () => saveSafetensors({ a: f23, b: i3 });
const corrupt: [string, () => Uint8Array, RegExp][] = [
  ['4 bytes', () => new Uint8Array(4), /4 bytes/],
  ['a header length beyond the file', () => good().subarray(0, 20), /header length/],
  ['truncated data', () => good().subarray(0, good().length - 4), /must cover the \d+ data bytes after the header .* has \[\d+, \d+\]/],
  ['bad JSON', () => file(null, 0, '{"a": '), /JSON/],
  ['a JSON array', () => file([1, 2], 0), /\[1,2\]/],
  ['not UTF-8', () => { const f = file(null, 0, '{"a":1}'); f[9] = 0xff; return f; }, /UTF-8/],
  ['offsets out of range', () => file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 4), /\[0, 8\]/],
  ['a size mismatch', () => file({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), /\[3\]/],
  ['an unknown dtype', () => file({ a: { dtype: 'F99', shape: [2], data_offsets: [0, 8] } }, 8), /F99/],
  ['F16', () => file({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, 4), /F16/],
  ['a negative dim', () => file({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, 8), /-2/],
  ['a huge shape', () => file({ a: { dtype: 'F32', shape: [65536, 65536], data_offsets: [0, 4] } }, 4), /4294967296/],
  ['overlapping tensors', () => file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /overlap/],
  ['trailing bytes', () => file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8), /must cover the 8 data bytes after the header .* the tensors' data ends at 4/],
  ['reversed offsets', () => file({ a: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, 4), /\[4, 0\]/],
  ['a missing shape', () => file({ a: { dtype: 'F32', data_offsets: [0, 4] } }, 4), /undefined/],
  ['a tensor then a corrupt one', () => file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 16] } }, 12), /\[4, 16\]/],
];
for (const name of ['loadSafetensors', 'loadSafetensorsMetadata'] as const) {
  const fn = name === 'loadSafetensors' ? loadSafetensors : loadSafetensorsMetadata;
  table[name] = {
    valid: () => fn(good()),
    bad: [
      ...corrupt.map(([label, bytes, re]) => bad(label, () => { const b = bytes(); return () => fn(b); }, re)),
      bad("'abc'", () => () => fn('abc' as never), /"abc"/),
      bad('undefined', () => () => fn(undefined as never), /undefined/),
      bad('an array of numbers', () => () => fn([1, 2] as never), /\[1, 2\]/),
    ],
  };
}
table.saveSafetensors = gen('saveSafetensors', saveSafetensors, [R({ a: f23 }, [['abc', /"abc"/], [undefined, /undefined/], [{ a: 'x' }, /"x"/], [{ __metadata__: f3 }, /__metadata__/], [f23, /Tensor/], [[f23], /\[Tensor/]]),
  R(undefined, [['abc', /"abc"/], [{ k: 1 }, /1/]])], [
  bad('a disposed tensor', () => { const d = disposedLike(f3); return () => saveSafetensors({ d }); }, /disposed/),
]);

// ---- running the table ----
function thrown(call: Call): unknown {
  try { call(); } catch (e) { return e; }
  return undefined;
}

describe('bad input', () => {
  it('covers every export (a new export needs a row here or an explicit exclusion)', () => {
    const exported = Object.keys(api).sort();
    const missing = exported.filter(k => !(k in table) && !(k in EXCLUDED));
    expect(missing, 'exports without a bad-input row').toEqual([]);
    const stale = [...Object.keys(table), ...Object.keys(EXCLUDED)].filter(k => !exported.includes(k));
    expect(stale, 'rows for names that are not exported').toEqual([]);
    for (const [k, row] of Object.entries(table)) if (row.bad.length === 0) expect(row.noBad, `${k} has no bad calls and no reason`).toBeTruthy();
  });

  for (const [name, row] of Object.entries(table)) {
    describe(name, () => {
      it('valid call', () => { dispose(row.valid()); });
      for (const c of row.bad) {
        it(c.label, () => {
          const call = c.make();
          const before = memory();
          const error = thrown(call);
          const after = memory();
          expect(error, 'it must throw').toBeDefined();
          expect(error).toBeInstanceOf(Error);
          expect(error).not.toBeInstanceOf(WebAssembly.RuntimeError);
          const message = (error as Error).message;
          expect(message).not.toMatch(/Cannot read prop|is not a function|undefined is not|is not iterable|Cannot convert|internal error|core assertion/);
          const names = c.names ?? row.names ?? name;
          if (typeof names === 'string') expect(message).toContain(names); else expect(message).toMatch(names);
          if (c.value !== undefined) { if (typeof c.value === 'string') expect(message).toContain(c.value); else expect(message).toMatch(c.value); }
          expect({ tensors: after.tensors, bytes: after.bytes }, `memory after: ${message}`).toEqual({ tensors: before.tensors, bytes: before.bytes });
          dispose((c.valid ?? row.valid)());
        });
      }
    });
  }
});

// ---- empty tensors, where valid ----
describe('empty (size 0) tensors', () => {
  it('reductions, matmul with k = 0, concat, reshape, softmax', () => {
    const e0 = zeros([0]), e03 = zeros([0, 3]), e20 = zeros([2, 0]);
    expect(sum(e0).toArray()).toBe(0);
    expect(Number.isNaN(mean(e0).item())).toBe(true); // 0 / 0, as TF
    expect(sum(e03, 0).toArray()).toEqual([0, 0, 0]);
    expect(sum(e03, 1).shape).toEqual([0]);
    expect(sum(e20, 1).toArray()).toEqual([0, 0]);
    expect(mean(e03, 1).shape).toEqual([0]);
    expect(matmul(e20, zeros([0, 4])).toArray()).toEqual([[0, 0, 0, 0], [0, 0, 0, 0]]);
    expect(matmul(e03, zeros([3, 2])).shape).toEqual([0, 2]);
    expect(concat([e03, f23], 0).toArray()).toEqual(f23.toArray());
    expect(concat([e20, f23], 1).toArray()).toEqual(f23.toArray());
    expect(reshape(e03, [3, 0]).shape).toEqual([3, 0]);
    expect(reshape(e03, [-1, 3]).shape).toEqual([0, 3]);
    expect(softmax(e03).shape).toEqual([0, 3]);
    expect(softmax(e20).shape).toEqual([2, 0]);
    expect(add(e03, f3).shape).toEqual([0, 3]);
    expect(pad(e0, [[1, 2]]).toArray()).toEqual([0, 0, 0]);
    expect(tile(e03, [5, 1]).shape).toEqual([0, 3]);
    expect(stack([e0, e0]).shape).toEqual([2, 0]);
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
    expect(range(3, 3).shape).toEqual([0]);
    expect(eye(0).shape).toEqual([0, 0]);
    expect(api.slice(f23, [0, 1], [2, 0]).shape).toEqual([2, 0]);
    expect(api.gather(f23, tensor([], undefined, 'int32')).shape).toEqual([0, 3]);
    expect(oneHot(tensor([], undefined, 'int32'), 4).shape).toEqual([0, 4]);
  });
});

// ---- huge requests fail before touching wasm ----
/** Counts calls into the core while fn runs. */
function wasmCalls(fn: () => unknown): { calls: string[]; error: unknown } {
  const c = core as unknown as Record<string, unknown>;
  const saved: Record<string, unknown> = {};
  const calls: string[] = [];
  for (const [k, v] of Object.entries(c)) {
    if (typeof v !== 'function') continue;
    saved[k] = v;
    c[k] = (...a: unknown[]) => { calls.push(k); return (v as (...a: unknown[]) => unknown)(...a); };
  }
  try { return { calls, error: thrown(fn) }; } finally { Object.assign(c, saved); }
}
describe('huge requests', () => {
  const big = ones([70000, 1]), wide = ones([1, 70000]), e0 = zeros([0]), v70k = ones([70000]);
  const cases: [string, () => unknown, RegExp][] = [
    ['zeros([2^16, 2^16])', () => zeros([2 ** 16, 2 ** 16]), /zeros.*4294967296 elements/],
    ['ones([2^32])', () => ones([2 ** 32]), /ones.*4294967296 elements/],
    ['fill([2^31])', () => fill([2 ** 31], 1), /fill.*2147483648 elements/],
    ['zeros([0, 2^32]) (a dimension beyond int32)', () => zeros([0, 2 ** 32]), /zeros.*4294967296/],
    ['tensor(1, [2^20, 2^20])', () => tensor(1, [2 ** 20, 2 ** 20]), /tensor.*1099511627776 elements/],
    ['matmul [70000, 1] x [1, 70000]', () => matmul(big, wide), /matmul.*4900000000 elements/],
    ['broadcastTo(scalar, [2^20, 2^20])', () => broadcastTo(s1, [2 ** 20, 2 ** 20]), /broadcastTo.*1099511627776 elements/],
    ['tile to 2^40 elements', () => tile(f4, [2 ** 38]), /tile.*1099511627776 elements/],
    ['range(0, 2^32)', () => range(0, 2 ** 32), /range.*4294967296 elements/],
    ['oneHot with depth 2^31', () => oneHot(i2, 2 ** 31), /oneHot.*4294967296 elements/],
    ['eye(2^16)', () => eye(2 ** 16), /eye.*4294967296 elements/],
    ['linspace(0, 1, 2^32)', () => linspace(0, 1, 2 ** 32), /linspace.*4294967296 elements/],
    ['randomNormal([2^16, 2^16])', () => randomNormal([2 ** 16, 2 ** 16]), /randomNormal.*4294967296 elements/],
    ['reshape of an empty tensor to [0, 2^32]', () => reshape(e0, [0, 2 ** 32]), /reshape.*4294967296/],
    ['pad to 2^32 elements', () => pad(f4, [[0, 2 ** 32 - 4]]), /pad.*4294967296 elements/],
    ['broadcastTo one past the maximum', () => broadcastTo(s1, [2 ** 29 + 1]), /broadcastTo.*536870913 elements/],
    ['einsum outer product of two 70000-vectors', () => api.einsum('i,j->ij', v70k, v70k), /einsum.*4900000000 elements/],
  ];
  for (const [label, fn, re] of cases) {
    it(label, () => {
      const before = memory();
      const { calls, error } = wasmCalls(fn);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(re);
      expect(calls, 'calls into the core').toEqual([]);
      const after = memory();
      expect({ tensors: after.tensors, bytes: after.bytes, wasmBytes: after.wasmBytes }).toEqual({ tensors: before.tensors, bytes: before.bytes, wasmBytes: before.wasmBytes });
    });
  }
});

// ---- layers: MultiHeadAttention (constructor options, apply's inputs, masks and options) ----
describe('bad input: MultiHeadAttention', () => {
  const q = randomNormal([2, 3, 4], { seed: 6 }), kv = randomNormal([2, 5, 4], { seed: 7 });
  const mha = new MultiHeadAttention({ numHeads: 2, keyDim: 3, name: 'mha' });
  mha.build(q.shape, kv.shape);
  const fresh = () => new MultiHeadAttention({ numHeads: 2, keyDim: 3, name: 'fresh' });
  const valid = () => mha.apply(q, kv);
  const make = (o: unknown) => () => new MultiHeadAttention(o as never);
  const cases: [string, () => Call, RegExp][] = [
    // constructor
    ['no options', () => make(undefined), /expected options \{ numHeads, keyDim/],
    ['numHeads 0', () => make({ numHeads: 0, keyDim: 2 }), /numHeads must be a positive integer, got 0/],
    ['numHeads 1.5', () => make({ numHeads: 1.5, keyDim: 2 }), /numHeads must be a positive integer, got 1\.5/],
    ["numHeads '4'", () => make({ numHeads: '4', keyDim: 2 }), /numHeads must be a positive integer, got "4"/],
    ['keyDim missing', () => make({ numHeads: 2 }), /keyDim must be a positive integer, got undefined/],
    ['keyDim -3', () => make({ numHeads: 2, keyDim: -3 }), /keyDim must be a positive integer, got -3/],
    ['valueDim 0', () => make({ numHeads: 2, keyDim: 2, valueDim: 0 }), /valueDim must be a positive integer, got 0/],
    ['dropout 1', () => make({ numHeads: 2, keyDim: 2, dropout: 1 }), /dropout must be a number in \[0, 1\), got 1/],
    ['outputShape [0]', () => make({ numHeads: 2, keyDim: 2, outputShape: [0] }), /outputShape must be a positive integer or a non-empty array of them, got \[0\]/],
    ["kernelInitializer 'he'", () => make({ numHeads: 2, keyDim: 2, kernelInitializer: 'he' }), /unknown kernelInitializer "he"/],
    ['an unknown option', () => make({ numHeads: 2, keyDim: 2, attentionAxes: [1] }), /unknown option "attentionAxes"/],
    // apply: inputs
    ['query not a tensor', () => () => mha.apply([[[1]]] as never, kv), /expected the query as a Tensor, got \[\[\[1\]\]\]/],
    ['a disposed value', () => { const d = disposedLike(kv); return () => mha.apply(q, d); }, /the value tensor is disposed/],
    ['an int32 query', () => () => mha.apply(i23 as never, kv), /expected a float32 query, got a int32 tensor of shape \[2,3\]/],
    ['query of rank 2', () => () => fresh().apply(f23, kv), /expected a query of rank 3 \[batch, seq, features\], got shape \[2,3\]/],
    ['value of rank 4', () => () => fresh().apply(q, img), /expected a value of rank 3 \[batch, seq, features\], got shape \[1,4,4,1\]/],
    ['key and value of different lengths', () => { const k = randomNormal([2, 4, 4], { seed: 8 }); return () => mha.apply(q, kv, k); }, /value and key must have the same length \(axis 1\), got value \[2,5,4\] and key \[2,4,4\]/],
    ['different batch sizes', () => { const v = randomNormal([3, 5, 4], { seed: 9 }); return () => fresh().apply(q, v); }, /same batch size, got shapes \[2,3,4\], \[3,5,4\] and \[3,5,4\]/],
    ['a query wider than the build', () => { const w = randomNormal([2, 3, 6], { seed: 10 }); return () => mha.apply(w, kv); }, /the query's last dimension is 6 \(shape \[2,3,6\]\) but the layer was built for 4/],
    // apply: masks and options
    ['a mask of the wrong shape', () => { const m = ones([2, 3, 4]); return () => mha.apply(q, kv, { attentionMask: m }); }, /attentionMask of shape \[2,3,4\] does not fit the attention scores \[2,2,3,5\]/],
    ['a mask of rank 1', () => { const m = ones([5]); return () => mha.apply(q, kv, { attentionMask: m }); }, /attentionMask of shape \[5\] does not fit/],
    ['a mask of rank 5', () => { const m = ones([1, 2, 2, 3, 5]); return () => mha.apply(q, kv, { attentionMask: m }); }, /attentionMask of shape \[1,2,2,3,5\] does not fit/],
    ['a mask as a nested array', () => () => mha.apply(q, kv, { attentionMask: [[1]] as never }), /attentionMask must be a Tensor, got \[\[1\]\]/],
    ['a disposed mask', () => { const d = disposedLike(b23); return () => mha.apply(q, kv, { attentionMask: d }); }, /the attentionMask tensor is disposed/],
    ['a mask of the wrong shape on an unbuilt layer', () => { const m = ones([2, 3, 4], 'bool'); const f = fresh(); return () => f.apply(q, kv, { attentionMask: m }); }, /does not fit/],
    ["useCausalMask 'yes'", () => () => mha.apply(q, kv, { useCausalMask: 'yes' as never }), /useCausalMask must be a boolean, got "yes"/],
    ['training 1', () => () => mha.apply(q, kv, undefined, { training: 1 as never }), /training must be a boolean, got 1/],
    ['an unknown apply option', () => () => mha.apply(q, kv, { mask: b23 } as never), /unknown option "mask"/],
    ['a disposed layer', () => { const f = fresh(); f.build(q.shape, kv.shape); f.dispose(); return () => f.apply(q, kv); }, /the layer is disposed/],
  ];
  it('valid call', () => {
    const y = valid();
    expect(y.shape).toEqual([2, 3, 4]);
    y.dispose();
  });
  for (const [label, build, message] of cases) {
    it(label, () => {
      const call = build();
      const before = memory();
      const error = thrown(call);
      const after = memory();
      expect(error, 'it must throw').toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/^MultiHeadAttention '\w+': /);
      expect((error as Error).message).toMatch(message);
      expect({ tensors: after.tensors, bytes: after.bytes }, `memory after: ${(error as Error).message}`).toEqual({ tensors: before.tensors, bytes: before.bytes });
      dispose(valid());
    });
  }
});
