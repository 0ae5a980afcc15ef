// Threaded spatial kernels (assembly/extra/spatial-jobs.ts): convolutions (forward, input and filter
// gradients), depthwise convolutions, conv2dTranspose and the pools split their work into tasks on
// the core's threads. Their values and gradients must be the same bits for 1, 2 and 3 threads, on
// shapes large enough to be split (and ones that do not divide evenly), and workers must take part.
import { describe, it, expect, afterAll } from 'vitest';
import { tape, tensor, tidy, conv2d, conv2dTranspose, depthwiseConv2d, maxPool, avgPool, setThreads, threads, Tensor } from '../src/index.js';
import { tasksRun } from '../src/core.js';
import { referenceByName, refConvBackprop } from './support/reference.js';
import { type ND, uniform } from './support/nd.js';
import { expectClose } from './support/gradcheck.js';

const T = (nd: ND) => tensor(Float32Array.from(nd.data), nd.shape);
const f32 = (t: Tensor) => t.data() as Float32Array;

/** Index of the first element whose bits differ (-1: the same bits), or -2 for different lengths. */
function firstDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return -2;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** The op's value and its gradients w.r.t. `inputs` (upstream gradient: a fixed random dy), as copies. */
function valueAndGrads(inputs: ND[], op: (...t: Tensor[]) => Tensor, dySeed = 99): Float32Array[] {
  return tidy(() => {
    const ts = inputs.map(T);
    const t = tape(t => { t.watch(ts); return op(...ts); });
    const dy = T(uniform(t.result.shape, -1, 1, dySeed));
    const grads = t.gradient(t.result, ts, { outputGradients: dy }) as Tensor[];
    return [t.result, ...grads].map(g => f32(g).slice());
  });
}

const sum = (a: number[]) => a.reduce((p, q) => p + q, 0);

/**
 * Runs the case with 1, 2 and 3 threads and expects the same bits from each, and that the 2-thread
 * run split work into tasks (the counters count only jobs of several tasks); returns the 1-thread results.
 */
function sameBits(what: string, inputs: ND[], op: (...t: Tensor[]) => Tensor): Float32Array[] {
  const runs = [1, 2, 3].map(n => {
    setThreads(n);
    const before = sum(tasksRun()), out = valueAndGrads(inputs, op);
    if (n === 2) expect(sum(tasksRun()) - before, `${what}: tasks run on 2 threads`).toBeGreaterThan(1);
    return out;
  });
  for (const n of [1, 2]) for (let k = 0; k < runs[0].length; k++) {
    expect(runs[0][k].length, `${what}: output ${k}`).toBeGreaterThan(0);
    expect(firstDiff(runs[0][k], runs[n][k]), `${what}: output ${k} (0: value, then the gradients), ${n + 1} threads vs 1`).toBe(-1);
  }
  return runs[0];
}


