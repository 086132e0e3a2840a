// The WGSL cost model can only rank what its features tell apart: two configs of one kernel with the
// same feature vector get the same prediction, so the search cannot prefer the faster. Every config
// the extended space lists (session-4 knobs included) must have its own features.
import { describe, expect, it } from 'vitest';
import { applySchedule } from '../../src/schedule/apply.ts';
import { stageInfo, wgslFeatures } from '../../src/tune/wgsl/features.ts';
import { wgslSpace } from '../../targets/wgsl/config.ts';
import { PROFILES } from '../../targets/wgsl/limits.ts';
import { splitStages } from '../../targets/wgsl/stages.ts';
import { convFunc, matmulFunc } from './fixtures/kernels.ts';

describe('WGSL tuning features', () => {
  const profile = { ...PROFILES.cpu, subgroupSize: 4 };
  for (const [name, func] of [['matmul', matmulFunc(32, 48, 40)], ['conv', convFunc(8, 16, 16, 3)]] as const) {
    it(`tell every config of the extended space apart (${name})`, () => {
      const f = applySchedule(func, []);
      const space = wgslSpace(f, undefined, profile, { extended: true });
      expect(space.some((c) => c.stages.some((s) => s.bcast || s.kunroll || s.lane))).toBe(true);
      const infos = splitStages(f).stages.map(stageInfo);
      const seen = new Map<string, string>();
      for (const cfg of space) {
        const key = Array.from(wgslFeatures(infos, cfg.stages)).join(',');
        expect(seen.get(key), `${JSON.stringify(cfg.stages)} has the features of ${seen.get(key)}`).toBeUndefined();
        seen.set(key, JSON.stringify(cfg.stages));
      }
      expect(seen.size).toBe(space.length);
    });
  }
});
