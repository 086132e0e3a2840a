// CPU emulation of the CUDA execution model, so CI runs the exact .cu text tscc emits without a GPU.
// A launch runs its blocks one after another. Without __syncthreads the threads of a block are
// plain calls in index order; with it they are ucontext fibers on one OS thread: each runs until it
// reaches a barrier (or finishes), and the block resumes them all once every one has arrived, so
// shared memory (a function-static array: one per kernel, reused by successive blocks as on a GPU)
// and barriers behave as on the hardware. Device memory is host memory.
#pragma once
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <functional>
#include <vector>

struct dim3 {
  unsigned x, y, z;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct uint3 { unsigned x, y, z; };

typedef _Float16 half;
// bfloat16: the upper 16 bits of a float, rounded to nearest even on conversion.
struct __nv_bfloat16 {
  unsigned short bits;
  __nv_bfloat16() : bits(0) {}
  __nv_bfloat16(float f) {
    unsigned u;
    memcpy(&u, &f, 4);
    bits = (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
  }
  operator float() const {
    unsigned u = (unsigned)bits << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
  }
};

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __syncthreads() tscc_emu::sync()

namespace tscc_emu {
inline uint3 thread_idx, block_idx;
inline dim3 block_dim, grid_dim;

struct Fiber {
  ucontext_t ctx;
  bool done;
  uint3 idx;
};
inline ucontext_t scheduler;
inline Fiber* current = nullptr;
inline const std::function<void()>* kernel_body = nullptr;
// Kernel locals are a few registers' worth and small arrays (register tiles, accumulators).
constexpr size_t STACK_BYTES = 64 * 1024;

// Fiber stacks, kept between launches (one block's worth) and never cleared: a launch costs no
// allocation once the largest block has been seen.
inline char* stack_pool(size_t threads) {
  static char* pool = nullptr;
  static size_t have = 0;
  if (threads > have) {
    free(pool);
    pool = (char*)malloc(threads * STACK_BYTES);
    if (!pool) {
      fprintf(stderr, "tscc emulation: cannot allocate fiber stacks for %zu threads\n", threads);
      abort();
    }
    have = threads;
  }
  return pool;
}

inline void sync() {
  if (!current) {
    fprintf(stderr, "tscc emulation: __syncthreads in a kernel launched without barriers\n");
    abort();
  }
  swapcontext(&current->ctx, &scheduler);
}

inline void fiber_entry() {
  (*kernel_body)();
  current->done = true;
  swapcontext(&current->ctx, &scheduler);
}

inline void run_block_fibers(std::vector<Fiber>& fibers, char* stacks) {
  for (size_t i = 0; i < fibers.size(); i++) {
    Fiber& f = fibers[i];
    f.done = false;
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = &stacks[i * STACK_BYTES];
    f.ctx.uc_stack.ss_size = STACK_BYTES;
    f.ctx.uc_link = nullptr;
    makecontext(&f.ctx, fiber_entry, 0);
  }
  // Round after round: every live thread runs up to its next barrier; then all pass it together.
  for (bool live = true; live;) {
    live = false;
    for (Fiber& f : fibers) {
      if (f.done) continue;
      current = &f;
      thread_idx = f.idx;
      swapcontext(&scheduler, &f.ctx);
      live = live || !f.done;
    }
  }
  current = nullptr;
}

inline void launch(dim3 grid, dim3 block, bool barrier, const std::function<void()>& body) {
  grid_dim = grid;
  block_dim = block;
  kernel_body = &body;
  size_t n = (size_t)block.x * block.y * block.z;
  std::vector<Fiber> fibers;
  char* stacks = nullptr;
  if (barrier) {
    fibers.resize(n);
    stacks = stack_pool(n);
    size_t k = 0;
    for (unsigned z = 0; z < block.z; z++)
      for (unsigned y = 0; y < block.y; y++)
        for (unsigned x = 0; x < block.x; x++) fibers[k++].idx = uint3{x, y, z};
  }
  for (unsigned bz = 0; bz < grid.z; bz++)
    for (unsigned by = 0; by < grid.y; by++)
      for (unsigned bx = 0; bx < grid.x; bx++) {
        block_idx = uint3{bx, by, bz};
        if (barrier) {
          run_block_fibers(fibers, stacks);
          continue;
        }
        for (unsigned z = 0; z < block.z; z++)
          for (unsigned y = 0; y < block.y; y++)
            for (unsigned x = 0; x < block.x; x++) {
              thread_idx = uint3{x, y, z};
              body();
            }
      }
}
}  // namespace tscc_emu

#define threadIdx tscc_emu::thread_idx
#define blockIdx tscc_emu::block_idx
#define blockDim tscc_emu::block_dim
#define gridDim tscc_emu::grid_dim
#define TSCC_LAUNCH(kernel, grid, block, barrier, ...) \
  tscc_emu::launch(grid, block, barrier, [&]() { kernel(__VA_ARGS__); })

// The runtime API subset the host plan uses; device memory is host memory.
typedef int cudaError_t;
enum { cudaSuccess = 0, cudaErrorMemoryAllocation = 2 };
enum cudaMemcpyKind { cudaMemcpyHostToHost, cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };
inline cudaError_t cudaMalloc(void** p, size_t n) {
  *p = aligned_alloc(256, (n + 255) / 256 * 256 + 256);
  return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
inline cudaError_t cudaFree(void* p) { free(p); return cudaSuccess; }
inline cudaError_t cudaMemcpy(void* d, const void* s, size_t n, cudaMemcpyKind) { memcpy(d, s, n); return cudaSuccess; }
inline cudaError_t cudaMemset(void* d, int v, size_t n) { memset(d, v, n); return cudaSuccess; }
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline const char* cudaGetErrorString(cudaError_t) { return "error in the CPU emulation"; }
