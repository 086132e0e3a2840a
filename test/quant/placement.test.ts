// The quantize pass (passes/quantize): what it places in the graph, and that the reference runtime
// runs the result close to fp32 on inputs not used for calibration.
import { describe, expect, it } from 'vitest';
import { loadOnnxFile } from '../../src/frontend/onnx/import.ts';
import type { Graph, Node } from '../../src/ir/graph/graph.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { optimizeGraph } from '../../passes/index.ts';
import { calibrate } from '../../passes/quantize/calibrate.ts';
import { quantGroups } from '../../passes/quantize/groups.ts';
import { quantizeGraph } from '../../passes/quantize/quantize.ts';
import { modelBytes } from '../../passes/quantize/size.ts';
import { generatedCalib } from '../../src/quant/calib-data.ts';
import type { Precision } from '../../src/quant/precision.ts';
import { metricsOf } from '../../src/quant/sensitivity-metrics.ts';

const fp32 = optimizeGraph(loadOnnxFile('models/tiny-cnn.onnx').graph);
const calib = calibrate(fp32, generatedCalib(fp32, 6).samples);
const held = generatedCalib(fp32, 4, 4242).samples; // not used for calibration
const groups = quantGroups(fp32);

function uniform(p: Precision): Graph {
  return quantizeGraph(fp32, { precisions: new Map(groups.map((g) => [g.name, p])), ranges: calib.ranges, extremes: calib.extremes });
}
const sqnrOf = (q: Graph) => metricsOf(held.map((s) => runGraph(fp32, s)), held.map((s) => runGraph(q, s)));
const bodyOps = (n: Node) => n.body!.nodes.map((m) => m.op);

