// Helpers the layer families share: option and argument checks (each throws a plain Error that the
// layer's inContext turns into a LayerError naming it), variable creation, and window arithmetic.
import { Tensor, Variable, variable } from '../index.js';
import { Module, describeValue } from './module.js';
import { type InitializerName, deriveSeed, initialize, randomSeed } from './initializers.js';

/** Convolution and pooling padding, as in TF: 'valid' (no padding) or 'same' (output size ceil(input / stride)). */
export type Padding = 'same' | 'valid';

/** Throws unless `options` is undefined or an object whose keys are all in `allowed`. */
export function checkOptions<T extends object>(options: T | undefined, allowed: readonly string[]): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new Error(`options must be an object like { ${allowed.join(', ')} }, got ${describeValue(options)}`);
  for (const key of Object.keys(options))
    if (!allowed.includes(key)) throw new Error(`unknown option ${JSON.stringify(key)} (expected ${allowed.join(', ')})`);
  return options;
}

export function positiveInteger(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${what} must be a positive integer, got ${describeValue(v)}`);
  return v;
}

export function nonNegativeInteger(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`${what} must be a non-negative integer, got ${describeValue(v)}`);
  return v;
}

/** A finite number within [lo, hi] (either bound may be open), or the fallback when undefined. */
export function numberIn(what: string, v: unknown, fallback: number, lo: number, hi: number, range: string): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !(v >= lo && v <= hi) || !Number.isFinite(v)) throw new Error(`${what} must be a number ${range}, got ${describeValue(v)}`);
  return v;
}

/** A size or stride given as n or [rows, cols]. */
export function pair(what: string, v: unknown): [number, number] {
  if (typeof v === 'number') { positiveInteger(what, v); return [v, v]; }
  if (Array.isArray(v) && v.length === 2) return [positiveInteger(what, v[0]), positiveInteger(what, v[1])];
  throw new Error(`${what} must be a positive integer or a pair [rows, cols] of them, got ${describeValue(v)}`);
}

export function padding(v: unknown): Padding {
  if (v === undefined) return 'valid';
  if (v === 'same' || v === 'valid') return v;
  throw new Error(`padding must be 'same' or 'valid', got ${describeValue(v)}`);
}

export function boolean(what: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new Error(`${what} must be a boolean, got ${describeValue(v)}`);
  return v;
}

/** Throws unless `x` is float32 (layers compute in float32, as Keras' default dtype policy). */
export function checkFloat(x: Tensor, hint = true): void {
  if (x.dtype !== 'float32') throw new Error(`expected a float32 input, got ${describeValue(x)}${hint ? " (cast it with cast(x, 'float32'))" : ''}`);
}

/** Throws unless the input shape is rank 4, NHWC. */
export function checkImages(inputShape: readonly number[]): void {
  if (inputShape.length !== 4) throw new Error(`expected an input of rank 4 [batch, height, width, channels], got shape [${inputShape}]`);
}

/** `axis` as a non-negative index into a shape of rank `rank` (negative counts from the end). */
export function resolveAxis(what: string, axis: number, rank: number, inputShape: readonly number[]): number {
  if (axis < -rank || axis >= rank) throw new Error(`${what} ${axis} is out of range for an input of rank ${rank} (shape [${inputShape}]): expected ${-rank} to ${rank - 1}`);
  return axis < 0 ? axis + rank : axis;
}

/** An integer axis option (validated against the input's rank later, by resolveAxis). */
export function integer(what: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`${what} must be an integer, got ${describeValue(v)}`);
  return v;
}

/** The spatial output size of a convolution or pooling window (TF's formula). */
export function windowOutput(inSize: number, window: number, stride: number, pad: Padding): number {
  return pad === 'same' ? Math.ceil(inSize / stride) : Math.ceil((inSize - window + 1) / stride);
}

/** [height, width] after a window over an NHWC shape; throws when a 'valid' window does not fit. */
export function spatialOutput(inputShape: readonly number[], window: [number, number], strides: [number, number], pad: Padding, what: string): [number, number] {
  const [, height, width] = inputShape;
  if (pad === 'valid' && (height < window[0] || width < window[1]))
    throw new Error(`the input's ${height}x${width} image (shape [${inputShape}]) is smaller than the ${window[0]}x${window[1]} ${what} with padding 'valid'`);
  return [windowOutput(height, window[0], strides[0], pad), windowOutput(width, window[1], strides[1], pad)];
}

/** Creates a variable named `${layer.name}/${what}` from an initializer (temporaries freed). */
export function makeVariable(layer: Module, what: string, init: InitializerName, shape: number[], seed: number | undefined, trainable = true): Variable {
  const initial = initialize(init, shape, seed);
  try {
    return variable(initial, { name: `${layer.name}/${what}`, trainable });
  } finally {
    initial.dispose();
  }
}

/** Kernel and bias seeds: two independent streams of the layer's seed (random when none). */
export function variableSeeds(seed: number | undefined): { kernel: number; bias: number } {
  const base = seed ?? randomSeed();
  return { kernel: deriveSeed(base, 0), bias: deriveSeed(base, 1) };
}

/** n with Keras' thousands separators (summary() prints counts as "2,330,944"). */
export function withCommas(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
