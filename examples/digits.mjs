// A stand-in for MNIST, made on the spot (there is no download here): handwriting-like digits 0-9 on
// 28 × 28, each drawn from a few pen strokes with a random size, width, slant, tilt, position and stroke
// thickness, plus faint pixel noise; uint8 pixels 0-255 as MNIST's, white digit on black. It is easier
// than MNIST (one clean glyph per class), so accuracies here are not comparable with the guide's.
import { prng } from './prng.mjs';

const SIZE = 28;

/** Points along an ellipse around (cx, cy) from angle `from` to `to` (degrees; 0 = right, 90 = down). */
function arc(cx, cy, rx, ry, from, to, n = 8) {
  return Array.from({ length: n + 1 }, (_, i) => {
    const a = (from + (to - from) * i / n) * Math.PI / 180;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)];
  });
}

// Each digit: polylines in a unit box (x right, y down).
const GLYPHS = [
  [arc(0.5, 0.5, 0.5, 0.5, 0, 360, 14)],
  [[[0.2, 0.22], [0.55, 0], [0.55, 1]]],
  [[...arc(0.5, 0.3, 0.45, 0.3, 190, 380, 7), [0, 1], [1, 1]]],
  [[...arc(0.5, 0.26, 0.42, 0.26, 200, 450, 7), ...arc(0.5, 0.73, 0.48, 0.27, 270, 520, 8)]],
  [[[0.7, 1], [0.7, 0], [0, 0.68], [1, 0.68]]],
  [[[0.9, 0], [0.2, 0], [0.12, 0.45], ...arc(0.5, 0.67, 0.45, 0.33, 220, 510, 8)]],
  [[[0.8, 0], [0.4, 0.2], [0.1, 0.62]], arc(0.5, 0.7, 0.4, 0.3, 0, 360, 12)],
  [[[0, 0], [1, 0], [0.4, 1]]],
  [arc(0.5, 0.25, 0.38, 0.25, 0, 360, 10), arc(0.5, 0.72, 0.45, 0.28, 0, 360, 12)],
  [arc(0.5, 0.3, 0.42, 0.3, 0, 360, 12), [[0.92, 0.3], [0.75, 1]]],
];

/** Distance from (px, py) to the segment a-b. */
function segmentDistance(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax, dy = by - ay, length2 = dx * dx + dy * dy;
  const t = length2 === 0 ? 0 : Math.min(1, Math.max(0, ((px - ax) * dx + (py - ay) * dy) / length2));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

/**
 * `n` digits, reproducible from `seed`: { x: Uint8Array [n, 784] (pixels 0-255, row by row),
 * y: Int32Array [n] (the digit) }.
 */
export function makeDigits(n, seed = 1) {
  const random = prng(seed), between = (a, b) => a + (b - a) * random();
  const x = new Uint8Array(n * SIZE * SIZE), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const digit = y[i] = Math.floor(random() * 10);
    const height = between(15, 21), width = height * between(0.5, 0.75), slant = between(-0.35, 0.35);
    const tilt = between(-0.15, 0.15), cx = between(11.5, 16.5), cy = between(11.5, 16.5), thickness = between(1.4, 3);
    const cos = Math.cos(tilt), sin = Math.sin(tilt);
    const place = ([u, v]) => { // unit box -> pixels: scale, slant, tilt, then move to (cx, cy)
      const px = (u - 0.5) * width + slant * (0.5 - v) * height, py = (v - 0.5) * height;
      return [cx + cos * px - sin * py, cy + sin * px + cos * py];
    };
    const reach = thickness / 2 + 0.5, distance = new Float64Array(SIZE * SIZE).fill(Infinity);
    for (const line of GLYPHS[digit].map(l => l.map(place))) for (let k = 1; k < line.length; k++) {
      const a = line[k - 1], b = line[k]; // only the pixels near the segment can get ink from it
      const rows = [Math.min(a[1], b[1]) - reach, Math.max(a[1], b[1]) + reach], cols = [Math.min(a[0], b[0]) - reach, Math.max(a[0], b[0]) + reach];
      for (let row = Math.max(0, Math.floor(rows[0])); row <= Math.min(SIZE - 1, Math.ceil(rows[1])); row++)
        for (let col = Math.max(0, Math.floor(cols[0])); col <= Math.min(SIZE - 1, Math.ceil(cols[1])); col++)
          distance[row * SIZE + col] = Math.min(distance[row * SIZE + col], segmentDistance(col + 0.5, row + 0.5, a, b));
    }
    const noise = between(0, 0.1);
    for (let p = 0; p < SIZE * SIZE; p++) {
      const ink = Math.min(1, Math.max(0, reach - distance[p])) + noise * random();
      x[i * SIZE * SIZE + p] = Math.round(255 * Math.min(1, ink));
    }
  }
  return { x, y };
}

/** A digit as text (for the printout): one character per pixel. */
export function digitAsText(pixels) {
  const shades = ' .:-=+*#%@';
  return Array.from({ length: SIZE }, (_, row) =>
    Array.from(pixels.subarray(row * SIZE, (row + 1) * SIZE), v => shades[Math.min(9, Math.floor(v / 25.6))]).join('')).join('\n');
}
