// Accuracy of the f32x4 elementary functions (assembly/ops/mathx4.ts) against float64 references,
// in float32 ulps, over dense samples: every binade of the float32 range (a sweep of bit patterns),
// a uniform grid over the part of the range where the function is not saturated, and its edges
// (overflow and underflow thresholds, the denormal range, ±0, ±Inf, NaN). Then the one-pass
// gradients (unaryGrad) against float64 derivatives, the padded tail against the f32x4 body,
// and gradients of those gradients.
import { describe, it, expect } from 'vitest';
import * as gt from './api.js';
import { tensor, tape, sum, tidy, ForwardAccumulator, type Tensor } from './api.js';
import { nthDerivative } from './support/nth-derivative.js';

const SELU_SCALE = Math.fround(1.0507009873554805);
const SELU_SCALE_ALPHA = Math.fround(SELU_SCALE * Math.fround(1.6732632423543772));
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** erf in float64: its Taylor series up to |x| = 4 (error < 1e-10 there); beyond, erfc(4) < 2e-8 is below half an ulp of 1. */
function erf64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a >= 4) return Math.sign(x);
  let term = a, sum = a;
  for (let n = 1; n < 300; n++) {
    term *= (-a * a) / n;
    const t = term / (2 * n + 1);
    sum += t;
    if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
  }
  return x === 0 ? x : Math.sign(x) * sum * TWO_OVER_SQRT_PI;
}
/** erfc in float64 for z ≥ 0: 1 − erf64 below 2 (erfc ≥ 0.0047 there, so the difference loses nothing that matters), its continued fraction from 2 on. */
function erfc64(z: number): number {
  if (z < 2) return 1 - erf64(z);
  let f = z;
  for (let k = 120; k >= 1; k--) f = z + k / 2 / f;
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
}
/** Φ, the standard normal CDF, from erfc of |x|/√2: relatively accurate in the lower tail too. */
const phi64 = (x: number) => (x >= 0 ? 1 - erfc64(x / Math.SQRT2) / 2 : erfc64(-x / Math.SQRT2) / 2);
const gelu64 = (x: number) => (x === -Infinity ? NaN : x * phi64(x));
const normalPdf = (x: number) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
const sigmoid64 = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

