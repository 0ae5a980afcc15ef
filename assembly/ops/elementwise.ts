// Elementwise ops: unary maps, broadcasting binary ops, where and broadcastTo. The entries
// allocate, run the kernels of assembly/kernels/elementwise.ts and record; the backward rules sit
// below them, written with these same recorded ops (so gradients of gradients work).
import { Op, DType } from "../../build/generated/opcodes";
import { dataPtr, dtypeOf, elementBytes, newLike, newTensor, rankOf, sameShape, shapePtr, sizeOf, release, retain } from "../tensor";
import { record, recordAttr, isRecording } from "../tape";
import { hasRule } from "../../build/generated/core-backward";
import { Record, Grads } from "../record";
import { scratchMark, scratchRelease, scratchTake } from "../scratch";
import { MAX_RANK } from "../limits";
import { Plan, PLAN_BYTES, broadcastShapes } from "../kernels/broadcast";
import { unaryInt, isComparison, binaryKernel, binaryScalarF32, selectKernel, isExactPower, isMathOp, biasActRange, mapRange, MapMode, MATH_SCRATCH } from "../kernels/elementwise";
import { jobArgs, parallel, threadSlots } from "../threads";
import { Job, CHUNK, jobArgAt, worthElementThreads } from "../jobs";
import { SELU_ALPHA, SELU_SCALE } from "../kernels/mathx4";
import { planCopy } from "../kernels/copy";
import { scalarF32 } from "./layout";
import { unbroadcast } from "./reduce";
import { cast } from "./shape";

// ---- unary ----
/**
 * softplus, erf or gelu of x into `out` when a tape records it: the derivative comes from the same
 * exponential in the same pass and is recorded as an op of x (softplus: Sigmoid(x); erf, gelu: a
 * UnaryGrad without dy, holding f'(x) itself, see unaryGradBackward), so the gradient is one
 * multiply, dy·f'(x), and gradients of that gradient flow through the derivative's own record.
 */
function recordWithDerivative(op: i32, x: i32, out: i32): void {
  const s = newLike(x);
  mapFloats(MapMode.MathWithDerivative, op, dataPtr(x), dataPtr(s), dataPtr(out), sizeOf(x), 0);
  if (op == Op.Softplus) recordAttr(Op.Sigmoid, s, x, 0, 0);
  else recordAttr(Op.UnaryGrad, s, x, 0, op);
  recordAttr(op, out, x, s, 0);
  release(s); // the records hold it
}

/** Runs unary `op` on x into a new tensor. `param` is the op's float attribute (leakyRelu alpha). */
export function unary(op: i32, x: i32, param: f32): i32 {
  const dtype = dtypeOf(x);
  const out = newLike(x, op == Op.LogicalNot ? DType.Bool : -1);
  if (dtype == DType.Float32) {
    if ((op == Op.Softplus || op == Op.Erf || op == Op.Gelu) && isRecording(x)) recordWithDerivative(op, x, out);
    else {
      mapFloats(MapMode.Unary, op, dataPtr(x), 0, dataPtr(out), sizeOf(x), param);
      if (hasRule(op)) recordAttr(op, out, x, 0, reinterpret<i32>(param));
    }
  } else {
    unaryInt(op, dataPtr(x), dataPtr(out), sizeOf(x), dtype == DType.Bool);
  }
  return out;
}

/**
 * dy·f'(a) in one pass for the ops whose derivative mathx4 computes: `a` is the op's output y for
 * expm1, tanh, sigmoid, elu, selu, tan (their derivatives are functions of y), its input x for
 * log1p, erf, sin, cos, relu. Recorded (Op.UnaryGrad), so gradients of gradients work: see
 * unaryGradBackward.
 */
