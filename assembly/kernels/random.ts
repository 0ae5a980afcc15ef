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
//                   r = sqrt(-2 ln u1) (lnUnit, storePair below); all in float64, rounded to
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

// The series' coefficients, 1/k! and 1/k, are computed into scratch once per call rather than
// written as float64 constants: a constant is 9 bytes of code that do not compress, a load from the
// table 4 that do. k! is exact in float64 up to 17! and one division rounds correctly, so each
// coefficient has the very bits of the constant it replaces.
/** Bytes of randomNormalKernel's scratch: 1/k! at 8k, 1/k at 144 + 8k, k ≤ 17. */
export const NORMAL_SCRATCH: usize = 288;
@inline function fillCoefficients(t: usize): void {
  let f: f64 = 1;
  for (let k = 1; k <= 17; k++) {
    f *= k;
    store<f64>(t + (<usize>k << 3), 1 / f);
    store<f64>(t + (<usize>k << 3), 1 / <f64>k, 144);
  }
}

/** ln((w + 1) · 2⁻³²) for a 32-bit word w, in (-22.2, 0]: exact power-of-two scaling, then 2·atanh(s). `t`: the coefficients. */
function lnUnit(w: u32, t: usize): f64 {
  if (w == 0xFFFFFFFF) return 0;
  const v = w + 1;                           // 1 .. 2^32 - 1
  let k = 31 - <i32>clz<u32>(v);             // 2^k <= v < 2^(k+1)
  let m = <f64>v / <f64>(<u32>1 << <u32>k);  // [1, 2), exact
  if (m > 1.4142135623730951) { m *= 0.5; k++; }
  const s = (m - 1) / (m + 1), s2 = s * s;   // |s| <= 0.1716
  // 1 + s²/3 + s⁴/5 + ... + s¹⁶/17
  const p = 1 + s2 * (load<f64>(t, 144 + 8 * 3) + s2 * (load<f64>(t, 144 + 8 * 5) + s2 * (load<f64>(t, 144 + 8 * 7) + s2 * (load<f64>(t, 144 + 8 * 9) +
    s2 * (load<f64>(t, 144 + 8 * 11) + s2 * (load<f64>(t, 144 + 8 * 13) + s2 * (load<f64>(t, 144 + 8 * 15) + s2 * load<f64>(t, 144 + 8 * 17))))))));
  return <f64>(k - 32) * 0.6931471805599453 + 2 * s * p;
}

/**
 * One Box-Muller pair: out[0] = mean + stddev·r·cos θ and (if `both`) out[1] = mean + stddev·r·sin θ,
 * θ = 2π·w·2⁻³² (quadrant from the top two bits, Taylor series on [0, π/4]). `t`: the coefficients.
 */
function storePair(out: usize, both: bool, r: f64, w: u32, mean: f64, stddev: f64, t: usize): void {
  const q = w >> 30;
  const f = <f64>(w & 0x3FFFFFFF) * 9.313225746154785e-10; // 2^-30: position in the quadrant, [0, 1)
  const low = f < 0.5;
  const x = (low ? f : 1 - f) * 1.5707963267948966, x2 = x * x;
  // x − x³/3! + ... − x¹⁵/15!, 1 − x²/2! + ... − x¹⁴/14!
  const s = x * (1 - x2 * (load<f64>(t, 8 * 3) - x2 * (load<f64>(t, 8 * 5) - x2 * (load<f64>(t, 8 * 7) -
    x2 * (load<f64>(t, 8 * 9) - x2 * (load<f64>(t, 8 * 11) - x2 * (load<f64>(t, 8 * 13) - x2 * load<f64>(t, 8 * 15))))))));
  const c = 1 - x2 * (load<f64>(t, 8 * 2) - x2 * (load<f64>(t, 8 * 4) - x2 * (load<f64>(t, 8 * 6) - x2 * (load<f64>(t, 8 * 8) -
    x2 * (load<f64>(t, 8 * 10) - x2 * (load<f64>(t, 8 * 12) - x2 * load<f64>(t, 8 * 14)))))));
  const sn = low ? s : c, cs = low ? c : s;
  let sinTurn: f64, cosTurn: f64;
  if (q == 0) { sinTurn = sn; cosTurn = cs; }
  else if (q == 1) { sinTurn = cs; cosTurn = -sn; }
  else if (q == 2) { sinTurn = -sn; cosTurn = -cs; }
  else { sinTurn = -cs; cosTurn = sn; }
  store<f32>(out, <f32>(mean + stddev * (r * cosTurn)));
  if (both) store<f32>(out, <f32>(mean + stddev * (r * sinTurn)), 4);
}

/** Fills the n floats at p with normal numbers of the given mean and standard deviation. `scratch`: NORMAL_SCRATCH bytes. */
export function randomNormalKernel(p: usize, n: i32, seed: f64, mean: f64, stddev: f64, scratch: usize): void {
  const key0 = key0Of(seed), key1 = key1Of(key0);
  fillCoefficients(scratch);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * lnUnit(word(<u32>i, key0, key1), scratch));
    storePair(p + (<usize>i << 2), i + 1 < n, r, word(<u32>i + 1, key0, key1), mean, stddev, scratch);
  }
}
