// Learning-rate schedules against Keras 3's formulas (keras.optimizers.schedules), written out here,
// at several steps including the boundaries; argument checks.
import { describe, it, expect } from 'vitest';
import { exponentialDecay, inverseTimeDecay, piecewiseConstantDecay, cosineDecay } from '../src/index.js';

const STEPS = [0, 1, 2, 3, 4, 5, 7, 9, 10, 11, 19, 20, 21, 50, 99, 100, 101, 1000];
const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(b)));

describe('exponentialDecay', () => {
  it('lr · rate^(step / decaySteps), the exponent floored with staircase', () => {
    const smooth = exponentialDecay(0.1, 10, 0.96), stairs = exponentialDecay(0.1, 10, 0.96, true);
    for (const s of STEPS) {
      close(smooth(s), 0.1 * Math.pow(0.96, s / 10));
      close(stairs(s), 0.1 * Math.pow(0.96, Math.floor(s / 10)));
    }
    expect([stairs(9), stairs(10)]).toEqual([0.1, 0.1 * 0.96]); // the step at the boundary
    expect(exponentialDecay(0.5, 1, 0)(1)).toBe(0);
  });
});

describe('inverseTimeDecay', () => {
  it('lr / (1 + rate · step / decaySteps), the ratio floored with staircase', () => {
    const smooth = inverseTimeDecay(0.1, 4, 0.5), stairs = inverseTimeDecay(0.1, 4, 0.5, true);
    for (const s of STEPS) {
      close(smooth(s), 0.1 / (1 + 0.5 * s / 4));
      close(stairs(s), 0.1 / (1 + 0.5 * Math.floor(s / 4)));
    }
    expect([stairs(3), stairs(4)]).toEqual([0.1, 0.1 / 1.5]);
  });
});

describe('piecewiseConstantDecay', () => {
  it('values[0] up to and including boundaries[0], then values[i] on (boundaries[i-1], boundaries[i]], the last after', () => {
    const f = piecewiseConstantDecay([10, 20, 50], [1, 0.5, 0.25, 0.1]);
    const want = (s: number) => (s <= 10 ? 1 : s <= 20 ? 0.5 : s <= 50 ? 0.25 : 0.1);
    for (const s of STEPS) expect(f(s)).toBe(want(s));
    expect([f(10), f(10.5), f(20), f(21), f(50), f(51)]).toEqual([1, 0.5, 0.5, 0.25, 0.25, 0.1]);
    expect(piecewiseConstantDecay([], [0.3])(1e6)).toBe(0.3);
  });
  it('keeps its own copy of the arrays', () => {
    const bounds = [5], values = [1, 2], f = piecewiseConstantDecay(bounds, values);
    bounds[0] = 100; values[1] = 7;
    expect(f(6)).toBe(2);
  });
});

describe('cosineDecay', () => {
  const cosine = (lr: number, n: number, alpha: number, s: number) => lr * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * Math.min(s, n) / n)) + alpha);
  it('without warmup: lr · ((1 − alpha) · (1 + cos(π · min(step, decaySteps) / decaySteps)) / 2 + alpha)', () => {
    const f = cosineDecay(0.2, 20), g = cosineDecay(0.2, 20, { alpha: 0.1 });
    for (const s of STEPS) {
      close(f(s), cosine(0.2, 20, 0, s));
      close(g(s), cosine(0.2, 20, 0.1, s));
    }
    expect(f(0)).toBe(0.2);
    close(f(10), 0.1);
    expect(f(20)).toBe(0);
    close(g(1000), 0.02);
    // warmupSteps without a warmupTarget is ignored, as in Keras
    for (const s of STEPS) expect(cosineDecay(0.2, 20, { warmupSteps: 5 })(s)).toBe(f(s));
  });
  it('with warmup: linear from initialLearningRate to warmupTarget over warmupSteps, then the cosine from warmupTarget', () => {
    const f = cosineDecay(0.01, 40, { warmupTarget: 0.1, warmupSteps: 10, alpha: 0.05 });
    for (const s of STEPS) {
      const want = s < 10 ? 0.01 + (0.1 - 0.01) * s / 10 : cosine(0.1, 40, 0.05, s - 10);
      close(f(s), want);
    }
    expect(f(0)).toBe(0.01);
    close(f(9), 0.01 + 0.09 * 0.9);
    expect(f(10)).toBe(0.1);
    close(f(50), 0.005);
    close(f(1000), 0.005);
    // a warmupTarget with no warmup steps: the cosine from warmupTarget at once
    close(cosineDecay(0, 10, { warmupTarget: 0.4 })(5), 0.2);
  });
});

