// Helpers of the op entries: small constant tensors and shape arithmetic on tensor ids.
import { DType } from "../../build/generated/opcodes";
import { dim, rankOf, newTensor, dataPtr } from "../tensor";

/** A float32 scalar constant (rank 0). */
export function scalarF32(v: f32): i32 {
  const id = newTensor(DType.Float32, 0, 0);
  store<f32>(dataPtr(id), v);
  return id;
}

/** The product of x's dims before `axis`. */
export function outerSize(x: i32, axis: i32): i32 {
  let n = 1;
  for (let i = 0; i < axis; i++) n *= dim(x, i);
  return n;
}
/** The product of x's dims after `axis`. */
export function innerSize(x: i32, axis: i32): i32 {
  let n = 1;
  for (let i = axis + 1; i < rankOf(x); i++) n *= dim(x, i);
  return n;
}

/** Copies x's shape to `dst` (MAX_RANK ints); returns the rank. */
export function copyShape(x: i32, dst: usize): i32 {
  const r = rankOf(x);
  for (let i = 0; i < r; i++) store<i32>(dst + (<usize>i << 2), dim(x, i));
  return r;
}
