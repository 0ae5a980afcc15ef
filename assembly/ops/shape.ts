// Ops that change how data is laid out: reshape, transpose and cast, with their backward rules.
// Kernels: assembly/kernels/copy.ts (planCopy for transpose, castKernel).
import { Op, DType } from "../../build/generated/opcodes";
import { dataPtr, dim, dtypeOf, elementBytes, newLike, newTensor, rankOf, shapePtr, sizeOf, retain } from "../tensor";
import { record, recordWords } from "../tape";
import { Record, Grads } from "../record";
import { scratchMark, scratchRelease, scratchTake } from "../scratch";
import { MAX_RANK } from "../limits";
import { Plan, PLAN_BYTES } from "../kernels/broadcast";
import { planCopy, castKernel } from "../kernels/copy";

/** A copy of x with a new shape (same element count). Not recorded. */
export function reshapeCopy(x: i32, shape: usize, r: i32): i32 {
  const out = newTensor(dtypeOf(x), r, shape);
  memory.copy(dataPtr(out), dataPtr(x), <usize>sizeOf(x) * elementBytes(dtypeOf(x)));
  return out;
}

/** reshape(x, shape): recorded. */
export function reshape(x: i32, shape: usize, r: i32): i32 {
  const out = reshapeCopy(x, shape, r);
  record(Op.Reshape, out, x);
  return out;
}

export function reshapeBackward(rec: Record, grads: Grads): void {
  const x = rec.input(0);
  grads.set(0, reshape(grads.dy(), shapePtr(x), rankOf(x)));
}

/** transpose(x, perm): out.shape[i] = x.shape[perm[i]]; `perm` is rank(x) ints. */
export function transpose(x: i32, perm: usize): i32 {
  const r = rankOf(x);
  const mark = scratchMark();
  const p = scratchTake(MAX_RANK * 4); // perm may sit in the args buffer, which a nested call could reuse
  memory.copy(p, perm, <usize>r << 2);
  const plan = Plan.permuted(scratchTake(PLAN_BYTES), shapePtr(x), p, r);
  const out = newTensor(dtypeOf(x), r, plan.dims);
  planCopy(plan, dataPtr(x), dataPtr(out), <usize>elementBytes(dtypeOf(x)));
  recordWords(Op.Transpose, out, x, p, r);
  scratchRelease(mark);
  return out;
}

export function transposeBackward(rec: Record, grads: Grads): void {
  const r = rec.attrs;
  const mark = scratchMark(), inverse = scratchTake(MAX_RANK * 4);
  for (let i = 0; i < r; i++) store<i32>(inverse + (<usize>rec.attr(i) << 2), i);
  grads.set(0, transpose(grads.dy(), inverse));
  scratchRelease(mark);
}

/** cast(x, dtype): float→int truncates toward zero; anything→bool is x != 0. */
export function cast(x: i32, dtype: i32): i32 {
  const out = newLike(x, dtype);
  castKernel(dataPtr(x), dataPtr(out), sizeOf(x), dtypeOf(x), dtype);
  // only float -> float can carry a gradient; commitRecord ignores records without a float output
  if (dtypeOf(x) == DType.Float32) record(Op.Cast, out, x);
  return out;
}

export function castBackward(rec: Record, grads: Grads): void { const dy = grads.dy(); retain(dy); grads.set(0, dy); }
