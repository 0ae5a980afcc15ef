// einsum: TF's tf.einsum (NumPy's grammar), planned as transposes and reshapes around batched matmuls,
// so it is a composition of recorded ops and every operand gets gradients of every order for free.
// Planning (pure JS, shapes only) validates everything and composes the steps before anything is
// allocated; plans are cached per equation and operand shapes, so a training loop plans once.
import { def, dims, fmt } from './ops.js';
import { Tensor, TensorLike, toTensor, describe, tensor as makeTensor, checkShape, MAX_RANK, product } from './tensor.js';
import { mul, identity } from './ops-elementwise.js';
import { sum } from './ops-reduce.js';
import { reshape, transpose, gather } from './ops-shape.js';
import { matmul } from './ops-linalg.js';

/** Dimension k of the '...' counted from its right (operands right-aligned) has label ELLIPSIS + k; letters are their char codes. */
const ELLIPSIS = 1000;
type Labels = number[];
type Run = (operands: Tensor[]) => Tensor;
/** An operand while planning: its labels and shape, and how to compute it from the operands. */
interface Slot { labels: Labels; shape: number[]; run: Run }

const isIdentity = (perm: readonly number[]): boolean => perm.every((p, i) => p === i);
const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

const TERM = /^([a-zA-Z]*)(\.\.\.)?([a-zA-Z]*)$/;
/** A term: its text, its letters' labels, and where its '...' stands among them (-1: none). */
interface Term { text: string; letters: Labels; ellipsisAt: number }

