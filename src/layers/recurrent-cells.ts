// Keras' SimpleRNN, GRU and LSTM: each layer's weights and step on top of the shared loop in
// recurrent.ts. Formulas and gate order as Keras 3's cells (keras/src/layers/rnn/{simple_rnn,gru,
// lstm}.py); `x_t` below is the step's block of the input projection x·kernel (+ input bias),
// computed for all steps at once. Ops per step (without a mask) are counted in each `step`.
import { Tensor, add, sub, mul, split, unstack, concat, ones } from '../index.js';
import { inContext } from './module.js';
import { type ActivationLike, activationFunction } from './activations.js';
import { type InitializerName, deriveSeed, initialize } from './initializers.js';
import { RNN, type RecurrentOptions, type RecurrentProduct, type StepInputs, perStep } from './recurrent.js';
import { boolean } from './util.js';

/** Options of `SimpleRNN`: those of every recurrent layer. */
export interface SimpleRNNOptions<ReturnState extends boolean = boolean> extends RecurrentOptions<ReturnState> {}

/**
 * Keras' SimpleRNN: `h_t = activation(x_t·kernel + h_{t-1}·recurrentKernel + bias)`; the output is h.
 * Weights: kernel [features, units], recurrentKernel [units, units], bias [units].
 * @example
 * const rnn = new SimpleRNN(8, { returnSequences: true, seed: 1 });
 * rnn.apply(randomNormal([2, 5, 3], { seed: 2 })).shape; // [2, 5, 8]
 */
export class SimpleRNN<ReturnState extends boolean = false> extends RNN<ReturnState> {
  constructor(units: number, options?: SimpleRNNOptions<ReturnState>) {
    super('SimpleRNN', units, options, []);
  }
  protected get gates(): number { return 1; }
  get stateCount(): number { return 1; }
  protected initialBias(init: InitializerName, seed: number): Tensor { return initialize(init, [this.units], seed); }
  protected prepare() { return { inputBias: this.bias, shared: [] }; }
  protected stepInputs(projection: Tensor, time: number): StepInputs[] { return perStep(projection, time, [this.units]); }
  protected step([x]: StepInputs, [h]: Tensor[], _shared: Tensor[], recurrent: RecurrentProduct): Tensor[] {
    return [this.activation(add(x, recurrent(h, 0, 1)))]; // 3 ops
  }
  /** Keras' SimpleRNN cell uses one dropout mask for all its (one) gates. */
  protected get masksPerGate(): boolean { return false; }
  /** A new SimpleRNN with these options changed (fresh weights). */
  copy(changes: SimpleRNNOptions): SimpleRNN<ReturnState> { return new SimpleRNN(this.units, { ...this.options, ...changes } as SimpleRNNOptions<ReturnState>); }
}

/** Options of `GRU`: every recurrent layer's, and the gates' activation and the reset convention. */
export interface GRUOptions<ReturnState extends boolean = boolean> extends RecurrentOptions<ReturnState> {
  /** of the update and reset gates (default 'sigmoid') */
  recurrentActivation?: ActivationLike;
  /** apply the reset gate after the recurrent matmul (Keras 3's and cuDNN's default, true) or before it */
  resetAfter?: boolean;
}

/**
 * Keras' GRU, gates in Keras' order z (update), r (reset), h (candidate):
 * `z, r = recurrentActivation(x_zr + h·U_zr + b_zr)`, candidate
 * `c = activation(x_h + r ⊙ (h·U_h + b_rh))` (resetAfter) or `activation(x_h + (r ⊙ h)·U_h)`, and
 * `h' = z ⊙ h + (1 - z) ⊙ c`. Weights: kernel [features, 3·units], recurrentKernel [units, 3·units],
 * bias [2, 3·units] (input bias, recurrent bias) with resetAfter, else [3·units].
 * @example
 * const gru = new GRU(4, { returnState: true, seed: 1 });
 * const [output, state] = gru.apply(randomNormal([2, 5, 3], { seed: 2 }));
 * output.shape; // [2, 4]
 */
export class GRU<ReturnState extends boolean = false> extends RNN<ReturnState> {
  readonly recurrentActivation: (x: Tensor) => Tensor;
  readonly resetAfter: boolean;

