// Keras' recurrent layers (keras/src/layers/rnn/): the RNN loop shared by SimpleRNN, GRU and LSTM,
// with Keras 3's arguments, defaults, weight names, shapes and order, gate order and masking. The
// cells are in recurrent-cells.ts.
//
// Speed: the loop runs in JS, so it keeps the ops per step few. The input's projection for every
// step is one matmul (time-major, with the input bias fused), split once into per-step blocks; a
// step is then one recurrent matmul (its bias fused where Keras has one) plus a split, activations
// and the state update (the cells list their counts).
//
// Dropout as Keras' cells: in training, one mask per sequence for the input's features and one for
// the state before the recurrent matmul; with recurrent dropout GRU and LSTM take a mask per gate
// (Keras' implementation 1), each gate's kernel block then projecting its own masked input.
//
// Masking as Keras' backend rnn: at a masked step every state keeps its previous value and the
// output repeats the previous step's output (zeros before the first unmasked step), or is zeros
// with zeroOutputForMask (what Bidirectional sets when it returns sequences).
import { Tensor, Variable, variable, tidy, transpose, reshape, matmul, split, unstack, stack, where, zeros, mul, add, cast, concat, slice, greaterEqual, randomUniform } from '../index.js';
import { Layer, describeValue, inContext, type ApplyOptions } from './module.js';
import { type ActivationLike, activationFunction } from './activations.js';
import { type InitializerName, checkInitializer, checkSeed, deriveSeed, randomSeed } from './initializers.js';
import { boolean, checkFloat, checkOptions, makeVariable, numberIn, positiveInteger } from './util.js';

/** Options every recurrent layer takes (Keras' names and defaults). */
export interface RecurrentOptions<ReturnState extends boolean = boolean> {
  /** of the candidate state / output (default 'tanh') */
  activation?: ActivationLike;
  /** default true */
  useBias?: boolean;
  /** default 'glorotUniform' */
  kernelInitializer?: InitializerName;
  /** default 'orthogonal' */
  recurrentInitializer?: InitializerName;
  /** default 'zeros' */
  biasInitializer?: InitializerName;
  /** the output at every step, [batch, time, units], instead of the last one, [batch, units] (default false) */
  returnSequences?: boolean;
  /** apply returns [output, ...final states] (default false) */
  returnState?: ReturnState;
  /** process the sequence in reverse; the returned sequence is then in processing order, as Keras (default false) */
  goBackwards?: boolean;
  /** output zeros at masked steps instead of the previous output (Keras' RNN argument; default false) */
  zeroOutputForMask?: boolean;
  /** fraction of the input's features dropped in training, one mask per sequence (default 0) */
  dropout?: number;
  /** fraction of the state's units dropped before the recurrent matmul in training, one mask per sequence (default 0) */
  recurrentDropout?: number;
  /** makes the random initial weights and the dropout masks reproducible on every platform */
  seed?: number;
  name?: string;
}
export const RECURRENT_OPTIONS = ['activation', 'useBias', 'kernelInitializer', 'recurrentInitializer', 'biasInitializer',
  'returnSequences', 'returnState', 'goBackwards', 'zeroOutputForMask', 'dropout', 'recurrentDropout', 'seed', 'name'];

/** Options of a recurrent layer's `apply`. */
export interface RecurrentApplyOptions extends ApplyOptions {
  /** the initial state [batch, units] (default zeros): one tensor (SimpleRNN, GRU) or [h, c] (LSTM) */
  initialState?: Tensor | Tensor[];
  /** bool [batch, time]: false marks a step to skip (its states are carried over) */
  mask?: Tensor;
}

/** What a cell receives at each step: its blocks of the input projection for that step. */
export type StepInputs = Tensor[];
/**
 * A step's recurrent product: `h · recurrentKernel` restricted to gates [first, first + count), plus
 * `bias` if given, with the recurrent dropout masks applied to h when training with them.
 */
export type RecurrentProduct = (h: Tensor, first: number, count: number, bias?: Tensor) => Tensor;

/**
 * The base of SimpleRNN, GRU and LSTM (Keras' RNN with the layer's cell built in). Subclasses give
 * the gate count, the state count, how the projected input is split per step and the step itself.
 * `ReturnState` is the type of the `returnState` option, so `apply`'s result type follows it.
 */
