// A separate, tiny module (not part of the core): decodes the core's embedded text form
// (scripts/wasm-text.mjs) at start-up: 46 K characters in ~0.7 ms, its own compilation included,
// where a JS loop running cold takes ~3 ms (medians over fresh Node processes). scripts/build.mjs
// compiles it and embeds its bytes next to the text.

/** Index in the alphabet (printable ASCII without `"` and `\`) of character code c. */
@inline function index(c: u32): u32 { return c - 0x20 - u32(c > 0x22) - u32(c > 0x5c); }

/** Decodes `length` bytes from the ASCII text at address 0 into memory at `out`. */
export function decode(length: u32, out: usize): void {
  let i: usize = 0;
  const end = out + length;
  while (out < end) {
    let b = index(load<u8>(i++));
    // below 90: the byte itself; else the first of a pair
    if (b >= 90) b = 90 + (b - 90) * 93 + index(load<u8>(i++));
    store<u8>(out++, b);
  }
}
