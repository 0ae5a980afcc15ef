// Memory: bounded growth, nothing leaked by errors, and recovery if the core ever traps.
import { describe, it, expect } from 'vitest';
import { tensor, scalar, mul, add, sum, tape, tidy, memory, variable, matmul, ones } from './api.js';
import { core } from '../src/core.js';
import { C } from '../build/generated/interface.js';

describe('memory', () => {
  it('a loop that frees what it allocates stops growing wasm memory', () => {
    const w = variable(ones([64, 64]));
    const step = () => tidy(() => {
      const x = ones([32, 64]);
      const t = tape(() => sum(matmul(x, w)));
      const g = t.gradient(t.result, w)!;
      w.assignSub(mul(g, 1e-4));
    });
    for (let i = 0; i < 20; i++) step();
    const warm = memory();
    for (let i = 0; i < 500; i++) step();
    const after = memory();
    expect(after.wasmBytes).toBe(warm.wasmBytes);
    expect(after.tensors).toBe(warm.tensors);
    expect(after.bytes).toBe(warm.bytes);
  });

  it('values read and written stay right across memory growth (cached views of memory are refreshed)', () => {
    const held = []; // each 16 MB block stays alive, so every round must grow memory
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      for (const n of [1, 16, 17, 100]) {
        const values = Array.from({ length: n }, (_, i) => dtype === 'bool' ? i % 3 === 0 : i - 7);
        const small = tensor(values, undefined, dtype);
        expect(Array.from(small.data())).toEqual(values.map(Number)); // caches the views
        const before = memory().wasmBytes;
        held.push(ones([4 * 1024 * 1024])); // 16 MB: memory.grow detaches the cached views
        expect(memory().wasmBytes).toBeGreaterThan(before);
        expect(Array.from(small.data())).toEqual(values.map(Number));
        const s = scalar(dtype === 'bool' ? true : 5, dtype); // written through the refreshed views
        expect(s.item()).toBe(dtype === 'bool' ? 1 : 5);
        small.dispose(); s.dispose();
      }
    }
    for (const t of held) t.dispose();
  });

  it('a non-persistent tape frees what it saved once its gradient is computed; dispose frees a persistent one', () => {
    const x = tensor([1, 2, 3]);
    const base = memory().tensors;
    const t = tape(t => { t.watch(x); return sum(mul(mul(x, x), x)); });
    const y = t.result;
    const recorded = memory().tensors;
    expect(recorded).toBeGreaterThan(base + 1); // intermediates kept alive by the tape
    const g = t.gradient(y, x)!;
    // only the result and the gradient remain (intermediates were tidied by nobody: the tape held them)
    g.dispose(); y.dispose();
    expect(memory().tensors).toBeLessThanOrEqual(recorded - 1);
    const before = memory().tensors;
    const p = tape(t => { t.watch(x); mul(x, x); return null; }, { persistent: true });
    expect(memory().tensors).toBeGreaterThan(before);
    p.dispose();
    // the intermediate x*x was created outside tidy: its JS handle still owns it until collected
    expect(memory().tensors).toBeLessThanOrEqual(before + 1);
  });

  it('a trap inside the core never escapes as a RuntimeError: the core is reset and keeps working', () => {
    const old = tensor([1, 2]);
    let error: unknown;
    try { core[C.dataPtr](1 << 25); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(WebAssembly.RuntimeError);
    expect(String((error as Error).message)).toMatch(/internal error in the WebAssembly core .* the core was reset/);
    expect(() => old.data()).toThrow(/no longer usable/);
    expect(memory().tensors).toBe(0);
    const x = scalar(3);
    const t = tape(t => { t.watch(x); return mul(x, add(x, 1)); });
    expect(t.gradient(t.result, x)!.item()).toBe(7);
  });
});

describe('tidy with large plain results', () => {
  it('does not walk the elements of typed arrays it returns', () => {
    const big = tensor(new Float32Array(1 << 16));
    const values = Object.values;
    let walkedTypedArrays = 0;
    Object.values = ((o: object) => { if (ArrayBuffer.isView(o)) walkedTypedArrays++; return values(o); }) as typeof Object.values;
    try {
      const out = tidy(() => ({ values: big.data(), nested: [{ more: new Int32Array(10) }], t: mul(big, 2) }));
      expect(out.t.shape).toEqual([1 << 16]);
    } finally {
      Object.values = values;
    }
    expect(walkedTypedArrays).toBe(0);
  });
});
