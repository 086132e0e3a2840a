// The per-layer choice of the sequential fit's shift by 2-fold validation (passes/quantize/weight-fit-shift.ts):
// a shift both halves agree on is kept; one fitted to one half's noise is dropped; the fit runs with it.
import { describe, expect, it } from 'vitest';
import { addMoments, chooseShiftDamp } from '../../passes/quantize/weight-fit-shift.ts';
import type { Moments } from '../../passes/quantize/moments.ts';
import { calibrate } from '../../passes/quantize/calibrate.ts';
import { quantGroups } from '../../passes/quantize/groups.ts';
import { fitWeights } from '../../passes/quantize/weight-fit-graph.ts';
import { optimizeGraph } from '../../passes/index.ts';
import { rng } from '../../src/runtime/random.ts';
import { chainConstants, chainGraph, chainSamples } from './spread-chain.ts';

/** m = 2: w + we (H + λ·mean diag)⁻¹ by Cramer's rule. */
function shift2(rows: readonly Float64Array[], we: readonly Float64Array[], h: Float64Array, damp: number): Float64Array[] {
  const l = damp * (h[0] + h[3]) / 2, a = h[0] + l, b = h[1], d = h[3] + l, det = a * d - b * b;
  return rows.map((w, r) => Float64Array.from([w[0] + (we[r][0] * d - we[r][1] * b) / det, w[1] + (-we[r][0] * b + we[r][1] * a) / det]));
}
const mom = (h: number[], we: number[]): Moments => ({ h: Float64Array.from(h), e: null, we: [Float64Array.from(we)], count: 100 });

describe('validated shift', () => {
  const rows = [Float64Array.from([1, -0.5])], h = [4, 1, 1, 3];
  it('keeps the shift when both halves see the same upstream error', () => {
    const d = chooseShiftDamp(mom(h, [0.8, -0.4]), mom(h, [0.8, -0.4]), rows, 2, 0.01, shift2, (t) => t.we!);
    expect(d).toBe(0.01);
  });
  it('drops it when one half\'s error is not the other\'s', () => {
    expect(chooseShiftDamp(mom(h, [0.8, -0.4]), mom(h, [-0.8, 0.4]), rows, 2, 0.01, shift2, (t) => t.we!)).toBe(Infinity);
  });
  it('sums halves and fits a chain with it (weights on the grid, deterministic)', () => {
    const s = addMoments(mom(h, [1, 2]), mom(h, [3, 4]));
    expect([...s.h]).toEqual([8, 2, 2, 6]);
    expect([...s.we![0]]).toEqual([4, 6]);
    const g = optimizeGraph(chainGraph(chainConstants(1, rng(1))));
    const cal = calibrate(g, chainSamples(8, 100));
    const plan = { precisions: new Map(quantGroups(g).map((q) => [q.name, 'bf16' as const])), ranges: cal.ranges, extremes: cal.extremes };
    const a = fitWeights(g, cal, plan, { bias: true, validateShift: true }).get('bf16')!, b = fitWeights(g, cal, plan, { bias: true, validateShift: true }).get('bf16')!;
    for (const [k, t] of a) {
      expect(t.toF32()).toEqual(b.get(k)!.toF32());
      if (t.shape.length === 4) expect(Array.from(new Uint32Array(t.toF32().buffer)).every((x) => (x & 0xffff) === 0)).toBe(true);
    }
  });
});
