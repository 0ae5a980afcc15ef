// f32x4 elementary functions for the unary kernels: four float32 lanes at once, each as accurate
// as a scalar float32 libm (the bounds below are what test/ulp.test.ts checks over dense samples).
//
// Two cores carry everything: `expm1Reduced` (exp, expm1, sigmoid, tanh, softplus, elu, selu, erf)
// and `logReduced` (log, log1p, softplus); sin, cos and tan share one reduction. The polynomial
// coefficients were fitted for this file (weighted least squares on Chebyshev nodes, a near-minimax
// fit, against 40-digit references); each comment gives the fit's error, to which float32 rounding
// adds about one ulp. Every function handles NaN, ±Inf, −0 and denormals lane by lane, with
// selects (pmin/pmax clamps keep NaN: they return x unless the bound compares true), never with branches on data (except the rare sin/cos argument beyond 2^27·π/2).

@inline function splat(c: f32): v128 { return f32x4.splat(c); }
@inline function ints(c: i32): v128 { return i32x4.splat(c); }
/** a·b + c (no FMA in wasm SIMD: two roundings) */
@inline function madd(a: v128, b: v128, c: v128): v128 { return f32x4.add(f32x4.mul(a, b), c); }
@inline function maddc(a: v128, b: v128, c: f32): v128 { return f32x4.add(f32x4.mul(a, b), splat(c)); }
/** The sign bit of `x` ORed into `y`: copysign for a non-negative y (and a no-op on NaN). */
@inline function withSignOf(x: v128, y: v128): v128 { return v128.or(y, v128.and(x, ints(0x80000000))); }
/** 2^k for each i32 lane k in [-126, 127], built in the exponent field. */
@inline function pow2(k: v128): v128 { return i32x4.shl(i32x4.add(k, ints(127)), 23); }
/** Lanes where |x| < 2^-25 take x itself: there f(x) = x rounds to x, and −0 and denormals stay exact. */
@inline function passTiny(x: v128, y: v128): v128 {
  return v128.bitselect(x, y, f32x4.lt(f32x4.abs(x), splat(2.98023224e-8)));
}

// ---- exp family --------------------------------------------------------------------------------
const LOG2E: f32 = 1.44269504;
const ROUNDER: f32 = 12582912; // 1.5·2^23, bits 0x4B400000
const LN2_HI: f32 = 0.693359375;     // 9 significant bits: n·LN2_HI is exact for |n| < 2^15
const LN2_LO: f32 = -2.12194440e-4;  // ln 2 − LN2_HI
/** n of the last `expm1Reduced` call, as i32 lanes. */
let expN: v128 = i32x4.splat(0);

/**
 * e^r − 1 where x = n·ln2 + r, |r| ≤ ln2/2, with n left in `expN`. Reduction: Cody–Waite in two
 * parts (x − n·LN2_HI is exact, so r keeps x's precision). Polynomial: e^r − 1 = r + r²·P(r), P of
 * degree 4, relative fit error 2.5e-8 (0.4 ulp). Callers clamp x so that |n| ≤ 150.
 */
function expm1Reduced(x: v128): v128 {
  // round to nearest by adding 1.5·2^23: the sum's low mantissa bits are n as an integer
  const t = f32x4.add(f32x4.mul(x, splat(LOG2E)), splat(ROUNDER));
  const n = f32x4.sub(t, splat(ROUNDER));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, splat(LN2_HI))), f32x4.mul(n, splat(LN2_LO)));
  expN = i32x4.sub(t, ints(0x4B400000));
  let p = maddc(splat(0.0013933644), r, 0.008363175);
  p = maddc(p, r, 0.041666467);
  p = maddc(p, r, 0.16666576);
  p = maddc(p, r, 0.5);
  return madd(f32x4.mul(r, r), p, r);
}

/**
 * e^x, < 1 ulp. x is clamped to [-104, 89] (beyond, the result is 0 or Inf anyway), so n is in
 * [-150, 128]; 2^n is applied as 2^(n>>1)·2^(n−(n>>1)), both normal, so the one rounding into the
 * denormal range happens in the last product and n = 128 overflows to Inf as it should.
 */
export function exp4(x: v128): v128 {
  const q = expm1Reduced(f32x4.pmin(f32x4.pmax(x, splat(-104)), splat(89)));
  const n1 = i32x4.shr_s(expN, 1);
  return f32x4.mul(f32x4.mul(f32x4.add(q, splat(1)), pow2(n1)), pow2(i32x4.sub(expN, n1)));
}

/**
 * e^x − 1, < 2 ulp: 2·(q·h + (h − ½)) with h = 2^(n−1), so the −1 is exact (no cancellation) where
 * it matters (|n| ≤ 24) and n = 128 still fits (h normal, the final doubling overflows to Inf).
 * x is clamped to [-25, 89]: below −17.4 the result rounds to −1.
 */
