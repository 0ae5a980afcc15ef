// einsum: TF's tf.einsum (NumPy's grammar), planned as transposes and reshapes around batched matmuls,
// so it is a composition of recorded ops and every operand gets gradients of every order for free.
// Planning (pure JS, shapes only) validates everything and records the steps before anything is
// allocated; plans are cached per equation and operand shapes, so a training loop plans once.
import { def, dims, fmt } from './ops.js';
import { Tensor, TensorLike, toTensor, describe, tensor as makeTensor, checkShape, MAX_RANK } from './tensor.js';
import { mul, identity } from './ops-elementwise.js';
import { sum } from './ops-reduce.js';
import { reshape, transpose, gather } from './ops-shape.js';
import { matmul } from './ops-linalg.js';

/** Ellipsis dimension k of the output (counted from the left of `...`) has label ELLIPSIS + k; letters are their char codes. */
const ELLIPSIS = 1000;
type Labels = number[];
/** An operand while planning: the register holding it at run time, its labels and shape. */
interface Slot { reg: number; labels: Labels; shape: number[] }
type Step = (regs: Tensor[]) => void;
interface Plan { steps: Step[]; result: number; copies: boolean }

/** A letter's label as written (only letters are named in messages). */
const labelName = (l: number): string => String.fromCharCode(l);
const isIdentity = (perm: readonly number[]): boolean => perm.every((p, i) => p === i);
const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const product = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

// ---- parsing ----
const TERM = /^([a-zA-Z]*)(\.\.\.)?([a-zA-Z]*)$/;
/** A term's letters without the '...', and where the '...' was among them (-1: none). */
interface Term { text: string; labels: string; ellipsisAt: number }
interface Parsed { inputs: Term[]; output: Term | undefined }
function parse(equation: string): Parsed {
  const eq = equation.replace(/\s+/g, '');
  const sides = eq.split('->');
  if (sides.length > 2) throw new Error(`einsum: equation ${JSON.stringify(equation)} has more than one '->' (expected inputs, optionally followed by one '->' and the output)`);
  const term = (s: string, what: string): Term => {
    const m = TERM.exec(s);
    if (!m) throw new Error(`einsum: ${what} ${JSON.stringify(s)} of equation ${JSON.stringify(equation)} does not parse (expected letters a-z, A-Z and at most one '...')`);
    return { text: s, labels: m[1] + m[3], ellipsisAt: m[2] ? m[1].length : -1 };
  };
  return { inputs: sides[0].split(',').map((s, i) => term(s, `the subscripts of operand ${i}`)), output: sides.length === 2 ? term(sides[1], 'the output subscripts') : undefined };
}

