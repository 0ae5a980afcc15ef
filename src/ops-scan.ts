// Scans and sorting (API.md "Scans, sorting, indexing"): cumsum and cumprod (kernels and backward rule
// in the extra module: assembly/extra/scan.ts, assembly/kernels/scan.ts), and reverse, roll and topK,
// compositions on gather (a reversed, rotated or selected index vector; the gradient scatters back),
// so they need no kernel and no gradient code. Every op here is declared pure: a program that does
// not import one leaves it out (and the scan kernels with it).
import { def, method, structured, checkDTypes, dims, withShape, normAxis, axesMask, flag, fmt, integer } from './ops.js';
import { extraModule } from './core.js';
import { Op } from '../build/generated/opcodes.js';
import { extraWasm } from './extra-source.js';
import { Tensor, TensorLike, toTensor, wrap, describe, tensor, view, product, isInt } from './tensor.js';
import { gather, reshape } from './ops-shape.js';
import { identity } from './ops-elementwise.js';
import { X } from '../build/generated/interface.js';

/** A float32 or int32 tensor of rank >= 1, or an Error naming the op. */
function numericArg(op: string, x: TensorLike): Tensor {
  const t = toTensor(op, x);
  checkDTypes(op, t, 'numeric');
  if (t.rank === 0) throw new Error(`${op}: expected a tensor of rank >= 1, got a scalar`);
  return t;
}

// ---- cumsum, cumprod ----
function scanOp(name: 'cumsum' | 'cumprod', code: number) {
  return function scan(x: TensorLike, axis = 0, exclusive = false, reverse = false): Tensor {
    const t = numericArg(name, x), ax = normAxis(name, axis, t.rank);
    const e = flag(name, 'exclusive', exclusive), r = flag(name, 'reverse', reverse);
    return withShape(wrap(extraModule(extraWasm)[X.scan](code, t.id, ax, +e, +r), t.dtype), dims(t));
  };
}
const scanExamples = [{ inputs: [[5]] }, { inputs: [[3, 4]], args: [1] }, { inputs: [[3, 4]], args: [0, true] }, { inputs: [[2, 3, 4]], args: [1, false, true] },
  { inputs: [[2, 3, 2]], args: [-1, true, true] }, { inputs: [[4, 3]], args: [-2, true, true] }];

/**
 * Cumulative sum along `axis` (default 0), TF's tf.math.cumsum: with `exclusive` each element sums
 * only those before it (the first is 0), with `reverse` the sums run from the end (float32 or int32).
 * The gradient is the cumsum of dy with `reverse` flipped.
 */
export const cumsum = /* @__PURE__ */ method('cumsum', /* @__PURE__ */ scanOp('cumsum', Op.Cumsum), __TESTS__ && { kind: 'other', dtypes: 'numeric', grad: true, examples: scanExamples });
/**
 * Cumulative product along `axis` (default 0), TF's tf.math.cumprod, with cumsum's `exclusive` and
 * `reverse` (float32 or int32). The gradient is right where x has zeros too (TF's own formula divides
 * by them): see assembly/extra/scan.ts.
 */
export const cumprod = /* @__PURE__ */ method('cumprod', /* @__PURE__ */ scanOp('cumprod', Op.Cumprod), __TESTS__ && { kind: 'other', dtypes: 'numeric', grad: true, examples: scanExamples });

// ---- reverse, roll ----
/** An int32 index vector. */
const indexVector = (values: number[]): Tensor => tensor(Int32Array.from(values), [values.length], 'int32');

/** x gathered along each axis in `perAxis` (axis → index vector of its length); identity when none. */
function permuteAxes(t: Tensor, perAxis: Map<number, number[]>): Tensor {
  let out = t;
  for (const [ax, idx] of perAxis) out = gather(out, indexVector(idx), ax);
  return out === t ? identity(t) : out;
}

/**
 * x with the order of its elements reversed along `axis` (a number or an array of distinct axes),
 * TF's tf.reverse (any dtype). A gather per axis: the gradient reverses dy back.
 */
