// 8-bit floats of ONNX: float8e4m3fn (no infinities, NaN = S.1111.111, max 448) and float8e5m2
// (IEEE-like, max 57344). Conversion rounds to nearest even; `saturate` clamps out-of-range values
// to the largest finite value instead of NaN (e4m3fn) or infinity (e5m2), as QuantizeLinear specifies.

interface F8Format { exp: number; man: number; bias: number; maxFinite: number; maxCode: number; fn: boolean }
const FORMATS: Record<'f8e4m3' | 'f8e5m2', F8Format> = {
  f8e4m3: { exp: 4, man: 3, bias: 7, maxFinite: 448, maxCode: 0x7e, fn: true },
  f8e5m2: { exp: 5, man: 2, bias: 15, maxFinite: 57344, maxCode: 0x7b, fn: false },
};
export type F8 = keyof typeof FORMATS;

function floorLog2(a: number): number {
  let e = Math.floor(Math.log2(a));
  while (2 ** e > a) e--;
  while (2 ** (e + 1) <= a) e++;
  return e;
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function encodeF8(x: number, kind: F8, saturate: boolean): number {
  const f = FORMATS[kind];
  const sign = x < 0 || Object.is(x, -0) ? 0x80 : 0;
  const nan = 0x7f; // S.1111.111 is NaN in both formats
  const overflow = saturate ? sign | f.maxCode : f.fn ? sign | nan : sign | 0x7c;
  if (Number.isNaN(x)) return nan;
  const a = Math.abs(x);
  if (a === Infinity) return overflow;
  if (a === 0) return sign;
  const minExp = 1 - f.bias;
  const e = Math.max(floorLog2(a), minExp);
  const ulp = 2 ** (e - f.man);
  const q = roundHalfEven(a / ulp) * ulp; // a / ulp is exact: ulp is a power of two
  if (q > f.maxFinite) return overflow;
  if (q === 0) return sign;
  const qe = floorLog2(q);
  if (qe < minExp) return sign | (q / 2 ** (minExp - f.man)); // subnormal
  return sign | ((qe + f.bias) << f.man) | ((q / 2 ** qe - 1) * 2 ** f.man);
}

export function decodeF8(bits: number, kind: F8): number {
  const f = FORMATS[kind];
  const sign = bits & 0x80 ? -1 : 1;
  const expField = (bits >> f.man) & ((1 << f.exp) - 1), man = bits & ((1 << f.man) - 1);
  const top = (1 << f.exp) - 1;
  if (f.fn && expField === top && man === (1 << f.man) - 1) return NaN;
  if (!f.fn && expField === top) return man === 0 ? sign * Infinity : NaN;
  if (expField === 0) return sign * man * 2 ** (1 - f.bias - f.man);
  return sign * (1 + man / (1 << f.man)) * 2 ** (expField - f.bias);
}

export function isF8(d: string): d is F8 { return d === 'f8e4m3' || d === 'f8e5m2'; }
