// CPU emulation of the CUDA execution model, so CI runs the exact .cu text tscc emits without a GPU.
// A launch runs its blocks one after another. Without synchronization the threads of a block are
// plain calls in index order; kernels that synchronize (launched with barrier = true) run each
// thread as a ucontext fiber on one OS thread. A fiber runs until it reaches a sync point: a block
// barrier (__syncthreads), or a warp collective (__shfl_*_sync, __syncwarp, the wmma fragment
// operations). Between sync points threads run one after another, never interleaved — the most
// adversarial order a GPU may pick — so a value exchanged without a sync is stale, not lucky; and
// between block barriers each warp runs alone (the last warp first), so a warp that reads shared
// memory other warps write before the barrier that orders them reads stale values too.
//   - a barrier releases once every live thread of the block has arrived;
//   - a warp collective resolves once every lane named in its mask has arrived at a collective of
//     the same kind with the same mask; the exchange then happens on the values each lane posted
//     (registers as they were at the call). A lane of the mask that has exited, waits at a barrier,
//     or calls a different collective, a mask without the caller, or a source lane outside the mask
//     traps (abort with a message): on a GPU those are undefined behaviour.
// Shared memory is a function-static array (one per kernel, reused by successive blocks as on a
// GPU). Device memory is host memory.
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
#define __align__(n) __attribute__((aligned(n)))
#define __syncthreads() tscc_emu::sync()

namespace tscc_emu {
inline uint3 thread_idx, block_idx;
inline dim3 block_dim, grid_dim;

[[noreturn]] inline void trap(const char* what) {
  fprintf(stderr, "tscc emulation: %s\n", what);
  abort();
}

enum State { RUNNABLE, AT_BARRIER, AT_WARP, DONE };
struct Fiber;

// What a lane posts at a warp collective: the resolver runs once for the whole group, with the
// posts of the participating lanes indexed by lane (null for lanes not in the mask).
struct Post {
  void (*resolve)(Post* const* lanes);
  unsigned mask;
  int arg, width;
  unsigned char value[8], result[8];
  const void* ptr;     // memory operand (wmma load/store), or a fragment
  void* frag[4];       // fragments (wmma: d, a, b, c)
  unsigned ldm;
  int layout;
};

struct Fiber {
  ucontext_t ctx;
  State state;
  uint3 idx;
  Post* post;
};
inline ucontext_t scheduler;
inline Fiber* current = nullptr;
inline const std::function<void()>* kernel_body = nullptr;
// Kernel locals are a few registers' worth and small arrays (register tiles, fragments).
constexpr size_t STACK_BYTES = 64 * 1024;

// Fiber stacks, kept between launches (one block's worth) and never cleared: a launch costs no
// allocation once the largest block has been seen.
inline char* stack_pool(size_t threads) {
  static char* pool = nullptr;
  static size_t have = 0;
  if (threads > have) {
    free(pool);
    pool = (char*)malloc(threads * STACK_BYTES);
    if (!pool) trap("cannot allocate fiber stacks");
    have = threads;
  }
  return pool;
}

inline void sync() {
  if (!current) trap("__syncthreads in a kernel launched without barriers");
  current->state = AT_BARRIER;
  swapcontext(&current->ctx, &scheduler);
}

/** The calling lane's index in its warp (threads numbered x fastest, then y, then z). */
inline unsigned lane_id() {
  return (thread_idx.x + block_dim.x * (thread_idx.y + block_dim.y * thread_idx.z)) % 32;
}

/** Posts `p` and waits until the warp collective resolves. */
inline void collective(Post* p) {
  if (!current) trap("a warp collective in a kernel launched without barriers");
  if (!(p->mask >> lane_id() & 1u)) trap("a warp collective whose mask leaves out the calling lane");
  current->post = p;
  current->state = AT_WARP;
  swapcontext(&current->ctx, &scheduler);
}

inline void fiber_entry() {
  (*kernel_body)();
  current->state = DONE;
  swapcontext(&current->ctx, &scheduler);
}

/** Resolves the complete warp collectives of the warp starting at thread `w`; traps on a mask no group can satisfy. */
inline void resolve_warp(std::vector<Fiber>& fibers, size_t w) {
  size_t n = fibers.size() - w < 32 ? fibers.size() - w : 32;
  for (size_t l = 0; l < n; l++) {
    Fiber& f = fibers[w + l];
    if (f.state != AT_WARP) continue;
    Post* lanes[32] = {};
    for (size_t m = 0; m < 32; m++) {
      if (!(f.post->mask >> m & 1u)) continue;
      if (m >= n) trap("a warp collective whose mask names a lane the block does not have");
      Fiber& g = fibers[w + m];
      if (g.state != AT_WARP) trap("a lane named in a warp collective's mask did not reach it (exited, at a barrier, or diverged)");
      if (g.post->resolve != f.post->resolve || g.post->mask != f.post->mask) trap("lanes of one mask reached different warp collectives");
      lanes[m] = g.post;
    }
    f.post->resolve(lanes);
    for (size_t m = 0; m < 32; m++)
      if (lanes[m]) fibers[w + m].state = RUNNABLE;
  }
}

/** Runs the warp starting at thread `w` alone, each lane to its next sync point, resolving its
 *  collectives, until every live lane waits at the block barrier. */
inline void run_warp(std::vector<Fiber>& fibers, size_t w) {
  size_t end = fibers.size() - w < 32 ? fibers.size() : w + 32;
  for (;;) {
    bool waiting = false;
    for (size_t i = w; i < end; i++) {
      Fiber& f = fibers[i];
      if (f.state != RUNNABLE) continue;
      current = &f;
      thread_idx = f.idx;
      swapcontext(&scheduler, &f.ctx);
    }
    for (size_t i = w; i < end; i++) waiting |= fibers[i].state == AT_WARP;
    if (!waiting) return;
    resolve_warp(fibers, w);
  }
}

inline void run_block_fibers(std::vector<Fiber>& fibers, char* stacks) {
  for (size_t i = 0; i < fibers.size(); i++) {
    Fiber& f = fibers[i];
    f.state = RUNNABLE;
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = &stacks[i * STACK_BYTES];
    f.ctx.uc_stack.ss_size = STACK_BYTES;
    f.ctx.uc_link = nullptr;
    makecontext(&f.ctx, fiber_entry, 0);
  }
  // Between two block barriers each warp runs alone, the last warp first: a schedule a GPU may
  // pick, and the one that shows a warp reading shared memory that other warps have not written
  // yet (a missing __syncthreads) as a wrong answer. Then every live thread waits at the barrier,
  // and all are released.
  for (;;) {
    for (size_t w = (fibers.size() + 31) / 32 * 32; w > 0;) {
      w -= 32;
      run_warp(fibers, w);
    }
    size_t live = 0;
    for (Fiber& f : fibers) {
      live += f.state != DONE;
      if (f.state == AT_BARRIER) f.state = RUNNABLE;
    }
    if (live == 0) break;
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

#include "tscc_emu_warp.h"
