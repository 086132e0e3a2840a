// The driver's uniform-int8 flow (`--quantize int8 --int8-flow`; opt-in, see below). Grid-preserving,
// fp32-exact fixes around calibration, so every target runs the result unchanged (per-tensor u8
// activations, per-channel i8 weights, the same QDQ pattern):
//  1. before calibration, channel smoothing (smooth.ts) — into depthwise convs only, or at every site
//     (dense convs too, α per site): which one is *measured*, because it flips between models
//     (held-out, session 5: PP-OCRv4 det 192² 17.3 dB depthwise-only vs 20.6 all sites; PP-OCR cls
//     33.5 vs 25.8 — dense sites move range into weights that cls cannot afford);
//  2. the activation ranges the caller picks (percentile / min-max / MSE, `pickRanges`);
//  3. with all-site smoothing, output-aware (GPTQ) rounding of the Conv weights on the int8 grid
//     (weight-rounding.ts): smoothing moved difficulty into those weights, and this is the tool for it
//     (det 20.6 → 23.1 dB).
// The choice in 1 is by uniform int8's output SQNR on the calibration samples, like the range choice.
// Opt-in (session 5): held-out it lifted PP-OCRv4 det 192² 17.5 → 23.7 dB on one calibration draw,
// but its det choice (all sites + MSE + GPTQ) gave 17.4 → 18.5 on a second; on PP-OCR cls the
// variant/range choice on 32 crops (none near a tie) helped on one draw (29.9 → 35.3) and cost on
// the other (30.6 → 26.8), both ≥ 25 dB / top-1 ≥ 99 %.
import type { Graph } from '../../src/ir/graph/graph.ts';
import type { TensorMap } from '../../src/runtime/interpreter.ts';
import { calibrate, type Calibration } from './calibrate.ts';
import { findSmoothSites, smoothChannels } from './smooth.ts';
import { withInt8Rounding } from './weight-rounding.ts';

export type Smoothing = 'depthwise' | 'all';

/** What the flow did, for report.json (`quantization.int8Flow`). */
export interface Int8FlowReport {
  readonly smoothing: Smoothing | 'none';
  readonly smoothedSites: number;
  /** Uniform int8 SQNR (dB) on the calibration samples per smoothing variant tried. */
  readonly measured: Partial<Record<Smoothing, number>>;
  /** Conv weights given output-aware rounding (0: round to nearest). */
  readonly roundedWeights: number;
}

/** A smoothing variant calibrated and ranged by the caller: its uniform-int8 SQNR on the calibration samples. */
export interface Int8Variant { readonly graph: Graph; readonly calib: Calibration; readonly sqnr: number }

/**
 * Runs `prepare` (calibrate + choose ranges + judge) on each smoothing variant that changes the graph
 * and keeps the best; then rounds the weights when the winner smoothed dense sites.
 */
export function int8Flow<V extends Int8Variant>(g: Graph, samples: readonly TensorMap[], prepare: (g: Graph) => V): { best: V; report: Int8FlowReport } {
  const sites = findSmoothSites(g);
  if (!sites.length) return { best: prepare(g), report: { smoothing: 'none', smoothedSites: 0, measured: {}, roundedWeights: 0 } };
  const stats = calibrate(g, samples, 'minmax').activations;
  const variants: [Smoothing, number][] = [['depthwise', sites.filter((s) => s.depthwise).length], ['all', sites.length]];
  const measured: Partial<Record<Smoothing, number>> = {};
  let best: V | undefined, kind: Smoothing = 'depthwise', count = 0;
  for (const [k, n] of variants) {
    if (!n) continue;
    const v = prepare(smoothChannels(g, stats, { dense: k === 'all' }));
    measured[k] = Math.round(v.sqnr * 100) / 100;
    if (!best || v.sqnr > best.sqnr) { best = v; kind = k; count = n; }
  }
  if (!best) return { best: prepare(g), report: { smoothing: 'none', smoothedSites: 0, measured, roundedWeights: 0 } };
  if (kind === 'all') best = { ...best, calib: withInt8Rounding(best.graph, best.calib) };
  return { best, report: { smoothing: kind, smoothedSites: count, measured, roundedWeights: best.calib.int8Weights?.size ?? 0 } };
}
