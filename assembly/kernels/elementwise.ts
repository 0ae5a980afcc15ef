// The elementwise kernels: unary maps (f32x4 loops for the hot ops and the transcendental ones),
// the one-pass gradients of unary ops, and broadcasting binary ops walking a Plan. Pure: pointers,
// counts and a scratch pointer in, results out; op codes choose the function (explicit lists, never
// ranges of codes).
import { Op, DType } from "../../build/generated/opcodes";
import { Plan } from "./broadcast";
import { Math4, SINCOS_SCRATCH, SELU_ALPHA, SELU_SCALE } from "./mathx4";

// Size rule: the cheap float32 ops that dominate training get an f32x4 loop each (binary add, sub,
// mul, div, maximum, minimum; unary neg, abs, square, sqrt, relu, step). So do the common
// transcendental ones (exp, log and log1p, tanh, sigmoid and softplus: mathLoop) and the one-pass
// gradients of relu, tanh, sigmoid and erf (gradLoop), with mathx4.ts's functions inlined; the
// rarer ones (expm1, elu, selu, erf, sin, cos, tan) share one f32x4 loop each way with a switch per
// four floats. The rest runs through one scalar loop per element kind with a `switch (op)` per
// element.

/** Scratch bytes the unary and gradient kernels need: three padded tail vectors and sincos's room. */
export const MATH_SCRATCH: usize = 48 + SINCOS_SCRATCH;

// ---- unary ----
@inline function unaryF(op: i32, x: f32, p: f32): f32 {
  switch (op) {
    case Op.Neg: return -x;
    case Op.Abs: return Mathf.abs(x);
    case Op.Sign: return x > 0 ? 1 : x < 0 ? -1 : x;
    case Op.Square: return x * x;
    case Op.Sqrt: return Mathf.sqrt(x);
    case Op.Rsqrt: return 1 / Mathf.sqrt(x);
    case Op.Relu: return x > 0 ? x : 0;
    case Op.Relu6: return x > 0 ? (x < 6 ? x : 6) : 0;
    case Op.LeakyRelu: return x > 0 ? x : x * p;
    case Op.Reciprocal: return 1 / x;
    case Op.Floor: return Mathf.floor(x);
    case Op.Ceil: return Mathf.ceil(x);
    case Op.Round: return nearest<f32>(x);
    case Op.Step: return x > 0 ? 1 : 0;
  }
  return x;
}
@inline function unaryI(op: i32, x: i32): i32 {
  switch (op) {
    case Op.Neg: return -x;
    case Op.Abs: return x < 0 ? -x : x;
    case Op.Sign: return x > 0 ? 1 : x < 0 ? -1 : 0;
    case Op.Square: return x * x;
    case Op.LogicalNot: return <i32>(x == 0);
  }
  return x;
}

// f32x4 functors of the hot ops
class VNeg { @inline v(x: v128): v128 { return f32x4.neg(x); } }
class VAbs { @inline v(x: v128): v128 { return f32x4.abs(x); } }
class VSquare { @inline v(x: v128): v128 { return f32x4.mul(x, x); } }
class VSqrt { @inline v(x: v128): v128 { return f32x4.sqrt(x); } }
class VRelu { @inline v(x: v128): v128 { return f32x4.pmax(x, f32x4.splat(0)); } }
class VStep { @inline v(x: v128): v128 { return v128.and(f32x4.gt(x, f32x4.splat(0)), f32x4.splat(1)); } }
@inline function vmap<F>(s: usize, d: usize, n: i32): i32 {
  let i = 0;
  for (; i + 4 <= n; i += 4) { const k = <usize>i << 2; v128.store(d + k, changetype<F>(0).v(v128.load(s + k))); }
  return i;
}

