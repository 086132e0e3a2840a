// Calibration observers on distributions whose right answer is known, streamed in batches.
import { describe, expect, it } from 'vitest';
import { rng } from '../../src/runtime/random.ts';
import { activationParams, channelRanges, createObserver, type ObserverKind } from '../../src/quant/index.ts';
import { entropyThresholdBin } from '../../src/quant/entropy.ts';
import { StreamingHistogram } from '../../src/quant/histogram.ts';

function randn(n: number, seed: number): Float32Array {
  const r = rng(seed), o = new Float32Array(n);
  for (let i = 0; i < n; i++) o[i] = Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  return o;
}

/** Feeds 10 batches of 10,000 samples to each observer kind and returns their ranges. */
function calibrate(batch: (b: number) => Float32Array, opts = {}): Record<ObserverKind, { min: number; max: number }> {
  const obs = (['minmax', 'percentile', 'entropy'] as const).map((k) => createObserver(k, opts));
  for (let b = 0; b < 10; b++) { const x = batch(b); for (const o of obs) o.observe(x); }
  return Object.fromEntries(obs.map((o) => [o.kind, o.range()])) as Record<ObserverKind, { min: number; max: number }>;
}

describe('observers', () => {
  it('uniform [-1, 1]: nothing to clip, every method reports about ±1', () => {
    const r = calibrate((b) => { const g = rng(100 + b); return Float32Array.from({ length: 10000 }, () => g() * 2 - 1); });
    for (const k of ['minmax', 'percentile', 'entropy'] as const) {
      expect(r[k].min).toBeCloseTo(-1, 2);
      expect(r[k].max).toBeCloseTo(1, 2);
    }
  });
  it('gaussian: the 99.99th percentile is 3.72σ', () => {
    const r = calibrate((b) => randn(10000, 200 + b));
    expect(r.percentile.max).toBeGreaterThan(3.72 * 0.95);
    expect(r.percentile.max).toBeLessThan(3.72 * 1.05);
    expect(r.percentile.min).toBeLessThan(-3.72 * 0.95);
    expect(r.percentile.min).toBeGreaterThan(-3.72 * 1.05);
  });
  it('gaussian with outliers: percentile and entropy clip them, minmax does not', () => {
    const r = calibrate((b) => { const x = randn(10000, 300 + b); if (b === 3) { x[5] = 50; x[77] = -40; } return x; });
    expect(r.minmax).toEqual({ min: -40, max: 50 });
    for (const k of ['percentile', 'entropy'] as const) {
      expect(r[k].max).toBeGreaterThan(3);
      expect(r[k].max).toBeLessThan(6);
      expect(r[k].min).toBeLessThan(-3);
      expect(r[k].min).toBeGreaterThan(-6);
    }
  });
  it('non-negative activations (after ReLU) give a [0, t] range', () => {
    const r = calibrate((b) => randn(10000, 400 + b).map((v) => Math.max(0, v)));
    for (const k of ['minmax', 'percentile', 'entropy'] as const) expect(r[k].min).toBe(0);
    expect(r.entropy.max).toBeGreaterThan(3);
  });
  it('entropy: data with no mass near 0 (an image in [-1, 1]) is not clipped to its smallest magnitude', () => {
    // |x| ≥ 0.3 everywhere: the first candidate threshold used to clip all of it into one bin (KL 0).
    const r = calibrate((b) => { const g = rng(700 + b); return Float32Array.from({ length: 10000 }, () => (g() < 0.5 ? -1 : 1) * (0.3 + 0.7 * g())); });
    expect(r.entropy.max).toBeGreaterThan(0.95);
    expect(r.entropy.min).toBeLessThan(-0.95);
  });
  it('entropy: one-sided data (hard-swish) keeps its small negative side instead of a ±t range', () => {
    const hswish = (v: number) => (v * Math.min(6, Math.max(0, v + 3))) / 6;
    const r = calibrate((b) => randn(10000, 800 + b).map((v) => hswish(3 * v)));
    expect(r.entropy.min).toBeCloseTo(-0.375, 2);
    expect(r.entropy.max).toBeGreaterThan(6);
  });
  it('symmetric option gives ±amax ranges', () => {
    const r = calibrate((b) => randn(10000, 500 + b).map((v) => v + 1), { symmetric: true });
    expect(r.minmax.min).toBe(-r.minmax.max);
    expect(r.percentile.min).toBe(-r.percentile.max);
    expect(r.percentile.max).toBeGreaterThan(4.5); // the 99.99th percentile of |x|, x ~ N(1, 1)
  });
  it('streaming: a range that grows batch by batch gives the same percentile as one pass', () => {
    const all = randn(50000, 600);
    const sorted = Float32Array.from(all).sort();
    const streamed = createObserver('percentile', { percentile: 99 });
    // smallest magnitudes first, so the histogram range has to double several times
    const order = Float32Array.from(all).sort((a, b) => Math.abs(a) - Math.abs(b));
    for (let i = 0; i < 5; i++) streamed.observe(order.subarray(i * 10000, (i + 1) * 10000));
    const r = streamed.range();
    expect(r.max).toBeCloseTo(sorted[Math.floor(0.99 * 50000)], 1);
    expect(r.min).toBeCloseTo(sorted[Math.floor(0.01 * 50000)], 1);
  });
  it('rejects a bad percentile and an unknown method with usage errors', () => {
    expect(() => createObserver('percentile', { percentile: 20 })).toThrow(/percentile/);
    expect(() => createObserver('mse' as ObserverKind)).toThrow(/unknown calibration method "mse"/);
  });
});

