// Elementwise ops: unary maps and broadcasting binary ops, with their backward rules.
import { Op, DType } from "../opcodes";
import { dataPtr, dtypeOf, elementBytes, newLike, newTensor, rankOf, sameShape, shapePtr, sizeOf, release, retain } from "../tensor";
import { record, accumulate, needsGrad } from "../tape";
import { broadcastShape, broadcastShapeWith, makePlan, planDims, planRank, planSize, planStrideA, planStrideB, resetOdometer, nextRow, rowA, rowB, shapeBuf, scalarF32 } from "./layout";
import { unbroadcast } from "./reduce";
import { expf_lut, logf_lut } from "~lib/util/math";

// Size rule: only the cheap float32 ops that dominate training get f32x4 loops (binary add, sub,
// mul, div, maximum, minimum; unary neg, abs, square, sqrt, relu, step). Everything else runs
// through one scalar loop per element kind with a `switch (op)` per element: the switch is a
// predictable jump next to exp or sin, and it keeps one copy of each loop in the module.

const SELU_ALPHA: f32 = 1.6732632423543772;
const SELU_SCALE: f32 = 1.0507009873554805;

// ---- sin, cos, tan: one shared reduction (musl's sincosf: f64 kernels after x mod π/2) ----
let sinOut: f64 = 0;
let cosOut: f64 = 0;
const PIO2_BITS = memory.data<u64>([0xA2F9836E4E441529, 0xFC2757D1F534DDC0, 0xDB6295993C439041, 0xFE5163ABDEBBC561]);
function sincosF(x: f32): void {
  const u = reinterpret<u32>(x) & 0x7FFFFFFF;
  if (u >= 0x7F800000) { sinOut = cosOut = x - x; return; }
  if (u < 0x39800000) { sinOut = x; cosOut = 1; return; } // |x| < 2^-12 (keeps -0)
  let q: i32, y: f64;
  if (u < 0x4DC90FDB) { // |x| < π·2^27: Cody-Waite in f64
    const k = nearest(<f64>x * 0.63661977236758134308);
    y = <f64>x - k * 1.57079631090164184570 - k * 1.58932547735281966916e-8;
    q = <i32>k;
  } else { // Payne-Hanek with 256 bits of 2/π
    const offset = <i32>(u >> 23) - 152;
    const shift = <u64>(offset & 63);
    const tbl = PIO2_BITS + (<usize>(offset >> 6) << 3);
    const b0 = load<u64>(tbl), b1 = load<u64>(tbl, 8);
    const lo: u64 = shift > 32 ? (load<u64>(tbl, 16) >> (96 - shift)) | (b1 << (shift - 32)) : b1 >> (32 - shift);
    const hi = (b1 >> (64 - shift)) | (b0 << shift);
    const m: u64 = (u & 0x007FFFFF) | 0x00800000;
    const p = m * hi + (m * lo >> 32);
    const r = <i64>(p << 2);
    q = <i32>((p >> 62) + (<u64>r >> 63));
    y = copysign<f64>(8.51530395021638647334e-20, <f64>x) * <f64>r;
    if (x < 0) q = -q;
  }
  const z = y * y, w = z * z, s3 = z * y;
  const s = (y + s3 * (-0.166666666416265235595 + z * 0.0083333293858894631756)) + s3 * w * (-0.000198393348360966317347 + z * 0.0000027183114939898219064);
  const c = ((1 + z * -0.499999997251031003120) + w * 0.0416666233237390631894) + (w * z) * (-0.00138867637746099294692 + z * 0.0000243904487962774090654);
  let sn = s, cs = c;
  if (q & 1) { sn = c; cs = -s; }
  if (q & 2) { sn = -sn; cs = -cs; }
  sinOut = sn; cosOut = cs;
}

// libm's table-driven expf and logf: asconfig's shrinkLevel would otherwise pick the smaller,
// about three times slower versions. One function each, so each is compiled in once.
export function expF(x: f32): f32 { return expf_lut(x); }
export function logF(x: f32): f32 { return logf_lut(x); }

/** erf with |error| < 1.5e-7 (Abramowitz & Stegun 7.1.26), enough for float32. */
@inline function erfF(x: f32): f32 {
  const a = Mathf.abs(x);
  const t: f32 = 1 / (1 + 0.3275911 * a);
  const y: f32 = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * expF(-a * a);
  return copysign<f32>(y, x);
}

