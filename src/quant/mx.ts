// OCP Microscaling (MX v1.0) block formats: 32 consecutive elements along one axis share an E8M0
// scale X = 2^(floor(log2(amax)) − emax_elem); each element stores v / X in its element type,
// rounded to nearest even and saturated to the element's max. Conventions where the spec leaves
// room, following Microsoft's microxcaling reference code:
//  - amax = 0 is treated as amax = 2^-126 (FP32's smallest normal), so the exponent is
//    −126 − emax, then clamped: an all-zero block gets code 0x00 (0x01 for MXINT8, emax 0).
//  - exponents below −127 clamp to −127 (code 0); elements then underflow to subnormals or 0.
//  - a block holding NaN or ±Inf gets the NaN scale 0xFF and element codes 0; it decodes to NaN.
//  - MXINT8 elements are 8-bit two's complement with an implicit 2^-6 (1.6 fixed point),
//    saturated to ±127/64 (code −128 is never produced; it decodes to −2).
import { paramLayout } from './affine.ts';
import { decodeMini, encodeMini, floorLog2, MINIFLOATS, roundHalfEven } from './minifloat.ts';
import { MX_BLOCK, type MxElement } from './precision.ts';

/** emax_elem of each element type: the exponent of its largest normal power of two. */
export const MX_EMAX: Readonly<Record<MxElement, number>> = { e4m3: 8, e5m2: 15, e2m3: 2, e3m2: 4, e2m1: 2, int8: 0 };

export const E8M0_NAN = 0xff;

/** The E8M0 code of a block's shared scale, from its largest magnitude (NaN if the block had NaN/Inf). */
export function mxScaleCode(amax: number, el: MxElement): number {
  if (!Number.isFinite(amax)) return E8M0_NAN;
  const e = (amax === 0 ? -126 : floorLog2(amax)) - MX_EMAX[el];
  return Math.max(e, -127) + 127; // e ≤ 127 − emax for any finite f32, so no overflow here
}

/** 2^(code − 127), or NaN for 0xFF. */
export function e8m0Value(code: number): number {
  return code === E8M0_NAN ? NaN : 2 ** (code - 127);
}

/** Element code of v (already divided by the block scale). */
export function encodeMxElement(v: number, el: MxElement): number {
  if (el !== 'int8') return encodeMini(v, el);
  const q = roundHalfEven(v * 64);
  return Number.isNaN(q) ? 0 : Math.max(-127, Math.min(127, q)) & 0xff;
}

export function decodeMxElement(code: number, el: MxElement): number {
  if (el !== 'int8') return decodeMini(code, el);
  return ((code << 24) >> 24) / 64;
}

/** Largest magnitude an element can hold (before the block scale). */
export function mxElementMax(el: MxElement): number {
  return el === 'int8' ? 127 / 64 : MINIFLOATS[el].max;
}

export interface MxEncoded {
  element: MxElement;
  axis: number;
  /** One code per element (unpacked), row-major like the input. */
  codes: Uint8Array;
  /** E8M0 scale codes, shape `scaleShape` (the block axis divided by 32, rounded up). */
  scales: Uint8Array;
  scaleShape: number[];
}

/** Encodes a tensor in blocks of 32 along `axis` (a short last block is allowed). */
export function mxEncode(data: ArrayLike<number>, shape: readonly number[], axis: number, el: MxElement): MxEncoded {
  const layout = paramLayout(shape, { kind: 'block', axis, block: MX_BLOCK });
  const idx = layout.index!;
  const amax = new Float64Array(layout.count);
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]);
    if (!(a <= amax[idx[i]])) amax[idx[i]] = Number.isNaN(a) ? Infinity : a; // NaN poisons the block like Inf
  }
  const scales = Uint8Array.from(amax, (a) => mxScaleCode(a, el));
  const codes = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const s = scales[idx[i]];
    codes[i] = s === E8M0_NAN ? 0 : encodeMxElement(data[i] / e8m0Value(s), el);
  }
  return { element: el, axis, codes, scales, scaleShape: layout.scaleShape };
}

export function mxDecode(codes: ArrayLike<number>, scales: ArrayLike<number>, shape: readonly number[], axis: number, el: MxElement): Float32Array {
  const idx = paramLayout(shape, { kind: 'block', axis, block: MX_BLOCK }).index!;
  const lut = new Float64Array(1 << (el === 'e2m1' ? 4 : el === 'e2m3' || el === 'e3m2' ? 6 : 8));
  for (let c = 0; c < lut.length; c++) lut[c] = decodeMxElement(c, el);
  const out = new Float32Array(codes.length);
  for (let i = 0; i < out.length; i++) out[i] = lut[codes[i]] * e8m0Value(scales[idx[i]]);
  return out;
}

/** Quantize-dequantize (what an MX activation boundary computes at run time). */
export function mxFakeQuantize(data: ArrayLike<number>, shape: readonly number[], axis: number, el: MxElement): Float32Array {
  const e = mxEncode(data, shape, axis, el);
  return mxDecode(e.codes, e.scales, shape, axis, el);
}
