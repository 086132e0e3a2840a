// The statistics of whole-model timing (src/tune/measure/rounds.ts) on synthetic rounds: a kernel's
// own time plus whole 4 ms scheduler slices, the shape of SwiftShader dispatch times under load.
import { describe, expect, it } from 'vitest';
import { quantileSpeedupCi, speedupCi } from '../../src/tune/measure/rounds.ts';
import { Rng } from '../../src/tune/rng.ts';

/** `n` runs of a kernel taking `own` ms, each preempted 0-3 times (4 ms slices) with the given odds. */
function runs(own: number, n: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => { const u = rng.next(); return own + 4 * (u < 0.3 ? 0 : u < 0.6 ? 1 : u < 0.85 ? 2 : 3); });
}

describe('whole-model timing statistics', () => {
  it('speedupCi: median per-round ratio with a CI; identical rounds read exactly 1, 0/0 is 1', () => {
    const d = [2, 2.2, 1.9, 2.1, 2, 2.05, 1.95, 2, 2.1, 1.9], t = d.map((x) => x / 1.5);
    const c = speedupCi(d, t);
    expect(c.med).toBeCloseTo(1.5, 9);
    expect(c.lo).toBeCloseTo(1.5, 9);
    expect(speedupCi([0, 0, 1], [0, 0, 1])).toEqual({ med: 1, lo: 1, hi: 1 });
  });

  it('a low quantile resolves a 25 % faster kernel that preemption hides from the median ratio', () => {
    const d = runs(1.5, 200, 1), t = runs(1.2, 200, 2), a = runs(1.5, 200, 3);
    const q = quantileSpeedupCi(d, t), qa = quantileSpeedupCi(d, a);
    expect(q.med).toBeCloseTo(1.25, 9);
    expect(q.lo).toBeGreaterThan(1);
    expect(qa.lo).toBeLessThanOrEqual(1);
    expect(qa.hi).toBeGreaterThanOrEqual(1);
    // The median per-round ratio of the same rounds is a ratio of preemption counts: its CI is wide.
    const m = speedupCi(d, t);
    expect(m.hi - m.lo).toBeGreaterThan(q.hi - q.lo);
  });
});
