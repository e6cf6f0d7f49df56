// The `fast` kernel set of the cpu backend (beside the `reference` kernels of kernels.h, which stay what everything is
// checked against): a packed GEMM (GotoBLAS/BLIS: x and W panels packed per cache block, a register-tiled
// micro-kernel over them; one pass over W as stored for calls of few rows) and a tiled (flash-style) prefill attention, with AVX-512
// and AVX2+FMA micro-kernels chosen at run time from the CPU's features (one binary runs everywhere; only
// fast_avx512.cpp / fast_avx2.cpp are compiled for those instruction sets, and they are entered only after the check).
//
// Determinism: every output element is computed by one thread in a fixed order that depends only on the shapes (the
// GEMM: one FMA chain over k in order per output, outputs along the vector lanes, so AVX2 and AVX-512 give bitwise
// equal results; the attention: fixed 16-lane trees). Results are bitwise independent of the thread count and of how
// many rows one call carries (a decode step's matmul equals the same row inside a prefill).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "../memory.h"
#include "fast_simd.h"

namespace gem {
struct Tensor;
struct StatsRequest;
struct Stats;
namespace cpu {
struct KeyRows;
struct WeightRef;

enum class KernelSet { Fast, Reference };
// Process-wide, set once by the runner (`--kernels fast|reference`, default fast) before the backend is made.
KernelSet kernel_set();
void set_kernel_set(KernelSet k);
const char* kernel_set_name(KernelSet k);  // "fast" | "reference"
bool parse_kernel_set(const std::string& s, KernelSet& out);

// The instruction set the fast kernels run with on this CPU: "avx512", "avx2" (AVX2 + FMA + F16C), or "none" (the
// fast set then runs the reference kernels).
const char* fast_isa();

// The fast kernels. Each returns false (having done nothing) when the CPU or the shape is not covered; the caller
// then runs the reference kernel. Same contracts as cpu::matmul / cpu::attention (kernels.h).
// W may be a 16-bit matrix (kernels.h WeightRef), row-major (widened as each block is transposed) or in panels
// (widened by each micro-kernel load); the sums are those of its fp32 copy, bit for bit.
bool fast_matmul(const float* x, int T, int in, WeightRef W, int out, const float* bias, float* y);
// The same with the AVX2+FMA kernels on any CPU that has fast kernels (the tests check that AVX2 equals AVX-512).
bool fast_matmul_avx2(const float* x, int T, int in, WeightRef W, int out, const float* bias, float* y);
// Re-lays a [rows][cols] matrix into Tensor::panels16's layout (16 rows interleaved: the fast GEMM then reads each
// group of 16 outputs k by k as it is stored, with no transposing per call — a decode step's GEMV streams it once).
// Does nothing and returns false where the fast kernels do not run (no AVX2/AVX-512), for a matrix already in it, or
// for one whose rows are not a multiple of 16 (it stays row-major and is transposed per block).
bool to_panels(Tensor& t);
// With `norms`, the attention also keeps each row's softmax normaliser (for fast_attn_stats at this layer): log2 of
// Σ_j 2^(score_j · log2 e) over the row's keys (its max plus log2 of the sum of 2^(s - max)).
// With `cols.want` (a ProbSum request of this layer, set by the caller before the call), the attention pass also sums
// the softmax probabilities of the request's query rows per query head and key — ProbSum's column sums (H2O) without a
// second pass over the scores — where the workspace allows (cols.per is then [H][K] over rows [q0, q1) and keys
// [0, K), else empty and fast_attn_stats recomputes).
struct ColumnSums {
  const StatsRequest* want = nullptr;
  int q0 = 0, q1 = 0, K = 0;
  DVec per{MemCat::Workspace};
};
struct RowNorms {
  int layer = -1, T = 0, H = 0;
  FVec lse2{MemCat::Workspace};  // [T][H]
  ColumnSums cols;
};
bool fast_attention(const float* q, int T, int H, int d, const std::vector<const float*>& k,
                    const std::vector<const float*>& v, int len, float* out, RowNorms* norms = nullptr);
// The ProbSum statistics (backend.h): the column sums the attention pass took (norms.cols, for the request's rows and
// keys; taken, so a second equal request recomputes), else from the same scores and the attention's row normalisers
// (layer, T and H must match the request's) without a second softmax pass. Same contract and aggregation as
// cpu::attn_stats; thread-independent (each key owned by one thread, rows summed in a fixed order).
bool fast_attn_stats(const float* q, int T, int H, int d, const KeyRows& keys, const StatsRequest& req,
                     RowNorms& norms, Stats& out);

// `gem-runner gemm-bench`: the machine's fp32 FMA peak (all threads, the fast set's instruction set), the GEMM and the
// prefill attention of both kernel sets in GFLOP/s and % of that peak, the load average before and after; one JSON
// line on stdout. Exit status 0, or 2 when the CPU has no fast kernels.
int run_gemm_bench(bool quick);

}  // namespace cpu
}  // namespace gem
