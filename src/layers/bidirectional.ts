// Keras' Bidirectional (keras/src/layers/rnn/bidirectional.py): a recurrent layer run forward and a
// copy run backward over the same sequence, their outputs merged.
import { Tensor, add, mul, div, concat, reverse, tidy } from '../index.js';
import { Layer, describeValue, inContext } from './module.js';
import { RNN, type RecurrentApplyOptions } from './recurrent.js';
import { checkOptions } from './util.js';
import { deriveSeed } from './initializers.js';

/** How Bidirectional merges the two outputs: Keras' modes, or null for both as an array. */
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;
const MERGE_MODES: readonly MergeMode[] = ['concat', 'sum', 'mul', 'ave', null];

/** Options of `Bidirectional`. */
export interface BidirectionalOptions<Merge extends MergeMode = MergeMode> {
  /** default 'concat' (along the last axis) */
  mergeMode?: Merge;
  /** the layer to run backward (goBackwards must differ from the layer's); default a copy of the layer with goBackwards flipped */
  backwardLayer?: RNN;
  name?: string;
}

/** Options of Bidirectional's `apply`: `initialState` lists the forward layer's states, then the backward layer's. */
export interface BidirectionalApplyOptions extends Omit<RecurrentApplyOptions, 'initialState'> {
  initialState?: Tensor[];
}

const strip = (name: string, prefix: string) => name.startsWith(prefix) ? name.slice(prefix.length) : name;

/**
 * Keras' Bidirectional: `forwardLayer` is a copy of `layer` named `forward_<name>`, `backwardLayer`
 * a copy with goBackwards flipped named `backward_<name>` (each with fresh weights, as Keras builds
 * its copies from the layer's config; with a seed, the backward copy's is derived from it so the
 * two start different). The backward output sequence is put back in time order before merging.
 * With returnState the result is `[output, ...forward states, ...backward states]`; with
 * mergeMode null the output is two tensors, `[forward, backward, ...states]`.
 * @example
 * const bi = new Bidirectional(new GRU(4, { returnSequences: true, seed: 1 }));
 * bi.apply(randomNormal([2, 5, 3], { seed: 2 })).shape; // [2, 5, 8]
 */
export class Bidirectional<ReturnState extends boolean = false, Merge extends MergeMode = 'concat'> extends Layer {
  forwardLayer: RNN<ReturnState>;
  backwardLayer: RNN<ReturnState>;
  readonly mergeMode: Merge;
  readonly returnSequences: boolean;
  readonly returnState: ReturnState;

  constructor(layer: RNN<ReturnState>, options?: BidirectionalOptions<Merge>) {
    super(options?.name, 'Bidirectional');
    const o = inContext(this, () => checkOptions(options, ['mergeMode', 'backwardLayer', 'name']));
    this.mergeMode = inContext(this, () => {
      const mode = o.mergeMode === undefined ? 'concat' : o.mergeMode;
      if (!MERGE_MODES.includes(mode)) throw new Error(`mergeMode must be one of 'concat', 'sum', 'mul', 'ave' or null, got ${describeValue(mode)}`);
      return mode as Merge;
    });
    inContext(this, () => {
      if (!(layer instanceof RNN)) throw new Error(`expected a recurrent layer (SimpleRNN, GRU, LSTM), got ${describeValue(layer)}`);
      const back = o.backwardLayer;
      if (back !== undefined) {
        if (!(back instanceof RNN)) throw new Error(`backwardLayer must be a recurrent layer (SimpleRNN, GRU, LSTM), got ${describeValue(back)}`);
        if (back.goBackwards === layer.goBackwards) throw new Error(`the forward and backward layers must have different goBackwards, both have ${layer.goBackwards}`);
        for (const key of ['returnSequences', 'returnState'] as const)
          if (back[key] !== layer[key]) throw new Error(`the forward and backward layers must have the same ${key}, got ${layer[key]} and ${back[key]}`);
      }
    });
    const seed = layer.seed;
    this.forwardLayer = layer.copy({ name: `forward_${strip(layer.name, 'forward_')}` }) as RNN<ReturnState>;
    this.backwardLayer = (o.backwardLayer ?? layer.copy({
      name: `backward_${strip(layer.name, 'backward_')}`, goBackwards: !layer.goBackwards,
      seed: seed === undefined ? undefined : deriveSeed(seed, 1),
    })) as RNN<ReturnState>;
    // Keras: with returned sequences, masked steps output zeros (so the merge sees no stale values)
    this.forwardLayer.zeroOutputForMask = this.backwardLayer.zeroOutputForMask = layer.returnSequences;
    this.returnSequences = layer.returnSequences;
    this.returnState = layer.returnState;
  }

