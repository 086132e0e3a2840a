// Calibration for `--quantize auto`: the calibration set is split in two, so a plan is never judged on
// the data that set its ranges. The `ranges` part feeds the observers (and the choice between
// percentile / min-max / MSE ranges); the `verify` part is the only data the search evaluates plans
// on, and its bootstrap spread sets the guard band of an sqnr floor (search-margin.ts). Without the
// split, a plan checked on its own calibration samples measured 33.9 dB and 24.1 dB held-out (PP-OCR
// cls, session 2); with it, 32.6 dB held-out. The driver (search-run.ts) and bench/quant.ts both
// come through here, so what the bench measures is what `tscc compile --quantize auto` does.
// Driver-level file (imports passes/quantize and the runtime).
import type { Graph } from '../ir/graph/graph.ts';
import type { TensorMap } from '../runtime/interpreter.ts';
import { calibrate, type Calibration, mseRanges } from '../../passes/quantize/calibrate.ts';
import type { ObserverKind } from './observers.ts';
import { marginFromSplit } from './search-margin.ts';
import { rng, shuffle } from '../runtime/random.ts';
import { Analyzer, pickRanges } from './sensitivity.ts';

/** Fewer samples than this: no split (every sample sets ranges and judges plans), fixed margin. */
export const MIN_SPLIT_SAMPLES = 4;
/** The guard band when there is no verification split to measure one on (dB). */
export const FIXED_MARGIN_DB = 2;

/**
 * `nVerify` of the samples, drawn by a seeded shuffle, the rest set ranges (each part keeps the
 * folder's order). Deterministic and disjoint. Not a head/tail cut — calibration folders are read in
 * sorted order, which often groups similar inputs (one class, one speaker) — and not an even
 * interleave either: that aliases with alternating data (PP-OCR cls crops upright / rotated in turn
 * put every rotated crop in the verification half and none in the ranges).
 */
export function splitSamples<T>(samples: readonly T[], nVerify: number, seed = 1): { ranges: T[]; verify: T[] } {
  const n = samples.length, v = Math.max(0, Math.min(n, Math.floor(nVerify)));
  const order = shuffle(samples.map((_, i) => i), rng(seed));
  const inVerify = new Set(order.slice(0, v));
  const ranges: T[] = [], verify: T[] = [];
  samples.forEach((s, i) => (inVerify.has(i) ? verify : ranges).push(s));
  return { ranges, verify };
}

/** The default verification share: half, when there are at least MIN_SPLIT_SAMPLES samples. */
export function defaultVerifyCount(n: number): number {
  return n >= MIN_SPLIT_SAMPLES ? Math.floor(n / 2) : 0;
}

export interface Margin {
  readonly db: number;
  /** 'bootstrap': uniform int8's SQNR minus its one-sided bootstrap lower bound on the verification split; 'fixed': no split to measure on. */
  readonly source: 'bootstrap' | 'fixed';
  readonly why: string;
}

export interface PreparedSearch {
  /** Evaluates plans on the verification samples (all samples when there is no split). */
  readonly an: Analyzer;
  /** Ranges from the range samples; activations of the verification samples. */
  readonly calib: Calibration;
  readonly picked?: ReturnType<typeof pickRanges>;
  readonly split: { readonly ranges: number; readonly verify: number } | null;
  readonly margin: Margin;
}

export interface PrepareOptions {
  /** `auto` (try percentile, min/max and MSE ranges; keep the best for uniform int8), `mse`, or an observer. */
  readonly method: ObserverKind | 'mse' | 'auto';
  /** Verification samples (default: half when ≥ 4 samples; 0 = no split). */
  readonly verify?: number;
  /** One-sided level of the bootstrap margin (default 0.05: the SQNR's 95 % lower bound). */
  readonly alpha?: number;
}

/** Ranges, the analyzer the search uses, and the sqnr guard band, from one calibration set. */
export function prepareSearch(graph: Graph, samples: readonly TensorMap[], opts: PrepareOptions): PreparedSearch {
  const nVerify = Math.min(opts.verify ?? defaultVerifyCount(samples.length), samples.length - 1);
  const { ranges, verify } = nVerify >= 2 ? splitSamples(samples, nVerify) : { ranges: [...samples], verify: [] };
  let calib = calibrate(graph, ranges, opts.method === 'auto' || opts.method === 'mse' ? 'percentile' : opts.method);
  if (opts.method === 'mse') calib = mseRanges(calib);
  // Every range method is fit on the range samples only (MSE clipping fits its ranges to the
  // activations it is given); the choice between them is judged on the verification samples.
  const judge = verify.length ? calibrate(graph, verify, 'minmax').activations : undefined;
  const picked = opts.method === 'auto' ? pickRanges(graph, calib, judge) : undefined;
  if (picked) calib = picked.calib;
  if (!judge) {
    const why = `no verification split (${samples.length} calibration samples; a split needs ${MIN_SPLIT_SAMPLES})`;
    return { an: new Analyzer(graph, calib), calib, picked, split: null, margin: { db: FIXED_MARGIN_DB, source: 'fixed', why } };
  }
  calib = { ...calib, activations: judge };
  const an = new Analyzer(graph, calib);
  const int8 = new Map(an.groups.map((g) => [g.name, 'int8' as const]));
  const db = marginFromSplit(an.references(), an.outputs(int8), opts.alpha);
  const why = `uniform int8's SQNR minus its one-sided ${100 * (1 - (opts.alpha ?? 0.05))} % bootstrap lower bound over the ${verify.length} verification samples`;
  return { an, calib, picked, split: { ranges: ranges.length, verify: verify.length }, margin: { db, source: 'bootstrap', why } };
}