/** Unary `op` (no math op with a derivative output: see mapMath) of the n floats at s into d. */
export function unaryFloat(op: i32, s: usize, d: usize, n: i32, param: f32, scratch: usize): void {
  let i = 0;
  switch (op) {
    case Op.Neg: i = vmap<VNeg>(s, d, n); break;
    case Op.Abs: i = vmap<VAbs>(s, d, n); break;
    case Op.Square: i = vmap<VSquare>(s, d, n); break;
    case Op.Sqrt: i = vmap<VSqrt>(s, d, n); break;
    case Op.Relu: i = vmap<VRelu>(s, d, n); break;
    case Op.Step: i = vmap<VStep>(s, d, n); break;
    case Op.Identity: memory.copy(d, s, <usize>n << 2); i = n; break;
    default: if (isMathOp(op)) i = mapMath(op, s, d, n, d, scratch);
  }
  for (; i < n; i++) { const k = <usize>i << 2; store<f32>(d + k, unaryF(op, load<f32>(s + k), param)); }
}
/** Unary `op` of the n int32s (4 bytes each) or bools (1 byte) at s into d. */
export function unaryInt(op: i32, s: usize, d: usize, n: i32, isBool: bool): void {
  if (isBool) for (let i = 0; i < n; i++) store<u8>(d + i, <u8>unaryI(op, load<u8>(s + i)));
  else for (let i = 0; i < n; i++) { const k = <usize>i << 2; store<i32>(d + k, unaryI(op, load<i32>(s + k))); }
}

// The transcendental ops run f32x4 throughout (mathx4.ts). exp, log and log1p, tanh, erf, sigmoid,
// softplus and gelu have a loop each with their math inlined: in one loop with a switch and a call
// per vector, exp, log and tanh measured 15–45 % slower (V8 overlaps the iterations of a straight
// loop body, not of calls). The rarer ones share that loop. n is a multiple of 4 in the loops: the
// last 1–3 floats run through the same loop in a zero-padded vector (in scratch), so no result
// depends on where its element sits.
/** Bytes per block of the sigmoid/softplus loop's two passes (in L1 between the passes). */
const MATH_BLOCK: usize = 1024;
// (element by element: V8 makes memory.copy a call out of the module, which showed on scalar programs)
/** The n − i (1–3) floats at p[i..n) as a zero-padded vector (through `buf`). */
function loadTail(p: usize, i: i32, n: i32, buf: usize): v128 {
  v128.store(buf, i32x4.splat(0));
  for (let j = i; j < n; j++) store<u32>(buf + (<usize>(j - i) << 2), load<u32>(p + (<usize>j << 2)));
  return v128.load(buf);
}
/** Stores the first n − i lanes of v at p[i..n) (through `buf`). */
function storeTail(p: usize, i: i32, n: i32, v: v128, buf: usize): void {
  v128.store(buf, v);
  for (let j = i; j < n; j++) store<u32>(p + (<usize>j << 2), load<u32>(buf + (<usize>(j - i) << 2)));
}
/** The ops of the shared loop. */
@inline function mathX4(op: i32, x: v128, scratch: usize): v128 {
  switch (op) {
    case Op.Expm1: return Math4.expm1(x);
    case Op.Elu: return Math4.elu(x);
    case Op.Selu: return Math4.selu(x);
  }
  const sin = Math4.sincos(x, scratch); // sin, cos, tan
  return op == Op.Sin ? sin : op == Op.Cos ? v128.load(scratch) : f32x4.div(sin, v128.load(scratch));
}
/** The ops mapMath computes. */
export function isMathOp(op: i32): bool {
  switch (op) {
    case Op.Exp: case Op.Expm1: case Op.Log: case Op.Log1p: case Op.Sin: case Op.Cos: case Op.Tan: case Op.Tanh:
    case Op.Sigmoid: case Op.Elu: case Op.Selu: case Op.Softplus: case Op.Erf: case Op.Gelu: return true;
  }
  return false;
}
class MExp { @inline v(x: v128): v128 { return Math4.exp(x); } }
class MTanh { @inline v(x: v128): v128 { return Math4.tanh(x); } }
/**
 * `op` of the n floats at s into d. softplus, erf and gelu also store their derivative at ps, from
 * the same exponential (σ(x) from softplus's e^−|x|, 2/√π·e^(−x²) from erf's, Φ(x) + x·φ(x) from
 * gelu's e^(−x²/2)); ps is d unless a tape records the op (the result is stored last, so it wins).
 * `scratch`: MATH_SCRATCH bytes.
 */
