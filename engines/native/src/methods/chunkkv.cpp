// chunkkv (ChunkKV, arXiv 2502.00299; semantics in engines/README.md): SnapKV's window votes (snapkv.cpp steps 1-2:
// last `window` queries, pooled per query head) averaged over ALL H query heads of the layer; the prefix [0, n − w) is
// cut into chunks [c·chunk, (c+1)·chunk) (the last one shorter); a chunk's score is the mean of its positions' votes.
// Chunks are taken by score (ties → the earlier chunk) while they fit whole in the prefix budget k − w; the first chunk
// that does not fit is cut to its leading positions that do, and the selection stops. Plus the window; the same rows
// in every KV head of the layer. n ≤ k: nothing evicted.
#include <algorithm>
#include <numeric>

#include "method.h"

namespace gem {
namespace {

class ChunkKV final : public Method {
 public:
  ChunkKV(int k, int w, bool max_pool, int kernel, int chunk) : k_(k), w_(w), max_pool_(max_pool), kernel_(kernel), chunk_(chunk) {}

  void prefill(PrefillContext& ctx) override {
    const int n = static_cast<int>(ctx.ids.size());
    const int prefix = n - w_;
    std::vector<StatsRequest> stats;
    for (int l = 0; l < ctx.config.num_layers; ++l) stats.push_back(snap_request(l, n, w_));
    auto select = [&](Stats& s, KVCache* cache) {
      const DVec votes = std::move(snap_kv_votes(s, 1, max_pool_, kernel_, Gqa::Mean)[0]);
      const int chunks = (prefix + chunk_ - 1) / chunk_;
      DVec score(MemCat::Workspace, static_cast<size_t>(chunks), 0.0);
      for (int c = 0; c < chunks; ++c) {
        const int b = c * chunk_, e = std::min(prefix, b + chunk_);
        for (int j = b; j < e; ++j) score[static_cast<size_t>(c)] += votes[static_cast<size_t>(j)];
        score[static_cast<size_t>(c)] /= e - b;
      }
      std::vector<int> order(static_cast<size_t>(chunks));
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return score[static_cast<size_t>(a)] > score[static_cast<size_t>(b)]; });
      std::vector<int> sel;
      const int budget = k_ - w_;
      for (int c : order) {
        const int b = c * chunk_, e = std::min({prefix, b + chunk_, b + budget - static_cast<int>(sel.size())});
        for (int j = b; j < e; ++j) sel.push_back(j);
        if (static_cast<int>(sel.size()) == budget) break;
      }
      std::sort(sel.begin(), sel.end());
      for (int j = prefix; j < n; ++j) sel.push_back(j);
      keep_same(ctx, *cache, s.layer, sel);
    };
    prefill_per_layer(ctx, k_, std::move(stats), select);
  }

 private:
  int k_, w_;
  bool max_pool_;
  int kernel_, chunk_;
};

ParamSpec p_chunk() {
  ParamSpec p{"chunk", ParamSpec::Kind::Int, "tokens per chunk (kvpress 20)"};
  p.def = 20;
  p.min = 1;
  return p;
}

}  // namespace

const MethodSpec kChunkKVSpec{
    "chunkkv",
    "ChunkKV: SnapKV's votes averaged per chunk of tokens; keep the best chunks whole (plus the window), the same for every KV head",
    {budget_param("cache budget per head, window included"), ratio_param(), window_param(), pool_param(), kernel_param(), p_chunk()},
    {budget_rule(), {ParamRule::Kind::Greater, "k", "window", "the budget k includes the observation window; use k > window"}}};

std::unique_ptr<Method> make_chunkkv(const Params& p) {
  return std::make_unique<ChunkKV>(static_cast<int>(p.integer("k")), static_cast<int>(p.integer("window")), p.choice("pool") == "max",
                                   static_cast<int>(p.integer("kernel")), static_cast<int>(p.integer("chunk")));
}

}  // namespace gem
