// Elementwise ops: unary maps and broadcasting binary ops, with their backward rules.
import { Op, DType } from "../opcodes";
import { watchMask, dataPtr, dtypeOf, elementBytes, newLike, newTensor, rankOf, sameShape, shapePtr, sizeOf, release, retain } from "../tensor";
import { record, accumulate, needsGrad, recordingMask } from "../tape";
import { broadcastShape, broadcastShapeWith, makePlan, planDims, planRank, planSize, planStrideA, planStrideB, resetOdometer, nextRow, rowA, rowB, shapeBuf, scalarF32 } from "./layout";
import { unbroadcast } from "./reduce";
import { Math4, sinOut, cosOut, SELU_ALPHA, SELU_SCALE } from "./mathx4";

// Size rule: the cheap float32 ops that dominate training get an f32x4 loop each (binary add, sub,
// mul, div, maximum, minimum; unary neg, abs, square, sqrt, relu, step). So do the common
// transcendental ones (exp, log and log1p, tanh, sigmoid and softplus: mathLoop) and the one-pass
// gradients of relu, tanh, sigmoid and erf (gradLoop), with mathx4.ts's functions inlined; the
// rarer ones (expm1, elu, selu, erf, sin, cos, tan) share one f32x4 loop each way with a switch per
// four floats. The rest runs through one scalar loop per element kind with a `switch (op)` per
// element.

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

// The transcendental ops run f32x4 throughout (mathx4.ts). exp, log and log1p, tanh, erf, sigmoid,
// softplus and gelu have a loop each with their math inlined: in one loop with a switch and a call
// per vector, exp, log and tanh measured 15–45 % slower (V8 overlaps the iterations of a straight
// loop body, not of calls). The rarer ones share that loop. n is a multiple of 4 in the loops: the
// last 1–3 floats run through the same loop in a zero-padded vector, so no result depends on where
// its element sits.
const tailA = memory.data(16, 16);
const tailB = memory.data(16, 16);
const tailC = memory.data(16, 16);
/** Bytes per block of the sigmoid/softplus loop's two passes (in L1 between the passes). */
const MATH_BLOCK: usize = 1024;
// (element by element: V8 makes memory.copy a call out of the module, which showed on scalar programs)
/** The n − i (1–3) floats at p[i..n) as a zero-padded vector (through `buf`). */
function loadTail(p: usize, i: i32, n: i32, buf: usize): v128 {
  v128.store(buf, i32x4.splat(0));
  for (let j = i; j < n; j++) store<u32>(buf + (<usize>(j - i) << 2), load<u32>(p + (<usize>j << 2)));
  return v128.load(buf);
}
function storeTail(p: usize, i: i32, n: i32, v: v128): void {
  v128.store(tailA, v);
  for (let j = i; j < n; j++) store<u32>(p + (<usize>j << 2), load<u32>(tailA + (<usize>(j - i) << 2)));
}
/** The ops of the shared loop. */
@inline function mathX4(op: i32, x: v128): v128 {
  switch (op) {
    case Op.Expm1: return Math4.expm1(x);
    case Op.Elu: return Math4.elu(x);
    case Op.Selu: return Math4.selu(x);
  }
  Math4.sincos(x); // sin, cos, tan
  return op == Op.Sin ? sinOut : op == Op.Cos ? cosOut : f32x4.div(sinOut, cosOut);
}
@inline function isMathOp(op: i32): bool {
  return (op >= Op.Exp && op <= Op.Sigmoid) || op == Op.Elu || op == Op.Selu || op == Op.Softplus || op == Op.Erf || op == Op.Gelu;
}
class MExp { @inline v(x: v128): v128 { return Math4.exp(x); } }
class MTanh { @inline v(x: v128): v128 { return Math4.tanh(x); } }
/**
 * `op` of the n floats at s into d. softplus, erf and gelu also store their derivative at ps, from
 * the same exponential (σ(x) from softplus's e^−|x|, 2/√π·e^(−x²) from erf's, Φ(x) + x·φ(x) from
 * gelu's e^(−x²/2)); ps is d unless a tape records the op (the result is stored last, so it wins).
 */