export function mapMath(op: i32, s: usize, d: usize, n: i32, ps: usize, scratch: usize): i32 {
  const whole = n & ~3;
  mathLoop(op, s, d, whole, ps, scratch + 48);
  if (whole < n) {
    const tailA = scratch, tailB = scratch + 16, tailC = scratch + 32;
    loadTail(s, whole, n, tailA);
    mathLoop(op, tailA, tailB, 4, tailC, scratch + 48);
    const y = v128.load(tailB);
    if (ps != d) storeTail(ps, whole, n, v128.load(tailC), tailA);
    storeTail(d, whole, n, y, tailA);
  }
  return n;
}
/** mapMath's loops, on n floats (a multiple of 4). */
function mathLoop(op: i32, s: usize, d: usize, n: i32, ps: usize, scratch: usize): void {
  switch (op) {
    case Op.Exp: vmap<MExp>(s, d, n); return;
    case Op.Log: case Op.Log1p: {
      const log1p = op == Op.Log1p;
      for (let k: usize = 0; k < (<usize>n << 2); k += 16) v128.store(d + k, Math4.logOrLog1p(v128.load(s + k), log1p));
      return;
    }
    case Op.Tanh: vmap<MTanh>(s, d, n); return;
    case Op.Sigmoid: case Op.Softplus: {
      // Two passes over blocks that stay in L1: e = e^−|x| into d, then σ (and softplus) from x and
      // e. Fused into one pass (the same operations) softplus measured ~25 % slower: the chain of
      // dependent operations from a vector's load to its store doubles, and the CPU's out-of-order
      // window then holds fewer vectors in flight.
      const softplus = op == Op.Softplus, end = <usize>n << 2;
      for (let b: usize = 0; b < end; b += MATH_BLOCK) {
        const stop = min(b + MATH_BLOCK, end);
        for (let k = b; k < stop; k += 16) v128.store(d + k, Math4.expNegAbs(v128.load(s + k)));
        for (let k = b; k < stop; k += 16) {
          const x = v128.load(s + k), e = v128.load(d + k), sig = Math4.sigmoidFrom(x, e);
          v128.store(ps + k, sig);
          v128.store(d + k, softplus ? Math4.softplusFrom(x, e) : sig);
        }
      }
      return;
    }
    case Op.Erf: case Op.Gelu: {
      // the same two passes: q into d (e^(−x²) for erf, e^(−x²/2) for gelu: x² rounds once, as
      // in TF's erf gradient), then the op and its derivative from x and q (mathx4.ts: the normal tail)
      const erf = op == Op.Erf, factor = f32x4.splat(erf ? -1 : -0.5), end = <usize>n << 2;
      for (let b: usize = 0; b < end; b += MATH_BLOCK) {
        const stop = min(b + MATH_BLOCK, end);
        for (let k = b; k < stop; k += 16) {
          const x = v128.load(s + k);
          v128.store(d + k, Math4.expNonPositive(f32x4.mul(f32x4.mul(x, x), factor)));
        }
        for (let k = b; k < stop; k += 16) {
          const x = v128.load(s + k), q = v128.load(d + k);
          if (erf) {
            v128.store(ps + k, f32x4.mul(q, f32x4.splat(1.1283791670955126))); // 2/√π·e^(−x²)
            v128.store(d + k, Math4.erfFrom(x, q));
          } else {
            const phi = Math4.geluPhi(x, q);
            v128.store(ps + k, Math4.geluDerivative(x, q, phi));
            v128.store(d + k, f32x4.mul(x, phi));
          }
        }
      }
      return;
    }
  }
  for (let k: usize = 0; k < (<usize>n << 2); k += 16) v128.store(d + k, mathX4(op, v128.load(s + k), scratch));
}

