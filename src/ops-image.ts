// Image resizing, TF2's tf.image.resize (half-pixel centres, no antialias), as gathers along each
// spatial axis with interpolation indices and weights computed here in JS: recorded ops only, so it is
// differentiable w.r.t. the images to any order without a kernel of its own.
import { method, checkDTypes, dims, fmt, optionsOf } from './ops.js';
import { Tensor, TensorLike, toTensor, describe, tensor, checkShape } from './tensor.js';
import { add, sub, mul, cast, identity } from './ops-elementwise.js';
import { gather } from './ops-shape.js';

/** Options of `resize`: the interpolation, 'bilinear' (default) or 'nearest'. */
export interface ResizeOptions { method?: 'bilinear' | 'nearest' }

/**
 * Resamples `axis` of x from n to `out` positions the way TF's kernels do (float32 arithmetic):
 * source coordinate (i + 0.5)·n/out, minus 0.5 for bilinear, which blends the two nearest rows.
 */
function resample(x: Tensor, axis: number, n: number, out: number, bilinear: boolean): Tensor {
  if (n === out) return x;
  const f = Math.fround, scale = f(n / out), lo = new Int32Array(out), hi = new Int32Array(out), w = new Float32Array(out);
  for (let i = 0; i < out; i++) {
    const c = f(f((i + 0.5) * scale) - (bilinear ? 0.5 : 0)), k = Math.floor(c);
    lo[i] = Math.min(Math.max(k, 0), n - 1);
    hi[i] = Math.min(Math.ceil(c), n - 1);
    w[i] = c - k;
  }
  const a = gather(x, tensor(lo, [out], 'int32'), axis);
  if (!bilinear) return a;
  // TF's lerp, a + (b − a)·w, with w broadcast along the axes after `axis`
  return add(a, mul(sub(gather(x, tensor(hi, [out], 'int32'), axis), a), tensor(w, [out, ...dims(x).slice(axis + 1).map(() => 1)])));
}

/**
 * TF2's tf.image.resize: images NHWC `[batch, height, width, channels]` (or `[height, width, channels]`)
 * resized to `[height, width]` with half-pixel centres and no antialiasing. `method`: 'bilinear'
 * (default; the result is float32, as in TF) or 'nearest' (keeps the dtype). Differentiable w.r.t.
 * `images`: the gradient is TF's (tf.image.resize's ResizeBilinearGrad / ResizeNearestNeighborGrad).
 * @example
 * ```ts
 * import { resize } from 'gradtape';
 *
 * const y = resize([[[0], [4]]], [1, 4]);
 * console.log(y.reshape([4]).toArray()); // [0, 1, 3, 4]
 * ```
 */
export const resize = /* @__PURE__ */ method('resize', function resize(images: TensorLike, size: readonly number[], options?: ResizeOptions): Tensor {
  const op = 'resize', t = toTensor(op, images), s = dims(t), r = s.length;
  checkDTypes(op, t, 'numeric');
  if ((r !== 3 && r !== 4) || s[r - 3] === 0 || s[r - 2] === 0)
    throw new Error(`${op}: images must be [batch, height, width, channels] or [height, width, channels] with height, width > 0, got shape ${fmt(s)}`);
  if (!Array.isArray(size) || size.length !== 2 || !size.every(d => Number.isInteger(d) && d > 0))
    throw new Error(`${op}: size must be [height, width], two positive integers, got ${describe(size)}`);
  const m = optionsOf(op, options, ['method']).method ?? 'bilinear';
  if (m !== 'bilinear' && m !== 'nearest') throw new Error(`${op}: method must be 'bilinear' or 'nearest', got ${describe(m)}`);
  checkShape(op, [...s.slice(0, r - 3), size[0], size[1], s[r - 1]]);
  const bilinear = m === 'bilinear';
  const x = bilinear && t.dtype !== 'float32' ? cast(t, 'float32') : t;
  // width first, then height: TF's order of interpolation (rows blended along x, then between rows)
  const y = resample(resample(x, r - 2, s[r - 2], size[1], bilinear), r - 3, s[r - 3], size[0], bilinear);
  return y === t ? identity(t) : y; // (a new tensor even when nothing changes)
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: true,
  examples: [{ inputs: [[1, 3, 4, 2]], args: [[5, 7]] }, { inputs: [[2, 5, 7, 1]], args: [[3, 2]] }, { inputs: [[4, 3, 2]], args: [[2, 5]] },
    { inputs: [[1, 3, 4, 2]], args: [[5, 7], { method: 'nearest' }] }, { inputs: [[2, 5, 7, 1]], args: [[3, 2], { method: 'nearest' }] },
    { inputs: [[1, 2, 3, 1]], args: [[2, 3]] }, { inputs: [[3, 3, 1]], args: [[3, 6], { method: 'nearest' }] }],
});
