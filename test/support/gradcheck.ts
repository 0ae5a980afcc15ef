// Finite-difference derivatives over the float64 reference, and a float32-tolerant comparison.
// Pass only the differentiable inputs in `inputs`; close over integer ones (indices, labels).

import { type ND, type NestedArray, broadcastTo, isND, nd, sizeOf, unravel } from './nd.js';

export type Fn = (inputs: ND[]) => ND | ND[];

const asList = (y: ND | ND[]): ND[] => (Array.isArray(y) ? y : [y]);

/** The outputs of f as a list, each with its weights broadcast to its shape (default ones). */
function evalOutputs(f: Fn, inputs: ND[], weights?: ND | ND[]): { ys: Float64Array[]; ws: (Float64Array | undefined)[] } {
  const outs = asList(f(inputs));
  const wl = weights === undefined ? undefined : asList(weights);
  if (wl && wl.length !== outs.length) {
    throw new Error(`numeric derivative: ${wl.length} weight arrays for ${outs.length} outputs`);
  }
  return { ys: outs.map((y) => y.data), ws: outs.map((y, k) => (wl ? broadcastTo(wl[k]!, y.shape).data : undefined)) };
}

/**
 * sum_k w_k * sum_c coef_c * y_c[k] over several evaluations y_c of f: the differences are taken
 * per output element before summing, so outputs a perturbation does not touch cancel exactly
 * and large unrelated outputs cost no precision.
 */
function combine(evals: { ys: Float64Array[]; ws: (Float64Array | undefined)[] }[], coefs: readonly number[]): number {
  let s = 0;
  const first = evals[0]!;
  first.ys.forEach((y0, k) => {
    const w = first.ws[k];
    for (let i = 0; i < y0.length; i++) {
      let d = 0;
      for (let c = 0; c < evals.length; c++) d += coefs[c]! * evals[c]!.ys[k]![i]!;
      if (d !== 0) s += (w ? w[i]! : 1) * d;
    }
  });
  return s;
}

/** Copies of the inputs (the caller's arrays are never mutated). */
const cloneAll = (inputs: readonly ND[]): ND[] => inputs.map((x) => ({ shape: [...x.shape], data: Float64Array.from(x.data) }));

/**
 * d(sum(weights * f(inputs))) / d inputs[i] for every i, by central differences in float64.
 * `weights` plays the role of TF's outputGradients (default: ones, i.e. the gradient of the sum);
 * when f returns several arrays, pass one weight array per output.
 */
export function numericGrad(f: Fn, inputs: readonly ND[], weights?: ND | ND[], eps = 1e-6): ND[] {
  const xs = cloneAll(inputs);
  return xs.map((x) => {
    const g = new Float64Array(x.data.length);
    for (let j = 0; j < x.data.length; j++) {
      const v = x.data[j]!;
      x.data[j] = v + eps;
      const up = evalOutputs(f, xs, weights);
      x.data[j] = v - eps;
      const down = evalOutputs(f, xs, weights);
      x.data[j] = v;
      g[j] = combine([up, down], [1, -1]) / (2 * eps);
    }
    return { shape: [...x.shape], data: g };
  });
}

/**
 * Second order: for every input j, d/d inputs[j] of  sum_i sum(gradWeights[i] * dL/d inputs[i])
 * with L = sum(weights * f(inputs)). This is what an outer tape returns for
 * `outer.gradient(inner.gradient(L, xs), xs)` with the inner gradients seeded by gradWeights
 * (default: ones for every input; a null entry leaves that input's gradient out), i.e. the
 * Hessian-vector product H·v with v = gradWeights.
 * Computed with the 4-point mixed difference
 *   [L(x+hv+he_j) - L(x-hv+he_j) - L(x+hv-he_j) + L(x-hv-he_j)] / (4h²),
 * accurate to ~1e-8 relative with the default h = 1e-4.
 */
export function numericSecondOrder(
  f: Fn,
  inputs: readonly ND[],
  gradWeights?: readonly (ND | null)[],
  weights?: ND | ND[],
  eps = 1e-4,
): ND[] {
  const xs = cloneAll(inputs);
  if (gradWeights && gradWeights.length !== xs.length) {
    throw new Error(`numericSecondOrder: ${gradWeights.length} gradWeights for ${xs.length} inputs`);
  }
  const v = xs.map((x, i) => {
    const w = gradWeights ? gradWeights[i] : undefined;
    if (w === null) return new Float64Array(x.data.length);
    if (w === undefined) return new Float64Array(x.data.length).fill(1);
    return broadcastTo(w, x.shape).data;
  });
  const base = xs.map((x) => Float64Array.from(x.data));
  // L at x + s*h*v with one coordinate (input k, element j) additionally moved by t*h.
  const evalAt = (s: number, k: number, j: number, t: number): ReturnType<typeof evalOutputs> => {
    xs.forEach((x, i) => {
      for (let e = 0; e < x.data.length; e++) x.data[e] = base[i]![e]! + s * eps * v[i]![e]!;
    });
    xs[k]!.data[j]! += t * eps;
    return evalOutputs(f, xs, weights);
  };
  const res = xs.map((x, k) => {
    const h = new Float64Array(x.data.length);
    for (let j = 0; j < x.data.length; j++) {
      const pp = evalAt(1, k, j, 1);
      const mp = evalAt(-1, k, j, 1);
      const pm = evalAt(1, k, j, -1);
      const mm = evalAt(-1, k, j, -1);
      h[j] = combine([pp, mp, pm, mm], [1, -1, -1, 1]) / (4 * eps * eps);
    }
    return { shape: [...x.shape], data: h };
  });
  return res;
}

