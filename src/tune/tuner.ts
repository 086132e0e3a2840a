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
import type { CostModel } from './model/model.ts';
import { Rng } from './rng.ts';
import { proposeBatch } from './search.ts';
import { type Candidate, type TuneTask, tirTask } from './task.ts';

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
    await o.model.fit(x, y, FEATURE_LENGTH);
    const seeds = records.filter((r) => r.ok && r.trial !== 0).sort((a, b) => a.cost! - b.cost!).slice(0, 16).map((r) => JSON.parse(r.config) as Config);
    const want = Math.min(o.batch ?? 8, o.trials - records.length);
    const configs = proposeBatch(task, o.model, rng, measured, seeds, { batch: want });
    if (configs.length === 0) break; // the space is exhausted
    await run(configs.map((c) => {
      const r = task.check(c);
      if (!r.ok) throw new Error(`internal: proposed an invalid config (${r.reason})`);
      return r;
    }));
  }
  const b = bestOf(records);
  o.onEvent?.({ type: 'kernel_done', kernel: name, measured: records.length, best: b?.cost ?? null, defaultCost: defaultCost(), bestConfig: b?.config ?? null, stopped: stopped() });
  return b;
}
