// ranges-e2e.ts: the clip graph (u8 QDQ with scale / zero point as graph inputs) reproduces the quantize
// pass's int8 model, and the coordinate descent over clip factors only moves when the judged output
// SQNR rises — checked on the spread conv chain (conv1's channels ~100× apart) on random inputs.
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { rng } from '../../src/runtime/random.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { calibrate } from '../../passes/quantize/calibrate.ts';
import { quantGroups } from '../../passes/quantize/groups.ts';
import { quantizeGraph } from '../../passes/quantize/quantize.ts';
import { clipFeeds, clipGraph, clipRangesByOutput, descendClips } from '../../passes/quantize/ranges-e2e.ts';
import { activationInputs } from '../../passes/quantize/groups.ts';
import { fakeQuantize } from '../../src/quant/weights.ts';
import { metricsOf } from '../../src/quant/sensitivity-metrics.ts';
import { chainConstants, chainGraph, chainSamples } from './spread-chain.ts';

/** g with every quantizable weight rounded to nearest on its int8 per-channel grid (what the quantize pass encodes). */
function roundedWeights(g: Graph): Graph {
  const spec = g.toSpec(), groups = new Map(quantGroups(g).map((q) => [q.weight.name, q]));
  return Graph.build({ ...spec, constants: spec.constants.map((c) => {
    const q = groups.get(c.name);
    return q ? { ...c, constant: new Tensor('f32', c.constant!.shape, fakeQuantize(c.constant!.toF32(), c.constant!.shape, { precision: 'int8', axis: q.axis })) } : c;
  }) });
}

describe('ranges-e2e', () => {
  const g = chainGraph(chainConstants(30, rng(31)));
  const fit = chainSamples(6, 100), judge = chainSamples(6, 200);
  const cal = calibrate(g, fit);
  const int8 = new Map(quantGroups(g).map((q) => [q.name, 'int8' as const]));

  it('the clip graph with rounded weights matches the quantize pass (any ranges)', () => {
    const sites = activationInputs(g);
    expect(sites.sort()).toEqual(['r1', 'r2', 'x']);
    const cg = clipGraph(roundedWeights(g), sites);
    const clipped = new Map([...cal.ranges].map(([k, r]) => [k, k === 'r1' ? { min: r.min * 0.6, max: r.max * 0.6 } : r]));
    for (const ranges of [cal.ranges, clipped]) {
      const q = quantizeGraph(g, { precisions: int8, ranges });
      const feeds = clipFeeds(sites, ranges);
      for (const x of judge.slice(0, 2)) {
        const a = runGraph(q, x).y.data as Float32Array, b = runGraph(cg, { ...x, ...feeds }).y.data as Float32Array;
        const amax = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5 * amax);
      }
    }
  });

  it('descent keeps the start unless a factor beats it, and its ranges reproduce its score', async () => {
    const res = await clipRangesByOutput(g, cal.ranges, judge, { passes: 2 });
    expect(res.sqnr).toBeGreaterThanOrEqual(res.start);
    const refs = judge.map((x) => runGraph(g, x)), cg = clipGraph(g, activationInputs(g));
    const feeds = clipFeeds(activationInputs(g), res.ranges);
    expect(metricsOf(refs, judge.map((x) => runGraph(cg, { ...x, ...feeds }))).sqnr).toBeCloseTo(res.sqnr, 6);
    for (const [s, f] of res.factors) {
      expect(res.ranges.get(s)!.max).toBeCloseTo(cal.ranges.get(s)!.max * f, 6);
      expect(f).not.toBe(1);
    }
  });

  it('coordinate descent finds the best factor per site of a separable score', async () => {
    const base = new Map([['a', { min: 0, max: 1 }], ['b', { min: -1, max: 1 }]]);
    const want = new Map([['a', 0.7], ['b', 1.15]]);
    const score = async (r: ReadonlyMap<string, { min: number; max: number }>) => -[...want].reduce((s, [k, f]) => s + (r.get(k)!.max - f) ** 2, 0);
    const res = await descendClips(['a', 'b'], base, score, { minGain: 0 });
    expect(Object.fromEntries(res.factors)).toEqual({ a: 0.7, b: 1.15 });
    expect(res.ranges.get('b')).toEqual({ min: -1.15, max: 1.15 });
  });
});
