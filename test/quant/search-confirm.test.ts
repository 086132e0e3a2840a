// auto's held-out safeguards (src/quant/search-confirm.ts, search-screen.ts, search-split.ts): the
// stratified screening of a verification pool, weighted metrics, the confirm-only split and the
// search's back-off when the chosen plan misses there.
import { describe, expect, it } from 'vitest';
import { loadOnnxFile } from '../../src/frontend/onnx/import.ts';
import { optimizeGraph } from '../../passes/index.ts';
import { calibrate } from '../../passes/quantize/calibrate.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { runGraph, type TensorMap } from '../../src/runtime/interpreter.ts';
import { generatedCalib } from '../../src/quant/calib-data.ts';
import { Analyzer } from '../../src/quant/sensitivity.ts';
import { metricsOf } from '../../src/quant/sensitivity-metrics.ts';
import { samplePowers } from '../../src/quant/search-margin.ts';
import { stratify } from '../../src/quant/search-screen.ts';
import { defaultConfirmCount, prepareSearch, splitSamples, streamingEvaluator } from '../../src/quant/search-split.ts';
import { searchConfirmed } from '../../src/quant/search-confirm.ts';
import { quantizeFused } from '../../src/quant/search-run.ts';
import { quantizeOptions } from '../../src/cli/options.ts';

const g = optimizeGraph(loadOnnxFile('models/tiny-cnn.onnx').graph);
const x = g.inputs[0].name;
const scaled = (s: TensorMap, k: number): TensorMap => ({ [x]: new Tensor('f32', [...s[x].shape], s[x].toF32().map((v) => v * k)) });

describe('stratified screening', () => {
  it('keeps the noisiest samples whole and weights a random rest to stand for the pool', () => {
    // 100 samples: 3 loud ones carry almost all the noise.
    const noise = Array.from({ length: 100 }, (_, i) => (i === 7 ? 50 : i === 42 ? 30 : i === 90 ? 15 : 0.01 * (1 + (i % 5))));
    const s = stratify(noise, { keep: 20 });
    expect(s.index.length).toBe(20);
    expect(s.heavy).toBe(3);
    for (const i of [7, 42, 90]) expect(s.weights[s.index.indexOf(i)]).toBe(1);
    expect(s.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 9);
    expect(s.heavyShare).toBeGreaterThan(0.9);
    // Unbiased for the pool's total noise over seeds; the heavy samples make it tight.
    const total = noise.reduce((a, b) => a + b, 0);
    const est = Array.from({ length: 200 }, (_, seed) => {
      const t = stratify(noise, { keep: 20, seed: seed + 1 });
      return t.index.reduce((a, i, k) => a + noise[i] * t.weights[k], 0);
    });
    const mean = est.reduce((a, b) => a + b, 0) / est.length;
    expect(Math.abs(mean - total) / total).toBeLessThan(0.005);
    expect(Math.max(...est.map((e) => Math.abs(e - total) / total))).toBeLessThan(0.02);
    // Nothing to screen: every sample, weight 1. The heavy stratum is capped at a quarter of keep.
    expect(stratify(noise, { keep: 100 }).weights.every((w) => w === 1)).toBe(true);
    expect(stratify(noise.map(() => 1), { keep: 8 }).heavy).toBe(2);
  });

  it('a weight counts a sample that many times in every metric', () => {
    const samples = generatedCalib(g, 2).samples;
    const c = calibrate(g, samples);
    const plan = new Map(new Analyzer(g, c).groups.map((q) => [q.name, 'int8' as const]));
    const weighted = new Analyzer(g, c, Infinity, [1, 3]).evaluate(plan);
    const repeated = new Analyzer(g, { ...c, activations: [c.activations[0], c.activations[1], c.activations[1], c.activations[1]] }).evaluate(plan);
    expect(weighted.sqnr).toBeCloseTo(repeated.sqnr, 9);
    expect(weighted.mse).toBeCloseTo(repeated.mse, 12);
    expect(weighted.top1).toBeCloseTo(repeated.top1!, 12);
  });

  it('prepareSearch screens a verification pool down to searchSamples, keeping its loudest sample', () => {
    const samples = generatedCalib(g, 16).samples;
    const prep = prepareSearch(g, samples, { method: 'auto', verify: 12, searchSamples: 4 });
    expect(prep.split).toEqual({ ranges: 4, verify: 12 });
    expect(prep.screen).toMatchObject({ pool: 12, kept: 4 });
    expect(prep.an.references().length).toBe(4);
    expect(prep.an.weights!.reduce((a, b) => a + b, 0)).toBeCloseTo(12, 9);
    // The pool sample with the most uniform-int8 noise (ranges as chosen) is among the kept ones.
    const pool = splitSamples(samples, 12).verify;
    const q = prep.an.quantize(new Map(prep.an.groups.map((q) => [q.name, 'int8' as const])));
    const noise = samplePowers(pool.map((s) => runGraph(g, s)), pool.map((s) => runGraph(q, s))).map((p) => p.noise);
    const loudest = pool[noise.indexOf(Math.max(...noise))];
    const kept = prep.an.references().map((r) => Array.from(r[g.outputs[0].name].toF32()).join());
    expect(kept).toContain(Array.from(runGraph(g, loudest)[g.outputs[0].name].toF32()).join());
  });
});

