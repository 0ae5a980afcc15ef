// Keras' attention layers (keras/src/layers/attention/): MultiHeadAttention, with Keras 3's
// arguments, defaults, weights (its four EinsumDense sublayers' names, shapes and order) and masked
// softmax. Written for speed: each projection is one matmul with a fused bias over [batch * seq,
// features], the heads come out by reshape + transpose, and the scores and the weighted sum are
// batched matmuls over [batch, heads] (27 core calls for one apply without mask or dropout).
import {
  Tensor, Variable, tensor, variable, tidy, add, matmul, mul, reshape, transpose, softmax, where, notEqual, logicalAnd, dropout,
} from '../index.js';
import { Module, describeValue, inContext } from './module.js';
import { type InitializerName, checkInitializer, checkSeed, deriveSeed, initialize, randomSeed } from './initializers.js';
import { boolean, checkOptions, makeVariable, positiveInteger, variableSeeds } from './util.js';

/** Options of `MultiHeadAttention` (Keras 3's names in camelCase, its defaults). */
export interface MultiHeadAttentionOptions {
  /** number of attention heads */
  numHeads: number;
  /** size of each head of the query and key projections */
  keyDim: number;
  /** size of each head of the value projection (default keyDim) */
  valueDim?: number;
  /** dropout rate on the attention probabilities, applied only with `training: true` (default 0) */
  dropout?: number;
  /** whether the four projections have biases (default true) */
  useBias?: boolean;
  /** the output's trailing shape (a number or a shape); default: the query's last dimension */
  outputShape?: number | number[];
  /** of the four kernels (default 'glorotUniform', fans as Keras' EinsumDense computes them) */
  kernelInitializer?: InitializerName;
  /** of the four biases (default 'zeros') */
  biasInitializer?: InitializerName;
  /** makes the initial weights and the dropout masks reproducible (Keras' seed seeds only the dropout) */
  seed?: number;
  name?: string;
}

/** Options of `MultiHeadAttention.apply`. */
export interface AttentionApplyOptions {
  /**
   * which keys each query attends to: 1 (true) attends, 0 (false) is masked. Shape [batch, queryLen,
   * keyLen], or as Keras also takes it [queryLen, keyLen] or [batch, heads, queryLen, keyLen], each
   * dimension 1 or the full size; dtype bool, float32 or int32 (any nonzero value attends, as Keras' cast to bool)
   */
  attentionMask?: Tensor;
  /** each query position i attends only to keys j <= i; combines (AND) with attentionMask (default false) */
  useCausalMask?: boolean;
  /** return [output, scores] (default false) */
  returnAttentionScores?: boolean;
  /** applies the dropout (default false) */
  training?: boolean;
}

/** One of the layer's projections, as Keras' EinsumDense sublayer of that name holds it. */
export interface AttentionProjection {
  kernel: Variable;
  /** none when useBias is false */
  bias?: Variable;
}

/** What Keras' Softmax layer puts at masked positions before the softmax, for float32. */
export const MASKED_SCORE = -1e9;

const APPLY_OPTIONS = ['attentionMask', 'useCausalMask', 'returnAttentionScores', 'training'];
const MASK_DTYPES = ['bool', 'float32', 'int32'];

/**
 * Keras' MultiHeadAttention (Vaswani et al., 2017) on inputs [batch, seq, features]. `apply(query,
 * value, key?)` projects query, key (default: value) and value to `numHeads` heads, scales the query
 * by 1/√keyDim, takes the softmax over keys of query·key (masked as Keras 3: masked scores are set to
 * -1e9 before the softmax and the probabilities to 0 after it, so a fully masked row gives zeros),
 * applies dropout to the probabilities when training, sums the values with them, and projects the
 * concatenated heads to `outputShape` (default the query's width).
 *
 * Weights, created on the first apply (or `build`), as Keras' sublayers (names in `weights()`):
 * `query/kernel` [queryDim, numHeads, keyDim], `query/bias` [numHeads, keyDim], `key/kernel`
 * [keyInputDim, numHeads, keyDim], `key/bias`, `value/kernel` [valueInputDim, numHeads, valueDim],
 * `value/bias` [numHeads, valueDim], `attention_output/kernel` [numHeads, valueDim, ...outputShape],
 * `attention_output/bias` [...outputShape]. Only rank-3 inputs (one sequence axis): Keras'
 * `attentionAxes` over several axes is not supported.
 * @example
 * ```ts
 * import { randomNormal } from 'gradtape';
 * import { MultiHeadAttention } from 'gradtape/layers';
 *
 * const mha = new MultiHeadAttention({ numHeads: 2, keyDim: 4, seed: 1 });
 * const x = randomNormal([3, 5, 8], { seed: 2 });
 * const [y, scores] = mha.apply(x, x, { useCausalMask: true, returnAttentionScores: true });
 * console.log(y.shape, scores.shape, mha.countParams()); // [3, 5, 8] [3, 2, 5, 5] 288
 * ```
 */
