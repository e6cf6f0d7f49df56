// h2o (heavy hitters + recent; semantics in ../shared/design/METHODS.md):
// dense prefill; then per layer (right after the layer) and query head h:
//   score_h[j] = Σ_{i ≥ j} softmax_j'≤i(q_i,h · k_{g(h),j'} / √d)[j]   — the column sums of the causal attention:
// the statistics op (ProbSum over every row; the backend computes it in O(n) extra memory, never an n×n matrix).
// GQA: `mean` (default) / `max` over a KV head's H/G query heads (sum in head order / count, or max), one selection
// per KV head; `per-query-head` (the official baseline) selects per query head and caches H heads (head h holds rows of
// KV head g(h)). Keep the last `recent` tokens plus the top (k - recent) of the others by score (ties → lower index),
// sorted. n ≤ k: nothing evicted. Decode at the original positions (first generated token's step at position n); the
// cache grows. prefillMs = the prefill with the per-layer scoring and selection inside it; filterMs = 0.
//
// evictDuringDecode = true (the H2O paper's fixed budget; not in the GemFilter-repo baseline): every kept row carries
// an accumulated score, initialised with its prefill score above, and the backend keeps each layer at k rows while
// decoding (backend.h: DecodeEviction — the step's probabilities, mean over the query heads reading each cache head,
// added to the rows' scores; the lowest-scored row among all but the last `recent` is evicted, ties → the older row).
#include <algorithm>

#include "method.h"

namespace gem {
namespace {

class H2O final : public Method {
 public:
  H2O(int k, int recent, bool evict, Gqa gqa) : k_(k), recent_(recent), evict_(evict), gqa_(gqa) {}

  void prefill(PrefillContext& ctx) override {
    const ModelConfig& c = ctx.config;
    const int n = static_cast<int>(ctx.ids.size());
    const int L = c.num_layers, H = c.num_heads, G = c.num_kv_heads, group = H / G;
    const bool per_q = gqa_ == Gqa::PerQueryHead;
    const bool evict_now = n > k_;
    ctx.selection.kind = per_q ? Selection::Kind::PerQueryHead : Selection::Kind::PerHead;
    ctx.selection.per_layer.assign(static_cast<size_t>(L), {});
    // Room for the decode rows: all of them, or with evictDuringDecode at most k + 1 rows at any time.
    const int kept = std::min(n, k_);
    const int rows = evict_ ? std::min(kept + ctx.max_new_tokens, k_ + 1) : kept + ctx.max_new_tokens;

    std::vector<StatsRequest> stats;
    if (evict_now || evict_) {
      const StatsAgg agg = per_q ? StatsAgg::PerQueryHead : gqa_ == Gqa::Max ? StatsAgg::KvMax : StatsAgg::KvMean;
      for (int l = 0; l < L; ++l) stats.push_back(StatsRequest{l, StatsMode::ProbSum, 0, n, -1, agg});
    }
    auto select = [&](Stats& s, KVCache* cache) {
      std::vector<std::vector<int>> keep(static_cast<size_t>(s.heads));
      std::vector<std::vector<double>> scores;
      std::vector<int> src(static_cast<size_t>(s.heads));
      std::vector<char> allowed(static_cast<size_t>(n), 1);
      // n may be below recent (a prompt shorter than the budget): the window is then the whole prompt.
      for (int j = std::max(0, n - recent_); j < n; ++j) allowed[static_cast<size_t>(j)] = 0;
      for (int h = 0; h < s.heads; ++h) {
        src[static_cast<size_t>(h)] = per_q ? h / group : h;
        if (!evict_now) {
          keep[static_cast<size_t>(h)] = all_indices(n);
        } else {
          std::vector<int> sel = top_k_indices(s.row(h), n, k_ - recent_, allowed);
          for (int j = n - recent_; j < n; ++j) sel.push_back(j);
          keep[static_cast<size_t>(h)] = std::move(sel);
        }
        if (evict_) {
          scores.emplace_back();
          for (int j : keep[static_cast<size_t>(h)]) scores.back().push_back(s.row(h)[j]);
        }
      }
      cache->keep(s.layer, keep, src, rows - static_cast<int>(keep[0].size()), evict_ ? &scores : nullptr);
      ctx.selection.per_layer[static_cast<size_t>(s.layer)] = std::move(keep);
    };

    const std::unique_ptr<PhaseTimer> timer = ctx.backend.start_timer();
    ctx.mem.begin_phase();
    const bool grow_only = !evict_now && !evict_;  // nothing to score: a dense cache with room for the decode rows
    ctx.logits = dense_prefill(ctx, ctx.ids, 0, std::move(stats), select, grow_only);
    if (grow_only)
      for (auto& layer : ctx.selection.per_layer) layer.assign(static_cast<size_t>(G), all_indices(n));
    ctx.prefill_ms = timer->elapsed_ms();
    ctx.mem_prefill = ctx.mem.phase_peak();
    ctx.next_position = n;
    ctx.kept_length = kept;
  }

  DecodeEviction decode_eviction() const override { return evict_ ? DecodeEviction{k_, recent_} : DecodeEviction{}; }

 private:
  int k_, recent_;
  bool evict_;
  Gqa gqa_;
};

ParamSpec p_recent() {
  ParamSpec p{"recent", ParamSpec::Kind::Int, "the last tokens always kept (official 32)"};
  p.def = 32;
  p.max = kMaxInt - 1;
  return p;
}
ParamSpec p_evict() {
  ParamSpec p{"evictDuringDecode", ParamSpec::Kind::Bool, "keep the budget fixed while decoding (the H2O paper; not the GemFilter-repo baseline)"};
  p.def = false;
  return p;
}

}  // namespace

const MethodSpec kH2OSpec{
    "h2o",
    "H2O: per layer and head, keep the heavy hitters (largest attention column sums over all queries) plus the recent tokens",
    {budget_param("cache budget per head, recent window included"), ratio_param(), p_recent(), p_evict(),
     gqa_param("GQA: mean or max of a KV head's query heads' scores (memory-correct), or per-query-head (official: caches H heads)")},
    {budget_rule(), {ParamRule::Kind::Greater, "k", "recent", "the budget k includes the recent window; use k > recent (or a smaller recent)"}}};

std::unique_ptr<Method> make_h2o(const Params& p) {
  return std::make_unique<H2O>(static_cast<int>(p.integer("k")), static_cast<int>(p.integer("recent")),
                               p.boolean("evictDuringDecode"), parse_gqa(p.choice("gqa")));
}

}  // namespace gem
