// Every test model through the CUDA target: all kernels compile with nvcc -arch=sm_90 with no errors
// and no warnings (warnings are errors), and the emitted source, compiled for the CPU emulation,
// matches onnxruntime within 1e-4 · max|ref|. The zoo models at opset 17 cover the shipped
// tiny-cnn / tiny-vit / tiny-gpt2 (the same builders); silero-vad needs LSTM, which is not lowered.
import { describe, expect, it } from 'vitest';
import { ZOO } from '../../../models/zoo/zoo.ts';
import { UnsupportedError } from '../../../src/util/errors.ts';
import { compileCase, emulateAndCompare, nvccCheck } from './harness.ts';

const UNSUPPORTED: Record<string, string> = { 'silero-vad': 'LSTM' };

describe('CUDA target: zoo models (opset 17)', () => {
  for (const z of ZOO) {
    const m = z.build(17);
    const c = { bytes: m.bytes, shapes: m.shapes, inputs: m.inputs };
    if (UNSUPPORTED[z.name]) {
      it(`${z.name}: refused, naming ${UNSUPPORTED[z.name]}`, async () => {
        const err = await compileCase(c).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UnsupportedError);
        expect(String((err as Error).message)).toContain(UNSUPPORTED[z.name]);
      });
      continue;
    }
    it(`${z.name}: nvcc -arch=sm_90 clean, CPU emulation matches onnxruntime`, async () => {
      const { compiled } = await compileCase(c);
      expect(compiled.artifact.files.get('kernels.cu')).toContain('__global__');
      const [, worst] = await Promise.all([nvccCheck(compiled), emulateAndCompare(c, compiled)]);
      expect(worst).toBeLessThanOrEqual(1e-4);
    }, 240_000);
  }
});
