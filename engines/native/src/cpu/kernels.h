// fp32 reference kernels of the cpu backend. Every output element is computed by exactly one thread with a fixed
// summation order, so results are bitwise independent of the thread count.
#pragma once
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "../backend.h"
#include "../model.h"

namespace gem {
namespace cpu {

// Splits [0, n) into contiguous ranges, one per thread (gem::num_threads()), when work (a rough flop count) is
// large enough to pay for the threads; fn(begin, end).
void parallel_for(int64_t n, double work, const std::function<void(int64_t, int64_t)>& fn);

// Dot product of two fp32 vectors: 8 partial sums in a fixed order, combined in a fixed order.
float dot(const float* a, const float* b, int n);

// A weight matrix [out][in] (Hugging Face layout) as the cpu backend holds it (model.h Tensor): fp32, or a checkpoint's
// BF16 / F16 values that the kernels widen to fp32 as they read them. Widening is exact, so every kernel gives the
// same bits for a 16-bit matrix as for its fp32 copy.
enum class WeightType : int { F32 = 0, BF16 = 1, F16 = 2 };
// `panels`: the storage is Tensor::panels16's layout (16 rows interleaved), which only the fast kernels read directly.
struct WeightRef {
  const void* p = nullptr;
  WeightType type = WeightType::F32;
  bool panels = false;
  WeightRef(const float* w) : p(w) {}  // NOLINT(google-explicit-constructor): an fp32 matrix is one
  WeightRef(const void* w, WeightType t, bool panels16 = false) : p(w), type(t), panels(panels16) {}
  static WeightRef of(const Tensor& t);  // the tensor's storage (data, or half with its dtype) and layout
  // Row-major fp32 storage, else nullptr.
  const float* f32() const { return type == WeightType::F32 && !panels ? static_cast<const float*>(p) : nullptr; }
  void row(int64_t o, int in, float* dst) const;  // row o's `in` values as fp32
};

// y[t][o] = sum_i x[t][i] * W[o][i] (+ bias[o]); bias may be null.
void matmul(const float* x, int T, int in, WeightRef W, int out, const float* bias, float* y);

// y[t] = x[t] * rsqrt(mean(x[t]^2) + eps) * w   (mean accumulated in double)
void rmsnorm(const float* x, int T, int dim, const float* w, double eps, float* y);

// RoPE frequencies for a forward call whose highest position is max_pos (longrope picks long_factor when
// max_pos + 1 > original_max_positions, as HF's dynamic longrope update does). inv_freq has head_dim/2 entries;
// `scale` multiplies cos and sin (longrope attention_factor, else 1).
struct RopeFreqs {
  std::vector<double> inv_freq;
  double scale = 1.0;
};
RopeFreqs rope_freqs(const ModelConfig& c, int64_t max_pos);

// Rotates x[t][h*d .. h*d+d) in place (HF rotate_half convention: pairs (i, i + d/2)), angle = pos[t] * inv_freq[i].
void apply_rope(float* x, int T, int heads, int d, const int* pos, const RopeFreqs& f);

// Causal GQA attention of T new queries against a cache of `len` rows whose last T rows are the new tokens' keys:
// query t sees rows 0 .. len - T + t. q: [T][H*d]; k[ch], v[ch]: [len][d] per cache head; out: [T][H*d].
// Query head h reads cache head h / (H / cache_heads). Scaling 1/sqrt(d), softmax with max subtraction.
// With `lens` (a ragged cache, backend.h): cache head c holds lens[c] rows and its queries see rows 0 .. lens[c] - T + t.
void attention(const float* q, int T, int H, int d, const std::vector<const float*>& k,
               const std::vector<const float*>& v, int len, float* out, const std::vector<int>* lens = nullptr);

// Keys of one layer as attention sees them: cache head c's row j starts at head[c] + j * stride.
struct KeyRows {
  std::vector<const float*> head;
  int64_t stride = 0;
  int rows = 0;
};

// The attention-statistics op (backend.h: StatsRequest) — the reference, written once: queries q [T][H*d] (row t sees
// keys 0 .. rows - T + t); result [heads][K] doubles into `out`. Parallel over query heads with fixed per-head order,
// so results are bitwise independent of the thread count.
void attn_stats(const float* q, int T, int H, int d, const KeyRows& keys, const StatsRequest& req, Stats& out);
// The statistics' head aggregation (backend.h StatsAgg) of per-query-head results `per` [H][K] into `out`: PerQueryHead
// as is, AllSum over every head, KvMean / KvMax over each cache head's H/C query heads in head order. Shared by
// attn_stats and the fast kernels' ProbSum (fast.cpp), so both aggregate in the same order.
void aggregate_heads(DVec&& per, int H, int C, int K, StatsAgg agg, Stats& out);

inline float silu(float x) { return x / (1.0f + std::exp(-x)); }

}  // namespace cpu
}  // namespace gem
