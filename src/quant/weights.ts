// Weight quantization: a float tensor → its stored form (QuantizedTensor) for every precision,
// and back. The stored form mirrors what a graph initializer holds, so the graph side can emit
// DequantizeLinear / MxDequantize nodes from it directly, and storageBytes() is the model size.
import type { DType } from '../ir/graph/dtype.ts';
import { Tensor } from '../ir/graph/tensor.ts';
import { UsageError } from '../util/errors.ts';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../util/float16.ts';
import { decodeF8 } from '../util/float8.ts';
import { dequantizeInt, F8_MAX, type Granularity, intParams, paramLayout, paramRanges, type QFloat8, type QInt, quantizeF8, quantizeInt } from './affine.ts';
import { mxDecode, mxEncode } from './mx.ts';
import { packBits, unpackBits } from './pack.ts';
import { MX_ELEMENT_BITS, type MxElement, PRECISIONS, type Precision, type QuantSpec } from './precision.ts';

export interface QuantizedTensor {
  precision: Precision;
  shape: number[];
  /** Element type of the stored codes ('mx' for MX blocks). */
  dtype: DType | 'mx';
  /** Packed storage bytes: 4-bit two per byte (low nibble first), MX elements bit-packed, 16-bit little-endian. */
  data: Uint8Array;
  granularity: Granularity;
  /** Affine precisions (int8, int4w, fp8): f32 scales of shape scaleShape. */
  scale?: Float32Array;
  /** Asymmetric integer precisions: zero points (same shape as scale). */
  zeroPoint?: Int32Array;
  scaleShape: number[];
  /** MX: element type and E8M0 scale codes (shape scaleShape, blocks of 32 along granularity.axis). */
  mx?: { element: MxElement; scales: Uint8Array };
}

const norm = (axis: number, rank: number, what: string): number => {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new UsageError(`${what} ${axis} is out of range for a rank-${rank} weight`);
  return a;
};

function affineGranularity(shape: readonly number[], spec: QuantSpec): Granularity {
  if (spec.precision === 'int4w') {
    const block = spec.groupSize ?? 32;
    if (!(block > 0)) throw new UsageError(`groupSize must be positive, got ${block}`);
    return { kind: 'block', axis: norm(spec.blockAxis ?? shape.length - 1, shape.length, 'blockAxis'), block };
  }
  return spec.axis === undefined || shape.length === 0 ? { kind: 'tensor' } : { kind: 'axis', axis: norm(spec.axis, shape.length, 'axis') };
}

const bytes16 = (bits: Uint16Array) => new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength);

/** Quantizes a float weight per `spec`; see QuantSpec for the defaults. */
export function quantizeWeight(data: ArrayLike<number>, shape: readonly number[], spec: QuantSpec): QuantizedTensor {
  const p = spec.precision, sym = spec.symmetric ?? true, base = { precision: p, shape: [...shape] };
  if (p === 'fp32') return { ...base, dtype: 'f32', data: new Uint8Array(Float32Array.from(data).buffer), granularity: { kind: 'tensor' }, scaleShape: [] };
  if (p === 'fp16' || p === 'bf16') {
    const enc = p === 'fp16' ? f32ToF16Bits : f32ToBf16Bits;
    return { ...base, dtype: p === 'fp16' ? 'f16' : 'bf16', data: bytes16(Uint16Array.from(data, enc)), granularity: { kind: 'tensor' }, scaleShape: [] };
  }
  const info = PRECISIONS[p];
  if (info.kind === 'mx') {
    const element = spec.mxElement ?? info.mx!;
    const axis = norm(spec.blockAxis ?? shape.length - 1, shape.length, 'blockAxis');
    const e = mxEncode(data, shape, axis, element);
    return { ...base, dtype: 'mx', data: packBits(e.codes, MX_ELEMENT_BITS[element]), granularity: { kind: 'block', axis, block: 32 }, scaleShape: e.scaleShape, mx: { element, scales: e.scales } };
  }
  const g = affineGranularity(shape, spec);
  const layout = paramLayout(shape, g);
  const { min, max } = paramRanges(data, layout);
  if (p === 'fp8e4m3' || p === 'fp8e5m2') {
    const dtype: QFloat8 = p === 'fp8e4m3' ? 'f8e4m3' : 'f8e5m2';
    const scale = Float32Array.from(min, (lo, k) => { const a = Math.max(-lo, max[k]); return a > 0 ? Math.fround(a / F8_MAX[dtype]) : 1; });
    return { ...base, dtype, data: quantizeF8(data, layout.index, scale, dtype), granularity: g, scale, scaleShape: layout.scaleShape };
  }
  const dtype: QInt = p === 'int8' ? (sym ? 'i8' : 'u8') : sym ? 'i4' : 'u4';
  const scale = new Float32Array(layout.count), zp = new Int32Array(layout.count);
  for (let k = 0; k < layout.count; k++) ({ scale: scale[k], zeroPoint: zp[k] } = intParams(min[k], max[k], dtype, sym));
  const codes = quantizeInt(data, layout.index, scale, sym ? null : zp, dtype);
  return { ...base, dtype, data: packBits(codes, p === 'int8' ? 8 : 4), granularity: g, scale, zeroPoint: sym ? undefined : zp, scaleShape: layout.scaleShape };
}

