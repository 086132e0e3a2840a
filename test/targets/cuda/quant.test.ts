// Quantized graphs (`--quantize int8|fp16|bf16`, passes/quantize) through the CUDA target: int8
// groups run on the __dp4a template, fp16/bf16 groups on tensor cores (wmma). The CPU emulation of
// the emitted source is compared with tscc's reference interpreter running the same quantized graph
// (onnxruntime has no `Fused` node); nvcc must compile every kernel without warnings.
import { describe, expect, it } from 'vitest';
import { ZOO } from '../../../models/zoo/zoo.ts';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { compileModel } from '../../../src/driver/compile.ts';
import { compareTensors } from '../../../src/runtime/compare.ts';
import { runGraph } from '../../../src/runtime/interpreter.ts';
import { runArtifact } from '../../../targets/cuda/runner.ts';
import { randomInputs } from '../../helpers/check.ts';
import { nvccCheck } from './harness.ts';

const CASES: { model: string; precision: string; kernel: RegExp; tol: number }[] = [
  // Measured: 6e-8, 1.3e-7, 7.7e-8 of max|ref|. The tolerances allow what summation order may
  // legitimately change: a requantization tie moving an int8 activation by one step (ops.test.ts),
  // one rounding of an f16 / bf16 value.
  { model: 'resnet-basic', precision: 'int8', kernel: /__dp4a\(tscc_a/, tol: 1e-2 },
  { model: 'resnet-basic', precision: 'fp16', kernel: /nvcuda::wmma::mma_sync/, tol: 1e-3 },
  { model: 'tiny-cnn', precision: 'bf16', kernel: /fragment<nvcuda::wmma::matrix_a, 16, 16, 16, __nv_bfloat16/, tol: 1e-2 },
];

describe('CUDA target: quantized graphs', () => {
  for (const c of CASES) {
    it(`${c.model} --quantize ${c.precision}: its kernels, nvcc clean, emulation equals the reference runtime`, async () => {
      const m = ZOO.find((z) => z.name === c.model)!.build(17);
      const model = loadOnnxBytes(m.bytes, { shapes: m.shapes });
      const compiled = await compileModel(model, { target: 'cuda', quantize: { precision: c.precision } });
      expect(String(compiled.artifact.files.get('kernels.cu'))).toMatch(c.kernel);
      const inputs = randomInputs(m.bytes, { shapes: m.shapes, inputs: m.inputs });
      const [, ours] = await Promise.all([nvccCheck(compiled), runArtifact(compiled.artifact, inputs, { emulate: true })]);
      const ref = runGraph(compiled.plan.graph, inputs);
      for (const [k, r] of Object.entries(ref)) {
        const d = compareTensors(k, ours.outputs[k], r, c.tol);
        expect(d.ok, `${k}: max|a-b| ${d.maxAbs}, max|ref| ${d.maxRef}`).toBe(true);
      }
    }, 240_000);
  }
});
