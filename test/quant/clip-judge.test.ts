// src/quant/clip-judge.ts: the int8 flow's split rule, and the clip search judged on onnxruntime vs the
// reference interpreter (the fallback when onnxruntime-node cannot be imported) — both run the same
// clip graph, so they must pick the same factors on the spread conv chain (conv1's channels ~100×
// apart) on random inputs; the fallback refuses a search whose projected time passes its budget.
import { describe, expect, it } from 'vitest';
import { rng } from '../../src/runtime/random.ts';
import { calibrate } from '../../passes/quantize/calibrate.ts';
import { clipSplit, MIN_SEARCH_SAMPLES, searchClips } from '../../src/quant/clip-judge.ts';
import { chainConstants, chainGraph, chainSamples } from './spread-chain.ts';

describe('clipSplit', () => {
  it('64 set ranges and the rest judge from 112 samples on; below, no search unless asked', () => {
    expect(MIN_SEARCH_SAMPLES).toBe(112);
    expect(clipSplit(112)).toEqual({ ranges: 64, judge: 48 });
    expect(clipSplit(200)).toEqual({ ranges: 64, judge: 136 });
    expect(clipSplit(111)).toEqual({ ranges: 111, judge: 0 });
    expect(clipSplit(8)).toEqual({ ranges: 8, judge: 0 });
    expect(clipSplit(10, 4)).toEqual({ ranges: 6, judge: 4 });
    expect(clipSplit(200, 0)).toEqual({ ranges: 200, judge: 0 });
    expect(clipSplit(3, 10)).toEqual({ ranges: 1, judge: 2 }); // at least one sample sets the ranges
  });
});

describe('searchClips', () => {
  const g = chainGraph(chainConstants(30, rng(31)));
  const cal = calibrate(g, chainSamples(6, 100)), judge = chainSamples(8, 200);

  it('the interpreter fallback picks what onnxruntime picks, with the same judge SQNR', async () => {
    const ort = await searchClips(g, cal.ranges, judge, { engine: 'onnxruntime', rangeSamples: 6 });
    const ref = await searchClips(g, cal.ranges, judge, { engine: 'interpreter', rangeSamples: 6 });
    expect(ort.report.engine).toBe('onnxruntime');
    expect(ref.report.engine).toBe('interpreter');
    expect(Object.keys(ort.report.moved!).length).toBeGreaterThan(0);
    expect(ref.report.moved).toEqual(ort.report.moved);
    expect(ref.report.judgeSqnr!.before).toBeCloseTo(ort.report.judgeSqnr!.before, 1);
    expect(ref.report.judgeSqnr!.after).toBeCloseTo(ort.report.judgeSqnr!.after, 1);
    expect(ort.report.judgeSqnr!.after).toBeGreaterThanOrEqual(ort.report.judgeSqnr!.before);
    expect(ort.report.samples).toEqual({ ranges: 6, judge: 8 });
    expect(ort.report.sites).toBe(3);
    expect(ort.report.evaluations).toBe(1 + 3 * 4); // one sweep over 3 sites, 4 other factors each
    for (const [s, f] of Object.entries(ort.report.moved!)) expect(ort.ranges.get(s)!.max).toBeCloseTo(cal.ranges.get(s)!.max * f, 6);
  });

  it('the interpreter skips a search over its time budget, ranges unchanged; no judging samples: no search', async () => {
    const r = await searchClips(g, cal.ranges, judge, { engine: 'interpreter', interpreterBudgetS: 0 });
    expect(r.report.skipped).toMatch(/^interpreter judge: projected \d+ s > budget 0 s$/);
    expect(r.ranges).toBe(cal.ranges);
    const none = await searchClips(g, cal.ranges, [], { rangeSamples: 6 });
    expect(none.report).toMatchObject({ engine: 'none', samples: { ranges: 6, judge: 0 } });
    expect(none.report.skipped).toMatch(/no judging split/);
  });
});
