// How good is the tuner on one kernel (used by bench/tuning.ts): a long random search gives the
// reference best; a search variant (cost-model objective, transfer or not, batch schedule) is scored
// by the trials it needs to reach 95% of that best; the cost model by its pairwise ranking accuracy
// on held-out configs. Measurements are memoized per config, so every search sees the same cost for
// the same config (timed targets are noisy; this compares searches, not timings).
import { type TuningDb, TuningDb as Db } from '../../tuning-db/index.ts';
import { FEATURE_LENGTH } from './features/features.ts';
import { type Config, configHash, targetKey } from './keys.ts';
import type { MeasureResult } from './measure/measurer.ts';
import { pairwiseAccuracy } from './model/model.ts';
import { type XgbObjective, XgbModel } from './model/xgboost.ts';
import { Rng } from './rng.ts';
import { randomValid } from './search.ts';
import type { TuneTask } from './task.ts';
import { tuneTask } from './tuner.ts';
import { median } from '../util/stats.ts';

export interface PoolEntry { readonly c: Config; readonly cost: number; readonly f: Float32Array }

export interface RandomPool {
  readonly entries: readonly PoolEntry[];
  readonly best: number;
  /** 95% of the best's speed: cost ≤ best / 0.95. */
  readonly goal: number;
  /** Expected trials of random search (without replacement) to reach the goal: (N + 1) / (k + 1). */
  readonly randomTrials: number;
}

/** The task with its measurements memoized per config hash. */
export function memoized(t: TuneTask): TuneTask & { readonly measuredCount: () => number } {
  const cache = new Map<string, MeasureResult>();
  return {
    ...t,
    measuredCount: () => cache.size,
    async measure(batch) {
      const out: MeasureResult[] = [];
      for (const b of batch) {
        const h = configHash(b.config);
        let r = cache.get(h);
        if (!r) { r = (await t.measure([b]))[0]; cache.set(h, r); }
        out.push(r);
      }
      return out;
    },
  };
}

/** Measures up to `n` distinct random valid configs (the whole space when it is smaller). */
export async function randomPool(task: TuneTask, n: number, seed = 42): Promise<RandomPool> {
  const rng = new Rng(seed);
  const entries: PoolEntry[] = [];
  const seen = new Set<string>();
  while (entries.length < n) {
    const c = randomValid(task, rng, seen, 2000);
    if (!c) break;
    seen.add(configHash(c));
    const r = task.check(c);
    if (!r.ok) continue;
    const [m] = await task.measure([r]);
    if (m.ok) entries.push({ c, cost: m.cost, f: r.features });
  }
  const best = Math.min(...entries.map((p) => p.cost));
  const goal = best / 0.95;
  const k = entries.filter((p) => p.cost <= goal).length;
  return { entries, best, goal, randomTrials: (entries.length + 1) / (k + 1) };
}

export interface SearchVariant {
  readonly objective: XgbObjective;
  /** Warm-start from the records of other workloads in the same database. */
  readonly transfer: boolean;
  readonly growBatch: boolean;
  /** Propose configs near the default before the model has data (tuner.ts). */
  readonly defaultPrior: boolean;
}

/**
 * Trials (trial 0, the target's default, not counted: random search does not get it either) until a
 * measured config reaches the goal; Infinity when the budget runs out first.
 */
export async function trialsToGoal(task: TuneTask, fingerprint: string, db: TuningDb, goal: number,
  v: SearchVariant, o: { budget: number; batch?: number; seed: number }): Promise<number> {
  await tuneTask(task, fingerprint, db, {
    trials: o.budget + 1, batch: o.batch ?? 8, seed: o.seed, model: new XgbModel({ objective: v.objective }),
    transfer: v.transfer ? 2000 : 0, growBatch: v.growBatch, defaultPrior: v.defaultPrior,
  });
  const searched = db.lookup(task.workloadKey, targetKey(fingerprint)).filter((r) => r.trial !== 0).sort((x, y) => x.trial - y.trial);
  const hit = searched.findIndex((r) => r.ok && r.cost !== null && r.cost <= goal);
  return hit < 0 ? Infinity : hit + 1;
}

/** A fresh in-memory database (cold start). */
export const coldDb = (): TuningDb => Db.open(':memory:');

export function packFeatures(ps: readonly PoolEntry[]): Float32Array {
  const x = new Float32Array(ps.length * FEATURE_LENGTH);
  ps.forEach((p, i) => x.set(p.f, i * FEATURE_LENGTH));
  return x;
}

/**
 * Trains on the first half of the pool (target best/cost), scores the second half: on all pairs, and
 * (`aware`) on the pairs whose costs differ by more than `minRatio` (the measured noise).
 */
export async function heldOutPairwise(pool: RandomPool, objective: XgbObjective, minRatio = 1): Promise<{ acc: number; aware: number; model: XgbModel }> {
  const half = pool.entries.length >> 1;
  const tr = pool.entries.slice(0, half), te = pool.entries.slice(half);
  const trBest = Math.min(...tr.map((p) => p.cost));
  const model = new XgbModel({ objective });
  await model.fit(packFeatures(tr), Float64Array.from(tr, (p) => trBest / p.cost), FEATURE_LENGTH);
  const pred = model.predict(packFeatures(te), FEATURE_LENGTH), truth = te.map((p) => p.cost);
  return { acc: pairwiseAccuracy(pred, truth), aware: pairwiseAccuracy(pred, truth, minRatio), model };
}

/**
 * The pool with each config's cost replaced by the median of its first cost and `extra` fresh
 * measurements through `raw` (the task without memoization). Measured round-robin — every config
 * once, then every config again — so a change of the machine's load touches all configs alike.
 * Why: on a timed target one measurement's noise (CV ~10 % paired) is as large as the difference
 * between most pairs of a pool, so the held-out labels themselves mis-order pairs; this measures
 * how much of the pairwise error is the labels' and how much the model's.
 */
export async function remeasuredPool(pool: RandomPool, raw: TuneTask, extra: number): Promise<RandomPool> {
  const costs = pool.entries.map((e) => [e.cost]);
  for (let k = 0; k < extra; k++) {
    for (const [i, e] of pool.entries.entries()) {
      const r = raw.check(e.c);
      if (!r.ok) continue;
      const [m] = await raw.measure([r]);
      if (m.ok) costs[i].push(m.cost);
    }
  }
  const entries = pool.entries.map((e, i) => ({ ...e, cost: median(costs[i]) }));
  const best = Math.min(...entries.map((p) => p.cost));
  const k = entries.filter((p) => p.cost <= best / 0.95).length;
  return { entries, best, goal: best / 0.95, randomTrials: (entries.length + 1) / (k + 1) };
}
