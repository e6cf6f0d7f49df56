// snapkv (SnapKV as in the GemFilter repository's baseline; semantics in ../shared/design/METHODS.md):
// dense prefill over n tokens; then per layer, independently (right after the layer, so the cache never holds more
// than one uncompressed layer beyond what dense needs):
//  1. window = the last w queries; for each query head h and window query i (position p = n-w+i):
//     A_h[i, j] = softmax_j≤p(q_i,h · k_{g(h),j} / √d) — softmax over all keys it may see (causal inside the window);
//     vote_h[j] = Σ_i A_h[i, j] for prefix keys j < n-w. (double precision, order: i ascending)
//  2. pool vote_h along j: avg (zero padding, divisor = kernel) or max (-inf padding), stride 1, padding kernel/2;
//  3. GQA "mean"/"max": aggregate the pooled votes of a KV head's H/G query heads (sum in head order / count, or
//     max), select once per KV head: top (k-w) prefix positions (ties → lower index) + the w window positions;
//     "per-query-head" (the official, inflated variant): select per query head and cache H heads of K/V (head h
//     holds rows of K/V head g(h)); memory is counted for the H heads.
//  4. n ≤ k: nothing is evicted (the cache keeps its G heads; the selection lists every index).
// Decode keeps the original positions: the first generated token's step is at position n.
#include <algorithm>
#include <cmath>

#include "../cpu/kernels.h"
#include "method.h"

namespace gem {
namespace {

class SnapKV final : public Method {
 public:
  SnapKV(int k, int w, bool max_pool, int kernel, std::string gqa)
      : k_(k), w_(w), max_pool_(max_pool), kernel_(kernel), gqa_(std::move(gqa)) {}

  void prefill(PrefillContext& ctx) override {
    const ModelConfig& c = ctx.model.config;
    const int n = static_cast<int>(ctx.ids.size());
    const int L = c.num_layers, H = c.num_heads, G = c.num_kv_heads, d = c.head_dim, group = H / G;
    const bool per_q = gqa_ == "per-query-head";
    ctx.selection.kind = per_q ? Selection::Kind::PerQueryHead : Selection::Kind::PerHead;
    ctx.selection.per_layer.assign(static_cast<size_t>(L), {});

    auto hook = [&](const LayerView& v) {
      const int sel_heads = per_q ? H : G;
      std::vector<std::vector<int>> keep(static_cast<size_t>(sel_heads));
      if (n <= k_) {
        for (auto& s : keep) s = all_indices(n);
        for (auto& b : v.cache->k) b.reserve(static_cast<size_t>(n + ctx.max_new_tokens) * d);
        for (auto& b : v.cache->v) b.reserve(static_cast<size_t>(n + ctx.max_new_tokens) * d);
        ctx.selection.per_layer[static_cast<size_t>(v.layer)] = keep;
        return;  // nothing evicted
      }
      const int prefix = n - w_;
      // votes[h][j], j < prefix
      std::vector<std::vector<double>> votes(static_cast<size_t>(H), std::vector<double>(static_cast<size_t>(prefix), 0.0));
      const double inv_sqrt_d = 1.0 / std::sqrt(static_cast<double>(d));
      cpu::parallel_for(H, 4.0 * w_ * static_cast<double>(n) * d * H, [&](int64_t hb, int64_t he) {
        std::vector<double> s(static_cast<size_t>(n));
        for (int64_t h = hb; h < he; ++h) {
          const int g = static_cast<int>(h) / group;
          for (int i = 0; i < w_; ++i) {
            const int p = prefix + i;
            const float* q = v.q + (static_cast<int64_t>(p) * H + h) * d;
            double mx = -INFINITY;
            for (int j = 0; j <= p; ++j) {
              const float* kk = v.k + (static_cast<int64_t>(j) * G + g) * d;
              double dt = 0;
              for (int e = 0; e < d; ++e) dt += static_cast<double>(q[e]) * static_cast<double>(kk[e]);
              s[static_cast<size_t>(j)] = dt * inv_sqrt_d;
              mx = std::max(mx, s[static_cast<size_t>(j)]);
            }
            double z = 0;
            for (int j = 0; j <= p; ++j) z += std::exp(s[static_cast<size_t>(j)] - mx);
            for (int j = 0; j < prefix; ++j) votes[static_cast<size_t>(h)][static_cast<size_t>(j)] += std::exp(s[static_cast<size_t>(j)] - mx) / z;
          }
        }
      });
      for (auto& vh : votes) vh = max_pool_ ? max_pool1d(vh, kernel_) : avg_pool1d(vh, kernel_);
      std::vector<int> src(static_cast<size_t>(sel_heads));
      for (int sh = 0; sh < sel_heads; ++sh) {
        std::vector<double> agg;
        if (per_q) {
          agg = votes[static_cast<size_t>(sh)];
          src[static_cast<size_t>(sh)] = sh / group;
        } else {
          src[static_cast<size_t>(sh)] = sh;
          agg.assign(static_cast<size_t>(prefix), gqa_ == "max" ? -INFINITY : 0.0);
          for (int h = sh * group; h < (sh + 1) * group; ++h)
            for (int j = 0; j < prefix; ++j) {
              double x = votes[static_cast<size_t>(h)][static_cast<size_t>(j)];
              agg[static_cast<size_t>(j)] = gqa_ == "max" ? std::max(agg[static_cast<size_t>(j)], x) : agg[static_cast<size_t>(j)] + x;
            }
          if (gqa_ != "max")
            for (auto& x : agg) x /= group;
        }
        std::vector<int> sel = top_k_indices(agg, k_ - w_);
        for (int j = prefix; j < n; ++j) sel.push_back(j);
        keep[static_cast<size_t>(sh)] = std::move(sel);
      }
      ctx.cache.compress(v.layer, keep, src, ctx.max_new_tokens);
      ctx.selection.per_layer[static_cast<size_t>(v.layer)] = std::move(keep);
    };

    auto t0 = std::chrono::steady_clock::now();
    ctx.mem.begin_phase();
    ctx.logits = dense_prefill(ctx, ctx.ids, 0, hook, false);
    ctx.prefill_ms = ms_since(t0);
    ctx.mem_prefill = ctx.mem.phase_peak();
    ctx.next_position = n;
    ctx.kept_length = std::min(n, k_);
  }

 private:
  int k_, w_;
  bool max_pool_;
  int kernel_;
  std::string gqa_;
};

}  // namespace

std::unique_ptr<Method> make_snapkv(const Json& params, const ModelConfig&) {
  Params p("snapkv", params, {"k", "window", "pool", "kernel", "gqa"});
  int window = static_cast<int>(p.integer("window", 32, 1, kMaxInt - 1));
  int k = static_cast<int>(p.integer("k", 1, kMaxInt));
  if (k <= window)
    p.fail("snapkv: k = " + std::to_string(k) + " must be greater than window = " + std::to_string(window),
           "the capacity k includes the observation window; use k > window (or a smaller window)");
  std::string pool = p.choice("pool", "avg", {"avg", "max"});
  int kernel = static_cast<int>(p.integer("kernel", 5, 1, 1001));
  if (kernel % 2 == 0) p.fail("snapkv: kernel = " + std::to_string(kernel) + " must be odd", "e.g. 5 (avg, official) or 7 (max)");
  std::string gqa = p.choice("gqa", "mean", {"mean", "max", "per-query-head"});
  return std::make_unique<SnapKV>(k, window, pool == "max", kernel, gqa);
}

}  // namespace gem