// ---- one-pass gradients of unary ops ----
/**
 * dy·f'(a) for the ops whose derivative mathx4 computes (a: the op's output y for expm1, tanh,
 * sigmoid, elu, selu, tan; its input x for log1p, erf, sin, cos, relu), n floats at pa and pd into
 * po. `scratch`: MATH_SCRATCH bytes.
 */
export function unaryGradKernel(op: i32, pa: usize, pd: usize, po: usize, n: i32, scratch: usize): void {
  const whole = n & ~3;
  gradLoop(op, pa, pd, po, whole, scratch + 48);
  if (whole < n) {
    const tailA = scratch, tailB = scratch + 16, tailC = scratch + 32;
    loadTail(pa, whole, n, tailB); loadTail(pd, whole, n, tailC);
    gradLoop(op, tailB, tailC, tailB, 4, scratch + 48);
    storeTail(po, whole, n, v128.load(tailB), tailA);
  }
}
/**
 * unaryGrad's loops, on n floats (a multiple of 4). relu, tanh and sigmoid (the common activations)
 * and erf have a loop each: in the shared one, with its switch per vector, they measured ~2× the
 * time of a multiply (V8 keeps values on the stack across the switch), erf 1.5× its own loop's.
 */
function gradLoop(op: i32, pa: usize, pd: usize, po: usize, n: i32, scratch: usize): void {
  switch (op) {
    case Op.Relu: vmap2<GRelu>(pa, pd, po, n); return;
    case Op.Tanh: vmap2<GTanh>(pa, pd, po, n); return;
    case Op.Sigmoid: vmap2<GSigmoid>(pa, pd, po, n); return;
    case Op.Erf: vmap2<GErf>(pa, pd, po, n); return;
  }
  for (let k: usize = 0; k < (<usize>n << 2); k += 16) v128.store(po + k, gradX4(op, v128.load(pa + k), v128.load(pd + k), scratch));
}
@inline function vmap2<F>(pa: usize, pb: usize, po: usize, n: i32): void {
  for (let k: usize = 0; k < (<usize>n << 2); k += 16) v128.store(po + k, changetype<F>(0).v(v128.load(pa + k), v128.load(pb + k)));
}
// dy·f'(x): relu's is a select, not dy·step(x), so a NaN dy where x ≤ 0 gives 0 (TF's ReluGrad)
class GRelu { @inline v(a: v128, dy: v128): v128 { return v128.and(dy, f32x4.gt(a, f32x4.splat(0))); } }
class GTanh { @inline v(a: v128, dy: v128): v128 { return f32x4.mul(dy, f32x4.sub(f32x4.splat(1), f32x4.mul(a, a))); } }  // 1 − y²
class GSigmoid { @inline v(a: v128, dy: v128): v128 { return f32x4.mul(dy, f32x4.mul(a, f32x4.sub(f32x4.splat(1), a))); } } // y(1 − y)
class GErf { @inline v(a: v128, dy: v128): v128 { return f32x4.mul(dy, f32x4.mul(Math4.expNonPositive(f32x4.neg(f32x4.mul(a, a))), f32x4.splat(1.1283791670955126))); } } // 2/√π·e^(−x²)
@inline function gradX4(op: i32, a: v128, dy: v128, scratch: usize): v128 {
  const one = f32x4.splat(1), positive = f32x4.gt(a, f32x4.splat(0));
  let f: v128; // f'(x)
  switch (op) {
    case Op.Expm1: f = f32x4.add(a, one); break;                              // e^x = y + 1
    case Op.Log1p: return f32x4.div(dy, f32x4.add(a, one));
    case Op.Elu: f = v128.bitselect(one, f32x4.add(a, one), positive); break; // y > 0 exactly where x > 0
    case Op.Selu: f = v128.bitselect(f32x4.splat(SELU_SCALE), f32x4.add(a, f32x4.splat(SELU_SCALE * SELU_ALPHA)), positive); break;
    case Op.Tan: f = f32x4.add(f32x4.mul(a, a), one); break;                  // 1 + y²
    default: // sin, cos
      const sin = Math4.sincos(a, scratch);
      f = op == Op.Sin ? v128.load(scratch) : f32x4.neg(sin);
  }
  return f32x4.mul(dy, f);
}

