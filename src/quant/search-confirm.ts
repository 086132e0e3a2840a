// `auto` with a third, confirm-only split. The search picks its plan by evaluating many plans on the
// verification samples, so the plan it keeps is, among those, the one the verification draw was
// kindest to: its verify SQNR overstates what new inputs see (selection bias). PP-OCR cls, session 4:
// verify 35.4 dB, held-out 24.4 dB — and the gap grows with how much the search selected (uniform
// int8 3.8 dB, an int8/fp16 mix 7.0, an int4w mix 11.9). The confirmation samples are never searched
// on: the chosen plan is evaluated there once, and when it misses the floor the search backs off —
// the sqnr guard band grows by the observed verify−confirm gap (at least `stepDb`, and at least the
// confirmation's shortfall) and the search runs again on the verification samples — until a plan
// holds on the confirmation samples or `maxBackoffs` runs out (then `met` is false and the report says
// so). "Holds" for an sqnr floor means the one-sided 95 % bootstrap lower bound of its SQNR over the
// confirmation samples clears the floor, not the point estimate: a set's SQNR is decided by its few
// loud samples, and a held-out set of the same size spreads by ±2-3 dB around it (PP-OCR cls, 256
// crops per set: 29.8-35.4 dB for one plan over eight sets) — a plan confirmed at 31.0 dB measured
// 23.6 and 31.9 dB on two held-out seeds. A top1 floor backs off by dropping the narrowest candidate
// precision instead (its margin does not apply to top-1), and is confirmed on its point value.
// Driver-level file (imports the analyzer).
import { meetsFloor } from './budget.ts';
import { type Precision, PRECISIONS } from './precision.ts';
import { searchGreedy, type SearchOptions, type SearchResult } from './search.ts';
import type { ConfirmMetrics, PreparedSearch } from './search-split.ts';
import type { Analyzer } from './sensitivity.ts';

export interface ConfirmOptions {
  /** Re-searches after a confirmation miss (default 3). */
  readonly maxBackoffs?: number;
  /** The least a back-off raises the sqnr guard band (dB, default 1). */
  readonly stepDb?: number;
  /**
   * After a back-off holds: tries with the guard band halfway between the last miss and the hold,
   * keeping the smaller plan that holds (default 1; 0 = none). A back-off raises the band by the
   * whole verify − confirm gap, which overshoots when the missed plan was the most selected one.
   */
  readonly refineSteps?: number;
  /** The search run per attempt (default searchGreedy). */
  readonly search?: (an: Analyzer, opts: SearchOptions) => SearchResult;
}

export interface ConfirmAttempt {
  readonly marginDb: number;
  readonly candidates: readonly Precision[];
  readonly verifySqnr: number;
  readonly confirmSqnr: number;
  /** The confirmation SQNR's one-sided 95 % bootstrap lower bound (what an sqnr floor is checked on). */
  readonly confirmLow: number;
  readonly confirmTop1: number | null;
  readonly bytes: number;
  readonly passed: boolean;
}

export interface Confirmation {
  readonly samples: number;
  /** The kept plan on the confirmation samples. */
  readonly metrics: ConfirmMetrics;
  readonly passed: boolean;
  /** One entry per search run, in order (back-offs and refinements). */
  readonly attempts: readonly ConfirmAttempt[];
  /** Whole-model evaluations on the confirmation samples. */
  readonly evaluations: number;
  /** Searches run again with a larger guard band (or fewer candidates) after a miss. */
  readonly backoffs: number;
  /** Searches run halfway back after a back-off held. */
  readonly refines: number;
}

export type ConfirmedResult = SearchResult & { readonly confirm?: Confirmation };

/**
 * The search on `prep.an` (verification samples), confirmed on `prep.confirmAn`. Without
 * confirmation samples or an accuracy floor this is the plain search. `evaluations` counts the
 * verification evaluations of every attempt; `met` needs the floor on both splits.
 */
