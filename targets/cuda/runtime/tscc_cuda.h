// tscc CUDA runtime header: the helpers generated kernels call. Under nvcc it includes the CUDA
// runtime; under a plain C++ compiler it includes tscc_emu.h, which runs the same kernels on the CPU
// (blocks one after another, the threads of a block as cooperating fibers).
#pragma once
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __CUDACC__
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <mma.h>
#define TSCC_HD __host__ __device__ __forceinline__
#define TSCC_LAUNCH(kernel, grid, block, barrier, ...) kernel<<<grid, block>>>(__VA_ARGS__)
#define TSCC_UNROLL _Pragma("unroll")
#else
#include "tscc_emu.h"
#define TSCC_HD inline
#define TSCC_UNROLL _Pragma("GCC unroll 16")
#endif

// 16 bytes (eight f16/bf16) at a 16-byte aligned address: one vector load through the read-only
// cache, one vector store (the tensor-core template's operand tiles). The emulation checks the alignment.
#ifdef __CUDACC__
__device__ __forceinline__ uint4 tscc_load16(const void* p) { return __ldg((const uint4*)p); }
__device__ __forceinline__ void tscc_store16(void* p, uint4 v) { *(uint4*)p = v; }
#else
inline uint4 tscc_load16(const void* p) {
  if ((uintptr_t)p % 16) tscc_emu::trap("a 16-byte vector load from an address that is not 16-byte aligned");
  uint4 v;
  memcpy(&v, p, 16);
  return v;
}
inline void tscc_store16(void* p, uint4 v) {
  if ((uintptr_t)p % 16) tscc_emu::trap("a 16-byte vector store to an address that is not 16-byte aligned");
  memcpy(p, &v, 16);
}
#endif

#define TSCC_CHECK(call)                                                                     \
  do {                                                                                       \
    cudaError_t tscc_err_ = (call);                                                          \
    if (tscc_err_ != cudaSuccess) {                                                          \
      fprintf(stderr, "tscc: %s failed: %s\n", #call, cudaGetErrorString(tscc_err_));        \
      return (int)tscc_err_;                                                                 \
    }                                                                                        \
  } while (0)

// Integer division and remainder rounding toward minus infinity, as the tensor IR defines them
// (x / 0 is 0).
template <typename T> TSCC_HD T tscc_floordiv(T a, T b) {
  if (b == 0) return 0;
  T q = a / b;
  return (q * b != a && ((a < 0) != (b < 0))) ? q - 1 : q;
}
template <typename T> TSCC_HD T tscc_floormod(T a, T b) {
  if (b == 0) return 0;
  T r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
template <typename T> TSCC_HD T tscc_min(T a, T b) { return a < b ? a : b; }
template <typename T> TSCC_HD T tscc_max(T a, T b) { return a > b ? a : b; }
template <typename T> TSCC_HD T tscc_iabs(T a) { return a < 0 ? -a : a; }
template <typename T> TSCC_HD T tscc_ipow(T a, T b) {
  T r = 1;
  for (T i = 0; i < b; ++i) r *= a;
  return r;
}
TSCC_HD float tscc_fmod_floor(float a, float b) { return a - floorf(a / b) * b; }
TSCC_HD float tscc_rsqrt(float x) { return 1.0f / sqrtf(x); }
TSCC_HD double tscc_rsqrt(double x) { return 1.0 / sqrt(x); }
TSCC_HD float tscc_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
TSCC_HD double tscc_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
TSCC_HD float tscc_sign(float x) { return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : x); }
TSCC_HD double tscc_sign(double x) { return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : x); }
template <typename T> TSCC_HD T tscc_sign(T x) { return x > 0 ? 1 : (x < 0 ? -1 : 0); }
TSCC_HD bool tscc_isnan(float x) { return x != x; }
TSCC_HD bool tscc_isnan(double x) { return x != x; }
TSCC_HD bool tscc_isinf(float x) { return x == INFINITY || x == -INFINITY; }
TSCC_HD bool tscc_isinf(double x) { return x == INFINITY || x == -INFINITY; }
