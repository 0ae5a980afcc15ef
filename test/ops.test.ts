// Every op in the OPS table: forward values against the float64 reference, gradients against
// central finite differences of that reference (vector-Jacobian products with random output
// weights), and second derivatives through nested tapes. Driven entirely by the table.
import { describe, it, expect } from 'vitest';
import { OPS, OpSpec, OpExample } from '../src/ops.js';
import { tape, tensor, Tensor, tidy, memory } from '../src/index.js';
import { referenceByName } from './support/reference.js';
import { ND, uniform, randint, mulberry32 } from './support/nd.js';
import { numericGrad, numericSecondOrder, expectClose } from './support/gradcheck.js';

const UNARY_SHAPES = [[], [7], [2, 3]];
const BINARY_SHAPES = [[[2, 3], [2, 3]], [[2, 3], [3]], [[2, 1], [1, 3]], [[], [4]], [[5], []], [[9], [9]], [[3, 1, 2], [4, 1]]];
const REDUCE_CASES: { shape: number[]; args: unknown[] }[] = [
  { shape: [2, 3, 4], args: [] }, { shape: [2, 3, 4], args: [0] }, { shape: [2, 3, 4], args: [-1, true] },
  { shape: [2, 3, 4], args: [[0, 2]] }, { shape: [5], args: [0, true] }, { shape: [9, 2], args: [0] },
];

function examplesOf(spec: OpSpec): OpExample[] {
  switch (spec.kind) {
    case 'unary': return spec.examples ?? UNARY_SHAPES.map(s => ({ inputs: [s] }));
    case 'binary': return BINARY_SHAPES.map(inputs => ({ inputs }));
    case 'reduce': return REDUCE_CASES.map(c => ({ inputs: [c.shape], args: c.args }));
    default: return spec.examples!;
  }
}

let seed = 1;
/** Random inputs for an example: [gradtape tensors, float64 references, indices of float inputs]. */
function makeInputs(spec: OpSpec, ex: OpExample, dtype: 'float32' | 'int32' = 'float32'): { tensors: Tensor[]; nds: ND[]; floats: number[] } {
  const [lo, hi] = spec.domain ?? [-2, 2];
  const tensors: Tensor[] = [], nds: ND[] = [], floats: number[] = [];
  ex.inputs.forEach((inp, i) => {
    let nd: ND;
    if (Array.isArray(inp) && dtype === 'int32') {
      nd = randint(inp, Math.ceil(lo) || 1, Math.floor(hi) + 3, seed++);
      tensors.push(tensor(Array.from(nd.data), inp, 'int32'));
    } else if (Array.isArray(inp)) {
      nd = uniform(inp, lo, hi, seed++, { avoid: spec.kinks, margin: 0.05 });
      tensors.push(tensor(Float32Array.from(nd.data), inp));
      floats.push(i);
    } else if ('int' in inp) {
      nd = randint(inp.shape, inp.int[0], inp.int[1], seed++);
      tensors.push(tensor(Array.from(nd.data), inp.shape, 'int32'));
    } else {
      const rng = mulberry32(seed++);
      nd = { shape: inp.shape, data: Float64Array.from({ length: inp.shape.reduce((a, b) => a * b, 1) }, () => (rng() < 0.5 ? 1 : 0)) };
      tensors.push(tensor(Array.from(nd.data, v => v !== 0), inp.shape, 'bool'));
    }
    nds.push(nd);
  });
  return { tensors, nds, floats };
}

const label = (spec: OpSpec, ex: OpExample) => `${spec.name}(${ex.inputs.map(i => JSON.stringify(Array.isArray(i) ? i : i.shape)).join(', ')}${ex.args?.length ? ', ' + ex.args.map(a => JSON.stringify(a)).join(', ') : ''})`;

/** Calls the op (or its reference) on an example's inputs and arguments, through `ex.call` when given. */
const invoke = (f: (...a: any[]) => unknown, ex: OpExample, inputs: unknown[]) => ex.call ? ex.call(f, inputs, ex.args ?? []) : f(...inputs, ...(ex.args ?? []));

function asND(t: Tensor): ND {
  return { shape: t.shape, data: Float64Array.from(t.data() as ArrayLike<number>) };
}

