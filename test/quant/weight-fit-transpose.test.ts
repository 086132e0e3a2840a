// Error-compensating rounding of non-overlapping ConvTransposes (passes/quantize/weight-fit-transpose.ts):
// the rows are those of the equivalent pointwise conv, the fitted weights lie on the grid and beat round
// to nearest on the layer's own output, the bias held by the Add after an unfused ConvTranspose is
// refitted and reaches the quantized graph (onnxruntime runs it as the reference runtime does), and
// int8 keeps round to nearest unless asked.
import { describe, expect, it } from 'vitest';
import { Graph, type NodeSpec, type TensorType } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { runOrt } from '../../src/driver/ort.ts';
import { compareTensors } from '../../src/runtime/compare.ts';
import { optimizeGraph } from '../../passes/index.ts';
import { calibrate } from '../../passes/quantize/calibrate.ts';
import { activationInputs, quantGroups } from '../../passes/quantize/groups.ts';
import { quantizeGraph, type QuantPlan } from '../../passes/quantize/quantize.ts';
import { toOnnxBytes } from '../../passes/quantize/export.ts';
import { floatOffsets } from '../../passes/quantize/float-offsets.ts';
import { fitWeights } from '../../passes/quantize/weight-fit-graph.ts';
import { fitConv } from '../../passes/quantize/weight-fit.ts';
import { fitConvTranspose, transposeBias } from '../../passes/quantize/weight-fit-transpose.ts';
import { weightGrid } from '../../passes/quantize/weight-grid.ts';
import { metricsOf } from '../../src/quant/sensitivity-metrics.ts';
import { fakeQuantize } from '../../src/quant/weights.ts';
import type { Precision } from '../../src/quant/precision.ts';
import { loadTarget } from '../../src/driver/registry.ts';

const t = (shape: number[]): TensorType => ({ dtype: 'f32', shape });
const ints = (value: number[]) => ({ kind: 'ints' as const, value });
const up = { kernel_shape: ints([2, 2]), strides: ints([2, 2]), pads: ints([0, 0, 0, 0]) };

/**
 * PP-OCR det's head in small: conv 3×3 (8→8) → Relu → ConvTranspose 2×2/2 (8→16) → Add bias → Relu →
 * ConvTranspose 2×2/2 (16→1) → Add bias → Sigmoid; the NPU fusion leaves the ConvTransposes unfused.
 */
async function head(): Promise<Graph> {
  const c = (name: string, shape: number[], seed: number, lo = -1, hi = 1) => ({ name, type: t(shape), constant: randomTensor('f32', shape, seed, lo, hi) });
  const nodes: NodeSpec[] = [
    { name: 'conv', op: 'Conv', inputs: ['x', 'w0', 'b0'], outputs: ['y0'], attrs: { pads: ints([1, 1, 1, 1]) } },
    { name: 'relu0', op: 'Relu', inputs: ['y0'], outputs: ['r0'] },
    { name: 'ct1', op: 'ConvTranspose', inputs: ['r0', 'w1'], outputs: ['u1'], attrs: up },
    { name: 'add1', op: 'Add', inputs: ['u1', 'b1'], outputs: ['v1'] },
    { name: 'relu1', op: 'Relu', inputs: ['v1'], outputs: ['r1'] },
    { name: 'ct2', op: 'ConvTranspose', inputs: ['r1', 'w2'], outputs: ['u2'], attrs: up },
    { name: 'add2', op: 'Add', inputs: ['u2', 'b2'], outputs: ['v2'] },
    { name: 'sig', op: 'Sigmoid', inputs: ['v2'], outputs: ['y'] },
  ];
  const constants = [c('w0', [8, 8, 3, 3], 1, -0.4, 0.4), c('b0', [8], 2, 0, 0.5), c('w1', [8, 16, 2, 2], 3, -0.5, 0.5), c('b1', [1, 16, 1, 1], 4, 0, 0.5),
    c('w2', [16, 1, 2, 2], 5, -0.5, 0.5), c('b2', [1, 1, 1, 1], 6)];
  const types = new Map([['y0', t([1, 8, 6, 6])], ['r0', t([1, 8, 6, 6])], ['u1', t([1, 16, 12, 12])], ['v1', t([1, 16, 12, 12])], ['r1', t([1, 16, 12, 12])],
    ['u2', t([1, 1, 24, 24])], ['v2', t([1, 1, 24, 24])], ['y', t([1, 1, 24, 24])]]);
  const g = Graph.build({ name: 'head', opsets: { '': 17 }, inputs: [{ name: 'x', type: t([1, 8, 6, 6]) }], constants, nodes, outputs: ['y'], types });
  return optimizeGraph(g, { target: await loadTarget('npu') });
}

