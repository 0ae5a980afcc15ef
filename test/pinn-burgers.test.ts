// The PINN example's pieces (examples/pinn-burgers.mjs, burgers-exact.mjs; they import the built
// package, dist/): the exact solution against known values, the PDE itself and an independent
// quadrature; the network's residual (nested tapes) against a float64 evaluation of the same weights;
// one Adam step and a few L-BFGS iterations lower the loss and free what they make.
import { describe, it, expect } from 'vitest';
import type { Tensor } from 'gradtape';

interface Exact { u: number; ux: number }
interface Model { weights(): Record<string, Tensor>; trainableVariables: (Tensor & { assign(t: Tensor): void })[]; dispose(): void }
type Data = Record<'X_0' | 'u_0' | 'X_b' | 't_r' | 'x_r', Tensor>;
interface ExactModule {
  VISCOSITY: number;
  gaussHermite(n: number): { z: Float64Array; w: Float64Array };
  burgersExact(t: number, x: number): Exact;
}
interface PinnModule {
  makeData(o: { N_0: number; N_b: number; N_r: number; seed?: number }): Data;
  init_model(o?: { seed?: number }): Model;
  get_r(model: Model, t: Tensor, x: Tensor): Tensor;
  compute_loss(model: Model, data: Data): Tensor;
  train_step(model: Model, data: Data, optim: unknown): number;
  train_lbfgs(model: Model, data: Data, maxIterations: number, numCorrectionPairs?: number): { objectiveValue: number; numIterations: number };
}
const load = (name: string) => import(`../examples/${name}.mjs`);
const exactModule = () => load('burgers-exact') as Promise<ExactModule>;
const pinnModule = () => load('pinn-burgers') as Promise<PinnModule>;
const dist = () => import('gradtape');

/** u(t, x) by the Cole–Hopf integrals with the trapezoid rule in η (step 1e-4, |η| ≤ 6): independent of the Gauss–Hermite code. */
function trapezoidU(t: number, x: number, nu: number): number {
  const c = 1 / (2 * Math.PI * nu), s2 = 4 * nu * t, exps: number[] = [], etas: number[] = [];
  for (let k = -60000; k <= 60000; k++) { const eta = k * 1e-4; etas.push(eta); exps.push(-c * Math.cos(Math.PI * (x - eta)) - eta * eta / s2); }
  const top = Math.max(...exps);
  let n = 0, d = 0;
  etas.forEach((eta, k) => { const f = Math.exp(exps[k] - top); n += Math.sin(Math.PI * (x - eta)) * f; d += f; });
  return -n / d;
}

describe('the exact solution (Cole–Hopf, Gauss–Hermite)', () => {
  it('the 100-point Gauss–Hermite rule integrates the even moments of e^(−z²) exactly', async () => {
    const { gaussHermite } = await exactModule();
    const { z, w } = gaussHermite(100);
    const moment = (k: number) => z.reduce((s, zi, i) => s + w[i] * zi ** k, 0);
    expect(moment(0)).toBeCloseTo(Math.sqrt(Math.PI), 13);
    expect(moment(2)).toBeCloseTo(Math.sqrt(Math.PI) / 2, 13);
    expect(moment(4)).toBeCloseTo(3 * Math.sqrt(Math.PI) / 4, 12);
    expect(moment(1)).toBeCloseTo(0, 13);
  });

  it('meets the initial condition, is zero at x = 0 and x = ±1, and is odd in x', async () => {
    const { burgersExact } = await exactModule();
    for (const x of [-0.9, -0.3, 0.1, 0.55]) expect(burgersExact(0, x).u).toBeCloseTo(-Math.sin(Math.PI * x), 14);
    for (const t of [0.1, 0.3, 0.5, 0.75, 1]) {
      expect(Math.abs(burgersExact(t, 0).u)).toBeLessThan(1e-12);
      expect(Math.abs(burgersExact(t, 1).u)).toBeLessThan(1e-12);
      expect(burgersExact(t, -0.4).u).toBeCloseTo(-burgersExact(t, 0.4).u, 12);
    }
  });

  it('agrees with the same integrals by the trapezoid rule, shock included', async () => {
    const { burgersExact, VISCOSITY } = await exactModule();
    for (const [t, x] of [[0.25, 0.3], [0.75, 0.02], [1, 0.01], [0.5, -0.7], [0.9, 0.003]])
      expect(burgersExact(t, x).u).toBeCloseTo(trapezoidU(t, x, VISCOSITY), 11);
  });

  it('satisfies u_t + u·u_x = ν·u_xx (finite differences of u; u_x against its own difference quotient)', async () => {
    const { burgersExact, VISCOSITY } = await exactModule();
    const u = (t: number, x: number) => burgersExact(t, x).u, h = 1e-4;
    for (const [t, x] of [[0.2, 0.5], [0.5, -0.3], [0.8, 0.6], [0.4, 0.05]]) {
      const ut = (u(t + h, x) - u(t - h, x)) / (2 * h), ux = (u(t, x + h) - u(t, x - h)) / (2 * h);
      const uxx = (u(t, x + h) - 2 * u(t, x) + u(t, x - h)) / (h * h);
      expect(burgersExact(t, x).ux).toBeCloseTo(ux, 5);
      const residual = ut + u(t, x) * ux - VISCOSITY * uxx;
      expect(Math.abs(residual)).toBeLessThan(1e-5 * (Math.abs(ut) + Math.abs(u(t, x) * ux) + 1));
    }
  });

  it('has the published steepest slope at x = 0: |u_x| = 152.00516 at t = 1.6037/π (Basdevant et al. 1986)', async () => {
    const { burgersExact } = await exactModule();
    const slope = (t: number) => -burgersExact(t, 0).ux;
    let a = 1.58 / Math.PI, b = 1.63 / Math.PI; // golden-section search for the maximum
    for (let k = 0; k < 80; k++) { const m1 = a + 0.382 * (b - a), m2 = a + 0.618 * (b - a); if (slope(m1) > slope(m2)) b = m2; else a = m1; }
    expect(slope(a)).toBeCloseTo(152.00516, 4);
    expect(a * Math.PI).toBeCloseTo(1.6037, 3);
  });
});

