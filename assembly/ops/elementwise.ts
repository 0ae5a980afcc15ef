// Elementwise ops: unary maps and broadcasting binary ops, with their backward rules.
// Each scalar function is a tiny functor class so the loops below are specialised per op at compile
// time (no switch inside the hot loop); functors with a `v` method also get an f32x4 loop.
import { Op, DType } from "../opcodes";
import { dataPtr, dtypeOf, newLike, newTensor, rankOf, sameShape, sizeOf, release, retain } from "../tensor";
import { record, accumulate, needsGrad } from "../tape";
import { broadcastShape, makePlan, planDims, planRank, planSize, planStrideA, planStrideB, resetOdometer, nextRow, rowA, rowB, shapeBuf, scalarF32 } from "./layout";
import { unbroadcast } from "./reduce";

// ---- scalar helpers ----
@inline function sigmoidF(x: f32): f32 {
  if (x >= 0) return 1 / (1 + Mathf.exp(-x));
  const e = Mathf.exp(x);
  return e / (1 + e);
}
/** erf with |error| < 1.5e-7 (Abramowitz & Stegun 7.1.26), enough for float32. */
export function erfF(x: f32): f32 {
  const s: f32 = x < 0 ? -1 : 1;
  const a = Mathf.abs(x);
  const t: f32 = 1 / (1 + 0.3275911 * a);
  const y: f32 = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Mathf.exp(-a * a);
  return s * y;
}
@inline function floorModF(x: f32, y: f32): f32 {
  const r = x - Mathf.floor(x / y) * y;
  return r;
}
@inline function floorModI(x: i32, y: i32): i32 {
  if (y == 0) return 0;
  const r = x % y;
  return r != 0 && ((r < 0) != (y < 0)) ? r + y : r;
}
@inline function floorDivI(x: i32, y: i32): i32 {
  if (y == 0) return 0;
  if (y == -1) return -x; // avoids the INT_MIN / -1 trap
  const q = x / y;
  return (q * y != x && ((x < 0) != (y < 0))) ? q - 1 : q;
}

const SELU_ALPHA: f32 = 1.6732632423543772;
const SELU_SCALE: f32 = 1.0507009873554805;

// ---- unary functors (float32) ----
class FNeg { @inline f(x: f32): f32 { return -x; } @inline v(x: v128): v128 { return f32x4.neg(x); } }
class FAbs { @inline f(x: f32): f32 { return Mathf.abs(x); } @inline v(x: v128): v128 { return f32x4.abs(x); } }
class FSign { @inline f(x: f32): f32 { return x > 0 ? 1 : x < 0 ? -1 : x; } }
class FSquare { @inline f(x: f32): f32 { return x * x; } @inline v(x: v128): v128 { return f32x4.mul(x, x); } }
class FSqrt { @inline f(x: f32): f32 { return Mathf.sqrt(x); } @inline v(x: v128): v128 { return f32x4.sqrt(x); } }
class FRsqrt { @inline f(x: f32): f32 { return 1 / Mathf.sqrt(x); } }
class FExp { @inline f(x: f32): f32 { return Mathf.exp(x); } }
class FExpm1 { @inline f(x: f32): f32 { return <f32>Math.expm1(x); } }
class FLog { @inline f(x: f32): f32 { return Mathf.log(x); } }
class FLog1p { @inline f(x: f32): f32 { return <f32>Math.log1p(x); } }
class FSin { @inline f(x: f32): f32 { return Mathf.sin(x); } }
class FCos { @inline f(x: f32): f32 { return Mathf.cos(x); } }
class FTan { @inline f(x: f32): f32 { return Mathf.tan(x); } }
class FTanh { @inline f(x: f32): f32 { return Mathf.tanh(x); } }
class FSigmoid { @inline f(x: f32): f32 { return sigmoidF(x); } }
class FRelu { @inline f(x: f32): f32 { return x > 0 ? x : 0; } @inline v(x: v128): v128 { return f32x4.pmax(x, f32x4.splat(0)); } }
class FRelu6 { @inline f(x: f32): f32 { return x > 0 ? (x < 6 ? x : 6) : 0; } }
class FElu { @inline f(x: f32): f32 { return x > 0 ? x : <f32>Math.expm1(x); } }
class FSelu { @inline f(x: f32): f32 { return x > 0 ? SELU_SCALE * x : SELU_SCALE * SELU_ALPHA * <f32>Math.expm1(x); } }
class FSoftplus { @inline f(x: f32): f32 { return (x > 0 ? x : 0) + <f32>Math.log1p(Mathf.exp(-Mathf.abs(x))); } }
class FErf { @inline f(x: f32): f32 { return erfF(x); } }
class FReciprocal { @inline f(x: f32): f32 { return 1 / x; } }
class FFloor { @inline f(x: f32): f32 { return Mathf.floor(x); } @inline v(x: v128): v128 { return f32x4.floor(x); } }
class FCeil { @inline f(x: f32): f32 { return Mathf.ceil(x); } @inline v(x: v128): v128 { return f32x4.ceil(x); } }
class FRound { @inline f(x: f32): f32 { return nearest<f32>(x); } @inline v(x: v128): v128 { return f32x4.nearest(x); } }
class FIdentity { @inline f(x: f32): f32 { return x; } }
class FStep { @inline f(x: f32): f32 { return x > 0 ? 1 : 0; } }
// int32
class INeg { @inline f(x: i32): i32 { return -x; } }
class IAbs { @inline f(x: i32): i32 { return x < 0 ? -x : x; } }
class ISign { @inline f(x: i32): i32 { return x > 0 ? 1 : x < 0 ? -1 : 0; } }
class ISquare { @inline f(x: i32): i32 { return x * x; } }
class IIdentity { @inline f(x: i32): i32 { return x; } }
// bool
class BNot { @inline f(x: u8): u8 { return x ? 0 : 1; } }
class BIdentity { @inline f(x: u8): u8 { return x; } }