describe('confirm-only split and back-off', () => {
  const samples = generatedCalib(g, 12).samples;
  const prep = prepareSearch(g, samples, { method: 'minmax', verify: 4, confirm: 4 });
  const floor = { accuracy: { metric: 'sqnr' as const, min: 30 } };

  it('the third split is disjoint from the others and evaluated on whole models', () => {
    expect(prep.split).toEqual({ ranges: 4, verify: 4, confirm: 4 });
    const { confirm, verify } = splitSamples(samples, 4, 1, 4);
    expect(splitSamples(samples, 4).verify).toEqual(verify); // adding a confirm part leaves the verification part as it was
    expect(confirm.filter((s) => verify.includes(s))).toEqual([]);
    const plan = new Map(prep.an.groups.map((q) => [q.name, 'int8' as const]));
    const q = prep.an.quantize(plan);
    const direct = metricsOf(confirm.map((s) => runGraph(g, s)), confirm.map((s) => runGraph(q, s)));
    expect(prep.confirmAn!.evaluate(plan).sqnr).toBeCloseTo(direct.sqnr, 9);
  });

  it('a plan that holds on the confirmation samples is kept as searched', () => {
    const r = searchConfirmed(prep, { candidates: ['int8', 'fp16'], budget: floor, marginDb: prep.margin.db });
    expect(r.confirm!.attempts.length).toBe(1);
    // Held = the confirmation SQNR's one-sided 95 % bootstrap lower bound clears the floor.
    const m = r.confirm!.metrics;
    expect(m.sqnrLow!).toBeLessThanOrEqual(m.sqnr);
    expect(r.confirm!.passed).toBe(m.sqnrLow! >= 30);
    expect(r.met).toBe(r.confirm!.passed && r.metrics.sqnr >= 30);
  });

  it('a miss on the confirmation samples raises the guard band by the observed gap and searches again', () => {
    // Confirmation inputs 6× louder than anything the ranges saw: int8 clips there, fp16 does not.
    const hard = { ...prep, confirmAn: streamingEvaluator(g, (p) => prep.an.quantize(p), splitSamples(samples, 4, 1, 4).confirm.map((s) => scaled(s, 6))) };
    const r = searchConfirmed(hard, { candidates: ['int8', 'fp16'], budget: floor, marginDb: prep.margin.db }, { maxBackoffs: 6 });
    const a = r.confirm!.attempts;
    expect(a[0].passed).toBe(false);
    expect(r.confirm!.backoffs).toBeGreaterThan(0);
    // Until the first hold, each search raises the band by at least the gap it observed.
    const firstHold = a.findIndex((x) => x.passed);
    for (let i = 1; i <= (firstHold < 0 ? a.length - 1 : firstHold); i++) {
      expect(a[i].marginDb).toBeGreaterThanOrEqual(a[i - 1].marginDb + Math.max(1, a[i - 1].verifySqnr - a[i - 1].confirmSqnr) - 1e-9);
    }
    // A refinement searches between the last miss and the hold; the kept plan is the smallest that held.
    expect(a.length).toBe(1 + r.confirm!.backoffs + r.confirm!.refines);
    if (r.confirm!.passed) {
      expect(r.confirm!.metrics.sqnrLow!).toBeGreaterThanOrEqual(30);
      expect(r.bytes).toBe(Math.min(...a.filter((x) => x.passed).map((x) => x.bytes)));
    }
    expect(r.met).toBe(r.confirm!.passed);
    expect(r.log.some((l) => l.startsWith('back off'))).toBe(true);
  });

  it('quantizeFused reports the confirmation, and the CLI takes the counts', async () => {
    const r = await quantizeFused(g, { precision: 'auto', calibSamples: 12, verifySamples: 4, confirmSamples: 4, accuracy: 'sqnr>=30' });
    expect(r.report.calibration).toMatchObject({ split: { ranges: 4, verify: 4, confirm: 4 } });
    const c = r.report.confirm as { samples: number; passed: boolean; backoffs: number; refines: number; attempts: unknown[] };
    expect(c.samples).toBe(4);
    expect(c.attempts.length).toBe(c.backoffs + c.refines + 1);
    expect(r.report.met).toBe(c.passed);
    expect(quantizeOptions({ quantize: 'auto', confirmSamples: '64', searchSamples: '128' }).quantize).toMatchObject({ confirmSamples: 64, searchSamples: 128 });
    // Driver defaults: a quarter of the samples confirm from 16 on, half of the rest verify.
    expect(defaultConfirmCount(15)).toBe(0);
    expect(defaultConfirmCount(32)).toBe(8);
    const d = await quantizeFused(g, { precision: 'auto', calibSamples: 16, accuracy: 'sqnr>=30' });
    expect(d.report.calibration).toMatchObject({ split: { ranges: 6, verify: 6, confirm: 4 } });
    expect(() => quantizeOptions({ quantize: 'auto', searchSamples: '0' })).toThrow(/--search-samples/);
  });
});
