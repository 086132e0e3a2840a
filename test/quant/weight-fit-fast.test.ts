// The fast paths of the sequential weight fit (session 6) give the results of the straightforward
// computations bit for bit: the chunked / tiled patch moments (moments.ts) vs the per-patch loop,
// the reordered Cholesky and inverse (linalg.ts) vs the textbook loops, and the whole sequential fit
// (weight-fit-graph.ts: quantized graph built once, fitted groups re-encoded alone, bodies run in two
// stages) vs a reference that rebuilds the quantized model after every fit and reruns it from the inputs.
import { describe, expect, it } from 'vitest';
import { Graph, type NodeSpec, type TensorType } from '../../src/ir/graph/graph.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { randomTensor, rng } from '../../src/runtime/random.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { optimizeGraph } from '../../passes/index.ts';
import { type Calibration, calibrate } from '../../passes/quantize/calibrate.ts';
import { quantGroups } from '../../passes/quantize/groups.ts';
import { quantizeGraph, type QuantPlan } from '../../passes/quantize/quantize.ts';
import { convMoments } from '../../passes/quantize/moments.ts';
import { geometry, patch } from '../../passes/quantize/conv-geometry.ts';
import { cholesky, choleskyInverse } from '../../passes/quantize/linalg.ts';
import { type FittedConstants, fitWeights, fittable, type WeightFitOptions } from '../../passes/quantize/weight-fit-graph.ts';
import { fitConv } from '../../passes/quantize/weight-fit.ts';
import { GRID_PRECISIONS, weightGrid } from '../../passes/quantize/weight-grid.ts';
import type { Precision } from '../../src/quant/precision.ts';
import { metricsOf } from '../../src/quant/sensitivity-metrics.ts';
import { chainConstants, chainGraph, chainSamples } from './spread-chain.ts';

const bits = (a: Float64Array | Float32Array): string[] =>
  a instanceof Float64Array ? Array.from(new BigUint64Array(a.buffer, a.byteOffset, a.length), String) : Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length), String);

/** The per-patch loop the tiled moments replace (session 5's convMoments). */
function plainMoments(c: Graph['nodes'][number], wShape: number[], c0: number, cpg: number, xs: Tensor[], xts: Tensor[] | undefined, maxPositions: number, ones: boolean) {
  const n = cpg * wShape[2] * wShape[3], m = ones ? n + 1 : n;
  const h = new Float64Array(m * m), e = xts ? new Float64Array(m * m) : null;
  const p = new Float64Array(m), pt = new Float64Array(m);
  if (ones) { p[n] = 1; pt[n] = 1; }
  let count = 0;
  xs.forEach((x, s) => {
    const gm = geometry(c, x, wShape), d = x.toF32(), dt = xts ? xts[s].toF32() : d;
    const positions = gm.oh * gm.ow, step = Math.max(1, Math.floor(positions / maxPositions));
    for (let b = 0; b < x.shape[0]; b++) {
      for (let pos = 0; pos < positions; pos += step) {
        count++;
        patch(gm, dt, b, c0, cpg, Math.floor(pos / gm.ow), pos % gm.ow, pt);
        for (let r = 0; r < m; r++) { const a = pt[r]; if (a === 0) continue; for (let q = r; q < m; q++) h[r * m + q] += a * pt[q]; }
        if (!e) continue;
        patch(gm, d, b, c0, cpg, Math.floor(pos / gm.ow), pos % gm.ow, p);
        for (let r = 0; r < n; r++) { const a = p[r] - pt[r]; if (a === 0) continue; for (let q = 0; q < m; q++) e[r * m + q] += a * pt[q]; }
      }
    }
  });
  for (let r = 0; r < m; r++) for (let q = 0; q < r; q++) h[r * m + q] = h[q * m + r];
  return { h, e, count };
}

