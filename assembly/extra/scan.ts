// The extra module's scans: cumsum and cumprod (TF's tf.math.cumsum / cumprod) along one axis, their
// entry and backward rule (kernels: assembly/kernels/scan.ts). Records carry three attribute words:
// axis, exclusive, reverse.
//
// Gradients, written with recorded ops (the core's binary, and this module's own scans), so
// derivatives of higher order work; "flipped" below is the cumsum with the same `exclusive` and
// `reverse` flipped, which sums dy over the outputs each input enters, in every order:
//   cumsum:  dx = flipped(dy).
//   cumprod: with no zeros in x, TF's flipped(y·dy)/x. TF's formula divides by zero where x has
//     zeros; this one does not, and its own derivative is right there too (second order).
//     Per line, in the scan's order: z = [x = 0], nz = 1 − z, D = zeros strictly before a position,
//     C = zeros its product includes, f1, f2 = the line's first and second zero (masks; all the
//     masks are constants). x' = x + z (zeros replaced by 1, still differentiable), w = dy·cumprod(x'),
//     S_c = flipped(w·[C = c]), T1, T2 = the line's x at its first and second zero (value 0, but
//     differentiable: a recorded sum over the line), and
//       dx = (S_0 + (nz·T1 + z)·S_1 + (f1·T2 + f2·T1)·S_2) / x'.
//     Why: ∂y_i/∂x_k is the product of the other factors of y_i, P'_i/x'_k times the zeros among
//     them. With none (C_i = z_k) that is S_0 for a nonzero x_k, S_1 for the first zero. With one,
//     its value is 0 but not its derivative: that zero is T1 for a nonzero x_k (C_i = 1), and for a
//     zero x_k (C_i = 2) the line's other zero, T2 if x_k is the first, T1 if it is the second. With
//     two or more, value and first derivative are 0. (The simpler mask form, without the T terms,
//     has the right value but a wrong derivative w.r.t. the zeros: x = [a, 0] gives ∂dx_0/∂x_1 = 0
//     instead of dy_1.)
import { Op, DType } from "../../build/generated/opcodes";
import { Record, Grads } from "../record";
import { newTensor, release, dataPtr, dimOf, rankOfId, dtypeOfId, zerosLike, scratchTake, scratchMark, scratchRelease, commitRecord, binary } from "../../build/generated/extra-imports";
import { scanKernel, zeroMasksKernel } from "../kernels/scan";

/** The product of x's dims in [from, to). */
function span(x: i32, from: i32, to: i32): i32 {
  let n = 1;
  for (let i = from; i < to; i++) n *= dimOf(x, i);
  return n;
}

/** cumsum (op Cumsum) or cumprod (Cumprod) of x (float32 or int32) along `axis`; recorded. */
export function scan(op: i32, x: i32, axis: i32, exclusive: i32, reverse: i32): i32 {
  const mark = scratchMark(), r = rankOfId(x), shape = scratchTake(<usize>r << 2);
  for (let i = 0; i < r; i++) store<i32>(shape + (<usize>i << 2), dimOf(x, i));
  const out = newTensor(dtypeOfId(x), r, shape);
  scanKernel(dataPtr(x), dataPtr(out), span(x, 0, axis), dimOf(x, axis), span(x, axis + 1, r), op == Op.Cumprod, exclusive != 0, reverse != 0, dtypeOfId(x) == DType.Int32);
  const rec = Record.build(scratchTake(Record.bytesFor(1, 1, 3)), op, 1, 1, 3).setOutput(0, out).setInput(0, x)
    .setAttr(0, axis).setAttr(1, exclusive).setAttr(2, reverse);
  commitRecord(changetype<usize>(rec));
  scratchRelease(mark);
  return out;
}

// Helpers on fresh temporaries: each releases the operands it owns (a, and b for addOwned).
function mulOwned(a: i32, b: i32): i32 { const p = binary(Op.Mul, a, b); release(a); return p; }
function addOwned(a: i32, b: i32): i32 { const p = binary(Op.Add, a, b); release(a); release(b); return p; }
/** cumsum of a (owned) along `axis`. */
function cumsumOwned(a: i32, axis: i32, exclusive: i32, reverse: i32): i32 { const s = scan(Op.Cumsum, a, axis, exclusive, reverse); release(a); return s; }
/** v (owned) summed over its line and broadcast back along it: an inclusive forward plus an exclusive reverse cumsum. */
function lineTotal(v: i32, axis: i32): i32 { const t = addOwned(scan(Op.Cumsum, v, axis, 0, 0), scan(Op.Cumsum, v, axis, 1, 1)); release(v); return t; }

export function scanBackward(rec: Record, grads: Grads): void {
  const x = rec.input(0), axis = rec.attr(0), exclusive = rec.attr(1), reverse = rec.attr(2), flip = reverse ^ 1, dy = grads.dy();
  if (rec.op == Op.Cumsum) { grads.set(0, scan(Op.Cumsum, dy, axis, exclusive, flip)); return; }
  const z = zerosLike(x), nz = zerosLike(x), m0 = zerosLike(x), m1 = zerosLike(x), m2 = zerosLike(x), f1 = zerosLike(x), f2 = zerosLike(x);
  const zeros = zeroMasksKernel(dataPtr(x), span(x, 0, axis), dimOf(x, axis), span(x, axis + 1, rankOfId(x)), exclusive != 0, reverse != 0,
    dataPtr(z), dataPtr(nz), dataPtr(m0), dataPtr(m1), dataPtr(m2), dataPtr(f1), dataPtr(f2));
  let g: i32;
  if (zeros == 0) { // TF's formula
    const s = cumsumOwned(mulOwned(scan(Op.Cumprod, x, axis, exclusive, reverse), dy), axis, exclusive, flip);
    g = binary(Op.Div, s, x);
    release(s);
  } else {
    const xp = binary(Op.Add, x, z);
    const w = mulOwned(scan(Op.Cumprod, xp, axis, exclusive, reverse), dy);
    const t1 = lineTotal(binary(Op.Mul, x, f1), axis), t2 = lineTotal(binary(Op.Mul, x, f2), axis);
    const s0 = cumsumOwned(binary(Op.Mul, w, m0), axis, exclusive, flip);
    const s1 = cumsumOwned(binary(Op.Mul, w, m1), axis, exclusive, flip);
    const s2 = cumsumOwned(binary(Op.Mul, w, m2), axis, exclusive, flip);
    const nt = binary(Op.Mul, nz, t1), c1 = binary(Op.Add, nt, z);
    release(nt);
    const c2 = addOwned(binary(Op.Mul, f1, t2), binary(Op.Mul, f2, t1));
    const num = addOwned(addOwned(s0, mulOwned(c1, s1)), mulOwned(c2, s2));
    g = binary(Op.Div, num, xp);
    release(num); release(s1); release(s2); release(t1); release(t2); release(w); release(xp);
  }
  release(z); release(nz); release(m0); release(m1); release(m2); release(f1); release(f2);
  grads.set(0, g);
}
