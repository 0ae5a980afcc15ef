// f32x4 elementary functions for the unary kernels: four float32 lanes at once, each as accurate
// as a scalar float32 libm (the bounds below are what test/ulp.test.ts checks over dense samples).
//
// Two cores carry most: `expm1Reduced` (exp, expm1, sigmoid, tanh, softplus, elu, selu, erf, gelu)
// and `logReduced` (log, log1p), a short atanh series, as softplus's log(1 + e) is; sin, cos and
// tan share one reduction. wasm SIMD has no FMA, so every a·b + c rounds twice and costs two
// operations: the forms here are chosen for few operations (a division where it saves a long
// polynomial). The polynomial coefficients were fitted for this file (weighted least squares on
// Chebyshev nodes, a near-minimax fit, against 40-digit references, or float64 where said); each
// comment gives the fit's error, to which float32 rounding adds about one ulp. Every function
// handles NaN, ±Inf, −0 and denormals lane by lane, with selects (pmin/pmax clamps keep NaN: they
// return x unless the bound compares true), never with branches on data (except the rare sin/cos
// argument beyond 2^27·π/2).

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
@inline function withSignOf(x: v128, y: v128): v128 { return v128.or(y, v128.and(x, ek(SIGN))); }
/** 2^k for each i32 lane k in [-126, 127], built in the exponent field. */
@inline function pow2(k: v128): v128 { return i32x4.shl(i32x4.add(k, ints(127)), 23); }
/** Lanes where |x| < 2^-25 take x itself: there f(x) = x rounds to x, and −0 and denormals stay exact. */
@inline function passTiny(x: v128, y: v128): v128 {
  return v128.bitselect(x, y, f32x4.lt(v128.andnot(x, ek(SIGN)), ek(TWO_M25)));
}

// ---- exp family --------------------------------------------------------------------------------
// One table for the constants the exp family, softplus and log splat from memory, like the
// coefficients (V8 builds each v128.const with three instructions, two of them on the vector ports
// these functions are bound by; and one data segment costs less than several): log2(e); ln 2 in two
// parts, LN2_HI with 9 significant bits, so n·LN2_HI is exact for |n| < 2^15, LN2_LO = ln 2 −
// LN2_HI; three rounders 1.5·2^23 + b (see expRound); SIGN, −0: the sign bit; then the polynomials
// of expm1Reduced, softplusFrom and logReduced (EXP_P, SOFTPLUS_Q, LOG_Q).
const LOG2E = 0, LN2_HI = 4, LN2_LO = 8, R_EXP = 12, R_NONPOS = 16, R_EXPM1 = 20, ONE = 24, HALF = 28;
const SIGN = 32, X_MIN = 36, X_MAX = 40, TWO_M25 = 44, EXPM1_MIN = 48, TANH_MAX = 52;
const EXP_K = memory.data<f32>([1.44269504, 0.693359375, -2.12194440e-4, 12583166, 12583064, 12583038, 1, 0.5,
  -0.0, -104, 89, 2.98023224e-8, -25, 9,
  0.0013933644, 0.008363175, 0.041666467, 0.16666576, // EXP_P
  0.28006401658058167, 0.2800309360027313, 0.4002143442630768, 0.666664183139801, 2, // SOFTPLUS_Q, and 2
  0.29870685935020447, 0.3997758626937866, 0.6666677594184875, // LOG_Q
  Infinity, -Infinity, NaN, 1.17549435e-38, 8388608, 0.707106769084930419921875, // log's edges and reduction
  -1.7014117331926443e38]); // (its bits, 0xFEFFFFFF: logOf's test for a vector of positive normal floats)
const EXP_P = EXP_K + 56, SOFTPLUS_Q = EXP_K + 72, LOG_Q = EXP_K + 92;
// (after LOG_Q) +Inf, −Inf, NaN, the smallest normal, 2^23, √½ rounded (its bits, 0x3F3504F3, used as an
// integer), and the bits 0xFEFFFFFF (logOf's fast-path test)
const INF = 104, NEG_INF = 108, QNAN = 112, MIN_NORMAL = 116, TWO_P23 = 120, SQRT_HALF = 124, EDGE_LIMIT = 128;
@inline function ek(at: usize): v128 { return v128.load32_splat(EXP_K + at); }

/**
 * t = x·log2(e) + R rounded, R = 1.5·2^23 + b from `rounder`: an integer, so t's bits are R's
 * with n = round(x·log2 e) added (|n| < 2^22). Shifted left by 23 they are 2^(n + b − 127): R's
 * own bits drop out (their low 9 are 0), so b picks the power: 254 for exp4 (halved, below), 152
 * for 2^(n+25), 126 for 2^(n−1); normal while n + b is in [1, 254].
 */
