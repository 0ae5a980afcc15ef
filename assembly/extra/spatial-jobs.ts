// The spatial kernels as threaded jobs (assembly/threads.ts runs them through the core): each entry
// below runs its kernel over the whole problem, split into tasks when the work is large enough to
// pay for waking workers. Tasks are cut from the shape alone and own disjoint outputs, each computed
// in the one-thread order (kernels/conv.ts, depthwise.ts, pool.ts say why their ranges keep it), so
// results are the same bits for any number of threads:
//   convForward, depthwiseForward, pools: blocks of output pixels (rows of cols);
//   convInput, depthwiseInput, pool gradients (scatters into overlapping windows): whole images;
//   convFilter: groups of taps (and 8-column blocks of df when there are few); depthwiseFilter:
//   input channels (never pixels: they are the sums' terms).
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
/** Units per task: ~TASK_MACS of work each when `worth` (threads pay), else all `units` in one task. */
@inline function perTask(worth: bool, unit: f64, units: i32): i32 { return worth ? max(1, <i32>(<f64>TASK_MACS / max(unit, 1))) : max(units, 1); }
/**
 * Writes the job's words (a0: the Geometry, read-only during the job; a5: per-slot scratch of
 * `bytes` each, a6: bytes; a7: units per task) then runs `tasks` tasks: one (the work is too small
 * to share, or the shape has one unit) runs here directly, as the plain kernel call it is.
 */
function launch(kind: i32, tasks: i32, g: Geometry, a1: usize, a2: usize, a3: usize, a4: usize, bytes: usize, per: i32, a8: usize = 0, a9: usize = 0): void {
  const args = jobArgs();
  store<usize>(args, changetype<usize>(g)); store<usize>(args, a1, 4); store<usize>(args, a2, 8); store<usize>(args, a3, 12);
  store<usize>(args, a4, 16); store<usize>(args, scratchTake(bytes * (tasks > 1 ? <usize>threadSlots() : 1)), 20);
  store<usize>(args, bytes, 24); store<i32>(args, per, 28); store<usize>(args, a8, 32); store<usize>(args, a9, 36);
  if (tasks > 1) parallel(kind, tasks);
  else spatialTask(kind, 0, 0);
}

/** Copies x into the padded image xb (kernels/conv.ts copyPadded), in tasks of whole images. */
export function padJob(g: Geometry, x: usize, xb: usize): void {
  const image = <f64>g.hb * g.wb * g.c * 4, per = perTask(worthThreads(threadSlots(), image * g.n), image, g.n); // (bytes as the work)
  launch(Spatial.Pad, ceilDiv(g.n, per), g, x, xb, 0, 0, 0, per);
}

/** out [M × CO] = cols · filter (kernels/conv.ts convForward), in blocks of rows (multiples of 4). */
export function convForwardJob(g: Geometry, img: usize, bases: usize, offsets: usize, panels: usize, out: usize): void {
  const M = g.rows, K = g.taps, CO = g.co;
  const rows = (perTask(worthThreads(threadSlots(), <f64>M * K * CO), <f64>K * CO, M) + 3) & ~3;
  launch(Spatial.ConvForward, ceilDiv(M, rows), g, img, bases, offsets, panels, (<usize>K << 4) + BLOCK_BYTES, rows, out);
}

/**
 * df [K × CO] += colsᵀ · dy (convFilter), in tasks of tap groups, each × a range of 8-column blocks
 * when there are fewer than 8 tap tasks (a 3×3×1 filter has 3 groups: 6 tasks balance 2 or 3 threads).
 */
export function convFilterJob(g: Geometry, img: usize, bases: usize, offsets: usize, dy: usize, df: usize): void {
  const M = g.rows, K = g.taps, CO = g.co, tapGroups = (K + 3) >> 2, colBlocks = (CO + 7) >> 3;
  const worth = worthThreads(threadSlots(), <f64>M * K * CO);
  const groups = perTask(worth, <f64>M * 4 * CO, tapGroups), tapTasks = ceilDiv(tapGroups, groups);
  const blocks = worth ? ceilDiv(colBlocks, min(colBlocks, ceilDiv(8, tapTasks))) : colBlocks, colTasks = ceilDiv(colBlocks, blocks);
  launch(Spatial.ConvFilter, tapTasks * colTasks, g, img, bases, offsets, dy, (<usize>FILTER_ROWS << 4) + BLOCK_BYTES, groups, df, blocks);
}

/**
 * dx = col2im(dy · filterᵀ) (convInput), in tasks of whole images, each zeroing its images of the
 * (padded) dimg first and copying them out to dx after (when dimg is a padded copy).
 */
export function convInputJob(g: Geometry, dimg: usize, bases: usize, offsets: usize, dy: usize, panels: usize, dx: usize): void {
  const K = g.taps, CO = g.co;
  const images = perTask(worthThreads(threadSlots(), <f64>g.rows * K * CO), <f64>g.oh * g.ow * K * CO, g.n);
  launch(Spatial.ConvInput, ceilDiv(g.n, images), g, dimg, bases, offsets, dy,
    (<usize>CO << 4) + (<usize>((K + 7) >> 3) << 7) + BLOCK_BYTES, images, panels, dx);
}

/**
 * The depthwise kernels (kernels/depthwise.ts; op: 0 forward, 1 input gradient, as convInputJob's
 * into dx, 2 filter gradient), in tasks of rows, images, or input channels: 16 (a cache line of each
 * pixel) when there are many, else 4 (one f32x4).
 */
