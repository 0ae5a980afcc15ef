// Broadcasting plans: how two inputs are read, broadcast to an output shape, row by row. The plan
// merges adjacent dims that both inputs read as one (contiguous, or broadcast along both) and keeps
// each input's element stride per merged dim (0: broadcast along it), so most ops walk a few long
// rows. A copying plan (kernels/copy.ts planCopy) reads a and writes b: broadcasts, permutations,
// boxes. Pure: a plan is a struct in scratch memory (PLAN_BYTES) that its kernel walks. Shapes of up
// to PLAN_RANK dims (twice the maximum rank: room the tile kernel needed, before tile became a
// composition of broadcasts).
import { MAX_RANK } from "../limits";

@final @unmanaged export class Plan {
  rank: i32;   // merged dims
  size: i32;   // output elements
  rowA: i32;   // element offsets of the current row in a and b (nextRow advances them)
  rowB: i32;
  // then dims, strideA, strideB and the odometer, PLAN_RANK ints each, outermost first

  @inline private word(array: i32, i: i32): usize { return changetype<usize>(this) + 16 + ((<usize>(array * PLAN_RANK + i)) << 2); }
  @inline dim(i: i32): i32 { return load<i32>(this.word(0, i)); }
  @inline strideA(i: i32): i32 { return load<i32>(this.word(1, i)); }
  @inline strideB(i: i32): i32 { return load<i32>(this.word(2, i)); }
  /** The innermost run: its length and each input's stride along it. */
  @inline get runN(): i32 { return this.dim(this.rank - 1); }
  @inline get runStrideA(): i32 { return this.strideA(this.rank - 1); }
  @inline get runStrideB(): i32 { return this.strideB(this.rank - 1); }

  /** Starts walking the plan row by row (nextRow); returns the row count. */
  rows(): i32 {
    if (this.size == 0) return 0;
    for (let d = 0; d < this.rank - 1; d++) store<i32>(this.word(3, d), 0); // (memory.fill is a call out of the module in V8)
    this.rowA = 0; this.rowB = 0;
    return this.size / this.runN;
  }

  /** Positions the walk at row `row` (0 ≤ row < rows()), as `row` calls of nextRow after rows() would. */
  seek(row: i32): void {
    let a = 0, b = 0;
    for (let d = this.rank - 2; d >= 0; d--) {
      const n = this.dim(d), digit = row % n;
      row /= n;
      store<i32>(this.word(3, d), digit);
      a += digit * this.strideA(d); b += digit * this.strideB(d);
    }
    this.rowA = a; this.rowB = b;
  }

  /** The odometer's digit of dim d (rows() zeroes them; nextRow, or a kernel's own copy of it, advances them). */
  @inline digit(d: i32): usize { return this.word(3, d); }

  /** Advances to the next row: an odometer over all dims but the innermost. */
  nextRow(): void {
    for (let d = this.rank - 2; d >= 0; d--) {
      const at = this.word(3, d);
      const idx = load<i32>(at) + 1;
      const sa = this.strideA(d), sb = this.strideB(d);
      if (idx < this.dim(d)) {
        store<i32>(at, idx);
        this.rowA += sa; this.rowB += sb;
        return;
      }
      store<i32>(at, 0);
      this.rowA -= sa * (idx - 1); this.rowB -= sb * (idx - 1);
    }
  }

  @inline private set(array: i32, i: i32, v: i32): void { store<i32>(this.word(array, i), v); }
  @inline private swap(array: i32, i: i32, j: i32): void {
    const t = load<i32>(this.word(array, i)); this.set(array, i, load<i32>(this.word(array, j))); this.set(array, j, t);
  }

