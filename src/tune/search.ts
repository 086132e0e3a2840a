// Model-guided evolutionary search. Each round starts from the best measured configs plus random
// valid ones, mutates them for a few generations keeping the population with the best predicted
// scores, then proposes a batch: the top (1 − ε) by predicted score that were never measured, and ε
// random valid unmeasured configs (exploration keeps a wrong model from trapping the search).
import { FEATURE_LENGTH } from './features/features.ts';
import { type Config, configHash } from './keys.ts';
import type { CostModel } from './model/model.ts';
import type { Rng } from './rng.ts';
import type { TuneTask } from './task.ts';

/** What the search needs of a space: TuneTask and SearchSpace both qualify. */
interface Sampler { random(rng: Rng): Config; check(c: Config): { ok: boolean } }

export interface SearchOptions {
  readonly batch: number;
  readonly epsilon?: number;
  readonly population?: number;
  readonly generations?: number;
}

/** A random valid config not in `skip` (undefined when none is found after many tries). */
export function randomValid(space: Sampler, rng: Rng, skip: ReadonlySet<string>, tries = 200): Config | undefined {
  for (let i = 0; i < tries; i++) {
    const c = space.random(rng);
    if (!skip.has(configHash(c)) && space.check(c).ok) return c;
  }
  return undefined;
}

function score(model: CostModel, feats: Float32Array[]): Float64Array {
  const x = new Float32Array(feats.length * FEATURE_LENGTH);
  feats.forEach((f, i) => x.set(f, i * FEATURE_LENGTH));
  return model.predict(x, FEATURE_LENGTH);
}

export function proposeBatch(
  space: TuneTask, model: CostModel, rng: Rng,
  measured: ReadonlySet<string>, seeds: readonly Config[], o: SearchOptions,
): Config[] {
  const pop = o.population ?? 48, eps = o.epsilon ?? 0.1;
  const pool = new Map<string, { c: Config; f: Float32Array }>();
  const add = (c: Config): void => {
    const h = configHash(c);
    if (pool.has(h)) return;
    const r = space.check(c);
    if (r.ok) pool.set(h, { c, f: r.features });
  };
  for (const c of seeds) add(c);
  for (let i = 0; pool.size < pop && i < pop * 4; i++) add(space.random(rng));
  let current = [...pool.values()];
  for (let g = 0; g < (o.generations ?? 4); g++) {
    for (const p of current) for (let m = 0; m < 2; m++) add(space.mutate(p.c, rng));
    const all = [...pool.values()];
    const s = score(model, all.map((p) => p.f));
    current = all.map((p, i) => ({ p, s: s[i] })).sort((a, b) => a.s - b.s).slice(0, pop).map((x) => x.p);
  }
  const fresh = [...pool.entries()].filter(([h]) => !measured.has(h));
  const s = score(model, fresh.map(([, p]) => p.f));
  const ranked = fresh.map(([h, p], i) => ({ h, c: p.c, s: s[i] })).sort((a, b) => a.s - b.s);
  const nExplore = Math.max(0, Math.round(o.batch * eps));
  const out: Config[] = [];
  const taken = new Set(measured);
  for (const r of ranked) {
    if (out.length >= o.batch - nExplore) break;
    out.push(r.c); taken.add(r.h);
  }
  while (out.length < o.batch) {
    const c = randomValid(space, rng, taken);
    if (!c) break;
    out.push(c); taken.add(configHash(c));
  }
  return out;
}
