// Realistic inputs for the PP-OCR models, rendered with TrueType fonts (DejaVu, Liberation) through
// skia (@napi-rs/canvas, a dev dependency): anti-aliased words and phrases, the way PaddleOCR feeds
// its models. No real photographs ship with the repository; these replace src/quant/calib-data-synth.ts's
// 5×7 bitmap font, which the fp32 direction classifier reads only 78 % correctly (in-distribution
// crops: 99 %; test/quant/ocr-text.test.ts checks ≥ 95 %). Deterministic for a seed, given the same
// skia build and font files.
//   clsCrops: PaddleOCR's cls preprocessing — a tight text-line crop resized to height 48 keeping its
//     aspect ratio, width ≤ 192, scaled to [-1, 1], right-padded with 0; every other crop turned
//     180° (label i % 2: 0 = upright, 1 = rotated, the model's two classes).
//   detPages: a page of 2-5 text lines on a light background, ImageNet-normalized, side × side.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { rng } from '../../src/runtime/random.ts';

interface Ctx2d {
  font: string; fillStyle: string;
  fillRect(x: number, y: number, w: number, h: number): void;
  fillText(t: string, x: number, y: number): void;
  measureText(t: string): { width: number };
  drawImage(c: Canvas, x: number, y: number, w: number, h: number): void;
  getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
}
interface Canvas { getContext(k: '2d'): Ctx2d }
interface CanvasModule { createCanvas(w: number, h: number): Canvas; GlobalFonts: { registerFromPath(path: string, alias: string): boolean } }

const FONT_FILES: Record<string, string> = {
  'DejaVu Sans': '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  'DejaVu Sans Bold': '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
  'DejaVu Serif': '/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf',
  'DejaVu Sans Mono': '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf',
  'Liberation Sans': '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
  'Liberation Serif': '/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf',
  'Liberation Mono': '/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf',
  'Liberation Sans Narrow': '/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Regular.ttf',
};

let loaded: { canvas: CanvasModule; fonts: string[] } | undefined;
function skia(): { canvas: CanvasModule; fonts: string[] } {
  if (loaded) return loaded;
  const canvas = createRequire(import.meta.url)('@napi-rs/canvas') as CanvasModule;
  // Registered by file under our own names, so the set of faces does not depend on fontconfig.
  const fonts = Object.entries(FONT_FILES).filter(([, f]) => existsSync(f)).map(([name, f]) => {
    canvas.GlobalFonts.registerFromPath(f, `tscc ${name}`);
    return `tscc ${name}`;
  });
  if (fonts.length < 4) throw new Error('bench/data/ocr-text: TrueType fonts missing (Debian packages fonts-dejavu-core and fonts-liberation)');
  return (loaded = { canvas, fonts });
}

const WORDS = ('invoice total amount date name address phone email order number price quantity item description ' +
  'payment receipt store open close Monday Friday street avenue city station exit entrance warning danger keep out ' +
  'push pull the quick brown fox jumps over lazy dog Chapter Section Table Figure Page of No. ID: Tel: 2024 100 25.00 ' +
  '$19.99 42 A-113 +86 10:30 km/h 3.5% Hello World OCR TEXT Model Tensor Compiler Kernel').split(' ');

const pick = <T>(xs: readonly T[], next: () => number): T => xs[Math.floor(next() * xs.length)];
const gray = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
/** A colour near gray level `base`: each channel ± spread/2, drawn r, g, b from `next`. */
const rgb = (base: number, spread: number, next: () => number) => `rgb(${gray(base + (next() - 0.5) * spread)},${gray(base + (next() - 0.5) * spread)},${gray(base + (next() - 0.5) * spread)})`;
const phrase = (words: number, next: () => number) => Array.from({ length: words }, () => pick(WORDS, next)).join(' ');

