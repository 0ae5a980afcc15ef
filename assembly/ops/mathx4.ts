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
/**
 * One step of Horner's rule, p·x + c, with c the float32 at `at` splat from memory: a v128.const
 * costs 18 bytes of code (and V8 builds it with three instructions), a load32_splat 7 bytes and
 * one instruction. The coefficient tables are written highest degree first.
 */
@inline function hornerStep(p: v128, x: v128, at: usize): v128 { return f32x4.add(f32x4.mul(p, x), v128.load32_splat(at)); }
@inline function coef(at: usize): v128 { return v128.load32_splat(at); }
/** The sign bit of `x` ORed into `y`: copysign for a non-negative y (and a no-op on NaN). */
@inline function withSignOf(x: v128, y: v128): v128 { return v128.or(y, v128.and(x, ints(0x80000000))); }
/** 2^k for each i32 lane k in [-126, 127], built in the exponent field. */
@inline function pow2(k: v128): v128 { return i32x4.shl(i32x4.add(k, ints(127)), 23); }
/** Lanes where |x| < 2^-25 take x itself: there f(x) = x rounds to x, and −0 and denormals stay exact. */
@inline function passTiny(x: v128, y: v128): v128 {
  return v128.bitselect(x, y, f32x4.lt(f32x4.abs(x), splat(2.98023224e-8)));
}

// ---- exp family --------------------------------------------------------------------------------
// log2(e); 1.5·2^23, which rounds to an integer when added; ln 2 in two parts: LN2_HI has 9
// significant bits, so n·LN2_HI is exact for |n| < 2^15; LN2_LO = ln 2 − LN2_HI
const LOG2E = 0, ROUNDER = 4, LN2_HI = 8, LN2_LO = 12;
const EXP_K = memory.data<f32>([1.44269504, 12582912, 0.693359375, -2.12194440e-4]);
/** n of the last `expm1Reduced` call, as i32 lanes. */
let expN: v128 = i32x4.splat(0);

const EXP_P = memory.data<f32>([0.0013933644, 0.008363175, 0.041666467, 0.16666576, 0.5]);
/**
 * e^r − 1 where x = n·ln2 + r, |r| ≤ ln2/2, with n left in `expN`. Reduction: Cody–Waite in two
 * parts (x − n·LN2_HI is exact, so r keeps x's precision). Polynomial: e^r − 1 = r + r²·P(r), P of
 * degree 4, relative fit error 2.5e-8 (0.4 ulp). Callers clamp x so that |n| ≤ 150.
 */
@inline function expm1Reduced(x: v128): v128 {
  // round to nearest by adding 1.5·2^23: the sum's low mantissa bits are n as an integer
  const rounder = coef(EXP_K + ROUNDER);
  const t = f32x4.add(f32x4.mul(x, coef(EXP_K + LOG2E)), rounder);
  const n = f32x4.sub(t, rounder);
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, coef(EXP_K + LN2_HI))), f32x4.mul(n, coef(EXP_K + LN2_LO)));
  expN = i32x4.sub(t, rounder); // the bits of t minus those of 1.5·2^23: n
  let p = coef(EXP_P);
  p = hornerStep(p, r, EXP_P + 4);
  p = hornerStep(p, r, EXP_P + 8);
  p = hornerStep(p, r, EXP_P + 12);
  p = hornerStep(p, r, EXP_P + 16);
  return madd(f32x4.mul(r, r), p, r);
}

/**
 * e^x, < 1 ulp. x is clamped to [-104, 89] (beyond, the result is 0 or Inf anyway), so n is in
 * [-150, 128]; 2^n is applied as 2^(n>>1)·2^(n−(n>>1)), both normal, so the one rounding into the
 * denormal range happens in the last product and n = 128 overflows to Inf as it should.
 */
function exp4(x: v128): v128 {
  const q = expm1Reduced(f32x4.pmin(f32x4.pmax(x, splat(-104)), splat(89)));
  const n1 = i32x4.shr_s(expN, 1);
  return f32x4.mul(f32x4.mul(f32x4.add(q, splat(1)), pow2(n1)), pow2(i32x4.sub(expN, n1)));
}

/**
 * e^x − 1, < 2 ulp: 2·(q·h + (h − ½)) with h = 2^(n−1), so the −1 is exact (no cancellation) where
 * it matters (|n| ≤ 24) and n = 128 still fits (h normal, the final doubling overflows to Inf).
 * x is clamped to [-25, 89]: below −17.4 the result rounds to −1.
 */
function expm1x4(x: v128): v128 {
  const q = expm1Reduced(f32x4.pmin(f32x4.pmax(x, splat(-25)), splat(89)));
  const h = pow2(i32x4.sub(expN, ints(1)));
  return passTiny(x, f32x4.mul(madd(q, h, f32x4.sub(h, splat(0.5))), splat(2)));
}

