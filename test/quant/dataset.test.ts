// Calibration folders (src/quant/calib-data.ts) and the synthetic structured inputs.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOnnxFile } from '../../src/frontend/onnx/import.ts';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { encodeNpy } from '../../src/runtime/npy.ts';
import { randomTensor } from '../../src/runtime/random.ts';
import { generatedCalib, loadCalibDir } from '../../src/quant/calib-data.ts';
import { smoothFrames, textImages } from '../../src/quant/calib-data-synth.ts';

const g = loadOnnxFile('models/tiny-cnn.onnx').graph; // x: f32[1,3,32,32]
const sample = (seed: number) => randomTensor('f32', [1, 3, 32, 32], seed);
const fresh = () => mkdtempSync(join(tmpdir(), 'tscc-calib-'));

describe('calibration folders', () => {
  it('one subfolder per sample', () => {
    const d = fresh();
    for (const s of ['a', 'b', 'c']) { mkdirSync(join(d, s)); writeFileSync(join(d, s, 'x.npy'), encodeNpy(sample(s.charCodeAt(0)))); }
    const c = loadCalibDir(d, g);
    expect(c.source).toBe('dir');
    expect(c.warning).toBeUndefined();
    expect(c.samples.length).toBe(3);
    expect(c.samples[1].x.toNumbers()).toEqual(sample('b'.charCodeAt(0)).toNumbers());
  });
  it('a stacked <input>.npy, float64 converted', () => {
    const d = fresh();
    const a = sample(1).toNumbers(), b = sample(2).toNumbers();
    writeFileSync(join(d, 'x.npy'), encodeNpy(Tensor.fromNumbers('f64', [2, 1, 3, 32, 32], [...a, ...b])));
    const c = loadCalibDir(d, g);
    expect(c.samples.length).toBe(2);
    expect(c.samples[1].x.dtype).toBe('f32');
    expect(c.samples[1].x.toNumbers()[5]).toBeCloseTo(b[5], 6);
  });
  it('any *.npy for a single-input model', () => {
    const d = fresh();
    writeFileSync(join(d, 'img0.npy'), encodeNpy(sample(3)));
    writeFileSync(join(d, 'img1.npy'), encodeNpy(sample(4)));
    expect(loadCalibDir(d, g).samples.length).toBe(2);
  });
  it('reads only up to the limit (files past it are not opened)', () => {
    const d = fresh();
    for (const s of ['a', 'b', 'c']) { mkdirSync(join(d, s)); writeFileSync(join(d, s, 'x.npy'), encodeNpy(sample(s.charCodeAt(0)))); }
    mkdirSync(join(d, 'z')); // sorts last; reading it would fail (no x.npy)
    expect(loadCalibDir(d, g, 3).samples.map((x) => x.x.toNumbers()[0])).toEqual(['a', 'b', 'c'].map((s) => sample(s.charCodeAt(0)).toNumbers()[0]));
    const f = fresh();
    writeFileSync(join(f, 'a.npy'), encodeNpy(sample(1)));
    writeFileSync(join(f, 'b.npy'), 'not an npy file');
    expect(loadCalibDir(f, g, 1).samples.length).toBe(1);
    expect(() => loadCalibDir(f, g, 2)).toThrow();
  });
  it('errors name the folder and the problem', () => {
    expect(() => loadCalibDir(join(fresh(), 'missing'), g)).toThrow(/does not exist/);
    expect(() => loadCalibDir(fresh(), g)).toThrow(/no calibration samples/);
    const d = fresh();
    writeFileSync(join(d, 'x.npy'), encodeNpy(randomTensor('f32', [3, 32, 32], 1)));
    expect(() => loadCalibDir(d, g)).toThrow(/expected rank 4/);
  });
  it('generated samples carry the warning', () => {
    const c = generatedCalib(g, 3);
    expect(c.source).toBe('generated');
    expect(c.warning).toMatch(/GENERATED/);
    expect(c.samples[0].x.toNumbers()).not.toEqual(c.samples[1].x.toNumbers());
  });
});

describe('structured synthetic inputs', () => {
  it('text images: light background, dark strokes, the rotated half flipped', () => {
    const [a, b] = textImages(2, [1, 3, 48, 192], 5, { rotate180: true });
    const v = a.toF32();
    const dark = v.filter((x) => x < -0.3).length / v.length, light = v.filter((x) => x > 0.3).length / v.length;
    expect(dark).toBeGreaterThan(0.03);
    expect(light).toBeGreaterThan(0.5);
    expect(b.shape).toEqual([1, 3, 48, 192]);
  });
  it('feature frames drift smoothly in time', () => {
    const [f] = smoothFrames(1, [1, 16, 96], 3);
    const d = f.toF32();
    let step = 0, spread = 0;
    for (let t = 1; t < 16; t++) for (let k = 0; k < 96; k++) step += Math.abs(d[t * 96 + k] - d[(t - 1) * 96 + k]);
    for (let k = 1; k < 96; k++) spread += Math.abs(d[k] - d[k - 1]);
    expect(step / (15 * 96)).toBeLessThan(spread / 95);
  });
});