@inline function expRound(x: v128, rounder: usize): v128 { return f32x4.add(f32x4.mul(x, ek(LOG2E)), ek(rounder)); }

/**
 * e^r − 1 where x = n·ln2 + r, |r| ≤ ln2/2, t = expRound(x, rounder). Reduction: Cody–Waite in two
 * parts (x − n·LN2_HI is exact, so r keeps x's precision). Polynomial: e^r − 1 = r + r²·P(r), P of
 * degree 4, relative fit error 2.5e-8 (0.4 ulp), as ½ + r·((p1 + p2·r) + r²·(p3 + p4·r)): half
 * of Horner's chain, and ½ still added last (Estrin's ((½ + p1·r) + ...) measured 1.03 ulp for exp4,
 * this 0.99, as Horner). Callers clamp x so that |n| ≤ 150.
 */
@inline function expm1Reduced(x: v128, t: v128, rounder: usize): v128 {
  const n = f32x4.sub(t, ek(rounder));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, ek(LN2_HI))), f32x4.mul(n, ek(LN2_LO)));
  const r2 = f32x4.mul(r, r);
  const h = madd(hornerStep(coef(EXP_P), r, EXP_P + 4), r2, hornerStep(coef(EXP_P + 8), r, EXP_P + 12));
  return madd(r2, madd(h, r, ek(HALF)), r);
}

/**
 * e^x, < 1 ulp. x is clamped to at most 89 (beyond, the result is Inf anyway), and below −104
 * (X_MIN, where it rounds to 0) the result is 0, so n is in [-150, 128]; 2^n is applied as 2^⌊n/2⌋·2^⌈n/2⌉, both normal, so the one rounding into the
 * denormal range happens in the last product and n = 128 overflows to Inf as it should.
 */
@inline function exp4(x: v128): v128 {
  // Below X_MIN (where the result is 0 anyway) a lane computes e^0 and is zeroed at the end: a
  // product that underflows takes a slow path on x64 (exp of −1e9, the masked scores of a causal
  // softmax, ran 3× slower than of −5).
  const below = f32x4.lt(x, ek(X_MIN));
  const c = v128.andnot(f32x4.pmin(x, ek(X_MAX)), below);
  const t = expRound(c, R_EXP);
  const h = i32x4.shr_s(t, 1); // 0.75·2^23's bits plus ⌊n/2⌋ + 127; t − h: plus ⌈n/2⌉ + 127
  const y = f32x4.mul(f32x4.add(expm1Reduced(c, t, R_EXP), ek(ONE)), i32x4.shl(h, 23));
  return v128.andnot(f32x4.mul(y, i32x4.shl(i32x4.sub(t, h), 23)), below);
}

/**
 * e^x for x ≤ 0 (or NaN), as exp4 gives it, with fewer operations (sigmoid, softplus): no upper
 * clamp, and n is in [-150, 0], so 2^(n+25) is normal and the product by 2^-25 is the one rounding
 * into the denormals.
 */
@inline function expNonPositive(x: v128): v128 {
  const c = f32x4.pmax(x, ek(X_MIN));
  const t = expRound(c, R_NONPOS);
  return f32x4.mul(f32x4.mul(f32x4.add(expm1Reduced(c, t, R_NONPOS), ek(ONE)), i32x4.shl(t, 23)), ek(TWO_M25));
}

/**
 * (e^y − 1)/2 = q·h + (h − ½) with h = 2^(n−1), y in [-25, 89] (or NaN): the −1 is exact (no
 * cancellation) where it matters (|n| ≤ 24) and n = 128 still fits (h normal). One copy for
 * expm1x4 and tanh4.
 */
@inline function expm1Half(y: v128): v128 {
  const t = expRound(y, R_EXPM1), h = i32x4.shl(t, 23);
  return madd(expm1Reduced(y, t, R_EXPM1), h, f32x4.sub(h, ek(HALF)));
}

/** e^x − 1, < 2 ulp: twice expm1Half (n = 128 overflows to Inf here); below −17.4 it rounds to −1. */
function expm1x4(x: v128): v128 {
  const m = expm1Half(f32x4.pmin(f32x4.pmax(x, ek(EXPM1_MIN)), ek(X_MAX)));
  return passTiny(x, f32x4.add(m, m));
}

/** The sign bit set: −|x| (NaN stays NaN). */
@inline function negAbs(x: v128): v128 { return v128.or(x, ek(SIGN)); }