// ---- binary ----
@inline function binF(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case Op.Add: return a + b;
    case Op.Sub: return a - b;
    case Op.Mul: return a * b;
    case Op.Div: return a / b;
    case Op.Pow: return f32x4.extract_lane(Math4.pow(f32x4.splat(a), f32x4.splat(b)), 0); // the f32x4 code: one result wherever the element sits
    case Op.Maximum: return a >= b || a != a ? a : b;
    case Op.Minimum: return a <= b || a != a ? a : b;
    case Op.Mod: return a - Mathf.floor(a / b) * b;
  }
  return Mathf.floor(a / b);
}
@inline function binI(op: i32, a: i32, b: i32): i32 {
  switch (op) {
    case Op.Add: return a + b;
    case Op.Sub: return a - b;
    case Op.Mul: return a * b;
    case Op.Maximum: return a >= b ? a : b;
    case Op.Minimum: return a <= b ? a : b;
  }
  if (b == 0) return 0;
  if (op == Op.Mod) {
    const r = a % b;
    return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
  }
  if (b == -1) return -a; // avoids the INT_MIN / -1 trap
  const q = a / b;
  return (q * b != a && ((a < 0) != (b < 0))) ? q - 1 : q;
}
/** Comparisons and logical ops; float32, int32 and bool all convert to f64 exactly. */
@inline function cmp(op: i32, a: f64, b: f64): u8 {
  switch (op) {
    case Op.Equal: return <u8>(a == b);
    case Op.NotEqual: return <u8>(a != b);
    case Op.Greater: return <u8>(a > b);
    case Op.GreaterEqual: return <u8>(a >= b);
    case Op.Less: return <u8>(a < b);
    case Op.LessEqual: return <u8>(a <= b);
    case Op.LogicalAnd: return <u8>(a != 0 && b != 0);
  }
  return <u8>(a != 0 || b != 0);
}
@inline function loadF64(p: usize, i: usize, dtype: i32): f64 {
  if (dtype == DType.Float32) return <f64>load<f32>(p + (i << 2));
  if (dtype == DType.Int32) return <f64>load<i32>(p + (i << 2));
  return <f64>load<u8>(p + i);
}

class VAdd { @inline v(a: v128, b: v128): v128 { return f32x4.add(a, b); } }
class VSub { @inline v(a: v128, b: v128): v128 { return f32x4.sub(a, b); } }
class VMul { @inline v(a: v128, b: v128): v128 { return f32x4.mul(a, b); } }
class VDiv { @inline v(a: v128, b: v128): v128 { return f32x4.div(a, b); } }
class VPow { @inline v(a: v128, b: v128): v128 { return Math4.pow(a, b); } }
// exactly the scalar rule: a wins ties and NaNs
class VMax { @inline v(a: v128, b: v128): v128 { return v128.bitselect(a, b, v128.or(f32x4.ge(a, b), f32x4.ne(a, a))); } }
class VMin { @inline v(a: v128, b: v128): v128 { return v128.bitselect(a, b, v128.or(f32x4.le(a, b), f32x4.ne(a, a))); } }
/**
 * One float op over `rows` rows of a plan (positioned by the caller: rows() or seek), with f32x4
 * loops for rows whose strides allow them.
 * One function per op on purpose: V8 compiled a single function holding all six ops' f32x4 loops
 * (or a loop per op reached through a function of its own) up to 1.5-1.8x slower, measured.
 */
