// Structured synthetic inputs for calibration and for measuring agreement where no real data ships:
// random noise gives a classifier near-uniform, meaningless top-1, so the PP-OCR models get rendered
// text (a 5×7 bitmap font, scaled, on a light textured background; the cls model's inputs are
// rotated 180° half of the time), and the wake-word heads get temporally smooth feature frames.
import { Tensor } from '../ir/graph/tensor.ts';
import { rng } from '../runtime/random.ts';

// 5×7 glyphs, one row per string, '#' = ink.
const FONT: Record<string, string[]> = {
  A: ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  B: ['####.', '#...#', '####.', '#...#', '#...#', '#...#', '####.'],
  E: ['#####', '#....', '####.', '#....', '#....', '#....', '#####'],
  F: ['#####', '#....', '####.', '#....', '#....', '#....', '#....'],
  H: ['#...#', '#...#', '#####', '#...#', '#...#', '#...#', '#...#'],
  L: ['#....', '#....', '#....', '#....', '#....', '#....', '#####'],
  P: ['####.', '#...#', '#...#', '####.', '#....', '#....', '#....'],
  R: ['####.', '#...#', '#...#', '####.', '#.#..', '#..#.', '#...#'],
  T: ['#####', '..#..', '..#..', '..#..', '..#..', '..#..', '..#..'],
  Y: ['#...#', '.#.#.', '..#..', '..#..', '..#..', '..#..', '..#..'],
  d: ['....#', '....#', '.####', '#...#', '#...#', '#...#', '.####'],
  g: ['.....', '.####', '#...#', '#...#', '.####', '....#', '.###.'],
  h: ['#....', '#....', '####.', '#...#', '#...#', '#...#', '#...#'],
  k: ['#....', '#..#.', '#.#..', '##...', '#.#..', '#..#.', '#...#'],
  p: ['.....', '####.', '#...#', '#...#', '####.', '#....', '#....'],
  y: ['.....', '#...#', '#...#', '.####', '....#', '#...#', '.###.'],
  '1': ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  '2': ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  '4': ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  '7': ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
};
const CHARS = Object.keys(FONT);

export type Normalize = 'pm1' | 'imagenet';

/** Pixel values in [0, 1], CHW, light background with dark text lines. */
function renderText(h: number, w: number, next: () => number, lines: number): Float32Array {
  const img = new Float32Array(3 * h * w);
  const bg = 0.75 + 0.25 * next(), tint = [next() * 0.1, next() * 0.1, next() * 0.1];
  const gx = (next() - 0.5) * 0.2, gy = (next() - 0.5) * 0.2;
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    img[(c * h + y) * w + x] = Math.min(1, bg - tint[c] + gx * (x / w) + gy * (y / h) + (next() - 0.5) * 0.06);
  }
  for (let l = 0; l < lines; l++) {
    const px = Math.max(1, Math.floor((h / lines) * (0.5 + 0.3 * next()) / 9));
    const top = Math.floor((l * h) / lines + next() * Math.max(1, h / lines - 9 * px));
    let left = Math.floor(next() * w * 0.15);
    const ink = [0.05 + 0.3 * next(), 0.05 + 0.3 * next(), 0.05 + 0.3 * next()];
    while (left + 6 * px < w) {
      if (next() < 0.15) { left += 4 * px; continue; } // a space
      const glyph = FONT[CHARS[Math.floor(next() * CHARS.length)]];
      for (let r = 0; r < 7; r++) for (let k = 0; k < 5; k++) {
        if (glyph[r][k] !== '#') continue;
        for (let dy = 0; dy < px; dy++) for (let dx = 0; dx < px; dx++) {
          const y = top + r * px + dy, x = left + k * px + dx;
          if (y < 0 || y >= h || x >= w) continue;
          for (let c = 0; c < 3; c++) img[(c * h + y) * w + x] = ink[c] + (next() - 0.5) * 0.05;
        }
      }
      left += 6 * px;
    }
  }
  return img;
}

function normalize(img: Float32Array, hw: number, how: Normalize): void {
  const mean = how === 'imagenet' ? [0.485, 0.456, 0.406] : [0.5, 0.5, 0.5];
  const std = how === 'imagenet' ? [0.229, 0.224, 0.225] : [0.5, 0.5, 0.5];
  for (let i = 0; i < img.length; i++) { const c = Math.floor(i / hw); img[i] = (img[i] - mean[c]) / std[c]; }
}

/**
 * `count` text images of shape [1, 3, H, W]. `rotate180`: every other image is turned upside down
 * (the PP-OCR direction classifier's two classes).
 */
export function textImages(count: number, shape: readonly number[], seed: number, opts: { lines?: number; normalize?: Normalize; rotate180?: boolean } = {}): Tensor[] {
  const [n, c, h, w] = shape;
  if (n !== 1 || c !== 3) throw new Error(`textImages renders [1, 3, H, W], got [${shape}]`);
  const next = rng(seed);
  return Array.from({ length: count }, (_, i) => {
    const img = renderText(h, w, next, opts.lines ?? 1);
    if (opts.rotate180 && i % 2 === 1) for (let ch = 0; ch < 3; ch++) img.subarray(ch * h * w, (ch + 1) * h * w).reverse();
    normalize(img, h * w, opts.normalize ?? 'pm1');
    return new Tensor('f32', shape, img);
  });
}

/** Feature frames [1, T, F] that drift smoothly in time (an embedding stream), values about ±1. */
export function smoothFrames(count: number, shape: readonly number[], seed: number): Tensor[] {
  const [, t, f] = shape;
  const next = rng(seed);
  return Array.from({ length: count }, () => {
    const d = new Float32Array(t * f);
    const base = Array.from({ length: f }, () => (next() - 0.5) * 2);
    for (let k = 0; k < f; k++) {
      let v = base[k];
      for (let s = 0; s < t; s++) { v = 0.85 * v + 0.15 * base[k] + (next() - 0.5) * 0.4; d[s * f + k] = v; }
    }
    return new Tensor('f32', shape, d);
  });
}