interface Spec {
  name: 'exp' | 'expm1' | 'log' | 'log1p' | 'tanh' | 'sigmoid' | 'softplus' | 'elu' | 'selu' | 'erf' | 'gelu' | 'sin' | 'cos' | 'tan'
    | 'asin' | 'acos' | 'atan' | 'sinh' | 'cosh' | 'asinh' | 'acosh' | 'atanh';
  ref: (x: number) => number;
  /** max error in ulps, a little above the worst seen (beyond `absolute`, where given) */
  ulps: number;
  /** an absolute error allowed on top of the ulps, for a function computed to absolute accuracy */
  absolute?: (x: number) => number;
  /** the part of the range sampled on a uniform grid */
  lo: number;
  hi: number;
  /** further points: thresholds, zeros, the edges of the polynomial's interval */
  edges: number[];
}
const SPECS: Spec[] = [
  { name: 'exp', ref: Math.exp, ulps: 1.5, lo: -104, hi: 89, edges: [88.72283, 88.72284, -87.33654, -87.3366, -103.27893, -103.97208, -103.9721, 0.3465736, -0.3465736] },
  { name: 'expm1', ref: Math.expm1, ulps: 2, lo: -20, hi: 89, edges: [88.72283, 88.72284, 2.9802322e-8, -2.9802322e-8, 5.96e-8, 1e-5, -1e-5, 0.3465736, -17.3287] },
  { name: 'log', ref: Math.log, ulps: 1.5, lo: 1e-3, hi: 10, edges: [1, 1 - 2 ** -24, 1 + 2 ** -23, 0.70710677, 0.7071068, 1.4142135, 1.4142137, 2 ** -126, 2 ** -127, 2 ** -149, 3.4028235e38] },
  { name: 'log1p', ref: Math.log1p, ulps: 2, lo: -0.999, hi: 10, edges: [-1 + 2 ** -24, -0.5, -0.29289323, 0.41421357, 1e-8, -1e-8, 2 ** -130, 1, 3e38, 3.4028235e38] },
  { name: 'tanh', ref: Math.tanh, ulps: 3, lo: -10, hi: 10, edges: [9, 9.01, 4.5, 1e-4, -1e-4, 2 ** -13, 2 ** -25, 2 ** -140, 0.55, -0.55] },
  { name: 'sigmoid', ref: sigmoid64, ulps: 3, lo: -110, hi: 30, edges: [-87.33654, -88, -103.27893, -103.972, -104, 16.6355, 17.3287, 1e-8, -1e-8] },
  { name: 'softplus', ref: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), ulps: 2, lo: -110, hi: 100, edges: [-87.33654, -103.97, 0.8813736, -0.8813736, 16.6355, 17.33, 1e-8, -1e-8] },
  { name: 'elu', ref: (x) => (x > 0 ? x : Math.expm1(x)), ulps: 1.5, lo: -20, hi: 5, edges: [-17.3287, -1e-8, 1e-30, -1e-30] },
  { name: 'selu', ref: (x) => (x > 0 ? SELU_SCALE * x : SELU_SCALE_ALPHA * Math.expm1(x)), ulps: 2, lo: -20, hi: 5, edges: [-17.3287, -1e-8, 1e-30, -1e-30] },
  { name: 'erf', ref: erf64, ulps: 2, lo: -5, hi: 5, edges: [1, 1 - 2 ** -24, 0.99999994, 1.0000001, 3.92, 4, 4.0000005, 1e-4, 2 ** -140] },
  // gelu's Φ is as TF computes 0.5·x·(1 + erf(x/√2)): to absolute accuracy, |x|·2^-24 here (TF's own
  // formula, evaluated in float32 with this erf, is 16 million ulps off at x = −8.3, where 1 + erf
  // cancels; this kernel's tail is e^(−x²/2)·t·P(t), never 1 − erf)
  { name: 'gelu', ref: gelu64, ulps: 5, absolute: (x) => Math.abs(x) * 2 ** -24, lo: -12, hi: 12, edges: [5.9, 4 * Math.SQRT2, -0.7518, 1e-4, 1e-30, 2 ** -140] },
  { name: 'sin', ref: Math.sin, ulps: 2, lo: -10, hi: 10, edges: [2 ** -12, 2 ** -12 * 1.0001, 421657428, 421657440, 1e10, 3.4028235e38] },
  { name: 'cos', ref: Math.cos, ulps: 2, lo: -10, hi: 10, edges: [2 ** -12, 421657428, 421657440, 1e10, 3.4028235e38] },
  { name: 'tan', ref: Math.tan, ulps: 4, lo: -10, hi: 10, edges: [2 ** -12, 421657428, 1e10, 3.4028235e38] },
  // src/ops-math.ts: compositions (atan, asin, acos through the atan2 kernel); worst seen 1.2–2.3 ulp
  { name: 'asin', ref: Math.asin, ulps: 2.5, lo: -1, hi: 1, edges: [1, 0.99999994, 0.5, 1e-4, 2 ** -140] },
  { name: 'acos', ref: Math.acos, ulps: 2.5, lo: -1, hi: 1, edges: [1, 0.99999994, 0.5, 1e-4, 2 ** -140] },
  { name: 'atan', ref: Math.atan, ulps: 1.5, lo: -10, hi: 10, edges: [1, 0.5, 2, 1e-4, 2 ** -140, 3.4028235e38] },
  // (sinh and cosh overflow where eˣ does, at ln(FLT_MAX) = 88.7228391, a little before the exact values: documented)
  { name: 'sinh', ref: (x) => (Math.abs(x) > 88.7228391 ? Math.sign(x) * Infinity : Math.sinh(x)), ulps: 2, lo: -89, hi: 89, edges: [88.72283, 88.72284, 1e-4, 2 ** -140] },
  { name: 'cosh', ref: (x) => (Math.abs(x) > 88.7228391 ? Infinity : Math.cosh(x)), ulps: 2, lo: -89, hi: 89, edges: [88.72283, 88.72284, 1e-4, 2 ** -140] },
  // (asinh and acosh switch to log(2x) at 4096)
  { name: 'asinh', ref: Math.asinh, ulps: 2, lo: -10, hi: 10, edges: [4096, 4095.9998, 4096.0005, 1e-4, 2 ** -140, 1.8e19, 3.4028235e38] },
  { name: 'acosh', ref: Math.acosh, ulps: 2.5, lo: 1, hi: 10, edges: [1, 1.0000001, 4096, 4096.0005, 4095.9998, 1.8e19, 3.4028235e38] },
  { name: 'atanh', ref: Math.atanh, ulps: 2, lo: -1, hi: 1, edges: [1, 0.99999994, 0.5, 1e-4, 2 ** -140] },
];

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The float32 ulp at the float64 value r: the spacing of float32 numbers in r's binade. */
function ulpAt(r: number): number {
  const a = Math.abs(r);
  if (a < 2 ** -126) return 2 ** -149;
  f32[0] = a;
  const e = ((u32[0]! >>> 23) & 255) - 127;
  return Math.fround(a) > a && Math.fround(a) === 2 ** e ? 2 ** (e - 24) : 2 ** (e - 23); // rounded up into the next binade
}

