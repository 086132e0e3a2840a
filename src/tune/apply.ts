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

/** The best record of a kernel and the choice it stands for, before the in-model check (what confirm-model.ts checks). */
export function tunedCandidate(db: TuningDb, fingerprint: string, func: PrimFunc): { choice: TunedChoice; record: TuningRecord } | undefined {
  const wk = workloadKey(func), tk = targetKey(fingerprint);
  const best = db.best(wk, tk);
  if (!best || best.cost === null) return undefined;
  const dflt = db.lookup(wk, tk).find((r) => r.configHash === configHash(DEFAULT_CONFIG));
  if (!dflt || !dflt.ok || dflt.cost === null) return undefined; // no baseline: cannot prove it is faster
  if (best.configHash === dflt.configHash || best.cost > dflt.cost) return undefined;
  // Re-measured side by side after the search (timed targets): the confirmation decides.
  if (best.confirmed != null && dflt.confirmed != null && best.confirmed > dflt.confirmed) return undefined;
  const json = JSON.parse(best.schedule) as unknown;
  const choice = Array.isArray(json) ? { schedule: parseSchedule(best.schedule), cost: best.cost, defaultCost: dflt.cost }
    : { schedule: [], config: json, cost: best.cost, defaultCost: dflt.cost };
  return { choice, record: best };
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
