// recordTask (src/tune/task.ts): the TuneTask shape the NPU and PIM record spaces share. Their real
// spaces rarely reject a config, so the rejection, propagation and failed-measurement paths are
// checked here on a small record space of their own: a tile t of a 12-long loop, valid when it divides 12.
import { describe, expect, it } from 'vitest';
import { FEATURE_LENGTH, featureVector, lg } from '../../src/tune/features/features.ts';
import type { Config } from '../../src/tune/keys.ts';
import { Rng } from '../../src/tune/rng.ts';
import { recordTask } from '../../src/tune/task.ts';

class Rejected extends Error {}

interface Tile { readonly t: number; readonly unroll: boolean }

function tileTask(opts: { rejects?: (e: unknown) => boolean; checks?: number[] } = {}) {
  return recordTask<Tile>({
    name: 'tile', workloadKey: 'k', description: 'a 12-long loop',
    knobs: [['t', [1, 2, 3, 5, 12]], ['u', [0, 1]]],
    scheduleOf: (c: Config) => ({ t: c.t, unroll: c.u === 1 }),
    validate: (s) => {
      opts.checks?.push(s.t);
      if (s.t === 5) throw new Rejected('5 does not divide 12');
      if (s.t === 3 && s.unroll) throw new TypeError('bug in the generator');
    },
    rejects: opts.rejects,
    features: (s) => featureVector([lg(s.t), s.unroll ? 1 : 0]),
    defaultSchedule: { t: 1, unroll: false },
    cost: (s) => {
      if (s.t === 12 && s.unroll) throw new Error('does not fit at run time');
      return 12 / s.t + (s.unroll ? 0 : 1);
    },
  });
}

describe('recordTask', () => {
  it('samples the knob table and checks each config once', () => {
    const checks: number[] = [];
    const t = tileTask({ checks });
    expect(t.size).toBe(10);
    const rng = new Rng(1);
    for (let i = 0; i < 20; i++) {
      const c = t.random(rng);
      expect([1, 2, 3, 5, 12]).toContain(c.t);
      expect(t.mutate(c, rng)).not.toBe(undefined);
    }
    const a = t.check({ t: 2, u: 0 }), b = t.check({ u: 0, t: 2 });
    expect(b).toBe(a); // memoized per config, whatever the key order
    expect(checks.filter((x) => x === 2)).toEqual([2]);
    if (!a.ok) throw new Error(a.reason);
    expect(a.schedule).toEqual({ t: 2, unroll: false });
    expect(a.features.length).toBe(FEATURE_LENGTH);
    expect(a.features[0]).toBeCloseTo(Math.log2(3));
    expect(t.defaultCandidate().schedule).toEqual({ t: 1, unroll: false });
  });

  it('a rejected record is invalid; a throw the space does not reject propagates', () => {
    const t = tileTask({ rejects: (e) => e instanceof Rejected });
    expect(t.check({ t: 5, u: 0 })).toEqual({ ok: false, reason: '5 does not divide 12' });
    expect(() => t.check({ t: 3, u: 1 })).toThrow('bug in the generator');
    // Without `rejects`, every throw of the static check marks the config invalid.
    expect(tileTask().check({ t: 3, u: 1 })).toEqual({ ok: false, reason: 'bug in the generator' });
  });

  it('measures costs from the record; a throw is a failed measurement, not an abort', async () => {
    const t = tileTask();
    const valid = [{ t: 3, u: 0 }, { t: 12, u: 1 }, { t: 2, u: 0 }].flatMap((c) => { const r = t.check(c); return r.ok ? [r] : []; });
    expect(valid).toHaveLength(3);
    const m = await t.measure(valid);
    expect(m).toEqual([
      { ok: true, cost: 5 },
      { ok: false, cost: Infinity, error: 'does not fit at run time' },
      { ok: true, cost: 7 },
    ]);
  });
});
