// A synthetic 28 × 28 image set for the generative examples, made on the spot (no download): each
// image is one anti-aliased ring, bar or cross, of random size, position, angle and stroke width,
// white on black in [0, 1]. Varied enough that a generator has something to learn, simple enough
// that its samples are easy to judge by eye.
import { prng } from './prng.mjs';

const SIZE = 28;

/** n images as a Float32Array [n, 28, 28] (row-major, values in [0, 1]), reproducible from `seed`. */
export function shapeImages(n, seed = 1) {
  const random = prng(seed), out = new Float32Array(n * SIZE * SIZE);
  const between = (a, b) => a + (b - a) * random();
  for (let i = 0; i < n; i++) {
    const kind = Math.floor(random() * 3), cx = between(10, 18), cy = between(10, 18);
    const width = between(1.6, 3), r = between(5, 9), angle = between(0, Math.PI);
    const ux = Math.cos(angle), uy = Math.sin(angle);
    for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) {
      const dx = x + 0.5 - cx, dy = y + 0.5 - cy;
      let d; // distance from the stroke's centre line
      if (kind === 0) d = Math.abs(Math.hypot(dx, dy) - r); // ring
      else {
        const along = dx * ux + dy * uy, across = -dx * uy + dy * ux;
        const bar = (a, c) => Math.max(Math.abs(c), Math.abs(a) - r); // a segment of half-length r
        d = kind === 1 ? bar(along, across) : Math.min(bar(along, across), bar(across, along)); // bar, cross
      }
      out[(i * SIZE + y) * SIZE + x] = Math.min(1, Math.max(0, width / 2 + 0.5 - d)); // a one-pixel soft edge
    }
  }
  return out;
}
