// The built test models run end to end on WebGPU (Dawn on SwiftShader) and match onnxruntime-node:
// the zoo at opset 17 (the op forms of older opsets are the lowering's concern, tested there) and
// the shipped tiny models. LSTM models (silero-vad, tiny-vad) run unrolled: the WGSL target refuses
// recurrent nodes, so the driver applies decompose-rnn. The real models are in real.test.ts (a separate worker: SwiftShader's
// compiled pipelines take memory). WebGPU failing to start fails these tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ZOO } from '../../../models/zoo/zoo.ts';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { Tensor } from '../../../src/ir/graph/tensor.ts';
import type { TensorMap } from '../../../src/runtime/interpreter.ts';
import { oneOpModel } from '../../helpers/check.ts';
import { checkOnWgsl } from './check.ts';

describe('zoo models on WebGPU match onnxruntime', () => {
  for (const z of ZOO) {
    it(`${z.name} @ opset 17`, async () => {
      const m = z.build(17);
      await checkOnWgsl(m.bytes, { shapes: m.shapes, inputs: m.inputs });
    }, 120_000);
  }
});

describe('shipped tiny models on WebGPU', () => {
  for (const f of ['tiny-cnn.onnx', 'tiny-gpt2.onnx', 'tiny-vit.onnx', 'tiny-vad.onnx']) {
    it(f, async () => {
      const bytes = readFileSync(join('models', f));
      const shapes = f === 'tiny-cnn.onnx' || f === 'tiny-vad.onnx' ? undefined : symbolicAsOne(bytes);
      await checkOnWgsl(bytes, { shapes, inputs: f === 'tiny-gpt2.onnx' ? tokenIds(bytes, shapes!) : undefined });
    }, 120_000);
  }
});

describe('kernels past the device limits on WebGPU', () => {
  it('a Concat of 14 inputs (more buffers than a shader may bind) matches onnxruntime', async () => {
    const inputs = Array.from({ length: 14 }, (_, i) => ['f32', [2, 1 + (i % 3), 3]] as ['f32', number[]]);
    await checkOnWgsl(oneOpModel({ op: 'Concat', attrs: { axis: 1 }, inputs }));
  }, 60_000);
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