/** The float32 points closest to k·π/2: where sin, cos and tan are near a zero or a pole. */
function nearQuarterTurns(count: number): number[] {
  const out: number[] = [];
  for (let k = 1; k <= count; k++) {
    const v = Math.fround((k * Math.PI) / 2);
    out.push(v, -v, Math.fround(v * (1 + 2 ** -23)), Math.fround(v * (1 - 2 ** -23)));
  }
  return out;
}

function samples(spec: Spec): Float32Array {
  const xs: number[] = [];
  // every binade, both signs: 2^16 bit patterns from the smallest denormal to the largest float
  const sweep = 1 << 16;
  for (let i = 0; i < sweep; i++) {
    u32[0] = Math.floor((i * 0x7f7fffff) / (sweep - 1));
    xs.push(f32[0]!, -f32[0]!);
  }
  const grid = 1 << 17;
  for (let i = 0; i <= grid; i++) xs.push(spec.lo + ((spec.hi - spec.lo) * i) / grid);
  for (const e of spec.edges) for (const s of [1, -1]) for (const d of [-2, -1, 0, 1, 2]) xs.push(Math.fround(s * e) * (1 + d * 2 ** -23));
  if (spec.name === 'sin' || spec.name === 'cos' || spec.name === 'tan') xs.push(...nearQuarterTurns(2000));
  xs.push(0, -0, Infinity, -Infinity, NaN, 2 ** -149, -(2 ** -149), 2 ** -127, -(2 ** -127));
  return Float32Array.from(xs);
}

const run = (name: Spec['name'], xs: Float32Array) => tidy(() => (gt[name](tensor(xs)) as Tensor).data() as Float32Array);

describe('ulp error of the f32x4 functions against float64', () => {
  for (const spec of SPECS) {
    it(`${spec.name}: within ${spec.ulps} ulp over every binade, [${spec.lo}, ${spec.hi}] and the edges; IEEE specials exact`, () => {
      const xs = samples(spec);
      const ys = run(spec.name, xs);
      let worst = 0, worstAt = 0;
      for (let i = 0; i < xs.length; i++) {
        const x = xs[i]!, y = ys[i]!, r = spec.ref(x), r32 = Math.fround(r);
        if (Number.isNaN(r) || !Number.isFinite(r32) || r === 0) {
          // NaN, overflow and exact zeros (with their sign) must match the rounded reference exactly
          if (!Object.is(y, r32)) expect.fail(`${spec.name}(${x}) = ${y}, want ${r32}`);
          continue;
        }
        const err = Math.max(0, Math.abs(y - r) - (spec.absolute?.(x) ?? 0)) / ulpAt(r);
        if (!(err <= worst)) { worst = err; worstAt = x; }
      }
      expect(worst, `${spec.name}: worst ${worst.toFixed(2)} ulp at x = ${worstAt}`).toBeLessThanOrEqual(spec.ulps);
    });
  }

  it('sin, cos, tan: huge arguments go through Payne–Hanek, exactly where the two-part reduction ends', () => {
    // |x| ≥ π·2^27 = 421657428.3 is reduced lane by lane; binade 2^89 needs the reduction's shift of 0
    const xs = Float32Array.from([421657400, 421657440, 6.678075532169073e26, 2 ** 89, 1.5 * 2 ** 89, 3.4e38, -3.4e38, 2 ** 100]);
    for (const name of ['sin', 'cos', 'tan'] as const) {
      const ys = run(name, xs);
      xs.forEach((x, i) => expect(Math.abs(ys[i]! - Math[name](x)) / ulpAt(Math[name](x)), `${name}(${x})`).toBeLessThanOrEqual(4));
    }
  });

  it('a special value in any lane leaves the other lanes of its vector as they are, bit for bit (log tests whole vectors for its fast path)', () => {
    const specials = [0, -0, -1, 2 ** -149, 2 ** -127, Infinity, -Infinity, NaN, 3.4028235e38, -3.4028235e38];
    const normal = Float32Array.from([0.75, 1.5, 3.25, 0.3, 2.2, 7.5, 0.05, 1.01]);
    for (const spec of SPECS) {
      const plain = run(spec.name, normal);
      for (const v of specials) {
        const alone = run(spec.name, Float32Array.of(v))[0]!;
        for (let lane = 0; lane < 4; lane++) {
          const xs = normal.slice();
          xs[4 + lane] = v;
          const ys = Array.from(run(spec.name, xs));
          const want = Array.from(plain);
          want[4 + lane] = alone;
          expect(ys, `${spec.name}, ${v} in lane ${lane}`).toEqual(want);
        }
      }
    }
  });

  it('the last 1–3 elements (padded f32x4 tail) equal the same values inside a longer tensor, bit for bit', () => {
    const long = Float32Array.from({ length: 64 }, (_, i) => (i - 31.5) * 0.37 + 1e-3);
    for (const spec of SPECS) {
      const whole = run(spec.name, long);
      for (let n = 1; n <= 7; n++) {
        const part = run(spec.name, long.subarray(32, 32 + n));
        expect(Array.from(part), `${spec.name}, n = ${n}`).toEqual(Array.from(whole.subarray(32, 32 + n)));
      }
    }
  });
});

