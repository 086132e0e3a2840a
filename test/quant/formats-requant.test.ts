// Integer requantization (TFLite / gemmlowp): hand-computed cases and a float reference on random data.
import { describe, expect, it } from 'vitest';
import { rng } from '../../src/runtime/random.ts';
import { multiplyByQuantizedMultiplier, quantizeMultiplier, quantizeMultipliers, requantize, requantizeChannels, roundingDivideByPOT, srdhm } from '../../src/quant/index.ts';

const halfAway = (v: number) => Math.sign(v) * Math.floor(Math.abs(v) + 0.5);

describe('quantizeMultiplier', () => {
  it('hand cases: Q31 fraction in [0.5, 1) and a power-of-two shift', () => {
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 2 ** 30, shift: 0 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(0.25)).toEqual({ multiplier: 2 ** 30, shift: -1 });
    expect(quantizeMultiplier(0.75)).toEqual({ multiplier: 1610612736, shift: 0 });
    expect(quantizeMultiplier(3)).toEqual({ multiplier: 1610612736, shift: 2 });
    // 1 − 2^-40 rounds up to 2^31 in Q31, which renormalizes to 2^30 with one more shift
    expect(quantizeMultiplier(1 - 2 ** -40)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
    expect(() => quantizeMultiplier(-1)).toThrow();
  });
  it('reconstructs the real scale to 2^-31 relative', () => {
    const r = rng(3);
    for (let i = 0; i < 1000; i++) {
      const s = 2 ** (r() * 30 - 25);
      const { multiplier, shift } = quantizeMultiplier(s);
      expect(multiplier).toBeGreaterThanOrEqual(2 ** 30);
      expect(multiplier).toBeLessThan(2 ** 31);
      expect(Math.abs(multiplier * 2 ** (shift - 31) - s) / s).toBeLessThanOrEqual(2 ** -31);
    }
  });
});

describe('requantize', () => {
  it('gemmlowp primitives round half away from zero', () => {
    expect([5, -5, -4, 6, -6, 7, -7].map((x, i) => roundingDivideByPOT(x, [1, 1, 1, 2, 2, 1, 1][i]))).toEqual([3, -3, -2, 2, -2, 4, -4]);
    expect(srdhm(2 ** 30, 2 ** 30)).toBe(2 ** 29);
    expect(srdhm(-(2 ** 31), -(2 ** 31))).toBe(2 ** 31 - 1); // the one overflow case saturates
    expect(srdhm(3, 2 ** 30)).toBe(2); // 1.5 → 2
    expect(srdhm(-3, 2 ** 30)).toBe(-1); // −1.5 → −1: gemmlowp's negative nudge 1 − 2^30 sends ties toward +∞
    expect(srdhm(-5, 2 ** 30)).toBe(-2); // −2.5 → −2
    expect(srdhm(-7, 2 ** 29)).toBe(-2); // −1.75 → −2 (not a tie)
  });
  it('hand cases: scale 0.5 with zero point and saturation', () => {
    const { multiplier, shift } = quantizeMultiplier(0.5);
    const rq = (acc: number, zp = 0, lo = -128, hi = 127) => requantize(acc, multiplier, shift, zp, lo, hi);
    expect([3, -3, 5, 4, 1000, -1000].map((a) => rq(a))).toEqual([2, -1, 3, 2, 127, -128]);
    // scale 0.25 = 2^30 · 2^-32: exact SRDHM, then RoundingDivideByPOT(…, 1) rounds −1.5 away from zero
    const q = quantizeMultiplier(0.25);
    expect([6, -6, 10, -10].map((a) => requantize(a, q.multiplier, q.shift, 0, -128, 127))).toEqual([2, -2, 3, -3]);
    expect([6, -6, 10, -10].map((a) => requantize(a, q.multiplier, q.shift, 0, -128, 127, 'single'))).toEqual([2, -1, 3, -2]);
    expect(rq(3, 10, 0, 255)).toBe(12);
    expect(rq(-30, 10, 0, 255)).toBe(0);
    const big = quantizeMultiplier(2.5); // left shift path
    expect(requantize(7, big.multiplier, big.shift, 0, -1000, 1000)).toBe(18); // 17.5 → 18
  });
  it('within 1 LSB of round(acc · realScale) on random accumulators and scales', () => {
    const r = rng(11);
    let exact = 0, exactSingle = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const scale = 2 ** (r() * 20 - 18); // 2^-18 … 2^2
      const acc = Math.round((r() * 2 - 1) * 2 ** 22);
      const { multiplier, shift } = quantizeMultiplier(scale);
      const got = multiplyByQuantizedMultiplier(acc, multiplier, shift);
      const want = halfAway(acc * scale);
      expect(Math.abs(got - want)).toBeLessThanOrEqual(1);
      if (got === want) exact++;
      const single = requantize(acc, multiplier, shift, 0, -(2 ** 31), 2 ** 31 - 1, 'single');
      expect(Math.abs(single - want)).toBeLessThanOrEqual(1);
      if (single === want) exactSingle++;
    }
    expect(exact / n).toBeGreaterThan(0.95); // measured 0.977: double rounding with small right shifts
    expect(exactSingle / n).toBeGreaterThan(0.999); // only the Q31 multiplier's own rounding remains
  });
  it('per-channel: each channel uses its own multiplier', () => {
    const scales = [0.001, 0.02, 0.3];
    const m = quantizeMultipliers(scales);
    const acc = Int32Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 7919) % 2001 - 1000);
    const out = requantizeChannels(acc, 3, 4, m, 3, -128, 127);
    for (let i = 0; i < acc.length; i++) {
      const c = Math.floor(i / 4) % 3;
      const want = Math.max(-128, Math.min(127, halfAway(acc[i] * scales[c]) + 3));
      expect(Math.abs(out[i] - want)).toBeLessThanOrEqual(1);
    }
  });
});
