// Calibration for `--quantize auto`: the calibration set is split in two, so a plan is never judged on
// the data that set its ranges. The `ranges` part feeds the observers (and the choice between
// percentile / min-max / MSE ranges); the `verify` part is the only data the search evaluates plans
// on, and its bootstrap spread sets the guard band of an sqnr floor (search-margin.ts). Without the
// split, a plan checked on its own calibration samples measured 33.9 dB and 24.1 dB held-out (PP-OCR
// cls, session 2); with it, 32.6 dB held-out. The driver (search-run.ts) and bench/quant.ts both
// come through here, so what the bench measures is what `tscc compile --quantize auto` does.
// Driver-level file (imports passes/quantize and the runtime).
import type { Graph } from '../ir/graph/graph.ts';
import { calibrate, type Calibration, mseRanges } from '../../passes/quantize/calibrate.ts';
import type { ObserverKind } from './observers.ts';
import { marginFromSplit, samplePowers, sqnrLowerDrop } from './search-margin.ts';
import { rng, shuffle } from '../runtime/random.ts';
import { Analyzer, type AnalyzerFactory, defaultAnalyzer, type PickedRanges, pickRanges, pickRangesWith, type Plan } from './sensitivity.ts';
import { metricsOf, type OutputMetrics } from './sensitivity-metrics.ts';
import { stratify } from './search-screen.ts';
import { runGraph, type TensorMap } from '../runtime/interpreter.ts';

/** Fewer samples than this: no split (every sample sets ranges and judges plans), fixed margin. */
export const MIN_SPLIT_SAMPLES = 4;
/** The guard band when there is no verification split to measure one on (dB). */
export const FIXED_MARGIN_DB = 2;

/**
 * `nVerify` of the samples, drawn by a seeded shuffle, then `nConfirm` more, the rest set ranges (each
 * part keeps the folder's order). Deterministic and disjoint; the verification part does not depend
 * on `nConfirm`. Not a head/tail cut — calibration folders are read in
 * sorted order, which often groups similar inputs (one class, one speaker) — and not an even
 * interleave either: that aliases with alternating data (PP-OCR cls crops upright / rotated in turn
 * put every rotated crop in the verification half and none in the ranges).
 */
export function splitSamples<T>(samples: readonly T[], nVerify: number, seed = 1, nConfirm = 0): { ranges: T[]; verify: T[]; confirm: T[] } {
  const n = samples.length, v = Math.max(0, Math.min(n, Math.floor(nVerify)));
  const c = Math.max(0, Math.min(n - v, Math.floor(nConfirm)));
  const order = shuffle(samples.map((_, i) => i), rng(seed));
  const part = new Map<number, 'verify' | 'confirm'>();
  order.slice(0, v).forEach((i) => part.set(i, 'verify'));
  order.slice(v, v + c).forEach((i) => part.set(i, 'confirm'));
  const out = { ranges: [] as T[], verify: [] as T[], confirm: [] as T[] };
  samples.forEach((s, i) => out[part.get(i) ?? 'ranges'].push(s));
  return out;
}

/** Fewer samples than this: no confirmation split by default. */
export const MIN_CONFIRM_SAMPLES = 16;
/** The search's default evaluation count; a larger verification split is screened down to it. */
export const DEFAULT_SEARCH_SAMPLES = 128;

/**
 * Driver defaults for `--quantize auto --calib DIR` (session 6; passes/quantize/README.md "Driver
 * defaults"): the driver reads up to MAX_AUTO_CALIB_SAMPLES samples of the folder (`--calib-samples`
 * wins), a quarter confirm (defaultConfirmCount), at most MAX_RANGE_SAMPLES of the rest set ranges
 * and the rest is the verification pool, screened to DEFAULT_SEARCH_SAMPLES per evaluation. Why: the
 * SQNR of a set is decided by its few loud samples (PP-OCR cls: 1-3 % of crops), so the guards need
 * hundreds of verification and confirmation samples (96 confirmation crops held none of them and a
 * plan confirmed at 45 dB measured 28 dB held-out, session 5), while more range samples only cost
 * memory (their activations are kept; the pool and the confirmation part are streamed). Up to 128
 * samples this is the session-5 rule (a quarter confirm, half of the rest verify); a 32-sample
 * folder splits 12 + 12 + 8 as before. With no folder the driver generates 16 (search-run.ts).
 */
