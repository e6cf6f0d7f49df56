// What the instruction-set files of the fast kernels (fast_avx512.cpp, fast_avx2.cpp) export: plain structs and
// pointers only, so that those files include no library header and compile no inline library code for AVX-512.
#pragma once
#include <cstdint>

namespace gem {
namespace cpu {
// ---- what the ISA-specific files export (plain pointers only: no inline library code is compiled for AVX-512) ----
namespace simd {

// One GEMM work item: rows [t0, t1) × outputs [o0, o1) of y = x Wᵀ + bias; acc: scratch of kGemmAccFloats floats.
struct GemmArgs {
  const float* x;
  int T, in;
  const float* W;
  int out;
  const float* bias;
  float* y;
};
constexpr int kGemmMB = 32, kGemmNB = 48, kGemmKC = 256;
constexpr int64_t kGemmAccFloats = static_cast<int64_t>(kGemmMB) * kGemmNB * 16;

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

void gemm_avx512(const GemmArgs& a, int t0, int t1, int o0, int o1, float* acc);
void gemm_avx2(const GemmArgs& a, int t0, int t1, int o0, int o1, float* acc);
void flash_avx512(const FlashArgs& a, int g, int t0, int t1, float* scratch);
void flash_avx2(const FlashArgs& a, int g, int t0, int t1, float* scratch);
// 12 independent 16-lane FMA chains of `iters` steps (384 flops a step): the microbenchmark's peak.
void probsum_avx512(const ProbSumArgs& a, int g, int j0, float* scratch);
void probsum_avx2(const ProbSumArgs& a, int g, int j0, float* scratch);
float peak_avx512(int64_t iters);
float peak_avx2(int64_t iters);

}  // namespace simd
}  // namespace cpu
}  // namespace gem
