// Sensitivity and the mixed-precision search on a real (small) model: the result meets the budget on
// the calibration set, and costs no more than the one-layer-at-a-time fallback at the same floor.
import { describe, expect, it } from 'vitest';
import { loadOnnxFile } from '../../src/frontend/onnx/import.ts';
import { optimizeGraph } from '../../passes/index.ts';
import { calibrate } from '../../passes/quantize/calibrate.ts';
import { generatedCalib } from '../../src/quant/calib-data.ts';
import { Analyzer } from '../../src/quant/sensitivity.ts';
import { searchFallback, searchGreedy } from '../../src/quant/search.ts';
import { parseAccuracy } from '../../src/quant/budget.ts';

const g = optimizeGraph(loadOnnxFile('models/tiny-cnn.onnx').graph);
const an = new Analyzer(g, calibrate(g, generatedCalib(g, 4).samples));

describe('sensitivity', () => {
  it('local metrics rank precisions: fp16 ≫ int8 > int4w for every group', () => {
    for (const grp of an.groups) {
      const [f16, i8, i4] = (['fp16', 'int8', 'int4w'] as const).map((p) => an.local(grp, p));
      expect(f16.sqnr).toBeGreaterThan(i8.sqnr + 10);
      expect(i8.weightSqnr).toBeGreaterThan(i4.weightSqnr);
      expect(i8.mse).toBeGreaterThan(0);
    }
  });
  it('end-to-end per group: one int8 group costs less SQNR than all of them', () => {
    const all = an.evaluate(new Map(an.groups.map((x) => [x.name, 'int8'])));
    for (const grp of an.groups) expect(an.endToEnd(grp, 'int8').sqnr).toBeGreaterThan(all.sqnr);
    expect(all.top1).not.toBeNull(); // probs [1, 10]: a classifier output
  });
});

describe('search', () => {
  it('auto meets an sqnr floor, and beats or ties the fallback on bytes', () => {
    const budget = { accuracy: parseAccuracy('sqnr>=38') };
    const ours = searchGreedy(an, { candidates: ['int4w', 'int8', 'fp16'], budget });
    const base = searchFallback(an, { candidates: ['int8', 'fp16'], budget });
    expect(ours.met).toBe(true);
    expect(ours.metrics.sqnr).toBeGreaterThanOrEqual(38);
    expect(base.metrics.sqnr).toBeGreaterThanOrEqual(38);
    expect(ours.bytes).toBeLessThanOrEqual(base.bytes);
    expect(ours.evaluations).toBeGreaterThan(0);
    expect(ours.bytes).toBeLessThan(an.modelBytes(new Map()));
  });
  it('a size target alone: the least lossy plan under it', () => {
    const fp32 = an.modelBytes(new Map());
    const r = searchGreedy(an, { candidates: ['int8', 'fp16'], budget: { size: { fraction: 0.5 } } });
    expect(r.met).toBe(true);
    expect(r.bytes).toBeLessThanOrEqual(fp32 * 0.55); // the target counts weights; scales and biases stay
    expect([...r.plan.values()]).toContain('fp16'); // int8 everywhere would be smaller than needed
  });
  it('fp32 is always allowed; a floor and a size target that conflict are reported as not met', () => {
    const strict = searchGreedy(an, { candidates: ['int8'], budget: { accuracy: parseAccuracy('sqnr>=200') } });
    expect([...strict.plan.values()].every((p) => p === 'fp32')).toBe(true);
    expect(strict.met).toBe(true);
    const both = searchGreedy(an, { candidates: ['int8'], budget: { accuracy: parseAccuracy('sqnr>=200'), size: { fraction: 0.3 } } });
    expect(both.met).toBe(false);
  });
});