/**
 * σ(x) = 1/(1 + e^−x) from e = e^−|x| (expNonPositive(negAbs(x)): never overflows), < 3 ulp: one
 * division, 1/(1 + e) for x ≥ 0 and e/(1 + e) below, its numerator max(e, 1 if x ≥ 0 else 0).
 */
@inline function sigmoidFrom(x: v128, e: v128): v128 {
  const one = ek(ONE);
  return f32x4.div(f32x4.pmax(e, v128.and(f32x4.ge(x, splat(0)), one)), f32x4.add(e, one));
}

/**
 * tanh x = sign(x)·m/(m + 1), m = (e^(2a) − 1)/2 = expm1Half(2a), a = min(|x|, 9), < 3 ulp: no
 * cancellation anywhere, and tiny and denormal a come out exact without expm1x4's clamps and
 * pass-through (2a is exact, n = 0, q = 2a, m = a, m + 1 = 1). At 9, tanh is within 1 ulp of 1;
 * NaN stays NaN (pmin returns its first operand unless 9 < it).
 */
@inline function tanh4(x: v128): v128 {
  const a = f32x4.pmin(v128.andnot(x, ek(SIGN)), ek(TANH_MAX));
  const m = expm1Half(f32x4.add(a, a));
  return withSignOf(x, f32x4.div(m, f32x4.add(m, ek(ONE))));
}

// ---- log family --------------------------------------------------------------------------------
/**
 * log(1 + f) + k·ln2 for f in [√½ − 1, √2 − 1] and integral k. log(1 + f) = 2·atanh(s),
 * s = f/(2 + f) in [−0.172, 0.172]: 2s + s³·Q(s²), Q of degree 2 (relative fit error 8.1e-10,
 * float64), evaluated as f + (s³·Q − f·s) since 2s = f − f·s exactly (as softplusFrom), so f itself
 * leads and the division's rounding reaches only the correction; k·ln2 in two parts. Worst 0.90 ulp
 * for log, 1.44 for log1p (the degree-7 polynomial it replaced: 0.97, 1.43), for ~7 operations
 * fewer and one division.
 */
@inline function logReduced(f: v128, k: v128): v128 {
  const s = f32x4.div(f, f32x4.add(f, coef(SOFTPLUS_Q + 16))), z = f32x4.mul(s, s);
  let q = coef(LOG_Q);
  q = hornerStep(q, z, LOG_Q + 4);
  q = hornerStep(q, z, LOG_Q + 8);
  const correction = f32x4.sub(f32x4.mul(f32x4.mul(z, s), q), f32x4.mul(f, s));
  return madd(k, coef(EXP_K + LN2_HI), f32x4.add(f, madd(k, coef(EXP_K + LN2_LO), correction)));
}

/** Exponent e of positive normal u with u·2^−e in [√½, √2), as i32 lanes. */
@inline function exponentOf(u: v128): v128 { return i32x4.shr_s(i32x4.sub(u, ek(SQRT_HALF)), 23); }

/**
 * The IEEE edges of log and log1p from the pole p (0 for log, −1 for log1p): +Inf and NaN give x,
 * x = p gives −Inf, x < p gives NaN.
 */
@inline function logEdges(x: v128, y: v128, pole: v128): v128 {
  y = v128.bitselect(x, y, v128.not(f32x4.lt(x, ek(INF))));
  y = v128.bitselect(ek(NEG_INF), y, f32x4.eq(x, pole));
  return v128.bitselect(ek(QNAN), y, f32x4.lt(x, pole));
}

/**
 * log x (isLog1p false), < 1 ulp: x = m·2^e with m in [√½, √2), f = m − 1; denormals are scaled by
 * 2^23 first. log(1 + x) (isLog1p true), < 2 ulp: u = 1 + x is rounded; its exact error c comes
 * from Fast2Sum (larger operand first), and goes back into f = u·2^−e − 1 + c·2^−e, so nothing is
 * lost; the sign of x is the result's sign (log1p(−0) = −0). One function for both, inlined in the
 * kernel's one loop for the two, so one copy of the polynomial and the edges. For log, a vector of
 * positive normal finite floats (the usual case) skips the denormal scaling and the edges (40 % of
 * log's operations when they were measured, with the longer polynomial).
 */
