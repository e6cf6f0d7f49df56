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
  bool panels;  // W in Tensor::panels16's layout (read in place), else row-major (transposed per block)
  int out;
  const float* bias;
  float* y;
};
// gemm_block: rows [t0, t1) × outputs [o0, o1) of y, with k in the fewest equal blocks of at most max_kc values. Calls
// with fewer rows than kGemmPackRows (decode steps, short chunks) run in blocks of kGemmDirectNB outputs × all rows
// with k blocks of kGemmDirectKC (the transposed W chunk stays in L1, W is read once); the others in blocks of
// kGemmMC rows × kGemmNC outputs with k blocks of kGemmKC (the packed W block stays in L2).
constexpr int kGemmPackRows = 16, kGemmMC = 96, kGemmNC = 128, kGemmKC = 512;
constexpr int kGemmDirectNB = 64, kGemmDirectKC = 64;
inline int gemm_kc(int in, int max_kc) {
  const int nkb = (in + max_kc - 1) / max_kc;
  return ((in + nkb - 1) / nkb + 15) / 16 * 16;
}
// Scratch floats of one gemm_block caller (64-byte aligned): a row-major W's transposed block (outputs rounded up to
// whole tiles of at most 64; none for panels, read in place) and, for more than one k block, the parked sums of every
// row tile (rows rounded up to tiles of at most 8).
inline int64_t gemm_block_floats(int rows, int outs, int in, int max_kc, bool panels) {
  const int64_t kc = gemm_kc(in, max_kc), o = (outs + 63) / 64 * 64;
  return (panels ? 0 : o * kc) + (kc < in ? (rows + 8) * o : 0);
}

// Flash attention of one KV group's query block: queries [t0, t1) × the group's query heads, against keys packed
// transposed per key block (kt: [blocks][d][kFlashBK], zero beyond len) and the value rows of that cache head.
constexpr int kFlashBK = 64;
// The ProbSum column sums taken from the attention pass itself (fast.h ColumnSums): the block keeps every key block's
// probabilities 2^(s - running max) and each row's running max after that block; once the rows' normalisers are known
// it adds Σ_rows p · 2^(running max - lse2) per query head and key into `per` — no score or exponential computed twice.
struct ColSums {
  float* p;       // [key blocks][rows][kFlashBK] (this query block's rows)
  float* m;       // [key blocks][rows]
  int q0, q1, K;  // query rows [q0, q1) (others weigh 0), keys [0, K)
  double* per;    // [H][K], added to (the heads of the block's group)
};
// ColSums::p and ::m floats for a query block of `rows` rows over `len` keys.
inline int64_t colsum_floats(int rows, int len) {
  const int64_t nkb = (len + kFlashBK - 1) / kFlashBK;
  return nkb * rows * (kFlashBK + 1);
}
struct FlashArgs {
  const float* q;
  int T, H, d, group, len;
  const float* kt;  // this group's packed keys
  const float* v;   // this group's value rows [len][d]
  float* out;
  float scale;                // 1/√d · log2 e: the scores in base 2
  float* row_lse2 = nullptr;  // optional [T][H]: each row's log2 Σ_j 2^(score_j) (max + log2 of the sum)
  ColSums* cols = nullptr;         // optional: the ProbSum column sums from this pass (needs row_lse2)
};
// The ProbSum statistics of one cache head's key blocks (probsum_block): per [H][K] doubles, accumulated into.
struct ProbSumArgs {
  const float* q;
  int T, H, d, group, len;
  const float* k;  // this cache head's key rows, row j at k + j * kstride
  int64_t kstride;
  const float* row_lse2;
  int q0, q1, K;
  float scale;  // 1/√d · log2 e, as the attention's
  double* per;
};
inline int64_t probsum_scratch_floats(int group, int d) { return static_cast<int64_t>(kFlashBK) * (d + group + 1); }
// Scratch floats for rows = (t1 - t0) * group.
inline int64_t flash_scratch_floats(int rows, int d) { return static_cast<int64_t>(rows) * (kFlashBK + d + 4); }

// pack_w: whether scratch's packed W block is not already that of outputs [o0, o1) (it is kept between the calls of
// one thread, as long as `in` fits one k block).
void gemm_block_avx512(const GemmArgs& a, int t0, int t1, int o0, int o1, int max_kc, bool pack_w, float* scratch);
void gemm_block_avx2(const GemmArgs& a, int t0, int t1, int o0, int o1, int max_kc, bool pack_w, float* scratch);
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