describe('bad arguments', () => {
  it('name the schedule, the argument and the value', () => {
    expect(() => exponentialDecay(0.1, 0, 0.5)).toThrow(/^exponentialDecay: decaySteps must be a finite number > 0, got 0/);
    expect(() => exponentialDecay(-1, 10, 0.5)).toThrow(/^exponentialDecay: initialLearningRate must be a finite number >= 0, got -1/);
    expect(() => exponentialDecay(0.1, 10, NaN)).toThrow(/^exponentialDecay: decayRate must be a finite number >= 0, got NaN/);
    expect(() => exponentialDecay(0.1, 10, 0.5, 'yes' as never)).toThrow(/^exponentialDecay: staircase must be a boolean, got "yes"/);
    expect(() => inverseTimeDecay(0.1, -2, 0.5)).toThrow(/^inverseTimeDecay: decaySteps must be a finite number > 0, got -2/);
    expect(() => inverseTimeDecay('0.1' as never, 2, 0.5)).toThrow(/^inverseTimeDecay: initialLearningRate must be a finite number >= 0, got "0.1"/);
    expect(() => piecewiseConstantDecay([10, 20], [1, 2])).toThrow(/^piecewiseConstantDecay: expected an array of boundaries and one more value, got boundaries \[10, 20\] and values \[1, 2\]/);
    expect(() => piecewiseConstantDecay(5 as never, [1, 2])).toThrow(/got boundaries 5 and values \[1, 2\]/);
    expect(() => piecewiseConstantDecay([10, 10], [1, 2, 3])).toThrow(/^piecewiseConstantDecay: boundaries\[1\] must be a finite number > 10, got 10/);
    expect(() => piecewiseConstantDecay([NaN], [1, 2])).toThrow(/boundaries\[0\] must be a finite number, got NaN/);
    expect(() => piecewiseConstantDecay([1], [1, -2])).toThrow(/^piecewiseConstantDecay: values\[1\] must be a finite number >= 0, got -2/);
    expect(() => cosineDecay(0.1, 0)).toThrow(/^cosineDecay: decaySteps must be a finite number > 0, got 0/);
    expect(() => cosineDecay(0.1, 10, { alpha: 2 })).toThrow(/^cosineDecay: alpha must be a number in \[0, 1\], got 2/);
    expect(() => cosineDecay(0.1, 10, { warmupTarget: -1 })).toThrow(/^cosineDecay: warmupTarget must be a finite number >= 0, got -1/);
    expect(() => cosineDecay(0.1, 10, { warmupTarget: 1, warmupSteps: -5 })).toThrow(/^cosineDecay: warmupSteps must be a finite number >= 0, got -5/);
    expect(() => cosineDecay(0.1, 10, { warmup: 5 } as never)).toThrow(/^cosineDecay: unknown option "warmup" \(expected alpha, warmupTarget, warmupSteps\)/);
  });
  it('a bad step, named', () => {
    for (const [name, f] of [['exponentialDecay', exponentialDecay(0.1, 10, 0.5)], ['inverseTimeDecay', inverseTimeDecay(0.1, 10, 0.5)],
      ['piecewiseConstantDecay', piecewiseConstantDecay([1], [1, 2])], ['cosineDecay', cosineDecay(0.1, 10)]] as const) {
      expect(() => f(-1)).toThrow(new RegExp(`^${name}: step must be a finite number >= 0, got -1`));
      expect(() => f(NaN)).toThrow(/step must be a finite number >= 0, got NaN/);
      expect(() => f('3' as never)).toThrow(/got "3"/);
    }
  });
});
