// Keras' Embedding (keras/src/layers/core/embedding.py): integer indices -> rows of a learned table,
// with Keras' names, defaults and mask. The table does not depend on the input's shape, so it is
// created with the layer (Keras creates it on the first call; the weights are the same).
import { Tensor, Variable, gather, cast, notEqual } from '../index.js';
import { Layer, describeValue, inContext } from './module.js';
import { type InitializerName, checkInitializer, checkSeed } from './initializers.js';
import { boolean, checkOptions, makeVariable, positiveInteger, variableSeeds } from './util.js';

/** Options of `Embedding` (Keras' names and defaults). */
export interface EmbeddingOptions {
  /** index 0 is padding: `computeMask(x)` gives `x != 0` for the recurrent layers' `mask` (default false) */
  maskZero?: boolean;
  /** default 'uniform' (U(-0.05, 0.05), Keras' default) */
  embeddingsInitializer?: InitializerName;
  /** makes the initial table reproducible on every platform */
  seed?: number;
  name?: string;
}

/**
 * Keras' Embedding: int32 indices of any shape -> `[...shape, outputDim]`, row `i` of the table
 * `embeddings` `[inputDim, outputDim]` for index `i` (a gather; the gradient adds into the rows
 * used). An index outside [0, inputDim) is an Error naming it and its position. Float input is
 * accepted when every value is an integer and is cast to int32, as Keras casts (Keras truncates
 * fractions; here a fraction is an Error, since it is almost always a mistake).
 * @example
 * const embed = new Embedding(10, 4, { maskZero: true, seed: 1 });
 * const ids = tensor([[3, 1, 0]], undefined, 'int32');
 * embed.apply(ids).shape;             // [1, 3, 4]
 * embed.computeMask(ids).toArray();   // [[true, true, false]]
 */
export class Embedding extends Layer {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  /** the table, [inputDim, outputDim] */
  embeddings: Variable;

  constructor(inputDim: number, outputDim: number, options?: EmbeddingOptions) {
    super(options?.name, 'Embedding');
    const o = inContext(this, () => checkOptions(options, ['maskZero', 'embeddingsInitializer', 'seed', 'name']));
    this.inputDim = inContext(this, () => positiveInteger('inputDim', inputDim));
    this.outputDim = inContext(this, () => positiveInteger('outputDim', outputDim));
    this.maskZero = inContext(this, () => boolean('maskZero', o.maskZero, false));
    const init = inContext(this, () => checkInitializer(o.embeddingsInitializer ?? 'uniform', 'embeddingsInitializer'));
    const seed = inContext(this, () => checkSeed(o.seed));
    this.embeddings = makeVariable(this, 'embeddings', init, [this.inputDim, this.outputDim], variableSeeds(seed).kernel);
  }

  protected checkInput(x: unknown): void {
    super.checkInput(x);
    const t = x as Tensor;
    if (t.dtype === 'bool') throw new Error(`apply: expected int32 indices, got ${describeValue(t)}`);
    if (this.embeddings.isDisposed) throw new Error('the layer is disposed');
    const values = t.data();
    for (let i = 0; i < values.length; i++) {
      const k = values[i];
      if (!Number.isInteger(k)) throw new Error(`apply: expected integer indices, got ${k} at position ${position(i, t.shape)} of a float32 tensor of shape [${t.shape}]`);
      if (k < 0 || k >= this.inputDim) throw new Error(`apply: index ${k} at position ${position(i, t.shape)} of indices of shape [${t.shape}] is out of range [0, ${this.inputDim}) (inputDim ${this.inputDim})`);
    }
  }

  protected computeOutputShape(inputShape: number[]): number[] { return [...inputShape, this.outputDim]; }

  protected call(x: Tensor): Tensor {
    return gather(this.embeddings, x.dtype === 'int32' ? x : cast(x, 'int32'));
  }

  /** Keras' compute_mask: with maskZero, the bool tensor `x != 0` (x's shape); otherwise undefined. */
  computeMask(x: Tensor): Tensor | undefined {
    return inContext(this, () => {
      if (!(x instanceof Tensor) || x.isDisposed) throw new Error(`computeMask: expected a live tensor of indices, got ${describeValue(x)}`);
      return this.maskZero ? notEqual(x, 0) : undefined;
    });
  }
}

/** The multi-index "[i, j, ...]" of flat position `flat` in `shape`. */
function position(flat: number, shape: readonly number[]): string {
  const index: number[] = [];
  for (let a = shape.length - 1; a >= 0; a--) { index.unshift(flat % shape[a]); flat = Math.floor(flat / shape[a]); }
  return `[${index.join(', ')}]`;
}
