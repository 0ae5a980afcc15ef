// The exact solution of the viscous Burgers equation that the PINN example (pinn-burgers.mjs) learns:
//   u_t + u·u_x = ν·u_xx on x ∈ [−1, 1], t ≥ 0, u(0, x) = −sin(πx), u(t, ±1) = 0, ν = 0.01/π,
// in float64, by the Cole–Hopf transform. u = −2ν·φ_x/φ turns Burgers' equation into the heat
// equation φ_t = ν·φ_xx, with φ(0, x) = exp(−∫₀ˣ u(0, s) ds / 2ν) = exp((cos πx − 1)/(2πν)), so
//   φ(t, x) = ∫ φ(0, x − η)·exp(−η²/4νt) dη / √(4πνt)
// and, differentiating under the integral (φ(0, ·)' = φ(0, ·)·sin(π·)/2ν),
//   u(t, x) = −∫ sin(π(x − η))·f(x − η)·e^(−η²/4νt) dη / ∫ f(x − η)·e^(−η²/4νt) dη,
//   f(y) = exp(−cos(πy)/2πν).
// (φ(0, ·) is 2-periodic, so the solution on the whole line keeps u = 0 at x = ±1 by symmetry.)
// With η = √(4νt)·z both integrals are ∫ g(z)·e^(−z²) dz, which Gauss–Hermite quadrature takes as
// Σ wᵢ·g(zᵢ). 100 nodes agree with a trapezoid rule of step 1e-4 in η within 3e-13 on the grid
// t = 0.05, 0.1, …, 1, x = −1, −0.9875, …, 1 (near the shock the mass of the integrand sits far out,
// at |z| ≈ 9/√t, which the outer nodes of a 100-point rule, up to |z| ≈ 13.4, still reach).
//
// Known values: u(t, 0) = 0 (u is odd in x); u(0, x) = −sin(πx); and the steepest slope at x = 0,
// |u_x| = 152.00516 at t = 1.6037/π (Basdevant et al., "Spectral and finite difference solutions of
// the Burgers equation", Computers & Fluids 14, 1986), which this code reproduces (152.005162 at
// t·π = 1.603688).

/** Burgers' viscosity in Raissi et al.'s setup. */
export const VISCOSITY = 0.01 / Math.PI;

/**
 * Gauss–Hermite nodes and weights for ∫ g(z)·e^(−z²) dz ≈ Σ w[i]·g(z[i]), n points (checked up to
 * n = 190: Σ w = √π, Σ w·z² = √π/2 to 3e-15). Newton's method on the orthonormal Hermite
 * polynomials' three-term recurrence (which stays within float64's range where the plain H_n would
 * overflow), from the usual asymptotic starting guesses for the largest nodes, then each node from
 * the two before it; the weights from the derivative at the root.
 */
export function gaussHermite(n) {
  const z = new Float64Array(n), w = new Float64Array(n);
  for (let i = 0, x = 0; i < (n + 1) >> 1; i++) {
    if (i === 0) x = Math.sqrt(2 * n + 1) - 1.85575 * (2 * n + 1) ** (-1 / 6);
    else if (i === 1) x -= 1.14 * n ** 0.426 / x;
    else if (i === 2) x = 1.86 * x - 0.86 * z[0];
    else if (i === 3) x = 1.91 * x - 0.91 * z[1];
    else x = 2 * x - z[i - 2];
    let derivative = 0;
    for (let iteration = 0; iteration < 100; iteration++) {
      // p_j = x·√(2/j)·p_{j−1} − √((j−1)/j)·p_{j−2}, p_0 = π^(−1/4): orthonormal for e^(−x²)
      let p = Math.PI ** -0.25, previous = 0;
      for (let j = 1; j <= n; j++) [p, previous] = [x * Math.sqrt(2 / j) * p - Math.sqrt((j - 1) / j) * previous, p];
      derivative = Math.sqrt(2 * n) * previous; // p_n' = √(2n)·p_{n−1}
      const step = p / derivative;
      x -= step;
      if (Math.abs(step) <= 1e-15 * Math.max(1, Math.abs(x))) break;
    }
    z[i] = x; z[n - 1 - i] = -x;
    w[i] = w[n - 1 - i] = 2 / (derivative * derivative);
  }
  return { z, w };
}

const NODES = gaussHermite(100);

/**
 * The exact u(t, x) and u_x(t, x) for t ≥ 0 (float64), by the Cole–Hopf formula above. The factors
 * f(y) span e^(±1/2πν) = e^(±50): each is scaled by the largest, which cancels in the ratio.
 */
export function burgersExact(t, x, nu = VISCOSITY) {
  if (t === 0) return { u: -Math.sin(Math.PI * x), ux: -Math.PI * Math.cos(Math.PI * x) };
  const spread = Math.sqrt(4 * nu * t), c = 1 / (2 * Math.PI * nu), { z, w } = NODES;
  let largest = -Infinity;
  for (const zi of z) largest = Math.max(largest, -c * Math.cos(Math.PI * (x - spread * zi)));
  // u = −N/D with N = Σ wᵢ·sin(πyᵢ)·f(yᵢ), D = Σ wᵢ·f(yᵢ), yᵢ = x − spread·zᵢ; their x-derivatives
  // use f' = f·sin(πy)/2ν
  let N = 0, D = 0, dN = 0, dD = 0;
  for (let i = 0; i < z.length; i++) {
    const y = x - spread * z[i], s = Math.sin(Math.PI * y);
    const f = w[i] * Math.exp(-c * Math.cos(Math.PI * y) - largest), df = f * s / (2 * nu);
    N += s * f; D += f;
    dN += Math.PI * Math.cos(Math.PI * y) * f + s * df; dD += df;
  }
  return { u: -N / D, ux: -(dN * D - N * dD) / (D * D) };
}
