// The built test models run end to end on WebGPU (Dawn on SwiftShader) and match onnxruntime-node:
// the zoo at opset 17 (the op forms of older opsets are the lowering's concern, tested there) and
// the shipped tiny models. The real models are in real.test.ts (a separate worker: SwiftShader's
// compiled pipelines take memory). WebGPU failing to start fails these tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ZOO } from '../../../models/zoo/zoo.ts';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { Tensor } from '../../../src/ir/graph/tensor.ts';
import type { TensorMap } from '../../../src/runtime/interpreter.ts';
import { compileModel } from '../../../src/driver/compile.ts';
import { UnsupportedError } from '../../../src/util/errors.ts';
import { checkOnWgsl } from './check.ts';

/** Models with ops that are not lowered to the Tensor IR (LSTM), so no target can compile them. */
const NOT_LOWERED_MODELS = new Set(['silero-vad']);

describe('zoo models on WebGPU match onnxruntime', () => {
  for (const z of ZOO) {
    if (NOT_LOWERED_MODELS.has(z.name)) {
      it(`${z.name}: refused at compile time, naming LSTM`, async () => {
        const m = z.build(17);
        const err = await compileModel(loadOnnxBytes(m.bytes, { shapes: m.shapes }), { target: 'wgsl' }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UnsupportedError);
        expect(String((err as Error).message)).toContain('LSTM');
      });
      continue;
    }
    it(`${z.name} @ opset 17`, async () => {
      const m = z.build(17);
      await checkOnWgsl(m.bytes, { shapes: m.shapes, inputs: m.inputs });
    }, 120_000);
  }
});

describe('shipped tiny models on WebGPU', () => {
  for (const f of ['tiny-cnn.onnx', 'tiny-gpt2.onnx', 'tiny-vit.onnx']) {
    it(f, async () => {
      const bytes = readFileSync(join('models', f));
      const shapes = f === 'tiny-cnn.onnx' ? undefined : symbolicAsOne(bytes);
      await checkOnWgsl(bytes, { shapes, inputs: f === 'tiny-gpt2.onnx' ? tokenIds(bytes, shapes!) : undefined });
    }, 120_000);
  }
});

/** Binds every symbolic input dim to 1 except sequence-like dims, bound to 8. */
function symbolicAsOne(bytes: Uint8Array): Record<string, number[]> {
  const g = loadOnnxBytes(bytes).graph;
  return Object.fromEntries(g.inputs.map((v) => [v.name, v.type.shape.map((d) => (typeof d === 'number' ? d : /seq|len|T|S/i.test(d) ? 8 : 1))]));
}

/** Token ids in range for integer inputs (the embedding tables are small). */
function tokenIds(bytes: Uint8Array, shapes: Record<string, number[]>): TensorMap {
  const g = loadOnnxBytes(bytes, { shapes }).graph;
  const out: TensorMap = {};
  for (const v of g.inputs) {
    if (v.type.dtype !== 'i64' && v.type.dtype !== 'i32') continue;
    const shape = shapes[v.name];
    const n = shape.reduce((a, b) => a * b, 1);
    out[v.name] = Tensor.fromNumbers(v.type.dtype, shape, Array.from({ length: n }, (_, i) => (i * 7 + 3) % 16));
  }
  return out;
}
