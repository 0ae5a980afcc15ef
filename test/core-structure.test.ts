// The structure the op set grows on: tape records of any arity (many inputs, several outputs), the
// op manifest and what is generated from it, pure kernels, the scratch arena, views over memory,
// and the extra WebAssembly module (compiled on first use, rebuilt after a core reset).
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  tape, tensor, scalar, customGradient, concat, stack, sum, mul, add, sin, cos, neg, square, conv2d, maxPool, memory, zeros, Tensor,
} from './api.js';
import { core, ints } from '../src/core.js';
import { C } from '../build/generated/interface.js';
// @ts-ignore: plain JS build script
import { readManifest } from '../scripts/generate.mjs';
// @ts-ignore: plain JS manifest
import * as manifest from '../assembly/manifest.mjs';
import { Op } from '../build/generated/opcodes.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const arr = (t: Tensor | null | undefined) => (t ? Array.from(t.data()) : null);

describe('records of any arity', () => {
  it('a custom gradient with two outputs gets both upstream gradients, zeros for an unconnected one (TF)', () => {
    const seen: number[][] = [];
    const sinCos = customGradient((x: Tensor) => ({
      value: [sin(x), cos(x)],
      grad: (dSin: Tensor, dCos: Tensor) => {
        seen.push(arr(dSin)!, arr(dCos)!);
        return add(mul(dSin, cos(x)), neg(mul(dCos, sin(x))));
      },
    }));
    const x = tensor([0.5, -1.25, 2]);
    const t = tape(t => { t.watch(x); const [s, c] = sinCos(x); return add(sum(s), mul(sum(c), 3)); });
    const g = arr(t.gradient(t.result, x))!;
    const xs = [0.5, -1.25, 2];
    xs.forEach((v, i) => expect(g[i]).toBeCloseTo(Math.cos(v) - 3 * Math.sin(v), 6));
    expect(seen).toEqual([[1, 1, 1], [3, 3, 3]]);
    // only the first output reaches the target: the second's upstream gradient is zeros
    seen.length = 0;
    const t2 = tape(t => { t.watch(x); return sum(sinCos(x)[0]); });
    const g2 = arr(t2.gradient(t2.result, x))!;
    xs.forEach((v, i) => expect(g2[i]).toBeCloseTo(Math.cos(v), 6));
    expect(seen).toEqual([[1, 1, 1], [0, 0, 0]]);
  });

  it('a two-output custom gradient is differentiable again (its gradient function is recorded)', () => {
    const sinCos = customGradient((x: Tensor) => ({
      value: [sin(x), cos(x)],
      grad: (dSin: Tensor, dCos: Tensor) => add(mul(dSin, cos(x)), neg(mul(dCos, sin(x)))),
    }));
    const x = scalar(0.7);
    const outer = tape(o => {
      o.watch(x);
      const inner = tape(t => { t.watch(x); const [s, c] = sinCos(x); return add(s, square(c)); });
      return inner.gradient(inner.result, x); // cos x − 2 cos x sin x
    });
    // d/dx (cos x − sin 2x) = −sin x − 2 cos 2x
    expect(outer.result!.item()).toBeCloseTo(Math.cos(0.7) - Math.sin(1.4), 6);
    expect(outer.gradient(outer.result!, x)!.item()).toBeCloseTo(-Math.sin(0.7) - 2 * Math.cos(1.4), 5);
  });

  it('one record holds hundreds of inputs: concat of 300 tensors and a custom gradient of 300 inputs', () => {
    const parts = Array.from({ length: 300 }, (_, i) => tensor([i, -i]));
    const t = tape(t => { t.watch(parts); return sum(mul(concat(parts, 0), concat(parts, 0))); });
    const grads = t.gradient(t.result, parts) as Tensor[];
    expect(grads.map(arr)).toEqual(parts.map((_, i) => [2 * i, -2 * i]));
    const sumAll = customGradient((...xs: Tensor[]) => ({ value: xs.reduce((a, b) => add(a, b)), grad: (dy: Tensor) => xs.map((_, i) => mul(dy, i)) }));
    const scalars = Array.from({ length: 300 }, (_, i) => scalar(i));
    const c = tape(t => { t.watch(scalars); return sumAll(...scalars); });
    expect((c.gradient(c.result, scalars) as Tensor[]).map(g => g.item())).toEqual(scalars.map((_, i) => i));
  });

  it('a persistent tape records its own gradient of a many-input record (records never move while read)', () => {
    const xs = Array.from({ length: 40 }, (_, i) => scalar(i / 10));
    const t = tape(t => { t.watch(xs); return sum(square(stack(xs))); }, { persistent: true });
    const { g, total } = t.record(() => {
      const g = t.gradient(t.result, xs) as Tensor[];
      return { g, total: sum(stack(g)) };
    }).result;
    expect(g.map(v => v.item())).toEqual(xs.map(x => Math.fround(2 * x.item())));
    const second = t.gradient(total, xs) as Tensor[];
    expect(second.map(v => v.item())).toEqual(xs.map(() => 2));
    t.dispose();
  });
});

