// Post-training fixes for uniform int8 (passes/quantize: equalize.ts, weight-rounding.ts,
// bias-correct.ts, linalg.ts), each checked numerically on a small conv chain with channels of very
// different magnitudes: what each promises (fp32 equivalence, on-grid weights with lower layer
// output error, zero mean error) and that the quantize pass runs the result.
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { randomTensor, rng } from '../../src/runtime/random.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { calibrate } from '../../passes/quantize/calibrate.ts';
import { quantGroups } from '../../passes/quantize/groups.ts';
import { quantizeGraph } from '../../passes/quantize/quantize.ts';
import { equalizeCrossLayer, findPairs } from '../../passes/quantize/equalize.ts';
import { roundInt8Weights, roundWeights } from '../../passes/quantize/weight-rounding.ts';
import { correctBias } from '../../passes/quantize/bias-correct.ts';
import { cholesky, choleskyInverse } from '../../passes/quantize/linalg.ts';
import { fakeQuantize, quantizeWeight } from '../../src/quant/weights.ts';
import { metricsOf } from '../../src/quant/sensitivity-metrics.ts';
import { chainGraph, chainSamples as samples } from './spread-chain.ts';

/** x[1,4,10,10] → Conv 3×3 (8) → Relu → depthwise 3×3 (8) → Relu → Conv 1×1 (6); channel scales spread 100×. */
function chain(seed = 1): Graph {
  const next = rng(seed);
  const spread = (t: Tensor, axis: number) => {
    const d = t.data as Float32Array, s = t.shape, inner = s.slice(axis + 1).reduce((a, b) => a * b, 1);
    const f = Array.from({ length: s[axis] }, () => 10 ** (2 * next() - 1));
    for (let i = 0; i < d.length; i++) d[i] *= f[Math.floor(i / inner) % s[axis]];
    return t;
  };
  const c = (name: string, t: Tensor) => ({ name, type: { dtype: 'f32' as const, shape: t.shape }, constant: t });
  const constants = [
    c('w1', spread(randomTensor('f32', [8, 4, 3, 3], seed + 1), 0)), c('b1', randomTensor('f32', [8], seed + 2, 0, 0.5)),
    c('w2', spread(randomTensor('f32', [8, 1, 3, 3], seed + 3), 0)), c('b2', randomTensor('f32', [8], seed + 4, 0, 0.5)),
    c('w3', spread(randomTensor('f32', [6, 8, 1, 1], seed + 5), 1)), c('b3', randomTensor('f32', [6], seed + 6)),
  ];
  return chainGraph(constants);
}

const int8Plan = (g: Graph) => new Map(quantGroups(g).map((q) => [q.name, 'int8' as const]));

describe('cross-layer equalization', () => {
  it('finds conv→relu→conv pairs, including depthwise→pointwise, and keeps the fp32 output', () => {
    const g = chain();
    expect(findPairs(g).map((p) => `${p.first}>${p.second}`)).toEqual(['conv1>conv2', 'conv2>conv3']);
    const e = equalizeCrossLayer(g);
    const xs = samples(3, 50);
    const m = metricsOf(xs.map((s) => runGraph(g, s)), xs.map((s) => runGraph(e, s)));
    expect(m.sqnr).toBeGreaterThan(100); // equal up to f32 rounding
  });

  it('gives both sides of each pair the same per-channel weight range', () => {
    const e = equalizeCrossLayer(chain());
    const w2 = e.value('w2')!.constant!.toF32(), w3 = e.value('w3')!.constant!.toF32();
    for (let ch = 0; ch < 8; ch++) {
      const r2 = Math.max(...Array.from(w2.subarray(ch * 9, ch * 9 + 9), Math.abs));
      const r3 = Math.max(...Array.from({ length: 6 }, (_, o) => Math.abs(w3[o * 8 + ch])));
      expect(r2 / r3).toBeCloseTo(1, 2);
    }
  });
});

