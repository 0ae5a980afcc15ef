// Bounded memory over long training loops, and the garbage-collector safety net (issue: reliability).
import { describe, it, expect } from 'vitest';
import v8 from 'node:v8';
import vm from 'node:vm';
import { tensor, variable, sgd, tape, tidy, memory, matmul, mean, square, sub, add, randomNormal, Tensor } from './api.js';

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

function problem() {
  const x = randomNormal([16, 3], { seed: 1 });
  const y = matmul(x, tensor([[1], [-2], [0.5]]));
  const w = variable(tensor([[0], [0], [0]]));
  const b = variable(0);
  const loss = () => mean(square(sub(add(matmul(x, w), b), y)));
  return { w, b, loss };
}

/** Creates tensors and a tape and drops them all (kept out of the async test so no closure context holds them). */
function dropEverything(): void {
  const a = tensor([1, 2, 3, 4]);
  const t = tape(t => { t.watch(a); return mean(square(a)); });
  t.gradient(t.result, a);
}

describe('long training loops keep memory flat', () => {
  it('10,000 minimize steps with no dispose call', () => {
    const { w, b, loss } = problem();
    const opt = sgd(0.05, { momentum: 0.9 });
    for (let i = 0; i < 100; i++) opt.minimize(loss, [w, b]);
    const warm = memory();
    let last = 0;
    for (let i = 0; i < 10_000; i++) last = opt.minimize(loss, [w, b]);
    const after = memory();
    expect(after.tensors).toBe(warm.tensors);
    expect(after.bytes).toBe(warm.bytes);
    expect(after.wasmBytes).toBe(warm.wasmBytes);
    expect(last).toBeLessThan(1e-6); // and it actually trained
  });

  it('10,000 steps of tidy around tape + applyGradients', () => {
    const { w, b, loss } = problem();
    const opt = sgd(0.05);
    const step = () => tidy(() => {
      const t = tape(() => loss());
      opt.applyGradients(t.gradient(t.result, [w, b]) as Tensor[], [w, b]);
      return t.result.item();
    });
    for (let i = 0; i < 100; i++) step();
    const warm = memory();
    for (let i = 0; i < 10_000; i++) step();
    const after = memory();
    expect(after.tensors).toBe(warm.tensors);
    expect(after.bytes).toBe(warm.bytes);
    expect(after.wasmBytes).toBe(warm.wasmBytes);
  });

  it('tensors dropped without dispose in an async loop are reclaimed by the FinalizationRegistry', async () => {
    const turn = () => new Promise(resolve => setImmediate(resolve));
    for (let i = 0; i < 5; i++) { gc(); await turn(); } // let earlier tests' dropped handles go first
    const base = memory().tensors;
    for (let step = 0; step < 200; step++) {
      dropEverything();
      await turn();
    }
    const leaked = memory().tensors - base;
    expect(leaked).toBeGreaterThan(0); // nothing was disposed by hand
    for (let i = 0; i < 20 && memory().tensors > base; i++) { gc(); await turn(); }
    expect(memory().tensors).toBe(base);
  });
});
