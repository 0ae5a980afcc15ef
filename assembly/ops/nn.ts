// Neural-network ops with kernels of their own: softmax and logSoftmax over one axis, and their
// backward rule. Kernel: assembly/kernels/softmax.ts.
import { Op } from "../../build/generated/opcodes";
import { dataPtr, dim, newLike, release } from "../tensor";
import { recordAttr } from "../tape";
import { Record, Grads } from "../record";
import { scratchMark, scratchRelease, scratchTake } from "../scratch";
import { softmaxKernel, SOFTMAX_SCRATCH } from "../kernels/softmax";
import { outerSize, innerSize } from "./layout";
import { jobArgs, parallel, threadSlots } from "../threads";
import { Job, CHUNK, jobArgAt, worthElementThreads } from "../jobs";
import { mul, sub, unary } from "./elementwise";
import { reduce } from "./reduce";

/** softmax (log = 0) or logSoftmax (log = 1) of x along `axis`, computed stably (max subtracted). */
export function softmax(x: i32, axis: i32, log: i32): i32 {
  const out = newLike(x);
  const outer = outerSize(x, axis), n = dim(x, axis), inner = innerSize(x, axis), group = n * inner, slots = threadSlots();
  const mark = scratchMark();
  // threads take whole groups of the outer axes (softmax over axis 0 has one: it stays on this thread)
  if (outer < 2 || !worthElementThreads(slots, outer * group, true)) {
    softmaxKernel(dataPtr(x), dataPtr(out), outer, n, inner, log != 0, scratchTake(SOFTMAX_SCRATCH));
  } else {
    const per = max(1, CHUNK / max(group, 1)), args = jobArgs(); // softmaxTask's arguments (below)
    store<i32>(args, dataPtr(x)); store<i32>(args, dataPtr(out), 4); store<i32>(args, outer, 8); store<i32>(args, n, 12);
    store<i32>(args, inner, 16); store<i32>(args, log, 20); store<i32>(args, per, 24);
    store<i32>(args, scratchTake(SOFTMAX_SCRATCH * slots), 28);
    parallel(Job.Softmax, (outer + per - 1) / per);
  }
  scratchRelease(mark);
  recordAttr(log != 0 ? Op.LogSoftmax : Op.Softmax, out, x, 0, axis);
  return out;
}

/**
 * Job.Softmax's task: groups [task·per, +per) of the outer axis, args [src, dst, outer, n, inner,
 * log, per, scratch]: softmaxKernel on that slab (every group is computed alone, and e^x of each
 * float does not depend on the pass it is in), with this thread's SOFTMAX_SCRATCH.
 */
export function softmaxTask(args: usize, task: i32, slot: i32): void {
  const n = jobArgAt(args, 3), inner = jobArgAt(args, 4), per = jobArgAt(args, 6), o0 = task * per;
  const off = (<usize>o0 * n * inner) << 2;
  softmaxKernel(<usize>jobArgAt(args, 0) + off, <usize>jobArgAt(args, 1) + off, min(per, jobArgAt(args, 2) - o0), n, inner,
    jobArgAt(args, 5) != 0, <usize>jobArgAt(args, 7) + <usize>slot * SOFTMAX_SCRATCH);
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
