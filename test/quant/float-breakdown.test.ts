// Weights-only and activations-only rounding of a float plan (src/quant/sensitivity-float.ts), on
// tiny-cnn: each is a part of the whole plan's error, and their noise powers add up to about it.
import { describe, expect, it } from 'vitest';
import { loadOnnxFile } from '../../src/frontend/onnx/import.ts';
import { optimizeGraph } from '../../passes/index.ts';
import { calibrate } from '../../passes/quantize/calibrate.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { generatedCalib } from '../../src/quant/calib-data.ts';
import { Analyzer } from '../../src/quant/sensitivity.ts';
import { metricsOf } from '../../src/quant/sensitivity-metrics.ts';
import { activationsOnly, weightsOnly } from '../../src/quant/sensitivity-float.ts';

const g = optimizeGraph(loadOnnxFile('models/tiny-cnn.onnx').graph);
const samples = generatedCalib(g, 3).samples;
const an = new Analyzer(g, calibrate(g, samples));
const refs = samples.map((s) => runGraph(g, s));
const sqnr = (q: typeof g) => metricsOf(refs, samples.map((s) => runGraph(q, s))).sqnr;

describe('float plan breakdown', () => {
  it('bf16: weights-only and activations-only each lose less than both; noise powers add up', () => {
    const plan = new Map(an.groups.map((x) => [x.name, 'bf16' as const]));
    const both = sqnr(an.quantize(plan)), w = sqnr(weightsOnly(an, plan)), a = sqnr(activationsOnly(an, plan));
    expect(w).toBeGreaterThan(both);
    expect(a).toBeGreaterThan(both);
    expect(Number.isFinite(w) && Number.isFinite(a)).toBe(true);
    // Independent roundings: 10^(−both/10) ≈ 10^(−w/10) + 10^(−a/10), within 2 dB.
    const sum = -10 * Math.log10(10 ** (-w / 10) + 10 ** (-a / 10));
    expect(Math.abs(sum - both)).toBeLessThan(2);
  });
  it('activations-only keeps the weights f32 (bit-exact to the float graph when nothing is rounded at a boundary)', () => {
    const plan = new Map(an.groups.map((x) => [x.name, 'bf16' as const]));
    const q = activationsOnly(an, plan);
    for (const grp of an.groups) {
      const node = q.nodes.find((n) => n.name === grp.name || n.name === `fused_${grp.name}`)!;
      const w = node.inputs.find((v) => v?.constant && v.constant.shape.length === grp.weight.type.shape.length)!;
      expect(w.constant!.dtype).toBe('f32');
      expect(Array.from(w.constant!.toF32())).toEqual(Array.from(grp.weight.constant!.toF32()));
    }
    expect(() => weightsOnly(an, new Map([[an.groups[0].name, 'int8' as const]]))).toThrow(/only fp16\/bf16/);
  });
});