export function unaryGrad(op: i32, a: i32, dy: i32): i32 {
  const out = newLike(a);
  const d = sameShape(dy, a) ? retainId(dy) : broadcastToShape(dy, shapePtr(a), rankOf(a));
  mapFloats(MapMode.Gradient, op, dataPtr(a), dataPtr(d), dataPtr(out), sizeOf(a), 0);
  recordAttr(Op.UnaryGrad, out, a, d, op);
  release(d);
  return out;
}

/**
 * Map `mode` (kernels/elementwise.ts mapRange) of `op` over n floats: on the calling thread, or in
 * chunks of CHUNK floats on threads when the pass is large (each float's result is the same either way).
 */
function mapFloats(mode: i32, op: i32, p0: usize, p1: usize, p2: usize, n: i32, param: f32): void {
  const mark = scratchMark(), slots = threadSlots();
  if (slots < 2 || !worthElementThreads(slots, n, isCostlyMap(mode, op))) mapRange(mode, op, p0, p1, p2, 0, n, param, scratchTake(MATH_SCRATCH));
  else {
    const scratch = scratchTake(MATH_SCRATCH * slots), args = jobArgs(); // mapChunk's arguments (below)
    store<i32>(args, mode); store<i32>(args, op, 4); store<i32>(args, p0, 8); store<i32>(args, p1, 12); store<i32>(args, p2, 16);
    store<i32>(args, n, 20); store<f32>(args, param, 24); store<i32>(args, scratch, 28); store<i32>(args, MATH_SCRATCH, 32);
    parallel(Job.Map, (n + CHUNK - 1) / CHUNK);
  }
  scratchRelease(mark);
}

/** Whether map `mode` of `op` computes a transcendental per float (jobs.ts worthElementThreads). */
function isCostlyMap(mode: i32, op: i32): bool {
  if (mode == MapMode.Gradient) return op == Op.Erf || op == Op.Sin || op == Op.Cos;
  return mode == MapMode.MathWithDerivative || (mode == MapMode.Unary && isMathOp(op));
}

// ---- the tasks of threaded jobs (assembly/threads.ts runTask; args at jobArgs(), written above and below) ----
/** Job.Map's task: chunk `task` (CHUNK floats) of args [mode, op, p0, p1, p2, n, param bits, scratch, per-slot bytes]. */
export function mapChunk(args: usize, task: i32, slot: i32): void {
  const n = jobArgAt(args, 5), start = task * CHUNK;
  mapRange(jobArgAt(args, 0), jobArgAt(args, 1), jobArgAt(args, 2), jobArgAt(args, 3), jobArgAt(args, 4), start,
    min(CHUNK, n - start), reinterpret<f32>(jobArgAt(args, 6)), <usize>jobArgAt(args, 7) + <usize>slot * jobArgAt(args, 8));
}
/**
 * Job.Binary's task, args [op, dtype, plan, pa, pb, po, rowsPer, pieces, plans]: rowsPer whole rows
 * of the plan, or (pieces > 1: long rows) a piece of CHUNK elements of one row, walked by a
 * one-row plan. Either way in this thread's PLAN_BYTES at plans (a walk moves its odometer). An
 * element's result does not depend on the run it is in (f32x4 and scalar ops give the same bits).
 */