describe('threaded spatial kernels: the same bits for 1, 2 and 3 threads', () => {
  const initial = threads();
  afterAll(() => setThreads(initial));

  it('workers run tasks of a large convolution', async () => {
    const x = uniform([8, 32, 32, 16], -1, 1, 1), f = uniform([3, 3, 16, 32], -1, 1, 2);
    valueAndGrads([x, f], (a, b) => conv2d(a, b, 1, 'same')); // loads the extra module (which restarts the pool)
    setThreads(2);
    valueAndGrads([x, f], (a, b) => conv2d(a, b, 1, 'same'));
    await new Promise(r => setTimeout(r, 300)); // workers start asynchronously
    const before = tasksRun();
    valueAndGrads([x, f], (a, b) => conv2d(a, b, 1, 'same'));
    const after = tasksRun();
    expect(after.length).toBe(2);
    expect(after[0] - before[0], 'tasks the calling thread ran').toBeGreaterThan(0);
    expect(after[1] - before[1], 'tasks the worker ran').toBeGreaterThan(0);
  });

  it('conv2d: forward and both gradients (strides, padding, dilations, odd sizes, batch 1 and many)', () => {
    const cases: [number[], number[], number, 'same' | 'valid', number][] = [
      [[5, 23, 21, 12], [3, 3, 12, 20], 1, 'same', 1], // odd sizes: M = 2415, K = 108, CO = 20
      [[6, 31, 29, 8], [5, 5, 8, 13], 2, 'valid', 1], // stride 2 VALID, CO not a multiple of 8
      [[4, 27, 25, 12], [3, 3, 12, 16], 1, 'same', 2], // dilated
      [[7, 37, 37, 10], [4, 3, 10, 24], 3, 'same', 1], // stride 3, C not a multiple of 4, OH·OW = 169
      [[1, 64, 60, 16], [3, 3, 16, 24], 1, 'same', 1], // batch 1: the input gradient stays one task
      [[8, 48, 48, 1], [3, 3, 1, 16], 1, 'same', 1], // the bench's first layer: 3 tap groups × 2 column blocks
      [[4, 28, 28, 16], [3, 3, 16, 32], 2, 'same', 1], // its second
    ];
    for (const [xs, fs, s, p, d] of cases) {
      const x = uniform(xs, -1, 1, xs[1] + fs[3]), f = uniform(fs, -1, 1, fs[0] * 7 + fs[2]);
      sameBits(`conv2d x [${xs}] f [${fs}] s ${s} ${p} dilations ${d}`, [x, f], (a, b) => conv2d(a, b, s, p, { dilations: d }));
    }
  });

  it('conv2d matches the float64 reference when threaded (value, dx, dfilter)', () => {
    const x = uniform([4, 24, 24, 8], -1, 1, 3), f = uniform([3, 3, 8, 16], -1, 1, 4);
    setThreads(2);
    const [y, dx, df] = valueAndGrads([x, f], (a, b) => conv2d(a, b, 1, 'same'));
    const want = referenceByName.conv2d(x, f, 1, 'same') as ND;
    const ref = refConvBackprop(x, f, uniform(want.shape, -1, 1, 99), 1, 'same');
    expectClose(Array.from(y), want.data, { rtol: 1e-4, atol: 1e-4 }, 'conv2d');
    expectClose(Array.from(dx), ref.dx, { rtol: 1e-4, atol: 1e-4 }, 'conv2d dx');
    expectClose(Array.from(df), ref.df, { rtol: 1e-4, atol: 2e-3 }, 'conv2d dfilter');
  });

  it('conv2dTranspose: value and both gradients', () => {
    const x = uniform([4, 20, 20, 24], -1, 1, 5), f = uniform([3, 3, 16, 24], -1, 1, 6);
    sameBits('conv2dTranspose', [x, f], (a, b) => conv2dTranspose(a, b, [4, 40, 40, 16], 2, 'same'));
    const x1 = uniform([1, 33, 31, 20], -1, 1, 7), f1 = uniform([3, 3, 12, 20], -1, 1, 8);
    sameBits('conv2dTranspose batch 1', [x1, f1], (a, b) => conv2dTranspose(a, b, [1, 33, 31, 12], 1, 'same'));
  });

  it('depthwiseConv2d: value and both gradients (multiplier 1 and 2, batch 1)', () => {
    const cases: [number[], number[], number, 'same' | 'valid'][] = [
      [[5, 40, 40, 36], [3, 3, 36, 1], 1, 'same'], // M = 1 (f32x4 over channels), filter tasks of 32 and 4 channels
      [[6, 75, 71, 20], [3, 3, 20, 2], 2, 'valid'], // M = 2
      [[1, 90, 90, 68], [3, 3, 68, 1], 1, 'same'], // batch 1, filter tasks of 48 and 20 channels
    ];
    for (const [xs, fs, s, p] of cases) {
      const x = uniform(xs, -1, 1, xs[1]), f = uniform(fs, -1, 1, fs[3] + 9);
      sameBits(`depthwiseConv2d x [${xs}] f [${fs}] s ${s} ${p}`, [x, f], (a, b) => depthwiseConv2d(a, b, s, p));
    }
  });

  it('maxPool and avgPool: value and gradient, and maxPool matches the float64 reference', () => {
    const cases: [number[], number, number, 'same' | 'valid'][] = [
      [[8, 64, 64, 32], 3, 2, 'same'], // overlapping windows: the gradients scatter by image
      [[7, 51, 49, 20], 2, 2, 'valid'],
      [[1, 160, 150, 24], 3, 1, 'same'], // batch 1: the gradient stays one task
    ];
    for (const [xs, k, s, p] of cases) {
      const x = uniform(xs, -1, 1, xs[1] * 3);
      const [mx] = sameBits(`maxPool x [${xs}] ${k} ${s} ${p}`, [x], a => maxPool(a, k, s, p));
      sameBits(`avgPool x [${xs}] ${k} ${s} ${p}`, [x], a => avgPool(a, k, s, p));
      if (xs[0] === 7) expectClose(Array.from(mx), (referenceByName.maxPool(x, k, s, p) as ND).data, { rtol: 0, atol: 0 }, 'maxPool');
    }
  });
});
