// Warp-level CUDA on the CPU emulation (included by tscc_emu.h): shuffles, __syncwarp, the wmma
// fragment API (nvcuda::wmma, m16n16k16), and the scalar intrinsics the kernels use (__ldg,
// float4, __dp4a). Every warp operation is a collective of tscc_emu.h: lanes post their registers,
// the exchange happens once every lane of the mask has arrived, and a missing lane, a lane outside
// the mask, or lanes disagreeing on the operation trap.
#pragma once
#include <stdint.h>
#include <type_traits>

namespace tscc_emu {
enum Shfl { SHFL_IDX, SHFL_UP, SHFL_DOWN, SHFL_XOR };

/** The lane a shuffle reads (CUDA's rule: outside the lane's `width`-segment reads its own value). */
inline unsigned shfl_source(int kind, unsigned lane, int arg, int width) {
  unsigned base = lane / width * width;
  switch (kind) {
    case SHFL_IDX: return base + (unsigned)arg % width;
    case SHFL_UP: return lane - base >= (unsigned)arg ? lane - arg : lane;
    case SHFL_DOWN: return lane - base + arg < (unsigned)width ? lane + arg : lane;
    default: { unsigned s = lane ^ (unsigned)arg; return s / width == lane / width ? s : lane; }
  }
}

template <int KIND> void resolve_shfl(Post* const* lanes) {
  for (unsigned l = 0; l < 32; l++) {
    if (!lanes[l]) continue;
    if (lanes[l]->width <= 0 || lanes[l]->width > 32 || (lanes[l]->width & (lanes[l]->width - 1)))
      trap("a shuffle width that is not a power of two ≤ 32");
    unsigned s = shfl_source(KIND, l, lanes[l]->arg, lanes[l]->width);
    if (!lanes[s]) trap("a shuffle reads a lane outside its mask");
    memcpy(lanes[l]->result, lanes[s]->value, 8);
  }
}

template <int KIND, typename T> T shfl(unsigned mask, T v, int arg, int width) {
  static_assert(sizeof(T) <= 8, "shuffle of a value wider than 8 bytes");
  Post p{};
  p.resolve = resolve_shfl<KIND>;
  p.mask = mask;
  p.arg = arg;
  p.width = width;
  memcpy(p.value, &v, sizeof(T));
  collective(&p);
  T r;
  memcpy(&r, p.result, sizeof(T));
  return r;
}

inline void resolve_syncwarp(Post* const*) {}
}  // namespace tscc_emu

template <typename T> T __shfl_sync(unsigned m, T v, int src, int w = 32) { return tscc_emu::shfl<tscc_emu::SHFL_IDX>(m, v, src, w); }
template <typename T> T __shfl_up_sync(unsigned m, T v, unsigned d, int w = 32) { return tscc_emu::shfl<tscc_emu::SHFL_UP>(m, v, (int)d, w); }
template <typename T> T __shfl_down_sync(unsigned m, T v, unsigned d, int w = 32) { return tscc_emu::shfl<tscc_emu::SHFL_DOWN>(m, v, (int)d, w); }
template <typename T> T __shfl_xor_sync(unsigned m, T v, int x, int w = 32) { return tscc_emu::shfl<tscc_emu::SHFL_XOR>(m, v, x, w); }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  tscc_emu::Post p{};
  p.resolve = tscc_emu::resolve_syncwarp;
  p.mask = mask;
  tscc_emu::collective(&p);
}
static const int warpSize = 32;

struct alignas(16) float4 { float x, y, z, w; };
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
struct alignas(16) uint4 { unsigned x, y, z, w; };
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return uint4{x, y, z, w}; }
template <typename T> T __ldg(const T* p) { return *p; }

/** Four signed bytes of a and b multiplied pairwise and summed into c (32-bit wrap-around). */
inline int __dp4a(int a, int b, int c) {
  uint32_t s = (uint32_t)c;
  for (int i = 0; i < 4; i++) s += (uint32_t)((int)(int8_t)(a >> (8 * i)) * (int)(int8_t)(b >> (8 * i)));
  return (int)s;
}

