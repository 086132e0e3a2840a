// Mixed-precision search: a precision per quantizable group under the user's budget.
//
// Ours ("greedy-bisect"):
//  1. every group starts at the most precise level (fp32); its moves down the candidate ladder
//     (fp32 → fp16 → int8 → int4w, the candidates given) each save cost (weight bytes, or target
//     cycles) and add noise, predicted from the group's sensitivity (noise power 10^(−SQNR/10));
//  2. moves are ordered greedily by saved cost per added noise (a group's moves stay in ladder order);
//  3. the longest prefix of that order meeting the accuracy floor is found by bisection, each probe a
//     real end-to-end evaluation on the calibration set (noise does not add up exactly — measured:
//     PP-OCR cls int8 predicts 23 dB, measures 32 dB — so the prediction only orders the moves);
//  4. fill: the moves after the prefix are tried one at a time and kept if the floor still holds.
// Baseline ("fallback"): all groups int8, then the worst group (lowest sensitivity SQNR) goes back to
// fp16, one at a time, until the floor holds — one evaluation per step.
import { type AccuracyFloor, type Budget, meetsFloor } from './budget.ts';
import type { Precision } from './precision.ts';
import type { Analyzer, Plan } from './sensitivity.ts';
import type { OutputMetrics } from './sensitivity-metrics.ts';
import type { QGroup } from '../../passes/quantize/groups.ts';

export interface SearchOptions {
  /** Precisions a group may take; fp32 is always allowed as the top of the ladder. */
  readonly candidates: readonly Precision[];
  readonly budget: Budget;
  /** Group sensitivities: local (QuantuneV2: the group's own output) or end-to-end (model output). */
  readonly sensitivity?: 'local' | 'e2e';
  /** Cycles of a group at a precision (a target's estimate); when given with budget.latencyCycles the search saves cycles, else bytes. */
  readonly cycles?: (g: QGroup, p: Precision) => number;
  /** Cap on fill evaluations (default 16). */
  readonly maxFill?: number;
  /** Fallback: cap on reverted groups (default: all). */
  readonly maxSteps?: number;
  /**
   * dB added to an sqnr floor while searching (default 2): the floor is checked on calibration
   * samples, and held-out inputs measure lower (PP-OCR cls uniform int8: 29.4 dB on calibration,
   * 21.9 dB held-out), so the search keeps a guard band. `met` is judged on the floor itself.
   */
  readonly marginDb?: number;
}

export interface SearchResult {
  readonly plan: Map<string, Precision>;
  readonly metrics: OutputMetrics;
  readonly bytes: number;
  readonly cycles?: number;
  /** Whole-model evaluations the search ran. */
  readonly evaluations: number;
  /** Accuracy floor and size/latency targets all met. */
  readonly met: boolean;
  readonly log: readonly string[];
}

/** Bits per weight element, for ordering a ladder (MX adds a scale per 32). */
const LADDER: readonly Precision[] = ['fp32', 'fp16', 'bf16', 'fp8e4m3', 'fp8e5m2', 'mxint8', 'mxfp8', 'int8', 'mxfp6', 'mxfp4', 'int4w'];

interface Move { g: QGroup; to: Precision; gain: number; noise: number }

export function searchGreedy(an: Analyzer, opts: SearchOptions): SearchResult {
  const log: string[] = [];
  const e0 = an.evaluations;
  const useCycles = opts.budget.latencyCycles !== undefined && opts.cycles !== undefined;
  const cost = (g: QGroup, p: Precision) => (useCycles ? opts.cycles!(g, p) : an.weightBytes(g, p));
  const ladder = LADDER.filter((p) => p === 'fp32' || opts.candidates.includes(p));
  const noise = (g: QGroup, p: Precision) => (p === 'fp32' ? 0 : 10 ** (-sensitivitySqnr(an, g, p, opts.sensitivity) / 10));
  const moves = orderMoves(an.groups, ladder, cost, noise);
  log.push(`${moves.length} moves over ${an.groups.length} groups, ladder ${ladder.join(' > ')}, cost = ${useCycles ? 'cycles' : 'bytes'}`);
  const planAt = (k: number, extra: readonly Move[] = []) => {
    const plan = new Map<string, Precision>();
    for (const m of [...moves.slice(0, k), ...extra]) plan.set(m.g.name, m.to);
    return plan;
  };
  const total = (plan: Plan) => an.groups.reduce((s, g) => s + cost(g, plan.get(g.name) ?? 'fp32'), 0);
  const evals = new Map<number, OutputMetrics>();
  const floor = guarded(opts);
  const okAt = (k: number) => {
    let m = evals.get(k);
    if (!m) { m = an.evaluate(planAt(k)); evals.set(k, m); log.push(`prefix ${k}: sqnr ${m.sqnr.toFixed(2)} dB${m.top1 !== null ? `, top1 ${(m.top1 * 100).toFixed(2)}%` : ''}`); }
    return meetsFloor(m, floor);
  };
  // The shortest prefix meeting a size/latency target, if any.
  const target = useCycles ? opts.budget.latencyCycles : sizeTarget(an, opts.budget);
  let kTarget = 0;
  if (target !== undefined) while (kTarget < moves.length && total(planAt(kTarget)) > target) kTarget++;
  let k: number;
  if (!opts.budget.accuracy) k = target !== undefined ? kTarget : moves.length;
  else if (okAt(moves.length)) k = moves.length;
  else {
    let lo = 0, hi = moves.length; // ok(lo) assumed (fp32), !ok(hi)
    while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (okAt(mid)) lo = mid; else hi = mid; }
    k = lo;
  }
  // Fill: later moves one at a time, kept while the floor holds (only with a floor to check).
  const kept: Move[] = [];
  if (opts.budget.accuracy && k < moves.length) {
    let budget = opts.maxFill ?? 16;
    for (const m of moves.slice(k + 1)) {
      if (budget-- <= 0) break;
      // A group's later move needs its earlier ones; skip groups whose previous step was not taken.
      const prev = moves.slice(0, moves.indexOf(m)).filter((x) => x.g === m.g);
      if (prev.some((x) => !moves.slice(0, k).includes(x) && !kept.includes(x))) continue;
      const mm = an.evaluate(planAt(k, [...kept, m]));
      if (meetsFloor(mm, floor)) { kept.push(m); log.push(`fill ${m.g.name} → ${m.to}: kept (sqnr ${mm.sqnr.toFixed(2)})`); }
    }
  }
  const plan = planAt(k, kept);
  return finish(an, plan, opts, log, cost, useCycles, target, e0);
}