describe.each(Object.values(OPS).map(spec => [spec.name, spec] as const))('%s', (_name, spec) => {
  const ref = referenceByName[spec.name];
  it('has a float64 reference', () => expect(typeof ref).toBe('function'));
  if (!ref) return;
  const examples = examplesOf(spec);

  it('forward matches the reference', () => {
    for (const ex of examples) {
      const dtypes: ('float32' | 'int32')[] = spec.dtypes === 'numeric' && spec.kind !== 'other' ? ['float32', 'int32'] : spec.dtypes === 'bool' ? [] : ['float32'];
      for (const dtype of dtypes) tidy(() => {
        const { tensors, nds } = makeInputs(spec, ex, dtype);
        const out = invoke(spec.fn, ex, tensors) as Tensor;
        const want = invoke(ref, ex, nds) as ND;
        expect(out.shape, label(spec, ex)).toEqual(want.shape);
        expectClose(out.data() as ArrayLike<number> as Float32Array, want.data, { rtol: 2e-4, atol: 2e-5 }, `${label(spec, ex)} ${dtype}`);
      });
    }
    if (spec.dtypes === 'bool') tidy(() => {
      const ex = { inputs: examplesOf(spec)[0].inputs.map(s => ({ shape: Array.isArray(s) ? s : s.shape, bool: true as const })) };
      const { tensors, nds } = makeInputs(spec, ex);
      const out = spec.fn(...tensors) as Tensor;
      expectClose(Float32Array.from(out.data() as Uint8Array), (ref(...nds) as ND).data, {}, `${spec.name} bool`);
    });
  });

  if (spec.grad) {
    it('gradients match finite differences', () => {
      for (const ex of examples) tidy(() => {
        const { tensors, nds, floats } = makeInputs(spec, ex);
        const t = tape(t => { t.watch(tensors); return invoke(spec.fn, ex, tensors) as Tensor; });
        const y = t.result;
        const w = uniform(y.shape, -1, 1, seed++);
        const grads = t.gradient(y, tensors, { outputGradients: tensor(Float32Array.from(w.data), y.shape) }) as (Tensor | null)[];
        const f = (xs: ND[]) => invoke(ref, ex, xs.map((x, i) => floats.includes(i) ? x : nds[i])) as ND;
        const want = numericGrad(f, nds, w);
        for (const i of floats) {
          const g = grads[i];
          expect(g, `${label(spec, ex)}: gradient of input ${i}`).not.toBeNull();
          expect(g!.shape).toEqual(nds[i].shape);
          expectClose(g!.data() as Float32Array, want[i].data, { rtol: 5e-3, atol: 5e-4 }, `${label(spec, ex)} d/dinput${i}`);
        }
      });
    });

    if (spec.secondOrder !== false) {
      it('second derivatives match finite differences (nested tapes)', () => {
        for (const ex of examples.slice(0, 3)) tidy(() => {
          const { tensors, nds, floats } = makeInputs(spec, ex);
          const src = floats.map(i => tensors[i]);
          let w!: ND;
          const outer = tape(o => {
            o.watch(src);
            const inner = tape(i => { i.watch(src); return invoke(spec.fn, ex, tensors) as Tensor; });
            w = uniform(inner.result.shape, -1, 1, seed++);
            return inner.gradient(inner.result, src, { outputGradients: tensor(Float32Array.from(w.data), inner.result.shape) }) as (Tensor | null)[];
          });
          const v = floats.map(i => uniform(nds[i].shape, -1, 1, seed++));
          const firsts = outer.result;
          const connected = firsts.map((g, k) => g ? k : -1).filter(k => k >= 0);
          const hv = outer.gradient(connected.map(k => firsts[k]!), src, {
            outputGradients: connected.map(k => tensor(Float32Array.from(v[k].data), nds[floats[k]].shape)),
            unconnectedGradients: 'zero',
          }) as Tensor[];
          const f = (xs: ND[]) => invoke(ref, ex, nds.map((x, i) => floats.includes(i) ? xs[floats.indexOf(i)] : x)) as ND;
          const want = numericSecondOrder(f, floats.map(i => nds[i]), v.map((vk, k) => connected.includes(k) ? vk : null), w);
          hv.forEach((h, k) => expectClose(h.data() as Float32Array, want[k].data, { rtol: 2e-2, atol: 2e-3 }, `${label(spec, ex)} second order, input ${floats[k]}`));
        });
      });
    }
  } else {
    it('has no gradient (null, never an error)', () => tidy(() => {
      const first = examples[0];
      const ex = spec.dtypes === 'bool' ? { inputs: first.inputs.map(s => ({ shape: Array.isArray(s) ? s : s.shape, bool: true as const })) } : first;
      const { tensors } = makeInputs(spec, ex);
      const x = tensor([0.5, -1.5, 2.5]);
      // a float source feeding the op through a cast, so the op's inputs depend on a watched tensor
      const t = tape(t => {
        t.watch([x, ...tensors]);
        const out = invoke(spec.fn, ex, tensors) as Tensor;
        return { out, viaX: spec.dtypes === 'bool' ? out : invoke(spec.fn, ex, ex.inputs.map((s, i) => Array.isArray(s) ? x.sum().mul(0).add(tensors[i]) : tensors[i])) as Tensor };
      });
      const grads = t.gradient([t.result.out, t.result.viaX], [x, ...tensors]) as (Tensor | null)[];
      for (const g of grads) expect(g).toBeNull();
    }));
  }
});

describe('op table', () => {
  it('leaves no tensor behind inside tidy', () => {
    const before = memory().tensors;
    tidy(() => {
      const x = tensor([[1, 2], [3, 4]]);
      const t = tape(t => { t.watch(x); return x.mul(x).sum(); });
      t.gradient(t.result, x);
    });
    expect(memory().tensors).toBe(before);
  });
});