  protected computeOutputShape(inputShape: number[]): number[] {
    const shape = this.forwardLayer.outputShape(inputShape);
    this.backwardLayer.outputShape(inputShape);
    if (this.mergeMode === 'concat') shape[shape.length - 1] *= 2;
    return shape;
  }

  build(inputShape: readonly number[]): void {
    inContext(this, () => {
      this.outputShape(inputShape);
      this.forwardLayer.build(inputShape);
      this.backwardLayer.build(inputShape);
    });
  }

  /**
   * Both layers' outputs merged: [batch, units·2] (concat; [batch, units] for the other modes), or
   * per step with returnSequences; an array as described above for returnState or mergeMode null.
   */
  apply(this: Bidirectional<false, 'concat' | 'sum' | 'mul' | 'ave'>, x: Tensor, options?: BidirectionalApplyOptions): Tensor;
  apply(this: Bidirectional<true, MergeMode> | Bidirectional<boolean, null>, x: Tensor, options?: BidirectionalApplyOptions): Tensor[];
  apply(x: Tensor, options?: BidirectionalApplyOptions): Tensor | Tensor[];
  apply(x: Tensor, options: BidirectionalApplyOptions = {}): Tensor | Tensor[] {
    return inContext(this, () => {
      const o = checkOptions(options, ['training', 'initialState', 'mask']);
      const forward = this.forwardLayer, backward = this.backwardLayer;
      const n = forward.stateCount;
      let states: [Tensor[] | undefined, Tensor[] | undefined] = [undefined, undefined];
      if (o.initialState !== undefined) {
        if (!Array.isArray(o.initialState) || o.initialState.length !== 2 * n)
          throw new Error(`apply: initialState must be an array of ${2 * n} tensors (the forward layer's states, then the backward layer's), got ${describeValue(o.initialState)}`);
        states = [o.initialState.slice(0, n), o.initialState.slice(n)];
      }
      // everything is checked before either layer runs
      forward.checkApply(x, { ...o, initialState: states[0] });
      backward.checkApply(x, { ...o, initialState: states[1] });
      this.build(x.shape);
      return tidy(() => this.run(x, o, states));
    });
  }

  protected run(x: Tensor, o: BidirectionalApplyOptions, states: (Tensor[] | undefined)[]): Tensor | Tensor[] {
    {
      const forward = this.forwardLayer, backward = this.backwardLayer;
      const run = (layer: RNN, initialState: Tensor[] | undefined) => {
        const result = layer.apply(x, { ...o, initialState });
        return Array.isArray(result) ? result : [result];
      };
      const [y, ...forwardStates] = run(forward, states[0]);
      let [yBackward, ...backwardStates] = run(backward, states[1]);
      if (this.returnSequences) yBackward = reverse(yBackward, 1); // back in time order
      const merged = this.merge(y, yBackward);
      return this.returnState ? [...merged, ...forwardStates, ...backwardStates] : merged.length === 1 ? merged[0] : merged;
    }
  }

  protected merge(y: Tensor, yBackward: Tensor): Tensor[] {
    switch (this.mergeMode) {
      case 'concat': return [concat([y, yBackward], -1)];
      case 'sum': return [add(y, yBackward)];
      case 'mul': return [mul(y, yBackward)];
      case 'ave': return [div(add(y, yBackward), 2)];
      default: return [y, yBackward];
    }
  }

  protected call(x: Tensor): Tensor {
    const result = this.run(x, {}, [undefined, undefined]);
    return Array.isArray(result) ? result[0] : result;
  }
}
