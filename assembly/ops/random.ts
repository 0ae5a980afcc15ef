// Random tensors: entries that fill a tensor JS allocated, with the counter-based generator of
// assembly/kernels/random.ts (the same numbers on every platform for a seed).
import { dataPtr, sizeOf } from "../tensor";
import { scratchMark, scratchRelease, scratchTake } from "../scratch";
import { randomUniformKernel, randomNormalKernel, NORMAL_SCRATCH } from "../kernels/random";

/** Fills float32 tensor `id` with uniform numbers in [min, max). */
export function randomUniform(id: i32, seed: f64, min: f64, max: f64): void { randomUniformKernel(dataPtr(id), sizeOf(id), seed, min, max); }

/** Fills float32 tensor `id` with normal numbers of the given mean and standard deviation. */
export function randomNormal(id: i32, seed: f64, mean: f64, stddev: f64): void {
  const mark = scratchMark();
  randomNormalKernel(dataPtr(id), sizeOf(id), seed, mean, stddev, scratchTake(NORMAL_SCRATCH));
  scratchRelease(mark);
}
