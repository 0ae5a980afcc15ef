// A small PNG writer for the examples' sample grids and heat maps: 8-bit grayscale, no filtering, zlib from
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
 * Lays image panels side by side, `columns` to a row, `gap` pixels apart and around, on a
 * `background` gray; each panel is `rows` × `cols` values (row-major), drawn `scale` × `scale`
 * pixels per value, [lo, hi] mapped to black..white. Returns the PNG bytes.
 */
export function panelsPng(panels, { columns = panels.length, scale = 3, gap = 2, background = 40 } = {}) {
  const { rows, cols } = panels[0], cellW = cols * scale + gap, cellH = rows * scale + gap;
  const width = columns * cellW + gap, height = Math.ceil(panels.length / columns) * cellH + gap;
  const pixels = new Uint8Array(width * height).fill(background);
  panels.forEach(({ values, lo, hi }, i) => {
    const x0 = gap + (i % columns) * cellW, y0 = gap + Math.floor(i / columns) * cellH;
    for (let y = 0; y < rows * scale; y++) for (let x = 0; x < cols * scale; x++) {
      const v = values[Math.floor(y / scale) * cols + Math.floor(x / scale)];
      pixels[(y0 + y) * width + x0 + x] = Math.round(255 * Math.min(1, Math.max(0, (v - lo) / (hi - lo))));
    }
  });
  return encodeGrayPng(pixels, width, height);
}

/**
 * Lays n square images (values in [lo, hi], `size` × `size` each, row-major in `values`) out as a
 * grid `columns` wide with a 2-pixel gap, each pixel drawn `scale` × `scale`; returns the PNG bytes.
 */
export function gridPng(values, n, size, { columns = 4, scale = 3, lo = 0, hi = 1 } = {}) {
  const panels = Array.from({ length: n }, (_, i) => ({ values: values.slice(i * size * size, (i + 1) * size * size), rows: size, cols: size, lo, hi }));
  return panelsPng(panels, { columns, scale });
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
