// Decoding the embedded core (the format: scripts/wasm-text.mjs). A tiny wasm module does the work
// (assembly/text-decoder.ts): a JS loop over 45 K characters costs milliseconds before it is optimised.

/** The core's bytes from its text form; `decoder` is the compiled assembly/text-decoder.ts. */
export function decodeWasmText(text: string, length: number, decoder: BufferSource): Uint8Array {
  const { memory, d: decode } = new WebAssembly.Instance(new WebAssembly.Module(decoder)).exports as {
    memory: WebAssembly.Memory; d(length: number, out: number): void; // (d: decode, assembly/text-decoder.ts)
  };
  // the text (ASCII: one byte per character) at address 0, the bytes right after it, then the
  // decoder's 256-byte table
  memory.grow(Math.ceil((text.length + length + 256) / 65536) - memory.buffer.byteLength / 65536);
  new TextEncoder().encodeInto(text, new Uint8Array(memory.buffer));
  decode(length, text.length);
  return new Uint8Array(memory.buffer, text.length, length);
}
