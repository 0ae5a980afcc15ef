// When WebAssembly memory cannot grow, the error says how many bytes were asked for, nothing leaks
// and the library keeps working. (Own file: the worker ends with ~3 GiB of wasm memory.)
import { describe, it, expect } from 'vitest';
import { zeros, memory, tensor, tape, mul, Tensor } from './api.js';

describe('out of memory', () => {
  it('fails with a clear error naming the bytes, and keeps working', () => {
    const before = memory();
    const held: Tensor[] = [];
    let error: unknown;
    try {
      for (let i = 0; i < 6; i++) held.push(zeros([2 ** 28])); // 1 GiB each; wasm32 stops at 4 GiB
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(WebAssembly.RuntimeError);
    expect((error as Error).message).toMatch(/out of memory: WebAssembly memory could not grow to allocate 1073741824 bytes/);
    expect(held.length).toBeGreaterThanOrEqual(1);
    expect(memory().tensors).toBe(before.tensors + held.length);
    for (const t of held) t.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
    const x = tensor([1, 2, 3]);
    const t = tape(t => { t.watch(x); return mul(x, x).sum(); });
    expect(Array.from(t.gradient(t.result, x)!.data())).toEqual([2, 4, 6]);
  }, 120_000);
});
