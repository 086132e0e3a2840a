// The CUDA target as data: the architectures it emits for, their limits, and how each IR element type
// is spelled in CUDA C++ (and stored in the artifact's weight file).
import type { DType } from '../../src/ir/graph/dtype.ts';

export interface CudaArch {
  /** nvcc's -arch value. */
  readonly sm: string;
  readonly maxThreadsPerBlock: number;
  /** Static shared memory per block without opting in to more. */
  readonly sharedBytes: number;
  /** Tensor-core MMA for f16/bf16 (wmma 16×16×16). */
  readonly tensorCores: boolean;
  /** Streaming multiprocessors of the reference part (A100, H100 SXM): how many blocks fill the GPU. */
  readonly sms: number;
}

export const ARCHS: Readonly<Record<string, CudaArch>> = {
  sm_80: { sm: 'sm_80', maxThreadsPerBlock: 1024, sharedBytes: 48 * 1024, tensorCores: true, sms: 108 },
  sm_90: { sm: 'sm_90', maxThreadsPerBlock: 1024, sharedBytes: 48 * 1024, tensorCores: true, sms: 132 },
};
export const DEFAULT_ARCH = 'sm_90';

/** Element types with a CUDA spelling; narrow floats use cuda_fp16.h / cuda_bf16.h. */
export const C_TYPES: Partial<Record<DType, string>> = {
  f32: 'float', f64: 'double', f16: 'half', bf16: '__nv_bfloat16',
  i64: 'long long', i32: 'int', i16: 'short', i8: 'signed char',
  u64: 'unsigned long long', u32: 'unsigned int', u16: 'unsigned short', u8: 'unsigned char', bool: 'bool',
};

export function cType(d: DType): string {
  const t = C_TYPES[d];
  if (!t) throw new Error(`CUDA: no C type for ${d}`);
  return t;
}

/** Threads per block of the default element-wise schedule (a multiple of the warp size). */
export const BLOCK_THREADS = 256;
