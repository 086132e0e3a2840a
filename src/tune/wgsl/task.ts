// A WGSL kernel as a TuneTask. The space is the WGSL code generator's own (targets/wgsl/config.ts
// `wgslSpace`: per stage, workgroup size × register tile pair and factors × unroll × interior split
// × hoisting, the other stages at their default); every listed config already passed the target's
// static check (`checkConfig`: adapter limits, shader size), so none that cannot compile is measured.
// Each candidate is described by knobs (stage, wg, tile pair, ta, tb, unroll, split, hoist) so that
// the evolutionary search can move one knob at a time; a knob combination the target did not list
// is invalid. The record's schedule is the WgslConfig itself: compile --db hands it to the target
// as KernelPlan.config.
import type { PrimFunc } from '../../ir/tensor/func.ts';
import { applySchedule } from '../../schedule/apply.ts';
import { type StageConfig, type WgslConfig, defaultConfig, wgslSpace } from '../../../targets/wgsl/config.ts';
import type { DeviceProfile } from '../../../targets/wgsl/limits.ts';
import { splitStages } from '../../../targets/wgsl/stages.ts';
import { type Config, DEFAULT_CONFIG, canonicalTir, configHash, workloadKey } from '../keys.ts';
import type { Measurer } from '../measure/measurer.ts';
import type { Rng } from '../rng.ts';
import type { Candidate, Check, TuneTask } from '../task.ts';
import { stageInfo, wgslFeatures } from './features.ts';

const KNOBS = ['st', 'wg', 'pa', 'ta', 'tb', 'u', 'sp', 'h', 'bc', 'ln', 'ku'] as const;
const DEFAULT_HASH = configHash(DEFAULT_CONFIG);

/** The knobs of a config: which stage differs from the default (−1: none) and how. */
function describe(cfg: WgslConfig, dflt: WgslConfig, pairs: Map<string, number>): Config {
  const st = cfg.stages.findIndex((s, i) => JSON.stringify(s) !== JSON.stringify(dflt.stages[i]));
  const s: StageConfig = cfg.stages[Math.max(0, st)];
  const pair = s.tile ? `${st}|${s.tile.a}|${s.tile.b}` : '';
  if (pair && !pairs.has(pair)) pairs.set(pair, pairs.size);
  // The session-4 knobs of the extended space (subgroup sharing, lane loop, partial unrolling of a
  // reduction loop) appear only when set, so the configs of the basic space keep their hashes.
  const lane = s.lane ? `${st}|${s.lane}` : '', ku = s.kunroll ? `${st}|${s.kunroll.loop}|${s.kunroll.factor}` : '';
  if (lane && !pairs.has(lane)) pairs.set(lane, pairs.size);
  if (ku && !pairs.has(ku)) pairs.set(ku, pairs.size);
  return {
    st, wg: s.wg, pa: pair ? pairs.get(pair)! : -1, ta: s.tile?.ta ?? 1, tb: s.tile?.tb ?? 1,
    u: s.unroll?.length ?? 0, sp: s.split ? 1 : 0, h: s.hoist ? 1 : 0,
    ...(s.bcast ? { bc: 1 } : {}), ...(lane ? { ln: pairs.get(lane)! } : {}), ...(ku ? { ku: pairs.get(ku)! } : {}),
  };
}

/** `extended`: the code generator's session-4 knobs too (`wgslSpace(…, { extended: true })`; default true). */
export function wgslTask(func: PrimFunc, name: string, profile: DeviceProfile, measurer: Measurer, opts: { readonly extended?: boolean } = {}): TuneTask {
  const f = applySchedule(func, []); // what compile hands the target (unique loop names)
  const dflt = defaultConfig(f, profile);
  const infos = splitStages(f).stages.map(stageInfo);
  const pairs = new Map<string, number>();
  // Index 0 is the default (trial 0): the search draws from the others.
  const listed = wgslSpace(f, undefined, profile, { extended: opts.extended ?? true });
  const cands = listed.slice(1).map((cfg) => ({ cfg, knobs: describe(cfg, dflt, pairs) }));
  const byHash = new Map(cands.map((c, i) => [configHash(c.knobs), i]));
  const memo = new Map<number, Check>();
  const neighbours = new Map<number, number[]>();
  const near = (i: number): number[] => {
    let n = neighbours.get(i);
    if (!n) {
      const k = cands[i].knobs;
      n = cands.flatMap((c, j) => (KNOBS.filter((x) => c.knobs[x] !== k[x]).length === 1 ? [j] : []));
      neighbours.set(i, n);
    }
    return n;
  };
  const candidate = (i: number): Check => {
    let r = memo.get(i);
    if (!r) {
      r = { ok: true, config: cands[i].knobs, schedule: cands[i].cfg, features: wgslFeatures(infos, cands[i].cfg.stages) };
      memo.set(i, r);
    }
    return r;
  };
  return {
    name, workloadKey: workloadKey(func), description: canonicalTir(func), size: cands.length,
    random: (rng: Rng) => cands[rng.int(cands.length)]?.knobs ?? { st: -1 },
    mutate(c: Config, rng: Rng): Config {
      const i = byHash.get(configHash(c));
      if (i === undefined) return c;
      const n = near(i);
      // One knob at a time; now and then a jump anywhere (a new tile pair or stage).
      return n.length === 0 || rng.next() < 0.1 ? cands[rng.int(cands.length)].knobs : cands[rng.pick(n)].knobs;
    },
    check(c: Config): Check {
      const i = byHash.get(configHash(c));
      return i === undefined ? { ok: false, reason: 'not a config the WGSL code generator lists for this kernel' } : candidate(i);
    },
    defaultCandidate: () => ({ schedule: dflt, features: wgslFeatures(infos, dflt.stages) }),
    anchor: (cost: number) => measurer.anchor?.(f, cost),
    measure(batch: readonly Candidate[]) {
      // Trial 0 is what compile does without a config (the default rule unchecked: it may pick a
      // tile factor above a loop's extent, e.g. 8 for a 7×7 conv, which checkConfig refuses in a
      // given config); every other candidate passes its config.
      const codegen = (b: Candidate) => (configHash(b.config) === DEFAULT_HASH ? undefined : b.schedule);
      return measurer.measure(batch.map((b) => ({ base: f, func: f, steps: [], config: b.config, codegen: codegen(b) })));
    },
  };
}
