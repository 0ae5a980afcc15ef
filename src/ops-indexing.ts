// Indexing (API.md "Scans, sorting, indexing"): gatherNd, scatterNd and unsortedSegmentSum, TF's
// tf.gather_nd, tf.scatter_nd and tf.math.unsorted_segment_sum. Compositions on gather and its
// adjoint, the core's scatterAdd (assembly/ops/slicing.ts), over the flattened leading dimensions:
// the linear indices are computed here from the (read) index tensor, which is where the range checks
// and their messages come from. The gradients are the gather and scatter rules: no code of their own.
//
// dtypes: gatherNd takes any dtype of x (differentiable for float32). scatterNd's updates and
// unsortedSegmentSum's data are float32 (differentiable) or int32: int32 sums are computed here in
// JS, wrapping around on overflow as TF's int32 arithmetic does, and are not differentiable (as no
// int32 result is). bool is an Error. Every op here is declared pure.
import { method, checkDTypes, dims, withShape, fmt, intTensor, integer } from './ops.js';
import { core } from './core.js';
import { Tensor, TensorLike, toTensor, wrap, describe, tensor, view, empty, checkShape, product } from './tensor.js';
import { gather, reshape, slice } from './ops-shape.js';
import { C } from '../build/generated/interface.js';

/**
 * The linear index into `shape`'s first K dimensions of each of the m index tuples (K ints each) in
 * `idx`, or an Error naming the first tuple out of range and its position.
 */
function linearIndices(op: string, idx: Int32Array, m: number, K: number, shape: readonly number[], what: string): Int32Array {
  const out = new Int32Array(m);
  for (let p = 0; p < m; p++) {
    let lin = 0;
    for (let d = 0; d < K; d++) {
      const v = idx[p * K + d];
      if (v < 0 || v >= shape[d]) {
        throw new Error(`${op}: index ${fmt(Array.from(idx.subarray(p * K, p * K + K)))} at position ${p} of indices is out of range for ${what} ${fmt(shape)}`);
      }
      lin = lin * shape[d] + v;
    }
    out[p] = lin;
  }
  return out;
}

/** Indices as an int32 tensor of rank >= 1 and its last dimension K (at most `rank`). */
function indexTuples(op: string, indices: TensorLike, rank: number, what: string): { idx: Tensor; lead: number[]; K: number } {
  const idx = intTensor(op, 'indices', indices), s = dims(idx);
  if (s.length === 0) throw new Error(`${op}: indices must have rank >= 1, got a scalar`);
  const K = s[s.length - 1];
  if (K > rank) throw new Error(`${op}: indices of shape ${fmt(s)} have tuples of ${K} entries, more than the rank of ${what}`);
  return { idx, lead: s.slice(0, -1), K };
}

/** x's slices at the index tuples along the last axis of `indices`: the result has shape indices.shape[:-1] ++ x.shape[K:]. */
export const gatherNd = /* @__PURE__ */ method('gatherNd', function gatherNd(x: TensorLike, indices: TensorLike): Tensor {
  const op = 'gatherNd', t = toTensor(op, x), s = dims(t);
  const { idx, lead, K } = indexTuples(op, indices, s.length, `x (shape ${fmt(s)})`);
  const lin = linearIndices(op, view(idx) as Int32Array, product(lead), K, s, 'shape');
  const rest = s.slice(K);
  checkShape(op, [...lead, ...rest]);
  return gather(reshape(t, [product(s.slice(0, K)), ...rest]), tensor(lin, lead, 'int32'));
}, __TESTS__ && {
  kind: 'other', dtypes: 'any', grad: true,
  examples: [{ inputs: [[4, 3], { shape: [5, 2], int: [0, 3] }] }, { inputs: [[4, 3, 2], { shape: [2, 3, 1], int: [0, 4] }] },
    { inputs: [[3, 3, 2], { shape: [4, 3], int: [0, 2] }] }, { inputs: [[3, 4], { shape: [2], int: [0, 3] }] }],
});

/**
 * Rows of `updates` summed into the zeros of data of `shape` where `ids` (linear, in [0, M)) send
 * them: M rows of `inner` values. float32 through the core's scatterAdd (differentiable), int32 here.
 */
