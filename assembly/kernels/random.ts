// Random tensors from a counter-based generator: element i's random word depends only on the seed
// and i, through integer arithmetic alone, and the floating-point steps after it (Box-Muller) are
// float64 additions, multiplications, divisions and one sqrt in a fixed order, with series of this
// file's own for ln, sin and cos (never the host's Math), so a seeded call gives bit-identical
// numbers on every platform.
//
// The generator (re-implemented in JS by test/ops-nn.test.ts, keep the two in step):
//   mix(x)        = Chris Wellons' "triple32" integer hash, a bijection of u32 with full avalanche
//   key0          = mix(seedLo ^ mix(seedHi + 0x9E3779B9))    (the seed's low and high 32 bits,
//                                                               two's complement for negative seeds)
//   key1          = mix(key0 + 0x85EBCA6B)
//   word(i)       = mix(mix(i + key0) ^ key1)                  (two keyed rounds: distinct seeds do not
//                                                               give shifted copies of one stream)
//   uniform       = (word(i) >>> 8) · 2⁻²⁴  in [0, 1), exact in float32; out = min + (max - min) · u
//   normal pairs  = Box-Muller on u1 = (word(2p) + 1) · 2⁻³² in (0, 1], u2 = word(2p+1) · 2⁻³²:
//                   out[2p] = mean + stddev · r·cos(2πu2), out[2p+1] = mean + stddev · r·sin(2πu2),
//                   r = sqrt(-2 ln u1) (lnUnit, sinCosTurn below); all in float64, rounded to
//                   float32 once at the end. |z| reaches 6.66 (u1 = 2⁻³²).
@inline function mix(v: u32): u32 {
  let x = v;
  x ^= x >> 17; x *= 0xed5ad4bb;
  x ^= x >> 11; x *= 0xac4c1b51;
  x ^= x >> 15; x *= 0x31848bab;
  x ^= x >> 14;
  return x;
}

/** key0 from a seed (a safe integer, passed as f64): its 64-bit two's complement low and high words. */
@inline function key0Of(seed: f64): u32 {
  const s = <i64>seed;
  return mix(<u32>s ^ mix(<u32>(s >> 32) + 0x9E3779B9));
}
@inline function key1Of(key0: u32): u32 { return mix(key0 + 0x85EBCA6B); }
@inline function word(i: u32, key0: u32, key1: u32): u32 { return mix(mix(i + key0) ^ key1); }

/** Fills the n floats at p with uniform numbers in [min, max). */
export function randomUniformKernel(p: usize, n: i32, seed: f64, min: f64, max: f64): void {
  const key0 = key0Of(seed), key1 = key1Of(key0);
  const span = max - min;
  for (let i = 0; i < n; i++) {
    const u = <f64>(word(<u32>i, key0, key1) >> 8) * 5.9604644775390625e-8; // 2^-24
    store<f32>(p + (<usize>i << 2), <f32>(min + span * u));
  }
}

// ---- Box-Muller with its own log and sin/cos: plain float64 arithmetic in a fixed order, so the
// numbers are reproducible anywhere (and the module does not carry libm's tables) ----

/** ln((w + 1) · 2⁻³²) for a 32-bit word w, in (-22.2, 0]: exact power-of-two scaling, then 2·atanh(s). */
function lnUnit(w: u32): f64 {
  if (w == 0xFFFFFFFF) return 0;
  const v = w + 1;                           // 1 .. 2^32 - 1
  let k = 31 - <i32>clz<u32>(v);             // 2^k <= v < 2^(k+1)
  let m = <f64>v / <f64>(<u32>1 << <u32>k);  // [1, 2), exact
  if (m > 1.4142135623730951) { m *= 0.5; k++; }
  const s = (m - 1) / (m + 1), s2 = s * s;   // |s| <= 0.1716
  const p = 1 + s2 * (0.3333333333333333 + s2 * (0.2 + s2 * (0.14285714285714285 + s2 * (0.1111111111111111 +
    s2 * (0.09090909090909091 + s2 * (0.07692307692307693 + s2 * (0.06666666666666667 + s2 * 0.058823529411764705)))))));
  return <f64>(k - 32) * 0.6931471805599453 + 2 * s * p;
}

/**
 * One Box-Muller pair: out[0] = mean + stddev·r·cos θ and (if `both`) out[1] = mean + stddev·r·sin θ,
 * θ = 2π·w·2⁻³² (quadrant from the top two bits, Taylor series on [0, π/4]).
 */
function storePair(out: usize, both: bool, r: f64, w: u32, mean: f64, stddev: f64): void {
  const q = w >> 30;
  const f = <f64>(w & 0x3FFFFFFF) * 9.313225746154785e-10; // 2^-30: position in the quadrant, [0, 1)
  const low = f < 0.5;
  const x = (low ? f : 1 - f) * 1.5707963267948966, x2 = x * x;
  const s = x * (1 - x2 * (0.16666666666666666 - x2 * (0.008333333333333333 - x2 * (0.0001984126984126984 -
    x2 * (2.7557319223985893e-6 - x2 * (2.505210838544172e-8 - x2 * (1.6059043836821613e-10 - x2 * 7.647163731819816e-13)))))));
  const c = 1 - x2 * (0.5 - x2 * (0.041666666666666664 - x2 * (0.001388888888888889 - x2 * (2.48015873015873e-5 -
    x2 * (2.755731922398589e-7 - x2 * (2.08767569878681e-9 - x2 * 1.1470745597729725e-11))))));
  const sn = low ? s : c, cs = low ? c : s;
  let sinTurn: f64, cosTurn: f64;
  if (q == 0) { sinTurn = sn; cosTurn = cs; }
  else if (q == 1) { sinTurn = cs; cosTurn = -sn; }
  else if (q == 2) { sinTurn = -sn; cosTurn = -cs; }
  else { sinTurn = -cs; cosTurn = sn; }
  store<f32>(out, <f32>(mean + stddev * (r * cosTurn)));
  if (both) store<f32>(out, <f32>(mean + stddev * (r * sinTurn)), 4);
}

/** Fills the n floats at p with normal numbers of the given mean and standard deviation. */
export function randomNormalKernel(p: usize, n: i32, seed: f64, mean: f64, stddev: f64): void {
  const key0 = key0Of(seed), key1 = key1Of(key0);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * lnUnit(word(<u32>i, key0, key1)));
    storePair(p + (<usize>i << 2), i + 1 < n, r, word(<u32>i + 1, key0, key1), mean, stddev);
  }
}
