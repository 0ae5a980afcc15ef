// matmul with broadcast batch dims, and its backward rule. Kernel: assembly/kernels/gemm.ts.
import { Op, DType } from "../../build/generated/opcodes";
import { dataPtr, dim, newTensor, rankOf } from "../tensor";
import { recordAttr2 } from "../tape";
import { Record, Grads } from "../record";
import { scratchMark, scratchRelease, scratchTake } from "../scratch";
import { MAX_RANK } from "../limits";
import { gemmStrided, gemmScratchBytes } from "../kernels/gemm";
import { unbroadcastOwned } from "./elementwise";

/** matmul(a, b, transposeA, transposeB) with broadcast batch dims (TS validated the shapes). */
export function matmul(a: i32, b: i32, transposeA: i32, transposeB: i32): i32 {
  const ta = transposeA != 0, tb = transposeB != 0;
  const ra = rankOf(a), rb = rankOf(b);
  const m = ta ? dim(a, ra - 1) : dim(a, ra - 2), k = ta ? dim(a, ra - 2) : dim(a, ra - 1);
  const n = tb ? dim(b, rb - 2) : dim(b, rb - 1);
  const batchA = ra - 2, batchB = rb - 2;
  const mark = scratchMark(), outShape = scratchTake(MAX_RANK * 4), batchIdx = scratchTake(MAX_RANK * 4);
  const batchR = batchA > batchB ? batchA : batchB;
  let batches = 1;
  for (let i = 0; i < batchR; i++) {
    const ia = i - (batchR - batchA), ib = i - (batchR - batchB);
    const da = ia >= 0 ? dim(a, ia) : 1, db = ib >= 0 ? dim(b, ib) : 1;
    const d = da == 1 ? db : da;
    store<i32>(outShape + (<usize>i << 2), d);
    batches *= d;
  }
  store<i32>(outShape + (<usize>batchR << 2), m);
  store<i32>(outShape + (<usize>(batchR + 1) << 2), n);
  const out = newTensor(DType.Float32, batchR + 2, outShape);
  memory.fill(batchIdx, 0, MAX_RANK * 4);
  const scratch = scratchTake(gemmScratchBytes(k, n));
  for (let t = 0; t < batches; t++) {
    // matrix index of a and b for this output batch (broadcast dims stay at 0)
    let offA = 0, offB = 0, strideA = 1, strideB = 1;
    for (let i = batchR - 1; i >= 0; i--) {
      const idx = load<i32>(batchIdx + (<usize>i << 2));
      const ia = i - (batchR - batchA), ib = i - (batchR - batchB);
      if (ia >= 0) { const d = dim(a, ia); if (d != 1) offA += idx * strideA; strideA *= d; }
      if (ib >= 0) { const d = dim(b, ib); if (d != 1) offB += idx * strideB; strideB *= d; }
    }
    const pa = dataPtr(a) + (<usize>offA * m * k << 2);
    const pb = dataPtr(b) + (<usize>offB * k * n << 2);
    // A(i,p) is a[i·k + p], or a[p·m + i] when stored transposed; likewise B(p,j)
    gemmStrided(pa, ta ? 1 : k, ta ? m : 1, pb, tb ? 1 : n, tb ? k : 1, dataPtr(out) + (<usize>t * m * n << 2), m, k, n, scratch);
    for (let i = batchR - 1; i >= 0; i--) { // next batch index
      const p = batchIdx + (<usize>i << 2);
      const idx = load<i32>(p) + 1;
      if (idx < load<i32>(outShape + (<usize>i << 2))) { store<i32>(p, idx); break; }
      store<i32>(p, 0);
    }
  }
  scratchRelease(mark);
  recordAttr2(Op.MatMul, out, a, b, transposeA, transposeB);
  return out;
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
