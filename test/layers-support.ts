// Shared by the test/layers-*.test.ts files: conversions, a gradient check of a layer against a
// float64 reference, the bad-input assertion, and float64 references of the layers' ops that
// test/support/reference.ts does not have (written from TF's definitions, independently of src/).
import { expect } from 'vitest';
import { tape, tensor, memory, mul, sum, Tensor, Variable } from '../src/index.js';
import * as root from '../src/index.js';
import { Layer, LayerError } from '../src/layers/index.js';
import { type ND, uniform, sizeOf } from './support/nd.js';
import { numericGrad, expectClose } from './support/gradcheck.js';
import { convOutAndPad } from './support/reference.js';

export const T = (x: ND) => tensor(Float32Array.from(x.data), x.shape);
export const toND = (t: Tensor): ND => ({ shape: [...t.shape], data: Float64Array.from(t.data() as Float32Array) });
export const f32 = (t: Tensor) => Array.from(t.data() as Float32Array);

/** Assigns float64 values (an ND or nested numbers) to a variable, freeing the temporary. */
export function setTo(v: Variable, values: ND | number[]): void {
  const t = Array.isArray(values) ? tensor(values) : T(values);
  v.assign(t);
  t.dispose();
}

/** Whether the root has op `name` (the issue-22 ops land on other branches). */
export const hasOp = (name: string) => typeof (root as unknown as Record<string, unknown>)[name] === 'function';

/**
 * Checks layer(x) and d sum(u * layer(x)) / d [x..., trainableVariables...] from the tape against
 * `reference(inputs..., variables...)` in float64 (central differences for the gradient). `x` is one
 * input or a list (merging layers). The layer must be built already.
 */
export function gradCheck(layer: Layer<any>, x: ND | ND[], reference: (inputs: ND[]) => ND, label: string,
  { tol = { rtol: 5e-3, atol: 5e-4 }, training = false } = {}) {
  const xs = Array.isArray(x) ? x : [x];
  const vars = layer.trainableVariables;
  const ts = xs.map(T);
  const input = () => Array.isArray(x) ? ts : ts[0];
  const forward = layer.apply(input(), { training });
  const u = uniform(forward.shape, -1, 1, 99), ut = T(u);
  const values = [...xs, ...vars.map(toND)];
  expectClose(forward.data() as Float32Array, reference(values).data, tol, `${label} forward`);
  const t = tape(tp => { ts.forEach(v => tp.watch(v)); return sum(mul(layer.apply(input(), { training }), ut)); });
  const grads = t.gradient(t.result, [...ts, ...vars]) as Tensor[];
  const want = numericGrad(reference, values, u);
  grads.forEach((g, i) => expectClose(g.data() as Float32Array, want[i].data, tol, `${label} d/d${i < ts.length ? `input ${i}` : vars[i - ts.length].name}`));
  t.dispose();
  [...ts, ut, forward].forEach(v => v.dispose());
}

/** Asserts `fn` throws a LayerError with `message` (exact string or pattern) and frees nothing, leaks nothing. */
export function throws(fn: () => unknown, message: string | RegExp) {
  const before = memory().tensors;
  let error: unknown;
  try { fn(); } catch (e) { error = e; }
  expect(error).toBeInstanceOf(LayerError);
  if (typeof message === 'string') expect((error as Error).message).toBe(message);
  else expect((error as Error).message).toMatch(message);
  expect(memory().tensors).toBe(before);
}

const at4 = (shape: readonly number[], b: number, y: number, x: number, c: number) => ((b * shape[1] + y) * shape[2] + x) * shape[3] + c;

/**
 * TF's conv2d_transpose in float64, from its definition: every input pixel adds kernel * value into
 * the output window it maps to (stride s, shifted by the 'same' padding TF's conv2d would use for
 * the output size). filter [kh, kw, outC, inC].
 */
export function refConv2dTranspose(x: ND, filter: ND, out: [number, number], strides: [number, number], padding: 'same' | 'valid'): ND {
  const [b, h, w, inC] = x.shape, [kh, kw, outC] = filter.shape;
  const pt = convOutAndPad(out[0], kh, strides[0], padding).padBefore, pl = convOutAndPad(out[1], kw, strides[1], padding).padBefore;
  const shape = [b, out[0], out[1], outC], data = new Float64Array(sizeOf(shape));
  for (let n = 0; n < b; n++) for (let iy = 0; iy < h; iy++) for (let ix = 0; ix < w; ix++) for (let c = 0; c < inC; c++) {
    const v = x.data[at4(x.shape, n, iy, ix, c)];
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const oy = iy * strides[0] + ky - pt, ox = ix * strides[1] + kx - pl;
      if (oy < 0 || oy >= out[0] || ox < 0 || ox >= out[1]) continue;
      for (let f = 0; f < outC; f++) data[at4(shape, n, oy, ox, f)] += v * filter.data[((ky * kw + kx) * outC + f) * inC + c];
    }
  }
  return { shape, data };
}

/** TF's depthwise_conv2d in float64: output channel c·m + j is input channel c convolved with filter[:, :, c, j]. */
export function refDepthwiseConv2d(x: ND, filter: ND, strides: [number, number], padding: 'same' | 'valid'): ND {
  const [b, h, w, inC] = x.shape, [kh, kw, , m] = filter.shape;
  const ry = convOutAndPad(h, kh, strides[0], padding), rx = convOutAndPad(w, kw, strides[1], padding);
  const shape = [b, ry.out, rx.out, inC * m], data = new Float64Array(sizeOf(shape));
  for (let n = 0; n < b; n++) for (let oy = 0; oy < ry.out; oy++) for (let ox = 0; ox < rx.out; ox++) for (let c = 0; c < inC; c++) for (let j = 0; j < m; j++) {
    let s = 0;
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const iy = oy * strides[0] + ky - ry.padBefore, ix = ox * strides[1] + kx - rx.padBefore;
      if (iy >= 0 && iy < h && ix >= 0 && ix < w) s += x.data[at4(x.shape, n, iy, ix, c)] * filter.data[((ky * kw + kx) * inC + c) * m + j];
    }
    data[at4(shape, n, oy, ox, c * m + j)] = s;
  }
  return { shape, data };
}

/** tf.image.resize bilinear (half-pixel centres, no antialias) in float64, as TF computes its weights. */
export function refResizeBilinear(x: ND, outH: number, outW: number): ND {
  const [b, h, w, c] = x.shape;
  const taps = (o: number, n: number, m: number) => {
    const src = (o + 0.5) * (n / m) - 0.5;
    return { lo: Math.max(Math.floor(src), 0), hi: Math.min(Math.ceil(src), n - 1), t: src - Math.floor(src) };
  };
  const shape = [b, outH, outW, c], data = new Float64Array(sizeOf(shape));
  for (let n = 0; n < b; n++) for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++) for (let k = 0; k < c; k++) {
    const ty = taps(oy, h, outH), tx = taps(ox, w, outW), v = (y: number, x2: number) => x.data[at4(x.shape, n, y, x2, k)];
    const top = v(ty.lo, tx.lo) + (v(ty.lo, tx.hi) - v(ty.lo, tx.lo)) * tx.t;
    const bottom = v(ty.hi, tx.lo) + (v(ty.hi, tx.hi) - v(ty.hi, tx.lo)) * tx.t;
    data[at4(shape, n, oy, ox, k)] = top + (bottom - top) * ty.t;
  }
  return { shape, data };
}