/** Inputs far from zero on some channels (as det's feature maps), so offsets and rounding matter. */
const samples = (n: number, seed: number) => Array.from({ length: n }, (_, i) => ({ x: randomTensor('f32', [1, 8, 6, 6], seed + i, 0.5, 3) }));

describe('ConvTranspose weight fit (non-overlapping taps)', async () => {
  const g = await head();
  const cal = calibrate(g, samples(32, 10));
  const transposes = quantGroups(g).filter((q) => q.compute.op === 'ConvTranspose');
  const planOf = (p: Precision, offsets = false): QuantPlan => ({
    precisions: new Map(quantGroups(g).map((q) => [q.name, p])), ranges: cal.ranges, extremes: cal.extremes,
    floatOffsets: offsets ? floatOffsets(g, cal.activations, activationInputs(g), { minGainDb: 0 }) : undefined,
  });

  it('finds both ConvTransposes unfused, with their biases in the Add after them', () => {
    expect(transposes.map((q) => q.node.op)).toEqual(['ConvTranspose', 'ConvTranspose']);
    expect(transposes.map((q) => transposeBias(g, q)?.name)).toEqual(['b1', 'b2']);
  });

  it('fits each (m, tap) row as the equivalent pointwise conv does', () => {
    const q = transposes[0], w = q.weight.constant!, [cin, m, kh, kw] = w.shape, taps = kh * kw;
    const xs = cal.activations.map((env) => env.get(q.compute.input(0)!.name)!);
    const xts = xs.map((x) => new Tensor('f32', x.shape, fakeQuantize(x.toF32(), x.shape, { precision: 'bf16', symmetric: true })));
    // The pointwise conv: weight [m·taps, cin, 1, 1], row (o, t) = W[:, o, t].
    const pw = new Float32Array(w.size), src = w.toF32();
    for (let o = 0; o < m; o++) for (let k = 0; k < taps; k++) for (let j = 0; j < cin; j++) pw[((o * taps + k) * cin) + j] = src[(j * m + o) * taps + k];
    const pwT = new Tensor('f32', [m * taps, cin, 1, 1], pw);
    const conv = Graph.build({
      name: 'pw', opsets: { '': 17 }, inputs: [{ name: 'x', type: q.compute.input(0)!.type }], constants: [{ name: 'w', type: t([...pwT.shape]), constant: pwT }],
      nodes: [{ name: 'c', op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] }], outputs: ['y'], types: new Map([['y', t([1, m * taps, 6, 6])]]),
    }).nodes[0];
    const grid = (x: Tensor) => weightGrid('bf16', x.toF32(), x.shape, { axis: 0, reduceAxis: 1 })!;
    const a = fitConvTranspose(q.compute, w, undefined, grid(w), xs, xts).weight;
    const b = fitConv(conv, pwT, undefined, grid(pwT), xs, xts).weight;
    for (let o = 0; o < m; o++) for (let k = 0; k < taps; k++) for (let j = 0; j < cin; j++) expect(a[(j * m + o) * taps + k]).toBe(b[((o * taps + k) * cin) + j]);
    expect(Array.from(a)).not.toEqual(Array.from(fakeQuantize(src, w.shape, { precision: 'bf16', symmetric: true }))); // not round to nearest
  });

  it('bf16: fitted weights on the grid, biases refitted under the Add constants, lower output error than round to nearest', async () => {
    const plan = planOf('bf16', true), fitted = fitWeights(g, cal, plan, { bias: true }).get('bf16')!;
    for (const q of transposes) {
      const w = fitted.get(q.weight.name)!;
      expect(Array.from(new Uint32Array(w.toF32().buffer)).every((bits) => (bits & 0xffff) === 0)).toBe(true);
      expect(fitted.get(transposeBias(g, q)!.name)?.shape).toEqual(transposeBias(g, q)!.type.shape);
    }
    const q = quantizeGraph(g, { ...plan, fitted: new Map([['bf16', fitted]]) });
    expect(q.value('b1_fit')?.constant?.toF32()).toEqual(fitted.get('b1')!.toF32());
    expect(q.value('b2_fit')?.constant?.toF32()).toEqual(fitted.get('b2')!.toF32());
    const held = samples(16, 500);
    const sqnr = (qg: Graph) => metricsOf(held.map((s) => runGraph(g, s)), held.map((s) => runGraph(qg, s))).sqnr;
    const without = fitWeights(g, cal, plan, { bias: true, convTranspose: false });
    const rtn = sqnr(quantizeGraph(g, plan)), convsOnly = sqnr(quantizeGraph(g, { ...plan, fitted: without })), all = sqnr(q);
    expect(all, `rtn ${rtn.toFixed(2)}, convs only ${convsOnly.toFixed(2)}, + transposes ${all.toFixed(2)} dB`).toBeGreaterThan(convsOnly + 0.3);
    // onnxruntime runs the quantized graph with the refitted Add constants as the reference runtime does.
    const s = held[0], ours = runGraph(q, s), ref = await runOrt(toOnnxBytes(q), s, { optimization: 'disabled' });
    for (const [k, r] of Object.entries(ref)) {
      const d = compareTensors(k, ours[k], r, 1e-4);
      expect(d.ok, `${k}: max|a-b| ${d.maxAbs} of ${d.maxRef}`).toBe(true);
    }
  });

  it.each(['bf16', 'int8'] as const)('%s, fp32-input target: each ConvTranspose\'s output error on its calibration inputs is below round to nearest\'s', (p) => {
    for (const q of transposes) {
      const w = q.weight.constant!, spec = { precision: p, axis: q.axis, symmetric: true };
      const xs = cal.activations.map((env) => env.get(q.compute.input(0)!.name)!);
      const fit = fitConvTranspose(q.compute, w, undefined, weightGrid(p, w.toF32(), w.shape, { axis: q.axis, reduceAxis: q.reduceAxis })!, xs);
      const ct = (wt: Tensor) => Graph.build({
        name: 'ct', opsets: { '': 17 }, inputs: [{ name: 'x', type: q.compute.input(0)!.type }], constants: [{ name: 'w', type: t([...w.shape]), constant: wt }],
        nodes: [{ ...q.compute.toSpec(), inputs: ['x', 'w'], outputs: ['y'] }], outputs: ['y'], types: new Map([['y', q.compute.outputs[0].type]]),
      });
      const run = (wt: Tensor) => xs.map((x) => runGraph(ct(wt), { x }));
      const ref = run(w), err = (wt: Tensor) => metricsOf(ref, run(wt)).sqnr;
      const rtn = err(new Tensor('f32', w.shape, fakeQuantize(w.toF32(), w.shape, spec))), fitted = err(new Tensor('f32', w.shape, fit.weight));
      expect(fitted, `${q.name}: round to nearest ${rtn.toFixed(2)}, fitted ${fitted.toFixed(2)} dB`).toBeGreaterThan(rtn);
    }
  });

  it('int8 fits ConvTransposes only when asked (convTranspose: true), on the int8 grid', () => {
    const plan = planOf('int8');
    const off = fitWeights(g, cal, plan).get('int8')!, on = fitWeights(g, cal, plan, { convTranspose: true }).get('int8')!;
    for (const q of transposes) {
      expect(off.has(q.weight.name)).toBe(false);
      const w = on.get(q.weight.name)!, spec = { precision: 'int8' as const, axis: q.axis, symmetric: true };
      expect(Array.from(fakeQuantize(w.toF32(), w.shape, spec), (v) => v + 0)).toEqual(Array.from(w.toF32(), (v) => v + 0));
    }
  });
});
