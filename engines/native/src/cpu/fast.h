// The `fast` kernel set of the cpu backend (beside the `reference` kernels of kernels.h, which stay what everything is
// checked against): a register-blocked, cache-blocked GEMM and a tiled (flash-style) prefill attention, with AVX-512
// and AVX2+FMA micro-kernels chosen at run time from the CPU's features (one binary runs everywhere; only
// fast_avx512.cpp / fast_avx2.cpp are compiled for those instruction sets, and they are entered only after the check).
//
// Determinism: every output element is computed by one thread in a fixed order that depends only on the shapes (16
// lane partial sums along k, combined by one fixed tree; the AVX2 kernels emulate the same 16 lanes with two 8-lane
// halves, so AVX2 and AVX-512 give bitwise equal GEMM results). Results are bitwise independent of the thread count
// and of how many rows one call carries (a decode step's matmul equals the same row inside a prefill).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace gem {
namespace cpu {

enum class KernelSet { Fast, Reference };
// Process-wide, set once by the runner (`--kernels fast|reference`, default fast) before the backend is made.
KernelSet kernel_set();
void set_kernel_set(KernelSet k);
const char* kernel_set_name(KernelSet k);  // "fast" | "reference"
bool parse_kernel_set(const std::string& s, KernelSet& out);

// The instruction set the fast kernels run with on this CPU: "avx512", "avx2" (AVX2 + FMA), or "none" (the fast
// set then runs the reference kernels).
const char* fast_isa();

// The fast kernels. Each returns false (having done nothing) when the CPU or the shape is not covered; the caller
// then runs the reference kernel. Same contracts as cpu::matmul / cpu::attention (kernels.h).
bool fast_matmul(const float* x, int T, int in, const float* W, int out, const float* bias, float* y);
bool fast_attention(const float* q, int T, int H, int d, const std::vector<const float*>& k,
                    const std::vector<const float*>& v, int len, float* out);

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
constexpr int kGemmMB = 64, kGemmNB = 48, kGemmKC = 512;
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
};
// Scratch floats for rows = (t1 - t0) * group.
inline int64_t flash_scratch_floats(int rows, int d) { return static_cast<int64_t>(rows) * (kFlashBK + d + 2); }

void gemm_avx512(const GemmArgs& a, int t0, int t1, int o0, int o1, float* acc);
void gemm_avx2(const GemmArgs& a, int t0, int t1, int o0, int o1, float* acc);
void flash_avx512(const FlashArgs& a, int g, int t0, int t1, float* scratch);
void flash_avx2(const FlashArgs& a, int g, int t0, int t1, float* scratch);

}  // namespace simd
}  // namespace cpu
}  // namespace gem
