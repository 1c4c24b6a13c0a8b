// Draws sendtrace's catalog icon (an envelope under a magnifying glass on a
// blue rounded square) at the sizes Plesk's catalog uses (reference/plesk.md
// §5.1 [V]: _meta/icons/32x32.png … 160x160.png) and writes them into
// extension/_meta/icons/. Run by hand when the mark changes; the PNGs are
// committed, so the package build never depends on this script's output
// being byte-stable across zlib versions.
//   node build/icons.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { encodePng } from './png.mjs';

export const ICON_SIZES = [32, 64, 128, 160];

const BLUE = [29, 78, 216];
const WHITE = [255, 255, 255];
const AMBER = [245, 158, 11];

// Signed distances in unit coordinates (0..1): negative inside.
const roundedRect = (x, y, x0, y0, x1, y1, r) => {
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const qx = Math.abs(x - cx) - ((x1 - x0) / 2 - r), qy = Math.abs(y - cy) - ((y1 - y0) / 2 - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
};
const segment = (x, y, ax, ay, bx, by) => {
  const px = x - ax, py = y - ay, dx = bx - ax, dy = by - ay;
  const t = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - t * dx, py - t * dy);
};
const circle = (x, y, cx, cy, r) => Math.hypot(x - cx, y - cy) - r;

/** Layers from bottom to top: [inside(x, y) → boolean, colour]. */
const LAYERS = [
  [(x, y) => roundedRect(x, y, 0.02, 0.02, 0.98, 0.98, 0.2) < 0, BLUE],
  // The envelope: outline and flap.
  [(x, y) => {
    const outer = roundedRect(x, y, 0.16, 0.27, 0.72, 0.69, 0.04);
    return Math.abs(outer) < 0.032 || segment(x, y, 0.17, 0.29, 0.44, 0.50) < 0.032 || segment(x, y, 0.44, 0.50, 0.71, 0.29) < 0.032;
  }, WHITE],
  // The lens hides what is under it, then its ring and handle.
  [(x, y) => circle(x, y, 0.64, 0.63, 0.155) < 0, BLUE],
  [(x, y) => Math.abs(circle(x, y, 0.64, 0.63, 0.155)) < 0.038, AMBER],
  [(x, y) => segment(x, y, 0.755, 0.745, 0.86, 0.85) < 0.05, AMBER],
];

/** RGBA pixels of the icon at `size`, anti-aliased by 4×4 supersampling. */
export function drawIcon(size) {
  const out = Buffer.alloc(size * size * 4);
  const ss = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const x = (px + (sx + 0.5) / ss) / size, y = (py + (sy + 0.5) / ss) / size;
          let colour = null;
          for (const [inside, c] of LAYERS) if (inside(x, y)) colour = c;
          if (colour) {
            r += colour[0]; g += colour[1]; b += colour[2]; a += 1;
          }
        }
      }
      const i = (py * size + px) * 4;
      // Colour averaged over covered samples (straight alpha), alpha = coverage.
      out[i] = a ? Math.round(r / a) : 0;
      out[i + 1] = a ? Math.round(g / a) : 0;
      out[i + 2] = a ? Math.round(b / a) : 0;
      out[i + 3] = Math.round((a / (ss * ss)) * 255);
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = new URL('../extension/_meta/icons/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  for (const size of ICON_SIZES) {
    const file = new URL(`${size}x${size}.png`, dir);
    writeFileSync(file, encodePng(size, size, drawIcon(size)));
    console.error(`wrote ${file.pathname}`);
  }
}
