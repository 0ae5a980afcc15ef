// Higher derivatives through gradtape itself: k nested tapes over sum(f(x)).
import { tensor, tape, sum, tidy, type Tensor } from '../api.js';

/** d^k/dx^k of sum(f(x)) at xs through k nested tapes (elementwise f: the k-th derivative at each point). */
export function nthDerivative(f: (x: Tensor) => Tensor, xs: number[], k: number): number[] {
  return tidy(() => {
    const x = tensor(xs);
    const level = (depth: number): Tensor => {
      if (depth === 0) return sum(f(x));
      const t = tape((t) => { t.watch(x); return level(depth - 1); });
      return sum(t.gradient(t.result, x)!);
    };
    const t = tape((t) => { t.watch(x); return level(k - 1); });
    return Array.from(t.gradient(t.result, x)!.data());
  });
}