export function binaryChunk(args: usize, task: i32, slot: i32): void {
  const plan = changetype<Plan>(jobArgAt(args, 2)), mine = <usize>jobArgAt(args, 8) + <usize>slot * PLAN_BYTES;
  const rowsPer = jobArgAt(args, 6), pieces = jobArgAt(args, 7), n = plan.runN, op = jobArgAt(args, 0), dtype = jobArgAt(args, 1);
  const ei: usize = dtype == DType.Bool ? 1 : 4, eo: usize = isComparison(op) ? 1 : 4;
  let pa = <usize>jobArgAt(args, 3), pb = <usize>jobArgAt(args, 4), po = <usize>jobArgAt(args, 5);
  memory.copy(mine, changetype<usize>(plan), PLAN_BYTES);
  const walk = changetype<Plan>(mine);
  if (pieces > 1) {
    const row = task / pieces, start = task % pieces * CHUNK, count = min(CHUNK, n - start);
    walk.seek(row);
    pa += <usize>(walk.rowA + start * plan.runStrideA) * ei; pb += <usize>(walk.rowB + start * plan.runStrideB) * ei;
    po += (<usize>row * n + start) * eo;
    binaryKernel(op, dtype, Plan.run(mine, count, plan.runStrideA, plan.runStrideB), pa, pb, po, 1);
  } else {
    const first = task * rowsPer;
    walk.seek(first);
    binaryKernel(op, dtype, walk, pa, pb, po + <usize>first * n * eo, min(rowsPer, plan.size / n - first));
  }
}
/**
 * Job.BiasAct's task: floats [task·per, +per) of args [z, bias, y, sum, c, act, param bits,
 * blockFloats, n, per, scratch, per-slot bytes] (per: whole blocks; a slot's bytes: MATH_SCRATCH, then its block).
 */
export function biasActChunk(args: usize, task: i32, slot: i32): void {
  const per = jobArgAt(args, 9), start = task * per, scratch = <usize>jobArgAt(args, 10) + <usize>slot * jobArgAt(args, 11);
  biasActRange(jobArgAt(args, 0), jobArgAt(args, 1), jobArgAt(args, 2), jobArgAt(args, 3), jobArgAt(args, 4), jobArgAt(args, 5),
    reinterpret<f32>(jobArgAt(args, 6)), jobArgAt(args, 7), start, min(jobArgAt(args, 8), start + per), scratch, scratch + MATH_SCRATCH);
}

// ---- fused bias and activation ----
const FUSED_BLOCK = 1024; // floats of z + bias per block: they stay in L1 until the activation reads them

/**
 * act(z + bias) for a bias along z's last axis (c floats, c dividing z's size), the optional
 * epilogue of conv2d and matmul: one pass over z instead of an add and an activation op. Recorded as
 * the two ops it equals (Add, then `act` of the sum), so the backward rules and every higher order
 * are theirs; the sum is only kept as a tensor while a tape records (the activation's rule reads
 * it), else it lives in a scratch block. `act` −1: the bias alone. `param`: leakyRelu's alpha.
 */
export function biasActivation(z: i32, bias: i32, act: i32, param: f32): i32 {
  const recording = isRecording(z) || isRecording(bias);
  const y = newLike(z), sum = recording && act >= 0 ? newLike(z) : 0;
  const n = sizeOf(z), c = sizeOf(bias), pz = dataPtr(z), pb = dataPtr(bias), py = dataPtr(y), ps: usize = sum != 0 ? dataPtr(sum) : 0;
  const rowsPerBlock = max(1, FUSED_BLOCK / max(c, 1)), blockFloats = rowsPerBlock * c;
  // per thread: MATH_SCRATCH, then a block for z + bias unless it goes to `sum` or straight to y
  const slotBytes = MATH_SCRATCH + (act < 0 || sum != 0 ? 0 : <usize>blockFloats << 2), slots = threadSlots();
  const mark = scratchMark();
  if (slots < 2 || !worthElementThreads(slots, n, act >= 0 && isMathOp(act))) {
    const scratch = scratchTake(slotBytes);
    biasActRange(pz, pb, py, ps, c, act, param, blockFloats, 0, n, scratch, scratch + MATH_SCRATCH);
  } else {
    // tasks of whole blocks (each computed as on one thread), about CHUNK floats each
    const per = max(1, CHUNK / blockFloats) * blockFloats, scratch = scratchTake(slotBytes * slots), args = jobArgs();
    store<i32>(args, pz); store<i32>(args, pb, 4); store<i32>(args, py, 8); store<i32>(args, ps, 12); store<i32>(args, c, 16);
    store<i32>(args, act, 20); store<f32>(args, param, 24); store<i32>(args, blockFloats, 28); store<i32>(args, n, 32);
    store<i32>(args, per, 36); store<i32>(args, scratch, 40); store<i32>(args, slotBytes, 44);
    parallel(Job.BiasAct, (n + per - 1) / per); // biasActChunk (above)
  }
  scratchRelease(mark);
  if (act < 0) record(Op.Add, y, z, bias);
  else if (sum != 0) {
    record(Op.Add, sum, z, bias);
    recordAttr(act, y, sum, 0, reinterpret<i32>(param));
    release(sum); // the records hold it
  }
  return y;
}

