// atan2(y, x) four lanes at a time, as C's atan2f: within 2 ulp (test/ulp.test.ts), with IEEE
// results for signed zeros, infinities and NaN. For the extra module, which has no data of its own:
// the constants are code (v128.const), not a table in memory. Pure: pointers and a count in.
//
// Reduction: with a = min(|x|, |y|), b = max(...), t = a/b is in [0, 1]. For t > ½, atan t = π/4 +
// atan u with u = (a − b)/(a + b) in (−⅓, 0] (a − b is exact there, by Sterbenz's lemma: no
// rounding of t in between); below, u = t. Then atan u = u + u·z·P(z), z = u², P of degree 4
// (relative fit error 5.5e-9 on |u| ≤ ½, weighted least squares iterated to near-minimax, against
// 40-digit references). The result is q·π/4 ± atan u for a quadrant q in 0..4 (from t > ½, |y| >
// |x|, and x's sign bit), with π/4 in two parts: q·PIO4_HI is exact, so the one rounding that
// matters is the last addition's.

/** Bytes of scratch atan2Kernel needs (the padded tail). */
export const ATAN2_SCRATCH: usize = 48;

@inline function splat(c: f32): v128 { return f32x4.splat(c); }
@inline function madd(a: v128, b: v128, c: f32): v128 { return f32x4.add(f32x4.mul(a, b), f32x4.splat(c)); }

function atan2x4(y: v128, x: v128): v128 {
  const sign = splat(-0.0), one = splat(1), inf = splat(Infinity);
  const ax = f32x4.abs(x), ay = f32x4.abs(y), swap = f32x4.gt(ay, ax);
  let a = v128.bitselect(ax, ay, swap), b = v128.bitselect(ay, ax, swap);
  // a + b may overflow beyond 2^126: a quarter of both there (only their ratio matters)
  const scale = v128.bitselect(splat(0.25), one, f32x4.ge(b, splat(8.507059e37)));
  a = f32x4.mul(a, scale); b = f32x4.mul(b, scale);
  // t > ½ (both infinite: t = 1, the upper branch)
  const upper = v128.or(f32x4.gt(f32x4.add(a, a), b), f32x4.eq(a, inf)); // (2a: exact, b/2 is not for denormals)
  let u = f32x4.div(f32x4.sub(a, v128.and(b, upper)), f32x4.add(b, v128.and(a, upper)));
  u = v128.and(u, f32x4.eq(u, u)); // 0/0 (both zero) and Inf/Inf (both infinite): u = 0
  const z = f32x4.mul(u, u);
  let p = madd(splat(-0.05142717432064179), z, 0.10166326635112521);
  p = madd(p, z, -0.14176380220395873);
  p = madd(p, z, 0.19994345746146133);
  p = madd(p, z, -0.33333237633675933);
  let r = f32x4.add(u, f32x4.mul(f32x4.mul(u, z), p));
  // the quadrant: q = 1 in the upper branch; swapped, π/2 − r (q = 2 − q); x negative, π − r (q = 4 − q)
  let q = v128.and(upper, one);
  q = v128.bitselect(f32x4.sub(splat(2), q), q, swap);
  r = v128.xor(r, v128.and(swap, sign));
  const negative = i32x4.shr_s(x, 31); // x's sign bit: −0 and −Inf too
  q = v128.bitselect(f32x4.sub(splat(4), q), q, negative);
  r = v128.xor(r, v128.and(negative, sign));
  r = f32x4.add(f32x4.mul(q, splat(0.785398006439209)), f32x4.add(f32x4.mul(q, splat(1.5695823932524066e-7)), r));
  // y's sign (r ≥ 0); NaN if either is
  r = v128.or(r, v128.and(y, sign));
  return v128.bitselect(f32x4.add(x, y), r, v128.or(f32x4.ne(x, x), f32x4.ne(y, y)));
}

/**
 * atan2(y[i], x[i]) for the n floats at py and px into po; the last 1–3 go through the same code
 * in a zero-padded vector (`scratch`: ATAN2_SCRATCH bytes), so no result depends on where it sits.
 */
export function atan2Kernel(py: usize, px: usize, po: usize, n: i32, scratch: usize): void {
  const whole = <usize>(n & ~3) << 2, end = <usize>n << 2;
  for (let k: usize = 0; k < whole; k += 16) v128.store(po + k, atan2x4(v128.load(py + k), v128.load(px + k)));
  if (whole == end) return;
  v128.store(scratch, i32x4.splat(0));
  v128.store(scratch, i32x4.splat(0), 16);
  for (let k = whole; k < end; k += 4) {
    store<u32>(scratch + k - whole, load<u32>(py + k));
    store<u32>(scratch + k - whole, load<u32>(px + k), 16);
  }
  v128.store(scratch, atan2x4(v128.load(scratch), v128.load(scratch, 16)), 32);
  for (let k = whole; k < end; k += 4) store<u32>(po + k, load<u32>(scratch + k - whole, 32));
}
