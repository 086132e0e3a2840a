// Every test model, compiled for both presets, executed bit for bit by the simulator from the encoded
// binary, compared with onnxruntime-node, with no host layer (LSTM unrolled by decompose-rnn first,
// as the driver does for this target). Tolerances are relative to the output's max magnitude:
// onnxim-tpuv4 (f16 data, f32 accumulation) ≤ 1e-2; edge16 (int8 array operands — per-channel weight
// scales, per-tensor activation scales measured on the device — int32 accumulation, f16 vector unit)
// ≤ 5e-2 (measured worst 2.8e-2, gpt2-decoder; see targets/npu/README.md).
import { describe, expect, it } from 'vitest';
import { loadOnnxBytes } from '../../../src/frontend/onnx/import.ts';
import { runOrt } from '../../../src/driver/ort.ts';
import { compareTensors } from '../../../src/runtime/compare.ts';
import { randomInputs } from '../../helpers/check.ts';
import { loadConfig } from '../../../targets/npu/config.ts';
import { compileNpu, runNpu } from '../../../targets/npu/npu.ts';
import { assemble, disassemble } from '../../../targets/npu/asm.ts';
import { decodeProgram, encodeProgram } from '../../../targets/npu/isa.ts';
import { TEST_MODELS } from './models.ts';
import { createTarget } from '../../../targets/npu/index.ts';
import { lookupPass, runPasses } from '../../../passes/index.ts';

const TOL = { 'onnxim-tpuv4': 1e-2, edge16: 5e-2 };

for (const preset of ['onnxim-tpuv4', 'edge16'] as const) {
  describe(`npu:${preset} matches onnxruntime`, () => {
    const cfg = loadConfig(preset), target = createTarget(preset);
    for (const m of TEST_MODELS) {
      it(m.name, async () => {
        const model = loadOnnxBytes(m.bytes, { shapes: m.shapes });
        const inputs = randomInputs(m.bytes, { shapes: m.shapes, inputs: m.inputs });
        // As the driver does for a target that refuses recurrent nodes: unroll LSTM/GRU/RNN first.
        const graph = model.graph.nodes.some((n) => !target.supports(n).ok) ? runPasses(model.graph, [lookupPass('decompose-rnn')]) : model.graph;
        const c = compileNpu(graph, cfg);
        // Every test model runs wholly on the NPU.
        expect(c.program.host.map((h) => `${h.node.op}: ${h.reason}`)).toEqual([]);
        // The assembly is a faithful text form of the binary: text → binary gives the same bytes.
        expect(Buffer.from(encodeProgram(assemble(c.asm)))).toEqual(Buffer.from(c.bin));
        expect(disassemble(decodeProgram(c.bin))).toEqual(c.asm.split('\n').filter((l) => !l.startsWith(';')).join('\n'));
        const { outputs, sim } = runNpu(c, inputs);
        expect(sim.cycles).toBeGreaterThan(0);
        const ref = await runOrt(m.bytes, inputs, { optimization: 'disabled' });
        const tol = TOL[preset];
        for (const [k, r] of Object.entries(ref)) {
          const d = compareTensors(k, outputs[k], r, tol);
          expect(d.shapeMatch).toBe(true);
          expect(d.ok, `${k}: max|a-b| ${d.maxAbs} vs max|ref| ${d.maxRef} (tol ${tol})`).toBe(true);
        }
      });
    }
  });
}
