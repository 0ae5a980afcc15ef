// A small PNG writer for the examples' sample grids: 8-bit grayscale, no filtering, zlib from
// node:zlib. Enough for people to look at what a generative model learned.
import { deflateSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = new Uint8Array(12 + data.length), view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** PNG bytes of a width × height grayscale image (`pixels`: one byte per pixel, row by row). */
export function encodeGrayPng(pixels, width, height) {
  const header = new Uint8Array(13), view = new DataView(header.buffer);
  view.setUint32(0, width); view.setUint32(4, height);
  header[8] = 8; header[9] = 0; // 8 bits, grayscale (compression, filter, interlace: 0)
  const rows = new Uint8Array(height * (width + 1)); // each row: filter byte 0, then the pixels
  for (let y = 0; y < height; y++) rows.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const parts = [Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', new Uint8Array(0))];
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { png.set(p, at); at += p.length; }
  return png;
}

/**
 * Lays n square images (values in [lo, hi], `size` × `size` each, row-major in `values`) out as a
 * grid `columns` wide with a 2-pixel gap, each pixel drawn `scale` × `scale`; returns the PNG bytes.
 */
export function gridPng(values, n, size, { columns = 4, scale = 3, lo = 0, hi = 1 } = {}) {
  const rows = Math.ceil(n / columns), cell = size * scale + 2;
  const width = columns * cell + 2, height = rows * cell + 2;
  const pixels = new Uint8Array(width * height).fill(40);
  for (let i = 0; i < n; i++) {
    const x0 = 2 + (i % columns) * cell, y0 = 2 + Math.floor(i / columns) * cell;
    for (let y = 0; y < size * scale; y++) for (let x = 0; x < size * scale; x++) {
      const v = values[i * size * size + Math.floor(y / scale) * size + Math.floor(x / scale)];
      pixels[(y0 + y) * width + x0 + x] = Math.round(255 * Math.min(1, Math.max(0, (v - lo) / (hi - lo))));
    }
  }
  return encodeGrayPng(pixels, width, height);
}

/** Where the examples write their images: examples/output/ (git-ignored). */
export const OUTPUT_DIR = fileURLToPath(new URL('./output', import.meta.url));

/** Writes a grid PNG to `path` (its directory made if needed) and returns the path. */
export function writeGridPng(path, values, n, size, options) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, gridPng(values, n, size, options));
  return path;
}

/** A numeric command-line flag `--name=value` (the examples' lengths), or `fallback`. */
export function numberFlag(name, fallback) {
  const arg = process.argv.find(a => a.startsWith(`--${name}=`));
  return arg ? Number(arg.slice(name.length + 3)) : fallback;
}