export const MAX_AUTO_CALIB_SAMPLES = 1024;
/** Range samples at most under the default split (their activations are kept: ~11 MB per PP-OCR cls crop). */
export const MAX_RANGE_SAMPLES = 64;

/** The driver's default confirmation share: a quarter, from MIN_CONFIRM_SAMPLES samples on. */
export function defaultConfirmCount(n: number): number {
  return n >= MIN_CONFIRM_SAMPLES ? Math.floor(n / 4) : 0;
}

/**
 * The default verification share of n (non-confirmation) samples: half, when there are at least
 * MIN_SPLIT_SAMPLES, and more once the other half would exceed MAX_RANGE_SAMPLES — the range part
 * stays at MAX_RANGE_SAMPLES and the rest verifies (a pool larger than `searchSamples` is screened).
 */
export function defaultVerifyCount(n: number): number {
  return n >= MIN_SPLIT_SAMPLES ? Math.max(Math.floor(n / 2), n - MAX_RANGE_SAMPLES) : 0;
}

/**
 * The parts prepareSearch makes of n samples given `confirm` (and `verify`, default defaultVerifyCount):
 * at least one range sample; fewer than 2 verification samples means no split at all (every sample
 * sets ranges, none confirms).
 */
export function splitCounts(n: number, confirm: number, verify?: number): { ranges: number; verify: number; confirm: number } {
  const c = Math.max(0, Math.floor(confirm));
  const v = Math.min(verify ?? defaultVerifyCount(n - c), n - c - 1);
  return v >= 2 ? { ranges: n - c - v, verify: v, confirm: c } : { ranges: n, verify: 0, confirm: 0 };
}

/** The default parts of n auto calibration samples: { ranges, verify, confirm } (the rule above). */
export function defaultSplit(n: number): { ranges: number; verify: number; confirm: number } {
  return splitCounts(n, defaultConfirmCount(n));
}

/** Confirmation samples under this: the report warns that the floor is not protected on new inputs. */
export const MIN_SAFE_CONFIRM_SAMPLES = 64;

/**
 * The loud line for `auto` with an accuracy floor confirmed on few samples (null when enough). A
 * set's SQNR is decided by its few loud samples, and a small confirmation split rarely holds one:
 * measured (session 6, hello_deepa through the driver, nine calibration draws each), 30 dB held-out
 * missed on 2 of 9 draws with 8 confirmation samples, 4 of 9 with 16, 1 of 9 with 32, 0 of 2 with
 * 256; PP-OCR cls: 96 confirmation crops held none of the loud crops (confirmed 45 dB, held-out 28).
 */
export function smallConfirmWarning(confirm: number, floor: string): string | null {
  if (confirm >= MIN_SAFE_CONFIRM_SAMPLES) return null;
  const what = confirm ? `only ${confirm} calibration samples confirmed` : 'no calibration samples confirmed';
  return `auto: ${what} the plan against ${floor}; with fewer than ${4 * MIN_SAFE_CONFIRM_SAMPLES} samples in --calib the floor is often missed on new inputs — give it a few hundred`;
}

export interface Margin {
  readonly db: number;
  /** 'bootstrap': uniform int8's SQNR minus its one-sided bootstrap lower bound on the verification split; 'fixed': no split to measure on. */
  readonly source: 'bootstrap' | 'fixed';
  readonly why: string;
}