// ---- planning ----
/** Plans the whole computation for operands of these shapes, or throws an Error naming what does not fit. */
function plan(equation: string, shapes: readonly (readonly number[])[]): Plan {
  const { inputs, output } = parse(equation);
  const eq = JSON.stringify(equation);
  if (inputs.length !== shapes.length) throw new Error(`einsum: equation ${eq} has subscripts for ${inputs.length} operand${inputs.length === 1 ? '' : 's'}, got ${shapes.length}`);
  // ranks, and how many dimensions each '...' covers
  let ellipsisRank = 0;
  inputs.forEach((t, i) => {
    const r = shapes[i].length, n = t.labels.length;
    if (t.ellipsisAt < 0 ? r !== n : r < n) throw new Error(`einsum: operand ${i} has shape ${fmt(shapes[i])} (rank ${r}), but its subscripts ${JSON.stringify(t.text)} in equation ${eq} expect rank ${t.ellipsisAt < 0 ? n : `>= ${n}`}`);
    if (t.ellipsisAt >= 0) ellipsisRank = Math.max(ellipsisRank, r - n);
  });
  // labels per operand; one size per letter; '...' dimensions broadcast (size 1 against n) NumPy-style
  const size = new Map<number, number>(), where = new Map<number, number>(), broadcast = new Array<number>(ellipsisRank).fill(1);
  const slots: Slot[] = inputs.map((t, i) => {
    const s = shapes[i], e = s.length - t.labels.length, labels: Labels = [];
    for (let a = 0; a < s.length; a++) {
      const inEllipsis = t.ellipsisAt >= 0 && a >= t.ellipsisAt && a < t.ellipsisAt + e;
      if (inEllipsis) {
        const k = ellipsisRank - e + (a - t.ellipsisAt);
        if (s[a] !== 1 && broadcast[k] !== 1 && s[a] !== broadcast[k]) throw new Error(`einsum: the '...' dimensions of operand ${i} (shape ${fmt(s)}) do not broadcast with those of operand ${where.get(ELLIPSIS + k)} (shape ${fmt(shapes[where.get(ELLIPSIS + k)!])}) in equation ${eq}: ${s[a]} vs ${broadcast[k]}`);
        if (s[a] !== 1) { broadcast[k] = s[a]; where.set(ELLIPSIS + k, i); } else if (!where.has(ELLIPSIS + k)) where.set(ELLIPSIS + k, i);
        labels.push(ELLIPSIS + k);
      } else {
        const c = t.labels.charCodeAt(a < t.ellipsisAt || t.ellipsisAt < 0 ? a : a - e), known = size.get(c);
        if (known !== undefined && known !== s[a]) {
          const j = where.get(c)!;
          throw new Error(`einsum: index '${labelName(c)}' has size ${known} in operand ${j} (shape ${fmt(shapes[j])}) but size ${s[a]} in operand ${i} (shape ${fmt(s)}) in equation ${eq}`);
        }
        size.set(c, s[a]); if (!where.has(c)) where.set(c, i);
        labels.push(c);
      }
    }
    return { reg: i, labels, shape: s.slice() };
  });
  for (let k = 0; k < ellipsisRank; k++) size.set(ELLIPSIS + k, broadcast[k]);
  // the output: explicit, or (implicit) '...' then the letters used once, in sorted (ASCII) order
  const ellipsisLabels = Array.from({ length: ellipsisRank }, (_, k) => ELLIPSIS + k);
  let out: Labels;
  if (output) {
    const letters = [...output.labels].map(ch => ch.charCodeAt(0));
    letters.forEach((c, i) => {
      if (!size.has(c)) throw new Error(`einsum: output index '${labelName(c)}' of equation ${eq} does not appear in any input`);
      if (letters.indexOf(c) !== i) throw new Error(`einsum: output index '${labelName(c)}' appears more than once in equation ${eq}`);
    });
    if (output.ellipsisAt < 0 && ellipsisRank > 0) throw new Error(`einsum: the inputs' '...' covers ${ellipsisRank} dimension${ellipsisRank === 1 ? '' : 's'}, but the output subscripts of equation ${eq} have no '...' to put ${ellipsisRank === 1 ? 'it' : 'them'}`);
    out = output.ellipsisAt < 0 ? letters : [...letters.slice(0, output.ellipsisAt), ...ellipsisLabels, ...letters.slice(output.ellipsisAt)];
  } else {
    const count = new Map<number, number>();
    for (const t of inputs) for (const ch of t.labels) count.set(ch.charCodeAt(0), (count.get(ch.charCodeAt(0)) ?? 0) + 1);
    out = [...ellipsisLabels, ...[...count].filter(([, n]) => n === 1).map(([c]) => c).sort((a, b) => a - b)];
  }
  if (out.length > MAX_RANK) throw new Error(`einsum: the result of equation ${eq} would have rank ${out.length}, more than the maximum rank ${MAX_RANK}`);

  const steps: Step[] = [];
  let nextReg = shapes.length;
  /** Intermediates (and the result) within the core's limits, checked while planning: before anything is allocated. */
  const checkIntermediate = (shape: readonly number[]) => {
    if (shape.length > MAX_RANK) throw new Error(`einsum: equation ${eq} with operand shapes ${shapes.map(s => fmt(s)).join(', ')} needs an intermediate of rank ${shape.length}, more than the maximum rank ${MAX_RANK}`);
    checkShape('einsum', shape);
  };
  /** A step whose result goes to a new register; returns it. */
  const emit = (f: (regs: Tensor[]) => Tensor): number => { const r = nextReg++; steps.push(regs => { regs[r] = f(regs); }); return r; };
  const permute = (s: Slot, perm: number[]): void => {
    if (isIdentity(perm)) return;
    const from = s.reg;
    s.reg = emit(regs => transpose(regs[from], perm));
    s.labels = perm.map(p => s.labels[p]); s.shape = perm.map(p => s.shape[p]);
  };
  const reshapeTo = (s: Slot, shape: number[]): void => {
    if (sameShape(shape, s.shape)) return;
    checkIntermediate(shape);
    const from = s.reg;
    s.reg = emit(regs => reshape(regs[from], shape));
    s.shape = shape;
  };
  /** Sums the axes whose labels `drop` says go. */
  const sumOut = (s: Slot, drop: (l: number) => boolean): void => {
    const axes = s.labels.map((l, i) => drop(l) ? i : -1).filter(i => i >= 0);
    if (!axes.length) return;
    const from = s.reg;
    s.reg = emit(regs => sum(regs[from], axes));
    s.labels = s.labels.filter(l => !drop(l)); s.shape = s.shape.filter((_, i) => !axes.includes(i));
  };
  /** Labels needed outside `except` (the output and every other operand). */
  const needed = (live: Slot[], except: Slot[]): Set<number> => {
    const keep = new Set(out);
    for (const s of live) if (!except.includes(s)) for (const l of s.labels) keep.add(l);
    return keep;
  };

  // each operand: diagonals of repeated labels (adjacent after a transpose, merged by a reshape, then
  // one gather of the elements spaced (n^c − 1)/(n − 1) apart), then sum the labels nothing else uses
  for (const s of slots) {
    const unique = s.labels.filter((l, i) => s.labels.indexOf(l) === i);
    if (unique.length < s.labels.length) {
      permute(s, unique.flatMap(l => s.labels.map((m, i) => m === l ? i : -1).filter(i => i >= 0)));
      const counts = unique.map(l => s.labels.filter(m => m === l).length), sizes = unique.map(l => size.get(l)!);
      reshapeTo(s, sizes.map((n, i) => n ** counts[i]));
      s.labels = unique;
      unique.forEach((_, axis) => {
        const n = sizes[axis], c = counts[axis];
        if (c === 1) return;
        const stride = n > 1 ? (n ** c - 1) / (n - 1) : 1, from = s.reg;
        s.reg = emit(regs => gather(regs[from], makeTensor(Int32Array.from({ length: n }, (_, k) => k * stride), [n], 'int32'), axis));
        s.shape = s.shape.map((d, i) => i === axis ? n : d);
      });
    }
    const keep = needed(slots, [s]);
    sumOut(s, l => !keep.has(l));
  }

  // contract pairs: the pair whose result is smallest, leftmost on ties
  const live = slots.slice();
  while (live.length > 1) {
    let best: [number, number, number] = [0, 1, Infinity];
    for (let i = 0; i < live.length; i++) for (let j = i + 1; j < live.length; j++) {
      const keep = needed(live, [live[i], live[j]]);
      const labels = new Set([...live[i].labels, ...live[j].labels].filter(l => keep.has(l)));
      const n = product([...labels].map(l => size.get(l)!));
      if (n < best[2]) best = [i, j, n];
    }
    const [i, j] = best, a = live[i], b = live[j];
    const result = contract(a, b, needed(live, [a, b]), live.length === 2 ? out : undefined);
    live.splice(j, 1); live[i] = result;
  }
  const last = live[0];
  permute(last, out.map(l => last.labels.indexOf(l)));
  return { steps, result: last.reg, copies: last.reg < shapes.length };

  /**
   * a·b over their shared labels that `keep` does not need (contracted); shared labels it needs are batch
   * labels, the others free. One batched matmul [batch, M, K] × [batch, K, N] (mul when nothing is
   * contracted). Chooses the operand order, matmul's transpose flags, the label orders, and whether
   * free labels leading one operand become batch dimensions that matmul broadcasts against the other,
   * so that transposes and reshapes copy as few elements as possible (counting the result's transpose
   * to `target` when this is the last step).
   */
  function contract(a: Slot, b: Slot, keep: Set<number>, target: Labels | undefined): Slot {
    const inB = (l: number) => b.labels.includes(l);
    const batchA = a.labels.filter(l => inB(l) && keep.has(l)), batchB = b.labels.filter(l => batchA.includes(l));
    const contrA = a.labels.filter(l => inB(l) && !keep.has(l)), contrB = b.labels.filter(l => contrA.includes(l));
    const sizeIn = (s: Slot, l: number) => s.shape[s.labels.indexOf(l)];
    const permOf = (s: Slot, order: Labels) => order.map(l => s.labels.indexOf(l));
    const ones = (ls: Labels) => ls.map(() => 1);
    let best: { cost: number; run: () => Slot } | undefined;
    const consider = (cost: number, run: () => Slot) => { if (!best || cost < best.cost) best = { cost, run }; };
    const copyCost = (s: Slot, perm: number[], shape: number[]) => (isIdentity(perm) ? 0 : product(s.shape)) + (sameShape(perm.map(p => s.shape[p]), shape) ? 0 : product(s.shape));
    for (const swap of [false, true]) for (const batch of [batchA, batchB]) {
      const [x, y] = swap ? [b, a] : [a, b];
      const free = (s: Slot) => s.labels.filter(l => !batch.includes(l) && !contrA.includes(l));
      const fy = free(y), batchX = batch.map(l => sizeIn(x, l)), batchY = batch.map(l => sizeIn(y, l));
      const batchSizes = batch.map((_, k) => Math.max(batchX[k], batchY[k]));
      // x's free labels before its first shared label may lead the batch (matmul broadcasts y over them)
      const firstShared = x.labels.findIndex(l => y.labels.includes(l));
      const leadable = x.labels.slice(0, firstShared < 0 ? x.labels.length : firstShared);
      for (const lead of leadable.length ? [[], leadable] : [[]]) {
        const fx = free(x).filter(l => !lead.includes(l)), leadSizes = lead.map(l => sizeIn(x, l));
        const fxSizes = fx.map(l => sizeIn(x, l)), fySizes = fy.map(l => sizeIn(y, l));
        const labels = [...lead, ...batch, ...fx, ...fy], shape = [...leadSizes, ...batchSizes, ...fxSizes, ...fySizes];
        const finalCost = target && !isIdentity(target.map(l => labels.indexOf(l))) ? product(shape) : 0;
        if (!contrA.length) {
          if (lead.length) continue; // (mul: the plain layout broadcasts already)
          // outer product over the free labels: x [batch, fx, 1…], y [batch, 1…, fy] (leading 1s implied without batch)
          const px = permOf(x, [...batch, ...fx]), py = permOf(y, [...batch, ...fy]);
          const sx = [...batchX, ...fxSizes, ...ones(fy)], sy = [...batchY, ...(batch.length ? ones(fx) : []), ...fySizes];
          consider(copyCost(x, px, sx) + copyCost(y, py, sy) + finalCost, () => {
            permute(x, px); permute(y, py); reshapeTo(x, sx); reshapeTo(y, sy);
            const rx = x.reg, ry = y.reg;
            return { reg: emit(regs => mul(regs[rx], regs[ry])), labels, shape };
          });
          continue;
        }
        for (const contr of [contrA, contrB]) for (const tx of [false, true]) for (const ty of [false, true]) {
          const m = product(fxSizes), k = product(contr.map(l => size.get(l)!)), n = product(fySizes);
          const px = permOf(x, tx ? [...lead, ...batch, ...contr, ...fx] : [...lead, ...batch, ...fx, ...contr]);
          const py = permOf(y, ty ? [...batch, ...fy, ...contr] : [...batch, ...contr, ...fy]);
          const sx = [...leadSizes, ...batchX, ...(tx ? [k, m] : [m, k])], sy = [...batchY, ...(ty ? [n, k] : [k, n])];
          const product2 = [...leadSizes, ...batchSizes, m, n];
          consider(copyCost(x, px, sx) + copyCost(y, py, sy) + (sameShape(product2, shape) ? 0 : product(shape)) + finalCost, () => {
            permute(x, px); permute(y, py); reshapeTo(x, sx); reshapeTo(y, sy);
            const rx = x.reg, ry = y.reg;
            const r: Slot = { reg: emit(regs => matmul(regs[rx], regs[ry], tx, ty)), labels, shape: product2 };
            reshapeTo(r, shape);
            return r;
          });
        }
      }
    }
    const result = best!.run();
    checkIntermediate(result.shape);
    return result;
  }
}

/** Plans by equation, each for the operand shapes it was made for (a training loop plans once). */
const plans = new Map<string, { shapes: readonly (readonly number[])[]; plan: Plan }[]>();
let planCount = 0;
function planFor(equation: string, shapes: readonly (readonly number[])[]): Plan {
  let list = plans.get(equation);
  const hit = list?.find(p => p.shapes.length === shapes.length && p.shapes.every((s, i) => sameShape(s, shapes[i])));
  if (hit) return hit.plan;
  const made = plan(equation, shapes);
  if (++planCount > 256) { plans.clear(); planCount = 1; list = undefined; }
  if (!list) plans.set(equation, list = []);
  list.push({ shapes: shapes.map(s => s.slice()), plan: made });
  return made;
}

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
  const p = planFor(equation, ts.map(t => dims(t)));
  const regs = ts.slice();
  for (const step of p.steps) step(regs);
  return p.copies ? identity(regs[p.result]) : regs[p.result];
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
