// softmax and logSoftmax over the middle axis of [outer, n, inner], computed stably. Pure.
import { Op } from "../../build/generated/opcodes";
import { mapMath, MATH_SCRATCH } from "./elementwise";

/** Scratch bytes softmaxKernel needs. */
export const SOFTMAX_SCRATCH: usize = MATH_SCRATCH + 16;

/** softmax (log = false) or logSoftmax (log = true) of src into dst, with the max subtracted. */
export function softmaxKernel(src: usize, dst: usize, outer: i32, n: i32, inner: i32, log: bool, scratch: usize): void {
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