@inline function logOf(x: v128, isLog1p: bool): v128 {
  const one = ek(ONE);
  let f: v128, k: v128, pole = splat(0), edge = true;
  if (isLog1p) {
    const u = f32x4.add(x, one);
    const c = v128.bitselect(f32x4.sub(x, f32x4.sub(u, one)), f32x4.sub(one, f32x4.sub(u, x)), f32x4.le(v128.andnot(x, ek(SIGN)), one));
    const e = exponentOf(u);
    const m = i32x4.sub(u, i32x4.shl(e, 23));
    f = madd(c, pow2(i32x4.max_s(i32x4.sub(ints(0), e), ints(-126))), f32x4.sub(m, one)); // e ≤ 128
    k = f32x4.convert_i32x4_s(e);
    pole = splat(-1);
  } else {
    // x's bits plus +Inf's (0x7F800000, wrapping) are below −2^24 exactly for positive normal finite x
    edge = v128.any_true(i32x4.gt_s(i32x4.add(x, ek(INF)), ek(EDGE_LIMIT)));
    let u = x, shift = ints(0);
    if (edge) {
      const denormal = f32x4.lt(x, ek(MIN_NORMAL)); // also x ≤ 0, which logEdges replaces
      u = v128.bitselect(f32x4.mul(x, ek(TWO_P23)), x, denormal);
      shift = v128.and(denormal, ints(23));
    }
    const e = exponentOf(u);
    f = f32x4.sub(i32x4.sub(u, i32x4.shl(e, 23)), one);
    k = f32x4.convert_i32x4_s(i32x4.sub(e, shift));
  }
  let y = logReduced(f, k);
  if (edge) y = withSignOf(x, logEdges(x, y, pole)); // (withSignOf, for log: a no-op, x > 0 or an edge)
  return y;
}

/**
 * log(1 + e^x) = max(x, 0) + log(1 + e) with e = e^−|x| in [0, 1], < 2 ulp; never overflows.
 * log(1 + e) = 2·atanh(s), s = e/(2 + e) in [0, ⅓]: 2s + s³·Q(s²), Q of degree 3 (relative fit
 * error 4.5e-9, float64), evaluated as e + (s³·Q − e·s), since 2s = e − e·s exactly: the leading
 * term is e itself, so near 0 the division's rounding reaches only the correction. One division more
 * than sigmoid's and no range split: ~12 operations fewer than the degree-8 polynomial in e it
 * replaced (worst 1.66 ulp then, 1.80 now, against the same float64 reference).
 */
@inline function softplusFrom(x: v128, e: v128): v128 {
  const s = f32x4.div(e, f32x4.add(e, coef(SOFTPLUS_Q + 16))), z = f32x4.mul(s, s);
  let q = coef(SOFTPLUS_Q);
  q = hornerStep(q, z, SOFTPLUS_Q + 4);
  q = hornerStep(q, z, SOFTPLUS_Q + 8);
  q = hornerStep(q, z, SOFTPLUS_Q + 12);
  const correction = f32x4.sub(f32x4.mul(f32x4.mul(z, s), q), f32x4.mul(e, s));
  return f32x4.add(f32x4.pmax(x, splat(0)), f32x4.add(e, correction));
}

// ---- elu, selu -----------------------------------------------------------------------------------
export const SELU_ALPHA: f32 = 1.6732632423543772;
export const SELU_SCALE: f32 = 1.0507009873554805;
function elu4(x: v128): v128 { return v128.bitselect(x, expm1x4(x), f32x4.gt(x, splat(0))); }
function selu4(x: v128): v128 {
  return v128.bitselect(f32x4.mul(x, splat(SELU_SCALE)), f32x4.mul(expm1x4(x), splat(SELU_SCALE * SELU_ALPHA)), f32x4.gt(x, splat(0)));
}

// ---- erf and gelu: the normal tail -------------------------------------------------------------
// One exponential serves each op and its derivative: q = e^(−x²) gives erf's tail erfc x = q·t·P(t)
// and its derivative 2/√π·q; q = e^(−x²/2) gives gelu's tail ½erfc(|x|/√2) = q·t·P(t) (another t
// and P) and its derivative Φ + x·q/√(2π). So a recorded forward stores the derivative and the
// gradient is one multiply.
/** P from t⁷ to t¹, then p and 1/√(2π): see normalTail. */
const TAIL_P = memory.data<f32>([-0.08645249903202057, 0.3154642879962921, -0.21194417774677277, 0.2196739912033081,
  0.06321869045495987, 0.09947945177555084, 0.1005602553486824, 0.25, 0.3989422804014327]);
/**
 * ½erfc(u/√2) for u ≥ 0 from q = e^(−u²/2): q·t·P(t), t = 1/(1 + u/4), P of degree 7 without a
 * constant term (A&S 7.1.26's form, fitted here on u ≤ 6 with the error weighted by q: 3.5e-9
 * absolute). Absolutely accurate (~1e-7 after float32 rounding), relatively only roughly: P's
 * coefficients alternate in sign.
 */