// ---- unary ----
@inline function unaryF(op: i32, x: f32, p: f32): f32 {
  switch (op) {
    case Op.Neg: return -x;
    case Op.Abs: return Mathf.abs(x);
    case Op.Sign: return x > 0 ? 1 : x < 0 ? -1 : x;
    case Op.Square: return x * x;
    case Op.Sqrt: return Mathf.sqrt(x);
    case Op.Rsqrt: return 1 / Mathf.sqrt(x);
    case Op.Exp: return expF(x);
    case Op.Expm1: return Mathf.expm1(x);
    case Op.Log: return logF(x);
    case Op.Log1p: return Mathf.log1p(x);
    case Op.Sin: sincosF(x); return <f32>sinOut;
    case Op.Cos: sincosF(x); return <f32>cosOut;
    case Op.Tan: sincosF(x); return <f32>(sinOut / cosOut);
    case Op.Tanh: return Mathf.tanh(x);
    case Op.Sigmoid: { // branch-free and stable: e = exp(-|x|) never overflows
      const e = expF(-Mathf.abs(x)), r: f32 = 1 / (1 + e);
      return x >= 0 ? r : e * r;
    }
    case Op.Relu: return x > 0 ? x : 0;
    case Op.Relu6: return x > 0 ? (x < 6 ? x : 6) : 0;
    case Op.LeakyRelu: return x > 0 ? x : x * p;
    case Op.Elu: return x > 0 ? x : Mathf.expm1(x);
    case Op.Selu: return x > 0 ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * Mathf.expm1(x);
    case Op.Softplus: return (x > 0 ? x : 0) + Mathf.log1p(expF(-Mathf.abs(x)));
    case Op.Erf: return erfF(x);
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

/** Runs unary `op` on x into a new tensor. `param` is the op's float attribute (leakyRelu alpha). */
export function unary(op: i32, x: i32, param: f32): i32 {
  const dtype = dtypeOf(x);
  const out = newLike(x, op == Op.LogicalNot ? DType.Bool : -1);
  const s = dataPtr(x), d = dataPtr(out), n = sizeOf(x);
  let i = 0;
  if (dtype == DType.Float32) {
    switch (op) {
      case Op.Neg: i = vmap<VNeg>(s, d, n); break;
      case Op.Abs: i = vmap<VAbs>(s, d, n); break;
      case Op.Square: i = vmap<VSquare>(s, d, n); break;
      case Op.Sqrt: i = vmap<VSqrt>(s, d, n); break;
      case Op.Relu: i = vmap<VRelu>(s, d, n); break;
      case Op.Step: i = vmap<VStep>(s, d, n); break;
      case Op.Identity: memory.copy(d, s, <usize>n << 2); i = n; break;
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
@inline function binF(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case Op.Add: return a + b;
    case Op.Sub: return a - b;
    case Op.Mul: return a * b;
    case Op.Div: return a / b;
    case Op.Pow: return Mathf.pow(a, b);
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
/** dy * f'(x) for unary ops; `y` is the op's output. */
export function unaryBackward(op: i32, y: i32, x: i32, dy: i32, param: f32): void {
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
    case Op.Expm1: g = mulKeepA(dy, addScalar(y, 1)); break;
    case Op.Log: g = div(dy, x); break;
    case Op.Log1p: g = divKeepA(dy, addScalar(x, 1)); break;
    case Op.Sin: g = mulKeepA(dy, unary(Op.Cos, x, 0)); break;
    case Op.Cos: g = mulKeepA(dy, negOwned(unary(Op.Sin, x, 0))); break;
    case Op.Tan: g = mulKeepA(dy, addScalarOwned(unary(Op.Square, y, 0), 1)); break;
    case Op.Tanh: g = mulKeepA(dy, oneMinusOwned(unary(Op.Square, y, 0))); break;
    case Op.Sigmoid: g = mulKeepA(dy, mulOwned(retainId(y), oneMinusOwned(retainId(y)))); break;
    case Op.Relu: g = mulKeepA(dy, unary(Op.Step, x, 0)); break;
    case Op.Relu6: {
      const six = scalarF32(6);
      const inside = binary(Op.Less, x, six);
      release(six);
      const m = mulOwned(unary(Op.Step, x, 0), boolToFloatOwned(inside));
      g = mulKeepA(dy, m);
      break;
    }
    case Op.LeakyRelu: g = leakyMask(x, dy, mulScalar(dy, param)); break;
    case Op.Elu: g = leakyMask(x, dy, mulKeepA(dy, addScalar(y, 1))); break;
    case Op.Selu: {
      const neg = mulKeepA(dy, addScalar(y, SELU_SCALE * SELU_ALPHA));
      const pos = mulScalar(dy, SELU_SCALE);
      g = leakyMask(x, pos, neg);
      release(pos);
      break;
    }
    case Op.Softplus: g = mulKeepA(dy, unary(Op.Sigmoid, x, 0)); break;
    case Op.Erf: { // 2/sqrt(pi) * exp(-x^2)
      const e = unary(Op.Exp, negOwned(unary(Op.Square, x, 0)), 0);
      g = mulKeepA(dy, mulScalarOwned(e, 1.1283791670955126));
      break;
    }
    case Op.Reciprocal: g = mulKeepA(dy, negOwned(unary(Op.Square, y, 0))); break;
    default: return;
  }
  accumulate(x, g);
}
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
