// Tuning one kernel on one target: trial 0 is the target's default schedule, then rounds of
// (fit the cost model on every record of this workload plus other workloads' records on the same
// target) → propose a batch → measure → record the batch in one transaction. Configs already in the
// database are never measured again, so a killed run resumes where its last committed batch ended.
import type { TuningDb, TuningRecord } from '../../tuning-db/index.ts';
import type { PrimFunc } from '../ir/tensor/func.ts';
import type { Step } from '../schedule/step.ts';
import { FEATURE_LENGTH } from './features/features.ts';
import { type Config, DEFAULT_CONFIG, configHash, configJson, targetFingerprint, targetKey } from './keys.ts';
import type { Measurer } from './measure/measurer.ts';
import { type CostModel, NearModel } from './model/model.ts';
import { Rng } from './rng.ts';
import { proposeBatch } from './search.ts';
import { type Candidate, type TuneTask, tirTask } from './task.ts';
import { median } from '../util/stats.ts';

export type TuneEvent =
  | { type: 'kernel_start'; kernel: string; workloadKey: string; measured: number; trials: number; spaceSize: number }
  | { type: 'batch'; kernel: string; measured: number; trials: number; new: number; failed: number; best: number | null; defaultCost: number | null }
  | { type: 'kernel_done'; kernel: string; measured: number; best: number | null; defaultCost: number | null; bestConfig: string | null; stopped: boolean };

export interface TuneKernelOptions {
  readonly trials: number;
  readonly batch?: number;
  readonly seed?: number;
  readonly model: CostModel;
  /** Epoch ms after which no new batch starts. */
  readonly deadline?: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: TuneEvent) => void;
  /** Called with the configs about to be measured (tests use it to prove nothing is re-measured). */
  readonly onMeasure?: (hashes: readonly string[]) => void;
  /** Records of other workloads used to warm-start the model. */
  readonly transfer?: number;
  /** Start with small batches that grow to `batch` (default true); false: every batch is `batch`. */
  readonly growBatch?: boolean;
  /** Before the model has anything to learn from, propose configs near the default (default true). */
  readonly defaultPrior?: boolean;
  /** Timed targets: after the search, re-measure the best and the default this many times each. */
  readonly confirm?: number;
}

export interface TuneTarget {
  readonly name: string;
  readonly fingerprint: string;
  defaultSchedule(func: PrimFunc): Step[];
}

/** Training rows: per workload, y = best cost / cost in (0, 1]. */
function trainingSet(records: readonly TuningRecord[]): { x: Float32Array; y: Float64Array } {
  const ok = records.filter((r) => r.ok && r.cost !== null && r.cost > 0 && r.features && r.features.length === FEATURE_LENGTH);
  const best = new Map<string, number>();
  for (const r of ok) best.set(r.workloadKey, Math.min(best.get(r.workloadKey) ?? Infinity, r.cost!));
  const x = new Float32Array(ok.length * FEATURE_LENGTH), y = new Float64Array(ok.length);
  ok.forEach((r, i) => { x.set(r.features!, i * FEATURE_LENGTH); y[i] = best.get(r.workloadKey)! / r.cost!; });
  return { x, y };
}

const bestOf = (rs: readonly TuningRecord[]): TuningRecord | undefined =>
  rs.filter((r) => r.ok && r.cost !== null).sort((a, b) => a.cost! - b.cost!)[0];

/** Tunes a Tensor IR kernel with the target's loop-nest space (see tuneTask for any TuneTask). */
export function tuneKernel(func: PrimFunc, name: string, target: TuneTarget, db: TuningDb, measurer: Measurer, o: TuneKernelOptions): Promise<TuningRecord | undefined> {
  return tuneTask(tirTask(func, name, target.name, measurer, (f) => target.defaultSchedule(f)), target.fingerprint, db, o);
}

