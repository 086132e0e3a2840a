// The sqnr guard band from a split's measured variance.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { marginFromSplit, samplePowers, sqnrBootstrapStd, sqnrLowerDrop } from '../../src/quant/search-margin.ts';

const t = (v: number[]) => new Tensor('f32', [1, v.length], Float32Array.from(v));

describe('sqnr margin from a split', () => {
  it('per-sample powers', () => {
    expect(samplePowers([{ y: t([3, 4]) }], [{ y: t([3, 5]) }])).toEqual([{ signal: 25, noise: 1 }]);
  });
  it('even noise over the samples gives no spread, one bad sample a wide one', () => {
    const even = Array.from({ length: 16 }, () => ({ signal: 100, noise: 0.1 }));
    expect(sqnrBootstrapStd(even)).toBeCloseTo(0, 9);
    const uneven = even.map((p, i) => (i === 3 ? { signal: 100, noise: 20 } : p));
    expect(sqnrBootstrapStd(uneven)).toBeGreaterThan(2);
  });
  it('one sample holding the noise: σ is wide, the lower tail only a few dB (what the margin uses)', () => {
    // 31 clean samples and one with 90 % of the noise: resamples without it read ~10 dB higher
    // (σ large), resamples with it twice ~2.5 dB lower, three times ~4 dB.
    const p = Array.from({ length: 32 }, (_, i) => ({ signal: 1, noise: i === 0 ? 9e-3 : 1e-3 / 31 }));
    expect(sqnrBootstrapStd(p)).toBeGreaterThan(3);
    const drop = sqnrLowerDrop(p);
    expect(drop).toBeGreaterThan(1.5);
    expect(drop).toBeLessThan(5);
    // Even noise: no drop.
    expect(sqnrLowerDrop(Array.from({ length: 16 }, () => ({ signal: 1, noise: 1e-3 })))).toBeCloseTo(0, 9);
  });
  it('margin is the lower-tail drop with a floor, and infinite with one sample', () => {
    const refs = [t([1, 2]), t([2, 1]), t([1, 1]), t([3, 1])].map((y) => ({ y }));
    const qs = refs.map(({ y }, i) => ({ y: t(Array.from(y.data as Float32Array, (v) => v + (i === 0 ? 0.5 : 0.01))) }));
    const m = marginFromSplit(refs, qs);
    expect(m).toBeGreaterThan(0.5);
    expect(marginFromSplit(refs, refs.map(({ y }) => ({ y: t(Array.from(y.data as Float32Array, (v) => v * 1.01)) })))).toBe(0.5);
    expect(marginFromSplit(refs.slice(0, 1), qs.slice(0, 1))).toBe(Infinity);
  });
});
