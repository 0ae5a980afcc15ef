// Initializers (Keras' names and formulas). Random ones draw from the root's seeded generators
// (randomUniform / randomNormal run in the core, bit-identical on every platform), so a seed gives
// the same weights everywhere. Without a seed each call draws a fresh random seed.
//   glorotUniform  U(-l, l), l = sqrt(6 / (fanIn + fanOut))                 (Keras' default kernel)
//   heUniform      U(-l, l), l = sqrt(6 / fanIn)
//   glorotNormal   truncated normal, stddev sqrt(2 / (fanIn + fanOut)) / 0.8796...
//   heNormal       truncated normal, stddev sqrt(2 / fanIn) / 0.8796...
//   uniform        U(-0.05, 0.05)                                          (Keras' RandomUniform defaults; Embedding's default)
//   orthogonal     Q of the QR decomposition of a normal matrix, sign-corrected (Keras' Orthogonal, gain 1;
//                  the recurrent kernels' default)
// "Truncated" as in Keras: normal samples beyond two standard deviations are redrawn, and 0.8796...
// is the standard deviation of a unit normal truncated to [-2, 2], so the result has the nominal
// stddev. Redraws come from further seeded batches (the seed derived per round), in element order.
import { Tensor, tensor, zeros, ones, randomUniform, randomNormal, tidy } from '../index.js';
import { describeValue } from './module.js';

/** The initial-value schemes a layer can name (Keras' names and formulas); random ones are seeded. */
export type InitializerName = 'glorotUniform' | 'glorotNormal' | 'heNormal' | 'heUniform' | 'zeros' | 'ones' | 'uniform' | 'orthogonal';

const NAMES: readonly InitializerName[] = ['glorotUniform', 'glorotNormal', 'heNormal', 'heUniform', 'zeros', 'ones', 'uniform', 'orthogonal'];
/** Standard deviation of a unit normal truncated to [-2, 2]. */
const TRUNCATED_STDDEV = 0.87962566103423978;

/** Keras' fans: a kernel [..receptive field.., in, out] has fanIn = in * field, fanOut = out * field. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  const field = shape.slice(0, -2).reduce((p, d) => p * d, 1);
  return { fanIn: shape[shape.length - 2] * field, fanOut: shape[shape.length - 1] * field };
}

/** Throws unless `name` is an initializer name. */
export function checkInitializer(name: unknown, what = 'initializer'): InitializerName {
  if (typeof name === 'string' && (NAMES as readonly string[]).includes(name)) return name as InitializerName;
  throw new Error(`unknown ${what} ${describeValue(name)} (expected one of ${NAMES.map(n => `'${n}'`).join(', ')})`);
}

/** Throws unless `seed` is undefined or a safe integer. */
export function checkSeed(seed: unknown): number | undefined {
  if (seed === undefined || Number.isSafeInteger(seed)) return seed as number | undefined;
  throw new Error(`seed must be an integer (a safe integer), got ${describeValue(seed)}`);
}

/** murmur3's 32-bit finaliser: a bijective mix with good avalanche. */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * An independent seed for stream `stream` of `seed` (kernel vs bias, a Dropout call, a redraw round),
 * computed with 32-bit integer arithmetic, so the same on every platform. Returns a safe integer.
 */
export function deriveSeed(seed: number, stream: number): number {
  const hi = Math.floor(seed / 2 ** 32), lo = seed - hi * 2 ** 32; // two's complement words
  const a = mix32((lo >>> 0) ^ mix32((hi >>> 0) + 0x9e3779b9));
  const b = mix32(a ^ mix32((stream >>> 0) + 0x7f4a7c15) ^ Math.floor(stream / 2 ** 32));
  const c = mix32(b + 0x165667b1);
  return (c & 0x1fffff) * 2 ** 32 + mix32(a ^ b);
}

/** A fresh random seed (for an unseeded initializer or layer). */
export function randomSeed(): number {
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint32Array) => Uint32Array } }).crypto;
  const w = c?.getRandomValues ? c.getRandomValues(new Uint32Array(2)) : [(Math.random() * 2 ** 32) >>> 0, (Math.random() * 2 ** 32) >>> 0];
  return (w[1] & 0x1fffff) * 2 ** 32 + w[0];
}

function truncatedNormal(shape: readonly number[], stddev: number, seed: number): Tensor {
  const size = shape.reduce((p, d) => p * d, 1);
  const values = new Float32Array(size);
  const bound = 2 * stddev;
  let filled = 0;
  for (let round = 0; filled < size; round++) {
    // round 0 draws one value per element; later rounds redraw only what is still missing
    const batch = tidy(() => randomNormal([round === 0 ? size : size - filled], { stddev, seed: deriveSeed(seed, round) }).data());
    for (const v of batch) {
      if (filled === size) break;
      if (Math.abs(v) <= bound) values[filled++] = v;
    }
  }
  return tensor(values, shape);
}

