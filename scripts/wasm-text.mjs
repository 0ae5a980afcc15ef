// The text form of the wasm embedded in the default entry (decoded by src/wasm-text.ts with
// assembly/text-decoder.ts). Each byte becomes one or two characters of a 93-letter alphabet:
// printable ASCII without `"` and `\`, so the string needs no escapes in any JS file. Codes below
// 91 take one character, the others two (91 + 2 × 93 covers 256). Unlike base64, every byte starts
// on a character boundary, so repeats in the wasm stay repeats in the text and gzip finds them.
//
// A byte's code is the byte itself, except for SWAPS pairs listed in a header: the most frequent
// bytes from 91 up (i32.add 0x6A, the SIMD prefix 0xFD, i32.shl 0x74, ...) trade codes with the
// rarest below 91, so they take one character. gzip -9 of this core (2026-11-30): 17,238 B as
// this text, 17,464 without the swaps (codes below 90 single, as before), 17,222 as the binary,
// 22,626 as base64; the header and the decoder's swap table cost the decoder 82 bytes.
export const ALPHABET = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).filter(c => c !== '"' && c !== '\\').join('');
export const SINGLE = 91;
export const SWAPS = 12;

/** The characters of code c (0–255). */
const chars = c => c < SINGLE ? ALPHABET[c] : ALPHABET[SINGLE + Math.floor((c - SINGLE) / ALPHABET.length)] + ALPHABET[(c - SINGLE) % ALPHABET.length];

/**
 * The text: a header (the number of swapped pairs, then each pair: a byte from 91 up and the byte
 * below 91 whose code it takes), then every byte's code.
 * @param {Uint8Array} bytes
 */
export function encodeWasmText(bytes) {
  const count = new Array(256).fill(0);
  for (const b of bytes) count[b]++;
  const byCount = (a, b) => count[b] - count[a] || a - b;
  const frequent = [...count.keys()].filter(b => b >= SINGLE).sort(byCount);
  const rare = [...count.keys()].filter(b => b < SINGLE).sort(byCount).reverse();
  const code = [...count.keys()], pairs = [];
  for (let k = 0; k < SWAPS && count[frequent[k]] > count[rare[k]]; k++) {
    const [h, l] = [frequent[k], rare[k]];
    code[h] = l; code[l] = h;
    pairs.push(h, l);
  }
  let text = chars(pairs.length / 2) + pairs.map(chars).join('');
  for (const b of bytes) text += chars(code[b]);
  return text;
}