function mapLoop<T, F>(f: F, src: usize, dst: usize, n: i32): void {
  let i = 0;
  if (isDefined(f.v)) {
    for (; i + 4 <= n; i += 4) {
      const k = <usize>i << 2;
      v128.store(dst + k, f.v(v128.load(src + k)));
    }
  }
  for (; i < n; i++) {
    const k = <usize>i * sizeof<T>();
    store<T>(dst + k, f.f(load<T>(src + k)));
  }
}
@inline function mapF<F>(src: usize, dst: usize, n: i32): void { mapLoop<f32, F>(changetype<F>(0), src, dst, n); }

class FLeaky { alpha: f32; @inline f(x: f32): f32 { return x > 0 ? x : x * this.alpha; } }
const leakyFunctor = memory.data(16, 16);

/** Runs unary `op` on x into a new tensor. `param` is the op's float attribute (leakyRelu alpha). */
export function unary(op: i32, x: i32, param: f32): i32 {
  const dtype = dtypeOf(x);
  const out = newLike(x, op == Op.LogicalNot ? DType.Bool : -1);
  const s = dataPtr(x), d = dataPtr(out), n = sizeOf(x);
  if (dtype == DType.Int32) {
    switch (op) {
      case Op.Neg: mapLoop<i32, INeg>(changetype<INeg>(0), s, d, n); break;
      case Op.Abs: mapLoop<i32, IAbs>(changetype<IAbs>(0), s, d, n); break;
      case Op.Sign: mapLoop<i32, ISign>(changetype<ISign>(0), s, d, n); break;
      case Op.Square: mapLoop<i32, ISquare>(changetype<ISquare>(0), s, d, n); break;
      default: mapLoop<i32, IIdentity>(changetype<IIdentity>(0), s, d, n);
    }
    return out;
  }
  if (dtype == DType.Bool) {
    if (op == Op.LogicalNot) mapLoop<u8, BNot>(changetype<BNot>(0), s, d, n);
    else mapLoop<u8, BIdentity>(changetype<BIdentity>(0), s, d, n);
    return out;
  }
  switch (op) {
    case Op.Neg: mapF<FNeg>(s, d, n); break;
    case Op.Abs: mapF<FAbs>(s, d, n); break;
    case Op.Sign: mapF<FSign>(s, d, n); break;
    case Op.Square: mapF<FSquare>(s, d, n); break;
    case Op.Sqrt: mapF<FSqrt>(s, d, n); break;
    case Op.Rsqrt: mapF<FRsqrt>(s, d, n); break;
    case Op.Exp: mapF<FExp>(s, d, n); break;
    case Op.Expm1: mapF<FExpm1>(s, d, n); break;
    case Op.Log: mapF<FLog>(s, d, n); break;
    case Op.Log1p: mapF<FLog1p>(s, d, n); break;
    case Op.Sin: mapF<FSin>(s, d, n); break;
    case Op.Cos: mapF<FCos>(s, d, n); break;
    case Op.Tan: mapF<FTan>(s, d, n); break;
    case Op.Tanh: mapF<FTanh>(s, d, n); break;
    case Op.Sigmoid: mapF<FSigmoid>(s, d, n); break;
    case Op.Relu: mapF<FRelu>(s, d, n); break;
    case Op.Relu6: mapF<FRelu6>(s, d, n); break;
    case Op.LeakyRelu: {
      const f = changetype<FLeaky>(leakyFunctor);
      f.alpha = param;
      mapLoop<f32, FLeaky>(f, s, d, n);
      break;
    }
    case Op.Elu: mapF<FElu>(s, d, n); break;
    case Op.Selu: mapF<FSelu>(s, d, n); break;
    case Op.Softplus: mapF<FSoftplus>(s, d, n); break;
    case Op.Erf: mapF<FErf>(s, d, n); break;
    case Op.Reciprocal: mapF<FReciprocal>(s, d, n); break;
    case Op.Floor: mapF<FFloor>(s, d, n); break;
    case Op.Ceil: mapF<FCeil>(s, d, n); break;
    case Op.Round: mapF<FRound>(s, d, n); break;
    case Op.Step: mapF<FStep>(s, d, n); break;
    default: mapF<FIdentity>(s, d, n);
  }
  // floor/ceil/round/step have no gradient: they are never recorded
  if (op != Op.Floor && op != Op.Ceil && op != Op.Round && op != Op.Step) record(op, out, x, 0, 0, reinterpret<i32>(param));
  return out;
}