describe('output-aware weight rounding (GPTQ-style)', () => {
  const g = chain();
  const cal = calibrate(g, samples(6, 100));
  const r = roundWeights(g, { precisions: int8Plan(g), activations: cal.activations });

  it('returns weights on the int8 grid of round-to-nearest (same per-channel scales)', () => {
    for (const name of ['w1', 'w2', 'w3']) {
      const w = g.value(name)!.constant!, wr = r.value(name)!.constant!;
      const a = quantizeWeight(w.toF32(), w.shape, { precision: 'int8', axis: 0, symmetric: true });
      const b = quantizeWeight(wr.toF32(), wr.shape, { precision: 'int8', axis: 0, symmetric: true });
      for (let i = 0; i < a.scale!.length; i++) expect(b.scale![i] / a.scale![i]).toBeCloseTo(1, 6);
      const spec = { precision: 'int8' as const, axis: 0, symmetric: true };
      const plusZero = (a: Float32Array) => Array.from(a, (v) => v + 0);
      expect(plusZero(fakeQuantize(wr.toF32(), wr.shape, spec))).toEqual(plusZero(wr.toF32())); // exactly on the grid
      expect(plusZero(wr.toF32())).not.toEqual(plusZero(fakeQuantize(w.toF32(), w.shape, spec))); // not round-to-nearest
    }
  });

  it('lowers each layer output error on inputs not used for calibration', () => {
    const held = samples(4, 900);
    const rne = (gr: Graph) => {
      const s = gr.toSpec();
      return Graph.build({ ...s, constants: s.constants.map((c) => (c.name.startsWith('w') ? { ...c, constant: new Tensor('f32', c.constant!.shape, fakeQuantize(c.constant!.toF32(), c.constant!.shape, { precision: 'int8', axis: 0, symmetric: true })) } : c)) });
    };
    const refs = held.map((x) => runGraph(g, x));
    const nearest = metricsOf(refs, held.map((x) => runGraph(rne(g), x))).sqnr;
    const rounded = metricsOf(refs, held.map((x) => runGraph(r, x))).sqnr;
    expect(rounded).toBeGreaterThan(nearest + 1);
    // and the quantize pass runs it as a plain int8 graph
    const q = quantizeGraph(r, { precisions: int8Plan(r), ranges: cal.extremes });
    expect(metricsOf(refs, held.map((x) => runGraph(q, x))).sqnr).toBeGreaterThan(25);
  });

  it('QuantPlan.int8Weights: the quantize pass encodes exactly those codes for int8 groups', () => {
    const int8Weights = roundInt8Weights(g, cal.activations, 4096, cal.extremes);
    const q = quantizeGraph(g, { precisions: int8Plan(g), ranges: cal.extremes, int8Weights });
    for (const name of ['w1', 'w2', 'w3']) {
      const codes = q.value(`${name}_i8`)!.constant!.toNumbers(), scale = q.value(`${name}_scale`)!.constant!.toF32();
      const want = int8Weights.get(name)!.toF32(), k = want.length / scale.length;
      codes.forEach((c, i) => expect(Math.fround(c * scale[Math.floor(i / k)]) + 0).toBe(want[i] + 0));
    }
    // fp16 groups ignore it (they encode the original weight)
    const h = quantizeGraph(g, { precisions: new Map([...int8Plan(g).keys()].map((n) => [n, 'fp16' as const])), ranges: cal.extremes, int8Weights });
    expect(Array.from(h.value('w1_f16')!.constant!.toNumbers())).toEqual(Array.from(Tensor.fromNumbers('f16', [8, 4, 3, 3], g.value('w1')!.constant!.toF32()).toNumbers()));
  });
});

describe('empirical bias correction', () => {
  it('removes the mean int8 error of each output channel on the calibration set', () => {
    const g = chain(7);
    const xs = samples(6, 300);
    const cal = calibrate(g, xs);
    const plan = int8Plan(g);
    const c = correctBias(g, { precisions: plan, ranges: cal.extremes, activations: cal.activations });
    expect(c.value('b3')!.constant!.toF32()).not.toEqual(g.value('b3')!.constant!.toF32());
    const meanErr = (gr: Graph) => {
      const q = quantizeGraph(gr, { precisions: plan, ranges: cal.extremes });
      const e = new Float64Array(6);
      for (const x of xs) {
        const a = runGraph(g, x).y.toF32(), b = runGraph(q, x).y.toF32();
        for (let i = 0; i < a.length; i++) e[Math.floor(i / 100)] += (b[i] - a[i]) / (100 * xs.length);
      }
      return Math.max(...Array.from(e, Math.abs));
    };
    expect(meanErr(c)).toBeLessThan(meanErr(g) / 2);
  });
});

describe('linalg', () => {
  it('choleskyInverse(cholesky(A)) · A = I', () => {
    const n = 7, next = rng(3), b = Array.from({ length: n * n }, () => next() - 0.5);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let s = i === j ? 0.1 : 0; for (let k = 0; k < n; k++) s += b[i * n + k] * b[j * n + k]; a[i * n + j] = s; }
    const inv = choleskyInverse(cholesky(a, n), n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += inv[i * n + k] * a[k * n + j];
      expect(s).toBeCloseTo(i === j ? 1 : 0, 8);
    }
  });
});

describe('activation ranges chosen by the consumers\' output error', () => {
  it('never does worse than the calibrated range on the consumers it was chosen for', async () => {
    const { downstreamRanges } = await import('../../passes/quantize/ranges-downstream.ts');
    const g = chain(11);
    const cal = calibrate(g, samples(6, 500), 'minmax');
    const d = downstreamRanges(g, cal, 6);
    // Every range is the min/max range or a clipped version of it.
    for (const [k, r] of d.ranges) {
      const m = cal.extremes.get(k)!;
      expect(r.max).toBeLessThanOrEqual(m.max + 1e-6);
      expect(r.min).toBeGreaterThanOrEqual(m.min - 1e-6);
    }
    const plan = int8Plan(g);
    const refs = cal.activations.map((env) => ({ y: env.get('y')! }));
    const sq = (ranges: typeof cal.ranges) => {
      const q = quantizeGraph(g, { precisions: plan, ranges });
      return metricsOf(refs, cal.activations.map((env) => runGraph(q, { x: env.get('x')! }))).sqnr;
    };
    expect(sq(d.ranges)).toBeGreaterThan(sq(cal.ranges) - 0.5);
  });
});
