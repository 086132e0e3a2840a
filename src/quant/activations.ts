// Quantization parameters of an activation from its calibrated range.
import { F8_MAX, intParams } from './affine.ts';
import { PRECISIONS, type MxElement, type Precision } from './precision.ts';

export interface Range { min: number; max: number }

export interface ActivationParams {
  /**
   * Element type at the boundary: i8/u8/f8e4m3/f8e5m2 go through QuantizeLinear/DequantizeLinear
   * with scale and zeroPoint; f16/bf16 are a Cast; f32 means "leave in float" (fp32, int4w);
   * 'mx' is com.tscc MxQuantizeDequantize, whose scales are computed per block at run time
   * (no calibration needed: scale 1, zero point 0 are placeholders).
   */
  dtype: 'i8' | 'u8' | 'f8e4m3' | 'f8e5m2' | 'f16' | 'bf16' | 'f32' | 'mx';
  scale: number;
  zeroPoint: number;
  mxElement?: MxElement;
}

/**
 * int8: symmetric → i8 with scale amax/127; asymmetric → u8 over [min, max] widened to include 0.
 * fp8: scale amax / (format max) so the calibrated amax maps to the largest finite value.
 */
export function activationParams(range: Range, precision: Precision, symmetric = false): ActivationParams {
  const amax = Math.max(Math.abs(range.min), Math.abs(range.max));
  switch (precision) {
    case 'int8': {
      const dtype = symmetric ? 'i8' : 'u8';
      return { dtype, ...intParams(range.min, range.max, dtype, symmetric) };
    }
    case 'fp8e4m3': case 'fp8e5m2': {
      const dtype = precision === 'fp8e4m3' ? 'f8e4m3' : 'f8e5m2';
      return { dtype, scale: amax > 0 ? Math.fround(amax / F8_MAX[dtype]) : 1, zeroPoint: 0 };
    }
    case 'fp16': return { dtype: 'f16', scale: 1, zeroPoint: 0 };
    case 'bf16': return { dtype: 'bf16', scale: 1, zeroPoint: 0 };
    case 'fp32': case 'int4w': return { dtype: 'f32', scale: 1, zeroPoint: 0 };
    default: return { dtype: 'mx', scale: 1, zeroPoint: 0, mxElement: PRECISIONS[precision].mx! };
  }
}
