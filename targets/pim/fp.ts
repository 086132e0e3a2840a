// The PU's number formats. Operands are 16-bit (fp16 or bf16) bit patterns; products of two of them
// are exact in fp32 (11+11 or 8+8 significant bits), sums are rounded to fp32 (accumulate) or, for
// element-wise results written back to a bank, rounded once, to nearest even, into the 16-bit format.
// The int8 mode (presets whose PU has it, COMMANDS.md) multiplies 32 signed 8-bit bank bytes by 32
// unsigned 8-bit global-buffer bytes; products and their sum are exact integers, accumulated in int32.
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../../src/util/float16.ts';

/** The 16-bit floating formats of the PU's multiplier array. */
export type Pim16 = 'fp16' | 'bf16';
/** Every format a stream may run in. */
export type PimFormat = Pim16 | 'int8';
/** The formats a `--target pim:…:FMT` variant may name (float nodes run in one of them). */
export const FORMATS: readonly Pim16[] = ['fp16', 'bf16'];
export const is16 = (f: PimFormat): f is Pim16 => f !== 'int8';

// Decoding tables: all 65,536 bit patterns of each format.
const TABLES: Record<Pim16, Float32Array> = {
  fp16: Float32Array.from({ length: 65536 }, (_, h) => f16BitsToF32(h)),
  bf16: Float32Array.from({ length: 65536 }, (_, h) => bf16BitsToF32(h)),
};

export function decode16(fmt: Pim16, bits: number): number {
  return TABLES[fmt][bits];
}

/** Rounds a double (an exact sum or product of two 16-bit values) straight into the format: one rounding. */
export function encode16(fmt: Pim16, x: number): number {
  // A value already in fp32 is rounded once by the bit conversion itself.
  if (!Number.isFinite(x) || x === 0 || Math.fround(x) === x) return fmt === 'fp16' ? f32ToF16Bits(x) : f32ToBf16Bits(x);
  const [bits, minExp] = fmt === 'fp16' ? [11, -14] : [8, -126];
  const e = Math.max(Math.floor(Math.log2(Math.abs(x))), minExp);
  const ulp = 2 ** (e - bits + 1);
  const q = x / ulp;
  let r = Math.round(q);
  if (Math.abs(q - Math.trunc(q)) === 0.5 && r % 2 !== 0) r -= 1; // ties to even (Math.round ties up)
  const y = r * ulp; // exactly representable now (or overflow to the next binade, still exact)
  return fmt === 'fp16' ? f32ToF16Bits(y) : f32ToBf16Bits(y);
}

/** The PU's dot product of one column access: 16 exact products, a pairwise fp32 adder tree. */
const scratch = new Float64Array(64);
export function laneDot(fmt: Pim16, a: Uint16Array, ai: number, b: Uint16Array, bi: number, lanes: number): number {
  const v = scratch, t = TABLES[fmt];
  for (let l = 0; l < lanes; l++) v[l] = Math.fround(t[a[ai + l]] * t[b[bi + l]]);
  for (let w = lanes; w > 1; w >>= 1) {
    for (let l = 0; l < w >> 1; l++) v[l] = Math.fround(v[2 * l] + v[2 * l + 1]);
  }
  return v[0];
}

/** Converts fp32 values to 16-bit patterns in bulk (the same rounding as encode16, minus call overhead). */
export function encodeArray(fmt: Pim16, src: Float32Array): Uint16Array {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const b = u[i];
    if (fmt === 'bf16') {
      out[i] = (b & 0x7f800000) === 0x7f800000 ? f32ToBf16Bits(src[i]) : ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
      continue;
    }
    const e = ((b >>> 23) & 0xff) - 112; // fp16 biased exponent
    if (e <= 0 || e >= 30) { out[i] = f32ToF16Bits(src[i]); continue; } // subnormal, overflow, inf/NaN: slow path
    const m = b & 0x7fffff, rest = m & 0x1fff;
    let h = ((b >>> 16) & 0x8000) | (e << 10) | (m >>> 13);
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++; // carries into the exponent correctly
    out[i] = h;
  }
  return out;
}

/**
 * The int8 mode's dot product of one column access: `words` 16-bit words hold 2 × words bytes, byte 2w
 * in the low half (little-endian, as the pins deliver them). Bank bytes are signed (weights), global-
 * buffer bytes unsigned (activations with their zero point, folded on the host). Exact: |sum| < 2^21.
 */
export function laneDotInt8(bank: Uint16Array, ai: number, gb: Uint16Array, bi: number, words: number): number {
  let s = 0;
  for (let w = 0; w < words; w++) {
    const a = bank[ai + w], b = gb[bi + w];
    s += (((a & 0xff) << 24) >> 24) * (b & 0xff) + ((a << 16) >> 24) * (b >>> 8);
  }
  return s;
}
