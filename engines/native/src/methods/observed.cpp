// observed (observed attention, kvpress's ObservedAttentionPress; semantics in engines/README.md): dense prefill; per
// layer (right after it) and KV head, score[j] = H2O's column sum (ProbSum over every query row, KvMean: the mean over
// the KV head's query heads) divided by n − j, the number of queries that see key j; keep the last `recent` tokens
// (default 0) plus the top k − recent of the others (ties → lower index). n ≤ k: nothing evicted.
#include "method.h"

namespace gem {
namespace {

class Observed final : public Method {
 public:
  Observed(int k, int recent) : k_(k), recent_(recent) {}

  void prefill(PrefillContext& ctx) override {
    const int n = static_cast<int>(ctx.ids.size());
    std::vector<StatsRequest> stats;
    for (int l = 0; l < ctx.config.num_layers; ++l) stats.push_back(StatsRequest{l, StatsMode::ProbSum, 0, n, -1, StatsAgg::KvMean});
    auto select = [&](Stats& s, KVCache* cache) {
      std::vector<std::vector<int>> keep;
      std::vector<int> src;
      for (int g = 0; g < s.heads; ++g) {
        double* row = s.data.data() + static_cast<int64_t>(g) * s.keys;
        for (int j = 0; j < n; ++j) row[j] /= n - j;
        keep.push_back(top_plus_window(row, n, recent_, k_));
        src.push_back(g);
      }
      s.data.clear_and_free();
      cache->keep(s.layer, keep, src, ctx.max_new_tokens);
      ctx.selection.per_layer[static_cast<size_t>(s.layer)] = std::move(keep);
    };
    prefill_per_layer(ctx, k_, std::move(stats), select);
  }

 private:
  int k_, recent_;
};

ParamSpec p_recent() {
  ParamSpec p{"recent", ParamSpec::Kind::Int, "the last tokens always kept (kvpress: none)"};
  p.def = 0;
  p.max = kMaxInt - 1;
  return p;
}

}  // namespace

const MethodSpec kObservedSpec{
    "observed",
    "Observed attention: per layer and KV head, keep the keys with the largest mean attention over the queries that see them",
    {budget_param("cache budget per head, recent window included"), ratio_param(), p_recent()},
    {budget_rule(), {ParamRule::Kind::Greater, "k", "recent", "the budget k includes the recent window; use k > recent"}}};

std::unique_ptr<Method> make_observed(const Params& p) {
  return std::make_unique<Observed>(static_cast<int>(p.integer("k")), static_cast<int>(p.integer("recent")));
}

}  // namespace gem
