// The ops the NPU maps beyond conv/matmul/element-wise, one node each on both presets against
// onnxruntime: ConvTranspose (sub-pixel phases on the array), nearest Resize (strided DMA views) and
// Gather with constant or runtime indices (`dma.gather`). Each must run wholly on the NPU (no host
// layer), and a runtime index outside the table traps with the instruction and reason.
import { describe, expect, it } from 'vitest';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { runOrt } from '../../../src/driver/ort.ts';
import { compareTensors } from '../../../src/runtime/compare.ts';
import { Tensor } from '../../../src/ir/graph/tensor.ts';
import { rng } from '../../../src/runtime/random.ts';
import { float } from '../../../models/builder.ts';
import { type OneOp, oneOpModel, randomInputs } from '../../helpers/check.ts';
import { loadConfig } from '../../../targets/npu/config.ts';
import { assemble } from '../../../targets/npu/asm.ts';
import { encodeProgram } from '../../../targets/npu/isa.ts';
import { compileNpu, runNpu } from '../../../targets/npu/npu.ts';
import type { TensorMap } from '../../../src/runtime/interpreter.ts';

const TOL = { 'onnxim-tpuv4': 1e-2, edge16: 5e-2 };
const r = rng(7);
const w = (shape: number[]) => Tensor.fromNumbers('f32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1));
const i64 = (shape: number[], v: number[]) => Tensor.fromNumbers('i64', shape, v);
const f32 = (v: number[]) => Tensor.fromNumbers('f32', [v.length], v);

const CASES: { name: string; op: OneOp; inputs?: TensorMap }[] = [
  { name: 'ConvTranspose k2 s2 (PP-OCR)', op: { op: 'ConvTranspose', inputs: [['f32', [1, 8, 6, 5]], w([8, 4, 2, 2]), w([4])], attrs: { kernel_shape: [2, 2], strides: [2, 2] } } },
  { name: 'ConvTranspose k4 s2 p1', op: { op: 'ConvTranspose', inputs: [['f32', [1, 6, 5, 7]], w([6, 5, 4, 4])], attrs: { kernel_shape: [4, 4], strides: [2, 2], pads: [1, 1, 1, 1] } } },
  { name: 'ConvTranspose k3 s2 p1 output_padding 1', op: { op: 'ConvTranspose', inputs: [['f32', [2, 4, 4, 3]], w([4, 3, 3, 3]), w([3])], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] } } },
  { name: 'ConvTranspose k3 s1 p1', op: { op: 'ConvTranspose', inputs: [['f32', [1, 5, 6, 6]], w([5, 7, 3, 3])], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } } },
  { name: 'Resize nearest x2 asymmetric floor', op: { op: 'Resize', inputs: [['f32', [1, 3, 4, 5]], null, f32([1, 1, 2, 2])], attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' } } },
  { name: 'Resize nearest x4 half_pixel (sizes)', op: { op: 'Resize', inputs: [['f32', [1, 2, 3, 3]], null, null, i64([4], [1, 2, 12, 12])], attrs: { mode: 'nearest' } } },
  { name: 'Resize nearest /2 asymmetric', op: { op: 'Resize', inputs: [['f32', [1, 2, 8, 6]], null, f32([1, 1, 0.5, 0.5])], attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' } } },
  { name: 'Gather runtime indices axis 0', op: { op: 'Gather', inputs: [w([10, 6]), ['i64', [2, 3]]] }, inputs: { in1: i64([2, 3], [9, 0, -1, 4, 4, 2]) } },
  { name: 'Gather runtime indices axis 1 (outer dims)', op: { op: 'Gather', inputs: [['f32', [3, 5, 4]], ['i64', [2]]], attrs: { axis: 1 } }, inputs: { in1: i64([2], [4, -5]) } },
  { name: 'Gather constant index axis 1 (outer dims)', op: { op: 'Gather', inputs: [['f32', [2, 5, 4]], i64([], [3])], attrs: { axis: 1 } } },
];

for (const preset of ['onnxim-tpuv4', 'edge16'] as const) {
  describe(`npu:${preset} maps`, () => {
    const cfg = loadConfig(preset);
    for (const c of CASES) {
      it(c.name, async () => {
        const bytes = oneOpModel(c.op);
        const c0 = compileNpu(loadOnnxBytes(bytes).graph, cfg);
        expect(c0.program.host.map((h) => `${h.node.op}: ${h.reason}`)).toEqual([]);
        expect(Buffer.from(encodeProgram(assemble(c0.asm)))).toEqual(Buffer.from(c0.bin)); // asm ⇄ bin
        const given = c.inputs ?? {};
        const inputs = { ...randomInputs(bytes), ...given };
        const { outputs } = runNpu(c0, inputs);
        const ref = await runOrt(bytes, inputs, { optimization: 'disabled' });
        for (const [k, v] of Object.entries(ref)) {
          const d = compareTensors(k, outputs[k], v, TOL[preset]);
          expect(d.shapeMatch).toBe(true);
          expect(d.ok, `${k}: max|a-b| ${d.maxAbs} vs max|ref| ${d.maxRef}`).toBe(true);
        }
      });
    }
  });
}

describe('dma.gather', () => {
  it('traps on an index outside the table', () => {
    const bytes = oneOpModel(CASES[7].op);
    const c = compileNpu(loadOnnxBytes(bytes).graph, loadConfig('edge16'));
    expect(() => runNpu(c, { in1: i64([2, 3], [0, 1, 2, 3, 10, 5]) })).toThrow(/NPU trap at instruction \d+: gather index 10 outside a table of 10 rows/);
  });
  void float;
});