/** 1/(1 + e^−x), < 2 ulp: e = e^−|x| never overflows; 1/(1+e) for x ≥ 0, e/(1+e) below. */
function sigmoid4(x: v128): v128 {
  const e = exp4(f32x4.neg(f32x4.abs(x)));
  return sigmoidFrom(x, e, f32x4.add(e, splat(1)));
}
/** σ(x) from e = e^−|x| and u = 1 + e (shared with softplusSigmoid4, so both give the same bits). */
@inline function sigmoidFrom(x: v128, e: v128, u: v128): v128 {
  const r = f32x4.div(splat(1), u);
  return v128.bitselect(r, f32x4.mul(e, r), f32x4.ge(x, splat(0)));
}

/**
 * tanh x = t/(t + 2) with t = e^(2|x|) − 1, sign of x, < 3 ulp: no cancellation anywhere (expm1
 * keeps small |x| accurate). |x| is clamped to 9, where tanh is within 1 ulp of 1.
 */
function tanh4(x: v128): v128 {
  const a = f32x4.pmin(f32x4.abs(x), splat(9));
  const t = expm1x4(f32x4.add(a, a));
  return withSignOf(x, f32x4.div(t, f32x4.add(t, splat(2))));
}

// ---- log family --------------------------------------------------------------------------------
const LOG_Q = memory.data<f32>([-0.08101559, 0.12712307, -0.12972239, 0.14202175, -0.16642247, 0.20001468, -0.25000298, 0.33333328]);
/**
 * log(1 + f) + k·ln2 for f in [√½ − 1, √2 − 1] and integral k. Polynomial: log(1 + f) =
 * f − f²/2 + f³·Q(f), Q of degree 7, relative fit error 2.4e-8 (0.4 ulp); k·ln2 in two parts.
 */