@inline function normalTail(u: v128, q: v128): v128 {
  const t = f32x4.div(ek(ONE), madd(u, coef(TAIL_P + 28), ek(ONE)));
  let p = coef(TAIL_P);
  p = hornerStep(p, t, TAIL_P + 4);
  p = hornerStep(p, t, TAIL_P + 8);
  p = hornerStep(p, t, TAIL_P + 12);
  p = hornerStep(p, t, TAIL_P + 16);
  p = hornerStep(p, t, TAIL_P + 20);
  p = hornerStep(p, t, TAIL_P + 24);
  return f32x4.mul(f32x4.mul(p, t), q);
}

/** E from e6 to e1 (see erfFrom), then 2/√π in two parts (lo, hi); then erf's own P, t⁴ to t¹, and its p. */
const ERF_E = memory.data<f32>([7.853465649532154e-05, -0.0008011997560970485, 0.005188812967389822, -0.026854272931814194,
  0.11283604055643082, -0.3761262893676758, -5.8635382771399236e-08, 1.128379225730896,
  -0.28684571385383606, 0.5602766275405884, 0.3204595148563385, 0.402904212474823, 0.7]);
const ERF_P = ERF_E + 32;
/**
 * erf x from q = e^(−x²), < 2 ulp, with the sign of x. Below 1: a·E(a²), a = |x|, E of degree 6
 * (relative fit error 1.5e-9, float64) with its constant 2/√π in two floats (hi + (lo + ...)):
 * rounded to one float 2/√π alone is 0.44 ulp off. From 1: 1 − erfc, erfc = q·t·P(t) in
 * normalTail's form, fitted for a in [1, 4] only (t = 1/(1 + 0.7a), P of degree 4: 8.8e-9 absolute;
 * normalTail's degree 7 over gelu's wider range cost erf 7 more operations), where erf is near
 * enough to 1 that this absolute accuracy is an ulp. Past 3.92 erf rounds to 1; q and t take the
 * tail to 0 at ±Inf.
 */
@inline function erfFrom(x: v128, q: v128): v128 {
  const a = f32x4.abs(x), s = f32x4.mul(a, a);
  let e = coef(ERF_E);
  e = hornerStep(e, s, ERF_E + 4);
  e = hornerStep(e, s, ERF_E + 8);
  e = hornerStep(e, s, ERF_E + 12);
  e = hornerStep(e, s, ERF_E + 16);
  e = hornerStep(e, s, ERF_E + 20);
  e = hornerStep(e, s, ERF_E + 24);
  const small = f32x4.mul(a, f32x4.add(e, coef(ERF_E + 28)));
  const t = f32x4.div(ek(ONE), madd(a, coef(ERF_P + 16), ek(ONE)));
  let p = coef(ERF_P);
  p = hornerStep(p, t, ERF_P + 4);
  p = hornerStep(p, t, ERF_P + 8);
  p = hornerStep(p, t, ERF_P + 12);
  const large = f32x4.sub(ek(ONE), f32x4.mul(f32x4.mul(p, t), q));
  return withSignOf(x, v128.bitselect(small, large, f32x4.lt(a, ek(ONE))));
}

/**
 * gelu's Φ(x) = ½(1 + erf(x/√2)) from q = e^(−x²/2): 1 − tail for x ≥ 0, the tail itself below.
 * Absolutely accurate, as TF's 0.5·x·(1 + erf(x/√2)) is: gelu within 5 ulp plus |x|·2^-24 (TF's
 * formula in float32: 0.6 ulp plus the same), and the lower tail keeps its relative accuracy where
 * TF's cancels (to 0 below x ≈ −5.5). geluDerivative: Φ + x·φ, φ = q/√(2π). ±Inf give NaN
 * derivatives (Inf·0), as TF's.
 */
@inline function geluPhi(x: v128, q: v128): v128 {
  const tail = normalTail(f32x4.abs(x), q);
  return v128.bitselect(f32x4.sub(ek(ONE), tail), tail, f32x4.ge(x, splat(0)));
}
@inline function geluDerivative(x: v128, q: v128, phi: v128): v128 { return madd(f32x4.mul(x, q), coef(TAIL_P + 32), phi); }

// ---- sin, cos, tan ---------------------------------------------------------------------------------
const SIN_S = memory.data<f32>([-0.0001958795, 0.008332749, -0.16666664, 2.4547991e-05, -0.0013888304, 0.041666664]);
const COS_C = SIN_S + 12; // (one data segment for both)
const HUGE_BITS = 0x4DC90FDB; // |x| ≥ π·2^27: beyond the two-part reduction's range
const PIO2_BITS = memory.data<u64>([0xA2F9836E4E441529, 0xFC2757D1F534DDC0, 0xDB6295993C439041, 0xFE5163ABDEBBC561]);
/** Bytes of scratch `sincos4` needs: cos x, then room for the lanes of a huge reduction. */
export const SINCOS_SCRATCH: usize = 64;

