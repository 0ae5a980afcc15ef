// The three programs of TensorFlow's autodiff notebook, with TF's printed results.
import { describe, it, expect } from 'vitest';
import { tape, ones, sum, mul, scalar, Tensor } from '../src/index.js';

describe('seed programs', () => {
  it('gradients w.r.t. the input and the intermediate of z = sum(x)^2', () => {
    const x = ones([2, 2]);
    const t = tape(t => {
      t.watch(x);
      const y = sum(x);
      return { y, z: mul(y, y) };
    }, { persistent: true });
    const dzdx = t.gradient(t.result.z, x)!;
    expect(dzdx.shape).toEqual([2, 2]);
    expect(dzdx.toArray()).toEqual([[8, 8], [8, 8]]);
    expect(dzdx.toString()).toBe('Tensor([[8, 8], [8, 8]], shape=[2, 2], dtype=float32)');
    const dzdy = t.gradient(t.result.z, t.result.y)!;
    expect(dzdy.item()).toBe(8);
    t.dispose();
  });

  it('a persistent tape at x = 3 gives 108 and 6', () => {
    const x = scalar(3);
    const t = tape(t => {
      t.watch(x);
      const y = x.mul(x);
      return { y, z: y.mul(y) };
    }, { persistent: true });
    expect(t.gradient(t.result.z, x)!.item()).toBe(108);
    expect(t.gradient(t.result.y, x)!.item()).toBe(6);
    t.dispose();
  });

  it('loops and branches are plain JS: 12, 12, 4', () => {
    const f = (x: Tensor, y: number) => {
      let output = scalar(1);
      for (let i = 0; i < y; i++) if (i > 1 && i < 5) output = mul(output, x);
      return output;
    };
    const gradAt = (x: number, y: number) => {
      const xt = scalar(x);
      const t = tape(t => { t.watch(xt); return f(xt, y); });
      return t.gradient(t.result, xt)!.item();
    };
    expect([gradAt(2, 6), gradAt(2, 5), gradAt(2, 4)]).toEqual([12, 12, 4]);
  });
});
