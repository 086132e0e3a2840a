// The driver's default split for `--quantize auto --calib DIR` (search-split.ts defaultSplit, session 6):
// the folder is read up to MAX_AUTO_CALIB_SAMPLES, a quarter confirms, at most MAX_RANGE_SAMPLES set
// ranges, the rest is the verification pool (screened to DEFAULT_SEARCH_SAMPLES per evaluation).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOnnxFile } from '../../src/frontend/onnx/import.ts';
import { optimizeGraph } from '../../passes/index.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { encodeNpy } from '../../src/runtime/npy.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { generatedCalib, loadCalibDir } from '../../src/quant/calib-data.ts';
import { DEFAULT_SEARCH_SAMPLES, defaultSplit, MAX_AUTO_CALIB_SAMPLES, MAX_RANGE_SAMPLES, prepareSearch } from '../../src/quant/search-split.ts';
import { quantizeFused } from '../../src/quant/search-run.ts';
import { quantizeSummary } from '../../src/cli/options.ts';

const g = optimizeGraph(loadOnnxFile('models/tiny-cnn.onnx').graph); // x: f32[1,3,32,32]

/** A folder holding n samples as one stacked x.npy (seeded, non-zero). */
function folder(n: number): string {
  const d = mkdtempSync(join(tmpdir(), 'tscc-defaults-'));
  const per = 3 * 32 * 32, data = new Float32Array(n * per);
  for (let i = 0; i < n; i++) data.set(randomTensor('f32', [1, 3, 32, 32], 100 + i).toF32(), i * per);
  writeFileSync(join(d, 'x.npy'), encodeNpy(new Tensor('f32', [n, 1, 3, 32, 32], data)));
  return d;
}

describe('auto driver defaults', () => {
  it('the rule: session 5 split up to 128 samples, then ranges capped and the rest verifies', () => {
    expect(defaultSplit(3)).toEqual({ ranges: 3, verify: 0, confirm: 0 });
    expect(defaultSplit(16)).toEqual({ ranges: 6, verify: 6, confirm: 4 });
    expect(defaultSplit(32)).toEqual({ ranges: 12, verify: 12, confirm: 8 }); // unchanged from session 5
    expect(defaultSplit(128)).toEqual({ ranges: 48, verify: 48, confirm: 32 });
    expect(defaultSplit(256)).toEqual({ ranges: 64, verify: 128, confirm: 64 });
    expect(defaultSplit(800)).toEqual({ ranges: 64, verify: 536, confirm: 200 });
    expect(defaultSplit(MAX_AUTO_CALIB_SAMPLES)).toEqual({ ranges: 64, verify: 704, confirm: 256 });
    for (let n = 1; n <= 2000; n += 7) {
      const s = defaultSplit(n);
      expect(s.ranges + s.verify + s.confirm).toBe(n);
      expect(s.ranges).toBeGreaterThanOrEqual(1);
      expect(s.ranges).toBeLessThanOrEqual(Math.max(MAX_RANGE_SAMPLES, Math.ceil(n / 2)));
    }
  });

  it('prepareSearch splits as defaultSplit says when given only the confirmation share', () => {
    for (const n of [3, 5, 16, 33]) {
      const samples = generatedCalib(g, n).samples, d = defaultSplit(n);
      const prep = prepareSearch(g, samples, { method: 'minmax', confirm: d.confirm });
      expect(prep.split).toEqual(d.verify ? { ranges: d.ranges, verify: d.verify, ...(d.confirm ? { confirm: d.confirm } : {}) } : null);
    }
  });

  it('a --calib folder is read whole (up to the cap) and split by the rule; --calib-samples still wins', async () => {
    const big = folder(300);
    // 300 → 75 confirm, 64 ranges, a pool of 161 screened to 128 per evaluation.
    const r = await quantizeFused(g, { precision: 'auto', calib: big, accuracy: 'sqnr>=30' });
    const cal = r.report.calibration as { samples: number; split: unknown; screen?: { pool: number; kept: number } };
    expect(cal.samples).toBe(300);
    expect(cal.split).toMatchObject({ ranges: 64, verify: 161, confirm: 75 });
    expect(cal.screen).toMatchObject({ pool: 161, kept: DEFAULT_SEARCH_SAMPLES });
    expect((r.report.confirm as { samples: number }).samples).toBe(75);
    expect(r.report.warnings).toBeUndefined(); // 75 confirmation samples: no small-split warning
    const asked = await quantizeFused(g, { precision: 'auto', calib: big, calibSamples: 40, accuracy: 'sqnr>=30' });
    expect(asked.report.calibration).toMatchObject({ samples: 40, split: { ranges: 15, verify: 15, confirm: 10 } });
    // A 32-sample folder splits as before session 6.
    const small = await quantizeFused(g, { precision: 'auto', calib: folder(32), accuracy: 'sqnr>=30' });
    expect(small.report.calibration).toMatchObject({ samples: 32, split: { ranges: 12, verify: 12, confirm: 8 } });
    // …and says loudly that 8 confirmation samples do not protect the floor on new inputs.
    expect(small.report.warnings).toEqual([expect.stringMatching(/only 8 calibration samples confirmed the plan against sqnr>=30dB/)]);
    expect(quantizeSummary({ ...small.report })).toContainEqual(expect.stringMatching(/^!!! auto: only 8 .* few hundred !!!$/));
    // The cap: a larger folder gives MAX_AUTO_CALIB_SAMPLES (the loader's limit the driver passes).
    expect(loadCalibDir(folder(MAX_AUTO_CALIB_SAMPLES + 5), g, MAX_AUTO_CALIB_SAMPLES).samples.length).toBe(MAX_AUTO_CALIB_SAMPLES);
  }, 120_000);
});