export function depthwiseJob(op: i32, g: Geometry, img: usize, bases: usize, f: usize, out: usize, dx: usize = 0): void {
  const taps = g.kh * g.kw, CO = g.co;
  const worth = worthThreads(threadSlots(), <f64>g.rows * taps * CO), units = op == 0 ? g.rows : op == 1 ? g.n : g.c;
  const per = op == 0 ? perTask(worth, <f64>taps * CO, units) : op == 1 ? perTask(worth, <f64>g.oh * g.ow * taps * CO, units)
    : worth ? (g.c >= 64 ? 16 : 4) : units;
  launch(Spatial.DepthwiseForward + op, ceilDiv(units, per), g, img, bases, f, out, 0, per, 0, dx);
}

/**
 * A pool kernel over every output pixel: walkArgmax (kind Argmax; scatter, pickOwn as there) or
 * avgPoolKernel (kind AvgPool; scatter: its gradient), in blocks of output pixels; scatters in
 * whole images.
 */
export function poolJob(kind: i32, g: Geometry, ps: usize, pv: usize, po: usize, scatter: bool, pickOwn: bool): void {
  const M = g.rows, P = g.oh * g.ow, unit = <f64>g.kh * g.kw * g.c;
  const worth = worthThreads(threadSlots(), <f64>M * unit);
  const pixels = scatter ? perTask(worth, P * unit, g.n) * P : perTask(worth, unit, M);
  launch(kind, ceilDiv(M, pixels), g, ps, pv, po, 0, <usize>(g.c * 8 + 15) & ~15, pixels, <usize>scatter | <usize>pickOwn << 1);
}

/** Runs task t of spatial job `kind` (its words at jobArgs(): launch's) with slot `slot`'s scratch. */
export function spatialTask(kind: i32, t: i32, slot: i32): void {
  const a = jobArgs();
  const g = changetype<Geometry>(<usize>jobArgAt(a, 0));
  const p1 = <usize>jobArgAt(a, 1), p2 = <usize>jobArgAt(a, 2), p3 = <usize>jobArgAt(a, 3), p4 = <usize>jobArgAt(a, 4);
  const scratch = <usize>jobArgAt(a, 5) + <usize>slot * jobArgAt(a, 6), per = jobArgAt(a, 7), a8 = jobArgAt(a, 8), u0 = t * per;
  const images = <usize>g.hb * g.wb * g.c << 2, n1 = min(g.n, u0 + per); // (bytes of a padded image; the images of input gradient tasks)
  if (kind == Spatial.ConvInput || kind == Spatial.DepthwiseInput) memory.fill(p1 + <usize>u0 * images, 0, <usize>(n1 - u0) * images);
  switch (kind) {
    case Spatial.ConvForward:
      convForward(g, p1, p2, p3, p4, scratch, <usize>a8, scratch + (<usize>g.taps << 4), u0, min(g.rows, u0 + per));
      break;
    case Spatial.ConvFilter: {
      const blocks = jobArgAt(a, 9), colTasks = ceilDiv((g.co + 7) >> 3, blocks);
      const tg = t / colTasks * per, jb = t % colTasks * blocks;
      convFilter(g, p1, p2, p3, p4, scratch, <usize>a8, scratch + (<usize>FILTER_ROWS << 4),
        tg, min((g.taps + 3) >> 2, tg + per), jb, min((g.co + 7) >> 3, jb + blocks));
      break;
    }
    case Spatial.Pad: copyPadded(g, p1, p2, true, u0, n1); break;
    case Spatial.ConvInput: {
      const products = scratch + (<usize>g.co << 4);
      convInput(g, p1, p2, p3, p4, <usize>a8, scratch, products, products + (<usize>((g.taps + 7) >> 3) << 7), u0, n1);
      break;
    }
    case Spatial.DepthwiseForward: depthwiseForward(g, p1, p2, p3, p4, u0, min(g.rows, u0 + per)); break;
    case Spatial.DepthwiseInput: depthwiseInput(g, p1, p2, p3, p4, u0, n1); break;
    case Spatial.DepthwiseFilter: depthwiseFilter(g, p1, p2, p3, p4, u0, min(g.c, u0 + per)); break;
    case Spatial.Argmax: case Spatial.AvgPool: {
      const q1 = min(g.rows, u0 + per), scatter = (a8 & 1) != 0;
      // a scatter's images of po (input-shaped), or an average's windows, zeroed: the kernels add
      const C4 = <usize>g.c << 2, P = g.oh * g.ow, image = <usize>g.h * g.w * C4;
      if (scatter) memory.fill(p3 + <usize>(u0 / P) * image, 0, <usize>((q1 - u0) / P) * image);
      else if (kind == Spatial.AvgPool) memory.fill(p3 + <usize>u0 * C4, 0, <usize>(q1 - u0) * C4);
      if (kind == Spatial.Argmax) walkArgmax(g, p1, p2, p3, scatter, (a8 & 2) != 0, scratch, u0, q1);
      else avgPoolKernel(g, p1, p3, scatter, scratch, u0, q1);
    }
  }
  // an input gradient accumulated in a padded image: its images copied out to dx
  if ((kind == Spatial.ConvInput || kind == Spatial.DepthwiseInput) && !g.unpadded) copyPadded(g, <usize>jobArgAt(a, 9), p1, false, u0, n1);
}