describe('fast moments and linear algebra are bit-identical to the plain loops', () => {
  it.each([
    { name: '3×3 stride 2, pads, groups 2, bias column, position sampling', w: [6, 3, 3, 3], x: [2, 6, 11, 9], attrs: { strides: [2, 2], pads: [1, 0, 1, 2], group: 2 }, maxPositions: 7, ones: true },
    { name: '1×1, 13 channels (not a multiple of the tile)', w: [5, 13, 1, 1], x: [1, 13, 5, 6], attrs: {}, maxPositions: 4096, ones: false },
    { name: '2×3 dilated, 70 patches per image (more than one chunk)', w: [4, 2, 2, 3], x: [1, 2, 12, 14], attrs: { dilations: [2, 1] }, maxPositions: 4096, ones: true },
  ])('convMoments: $name', ({ w, x, attrs, maxPositions, ones }) => {
    const spec: NodeSpec = {
      name: 'c', op: 'Conv', inputs: ['x', 'w'], outputs: ['y'],
      attrs: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, Array.isArray(v) ? { kind: 'ints' as const, value: v } : { kind: 'int' as const, value: v }])),
    };
    const t = (shape: number[]): TensorType => ({ dtype: 'f32', shape });
    const g = Graph.build({ name: 'm', opsets: { '': 17 }, inputs: [{ name: 'x', type: t(x) }], constants: [{ name: 'w', type: t(w), constant: randomTensor('f32', w, 5) }], nodes: [spec], outputs: ['y'], types: new Map([['y', t([1])]]) });
    const c = g.nodes[0];
    // Inputs with exact zeros (the plain loop skipped them) and a perturbed copy as the quantized side.
    const xs = [1, 2].map((s) => new Tensor('f32', x, randomTensor('f32', x, s, -1, 1).toF32().map((v) => (v < -0.3 ? 0 : v))));
    const xts = xs.map((v, s) => new Tensor('f32', x, v.toF32().map((u, i) => (u === 0 ? 0 : u + 0.01 * Math.sin(i + s)))));
    const groups = c.attr.int('group', 1), cpg = w[1];
    for (let k = 0; k < groups; k++) {
      for (const qs of [xts, undefined]) {
        const a = convMoments(c, w, k * cpg, cpg, xs, qs, maxPositions, ones), b = plainMoments(c, w, k * cpg, cpg, xs, qs, maxPositions, ones);
        expect(a.count).toBe(b.count);
        expect(bits(a.h)).toEqual(bits(b.h));
        if (qs) expect(bits(a.e!)).toEqual(bits(b.e!));
        else expect(a.e).toBeNull();
        if (!qs) continue;
        // W E accumulated directly (foldShift) is W times E up to the order of the sums.
        const m = Math.sqrt(b.h.length), rows = [0, 1, 2].map((r) => Float64Array.from({ length: m }, (_, i) => Math.sin(3 * r + i)));
        const f = convMoments(c, w, k * cpg, cpg, xs, qs, maxPositions, ones, rows);
        expect(bits(f.h)).toEqual(bits(b.h));
        rows.forEach((row, r) => {
          for (let j = 0; j < m; j++) {
            let s = 0, mag = 0;
            for (let i = 0; i < m; i++) { s += row[i] * b.e![i * m + j]; mag += Math.abs(row[i] * b.e![i * m + j]); }
            expect(Math.abs(f.we![r][j] - s)).toBeLessThanOrEqual(1e-13 * mag + 1e-300);
          }
        });
      }
    }
  });

  it.each([1, 6, 13, 37])('cholesky and choleskyInverse, n = %i', (n) => {
    const next = rng(n), x = Array.from({ length: n * (n + 3) }, () => next() - 0.5);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n + 3; k++) a[i * n + j] += x[i * (n + 3) + k] * x[j * (n + 3) + k];
    // The textbook loops (session 5).
    const l = new Float64Array(n * n), li = new Float64Array(n * n), inv = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let s = a[i * n + j];
        for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
        l[i * n + j] = i === j ? Math.sqrt(s) : s / l[j * n + j];
      }
    }
    for (let i = 0; i < n; i++) {
      li[i * n + i] = 1 / l[i * n + i];
      for (let j = 0; j < i; j++) {
        let s = 0;
        for (let k = j; k < i; k++) s -= l[i * n + k] * li[k * n + j];
        li[i * n + j] = s / l[i * n + i];
      }
    }
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += li[k * n + i] * li[k * n + j];
      inv[i * n + j] = inv[j * n + i] = s;
    }
    const fl = cholesky(a, n), finv = choleskyInverse(fl, n);
    expect(bits(fl)).toEqual(bits(l));
    expect(bits(finv)).toEqual(bits(inv));
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k] * finv[k * n + j];
      expect(Math.abs(s - (i === j ? 1 : 0))).toBeLessThan(1e-9);
    }
    a[0] = -1;
    expect(() => cholesky(a, n)).toThrow(/not positive definite at 0/);
  });
});

/**
 * The sequential fit the straightforward way: for each fitted group in order, rebuild the quantized
 * model with the fits so far, run it from the calibration inputs, run the group's body to capture its
 * conv's input, and fit.
 */