export class MultiHeadAttention extends Module {
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  /** the dropout rate (Keras' `dropout`) */
  readonly dropout: number;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  readonly seed: number | undefined;
  /** Keras' query_dense: created on the first apply or build */
  queryDense: AttentionProjection | undefined = undefined;
  /** Keras' key_dense */
  keyDense: AttentionProjection | undefined = undefined;
  /** Keras' value_dense */
  valueDense: AttentionProjection | undefined = undefined;
  /** Keras' output_dense (the sublayer named attention_output) */
  outputDense: AttentionProjection | undefined = undefined;
  readonly #outputShape: number[] | undefined;
  #dropoutCalls = 0;

  constructor(options: MultiHeadAttentionOptions) {
    super((options as { name?: string } | undefined)?.name, 'MultiHeadAttention');
    const o = inContext(this, () => {
      if (options === undefined) throw new Error('expected options { numHeads, keyDim, ... }, got undefined');
      return checkOptions(options, ['numHeads', 'keyDim', 'valueDim', 'dropout', 'useBias', 'outputShape', 'kernelInitializer', 'biasInitializer', 'seed', 'name']);
    });
    this.numHeads = inContext(this, () => positiveInteger('numHeads', o.numHeads));
    this.keyDim = inContext(this, () => positiveInteger('keyDim', o.keyDim));
    this.valueDim = inContext(this, () => o.valueDim === undefined ? this.keyDim : positiveInteger('valueDim', o.valueDim));
    this.dropout = inContext(this, () => {
      const rate = o.dropout ?? 0;
      if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new Error(`dropout must be a number in [0, 1), got ${describeValue(rate)}`);
      return rate;
    });
    this.useBias = inContext(this, () => boolean('useBias', o.useBias, true));
    this.#outputShape = inContext(this, () => {
      const s = o.outputShape;
      if (s === undefined) return undefined;
      const dims = typeof s === 'number' ? [s] : s;
      if (!Array.isArray(dims) || dims.length === 0 || dims.some(d => !Number.isInteger(d) || d < 1))
        throw new Error(`outputShape must be a positive integer or a non-empty array of them, got ${describeValue(s)}`);
      return [...dims];
    });
    this.kernelInitializer = inContext(this, () => checkInitializer(o.kernelInitializer ?? 'glorotUniform', 'kernelInitializer'));
    this.biasInitializer = inContext(this, () => checkInitializer(o.biasInitializer ?? 'zeros', 'biasInitializer'));
    this.seed = inContext(this, () => checkSeed(o.seed));
  }

  /** Keras' sublayer names: what `weights()` and `loadWeights` call the projections. */
  namedChildren(): [string, unknown][] {
    return [['query', this.queryDense], ['key', this.keyDense], ['value', this.valueDense], ['attention_output', this.outputDense]];
  }

  /**
   * The output's shape for inputs of these shapes (key defaults to value), checked as `apply` checks
   * them: [batch, queryLen, ...outputShape].
   */
  outputShape(queryShape: readonly number[], valueShape: readonly number[], keyShape?: readonly number[]): number[] {
    return inContext(this, () => {
      const [q] = this.#checkShapes(queryShape, valueShape, keyShape ?? valueShape);
      return [q[0], q[1], ...(this.#outputShape ?? [q[2]])];
    });
  }

  /** Creates the weights for inputs of these shapes (key defaults to value); a no-op once built. */
  build(queryShape: readonly number[], valueShape: readonly number[], keyShape?: readonly number[]): void {
    inContext(this, () => {
      const [q, v, k] = this.#checkShapes(queryShape, valueShape, keyShape ?? valueShape);
      if (this.queryDense) return;
      const base = this.seed ?? randomSeed();
      const heads = this.numHeads, out = this.#outputShape ?? [q[2]];
      this.queryDense = this.#projection('query', [q[2]], [heads, this.keyDim], deriveSeed(base, 0));
      this.keyDense = this.#projection('key', [k[2]], [heads, this.keyDim], deriveSeed(base, 1));
      this.valueDense = this.#projection('value', [v[2]], [heads, this.valueDim], deriveSeed(base, 2));
      this.outputDense = this.#projection('attention_output', [heads, this.valueDim], out, deriveSeed(base, 3));
    });
  }

  /**
   * An EinsumDense's weights: kernel [...inAxes, ...outAxes], bias [...outAxes]. Keras 3 gives the
   * kernel's initializer fanIn = prod(inAxes), fanOut = prod(outAxes): drawing it as that 2-D matrix
   * and reshaping gives exactly those fans.
   */
  #projection(name: string, inAxes: number[], outAxes: number[], seed: number): AttentionProjection {
    const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
    const seeds = variableSeeds(seed);
    const flat = initialize(this.kernelInitializer, [size(inAxes), size(outAxes)], seeds.kernel);
    const kernel = tidy(() => variable(reshape(flat, [...inAxes, ...outAxes]), { name: `${this.name}/${name}/kernel` }));
    flat.dispose();
    return this.useBias ? { kernel, bias: makeVariable(this, `${name}/bias`, this.biasInitializer, outAxes, seeds.bias) } : { kernel };
  }

  /** Checks the three input shapes (and, once built, their widths); returns copies. */
  #checkShapes(queryShape: unknown, valueShape: unknown, keyShape: unknown): [number[], number[], number[]] {
    const shapes = ([['query', queryShape], ['value', valueShape], ['key', keyShape]] as const).map(([what, s]) => {
      if (!Array.isArray(s) || s.some(d => !Number.isInteger(d) || d < 0))
        throw new Error(`expected the ${what} shape as an array of non-negative integers, got ${describeValue(s)}`);
      if (s.length !== 3)
        throw new Error(`expected a ${what} of rank 3 [batch, seq, features], got shape [${s}] (attention over several axes, Keras' attentionAxes, is not supported)`);
      return [...s] as number[];
    });
    const [q, v, k] = shapes;
    if (v[0] !== q[0] || k[0] !== q[0])
      throw new Error(`query, value and key must have the same batch size, got shapes [${q}], [${v}] and [${k}]`);
    if (v[1] !== k[1]) throw new Error(`value and key must have the same length (axis 1), got value [${v}] and key [${k}]`);
    const built: [string, number[], AttentionProjection | undefined][] = [['query', q, this.queryDense], ['value', v, this.valueDense], ['key', k, this.keyDense]];
    for (const [what, s, p] of built) {
      if (p) {
        if (p.kernel.isDisposed) throw new Error('the layer is disposed');
        if (s[2] !== p.kernel.shape[0]) throw new Error(`the ${what}'s last dimension is ${s[2]} (shape [${s}]) but the layer was built for ${p.kernel.shape[0]} (${what}/kernel [${p.kernel.shape}])`);
      } else if (s[2] < 1) throw new Error(`the ${what}'s last dimension must be at least 1, got shape [${s}]`);
    }
    return [q, v, k];
  }

  /**
   * The attention output [batch, queryLen, ...outputShape] of `query` [batch, queryLen, queryDim]
   * over `value` [batch, keyLen, valueInputDim] (and `key` [batch, keyLen, keyInputDim], default
   * value); with `returnAttentionScores`, `[output, scores]`, scores [batch, heads, queryLen, keyLen]
   * (the softmax probabilities, before dropout, as Keras). The options may also come third.
   */
  apply(query: Tensor, value: Tensor, options?: AttentionApplyOptions & { returnAttentionScores?: false }): Tensor;
  apply(query: Tensor, value: Tensor, options: AttentionApplyOptions & { returnAttentionScores: true }): [Tensor, Tensor];
  apply(query: Tensor, value: Tensor, key: Tensor | undefined, options?: AttentionApplyOptions & { returnAttentionScores?: false }): Tensor;
  apply(query: Tensor, value: Tensor, key: Tensor | undefined, options: AttentionApplyOptions & { returnAttentionScores: true }): [Tensor, Tensor];
  apply(query: Tensor, value: Tensor, keyOrOptions?: Tensor | AttentionApplyOptions, options?: AttentionApplyOptions): Tensor | [Tensor, Tensor];
  apply(query: Tensor, value: Tensor, key?: Tensor | AttentionApplyOptions, options?: AttentionApplyOptions): Tensor | [Tensor, Tensor] {
    return inContext(this, () => {
      // apply(query, value, options): a plain object third is the options (a key is a Tensor)
      if (options === undefined && isPlainObject(key)) [key, options] = [undefined, key as AttentionApplyOptions];
      const o = checkOptions(options, APPLY_OPTIONS) as AttentionApplyOptions;
      const training = boolean('training', o.training, false);
      const causal = boolean('useCausalMask', o.useCausalMask, false);
      const withScores = boolean('returnAttentionScores', o.returnAttentionScores, false);
      const k = (key ?? value) as Tensor;
      ([['query', query], ['value', value], ['key', k]] as const).forEach(([what, t]) => {
        if (!(t instanceof Tensor)) throw new Error(`apply: expected the ${what} as a Tensor, got ${describeValue(t)}`);
        if (t.isDisposed) throw new Error(`apply: the ${what} tensor is disposed`);
        if (t.dtype !== 'float32') throw new Error(`apply: expected a float32 ${what}, got ${describeValue(t)} (cast it with cast(x, 'float32'))`);
      });
      const [q] = this.#checkShapes(query.shape, value.shape, (k as Tensor).shape);
      const mask = o.attentionMask;
      if (mask !== undefined) checkMask(mask, [q[0], this.numHeads, q[1], value.shape[1]]);
      this.build(query.shape, value.shape, (k as Tensor).shape);
      const result = this.#attend(query, value, k as Tensor, mask, causal, training);
      return withScores ? result : result[0];
    });
  }

  /** The computation, on checked inputs; returns [output, scores]. Intermediates are freed. */
  #attend(query: Tensor, value: Tensor, key: Tensor, mask: Tensor | undefined, causal: boolean, training: boolean): [Tensor, Tensor] {
    return tidy(() => {
      const [batch, queryLen] = query.shape, keyLen = value.shape[1];
      const heads = this.numHeads;
      // [batch, len, features] -> [batch, heads, len, headDim]: one matmul + fused bias, then a transpose
      const project = (x: Tensor, p: AttentionProjection, headDim: number, scale?: number) => {
        const len = x.shape[1];
        const width = heads * headDim;
        // Keras scales the projected query (bias included): the same as scaling the kernel and the
        // bias, which are small (exactly the same values when the scale is a power of 2, as 1/√16)
        const scaled = (w: Tensor) => scale === undefined ? w : mul(w, scale);
        const y = matmul(x, scaled(reshape(p.kernel, [x.shape[2], width])), false, false, { bias: p.bias && scaled(reshape(p.bias, [width])) });
        return transpose(reshape(y, [batch, len, heads, headDim]), [0, 2, 1, 3]);
      };
      const q = project(query, this.queryDense!, this.keyDim, 1 / Math.sqrt(this.keyDim));
      const k = project(key, this.keyDense!, this.keyDim);
      const v = project(value, this.valueDense!, this.valueDim);
      const logits = matmul(q, k, false, true); // [batch, heads, queryLen, keyLen]
      let keep = mask && asKeepMask(mask);
      if (causal && keep) keep = logicalAnd(keep, causalMask(queryLen, keyLen));
      // Keras 3's Softmax with a mask: masked logits become -1e9, masked probabilities 0 afterwards.
      // The second step only matters for a fully masked row; a causal mask alone leaves none (key 0
      // is always kept, and e^(-1e9 - max) is exactly 0 in float32), so it is skipped there. A
      // causal mask alone is added as 0 / -1e9 instead: the same probabilities (the masked ones are
      // 0 either way unless the kept logits come within ~100 of -1e9, the kept ones are unchanged) and the same gradient (the
      // softmax's is 0 at masked positions), at half the time of where's forward and backward.
      const softmaxed = keep ? softmax(where(keep, logits, MASKED_SCORE))
        : causal ? softmax(add(logits, causalBias(queryLen, keyLen))) : softmax(logits);
      const scores = mask ? where(keep!, softmaxed, 0) : softmaxed;
      const probs = training && this.dropout > 0 ? dropout(scores, this.dropout, { seed: this.#dropoutSeed() }) : scores;
      const context = matmul(probs, v); // [batch, heads, queryLen, valueDim]
      const joined = reshape(transpose(context, [0, 2, 1, 3]), [batch, queryLen, heads * this.valueDim]);
      const out = this.outputDense!, outDims = out.kernel.shape.slice(2), width = outDims.reduce((p, d) => p * d, 1);
      const flatKernel = reshape(out.kernel, [heads * this.valueDim, width]);
      const y = matmul(joined, flatKernel, false, false, { bias: out.bias && (outDims.length === 1 ? out.bias : reshape(out.bias, [width])) });
      return [outDims.length === 1 ? y : reshape(y, [batch, queryLen, ...outDims]), scores];
    });
  }

  /** Successive calls draw successive masks of the seed's stream (Keras' seeded Dropout does too). */
  #dropoutSeed(): number {
    return this.seed === undefined ? randomSeed() : deriveSeed(deriveSeed(this.seed, 4), this.#dropoutCalls++);
  }
}

function isPlainObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !(v instanceof Tensor) && !Array.isArray(v);
}

/**
 * Throws unless `mask` is what Keras' MultiHeadAttention takes for scores of shape `scores` [batch,
 * heads, queryLen, keyLen]: rank 2 to 4, with Keras' head axis inserted before the last two (so
 * [batch, queryLen, keyLen] and [queryLen, keyLen]), each dimension 1 or the scores'.
 */
function checkMask(mask: unknown, scores: readonly number[]): void {
  const expected = `[batch, queryLen, keyLen] = [${scores[0]}, ${scores[2]}, ${scores[3]}] (or [queryLen, keyLen], [batch, heads, queryLen, keyLen]; each dimension 1 or that size)`;
  if (!(mask instanceof Tensor)) throw new Error(`apply: attentionMask must be a Tensor, got ${describeValue(mask)}`);
  if (mask.isDisposed) throw new Error('apply: the attentionMask tensor is disposed');
  if (!MASK_DTYPES.includes(mask.dtype)) throw new Error(`apply: attentionMask must be bool, float32 or int32, got ${describeValue(mask)}`);
  const shape = keepShape(mask.shape);
  if (mask.rank < 2 || mask.rank > 4 || shape.some((d, i) => d !== 1 && d !== scores[i]))
    throw new Error(`apply: attentionMask of shape [${mask.shape}] does not fit the attention scores [${scores}]: expected ${expected}`);
}

