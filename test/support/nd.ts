// A tiny float64 n-d array for the test reference: row-major data plus a shape. No views, no
// dtypes: int32/bool values are stored as float64 integers / 0-1 values.

export interface ND {
  shape: number[];
  data: Float64Array;
}

/** A number, nested arrays of numbers, a typed array, or an ND. */
export type NDLike = ND | number | boolean | NestedArray | ArrayLike<number>;
export interface NestedArray extends ReadonlyArray<number | boolean | NestedArray> {}

export function isND(x: unknown): x is ND {
  return typeof x === 'object' && x !== null && 'shape' in x && 'data' in x &&
    (x as ND).data instanceof Float64Array;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function inferShape(v: unknown): number[] {
  const shape: number[] = [];
  let cur: unknown = v;
  while (Array.isArray(cur) || ArrayBuffer.isView(cur)) {
    const a = cur as ArrayLike<unknown>;
    shape.push(a.length);
    if (a.length === 0) break;
    cur = a[0];
  }
  return shape;
}

function flattenInto(v: unknown, shape: number[], depth: number, out: number[]): void {
  if (depth === shape.length) {
    if (typeof v === 'boolean') out.push(v ? 1 : 0);
    else if (typeof v === 'number') out.push(v);
    else throw new Error(`nd: expected a number at depth ${depth}, got ${typeof v}`);
    return;
  }
  const a = v as ArrayLike<unknown>;
  if (!(Array.isArray(a) || ArrayBuffer.isView(a)) || a.length !== shape[depth]) {
    throw new Error(`nd: ragged nested array, expected length ${shape[depth]} at depth ${depth}`);
  }
  for (let i = 0; i < a.length; i++) flattenInto(a[i], shape, depth + 1, out);
}

/**
 * Builds an ND from a number, nested arrays, a typed array or an ND (copied). With `shape`, the
 * values are taken flat (row-major) and must have exactly sizeOf(shape) elements; a single
 * number with a shape fills it.
 */
export function nd(values: NDLike, shape?: readonly number[]): ND {
  if (isND(values)) {
    const data = Float64Array.from(values.data);
    if (shape === undefined) return { shape: [...values.shape], data };
    if (sizeOf(shape) !== data.length) {
      throw new Error(`nd: shape [${shape}] needs ${sizeOf(shape)} values, got ${data.length}`);
    }
    return { shape: [...shape], data };
  }
  if (typeof values === 'number' || typeof values === 'boolean') {
    const v = Number(values);
    if (shape === undefined) return { shape: [], data: Float64Array.of(v) };
    return { shape: [...shape], data: new Float64Array(sizeOf(shape)).fill(v) };
  }
  const inferred = inferShape(values);
  const flat: number[] = [];
  flattenInto(values, inferred, 0, flat);
  if (shape === undefined) return { shape: inferred, data: Float64Array.from(flat) };
  if (flat.length !== sizeOf(shape)) {
    throw new Error(`nd: shape [${shape}] needs ${sizeOf(shape)} values, got ${flat.length}`);
  }
  return { shape: [...shape], data: Float64Array.from(flat) };
}

/** Converts anything tensor-like to an ND without copying an ND. */
export function toND(x: NDLike): ND {
  return isND(x) ? x : nd(x);
}

export function scalar(v: number): ND {
  return { shape: [], data: Float64Array.of(v) };
}

export function full(shape: readonly number[], value: number): ND {
  return { shape: [...shape], data: new Float64Array(sizeOf(shape)).fill(value) };
}

export function zeros(shape: readonly number[]): ND {
  return full(shape, 0);
}

export function ones(shape: readonly number[]): ND {
  return full(shape, 1);
}

export function clone(x: ND): ND {
  return { shape: [...x.shape], data: Float64Array.from(x.data) };
}

export function mapND(x: ND, f: (v: number, i: number) => number): ND {
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(x.data[i]!, i);
  return { shape: [...x.shape], data: out };
}

// ---------------------------------------------------------------------------------------------
// Index and stride utilities (row-major)

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Flat offset of a multi-index. */
export function ravel(index: readonly number[], shape: readonly number[]): number {
  let off = 0;
  for (let i = 0; i < shape.length; i++) off = off * shape[i]! + index[i]!;
  return off;
}

/** Multi-index of a flat offset. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    idx[i] = d === 0 ? 0 : flat % d;
    flat = d === 0 ? 0 : Math.floor(flat / d);
  }
  return idx;
}

/** Element at a multi-index. */
export function at(x: ND, ...index: number[]): number {
  if (index.length !== x.shape.length) {
    throw new Error(`at: index [${index}] has rank ${index.length}, array has shape [${x.shape}]`);
  }
  return x.data[ravel(index, x.shape)]!;
}

/** Normalises one axis (negative allowed) against a rank; throws when out of range. */
export function normAxis(axis: number, rank: number, op = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new Error(`${op}: axis ${axis} is out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Normalises axis: number | number[] | undefined (undefined = all axes), sorted and unique. */
export function normAxes(axis: number | readonly number[] | undefined, rank: number, op = 'axis'): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  const out = new Set<number>();
  for (const a of list) {
    if (!Number.isInteger(a) || a < -rank || a >= rank) {
      throw new Error(`${op}: axis ${a} is out of range for rank ${rank}`);
    }
    out.add(a < 0 ? a + rank : a);
  }
  return [...out].sort((p, q) => p - q);
}

// ---------------------------------------------------------------------------------------------
// Broadcasting

/** NumPy broadcast of several shapes; throws on incompatible dims. */
export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i]!;
      if (d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else if (out[o] !== d) {
        throw new Error(`broadcastShapes: incompatible shapes ${shapes.map((q) => `[${q}]`).join(', ')}`);
      }
    }
  }
  return out;
}

/**
 * For each flat index of `outShape`, the flat index into an array of shape `inShape` that
 * broadcasts to it (inShape must broadcast to outShape).
 */
export function broadcastIndexMap(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const rank = outShape.length;
  if (inShape.length > rank) throw new Error(`broadcast: cannot broadcast [${inShape}] to [${outShape}]`);
  const pad = rank - inShape.length;
  const inStrides = stridesOf(inShape);
  const eff = new Array<number>(rank).fill(0);
  for (let i = 0; i < inShape.length; i++) {
    const d = inShape[i]!;
    const o = outShape[pad + i]!;
    if (d !== o && d !== 1) throw new Error(`broadcast: cannot broadcast [${inShape}] to [${outShape}]`);
    eff[pad + i] = d === 1 ? 0 : inStrides[i]!;
  }
  const n = sizeOf(outShape);
  const map = new Int32Array(n);
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    map[k] = off;
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]!++;
      off += eff[a]!;
      if (idx[a]! < outShape[a]!) break;
      off -= eff[a]! * idx[a]!;
      idx[a] = 0;
    }
  }
  return map;
}

export function broadcastTo(x: ND, shape: readonly number[]): ND {
  const map = broadcastIndexMap(x.shape, shape);
  const out = new Float64Array(map.length);
  for (let i = 0; i < map.length; i++) out[i] = x.data[map[i]!]!;
  return { shape: [...shape], data: out };
}

/**
 * Sums `x` over the axes along which an array of `shape` would have been broadcast to x.shape,
 * and returns the result with exactly `shape` (a [2,1] target keeps shape [2,1]).
 */
export function reduceToShape(x: ND, shape: readonly number[]): ND {
  const map = broadcastIndexMap(shape, x.shape);
  const out = new Float64Array(sizeOf(shape));
  for (let i = 0; i < map.length; i++) out[map[i]!]! += x.data[i]!;
  return { shape: [...shape], data: out };
}

// ---------------------------------------------------------------------------------------------
// Conversion

export type Nested = number | Nested[];

/** Nested arrays (a number for rank 0). */
export function toNested(x: ND): Nested {
  if (x.shape.length === 0) return x.data[0]!;
  const build = (depth: number, off: number): Nested[] => {
    const n = x.shape[depth]!;
    const stride = sizeOf(x.shape.slice(depth + 1));
    const res: Nested[] = [];
    for (let i = 0; i < n; i++) {
      res.push(depth === x.shape.length - 1 ? x.data[off + i]! : build(depth + 1, off + i * stride));
    }
    return res;
  };
  return build(0, 0);
}

export function toFloat32(x: ND): Float32Array {
  return Float32Array.from(x.data);
}

/** Rounds every value to float32 (what a float32 tensor built from these values holds). */
export function roundToFloat32(x: ND): ND {
  return mapND(x, Math.fround);
}

// ---------------------------------------------------------------------------------------------
// Seeded random numbers

/** mulberry32: a small, fast 32-bit seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rng = () => number;
type SeedOrRng = number | Rng;
const asRng = (s: SeedOrRng): Rng => (typeof s === 'number' ? mulberry32(s) : s);

export interface DomainOptions {
  /** Values closer than `margin` to any of these points are redrawn (keep samples off kinks). */
  avoid?: readonly number[];
  /** Default 0.05. */
  margin?: number;
  /** Round every value to float32 so the float32 tensor and the float64 reference agree exactly. Default true. */
  float32?: boolean;
}

function draw(gen: () => number, opts: DomainOptions): number {
  const avoid = opts.avoid ?? [];
  const margin = opts.margin ?? 0.05;
  for (let tries = 0; tries < 10000; tries++) {
    let v = gen();
    if (opts.float32 ?? true) v = Math.fround(v);
    if (avoid.every((p) => Math.abs(v - p) >= margin)) return v;
  }
  throw new Error(`random: could not draw a value away from [${avoid}] with margin ${margin}`);
}

/** Normal samples (Box-Muller) of the given shape: mean + std * N(0,1). */
export function randn(
  shape: readonly number[],
  seed: SeedOrRng = 1,
  { mean = 0, std = 1, ...opts }: { mean?: number; std?: number } & DomainOptions = {},
): ND {
  const rng = asRng(seed);
  const gauss = (): number => {
    const u1 = 1 - rng(); // (0, 1]
    const u2 = rng();
    return mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
  const out = new Float64Array(sizeOf(shape));
  for (let i = 0; i < out.length; i++) out[i] = draw(gauss, opts);
  return { shape: [...shape], data: out };
}

/** Uniform samples in [min, max) of the given shape. */
export function uniform(
  shape: readonly number[],
  min = -1,
  max = 1,
  seed: SeedOrRng = 1,
  opts: DomainOptions = {},
): ND {
  const rng = asRng(seed);
  const out = new Float64Array(sizeOf(shape));
  for (let i = 0; i < out.length; i++) out[i] = draw(() => min + (max - min) * rng(), opts);
  return { shape: [...shape], data: out };
}

/** Uniform integers in [lo, hi) of the given shape (for gather indices, sparse labels, ...). */
export function randint(shape: readonly number[], lo: number, hi: number, seed: SeedOrRng = 1): ND {
  const rng = asRng(seed);
  const out = new Float64Array(sizeOf(shape));
  for (let i = 0; i < out.length; i++) out[i] = lo + Math.floor(rng() * (hi - lo));
  return { shape: [...shape], data: out };
}

/** Rows that each sum to 1 (positive), e.g. soft labels for softmaxCrossEntropy; last axis normalised. */
export function randSimplex(shape: readonly number[], seed: SeedOrRng = 1): ND {
  const x = uniform(shape, 0.1, 1, seed, { float32: false });
  const last = shape[shape.length - 1] ?? 1;
  for (let r = 0; r < x.data.length; r += last) {
    let s = 0;
    for (let j = 0; j < last; j++) s += x.data[r + j]!;
    for (let j = 0; j < last; j++) x.data[r + j] = Math.fround(x.data[r + j]! / s);
  }
  return x;
}