export const reverse = /* @__PURE__ */ method('reverse', function reverse(x: TensorLike, axis: number | number[]): Tensor {
  const t = toTensor('reverse', x), s = dims(t);
  if (axis === undefined || axis === null) throw new Error(`reverse: axis must be an integer or an array of integers, got ${describe(axis)}`);
  const mask = axesMask('reverse', axis, s.length), perAxis = new Map<number, number[]>();
  for (let ax = 0; ax < s.length; ax++) if (mask & (1 << ax)) perAxis.set(ax, Array.from({ length: s[ax] }, (_, i) => s[ax] - 1 - i));
  return permuteAxes(t, perAxis);
}, __TESTS__ && {
  kind: 'other', dtypes: 'any', grad: true,
  examples: [{ inputs: [[5]], args: [0] }, { inputs: [[3, 4]], args: [[0, 1]] }, { inputs: [[2, 3, 4]], args: [-1] }, { inputs: [[2, 3, 4]], args: [[0, -1]] }],
});

/**
 * x with its elements shifted by `shift` along `axis`, those pushed past the end coming back at the
 * start, TF's tf.roll: `shift` and `axis` are numbers or arrays of one length (shifts of a repeated
 * axis add up; negative shifts roll the other way). Any dtype; the gradient rolls dy back.
 */
export const roll = /* @__PURE__ */ method('roll', function roll(x: TensorLike, shift: number | number[], axis: number | number[]): Tensor {
  const t = toTensor('roll', x), s = dims(t);
  const shifts = Array.isArray(shift) ? shift : [shift], axes = Array.isArray(axis) ? axis : [axis];
  if (!shifts.every(isInt)) throw new Error(`roll: shift must be an integer or an array of integers, got ${describe(shift)}`);
  if (Array.isArray(shift) !== Array.isArray(axis) || shifts.length !== axes.length)
    throw new Error(`roll: shift and axis must be two integers or two arrays of one length, got shift ${describe(shift)} and axis ${describe(axis)}`);
  const total = new Map<number, number>();
  axes.forEach((a, i) => { const ax = normAxis('roll', a, s.length); total.set(ax, (total.get(ax) ?? 0) + shifts[i]); });
  const perAxis = new Map<number, number[]>();
  for (const [ax, k] of total) {
    const n = s[ax], m = n === 0 ? 0 : ((k % n) + n) % n;
    // output i takes input (i − shift) mod n
    perAxis.set(ax, Array.from({ length: n }, (_, i) => (i - m + n) % n));
  }
  return permuteAxes(t, perAxis);
}, __TESTS__ && {
  kind: 'other', dtypes: 'any', grad: true,
  examples: [{ inputs: [[5]], args: [2, 0] }, { inputs: [[3, 4]], args: [[1, -1], [0, 1]] }, { inputs: [[2, 3, 4]], args: [-5, -1] }, { inputs: [[3, 4]], args: [[2, 3], [1, 1]] }],
});

// ---- topK ----
// Selection in JS, by measurement (Node 20, [256, 1000], k = 5): the whole op takes 0.8 ms, one pass
// of the core's own max (or argMax) reduction over the same tensor 0.5-0.6 ms, so a wasm selection
// kernel, which must read every element too, could save about 0.3 ms at most, for its bytes in the
// extra module (TensorFlow.js's CPU topk: 6 ms). Larger k (> 64) sorts each row natively.
const INSERTION_MAX_K = 64;
const bits = new Uint32Array(1), bitsF = new Float32Array(bits.buffer);

/**
 * Writes the indices of the k best entries of each row (of n) of v in order: larger first, NaN above
 * every number (argMax's order), ties by lower index. Small k: the k best so far kept sorted by
 * insertion (one comparison for most entries; random rows of 1000 with k = 50 took 7 times as long
 * as k = 5, sorting them 20 times). Larger k: each row's entries as float64 keys,
 * (rank from the top) · 2^21 + index, sorted natively (rows up to 2^21 long; longer ones by a
 * comparison sort).
 */