/** The mask's shape with Keras' expansion to rank 4: new axes go in front of the last two, the head axis first. */
function keepShape(shape: readonly number[]): number[] {
  const s = [...shape];
  while (s.length < 4 && s.length >= 2) s.splice(s.length - 2, 0, 1);
  return s;
}

/** A checked mask as a bool tensor of rank 4 (nonzero attends, as Keras' cast to bool). */
function asKeepMask(mask: Tensor): Tensor {
  const bool = mask.dtype === 'bool' ? mask : notEqual(mask, 0);
  return mask.rank === 4 ? bool : reshape(bool, keepShape(mask.shape));
}

/** The causal mask as scores to add: [queryLen, keyLen], 0 where key j <= query i, MASKED_SCORE above. */
function causalBias(queryLen: number, keyLen: number): Tensor {
  const values = new Float32Array(queryLen * keyLen);
  for (let i = 0; i < queryLen; i++) values.fill(MASKED_SCORE, i * keyLen + Math.min(i + 1, keyLen), (i + 1) * keyLen);
  return tensor(values, [queryLen, keyLen]);
}

/** Keras' causal mask: [queryLen, keyLen], true where key j <= query i. */
function causalMask(queryLen: number, keyLen: number): Tensor {
  const values = new Uint8Array(queryLen * keyLen); // (a typed array converts at copy speed; booleans one by one)
  for (let i = 0; i < queryLen; i++) values.fill(1, i * keyLen, i * keyLen + Math.min(i + 1, keyLen));
  return tensor(values, [queryLen, keyLen], 'bool');
}