describe('the PINN (dist build)', () => {
  /** u, u_t, u_x, u_xx of a tanh MLP at (t, x) in float64, propagated in forward mode, for weights [kernel, bias]… */
  function network64(layers: { kernel: ArrayLike<number>; bias: ArrayLike<number>; n: number }[], t: number, x: number): number[] {
    // the example's input scaling: 2(t − 0)/1 − 1, 2(x + 1)/2 − 1
    let h = [2 * t - 1, x], ht = [2, 0], hx = [0, 1], hxx = [0, 0];
    layers.forEach(({ kernel, bias, n }, l) => {
      const z = new Array(n).fill(0).map((_, j) => bias[j] + h.reduce((s, v, i) => s + v * kernel[i * n + j], 0));
      const mix = (d: number[]) => new Array(n).fill(0).map((_, j) => d.reduce((s, v, i) => s + v * kernel[i * n + j], 0));
      const zt = mix(ht), zx = mix(hx), zxx = mix(hxx);
      if (l === layers.length - 1) { h = z; ht = zt; hx = zx; hxx = zxx; return; }
      h = z.map(Math.tanh);
      const s = h.map(a => 1 - a * a);
      ht = zt.map((v, j) => s[j] * v); hx = zx.map((v, j) => s[j] * v);
      hxx = zxx.map((v, j) => s[j] * v - 2 * h[j] * s[j] * zx[j] * zx[j]);
    });
    return [h[0], ht[0], hx[0], hxx[0]];
  }

  it("get_r's nested tapes give the residual of a float64 evaluation of the same network", async () => {
    const gt = await dist();
    const { init_model, get_r } = await pinnModule();
    const { VISCOSITY } = await exactModule();
    const before = gt.memory().tensors;
    const model = init_model({ seed: 3 });
    const w = model.weights(), names = Object.keys(w);
    const layers: { kernel: ArrayLike<number>; bias: ArrayLike<number>; n: number }[] = [];
    for (let i = 0; i < names.length; i += 2) layers.push({ kernel: w[names[i]].data(), bias: w[names[i + 1]].data(), n: w[names[i]].shape[1] });
    const ts = [0.1, 0.4, 0.75, 0.9], xs = [-0.8, 0.05, 0, 0.6];
    const r = gt.tidy(() => get_r(model, gt.tensor(ts, [4, 1]), gt.tensor(xs, [4, 1])).data());
    ts.forEach((t, k) => {
      const [u, ut, ux, uxx] = network64(layers, t, xs[k]);
      const want = ut + u * ux - VISCOSITY * uxx;
      expect(Math.abs(r[k] - want)).toBeLessThan(1e-5 * (Math.abs(ut) + Math.abs(u * ux) + Math.abs(VISCOSITY * uxx)) + 1e-7);
    });
    model.dispose();
    expect(gt.memory().tensors).toBe(before);
  });

  it('one Adam step and a few L-BFGS iterations lower the loss, and free what they make', async () => {
    const gt = await dist();
    const { makeData, init_model, compute_loss, train_step, train_lbfgs } = await pinnModule();
    const before = gt.memory().tensors;
    const data = makeData({ N_0: 20, N_b: 20, N_r: 100, seed: 4 });
    const model = init_model({ seed: 4 });
    const loss = () => gt.tidy(() => compute_loss(model, data).item());
    const start = loss();
    const optim = gt.adam(1e-3);
    const reported = train_step(model, data, optim);
    expect(reported).toBeCloseTo(start, 6); // the loss before the update
    const afterAdam = loss();
    expect(afterAdam).toBeLessThan(start);
    const tensors = gt.memory().tensors;
    const result = train_lbfgs(model, data, 5);
    expect(result.numIterations).toBeGreaterThan(0);
    expect(result.objectiveValue).toBeLessThan(afterAdam);
    expect(loss()).toBeCloseTo(result.objectiveValue, 6); // the model holds the result's weights
    expect(gt.memory().tensors).toBe(tensors);
    // the correction pairs reach lbfgsMinimize: from the same weights, 1 pair and 50 take different paths
    const weights = model.trainableVariables.map(v => gt.tensor(v.data(), v.shape));
    const paths = [1, 50].map((pairs) => {
      model.trainableVariables.forEach((v, i) => v.assign(weights[i]));
      const r = train_lbfgs(model, data, 6, pairs);
      expect(r.objectiveValue).toBeLessThan(result.objectiveValue);
      return r.objectiveValue;
    });
    expect(paths[0]).not.toBe(paths[1]);
    gt.dispose(weights);
    optim.dispose();
    gt.dispose(data);
    model.dispose();
    expect(gt.memory().tensors).toBe(before);
  }, 60_000);
});
