// Every test model through the CUDA target: all kernels compile with nvcc -arch=sm_90 with no errors
// and no warnings (warnings are errors), and the emitted source, compiled for the CPU emulation,
// matches onnxruntime within 1e-4 · max|ref|. The zoo models at opset 17 cover the shipped
// tiny-cnn / tiny-vit / tiny-gpt2 (the same builders); silero-vad's LSTM is unrolled by the driver.
import { describe, expect, it } from 'vitest';
import { ZOO } from '../../../models/zoo/zoo.ts';
import { compileCase, emulateAndCompare, nvccCheck } from './harness.ts';

describe('CUDA target: zoo models (opset 17)', () => {
  for (const z of ZOO) {
    const m = z.build(17);
    const c = { bytes: m.bytes, shapes: m.shapes, inputs: m.inputs };
    it(`${z.name}: nvcc -arch=sm_90 clean, CPU emulation matches onnxruntime`, async () => {
      const { compiled } = await compileCase(c);
      expect(compiled.artifact.files.get('kernels.cu')).toContain('__global__');
      const [, worst] = await Promise.all([nvccCheck(compiled), emulateAndCompare(c, compiled)]);
      expect(worst).toBeLessThanOrEqual(1e-4);
    }, 240_000);
  }
});