/**
 * Payne–Hanek reduction of a finite |x| ≥ π·2^27 (musl's method: x's 24-bit mantissa times the
 * 256 bits of 2/π that matter at its exponent, in 64-bit integer products). Returns r = x − k·π/2
 * with |r| ≤ π/4 as a float64 and stores k mod 4 at `quadrant`.
 */
function reduceHuge(x: f32, quadrant: usize): f64 {
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
  store<i32>(quadrant, x < 0 ? -k : k);
  return copysign<f64>(8.51530395021638647334e-20, <f64>x) * <f64>r;
}

/**
 * sin x (returned) and cos x (stored at `scratch`, SINCOS_SCRATCH bytes), < 2 ulp. Reduction: k = round(x·2/π), r = x − k·π/2 in
 * float64 lanes with π/2 in two parts (25 + 53 bits, so k·PIO2_HI is exact for |k| < 2^28), r
 * rounded to float32; finite lanes beyond π·2^27 get Payne–Hanek (`reduceHuge`), one by one.
 * Polynomials on |r| ≤ π/4: sin r = r + r³·S(r²), cos r = 1 − r²/2 + r⁴·C(r²), S and C of degree 2
 * (relative fit errors 1.4e-8 and 1.1e-9). |x| < 2^-12 gives sin x = x (exact, keeps −0).
 */
