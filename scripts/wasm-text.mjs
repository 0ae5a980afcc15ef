// The text form of the wasm embedded in the default entry (decoded by src/entry-embedded.ts).
// Each byte becomes one or two characters of a 93-letter alphabet: printable ASCII without `"` and
// `\`, so the string needs no escapes in any JS file. Bytes below 90 (most of a wasm's opcodes,
// local indices and small constants) take one character, the others two. Unlike base64, every byte
// starts on a character boundary, so repeats in the wasm stay repeats in the text and gzip finds
// them: for this core, gzip -9 of the text is 15.5 KB against 19.7 KB for base64 and 16.6 KB for hex.
export const ALPHABET = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).filter(c => c !== '"' && c !== '\\').join('');
export const SINGLE = 90;

/** @param {Uint8Array} bytes */
export function encodeWasmText(bytes) {
  let text = '';
  for (const b of bytes) {
    if (b < SINGLE) text += ALPHABET[b];
    else text += ALPHABET[SINGLE + Math.floor((b - SINGLE) / ALPHABET.length)] + ALPHABET[(b - SINGLE) % ALPHABET.length];
  }
  return text;
}
