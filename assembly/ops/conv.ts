// Convolution and pooling (NHWC), with backward rules that are themselves recorded ops.
import { Op } from "../opcodes";

/** Backward rules of the ops in this file (dispatched from backward.ts). */
export function convBackward(op: i32, out: i32, in0: i32, in1: i32, in2: i32, a0: i32, a1: i32, a2: i32, dy: i32): void {
  // filled in with the kernels
}
