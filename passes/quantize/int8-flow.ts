// The driver's uniform-int8 flow (`--quantize int8 --int8-flow`; opt-in, see below). Grid-preserving,
// fp32-exact fixes around calibration, so every target runs the result unchanged (per-tensor u8
// activations, per-channel i8 weights, the same QDQ pattern):
//  1. before calibration, channel smoothing (smooth.ts) — into depthwise convs only, or at every site
//     (dense convs too, α per site): which one is *measured*, because it flips between models
//     (held-out, session 5: PP-OCRv4 det 192² 17.3 dB depthwise-only vs 20.6 all sites; PP-OCR cls
//     33.5 vs 25.8 — dense sites move range into weights that cls cannot afford);
//  2. the caller's ranges: the driver keeps percentile ranges on a smoothed graph (`prepare(g, true)`);
//  3. the driver's end-to-end clip search (src/quant/clip-judge.ts, session 7): clip factors per u8
//     site judged by the output SQNR on the last calibration samples, which set no ranges (with a
//     folder of ≥ 112 samples: 64 set ranges, the rest judge; fewer: no search);
//  4. the weights: the driver's sequential weight fit (weight-fit-graph.ts) runs after the flow.
// The choice in 1 is by uniform int8's output SQNR on the calibration samples.
// Session 6 (helper A): the recipe that replicates on det is all-site smoothing + percentile ranges +
// the sequential fit, with many calibration pages: held-out 23.5 / 23.35 dB on two calibration draws
// at 64 pages (16 pages: 22.5); session 5's version (range pick + GPTQ) gave 23.65 on one draw and
// 18.5 on the other. PP-OCR cls: all-site + fit 29.0 dB, depthwise-only 30.7, plain + fit 31.6 (all
// ≥ 25 dB, top-1 99.6 %). Session 7, with the clip search, through the driver: det 25.26 / 24.54 dB
// held-out on two seeds, cls 26.25 / 32.76 — still opt-in (passes/quantize/README.md "det int8
// through the driver (session 7)").
import type { Graph } from '../../src/ir/graph/graph.ts';
import type { TensorMap } from '../../src/runtime/interpreter.ts';
import { calibrate, type Calibration } from './calibrate.ts';
import { findSmoothSites, type SmoothSite, smoothChannels } from './smooth.ts';

export type Smoothing = 'depthwise' | 'all';

/** What the flow did, for report.json (`quantization.int8Flow`). */
export interface Int8FlowReport {
  readonly smoothing: Smoothing | 'none';
  readonly smoothedSites: number;
  /** Uniform int8 SQNR (dB) on the calibration samples per smoothing variant tried. */
  readonly measured: Partial<Record<Smoothing, number>>;
  /** Conv weights given GPTQ rounding by the flow itself: 0 since session 6 (the driver's weight fit runs after it). */
  readonly roundedWeights: number;
  /** The driver's end-to-end clip search after the ranges (src/quant/clip-judge.ts, session 7). */
  readonly clipSearch?: unknown;
}

/** A smoothing variant calibrated and ranged by the caller: its uniform-int8 SQNR on the calibration samples. */
export interface Int8Variant { readonly graph: Graph; readonly calib: Calibration; readonly sqnr: number }

/**
 * Runs `prepare` (calibrate + ranges + judge; its second argument says the graph was smoothed) on
 * each smoothing variant that changes the graph and keeps the best.
 */
export function int8Flow<V extends Int8Variant>(g: Graph, samples: readonly TensorMap[], prepare: (g: Graph, smoothed: boolean) => V,
  opts: { gated?: boolean } = {}): { best: V; report: Int8FlowReport } {
  const sites = findSmoothSites(g, opts);
  if (!sites.length) return { best: prepare(g, false), report: { smoothing: 'none', smoothedSites: 0, measured: {}, roundedWeights: 0 } };
  // Both smoothed graphs first, so the unsmoothed graph's activations (det 192², 64 pages: ~3.2 GB) are
  // dropped before the variants calibrate: at most two calibrations (best so far + current) are alive.
  const smoothed = smoothedVariants(g, samples, sites, opts.gated);
  const measured: Partial<Record<Smoothing, number>> = {};
  let best: V | undefined, kind: Smoothing = 'depthwise', count = 0;
  for (const [k, n, graph] of smoothed) {
    const v = prepare(graph, true);
    measured[k] = Math.round(v.sqnr * 100) / 100;
    if (!best || v.sqnr > best.sqnr) { best = v; kind = k; count = n; }
  }
  if (!best) return { best: prepare(g, false), report: { smoothing: 'none', smoothedSites: 0, measured, roundedWeights: 0 } };
  return { best, report: { smoothing: kind, smoothedSites: count, measured, roundedWeights: 0 } };
}

/** The depthwise-only and all-site smoothed graphs that differ from g, with their site counts. */
function smoothedVariants(g: Graph, samples: readonly TensorMap[], sites: readonly SmoothSite[], gated?: boolean): [Smoothing, number, Graph][] {
  const stats = calibrate(g, samples, 'minmax').activations;
  const variants: [Smoothing, number][] = [['depthwise', sites.filter((s) => s.depthwise).length], ['all', sites.length]];
  return variants.filter(([, n]) => n > 0).map(([k, n]) => [k, n, smoothChannels(g, stats, { dense: k === 'all', gated })]);
}
