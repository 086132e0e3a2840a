// Precision from the graph: a QDQ model (int8 activations with zero points, per-channel int8 weights)
// runs its convolutions and its Gemm natively on the array in int8 (the depthwise one on the vector
// unit with int8 in and out) with int32 accumulation and
// vec.requant using the scales the graph gives, on both presets, matches onnxruntime on the same
// QDQ model, and moves fewer DRAM bytes than the float network. The requantization constants follow
// TFLite's (Q31 multiplier, power-of-two shift).
import { describe, expect, it } from 'vitest';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { runOrt } from '../../../src/driver/ort.ts';
import { compareTensors } from '../../../src/runtime/compare.ts';
import { quantizeMultiplier as tflite } from '../../../src/quant/requant.ts';
import { rng } from '../../../src/runtime/random.ts';
import { loadConfig } from '../../../targets/npu/config.ts';
import { assemble } from '../../../targets/npu/asm.ts';
import { encodeProgram } from '../../../targets/npu/isa.ts';
import { compileNpu, runNpu, timeNpu } from '../../../targets/npu/npu.ts';
import { quantizeMultiplier } from '../../../targets/npu/codegen/qdq.ts';
import { floatModel, qdqModel } from './qdq-model.ts';
import { OnnxBuilder } from '../../../models/builder.ts';
import { Tensor } from '../../../src/ir/graph/tensor.ts';
import { encodeF8 } from '../../../src/runtime/kernels/float8.ts';
import { randomInputs } from '../../helpers/check.ts';

describe('npu QDQ int8', () => {
  for (const preset of ['onnxim-tpuv4', 'edge16'] as const) {
    it(`runs Conv/Gemm in int8 with the given scales on ${preset} and matches onnxruntime`, async () => {
      const { bytes, inputs } = await qdqModel();
      const cfg = loadConfig(preset);
      const c = compileNpu(loadOnnxBytes(bytes).graph, cfg);
      expect(c.program.host).toEqual([]);
      expect(Buffer.from(encodeProgram(assemble(c.asm)))).toEqual(Buffer.from(c.bin)); // asm ⇄ bin
      const array = c.program.layers.filter((l) => l.kind === 'array');
      expect(array.length).toBe(5);
      for (const l of array) expect(l.precision).toMatch(/^int8 \(given scales/);
      // The graph input and the residual block's input (read in f16 by the Add too) are quantized by
      // vector layers; the depthwise conv (vector unit) reads int8 and writes int8; every other
      // QuantizeLinear/DequantizeLinear is absorbed into an array layer (requant to int8 out, int8
      // operands in, or Q → DQ → Relu → Q in the epilogue).
      expect(c.program.layers.filter((l) => l.kind === 'vector').map((l) => l.precision)).toEqual(['f16 → int8', 'f16 → int8', 'int8 in, int8 out, f16 (vector unit)']);
      expect(array.map((l) => l.ops.some((o) => o.startsWith('Add'))).filter(Boolean).length).toBe(1);
      const { outputs } = runNpu(c, inputs);
      const ref = await runOrt(bytes, inputs, { optimization: 'disabled' });
      for (const [k, v] of Object.entries(ref)) {
        const d = compareTensors(k, outputs[k], v, 1e-2);
        expect(d.ok, `${k}: max|a-b| ${d.maxAbs} vs max|ref| ${d.maxRef}`).toBe(true);
      }
      const f = timeNpu(compileNpu(loadOnnxBytes(floatModel()).graph, cfg)), q = timeNpu(c);
      expect(q.dramBytes).toBeLessThan(f.dramBytes);
    });
  }

  // fp8 has no storage type on this NPU: fp8 activations (QuantizeLinear → DequantizeLinear to
  // f8e4m3) stay f16, so the result is closer to f32 than onnxruntime's fp8 rounding — measured
  // 2.6e-2 (tpuv4) / 3.0e-2 (edge16) from it — and the layers name the substitution.
  it('runs fp8 activations and weights as f16 and says so', async () => {
    const b = new OnnxBuilder({ opset: 21 });
    const x = b.input('x', 'f32', [1, 4, 6, 6]);
    const f8 = (v: number[]) => v.map((t) => encodeF8(t, 'f8e4m3', true));
    const s = b.initializer(Tensor.fromNumbers('f32', [], [0.01])), zp = b.initializer(Tensor.fromNumbers('f8e4m3', [], [0]));
    const xq = b.op('DequantizeLinear', [b.op('QuantizeLinear', [x, s, zp]), s, zp]);
    const w = b.op('DequantizeLinear', [b.initializer(Tensor.fromNumbers('f8e4m3', [8, 4, 3, 3], f8(Array.from({ length: 288 }, (_, i) => ((i * 37) % 17 - 8) / 4)))),
      b.initializer(Tensor.fromNumbers('f32', [8], [0.1, 0.2, 0.1, 0.3, 0.1, 0.2, 0.1, 0.05])), b.initializer(Tensor.fromNumbers('f8e4m3', [8], new Array(8).fill(0)))], { axis: 0 });
    b.output(b.op('Conv', [xq, w], { pads: [1, 1, 1, 1] }), 'f32');
    const bytes = b.toBytes();
    const inputs = randomInputs(bytes);
    const ref = await runOrt(bytes, inputs, { optimization: 'disabled' });
    for (const preset of ['onnxim-tpuv4', 'edge16']) {
      const c = compileNpu(loadOnnxBytes(bytes).graph, loadConfig(preset));
      expect(c.program.host).toEqual([]);
      expect(c.program.layers.filter((l) => l.kind === 'vector').every((l) => /fp8 → f16 \(substituted/.test(l.precision ?? ''))).toBe(true);
      const { outputs } = runNpu(c, inputs);
      for (const [k, v] of Object.entries(ref)) expect(compareTensors(k, outputs[k], v, 5e-2).ok).toBe(true);
    }
  });

  it('derives the same Q31 multipliers and shifts as TFLite', () => {
    const r = rng(3);
    for (let i = 0; i < 200; i++) {
      const s = 10 ** (r() * 8 - 6);
      const a = quantizeMultiplier(s), b = tflite(s);
      expect([a.m, a.shift]).toEqual([b.multiplier, b.shift]);
    }
  });
});
