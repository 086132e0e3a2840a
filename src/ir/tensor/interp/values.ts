// How each element type behaves in the compiled interpreter: every IR value is a JS number, and
// these functions say (as JS source fragments) how a dtype rounds or wraps, and how its typed-array
// storage converts on load and store. Integers ≤ 32 bits wrap like the hardware; i64/u64 compute in
// doubles (exact to 2^53) and are stored as bigints. f32 rounds after every operation; f16/bf16
// compute in f32 and round to their precision on store and on a cast.
import { type DType, isFloat } from '../../graph/dtype.ts';
import { UnsupportedError } from '../../../util/errors.ts';

/** Throws for types the interpreter cannot execute (every graph dtype now has a codec here). */
export function checkSupported(dtype: DType, what: string): void {
  if (!SUPPORTED.has(dtype)) throw new UnsupportedError(`tensor IR interpreter: ${what} has type ${dtype}, which it cannot execute`);
}
const SUPPORTED = new Set<DType>(['f32', 'f64', 'f16', 'bf16', 'f8e4m3', 'f8e5m2', 'i64', 'i32', 'i16', 'i8', 'u64', 'u32', 'u16', 'u8', 'i4', 'u4', 'bool']);

/** JS text that wraps the integer-valued text `x` into the range of `dtype` (identity for floats). */
export function wrap(dtype: DType, x: string): string {
  switch (dtype) {
    case 'i32': return `((${x}) | 0)`;
    case 'u32': return `((${x}) >>> 0)`;
    case 'i16': return `((${x}) << 16 >> 16)`;
    case 'u16': return `((${x}) & 65535)`;
    case 'i8': return `((${x}) << 24 >> 24)`;
    case 'u8': return `((${x}) & 255)`;
    case 'i4': return `((${x}) << 28 >> 28)`;
    case 'u4': return `((${x}) & 15)`;
    case 'bool': return `((${x}) ? 1 : 0)`;
    case 'i64': case 'u64': return `trunc64(${x})`;
    default: return x;
  }
}

/** JS text that rounds the float text `x` to the precision arithmetic of `dtype` is done in. */
export function round(dtype: DType, x: string): string {
  return dtype === 'f64' ? `(${x})` : `fr(${x})`;
}

/** Rounds (floats) or wraps (integers) the result of an operation producing `dtype`. */
export function normalize(dtype: DType, x: string): string {
  return isFloat(dtype) ? round(dtype, x) : wrap(dtype, x);
}

/** JS text converting any number `x` to a value of `dtype` (the semantics of a Cast). */
export function convert(dtype: DType, x: string): string {
  switch (dtype) {
    case 'f32': return `fr(${x})`;
    case 'f64': return `(${x})`;
    case 'f16': return `H16[toF16(${x})]`;
    case 'bf16': return `BF16[toBF16(${x})]`;
    case 'f8e4m3': return `F8E4M3[toF8E4M3(${x})]`;
    case 'f8e5m2': return `F8E5M2[toF8E5M2(${x})]`;
    // `|`, `&`, `<<` and `>>>` apply ToInt32/ToUint32 first: truncation toward zero, NaN and ±inf to 0.
    default: return wrap(dtype, x);
  }
}

/** JS text reading element text `raw` of a typed array holding `dtype`. */
export function fromStorage(dtype: DType, raw: string): string {
  switch (dtype) {
    case 'f16': return `H16[${raw}]`;
    case 'bf16': return `BF16[${raw}]`;
    case 'f8e4m3': return `F8E4M3[${raw}]`;
    case 'f8e5m2': return `F8E5M2[${raw}]`;
    case 'i64': case 'u64': return `Number(${raw})`;
    default: return raw;
  }
}

/** JS text turning value text `v` of `dtype` into what its typed array stores. */
export function toStorage(dtype: DType, v: string): string {
  switch (dtype) {
    case 'f16': return `toF16(${v})`;
    case 'bf16': return `toBF16(${v})`;
    case 'f8e4m3': return `toF8E4M3(${v})`;
    case 'f8e5m2': return `toF8E5M2(${v})`;
    case 'i64': return `toI64(${v})`;
    case 'u64': return `toU64(${v})`;
    default: return v; // typed-array assignment does the rest (f32 rounding, integer wrap)
  }
}

/**
 * What fresh allocations and output tensors are filled with, so that reading memory nobody wrote
 * (a schedule that forgets an initialization) gives a visibly wrong answer rather than a lucky zero.
 * Returned in storage form (bits for f16/bf16, bigint for 64-bit integers).
 */
export function poison(dtype: DType): number | bigint {
  switch (dtype) {
    case 'f32': case 'f64': return NaN;
    case 'f16': return 0x7e00;
    case 'bf16': return 0x7fc0;
    case 'f8e4m3': case 'f8e5m2': return 0x7f; // NaN in both
    case 'i64': return -(2n ** 63n);
    case 'u64': return 2n ** 64n - 1n;
    case 'i32': return -(2 ** 31);
    case 'u32': return 2 ** 32 - 1;
    case 'i16': return -(2 ** 15);
    case 'u16': return 65535;
    case 'i8': return -128;
    case 'u8': return 255;
    case 'i4': return -8;
    case 'u4': return 15;
    case 'bool': return 1;
    default: return 0;
  }
}
