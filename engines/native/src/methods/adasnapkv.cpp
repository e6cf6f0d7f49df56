// adasnapkv (Ada-KV over SnapKV's scores, arXiv 2407.11550; semantics in engines/README.md): SnapKV's votes per KV
// head (snapkv.cpp steps 1-3, GQA mean/max); per layer the prefix budget is G·(k − w) rows, split UNEVENLY over the
// KV heads: each head first gets its f = ⌊floor·(k − w)⌋ best prefix rows (floor·(k − w) + 1e-9, so that 0.29·100
// counts as 29), then the remaining G·(k − w − f) rows go to the best (score, head, position) triples not yet taken,
// across all heads (ties → the lower head, then the lower position). Every head also keeps the window. The cache is
// ragged (backend.h): head g stores only its w + f + (its share of the rest) rows; attention and decode read each
// head's own length; the memory records count the rows stored (the same total as SnapKV at the same k).
// n ≤ k: nothing evicted. Decode at the original positions.
#include <cmath>

#include "method.h"

namespace gem {
namespace {

class AdaSnapKV final : public Method {
 public:
  AdaSnapKV(int k, int w, bool max_pool, int kernel, double floor, Gqa gqa)
      : k_(k), w_(w), max_pool_(max_pool), kernel_(kernel), floor_(floor), gqa_(gqa) {}

  void prefill(PrefillContext& ctx) override {
    const int n = static_cast<int>(ctx.ids.size());
    const int G = ctx.config.num_kv_heads, prefix = n - w_, P = k_ - w_;
    const int f = static_cast<int>(std::floor(floor_ * P + 1e-9));
    std::vector<StatsRequest> stats;
    for (int l = 0; l < ctx.config.num_layers; ++l) stats.push_back(snap_request(l, n, w_));
    auto select = [&](Stats& s, KVCache* cache) {
      const std::vector<DVec> votes = snap_kv_votes(s, G, max_pool_, kernel_, gqa_);
      DVec flat(MemCat::Workspace, static_cast<size_t>(G) * prefix);
      std::vector<char> allowed(static_cast<size_t>(G) * prefix, 1);
      std::vector<std::vector<int>> keep(static_cast<size_t>(G));
      for (int g = 0; g < G; ++g) {
        const DVec& v = votes[static_cast<size_t>(g)];
        std::copy(v.data(), v.data() + prefix, flat.data() + static_cast<int64_t>(g) * prefix);
        for (int j : top_k_indices(v.data(), prefix, f)) allowed[static_cast<size_t>(g) * prefix + j] = 0;
      }
      for (int i : top_k_indices(flat.data(), G * prefix, G * (P - f), allowed)) allowed[static_cast<size_t>(i)] = 0;
      std::vector<int> src;
      for (int g = 0; g < G; ++g) {
        for (int j = 0; j < prefix; ++j)
          if (!allowed[static_cast<size_t>(g) * prefix + j]) keep[static_cast<size_t>(g)].push_back(j);
        for (int j = prefix; j < n; ++j) keep[static_cast<size_t>(g)].push_back(j);
        src.push_back(g);
      }
      cache->keep(s.layer, keep, src, ctx.max_new_tokens);
      ctx.selection.per_layer[static_cast<size_t>(s.layer)] = std::move(keep);
    };
    prefill_per_layer(ctx, k_, std::move(stats), select);
  }

 private:
  int k_, w_;
  bool max_pool_;
  int kernel_;
  double floor_;
  Gqa gqa_;
};

ParamSpec p_floor() {
  ParamSpec p{"floor", ParamSpec::Kind::Number, "share of each head's uniform prefix budget it is guaranteed (Ada-KV alpha; kvpress and KVCache-Factory 0.2)"};
  p.def = 0.2;
  p.lo = 0;
  p.hi = 1;
  return p;
}
ParamSpec p_gqa() {
  ParamSpec p = gqa_param("GQA: mean or max of a KV head's query heads' votes");
  p.values = {"mean", "max"};
  return p;
}

}  // namespace

const MethodSpec kAdaSnapKVSpec{
    "adasnapkv",
    "Ada-SnapKV: SnapKV's scores, the layer's budget split unevenly across KV heads (a floor per head, the rest to the best "
    "scores of any head); a ragged per-head cache",
    {budget_param("mean cache budget per head, window included (the layer keeps G·k rows)"), ratio_param(), window_param(), pool_param(), kernel_param(), p_floor(), p_gqa()},
    {budget_rule(), {ParamRule::Kind::Greater, "k", "window", "the budget k includes the observation window; use k > window"}}};

std::unique_ptr<Method> make_adasnapkv(const Params& p) {
  return std::make_unique<AdaSnapKV>(static_cast<int>(p.integer("k")), static_cast<int>(p.integer("window")), p.choice("pool") == "max",
                                     static_cast<int>(p.integer("kernel")), p.number("floor"), parse_gqa(p.choice("gqa")));
}

}  // namespace gem
