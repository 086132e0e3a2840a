// Per-channel activation ranges for the data inputs of depthwise convolutions (QuantPlan.channelRanges).
// Why: in MobileNet/PP-LCNet blocks the tensor a depthwise conv reads has channels of very different
// ranges (PP-OCRv4 det, first blocks: per-channel |max| 1.4 … 119 around a median of 6), so one
// per-tensor u8 scale leaves the small channels a handful of codes; alone in int8, the inputs of the
// first two depthwise convs cost 22.1 and 19.4 dB of model output SQNR at 96². A depthwise conv's
// output channel c reads only input channel c, so a scale per input channel costs an int8 kernel
// nothing (it folds into channel c's requantization multiplier), unlike per-channel scales on the
// input of a dense conv, whose accumulator sums over channels of different scales.
import type { Graph } from '../../src/ir/graph/graph.ts';
import type { Tensor } from '../../src/ir/graph/tensor.ts';
import { activationParams, type Range } from '../../src/quant/activations.ts';
import { dequantizeInt, quantizeInt } from '../../src/quant/affine.ts';
import { quantGroups } from './groups.ts';
import { isDepthwise } from './quantize.ts';

/**
 * Fewer calibration values per channel than this: per-tensor. A channel's min/max over few values
 * underestimates what unseen inputs reach, and per-channel ranges have none of the headroom a
 * per-tensor range gets from its largest channel: PP-OCRv4 det at 96², 16 samples, the 3×3 maps of
 * the last stage (144 values per channel) measured 42.2 → 31.6 dB alone per channel (saturation),
 * while the 48×48 maps of the first blocks gained 22.1 → 32.9 and 19.4 → 39.3 dB.
 */
export const MIN_CHANNEL_VALUES = 4096;

/** Clip factors of each channel's min/max range tried when `clip` is on (least squared error wins). */
const CLIPS = [1, 0.9, 0.8, 0.7, 0.6, 0.5];

/** The data-input value names of the graph's depthwise Conv groups. */
export function depthwiseInputs(g: Graph): string[] {
  return [...new Set(quantGroups(g).filter((q) => isDepthwise(q.compute)).map((q) => q.compute.input(0)!.name))];
}

/**
 * Per channel (axis 1) of each depthwise input with at least MIN_CHANNEL_VALUES calibration values per
 * channel: its min/max over the calibration activations, or (clip) the clipped min/max with the least
 * u8 round-trip squared error on those activations. Values left out stay per-tensor.
 */
export function depthwiseInputRanges(g: Graph, activations: readonly ReadonlyMap<string, Tensor>[], clip = true): Map<string, Range[]> {
  const out = new Map<string, Range[]>();
  for (const name of depthwiseInputs(g)) {
    const ts = activations.map((env) => env.get(name)).filter((t): t is Tensor => !!t && t.dtype === 'f32' && t.shape.length >= 2);
    if (!ts.length || ts.reduce((a, t) => a + t.size / Number(t.shape[1]), 0) < MIN_CHANNEL_VALUES) continue;
    out.set(name, channelRanges(ts, clip));
  }
  return out;
}

/** Per channel of [N, C, …] tensors: the (optionally MSE-clipped) range. */
export function channelRanges(ts: readonly Tensor[], clip: boolean): Range[] {
  const C = Number(ts[0].shape[1]), inner = ts[0].size / (Number(ts[0].shape[0]) * C);
  const slices = (c: number) => ts.flatMap((t) => {
    const d = t.data as Float32Array, n = Number(t.shape[0]);
    return Array.from({ length: n }, (_, b) => d.subarray((b * C + c) * inner, (b * C + c + 1) * inner));
  });
  return Array.from({ length: C }, (_, c) => {
    const xs = slices(c);
    let min = 0, max = 0;
    for (const x of xs) for (let i = 0; i < x.length; i++) { if (x[i] < min) min = x[i]; if (x[i] > max) max = x[i]; }
    if (!clip) return { min, max };
    let best = { min, max }, bestErr = Infinity;
    for (const f of CLIPS) {
      const r = { min: min * f, max: max * f }, p = activationParams(r, 'int8');
      let err = 0;
      for (const x of xs) {
        const q = dequantizeInt(quantizeInt(x, null, [p.scale], [p.zeroPoint], 'u8'), null, [p.scale], [p.zeroPoint]);
        for (let i = 0; i < x.length; i++) err += (x[i] - q[i]) ** 2;
      }
      if (err < bestErr) { bestErr = err; best = r; }
    }
    return best;
  });
}