describe('histogram and KL threshold', () => {
  it('doubling merges bins pairwise and keeps every count', () => {
    const h = new StreamingHistogram(8, true);
    h.add([-1, -0.3, 0.1, 0.9]);
    expect(h.limit).toBe(1);
    h.add([3]); // limit 1 → 2 → 4
    expect(h.limit).toBe(4);
    expect(h.total).toBe(5);
    expect(Array.from(h.bins)).toEqual([0, 0, 0, 2, 2, 0, 0, 1]);
  });
  it('a flat histogram is not clipped; a sparse far tail is', () => {
    expect(entropyThresholdBin(new Float64Array(512).fill(1000))).toBe(512);
    const tail = new Float64Array(2048);
    for (let i = 0; i < 300; i++) tail[i] = 1000 * Math.exp(-i / 60);
    tail[2000] = 1;
    const t = entropyThresholdBin(tail);
    expect(t).toBeGreaterThan(128);
    expect(t).toBeLessThan(700);
  });
});

describe('activation and weight parameters', () => {
  it('int8 asymmetric uint8 and symmetric int8, hand cases', () => {
    expect(activationParams({ min: -1, max: 3 }, 'int8')).toEqual({ dtype: 'u8', scale: Math.fround(4 / 255), zeroPoint: 64 });
    expect(activationParams({ min: 0.5, max: 2.55 }, 'int8')).toEqual({ dtype: 'u8', scale: Math.fround(2.55 / 255), zeroPoint: 0 });
    expect(activationParams({ min: -2.54, max: 1 }, 'int8', true)).toEqual({ dtype: 'i8', scale: Math.fround(2.54 / 127), zeroPoint: 0 });
    expect(activationParams({ min: -3, max: 896 }, 'fp8e4m3')).toEqual({ dtype: 'f8e4m3', scale: 2, zeroPoint: 0 });
    expect(activationParams({ min: -3, max: 3 }, 'mxfp4')).toMatchObject({ dtype: 'mx', mxElement: 'e2m1' });
    expect(activationParams({ min: -3, max: 3 }, 'bf16').dtype).toBe('bf16');
  });
  it('per-channel weight ranges along an axis', () => {
    const w = Float32Array.from({ length: 2 * 3 * 2 }, (_, i) => (i % 5) - 2 + (i >= 6 ? 10 : 0));
    const r = channelRanges(w, [2, 3, 2], 0);
    expect(Array.from(r.min)).toEqual([-2, 8]);
    expect(Array.from(r.max)).toEqual([2, 12]);
    const s = channelRanges(w, [2, 3, 2], -1, true);
    expect(Array.from(s.max)).toEqual([11, 12]);
    expect(Array.from(s.min)).toEqual([-11, -12]);
  });
});