// ---- binary functors ----
class BAdd { @inline f(a: f32, b: f32): f32 { return a + b; } @inline v(a: v128, b: v128): v128 { return f32x4.add(a, b); } }
class BSub { @inline f(a: f32, b: f32): f32 { return a - b; } @inline v(a: v128, b: v128): v128 { return f32x4.sub(a, b); } }
class BMul { @inline f(a: f32, b: f32): f32 { return a * b; } @inline v(a: v128, b: v128): v128 { return f32x4.mul(a, b); } }
class BDiv { @inline f(a: f32, b: f32): f32 { return a / b; } @inline v(a: v128, b: v128): v128 { return f32x4.div(a, b); } }
class BPow { @inline f(a: f32, b: f32): f32 { return Mathf.pow(a, b); } }
class BMax { @inline f(a: f32, b: f32): f32 { return a >= b || a != a ? a : b; } }
class BMin { @inline f(a: f32, b: f32): f32 { return a <= b || a != a ? a : b; } }
class BMod { @inline f(a: f32, b: f32): f32 { return floorModF(a, b); } }
class BFloorDiv { @inline f(a: f32, b: f32): f32 { return Mathf.floor(a / b); } }
class IAdd { @inline f(a: i32, b: i32): i32 { return a + b; } }
class ISub { @inline f(a: i32, b: i32): i32 { return a - b; } }
class IMul { @inline f(a: i32, b: i32): i32 { return a * b; } }
class IMax { @inline f(a: i32, b: i32): i32 { return a >= b ? a : b; } }
class IMin { @inline f(a: i32, b: i32): i32 { return a <= b ? a : b; } }
class IMod { @inline f(a: i32, b: i32): i32 { return floorModI(a, b); } }
class IFloorDiv { @inline f(a: i32, b: i32): i32 { return floorDivI(a, b); } }
// comparisons: generic over the input type, output u8
class CEq<T> { @inline f(a: T, b: T): u8 { return <u8>(a == b); } }
class CNe<T> { @inline f(a: T, b: T): u8 { return <u8>(a != b); } }
class CGt<T> { @inline f(a: T, b: T): u8 { return <u8>(a > b); } }
class CGe<T> { @inline f(a: T, b: T): u8 { return <u8>(a >= b); } }
class CLt<T> { @inline f(a: T, b: T): u8 { return <u8>(a < b); } }
class CLe<T> { @inline f(a: T, b: T): u8 { return <u8>(a <= b); } }
class LAnd { @inline f(a: u8, b: u8): u8 { return <u8>(a != 0 && b != 0); } }
class LOr { @inline f(a: u8, b: u8): u8 { return <u8>(a != 0 || b != 0); } }
class LFirst<T> { @inline f(a: T, b: T): T { return a; } }