  /**
   * Builds the plan (at `at`, PLAN_BYTES) for reading a (rank ra, dims at shapeA) and b, each
   * broadcast to the output shape (rank r, dims at outShape): a dim of size 1 in an input has
   * stride 0 there. Also a copying plan's box (planCopy): `outShape` the box, a the tensor it is
   * read from and b the one it is written into (ra = rb = r), each at the box's corner.
   */
  static make(at: usize, shapeA: usize, ra: i32, shapeB: usize, rb: i32, outShape: usize, r: i32): Plan {
    const p = changetype<Plan>(at);
    let n = 0;
    let strideA: i32 = 1, strideB: i32 = 1;
    let total: i32 = 1;
    // walk from the innermost dim outwards, merging a dim into the inner one when both inputs read
    // them as one (contiguous, or both broadcast)
    for (let i = r - 1; i >= 0; i--) {
      const d = load<i32>(outShape + (<usize>i << 2));
      const da = i - (r - ra) >= 0 ? load<i32>(shapeA + (<usize>(i - (r - ra)) << 2)) : 1;
      const db = i - (r - rb) >= 0 ? load<i32>(shapeB + (<usize>(i - (r - rb)) << 2)) : 1;
      total *= d;
      if (d != 1) {
        const sa = da == 1 ? 0 : strideA, sb = db == 1 ? 0 : strideB, inner = n > 0 ? p.dim(n - 1) : 0;
        if (n > 0 && sa == p.strideA(n - 1) * inner && sb == p.strideB(n - 1) * inner) {
          p.set(0, n - 1, inner * d);
        } else {
          p.set(0, n, d); p.set(1, n, sa); p.set(2, n, sb);
          n++;
        }
      }
      strideA *= da; strideB *= db;
    }
    return p.finish(n, total);
  }

  /** Completes a plan built innermost dim first (n dims kept, `total` output elements). */
  @inline private finish(n: i32, total: i32): Plan {
    if (n == 0) { // all dims are 1: a single element
      this.set(0, 0, 1); this.set(1, 0, 0); this.set(2, 0, 0); n = 1;
    }
    // stored innermost-first; reverse into outermost-first order
    for (let i = 0, j = n - 1; i < j; i++, j--) { this.swap(0, i, j); this.swap(1, i, j); this.swap(2, i, j); }
    this.rank = n;
    this.size = total;
    return this;
  }

  /**
   * A plan (at `at`, PLAN_BYTES) copying x (a: rank r, dims at `shape`) with its axes permuted into
   * b: output dim i is x's axis perm[i] (r ints at `perm`). Its dims (at `dims`) are the output shape.
   */
  static permuted(at: usize, shape: usize, perm: usize, r: i32): Plan {
    const p = changetype<Plan>(at);
    let total: i32 = 1;
    p.set(0, 0, 1); p.set(1, 0, 0); p.set(2, 0, 0); // rank 0: a single element
    for (let i = r - 1; i >= 0; i--) {
      const k = load<i32>(perm + (<usize>i << 2)), d = load<i32>(shape + (<usize>k << 2));
      let stride: i32 = 1; // x's element stride along axis k
      for (let j = k + 1; j < r; j++) stride *= load<i32>(shape + (<usize>j << 2));
      p.set(0, i, d); p.set(1, i, stride); p.set(2, i, total);
      total *= d;
    }
    p.rank = max(r, 1);
    p.size = total;
    return p;
  }
  /** A one-row plan (at `at`) of n elements read with strides sa and sb: a piece of a longer row. */
  static run(at: usize, n: i32, sa: i32, sb: i32): Plan {
    const p = changetype<Plan>(at);
    p.set(0, 0, n); p.set(1, 0, sa); p.set(2, 0, sb);
    p.rank = 1; p.size = n; p.rowA = 0; p.rowB = 0;
    return p;
  }
  /** Address of the dims (rank ints, outermost first). */
  @inline get dims(): usize { return this.word(0, 0); }
}

export const PLAN_RANK = 2 * MAX_RANK;
export const PLAN_BYTES: usize = 16 + 4 * PLAN_RANK * 4;

/** NumPy's broadcast shape of two shapes into `dst` (which may be either input); returns its rank. */
export function broadcastShapes(shapeA: usize, ra: i32, shapeB: usize, rb: i32, dst: usize): i32 {
  const r = ra > rb ? ra : rb;
  // from the last dim down, so each read happens before an aliased slot is overwritten
  for (let i = r - 1; i >= 0; i--) {
    const da = i - (r - ra) >= 0 ? load<i32>(shapeA + (<usize>(i - (r - ra)) << 2)) : 1;
    const db = i - (r - rb) >= 0 ? load<i32>(shapeB + (<usize>(i - (r - rb)) << 2)) : 1;
    store<i32>(dst + (<usize>i << 2), da == 1 ? db : da);
  }
  return r;
}