/** Plans the whole computation for operands of these shapes, or throws an Error naming what does not fit. */
function plan(equation: string, shapes: readonly (readonly number[])[]): Run {
  const eq = JSON.stringify(equation), sides = equation.replace(/\s+/g, '').split('->');
  if (sides.length > 2) throw new Error(`einsum: equation ${eq} has more than one '->'`);
  const term = (s: string, what: string): Term => {
    const m = TERM.exec(s);
    if (!m) throw new Error(`einsum: ${what} ${JSON.stringify(s)} of equation ${eq} does not parse (expected letters a-z, A-Z and at most one '...')`);
    return { text: s, letters: [...m[1] + m[3]].map(c => c.charCodeAt(0)), ellipsisAt: m[2] ? m[1].length : -1 };
  };
  const inputs = sides[0].split(',').map((s, i) => term(s, `the subscripts of operand ${i}`));
  const output = sides.length === 2 ? term(sides[1], 'the output subscripts') : undefined;
  if (inputs.length !== shapes.length) throw new Error(`einsum: equation ${eq} has subscripts for ${inputs.length} operand${inputs.length === 1 ? '' : 's'}, got ${shapes.length}`);
  /** A term's labels, its '...' standing for n dimensions (label ELLIPSIS + k: the k-th from the right). */
  const labelsOf = (t: Term, n: number): Labels => t.ellipsisAt < 0 ? t.letters
    : [...t.letters.slice(0, t.ellipsisAt), ...Array.from({ length: n }, (_, k) => ELLIPSIS + n - 1 - k), ...t.letters.slice(t.ellipsisAt)];
  // the ranks; one size per letter; '...' dimensions broadcast NumPy-style (size 1 against n), and
  // cover as many dimensions as the longest operand's. `where`: the operand a size comes from
  let ellipsisRank = 0;
  const size = new Map<number, number>(), where = new Map<number, number>();
  const slots = inputs.map((t, i): Slot => {
    const s = shapes[i], r = s.length, n = t.letters.length;
    if (t.ellipsisAt < 0 ? r !== n : r < n) throw new Error(`einsum: operand ${i} has shape ${fmt(s)} (rank ${r}), but its subscripts ${JSON.stringify(t.text)} in equation ${eq} expect rank ${t.ellipsisAt < 0 ? n : `>= ${n}`}`);
    if (t.ellipsisAt >= 0) ellipsisRank = Math.max(ellipsisRank, r - n);
    const labels = labelsOf(t, r - n);
    labels.forEach((l, a) => {
      const known = size.get(l), j = where.get(l)!, d = s[a];
      if (known === undefined || (l >= ELLIPSIS && known === 1)) { size.set(l, d); where.set(l, i); return; }
      if (known === d || (l >= ELLIPSIS && d === 1)) return;
      throw new Error(l < ELLIPSIS
        ? `einsum: index '${String.fromCharCode(l)}' has size ${known} in operand ${j} (shape ${fmt(shapes[j])}) but size ${d} in operand ${i} (shape ${fmt(s)}) in equation ${eq}`
        : `einsum: the '...' dimensions of operand ${i} (shape ${fmt(s)}) do not broadcast with those of operand ${j} (shape ${fmt(shapes[j])}) in equation ${eq}: ${d} vs ${known}`);
    });
    return { labels, shape: s.slice(), run: ts => ts[i] };
  });
  // the output: explicit, or (implicit) '...' then the letters used once, in sorted (ASCII) order
  let out: Labels;
  if (output) {
    output.letters.forEach((l, i, letters) => {
      if (!size.has(l)) throw new Error(`einsum: output index '${String.fromCharCode(l)}' of equation ${eq} does not appear in any input`);
      if (letters.indexOf(l) !== i) throw new Error(`einsum: output index '${String.fromCharCode(l)}' appears more than once in equation ${eq}`);
    });
    if (output.ellipsisAt < 0 && ellipsisRank > 0) throw new Error(`einsum: the output subscripts of equation ${eq} have no '...' for the ${ellipsisRank} dimension(s) of the inputs' '...'`);
    out = labelsOf(output, ellipsisRank);
  } else {
    const letters = inputs.flatMap(t => t.letters), once = letters.filter(l => letters.indexOf(l) === letters.lastIndexOf(l));
    out = labelsOf({ text: '', letters: once.sort((a, b) => a - b), ellipsisAt: 0 }, ellipsisRank);
  }
  if (out.length > MAX_RANK) throw new Error(`einsum: the result of equation ${eq} would have rank ${out.length}, more than the maximum rank ${MAX_RANK}`);

  /** Intermediates and the result within the core's limits (rank, elements), checked while planning: before anything is allocated. */
  const checkIntermediate = (shape: readonly number[]) => checkShape(`einsum: equation ${eq} with operand shapes ${shapes.map(s => fmt(s)).join(', ')}`, shape);
  /** Appends f to what computes s. */
  const then = (s: Slot, f: (t: Tensor) => Tensor): void => { const run = s.run; s.run = ts => f(run(ts)); };
  const permute = (s: Slot, perm: number[]): void => {
    if (isIdentity(perm)) return;
    then(s, t => transpose(t, perm));
    s.labels = perm.map(p => s.labels[p]); s.shape = perm.map(p => s.shape[p]);
  };
  const reshapeTo = (s: Slot, shape: number[]): void => {
    if (same(shape, s.shape)) return;
    checkIntermediate(shape);
    then(s, t => reshape(t, shape));
    s.shape = shape;
  };
  const positions = (s: Slot, order: Labels): number[] => order.map(l => s.labels.indexOf(l));
  const dimsOf = (s: Slot, order: Labels): number[] => order.map(l => s.shape[s.labels.indexOf(l)]);
  /** Labels needed outside `except`: the output's and every other operand's. */
  const needed = (live: Slot[], ...except: Slot[]): Set<number> => new Set([...out, ...live.filter(s => !except.includes(s)).flatMap(s => s.labels)]);

  for (const s of slots) {
    // diagonals of repeated labels: made adjacent by a transpose, merged by a reshape, then one gather
    // of the elements spaced (n^c − 1)/(n − 1) apart
    const unique = s.labels.filter((l, i) => s.labels.indexOf(l) === i);
    if (unique.length < s.labels.length) {
      permute(s, unique.flatMap(l => s.labels.flatMap((m, i) => m === l ? [i] : [])));
      const counts = unique.map(l => s.labels.filter(m => m === l).length), sizes = dimsOf(s, unique);
      reshapeTo(s, sizes.map((n, i) => n ** counts[i]));
      unique.forEach((_, axis) => {
        const n = sizes[axis], c = counts[axis], stride = n > 1 ? (n ** c - 1) / (n - 1) : 1;
        if (c > 1) then(s, t => gather(t, makeTensor(Int32Array.from({ length: n }, (_, k) => k * stride), [n], 'int32'), axis));
      });
      s.labels = unique; s.shape = sizes;
    }
    // then sum the labels nothing else uses
    const keep = needed(slots, s), axes = s.labels.flatMap((l, i) => keep.has(l) ? [] : [i]);
    if (axes.length) {
      then(s, t => sum(t, axes));
      s.shape = s.shape.filter((_, i) => !axes.includes(i)); s.labels = s.labels.filter(l => keep.has(l));
    }
  }

  // contract pairs: the pair whose result is smallest, leftmost on ties
  const live = slots.slice();
  while (live.length > 1) {
    let best = [0, 1, Infinity];
    for (let i = 0; i < live.length; i++) for (let j = i + 1; j < live.length; j++) {
      const keep = needed(live, live[i], live[j]);
      const n = product([...new Set([...live[i].labels, ...live[j].labels])].filter(l => keep.has(l)).map(l => size.get(l)!));
      if (n < best[2]) best = [i, j, n];
    }
    const [i, j] = best, a = live[i], b = live[j];
    live[i] = contract(a, b, needed(live, a, b), live.length === 2 ? out : undefined);
    live.splice(j, 1);
  }
  const last = live[0];
  permute(last, positions(last, out));
  return last.run;

  /**
   * a·b over their shared labels that `keep` does not need (contracted); shared labels it needs are
   * batch labels, the others free. One batched matmul [batch, M, K] × [batch, K, N] (a mul when nothing
   * is contracted) in canonical orders: the shared labels in the first operand's order, M and K (K and
   * N) in the order its layout already has (matmul's transpose flags), so operands in a matmul layout
   * are not copied. Free labels before the first operand's shared ones may instead stay in front, as
   * batch dimensions matmul broadcasts the second operand over. Of these candidates (and the two
   * operand orders), the one copying fewest elements wins (counting the result's transpose to `target`
   * when this is the last step).
   */
  function contract(a: Slot, b: Slot, keep: Set<number>, target: Labels | undefined): Slot {
    let best: { cost: number; run: () => Slot } | undefined;
    for (const [x, y] of [[a, b], [b, a]]) {
      const shared = x.labels.filter(l => y.labels.includes(l)), batch = shared.filter(l => keep.has(l)), contr = shared.filter(l => !keep.has(l));
      const leading = x.labels.indexOf(shared[0]); // (how many free labels stand before x's first shared one)
      for (const nLead of contr.length && leading > 0 && leading + batch.length + 2 <= MAX_RANK ? [0, leading] : [0]) {
        const fx = x.labels.filter(l => !shared.includes(l)), fy = y.labels.filter(l => !shared.includes(l)), lead = fx.splice(0, nLead);
        const m = dimsOf(x, fx), n = dimsOf(y, fy), bx = dimsOf(x, batch), by = dimsOf(y, batch), ld = dimsOf(x, lead);
        const labels = [...lead, ...batch, ...fx, ...fy], shape = [...ld, ...bx.map((d, k) => Math.max(d, by[k])), ...m, ...n];
        let ox = [...batch, ...fx], oy = [...batch, ...fy], result = shape, tx = false, ty = false;
        // an outer product without contraction: x [batch, fx, 1…], y [batch, 1…, fy] (leading 1s implied without batch)
        let sx = [...bx, ...m, ...n.map(() => 1)], sy = [...by, ...(batch.length ? m.map(() => 1) : []), ...n];
        if (contr.length) {
          const K = product(dimsOf(x, contr)), M = product(m), N = product(n);
          tx = contr.includes(x.labels.find(l => !lead.includes(l) && !batch.includes(l))!);
          ty = fy.includes(y.labels.find(l => !batch.includes(l))!);
          ox = [...lead, ...batch, ...(tx ? [...contr, ...fx] : [...fx, ...contr])]; oy = [...batch, ...(ty ? [...fy, ...contr] : [...contr, ...fy])];
          sx = [...ld, ...bx, ...(tx ? [K, M] : [M, K])]; sy = [...by, ...(ty ? [N, K] : [K, N])];
          result = [...ld, ...shape.slice(ld.length, ld.length + batch.length), M, N];
        }
        const copies = (s: Slot, order: Labels, to: number[]) => (isIdentity(positions(s, order)) ? 0 : product(s.shape)) + (same(dimsOf(s, order), to) ? 0 : product(s.shape));
        const cost = copies(x, ox, sx) + copies(y, oy, sy) + (same(result, shape) ? 0 : product(shape)) + (target && !same(target, labels) ? product(shape) : 0);
        if (!best || cost < best.cost) best = { cost, run: () => {
          permute(x, positions(x, ox)); permute(y, positions(y, oy)); reshapeTo(x, sx); reshapeTo(y, sy);
          const rx = x.run, ry = y.run;
          const r: Slot = { labels, shape: result, run: contr.length ? ts => matmul(rx(ts), ry(ts), tx, ty) : ts => mul(rx(ts), ry(ts)) };
          reshapeTo(r, shape);
          return r;
        } };
      }
    }
    const r = best!.run();
    checkIntermediate(r.shape);
    return r;
  }
}

