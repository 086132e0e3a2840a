// Channel smoothing through per-channel affines and conv→conv pairs (passes/quantize/smooth.ts):
// which chains qualify, fp32 equivalence, the scales it picks, and the int8 accuracy it buys on a
// chain shaped like PP-LCNetV3's blocks (conv → Mul(a) → Add(b) → depthwise conv → … → conv).
import { describe, expect, it } from 'vitest';
import { Graph, type NodeSpec, type TensorType } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { chainConstants, chainSamples as samples, constant } from './spread-chain.ts';
import { randomTensor, rng } from '../../src/runtime/random.ts';
import { runGraph, type TensorMap } from '../../src/runtime/interpreter.ts';
import { calibrate } from '../../passes/quantize/calibrate.ts';
import { quantGroups } from '../../passes/quantize/groups.ts';
import { quantizeGraph } from '../../passes/quantize/quantize.ts';
import { ALPHAS, findSmoothSites, smoothChannels } from '../../passes/quantize/smooth.ts';
import { metricsOf } from '../../src/quant/sensitivity-metrics.ts';
import { quantizeFused } from '../../src/quant/search-run.ts';

const ints = (v: number[]) => ({ kind: 'ints' as const, value: v });
const scalar = (v: number) => new Tensor('f32', [], Float32Array.of(v));

/**
 * x[1,4,10,10] → conv1 3×3 (8, channels spread 100×) → Mul(0.7) → Add(0.1) → depthwise 3×3 → Relu →
 * Mul(1.3) → Add(−0.2) → conv3 1×1 (6) → conv4 1×1 (5). `extraReader`: the Add output is also a graph output.
 */
function chain(extraReader = false, seed = 1): Graph {
  const next = rng(seed);
  const constants = [
    ...chainConstants(seed, next),
    constant('w4', randomTensor('f32', [5, 6, 1, 1], seed + 7)),
    constant('a1', scalar(0.7)), constant('c1', scalar(0.1)), constant('a2', scalar(1.3)), constant('c2', scalar(-0.2)),
  ];
  const pads = { pads: ints([1, 1, 1, 1]) };
  const nodes: NodeSpec[] = [
    { name: 'conv1', op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['y1'], attrs: pads },
    { name: 'mul1', op: 'Mul', inputs: ['y1', 'a1'], outputs: ['m1'] },
    { name: 'add1', op: 'Add', inputs: ['m1', 'c1'], outputs: ['s1'] },
    { name: 'conv2', op: 'Conv', inputs: ['s1', 'w2', 'b2'], outputs: ['y2'], attrs: { ...pads, group: { kind: 'int', value: 8 } } },
    { name: 'relu2', op: 'Relu', inputs: ['y2'], outputs: ['r2'] },
    { name: 'mul2', op: 'Mul', inputs: ['a2', 'r2'], outputs: ['m2'] },
    { name: 'add2', op: 'Add', inputs: ['m2', 'c2'], outputs: ['s2'] },
    { name: 'conv3', op: 'Conv', inputs: ['s2', 'w3', 'b3'], outputs: ['y3'] },
    { name: 'conv4', op: 'Conv', inputs: ['y3', 'w4'], outputs: ['y'] },
  ];
  const t = (shape: number[]): TensorType => ({ dtype: 'f32', shape });
  const types = new Map(['y1', 'm1', 's1', 'y2', 'r2', 'm2', 's2'].map((v) => [v, t([1, 8, 10, 10])]));
  types.set('y3', t([1, 6, 10, 10]));
  types.set('y', t([1, 5, 10, 10]));
  const outputs = extraReader ? ['y', 's1'] : ['y'];
  return Graph.build({ name: 'chain', opsets: { '': 17 }, inputs: [{ name: 'x', type: t([1, 4, 10, 10]) }], constants, nodes, outputs, types });
}

const int8Plan = (g: Graph) => new Map(quantGroups(g).map((q) => [q.name, 'int8' as const]));
const channelAbsMax = (g: Graph, name: string, xs: TensorMap[]) => {
  const out = new Array<number>(8).fill(0);
  for (const env of calibrate(g, xs).activations) {
    const d = env.get(name)!.data as Float32Array;
    for (let i = 0; i < d.length; i++) out[Math.floor(i / 100) % 8] = Math.max(out[Math.floor(i / 100) % 8], Math.abs(d[i]));
  }
  return out;
};