function sincos4(x: v128, scratch: usize): v128 {
  const lo = f64x2.promote_low_f32x4(x), hi = f64x2.promote_low_f32x4(v128.shuffle<u64>(x, x, 1, 1));
  const klo = f64x2.nearest(f64x2.mul(lo, f64x2.splat(0.63661977236758134308)));
  const khi = f64x2.nearest(f64x2.mul(hi, f64x2.splat(0.63661977236758134308)));
  const ylo = f64x2.sub(f64x2.sub(lo, f64x2.mul(klo, f64x2.splat(1.57079631090164184570))), f64x2.mul(klo, f64x2.splat(1.58932547735281966916e-8)));
  const yhi = f64x2.sub(f64x2.sub(hi, f64x2.mul(khi, f64x2.splat(1.57079631090164184570))), f64x2.mul(khi, f64x2.splat(1.58932547735281966916e-8)));
  let r = v128.shuffle<u64>(f32x4.demote_f64x2_zero(ylo), f32x4.demote_f64x2_zero(yhi), 0, 2);
  let q = v128.shuffle<u64>(i32x4.trunc_sat_f64x2_s_zero(klo), i32x4.trunc_sat_f64x2_s_zero(khi), 0, 2);
  const bits = v128.and(x, ints(0x7FFFFFFF));
  if (v128.any_true(v128.and(i32x4.ge_s(bits, ints(HUGE_BITS)), i32x4.lt_s(bits, ints(0x7F800000))))) {
    const lanes = scratch + 16; // r, q and x, lane by lane
    v128.store(lanes, r); v128.store(lanes, q, 16); v128.store(lanes, x, 32);
    for (let lane: usize = 0; lane < 16; lane += 4) {
      const u = load<i32>(lanes + lane, 32) & 0x7FFFFFFF;
      if (u < HUGE_BITS || u >= 0x7F800000) continue;
      store<f32>(lanes + lane, <f32>reduceHuge(load<f32>(lanes + lane, 32), lanes + lane + 16));
    }
    r = v128.load(lanes); q = v128.load(lanes, 16);
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
  v128.store(scratch, v128.xor(v128.bitselect(s, c, odd), i32x4.shl(v128.and(i32x4.add(q, ints(1)), ints(2)), 30)));
  return v128.bitselect(x, sn, f32x4.lt(f32x4.abs(x), splat(2.44140625e-4)));
}

// ---- pow -------------------------------------------------------------------------------------------
// |x|^y = 2^(y·log2|x|) in float64 lanes, so the product y·log2|x| keeps its precision (in float32
// it would lose |y·log x|·2^-24, tens of ulps of the result near overflow), then rounded once to
// float32. The series are Taylor's, no fitting: log2 m = s·Σ 2·log2(e)/(2k + 1)·s^2k, s =
// (m − 1)/(m + 1), |s| ≤ 0.1716, k ≤ 5 (truncation 5e-11 relative); 2^r = Σ (r·ln 2)^k/k!,
// |r| ≤ ½, k ≤ 7 (5e-9 relative): results within 0.6 ulp of float64 pow (test/ulp.test.ts). Float32
// inputs are normal float64 numbers, denormals included, so the reduction needs no special case.
// Both series by Estrin's scheme (fewer dependent steps than Horner's: ~8 % faster, measured).
const POW_K = memory.data<f64>([
  0.26230818925253879, 0.32059889797532520, 0.41219858311113239, 0.57707801635558531, 0.96179669392597555, 2.8853900817779268, // log2
  0.000015252733804059838, 0.00015403530393381606, 0.0013333558146428441, 0.0096181291076284769, 0.055504108664821576,
  0.24022650695910069, 0.69314718055994529, 1, // 2^r
  2, 6755399441055744, -160, 130, 0.70710678118654752, 6755399441056768]);
// (after the series) 2, whose bits are 1024 << 52; the rounder 1.5·2^52; the clamps of y·log2|x|; √½; the rounder + 1024
const POW_LOG = 0, POW_EXP = 48, POW_ONE = 104, POW_TWO = 112, POW_ROUNDER = 120, POW_MIN = 128, POW_MAX = 136, POW_SQRT_HALF = 144, POW_ROUNDER_K = 152;
@inline function pk(at: usize): v128 { return v128.load64_splat(POW_K + at); }
@inline function step64(p: v128, x: v128, at: usize): v128 { return f64x2.add(f64x2.mul(p, x), pk(at)); }

/**
 * |x|^y for float64 lanes x, y (from float32) with |x| finite and nonzero (other lanes: garbage,
 * replaced by pow4). Inlined, so pow4 holds two copies: one copy called twice was ~100 bytes
 * smaller gzipped and ~35 % slower (measured: the two halves no longer overlap).
 */
@inline function powMagnitude(x: v128, y: v128): v128 {
  const ax = f64x2.abs(x), one = pk(POW_ONE), two = pk(POW_TWO), rounder = pk(POW_ROUNDER);
  // |x| = m·2^e, m in [√½, √2), as logOf does in float32, with k = e + 1024 (a logical shift: an
  // arithmetic one of 64-bit lanes is several instructions on x86 before AVX-512)
  const k = i64x2.shr_u(i64x2.add(i64x2.sub(ax, pk(POW_SQRT_HALF)), two), 52);
  const f = f64x2.sub(i64x2.add(i64x2.sub(ax, i64x2.shl(k, 52)), two), one);
  const s = f64x2.div(f, f64x2.add(f, two)), z = f64x2.mul(s, s), z2 = f64x2.mul(z, z);
  const p45 = step64(pk(POW_LOG), z, POW_LOG + 8), p23 = step64(pk(POW_LOG + 16), z, POW_LOG + 24), p01 = step64(pk(POW_LOG + 32), z, POW_LOG + 40);
  const p = f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(p45, z2), p23), z2), p01);
  // log2|x| = e + s·P(z), e as a double: k added to the rounder's bits, which then come off with 1024
  const l = f64x2.add(f64x2.sub(i64x2.add(k, rounder), pk(POW_ROUNDER_K)), f64x2.mul(s, p));
  // w = y·log2|x| clamped where the float32 result is 0 or Inf anyway (NaN stays); w = n + r with
  // n = round(w) in the rounder's low bits, which shifted into the exponent field give 2^n
  const w = f64x2.pmin(f64x2.pmax(f64x2.mul(y, l), pk(POW_MIN)), pk(POW_MAX));
  const t = f64x2.add(w, rounder);
  const r = f64x2.sub(w, f64x2.sub(t, rounder)), r2 = f64x2.mul(r, r);
  const q67 = step64(pk(POW_EXP), r, POW_EXP + 8), q45 = step64(pk(POW_EXP + 16), r, POW_EXP + 24);
  const q23 = step64(pk(POW_EXP + 32), r, POW_EXP + 40), q01 = step64(pk(POW_EXP + 48), r, POW_EXP + 56);
  const q = f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(q67, r2), q45), f64x2.mul(r2, r2)), f64x2.add(f64x2.mul(q23, r2), q01));
  return f64x2.mul(q, i64x2.add(i64x2.shl(t, 52), one));
}

/**
 * x^y in the lanes where y is 2, −1 or ½, one operation each, correctly rounded (x·x; 1/x; √x, with
 * C's +0 for −0, +0 added, and +Inf for −Inf), r in the others. Not inlined: pow4 and the entry's
 * loop for these exponents (elementwise.ts powByScalar) share it, so both give the same bits.
 */