// f'(x) in float64, and the error the float32 formula inherits from its rounded inputs, beyond the
// 4 ulp allowed for the kernel's own arithmetic. Where the derivative is computed from the op's
// output y (tanh: 1 − y², sigmoid: y(1 − y), ...; TensorFlow's rules do the same), y's own error (the
// forward bound, in ulps of y) times |∂f'/∂y| is inherent: near saturation f' is tiny while that
// error is absolute, so there the bound is absolute. For erf, e^(−x²) inherits the rounding of x²
// (half an ulp of x², up to 16 ulp of the result at |x| = 4.7, where erf' = 2.6e-10).
const forwardUlps = (name: Spec['name']) => SPECS.find((s) => s.name === name)!.ulps;
const fromOutput = (name: Spec['name'], dfdy: (y: number) => number) => (_x: number, y: number) => dfdy(y) * forwardUlps(name) * ulpAt(y);
const DERIVATIVES: { name: Spec['name']; d: (x: number) => number; inherent?: (x: number, y: number, r: number) => number; lo: number; hi: number }[] = [
  { name: 'exp', d: Math.exp, inherent: fromOutput('exp', () => 1), lo: -80, hi: 80 },
  { name: 'expm1', d: Math.exp, inherent: fromOutput('expm1', () => 1), lo: -20, hi: 80 },
  { name: 'log', d: (x) => 1 / x, lo: 1e-3, hi: 10 },
  { name: 'log1p', d: (x) => 1 / (1 + x), lo: -0.999, hi: 10 },
  { name: 'tanh', d: (x) => 1 / Math.cosh(x) ** 2, inherent: fromOutput('tanh', (y) => 2 * Math.abs(y)), lo: -10, hi: 10 },
  { name: 'sigmoid', d: (x) => sigmoid64(x) * sigmoid64(-x), inherent: fromOutput('sigmoid', (y) => Math.abs(1 - 2 * y)), lo: -80, hi: 30 },
  { name: 'softplus', d: sigmoid64, lo: -80, hi: 30 },
  { name: 'elu', d: (x) => (x > 0 ? 1 : Math.exp(x)), inherent: fromOutput('elu', () => 1), lo: -20, hi: 5 },
  { name: 'selu', d: (x) => (x > 0 ? SELU_SCALE : SELU_SCALE_ALPHA * Math.exp(x)), inherent: fromOutput('selu', () => 1), lo: -20, hi: 5 },
  { name: 'erf', d: (x) => TWO_OVER_SQRT_PI * Math.exp(-x * x), inherent: (x, _y, r) => Math.abs(r) * ulpAt(x * x) / 2, lo: -5, hi: 5 },
  // gelu' = Φ + x·φ: the two terms cancel near x = −0.75 (gelu's minimum), so their own errors (Φ's
  // forward bound, an ulp of x·φ) are inherited, as by TF's gradient of the same formula
  { name: 'gelu', d: (x) => phi64(x) + x * normalPdf(x), inherent: (x) => forwardUlps('gelu') * ulpAt(phi64(x)) + Math.abs(x) * 2 ** -24 + ulpAt(x * normalPdf(x)), lo: -12, hi: 12 },
  { name: 'sin', d: Math.cos, lo: -10, hi: 10 },
  { name: 'cos', d: (x) => -Math.sin(x), lo: -10, hi: 10 },
  { name: 'tan', d: (x) => 1 + Math.tan(x) ** 2, inherent: fromOutput('tan', (y) => 2 * Math.abs(y)), lo: -1.5, hi: 1.5 },
];

