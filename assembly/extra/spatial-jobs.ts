// The spatial kernels as threaded jobs (assembly/threads.ts runs them through the core): `job` runs
// a kernel over the whole problem, split into tasks when the work is large enough to pay for waking
// workers (extra/spatial.ts says how each op's work is cut). Tasks are cut from the shape alone and own disjoint outputs, each computed
// in the one-thread order (kernels/conv.ts, depthwise.ts, pool.ts say why their ranges keep it), so
// results are the same bits for any number of threads:
//   convForward, depthwiseForward, pools: blocks of output pixels (rows of cols);
//   convInput, depthwiseInput, pool gradients (scatters into overlapping windows): whole images;
//   convFilter: groups of taps (and 8-column blocks of df when there are few); depthwiseFilter:
//   input channels (never pixels: they are the sums' terms); the padded copy of an image: images.
// A batch of one image leaves the input gradients and pool scatters on the calling thread.
import { EXTRA_KINDS, jobArgAt, worthThreads } from "../jobs";
import { jobArgs, parallel, threadSlots, scratchTake } from "../../build/generated/extra-imports";
import { Geometry, BLOCK_BYTES, FILTER_ROWS, copyPadded, convForward, convFilter, convInput } from "../kernels/conv";
import { depthwiseForward, depthwiseInput, depthwiseFilter } from "../kernels/depthwise";
import { walkArgmax, avgPoolKernel } from "../kernels/pool";

/** Kinds of the spatial jobs (assembly/extra/tasks.ts dispatches them to spatialTask). */
export const enum Spatial {
  ConvForward = EXTRA_KINDS, Pad, ConvFilter, ConvInput, DepthwiseForward, DepthwiseInput, DepthwiseFilter, Argmax, AvgPool, End,
}

// Multiply-adds per task: ~0.1 ms of conv work, so claiming a task (one compare-exchange) is
// noise, and the last task's wait short.
const TASK_MACS = 1 << 19;

@inline function ceilDiv(a: i32, b: i32): i32 { return (a + b - 1) / b; }

/**
 * Runs kernel `kind` (spatialTask) over `units` units (output rows or pixels, images, tap groups,
 * channels) of ~`unitWork` multiply-adds each: in tasks of ~TASK_MACS (whole multiples of `align`
 * units) on the threads when the work pays for them, else as one task here, the plain kernel call.
 * Words for the tasks: a1..a4, a8, a9 the kernel's pointers; `bytes` of scratch for each thread.
 * The Geometry is read-only during the job.
 */
export function job(kind: i32, units: i32, unitWork: f64, align: i32, g: Geometry, a1: usize, a2: usize, a3: usize, a4: usize, bytes: usize, a8: usize = 0, a9: usize = 0): void {
  let per = units, split = 1;
  if (worthThreads(threadSlots(), units * unitWork)) {
    per = max(1, <i32>(TASK_MACS / unitWork));
    per = ceilDiv(per, align) * align;
    if (kind == Spatial.ConvFilter) {
      // every task of a filter gradient reads all of dy and the image (its rows are the sums'
      // terms): ~6 tasks of tap groups (36 tasks of one group made 173 MB of reads for the bench's
      // second layer against ~10 MB on one thread). With few groups (3 for a 3×3×1 filter), df's
      // 8-column blocks instead, each task all taps and only its columns of dy.
      per = ceilDiv(units, 6);
      if (units < 6 && g.co > 8) { split = (g.co + 7) >> 3; units = split; per = 1; }
    }
    // a filter gradient's tasks add every row into their part of df: they sum in scratch of their
    // own, copied out at the end (parts sharing cache lines made the depthwise one 2× slower on
    // 2 threads than on 1), each element from zero in row order as on one thread
    if (kind == Spatial.ConvFilter) bytes += <usize>(split > 1 ? g.taps * 8 : min(g.taps, per * 4) * g.co) << 2;
    if (kind == Spatial.DepthwiseFilter) bytes += <usize>g.kh * g.kw * per * (g.co / g.c) << 2;
  }
  const tasks = ceilDiv(units, per), args = jobArgs();
  store<usize>(args, changetype<usize>(g)); store<usize>(args, a1, 4); store<usize>(args, a2, 8); store<usize>(args, a3, 12);
  // each slot's scratch on cache lines of its own (threads writing one line slow each other down)
  bytes = (bytes + 63) & ~63;
  store<usize>(args, a4, 16); store<usize>(args, (scratchTake(bytes * (tasks > 1 ? <usize>threadSlots() : 1) + 64) + 63) & ~63, 20);
  store<usize>(args, bytes, 24); store<i32>(args, per, 28); store<usize>(args, a8, 32); store<usize>(args, a9, 36);
  store<i32>(args, units, 40); store<i32>(args, split, 44); store<i32>(args, tasks, 48);
  if (tasks > 1) parallel(kind, tasks);
  else spatialTask(kind, 0, 0);
}