describe('the op manifest', () => {
  const m = readManifest(manifest);

  it('gives every op one code, in order, and the generated Op enum has exactly those', () => {
    m.ops.forEach((o: { name: string; code: number }, i: number) => expect(o.code).toBe(i + 1));
    const names = m.ops.map((o: { name: string }) => o.name);
    expect(new Set(names).size).toBe(names.length);
    const generated = Object.entries(Op).filter(([k]) => Number.isNaN(Number(k)));
    expect(Object.fromEntries(generated)).toEqual(Object.fromEntries(m.ops.map((o: { name: string; code: number }) => [o.name, o.code])));
  });

  it('names a rule for every recorded op, dispatched once, in the module that holds the op', () => {
    const generated = readFileSync(join(ROOT, 'build/generated/core-backward.ts'), 'utf8');
    // the dispatch, and hasRule (which lists the ops without a rule)
    const core = generated.slice(generated.indexOf('export function backwardRule'), generated.indexOf('export function hasRule'));
    const noRule = generated.slice(generated.indexOf('export function hasRule'));
    const extra = readFileSync(join(ROOT, 'build/generated/extra.ts'), 'utf8');
    const extraRules = new Set(m.ops.filter((o: { module: string; rule: string | null }) => o.module === 'extra' && o.rule).map((o: { rule: string }) => o.rule));
    for (const o of m.ops as { name: string; rule: string | null; module: string }[]) {
      const inCore = core.includes(`case Op.${o.name}:`);
      expect(noRule.includes(`case Op.${o.name}:`), `${o.name} in hasRule's list of ops without a rule`).toBe(o.rule === null);
      if (o.rule === null) { expect(inCore, o.name).toBe(false); expect(extra.includes(`Op.${o.name}`), o.name).toBe(false); continue; }
      expect(inCore, `${o.name} in the core's dispatch`).toBe(true); // (the extra module's ops reach it through the core)
      if (o.module !== 'extra') continue;
      // the extra module dispatches by case, or calls its one rule for every record
      expect(extra.includes(`case Op.${o.name}:`) || (extraRules.size === 1 && extra.includes(`${o.rule}(rec, grads)`)), `${o.name} in the extra module's dispatch`).toBe(true);
    }
  });

  it('routes ops by explicit lists: no code compares op codes as ranges', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts')) {
          readFileSync(p, 'utf8').split('\n').forEach((line, i) => {
            if (/\bop\s*[<>]=?\s*Op\.|Op\.\w+\s*[<>]=?\s*op\b/.test(line)) offenders.push(`${p}:${i + 1}: ${line.trim()}`);
          });
        }
      }
    };
    walk(join(ROOT, 'assembly'));
    walk(join(ROOT, 'src'));
    expect(offenders).toEqual([]);
  });

  it('keeps kernels pure: no imports of state, no static scratch, no mutable globals', () => {
    const dir = join(ROOT, 'assembly/kernels');
    for (const file of readdirSync(dir)) {
      const text = readFileSync(join(dir, file), 'utf8');
      for (const [, from] of text.matchAll(/from "([^"]+)"/g)) {
        expect(from, `${file} imports ${from}`).toMatch(/^\.\/|^\.\.\/limits$|^\.\.\/\.\.\/build\/generated\/opcodes$/);
      }
      // constant tables only: memory.data<T>([...]) with values, never an uninitialised buffer
      expect(text.match(/memory\.data\((?!<)/g) ?? [], `${file}: a static scratch buffer`).toEqual([]);
      expect(text.match(/^(export )?let /gm) ?? [], `${file}: a mutable global`).toEqual([]);
    }
  });
});