function binRowsF<F>(op: i32, plan: Plan, pa: usize, pb: usize, po: usize, rows: i32): void {
  const n = plan.runN, sa = plan.runStrideA, sb = plan.runStrideB;
  const f = changetype<F>(0);
  for (let row = 0; row < rows; row++) {
    const a = pa + (<usize>plan.rowA << 2), b = pb + (<usize>plan.rowB << 2);
    let i = 0;
    if (sa == 1 && sb == 1) {
      for (; i + 4 <= n; i += 4) { const k = <usize>i << 2; v128.store(po + k, f.v(v128.load(a + k), v128.load(b + k))); }
    } else if (sa == 0 && sb == 1) { // a broadcast along the row: its splat stays in a register
      const va = v128.load32_splat(a);
      for (; i + 4 <= n; i += 4) { const k = <usize>i << 2; v128.store(po + k, f.v(va, v128.load(b + k))); }
    } else if (sa == 1 && sb == 0) {
      const vb = v128.load32_splat(b);
      for (; i + 4 <= n; i += 4) { const k = <usize>i << 2; v128.store(po + k, f.v(v128.load(a + k), vb)); }
    }
    scalarRow(op, DType.Float32, a, b, po, i, n, sa, sb);
    po += <usize>n << 2;
    plan.nextRow();
  }
}

/** Elements i..n of one row: out[i] = op(a[i·sa], b[i·sb]) for inputs of `dtype`. */
function scalarRow(op: i32, dtype: i32, a: usize, b: usize, o: usize, i: i32, n: i32, sa: i32, sb: i32): void {
  if (isComparison(op)) {
    for (; i < n; i++) store<u8>(o + i, cmp(op, loadF64(a, <usize>(i * sa), dtype), loadF64(b, <usize>(i * sb), dtype)));
  } else if (dtype == DType.Int32) {
    for (; i < n; i++) store<i32>(o + (<usize>i << 2), binI(op, load<i32>(a + (<usize>(i * sa) << 2)), load<i32>(b + (<usize>(i * sb) << 2))));
  } else {
    for (; i < n; i++) store<f32>(o + (<usize>i << 2), binF(op, load<f32>(a + (<usize>(i * sa) << 2)), load<f32>(b + (<usize>(i * sb) << 2))));
  }
}

/** Runs `rows` rows of a plan (positioned by the caller) for any op and dtype, without f32x4. */
function binLoop(op: i32, dtype: i32, plan: Plan, pa: usize, pb: usize, po: usize, rows: i32): void {
  const n = plan.runN, sa = plan.runStrideA, sb = plan.runStrideB;
  const ei: usize = dtype == DType.Bool ? 1 : 4, eo: usize = isComparison(op) ? 1 : 4;
  for (let row = 0; row < rows; row++) {
    scalarRow(op, dtype, pa + <usize>plan.rowA * ei, pb + <usize>plan.rowB * ei, po, 0, n, sa, sb);
    po += <usize>n * eo;
    plan.nextRow();
  }
}

/** The comparisons and logical ops: bool results. */
export function isComparison(op: i32): bool {
  switch (op) {
    case Op.Equal: case Op.NotEqual: case Op.Greater: case Op.GreaterEqual: case Op.Less: case Op.LessEqual:
    case Op.LogicalAnd: case Op.LogicalOr: return true;
  }
  return false;
}

/** Binary `op` of a and b (elements of `dtype`) read through `plan` into o: `rows` rows of the plan from where it stands. */
export function binaryKernel(op: i32, dtype: i32, plan: Plan, pa: usize, pb: usize, po: usize, rows: i32): void {
  if (dtype != DType.Float32) { binLoop(op, dtype, plan, pa, pb, po, rows); return; }
  switch (op) {
    case Op.Add: binRowsF<VAdd>(op, plan, pa, pb, po, rows); break;
    case Op.Sub: binRowsF<VSub>(op, plan, pa, pb, po, rows); break;
    case Op.Mul: binRowsF<VMul>(op, plan, pa, pb, po, rows); break;
    case Op.Div: binRowsF<VDiv>(op, plan, pa, pb, po, rows); break;
    case Op.Pow: binRowsF<VPow>(op, plan, pa, pb, po, rows); break;
    case Op.Maximum: binRowsF<VMax>(op, plan, pa, pb, po, rows); break;
    case Op.Minimum: binRowsF<VMin>(op, plan, pa, pb, po, rows); break;
    default: binLoop(op, dtype, plan, pa, pb, po, rows);
  }
}

/**
 * x^e for the n floats at s into d, e one of isExactPower's (2, −1, ½), whose results are one f32x4
 * operation each (mathx4.ts powExact: the bits pow gives them).
 */