export async function tuneTask(task: TuneTask, fingerprint: string, db: TuningDb, o: TuneKernelOptions): Promise<TuningRecord | undefined> {
  const wk = task.workloadKey, tk = targetKey(fingerprint), name = task.name;
  db.addWorkload({ workloadKey: wk, name, tir: task.description });
  db.addTarget(tk, targetFingerprint(fingerprint));
  const rng = new Rng((o.seed ?? 1) ^ parseInt(wk.slice(0, 8), 16));
  let records = db.lookup(wk, tk);
  const measured = new Set(records.map((r) => r.configHash));
  const defaultCost = () => records.find((r) => r.trial === 0)?.cost ?? null;
  const recorded = defaultCost();
  if (recorded !== null) task.anchor?.(recorded);
  o.onEvent?.({ type: 'kernel_start', kernel: name, workloadKey: wk, measured: measured.size, trials: o.trials, spaceSize: task.size });
  const stopped = () => o.signal?.aborted === true || (o.deadline !== undefined && Date.now() >= o.deadline);

  const run = async (batch: readonly Candidate[]): Promise<void> => {
    const hashes = batch.map((b) => configHash(b.config));
    o.onMeasure?.(hashes);
    const res = await task.measure(batch);
    const next = records.reduce((m, r) => Math.max(m, r.trial), 0) + 1;
    const rows: TuningRecord[] = batch.map((b, i) => ({
      workloadKey: wk, targetKey: tk, configHash: hashes[i], config: configJson(b.config), schedule: JSON.stringify(b.schedule),
      ok: res[i].ok, cost: res[i].ok ? res[i].cost : null, error: res[i].error ?? null,
      trial: hashes[i] === configHash(DEFAULT_CONFIG) ? 0 : next + i, features: b.features,
    }));
    const added = db.recordBatch(rows);
    // Another process may have measured some of them meanwhile: re-read what is committed.
    records = db.lookup(wk, tk);
    for (const r of records) measured.add(r.configHash);
    const b = bestOf(records);
    o.onEvent?.({ type: 'batch', kernel: name, measured: records.length, trials: o.trials, new: added, failed: rows.filter((r) => !r.ok).length, best: b?.cost ?? null, defaultCost: defaultCost() });
  };

  if (!measured.has(configHash(DEFAULT_CONFIG)) && !stopped()) await run([{ config: DEFAULT_CONFIG, ...task.defaultCandidate() }]);
  const transfer = o.transfer ?? 2000;
  while (records.length < o.trials && !stopped()) {
    const others = transfer > 0 ? db.others(wk, tk, transfer) : [];
    const { x, y } = trainingSet([...records, ...others]);
    // Nothing to learn from yet (only trial 0, no transfer): the first batch goes to the configs
    // whose programs look most like the target's default (a good schedule is usually near it).
    const dflt = records.find((r) => r.trial === 0 && r.ok)?.features;
    const prior = o.defaultPrior !== false && o.model.name !== 'random' && y.length < 2 && dflt ? new NearModel(dflt) : undefined;
    if (!prior) await o.model.fit(x, y, FEATURE_LENGTH);
    const seeds = records.filter((r) => r.ok && r.trial !== 0).sort((a, b) => a.cost! - b.cost!).slice(0, 16).map((r) => JSON.parse(r.config) as Config);
    // Batches grow with what is measured (2, 3, 6, … up to `batch`): the model is refitted after
    // each, so the search is guided after 3 measurements instead of after a whole blind batch.
    const cap = o.batch ?? 8;
    const want = Math.min(o.growBatch === false ? cap : Math.min(cap, Math.max(2, records.length)), o.trials - records.length);
    const configs = proposeBatch(task, prior ?? o.model, rng, measured, seeds, { batch: want });
    if (configs.length === 0) break; // the space is exhausted
    await run(configs.map((c) => {
      const r = task.check(c);
      if (!r.ok) throw new Error(`internal: proposed an invalid config (${r.reason})`);
      return r;
    }));
  }
  if ((o.confirm ?? 0) > 0 && !stopped()) await confirmBest(task, db, records, o.confirm!);
  records = db.lookup(wk, tk);
  const b = bestOf(records);
  o.onEvent?.({ type: 'kernel_done', kernel: name, measured: records.length, best: b?.cost ?? null, defaultCost: defaultCost(), bestConfig: b?.config ?? null, stopped: stopped() });
  return b;
}

/**
 * On a timed target the search's best is biased low: among many noisy measurements it won because it
 * was measured fast once. The best and the default are re-measured `n` times each, alternating, and
 * their medians recorded as `confirmed`; compile compares those (apply.ts). Nothing is re-confirmed
 * when the best already is and the default has a confirmation.
 */
async function confirmBest(task: TuneTask, db: TuningDb, records: readonly TuningRecord[], n: number): Promise<void> {
  const best = bestOf(records), dflt = records.find((r) => r.trial === 0 && r.ok);
  if (!best || !dflt || best.trial === 0 || (best.confirmed != null && dflt.confirmed != null)) return;
  const c = task.check(JSON.parse(best.config) as Config);
  if (!c.ok) return;
  const d: Candidate = { config: DEFAULT_CONFIG, ...task.defaultCandidate() };
  const tb: number[] = [], td: number[] = [];
  for (let i = 0; i < n; i++) {
    const [x, y] = await task.measure(i % 2 ? [c, d] : [d, c]);
    const [rd, rb] = i % 2 ? [y, x] : [x, y];
    if (!rd.ok || !rb.ok) return;
    td.push(rd.cost); tb.push(rb.cost);
  }
  db.confirm([
    { workloadKey: best.workloadKey, targetKey: best.targetKey, configHash: best.configHash, cost: median(tb) },
    { workloadKey: dflt.workloadKey, targetKey: dflt.targetKey, configHash: dflt.configHash, cost: median(td) },
  ]);
}