/** Metrics on confirmation samples, with the SQNR's one-sided 95 % bootstrap lower bound over them. */
export type ConfirmMetrics = OutputMetrics & { readonly sqnrLow?: number };

/** What the confirmation step needs: a plan in, metrics on samples the search never saw out. */
export interface PlanEvaluator {
  evaluate(plan: Plan): ConfirmMetrics;
  readonly evaluations: number;
}

/** Runs a graph on samples (the reference runtime by default; a bench may use another runtime). */
export type SampleRunner = (g: Graph, xs: readonly TensorMap[]) => TensorMap[];
const runAll: SampleRunner = (g, xs) => xs.map((x) => runGraph(g, x));

export interface PreparedSearch {
  /** Evaluates plans on the verification samples (all samples when there is no split). */
  readonly an: Analyzer;
  /** Ranges from the range samples; activations of the verification samples. */
  readonly calib: Calibration;
  readonly picked?: PickedRanges;
  readonly split: { readonly ranges: number; readonly verify: number; readonly confirm?: number } | null;
  readonly margin: Margin;
  /** Evaluates plans on the confirmation samples (search-confirm.ts), when there are any. */
  readonly confirmAn?: PlanEvaluator;
  /** The verification pool was screened down to the samples the search evaluates (search-screen.ts). */
  readonly screen?: { readonly pool: number; readonly kept: number; readonly heavy: number; readonly heavyShare: number; readonly weight: number };
}

export interface PrepareOptions {
  /** `auto` (try percentile, min/max and MSE ranges; keep the best for uniform int8), `mse`, or an observer. */
  readonly method: ObserverKind | 'mse' | 'auto';
  /** Verification samples (default: half when ≥ 4 samples; 0 = no split). */
  readonly verify?: number;
  /** Confirmation samples, a third part the search never sees (search-confirm.ts; default 0). */
  readonly confirm?: number;
  /**
   * Verification samples each evaluation runs on: a larger verification split is screened down to
   * this many by one uniform-int8 pass (search-screen.ts). Default: no screening.
   */
  readonly searchSamples?: number;
  /** One-sided level of the bootstrap margin (default 0.05: the SQNR's 95 % lower bound). */
  readonly alpha?: number;
  /** How plans are evaluated (default: the reference runtime's Analyzer). */
  readonly analyzer?: AnalyzerFactory;
  /** How the screening and confirmation passes run whole models (default: the reference runtime). */
  readonly run?: SampleRunner;
  /**
   * Applied to the range calibration (activations of the range samples) after the range choice,
   * before plans are judged: e.g. error-compensating weight rounding (weight-fit-graph.ts
   * `withWeightRounding`), so it is fitted on the range samples only.
   */
  readonly refine?: (graph: Graph, calib: Calibration) => Calibration;
}