describe('one-pass gradients (unaryGrad) against float64 derivatives', () => {
  for (const { name, d, inherent, lo, hi } of DERIVATIVES) {
    it(`${name}: d sum(${name}(x))/dx within 4 ulp${inherent ? ' plus the error inherited from its rounded inputs' : ''}`, () => {
      const n = 20001;
      const xs = Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
      const ys = run(name, xs);
      const g = tidy(() => {
        const x = tensor(xs);
        const t = tape((t) => { t.watch(x); return sum(gt[name](x) as Tensor); });
        return t.gradient(t.result, x)!.data() as Float32Array;
      });
      let worst = 0, worstAt = 0;
      for (let i = 0; i < n; i++) {
        const x = xs[i]!, r = d(x);
        const allowed = 4 * ulpAt(r) + (inherent ? inherent(x, ys[i]!, r) : 0);
        const err = Math.abs(g[i]! - r) / allowed;
        if (!(err <= worst)) { worst = err; worstAt = x; }
      }
      expect(worst, `${name}': worst ${worst.toFixed(2)} of the allowance at x = ${worstAt}`).toBeLessThanOrEqual(1);
    });
  }
});

describe('gradients of the one-pass gradients', () => {
  const xs = [-2.5, -1.2, -0.3, 0.1, 0.7, 1.9];
  const near = (got: number[], want: (x: number) => number, label: string) =>
    xs.forEach((x, i) => expect(Math.abs(got[i]! - want(x)), `${label} at ${x}: ${got[i]} vs ${want(x)}`).toBeLessThanOrEqual(2e-5 * (1 + Math.abs(want(x)))));

  it('third derivatives of tanh, sigmoid, softplus, erf, gelu, sin match their closed forms', () => {
    near(nthDerivative((x) => gt.tanh(x), xs, 3), (x) => { const t = Math.tanh(x); return -2 * (1 - t * t) * (1 - 3 * t * t); }, 'tanh\'\'\'');
    near(nthDerivative((x) => gt.sigmoid(x), xs, 3), (x) => { const s = sigmoid64(x); return s * (1 - s) * (1 - 6 * s + 6 * s * s); }, 'sigmoid\'\'\'');
    near(nthDerivative((x) => gt.softplus(x), xs, 3), (x) => { const s = sigmoid64(x); return s * (1 - s) * (1 - 2 * s); }, 'softplus\'\'\'');
    near(nthDerivative((x) => gt.erf(x), xs, 3), (x) => TWO_OVER_SQRT_PI * (4 * x * x - 2) * Math.exp(-x * x), 'erf\'\'\'');
    near(nthDerivative((x) => gt.gelu(x), xs, 3), (x) => x * normalPdf(x) * (x * x - 4), 'gelu\'\'\'');
    near(nthDerivative((x) => gt.sin(x), xs, 3), (x) => -Math.cos(x), 'sin\'\'\'');
  });

  it('second derivatives through a chain, where the upstream gradient itself depends on x', () => {
    // d²/dx² tanh(sigmoid(x)) and log1p(expm1(x)·x... ): the dy input of the inner unaryGrad is watched
    near(nthDerivative((x) => gt.tanh(gt.sigmoid(x)), xs, 2), (x) => {
      const s = sigmoid64(x), ds = s * (1 - s), dds = ds * (1 - 2 * s), t = Math.tanh(s);
      return (1 - t * t) * dds - 2 * t * (1 - t * t) * ds * ds;
    }, 'tanh∘sigmoid\'\'');
    near(nthDerivative((x) => gt.elu(gt.cos(x)), xs, 2), (x) => {
      const c = Math.cos(x), e = c > 0 ? 1 : Math.exp(c), de = c > 0 ? 0 : Math.exp(c);
      return de * Math.sin(x) ** 2 - e * c;
    }, 'elu∘cos\'\'');
    near(nthDerivative((x) => gt.log1p(gt.expm1(gt.mul(x, 0.5))), xs, 2), () => 0, 'log1p∘expm1\'\''); // = x/2, linear
    // the derivative that softplus, erf and gelu store in their forward pass, inside a chain
    near(nthDerivative((x) => gt.gelu(gt.erf(x)), xs, 2), (x) => {
      const e = erf64(x), de = TWO_OVER_SQRT_PI * Math.exp(-x * x), dde = -2 * x * de;
      return (phi64(e) + e * normalPdf(e)) * dde + normalPdf(e) * (2 - e * e) * de * de;
    }, 'gelu∘erf\'\'');
  });

  it('forward mode through the stored derivatives: jvp of softplus, erf, gelu and of their gradients', () => {
    const closed = {
      softplus: [sigmoid64, (x: number) => sigmoid64(x) * sigmoid64(-x)],
      erf: [(x: number) => TWO_OVER_SQRT_PI * Math.exp(-x * x), (x: number) => -2 * x * TWO_OVER_SQRT_PI * Math.exp(-x * x)],
      gelu: [(x: number) => phi64(x) + x * normalPdf(x), (x: number) => normalPdf(x) * (2 - x * x)],
    } as const;
    const tangent = xs.map((_, i) => 0.5 + i / 4);
    for (const [name, [d1, d2]] of Object.entries(closed)) tidy(() => {
      const x = tensor(xs), v = tensor(tangent);
      const acc = new ForwardAccumulator(x, v);
      const y = acc.record(() => gt[name as keyof typeof closed](x));
      const jvp = acc.jvp(y)!.data() as Float32Array;
      xs.forEach((xi, i) => expect(Math.abs(jvp[i]! - d1(xi) * tangent[i]!), `${name} jvp at ${xi}`).toBeLessThanOrEqual(2e-6));
      // forward over backward: the jvp of the gradient is the second derivative along the tangent
      const acc2 = new ForwardAccumulator(x, v);
      const g = acc2.record(() => { const t = tape((t) => { t.watch(x); return sum(gt[name as keyof typeof closed](x)); }); return t.gradient(t.result, x)!; });
      const hvp = acc2.jvp(g)!.data() as Float32Array;
      xs.forEach((xi, i) => expect(Math.abs(hvp[i]! - d2(xi) * tangent[i]!), `${name} Hessian-vector product at ${xi}`).toBeLessThanOrEqual(2e-5 * (1 + Math.abs(d2(xi) * tangent[i]!))));
      acc.dispose(); acc2.dispose();
    });
  });
});