export function searchConfirmed(prep: PreparedSearch, opts: SearchOptions, copts: ConfirmOptions = {}): ConfirmedResult {
  const search = copts.search ?? searchGreedy;
  const floor = opts.budget.accuracy, can = prep.confirmAn;
  if (!can || !floor) return search(prep.an, opts);
  const attempts: ConfirmAttempt[] = [];
  const log: string[] = [];
  const e0 = can.evaluations, step = copts.stepDb ?? 1;
  let evaluations = 0, backoffs = 0, refines = copts.refineSteps ?? 1;
  type Tried = { r: SearchResult; c: ConfirmMetrics; passed: boolean; marginDb: number };
  const attempt = (marginDb: number, candidates: readonly Precision[]): Tried => {
    const r = search(prep.an, { ...opts, candidates, marginDb });
    evaluations += r.evaluations;
    log.push(...r.log.map((l) => `[attempt ${attempts.length + 1}] ${l}`));
    const c = can.evaluate(r.plan), low = c.sqnrLow ?? c.sqnr;
    const passed = floor.metric === 'sqnr' ? low >= floor.min : meetsFloor(c, floor);
    attempts.push({ marginDb, candidates, verifySqnr: r.metrics.sqnr, confirmSqnr: c.sqnr, confirmLow: low, confirmTop1: c.top1, bytes: r.bytes, passed });
    log.push(`confirm (${prep.split?.confirm} samples): sqnr ${c.sqnr.toFixed(2)} dB, lower bound ${low.toFixed(2)} (verify ${r.metrics.sqnr.toFixed(2)})${c.top1 !== null ? `, top1 ${(c.top1 * 100).toFixed(2)}%` : ''}: ${passed ? 'held' : 'missed'}`);
    return { r, c, passed, marginDb };
  };
  let candidates: readonly Precision[] = opts.candidates;
  let last = attempt(opts.marginDb ?? 2, candidates), best = last.passed ? last : undefined, missed = last.passed ? undefined : last.marginDb;
  for (;;) {
    let marginDb: number | undefined;
    if (!best) {
      // Back off: a larger guard band (sqnr) or one candidate fewer (top1).
      const gap = last.r.metrics.sqnr - last.c.sqnr;
      const next = backoffs < (copts.maxBackoffs ?? 3) ? backOff(floor.metric, last.marginDb, candidates, Math.max(step, gap, floor.min - (last.c.sqnrLow ?? last.c.sqnr)), gap) : undefined;
      if (!next) break;
      backoffs++;
      log.push(`back off: ${next.why}`);
      ({ marginDb, candidates } = next);
    } else if (floor.metric === 'sqnr' && missed !== undefined && refines > 0 && best.marginDb - missed > 2 * step) {
      // Held after a miss: the back-off may have overshot (it raises by the whole gap) — try halfway once.
      refines--;
      marginDb = (missed + best.marginDb) / 2;
      log.push(`refine: guard band ${marginDb.toFixed(2)} dB, between the miss at ${missed.toFixed(2)} and the hold at ${best.marginDb.toFixed(2)}`);
    } else break;
    last = attempt(marginDb, candidates);
    if (last.passed && (!best || last.r.bytes <= best.r.bytes)) best = last;
    if (!last.passed) missed = Math.max(missed ?? -Infinity, last.marginDb);
  }
  const kept = best ?? last;
  const confirm: Confirmation = {
    samples: prep.split?.confirm ?? 0, metrics: kept.c, passed: kept.passed, attempts, evaluations: can.evaluations - e0,
    backoffs, refines: (copts.refineSteps ?? 1) - refines,
  };
  return { ...kept.r, met: kept.r.met && kept.passed, evaluations, log, confirm };
}

/**
 * The next attempt's guard band and candidates, or undefined when nothing is left to give up.
 * `raise`: max(step, verify − confirm, floor − confirmation lower bound), dB.
 */
function backOff(metric: 'sqnr' | 'top1', marginDb: number, candidates: readonly Precision[], raise: number, gapDb: number) {
  if (metric === 'sqnr') {
    if (!Number.isFinite(raise)) return undefined;
    return { marginDb: marginDb + raise, candidates, why: `guard band ${marginDb.toFixed(2)} → ${(marginDb + raise).toFixed(2)} dB (verify − confirm gap ${gapDb.toFixed(2)} dB)` };
  }
  if (candidates.length <= 1) return undefined;
  // Candidates are precisions; the narrowest is the one with the fewest weight bits.
  const narrow = [...candidates].sort((a, b) => PRECISIONS[a].bits - PRECISIONS[b].bits)[0];
  return { marginDb, candidates: candidates.filter((c) => c !== narrow), why: `dropped candidate ${narrow}` };
}