export function expm1x4(x: v128): v128 {
  const q = expm1Reduced(f32x4.pmin(f32x4.pmax(x, splat(-25)), splat(89)));
  const h = pow2(i32x4.sub(expN, ints(1)));
  return passTiny(x, f32x4.mul(madd(q, h, f32x4.sub(h, splat(0.5))), splat(2)));
}

/** 1/(1 + e^−x), < 2 ulp: e = e^−|x| never overflows; 1/(1+e) for x ≥ 0, e/(1+e) below. */
export function sigmoid4(x: v128): v128 {
  const e = exp4(f32x4.neg(f32x4.abs(x)));
  const r = f32x4.div(splat(1), f32x4.add(e, splat(1)));
  return v128.bitselect(r, f32x4.mul(e, r), f32x4.ge(x, splat(0)));
}

/**
 * tanh x = t/(t + 2) with t = e^(2|x|) − 1, sign of x, < 3 ulp: no cancellation anywhere (expm1
 * keeps small |x| accurate). |x| is clamped to 9, where tanh is within 1 ulp of 1.
 */
export function tanh4(x: v128): v128 {
  const a = f32x4.pmin(f32x4.abs(x), splat(9));
  const t = expm1x4(f32x4.add(a, a));
  return withSignOf(x, f32x4.div(t, f32x4.add(t, splat(2))));
}

// ---- log family --------------------------------------------------------------------------------
/**
 * log(1 + f) + k·ln2 for f in [√½ − 1, √2 − 1] and integral k. Polynomial: log(1 + f) =
 * f − f²/2 + f³·Q(f), Q of degree 7, relative fit error 2.4e-8 (0.4 ulp); k·ln2 in two parts.
 */
function logReduced(f: v128, k: v128): v128 {
  let q = maddc(splat(-0.08101559), f, 0.12712307);
  q = maddc(q, f, -0.12972239);
  q = maddc(q, f, 0.14202175);
  q = maddc(q, f, -0.16642247);
  q = maddc(q, f, 0.20001468);
  q = maddc(q, f, -0.25000298);
  q = maddc(q, f, 0.33333328);
  const f2 = f32x4.mul(f, f);
  const small = madd(f32x4.mul(f2, f), q, madd(k, splat(LN2_LO), f32x4.mul(f2, splat(-0.5))));
  return madd(k, splat(LN2_HI), f32x4.add(f, small));
}

/** Exponent e of positive normal u with u·2^−e in [√½, √2), as i32 lanes. */
@inline function exponentOf(u: v128): v128 { return i32x4.shr_s(i32x4.sub(u, ints(0x3F3504F3)), 23); }

/**
 * The IEEE edges of log and log1p from the pole p (0 for log, −1 for log1p): +Inf and NaN give x,
 * x = p gives −Inf, x < p gives NaN.
 */
@inline function logEdges(x: v128, y: v128, pole: f32): v128 {
  y = v128.bitselect(x, y, v128.not(f32x4.lt(x, splat(Infinity))));
  y = v128.bitselect(splat(-Infinity), y, f32x4.eq(x, splat(pole)));
  return v128.bitselect(splat(NaN), y, f32x4.lt(x, splat(pole)));
}

/** log x, < 1 ulp: x = m·2^e with m in [√½, √2); denormals are scaled by 2^23 first. */
export function log4(x: v128): v128 {
  const denormal = f32x4.lt(x, splat(1.17549435e-38)); // also x ≤ 0, which logEdges replaces
  const u = v128.bitselect(f32x4.mul(x, splat(8388608)), x, denormal);
  const e = exponentOf(u);
  const m = i32x4.sub(u, i32x4.shl(e, 23));
  const k = f32x4.convert_i32x4_s(i32x4.sub(e, v128.and(denormal, ints(23))));
  return logEdges(x, logReduced(f32x4.sub(m, splat(1)), k), 0);
}

/**
 * log(1 + x), < 2 ulp. u = 1 + x is rounded; its exact error c comes from Fast2Sum (larger operand
 * first), and goes back into f = u·2^−e − 1 + c·2^−e, so nothing is lost. The sign of x is the
 * result's sign (log1p(−0) = −0).
 */
export function log1p4(x: v128): v128 {
  const one = splat(1);
  const u = f32x4.add(x, one);
  const c = v128.bitselect(f32x4.sub(x, f32x4.sub(u, one)), f32x4.sub(one, f32x4.sub(u, x)), f32x4.le(f32x4.abs(x), one));
  const e = exponentOf(u);
  const m = i32x4.sub(u, i32x4.shl(e, 23));
  const f = madd(c, pow2(i32x4.max_s(i32x4.sub(ints(0), e), ints(-126))), f32x4.sub(m, one)); // e ≤ 128
  return withSignOf(x, logEdges(x, logReduced(f, f32x4.convert_i32x4_s(e)), -1));
}

