// The activation clip search of the driver's `--int8-flow` (issue 9, session 7): per u8 site a clip
// factor × its calibrated range, chosen by coordinate descent on the model output's SQNR over a
// *judging split* of the calibration set that never sets ranges (passes/quantize/ranges-e2e.ts).
// Judge: onnxruntime when `onnxruntime-node` can be imported — one session of the clip graph (u8 QDQ
// whose scale / zero point are graph inputs) serves every candidate, so a det 192² candidate on 48
// judging pages costs seconds —, else the reference interpreter, which the search only uses when its
// projected time fits `interpreterBudgetS` (det 192² on the interpreter would take hours: skipped, and
// the report says so). Driver-level: it imports passes/quantize and the onnxruntime loader.
import type { Graph } from '../ir/graph/graph.ts';
import type { Range } from './activations.ts';
import { runGraph, type TensorMap } from '../runtime/interpreter.ts';
import { metricsOf } from './sensitivity-metrics.ts';
import { ortSession, tryOrt } from '../driver/ort.ts';
import { toOnnxBytes } from '../../passes/quantize/export.ts';
import { activationInputs } from '../../passes/quantize/groups.ts';
import { clipFeeds, clipGraph, clipRangesByOutput, type DescentOptions, type DescentResult, descendClips } from '../../passes/quantize/ranges-e2e.ts';

export type JudgeEngine = 'onnxruntime' | 'interpreter';

/** The session-6 recipe (det int8 ≥ 25 dB in the bench): five factors, one sweep, a move must gain > 0.05 dB. */
export const CLIP_SEARCH_DEFAULTS = { factors: [0.7, 0.85, 1, 1.15, 1.3], passes: 1, minGain: 0.05 } as const;

/**
 * How `--int8-flow` splits a calibration set of n samples: the first `ranges` set the smoothing
 * statistics, the ranges and the weight fit; the last `judge` only judge the clip search. Default:
 * 64 + the rest from 112 samples on (session 6: 48 judging pages generalize, 16 overfit by −0.3 dB
 * held-out; 64 range pages beat 16 by +1 dB), else no search (all n set ranges). `judge` given:
 * that many judge (0 = no search), at least one sample is left for the ranges.
 */
export function clipSplit(n: number, judge?: number): { ranges: number; judge: number } {
  const j = judge === undefined ? (n >= MIN_SEARCH_SAMPLES ? n - RANGE_SAMPLES : 0) : Math.min(judge, n - 1);
  return { ranges: n - Math.max(j, 0), judge: Math.max(j, 0) };
}
/** Samples from which the flow splits off a judging set by default (64 ranges + 48 judge). */
export const MIN_SEARCH_SAMPLES = 112;
const RANGE_SAMPLES = 64;

/** What report.json says about the search (`quantization.int8Flow.clipSearch`). */
export interface ClipSearchReport {
  readonly engine: JudgeEngine | 'none';
  readonly samples: { readonly ranges: number; readonly judge: number };
  readonly sites?: number;
  /** Sites whose range moved, with their factor. */
  readonly moved?: Record<string, number>;
  /** Uniform int8 (activations only, weights as in the graph) output SQNR on the judging split, dB. */
  readonly judgeSqnr?: { readonly before: number; readonly after: number };
  readonly evaluations?: number;
  readonly seconds?: number;
  /** Why the search did not run. */
  readonly skipped?: string;
}

export interface ClipSearchOptions extends DescentOptions {
  /** 'auto' (default): onnxruntime when importable, else the interpreter. */
  readonly engine?: JudgeEngine | 'auto';
  /** The interpreter runs the search only if its projected time is below this (s; default 300). */
  readonly interpreterBudgetS?: number;
  /** Samples that set the ranges (for the report). */
  readonly rangeSamples?: number;
}

/** Clip factors per u8 site of g (weights as they are in g) judged on `judge`; the ranges unchanged when skipped. */
export async function searchClips(g: Graph, ranges: ReadonlyMap<string, Range>, judge: readonly TensorMap[],
  opts: ClipSearchOptions = {}): Promise<{ ranges: ReadonlyMap<string, Range>; report: ClipSearchReport }> {
  const samples = { ranges: opts.rangeSamples ?? 0, judge: judge.length };
  if (!judge.length) return { ranges, report: { engine: 'none', samples, skipped: `no judging split (fewer than ${MIN_SEARCH_SAMPLES} calibration samples, or --clip-judge-samples 0)` } };
  const t0 = performance.now(), descent = { ...CLIP_SEARCH_DEFAULTS, ...opts };
  const engine = opts.engine === 'interpreter' ? 'interpreter' : opts.engine === 'onnxruntime' || await tryOrt() ? 'onnxruntime' : 'interpreter';
  const sites = activationInputs(g);
  if (engine === 'interpreter') {
    const budget = opts.interpreterBudgetS ?? 300;
    const projected = interpreterSeconds(g, judge[0]) * judge.length * (1 + sites.length * (descent.factors.length - 1)) * 1.2;
    if (projected > budget) {
      return { ranges, report: { engine, samples, sites: sites.length, skipped: `interpreter judge${opts.engine === 'interpreter' ? '' : ' (onnxruntime-node not importable)'}: projected ${projected.toFixed(0)} s > budget ${budget} s` } };
    }
  }
  const r = engine === 'onnxruntime' ? await ortClipRanges(g, ranges, judge, descent) : await clipRangesByOutput(g, ranges, judge, descent);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    ranges: r.ranges,
    report: {
      engine, samples, sites: sites.length, moved: Object.fromEntries(r.factors), judgeSqnr: { before: round(r.start), after: round(r.sqnr) },
      evaluations: r.evaluations, seconds: round((performance.now() - t0) / 1e3),
    },
  };
}

/** `clipRangesByOutput` on onnxruntime: clip factors per u8 site of g (weights as in g) judged on `judge`. */
export async function ortClipRanges(g: Graph, ranges: ReadonlyMap<string, Range>, judge: readonly TensorMap[],
  opts: DescentOptions & { sites?: readonly string[]; folds?: number } = {}): Promise<DescentResult> {
  const all = activationInputs(g), session = (x: Graph) => ortSession(toOnnxBytes(x), { optimization: 'disabled', quiet: true });
  const fs = await session(g);
  const refs: TensorMap[] = [];
  try { for (const x of judge) refs.push(await fs.run(x)); } finally { await fs.release(); }
  const cs = await session(clipGraph(g, all));
  const score = async (r: ReadonlyMap<string, Range>) => {
    const feeds = clipFeeds(all, r), outs: TensorMap[] = [];
    for (const x of judge) outs.push(await cs.run({ ...x, ...feeds }));
    return foldedSqnr(refs, outs, opts.folds ?? 0);
  };
  try { return await descendClips(opts.sites ?? all, ranges, score, opts); } finally { await cs.release(); }
}

/** [SQNR over all, then each of k folds'] — with folds a move must not lose on any (ranges-e2e.ts ClipScore). */
function foldedSqnr(refs: readonly TensorMap[], outs: readonly TensorMap[], k: number): number[] {
  const per = Math.ceil(refs.length / Math.max(k, 1));
  const folds = Array.from({ length: k }, (_, i) => metricsOf(refs.slice(i * per, (i + 1) * per), outs.slice(i * per, (i + 1) * per)).sqnr);
  return [metricsOf(refs, outs).sqnr, ...folds];
}

/** Seconds for one run of g on the interpreter (the unit of the fallback's cost projection). */
function interpreterSeconds(g: Graph, x: TensorMap): number {
  const t = performance.now();
  runGraph(g, x);
  return (performance.now() - t) / 1e3;
}
