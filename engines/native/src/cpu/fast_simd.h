// What the instruction-set files of the fast kernels (fast_avx512.cpp, fast_avx2.cpp) export: plain structs and
// pointers only, so that those files include no library header and compile no inline library code for AVX-512.
#pragma once
#include <cstdint>

namespace gem {
namespace cpu {
// ---- what the ISA-specific files export (plain pointers only: no inline library code is compiled for AVX-512) ----
namespace simd {

// y = x Wᵀ + bias (x: [T][in], W: [out][in] row-major, y: [T][out]). W holds fp32 (wtype 0), BF16 (1) or F16 (2)
// values (kernels.h WeightType), widened exactly to fp32 as they are loaded or packed.
struct GemmArgs {
  const float* x;
  int T, in;
  const void* W;
  int wtype;
  int out;
  const float* bias;
  float* y;
};
// Calls with fewer rows than kGemmPackRows (decode steps, short chunks) run on W as it is stored, one pass over it
// (gemm_direct: rows [t0, t1) × outputs [o0, o1), scratch of kGemmDirectFloats); the others on packed panels
// (gemm_packed: one block of kGemmMC rows × kGemmNC outputs a call, scratch of gemm_packed_floats(in)).
constexpr int kGemmPackRows = 16, kGemmMC = 64, kGemmNC = 48, kGemmDirectNB = 48;
constexpr int kGemmDirectFloats = 32 * 16;  // the largest register tile's lane sums
// The k blocks of the packed GEMM: `in` in steps of 16, cut into the fewest blocks of at most kGemmKSteps steps
// (1024 values: a 6-output panel of W, 24 KiB, stays in L1), of equal size but the last.
constexpr int kGemmKSteps = 64;
inline int gemm_k_steps(int in) { return (in + 15) / 16; }
inline int gemm_block_steps(int in) {
  const int ks = gemm_k_steps(in), nkb = (ks + kGemmKSteps - 1) / kGemmKSteps;
  return (ks + nkb - 1) / nkb;
}
// Scratch floats of one gemm_packed caller: the packed x block, the packed W block and (for more than one k block)
// the parked accumulators.
inline int64_t gemm_packed_floats(int in) {
  const int64_t bs = gemm_block_steps(in);
  return (kGemmMC + kGemmNC) * bs * 16 + (bs < gemm_k_steps(in) ? static_cast<int64_t>(kGemmMC) * kGemmNC * 16 : 0);
}

// Flash attention of one KV group's query block: queries [t0, t1) × the group's query heads, against keys packed
// transposed per key block (kt: [blocks][d][kFlashBK], zero beyond len) and the value rows of that cache head.
constexpr int kFlashBK = 64;
struct FlashArgs {
  const float* q;
  int T, H, d, group, len;
  const float* kt;  // this group's packed keys
  const float* v;   // this group's value rows [len][d]
  float* out;
  float scale;
  float* row_max = nullptr;  // optional [T][H]: each row's max scaled score and Σ exp(score - max)
  float* row_sum = nullptr;
};
// The ProbSum statistics of one cache head's key blocks (probsum_block): per [H][K] doubles, accumulated into.
struct ProbSumArgs {
  const float* q;
  int T, H, d, group, len;
  const float* k;  // this cache head's key rows, row j at k + j * kstride
  int64_t kstride;
  const float* row_max;
  const float* row_sum;
  int q0, q1, K;
  float scale;
  double* per;
};
inline int64_t probsum_scratch_floats(int group, int d) { return static_cast<int64_t>(kFlashBK) * (d + group + 1); }
// Scratch floats for rows = (t1 - t0) * group.
inline int64_t flash_scratch_floats(int rows, int d) { return static_cast<int64_t>(rows) * (kFlashBK + d + 2); }

void gemm_direct_avx512(const GemmArgs& a, int t0, int t1, int o0, int o1, float* scratch);
void gemm_direct_avx2(const GemmArgs& a, int t0, int t1, int o0, int o1, float* scratch);
// pack_w: whether scratch's packed W block is not already that of outputs [o0, o1) (it is kept between the calls of
// one thread, as long as `in` fits one k block).
void gemm_packed_avx512(const GemmArgs& a, int t0, int t1, int o0, int o1, bool pack_w, float* scratch);
void gemm_packed_avx2(const GemmArgs& a, int t0, int t1, int o0, int o1, bool pack_w, float* scratch);
void flash_avx512(const FlashArgs& a, int g, int t0, int t1, float* scratch);
void flash_avx2(const FlashArgs& a, int g, int t0, int t1, float* scratch);
void probsum_avx512(const ProbSumArgs& a, int g, int j0, float* scratch);
void probsum_avx2(const ProbSumArgs& a, int g, int j0, float* scratch);
// 12 independent 16-lane FMA chains of `iters` steps (384 flops a step): the microbenchmark's peak.
float peak_avx512(int64_t iters);
float peak_avx2(int64_t iters);

}  // namespace simd
}  // namespace cpu
}  // namespace gem
