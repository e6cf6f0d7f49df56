// snapkv (SnapKV as in the GemFilter repository's baseline; semantics in ../shared/design/METHODS.md):
// dense prefill over n tokens; then per layer, independently (right after the layer, so the cache never holds more
// than one uncompressed layer beyond what dense needs):
//  1. window = the last w queries; vote_h[j] = Σ_{window rows} softmax(q·kᵀ/√d)[j] for prefix keys j < n-w — the
//     statistics op (ProbSum, rows [n-w, n), keys [0, n-w), PerQueryHead; softmax over every key a row may see);
//  2. pool vote_h along j: avg (zero padding, divisor = kernel) or max (-inf padding), stride 1, padding kernel/2;
//  3. GQA "mean"/"max": aggregate the pooled votes of a KV head's H/G query heads (sum in head order / count, or
//     max), select once per KV head: top (k-w) prefix positions (ties → lower index) + the w window positions;
//     "per-query-head" (the official, inflated variant): select per query head and cache H heads of K/V (head h
//     holds rows of K/V head g(h)); memory is counted for the H heads.
//  4. n ≤ k: nothing is evicted (the cache keeps its G heads; the selection lists every index).
// Decode keeps the original positions: the first generated token's step is at position n.
// prefillMs = the prefill with the per-layer scoring and compression inside it (steps 1-4); filterMs = 0.
#include <algorithm>
#include <cmath>

#include "method.h"

namespace gem {
namespace {

class SnapKV final : public Method {
 public:
  SnapKV(int k, int w, bool max_pool, int kernel, Gqa gqa) : k_(k), w_(w), max_pool_(max_pool), kernel_(kernel), gqa_(gqa) {}

  void prefill(PrefillContext& ctx) override {
    const ModelConfig& c = ctx.config;
    const int n = static_cast<int>(ctx.ids.size());
    const int L = c.num_layers, H = c.num_heads, G = c.num_kv_heads, group = H / G;
    const bool per_q = gqa_ == Gqa::PerQueryHead;
    const int sel_heads = per_q ? H : G;
    ctx.selection.kind = per_q ? Selection::Kind::PerQueryHead : Selection::Kind::PerHead;
    ctx.selection.per_layer.assign(static_cast<size_t>(L), {});
    const int prefix = n - w_;

    std::vector<StatsRequest> stats;
    if (n > k_)
      for (int l = 0; l < L; ++l) stats.push_back(StatsRequest{l, StatsMode::ProbSum, prefix, n, prefix, StatsAgg::PerQueryHead});
    auto compress = [&](Stats& s, KVCache* cache) {
      std::vector<DVec> pooled;
      for (int h = 0; h < H; ++h)
        pooled.push_back(max_pool_ ? max_pool1d(s.row(h), prefix, kernel_) : avg_pool1d(s.row(h), prefix, kernel_));
      s.data.clear_and_free();
      std::vector<std::vector<int>> keep(static_cast<size_t>(sel_heads));
      std::vector<int> src(static_cast<size_t>(sel_heads));
      DVec agg(MemCat::Workspace, static_cast<size_t>(prefix));
      for (int sh = 0; sh < sel_heads; ++sh) {
        const double* scores = pooled[static_cast<size_t>(sh)].data();
        if (!per_q) {
          agg.assign(static_cast<size_t>(prefix), gqa_ == Gqa::Max ? -INFINITY : 0.0);
          for (int h = sh * group; h < (sh + 1) * group; ++h)
            for (int j = 0; j < prefix; ++j) {
              const double x = pooled[static_cast<size_t>(h)][static_cast<size_t>(j)];
              agg[static_cast<size_t>(j)] = gqa_ == Gqa::Max ? std::max(agg[static_cast<size_t>(j)], x) : agg[static_cast<size_t>(j)] + x;
            }
          if (gqa_ != Gqa::Max)
            for (int j = 0; j < prefix; ++j) agg[static_cast<size_t>(j)] /= group;
          scores = agg.data();
        }
        src[static_cast<size_t>(sh)] = per_q ? sh / group : sh;
        std::vector<int> sel = top_k_indices(scores, prefix, k_ - w_);
        for (int j = prefix; j < n; ++j) sel.push_back(j);
        keep[static_cast<size_t>(sh)] = std::move(sel);
      }
      cache->keep(s.layer, keep, src, ctx.max_new_tokens);
      ctx.selection.per_layer[static_cast<size_t>(s.layer)] = std::move(keep);
    };

    const std::unique_ptr<PhaseTimer> timer = ctx.backend.start_timer();
    ctx.mem.begin_phase();
    ctx.logits = dense_prefill(ctx, ctx.ids, 0, std::move(stats), compress, n <= k_);
    if (n <= k_)  // nothing evicted
      for (auto& layer : ctx.selection.per_layer) layer.assign(static_cast<size_t>(sel_heads), all_indices(n));
    ctx.prefill_ms = timer->elapsed_ms();
    ctx.mem_prefill = ctx.mem.phase_peak();
    ctx.next_position = n;
    ctx.kept_length = std::min(n, k_);
  }

 private:
  int k_, w_;
  bool max_pool_;
  int kernel_;
  Gqa gqa_;
};

ParamSpec p_set() {
  ParamSpec p{"paramSet", ParamSpec::Kind::Enum,
              "a peer's window/kernel/pool: gemfilter-repo 32/5/avg (our defaults), kvpress 64/5/avg, kvcache-factory-longbench "
              "8/7/max, snapkv-repo 32/7/max"};
  p.values = {"gemfilter-repo", "kvpress", "kvcache-factory-longbench", "snapkv-repo"};
  return p;
}

}  // namespace

const MethodSpec kSnapKVSpec{
    "snapkv",
    "SnapKV: per layer and head, keep the prefix tokens the observation window attends to most, plus the window",
    {budget_param("cache capacity per head, window included"), ratio_param(), window_param(), pool_param(), kernel_param(), p_set(),
     gqa_param("GQA: mean or max of a KV head's query heads' votes (memory-correct), or per-query-head (official: caches H heads)")},
    {budget_rule(), {ParamRule::Kind::Greater, "k", "window", "the capacity k includes the observation window; use k > window (or a smaller window)"}},
    {{"gemfilter-repo", Json::parse(R"({"window": 32, "kernel": 5, "pool": "avg"})")},
     {"kvpress", Json::parse(R"({"window": 64, "kernel": 5, "pool": "avg"})")},
     {"kvcache-factory-longbench", Json::parse(R"({"window": 8, "kernel": 7, "pool": "max"})")},
     {"snapkv-repo", Json::parse(R"({"window": 32, "kernel": 7, "pool": "max"})")}}};

std::unique_ptr<Method> make_snapkv(const Params& p) {
  return std::make_unique<SnapKV>(static_cast<int>(p.integer("k")), static_cast<int>(p.integer("window")),
                                  p.choice("pool") == "max", static_cast<int>(p.integer("kernel")), parse_gqa(p.choice("gqa")));
}

}  // namespace gem
