// pyramidkv (PyramidKV, arXiv 2406.02069; semantics in engines/README.md): SnapKV's scoring (votes of the last `window`
// queries, pooled, GQA mean/max per KV head; snapkv.cpp) with a budget per layer that falls linearly from the first
// layer to the last. With the uniform budget k (window w included), P = k − w, m layers and `beta`:
//   min = ⌊P / beta⌋, max = 2P − min; layer l keeps w + p_l rows, p_l = round(max − l·(max − min)/(m − 1)), rounding
//   half to even (as Python's round): layers l and m−1−l sum to max + min = 2P exactly (their halves round to
//   opposite sides) and an odd m's middle layer is P, so Σ_l (w + p_l) = m·k exactly; m = 1: p_0 = P. A layer whose
//   p_l exceeds the prefix n − w keeps every row.
// Fallbacks: n ≤ k evicts nothing; n < 2P (the prompt too short for the pyramid, as KVCache-Factory) keeps the
// uniform k in every layer (= snapkv).
#include <algorithm>

#include "method.h"

namespace gem {

namespace {

// Prefix rows per layer (the window excluded), as stated above (integer arithmetic: the quotient and remainder of
// (max·(m−1) − l·(max − min)) / (m−1), ≥ 0 since max ≥ min).
std::vector<int> pyramid_prefix(int P, int beta, int m) {
  std::vector<int> p(static_cast<size_t>(m), P);
  if (m == 1) return p;
  const int64_t mn = P / beta, mx = 2 * static_cast<int64_t>(P) - mn, den = m - 1;
  for (int l = 0; l < m; ++l) {
    const int64_t num = mx * den - l * (mx - mn), q = num / den, r2 = 2 * (num % den);
    p[static_cast<size_t>(l)] = static_cast<int>(q + (r2 > den || (r2 == den && q % 2 != 0) ? 1 : 0));
  }
  return p;
}

class PyramidKV final : public Method {
 public:
  PyramidKV(int k, int w, bool max_pool, int kernel, int beta, Gqa gqa)
      : k_(k), w_(w), max_pool_(max_pool), kernel_(kernel), beta_(beta), gqa_(gqa) {}

  void prefill(PrefillContext& ctx) override {
    const int n = static_cast<int>(ctx.ids.size());
    const int L = ctx.config.num_layers, G = ctx.config.num_kv_heads;
    const int P = k_ - w_;
    std::vector<int> budget(static_cast<size_t>(L), P);
    if (n >= 2 * P) budget = pyramid_prefix(P, beta_, L);
    std::vector<StatsRequest> stats;
    for (int l = 0; l < L; ++l) stats.push_back(snap_request(l, n, w_));
    auto select = [&](Stats& s, KVCache* cache) {
      const std::vector<DVec> votes = snap_kv_votes(s, G, max_pool_, kernel_, gqa_);
      const int keep_k = w_ + std::min(budget[static_cast<size_t>(s.layer)], n - w_);
      std::vector<std::vector<int>> keep;
      std::vector<int> src;
      for (int g = 0; g < G; ++g) {
        keep.push_back(top_plus_window(votes[static_cast<size_t>(g)].data(), n, w_, keep_k));
        src.push_back(g);
      }
      cache->keep(s.layer, keep, src, ctx.max_new_tokens);
      ctx.selection.per_layer[static_cast<size_t>(s.layer)] = std::move(keep);
    };
    prefill_per_layer(ctx, k_, std::move(stats), select);
    if (n > k_) {  // rows per head, averaged over the layers (= k unless a layer was clipped to the prompt)
      int64_t rows = 0;
      for (int l = 0; l < L; ++l) rows += w_ + std::min(budget[static_cast<size_t>(l)], n - w_);
      ctx.kept_length = static_cast<int>(rows / L);
    }
  }

 private:
  int k_, w_;
  bool max_pool_;
  int kernel_, beta_;
  Gqa gqa_;
};

ParamSpec p_beta() {
  ParamSpec p{"beta", ParamSpec::Kind::Int, "pyramid steepness: the last layer keeps (k - window) / beta prefix rows (PyramidKV 20)"};
  p.def = 20;
  p.min = 1;
  return p;
}
ParamSpec p_gqa() {
  ParamSpec p = gqa_param("GQA: mean or max of a KV head's query heads' votes");
  p.values = {"mean", "max"};
  return p;
}

}  // namespace

const MethodSpec kPyramidKVSpec{
    "pyramidkv",
    "PyramidKV: SnapKV's scores with per-layer budgets falling linearly from the first layer to the last (same total)",
    {budget_param("mean cache budget per layer and head, window included"), ratio_param(), window_param(), pool_param(), kernel_param(), p_beta(), p_gqa()},
    {budget_rule(), {ParamRule::Kind::Greater, "k", "window", "the budget k includes the observation window; use k > window"}}};

std::unique_ptr<Method> make_pyramidkv(const Params& p) {
  return std::make_unique<PyramidKV>(static_cast<int>(p.integer("k")), static_cast<int>(p.integer("window")), p.choice("pool") == "max",
                                     static_cast<int>(p.integer("kernel")), static_cast<int>(p.integer("beta")), parse_gqa(p.choice("gqa")));
}

}  // namespace gem
