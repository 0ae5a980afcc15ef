// Shape helpers shared by the kernels: broadcasting plans, axis splits and small static buffers.
import { MAX_RANK, dim, rankOf, sizeOf, newTensor, dataPtr } from "../tensor";
import { DType } from "../opcodes";

/** Scratch shape buffer for building output shapes (kernels never call each other while using it). */
export const shapeBuf = memory.data(MAX_RANK * 4, 16);

// A broadcasting plan: the output shape with adjacent dims merged where both inputs broadcast the
// same way, and each input's element stride per merged dim (0 = broadcast along it).
export const planDims = memory.data(MAX_RANK * 4, 16);
export const planStrideA = memory.data(MAX_RANK * 4, 16);
export const planStrideB = memory.data(MAX_RANK * 4, 16);
export let planRank: i32 = 0;
export let planSize: i32 = 0;
const odometer = memory.data(MAX_RANK * 4, 16);

/** Broadcast shape of a and b into shapeBuf; returns its rank. (TS has validated compatibility.) */
export function broadcastShape(a: i32, b: i32): i32 {
  const ra = rankOf(a), rb = rankOf(b);
  const r = ra > rb ? ra : rb;
  for (let i = 0; i < r; i++) {
    const da = i - (r - ra) >= 0 ? dim(a, i - (r - ra)) : 1;
    const db = i - (r - rb) >= 0 ? dim(b, i - (r - rb)) : 1;
    store<i32>(shapeBuf + (<usize>i << 2), da == 1 ? db : da);
  }
  return r;
}

/** Broadcasts the shape in shapeBuf (rank r) with x's shape, in place; returns the new rank. */
export function broadcastShapeWith(x: i32, r: i32): i32 {
  const rx = rankOf(x);
  const out = r > rx ? r : rx;
  // from the last dim down, so each read of the old shape happens before that slot is overwritten
  for (let i = out - 1; i >= 0; i--) {
    const j = i - (out - r), k = i - (out - rx);
    const d = j >= 0 ? load<i32>(shapeBuf + (<usize>j << 2)) : 1;
    const dx = k >= 0 ? dim(x, k) : 1;
    store<i32>(shapeBuf + (<usize>i << 2), d == 1 ? dx : d);
  }
  return out;
}

/** Builds the plan for reading `a` and `b` broadcast to the output shape (rank r in `outShape`). */
export function makePlan(a: i32, b: i32, outShape: usize, r: i32): void {
  const ra = rankOf(a), rb = rankOf(b);
  let n = 0;
  let lastA: i32 = -1, lastB: i32 = -1; // broadcast flags of the previous kept dim
  let strideA: i32 = 1, strideB: i32 = 1;
  let total: i32 = 1;
  // walk from the innermost dim outwards, merging runs with the same broadcast pattern
  for (let i = r - 1; i >= 0; i--) {
    const d = load<i32>(outShape + (<usize>i << 2));
    total *= d;
    if (d == 1) continue;
    const da = i - (r - ra) >= 0 ? dim(a, i - (r - ra)) : 1;
    const db = i - (r - rb) >= 0 ? dim(b, i - (r - rb)) : 1;
    const ba: i32 = da == 1 ? 1 : 0, bb: i32 = db == 1 ? 1 : 0;
    if (n > 0 && ba == lastA && bb == lastB) {
      const k = <usize>(n - 1) << 2;
      store<i32>(planDims + k, load<i32>(planDims + k) * d);
    } else {
      store<i32>(planDims + (<usize>n << 2), d);
      store<i32>(planStrideA + (<usize>n << 2), ba ? 0 : strideA);
      store<i32>(planStrideB + (<usize>n << 2), bb ? 0 : strideB);
      n++;
      lastA = ba; lastB = bb;
    }
    if (!ba) strideA *= d;
    if (!bb) strideB *= d;
  }
  if (n == 0) { // all dims are 1: a single element
    store<i32>(planDims, 1); store<i32>(planStrideA, 0); store<i32>(planStrideB, 0); n = 1;
  }
  // stored innermost-first; reverse into outermost-first order
  for (let i = 0, j = n - 1; i < j; i++, j--) {
    swap(planDims, i, j); swap(planStrideA, i, j); swap(planStrideB, i, j);
  }
  planRank = n;
  planSize = total;
}

@inline function swap(base: usize, i: i32, j: i32): void {
  const pi = base + (<usize>i << 2), pj = base + (<usize>j << 2);
  const t = load<i32>(pi); store<i32>(pi, load<i32>(pj)); store<i32>(pj, t);
}

/** Visits the plan's rows: calls back with element offsets into a and b for each innermost run. */
export function resetOdometer(): void { memory.fill(odometer, 0, MAX_RANK * 4); }

/** Advances the odometer over all but the innermost plan dim; returns the delta offsets packed in globals. */
export let rowA: i32 = 0;
export let rowB: i32 = 0;
export function nextRow(): void {
  for (let d = planRank - 2; d >= 0; d--) {
    const k = <usize>d << 2;
    const idx = load<i32>(odometer + k) + 1;
    const sa = load<i32>(planStrideA + k), sb = load<i32>(planStrideB + k);
    if (idx < load<i32>(planDims + k)) {
      store<i32>(odometer + k, idx);
      rowA += sa; rowB += sb;
      return;
    }
    store<i32>(odometer + k, 0);
    rowA -= sa * (idx - 1); rowB -= sb * (idx - 1);
  }
}

/** Splits `x`'s shape around `axis` into outer · n · inner. */
export let splitOuter: i32 = 1;
export let splitN: i32 = 1;
export let splitInner: i32 = 1;
export function splitAt(x: i32, axis: i32): void {
  let outer = 1, inner = 1;
  const r = rankOf(x);
  for (let i = 0; i < axis; i++) outer *= dim(x, i);
  for (let i = axis + 1; i < r; i++) inner *= dim(x, i);
  splitOuter = outer; splitN = dim(x, axis); splitInner = inner;
}

/** A float32 scalar constant (rank 0). */
export function scalarF32(v: f32): i32 {
  const id = newTensor(DType.Float32, 0, shapeBuf);
  store<f32>(dataPtr(id), v);
  return id;
}

/** Copies x's shape into shapeBuf; returns the rank. */
export function copyShape(x: i32): i32 {
  const r = rankOf(x);
  for (let i = 0; i < r; i++) store<i32>(shapeBuf + (<usize>i << 2), dim(x, i));
  return r;
}

