// `auto` judges plans on a verification split of the calibration set (src/quant/search-split.ts): the
// split itself, the driver's report fields, the suffix-only evaluation, and the CLI counts.
import { describe, expect, it } from 'vitest';
import { loadOnnxFile } from '../../src/frontend/onnx/import.ts';
import { optimizeGraph } from '../../passes/index.ts';
import { calibrate } from '../../passes/quantize/calibrate.ts';
import { runGraph } from '../../src/runtime/interpreter.ts';
import { generatedCalib } from '../../src/quant/calib-data.ts';
import { Analyzer } from '../../src/quant/sensitivity.ts';
import { defaultVerifyCount, prepareSearch, splitSamples } from '../../src/quant/search-split.ts';
import { quantizeFused } from '../../src/quant/search-run.ts';
import { quantizeOptions } from '../../src/cli/options.ts';

const g = optimizeGraph(loadOnnxFile('models/tiny-cnn.onnx').graph);

describe('calibration split', () => {
  it('is deterministic, disjoint, covers every sample, and mixes grouped and alternating data', () => {
    const xs = Array.from({ length: 11 }, (_, i) => i);
    for (const v of [0, 1, 3, 5, 10, 11]) {
      const a = splitSamples(xs, v), b = splitSamples(xs, v);
      expect(a).toEqual(b);
      expect(a.verify.length).toBe(v);
      expect([...a.ranges, ...a.verify].sort((x, y) => x - y)).toEqual(xs);
      expect(a.verify.filter((x) => a.ranges.includes(x))).toEqual([]);
    }
    // Labels in runs (a sorted folder) and alternating (upright / rotated crops): both parts see both.
    const grouped = Array.from({ length: 32 }, (_, i) => (i < 16 ? 0 : 1)), alternating = grouped.map((_, i) => i % 2);
    for (const labels of [grouped, alternating]) {
      const s = splitSamples(labels, 16);
      for (const part of [s.ranges, s.verify]) expect(new Set(part)).toEqual(new Set([0, 1]));
    }
    expect(defaultVerifyCount(3)).toBe(0);
    expect(defaultVerifyCount(9)).toBe(4);
  });

  it('evaluates on the verification samples only, with a measured margin', () => {
    const samples = generatedCalib(g, 6).samples;
    const prep = prepareSearch(g, samples, { method: 'minmax' });
    expect(prep.split).toEqual({ ranges: 3, verify: 3 });
    expect(prep.margin.source).toBe('bootstrap');
    expect(prep.margin.db).toBeGreaterThanOrEqual(0.5);
    // The analyzer's references are the float outputs of the verification samples.
    const { ranges, verify } = splitSamples(samples, 3);
    const refs = prep.an.references();
    expect(refs.length).toBe(3);
    const out = g.outputs[0].name;
    expect(Array.from(refs[1][out].toF32())).toEqual(Array.from(runGraph(g, verify[1])[out].toF32()));
    // Ranges come from the other samples: min/max of the input over them.
    const x = g.inputs[0].name;
    const lo = Math.min(...ranges.map((s) => Math.min(...s[x].toF32())));
    expect(prep.calib.ranges.get(x)!.min).toBeCloseTo(lo, 6);
  });

  it('running only the nodes after the first quantized group gives the whole model\'s outputs', () => {
    const an = new Analyzer(g, calibrate(g, generatedCalib(g, 2).samples));
    const last = an.groups[an.groups.length - 1];
    const plan = new Map([[last.name, 'int8' as const]]);
    const q = an.quantize(plan);
    const whole = generatedCalib(g, 2).samples.map((s) => runGraph(q, s));
    const suffix = an.outputs(plan);
    for (const [k, t] of Object.entries(whole[1])) expect(Array.from(suffix[1][k].toF32())).toEqual(Array.from(t.toF32()));
  });
});

describe('quantizeFused auto: report fields', () => {
  it('states the split sizes, the margin and where metrics were measured; generated inputs still warn', async () => {
    const r = await quantizeFused(g, { precision: 'auto', calibSamples: 8, accuracy: 'sqnr>=35' });
    expect(r.warning).toMatch(/GENERATED/);
    const cal = r.report.calibration as { samples: number; split: unknown; warning: string };
    expect(cal).toMatchObject({ samples: 8, split: { ranges: 4, verify: 4, rule: 'seeded shuffle' } });
    expect(cal.warning).toMatch(/GENERATED/);
    const margin = r.report.margin as { db: number; source: string; why: string };
    expect(margin.source).toBe('bootstrap');
    expect(margin.why).toMatch(/4 verification samples/);
    expect((r.report.metrics as { on: string }).on).toBe('verify');
    expect(r.report.met).toBe(true);
  });

  it('too few samples: no split, the fixed 2 dB margin, said so', async () => {
    const r = await quantizeFused(g, { precision: 'auto', calibSamples: 3, accuracy: 'sqnr>=35' });
    expect((r.report.calibration as { split: unknown }).split).toBeNull();
    expect(r.report.margin).toMatchObject({ db: 2, source: 'fixed' });
    expect((r.report.metrics as { on: string }).on).toBe('calibration');
  });

  it('CLI counts: --calib-samples / --verify-samples are integers', () => {
    expect(quantizeOptions({ quantize: 'auto', calibSamples: '24', verifySamples: '0' }).quantize).toMatchObject({ calibSamples: 24, verifySamples: 0 });
    expect(() => quantizeOptions({ quantize: 'auto', verifySamples: 'half' })).toThrow(/--verify-samples/);
    expect(() => quantizeOptions({ quantize: 'auto', calibSamples: '0' })).toThrow(/--calib-samples/);
  });
});
