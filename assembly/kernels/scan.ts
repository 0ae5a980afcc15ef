// Scan kernels: cumulative sums and products along one axis (TF's tf.math.cumsum / cumprod, with
// their `exclusive` and `reverse` flags), and the constant masks of cumprod's zero-safe gradient.
// Pure: pointers and sizes in, a tensor seen as [outer, n, inner] (the axis of length n).

/**
 * out = the cumulative sum (or product) of x along the middle axis of [outer, n, inner], float32 or
 * int32 (`int`). Each output row is the previous output row combined with one input row, so the
 * rows are contiguous runs of `inner` elements: `exclusive` shifts the input by one row (the first
 * row is the identity, 0 or 1), `reverse` walks the axis from its end.
 */
export function scanKernel(px: usize, po: usize, outer: i32, n: i32, inner: i32, prod: bool, exclusive: bool, reverse: bool, int: bool): void {
  const row = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const base = <usize>o * <usize>n * row;
    for (let s = 0; s < n; s++) {
      const k = reverse ? n - 1 - s : s, back = reverse ? k + 1 : k - 1; // back: the row before k in walking order
      const dst = po + base + <usize>k * row;
      if (s == 0 && exclusive) {
        for (let i = 0; i < inner; i++) {
          const q = dst + (<usize>i << 2);
          if (int) store<i32>(q, prod ? 1 : 0); else store<f32>(q, prod ? 1 : 0);
        }
        continue;
      }
      const src = px + base + <usize>(exclusive ? back : k) * row;
      if (s == 0) { memory.copy(dst, src, row); continue; }
      const prev = po + base + <usize>back * row;
      for (let i = 0; i < inner; i++) {
        const q = <usize>i << 2;
        if (int) {
          const a = load<i32>(prev + q), b = load<i32>(src + q);
          store<i32>(dst + q, prod ? a * b : a + b);
        } else {
          const a = load<f32>(prev + q), b = load<f32>(src + q);
          store<f32>(dst + q, prod ? a * b : a + b);
        }
      }
    }
  }
}

/**
 * The constant masks (0/1 floats, each [outer, n, inner]) of cumprod's gradient, walking each line in
 * the scan's order, with D the zeros strictly before a position and C the zeros the scan's product
 * there includes (D, plus the position's own unless exclusive): z = [x = 0], nz = [x ≠ 0],
 * m0, m1, m2 = [C = 0], [C = 1], [C = 2], f1 = [z ∧ D = 0] (the line's first zero), f2 = [z ∧ D = 1]
 * (its second). Returns the number of zeros. See assembly/extra/scan.ts for the formula they serve.
 */
export function zeroMasksKernel(px: usize, outer: i32, n: i32, inner: i32, exclusive: bool, reverse: bool,
  pz: usize, pnz: usize, pm0: usize, pm1: usize, pm2: usize, pf1: usize, pf2: usize): i32 {
  let zeros = 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let before = 0;
      for (let s = 0; s < n; s++) {
        const k = reverse ? n - 1 - s : s;
        const q = ((<usize>o * <usize>n + <usize>k) * <usize>inner + <usize>i) << 2;
        const z: i32 = load<f32>(px + q) == 0 ? 1 : 0;
        const c = exclusive ? before : before + z;
        store<f32>(pz + q, <f32>z);
        store<f32>(pnz + q, <f32>(z ^ 1));
        store<f32>(pm0 + q, c == 0 ? 1 : 0);
        store<f32>(pm1 + q, c == 1 ? 1 : 0);
        store<f32>(pm2 + q, c == 2 ? 1 : 0);
        store<f32>(pf1 + q, z == 1 && before == 0 ? 1 : 0);
        store<f32>(pf2 + q, z == 1 && before == 1 ? 1 : 0);
        before += z;
      }
      zeros += before;
    }
  }
  return zeros;
}
