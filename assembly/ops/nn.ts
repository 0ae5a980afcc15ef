// Neural-network ops with kernels of their own: softmax and logSoftmax over one axis, and their
// backward rule. Kernel: assembly/kernels/softmax.ts.
import { Op } from "../../build/generated/opcodes";
import { dataPtr, dim, newLike, release } from "../tensor";
import { recordAttr } from "../tape";
import { Record, Grads } from "../record";
import { scratchMark, scratchRelease, scratchTake } from "../scratch";
import { softmaxKernel, SOFTMAX_SCRATCH } from "../kernels/softmax";
import { outerSize, innerSize } from "./layout";
import { mul, sub, unary } from "./elementwise";
import { reduce } from "./reduce";

/** softmax (log = 0) or logSoftmax (log = 1) of x along `axis`, computed stably (max subtracted). */
export function softmax(x: i32, axis: i32, log: i32): i32 {
  const out = newLike(x);
  const mark = scratchMark();
  softmaxKernel(dataPtr(x), dataPtr(out), outerSize(x, axis), dim(x, axis), innerSize(x, axis), log != 0, scratchTake(SOFTMAX_SCRATCH));
  scratchRelease(mark);
  recordAttr(log != 0 ? Op.LogSoftmax : Op.Softmax, out, x, 0, axis);
  return out;
}

export function softmaxBackward(rec: Record, grads: Grads): void {
  const y = rec.output(), dy = grads.dy();
  const mask = <u32>1 << <u32>rec.attr(0);
  if (rec.op == Op.Softmax) { // y * (dy - sum(dy * y))
    const t = mul(dy, y);
    const s = reduce(Op.Sum, t, mask, 1);
    const d = sub(dy, s);
    grads.set(0, mul(y, d));
    release(t); release(s); release(d);
  } else { // dy - exp(y) * sum(dy)
    const s = reduce(Op.Sum, dy, mask, 1);
    const e = unary(Op.Exp, y, 0);
    const t = mul(e, s);
    grads.set(0, sub(dy, t));
    release(s); release(e); release(t);
  }
}