/** Ranges, the analyzer the search uses, and the sqnr guard band, from one calibration set. */
export function prepareSearch(graph: Graph, samples: readonly TensorMap[], opts: PrepareOptions): PreparedSearch {
  const make = opts.analyzer ?? defaultAnalyzer, run = opts.run ?? runAll;
  const counts = splitCounts(samples.length, opts.confirm ?? 0, opts.verify);
  const parts = counts.verify ? splitSamples(samples, counts.verify, 1, counts.confirm) : { ranges: [...samples], verify: [], confirm: [] };
  const { ranges, confirm } = parts;
  let verify = parts.verify;
  let calib = calibrate(graph, ranges, opts.method === 'auto' || opts.method === 'mse' ? 'percentile' : opts.method);
  if (opts.method === 'mse') calib = mseRanges(calib);
  // A verification pool larger than searchSamples: the range method is judged on the whole pool by
  // streaming it through whole models (no activations kept), and the search evaluates a stratified
  // subset chosen by the chosen ranges' per-sample noise (search-screen.ts).
  let weights: number[] | undefined, screen: PreparedSearch['screen'], picked: PickedRanges | undefined;
  let int8Pool: { references: TensorMap[]; outputs: TensorMap[] } | undefined;
  if (opts.searchSamples !== undefined && verify.length > opts.searchSamples) {
    const pool = verify;
    const references = run(graph, pool);
    const judgePool = (c: Calibration) => ({ outputs: run(uniformInt8(graph, c), pool), references });
    if (opts.method === 'auto') ({ calib } = picked = pickRangesWith(calib, judgePool));
    int8Pool = picked ?? judgePool(calib);
    const s = stratify(samplePowers(references, int8Pool.outputs).map((p) => p.noise), { keep: opts.searchSamples });
    verify = s.index.map((i) => pool[i]);
    weights = [...s.weights];
    screen = { pool: pool.length, kept: s.index.length, heavy: s.heavy, heavyShare: s.heavyShare, weight: s.weights.find((w) => w !== 1) ?? 1 };
  }
  // Every range method is fit on the range samples only (MSE clipping fits its ranges to the
  // activations it is given); the choice between them is judged on the verification samples.
  const judge = verify.length ? calibrate(graph, verify, 'minmax').activations : undefined;
  if (!screen && opts.method === 'auto') picked = pickRanges(graph, calib, judge, make);
  if (picked) calib = picked.calib;
  if (opts.refine) calib = opts.refine(graph, calib);
  if (!judge) {
    const why = `no verification split (${samples.length} calibration samples; a split needs ${MIN_SPLIT_SAMPLES})`;
    return { an: make(graph, calib), calib, picked, split: null, margin: { db: FIXED_MARGIN_DB, source: 'fixed', why } };
  }
  calib = { ...calib, activations: judge };
  const an = make(graph, calib, weights);
  // pickRanges (or the screening pass) already ran uniform int8 with the chosen ranges on the
  // verification samples — the whole pool when screened: reuse its outputs.
  const int8 = new Map(an.groups.map((g) => [g.name, 'int8' as const]));
  const ran = opts.refine ? undefined : int8Pool ?? picked; // refined weights: uniform int8 changed, run it again
  const db = ran ? marginFromSplit(ran.references, ran.outputs, opts.alpha) : marginFromSplit(an.references(), an.outputs(int8), opts.alpha, undefined, weights);
  const pool = screen ? `${screen.pool} (the whole pool; the search evaluates ${screen.kept} of them, screened)` : `${verify.length}`;
  const why = `uniform int8's SQNR minus its one-sided ${100 * (1 - (opts.alpha ?? 0.05))} % bootstrap lower bound over the ${pool} verification samples`;
  const split = { ranges: ranges.length, verify: screen?.pool ?? verify.length, ...(confirm.length ? { confirm: confirm.length } : {}) };
  const confirmAn = confirm.length ? streamingEvaluator(graph, (p) => an.quantize(p), confirm, run) : undefined;
  return { an, calib, picked, split, margin: { db, source: 'bootstrap', why }, confirmAn, screen };
}

/** The uniform-int8 graph of a calibration's ranges (no activations needed). */
function uniformInt8(graph: Graph, c: Calibration): Graph {
  const probe = new Analyzer(graph, { ...c, activations: [] });
  return probe.quantize(new Map(probe.groups.map((g) => [g.name, 'int8' as const])));
}

/** Plans evaluated by running the whole quantized model on samples kept as inputs (no activations stored). */
export function streamingEvaluator(graph: Graph, quantize: (p: Plan) => Graph, xs: readonly TensorMap[], run: SampleRunner = runAll): PlanEvaluator {
  const refs = run(graph, xs);
  let evaluations = 0;
  return {
    evaluate(plan) {
      evaluations++;
      const outs = run(quantize(plan), xs), m = metricsOf(refs, outs);
      return { ...m, sqnrLow: m.sqnr - sqnrLowerDrop(samplePowers(refs, outs)) };
    },
    get evaluations() { return evaluations; },
  };
}