/** [1, 3, 48, 192] direction-classifier inputs; crop i is upside down when i is odd. */
export function clsCrops(count: number, seed: number): Tensor[] {
  const { canvas, fonts } = skia(), next = rng(seed);
  return Array.from({ length: count }, (_, i) => {
    const text = phrase(1 + Math.floor(next() * 4), next), font = `32px "${pick(fonts, next)}"`;
    const probe = canvas.createCanvas(8, 8).getContext('2d');
    probe.font = font;
    const tw = Math.ceil(probe.measureText(text).width) + 8, th = 43;
    const line = canvas.createCanvas(tw, th), x = line.getContext('2d');
    const darkOnLight = next() < 0.8, bg = darkOnLight ? 200 + next() * 55 : 20 + next() * 60, fg = darkOnLight ? next() * 80 : 200 + next() * 55;
    x.fillStyle = rgb(bg, 30, next);
    x.fillRect(0, 0, tw, th);
    x.fillStyle = rgb(fg, 40, next);
    x.font = font;
    x.fillText(text, 4 + (next() - 0.5) * 4, 33.6 + (next() - 0.5) * 3);
    const w = Math.min(192, Math.ceil((48 * tw) / th));
    const crop = canvas.createCanvas(w, 48), cx = crop.getContext('2d');
    cx.drawImage(line, 0, 0, w, 48);
    const px = cx.getImageData(0, 0, w, 48).data, img = new Float32Array(3 * 48 * 192), flip = i % 2 === 1;
    for (let c = 0; c < 3; c++) for (let y = 0; y < 48; y++) for (let u = 0; u < w; u++) {
      const sy = flip ? 47 - y : y, sx = flip ? w - 1 - u : u;
      const v = (px[(sy * w + sx) * 4 + c] + (next() - 0.5) * 6) / 255; // a little sensor noise
      img[(c * 48 + y) * 192 + u] = (v - 0.5) / 0.5;
    }
    return new Tensor('f32', [1, 3, 48, 192], img);
  });
}

/** detPages options. `glyph`: font size range in pixels [lo, hi] instead of side/12 … side/5.5 — a
 *  bigger page then holds proportionally more lines (×side/(12·lo)) and words, so text density stays
 *  that of the default page at the side where side/12 = lo (compare resolutions at one text size). */
export interface DetPageOptions { readonly glyph?: readonly [number, number] }

/** [1, 3, side, side] detector inputs: 2-5 lines of text, glyphs about side/12 to side/5.5 tall. */
export function detPages(count: number, side: number, seed: number, opts: DetPageOptions = {}): Tensor[] {
  const { canvas, fonts } = skia(), next = rng(seed);
  const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
  return Array.from({ length: count }, () => {
    const page = canvas.createCanvas(side, side), x = page.getContext('2d');
    const bg = 180 + next() * 75;
    x.fillStyle = rgb(bg, 40, next);
    x.fillRect(0, 0, side, side);
    const g = opts.glyph, k = g ? Math.max(1, side / 12 / g[0]) : 1; // k: text density kept at fixed glyph size
    const lines = Math.floor((2 + Math.floor(next() * 4)) * k);
    for (let l = 0; l < lines; l++) {
      const px = g ? g[0] + next() * (g[1] - g[0]) : side / 12 + (next() * side) / 10;
      x.font = `${Math.floor(px)}px "${pick(fonts, next)}"`;
      const ink = gray(next() * 90);
      x.fillStyle = `rgb(${ink},${ink},${ink})`;
      x.fillText(phrase(Math.round(3 * k), next), next() * side * 0.3, ((l + 0.8) * side) / lines + (next() - 0.5) * 4);
    }
    const px = x.getImageData(0, 0, side, side).data, n = side * side, img = new Float32Array(3 * n);
    for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) img[c * n + i] = ((px[i * 4 + c] + (next() - 0.5) * 6) / 255 - mean[c]) / std[c];
    return new Tensor('f32', [1, 3, side, side], img);
  });
}