export function mapMath(op: i32, s: usize, d: usize, n: i32, ps: usize): i32 {
  const whole = n & ~3;
  mathLoop(op, s, d, whole, ps);
  if (whole < n) {
    loadTail(s, whole, n, tailA);
    mathLoop(op, tailA, tailB, 4, tailC);
    const y = v128.load(tailB);
    if (ps != d) storeTail(ps, whole, n, v128.load(tailC));
    storeTail(d, whole, n, y);
  }
  return n;
}
/** mapMath's loops, on n floats (a multiple of 4). */
function mathLoop(op: i32, s: usize, d: usize, n: i32, ps: usize): void {
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
  for (let k: usize = 0; k < (<usize>n << 2); k += 16) v128.store(d + k, mathX4(op, v128.load(s + k)));
}

/**
 * softplus, erf or gelu of x into `out` when a tape records it: the derivative comes from the same
 * exponential in the same pass and is recorded as an op of x (softplus: Sigmoid(x); erf, gelu: a
 * UnaryGrad without dy, holding f'(x) itself, see unaryGradBackward), so the gradient is one
 * multiply, dy·f'(x), and gradients of that gradient flow through the derivative's own record.
 */
function recordWithDerivative(op: i32, x: i32, out: i32): void {
  const s = newLike(x);
  mapMath(op, dataPtr(x), dataPtr(out), sizeOf(x), dataPtr(s));
  if (op == Op.Softplus) record(Op.Sigmoid, s, x);
  else record(Op.UnaryGrad, s, x, 0, 0, op);
  record(op, out, x, s);
  release(s); // the records hold it
}

/** Runs unary `op` on x into a new tensor. `param` is the op's float attribute (leakyRelu alpha). */
export function unary(op: i32, x: i32, param: f32): i32 {
  const dtype = dtypeOf(x);
  const out = newLike(x, op == Op.LogicalNot ? DType.Bool : -1);
  const s = dataPtr(x), d = dataPtr(out), n = sizeOf(x);
  let i = 0;
  if (dtype == DType.Float32 && (op == Op.Softplus || op == Op.Erf || op == Op.Gelu) && (watchMask(x) & recordingMask) != 0) {
    recordWithDerivative(op, x, out);
  } else if (dtype == DType.Float32) {
    switch (op) {
      case Op.Neg: i = vmap<VNeg>(s, d, n); break;
      case Op.Abs: i = vmap<VAbs>(s, d, n); break;
      case Op.Square: i = vmap<VSquare>(s, d, n); break;
      case Op.Sqrt: i = vmap<VSqrt>(s, d, n); break;
      case Op.Relu: i = vmap<VRelu>(s, d, n); break;
      case Op.Step: i = vmap<VStep>(s, d, n); break;
      case Op.Identity: memory.copy(d, s, <usize>n << 2); i = n; break;
      default: if (isMathOp(op)) i = mapMath(op, s, d, n, d);
    }
    for (; i < n; i++) { const k = <usize>i << 2; store<f32>(d + k, unaryF(op, load<f32>(s + k), param)); }
    // floor/ceil/round/step have no gradient: they are never recorded
    if (op < Op.Floor || op > Op.Step || op == Op.Identity) record(op, out, x, 0, 0, reinterpret<i32>(param));
  } else if (dtype == DType.Int32) {
    for (; i < n; i++) { const k = <usize>i << 2; store<i32>(d + k, unaryI(op, load<i32>(s + k))); }
  } else {
    for (; i < n; i++) store<u8>(d + i, <u8>unaryI(op, load<u8>(s + i)));
  }
  return out;
}

