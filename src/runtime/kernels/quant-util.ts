// Helpers shared by the quantization kernels: saturation ranges, rounding, reading values of any
// element type, and onnxruntime's requantization of int32 accumulators.
import { type DType, isBigInt } from '../../ir/graph/dtype.ts';
import type { Tensor } from '../../ir/graph/tensor.ts';
import type { KernelNode } from '../kernel.ts';
import { decodeF8, isF8 } from './float8.ts';
import { fail } from './util.ts';

/** Largest output (elements) a malformed model may make a quantized kernel allocate. */
export const MAX_OUTPUT = 1 << 28;

/** Saturation range of each integer quantized type. */
export const INT_RANGES: Partial<Record<DType, readonly [number, number]>> = {
  u8: [0, 255], i8: [-128, 127], u16: [0, 65535], i16: [-32768, 32767], u4: [0, 15], i4: [-8, 7],
};

export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Element values as numbers: narrow and 8-bit floats decoded, integers as stored. */
export function numbers(t: Tensor): ArrayLike<number> {
  if (t.data instanceof Float32Array || t.data instanceof Float64Array) return t.data;
  if (isF8(t.dtype)) { const k = t.dtype; return Float64Array.from(t.data as Uint8Array, (b) => decodeF8(b, k)); }
  if (isBigInt(t.dtype) || t.dtype === 'f16' || t.dtype === 'bf16') return t.toNumbers();
  return t.data as ArrayLike<number>;
}

export function scalar(node: KernelNode, t: Tensor | null, what: string): number {
  if (!t || t.size !== 1) fail(node, `${what} must be a scalar, got shape [${t?.shape ?? ''}]`);
  return numbers(t)[0];
}

/** The f32 requantization multiplier onnxruntime uses: (x_scale · w_scale) / y_scale. */
export function multiplier(xs: number, ws: number, ys: number): number {
  return Math.fround(Math.fround(xs * ws) / ys);
}

/** Requantizes n int32 accumulators into y[yOff + i·stride]: round(acc · multiplier) + zp, saturated. */
export function requantize(acc: Int32Array, n: number, mult: number, zp: number, y: Int8Array | Uint8Array, yOff: number, stride: number): void {
  const [lo, hi] = INT_RANGES[y instanceof Int8Array ? 'i8' : 'u8']!;
  for (let i = 0; i < n; i++) {
    const q = roundHalfEven(Math.fround(Math.fround(acc[i]) * mult)) + zp;
    y[yOff + i * stride] = q < lo ? lo : q > hi ? hi : q;
  }
}
