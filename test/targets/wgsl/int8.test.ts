// int8 QDQ kernels (passes/quantize: DequantizeLinear of a u8 activation and an i8 weight into a
// MatMul or Conv) run as integer sums of four products, rendered as dot4I8Packed when the WGSL
// language feature packed_4x8_integer_dot_product is present (Dawn has it, also on SwiftShader).
// Outputs are compared with the reference runtime on the same quantized graph.
import { describe, expect, it } from 'vitest';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { compileModel } from '../../../src/driver/compile.ts';
import { compareTensors } from '../../../src/runtime/compare.ts';
import { runGraph } from '../../../src/runtime/interpreter.ts';
import { randomTensor } from '../../../src/runtime/random.ts';
import type { WgslPayload } from '../../../targets/wgsl/index.ts';
import { oneOpModel, randomInputs } from '../../helpers/check.ts';

const models = {
  MatMul: () => oneOpModel({ op: 'MatMul', inputs: [['f32', [8, 32]], randomTensor('f32', [32, 16], 3, -1, 1)] }),
  'Conv 3×3 (padded)': () => oneOpModel({
    op: 'Conv', attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] },
    inputs: [['f32', [1, 8, 7, 9]], randomTensor('f32', [12, 8, 3, 3], 7, -0.5, 0.5), randomTensor('f32', [12], 8, -0.5, 0.5)],
  }),
};

describe('wgsl int8 kernels with packed dot products', () => {
  for (const [name, build] of Object.entries(models)) {
    it(`${name}: dot4I8Packed on WebGPU matches the reference runtime on the quantized graph`, async () => {
      const bytes = build();
      const c = await compileModel(loadOnnxBytes(bytes), { target: 'wgsl', quantize: { precision: 'int8', calibSamples: 2 } });
      const { built, profile } = c.artifact.payload as WgslPayload;
      expect(profile.int8Dot, 'the adapter should offer packed_4x8_integer_dot_product').toBe(true);
      expect(c.artifact.kernels.map((k) => k.precision)).toEqual(['int8 (dot4I8Packed, i32 sums)']);
      expect(built.plan.kernels[0].config.stages[0].dot4).toBe(true);
      expect(built.shaderCode.join('\n')).toMatch(/dot4I8Packed\(pack4xI8\(vec4<i32>\(/);
      const inputs = randomInputs(bytes);
      const got = await c.target.run!(c.artifact, inputs);
      const ref = runGraph(c.plan.graph, inputs);
      for (const [k, r] of Object.entries(ref)) {
        const d = compareTensors(k, got.outputs[k], r, 1e-4);
        expect(d.ok, `${k}: max|a-b| = ${d.maxAbs}, max|ref| = ${d.maxRef}`).toBe(true);
        expect(d.maxRef).toBeGreaterThan(0);
      }
    }, 120_000);
  }
});