function scatterRows(u: Tensor, ids: Int32Array, idsShape: number[], M: number, rest: number[]): Tensor {
  if (u.dtype === 'int32') {
    const out = empty([M, ...rest], 'int32'), inner = product(rest);
    const o = view(out) as Int32Array, v = view(u) as Int32Array;
    o.fill(0);
    for (let p = 0; p < ids.length; p++) for (let i = 0; i < inner; i++) o[ids[p] * inner + i] = (o[ids[p] * inner + i] + v[p * inner + i]) | 0;
    return out;
  }
  const at = tensor(ids, idsShape, 'int32');
  return withShape(wrap(core[C.scatterAdd](u.id, at.id, 0, M), 'float32'), [M, ...rest]);
}

/**
 * A tensor of `shape`, zeros except the `updates` added at the index tuples along the last axis of
 * `indices` (duplicates sum), TF's tf.scatter_nd: updates has shape indices.shape[:-1] ++ shape[K:].
 * Differentiable w.r.t. float32 updates; int32 updates give an int32 result.
 */
export const scatterNd = /* @__PURE__ */ method('scatterNd', function scatterNd(indices: TensorLike, updates: TensorLike, shape: readonly number[]): Tensor {
  const op = 'scatterNd';
  checkShape(op, shape);
  const u = toTensor(op, updates);
  checkDTypes(op, u, 'numeric');
  const { idx, lead, K } = indexTuples(op, indices, shape.length, `shape ${fmt(shape)}`);
  const rest = shape.slice(K), want = [...lead, ...rest], us = dims(u);
  if (us.length !== want.length || us.some((d, i) => d !== want[i]))
    throw new Error(`${op}: updates must have shape ${fmt(want)} for indices of shape ${fmt(dims(idx))} and shape ${fmt(shape)}, got ${fmt(us)}`);
  const lin = linearIndices(op, view(idx) as Int32Array, product(lead), K, shape, 'shape');
  const out = scatterRows(u, lin, lead, product(shape.slice(0, K)), rest);
  return K === 1 ? out : reshape(out, shape);
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [{ inputs: [{ shape: [6, 1], int: [0, 4] }, [6, 3]], args: [[4, 3]] }, { inputs: [{ shape: [5, 2], int: [0, 3] }, [5]], args: [[3, 3]] },
    { inputs: [{ shape: [2, 2, 2], int: [0, 2] }, [2, 2, 3]], args: [[2, 2, 3]] }, { inputs: [{ shape: [2], int: [0, 3] }, [4]], args: [[3, 3, 4]] }],
});

/**
 * Sums of the slices of `data` by segment, TF's tf.math.unsorted_segment_sum: segmentIds (int32) has
 * a prefix of data's shape, and the result [numSegments, ...data.shape[rank(segmentIds):]] holds in
 * row s the sum of the slices whose id is s (zeros for none). Negative ids drop their slice; an id
 * >= numSegments is an Error. Differentiable w.r.t. float32 data.
 */
export const unsortedSegmentSum = /* @__PURE__ */ method('unsortedSegmentSum', function unsortedSegmentSum(data: TensorLike, segmentIds: TensorLike, numSegments: number): Tensor {
  const op = 'unsortedSegmentSum', t = toTensor(op, data);
  checkDTypes(op, t, 'numeric');
  integer(op, 'numSegments', numSegments);
  const ids = intTensor(op, 'segmentIds', segmentIds), ds = dims(t), is = dims(ids);
  if (is.length > ds.length || is.some((d, i) => d !== ds[i]))
    throw new Error(`${op}: the shape of segmentIds, ${fmt(is)}, must be a prefix of the shape of data, ${fmt(ds)}`);
  const rest = ds.slice(is.length);
  checkShape(op, [numSegments, ...rest]);
  const v = view(ids) as Int32Array, lin = new Int32Array(v.length);
  let dropped = false;
  for (let p = 0; p < v.length; p++) {
    if (v[p] >= numSegments) throw new Error(`${op}: segment id ${v[p]} at position ${p} of segmentIds is out of range for numSegments = ${numSegments}`);
    dropped ||= v[p] < 0;
    lin[p] = v[p] < 0 ? numSegments : v[p]; // (negative ids: into one extra row, cut off below)
  }
  const out = scatterRows(t, lin, is.slice(), numSegments + +dropped, rest);
  return dropped ? slice(out, out.shape.map(() => 0), [numSegments, ...rest]) : out;
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [{ inputs: [[7, 2], { shape: [7], int: [-1, 4] }], args: [4] }, { inputs: [[2, 3, 2], { shape: [2, 3], int: [0, 5] }], args: [5] },
    { inputs: [[6], { shape: [6], int: [0, 3] }], args: [3] }],
});
