// safetensors: round trips, byte-level checks against files assembled here independently, the
// reference implementation's own serialisation vectors, and every kind of corrupt input.
import { describe, it, expect } from 'vitest';
import { saveSafetensors, loadSafetensors, loadSafetensorsMetadata, tensor, scalar, zeros, memory, Tensor } from '../src/index.js';

const enc = new TextEncoder();

/** Assembles a safetensors file: u64 LE header length, header text (optionally space-padded), data. */
function assemble(header: string | object, data: Uint8Array = new Uint8Array(0), pad = false): Uint8Array {
  let text = typeof header === 'string' ? header : JSON.stringify(header);
  if (pad) while (enc.encode(text).length % 8) text += ' ';
  const h = enc.encode(text);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}
function f32le(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4), dv = new DataView(b.buffer);
  values.forEach((v, i) => dv.setFloat32(i * 4, v, true));
  return b;
}
function i32le(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4), dv = new DataView(b.buffer);
  values.forEach((v, i) => dv.setInt32(i * 4, v, true));
  return b;
}
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
const disposeAll = (r: Record<string, Tensor>) => Object.values(r).forEach(t => t.dispose());

describe('round trip', () => {
  it('float32, int32 and bool tensors, scalars and empty shapes', () => {
    const record: Record<string, Tensor> = {
      weights: tensor([[1.5, -2, 3.25], [0, 1e-30, -7]]),
      special: tensor(new Float32Array([NaN, Infinity, -Infinity, -0, 1.4e-45, 3.4028234663852886e38])),
      counts: tensor([[1, -2], [2147483647, -2147483648]], undefined, 'int32'),
      mask: tensor([true, false, true, true, false]),
      s: scalar(42.5),
      si: scalar(-3, 'int32'),
      sb: scalar(true),
      empty: zeros([0]),
      empty3: zeros([2, 0, 3], 'int32'),
      emptyBool: zeros([0, 4], 'bool'),
      deep: tensor(Array.from({ length: 24 }, (_, i) => i - 12), [2, 3, 1, 4]),
    };
    const before = memory().tensors;
    const bytes = saveSafetensors(record);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(memory().tensors).toBe(before);
    const back = loadSafetensors(bytes);
    expect(Object.keys(back).sort()).toEqual(Object.keys(record).sort());
    for (const [name, t] of Object.entries(record)) {
      const u = back[name];
      expect(u.dtype, name).toBe(t.dtype);
      expect(u.shape, name).toEqual(t.shape);
      // bit-exact, NaN and -0 included
      const a = t.data(), b = u.data();
      expect(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), name).toEqual(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    }
    expect(back.s.item()).toBe(42.5);
    expect(back.sb.item()).toBe(1);
    expect(back.sb.toArray()).toBe(true);
    expect(back.mask.toArray()).toEqual([true, false, true, true, false]);
    expect(memory().tensors).toBe(before + Object.keys(record).length);
    disposeAll(back); disposeAll(record);
  });

  it('an empty record', () => {
    const bytes = saveSafetensors({});
    expect(loadSafetensors(bytes)).toEqual({});
  });

  it('names that are unusual in JS: __proto__, integer-like, unicode, quotes', () => {
    const record: Record<string, Tensor> = {};
    const names = ['__proto__', '10', '2', 'a"b\\c', 'tab\there', 'ünï', '\u{1F600}', '\uFF01', ''];
    names.forEach((n, i) => Object.defineProperty(record, n, { value: scalar(i), enumerable: true }));
    const back = loadSafetensors(saveSafetensors(record));
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    for (const [i, n] of names.entries()) {
      expect(Object.prototype.hasOwnProperty.call(back, n), n).toBe(true);
      expect(back[n].item()).toBe(i);
    }
    disposeAll(back); disposeAll(record);
  });

  it('metadata round trip', () => {
    const t = tensor([1, 2]);
    const bytes = saveSafetensors({ t }, { format: 'pt', note: 'héllo "quoted"' });
    expect(loadSafetensorsMetadata(bytes)).toEqual({ format: 'pt', note: 'héllo "quoted"' });
    expect(loadSafetensorsMetadata(saveSafetensors({ t }))).toEqual({});
    const back = loadSafetensors(bytes);
    expect(Object.keys(back)).toEqual(['t']);
    disposeAll(back); t.dispose();
  });

  it('accepts an ArrayBuffer, a Node Buffer and a view at an offset', () => {
    const t = tensor([[1, 2], [3, 4]]);
    const bytes = saveSafetensors({ t });
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    for (const input of [bytes.buffer, Buffer.from(bytes), shifted.subarray(3), new DataView(shifted.buffer, 3)]) {
      const back = loadSafetensors(input);
      expect(back.t.toArray()).toEqual([[1, 2], [3, 4]]);
      disposeAll(back);
    }
    t.dispose();
  });
});