function referenceFit(g: Graph, cal: Calibration, plan: QuantPlan, opts: WeightFitOptions): FittedConstants {
  const fitted: FittedConstants = new Map();
  for (const q of quantGroups(g).filter((x) => GRID_PRECISIONS.has(plan.precisions.get(x.name) ?? 'fp32') && fittable(g, x))) {
    const qg = quantizeGraph(g, { ...plan, fitted });
    const n = qg.nodes.find((x) => x.outputs[0].name === q.node.outputs[0].name)!;
    const member = n.body!.nodes.find((m) => m.name === q.compute.name)!, x = member.input(0)!.name;
    const xts = cal.activations.map((env) => {
      const all = new Map<string, Tensor>(qg.inputs.map((v) => [v.name, env.get(v.name)!]));
      runGraph(qg, Object.fromEntries(all), { onNode: (m, outs) => m.outputs.forEach((v, k) => all.set(v.name, outs[k])) });
      const feeds = Object.fromEntries(n.body!.inputs.map((v, k) => [v.name, all.get(n.inputs[k]!.name) ?? n.inputs[k]!.constant!]));
      let got = feeds[x];
      runGraph(n.body!, feeds, { onNode: (m, outs) => m.outputs.forEach((v, k) => { if (v.name === x) got = outs[k]; }) });
      return got;
    });
    const xs = cal.activations.map((env) => env.get(q.compute.input(0)!.name)!);
    const p = plan.precisions.get(q.name)!, w = q.weight.constant!, b = q.compute.input(2);
    const grid = weightGrid(p, w.toF32(), w.shape, { axis: q.axis, reduceAxis: q.reduceAxis, groupSize: plan.groupSize })!;
    const r = fitConv(q.compute, w, b ? g.value(b.name)!.constant! : undefined, grid, xs, xts, { ...opts, inputNoise: opts.inputNoise ?? 0 });
    if (!fitted.has(p)) fitted.set(p, new Map());
    fitted.get(p)!.set(q.weight.name, new Tensor('f32', w.shape, r.weight));
    if (r.bias && b) fitted.get(p)!.set(b.name, new Tensor('f32', [r.bias.length], r.bias));
  }
  return fitted;
}

function expectSameFit(a: FittedConstants, b: FittedConstants): void {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [p, m] of b) {
    expect([...a.get(p)!.keys()].sort(), p).toEqual([...m.keys()].sort());
    for (const [k, t] of m) expect(bits(a.get(p)!.get(k)!.toF32()), `${p} ${k}`).toEqual(bits(t.toF32()));
  }
}

describe('the sequential fit equals the rebuild-and-rerun reference bit for bit', () => {
  const g = optimizeGraph(chainGraph(chainConstants(1, rng(1))));
  const cal = calibrate(g, chainSamples(6, 100));
  const names = quantGroups(g).map((q) => q.name);
  const planOf = (ps: Precision[]): QuantPlan => ({ precisions: new Map(names.map((n, i) => [n, ps[i % ps.length]])), ranges: cal.ranges, extremes: cal.extremes, groupSize: 4 });

  it.each([
    ['int8', false], ['int8', true], ['int4w', false], ['fp16', true], ['bf16', false], ['bf16', true],
  ] as const)('uniform %s, bias refit %s', (p, bias) => {
    const plan = planOf([p]);
    expectSameFit(fitWeights(g, cal, plan, { bias }), referenceFit(g, cal, plan, { bias }));
  });

  it.each(['int8', 'int4w', 'bf16'] as const)('%s: W E accumulated directly (foldShift) fits as the full E does (end to end within 0.01 dB)', (p) => {
    const plan = planOf([p]), held = chainSamples(4, 900), refs = held.map((x) => runGraph(g, x));
    const [a, b] = [true, false].map((foldShift) => fitWeights(g, cal, plan, { bias: p === 'bf16', foldShift }));
    let same = 0, total = 0;
    for (const [k, t] of b.get(p)!) {
      const x = a.get(p)!.get(k)!.toF32(), y = t.toF32();
      y.forEach((v, i) => { total++; if (Object.is(v, x[i])) same++; });
    }
    expect(same / total).toBeGreaterThan(0.99);
    const sq = (f: FittedConstants) => metricsOf(refs, held.map((x) => runGraph(quantizeGraph(g, { ...plan, fitted: f }), x))).sqnr;
    expect(Math.abs(sq(a) - sq(b))).toBeLessThan(0.01);
  });

  it('bf16 boundaries stored with per-channel offsets (QuantPlan.floatOffsets: Sub/Add around the casts)', () => {
    // Offsets on the input and every group output another group reads (bf16-exact values).
    const values = ['x', ...g.nodes.map((n) => n.outputs[0]).filter((v) => v.consumers.length > 0).map((v) => v.name)];
    const floatOffsets = new Map(values.map((v) => [v, Float32Array.from({ length: Number(g.value(v)!.type.shape[1]) }, (_, c) => 0.25 * (c + 1))]));
    const extra = { floatOffsets }, plan: QuantPlan = { ...planOf(['bf16']), ...extra };
    expect(quantizeGraph(g, plan).nodes.some((n) => n.body?.nodes.some((m) => m.op === 'Sub'))).toBe(true);
    expectSameFit(fitWeights(g, cal, plan, { bias: true }), referenceFit(g, cal, plan, { bias: true }));
  });

  it('mixed precisions (int8 → bf16 → fp16 boundaries) and an unfitted fp32 group in between', () => {
    for (const ps of [['int8', 'bf16', 'fp16'], ['bf16', 'fp32', 'int8']] as Precision[][]) {
      const plan = planOf(ps);
      expectSameFit(fitWeights(g, cal, plan, { bias: true, maxPositions: 50 }), referenceFit(g, cal, plan, { bias: true, maxPositions: 50 }));
    }
  });
});