describe('channel smoothing', () => {
  it('finds Mul→Add→conv chains and conv→conv pairs whose values have one reader', () => {
    expect(findSmoothSites(chain()).map((s) => [s.group, s.mul ?? s.producer?.weight, s.adds.join(), s.depthwise])).toEqual([
      ['conv2', 'mul1', 'add1', true], ['conv3', 'mul2', 'add2', false], ['conv4', 'w3', '', false],
    ]);
    // s1 is also a graph output: rescaling it would change what that reader sees.
    expect(findSmoothSites(chain(true)).map((s) => s.group)).toEqual(['conv3', 'conv4']);
  });

  it('keeps the fp32 output, evens out the depthwise input, and uses sqrt(amax/wmax) at alpha 0.5', () => {
    const g = chain(), xs = samples(8, 10), cal = calibrate(g, xs);
    const sm = smoothChannels(g, cal.activations, { alpha: 0.5 });
    const m = metricsOf(xs.map((s) => runGraph(g, s)), xs.map((s) => runGraph(sm, s)));
    expect(m.sqnr).toBeGreaterThan(100); // equal up to f32 rounding
    // Depthwise consumer (alpha 1): every channel of its input now has max |x| = 1 on the calibration set.
    for (const a of channelAbsMax(sm, 's1', xs)) expect(a).toBeCloseTo(1, 5);
    // Dense consumer: w3'[o, c] = w3[o, c] · s_c / s'_o with s_c = sqrt(amax_c / max_o |w3[o, c]|) (and
    // s'_o conv4's scale for conv3's output channel o, conv3 being its producer): across a row, s_c / s_0.
    const amax = channelAbsMax(g, 's2', xs), w = g.value('w3')!.constant!.toF32(), w2 = sm.value('w3')!.constant!.toF32();
    const sc = Array.from({ length: 8 }, (_, c) => {
      let wmax = 0;
      for (let o = 0; o < 6; o++) wmax = Math.max(wmax, Math.abs(w[o * 8 + c]));
      return Math.sqrt(amax[c] / wmax);
    });
    for (let o = 0; o < 6; o++) for (let c = 1; c < 8; c++) {
      expect(w2[o * 8 + c] / w[o * 8 + c] / (w2[o * 8] / w[o * 8])).toBeCloseTo(sc[c] / sc[0], 4);
    }
    // The affine constants became per channel.
    expect(sm.value(sm.nodes.find((n) => n.name === 'mul1')!.inputs[1]!.name)!.type.shape).toEqual([1, 8, 1, 1]);
    // dense: false smooths into the depthwise conv only.
    const dw = smoothChannels(g, cal.activations, { dense: false });
    expect(dw.value('w3')!.constant!.toF32()).toEqual(w);
    expect(dw.value('w2')!.constant!.toF32()).not.toEqual(g.value('w2')!.constant!.toF32());
    expect(metricsOf(xs.map((s) => runGraph(g, s)), xs.map((s) => runGraph(dw, s))).sqnr).toBeGreaterThan(100);
  });

  it('raises held-out uniform-int8 SQNR on channels 100× apart (per-tensor activations kept)', () => {
    const g = chain(), cal = calibrate(g, samples(16, 10)), held = samples(8, 500);
    const refs = held.map((s) => runGraph(g, s));
    const int8 = (m: Graph) => {
      const c = calibrate(m, samples(16, 10));
      const q = quantizeGraph(m, { precisions: int8Plan(m), ranges: c.ranges });
      for (const n of q.nodes) for (const b of n.body?.nodes ?? []) if (b.op === 'QuantizeLinear') expect(b.input(1)!.type.shape).toEqual([]);
      return metricsOf(refs, held.map((s) => runGraph(q, s))).sqnr;
    };
    const before = int8(g), after = int8(smoothChannels(g, cal.activations));
    expect(after).toBeGreaterThan(before + 3);
  });

  it("select: 'measured' picks dense α by the conv's measured int8 error, fp32-exact, and helps int8", () => {
    const g = chain(), xs = samples(16, 10), cal = calibrate(g, xs), held = samples(8, 500);
    const picks = new Map<string, number>();
    const sm = smoothChannels(g, cal.activations, { select: 'measured', onSite: (s, a) => picks.set(s.group, a) });
    expect(metricsOf(xs.map((s) => runGraph(g, s)), xs.map((s) => runGraph(sm, s))).sqnr).toBeGreaterThan(100);
    expect(picks.get('conv2')).toBe(1); // depthwise: always 1
    for (const k of ['conv3', 'conv4']) expect(ALPHAS).toContain(picks.get(k));
    const refs = held.map((s) => runGraph(g, s));
    const int8 = (m: Graph) => {
      const c = calibrate(m, xs);
      return metricsOf(refs, held.map((s) => runGraph(quantizeGraph(m, { precisions: int8Plan(m), ranges: c.ranges }), s))).sqnr;
    };
    expect(int8(sm)).toBeGreaterThan(int8(g) + 3);
  });

  it('smooths a value read by several convs (depthwise and dense) into all of them, fp32-exact', () => {
    // conv1 → Mul → Add → s1, read by the depthwise conv2 and by the dense 1×1 conv3 (the det neck's pattern).
    const next = rng(3), t = (shape: number[]): TensorType => ({ dtype: 'f32', shape });
    const g = Graph.build({
      name: 'fork', opsets: { '': 17 }, inputs: [{ name: 'x', type: t([1, 4, 10, 10]) }],
      constants: [...chainConstants(3, next), constant('a1', scalar(0.7)), constant('c1', scalar(0.1))],
      nodes: [
        { name: 'conv1', op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['y1'], attrs: { pads: ints([1, 1, 1, 1]) } },
        { name: 'mul1', op: 'Mul', inputs: ['y1', 'a1'], outputs: ['m1'] },
        { name: 'add1', op: 'Add', inputs: ['m1', 'c1'], outputs: ['s1'] },
        { name: 'conv2', op: 'Conv', inputs: ['s1', 'w2', 'b2'], outputs: ['y2'], attrs: { pads: ints([1, 1, 1, 1]), group: { kind: 'int', value: 8 } } },
        { name: 'conv3', op: 'Conv', inputs: ['s1', 'w3', 'b3'], outputs: ['y3'] },
      ],
      outputs: ['y2', 'y3'], types: new Map([...['y1', 'm1', 's1', 'y2'].map((v) => [v, t([1, 8, 10, 10])] as const), ['y3', t([1, 6, 10, 10])]]),
    });
    const [site] = findSmoothSites(g);
    expect([site.group, site.mul, site.depthwise, site.also]).toEqual(['conv2', 'mul1', false, [{ group: 'conv3', weight: 'w3', depthwise: false }]]);
    const xs = samples(8, 10), sm = smoothChannels(g, calibrate(g, xs).activations);
    expect(sm.value('w2')!.constant!.toF32()).not.toEqual(g.value('w2')!.constant!.toF32());
    expect(sm.value('w3')!.constant!.toF32()).not.toEqual(g.value('w3')!.constant!.toF32());
    expect(metricsOf(xs.map((s) => runGraph(g, s)), xs.map((s) => runGraph(sm, s))).sqnr).toBeGreaterThan(100);
    expect(findSmoothSites(g).filter((x) => x.depthwise)).toEqual([]); // a dense reader: not a depthwise-only site
  });

  it('the driver option smooths into the depthwise conv only and reports it', async () => {
    const g = chain(), out = await quantizeFused(g, { precision: 'int8', calibMethod: 'minmax', smooth: true, int8Flow: false });
    expect((out.report.calibration as { smoothedSites: number }).smoothedSites).toBe(1);
    const mulConst = (q: Graph) => q.nodes.find((n) => n.name === 'mul1')!.inputs[1]!.type.shape;
    expect(mulConst(out.graph)).toEqual([1, 8, 1, 1]); // the affine went per channel; conv3 (dense) was left alone
    const held = samples(4, 900);
    expect(metricsOf(held.map((s) => runGraph(g, s)), held.map((s) => runGraph(out.graph, s))).sqnr).toBeGreaterThan(20);
    const plain = await quantizeFused(g, { precision: 'int8', calibMethod: 'minmax', int8Flow: false });
    expect((plain.report.calibration as Record<string, unknown>).smoothedSites).toBeUndefined();
    expect(mulConst(plain.graph)).toEqual([]);
  });

  it("the driver's int8 flow (int8Flow) measures depthwise-only vs all-site smoothing, the weight fit runs after it, and reports it", async () => {
    const g = chain(), held = samples(8, 900), refs = held.map((s) => runGraph(g, s));
    const sqnr = (q: Graph) => metricsOf(refs, held.map((s) => runGraph(q, s))).sqnr;
    const flow = await quantizeFused(g, { precision: 'int8', int8Flow: true }), plain = await quantizeFused(g, { precision: 'int8' });
    const r = flow.report.int8Flow as { smoothing: string; smoothedSites: number; measured: Record<string, number>; roundedWeights: number };
    expect(Object.keys(r.measured).sort()).toEqual(['all', 'depthwise']);
    expect(r.smoothing).toBe(r.measured.all > r.measured.depthwise ? 'all' : 'depthwise');
    expect([r.smoothedSites, r.roundedWeights]).toEqual(r.smoothing === 'all' ? [3, 0] : [1, 0]); // the driver's weight fit rounds (session 6)
    expect((flow.report.weightFit as { convs: number }).convs).toBe(4);
    expect(plain.report.int8Flow).toBe('plain');
    expect(sqnr(flow.graph)).toBeGreaterThan(sqnr(plain.graph) + 3);
    // Other precisions are untouched by it.
    expect((await quantizeFused(g, { precision: 'fp16', int8Flow: true })).report.int8Flow).toBeUndefined();
  });
});
