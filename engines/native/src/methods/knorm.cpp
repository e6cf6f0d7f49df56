// knorm (key-norm, arXiv 2406.11430; semantics in engines/README.md): dense prefill; per layer (right after it) and KV
// head keep the k − window prefix keys of LOWEST L2 norm (the statistics op's KeyNorm over keys [0, n − window);
// post-RoPE norm = pre-RoPE norm; ties → lower index) plus the last `window` tokens (default 0, as kvpress). n ≤ k:
// nothing evicted. Decode at the original positions.
#include "method.h"

namespace gem {
namespace {

class KNorm final : public Method {
 public:
  KNorm(int k, int w) : k_(k), w_(w) {}

  void prefill(PrefillContext& ctx) override {
    const int n = static_cast<int>(ctx.ids.size());
    std::vector<StatsRequest> stats;
    for (int l = 0; l < ctx.config.num_layers; ++l) stats.push_back(StatsRequest{l, StatsMode::KeyNorm, 0, 0, n - w_, StatsAgg::KvMean});
    auto select = [&](Stats& s, KVCache* cache) {
      std::vector<std::vector<int>> keep;
      std::vector<int> src;
      for (int g = 0; g < s.heads; ++g) {
        DVec neg(MemCat::Workspace, static_cast<size_t>(s.keys));
        for (int j = 0; j < s.keys; ++j) neg[static_cast<size_t>(j)] = -s.row(g)[j];
        keep.push_back(top_plus_window(neg.data(), n, w_, k_));
        src.push_back(g);
      }
      s.data.clear_and_free();
      cache->keep(s.layer, keep, src, ctx.max_new_tokens);
      ctx.selection.per_layer[static_cast<size_t>(s.layer)] = std::move(keep);
    };
    prefill_per_layer(ctx, k_, std::move(stats), select);
  }

 private:
  int k_, w_;
};

ParamSpec p_window() {
  ParamSpec p{"window", ParamSpec::Kind::Int, "the last tokens always kept (kvpress: none)"};
  p.def = 0;
  p.max = kMaxInt - 1;
  return p;
}

}  // namespace

const MethodSpec kKNormSpec{
    "knorm",
    "Key-norm: per layer and KV head, keep the keys of lowest L2 norm (plus an optional recent window)",
    {budget_param("cache budget per head, window included"), ratio_param(), p_window()},
    {budget_rule(), {ParamRule::Kind::Greater, "k", "window", "the budget k includes the window; use k > window"}}};

std::unique_ptr<Method> make_knorm(const Params& p) {
  return std::make_unique<KNorm>(static_cast<int>(p.integer("k")), static_cast<int>(p.integer("window")));
}

}  // namespace gem