/** The baseline: all int8, then the worst group back to fp16 until the floor holds. */
export function searchFallback(an: Analyzer, opts: SearchOptions): SearchResult {
  const log: string[] = [];
  const e0 = an.evaluations;
  const plan = new Map<string, Precision>(an.groups.map((g) => [g.name, 'int8']));
  const order = [...an.groups].sort((a, b) => sensitivitySqnr(an, a, 'int8', opts.sensitivity) - sensitivitySqnr(an, b, 'int8', opts.sensitivity));
  let i = 0;
  for (;;) {
    const m = an.evaluate(plan);
    log.push(`${i} reverted: sqnr ${m.sqnr.toFixed(2)} dB`);
    if (meetsFloor(m, guarded(opts)) || i >= Math.min(order.length, opts.maxSteps ?? Infinity)) break;
    plan.set(order[i++].name, 'fp16');
  }
  const cost = (g: QGroup, p: Precision) => an.weightBytes(g, p);
  return finish(an, plan, opts, log, cost, false, undefined, e0);
}

function finish(an: Analyzer, plan: Map<string, Precision>, opts: SearchOptions, log: string[],
  cost: (g: QGroup, p: Precision) => number, useCycles: boolean, target: number | undefined, e0: number): SearchResult {
  const metrics = an.evaluate(plan);
  const cycles = opts.cycles ? an.groups.reduce((s, g) => s + opts.cycles!(g, plan.get(g.name) ?? 'fp32'), 0) : undefined;
  const spent = an.groups.reduce((s, g) => s + cost(g, plan.get(g.name) ?? 'fp32'), 0);
  const met = meetsFloor(metrics, opts.budget.accuracy) && (target === undefined || spent <= target);
  log.push(`result: sqnr ${metrics.sqnr.toFixed(2)} dB, ${useCycles ? `${spent} cycles` : `${spent} weight bytes`}, ${met ? 'budget met' : 'budget NOT met'}`);
  return { plan, metrics, bytes: an.modelBytes(plan), cycles, evaluations: an.evaluations - e0, met, log };
}

function guarded(opts: SearchOptions): AccuracyFloor | undefined {
  const f = opts.budget.accuracy;
  return f?.metric === 'sqnr' ? { metric: 'sqnr', min: f.min + (opts.marginDb ?? 2) } : f;
}

function sizeTarget(an: Analyzer, b: Budget): number | undefined {
  if (!b.size) return undefined;
  if ('bytes' in b.size) {
    // The target is on the whole model; the search counts weight bytes, so subtract the rest.
    const fp32 = an.modelBytes(new Map()), weights = an.groups.reduce((s, g) => s + an.weightBytes(g, 'fp32'), 0);
    return b.size.bytes - (fp32 - weights);
  }
  return b.size.fraction * an.groups.reduce((s, g) => s + an.weightBytes(g, 'fp32'), 0);
}

export function sensitivitySqnr(an: Analyzer, g: QGroup, p: Precision, kind: 'local' | 'e2e' = 'local'): number {
  return kind === 'e2e' ? an.endToEnd(g, p).sqnr : an.local(g, p).sqnr;
}

/** Greedy order: repeatedly the best gain/noise among each group's next move down its ladder. */
function orderMoves(groups: readonly QGroup[], ladder: readonly Precision[], cost: (g: QGroup, p: Precision) => number,
  noise: (g: QGroup, p: Precision) => number): Move[] {
  const level = new Map(groups.map((g) => [g, 0]));
  const out: Move[] = [];
  for (;;) {
    let best: Move | undefined, bestRatio = -Infinity;
    for (const g of groups) {
      const from = ladder[level.get(g)!];
      // The next step down that saves something (a ladder level with equal cost is skipped over).
      for (let j = level.get(g)! + 1; j < ladder.length; j++) {
        const to = ladder[j], gain = cost(g, from) - cost(g, to);
        if (gain <= 0) continue;
        const dn = Math.max(noise(g, to) - noise(g, from), 1e-12);
        if (gain / dn > bestRatio) { bestRatio = gain / dn; best = { g, to, gain, noise: dn }; }
        break;
      }
    }
    if (!best) return out;
    out.push(best);
    level.set(best.g, ladder.indexOf(best.to));
  }
}
