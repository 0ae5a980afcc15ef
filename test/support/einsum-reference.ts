// A float64 einsum for the tests, written from the definition (NumPy's grammar, TF's rules) and
// independently of src/ops-einsum.ts: every assignment of values to the labels is visited once, the
// operands' elements at it multiplied and added into the output element it names. Slow on purpose.
import { type ND, type NDLike, toND, sizeOf, stridesOf } from './nd.js';

export function einsumReference(equation: string, ...operands: NDLike[]): ND {
  const xs = operands.map(toND);
  const [lhs, rhs] = equation.replace(/\s/g, '').split('->');
  const terms = lhs.split(',');
  if (terms.length !== xs.length) throw new Error(`einsum reference: ${terms.length} terms for ${xs.length} operands`);
  // '...' expands to labels '0'..'9' (digit k = the k-th broadcast dimension from the left), right-aligned
  const ellipsisRank = Math.max(0, ...terms.map((t, i) => t.includes('...') ? xs[i].shape.length - (t.length - 3) : 0));
  const expand = (t: string, rank: number): string[] => {
    if (!t.includes('...')) return [...t];
    const [before, after] = t.split('...');
    const e = rank - before.length - after.length;
    return [...before, ...Array.from({ length: e }, (_, k) => String(ellipsisRank - e + k)), ...after];
  };
  const labels = terms.map((t, i) => expand(t, xs[i].shape.length));
  const size = new Map<string, number>();
  labels.forEach((ls, i) => ls.forEach((l, a) => {
    const d = xs[i].shape[a], known = size.get(l);
    if (known !== undefined && known !== d && !(/\d/.test(l) && (known === 1 || d === 1))) throw new Error(`einsum reference: label ${l} has sizes ${known} and ${d}`);
    size.set(l, known === undefined || known === 1 ? d : known);
  }));
  const dots = Array.from({ length: ellipsisRank }, (_, k) => String(k));
  let out: string[];
  if (rhs !== undefined) out = expand(rhs, rhs.length - (rhs.includes('...') ? 3 : 0) + ellipsisRank);
  else {
    const once = [...size.keys()].filter(l => !/\d/.test(l) && labels.flat().filter(m => m === l).length === 1);
    out = [...dots, ...once.sort()];
  }
  const all = [...size.keys()];
  const outShape = out.map(l => size.get(l)!), outStrides = stridesOf(outShape);
  const data = new Float64Array(sizeOf(outShape));
  const strides = xs.map(x => stridesOf(x.shape));
  const value = new Map<string, number>(all.map(l => [l, 0]));
  const total = sizeOf(all.map(l => size.get(l)!));
  for (let n = 0; n < total; n++) {
    let rest = n;
    for (let k = all.length - 1; k >= 0; k--) { const d = size.get(all[k])!; value.set(all[k], rest % d); rest = Math.floor(rest / d); }
    let p = 1;
    xs.forEach((x, i) => {
      let flat = 0;
      labels[i].forEach((l, a) => { flat += (x.shape[a] === 1 ? 0 : value.get(l)!) * strides[i][a]; });
      p *= x.data[flat];
    });
    let o = 0;
    out.forEach((l, a) => { o += value.get(l)! * outStrides[a]; });
    data[o] += p;
  }
  return { shape: outShape, data };
}