export abstract class RNN<ReturnState extends boolean = boolean> extends Layer {
  // declared first, in Keras' weight order, so `variables` and `weights()` list them so
  /** [features, gates·units] (created on the first apply or build) */
  kernel: Variable | undefined = undefined;
  /** [units, gates·units] */
  recurrentKernel: Variable | undefined = undefined;
  /** [gates·units] (GRU with resetAfter: [2, 3·units], input bias then recurrent bias) */
  bias: Variable | undefined = undefined;
  readonly units: number;
  readonly activation: (x: Tensor) => Tensor;
  readonly useBias: boolean;
  readonly returnSequences: boolean;
  readonly returnState: ReturnState;
  readonly goBackwards: boolean;
  /** set by Bidirectional when it returns sequences, as Keras does */
  zeroOutputForMask: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  /** the constructor's options, for Bidirectional's copies */
  readonly #options: RecurrentOptions;
  readonly #init: { kernel: InitializerName; recurrent: InitializerName; bias: InitializerName };
  readonly #seed: number | undefined;
  /** applies in training so far (the dropout masks' seed stream) */
  #calls = 0;

  constructor(kind: string, units: number, options: RecurrentOptions<ReturnState> | undefined, extra: readonly string[]) {
    super(options?.name, kind);
    const o = inContext(this, () => checkOptions(options, [...RECURRENT_OPTIONS, ...extra]));
    this.#options = { ...o };
    this.units = inContext(this, () => positiveInteger('units', units));
    this.activation = inContext(this, () => activationFunction(o.activation ?? 'tanh'));
    this.useBias = inContext(this, () => boolean('useBias', o.useBias, true));
    this.returnSequences = inContext(this, () => boolean('returnSequences', o.returnSequences, false));
    this.returnState = inContext(this, () => boolean('returnState', o.returnState, false)) as ReturnState;
    this.goBackwards = inContext(this, () => boolean('goBackwards', o.goBackwards, false));
    this.zeroOutputForMask = inContext(this, () => boolean('zeroOutputForMask', o.zeroOutputForMask, false));
    this.dropout = inContext(this, () => numberIn('dropout', o.dropout, 0, 0, 1 - Number.EPSILON, 'in [0, 1)'));
    this.recurrentDropout = inContext(this, () => numberIn('recurrentDropout', o.recurrentDropout, 0, 0, 1 - Number.EPSILON, 'in [0, 1)'));
    this.#init = inContext(this, () => ({
      kernel: checkInitializer(o.kernelInitializer ?? 'glorotUniform', 'kernelInitializer'),
      recurrent: checkInitializer(o.recurrentInitializer ?? 'orthogonal', 'recurrentInitializer'),
      bias: checkInitializer(o.biasInitializer ?? 'zeros', 'biasInitializer'),
    }));
    this.#seed = inContext(this, () => checkSeed(o.seed));
  }

  /** gates per unit: 1 (SimpleRNN), 3 (GRU), 4 (LSTM) */
  protected abstract get gates(): number;
  /** 1 (h) or 2 (LSTM: h, c) */
  abstract get stateCount(): number;
  /** the seed given to the constructor */
  get seed(): number | undefined { return this.#seed; }
  /** The bias variable's initial value (LSTM's unitForgetBias, GRU's two rows). */
  protected abstract initialBias(init: InitializerName, seed: number): Tensor;
  /** The fused input bias of the projection and whatever the steps need, computed once per apply. */
  protected abstract prepare(): { inputBias: Tensor | undefined; shared: Tensor[] };
  /** Splits the projection [time·batch, gates·units] (time-major) into per-step inputs. */
  protected abstract stepInputs(projection: Tensor, time: number): StepInputs[];
  /** One step: the new states (states[0], h, is the output). */
  protected abstract step(inputs: StepInputs, states: Tensor[], shared: Tensor[], recurrent: RecurrentProduct): Tensor[];
  /**
   * Keras' dropout masks: one per gate when recurrent dropout is on (its `implementation = 1`, GRU
   * and LSTM), else one for all gates (always, for SimpleRNN).
   */
  protected get masksPerGate(): boolean { return this.recurrentDropout > 0; }

  /** A copy with the same options but `changes` (Bidirectional's forward and backward layers). */
  abstract copy(changes: RecurrentOptions): RNN<ReturnState>;
  /** @internal the options to copy */
  protected get options(): RecurrentOptions { return this.#options; }

  protected computeOutputShape(inputShape: number[]): number[] {
    if (inputShape.length !== 3) throw new Error(`expected an input of rank 3 [batch, time, features], got shape [${inputShape}]`);
    const features = inputShape[2];
    if (this.kernel) {
      if (this.kernel.isDisposed) throw new Error('the layer is disposed');
      if (features !== this.kernel.shape[0]) throw new Error(`the input has ${features} features (shape [${inputShape}]) but the layer was built for ${this.kernel.shape[0]} (kernel [${this.kernel.shape}])`);
    } else if (features < 1) throw new Error(`the input's features must be at least 1, got shape [${inputShape}]`);
    return this.returnSequences ? [inputShape[0], inputShape[1], this.units] : [inputShape[0], this.units];
  }

  /** Creates kernel, recurrentKernel and bias for inputs [batch, time, features]. */
  build(inputShape: readonly number[]): void {
    inContext(this, () => {
      this.outputShape(inputShape);
      if (this.kernel) return;
      const base = this.#seed ?? randomSeed(), width = this.gates * this.units;
      this.kernel = makeVariable(this, 'kernel', this.#init.kernel, [inputShape[2], width], deriveSeed(base, 0));
      this.recurrentKernel = makeVariable(this, 'recurrent_kernel', this.#init.recurrent, [this.units, width], deriveSeed(base, 2));
      if (this.useBias) {
        const initial = this.initialBias(this.#init.bias, deriveSeed(base, 1));
        try { this.bias = variable(initial, { name: `${this.name}/bias` }); } finally { initial.dispose(); }
      }
    });
  }

  /**
   * The layer's output for `x` `[batch, time, features]`: `[batch, units]`, the last step's output,
   * or with returnSequences `[batch, time, units]`; with returnState, `[output, ...final states]`.
   */
  apply(this: RNN<false>, x: Tensor, options?: RecurrentApplyOptions): Tensor;
  apply(this: RNN<true>, x: Tensor, options?: RecurrentApplyOptions): Tensor[];
  apply(x: Tensor, options?: RecurrentApplyOptions): Tensor | Tensor[];
  apply(x: Tensor, options: RecurrentApplyOptions = {}): Tensor | Tensor[] {
    return inContext(this, () => {
      const { initialState, mask } = this.checkApply(x, options);
      this.build(x.shape);
      return tidy(() => {
        const [output, ...states] = this.run(x, initialState, mask, options.training ?? false);
        return this.returnState ? [output, ...states] : output;
      });
    });
  }

  protected call(x: Tensor, { training }: { training: boolean }): Tensor { return this.run(x, undefined, undefined, training)[0]; }

  /**
   * @internal The dropout masks of one training apply (undefined for a rate of 0): values 0 or
   * 1 / (1 - rate), the same for every step, as Keras; `count` masks per kind.
   */
  dropoutMasks(batch: number, features: number, count: number): { input?: Tensor[]; recurrent?: Tensor[] } {
    const seed = this.#seed === undefined ? randomSeed() : deriveSeed(deriveSeed(this.#seed, 3), this.#calls);
    this.#calls++;
    const masks = (rate: number, width: number, stream: number) => rate === 0 ? undefined : Array.from({ length: count }, (_, i) =>
      mul(cast(greaterEqual(randomUniform([batch, width], { seed: deriveSeed(seed, 2 * i + stream) }), rate), 'float32'), 1 / (1 - rate)));
    return { input: masks(this.dropout, features, 0), recurrent: masks(this.recurrentDropout, this.units, 1) };
  }

  /** @internal Checks everything apply takes before anything is created; returns the states as a list. */
  checkApply(x: unknown, options: unknown): { initialState: Tensor[] | undefined; mask: Tensor | undefined } {
    const o = checkOptions(options as RecurrentApplyOptions, ['training', 'initialState', 'mask']);
    if (o.training !== undefined && typeof o.training !== 'boolean') throw new Error(`apply: training must be a boolean, got ${describeValue(o.training)}`);
    this.checkInput(x);
    const t = x as Tensor;
    checkFloat(t);
    this.outputShape(t.shape);
    const [batch, time] = t.shape;
    let initialState: Tensor[] | undefined;
    if (o.initialState !== undefined) {
      const given = o.initialState instanceof Tensor ? [o.initialState] : o.initialState;
      const what = this.stateCount === 1 ? 'a tensor' : `an array of ${this.stateCount} tensors [h, c]`;
      if (!Array.isArray(given) || given.length !== this.stateCount || given.some(s => !(s instanceof Tensor) || s.isDisposed || s.dtype !== 'float32' || s.shape.length !== 2 || s.shape[0] !== batch || s.shape[1] !== this.units))
        throw new Error(`apply: initialState must be ${what} of shape [${batch}, ${this.units}] (float32, [batch, units]), got ${describeValue(o.initialState)}`);
      initialState = given;
    }
    const mask = o.mask;
    if (mask !== undefined && (!(mask instanceof Tensor) || mask.isDisposed || mask.dtype !== 'bool' || mask.shape.length !== 2 || mask.shape[0] !== batch || mask.shape[1] !== time))
      throw new Error(`apply: mask must be a bool tensor of shape [${batch}, ${time}] ([batch, time]), got ${describeValue(mask)}`);
    return { initialState, mask };
  }

  /** The loop: [output, ...final states]. */
  protected run(x: Tensor, initialState: Tensor[] | undefined, mask: Tensor | undefined, training: boolean): Tensor[] {
    const [batch, time, features] = x.shape;
    const { inputBias, shared } = this.prepare();
    const count = this.masksPerGate ? this.gates : 1;
    const dropped = training && (this.dropout > 0 || this.recurrentDropout > 0) ? this.dropoutMasks(batch, features, count) : {};
    // time-major once, so each step's block of the projection is contiguous
    const timeMajor = (m?: Tensor) => reshape(transpose(m ? mul(x, reshape(m, [batch, 1, features])) : x, [1, 0, 2]), [time * batch, features]);
    let projection: Tensor;
    if (!dropped.input || count === 1) projection = matmul(timeMajor(dropped.input?.[0]), this.kernel!, false, false, { bias: inputBias });
    else { // a mask per gate: each gate's block of the kernel projects its own masked input
      const kernels = split(this.kernel!, count, 1), biases = inputBias ? split(inputBias, count, 0) : [];
      projection = concat(dropped.input.map((m, g) => matmul(timeMajor(m), kernels[g], false, false, { bias: biases[g] })), 1);
    }
    const inputs = this.stepInputs(projection, time);
    const recurrent = this.recurrentProduct(dropped.recurrent);
    const masks = mask ? unstack(transpose(reshape(mask, [batch, time, 1]), [1, 0, 2]), 0) : undefined;
    const zero = zeros([batch, this.units]);
    let states = initialState ?? Array.from({ length: this.stateCount }, () => zero);
    let output = zero;
    const outputs: Tensor[] = [];
    for (let k = 0; k < time; k++) {
      const t = this.goBackwards ? time - 1 - k : k;
      const next = this.step(inputs[t], states, shared, recurrent);
      if (masks) {
        const m = masks[t];
        output = where(m, next[0], this.zeroOutputForMask ? zero : output);
        states = next.map((s, i) => where(m, s, states[i]));
      } else {
        output = next[0];
        states = next;
      }
      if (this.returnSequences) outputs.push(output);
    }
    return [this.returnSequences ? stack(outputs, 1) : output, ...states];
  }

  /** h·recurrentKernel for a range of gates, with the recurrent dropout masks (none, one, or one per gate). */
  protected recurrentProduct(masks: Tensor[] | undefined): RecurrentProduct {
    const kernel = this.recurrentKernel!, units = this.units, blocks = new Map<string, Tensor>();
    const block = (first: number, count: number) => { // sliced once per apply
      if (first === 0 && count * units === kernel.shape[1]) return kernel;
      const key = `${first},${count}`;
      let b = blocks.get(key);
      if (!b) blocks.set(key, b = slice(kernel, [0, first * units], [units, count * units]));
      return b;
    };
    if (!masks) return (h, first, count, bias) => matmul(h, block(first, count), false, false, { bias });
    if (masks.length === 1) return (h, first, count, bias) => matmul(mul(h, masks[0]), block(first, count), false, false, { bias });
    return (h, first, count, bias) => {
      const product = concat(Array.from({ length: count }, (_, g) => matmul(mul(h, masks[first + g]), block(first + g, 1))), 1);
      return bias ? add(product, bias) : product;
    };
  }
}

/**
 * Splits the projection [time·batch, width] into `time` blocks per part of `sizes` (widths): one
 * split by width, then one by time per part (a split is one op, whose gradient joins the blocks').
 */
export function perStep(projection: Tensor, time: number, sizes: number[]): StepInputs[] {
  const parts = sizes.length === 1 ? [projection] : split(projection, sizes, 1);
  const blocks = parts.map(p => split(p, time, 0));
  return Array.from({ length: time }, (_, t) => blocks.map(b => b[t]));
}