export function powByScalar(e: f32, s: usize, d: usize, n: i32): void {
  const y = f32x4.splat(e);
  let i = 0;
  for (; i + 4 <= n; i += 4) { const k = <usize>i << 2, x = v128.load(s + k); v128.store(d + k, Math4.powExact(x, y, x)); }
  for (; i < n; i++) { const k = <usize>i << 2; store<f32>(d + k, binF(Op.Pow, load<f32>(s + k), e)); }
}

/** Whether powByScalar computes x^e. */
export function isExactPower(e: f32): bool { return e == 2 || e == -1 || e == 0.5; }

/** One float32 op of two single floats (scalar programs: no plan). */
export function binaryScalarF32(op: i32, a: f32, b: f32): f32 { return binF(op, a, b); }


/** where: out[i] = cond[i] ? a[i] : b[i], n elements of e bytes (all three the output's shape). */
export function selectKernel(pc: usize, pa: usize, pb: usize, po: usize, n: i32, e: usize): void {
  if (e == 1) {
    for (let i = 0; i < n; i++) store<u8>(po + i, load<u8>(pc + i) ? load<u8>(pa + i) : load<u8>(pb + i));
  } else {
    for (let i = 0; i < n; i++) {
      const k = <usize>i << 2;
      store<u32>(po + k, load<u8>(pc + i) ? load<u32>(pa + k) : load<u32>(pb + k));
    }
  }
}

/**
 * act(z + bias) (ops/elementwise.ts biasActivation) for floats start..end of z (block boundaries):
 * block by block, z + bias row by row into `sum` (or `block`, per-thread scratch of blockFloats
 * floats, or straight into y when act < 0), then the activation of the block into y.
 */
export function biasActRange(pz: usize, pb: usize, py: usize, sum: usize, c: i32, act: i32, param: f32,
    blockFloats: i32, start: i32, end: i32, scratch: usize, block: usize): void {
  for (let s = start; s < end; s += blockFloats) {
    const count = min(blockFloats, end - s), off = <usize>s << 2;
    const to = act < 0 ? py + off : sum != 0 ? sum + off : block;
    for (let r = 0; r < count; r += c) addRow(pz + off + (<usize>r << 2), pb, to + (<usize>r << 2), c);
    if (act >= 0) unaryFloat(act, to, py + off, count, param, scratch);
  }
}

// ---- what the tasks of threaded jobs run (ops/elementwise.ts cuts them) ----
/** Map modes: which kernel a Job.Map runs over each chunk. */
export const enum MapMode { Unary = 0, MathWithDerivative = 1, Gradient = 2, PowScalar = 3 }

/**
 * Floats start..start + n of map `mode` of `op`: unaryFloat(p0 → p2), mapMath(p0 → p2, its
 * derivative → p1), unaryGradKernel(a p0, dy p1 → p2), or powByScalar(p0 → p2, e = param).
 */
export function mapRange(mode: i32, op: i32, p0: usize, p1: usize, p2: usize, start: i32, n: i32, param: f32, scratch: usize): void {
  const off = <usize>start << 2;
  switch (mode) {
    case MapMode.Unary: unaryFloat(op, p0 + off, p2 + off, n, param, scratch); break;
    case MapMode.MathWithDerivative: mapMath(op, p0 + off, p2 + off, n, p1 + off, scratch); break;
    case MapMode.Gradient: unaryGradKernel(op, p0 + off, p1 + off, p2 + off, n, scratch); break;
    default: powByScalar(param, p0 + off, p2 + off, n);
  }
}
/** d[i] = a[i] + b[i] for i < n floats (a row of the fused bias + activation). */
export function addRow(a: usize, b: usize, d: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) { const k = <usize>i << 2; v128.store(d + k, f32x4.add(v128.load(a + k), v128.load(b + k))); }
  for (; i < n; i++) { const k = <usize>i << 2; store<f32>(d + k, load<f32>(a + k) + load<f32>(b + k)); }
}
