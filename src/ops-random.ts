// Random sampling beyond randomNormal / randomUniform (those live in ops-nn.ts with the generator's
// entry points): randomCategorical, TF's tf.random.categorical, by inverse CDF. The probabilities are
// the core's softmax and the uniform numbers the core's seeded generator, both bit-identical on
// every platform; the cumulative sums and the search are float64 arithmetic in a fixed order, so
// a seeded call draws the same samples everywhere. Declared pure.
import { method, floatArg, dims, unrecorded, fmt, seedOf, integer, optionsOf } from './ops.js';
import { core } from './core.js';
import { Tensor, TensorLike, describe, empty, view } from './tensor.js';
import { softmax } from './ops-nn.js';

/** Options of `randomCategorical`: the seed (a safe integer; none: a fresh random one). */
export interface RandomCategoricalOptions { seed?: number }

/**
 * `numSamples` class indices per row of `logits` ([batch, classes], unnormalized log-probabilities),
 * drawn with probabilities softmax(logits), TF's tf.random.categorical: an int32 tensor
 * [batch, numSamples]. Classes with logit -Infinity are never drawn; a row without a finite
 * probability (all -Infinity, or NaN or +Infinity) is an Error. Not differentiable. The same seed
 * gives the same samples on every platform (each sample uses one 24-bit uniform number of
 * randomUniform's generator: probabilities below about 6e-8 are drawn at about that rate).
 */
export const randomCategorical = /* @__PURE__ */ method('randomCategorical', function randomCategorical(logits: TensorLike, numSamples: number, options?: RandomCategoricalOptions): Tensor {
  const op = 'randomCategorical', t = floatArg(op, logits), s = dims(t);
  if (s.length !== 2 || s[1] === 0) throw new Error(`${op}: logits must have shape [batch, classes] with classes >= 1, got ${fmt(s)}`);
  integer(op, 'numSamples', numSamples);
  const seed = seedOf(op, optionsOf(op, options, ['seed']).seed);
  const [batch, classes] = s;
  const p = unrecorded(() => softmax(t));
  const u = empty([batch, numSamples], 'float32', op), out = empty([batch, numSamples], 'int32', op);
  core.randomUniform(u.id, seed, 0, 1);
  const pv = view(p), uv = view(u), ov = view(out) as Int32Array, cdf = new Float64Array(classes);
  for (let b = 0; b < batch; b++) {
    let total = 0;
    for (let j = 0; j < classes; j++) cdf[j] = total += pv[b * classes + j];
    if (!(total > 0)) throw new Error(`${op}: row ${b} of logits gives no class a finite, positive probability (all -Infinity, or a NaN or +Infinity)`);
    for (let i = 0; i < numSamples; i++) {
      const target = uv[b * numSamples + i] * total;
      let lo = 0, hi = classes - 1; // the first class whose cdf exceeds target (zero-probability classes never do first)
      while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid] > target) hi = mid; else lo = mid + 1; }
      ov[b * numSamples + i] = lo;
    }
  }
  return out;
}, __TESTS__ && {
  kind: 'other', dtypes: 'float', grad: false,
  examples: [{ inputs: [[2, 4]], args: [6, { seed: 7 }] }, { inputs: [[3, 2]], args: [5, { seed: -3 }] }],
});