/**
 * log(1 + e^x) = max(x, 0) + log(1 + e) with e = e^−|x| in [0, 1], < 2 ulp; never overflows.
 * u = 1 + e is in [1, 2], so its reduction is one compare (k = 1 from √2 on), and the rounding
 * error of u (exact by Fast2Sum, 1 ≥ e) goes back into f.
 */
export function softplus4(x: v128): v128 {
  const one = splat(1);
  const e = exp4(f32x4.neg(f32x4.abs(x)));
  const u = f32x4.add(e, one);
  const high = f32x4.ge(u, splat(1.41421354));
  const scale = v128.bitselect(splat(0.5), one, high);
  const f = madd(f32x4.sub(e, f32x4.sub(u, one)), scale, f32x4.sub(f32x4.mul(u, scale), one));
  return f32x4.add(f32x4.pmax(x, splat(0)), logReduced(f, v128.and(high, one)));
}

// ---- elu, selu, erf -------------------------------------------------------------------------------
export const SELU_ALPHA: f32 = 1.6732632423543772;
export const SELU_SCALE: f32 = 1.0507009873554805;
export function elu4(x: v128): v128 { return v128.bitselect(x, expm1x4(x), f32x4.gt(x, splat(0))); }
export function selu4(x: v128): v128 {
  return v128.bitselect(f32x4.mul(x, splat(SELU_SCALE)), f32x4.mul(expm1x4(x), splat(SELU_SCALE * SELU_ALPHA)), f32x4.gt(x, splat(0)));
}

/**
 * erf x with the sign of x, < 2 ulp. |x| < 1: x·E(x²), E of degree 6 (relative fit error 1.4e-9).
 * |x| ≥ 1: 1 − erfc, erfc = e^(L(t) − x²), t = min(|x|, 4) − 2.5, L of degree 8 fitted to
 * log erfc(x) + x² (absolute fit error 1.3e-8, i.e. relative in erfc); past 3.92 erf rounds to 1.
 */
export function erf4(x: v128): v128 {
  const a = f32x4.abs(x), s = f32x4.mul(a, a);
  let e = maddc(splat(7.8824974e-05), s, -0.0008018855);
  e = maddc(e, s, 0.005189312);
  e = maddc(e, s, -0.026854329);
  e = maddc(e, s, 0.11283597);
  e = maddc(e, s, -0.37612626);
  e = maddc(e, s, 1.1283791);
  const c = f32x4.pmin(a, splat(4)), t = f32x4.sub(c, splat(2.5));
  let l = maddc(splat(1.6140616e-06), t, -1.330939e-05);
  l = maddc(l, t, 7.739443e-05);
  l = maddc(l, t, -0.00042014456);
  l = maddc(l, t, 0.0021651604);
  l = maddc(l, t, -0.010858517);
  l = maddc(l, t, 0.05610636);
  l = maddc(l, t, -0.35268068);
  l = maddc(l, t, -1.5568153);
  const large = f32x4.sub(splat(1), exp4(f32x4.sub(l, f32x4.mul(c, c))));
  return withSignOf(x, v128.bitselect(f32x4.mul(a, e), large, f32x4.lt(a, splat(1))));
}

// ---- sin, cos, tan ---------------------------------------------------------------------------------
/** Results of the last `sincos4`. */
export let sinOut: v128 = i32x4.splat(0);
export let cosOut: v128 = i32x4.splat(0);
const HUGE_BITS = 0x4DC90FDB; // |x| ≥ π·2^27: beyond the two-part reduction's range
const reduceScratch = memory.data(48, 16);
const PIO2_BITS = memory.data<u64>([0xA2F9836E4E441529, 0xFC2757D1F534DDC0, 0xDB6295993C439041, 0xFE5163ABDEBBC561]);
let hugeQuadrant: i32 = 0;

/**
 * Payne–Hanek reduction of a finite |x| ≥ π·2^27 (musl's method: x's 24-bit mantissa times the
 * 256 bits of 2/π that matter at its exponent, in 64-bit integer products). Returns r = x − k·π/2
 * with |r| ≤ π/4 as a float64 and leaves k mod 4 in `hugeQuadrant`.
 */
