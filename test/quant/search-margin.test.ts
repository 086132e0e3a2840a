// The sqnr guard band from a split's measured variance.
import { describe, expect, it } from 'vitest';
import { Tensor } from '../../src/ir/graph/tensor.ts';
import { marginFromSplit, samplePowers, sqnrBootstrapStd } from '../../src/quant/search-margin.ts';

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
  it('margin is z·σ with a floor, and infinite with one sample', () => {
    const refs = [t([1, 2]), t([2, 1]), t([1, 1]), t([3, 1])].map((y) => ({ y }));
    const qs = refs.map(({ y }, i) => ({ y: t(Array.from(y.data as Float32Array, (v) => v + (i === 0 ? 0.5 : 0.01))) }));
    const m = marginFromSplit(refs, qs);
    expect(m).toBeGreaterThan(0.5);
    expect(marginFromSplit(refs, refs.map(({ y }) => ({ y: t(Array.from(y.data as Float32Array, (v) => v * 1.01)) })))).toBe(0.5);
    expect(marginFromSplit(refs.slice(0, 1), qs.slice(0, 1))).toBe(Infinity);
  });
});