  constructor(units: number, options?: GRUOptions<ReturnState>) {
    super('GRU', units, options, ['recurrentActivation', 'resetAfter']);
    this.recurrentActivation = inContext(this, () => activationFunction(options?.recurrentActivation ?? 'sigmoid'));
    this.resetAfter = inContext(this, () => boolean('resetAfter', options?.resetAfter, true));
  }
  protected get gates(): number { return 3; }
  get stateCount(): number { return 1; }
  protected initialBias(init: InitializerName, seed: number): Tensor {
    return initialize(init, this.resetAfter ? [2, 3 * this.units] : [3 * this.units], seed);
  }
  protected prepare() {
    if (this.resetAfter) {
      if (!this.bias) return { inputBias: undefined, shared: [] };
      const [inputBias, recurrentBias] = unstack(this.bias, 0);
      return { inputBias, shared: [recurrentBias] };
    }
    return { inputBias: this.bias, shared: [] };
  }
  protected stepInputs(projection: Tensor, time: number): StepInputs[] { return perStep(projection, time, [2 * this.units, this.units]); }
  protected step([xzr, xh]: StepInputs, [h]: Tensor[], shared: Tensor[], recurrent: RecurrentProduct): Tensor[] {
    const u = this.units;
    let z: Tensor, r: Tensor, candidate: Tensor;
    if (this.resetAfter) { // 11 ops: matmul (bias fused), split, add, activation, split, mul, add, activation, update (3)
      const [recurrentBias] = shared;
      const [hzr, hh] = split(recurrent(h, 0, 3, recurrentBias), [2 * u, u], 1);
      [z, r] = split(this.recurrentActivation(add(xzr, hzr)), 2, 1);
      candidate = this.activation(add(xh, mul(r, hh)));
    } else { // 11 ops, two matmuls: the reset gate scales h before the second
      [z, r] = split(this.recurrentActivation(add(xzr, recurrent(h, 0, 2))), 2, 1);
      candidate = this.activation(add(xh, recurrent(mul(r, h), 2, 1)));
    }
    return [add(candidate, mul(z, sub(h, candidate)))]; // z h + (1 - z) c
  }
  /** A new GRU with these options changed (fresh weights). */
  copy(changes: GRUOptions): GRU<ReturnState> { return new GRU(this.units, { ...this.options, ...changes } as GRUOptions<ReturnState>); }
}

/** Options of `LSTM`: every recurrent layer's, the gates' activation and the forget-gate bias. */
export interface LSTMOptions<ReturnState extends boolean = boolean> extends RecurrentOptions<ReturnState> {
  /** of the input, forget and output gates (default 'sigmoid') */
  recurrentActivation?: ActivationLike;
  /** initialise the forget gate's bias to ones (default true, Keras' default) */
  unitForgetBias?: boolean;
}

/**
 * Keras' LSTM, gates in Keras' order i, f, c, o: `[i, f, g, o] = x_t + h·recurrentKernel`,
 * `c' = σ(f) ⊙ c + σ(i) ⊙ activation(g)`, `h' = σ(o) ⊙ activation(c')` (σ: recurrentActivation).
 * States [h, c]. Weights: kernel [features, 4·units], recurrentKernel [units, 4·units], bias
 * [4·units] (with unitForgetBias the forget block starts at ones).
 * @example
 * const lstm = new LSTM(4, { returnState: true, seed: 1 });
 * const [output, h, c] = lstm.apply(randomNormal([2, 5, 3], { seed: 2 }));
 * c.shape; // [2, 4]
 */
export class LSTM<ReturnState extends boolean = false> extends RNN<ReturnState> {
  readonly recurrentActivation: (x: Tensor) => Tensor;
  readonly unitForgetBias: boolean;

  constructor(units: number, options?: LSTMOptions<ReturnState>) {
    super('LSTM', units, options, ['recurrentActivation', 'unitForgetBias']);
    this.recurrentActivation = inContext(this, () => activationFunction(options?.recurrentActivation ?? 'sigmoid'));
    this.unitForgetBias = inContext(this, () => boolean('unitForgetBias', options?.unitForgetBias, true));
  }
  protected get gates(): number { return 4; }
  get stateCount(): number { return 2; }
  protected initialBias(init: InitializerName, seed: number): Tensor {
    const u = this.units;
    if (!this.unitForgetBias) return initialize(init, [4 * u], seed);
    const parts = [initialize(init, [u], deriveSeed(seed, 0)), ones([u]), initialize(init, [2 * u], deriveSeed(seed, 1))];
    try { return concat(parts, 0); } finally { parts.forEach(p => p.dispose()); }
  }
  protected prepare() { return { inputBias: this.bias, shared: [] }; }
  protected stepInputs(projection: Tensor, time: number): StepInputs[] { return perStep(projection, time, [4 * this.units]); }
  protected step([x]: StepInputs, [h, c]: Tensor[], _shared: Tensor[], recurrent: RecurrentProduct): Tensor[] { // 12 ops: matmul, add, split, activations (4), c (3), h (2)
    const [i, f, g, o] = split(add(x, recurrent(h, 0, 4)), 4, 1);
    const ra = this.recurrentActivation;
    const carry = add(mul(ra(f), c), mul(ra(i), this.activation(g)));
    return [mul(ra(o), this.activation(carry)), carry];
  }
  /** A new LSTM with these options changed (fresh weights). */
  copy(changes: LSTMOptions): LSTM<ReturnState> { return new LSTM(this.units, { ...this.options, ...changes } as LSTMOptions<ReturnState>); }
}