function reduceHuge(x: f32): f64 {
  const u = reinterpret<u32>(x) & 0x7FFFFFFF;
  const offset = <i32>(u >> 23) - 152;
  const shift = <u64>(offset & 63);
  const tbl = PIO2_BITS + (<usize>(offset >> 6) << 3);
  const b0 = load<u64>(tbl), b1 = load<u64>(tbl, 8);
  // hi: the 64 bits of 2/π from bit `offset` on; lo: the 32 after them
  const lo: u64 = (shift > 32 ? (load<u64>(tbl, 16) >> (96 - shift)) | (b1 << (shift - 32)) : b1 >> (32 - shift)) & 0xFFFFFFFF;
  const hi = shift == 0 ? b0 : (b1 >> (64 - shift)) | (b0 << shift); // wasm shifts count mod 64
  const m: u64 = (u & 0x007FFFFF) | 0x00800000;
  const p = m * hi + (m * lo >> 32);
  const r = <i64>(p << 2);
  const k = <i32>((p >> 62) + (<u64>r >> 63));
  hugeQuadrant = x < 0 ? -k : k;
  return copysign<f64>(8.51530395021638647334e-20, <f64>x) * <f64>r;
}

/**
 * sin x and cos x into sinOut and cosOut, < 2 ulp. Reduction: k = round(x·2/π), r = x − k·π/2 in
 * float64 lanes with π/2 in two parts (25 + 53 bits, so k·PIO2_HI is exact for |k| < 2^28), r
 * rounded to float32; finite lanes beyond π·2^27 get Payne–Hanek (`reduceHuge`), one by one.
 * Polynomials on |r| ≤ π/4: sin r = r + r³·S(r²), cos r = 1 − r²/2 + r⁴·C(r²), S and C of degree 2
 * (relative fit errors 1.4e-8 and 1.1e-9). |x| < 2^-12 gives sin x = x (exact, keeps −0).
 */
export function sincos4(x: v128): void {
  const lo = f64x2.promote_low_f32x4(x), hi = f64x2.promote_low_f32x4(v128.shuffle<u64>(x, x, 1, 1));
  const klo = f64x2.nearest(f64x2.mul(lo, f64x2.splat(0.63661977236758134308)));
  const khi = f64x2.nearest(f64x2.mul(hi, f64x2.splat(0.63661977236758134308)));
  const ylo = f64x2.sub(f64x2.sub(lo, f64x2.mul(klo, f64x2.splat(1.57079631090164184570))), f64x2.mul(klo, f64x2.splat(1.58932547735281966916e-8)));
  const yhi = f64x2.sub(f64x2.sub(hi, f64x2.mul(khi, f64x2.splat(1.57079631090164184570))), f64x2.mul(khi, f64x2.splat(1.58932547735281966916e-8)));
  let r = v128.shuffle<u64>(f32x4.demote_f64x2_zero(ylo), f32x4.demote_f64x2_zero(yhi), 0, 2);
  let q = v128.shuffle<u64>(i32x4.trunc_sat_f64x2_s_zero(klo), i32x4.trunc_sat_f64x2_s_zero(khi), 0, 2);
  const bits = v128.and(x, ints(0x7FFFFFFF));
  if (v128.any_true(v128.and(i32x4.ge_s(bits, ints(HUGE_BITS)), i32x4.lt_s(bits, ints(0x7F800000))))) {
    v128.store(reduceScratch, r); v128.store(reduceScratch, q, 16); v128.store(reduceScratch, x, 32);
    for (let lane: usize = 0; lane < 16; lane += 4) {
      const u = load<i32>(reduceScratch + lane, 32) & 0x7FFFFFFF;
      if (u < HUGE_BITS || u >= 0x7F800000) continue;
      store<f32>(reduceScratch + lane, <f32>reduceHuge(load<f32>(reduceScratch + lane, 32)));
      store<i32>(reduceScratch + lane, hugeQuadrant, 16);
    }
    r = v128.load(reduceScratch); q = v128.load(reduceScratch, 16);
  }
  const z = f32x4.mul(r, r);
  let s = maddc(splat(-0.0001958795), z, 0.008332749);
  s = maddc(s, z, -0.16666664);
  s = madd(f32x4.mul(z, r), s, r);
  let c = maddc(splat(2.4547991e-05), z, -0.0013888304);
  c = maddc(c, z, 0.041666664);
  c = madd(f32x4.mul(z, z), c, maddc(z, splat(-0.5), 1));
  const odd = i32x4.ne(v128.and(q, ints(1)), ints(0));
  const sn = v128.xor(v128.bitselect(c, s, odd), i32x4.shl(v128.and(q, ints(2)), 30));
  cosOut = v128.xor(v128.bitselect(s, c, odd), i32x4.shl(v128.and(i32x4.add(q, ints(1)), ints(2)), 30));
  sinOut = v128.bitselect(x, sn, f32x4.lt(f32x4.abs(x), splat(2.44140625e-4)));
}