describe('quantize pass: placement', () => {
  it('int8: every Conv/Gemm group reads u8 activations and i8 per-channel weights, and writes u8', () => {
    const q = uniform('int8');
    expect(groups.length).toBeGreaterThanOrEqual(3);
    const quantized = q.nodes.filter((n) => n.quant);
    let storedNarrow = 0;
    expect(quantized.length).toBe(groups.length);
    for (const n of quantized) {
      expect(n.op).toBe('Fused');
      expect(n.quant!.precision).toBe('int8');
      const compute = n.body!.nodes.find((m) => ['Conv', 'Gemm', 'MatMul'].includes(m.op))!;
      expect(compute.quant?.precision).toBe('int8');
      // The weight: an i8 outer constant decoded per output channel inside the body.
      const wdq = n.body!.nodes.find((m) => m.op === 'DequantizeLinear' && m.inputs[0]!.type.dtype === 'i8')!;
      expect(wdq.attrs.axis).toBeDefined();
      expect(q.value(wdq.inputs[0]!.name)!.constant!.dtype).toBe('i8');
      expect(q.value(wdq.inputs[1]!.name)!.type.shape.length).toBe(1); // one scale per channel
      // Body order: prologue (dequantize a u8 input; an f32 input is quantized first), members, epilogue.
      expect(bodyOps(n)[0]).toBe(n.inputs[0]!.type.dtype === 'u8' ? 'DequantizeLinear' : 'QuantizeLinear');
      // The output is stored u8 exactly when another int8 group reads it (never for graph outputs).
      const last = n.body!.nodes.at(-1)!;
      const int8Reader = n.outputs[0].consumers.some((c) => c.quant?.precision === 'int8');
      expect(last.op === 'QuantizeLinear').toBe(int8Reader);
      expect(n.outputs[0].type.dtype).toBe(int8Reader ? 'u8' : 'f32');
      if (int8Reader) storedNarrow++;
    }
    expect(storedNarrow).toBeGreaterThan(0);
    // Graph outputs keep their names and f32.
    expect(q.outputs.map((v) => [v.name, v.type.dtype])).toEqual(fp32.outputs.map((v) => [v.name, 'f32']));
  });

  it('int8 keeps output SQNR ≥ 25 dB on held-out inputs and shrinks the weights ~4×', () => {
    const q = uniform('int8');
    expect(sqnrOf(q).sqnr).toBeGreaterThan(25);
    expect(modelBytes(q)).toBeLessThan(modelBytes(fp32) * 0.3);
  });

  it.each([
    ['fp16', 45, 'f16'], ['bf16', 30, 'bf16'], ['fp8e4m3', 18, 'f8e4m3'], ['int4w', 14, 'i4'],
  ] as const)('%s: output SQNR above %i dB, weights stored as %s', (p, floor, wdtype) => {
    const q = uniform(p);
    const stored = q.constants.map((c) => c.constant!.dtype);
    expect(stored).toContain(wdtype === 'f8e4m3' ? 'f8e4m3' : wdtype);
    const m = sqnrOf(q);
    expect(m.sqnr).toBeGreaterThan(floor);
    if (p === 'int4w') {
      const dq = q.nodes.flatMap((n) => n.body?.nodes ?? []).find((m) => m.op === 'DequantizeLinear' && m.attrs.block_size)!;
      expect(dq.attrs.block_size).toEqual({ kind: 'int', value: 32 });
      // Weight-only: activations between groups stay f32.
      expect(q.nodes.every((n) => n.outputs.every((v) => v.type.dtype === 'f32'))).toBe(true);
    }
  });

  it('mixed precisions convert at each boundary in the consumer', () => {
    // tiny-cnn: Conv+Relu → MaxPool → Conv+Relu → Conv+Add+Relu (also reads the MaxPool) → GAP → Gemm.
    const mix: Precision[] = ['fp16', 'int8', 'int8', 'fp16'];
    const plan = new Map<string, Precision>(groups.map((g, i) => [g.name, mix[i % mix.length]]));
    const q = quantizeGraph(fp32, { precisions: plan, ranges: calib.ranges });
    const narrow = { int8: 'u8', fp16: 'f16' } as Record<string, string>;
    let boundaries = 0;
    for (const n of q.nodes) {
      for (const v of n.outputs) {
        const p = n.quant?.precision;
        const sameReader = v.consumers.some((c) => c.quant?.precision === p);
        expect(v.type.dtype).toBe(p && sameReader ? narrow[p] : 'f32');
        if (v.type.dtype === 'f32') continue;
        // Every reader converts the narrow value first: a DequantizeLinear/Cast in its body (or before it).
        for (const user of v.consumers) {
          const first = user.body ? user.body.nodes.find((m) => m.inputs.some((x) => x?.name === v.name))! : user;
          expect(first.op).toBe(v.type.dtype === 'u8' ? 'DequantizeLinear' : 'Cast');
          boundaries++;
        }
      }
    }
    expect(boundaries).toBeGreaterThan(0);
    expect(sqnrOf(q).sqnr).toBeGreaterThan(25);
  });

  it.each([['mxfp8', 20], ['mxint8', 35], ['mxfp4', 8]] as const)('%s: com.tscc MxDequantize weights, MxQuantizeDequantize activations, SQNR > %i dB', (p, floor) => {
    const q = uniform(p);
    const ops = q.nodes.flatMap((n) => n.body?.nodes ?? []).filter((m) => m.domain === 'com.tscc').map((m) => m.op);
    expect(ops.filter((o) => o === 'MxDequantize').length).toBe(groups.length);
    expect(ops).toContain('MxQuantizeDequantize');
    expect(q.nodes.every((n) => n.outputs.every((v) => v.type.dtype === 'f32'))).toBe(true); // blocks scale at run time: f32 boundaries
    expect(sqnrOf(q).sqnr).toBeGreaterThan(floor);
    expect(modelBytes(q)).toBeLessThan(modelBytes(fp32) * (p === 'mxfp4' ? 0.2 : 0.32));
  });

  it('an fp32 plan changes nothing', () => {
    const q = quantizeGraph(fp32, { precisions: new Map(), ranges: calib.ranges });
    expect(q.nodes.map((n) => n.name)).toEqual(fp32.nodes.map((n) => n.name));
    expect(sqnrOf(q).sqnr).toBe(Infinity);
  });

  it('errors name the group', () => {
    expect(() => quantizeGraph(fp32, { precisions: new Map([['nope', 'int8']]), ranges: calib.ranges })).toThrow(/"nope" is not a quantizable group/);
    expect(() => quantizeGraph(fp32, { precisions: new Map([[groups[0].name, 'int8']]), ranges: new Map() })).toThrow(/no calibrated range/);
  });
});
