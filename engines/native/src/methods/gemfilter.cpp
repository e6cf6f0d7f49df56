// gemfilter (GemFilter, paper Algorithm 1; semantics in ../shared/design/METHODS.md):
//  1. filter pass: layers 0..r over all n tokens at their original positions, without a KV cache (each layer's K/V
//     are dropped when the layer is done); layer r computes only Q and K, and nothing after it runs;
//  2. score[j] = Σ_h q_last,h · K_{g(h),j} (post-RoPE, raw dot product: no 1/√d, no softmax) — the statistics op
//     (RawDot, last row, AllSum) at layer r only;
//  3. avg_pool1d(kernel 5, stride 1, padding 2, zero padding, divisor 5);
//  4. top-min(k, n), ties → lower index, sorted; `keepLast` forces the last keepLast tokens, the rest by score;
//  5. dense prefill of the selected ids at NEW positions 0..k'-1; decoding continues at k'.
// filterMs = steps 1-4, prefillMs = step 5.
#include <algorithm>
#include <numeric>

#include "method.h"

namespace gem {
namespace {

class GemFilter final : public Method {
 public:
  GemFilter(int r, int k, int keep_last) : r_(r), k_(k), keep_last_(keep_last) {}

  void prefill(PrefillContext& ctx) override {
    const int n = static_cast<int>(ctx.ids.size());
    const std::unique_ptr<PhaseTimer> timer = ctx.backend.start_timer();
    ctx.mem.begin_phase();
    DVec pooled(MemCat::Workspace);
    std::vector<int> pos(static_cast<size_t>(n));
    std::iota(pos.begin(), pos.end(), 0);
    ForwardOptions o;
    o.last_layer = r_;
    o.stop_after_qk = true;
    o.stats = {StatsRequest{r_, StatsMode::RawDot, n - 1, n, -1, StatsAgg::AllSum}};
    o.on_stats = [&](Stats& s, KVCache*) { pooled = avg_pool1d(s.row(0), n, 5); };
    ctx.backend.forward(ctx.ids, pos, nullptr, o);

    const int kp = std::min(k_, n);
    const int forced = std::min(keep_last_, n);
    std::vector<char> allowed(static_cast<size_t>(n), 1);
    for (int j = n - forced; j < n; ++j) allowed[static_cast<size_t>(j)] = 0;
    std::vector<int> sel = top_k_indices(pooled.data(), n, kp - forced, allowed);
    for (int j = n - forced; j < n; ++j) sel.push_back(j);
    std::sort(sel.begin(), sel.end());
    pooled.clear_and_free();
    ctx.filter_ms = timer->elapsed_ms();
    ctx.mem_filter = ctx.mem.phase_peak();

    prefill_kept(ctx, std::move(sel));
  }

 private:
  int r_, k_, keep_last_;
};

ParamSpec filter_layer() {
  ParamSpec p{"filterLayer", ParamSpec::Kind::Int, "0-based layer r whose last-token attention selects the tokens (the paper's 13 for Llama-3.1-8B)"};
  p.required = true;
  p.below_layers = true;
  return p;
}
ParamSpec keep_last() {
  ParamSpec p{"keepLast", ParamSpec::Kind::Int, "always keep the last keepLast tokens (0 = the official behaviour)"};
  p.def = 0;
  return p;
}

}  // namespace

const MethodSpec kGemFilterSpec{
    "gemfilter",
    "GemFilter: layers 0..r select the top-k tokens by the last query's raw attention scores, then the full model runs "
    "on those alone at new positions",
    {filter_layer(), budget_param("tokens kept (top-k by score; the second pass runs on min(k, n) tokens)"), ratio_param(), keep_last()},
    {budget_rule(), {ParamRule::Kind::AtMost, "keepLast", "k", "keepLast forces tokens into the budget k: use keepLast ≤ k"}}};

std::unique_ptr<Method> make_gemfilter(const Params& p) {
  return std::make_unique<GemFilter>(static_cast<int>(p.integer("filterLayer")), static_cast<int>(p.integer("k")),
                                     static_cast<int>(p.integer("keepLast")));
}

}  // namespace gem