/** Plans by equation and operand shapes (a training loop plans once). */
const plans = new Map<string, Run>();

/**
 * Einstein summation (TF's tf.einsum, NumPy's grammar): `equation` names each operand's axes with
 * letters (a–z, A–Z), operands separated by commas, then optionally `->` and the result's axes.
 * Without `->` the result has every letter used exactly once, in sorted (ASCII) order, after the `...`
 * dimensions. A letter repeated within one operand takes the diagonal (`ii->i`); a letter absent from
 * the result is summed over (`ii->` trace, `ij->j` column sums, `ij,jk->ik` matmul). `...` stands for
 * any number of leading, middle or trailing axes, broadcast NumPy-style across operands (right-aligned,
 * size 1 against n). Whitespace is ignored. Operands are float32 (as TF's matmul-based einsum needs);
 * any number of them, contracted pairwise, the smallest intermediate first.
 *
 * Computed as transposes and reshapes around batched matmuls, skipping the identity ones (so
 * `bij,bjk->bik`, `ij,jk->ik` and `bhqd,bhkd->bhqk` are one matmul), and differentiable (every order)
 * w.r.t. every operand.
 * @example
 * ```ts
 * import { einsum } from 'gradtape';
 *
 * const a = [[1, 2], [3, 4]], b = [[5, 6], [7, 8]];
 * // matrix product, transpose, trace
 * console.log(einsum('ij,jk->ik', a, b).toArray()); // [[19, 22], [43, 50]]
 * console.log(einsum('ij->ji', a).toArray()); // [[1, 3], [2, 4]]
 * console.log(einsum('ii', a).item()); // 5
 * // batch matrix product
 * console.log(einsum('bij,bjk->bik', [a, b], [b, a]).shape); // [2, 2, 2]
 * // attention scores: queries [batch, heads, q, depth] against keys [batch, heads, k, depth]
 * const q = [[[[1, 0], [0, 1]]]], k = [[[[1, 1], [2, 0], [0, 3]]]];
 * const scores = einsum('bhqd,bhkd->bhqk', q, k);
 * console.log(scores.shape, scores.reshape([2, 3]).toArray()); // [1, 1, 2, 3] [[1, 2, 0], [1, 0, 3]]
 * ```
 */
