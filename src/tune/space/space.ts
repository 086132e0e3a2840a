// A search space: named knobs with candidate values, a function from a config (one value per knob)
// to schedule steps, and static validity checks. A config is valid when its steps apply (the schedule
// library checks legality) and the result fits the device limits; only valid configs are measured.
import type { PrimFunc } from '../../ir/tensor/func.ts';
import { applyStep } from '../../schedule/apply.ts';
import type { Step } from '../../schedule/step.ts';
import { type Config, configHash } from '../keys.ts';
import type { Rng } from '../rng.ts';
import { type DeviceLimits, violatesLimits } from './limits.ts';
import type { Nest } from './nest.ts';

export interface Knob { readonly name: string; readonly values: readonly number[] }

export type Checked = { readonly ok: true; readonly func: PrimFunc; readonly steps: Step[] } | { readonly ok: false; readonly reason: string };

export class SearchSpace {
  private readonly memo = new Map<string, Checked>();

  constructor(
    readonly kind: string,
    readonly nest: Nest,
    readonly knobs: readonly Knob[],
    private readonly stepsOf: (c: Config) => Step[],
    readonly limits: DeviceLimits,
    /** Cheap checks on the knob values alone (e.g. a thread tile must divide its block tile). */
    private readonly precheck: (c: Config) => string | undefined = () => undefined,
  ) {}

  /** Number of configs (valid or not). */
  get size(): number { return this.knobs.reduce((a, k) => a * k.values.length, 1); }

  steps(c: Config): Step[] { return this.stepsOf(c); }

  /** Applies the config's schedule and checks the limits; memoized per config. */
  check(c: Config): Checked {
    const h = configHash(c);
    let r = this.memo.get(h);
    if (!r) { r = this.checkUncached(c); this.memo.set(h, r); }
    return r;
  }

  private checkUncached(c: Config): Checked {
    const pre = this.precheck(c);
    if (pre) return { ok: false, reason: pre };
    const steps = this.stepsOf(c);
    let f = this.nest.func;
    try {
      for (const s of steps) f = applyStep(f, s);
    } catch (e) {
      return { ok: false, reason: (e as Error).message };
    }
    const why = violatesLimits(f, this.limits);
    return why ? { ok: false, reason: why } : { ok: true, func: f, steps };
  }

  random(rng: Rng): Config {
    return Object.fromEntries(this.knobs.map((k) => [k.name, rng.pick(k.values)]));
  }

  /** A neighbour: one knob moved to an adjacent value (or, now and then, any value). */
  mutate(c: Config, rng: Rng): Config {
    const movable = this.knobs.filter((k) => k.values.length > 1);
    if (movable.length === 0) return c;
    const k = rng.pick(movable);
    const i = k.values.indexOf(c[k.name]);
    let j: number;
    if (rng.next() < 0.3 || i < 0) j = rng.int(k.values.length);
    else j = Math.max(0, Math.min(k.values.length - 1, i + (rng.next() < 0.5 ? -1 : 1)));
    return { ...c, [k.name]: k.values[j] };
  }

  /** Every config, for small spaces (tests, exhaustive benches). */
  *all(): Generator<Config> {
    const idx = this.knobs.map(() => 0);
    if (this.knobs.some((k) => k.values.length === 0)) return;
    for (;;) {
      yield Object.fromEntries(this.knobs.map((k, i) => [k.name, k.values[idx[i]]]));
      let d = this.knobs.length - 1;
      while (d >= 0 && ++idx[d] === this.knobs[d].values.length) { idx[d] = 0; d--; }
      if (d < 0) return;
    }
  }
}

/** Knob names with their values, for spaces that need no Tensor IR steps. */
export type KnobTable = readonly (readonly [string, readonly number[]])[];

/** Size, uniform sampling and one-knob mutation over a plain table of knob values: the spaces of the
 *  targets' own schedule records (NPU layers, PIM GEMVs), which need no Tensor IR steps. */
export function knobSampling(knobs: KnobTable): Pick<SearchSpace, 'size' | 'random'> & { mutate(c: Config, rng: Rng): Config } {
  return {
    size: knobs.reduce((a, [, v]) => a * v.length, 1),
    random: (rng: Rng) => Object.fromEntries(knobs.map(([k, v]) => [k, rng.pick(v)])),
    mutate(c: Config, rng: Rng) {
      const [k, v] = rng.pick(knobs);
      return { ...c, [k]: rng.pick(v) };
    },
  };
}