describe('pow (f32x4, float64 lanes inside) against float64 Math.pow with C\'s special cases', () => {
  /** C99's pow where it differs from JS's Math.pow: pow(1, y) = 1 and pow(−1, ±Inf) = 1. */
  const powC = (a: number, b: number) => (a === 1 || (a === -1 && Math.abs(b) === Infinity) ? 1 : Math.pow(a, b));
  const powOf = (xs: Float32Array, ys: Float32Array) => tidy(() => gt.pow(tensor(xs), tensor(ys)).data() as Float32Array);
  /** Worst ulp error over the pairs (NaN, ±Inf, overflow and exact zeros must match the rounded reference exactly). */
  function worstUlps(xs: Float32Array, ys: Float32Array): { worst: number; at: string } {
    const got = powOf(xs, ys);
    let worst = 0, at = '';
    for (let i = 0; i < xs.length; i++) {
      const r = powC(xs[i]!, ys[i]!), r32 = Math.fround(r);
      if (Number.isNaN(r) || !Number.isFinite(r32) || r32 === 0) {
        if (!Object.is(got[i], r32)) expect.fail(`pow(${xs[i]}, ${ys[i]}) = ${got[i]}, want ${r32}`);
        continue;
      }
      const err = Math.abs(got[i]! - r) / ulpAt(r);
      if (!(err <= worst)) { worst = err; at = `pow(${xs[i]}, ${ys[i]}) = ${got[i]}, want ${r}`; }
    }
    return { worst, at };
  }
  const rng = (seed: number) => () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);

  it('within 0.75 ulp (0.58 seen) over every binade of x (both signs) with integral, half-integral and other exponents, results from denormal to overflow', () => {
    const next = rng(1), xs: number[] = [], ys: number[] = [];
    // x: 2^16 bit patterns across all binades, both signs; y: integers, halves and random values
    // scaled so that y·log2|x| covers [−150, 128] (results from the denormals to overflow)
    const sweep = 1 << 16;
    for (let i = 0; i < sweep; i++) {
      u32[0] = Math.floor((i * 0x7f7fffff) / (sweep - 1));
      const x = (i & 1 ? -1 : 1) * f32[0]!, l = Math.abs(Math.log2(Math.abs(x))) || 1;
      for (const y of [Math.round((next() - 0.5) * 20), Math.round((next() - 0.5) * 40) / 2, (next() - 0.5) * 2 * Math.min(300 / l, 1e4), (next() - 0.5) * 6]) {
        xs.push(x); ys.push(y);
      }
    }
    // x near 1 with large |y| (where y·log x needs its extra precision), and exact powers of two
    for (let i = 0; i < 1 << 16; i++) {
      const x = 1 + (next() - 0.5) * 2 ** -(next() * 20), y = (next() - 0.5) * 2 * Math.min(150 / Math.abs(Math.log2(x) || 1e-30), 1e7);
      xs.push(x); ys.push(y);
      xs.push(2 ** Math.round((next() - 0.5) * 250)); ys.push(Math.round((next() - 0.5) * 4));
    }
    const { worst, at } = worstUlps(Float32Array.from(xs), Float32Array.from(ys));
    expect(worst, `worst ${worst.toFixed(3)} ulp at ${at}`).toBeLessThanOrEqual(0.75);
  });

  it('IEEE/C99 special cases exactly: signed zeros, infinities, NaN, ±1, odd and even integers, non-integers', () => {
    const xs: number[] = [], ys: number[] = [];
    const xv = [0, -0, 1, -1, 2, -2, 0.5, -0.5, 3, -3, Infinity, -Infinity, NaN, 2 ** -149, -(2 ** -149), 3.4028235e38, -3.4028235e38];
    const yv = [0, -0, 1, -1, 2, -2, 3, -3, 0.5, -0.5, 2.5, -2.5, 1e-30, 2 ** 24 + 2, 2 ** 23 + 1, -(2 ** 23 + 1), 3.4028235e38, Infinity, -Infinity, NaN];
    for (const x of xv) for (const y of yv) { xs.push(x); ys.push(y); }
    const got = powOf(Float32Array.from(xs), Float32Array.from(ys));
    xs.forEach((x, i) => {
      const want = Math.fround(powC(x, ys[i]!));
      // exact where C's pow is exact (NaN, ±Inf, signed zeros, ±1, small integral powers); within an ulp elsewhere
      if (Number.isNaN(want) || !Number.isFinite(want) || want === 0 || (Number.isInteger(want) && Math.abs(want) <= 2 ** 24)) expect(got[i], `pow(${x}, ${ys[i]})`).toBe(want);
      else expect(Math.abs(got[i]! - powC(x, ys[i]!)) / ulpAt(want), `pow(${x}, ${ys[i]})`).toBeLessThanOrEqual(1);
    });
  });

  it('one result wherever the element sits: vector body, padded tail, a single pair, a broadcast exponent; x·x, 1/x, √x for 2, −1, ½', () => {
    const next = rng(7);
    const xs = Float32Array.from({ length: 37 }, () => (next() - 0.3) * 10), ys = Float32Array.from({ length: 37 }, (_, i) => (i % 3 ? (next() - 0.5) * 8 : Math.round((next() - 0.5) * 8)));
    const whole = powOf(xs, ys);
    for (let i = 0; i < xs.length; i++) {
      const single = tidy(() => gt.pow(tensor(xs[i]!), tensor(ys[i]!)).item());
      expect(single, `pow(${xs[i]}, ${ys[i]}) alone`).toBe(whole[i]);
      const broadcast = tidy(() => (gt.pow(tensor(xs), ys[i]!).data() as Float32Array)[i]);
      expect(broadcast, `pow(x, ${ys[i]}) broadcast`).toBe(whole[i]);
    }
    for (let n = 1; n <= 7; n++) expect(Array.from(powOf(xs.subarray(8, 8 + n), ys.subarray(8, 8 + n))), `n = ${n}`).toEqual(Array.from(whole.subarray(8, 8 + n)));
    // the entry's loop for a scalar 2, −1 or ½ and the general kernel agree, both correctly rounded
    const special = Float32Array.from([...xs, 0, -0, Infinity, -Infinity, NaN, 2 ** -149, -(2 ** -149), 3.4028235e38]);
    for (const [e, f] of [[2, (x: number) => x * x], [-1, (x: number) => 1 / x], [0.5, (x: number) => (x === -Infinity ? Infinity : Math.sqrt(x) + 0)]] as const) {
      const byScalar = tidy(() => gt.pow(tensor(special), e).data() as Float32Array);
      const byTensor = powOf(special, new Float32Array(special.length).fill(e));
      special.forEach((x, i) => {
        expect(byScalar[i], `pow(${x}, ${e})`).toBe(Math.fround(f(x)));
        expect(byTensor[i], `pow(${x}, ${e}), the exponent a tensor`).toBe(Math.fround(f(x)));
      });
    }
  });
});