function powExact(x: v128, y: v128, r: v128): v128 {
  r = v128.bitselect(f32x4.mul(x, x), r, f32x4.eq(y, splat(2)));
  r = v128.bitselect(f32x4.div(ek(ONE), x), r, f32x4.eq(y, splat(-1)));
  const root = v128.bitselect(ek(INF), f32x4.add(f32x4.sqrt(x), splat(0)), f32x4.eq(x, ek(NEG_INF)));
  return v128.bitselect(root, r, f32x4.eq(y, ek(HALF)));
}

/**
 * x^y as C's powf (IEEE 754's pow), within 0.6 ulp: the magnitude from powMagnitude, two lanes at
 * a time, then the IEEE cases lane by lane: x = ±0, ±Inf (log2|x| = ∓Inf... as the sign of
 * (|x| − 1)·y says: 0 or Inf) and NaN; x < 0 (also −0, −Inf) with y an odd integer negates; finite
 * x < 0 with y not an integer is NaN; y = ±0, x = 1, and x = −1 with y = ±Inf give 1 (even for NaN).
 */
function pow4(x: v128, y: v128): v128 {
  const lo = powMagnitude(f64x2.promote_low_f32x4(x), f64x2.promote_low_f32x4(y));
  const hi = powMagnitude(f64x2.promote_low_f32x4(v128.shuffle<u64>(x, x, 1, 1)), f64x2.promote_low_f32x4(v128.shuffle<u64>(y, y, 1, 1)));
  let r = v128.shuffle<u64>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 2);
  const ax = f32x4.abs(x), one = ek(ONE), inf = ek(INF);
  const edge = f32x4.pmax(f32x4.mul(f32x4.mul(f32x4.sub(ax, one), y), inf), splat(0)); // (pmax keeps NaN)
  r = v128.bitselect(r, edge, v128.and(f32x4.gt(ax, splat(0)), f32x4.lt(ax, inf)));
  const integral = f32x4.eq(f32x4.nearest(y), y), half = f32x4.mul(y, ek(HALF)); // (±Inf: even integers)
  r = v128.xor(r, v128.and(v128.and(x, ek(SIGN)), v128.andnot(integral, f32x4.eq(f32x4.nearest(half), half))));
  r = v128.bitselect(ek(QNAN), r, v128.andnot(v128.and(f32x4.lt(x, splat(0)), f32x4.gt(x, ek(NEG_INF))), integral));
  const unit = v128.or(v128.or(f32x4.eq(y, splat(0)), f32x4.eq(x, one)), v128.and(f32x4.eq(ax, one), f32x4.eq(f32x4.abs(y), inf)));
  return v128.bitselect(one, powExact(x, y, r), unit);
}

/**
 * The functions above for the kernels, as static methods: AssemblyScript warns (AS112) on every
 * exported function that takes a v128, even one that never becomes a wasm export.
 */
export class Math4 {
  @inline static exp(x: v128): v128 { return exp4(x); }
  @inline static expm1(x: v128): v128 { return expm1x4(x); }
  /** e^−|x|: sigmoid's and softplus's e (expNonPositive never overflows) */
  @inline static expNegAbs(x: v128): v128 { return expNonPositive(negAbs(x)); }
  @inline static sigmoidFrom(x: v128, e: v128): v128 { return sigmoidFrom(x, e); }
  @inline static softplusFrom(x: v128, e: v128): v128 { return softplusFrom(x, e); }
  @inline static tanh(x: v128): v128 { return tanh4(x); }
  @inline static logOrLog1p(x: v128, isLog1p: bool): v128 { return logOf(x, isLog1p); }
  @inline static elu(x: v128): v128 { return elu4(x); }
  @inline static selu(x: v128): v128 { return selu4(x); }
  /** erf x from e^(−x²) */
  @inline static erfFrom(x: v128, q: v128): v128 { return erfFrom(x, q); }
  /** e^x for x ≤ 0 (or NaN) */
  @inline static expNonPositive(x: v128): v128 { return expNonPositive(x); }
  /** gelu's Φ(x), and its derivative Φ(x) + x·φ(x), from x and e^(−x²/2) */
  @inline static geluPhi(x: v128, q: v128): v128 { return geluPhi(x, q); }
  @inline static geluDerivative(x: v128, q: v128, phi: v128): v128 { return geluDerivative(x, q, phi); }
  /** sin x, with cos x stored at `scratch` (SINCOS_SCRATCH bytes) */
  @inline static sincos(x: v128, scratch: usize): v128 { return sincos4(x, scratch); }
  /** x^y as C's powf (not inlined: one copy serves every loop) */
  static pow(x: v128, y: v128): v128 { return pow4(x, y); }
  /** x^y where y is 2, −1 or ½ (r elsewhere): the bits pow gives */
  @inline static powExact(x: v128, y: v128, r: v128): v128 { return powExact(x, y, r); }
}
