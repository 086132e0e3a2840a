// The helpers compiled kernels call (passed to the generated code as `rt`). Division helpers follow
// `evalBinary` in expr.ts exactly, so constant folding and execution agree, including x/0 = 0 for
// integers and floor semantics for negative operands.
import { type DType, type TypedArray, allocArray } from '../../graph/dtype.ts';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../../../util/float16.ts';
import { decodeF8, encodeF8 } from '../../../util/float8.ts';
import { erf } from '../../../util/erf.ts';
import { ModelError } from '../../../util/errors.ts';
import { poison } from './values.ts';

/** A kernel bug found while running (out-of-bounds access, barrier divergence). Code E_MODEL. */
export class KernelError extends ModelError {}

function table(decode: (bits: number) => number): Float32Array {
  const t = new Float32Array(65536);
  for (let i = 0; i < 65536; i++) t[i] = decode(i);
  return t;
}

/** Decoded values of every 16-bit pattern: a load of f16/bf16 is one table lookup. */
const H16 = table(f16BitsToF32);
const BF16 = table(bf16BitsToF32);

/** Decoded values of every 8-bit float pattern. */
const F8E4M3 = Float32Array.from({ length: 256 }, (_, b) => decodeF8(b, 'f8e4m3'));
const F8E5M2 = Float32Array.from({ length: 256 }, (_, b) => decodeF8(b, 'f8e5m2'));

const trunc64 = (x: number): number => (Number.isFinite(x) ? Math.trunc(x) : 0);

export const rt = {
  fr: Math.fround,
  H16,
  BF16,
  toF16: f32ToF16Bits,
  toBF16: f32ToBf16Bits,
  F8E4M3,
  F8E5M2,
  /**
   * Stores and casts into 8-bit floats round to nearest even without saturating (overflow gives
   * NaN in e4m3fn, ±Inf in e5m2): saturation, where an op wants it, is explicit in the IR.
   */
  toF8E4M3: (x: number): number => encodeF8(x, 'f8e4m3', false),
  toF8E5M2: (x: number): number => encodeF8(x, 'f8e5m2', false),
  trunc64,
  toI64: (x: number): bigint => BigInt.asIntN(64, BigInt(trunc64(x))),
  toU64: (x: number): bigint => BigInt.asUintN(64, BigInt(trunc64(x))),
  /** Integer floordiv / floormod / truncating div. */
  idiv: (x: number, y: number): number => (y === 0 ? 0 : Math.floor(x / y)),
  imod: (x: number, y: number): number => (y === 0 ? 0 : x - Math.floor(x / y) * y),
  tdiv: (x: number, y: number): number => (y === 0 ? 0 : Math.trunc(x / y)),
  /** Float floordiv / floormod (x - floor(x/y)·y). */
  fdiv: (x: number, y: number): number => (y === 0 ? 0 : Math.floor(x / y)),
  fmod: (x: number, y: number): number => (y === 0 ? 0 : x - Math.floor(x / y) * y),
  erf,
  /** Round half to even, as ONNX Round and C's rint. */
  rint: (x: number): number => {
    const r = Math.round(x);
    return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  sigmoid: (x: number): number => 1 / (1 + Math.exp(-x)),
  /** A fresh array for an allocation, filled with the poison pattern. */
  alloc: (dtype: DType, size: number): TypedArray => poisoned(allocArray(dtype, size), dtype),
  /** Refills an array that is reused for a new allocation. */
  repoison: (a: TypedArray, dtype: DType): TypedArray => poisoned(a, dtype),
  /** A local buffer allocated outside the thread loops: one private copy per (block, thread). */
  threadLocal: (copies: Map<string, TypedArray>, key: string, dtype: DType, size: number): TypedArray => {
    let a = copies.get(key);
    if (!a) { a = poisoned(allocArray(dtype, size), dtype); copies.set(key, a); }
    return a;
  },
  oob: (kernel: string, access: string, name: string, shape: readonly number[], indices: readonly number[]): never => {
    throw new KernelError(`kernel ${kernel}: out-of-bounds ${access} ${name}[${indices.join(', ')}] (shape [${shape.join(', ')}])`);
  },
};

export type Runtime = typeof rt;

function poisoned(a: TypedArray, dtype: DType): TypedArray {
  (a as { fill(v: number | bigint): unknown }).fill(poison(dtype));
  return a;
}
