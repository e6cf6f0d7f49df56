// tova (TOVA, arXiv 2401.06104, prefill form; semantics in engines/README.md): dense prefill; per layer (right after
// it) score[j] = the last query's softmax(q · kᵀ/√d)[j] averaged over all H query heads (the statistics op: ProbSum of
// row n − 1, AllSum, ÷ H) for j < n − 1; keep the top k − 1 (ties → lower index) plus the last token, the same rows
// in every KV head of the layer. n ≤ k: nothing evicted. Decode at the original positions.
#include "method.h"

namespace gem {
namespace {

class Tova final : public Method {
 public:
  explicit Tova(int k) : k_(k) {}

  void prefill(PrefillContext& ctx) override {
    const int n = static_cast<int>(ctx.ids.size());
    const int H = ctx.config.num_heads;
    std::vector<StatsRequest> stats;
    for (int l = 0; l < ctx.config.num_layers; ++l) stats.push_back(StatsRequest{l, StatsMode::ProbSum, n - 1, n, n - 1, StatsAgg::AllSum});
    auto select = [&](Stats& s, KVCache* cache) {
      for (int j = 0; j < s.keys; ++j) s.data[static_cast<size_t>(j)] /= H;
      const std::vector<int> sel = top_plus_window(s.row(0), n, 1, k_);
      s.data.clear_and_free();
      keep_same(ctx, *cache, s.layer, sel);
    };
    prefill_per_layer(ctx, k_, std::move(stats), select);
  }

 private:
  int k_;
};

}  // namespace

const MethodSpec kTovaSpec{"tova",
                           "TOVA (prefill form): per layer keep the tokens the last query attends to most (mean over all "
                           "query heads), the same for every KV head; the last token always kept",
                           {budget_param("cache budget per head, the last token included"), ratio_param()},
                           {budget_rule()}};

std::unique_ptr<Method> make_tova(const Params& p) { return std::make_unique<Tova>(static_cast<int>(p.integer("k"))); }

}  // namespace gem
