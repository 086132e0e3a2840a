// Affine (scale, zero point) quantization with ONNX QuantizeLinear's layouts: per tensor, per axis,
// and blocked along one axis (opset 21 block_size). Arithmetic matches the reference kernel and
// onnxruntime: x / scale in float32, rounded half to even, plus the zero point, saturated.
import type { DType } from '../ir/graph/dtype.ts';
import type { Granularity } from '../ir/graph/ops/quant.ts';
import { encodeF8 } from '../util/float8.ts';
import { roundHalfEven } from './minifloat.ts';

export type { Granularity };

/** Integer code ranges of the quantized integer types. */
export const QRANGE = { i8: [-128, 127], u8: [0, 255], i4: [-8, 7], u4: [0, 15] } as const;
export type QInt = keyof typeof QRANGE;
export type QFloat8 = 'f8e4m3' | 'f8e5m2';
export const F8_MAX: Readonly<Record<QFloat8, number>> = { f8e4m3: 448, f8e5m2: 57344 };

export function isQInt(d: DType): d is QInt { return d in QRANGE; }

export interface ParamLayout {
  /** Shape of the scale (and zero-point) tensor, as ONNX DequantizeLinear expects it. */
  scaleShape: number[];
  count: number;
  /** Element → parameter index; null when one parameter serves the whole tensor. */
  index: Int32Array | null;
}

export function paramLayout(shape: readonly number[], g: Granularity): ParamLayout {
  if (g.kind === 'tensor') return { scaleShape: [], count: 1, index: null };
  const axis = g.axis, dim = shape[axis];
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1), inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const index = new Int32Array(outer * dim * inner);
  if (g.kind === 'axis') {
    let i = 0;
    for (let o = 0; o < outer; o++) for (let a = 0; a < dim; a++) { index.fill(a, i, i + inner); i += inner; }
    return { scaleShape: [dim], count: dim, index };
  }
  const nb = Math.ceil(dim / g.block);
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let a = 0; a < dim; a++) {
      const base = (o * nb + Math.floor(a / g.block)) * inner;
      for (let k = 0; k < inner; k++) index[i++] = base + k;
    }
  }
  return { scaleShape: shape.map((d, j) => (j === axis ? nb : d)), count: outer * nb * inner, index };
}

/** Per-parameter min and max of the data (NaN is skipped). */
export function paramRanges(data: ArrayLike<number>, layout: ParamLayout): { min: Float64Array; max: Float64Array } {
  const min = new Float64Array(layout.count).fill(Infinity), max = new Float64Array(layout.count).fill(-Infinity);
  const idx = layout.index;
  for (let i = 0; i < data.length; i++) {
    const k = idx ? idx[i] : 0, v = data[i];
    if (v < min[k]) min[k] = v;
    if (v > max[k]) max[k] = v;
  }
  for (let k = 0; k < layout.count; k++) if (min[k] > max[k]) { min[k] = 0; max[k] = 0; }
  return { min, max };
}

/**
 * Scale and zero point mapping [min, max] onto an integer type. Symmetric: zero point 0 and
 * scale = amax / qmax (so ±amax are both representable). Asymmetric: the range widened to include
 * 0 (exact zero must be representable, for padding), zero point rounded and clamped.
 * A zero range gets scale 1 so nothing divides by 0.
 */
export function intParams(min: number, max: number, dtype: QInt, symmetric: boolean): { scale: number; zeroPoint: number } {
  const [qmin, qmax] = QRANGE[dtype];
  if (symmetric) {
    const amax = Math.max(Math.abs(min), Math.abs(max));
    return { scale: amax > 0 ? Math.fround(amax / qmax) : 1, zeroPoint: 0 };
  }
  const lo = Math.min(min, 0), hi = Math.max(max, 0);
  if (hi === lo) return { scale: 1, zeroPoint: Math.min(qmax, Math.max(qmin, 0)) };
  const scale = Math.fround((hi - lo) / (qmax - qmin));
  const zeroPoint = Math.min(qmax, Math.max(qmin, roundHalfEven(qmin - lo / scale)));
  return { scale, zeroPoint };
}

/** Integer codes: saturate(rne(f32(x / scale)) + zp). */
export function quantizeInt(data: ArrayLike<number>, idx: Int32Array | null, scale: ArrayLike<number>, zp: ArrayLike<number> | null, dtype: QInt): Int32Array {
  const [lo, hi] = QRANGE[dtype];
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const k = idx ? idx[i] : 0;
    const q = roundHalfEven(Math.fround(Math.fround(data[i]) / scale[k])) + (zp ? zp[k] : 0);
    out[i] = q < lo ? lo : q > hi ? hi : q;
  }
  return out;
}

export function dequantizeInt(codes: ArrayLike<number>, idx: Int32Array | null, scale: ArrayLike<number>, zp: ArrayLike<number> | null): Float32Array {
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const k = idx ? idx[i] : 0;
    out[i] = (codes[i] - (zp ? zp[k] : 0)) * scale[k];
  }
  return out;
}

/** FP8 codes of x / scale, RNE with saturation (QuantizeLinear's saturate=1). */
export function quantizeF8(data: ArrayLike<number>, idx: Int32Array | null, scale: ArrayLike<number>, dtype: QFloat8): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = encodeF8(Math.fround(Math.fround(data[i]) / scale[idx ? idx[i] : 0]), dtype, true);
  return out;
}
