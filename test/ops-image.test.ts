// resize against TensorFlow.js (tf.image.resizeBilinear / resizeNearestNeighbor with
// alignCorners = false, halfPixelCenters = true, which is TF2's tf.image.resize): values and
// gradients for up- and down-sampling with odd sizes; dtypes, ranks, methods.
// The gradients are checked against the adjoint of tfjs's forward map, not tf.grad: tfjs 4.22's CPU
// ResizeBilinearGrad and ResizeNearestNeighborGrad ignore halfPixelCenters (they use r·scale, not
// (r + 0.5)·scale − 0.5), and the bilinear one returns [batch, width, height, depth], so tf.grad
// fails on non-square images and is wrong on square ones. resize is linear, so its gradient is
// exactly the transpose of the map tfjs's (correct) forward kernel applies to each channel.
import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { tape, tensor, tidy, memory, Tensor, resize } from '../src/index.js';
import { randn, uniform } from './support/nd.js';
import { expectClose } from './support/gradcheck.js';

const CASES: [number, number, number, number][] = [
  [3, 4, 5, 7], [5, 7, 3, 2], [4, 4, 9, 9], [6, 5, 2, 3], [1, 3, 4, 1], [7, 3, 7, 8], [2, 9, 5, 4],
];

describe('resize agrees with tfjs', () => {
  for (const method of ['bilinear', 'nearest'] as const) {
    for (const [h, w, oh, ow] of CASES) {
      it(`${method} ${h}x${w} -> ${oh}x${ow}: values and gradients`, async () => {
        await tf.setBackend('cpu');
        const x = randn([2, h, w, 3], h * 31 + w), dy = uniform([2, oh, ow, 3], -1, 1, oh * 7 + ow);
        const tfResize = (t: tf.Tensor4D) => method === 'bilinear'
          ? tf.image.resizeBilinear(t, [oh, ow], false, true) : tf.image.resizeNearestNeighbor(t, [oh, ow], false, true);
        const tx = tf.tensor4d(Array.from(x.data), [2, h, w, 3]), wantY = tfResize(tx);
        // the map's matrix from tfjs: row (h, w) is the resized one-hot image e_(h, w)
        const basis = tf.reshape(tf.eye(h * w), [h * w, h, w, 1]) as tf.Tensor4D, Mt = tfResize(basis), M = Mt.dataSync();
        const wantG = new Float64Array(2 * h * w * 3);
        for (let n = 0; n < 2; n++) for (let p = 0; p < h * w; p++) for (let q = 0; q < oh * ow; q++) for (let c = 0; c < 3; c++)
          wantG[(n * h * w + p) * 3 + c] += M[p * oh * ow + q]! * dy.data[(n * oh * ow + q) * 3 + c]!;
        tidy(() => {
          const gx = tensor(Float32Array.from(x.data), x.shape), gdy = tensor(Float32Array.from(dy.data), dy.shape);
          const t = tape(t => { t.watch(gx); return resize(gx, [oh, ow], { method }); });
          expect(t.result.shape).toEqual([2, oh, ow, 3]);
          expectClose(t.result.data() as Float32Array, wantY.dataSync() as Float32Array, { rtol: 1e-5, atol: 1e-6 }, 'values');
          const g = t.gradient(t.result, gx, { outputGradients: gdy }) as Tensor;
          expectClose(g.data() as Float32Array, wantG, { rtol: 1e-5, atol: 1e-5 }, 'gradient');
        });
        tf.dispose([tx, wantY, basis, Mt]);
      });
    }
  }
});

describe('resize', () => {
  it('takes rank-3 images and keeps their rank', () => tidy(() => {
    const img = tensor([[[0], [4]], [[8], [12]]]); // 2x2x1
    expect(resize(img, [1, 1]).toArray()).toEqual([[[6]]]);
    expect(resize(img, [2, 4]).shape).toEqual([2, 4, 1]);
    expect(img.resize([4, 2], { method: 'nearest' }).toArray()).toEqual([[[0], [4]], [[0], [4]], [[8], [12]], [[8], [12]]]);
  }));

  it("bilinear gives float32 (as TF), nearest keeps int32; the same size gives a new tensor", () => tidy(() => {
    const img = tensor([[[1], [2], [3]]], undefined, 'int32');
    const b = resize(img, [1, 6]);
    expect(b.dtype).toBe('float32');
    expect(Array.from(b.data())).toEqual([1, 1.25, 1.75, 2.25, 2.75, 3]);
    const n = resize(img, [2, 2], { method: 'nearest' });
    expect(n.dtype).toBe('int32');
    expect(n.toArray()).toEqual([[[1], [3]], [[1], [3]]]);
    const same = resize(img, [1, 3], { method: 'nearest' });
    expect(same).not.toBe(img);
    expect(same.toArray()).toEqual(img.toArray());
  }));

  it('frees its intermediates', () => {
    const x = tensor(new Float32Array(2 * 3 * 5 * 2).fill(1), [2, 3, 5, 2]), before = memory().tensors;
    const y = resize(x, [4, 7]);
    expect(memory().tensors).toBe(before + 1);
    y.dispose(); x.dispose();
  });
});