// ---- binary ----
/** The output shape of a broadcasting op of a and b into `dst` (MAX_RANK ints); returns its rank. */
export function broadcastShapeOf(a: i32, b: i32, dst: usize): i32 {
  return broadcastShapes(shapePtr(a), rankOf(a), shapePtr(b), rankOf(b), dst);
}

/** Broadcasting binary op. */
export function binary(op: i32, a: i32, b: i32): i32 {
  const dtype = dtypeOf(a), comparison = isComparison(op);
  const mark = scratchMark(), shape = scratchTake(MAX_RANK * 4);
  const r = broadcastShapeOf(a, b, shape);
  const out = newTensor(comparison ? DType.Bool : dtype, r, shape);
  const pa = dataPtr(a), pb = dataPtr(b), po = dataPtr(out);
  // one float each (scalar programs, and the gradients of their ops): no broadcasting plan
  if (dtype == DType.Float32 && !comparison && sizeOf(a) == 1 && sizeOf(b) == 1) {
    store<f32>(po, binaryScalarF32(op, load<f32>(pa), load<f32>(pb)));
  } else if (op == Op.Pow && sizeOf(b) == 1 && sameShape(a, out) && isExactPower(load<f32>(pb))) {
    // x.pow(2), x.pow(-1), x.pow(0.5): one f32x4 operation each, ~3× faster than the general pow
    mapFloats(MapMode.PowScalar, op, pa, 0, po, sizeOf(a), load<f32>(pb));
  } else {
    const plan = Plan.make(scratchTake(PLAN_BYTES), shapePtr(a), rankOf(a), shapePtr(b), rankOf(b), shape, r);
    const rows = plan.rows(), n = plan.runN, slots = threadSlots();
    if (!worthElementThreads(slots, sizeOf(out), op == Op.Pow)) binaryKernel(op, dtype, plan, pa, pb, po, rows);
    else {
      // tasks of whole rows, about CHUNK elements, or of CHUNK-element pieces of long rows; each
      // thread walks its own copy of the plan
      const pieces = (n + CHUNK - 1) / CHUNK, rowsPer = pieces > 1 ? 1 : CHUNK / n, args = jobArgs();
      store<i32>(args, op); store<i32>(args, dtype, 4); store<i32>(args, changetype<usize>(plan), 8); store<i32>(args, pa, 12);
      store<i32>(args, pb, 16); store<i32>(args, po, 20); store<i32>(args, rowsPer, 24); store<i32>(args, pieces, 28);
      store<i32>(args, scratchTake(PLAN_BYTES * slots), 32);
      parallel(Job.Binary, pieces > 1 ? rows * pieces : (rows + rowsPer - 1) / rowsPer); // binaryChunk (above)
    }
  }
  scratchRelease(mark);
  if (dtype == DType.Float32 && hasRule(op)) record(op, out, a, b);
  return out;
}

/** x broadcast into `out` (whose shape x broadcasts to). */
function broadcastInto(x: i32, out: i32): void {
  const mark = scratchMark();
  const plan = Plan.make(scratchTake(PLAN_BYTES), shapePtr(x), rankOf(x), shapePtr(out), rankOf(out), shapePtr(out), rankOf(out));
  planCopy(plan, dataPtr(x), dataPtr(out), <usize>elementBytes(dtypeOf(x)));
  scratchRelease(mark);
}

