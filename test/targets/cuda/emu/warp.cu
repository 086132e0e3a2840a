// Kernels that use warp-level CUDA correctly and incorrectly, for emu.test.ts: the CPU emulation
// must give the right answer for the correct ones, and a wrong answer or a trap for the others.
//   warp CASE   prints the case's results on one line
#include <string>
#include "tscc_cuda.h"
using namespace nvcuda;

__global__ void sum_xor(const float* x, float* out, unsigned mask) {
  float v = x[blockIdx.x * 32 + threadIdx.x];
  for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(mask, v, o);
  out[blockIdx.x * 32 + threadIdx.x] = v;
}

__global__ void sum_down_divergent(const float* x, float* out) {
  float v = x[threadIdx.x];
  if (threadIdx.x < 16) v += __shfl_down_sync(0xffffffffu, v, 8);  // lanes 16..31 never arrive
  out[threadIdx.x] = v;
}

// Lane i publishes a value in shared memory and reads lane (i+1)'s; with_sync fences the two.
__global__ void neighbours(const float* x, float* out, int with_sync) {
  __shared__ float s[32];
  s[threadIdx.x] = x[threadIdx.x];
  if (with_sync) __syncwarp();
  out[threadIdx.x] = s[(threadIdx.x + 1) % 32];
}

// Across warps: with_sync 1 fences with __syncthreads; 2 with __syncwarp only, which orders lanes of
// one warp but not the two warps (a warp may run to its read before the other has written).
__global__ void neighbours_block(const float* x, float* out, int with_sync) {
  __shared__ float s[64];
  s[threadIdx.x] = x[threadIdx.x];
  if (with_sync == 1) __syncthreads();
  if (with_sync == 2) __syncwarp();
  out[threadIdx.x] = s[(threadIdx.x + 32) % 64];
}

__global__ void mma16(const half* A, const half* B, float* C, int ldm, int offset) {
  __shared__ __align__(32) half As[16 * 24 + 16];
  __shared__ __align__(32) half Bs[16 * 24 + 16];
  for (int i = threadIdx.x; i < 256; i += 32) {
    As[offset + (i / 16) * ldm + i % 16] = A[i];
    Bs[offset + (i / 16) * ldm + i % 16] = B[i];
  }
  __syncwarp();
  wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> a;
  wmma::fragment<wmma::matrix_b, 16, 16, 16, half, wmma::row_major> b;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> c;
  wmma::fill_fragment(c, 0.0f);
  wmma::load_matrix_sync(a, As + offset, ldm);
  wmma::load_matrix_sync(b, Bs + offset, ldm);
  wmma::mma_sync(c, a, b, c);
  wmma::store_matrix_sync(C, c, 16, wmma::mem_row_major);
}

// Reads the accumulator's elements by position, as if lane L held row L/2: wrong on any layout but one.
__global__ void mma_by_position(const half* A, const half* B, float* C) {
  wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> a;
  wmma::fragment<wmma::matrix_b, 16, 16, 16, half, wmma::row_major> b;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> c;
  wmma::fill_fragment(c, 0.0f);
  wmma::load_matrix_sync(a, A, 16);
  wmma::load_matrix_sync(b, B, 16);
  wmma::mma_sync(c, a, b, c);
  for (int e = 0; e < c.num_elements; e++) C[threadIdx.x * c.num_elements + e] = c.x[e];
}

