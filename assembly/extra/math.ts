// The extra module's elementwise math: atan2's entry and backward rule (kernel:
// assembly/kernels/atan2.ts). The wrapper (src/ops-math.ts) broadcasts y and x to one shape first,
// with recorded broadcasts, so the rule needs no unbroadcasting of its own.
import { Op } from "../../build/generated/opcodes";
import { Record, Grads } from "../record";
import { zerosLike, dataPtr, sizeOfId, scratchTake, scratchMark, scratchRelease, commitRecord, release, unary, binary } from "../../build/generated/extra-imports";
import { atan2Kernel, ATAN2_SCRATCH } from "../kernels/atan2";

/** atan2(y, x) elementwise, y and x of one shape (float32), recorded. */
export function atan2(y: i32, x: i32): i32 {
  const mark = scratchMark(), out = zerosLike(y); // (float32, y's shape: the zeros are overwritten)
  atan2Kernel(dataPtr(y), dataPtr(x), dataPtr(out), sizeOfId(y), scratchTake(ATAN2_SCRATCH));
  const rec = Record.build(scratchTake(Record.bytesFor(1, 2, 0)), Op.Atan2, 1, 2, 0).setOutput(0, out).setInput(0, y).setInput(1, x);
  commitRecord(changetype<usize>(rec));
  scratchRelease(mark);
  return out;
}

/**
 * ∂atan2(y, x) = (x·∂y − y·∂x)/(x² + y²): y gets g·x, x gets −g·y, g = dy/(x² + y²), in the core's
 * recorded ops, so every order of derivative works (at y = x = 0 the gradient is NaN, as TF's).
 */
export function atan2Backward(rec: Record, grads: Grads): void {
  const y = rec.input(0), x = rec.input(1);
  const xx = binary(Op.Mul, x, x), yy = binary(Op.Mul, y, y), rr = binary(Op.Add, xx, yy);
  const g = binary(Op.Div, grads.dy(), rr);
  release(xx); release(yy); release(rr);
  if (grads.wants(0)) grads.set(0, binary(Op.Mul, g, x));
  if (grads.wants(1)) {
    const gy = binary(Op.Mul, g, y);
    grads.set(1, unary(Op.Neg, gy, 0));
    release(gy);
  }
  release(g);
}