/** x broadcast to the shape in `shape` (rank r); a copy even when the shape already matches. */
export function broadcastToShape(x: i32, shape: usize, r: i32): i32 {
  const out = newTensor(dtypeOf(x), r, shape);
  broadcastInto(x, out);
  record(Op.BroadcastTo, out, x);
  return out;
}

/** where(cond, a, b) with cond, a and b broadcast together. */
export function where(cond: i32, a: i32, b: i32): i32 {
  const mark = scratchMark(), shape = scratchTake(MAX_RANK * 4);
  const r0 = broadcastShapeOf(a, b, shape);
  const r = broadcastShapes(shape, r0, shapePtr(cond), rankOf(cond), shape);
  const out = newTensor(dtypeOf(a), r, shape);
  scratchRelease(mark);
  const c2 = broadcastLike(cond, out), a2 = broadcastLike(a, out), b2 = broadcastLike(b, out);
  selectKernel(dataPtr(c2), dataPtr(a2), dataPtr(b2), dataPtr(out), sizeOf(out), <usize>elementBytes(dtypeOf(a)));
  release(c2); release(a2); release(b2);
  record(Op.Where, out, cond, a, b);
  return out;
}
@inline function retainId(id: i32): i32 { retain(id); return id; }
/** x itself (retained) if it has like's shape, else an unrecorded broadcast copy. */
function broadcastLike(x: i32, like: i32): i32 {
  if (sameShape(x, like)) return retainId(x);
  const out = newLike(like, dtypeOf(x));
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
/** A float mask (0/1) of a bool tensor, never recorded (a cast from bool: no record, no loop of its own). */
export function boolToFloat(m: i32): i32 { return cast(m, DType.Float32); }
/** Float32 zeros shaped like x (never recorded). */
export function zerosLike(x: i32): i32 {
  const out = newLike(x, DType.Float32);
  memory.fill(dataPtr(out), 0, <usize>sizeOf(out) << 2);
  return out;
}

// ---- backward rules ----
/** dy * f'(x) for unary ops; the record's second input, if any, holds f'(x) (recordWithDerivative). */
export function unaryBackward(rec: Record, grads: Grads): void {
  const op = rec.op, y = rec.output(), x = rec.input(0), dy = grads.dy();
  let g: i32 = 0;
  switch (op) {
    case Op.Neg: g = neg(dy); break;
    case Op.Identity: retain(dy); g = dy; break;
    case Op.Abs: g = mulKeepA(dy, unary(Op.Sign, x, 0)); break;
    case Op.Sign: g = zerosLike(x); break;
    case Op.Square: g = mulKeepA(dy, mulScalar(x, 2)); break;
    case Op.Sqrt: g = divKeepA(dy, mulScalar(y, 2)); break;
    case Op.Rsqrt: { const y3 = mulOwned(unary(Op.Square, y, 0), retainId(y)); g = mulKeepA(dy, mulScalarOwned(y3, -0.5)); break; }
    case Op.Exp: g = mul(dy, y); break;
    // one pass each, from the output where the derivative allows (unaryGrad)
    case Op.Expm1: case Op.Tanh: case Op.Sigmoid: case Op.Elu: case Op.Selu: case Op.Tan: g = unaryGrad(op, y, dy); break;
    case Op.Log1p: case Op.Sin: case Op.Cos: g = unaryGrad(op, x, dy); break;
    case Op.Softplus: case Op.Erf: case Op.Gelu: g = mul(dy, rec.input(1)); break; // f'(x), recorded (recordWithDerivative)
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
    case Op.LeakyRelu: g = leakyMask(x, dy, mulScalar(dy, rec.attrF32(0))); break;
    case Op.Reciprocal: g = mulKeepA(dy, negOwned(unary(Op.Square, y, 0))); break;
    default: return;
  }
  grads.set(0, g);
}
/**
 * Backward of g = unaryGrad(op, a, dy) = dy·f'(a) with upstream h: h·f'(a) to dy (unaryGrad
 * again), h·dy·∂f'(a)/∂a to a, in recorded ops so that every order of derivative works.
 */
export function unaryGradBackward(rec: Record, grads: Grads): void {
  const op = rec.attr(0), a = rec.input(0), h = grads.dy();
  // a record without dy holds f'(a) itself (erf's and gelu's, stored by their forward pass)
  const dy = rec.inputs > 1 ? rec.input(1) : 0;
  if (dy != 0 && grads.wants(1)) grads.set(1, unaryGrad(op, a, h));
  if (op == Op.Relu || !grads.wants(0)) return; // relu's mask is piecewise constant in x: no gradient flows to x
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
  grads.set(0, ga);
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

export function binaryBackward(rec: Record, grads: Grads): void {
  const op = rec.op, y = rec.output(), a = rec.input(0), b = rec.input(1), dy = grads.dy();
  const needA = grads.wants(0), needB = grads.wants(1);
  switch (op) {
    case Op.Add:
      if (needA) grads.set(0, unbroadcast(dy, a));
      if (needB) grads.set(1, unbroadcast(dy, b));
      break;
    case Op.Sub:
      if (needA) grads.set(0, unbroadcast(dy, a));
      if (needB) grads.set(1, unbroadcastOwned(neg(dy), b));
      break;
    case Op.Mul:
      if (needA) grads.set(0, unbroadcastOwned(mul(dy, b), a));
      if (needB) grads.set(1, unbroadcastOwned(mul(dy, a), b));
      break;
    case Op.Div:
      if (needA) grads.set(0, unbroadcastOwned(div(dy, b), a));
      if (needB) { // -dy * a / b^2  ==  -dy * y / b
        const t = negOwned(mulOwned(retainId(dy), div(y, b)));
        grads.set(1, unbroadcastOwned(t, b));
      }
      break;
    case Op.Pow: {
      if (needA) { // dy * b * a^(b-1)
        const bm1 = addScalar(b, -1);
        const p = binary(Op.Pow, a, bm1);
        release(bm1);
        grads.set(0, unbroadcastOwned(mulOwned(mul(dy, b), p), a));
      }
      if (needB) { // dy * y * log(a), masked to 0 where a <= 0
        const zero = scalarF32(0), one = scalarF32(1);
        const pos = binary(Op.Greater, a, zero);
        const safe = where(pos, a, one);
        const lg = unary(Op.Log, safe, 0);
        const masked = where(pos, lg, zero);
        release(zero); release(one); release(pos); release(safe); release(lg);
        grads.set(1, unbroadcastOwned(mulOwned(mul(dy, y), masked), b));
      }
      break;
    }
    case Op.Maximum:
    case Op.Minimum: {
      // ties send the whole gradient to the first argument
      const m = binary(op == Op.Maximum ? Op.GreaterEqual : Op.LessEqual, a, b);
      const zero = scalarF32(0);
      if (needA) grads.set(0, unbroadcastOwned(where(m, dy, zero), a));
      if (needB) grads.set(1, unbroadcastOwned(where(m, zero, dy), b));
      release(zero); release(m);
      break;
    }
  }
}
export function unbroadcastOwned(g: i32, like: i32): i32 { const y = unbroadcast(g, like); release(g); return y; }

export function whereBackward(rec: Record, grads: Grads): void {
  const cond = rec.input(0), a = rec.input(1), b = rec.input(2), dy = grads.dy();
  const zero = scalarF32(0);
  if (grads.wants(1)) grads.set(1, unbroadcastOwned(where(cond, dy, zero), a));
  if (grads.wants(2)) grads.set(2, unbroadcastOwned(where(cond, zero, dy), b));
  release(zero);
}

export function broadcastToBackward(rec: Record, grads: Grads): void { grads.set(0, unbroadcast(grads.dy(), rec.input(0))); }