static int fail(const char* what) { fprintf(stderr, "%s\n", what); return 3; }

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  std::string which = argv[1];
  float hx[64], ho[256];
  for (int i = 0; i < 64; i++) hx[i] = (float)((i * 37) % 11) - 5.0f;
  float *x, *o;
  half *A, *B;
  if (cudaMalloc((void**)&x, sizeof hx) || cudaMalloc((void**)&o, sizeof ho) || cudaMalloc((void**)&A, 512) || cudaMalloc((void**)&B, 512)) return fail("malloc");
  cudaMemcpy(x, hx, sizeof hx, cudaMemcpyHostToDevice);
  half ha[256], hb[256];
  for (int i = 0; i < 256; i++) { ha[i] = (half)(float)((i * 7) % 5 - 2); hb[i] = (half)(float)((i * 3) % 7 - 3); }
  cudaMemcpy(A, ha, 512, cudaMemcpyHostToDevice);
  cudaMemcpy(B, hb, 512, cudaMemcpyHostToDevice);
  int n = 32;
  if (which == "xor") { TSCC_LAUNCH(sum_xor, dim3(2), dim3(32), true, x, o, 0xffffffffu); n = 64; }
  else if (which == "xor-half-mask") TSCC_LAUNCH(sum_xor, dim3(1), dim3(32), true, x, o, 0x0000ffffu);
  else if (which == "divergent") TSCC_LAUNCH(sum_down_divergent, dim3(1), dim3(32), true, x, o);
  else if (which == "syncwarp") TSCC_LAUNCH(neighbours, dim3(1), dim3(32), true, x, o, 1);
  else if (which == "no-syncwarp") TSCC_LAUNCH(neighbours, dim3(1), dim3(32), true, x, o, 0);
  else if (which == "syncthreads") { TSCC_LAUNCH(neighbours_block, dim3(1), dim3(64), true, x, o, 1); n = 64; }
  else if (which == "no-syncthreads") { TSCC_LAUNCH(neighbours_block, dim3(1), dim3(64), true, x, o, 0); n = 64; }
  else if (which == "syncwarp-across-warps") { TSCC_LAUNCH(neighbours_block, dim3(1), dim3(64), true, x, o, 2); n = 64; }
  else if (which == "mma") { TSCC_LAUNCH(mma16, dim3(1), dim3(32), true, A, B, o, 24, 0); n = 256; }
  else if (which == "mma-bad-ldm") { TSCC_LAUNCH(mma16, dim3(1), dim3(32), true, A, B, o, 20, 0); n = 256; }
  else if (which == "mma-misaligned") { TSCC_LAUNCH(mma16, dim3(1), dim3(32), true, A, B, o, 24, 8); n = 256; }
  else if (which == "mma-by-position") { TSCC_LAUNCH(mma_by_position, dim3(1), dim3(32), true, A, B, o); n = 256; }
  else if (which == "mma-reference") {
    for (int i = 0; i < 16; i++)
      for (int j = 0; j < 16; j++) {
        float s = 0;
        for (int k = 0; k < 16; k++) s += (float)ha[i * 16 + k] * (float)hb[k * 16 + j];
        ho[i * 16 + j] = s;
      }
    for (int i = 0; i < 256; i++) printf("%g ", ho[i]);
    printf("\n");
    return 0;
  } else if (which == "dp4a") {
    const int a[] = {0x01020304, (int)0xff80017f, 0x7f7f7f7f, (int)0x80808080};
    const int b[] = {0x05060708, 0x7f01ff80, 0x7f7f7f7f, (int)0x80808080};
    const int c[] = {10, -3, 2147483647, 0};
    for (int i = 0; i < 4; i++) printf("%d ", __dp4a(a[i], b[i], c[i]));
    printf("\n");
    return 0;
  } else if (which == "load16" || which == "load16-misaligned") {
    // tscc_load16/tscc_store16 (the wmma template's vector tile fills): 16 bytes, aligned or a trap
    __align__(16) unsigned short src[16], dst[8] = {};
    for (int i = 0; i < 16; i++) src[i] = (unsigned short)(i + 1);
    tscc_store16(dst, tscc_load16(src + (which == "load16" ? 8 : 4)));
    for (int i = 0; i < 8; i++) printf("%d ", dst[i]);
    printf("\n");
    return 0;
  } else return fail("unknown case");
  cudaMemcpy(ho, o, n * sizeof(float), cudaMemcpyDeviceToHost);
  for (int i = 0; i < n; i++) printf("%g ", ho[i]);
  printf("\n");
  return 0;
}