/**
 * Keras' Orthogonal (gain 1): a [max(rows, cols), min(rows, cols)] standard normal matrix (rows: the
 * product of all but the last dimension), its QR decomposition's Q with each column's sign set so
 * that R's diagonal is positive (what Keras' `q * sign(diag(r))` gives), transposed when rows < cols.
 * With R's diagonal positive the Q is unique, and Gram-Schmidt gives exactly that one: here block
 * Gram-Schmidt, each block of columns projected off the earlier ones twice with the core's float32
 * matmul (the bulk of the work: a 3072 x 1024 matrix takes well under a second, where plain JS took
 * 15 s), then orthonormalised within the block twice in float64. Orthogonal to float32 precision,
 * as Keras' float32 QR.
 */
function orthogonal(shape: readonly number[], seed: number): Tensor {
  if (shape.length < 2) throw new Error(`the orthogonal initializer needs a shape of rank >= 2, got [${shape}]`);
  const rows = shape.slice(0, -1).reduce((p, d) => p * d, 1), cols = shape[shape.length - 1];
  const m = Math.max(rows, cols), n = Math.min(rows, cols);
  const drawn = tidy(() => randomNormal([m, n], { seed }).data()) as Float32Array;
  const q = new Float32Array(m * n); // the finished columns, row-major m x n
  const BLOCK = 32;
  for (let j0 = 0; j0 < n; j0 += BLOCK) {
    const b = Math.min(BLOCK, n - j0);
    // the block's columns, each contiguous (column k at v[k * m])
    const v = new Float64Array(b * m);
    for (let i = 0; i < m; i++) for (let k = 0; k < b; k++) v[k * m + i] = drawn[i * n + j0 + k];
    if (j0 > 0) tidy(() => {
      const done = tensor(q, [m, n]).slice([0, 0], [m, j0]);
      for (let pass = 0; pass < 2; pass++) { // the second pass removes what rounding left
        const block = tensor(Float32Array.from(v), [b, m]);
        const projected = done.matmul(done.matmul(block, true, true)).data() as Float32Array; // Q (Qᵀ V), m x b
        for (let i = 0; i < m; i++) for (let k = 0; k < b; k++) v[k * m + i] -= projected[i * b + k];
      }
    });
    for (let k = 0; k < b; k++) { // modified Gram-Schmidt within the block, twice, in float64
      const col = v.subarray(k * m, (k + 1) * m);
      for (let pass = 0; pass < 2; pass++)
        for (let l = 0; l < k; l++) {
          const u = v.subarray(l * m, (l + 1) * m);
          let d = 0;
          for (let i = 0; i < m; i++) d += u[i] * col[i];
          for (let i = 0; i < m; i++) col[i] -= d * u[i];
        }
      let norm = 0;
      for (let i = 0; i < m; i++) norm += col[i] * col[i];
      norm = Math.sqrt(norm);
      for (let i = 0; i < m; i++) col[i] /= norm;
    }
    for (let i = 0; i < m; i++) for (let k = 0; k < b; k++) q[i * n + j0 + k] = v[k * m + i];
  }
  if (rows >= cols) return tensor(q, shape);
  const out = new Float32Array(rows * cols); // Qᵀ, rows x cols
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * cols + i] = q[i * n + j];
  return tensor(out, shape);
}

/** A new float32 tensor of `shape` initialised by `name` (reproducible when `seed` is given). */
export function initialize(name: InitializerName, shape: readonly number[], seed?: number): Tensor {
  checkInitializer(name);
  checkSeed(seed);
  const s = seed ?? randomSeed();
  const { fanIn, fanOut } = fans(shape);
  switch (name) {
    case 'zeros': return zeros(shape);
    case 'ones': return ones(shape);
    case 'glorotUniform': { const l = Math.sqrt(6 / Math.max(1, fanIn + fanOut)); return randomUniform(shape, { min: -l, max: l, seed: s }); }
    case 'heUniform': { const l = Math.sqrt(6 / Math.max(1, fanIn)); return randomUniform(shape, { min: -l, max: l, seed: s }); }
    case 'glorotNormal': return truncatedNormal(shape, Math.sqrt(2 / Math.max(1, fanIn + fanOut)) / TRUNCATED_STDDEV, s);
    case 'heNormal': return truncatedNormal(shape, Math.sqrt(2 / Math.max(1, fanIn)) / TRUNCATED_STDDEV, s);
    case 'uniform': return randomUniform(shape, { min: -0.05, max: 0.05, seed: s });
    case 'orthogonal': return orthogonal(shape, s);
  }
}
