// Element types of the graph IR, their ONNX codes and their storage in JavaScript.
// Narrow floats (f16, bf16, f8) are stored as raw bits; integer types wider than 53 bits as bigint.

export type DType =
  | 'f32' | 'f64' | 'f16' | 'bf16' | 'f8e4m3' | 'f8e5m2'
  | 'i64' | 'i32' | 'i16' | 'i8' | 'u64' | 'u32' | 'u16' | 'u8' | 'i4' | 'u4' | 'bool';

export type TypedArray =
  | Float32Array | Float64Array | Int32Array | Int16Array | Int8Array
  | Uint32Array | Uint16Array | Uint8Array | BigInt64Array | BigUint64Array;

interface DTypeInfo {
  onnx: number;
  bytes: number; // storage bytes per element in our arrays (i4/u4 unpacked to one byte)
  array: { new (n: number): TypedArray; new (b: ArrayBufferLike, off: number, n: number): TypedArray; BYTES_PER_ELEMENT: number };
  float: boolean;
  bigint: boolean;
}

const INFO: Record<DType, DTypeInfo> = {
  f32: { onnx: 1, bytes: 4, array: Float32Array, float: true, bigint: false },
  u8: { onnx: 2, bytes: 1, array: Uint8Array, float: false, bigint: false },
  i8: { onnx: 3, bytes: 1, array: Int8Array, float: false, bigint: false },
  u16: { onnx: 4, bytes: 2, array: Uint16Array, float: false, bigint: false },
  i16: { onnx: 5, bytes: 2, array: Int16Array, float: false, bigint: false },
  i32: { onnx: 6, bytes: 4, array: Int32Array, float: false, bigint: false },
  i64: { onnx: 7, bytes: 8, array: BigInt64Array, float: false, bigint: true },
  bool: { onnx: 9, bytes: 1, array: Uint8Array, float: false, bigint: false },
  f16: { onnx: 10, bytes: 2, array: Uint16Array, float: true, bigint: false },
  f64: { onnx: 11, bytes: 8, array: Float64Array, float: true, bigint: false },
  u32: { onnx: 12, bytes: 4, array: Uint32Array, float: false, bigint: false },
  u64: { onnx: 13, bytes: 8, array: BigUint64Array, float: false, bigint: true },
  bf16: { onnx: 16, bytes: 2, array: Uint16Array, float: true, bigint: false },
  f8e4m3: { onnx: 17, bytes: 1, array: Uint8Array, float: true, bigint: false },
  f8e5m2: { onnx: 19, bytes: 1, array: Uint8Array, float: true, bigint: false },
  u4: { onnx: 21, bytes: 1, array: Uint8Array, float: false, bigint: false },
  i4: { onnx: 22, bytes: 1, array: Int8Array, float: false, bigint: false },
};

const BY_ONNX = new Map<number, DType>(Object.entries(INFO).map(([k, v]) => [v.onnx, k as DType]));

export const ALL_DTYPES = Object.keys(INFO) as DType[];
export function dtypeInfo(d: DType): DTypeInfo { return INFO[d]; }
export function dtypeFromOnnx(code: number): DType | undefined { return BY_ONNX.get(code); }
export function onnxCode(d: DType): number { return INFO[d].onnx; }
export function isFloat(d: DType): boolean { return INFO[d].float; }
export function isBigInt(d: DType): boolean { return INFO[d].bigint; }
/** Floats whose JS storage is raw bits and must be converted to compute. */
export function isPackedFloat(d: DType): boolean { return d === 'f16' || d === 'bf16' || d === 'f8e4m3' || d === 'f8e5m2'; }
export function allocArray(d: DType, n: number): TypedArray { return new INFO[d].array(n); }
