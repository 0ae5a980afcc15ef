// The embedded core's text form (scripts/wasm-text.mjs) decodes back to the exact bytes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-ignore: plain JS build helper
import { encodeWasmText, ALPHABET, SINGLE, SWAPS } from '../scripts/wasm-text.mjs';
import { decodeWasmText } from '../src/wasm-text.js';
import { wasmText, wasmLength, textDecoderWasm } from '../build/embedded.js';

const decoder = readFileSync(new URL('../build/text-decoder.wasm', import.meta.url));
const roundTrip = (bytes: Uint8Array) => decodeWasmText(encodeWasmText(bytes), bytes.length, decoder);

describe('embedded core text', () => {
  it('uses 93 printable ASCII characters that need no escape in a JS string', () => {
    expect(ALPHABET.length).toBe(93);
    expect(new Set(ALPHABET).size).toBe(93);
    for (const c of ALPHABET) expect(JSON.stringify(c)).toBe(`"${c}"`);
  });

  it('round-trips every byte value, alone and in a random stream', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(Array.from(roundTrip(all))).toEqual(Array.from(all));
    let seed = 12345;
    const random = Uint8Array.from({ length: 200_000 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255);
    expect(Buffer.from(roundTrip(random)).equals(Buffer.from(random))).toBe(true); // 200 KB: more than one memory page
    expect(roundTrip(new Uint8Array(0)).length).toBe(0);
  });

  it('gives the most frequent bytes from 91 up one character each (the swaps of the header), and round-trips them', () => {
    // 0xFD (the SIMD prefix), 0x80 (a LEB128 continuation) and 0xFF dominate; every other byte once
    const bytes = Uint8Array.from([...Array.from({ length: 1002 }, (_, i) => [0xfd, 0x80, 0xff][i % 3]!), ...Array.from({ length: 256 }, (_, i) => i)]);
    const text = encodeWasmText(bytes);
    expect(SINGLE).toBe(91);
    expect(text.length).toBeLessThan(1002 + 2 * 256 + 2 * SWAPS + 1); // without the swaps: 2004 characters for the 1002
    expect(Buffer.from(decodeWasmText(text, bytes.length, decoder)).equals(Buffer.from(bytes))).toBe(true);
    // a stream with nothing to gain swaps nothing: the header is one character
    const low = Uint8Array.from({ length: 300 }, (_, i) => i % 91);
    expect(encodeWasmText(low).length).toBe(1 + 300);
  });

  it('build/embedded.js holds the release core and its decoder', () => {
    const core = readFileSync(new URL('../build/gradtape.wasm', import.meta.url));
    expect(Array.from(textDecoderWasm)).toEqual(Array.from(decoder));
    const decoded = decodeWasmText(wasmText, wasmLength, new Uint8Array(textDecoderWasm));
    expect(Buffer.from(decoded).equals(core)).toBe(true);
  });
});