/** Runs the current broadcasting plan: out[i] = f(a[ia], b[ib]). */
function binLoop<TI, TO, F>(f: F, pa: usize, pb: usize, po: usize): void {
  if (planSize == 0) return;
  const last = <usize>(planRank - 1) << 2;
  const n = load<i32>(planDims + last);
  const sa = load<i32>(planStrideA + last), sb = load<i32>(planStrideB + last);
  const rows = planSize / n;
  const ei = sizeof<TI>(), eo = sizeof<TO>();
  resetOdometer();
  rowA = 0; rowB = 0;
  for (let row = 0; row < rows; row++) {
    const a = pa + <usize>rowA * ei, b = pb + <usize>rowB * ei;
    let i = 0;
    if (isDefined(f.v)) {
      if (sa == 1 && sb == 1) {
        for (; i + 4 <= n; i += 4) { const k = <usize>i << 2; v128.store(po + k, f.v(v128.load(a + k), v128.load(b + k))); }
      } else if (sa == 0 && sb == 1) {
        const va = f32x4.splat(load<f32>(a));
        for (; i + 4 <= n; i += 4) { const k = <usize>i << 2; v128.store(po + k, f.v(va, v128.load(b + k))); }
      } else if (sa == 1 && sb == 0) {
        const vb = f32x4.splat(load<f32>(b));
        for (; i + 4 <= n; i += 4) { const k = <usize>i << 2; v128.store(po + k, f.v(v128.load(a + k), vb)); }
      }
    }
    for (; i < n; i++) {
      store<TO>(po + <usize>i * eo, f.f(load<TI>(a + <usize>(i * sa) * ei), load<TI>(b + <usize>(i * sb) * ei)));
    }
    po += <usize>n * eo;
    nextRow();
  }
}
@inline function bin<TI, TO, F>(a: i32, b: i32, out: i32): void {
  binLoop<TI, TO, F>(changetype<F>(0), dataPtr(a), dataPtr(b), dataPtr(out));
}

@inline function isComparison(op: i32): bool { return op >= Op.Equal && op <= Op.LogicalOr; }

/** Broadcasting binary op. */
export function binary(op: i32, a: i32, b: i32): i32 {
  const r = broadcastShape(a, b);
  const dtype = dtypeOf(a);
  const out = newTensor(isComparison(op) ? DType.Bool : dtype, r, shapeBuf);
  makePlan(a, b, shapeBuf, r);
  if (isComparison(op)) {
    if (dtype == DType.Float32) compare<f32>(op, a, b, out);
    else if (dtype == DType.Int32) compare<i32>(op, a, b, out);
    else compare<u8>(op, a, b, out);
    return out;
  }
  if (dtype == DType.Int32) {
    switch (op) {
      case Op.Add: bin<i32, i32, IAdd>(a, b, out); break;
      case Op.Sub: bin<i32, i32, ISub>(a, b, out); break;
      case Op.Mul: bin<i32, i32, IMul>(a, b, out); break;
      case Op.Maximum: bin<i32, i32, IMax>(a, b, out); break;
      case Op.Minimum: bin<i32, i32, IMin>(a, b, out); break;
      case Op.Mod: bin<i32, i32, IMod>(a, b, out); break;
      default: bin<i32, i32, IFloorDiv>(a, b, out);
    }
    return out;
  }
  switch (op) {
    case Op.Add: bin<f32, f32, BAdd>(a, b, out); break;
    case Op.Sub: bin<f32, f32, BSub>(a, b, out); break;
    case Op.Mul: bin<f32, f32, BMul>(a, b, out); break;
    case Op.Div: bin<f32, f32, BDiv>(a, b, out); break;
    case Op.Pow: bin<f32, f32, BPow>(a, b, out); break;
    case Op.Maximum: bin<f32, f32, BMax>(a, b, out); break;
    case Op.Minimum: bin<f32, f32, BMin>(a, b, out); break;
    case Op.Mod: bin<f32, f32, BMod>(a, b, out); break;
    default: bin<f32, f32, BFloorDiv>(a, b, out);
  }
  if (op != Op.Mod && op != Op.FloorDiv) record(op, out, a, b);
  return out;
}