const count = (q: QuantizedTensor) => q.shape.reduce((a, b) => a * b, 1);

/** The element codes, unpacked to one number each (fp16/bf16/fp8/MX: raw bit patterns). */
export function codesOf(q: QuantizedTensor): Int32Array {
  const n = count(q);
  if (q.dtype === 'mx') return unpackBits(q.data, n, MX_ELEMENT_BITS[q.mx!.element]);
  if (q.dtype === 'f16' || q.dtype === 'bf16') return Int32Array.from(new Uint16Array(q.data.buffer, q.data.byteOffset, n));
  return unpackBits(q.data, n, q.dtype === 'i4' || q.dtype === 'u4' ? 4 : 8, q.dtype === 'i8' || q.dtype === 'i4');
}

export function dequantize(q: QuantizedTensor): Float32Array {
  const codes = codesOf(q);
  switch (q.dtype) {
    case 'f32': return new Float32Array(q.data.buffer.slice(q.data.byteOffset, q.data.byteOffset + q.data.byteLength));
    case 'f16': return Float32Array.from(codes, f16BitsToF32);
    case 'bf16': return Float32Array.from(codes, bf16BitsToF32);
    case 'mx': return mxDecode(codes, q.mx!.scales, q.shape, q.granularity.kind === 'tensor' ? 0 : q.granularity.axis, q.mx!.element);
    default: {
      const idx = paramLayout(q.shape, q.granularity).index;
      if (q.dtype === 'f8e4m3' || q.dtype === 'f8e5m2') {
        const kind = q.dtype, s = q.scale!;
        return Float32Array.from(codes, (c, i) => decodeF8(c, kind) * s[idx ? idx[i] : 0]);
      }
      return dequantizeInt(codes, idx, q.scale!, q.zeroPoint ?? null);
    }
  }
}

/** dequantize(quantizeWeight(...)): the values the quantized model computes with. */
export function fakeQuantize(data: ArrayLike<number>, shape: readonly number[], spec: QuantSpec): Float32Array {
  return dequantize(quantizeWeight(data, shape, spec));
}

/** Bytes the weight occupies in a deployed model: packed codes + scales (f32) + zero points + E8M0 scales. */
export function storageBytes(q: QuantizedTensor): number {
  const params = q.scale ? q.scale.length * 4 : 0;
  const zps = q.zeroPoint ? Math.ceil((q.zeroPoint.length * (q.dtype === 'u4' ? 4 : 8)) / 8) : 0;
  return q.data.byteLength + params + zps + (q.mx ? q.mx.scales.length : 0);
}

/**
 * The graph constants of a quantized weight: codes (i4/u4 unpacked one per element, as the IR
 * stores them; MX: the packed bytes as u8), scale and zero point. Feed them to DequantizeLinear
 * (axis / block_size from `granularity`) or to com.tscc MxDequantize.
 */
export function toTensors(q: QuantizedTensor): { codes: Tensor; scale?: Tensor; zeroPoint?: Tensor } {
  if (q.dtype === 'mx') return { codes: new Tensor('u8', [q.data.length], q.data), scale: new Tensor('u8', q.scaleShape, q.mx!.scales) };
  const codes = codesOf(q);
  const t = q.dtype === 'f32' ? new Tensor('f32', q.shape, dequantize(q)) : Tensor.fromNumbers(q.dtype, q.shape, codes);
  if (q.dtype === 'f16' || q.dtype === 'bf16') (t.data as Uint16Array).set(codes);
  return {
    codes: t,
    scale: q.scale ? new Tensor('f32', q.scaleShape, q.scale) : undefined,
    zeroPoint: q.zeroPoint ? Tensor.fromNumbers(q.dtype, q.scaleShape, q.zeroPoint) : undefined,
  };
}
