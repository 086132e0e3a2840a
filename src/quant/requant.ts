// Integer-only requantization as TFLite / gemmlowp do it on integer hardware: a real scale
// (in_scale · w_scale / out_scale) becomes a Q31 multiplier M ∈ [2^30, 2^31) and a power-of-two
// shift, and an int32 accumulator maps to the output as
//   y = clamp(zp + RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc · 2^left, M), right))
// Rounding (mode 'gemmlowp', the default, as TFLite's reference kernels): SaturatingRoundingDoubling-
// HighMul rounds ties toward +∞ (its nudge is 2^30 for a positive product, 1 − 2^30 for a negative
// one), RoundingDivideByPOT rounds ties away from zero. Rounding twice makes the result differ from
// one rounding of acc · realScale by 1 LSB in a few percent of cases when the right shift is small.
// Mode 'single' (TFLite built with TFLITE_SINGLE_ROUNDING, CMSIS-NN style) rounds the 64-bit product
// once: (acc · M + 2^(30 − shift)) >> (31 − shift), ties toward +∞.

export interface QuantizedMultiplier {
  /** Q31 fixed point in [2^30, 2^31) (0 for realScale 0). */
  multiplier: number;
  /** Power-of-two exponent: positive shifts left, negative right. realScale ≈ multiplier · 2^(shift − 31). */
  shift: number;
}

const Q31 = 2 ** 31;

/** TFLite QuantizeMultiplier: frexp, then round the fraction to Q31. */
export function quantizeMultiplier(realScale: number): QuantizedMultiplier {
  if (!(realScale >= 0) || !Number.isFinite(realScale)) throw new RangeError(`requantization scale must be finite and ≥ 0, got ${realScale}`);
  if (realScale === 0) return { multiplier: 0, shift: 0 };
  let shift = Math.floor(Math.log2(realScale)) + 1; // frexp: realScale = q · 2^shift, q ∈ [0.5, 1)
  while (realScale / 2 ** shift >= 1) shift++;
  while (realScale / 2 ** shift < 0.5) shift--;
  let m = Math.round((realScale / 2 ** shift) * Q31); // half away from zero (positive here)
  if (m === Q31) { m /= 2; shift++; }
  if (shift < -31) return { multiplier: 0, shift: 0 }; // underflows to 0, as TFLite does
  return { multiplier: m, shift };
}

export function quantizeMultipliers(realScales: ArrayLike<number>): { multipliers: Int32Array; shifts: Int32Array } {
  const multipliers = new Int32Array(realScales.length), shifts = new Int32Array(realScales.length);
  for (let i = 0; i < realScales.length; i++) ({ multiplier: multipliers[i], shift: shifts[i] } = quantizeMultiplier(realScales[i]));
  return { multipliers, shifts };
}

const I32_MIN = -(2 ** 31), I32_MAX = 2 ** 31 - 1;

/** gemmlowp SaturatingRoundingDoublingHighMul: round(a · b / 2^31), ties away from zero, int32-saturated. */
export function srdhm(a: number, b: number): number {
  if (a === I32_MIN && b === I32_MIN) return I32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n)); // BigInt division truncates toward zero, as C++ does
}

/** gemmlowp RoundingDivideByPOT: x / 2^e rounded half away from zero. */
export function roundingDivideByPOT(x: number, e: number): number {
  if (e === 0) return x;
  const mask = 2 ** e - 1;
  const rem = x - Math.floor(x / 2 ** e) * 2 ** e; // x & mask, valid for negative x too
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return Math.floor(x / 2 ** e) + (rem > threshold ? 1 : 0);
}

/** acc · (multiplier · 2^(shift − 31)) with TFLite's MultiplyByQuantizedMultiplier, int32 throughout. */
export function multiplyByQuantizedMultiplier(acc: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  const shifted = Math.max(I32_MIN, Math.min(I32_MAX, acc * 2 ** left)); // TFLite assumes no overflow here
  return roundingDivideByPOT(srdhm(shifted, multiplier), right);
}

export type RequantMode = 'gemmlowp' | 'single';

/** acc · M · 2^(shift − 31) rounded once, ties toward +∞ (64-bit arithmetic). */
export function multiplyByQuantizedMultiplierSingle(acc: number, multiplier: number, shift: number): number {
  const total = BigInt(31 - shift);
  const r = (BigInt(acc) * BigInt(multiplier) + (1n << (total - 1n))) >> total; // >> on BigInt floors
  return Number(r);
}

/** y = clamp(zeroPoint + acc · M · 2^(shift − 31), qmin, qmax). */
export function requantize(acc: number, multiplier: number, shift: number, zeroPoint: number, qmin: number, qmax: number, mode: RequantMode = 'gemmlowp'): number {
  const scaled = mode === 'single' ? multiplyByQuantizedMultiplierSingle(acc, multiplier, shift) : multiplyByQuantizedMultiplier(acc, multiplier, shift);
  const y = scaled + zeroPoint;
  return y < qmin ? qmin : y > qmax ? qmax : y;
}

/**
 * Requantizes accumulators laid out [outer, channels, inner] with one multiplier/shift per channel
 * (per-channel weight scales; pass 1-element arrays for per-tensor).
 */
export function requantizeChannels(
  acc: Int32Array, channels: number, inner: number, m: { multipliers: Int32Array; shifts: Int32Array },
  zeroPoint: number, qmin: number, qmax: number, mode: RequantMode = 'gemmlowp',
): Int32Array {
  const out = new Int32Array(acc.length);
  const per = m.multipliers.length !== 1;
  for (let i = 0; i < acc.length; i++) {
    const c = per ? Math.floor(i / inner) % channels : 0;
    out[i] = requantize(acc[i], m.multipliers[c], m.shifts[c], zeroPoint, qmin, qmax, mode);
  }
  return out;
}
