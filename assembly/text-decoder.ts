// A separate, tiny module (not part of the core): decodes the core's embedded text form
// (scripts/wasm-text.mjs) at start-up: 44 K characters in ~1 ms, its own compilation included,
// where a JS loop running cold takes ~3 ms (fresh Node processes). scripts/build.mjs compiles it
// with -Oz (-O3 inlines `next` three times: twice the bytes, no faster) and embeds its bytes next
// to the text, where each one costs about a byte of every bundle.

/** Index in the alphabet (printable ASCII without `"` and `\`) of character code c. */
@inline function index(c: u32): u32 { return c - 0x20 - u32(c > 0x22) - u32(c > 0x5c); }

let at: usize = 0;
/** The next code of the text: below 91, one character; else two. */
function next(): u32 {
  const b = index(load<u8>(at++));
  return b < 91 ? b : 91 + (b - 91) * 93 + index(load<u8>(at++));
}

/**
 * Decodes `length` bytes from the ASCII text at address 0 into memory at `out`. The 256 bytes after
 * them (fresh memory: zeros) hold code XOR byte: nonzero only for the header's swapped pairs.
 */
function decode(length: u32, out: usize): void {
  const end = out + length;
  for (let pairs = next(); pairs > 0; pairs--) {
    const h = next(), l = next();
    store<u8>(end + h, h ^ l); store<u8>(end + l, h ^ l);
  }
  while (out < end) {
    const c = next();
    store<u8>(out++, c ^ load<u8>(end + c));
  }
}
// (exported as `d`: its bytes are in every bundle, src/wasm-text.ts calls it)
export { decode as d };
