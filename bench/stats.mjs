// Statistics, tables and the correctness comparison shared by run.mjs (Node) and browser.mjs (Chromium).

export const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q, lo = Math.floor(i), hi = Math.ceil(i);
  return s[lo] + (s[hi] - s[lo]) * (i - lo);
};
export const median = (xs) => quantile(xs, 0.5);
export const fmtMs = (v) => (v == null ? '—' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
export function table(header, rows) {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  ');
  console.log(line(header));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const r of rows) console.log(line(r));
}

export function relErr(got, want, floor = 1e-12) {
  if (got.length !== want.length) return Infinity;
  let maxDiff = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(got[i])) return Infinity;
    maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return maxDiff / Math.max(scale, floor); // normwise: max |got - want| / max |want|
}
export function compareAll(got, want, floors = {}) {
  let worst = { err: 0, key: '' };
  for (const key of Object.keys(want)) {
    if (!(key in got)) return { err: Infinity, key, why: 'missing' };
    const err = relErr(Array.from(got[key]), Array.from(want[key]), floors[key]);
    if (!(err <= worst.err)) worst = { err, key };
  }
  return worst;
}
/** Every array of `a` bit for bit equal to `b`'s (NaNs of the same payload included). */
export function sameBits(a, b) {
  const bits = (x) => new Uint32Array(Float32Array.from(x).buffer);
  return Object.keys(b).every((k) => {
    if (!(k in a) || a[k].length !== b[k].length) return false;
    const x = bits(a[k]), y = bits(b[k]);
    return x.every((v, i) => v === y[i]);
  });
}
export const preview = (a) => (a ? `[${Array.from(a).slice(0, 4).map((v) => +v.toPrecision(6)).join(', ')}${a.length > 4 ? ', …' : ''}] (n=${a.length})` : 'missing');

// max |Δ| / max |ref| allowed per workload (default 1e-3). dcgan: 1e-2. Its losses agree within 1e-5
// everywhere, and gradtape's gradients agree with tfjs-cpu's within 1e-4, but jax-js's generator
// gradients and its discriminator's first-layer gradients differ from both by up to 6.3e-3
// (2026-12-07; cause not found: jax-js's generator forward matches gradtape's within 2e-6, and its
// discriminator gradients given gradtape's fake batch within 1e-5; see bench/README.md)
// rnn, attention: 1e-4. Their products sum at most 512 float32 terms, whose worst-case rounding
// (512 · 6e-8 ≈ 3e-5 relative) stays below it; measured 2026-12-07: rnn ≤ 9.3e-7, attention ≤ 7.2e-6.
export const TOLERANCE = { dcgan: 1e-2, rnn: 1e-4, attention: 1e-4 };
// A gradient that is zero in exact arithmetic is rounding noise in every library (about 1e-10), and
// noise against noise gives any relative error: such a tensor is divided by this floor instead of
// its own max |ref| when that is smaller, so it passes while its values stay far below the floor
// (|Δ| < limit · floor). attention's key bias: it adds q·bk to every score of a query's row, which
// the softmax over that row ignores, so its gradient is exactly zero (measured ≤ 2e-10); 1e-4 is well
// under the neighbouring query bias's gradient (max ~1e-3), so a library whose key bias did reach
// the loss (a broadcast along the wrong axis, say) would still fail.
export const SCALE_FLOOR = { attention: { bk: 1e-4 } };