describe('the byte format', () => {
  it('matches the reference implementation\'s own serialisation vectors', () => {
    // safetensors/src/tensor.rs tests: test_serialization, test_empty (with and without metadata)
    const attn = tensor([0, 1, 2, 3, 4, 5], [1, 2, 3]);
    expect(Array.from(saveSafetensors({ 'attn.0': attn }))).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
      116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
      58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
      101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
      0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
    expect(Array.from(saveSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(Array.from(saveSafetensors({}, { framework: 'pt' }))).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
      95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
      116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
    // test_serialization_forced_alignement: a 65-byte header padded with 7 spaces
    const attn0 = tensor([0, 1, 2, 3, 4, 5], [1, 1, 2, 3]);
    const out = saveSafetensors({ attn0 });
    expect(Array.from(out.subarray(0, 8))).toEqual([72, 0, 0, 0, 0, 0, 0, 0]);
    expect(new TextDecoder().decode(out.subarray(8, 80))).toBe('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ');
    attn.dispose(); attn0.dispose();
  });

  it('a saved file, parsed byte by byte', () => {
    const record = {
      zeta: tensor([true, false, true]),
      b: tensor([[1.5, -2], [3, 4]]),
      count: tensor([7, -8, 9], undefined, 'int32'),
      a: scalar(0.25),
    };
    const bytes = saveSafetensors(record, { author: 'gradtape' });
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = Number(dv.getBigUint64(0, true));
    expect(n % 8).toBe(0); // padded so the data starts 8-aligned
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text.trimEnd().length).toBeGreaterThan(n - 8);
    expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
    // compact JSON, __metadata__ first, then by dtype (F32, I32, BOOL) and name
    expect(text.trimEnd()).toBe(
      '{"__metadata__":{"author":"gradtape"},'
      + '"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},'
      + '"b":{"dtype":"F32","shape":[2,2],"data_offsets":[4,20]},'
      + '"count":{"dtype":"I32","shape":[3],"data_offsets":[20,32]},'
      + '"zeta":{"dtype":"BOOL","shape":[3],"data_offsets":[32,35]}}');
    const data = 8 + n;
    expect(bytes.length).toBe(data + 35);
    expect(dv.getFloat32(data, true)).toBe(0.25);
    expect([0, 1, 2, 3].map(i => dv.getFloat32(data + 4 + 4 * i, true))).toEqual([1.5, -2, 3, 4]);
    expect([0, 1, 2].map(i => dv.getInt32(data + 20 + 4 * i, true))).toEqual([7, -8, 9]);
    expect(Array.from(bytes.subarray(data + 32))).toEqual([1, 0, 1]);
    Object.values(record).forEach(t => t.dispose());
  });

  it('names are ordered by UTF-8 bytes, as the reference (Rust str ordering)', () => {
    // UTF-16 order puts U+1F600 (surrogate 0xD83D) before U+FF01; UTF-8 order (EF.. < F0..) is the reverse
    const x = scalar(1), y = scalar(2);
    const text = new TextDecoder().decode(saveSafetensors({ '\u{1F600}': x, '\uFF01': y }));
    expect(text.indexOf('\uFF01')).toBeLessThan(text.indexOf('\u{1F600}'));
    x.dispose(); y.dispose();
  });

  it('loads a file assembled by hand: any key order, unpadded header, unaligned data, metadata', () => {
    const data = concat(
      new Uint8Array([1, 0, 0, 5]), // flags: BOOL [4] at [0, 4); a non-0/1 byte reads as true
      f32le([1.25, -3.5, 1e-3, 65504, -0, 7]), // w: F32 [3, 2] at [4, 28) (4-aligned only by luck of the bool size)
      i32le([-1, 123456789]), // ids: I32 [2] at [28, 36)
      new Uint8Array([9]), // odd: BOOL [] (scalar) at [36, 37)
      f32le([2.5]), // u: F32 [1] at [37, 41): unaligned
    );
    const header = '{"ids":{"dtype":"I32","shape":[2],"data_offsets":[28,36]},'
      + '"__metadata__":{"source":"hand"},'
      + '"u":{"dtype":"F32","shape":[1],"data_offsets":[37,41]},'
      + '"w":{"shape":[3,2],"dtype":"F32","data_offsets":[4,28]},'
      + '"odd":{"dtype":"BOOL","shape":[],"data_offsets":[36,37]},'
      + '"flags":{"dtype":"BOOL","shape":[4],"data_offsets":[0,4]},'
      + '"none":{"dtype":"F32","shape":[0,3],"data_offsets":[41,41]}}';
    expect(enc.encode(header).length % 8).not.toBe(0);
    const file = assemble(header, data);
    const r = loadSafetensors(file);
    expect(Object.keys(r).sort()).toEqual(['flags', 'ids', 'none', 'odd', 'u', 'w']);
    expect(r.w.dtype).toBe('float32');
    expect(r.w.shape).toEqual([3, 2]);
    expect(r.w.toArray()).toEqual([[1.25, -3.5], [Math.fround(1e-3), 65504], [-0, 7]]);
    expect(Object.is(r.w.toArray()[2][0], -0)).toBe(true);
    expect(r.ids.dtype).toBe('int32');
    expect(r.ids.toArray()).toEqual([-1, 123456789]);
    expect(r.flags.dtype).toBe('bool');
    expect(r.flags.toArray()).toEqual([true, false, false, true]);
    expect(Array.from(r.flags.data())).toEqual([1, 0, 0, 1]);
    expect(r.odd.shape).toEqual([]);
    expect(r.odd.item()).toBe(1);
    expect(r.odd.toArray()).toBe(true);
    expect(r.u.toArray()).toEqual([2.5]);
    expect(r.none.shape).toEqual([0, 3]);
    expect(loadSafetensorsMetadata(file)).toEqual({ source: 'hand' });
    // saving it again gives the canonical layout, which loads to the same values
    const again = loadSafetensors(saveSafetensors(r));
    for (const k of Object.keys(r)) expect(again[k].toArray()).toEqual(r[k].toArray());
    disposeAll(r); disposeAll(again);
  });
});

describe('corrupt or unsupported input throws a clear Error and leaks nothing', () => {
  const F32x4 = f32le([1, 2, 3, 4]);
  const one = (info: object, data: Uint8Array = F32x4) => assemble({ x: info }, data);
  const cases: [string, unknown, RegExp][] = [
    ['not bytes', 'hello', /expected the file's bytes/],
    ['fewer than 8 bytes', new Uint8Array([1, 2, 3]), /3 bytes long, too short to hold the 8-byte header length/],
    ['header length beyond the buffer', (() => { const b = assemble('{}'); new DataView(b.buffer).setUint32(0, 999, true); return b; })(), /header length is 999 bytes, but only 2 bytes follow/],
    ['a huge u64 header length', (() => { const b = assemble('{}'); new DataView(b.buffer).setUint32(4, 0xffffffff, true); return b; })(), /header length is \d+ bytes, but only 2 bytes follow/],
    ['invalid UTF-8', (() => { const b = assemble('{"a":1}'); b[10] = 0xff; return b; })(), /header is not valid UTF-8/],
    ['invalid JSON', assemble('{"x": {"dtype": "F32",'), /header is not valid JSON/],
    ['a header that is an array', assemble('[1, 2]'), /header must be a JSON object/],
    ['a header that is a number', assemble('123     '), /header must be a JSON object/],
    ['an entry that is not an object', assemble({ x: 5 }), /header entry of tensor "x" must be an object/],
    ['a missing dtype', one({ shape: [4], data_offsets: [0, 16] }), /tensor "x" has no dtype string/],
    ['dtype F16', one({ dtype: 'F16', shape: [8], data_offsets: [0, 16] }), /tensor "x" has dtype "F16", which gradtape does not support \(supported: F32, I32, BOOL\)/],
    ['dtype F64', one({ dtype: 'F64', shape: [2], data_offsets: [0, 16] }), /dtype "F64", which gradtape does not support/],
    ['dtype I64', one({ dtype: 'I64', shape: [2], data_offsets: [0, 16] }), /dtype "I64", which gradtape does not support/],
    ['dtype BF16', one({ dtype: 'BF16', shape: [8], data_offsets: [0, 16] }), /dtype "BF16", which gradtape does not support/],
    ['dtype U8', one({ dtype: 'U8', shape: [16], data_offsets: [0, 16] }), /dtype "U8", which gradtape does not support/],
    ['an unknown dtype', one({ dtype: 'float32', shape: [4], data_offsets: [0, 16] }), /dtype "float32", which gradtape does not support/],
    ['a negative dimension', one({ dtype: 'F32', shape: [-4], data_offsets: [0, 16] }), /tensor "x": shape must contain non-negative integers, got \[-4\]/],
    ['a fractional dimension', one({ dtype: 'F32', shape: [1.5], data_offsets: [0, 16] }), /shape must contain non-negative integers, got \[1\.5\]/],
    ['a shape that is not an array', one({ dtype: 'F32', shape: 4, data_offsets: [0, 16] }), /tensor "x": shape must be an array of non-negative integers, got 4/],
    ['rank above 8', one({ dtype: 'F32', shape: [1, 1, 1, 1, 1, 1, 1, 1, 4], data_offsets: [0, 16] }), /rank 9 .* maximum rank 8/],
    ['too many elements', one({ dtype: 'BOOL', shape: [65536, 65536], data_offsets: [0, 16] }), /more than the maximum/],
    ['data_offsets of the wrong length', one({ dtype: 'F32', shape: [4], data_offsets: [0] }), /invalid data_offsets \[0\]/],
    ['negative data_offsets', one({ dtype: 'F32', shape: [4], data_offsets: [-16, 0] }), /invalid data_offsets/],
    ['string data_offsets', one({ dtype: 'F32', shape: [4], data_offsets: ['0', '16'] }), /invalid data_offsets/],
    ['offsets that end before they begin', one({ dtype: 'F32', shape: [0], data_offsets: [16, 0] }), /needs 0 bytes, but its data_offsets \[16, 0\] span -16 bytes/],
    ['shape and size mismatch', one({ dtype: 'F32', shape: [5], data_offsets: [0, 16] }), /shape \[5\] needs 20 bytes, but its data_offsets \[0, 16\] span 16 bytes/],
    ['dtype and size mismatch', one({ dtype: 'I32', shape: [2, 3], data_offsets: [0, 16] }), /needs 24 bytes/],
    ['overlapping tensors', assemble({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [3], data_offsets: [4, 16] } }, F32x4), /without gaps or overlaps, but tensor "b" has \[4, 16\] where the data before it ends at 8/],
    ['a gap between tensors', assemble({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, F32x4), /tensor "b" has \[8, 16\] where the data before it ends at 4/],
    ['data not starting at 0', one({ dtype: 'F32', shape: [3], data_offsets: [4, 16] }), /tensor "x" has \[4, 16\] where the data before it ends at 0/],
    ['offsets beyond the data', one({ dtype: 'F32', shape: [8], data_offsets: [0, 32] }), /must cover the 16 data bytes .* tensor "x" has \[0, 32\]/],
    ['trailing bytes', one({ dtype: 'F32', shape: [3], data_offsets: [0, 12] }), /must cover the 16 data bytes .* the tensors' data ends at 12/],
    ['non-string metadata', assemble({ __metadata__: { epoch: 3 } }), /"__metadata__" values must be strings, got 3 for key "epoch"/],
    ['metadata that is not an object', assemble({ __metadata__: 'x' }), /"__metadata__" must be an object/],
  ];
  for (const [what, input, message] of cases) {
    it(what, () => {
      const before = memory().tensors;
      let error: unknown;
      try { loadSafetensors(input as Uint8Array); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(WebAssembly.RuntimeError);
      expect((error as Error).message).toMatch(/^loadSafetensors: /);
      expect((error as Error).message).toMatch(message);
      expect(memory().tensors).toBe(before);
    });
  }

  it('every truncation of a valid file throws (and the full file loads)', () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]), b = tensor([1, 0, 1].map(Boolean)), c = scalar(5, 'int32');
    const bytes = saveSafetensors({ a, b, c }, { k: 'v' });
    const before = memory().tensors;
    for (let len = 0; len < bytes.length; len++) {
      expect(() => loadSafetensors(bytes.subarray(0, len)), `length ${len}`).toThrow(/^loadSafetensors: /);
    }
    expect(memory().tensors).toBe(before);
    const ok = loadSafetensors(bytes);
    expect(ok.a.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    disposeAll(ok); a.dispose(); b.dispose(); c.dispose();
  });

  it('any single corrupted byte either loads or throws an Error, never a trap, never a leak', () => {
    const a = tensor([[1, 2], [3, 4]]), b = tensor([1, -1], undefined, 'int32');
    const bytes = saveSafetensors({ a, b });
    const before = memory().tensors;
    for (let i = 0; i < bytes.length; i++) {
      for (const v of [0x00, 0x22, 0x30, 0x39, 0x7b, 0xff]) {
        const copy = bytes.slice();
        copy[i] = v;
        try {
          disposeAll(loadSafetensors(copy));
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
          expect(e).not.toBeInstanceOf(WebAssembly.RuntimeError);
          expect((e as Error).message).toMatch(/^loadSafetensors: /);
        }
      }
    }
    expect(memory().tensors).toBe(before);
    a.dispose(); b.dispose();
  });
});

describe('saveSafetensors validates its input', () => {
  it('rejects non-objects, non-tensors, disposed tensors, the reserved name and bad metadata', () => {
    const t = tensor([1]);
    const gone = tensor([2]);
    gone.dispose();
    expect(() => saveSafetensors(null as never)).toThrow(/saveSafetensors: expected an object mapping names to tensors, got null/);
    expect(() => saveSafetensors([t] as never)).toThrow(/expected an object mapping names to tensors/);
    expect(() => saveSafetensors(t as never)).toThrow(/expected an object mapping names to tensors/);
    expect(() => saveSafetensors({ w: [1, 2] as never })).toThrow(/record\["w"\] must be a Tensor, got \[1, 2\]/);
    expect(() => saveSafetensors({ w: gone })).toThrow(/record\["w"\] is a disposed tensor/);
    expect(() => saveSafetensors({ __metadata__: t })).toThrow(/"__metadata__" is reserved/);
    expect(() => saveSafetensors({ t }, { n: 3 as never })).toThrow(/metadata values must be strings, got 3 for key "n"/);
    expect(() => saveSafetensors({ t }, 'x' as never)).toThrow(/metadata must be an object/);
    t.dispose();
  });
});
