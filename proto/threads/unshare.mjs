// Prototype only: the same module for runtimes without SharedArrayBuffer (Cloudflare Workers,
// pages that are not cross-origin isolated): clear the `shared` bit of the imported memory's limits
// (one byte in the import section), so that it links against an ordinary WebAssembly.Memory.
// The code section is untouched: the kernels use no atomic instructions.

const leb = (bytes, at) => { let v = 0, s = 0, b; do { b = bytes[at++]; v |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return [v >>> 0, at]; };

/** A copy of `wasm` whose imported memory is not shared (limits flags 0x03 → 0x01). */
export function unshare(wasm) {
  const bytes = new Uint8Array(wasm); // copy
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    let size; [size, at] = leb(bytes, at + 1);
    const end = at + size;
    if (id === 2) { // import section: count, then (module, name, kind, type)
      let count; [count, at] = leb(bytes, at);
      for (let i = 0; i < count; i++) {
        for (let s = 0; s < 2; s++) { let len; [len, at] = leb(bytes, at); at += len; }
        const kind = bytes[at++];
        if (kind === 2) { if (bytes[at] & 2) bytes[at] &= ~2; return bytes; }
        if (kind === 0) [, at] = leb(bytes, at); // function: type index
        else if (kind === 1) { at++; const f = bytes[at++]; [, at] = leb(bytes, at); if (f & 1) [, at] = leb(bytes, at); } // table
        else if (kind === 3) at += 2; // global: type, mutability
      }
    }
    at = end;
  }
  throw new Error('unshare: no imported memory');
}
