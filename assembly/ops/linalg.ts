// matmul with broadcast batch dims, and its backward rule. Kernel: assembly/kernels/gemm.ts.
import { Op, DType } from "../../build/generated/opcodes";
import { dataPtr, dim, newTensor, rankOf, shapePtr } from "../tensor";
import { recordAttr2 } from "../tape";
import { Record, Grads } from "../record";
import { scratchMark, scratchRelease, scratchTake } from "../scratch";
import { MAX_RANK } from "../limits";
import { gemmStrided, gemmScratchBytes, packPanels, panelsBytes, rowBlocks, rowScratchBytes } from "../kernels/gemm";
import { jobArgs, parallel, threadSlots } from "../threads";
import { Job, jobArgAt, worthThreads } from "../jobs";
import { Plan, PLAN_BYTES, broadcastShapes } from "../kernels/broadcast";
import { unbroadcastOwned } from "./elementwise";

/** matmul(a, b, transposeA, transposeB) with broadcast batch dims (TS validated the shapes). */
export function matmul(a: i32, b: i32, transposeA: i32, transposeB: i32): i32 {
  const ta = transposeA != 0, tb = transposeB != 0;
  const ra = rankOf(a), rb = rankOf(b);
  const m = ta ? dim(a, ra - 1) : dim(a, ra - 2), k = ta ? dim(a, ra - 2) : dim(a, ra - 1);
  const n = tb ? dim(b, rb - 2) : dim(b, rb - 1);
  // the batch dims broadcast like a binary op's: a Plan over them (in units of matrices) gives each
  // output matrix's a and b
  const mark = scratchMark(), outShape = scratchTake(MAX_RANK * 4);
  const batchR = broadcastShapes(shapePtr(a), ra - 2, shapePtr(b), rb - 2, outShape);
  store<i32>(outShape + (<usize>batchR << 2), m);
  store<i32>(outShape + (<usize>(batchR + 1) << 2), n);
  const out = newTensor(DType.Float32, batchR + 2, outShape);
  const plan = Plan.make(scratchTake(PLAN_BYTES), shapePtr(a), ra - 2, shapePtr(b), rb - 2, outShape, batchR);
  const rows = plan.rows(), runN = plan.runN, sa = plan.runStrideA, sb = plan.runStrideB;
  const scratch = scratchTake(gemmScratch(k, n));
  let po = dataPtr(out);
  if (rb == 2 && ra > 2 && !ta) {
    // one b for every matrix of a (a dense layer on [batch, seq, features]): one product over all of
    // a's rows, which packs b once (each element is the same sum, in the same order)
    gemm(dataPtr(a), k, 1, dataPtr(b), tb ? 1 : n, tb ? k : 1, po, m * rows * runN, k, n, scratch);
  } else if (rows * runN > 1 && !worthThreads(threadSlots(), <f64>m * k * n) && worthThreads(threadSlots(), <f64>rows * runN * m * k * n)) {
    matmulBatch(plan, dataPtr(a), ta, dataPtr(b), tb, po, m, k, n);
  } else for (let row = 0; row < rows; row++) {
    for (let i = 0; i < runN; i++) {
      const pa = dataPtr(a) + (<usize>(plan.rowA + i * sa) * m * k << 2);
      const pb = dataPtr(b) + (<usize>(plan.rowB + i * sb) * k * n << 2);
      // A(i,p) is a[i·k + p], or a[p·m + i] when stored transposed; likewise B(p,j)
      gemm(pa, ta ? 1 : k, ta ? m : 1, pb, tb ? 1 : n, tb ? k : 1, po, m, k, n, scratch);
      po += <usize>m * n << 2;
    }
    plan.nextRow();
  }
  scratchRelease(mark);
  recordAttr2(Op.MatMul, out, a, b, transposeA, transposeB);
  return out;
}

/** Scratch for gemm: a block of packed rows per thread, then B's panels. */
function gemmScratch(k: i32, n: i32): usize { return rowScratchBytes(k) * threadSlots() + panelsBytes(k, n); }

/**
 * gemmStrided (same arguments), its blocks of rows shared among threads when the product is large
 * enough to pay for waking them (assembly/threads.ts): each block is computed as gemmStrided does.
 */