/**
 * Directional derivative (forward mode, what ForwardAccumulator.jvp gives):
 * d/dt f(inputs + t * tangents) at t = 0, one tangent per input (null = zero tangent).
 */
export function numericJvp(f: (inputs: ND[]) => ND, inputs: readonly ND[], tangents: readonly (ND | null)[], eps = 1e-6): ND {
  const shifted = (s: number): ND =>
    f(inputs.map((x, i) => {
      const t = tangents[i];
      const td = t ? broadcastTo(t, x.shape).data : undefined;
      return { shape: [...x.shape], data: Float64Array.from(x.data, (v, e) => v + s * eps * (td ? td[e]! : 0)) };
    }));
  const up = shifted(1);
  const down = shifted(-1);
  return { shape: [...up.shape], data: Float64Array.from(up.data, (u, e) => (u - down.data[e]!) / (2 * eps)) };
}

/** Per input, the Jacobian of f with shape f.shape ++ input.shape (what tape.jacobian returns). */
export function numericJacobian(f: (inputs: ND[]) => ND, inputs: readonly ND[], eps = 1e-6): ND[] {
  const xs = cloneAll(inputs);
  const outShape = f(xs).shape;
  const m = sizeOf(outShape);
  return xs.map((x) => {
    const n = x.data.length;
    const J = new Float64Array(m * n);
    for (let j = 0; j < n; j++) {
      const v = x.data[j]!;
      x.data[j] = v + eps;
      const up = f(xs).data;
      x.data[j] = v - eps;
      const down = f(xs).data;
      x.data[j] = v;
      for (let i = 0; i < m; i++) J[i * n + j] = (up[i]! - down[i]!) / (2 * eps);
    }
    return { shape: [...outShape, ...x.shape], data: J };
  });
}

// ---------------------------------------------------------------------------------------------
// Comparison

export interface Tolerance {
  /** Relative tolerance, default 2e-3 (float32 results against float64 references). */
  rtol?: number;
  /** Absolute tolerance, default 2e-4. */
  atol?: number;
}

export type Comparable = ArrayLike<number> | number | ND | NestedArray;

function flat(x: Comparable): ArrayLike<number> {
  if (typeof x === 'number') return [x];
  if (isND(x)) return x.data;
  if (ArrayBuffer.isView(x)) return x as ArrayLike<number>;
  return nd(x as NestedArray).data;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(7);
}

/** True when |a - e| <= atol + rtol * |e|; NaN matches NaN, infinities must match exactly. */
export function isClose(a: number, e: number, rtol = 2e-3, atol = 2e-4): boolean {
  if (Number.isNaN(e) || Number.isNaN(a)) return Number.isNaN(e) && Number.isNaN(a);
  if (!Number.isFinite(e) || !Number.isFinite(a)) return a === e;
  return Math.abs(a - e) <= atol + rtol * Math.abs(e);
}

/**
 * Throws an Error naming `label`, the count of mismatches and the first few (flat index, the
 * multi-index when `expected` is an ND, actual, expected, difference, tolerance) unless every
 * element is close. Lengths must match. `actual` is typically `tensor.data()`.
 */
export function expectClose(actual: Comparable, expected: Comparable, tol: Tolerance = {}, label = 'values'): void {
  const rtol = tol.rtol ?? 2e-3;
  const atol = tol.atol ?? 2e-4;
  const a = flat(actual);
  const e = flat(expected);
  if (a.length !== e.length) {
    const shape = isND(expected) ? ` (expected shape [${expected.shape}])` : '';
    throw new Error(`${label}: length mismatch, actual has ${a.length} values, expected ${e.length}${shape}`);
  }
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < e.length; i++) {
    const av = a[i]!;
    const ev = e[i]!;
    if (isClose(av, ev, rtol, atol)) continue;
    count++;
    if (bad.length < 6) {
      const multi = isND(expected) && expected.shape.length > 1 ? ` [${unravel(i, expected.shape)}]` : '';
      bad.push(
        `  at index ${i}${multi}: actual ${fmt(av)}, expected ${fmt(ev)} ` +
          `(|diff| ${Math.abs(av - ev).toExponential(2)} > tol ${(atol + rtol * Math.abs(ev)).toExponential(2)})`,
      );
    }
  }
  if (count > 0) {
    throw new Error(
      `${label}: ${count} of ${e.length} values differ (rtol=${rtol}, atol=${atol})\n${bad.join('\n')}` +
        (count > bad.length ? `\n  ... and ${count - bad.length} more` : ''),
    );
  }
}

/** Throws unless the shapes are equal, naming `label` and both shapes. */
export function expectShape(actual: readonly number[], expected: readonly number[], label = 'shape'): void {
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
    throw new Error(`${label}: shape [${actual}] differs from expected [${expected}]`);
  }
}