/** Copies `rows` rows of `bytes` (src: packed) to dst, rows `stride` bytes apart. */
function copyRows(dst: usize, stride: usize, src: usize, bytes: usize, rows: i32): void {
  for (let r = 0; r < rows; r++) memory.copy(dst + <usize>r * stride, src + <usize>r * bytes, bytes);
}

/** Runs task t of spatial job `kind` (its words at jobArgs(): job's) with slot `slot`'s scratch: units u0..u1-1. */
export function spatialTask(kind: i32, t: i32, slot: i32): void {
  const a = jobArgs();
  const g = changetype<Geometry>(<usize>jobArgAt(a, 0));
  const p1 = <usize>jobArgAt(a, 1), p2 = <usize>jobArgAt(a, 2), p3 = <usize>jobArgAt(a, 3), p4 = <usize>jobArgAt(a, 4);
  const scratch = <usize>jobArgAt(a, 5) + <usize>slot * jobArgAt(a, 6), per = jobArgAt(a, 7), a8 = jobArgAt(a, 8);
  const u0 = t * per, u1 = min(jobArgAt(a, 10), u0 + per), shared = jobArgAt(a, 12) > 1; // (shared: the job has other tasks)
  // an input gradient's images of the (padded) dimg are zeroed first, and copied out to dx after
  const inputGrad = kind == Spatial.ConvInput || kind == Spatial.DepthwiseInput, image = <usize>g.hb * g.wb * g.c << 2;
  if (inputGrad) memory.fill(p1 + <usize>u0 * image, 0, <usize>(u1 - u0) * image);
  switch (kind) {
    case Spatial.Pad: copyPadded(g, p1, p2, true, u0, u1); break;
    case Spatial.ConvForward: convForward(g, p1, p2, p3, p4, scratch, <usize>a8, scratch + (<usize>g.taps << 4), u0, u1); break;
    case Spatial.ConvFilter: {
      // units: tap groups, or with `split` (one a task) df's 8-column blocks
      const split = jobArgAt(a, 11) > 1, tg0 = split ? 0 : u0, jb0 = split ? u0 : 0;
      const p0 = tg0 << 2, taps = (split ? g.taps : min(g.taps, u1 << 2)) - p0, cols = (split ? min(g.co, u1 << 3) : g.co) - (jb0 << 3);
      const df = <usize>a8 + <usize>p0 * (<usize>g.co << 2) + (<usize>jb0 << 5), own = shared ? scratch + (<usize>FILTER_ROWS << 4) + BLOCK_BYTES : df;
      if (shared) memory.fill(own, 0, <usize>taps * cols << 2);
      convFilter(g, p1, p2, p3, p4, scratch, own, shared ? <usize>cols << 2 : <usize>g.co << 2, scratch + (<usize>FILTER_ROWS << 4),
        tg0, split ? (g.taps + 3) >> 2 : u1, jb0, split ? u1 : (g.co + 7) >> 3);
      if (shared) copyRows(df, <usize>g.co << 2, own, <usize>cols << 2, taps);
      break;
    }
    case Spatial.ConvInput: {
      const products = scratch + (<usize>g.co << 4);
      convInput(g, p1, p2, p3, p4, <usize>a8, scratch, products, products + (<usize>((g.taps + 7) >> 3) << 7), u0, u1);
      break;
    }
    case Spatial.DepthwiseForward: depthwiseForward(g, p1, p2, p3, p4, u0, u1); break;
    case Spatial.DepthwiseInput: depthwiseInput(g, p1, p2, p3, p4, u0, u1); break;
    case Spatial.DepthwiseFilter: {
      const M4 = <usize>(g.co / g.c) << 2, taps = g.kh * g.kw, part = <usize>(u1 - u0) * M4, df = p4 + <usize>u0 * M4;
      if (shared) memory.fill(scratch, 0, <usize>taps * part);
      depthwiseFilter(g, p1, p2, p3, shared ? scratch : df, shared ? part : <usize>g.co << 2, u0, u1);
      if (shared) copyRows(df, <usize>g.co << 2, scratch, part, taps);
      break;
    }
    default: { // Argmax, AvgPool: units are output pixels, or for a scatter (a8 & 1) images
      const scatter = (a8 & 1) != 0, P = scatter ? g.oh * g.ow : 1, q0 = u0 * P, q1 = u1 * P, C4 = <usize>g.c << 2;
      // a scatter's images of po (input-shaped), or an average's windows, zeroed: the kernels add
      if (scatter) memory.fill(p3 + <usize>u0 * g.h * g.w * C4, 0, <usize>(u1 - u0) * g.h * g.w * C4);
      else if (kind == Spatial.AvgPool) memory.fill(p3 + <usize>q0 * C4, 0, <usize>(q1 - q0) * C4);
      if (kind == Spatial.Argmax) walkArgmax(g, p1, p2, p3, scatter, (a8 & 2) != 0, scratch, q0, q1);
      else avgPoolKernel(g, p1, p3, scatter, scratch, q0, q1);
    }
  }
  if (inputGrad && !g.unpadded) copyPadded(g, <usize>jobArgAt(a, 9), p1, false, u0, u1);
}