function compare<T>(op: i32, a: i32, b: i32, out: i32): void {
  switch (op) {
    case Op.Equal: bin<T, u8, CEq<T>>(a, b, out); break;
    case Op.NotEqual: bin<T, u8, CNe<T>>(a, b, out); break;
    case Op.Greater: bin<T, u8, CGt<T>>(a, b, out); break;
    case Op.GreaterEqual: bin<T, u8, CGe<T>>(a, b, out); break;
    case Op.Less: bin<T, u8, CLt<T>>(a, b, out); break;
    case Op.LessEqual: bin<T, u8, CLe<T>>(a, b, out); break;
    case Op.LogicalAnd: bin<u8, u8, LAnd>(a, b, out); break;
    default: bin<u8, u8, LOr>(a, b, out);
  }
}

/** x broadcast to the shape in `shape` (rank r); a copy even when the shape already matches. */
export function broadcastToShape(x: i32, shape: usize, r: i32): i32 {
  const out = newTensor(dtypeOf(x), r, shape);
  makePlan(x, x, shape, r);
  const dt = dtypeOf(x);
  if (dt == DType.Bool) bin<u8, u8, LFirst<u8>>(x, x, out);
  else bin<u32, u32, LFirst<u32>>(x, x, out);
  record(Op.BroadcastTo, out, x);
  return out;
}

/** where(cond, a, b) with cond, a and b broadcast together. */
export function where(cond: i32, a: i32, b: i32): i32 {
  // output shape: broadcast of all three
  let r = broadcastShape(a, b);
  const ab = newTensor(DType.Bool, r, shapeBuf); // shape carrier only
  r = broadcastShape(cond, ab);
  release(ab);
  const out = newTensor(dtypeOf(a), r, shapeBuf);
  const c2 = sameShape(cond, out) ? retainId(cond) : broadcastToShape(cond, shapeBuf, r);
  const a2 = sameShape(a, out) ? retainId(a) : broadcastToShapeUnrecorded(a, out);
  const b2 = sameShape(b, out) ? retainId(b) : broadcastToShapeUnrecorded(b, out);
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
function broadcastToShapeUnrecorded(x: i32, like: i32): i32 {
  const out = newLike(like, dtypeOf(x));
  makePlan(x, x, shapePtrOf(like), rankOf(like));
  if (dtypeOf(x) == DType.Bool) bin<u8, u8, LFirst<u8>>(x, x, out);
  else bin<u32, u32, LFirst<u32>>(x, x, out);
  return out;
}
import { shapePtr as shapePtrOf } from "../tensor";

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
function unbroadcastOwned(g: i32, like: i32): i32 { const y = unbroadcast(g, like); release(g); return y; }

export function whereBackward(cond: i32, a: i32, b: i32, dy: i32): void {
  const zero = scalarF32(0);
  if (needsGrad(a)) accumulate(a, unbroadcastOwned(where(cond, dy, zero), a));
  if (needsGrad(b)) accumulate(b, unbroadcastOwned(where(cond, zero, dy), b));
  release(zero);
}