describe('the scratch arena', () => {
  it('takes aligned blocks, grows past its first block, and releases to a mark', () => {
    const start = core[C.scratchMark]();
    const a = core[C.scratchTake](10), b = core[C.scratchTake](20);
    expect(a % 16).toBe(0);
    expect(b - a).toBe(16);
    expect(core[C.scratchMark]() - start).toBe(48);
    const big = core[C.scratchTake](200_000); // more than a block: a new one
    expect(big % 16).toBe(0);
    expect(core[C.scratchMark]() - start).toBeGreaterThanOrEqual(48 + 200_000);
    const before = memory().wasmBytes;
    core[C.scratchRelease](start);
    expect(core[C.scratchMark]()).toBe(start);
    expect(core[C.scratchTake](10)).toBe(a); // the same memory again
    core[C.scratchRelease](start);
    expect(memory().wasmBytes).toBe(before);
  });

  it('is back at its mark after every op and gradient', () => {
    const start = core[C.scratchMark]();
    const x = tensor([[1, 2], [3, 4]]);
    const t = tape(t => { t.watch(x); return sum(mul(concat([x, x], 1), 2)); });
    t.gradient(t.result, x);
    const img = zeros([1, 5, 5, 2]), f = zeros([3, 3, 2, 2]);
    const c = tape(t => { t.watch([img, f]); return sum(maxPool(conv2d(img, f, 1, 'same'), 2, 2, 'same')); });
    c.gradient(c.result, [img, f]);
    expect(core[C.scratchMark]()).toBe(start);
  });
});

describe('views over memory', () => {
  it('follow the memory as it grows: their byteLength is the core\'s recorded size', () => {
    const big = zeros([4_000_000]); // 16 MB: the memory grows
    const view = ints();
    expect(view.byteLength).toBe(core.memory.buffer.byteLength);
    expect(view[core[C.memoryCell]() >>> 2] >>> 0).toBe(view.byteLength);
    big.dispose();
  });
});

describe('the extra module', () => {
  it('is compiled only when an op needs it (the seed program never loads it)', () => {
    const script = `
      let instances = 0;
      const Instance = WebAssembly.Instance;
      WebAssembly.Instance = function (m, i) { instances++; return new Instance(m, i); };
      const g = await import(${JSON.stringify(join(ROOT, 'dist/gradtape.js'))});
      const x = g.ones([2, 2]);
      const t = g.tape((t) => { t.watch(x); return g.mul(g.sum(x), g.sum(x)); });
      t.gradient(t.result, x);
      const seed = instances;
      g.conv2d(g.ones([1, 3, 3, 1]), g.ones([2, 2, 1, 1]));
      const afterConv = instances;
      g.maxPool(g.ones([1, 3, 3, 1]), 2);
      console.log(JSON.stringify({ seed, afterConv, afterPool: instances }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim());
    // the text decoder and the core; then the decoder and the extra module, once
    expect(out).toEqual({ seed: 2, afterConv: 4, afterPool: 4 });
  });

  it('is rebuilt over the new core after a reset, and convolutions keep working', () => {
    const run = () => {
      const img = tensor(Array.from({ length: 18 }, (_, i) => i / 9), [1, 3, 3, 2]), f = tensor([1, 2, -1, 0.5, 0, 1, 2, -2], [2, 2, 2, 1]);
      const t = tape(t => { t.watch(f); return sum(conv2d(img, f)); });
      return [t.result.item(), arr(t.gradient(t.result, f))];
    };
    const before = run();
    expect(() => core[C.dataPtr](1 << 25)).toThrow(/the core was reset/);
    expect(run()).toEqual(before);
  });
});
