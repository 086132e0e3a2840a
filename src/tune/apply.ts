// What `tscc compile --db FILE` applies: per kernel, the best record of this workload on this exact
// target fingerprint, but only when it is at least as fast as the default schedule (trial 0)
// measured in the same database — a tuned kernel is never slower than an untuned one.
import { type TuningDb, TuningDb as TuningDbClass } from '../../tuning-db/index.ts';
import { FileError } from '../util/errors.ts';
import type { PrimFunc } from '../ir/tensor/func.ts';
import { type Step, parseSchedule } from '../schedule/step.ts';
import { configHash, DEFAULT_CONFIG, targetKey, workloadKey } from './keys.ts';

export interface TunedChoice { readonly schedule: Step[]; readonly cost: number; readonly defaultCost: number }

export function tunedSchedule(db: TuningDb, fingerprint: string, func: PrimFunc): TunedChoice | undefined {
  const wk = workloadKey(func), tk = targetKey(fingerprint);
  const best = db.best(wk, tk);
  if (!best || best.cost === null) return undefined;
  const dflt = db.lookup(wk, tk).find((r) => r.configHash === configHash(DEFAULT_CONFIG));
  if (!dflt || !dflt.ok || dflt.cost === null) return undefined; // no baseline: cannot prove it is faster
  if (best.configHash === dflt.configHash || best.cost > dflt.cost) return undefined;
  return { schedule: parseSchedule(best.schedule), cost: best.cost, defaultCost: dflt.cost };
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
