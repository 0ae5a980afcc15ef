// Keras' regularization layers: Dropout.
import { Tensor, mul, cast, greaterEqual, randomUniform } from '../index.js';
import { Layer, describeValue, inContext } from './module.js';
import { checkSeed, deriveSeed, randomSeed } from './initializers.js';
import { checkFloat, checkOptions } from './util.js';

/**
 * Keras' Dropout (inverted dropout): with `training: true`, each value is zeroed with probability
 * `rate` and the kept ones are scaled by 1 / (1 - rate), so the expected output equals the input;
 * otherwise the identity. With a seed, the masks of successive calls are a reproducible sequence.
 */
export class Dropout extends Layer {
  readonly rate: number;
  readonly seed: number | undefined;
  #calls = 0;

  constructor(rate: number, options?: { seed?: number; name?: string }) {
    super(options?.name, 'Dropout');
    const o = inContext(this, () => checkOptions(options, ['seed', 'name']));
    this.rate = inContext(this, () => {
      if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new Error(`rate must be a number in [0, 1), got ${describeValue(rate)}`);
      return rate;
    });
    this.seed = inContext(this, () => checkSeed(o.seed));
  }

  protected call(x: Tensor, { training }: { training: boolean }): Tensor {
    checkFloat(x, false);
    if (!training || this.rate === 0) return x;
    const seed = this.seed === undefined ? randomSeed() : deriveSeed(this.seed, this.#calls++);
    const keep = cast(greaterEqual(randomUniform(x.shape, { seed }), this.rate), 'float32');
    return mul(x, mul(keep, 1 / (1 - this.rate)));
  }
}