@inline function logReduced(f: v128, k: v128): v128 {
  let q = coef(LOG_Q);
  q = hornerStep(q, f, LOG_Q + 4);
  q = hornerStep(q, f, LOG_Q + 8);
  q = hornerStep(q, f, LOG_Q + 12);
  q = hornerStep(q, f, LOG_Q + 16);
  q = hornerStep(q, f, LOG_Q + 20);
  q = hornerStep(q, f, LOG_Q + 24);
  q = hornerStep(q, f, LOG_Q + 28);
  const f2 = f32x4.mul(f, f);
  const small = madd(f32x4.mul(f2, f), q, madd(k, coef(EXP_K + LN2_LO), f32x4.mul(f2, splat(-0.5))));
  return madd(k, coef(EXP_K + LN2_HI), f32x4.add(f, small));
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
function log4(x: v128): v128 {
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
function log1p4(x: v128): v128 {
  const one = splat(1);
  const u = f32x4.add(x, one);
  const c = v128.bitselect(f32x4.sub(x, f32x4.sub(u, one)), f32x4.sub(one, f32x4.sub(u, x)), f32x4.le(f32x4.abs(x), one));
  const e = exponentOf(u);
  const m = i32x4.sub(u, i32x4.shl(e, 23));
  const f = madd(c, pow2(i32x4.max_s(i32x4.sub(ints(0), e), ints(-126))), f32x4.sub(m, one)); // e ≤ 128
  return withSignOf(x, logEdges(x, logReduced(f, f32x4.convert_i32x4_s(e)), -1));
}

/** σ(x), as a by-product of the last softplusSigmoid4 call. */
export let sigmoidOut: v128 = i32x4.splat(0);
/**
 * log(1 + e^x) = max(x, 0) + log(1 + e) with e = e^−|x| in [0, 1], < 2 ulp; never overflows.
 * u = 1 + e is in [1, 2], so its reduction is one compare (k = 1 from √2 on), and the rounding
 * error of u (exact by Fast2Sum, 1 ≥ e) goes back into f. Also σ(x), the derivative, from the
 * same e into `sigmoidOut` (one division: cheaper than a second copy of this function).
 */
@inline function softplusFrom(x: v128): v128 {
  const one = splat(1);
  const e = exp4(f32x4.neg(f32x4.abs(x)));
  const u = f32x4.add(e, one);
  sigmoidOut = sigmoidFrom(x, e, u);
  const high = f32x4.ge(u, splat(1.41421354));
  const scale = v128.bitselect(splat(0.5), one, high);
  const f = madd(f32x4.sub(e, f32x4.sub(u, one)), scale, f32x4.sub(f32x4.mul(u, scale), one));
  return f32x4.add(f32x4.pmax(x, splat(0)), logReduced(f, v128.and(high, one)));
}
function softplusSigmoid4(x: v128): v128 { return softplusFrom(x); }

// ---- elu, selu, erf -------------------------------------------------------------------------------
export const SELU_ALPHA: f32 = 1.6732632423543772;
export const SELU_SCALE: f32 = 1.0507009873554805;
function elu4(x: v128): v128 { return v128.bitselect(x, expm1x4(x), f32x4.gt(x, splat(0))); }
function selu4(x: v128): v128 {
  return v128.bitselect(f32x4.mul(x, splat(SELU_SCALE)), f32x4.mul(expm1x4(x), splat(SELU_SCALE * SELU_ALPHA)), f32x4.gt(x, splat(0)));
}

const ERF_SMALL = memory.data<f32>([7.8824974e-05, -0.0008018855, 0.005189312, -0.026854329, 0.11283597, -0.37612626, 1.1283791]);
const ERF_LARGE = memory.data<f32>([1.6140616e-06, -1.330939e-05, 7.739443e-05, -0.00042014456, 0.0021651604, -0.010858517, 0.05610636, -0.35268068, -1.5568153]);
/**
 * erf x with the sign of x, < 2 ulp. |x| < 1: x·E(x²), E of degree 6 (relative fit error 1.4e-9).
 * |x| ≥ 1: 1 − erfc, erfc = e^(L(t) − x²), t = min(|x|, 4) − 2.5, L of degree 8 fitted to
 * log erfc(x) + x² (absolute fit error 1.3e-8, i.e. relative in erfc); past 3.92 erf rounds to 1.
 */
function erf4(x: v128): v128 {
  const a = f32x4.abs(x), s = f32x4.mul(a, a);
  let e = coef(ERF_SMALL);
  e = hornerStep(e, s, ERF_SMALL + 4);
  e = hornerStep(e, s, ERF_SMALL + 8);
  e = hornerStep(e, s, ERF_SMALL + 12);
  e = hornerStep(e, s, ERF_SMALL + 16);
  e = hornerStep(e, s, ERF_SMALL + 20);
  e = hornerStep(e, s, ERF_SMALL + 24);
  const c = f32x4.pmin(a, splat(4)), t = f32x4.sub(c, splat(2.5));
  let l = coef(ERF_LARGE);
  l = hornerStep(l, t, ERF_LARGE + 4);
  l = hornerStep(l, t, ERF_LARGE + 8);
  l = hornerStep(l, t, ERF_LARGE + 12);
  l = hornerStep(l, t, ERF_LARGE + 16);
  l = hornerStep(l, t, ERF_LARGE + 20);
  l = hornerStep(l, t, ERF_LARGE + 24);
  l = hornerStep(l, t, ERF_LARGE + 28);
  l = hornerStep(l, t, ERF_LARGE + 32);
  const large = f32x4.sub(splat(1), exp4(f32x4.sub(l, f32x4.mul(c, c))));
  return withSignOf(x, v128.bitselect(f32x4.mul(a, e), large, f32x4.lt(a, splat(1))));
}

// ---- sin, cos, tan ---------------------------------------------------------------------------------
/** Results of the last `sincos4`. */
export let sinOut: v128 = i32x4.splat(0);
export let cosOut: v128 = i32x4.splat(0);
const SIN_S = memory.data<f32>([-0.0001958795, 0.008332749, -0.16666664]);
const COS_C = memory.data<f32>([2.4547991e-05, -0.0013888304, 0.041666664]);
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
function sincos4(x: v128): void {
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
  let s = coef(SIN_S);
  s = hornerStep(s, z, SIN_S + 4);
  s = hornerStep(s, z, SIN_S + 8);
  s = madd(f32x4.mul(z, r), s, r);
  let c = coef(COS_C);
  c = hornerStep(c, z, COS_C + 4);
  c = hornerStep(c, z, COS_C + 8);
  c = madd(f32x4.mul(z, z), c, maddc(z, splat(-0.5), 1));
  const odd = i32x4.ne(v128.and(q, ints(1)), ints(0));
  const sn = v128.xor(v128.bitselect(c, s, odd), i32x4.shl(v128.and(q, ints(2)), 30));
  cosOut = v128.xor(v128.bitselect(s, c, odd), i32x4.shl(v128.and(i32x4.add(q, ints(1)), ints(2)), 30));
  sinOut = v128.bitselect(x, sn, f32x4.lt(f32x4.abs(x), splat(2.44140625e-4)));
}

/**
 * The functions above for the kernels, as static methods: AssemblyScript warns (AS112) on every
 * exported function that takes a v128, even one that never becomes a wasm export.
 */
export class Math4 {
  @inline static exp(x: v128): v128 { return exp4(x); }
  @inline static expm1(x: v128): v128 { return expm1x4(x); }
  @inline static sigmoid(x: v128): v128 { return sigmoid4(x); }
  @inline static tanh(x: v128): v128 { return tanh4(x); }
  @inline static log(x: v128): v128 { return log4(x); }
  @inline static log1p(x: v128): v128 { return log1p4(x); }
  @inline static softplusSigmoid(x: v128): v128 { return softplusSigmoid4(x); }
  @inline static elu(x: v128): v128 { return elu4(x); }
  @inline static selu(x: v128): v128 { return selu4(x); }
  @inline static erf(x: v128): v128 { return erf4(x); }
  @inline static sincos(x: v128): void { sincos4(x); }
}
