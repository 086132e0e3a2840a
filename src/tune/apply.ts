// What `tscc compile --db FILE` applies: per kernel, the best record of this workload on this exact
// target fingerprint, but only when it is at least as fast as the default schedule (trial 0)
// measured in the same database — a tuned kernel is never slower than an untuned one. On a timed
// target (WGSL) the record must also have been confirmed faster inside a model (confirm-model.ts).
import { type TuningDb, TuningDb as TuningDbClass, type TuningRecord } from '../../tuning-db/index.ts';
import { FileError } from '../util/errors.ts';
import type { PrimFunc } from '../ir/tensor/func.ts';
import { type Step, parseSchedule } from '../schedule/step.ts';
import { configHash, DEFAULT_CONFIG, targetKey, workloadKey } from './keys.ts';
import type { Target } from '../../targets/target.ts';

/**
 * A record's schedule is Tensor IR steps (a JSON array) or, for targets whose code generator has
 * its own knobs (WGSL), that config (a JSON object), which compile passes on as KernelPlan.config.
 */
export interface TunedChoice { readonly schedule: Step[]; readonly config?: unknown; readonly cost: number; readonly defaultCost: number }

/**
 * The fingerprint tuning records are keyed by: the target's own, plus, for WGSL, the adapter the
 * kernels were timed on (kind, description, limits), so a record measured on SwiftShader never
 * applies to a GPU, and the reverse.
 */
export async function tuningFingerprint(target: Target): Promise<string> {
  const withProfile = target as unknown as { profile?: () => Promise<{ kind: string; description: string; limits: unknown }> };
  if (target.name !== 'wgsl' || typeof withProfile.profile !== 'function') return target.fingerprint();
  const p = await withProfile.profile();
  return `${target.fingerprint()}|${p.kind}|${p.description}|${JSON.stringify(p.limits)}`;
}

/**
 * Targets whose records are wall/GPU timings (WGSL): their best record is applied only once it was
 * confirmed faster inside a whole model (confirm-model.ts: the CI of its in-model speedup above 1);
 * simulated cycles (NPU, PIM) are exact and need no such check.
 */
export const timedFingerprint = (fingerprint: string): boolean => fingerprint.startsWith('wgsl:');

/**
 * Timed targets: how many records after the best one the in-model check may try when it drops the
 * best (a config that wins alone can lose inside the model, and the next one often does not).
 */
export const RUNNER_UPS = 2;

export interface Candidate { readonly choice: TunedChoice; readonly record: TuningRecord }

/**
 * The records compile may apply for a kernel, fastest first: faster than the default in the search
 * and, when both were re-measured side by side after it, there too. Exact targets (simulated cycles):
 * the best only; timed targets: the best and up to RUNNER_UPS more, for the in-model check.
 */
export function tunedCandidates(db: TuningDb, fingerprint: string, func: PrimFunc): Candidate[] {
  const wk = workloadKey(func), tk = targetKey(fingerprint);
  const dflt = db.lookup(wk, tk).find((r) => r.configHash === configHash(DEFAULT_CONFIG));
  if (!dflt || !dflt.ok || dflt.cost === null) return []; // no baseline: cannot prove it is faster
  const out: Candidate[] = [];
  for (const r of db.ranked(wk, tk, timedFingerprint(fingerprint) ? 1 + RUNNER_UPS : 1)) {
    if (r.cost === null || r.configHash === dflt.configHash || r.cost > dflt.cost) break;
    if (r.confirmed != null && dflt.confirmed != null && r.confirmed > dflt.confirmed) continue; // slower re-measured
    const json = JSON.parse(r.schedule) as unknown;
    const choice = Array.isArray(json) ? { schedule: parseSchedule(r.schedule), cost: r.cost, defaultCost: dflt.cost }
      : { schedule: [], config: json, cost: r.cost, defaultCost: dflt.cost };
    out.push({ choice, record: r });
  }
  return out;
}

/**
 * The record compile applies for a kernel, or the one the in-model check times next (confirm-model.ts):
 * the fastest candidate not already dropped inside a model.
 */
export function tunedCandidate(db: TuningDb, fingerprint: string, func: PrimFunc): Candidate | undefined {
  return tunedCandidates(db, fingerprint, func).find((c) => c.record.inModelLo == null || inModelKept(c.record.inModelLo));
}

/** The in-model rule (confirm-model.ts): a timed record is applied only when its speedup's 95 % CI inside the model lies above 1. */
export const inModelKept = (lo: number | null | undefined): boolean => lo != null && lo > 1;

export function tunedSchedule(db: TuningDb, fingerprint: string, func: PrimFunc): TunedChoice | undefined {
  const c = tunedCandidate(db, fingerprint, func);
  if (!c) return undefined;
  if (timedFingerprint(fingerprint) && !inModelKept(c.record.inModelLo)) return undefined;
  return c.choice;
}

export interface TuningLookup {
  choose(func: PrimFunc): TunedChoice | undefined;
  close(): void;
}

/** Opens the database read-only for one compile; a missing or unreadable file is the user's E_FILE. */
export function openTuningLookup(path: string, fingerprint: string): TuningLookup {
  let db: TuningDb;
  try {
    db = TuningDbClass.open(path, { readonly: true });
  } catch (e) {
    throw new FileError(`--db ${path}: ${(e as Error).message}`);
  }
  return { choose: (f) => tunedSchedule(db, fingerprint, f), close: () => db.close() };
}