function gemm(a: usize, ars: i32, acs: i32, b: usize, brs: i32, bcs: i32, c: usize, m: i32, k: i32, n: i32, scratch: usize): void {
  // Tasks: blocks of rows, each cut into groups of B's column panels when there are few blocks, so
  // that there are about 16 tasks (a thread that wakes late, or is slowed, leaves less of a tail)
  // and a product of few rows splits at all; a group keeps at least 8 panels (64 columns), so
  // packing its block of A again costs little. Cut from the shape alone.
  const blocks = rowBlocks(m), rowBytes = rowScratchBytes(k), panelCount = (n + 7) >> 3;
  const groups = blocks < 1 ? 1 : max(1, min((16 + blocks - 1) / blocks, panelCount >> 3)), per = (panelCount + groups - 1) / groups;
  if (blocks * groups < 2 || n <= 0 || k <= 0 || !worthThreads(threadSlots(), <f64>m * k * n)) {
    gemmStrided(a, ars, acs, b, brs, bcs, c, m, k, n, scratch);
    return;
  }
  const panels = scratch + rowBytes * threadSlots();
  packPanels(b, brs, bcs, k, n, panels);
  const args = jobArgs(); // gemmRows' arguments (assembly/threads.ts runTask)
  store<i32>(args, a); store<i32>(args, ars, 4); store<i32>(args, acs, 8); store<i32>(args, panels, 12);
  store<i32>(args, c, 16); store<i32>(args, m, 20); store<i32>(args, k, 24); store<i32>(args, n, 28);
  store<i32>(args, scratch, 32); store<i32>(args, rowBytes, 36); store<i32>(args, groups, 40); store<i32>(args, per, 44);
  parallel(Job.GemmRows, blocks * groups);
}

/** Products per task of matmulBatch: about this many multiply-adds (a claim costs far less). */
const BATCH_TASK_FLOPS = 65536;

/**
 * The products of a batch of matrices each too small for gemm's threads (attention's per-head
 * products) on threads: a task is a group of whole products, each computed by gemmStrided as on
 * one thread (with this thread's scratch), so the bits are the same. The caller lists each
 * product's a and b (element offsets, walked from the plan) for the tasks to read.
 */
function matmulBatch(plan: Plan, pa: usize, ta: bool, pb: usize, tb: bool, pc: usize, m: i32, k: i32, n: i32): void {
  const count = plan.size, runN = plan.runN, sa = plan.runStrideA, sb = plan.runStrideB, rows = plan.rows();
  const offsets = scratchTake(<usize>count << 3);
  let at = offsets;
  for (let row = 0; row < rows; row++) {
    for (let i = 0; i < runN; i++) {
      store<i32>(at, (plan.rowA + i * sa) * m * k); store<i32>(at, (plan.rowB + i * sb) * k * n, 4);
      at += 8;
    }
    plan.nextRow();
  }
  const per = max(1, BATCH_TASK_FLOPS / max(1, m * k * n)), slotBytes = gemmScratchBytes(k, n), args = jobArgs();
  // kernels' arguments, in the order matmulBatchTask reads them
  store<i32>(args, pa); store<i32>(args, ta ? 1 : k, 4); store<i32>(args, ta ? m : 1, 8); store<i32>(args, pb, 12);
  store<i32>(args, tb ? 1 : n, 16); store<i32>(args, tb ? k : 1, 20); store<i32>(args, pc, 24); store<i32>(args, m, 28);
  store<i32>(args, k, 32); store<i32>(args, n, 36); store<i32>(args, offsets, 40); store<i32>(args, count, 44);
  store<i32>(args, per, 48); store<i32>(args, scratchTake(slotBytes * threadSlots()), 52); store<i32>(args, slotBytes, 56);
  parallel(Job.MatmulBatch, (count + per - 1) / per);
}

/** Job.MatmulBatch's task: products [task·per, +per) (assembly/threads.ts runTask; args: matmulBatch). */
export function matmulBatchTask(args: usize, task: i32, slot: i32): void {
  const m = jobArgAt(args, 7), k = jobArgAt(args, 8), n = jobArgAt(args, 9), per = jobArgAt(args, 12);
  const scratch = <usize>jobArgAt(args, 13) + <usize>slot * jobArgAt(args, 14), offsets = <usize>jobArgAt(args, 10);
  const first = task * per, end = min(jobArgAt(args, 11), first + per);
  for (let i = first; i < end; i++) {
    const pa = <usize>jobArgAt(args, 0) + (<usize>load<i32>(offsets + (<usize>i << 3)) << 2);
    const pb = <usize>jobArgAt(args, 3) + (<usize>load<i32>(offsets + (<usize>i << 3), 4) << 2);
    const pc = <usize>jobArgAt(args, 6) + (<usize>i * m * n << 2);
    gemmStrided(pa, jobArgAt(args, 1), jobArgAt(args, 2), pb, jobArgAt(args, 4), jobArgAt(args, 5), pc, m, k, n, scratch);
  }
}

export function matmulBackward(rec: Record, grads: Grads): void {
  const a = rec.input(0), b = rec.input(1), ta = rec.attr(0) != 0, tb = rec.attr(1) != 0, dy = grads.dy();
  if (grads.wants(0)) {
    const g = !ta ? matmul(dy, b, 0, tb ? 0 : 1) : (!tb ? matmul(b, dy, 0, 1) : matmul(b, dy, 1, 1));
    grads.set(0, unbroadcastOwned(g, a));
  }
  if (grads.wants(1)) {
    const g = !tb ? matmul(a, dy, ta ? 0 : 1, 0) : (!ta ? matmul(dy, a, 1, 0) : matmul(dy, a, 1, 1));
    grads.set(1, unbroadcastOwned(g, b));
  }
}