function selectTopK(v: Float32Array | Int32Array, rows: number, n: number, k: number, out: Int32Array): void {
  if (k === 0) return;
  const float = v instanceof Float32Array;
  if (k <= INSERTION_MAX_K) {
    const vals = new Float64Array(k);
    for (let r = 0; r < rows; r++) {
      const base = r * n, o = r * k;
      let count = 0, worst = NaN;
      for (let j = 0; j < n; j++) {
        const a = v[base + j];
        if (count === k && !(a > worst) && (a === a || worst !== worst)) continue; // not before the k-th
        let p = count < k ? count++ : k - 1;
        for (; p > 0; p--) { // (strict: an equal value stays behind)
          const b = vals[p - 1];
          if (!(a > b || (a !== a && b === b))) break;
          vals[p] = b; out[o + p] = out[o + p - 1];
        }
        vals[p] = a; out[o + p] = j; worst = vals[k - 1];
      }
    }
    return;
  }
  // the descending 32-bit rank of a value: float bits made monotone (−0 as +0, every NaN on top), or int32 offset
  const rank = (a: number): number => {
    if (!float) return 0x7fffffff - a;
    if (a !== a) return 0;
    bitsF[0] = a === 0 ? 0 : a;
    const u = bits[0];
    return 0xffffffff - (u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0);
  };
  const keys = new Float64Array(n), SHIFT = 2 ** 21;
  for (let r = 0; r < rows; r++) {
    const base = r * n, o = r * k;
    if (n <= SHIFT) {
      for (let j = 0; j < n; j++) keys[j] = rank(v[base + j]) * SHIFT + j;
      keys.sort();
      for (let i = 0; i < k; i++) out[o + i] = keys[i] % SHIFT;
    } else {
      const order = Array.from({ length: n }, (_, i) => i);
      order.sort((i, j) => rank(v[base + i]) - rank(v[base + j]) || i - j);
      for (let i = 0; i < k; i++) out[o + i] = order[i];
    }
  }
}

const topKList = /* @__PURE__ */ def('topK', (x: TensorLike, k = 1, sorted = true): Tensor[] => {
  const op = 'topK', t = numericArg(op, x), s = dims(t), n = s[s.length - 1];
  integer(op, 'k', k);
  if (k > n) throw new Error(`topK: k = ${k} is more than the last dimension of x (shape ${fmt(s)})`);
  flag(op, 'sorted', sorted, true);
  const lead = s.slice(0, -1), rows = product(lead), outShape = [...lead, k];
  const idx = new Int32Array(rows * k);
  selectTopK(view(t) as Float32Array | Int32Array, rows, n, k, idx);
  const flat = idx.map((j, i) => Math.floor(i / k) * n + j);
  const values = gather(reshape(t, [rows * n]), tensor(flat, outShape, 'int32'));
  return [values, tensor(idx, outShape, 'int32')];
}, false);

/**
 * The k largest entries of each row of x along the last axis, and their int32 indices, TF's
 * tf.math.top_k: sorted from the largest (also with `sorted` false, which TF leaves unspecified),
 * ties keep the lower index first, NaN ranks above every number. `values` is differentiable (the
 * gradient goes back to the chosen entries); k larger than the last dimension is an Error.
 */
export const topK = /* @__PURE__ */ structured('topK', function topK(x: TensorLike, k = 1, sorted = true): { values: Tensor; indices: Tensor } {
  const [values, indices] = topKList(x, k, sorted);
  return { values, indices };
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true, secondOrder: false, // (piecewise linear: its second derivative is zero)
  examples: [{ inputs: [[7]], args: [3], call: (f, xs, a) => f(...xs, ...a).values }, { inputs: [[3, 6]], args: [2], call: (f, xs, a) => f(...xs, ...a).values },
    { inputs: [[2, 2, 5]], args: [5], call: (f, xs, a) => f(...xs, ...a).values }, { inputs: [[4, 40]], args: [35], call: (f, xs, a) => f(...xs, ...a).values }],
}, true);
