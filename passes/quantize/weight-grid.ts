// The grid a stored weight format puts each weight element on, as error-compensating rounding
// (weight-fit.ts) needs it: the nearest representable value of element i, and the elements whose
// value is fixed because they set a scale. Scales are the ones `quantizeWeight` picks (int8: per
// output channel amax/127; int4w: per block of `groupSize` along the reduction axis, amax/7), and the
// element holding each scale's amax keeps code ±qmax — so the quantize pass, re-deriving the scale
// from the fitted f32 weight, finds the same scale and the same codes (the graph pattern is unchanged).
// Other elements saturate at ±qmax, never −qmax−1, for the same reason. fp16/bf16 have no scale: every
// element is free and rounds to the nearest f16/bf16 number (round-half-even, as the Cast does).
import { paramLayout } from '../../src/quant/affine.ts';
import { roundHalfEven } from '../../src/quant/minifloat.ts';
import type { Precision } from '../../src/quant/precision.ts';
import { quantizeWeight } from '../../src/quant/weights.ts';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../../src/util/float16.ts';

export interface WeightGrid {
  readonly precision: Precision;
  /** The grid value nearest to v for flat element i of the weight. */
  nearest(v: number, i: number): number;
  /** Elements whose value is fixed (each scale's amax element), flat index → value. */
  readonly fixed: ReadonlyMap<number, number>;
}

/** Precisions whose weight grid is elementwise and known before rounding (others: undefined). */
export const GRID_PRECISIONS: ReadonlySet<Precision> = new Set(['int8', 'int4w', 'fp16', 'bf16']);

export interface GridAxes {
  /** Output-channel axis (int8 per-channel scales). */
  readonly axis: number;
  /** Reduction axis (int4w blocks). */
  readonly reduceAxis: number;
  /** int4w elements per scale (QuantPlan.groupSize, default 32). */
  readonly groupSize?: number;
}

/** The grid of precision p for weight w (f32 data, shape), or undefined when p has no elementwise grid here. */
export function weightGrid(p: Precision, w: Float32Array, shape: readonly number[], ax: GridAxes): WeightGrid | undefined {
  if (p === 'bf16') return { precision: p, fixed: new Map(), nearest: (v) => bf16BitsToF32(f32ToBf16Bits(v)) };
  if (p === 'fp16') return { precision: p, fixed: new Map(), nearest: (v) => f16BitsToF32(f32ToF16Bits(v)) };
  if (p !== 'int8' && p !== 'int4w') return undefined;
  const block = ax.groupSize ?? 32;
  const enc = quantizeWeight(w, shape, { precision: p, axis: ax.axis, blockAxis: ax.reduceAxis, groupSize: block, symmetric: true });
  const scale = enc.scale!, qmax = p === 'int8' ? 127 : 7;
  const g = p === 'int8' ? { kind: 'axis' as const, axis: ax.axis } : { kind: 'block' as const, axis: ax.reduceAxis, block };
  const index = paramLayout(shape, g).index!;
  const amaxAt = new Int32Array(scale.length).fill(-1);
  for (let i = 0; i < w.length; i++) {
    const k = index[i];
    if (amaxAt[k] < 0 || Math.abs(w[i]) > Math.abs(w[amaxAt[k]])) amaxAt[k] = i;
  }
  const fixed = new Map<number, number>();
  for (let k = 0; k < scale.length; k++) if (amaxAt[k] >= 0 && w[amaxAt[k]] !== 0) fixed.set(amaxAt[k], Math.fround(Math.sign(w[amaxAt[k]]) * qmax * scale[k]));
  return {
    precision: p, fixed,
    nearest: (v, i) => { const s = scale[index[i]]; return Math.fround(Math.max(-qmax, Math.min(qmax, roundHalfEven(v / s))) * s); },
  };
}