// ---- binary ----
@external("env", "pow")
declare function hostPow(a: f64, b: f64): f64;
/**
 * a^b as C's powf, rounded once from float64: exponents that are multiples of ½ up to ±64 (most pow
 * in models: squares, cubes, reciprocals, square roots, x^1.5) here, exactly to float64's rounding:
 * √a first for the odd halves (a > 0 only: −0, −Inf and negative a follow the host's rules), then
 * repeated squaring (at most 16 products); the rest by the host's Math.pow. Not AssemblyScript's
 * Mathf.pow: its ~370 bytes of gzipped code paid for the fused gelu under the seed program's size
 * limit (another b runs 3–5× slower through the host: ~80 ns an element, V8's Math.pow itself). JS's
 * Math.pow differs from C in two places, kept as C has them: pow(1, y) = 1 even for NaN y, and
 * pow(−1, ±Inf) = 1.
 */
function powF(a: f32, b: f32): f32 {
  // the commonest first, in float32: one correctly rounded operation each
  if (b == 2) return a * a;
  if (b == -1) return 1 / a;
  if (b == 0.5 && a > 0) return Mathf.sqrt(a);
  const halves = Mathf.abs(b + b); // exact
  let k = <i32>halves; // (saturating: NaN and ±Inf fail the test below)
  if (halves <= 128 && <f32>k == halves && ((k & 1) == 0 || a > 0)) {
    let x = <f64>a, y: f64 = 1;
    if (k & 1) x = Math.sqrt(x);
    else k >>= 1;
    for (; k != 0; k >>= 1) { if (k & 1) y *= x; x *= x; }
    return <f32>(b < 0 ? 1 / y : y);
  }
  if (a == 1 || (a == -1 && Mathf.abs(b) == Infinity)) return 1;
  return <f32>hostPow(a, b);
}
@inline function binF(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case Op.Add: return a + b;
    case Op.Sub: return a - b;
    case Op.Mul: return a * b;
    case Op.Div: return a / b;
    case Op.Pow: return powF(a, b);
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
// exactly the scalar rule: a wins ties and NaNs
class VMax { @inline v(a: v128, b: v128): v128 { return v128.bitselect(a, b, v128.or(f32x4.ge(a, b), f32x4.ne(a, a))); } }
class VMin { @inline v(a: v128, b: v128): v128 { return v128.bitselect(a, b, v128.or(f32x4.le(a, b), f32x4.ne(a, a))); } }
/**
 * One float op over the current plan, with f32x4 loops for rows whose strides allow them.
 * One function per op on purpose: V8 compiled a single function holding all six ops' f32x4 loops
 * (or a loop per op reached through a function of its own) up to 1.5-1.8x slower, measured.
 */
function binRowsF<F>(op: i32, pa: usize, pb: usize, po: usize): void {
  const rows = startRows(), n = runN, sa = runSA, sb = runSB;
  const f = changetype<F>(0);
  for (let row = 0; row < rows; row++) {
    const a = pa + (<usize>rowA << 2), b = pb + (<usize>rowB << 2);
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
    nextRow();
  }
}

// The current plan's innermost run length and strides, and its row count (see startRows).
let runN = 0, runSA = 0, runSB = 0;
/** Prepares to walk the current broadcasting plan row by row (nextRow); returns the row count. */
@inline function startRows(): i32 {
  if (planSize == 0) return 0;
  const last = <usize>(planRank - 1) << 2;
  runN = load<i32>(planDims + last);
  runSA = load<i32>(planStrideA + last); runSB = load<i32>(planStrideB + last);
  resetOdometer();
  rowA = 0; rowB = 0;
  return planSize / runN;
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

/** Runs the current broadcasting plan for any op and dtype, without f32x4. */
function binLoop(op: i32, dtype: i32, pa: usize, pb: usize, po: usize): void {
  const rows = startRows(), n = runN, sa = runSA, sb = runSB;
  const ei = <usize>elementBytes(dtype), eo: usize = isComparison(op) ? 1 : 4;
  for (let row = 0; row < rows; row++) {
    scalarRow(op, dtype, pa + <usize>rowA * ei, pb + <usize>rowB * ei, po, 0, n, sa, sb);
    po += <usize>n * eo;
    nextRow();
  }
}

@inline function isComparison(op: i32): bool { return op >= Op.Equal && op <= Op.LogicalOr; }

/** Broadcasting binary op. */
export function binary(op: i32, a: i32, b: i32): i32 {
  const r = broadcastShape(a, b);
  const dtype = dtypeOf(a);
  const out = newTensor(isComparison(op) ? DType.Bool : dtype, r, shapeBuf);
  const pa = dataPtr(a), pb = dataPtr(b), po = dataPtr(out);
  // one float each (scalar programs, and the gradients of their ops): no broadcasting plan
  if (dtype == DType.Float32 && !isComparison(op) && sizeOf(a) == 1 && sizeOf(b) == 1) {
    store<f32>(po, binF(op, load<f32>(pa), load<f32>(pb)));
  } else {
    makePlan(a, b, shapeBuf, r);
    if (dtype != DType.Float32) binLoop(op, dtype, pa, pb, po);
    else switch (op) {
      case Op.Add: binRowsF<VAdd>(op, pa, pb, po); break;
      case Op.Sub: binRowsF<VSub>(op, pa, pb, po); break;
      case Op.Mul: binRowsF<VMul>(op, pa, pb, po); break;
      case Op.Div: binRowsF<VDiv>(op, pa, pb, po); break;
      case Op.Maximum: binRowsF<VMax>(op, pa, pb, po); break;
      case Op.Minimum: binRowsF<VMin>(op, pa, pb, po); break;
      default: binLoop(op, dtype, pa, pb, po);
    }
  }
  if (dtype == DType.Float32 && op < Op.Mod) record(op, out, a, b);
  return out;
}

/** Copies x broadcast to `out`'s shape (a plan for (x, x) to that shape must be current). */
function broadcastInto(x: i32, out: i32): void {
  const rows = startRows(), n = runN, e = <usize>elementBytes(dtypeOf(x));
  const px = dataPtr(x);
  let po = dataPtr(out);
  for (let row = 0; row < rows; row++) {
    const a = px + <usize>rowA * e;
    if (runSA != 0) memory.copy(po, a, <usize>n * e);
    else if (e == 1) memory.fill(po, load<u8>(a), <usize>n);
    else {
      let i = 0;
      const v = v128.load32_splat(a);
      for (; i + 4 <= n; i += 4) v128.store(po + (<usize>i << 2), v);
      for (; i < n; i++) store<u32>(po + (<usize>i << 2), load<u32>(a));
    }
    po += <usize>n * e;
    nextRow();
  }
}

/** x broadcast to the shape in `shape` (rank r); a copy even when the shape already matches. */
export function broadcastToShape(x: i32, shape: usize, r: i32): i32 {
  const out = newTensor(dtypeOf(x), r, shape);
  makePlan(x, x, shape, r);
  broadcastInto(x, out);
  record(Op.BroadcastTo, out, x);
  return out;
}

/** where(cond, a, b) with cond, a and b broadcast together. */
export function where(cond: i32, a: i32, b: i32): i32 {
  // output shape: broadcast of all three
  const r = broadcastShapeWith(cond, broadcastShape(a, b));
  const out = newTensor(dtypeOf(a), r, shapeBuf);
  const c2 = broadcastLike(cond, out), a2 = broadcastLike(a, out), b2 = broadcastLike(b, out);
  const pc = dataPtr(c2), pa = dataPtr(a2), pb = dataPtr(b2), po = dataPtr(out);
  const n = sizeOf(out);
  if (dtypeOf(a) == DType.Bool) {
    for (let i = 0; i < n; i++) store<u8>(po + i, load<u8>(pc + i) ? load<u8>(pa + i) : load<u8>(pb + i));
  } else {
    for (let i = 0; i < n; i++) {
      const k = <usize>i << 2;
      store<u32>(po + k, load<u8>(pc + i) ? load<u32>(pa + k) : load<u32>(pb + k));
    }
  }
  release(c2); release(a2); release(b2);
  record(Op.Where, out, cond, a, b);
  return out;
}
@inline function retainId(id: i32): i32 { retain(id); return id; }
/** x itself (retained) if it has like's shape, else an unrecorded broadcast copy. */
function broadcastLike(x: i32, like: i32): i32 {
  if (sameShape(x, like)) return retainId(x);
  const out = newLike(like, dtypeOf(x));
  makePlan(x, x, shapePtr(like), rankOf(like));
  broadcastInto(x, out);
  return out;
}

// ---- convenience constructors used by the backward rules (all recorded like user ops) ----
export function add(a: i32, b: i32): i32 { return binary(Op.Add, a, b); }
export function sub(a: i32, b: i32): i32 { return binary(Op.Sub, a, b); }
export function mul(a: i32, b: i32): i32 { return binary(Op.Mul, a, b); }
export function div(a: i32, b: i32): i32 { return binary(Op.Div, a, b); }
export function neg(x: i32): i32 { return unary(Op.Neg, x, 0); }
/** x * c for a float constant c. */
export function mulScalar(x: i32, c: f32): i32 { const s = scalarF32(c); const y = mul(x, s); release(s); return y; }
export function addScalar(x: i32, c: f32): i32 { const s = scalarF32(c); const y = add(x, s); release(s); return y; }
/** Releases both operands after combining them (for chains inside backward rules). */
export function mulOwned(a: i32, b: i32): i32 { const y = mul(a, b); release(a); release(b); return y; }
export function mulKeepA(a: i32, b: i32): i32 { const y = mul(a, b); release(b); return y; }
/** A float mask (0/1) of a bool tensor, never recorded. */
export function boolToFloat(m: i32): i32 {
  const out = newLike(m, DType.Float32);
  const s = dataPtr(m), d = dataPtr(out), n = sizeOf(m);
  for (let i = 0; i < n; i++) store<f32>(d + (<usize>i << 2), <f32>load<u8>(s + i));
  return out;
}
/** zeros shaped like x (never recorded). */
export function zerosLikeF(x: i32): i32 {
  const out = newLike(x, DType.Float32);
  memory.fill(dataPtr(out), 0, <usize>sizeOf(out) << 2);
  return out;
}

// ---- backward rules ----
/** dy * f'(x) for unary ops; `y` is the op's output, `aux` the record's second input (softplus: σ(x)). */
export function unaryBackward(op: i32, y: i32, x: i32, aux: i32, dy: i32, param: f32): void {
  let g: i32 = 0;
  switch (op) {
    case Op.Neg: g = neg(dy); break;
    case Op.Identity: retain(dy); g = dy; break;
    case Op.Abs: g = mulKeepA(dy, unary(Op.Sign, x, 0)); break;
    case Op.Sign: g = zerosLikeF(x); break;
    case Op.Square: g = mulKeepA(dy, mulScalar(x, 2)); break;
    case Op.Sqrt: g = divKeepA(dy, mulScalar(y, 2)); break;
    case Op.Rsqrt: { const y3 = mulOwned(unary(Op.Square, y, 0), retainId(y)); g = mulKeepA(dy, mulScalarOwned(y3, -0.5)); break; }
    case Op.Exp: g = mul(dy, y); break;
    // one pass each, from the output where the derivative allows (unaryGrad)
    case Op.Expm1: case Op.Tanh: case Op.Sigmoid: case Op.Elu: case Op.Selu: case Op.Tan: g = unaryGrad(op, y, dy); break;
    case Op.Log1p: case Op.Sin: case Op.Cos: g = unaryGrad(op, x, dy); break;
    case Op.Softplus: case Op.Erf: case Op.Gelu: g = mul(dy, aux); break; // f'(x), recorded (recordWithDerivative)
    case Op.Log: g = div(dy, x); break;
    case Op.Relu: g = unaryGrad(op, x, dy); break; // dy where x > 0, else 0 (TF's ReluGrad: a NaN dy there gives 0)
    case Op.Relu6: {
      const six = scalarF32(6);
      const inside = binary(Op.Less, x, six);
      release(six);
      const m = mulOwned(unary(Op.Step, x, 0), boolToFloatOwned(inside));
      g = mulKeepA(dy, m);
      break;
    }
    case Op.LeakyRelu: g = leakyMask(x, dy, mulScalar(dy, param)); break;
    case Op.Reciprocal: g = mulKeepA(dy, negOwned(unary(Op.Square, y, 0))); break;
    default: return;
  }
  accumulate(x, g);
}
/**
 * dy·f'(x) for the ops whose derivative mathx4 computes, in one f32x4 pass: `a` is the op's
 * output y for expm1, tanh, sigmoid, elu, selu, tan (their derivatives are functions of y), its
 * input x for log1p, erf, sin, cos, relu. Recorded (Op.UnaryGrad), so gradients of gradients
 * work: see unaryGradBackward.
 */
export function unaryGrad(op: i32, a: i32, dy: i32): i32 {
  const out = newLike(a);
  const d = sameShape(dy, a) ? retainId(dy) : broadcastToShape(dy, shapePtr(a), rankOf(a));
  const pa = dataPtr(a), pd = dataPtr(d), po = dataPtr(out), n = sizeOf(a), whole = n & ~3;
  gradLoop(op, pa, pd, po, whole);
  if (whole < n) {
    loadTail(pa, whole, n, tailB); loadTail(pd, whole, n, tailC);
    gradLoop(op, tailB, tailC, tailB, 4);
    storeTail(po, whole, n, v128.load(tailB));
  }
  record(Op.UnaryGrad, out, a, d, 0, op);
  release(d);
  return out;
}
/**
 * unaryGrad's loops, on n floats (a multiple of 4). relu, tanh and sigmoid (the common activations)
 * and erf have a loop each: in the shared one, with its switch per vector, they measured ~2× the
 * time of a multiply (V8 keeps values on the stack across the switch), erf 1.5× its own loop's.
 */
function gradLoop(op: i32, pa: usize, pd: usize, po: usize, n: i32): void {
  switch (op) {
    case Op.Relu: vmap2<GRelu>(pa, pd, po, n); return;
    case Op.Tanh: vmap2<GTanh>(pa, pd, po, n); return;
    case Op.Sigmoid: vmap2<GSigmoid>(pa, pd, po, n); return;
    case Op.Erf: vmap2<GErf>(pa, pd, po, n); return;
  }
  for (let k: usize = 0; k < (<usize>n << 2); k += 16) v128.store(po + k, gradX4(op, v128.load(pa + k), v128.load(pd + k)));
}
@inline function vmap2<F>(pa: usize, pb: usize, po: usize, n: i32): void {
  for (let k: usize = 0; k < (<usize>n << 2); k += 16) v128.store(po + k, changetype<F>(0).v(v128.load(pa + k), v128.load(pb + k)));
}
// dy·f'(x): relu's is a select, not dy·step(x), so a NaN dy where x ≤ 0 gives 0 (TF's ReluGrad)
class GRelu { @inline v(a: v128, dy: v128): v128 { return v128.and(dy, f32x4.gt(a, f32x4.splat(0))); } }
class GTanh { @inline v(a: v128, dy: v128): v128 { return f32x4.mul(dy, f32x4.sub(f32x4.splat(1), f32x4.mul(a, a))); } }  // 1 − y²
class GSigmoid { @inline v(a: v128, dy: v128): v128 { return f32x4.mul(dy, f32x4.mul(a, f32x4.sub(f32x4.splat(1), a))); } } // y(1 − y)
class GErf { @inline v(a: v128, dy: v128): v128 { return f32x4.mul(dy, f32x4.mul(Math4.expNonPositive(f32x4.neg(f32x4.mul(a, a))), f32x4.splat(1.1283791670955126))); } } // 2/√π·e^(−x²)
@inline function gradX4(op: i32, a: v128, dy: v128): v128 {
  const one = f32x4.splat(1), positive = f32x4.gt(a, f32x4.splat(0));
  let f: v128; // f'(x)
  switch (op) {
    case Op.Expm1: f = f32x4.add(a, one); break;                              // e^x = y + 1
    case Op.Log1p: return f32x4.div(dy, f32x4.add(a, one));
    case Op.Elu: f = v128.bitselect(one, f32x4.add(a, one), positive); break; // y > 0 exactly where x > 0
    case Op.Selu: f = v128.bitselect(f32x4.splat(SELU_SCALE), f32x4.add(a, f32x4.splat(SELU_SCALE * SELU_ALPHA)), positive); break;
    case Op.Tan: f = f32x4.add(f32x4.mul(a, a), one); break;                  // 1 + y²
    default: // sin, cos
      Math4.sincos(a);
      f = op == Op.Sin ? cosOut : f32x4.neg(sinOut);
  }
  return f32x4.mul(dy, f);
}

/**
 * Backward of g = unaryGrad(op, a, dy) = dy·f'(a) with upstream h: h·f'(a) to dy (unaryGrad
 * again), h·dy·∂f'(a)/∂a to a, in recorded ops so that every order of derivative works.
 */
export function unaryGradBackward(op: i32, g: i32, a: i32, dy: i32, h: i32): void {
  // a record without dy holds f'(a) itself (erf's and gelu's, stored by their forward pass)
  if (dy != 0 && needsGrad(dy)) accumulate(dy, unaryGrad(op, a, h));
  if (op == Op.Relu || !needsGrad(a)) return; // relu's mask is piecewise constant in x: no gradient flows to x
  const hd = dy != 0 ? mul(h, dy) : retainId(h);
  let ga: i32;
  switch (op) {
    case Op.Expm1: retain(hd); ga = hd; break;                                            // ∂(y + 1)/∂y = 1
    case Op.Log1p: ga = negOwned(unaryGradOwned(op, a, unaryGrad(op, a, hd))); break;     // −1/(1 + x)²
    case Op.Tanh: ga = mulScalarOwned(mul(hd, a), -2); break;                             // −2y
    case Op.Sigmoid: ga = mulKeepA(hd, oneMinusOwned(mulScalar(a, 2))); break;            // 1 − 2y
    case Op.Elu: case Op.Selu: ga = mulKeepA(hd, oneMinusOwned(unary(Op.Step, a, 0))); break; // 1 where y ≤ 0
    case Op.Erf: ga = mulScalarOwned(mulKeepA(a, unaryGrad(op, a, hd)), -2); break;       // −2x·f'(x)
    case Op.Gelu: ga = geluSecond(a, hd); break;                                         // φ(x)·(2 − x²)
    case Op.Tan: ga = mulScalarOwned(mul(hd, a), 2); break;                               // 2y
    case Op.Sin: ga = unaryGrad(Op.Cos, a, hd); break;                                    // −sin x
    default: ga = negOwned(unaryGrad(Op.Sin, a, hd));                                     // cos: −cos x
  }
  release(hd);
  accumulate(a, ga);
}
/**
 * h·gelu''(x) = h·φ(x)·(2 − x²) in recorded ops, so every order works: h·φ(x) is erf's one-pass
 * gradient at x/√2, h·(2/√π)·e^(−x²/2), times 1/(2√2).
 */
function geluSecond(x: i32, h: i32): i32 {
  const u = mulScalar(x, <f32>Math.SQRT1_2);
  const hphi = mulScalarOwned(unaryGrad(Op.Erf, u, h), <f32>(0.25 * Math.SQRT2));
  release(u);
  const two = scalarF32(2);
  const c = sub(two, unary(Op.Square, x, 0));
  release(two);
  return mulOwned(hphi, c);
}
function unaryGradOwned(op: i32, a: i32, dy: i32): i32 { const g = unaryGrad(op, a, dy); release(dy); return g; }
function leakyMask(x: i32, pos: i32, negOwnedArg: i32): i32 {
  const zero = scalarF32(0);
  const m = binary(Op.Greater, x, zero);
  release(zero);
  const g = where(m, pos, negOwnedArg);
  release(m); release(negOwnedArg);
  return g;
}
function divKeepA(a: i32, b: i32): i32 { const y = div(a, b); release(b); return y; }
function negOwned(x: i32): i32 { const y = neg(x); release(x); return y; }
function mulScalarOwned(x: i32, c: f32): i32 { const y = mulScalar(x, c); release(x); return y; }
function addScalarOwned(x: i32, c: f32): i32 { const y = addScalar(x, c); release(x); return y; }
function oneMinusOwned(x: i32): i32 { const one = scalarF32(1); const y = sub(one, x); release(one); release(x); return y; }
function boolToFloatOwned(m: i32): i32 { const y = boolToFloat(m); release(m); return y; }

export function binaryBackward(op: i32, y: i32, a: i32, b: i32, dy: i32): void {
  const needA = needsGrad(a), needB = needsGrad(b);
  switch (op) {
    case Op.Add:
      if (needA) accumulate(a, unbroadcast(dy, a));
      if (needB) accumulate(b, unbroadcast(dy, b));
      break;
    case Op.Sub:
      if (needA) accumulate(a, unbroadcast(dy, a));
      if (needB) accumulate(b, unbroadcastOwned(neg(dy), b));
      break;
    case Op.Mul:
      if (needA) accumulate(a, unbroadcastOwned(mul(dy, b), a));
      if (needB) accumulate(b, unbroadcastOwned(mul(dy, a), b));
      break;
    case Op.Div:
      if (needA) accumulate(a, unbroadcastOwned(div(dy, b), a));
      if (needB) { // -dy * a / b^2  ==  -dy * y / b
        const t = negOwned(mulOwned(retainId(dy), div(y, b)));
        accumulate(b, unbroadcastOwned(t, b));
      }
      break;
    case Op.Pow: {
      if (needA) { // dy * b * a^(b-1)
        const bm1 = addScalar(b, -1);
        const p = binary(Op.Pow, a, bm1);
        release(bm1);
        accumulate(a, unbroadcastOwned(mulOwned(mul(dy, b), p), a));
      }
      if (needB) { // dy * y * log(a), masked to 0 where a <= 0
        const zero = scalarF32(0), one = scalarF32(1);
        const pos = binary(Op.Greater, a, zero);
        const safe = where(pos, a, one);
        const lg = unary(Op.Log, safe, 0);
        const masked = where(pos, lg, zero);
        release(zero); release(one); release(pos); release(safe); release(lg);
        accumulate(b, unbroadcastOwned(mulOwned(mul(dy, y), masked), b));
      }
      break;
    }
    case Op.Maximum:
    case Op.Minimum: {
      // ties send the whole gradient to the first argument
      const m = binary(op == Op.Maximum ? Op.GreaterEqual : Op.LessEqual, a, b);
      const zero = scalarF32(0);
      if (needA) accumulate(a, unbroadcastOwned(where(m, dy, zero), a));
      if (needB) accumulate(b, unbroadcastOwned(where(m, zero, dy), b));
      release(zero); release(m);
      break;
    }
  }
}
export function unbroadcastOwned(g: i32, like: i32): i32 { const y = unbroadcast(g, like); release(g); return y; }

export function whereBackward(cond: i32, a: i32, b: i32, dy: i32): void {
  const zero = scalarF32(0);
  if (needsGrad(a)) accumulate(a, unbroadcastOwned(where(cond, dy, zero), a));
  if (needsGrad(b)) accumulate(b, unbroadcastOwned(where(cond, zero, dy), b));
  release(zero);
}
