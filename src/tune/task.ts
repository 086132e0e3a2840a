// What the tuner tunes: a TuneTask hides whether configs become Tensor IR schedule steps (CPU, GPU
// targets) or a target's own schedule record (the NPU's per-layer GemmSchedule), and how they are
// measured. The search, the cost model and the database only see configs, features and costs.
import type { PrimFunc } from '../ir/tensor/func.ts';
import { applySchedule } from '../schedule/apply.ts';
import type { Step } from '../schedule/step.ts';
import { featurize } from './features/features.ts';
import { type Config, canonicalTir, configHash, workloadKey } from './keys.ts';
import type { MeasureResult, Measurer } from './measure/measurer.ts';
import type { Rng } from './rng.ts';
import { buildSpace } from './space/index.ts';
import { type KnobTable, knobSampling } from './space/space.ts';

export interface Candidate {
  readonly config: Config;
  /** What compile replays: Tensor IR steps, or the target's schedule record (JSON-able). */
  readonly schedule: unknown;
  readonly features: Float32Array;
}

export type Check = ({ readonly ok: true } & Candidate) | { readonly ok: false; readonly reason: string };

export interface TuneTask {
  readonly name: string;
  readonly workloadKey: string;
  /** Stored with the workload: the canonical Tensor IR, or a description of the layer. */
  readonly description: string;
  readonly size: number;
  random(rng: Rng): Config;
  mutate(c: Config, rng: Rng): Config;
  /** Static validity (never measured when not ok), memoized per config. */
  check(c: Config): Check;
  /** Trial 0: the target's default schedule. */
  defaultCandidate(): Omit<Candidate, 'config'>;
  measure(batch: readonly Candidate[]): Promise<MeasureResult[]>;
  /** A resumed run: the default's recorded cost, so a default-relative measurer keeps the same scale. */
  anchor?(defaultCost: number): void;
}

/** A kernel as a Tensor IR function, scheduled by steps from the target's search space. */
export function tirTask(func: PrimFunc, name: string, targetName: string, measurer: Measurer, defaultSteps: (f: PrimFunc) => Step[]): TuneTask {
  const space = buildSpace(func, targetName);
  const base = space.nest.func;
  const funcs = new WeakMap<Candidate, PrimFunc>();
  const memo = new Map<string, Check>();
  return {
    name, workloadKey: workloadKey(func), description: canonicalTir(func), size: space.size,
    random: (rng) => space.random(rng),
    mutate: (c, rng) => space.mutate(c, rng),
    check(c) {
      const r = space.check(c);
      if (!r.ok) return r;
      const key = JSON.stringify(r.steps);
      let out = memo.get(key);
      if (!out) {
        out = { ok: true, config: c, schedule: r.steps, features: featurize(r.func) };
        funcs.set(out, r.func);
        memo.set(key, out);
      }
      return out.ok ? { ...out, config: c } : out;
    },
    defaultCandidate() {
      const steps = defaultSteps(base);
      const f = applySchedule(base, steps);
      return { schedule: steps, features: featurize(f) };
    },
    async measure(batch) {
      return measurer.measure(batch.map((b) => {
        const steps = b.schedule as Step[];
        return { base, func: applySchedule(base, steps), steps, config: b.config };
      }));
    },
  };
}

/** A target's own schedule record `S` as a tuning space: the NPU's per-layer GemmSchedule, PIM's GemvSchedule. */
export interface RecordSpace<S> {
  readonly name: string;
  readonly workloadKey: string;
  readonly description: string;
  /** Knob names and values; a config holds one value of each. */
  readonly knobs: KnobTable;
  /** The record a config stands for. */
  scheduleOf(c: Config): S;
  /** The code generator's own static check: throws when it rejects the record, which is then never measured. */
  validate(s: S): void;
  /** Whether a thrown value is such a rejection; anything else propagates (a bug, not a bad config). Default: every throw. */
  readonly rejects?: (e: unknown) => boolean;
  features(s: S): Float32Array;
  /** Trial 0: what the target picks without a record. */
  readonly defaultSchedule: S;
  /** The record's cost (e.g. simulated cycles); a throw is a failed measurement, recorded as such. */
  cost(s: S): number;
}

/** A TuneTask over a target's schedule record: uniform knob sampling, a memoized static check, costs from the target. */
export function recordTask<S>(r: RecordSpace<S>): TuneTask {
  const memo = new Map<string, Check>();
  const checkUncached = (c: Config): Check => {
    const s = r.scheduleOf(c);
    try {
      r.validate(s);
      return { ok: true, config: c, schedule: s, features: r.features(s) };
    } catch (e) {
      if (r.rejects && !r.rejects(e)) throw e;
      return { ok: false, reason: (e as Error).message };
    }
  };
  return {
    name: r.name, workloadKey: r.workloadKey, description: r.description,
    ...knobSampling(r.knobs),
    check(c) {
      const h = configHash(c);
      let out = memo.get(h);
      if (!out) { out = checkUncached(c); memo.set(h, out); }
      return out;
    },
    defaultCandidate: () => ({ schedule: r.defaultSchedule, features: r.features(r.defaultSchedule) }),
    async measure(batch) {
      return batch.map((b) => {
        try {
          return { ok: true, cost: r.cost(b.schedule as S) };
        } catch (e) {
          return { ok: false, cost: Infinity, error: (e as Error).message };
        }
      });
    },
  };
}
