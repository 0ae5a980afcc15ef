// A separate, tiny module (not part of the core): decodes the core's embedded text form
// (scripts/wasm-text.mjs) at start-up: 45 K characters in ~0.7 ms, its own compilation included,
// where a JS loop running cold takes ~3 ms (medians over fresh Node processes; the header's table
// measured the same as none). scripts/build.mjs compiles it with -Oz (-O3 inlines `next` four
// times: 512 bytes against 276, no faster) and embeds its bytes next to the text.

/** Index in the alphabet (printable ASCII without `"` and `\`) of character code c. */
@inline function index(c: u32): u32 { return c - 0x20 - u32(c > 0x22) - u32(c > 0x5c); }

let at: usize = 0;
/** The next code of the text: below 91, one character; else two. */
function next(): u32 {
  const b = index(load<u8>(at++));
  return b < 91 ? b : 91 + (b - 91) * 93 + index(load<u8>(at++));
}

/**
 * Decodes `length` bytes from the ASCII text at address 0 into memory at `out`; 256 bytes after
 * them hold the table from codes to bytes (the header's swapped pairs).
 */
export function decode(length: u32, out: usize): void {
  const end = out + length, table = end;
  for (let b: u32 = 0; b < 256; b++) store<u8>(table + b, b);
  for (let pairs = next(); pairs > 0; pairs--) {
    const h = next(), l = next();
    store<u8>(table + h, l); store<u8>(table + l, h);
  }
  while (out < end) store<u8>(out++, load<u8>(table + next()));
}