// nvcuda::wmma, 16×16×16 only. CUDA leaves the mapping of matrix elements to lanes unspecified;
// this emulation uses the one PTX documents for the mma.m16n8k16 accumulator, on both 8-column
// halves: element e of lane L is row L/4 + 8·(e/2 % 2), column 8·(e/4) + 2·(L % 4) + e % 2. Code
// that reads fragment elements by position is therefore wrong here as on some GPU.
namespace nvcuda {
namespace wmma {
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };

template <typename Use, int M, int N, int K, typename T, typename Layout = void> struct fragment {
  static_assert(M == 16 && N == 16 && K == 16, "the emulation implements wmma m16n16k16 only");
  static const int num_elements = 8;
  T x[8];
};

namespace detail {
inline int row_of(unsigned lane, int e) { return (int)(lane / 4) + 8 * (e / 2 % 2); }
inline int col_of(unsigned lane, int e) { return 8 * (e / 4) + 2 * (int)(lane % 4) + e % 2; }

template <typename T> void check(tscc_emu::Post* const* lanes) {
  for (unsigned l = 0; l < 32; l++) {
    if (!lanes[l]) tscc_emu::trap("a wmma operation needs all 32 lanes of the warp (full mask)");
    if (lanes[l]->ptr != lanes[0]->ptr || lanes[l]->ldm != lanes[0]->ldm || lanes[l]->layout != lanes[0]->layout)
      tscc_emu::trap("lanes of a warp passed different pointers, ldm or layouts to one wmma operation");
  }
  if (lanes[0]->frag[1] == nullptr) {  // a memory operation: CUDA's alignment rules
    if ((uintptr_t)lanes[0]->ptr % 32) tscc_emu::trap("wmma load/store pointer is not 256-bit aligned");
    if (lanes[0]->ldm % (16 / sizeof(T))) tscc_emu::trap("wmma ldm is not a multiple of 16 bytes");
  }
}

template <typename T> void resolve_load(tscc_emu::Post* const* lanes) {
  check<T>(lanes);
  const T* p = (const T*)lanes[0]->ptr;
  unsigned ldm = lanes[0]->ldm;
  for (unsigned l = 0; l < 32; l++)
    for (int e = 0; e < 8; e++) {
      int r = row_of(l, e), c = col_of(l, e);
      ((T*)lanes[l]->frag[0])[e] = lanes[0]->layout == mem_row_major ? p[r * ldm + c] : p[c * ldm + r];
    }
}

template <typename T> void resolve_store(tscc_emu::Post* const* lanes) {
  check<T>(lanes);
  T* p = (T*)lanes[0]->ptr;
  unsigned ldm = lanes[0]->ldm;
  for (unsigned l = 0; l < 32; l++)
    for (int e = 0; e < 8; e++) {
      int r = row_of(l, e), c = col_of(l, e);
      (lanes[0]->layout == mem_row_major ? p[r * ldm + c] : p[c * ldm + r]) = ((const T*)lanes[l]->frag[0])[e];
    }
}

/** D = A·B + C over the whole warp: products exact in f32, summed in f32 in k order. */
template <typename TA, typename TC> void resolve_mma(tscc_emu::Post* const* lanes) {
  float A[16][16], B[16][16], C[16][16];
  for (unsigned l = 0; l < 32; l++) {
    if (!lanes[l]) tscc_emu::trap("mma_sync needs all 32 lanes of the warp (full mask)");
    for (int e = 0; e < 8; e++) {
      int r = row_of(l, e), c = col_of(l, e);
      A[r][c] = (float)((const TA*)lanes[l]->frag[1])[e];
      B[r][c] = (float)((const TA*)lanes[l]->frag[2])[e];
      C[r][c] = (float)((const TC*)lanes[l]->frag[3])[e];
    }
  }
  for (unsigned l = 0; l < 32; l++)
    for (int e = 0; e < 8; e++) {
      int r = row_of(l, e), c = col_of(l, e);
      float s = C[r][c];
      for (int k = 0; k < 16; k++) s += A[r][k] * B[k][c];
      ((TC*)lanes[l]->frag[0])[e] = (TC)s;
    }
}

inline tscc_emu::Post post(void (*resolve)(tscc_emu::Post* const*), const void* ptr, unsigned ldm, int layout) {
  tscc_emu::Post p{};
  p.resolve = resolve;
  p.mask = 0xffffffffu;
  p.ptr = ptr;
  p.ldm = ldm;
  p.layout = layout;
  return p;
}

template <typename L> constexpr int layout_of() { return std::is_same<L, col_major>::value ? mem_col_major : mem_row_major; }
}  // namespace detail

template <typename Use, typename T, typename L> void load_matrix_sync(fragment<Use, 16, 16, 16, T, L>& f, const T* p, unsigned ldm) {
  static_assert(!std::is_same<Use, accumulator>::value, "an accumulator load names its layout");
  tscc_emu::Post q = detail::post(detail::resolve_load<T>, p, ldm, detail::layout_of<L>());
  q.frag[0] = f.x;
  tscc_emu::collective(&q);
}
template <typename T> void load_matrix_sync(fragment<accumulator, 16, 16, 16, T>& f, const T* p, unsigned ldm, layout_t layout) {
  tscc_emu::Post q = detail::post(detail::resolve_load<T>, p, ldm, layout);
  q.frag[0] = f.x;
  tscc_emu::collective(&q);
}
template <typename T> void store_matrix_sync(T* p, const fragment<accumulator, 16, 16, 16, T>& f, unsigned ldm, layout_t layout) {
  tscc_emu::Post q = detail::post(detail::resolve_store<T>, p, ldm, layout);
  q.frag[0] = (void*)f.x;
  tscc_emu::collective(&q);
}
template <typename Use, typename T, typename L, typename V> void fill_fragment(fragment<Use, 16, 16, 16, T, L>& f, const V& v) {
  for (int e = 0; e < 8; e++) f.x[e] = (T)v;
}
template <typename TA, typename LA, typename LB, typename TC>
void mma_sync(fragment<accumulator, 16, 16, 16, TC>& d, const fragment<matrix_a, 16, 16, 16, TA, LA>& a,
              const fragment<matrix_b, 16, 16, 16, TA, LB>& b, const fragment<accumulator, 16, 16, 16, TC>& c) {
  tscc_emu::Post q = detail::post(detail::resolve_mma<TA, TC>, nullptr, 0, 0);
  q.frag[0] = d.x;
  q.frag[1] = (void*)a.x;
  q.frag[2] = (void*)b.x;
  q.frag[3] = (void*)c.x;
  tscc_emu::collective(&q);
}
}  // namespace wmma
}  // namespace nvcuda
