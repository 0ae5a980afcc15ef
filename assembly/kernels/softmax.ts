// softmax and logSoftmax over the middle axis of [outer, n, inner], computed stably. Pure.
import { Op } from "../../build/generated/opcodes";
import { mapMath, MATH_SCRATCH } from "./elementwise";

/** Scratch bytes softmaxKernel needs. */
export const SOFTMAX_SCRATCH: usize = MATH_SCRATCH + 16;

/** softmax (log = false) or logSoftmax (log = true) of src into dst, with the max subtracted. */
export function softmaxKernel(src: usize, dst: usize, outer: i32, n: i32, inner: i32, log: bool, scratch: usize): void {
  if (inner == 1 && !log) { softmaxRows(src, dst, outer, n, scratch); return; }
  const step = <usize>inner << 2, one = scratch + MATH_SCRATCH;
  // x − max into dst group by group, e^(x − max) of the whole tensor in one pass of the exp kernel,
  // then each group's sum
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = (<usize>o * n * inner + i) << 2, mx = groupMax(src + base, n, step);
      for (let j = 0; j < n; j++) store<f32>(dst + base + <usize>j * step, load<f32>(src + base + <usize>j * step) - mx);
    }
  }
  mapMath(Op.Exp, dst, dst, outer * n * inner, dst, scratch);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = (<usize>o * n * inner + i) << 2;
      let sum: f32 = 0;
      for (let j = 0; j < n; j++) sum += load<f32>(dst + base + <usize>j * step);
      if (log) {
        // (x − max) − log(sum), as TF: x − (max + log(sum)) rounds max + log(sum) at max's scale
        // first (logSoftmax([1000, 1000]) gave −0.693176 for −0.693147)
        store<f32>(one, sum);
        mapMath(Op.Log, one, one, 1, one, scratch);
        const mx = groupMax(src + base, n, step), logSum = load<f32>(one);
        for (let j = 0; j < n; j++) store<f32>(dst + base + <usize>j * step, (load<f32>(src + base + <usize>j * step) - mx) - logSum);
      } else {
        const inv: f32 = 1 / sum;
        for (let j = 0; j < n; j++) store<f32>(dst + base + <usize>j * step, load<f32>(dst + base + <usize>j * step) * inv);
      }
    }
  }
}

/** The largest of the n floats at p, p + step, ... (NaN if any is NaN; 0 if all are −Inf). */
function groupMax(p: usize, n: i32, step: usize): f32 {
  let mx: f32 = -Infinity;
  for (let j = 0; j < n; j++) { const v = load<f32>(p + <usize>j * step); if (v > mx || v != v) mx = v; }
  return mx == -Infinity ? 0 : mx;
}

/**
 * softmax over contiguous rows of n (the last axis, as attention's scores): the same steps as
 * softmaxKernel, four lanes at a time (its scalar strided loops cost 5x the exp pass there).
 * The sums add four lanes and then the lanes, so the last bits may differ from a sequential sum.
 */
function softmaxRows(src: usize, dst: usize, rows: i32, n: i32, scratch: usize): void {
  const whole = n & ~3;
  for (let r = 0; r < rows; r++) {
    const s = src + ((<usize>r * n) << 2), d = dst + ((<usize>r * n) << 2);
    let m4 = f32x4.splat(-Infinity);
    for (let j = 0; j < whole; j += 4) m4 = f32x4.max(m4, v128.load(s + (<usize>j << 2))); // NaN propagates, as groupMax
    let mx = max(max(f32x4.extract_lane(m4, 0), f32x4.extract_lane(m4, 1)), max(f32x4.extract_lane(m4, 2), f32x4.extract_lane(m4, 3)));
    for (let j = whole; j < n; j++) mx = max(mx, load<f32>(s + (<usize>j << 2)));
    if (mx == -Infinity) mx = 0;
    const m = f32x4.splat(mx);
    for (let j = 0; j < whole; j += 4) v128.store(d + (<usize>j << 2), f32x4.sub(v128.load(s + (<usize>j << 2)), m));
    for (let j = whole; j < n; j++) store<f32>(d + (<usize>j << 2), load<f32>(s + (<usize>j << 2)) - mx);
  }
  mapMath(Op.Exp, dst, dst, rows * n, dst, scratch);
  for (let r = 0; r < rows; r++) {
    const d = dst + ((<usize>r * n) << 2);
    let s4 = f32x4.splat(0);
    for (let j = 0; j < whole; j += 4) s4 = f32x4.add(s4, v128.load(d + (<usize>j << 2)));
    let sum: f32 = (f32x4.extract_lane(s4, 0) + f32x4.extract_lane(s4, 1)) + (f32x4.extract_lane(s4, 2) + f32x4.extract_lane(s4, 3));
    for (let j = whole; j < n; j++) sum += load<f32>(d + (<usize>j << 2));
    const inv: f32 = 1 / sum, k = f32x4.splat(inv);
    for (let j = 0; j < whole; j += 4) v128.store(d + (<usize>j << 2), f32x4.mul(v128.load(d + (<usize>j << 2)), k));
    for (let j = whole; j < n; j++) store<f32>(d + (<usize>j << 2), load<f32>(d + (<usize>j << 2)) * inv);
  }
}
