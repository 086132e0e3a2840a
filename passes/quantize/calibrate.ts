// Calibration: run the float fused graph once per calibration sample on the reference runtime, feed
// every f32 boundary value (graph inputs and group outputs) to part A's observers, and keep the
// activations — the sensitivity analysis re-runs single groups on them instead of whole models.
import type { Graph } from '../../src/ir/graph/graph.ts';
import type { Tensor } from '../../src/ir/graph/tensor.ts';
import { activationParams, type Range } from '../../src/quant/activations.ts';
import { dequantizeInt, quantizeInt } from '../../src/quant/affine.ts';
import { createObserver, type Observer, type ObserverKind } from '../../src/quant/observers.ts';
import type { Precision } from '../../src/quant/precision.ts';
import { runGraph, type TensorMap } from '../../src/runtime/interpreter.ts';

/**
 * Below this many elements per sample a histogram method has too few values to clip well: the
 * 99.99th percentile of a squeeze-excitation vector (1×C×1×1, C ≈ 100) cuts its largest channels
 * (measured on PP-OCR cls, NPU fusion: int8 15.1 dB with percentile everywhere vs 25.8 dB minmax).
 * Such tensors take min/max whatever the method.
 */
export const SMALL = 4096;

export interface Calibration {
  /** Range per value for integer formats (the chosen method). */
  readonly ranges: ReadonlyMap<string, Range>;
  /** Min/max per value: fp8 scales map amax to the format's largest value, so they take the extremes. */
  readonly extremes: ReadonlyMap<string, Range>;
  /** Per sample: every boundary value of the float graph (inputs, group outputs). */
  readonly activations: readonly ReadonlyMap<string, Tensor>[];
  readonly method: ObserverKind | 'mse' | 'downstream';
  /** int8 weights chosen by output-aware rounding (`withInt8Rounding`, weight-rounding.ts), passed on as
   *  QuantPlan.int8Weights by the Analyzer. Absent: round to nearest (the default flow). */
  readonly int8Weights?: ReadonlyMap<string, Tensor>;
  /** Error-compensating rounding on any weight grid (`withWeightRounding`, weight-fit-graph.ts), passed on
   *  as QuantPlan.fitted by the Analyzer. Absent: round to nearest. */
  readonly fitted?: ReadonlyMap<Precision, ReadonlyMap<string, Tensor>>;
  /** Per-channel offsets of fp16/bf16 boundaries (float-offsets.ts), passed on as QuantPlan.floatOffsets. */
  readonly floatOffsets?: ReadonlyMap<string, Float32Array>;
}

export function calibrate(g: Graph, samples: readonly TensorMap[], method: ObserverKind = 'percentile', keep = true): Calibration {
  const obs = new Map<string, [Observer, Observer]>();
  const see = (name: string, t: Tensor) => {
    if (t.dtype !== 'f32') return;
    let o = obs.get(name);
    if (!o) obs.set(name, (o = [createObserver(t.size < SMALL ? 'minmax' : method), createObserver('minmax')]));
    o[0].observe(t.data as Float32Array);
    o[1].observe(t.data as Float32Array);
  };
  const activations: Map<string, Tensor>[] = [];
  for (const s of samples) {
    const env = new Map<string, Tensor>();
    for (const v of g.inputs) { see(v.name, s[v.name]); env.set(v.name, s[v.name]); }
    runGraph(g, s, {
      onNode: (n, outs) => n.outputs.forEach((v, k) => { see(v.name, outs[k]); if (keep) env.set(v.name, outs[k]); }),
    });
    if (keep) activations.push(env);
  }
  const ranges = new Map<string, Range>(), extremes = new Map<string, Range>();
  for (const [k, [a, b]] of obs) { ranges.set(k, a.range()); extremes.set(k, b.range()); }
  return { ranges, extremes, activations, method };
}

/** Clip factors of the min/max range tried by `mseRanges`. */
const CLIPS = [1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4];

/**
 * Per value, the int8 range with the least quantization MSE on the kept activations (first
 * `samples` of them), among the method's range and the min/max range scaled by CLIPS — what
 * TensorRT calls MSE calibration, choosing between part A's observers' answers rather than
 * computing a new statistic. Codes and rounding are part A's (quantizeInt/dequantizeInt).
 */
export function mseRanges(c: Calibration, samples = 8): Calibration {
  const ranges = new Map<string, Range>();
  const envs = c.activations.slice(0, samples);
  for (const [name, mm] of c.extremes) {
    const cands: Range[] = [c.ranges.get(name)!, ...CLIPS.map((f) => ({ min: mm.min * f, max: mm.max * f }))];
    let best = cands[0], bestErr = Infinity;
    for (const r of cands) {
      const p = activationParams(r, 'int8');
      let err = 0;
      for (const env of envs) {
        const x = env.get(name)?.data as Float32Array | undefined;
        if (!x) continue;
        const q = dequantizeInt(quantizeInt(x, null, [p.scale], [p.zeroPoint], 'u8'), null, [p.scale], [p.zeroPoint]);
        for (let i = 0; i < x.length; i++) err += (x[i] - q[i]) ** 2;
      }
      if (err < bestErr) { bestErr = err; best = r; }
    }
    ranges.set(name, best);
  }
  return { ...c, ranges, method: 'mse' };
}