describe('atan2 (f32x4 kernel in the extra module) against float64 Math.atan2', () => {
  const atan2Of = (ys: Float32Array, xs: Float32Array) => tidy(() => gt.atan2(tensor(ys), tensor(xs)).data() as Float32Array);
  const rng = (seed: number) => () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);

  it('within 2 ulp (1.64 seen) around the circle, over every binade of y and x, and where x + y would overflow', () => {
    const next = rng(3), ys: number[] = [], xs: number[] = [];
    for (let i = 0; i < 1 << 17; i++) { const a = next() * 2 * Math.PI, r = 0.5 + next(); ys.push(r * Math.sin(a)); xs.push(r * Math.cos(a)); }
    for (let i = 0; i < 1 << 17; i++) { ys.push((next() - 0.5) * 2 ** ((next() - 0.5) * 300)); xs.push((next() - 0.5) * 2 ** ((next() - 0.5) * 300)); }
    for (let i = 0; i < 1 << 14; i++) { ys.push((next() - 0.5) * 2 ** 128); xs.push((next() - 0.5) * 2 ** 128); }
    // around the branches' edges: |y|/|x| near ½, 1 and 2
    for (let i = 0; i < 1 << 14; i++) { const x = (next() - 0.5) * 8, q = [0.5, 1, 2][i % 3]! * (1 + (next() - 0.5) * 1e-5); ys.push(x * q); xs.push(x); }
    const y32 = Float32Array.from(ys), x32 = Float32Array.from(xs), got = atan2Of(y32, x32);
    let worst = 0, at = '';
    for (let i = 0; i < y32.length; i++) {
      const r = Math.atan2(y32[i]!, x32[i]!);
      if (r === 0 || Math.abs(r) < 2 ** -126) { expect(Math.abs(got[i]! - r), `atan2(${y32[i]}, ${x32[i]})`).toBeLessThanOrEqual(2 ** -149); continue; }
      const err = Math.abs(got[i]! - r) / ulpAt(r);
      if (!(err <= worst)) { worst = err; at = `atan2(${y32[i]}, ${x32[i]}) = ${got[i]}, want ${r}`; }
    }
    expect(worst, `worst ${worst.toFixed(2)} ulp at ${at}`).toBeLessThanOrEqual(2);
  });

  it('IEEE/C special cases exactly, as Math.atan2 rounded: signed zeros, infinities, NaN, denormals, the largest floats', () => {
    const v = [0, -0, 1, -1, Infinity, -Infinity, NaN, 2 ** -149, -(2 ** -149), 3.4028235e38, -3.4028235e38, 2.5, -2.5];
    const ys: number[] = [], xs: number[] = [];
    for (const y of v) for (const x of v) { ys.push(y); xs.push(x); }
    const got = atan2Of(Float32Array.from(ys), Float32Array.from(xs));
    ys.forEach((y, i) => {
      const want = Math.atan2(y, xs[i]!), quarters = want / (Math.PI / 4);
      // exact where C's result is NaN, ±0 or a multiple of π/4 (the special cases), within 2 ulp elsewhere
      if (Number.isNaN(want) || Number.isInteger(quarters)) expect(got[i], `atan2(${y}, ${xs[i]})`).toBe(Math.fround(want));
      else expect(Math.abs(got[i]! - want) / ulpAt(want), `atan2(${y}, ${xs[i]})`).toBeLessThanOrEqual(2);
    });
  });

  it('one result wherever the element sits (vector body, padded tail, broadcast), and atan, asin, acos through it', () => {
    const next = rng(9), ys = Float32Array.from({ length: 23 }, () => (next() - 0.5) * 6), xs = Float32Array.from({ length: 23 }, () => (next() - 0.5) * 6);
    const whole = atan2Of(ys, xs);
    for (let n = 1; n <= 7; n++) expect(Array.from(atan2Of(ys.subarray(4, 4 + n), xs.subarray(4, 4 + n))), `n = ${n}`).toEqual(Array.from(whole.subarray(4, 4 + n)));
    ys.forEach((y, i) => {
      expect(tidy(() => gt.atan2(y, tensor(xs)).data()[i]), `atan2(${y}, x[${i}]) broadcast`).toBe(whole[i]);
      expect(tidy(() => gt.atan(tensor(y)).item()), `atan(${y})`).toBe(tidy(() => gt.atan2(y, 1).item()));
    });
  });
});
