// The quantized graph inlined to plain ONNX QDQ runs on onnxruntime-node and computes what the
// reference runtime computes for it (so the placement is standard ONNX, not a tscc dialect).
import { describe, expect, it } from 'vitest';
import { loadOnnxFile } from '../../src/frontend/onnx/import.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { runOrt } from '../../src/driver/ort.ts';
import { compareTensors } from '../../src/runtime/compare.ts';
import { optimizeGraph } from '../../passes/index.ts';
import { calibrate } from '../../passes/quantize/calibrate.ts';
import { quantGroups } from '../../passes/quantize/groups.ts';
import { quantizeGraph } from '../../passes/quantize/quantize.ts';
import { toOnnxBytes } from '../../passes/quantize/export.ts';
import { generatedCalib } from '../../src/quant/calib-data.ts';
import type { Precision } from '../../src/quant/precision.ts';

const MODELS = ['models/tiny-cnn.onnx', 'node_modules/openwakeword-js/models/hello_deepa.onnx'];

describe('quantized graph → ONNX QDQ → onnxruntime', () => {
  for (const file of MODELS) {
    const g = optimizeGraph(loadOnnxFile(file).graph);
    const cal = calibrate(g, generatedCalib(g, 3).samples);
    const groups = quantGroups(g);
    it.each(['int8', 'int4w', 'fp16', 'bf16', 'fp8e4m3', 'mixed'] as const)(`${file.split('/').pop()} %s`, async (p) => {
      const plan = new Map<string, Precision>(groups.map((x, i) => [x.name, p === 'mixed' ? (['int8', 'fp16', 'int4w'] as const)[i % 3] : p]));
      const q = quantizeGraph(g, { precisions: plan, ranges: cal.ranges, extremes: cal.extremes });
      const s = generatedCalib(g, 1, 31337).samples[0];
      const ours = runGraph(q, s);
      const ref = await runOrt(toOnnxBytes(q), s, { optimization: 'disabled' });
      for (const [k, r] of Object.entries(ref)) {
        const d = compareTensors(k, ours[k], r, 1e-4);
        expect(d.ok, `${k}: max|a-b| ${d.maxAbs} of ${d.maxRef}`).toBe(true);
      }
    });
  }
});
