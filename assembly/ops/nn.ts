// Neural-network ops with kernels of their own: softmax and logSoftmax over one axis.
import { Op } from "../opcodes";
import { dataPtr, newLike, sizeOf, release } from "../tensor";
import { record, accumulate } from "../tape";
import { splitAt, splitOuter, splitN, splitInner } from "./layout";
import { mul, sub, unary, mapMath } from "./elementwise";
import { reduce } from "./reduce";

/** softmax (log = false) or logSoftmax (log = true) of x along `axis`, computed stably (max subtracted). */
export function softmax(x: i32, axis: i32, log: bool): i32 {
  const out = newLike(x);
  splitAt(x, axis);
  const outer = splitOuter, n = splitN, inner = splitInner;
  const src = dataPtr(x), dst = dataPtr(out), step = <usize>inner << 2;
  // x − max into out group by group, e^(x − max) of the whole tensor in one pass of the exp kernel,
  // then each group's sum
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = (<usize>o * n * inner + i) << 2, mx = groupMax(src + base, n, step);
      for (let j = 0; j < n; j++) store<f32>(dst + base + <usize>j * step, load<f32>(src + base + <usize>j * step) - mx);
    }
  }
  mapMath(Op.Exp, dst, dst, sizeOf(x), dst);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = (<usize>o * n * inner + i) << 2;
      let sum: f32 = 0;
      for (let j = 0; j < n; j++) sum += load<f32>(dst + base + <usize>j * step);
      if (log) {
        // (x − max) − log(sum), as TF: x − (max + log(sum)) rounds max + log(sum) at max's scale
        // first (logSoftmax([1000, 1000]) gave −0.693176 for −0.693147)
        store<f32>(logScratch, sum);
        mapMath(Op.Log, logScratch, logScratch, 1, logScratch);
        const mx = groupMax(src + base, n, step), logSum = load<f32>(logScratch);
        for (let j = 0; j < n; j++) store<f32>(dst + base + <usize>j * step, (load<f32>(src + base + <usize>j * step) - mx) - logSum);
      } else {
        const inv: f32 = 1 / sum;
        for (let j = 0; j < n; j++) store<f32>(dst + base + <usize>j * step, load<f32>(dst + base + <usize>j * step) * inv);
      }
    }
  }
  record(log ? Op.LogSoftmax : Op.Softmax, out, x, 0, 0, axis);
  return out;
}
const logScratch = memory.data(4, 4);
/** The largest of the n floats at p, p + step, ... (NaN if any is NaN; 0 if all are −Inf). */
function groupMax(p: usize, n: i32, step: usize): f32 {
  let mx: f32 = -Infinity;
  for (let j = 0; j < n; j++) { const v = load<f32>(p + <usize>j * step); if (v > mx || v != v) mx = v; }
  return mx == -Infinity ? 0 : mx;
}

export function softmaxBackward(op: i32, y: i32, x: i32, axis: i32, dy: i32): void {
  const mask = <u32>1 << <u32>axis;
  if (op == Op.Softmax) { // y * (dy - sum(dy * y))
    const t = mul(dy, y);
    const s = reduce(Op.Sum, t, mask, true);
    const d = sub(dy, s);
    accumulate(x, mul(y, d));
    release(t); release(s); release(d);
  } else { // dy - exp(y) * sum(dy)
    const s = reduce(Op.Sum, dy, mask, true);
    const e = unary(Op.Exp, y, 0);
    const t = mul(e, s);
    accumulate(x, sub(dy, t));
    release(s); release(e); release(t);
  }
}