export const einsum = /* @__PURE__ */ def('einsum', function einsum(equation: string, ...operands: TensorLike[]): Tensor {
  if (typeof equation !== 'string') throw new Error(`einsum: equation must be a string such as 'ij,jk->ik', got ${describe(equation)}`);
  const ts = operands.map((x, i) => {
    const t = toTensor('einsum', x);
    if (t.dtype !== 'float32') throw new Error(`einsum: operand ${i} of equation ${JSON.stringify(equation)} must be a float32 tensor, got dtype ${t.dtype} (shape ${fmt(dims(t))})`);
    return t;
  });
  const shapes = ts.map(t => dims(t)), key = JSON.stringify([equation, shapes]);
  let run = plans.get(key);
  if (!run) {
    if (plans.size >= 256) plans.clear();
    plans.set(key, run = plan(equation, shapes));
  }
  const y = run(ts);
  return ts.includes(y) ? identity(y) : y; // (a new tensor even for the identity equation)
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [
    { inputs: [[3, 4], [4, 5]], call: (f, xs) => f('ij,jk->ik', ...xs) },
    { inputs: [[2, 3, 4], [2, 4, 5]], call: (f, xs) => f('bij,bjk->bik', ...xs) },
    { inputs: [[2, 3, 4, 5], [2, 3, 6, 5]], call: (f, xs) => f('bhqd,bhkd->bhqk', ...xs) },
    { inputs: [[2, 3, 4, 6], [2, 3, 6, 5]], call: (f, xs) => f('bhqk,bhkd->bhqd', ...xs) },
    { inputs: [[2, 3, 4]], call: (f, xs) => f('ijk->kij', ...xs) },
    { inputs: [[4, 4]], call: (f, xs) => f('ii', ...xs) },
    { inputs: [[3, 2, 3]], call: (f, xs) => f('iji->ij', ...xs) },
    { inputs: [[3, 4]], call: (f, xs) => f('ij->j', ...xs) },
    { inputs: [[3], [4]], call: (f, xs) => f('i,j->ij', ...xs) },
    { inputs: [[2, 3], [3, 4], [4, 2]], call: (f, xs) => f('ij,jk,kl->il', ...xs) },
    { inputs: [[2, 1, 3, 4], [5, 4, 2]], call: (f, xs) => f('...ij,...jk->...ik', ...xs) },
    { inputs: [[3, 4], [4, 5], [3, 5]], call: (f, xs) => f('bi,ij,bj->b', ...xs) },
    { inputs: [[2, 3], [2, 3]], call: (f, xs) => f('ij,ij->ij', ...xs) },
  ],
});
