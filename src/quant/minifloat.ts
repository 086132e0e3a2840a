// Narrow float element codecs of the MX formats (OCP MX v1.0 §5.3): FP8 E4M3/E5M2, FP6 E2M3/E3M2,
// FP4 E2M1. Encoding rounds to nearest, ties to even, and saturates to the largest finite value
// (the MX conversion rule). FP8 defers to the ONNX codec in util/float8.ts (the ONNX codec) so both agree.
import { decodeF8, encodeF8 } from '../util/float8.ts';

export interface MiniFloat {
  exp: number;
  man: number;
  bias: number;
  /** Largest finite magnitude; also the saturation value. */
  max: number;
  /** Largest exponent of a normal value (the spec's emax_elem). */
  emax: number;
}

export type MiniFloatName = 'e4m3' | 'e5m2' | 'e2m3' | 'e3m2' | 'e2m1';

export const MINIFLOATS: Readonly<Record<MiniFloatName, MiniFloat>> = {
  e4m3: { exp: 4, man: 3, bias: 7, max: 448, emax: 8 },
  e5m2: { exp: 5, man: 2, bias: 15, max: 57344, emax: 15 },
  e2m3: { exp: 2, man: 3, bias: 1, max: 7.5, emax: 2 },
  e3m2: { exp: 3, man: 2, bias: 3, max: 28, emax: 4 },
  e2m1: { exp: 2, man: 1, bias: 1, max: 6, emax: 2 },
};

/** Exact floor(log2(a)) for a > 0 (Math.log2 can be off by one near powers of two). */
export function floorLog2(a: number): number {
  let e = Math.floor(Math.log2(a));
  while (2 ** e > a) e--;
  while (2 ** (e + 1) <= a) e++;
  return e;
}

export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Bits of x in the format, RNE, saturating. FP6/FP4 have no NaN: NaN encodes as +0 (an MX block
 * holding NaN gets the NaN scale 0xFF, which makes every element NaN on decode).
 */
export function encodeMini(x: number, name: MiniFloatName): number {
  if (name === 'e4m3') return encodeF8(x, 'f8e4m3', true);
  if (name === 'e5m2') return encodeF8(x, 'f8e5m2', true);
  const f = MINIFLOATS[name];
  const signBit = 1 << (f.exp + f.man);
  if (Number.isNaN(x)) return 0;
  const sign = x < 0 || Object.is(x, -0) ? signBit : 0;
  const a = Math.min(Math.abs(x), f.max); // saturate (also ±Inf)
  if (a === 0) return sign;
  const minExp = 1 - f.bias;
  const e = Math.max(floorLog2(a), minExp);
  const ulp = 2 ** (e - f.man);
  const q = Math.min(roundHalfEven(a / ulp) * ulp, f.max);
  if (q === 0) return sign;
  const qe = floorLog2(q);
  if (qe < minExp) return sign | (q / 2 ** (minExp - f.man)); // subnormal: exponent field 0
  return sign | ((qe + f.bias) << f.man) | ((q / 2 ** qe - 1) * 2 ** f.man);
}

export function decodeMini(bits: number, name: MiniFloatName): number {
  if (name === 'e4m3') return decodeF8(bits, 'f8e4m3');
  if (name === 'e5m2') return decodeF8(bits, 'f8e5m2');
  const f = MINIFLOATS[name];
  const sign = bits & (1 << (f.exp + f.man)) ? -1 : 1;
  const e = (bits >> f.man) & ((1 << f.exp) - 1), m = bits & ((1 << f.man) - 1);
  if (e === 0) return sign * m * 2 ** (1 - f.bias - f.man);
  return sign * (1 + m / (1 << f.man)) * 2 ** (e - f.bias);
}
