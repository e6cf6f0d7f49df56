// gemfilter (GemFilter, paper Algorithm 1; semantics in ../shared/design/METHODS.md):
//  1. filter pass: layers 0..r over all n tokens at their original positions, without a KV cache (each layer's K/V
//     are dropped when the layer is done); layer r computes only Q and K, and nothing after it runs;
//  2. score[j] = Σ_h q_last,h · K_{g(h),j} (post-RoPE, raw dot product: no 1/√d, no softmax) — the statistics op
//     (RawDot, last row, AllSum) at layer r only;
//  3. avg_pool1d(kernel 5, stride 1, padding 2, zero padding, divisor 5);
//  4. top-min(k, n), ties → lower index, sorted; `keepLast` forces the last keepLast tokens, the rest by score;
//  5. dense prefill of the selected ids at NEW positions 0..k'-1; decoding continues at k'.
// filterMs = steps 1-4, prefillMs = step 5.
//
// recompute = false (the reviewers' ablation: "which tokens" without "recomputing them"): one dense prefill of all
// layers over the n tokens with a full cache; steps 2-4 on layer r's keys of that same run (the same statistics op);
// then every layer's cache keeps exactly the selected rows (the same positions for every layer and KV head, SnapKV-
// style: no second pass, original positions; decoding continues at n). The first token comes from the dense run's
// logits. prefillMs = all of it, filterMs = 0. Peak memory = dense's (the cache is cut after the run).
//
// rounds (only with `turns`, PROTOCOL.md): "single" = one selection on the context (the generic context-only path);
// "keep-filter-layers" (the authors' multi-round scheme, review thread W1.1): layers 0..r's full K/V cache is kept for
// the whole history. context() builds it over the context (filterMs). Each turn: cut it back to the ids the turn
// shares with the held history (multi-request: the context), extend it with the rest of the history (the previous
// turn's output ids in multi-turn, then this turn's ids) in one forward of layers 0..r at the history positions —
// layer r runs whole (attention and MLP too), so that its keys join the cache — score every history row with the
// turn's last query (step 2 over the cache's keys), steps 3-4, then step 5 on the selected history ids (a fresh
// cache of all layers). filterMs = the extension + selection, prefillMs = step 5. "rerun" (naive): each turn runs
// steps 1-5 from scratch on the whole history.
#include <algorithm>
#include <numeric>

#include "method.h"

namespace gem {
namespace {

enum class Rounds { Single, KeepFilterLayers, Rerun };

class GemFilter final : public Method {
 public:
  GemFilter(int r, int k, int keep_last, bool recompute, Rounds rounds)
      : r_(r), k_(k), keep_last_(keep_last), recompute_(recompute), rounds_(rounds) {}

  void prefill(PrefillContext& ctx) override {
    if (!recompute_) return prefill_no_recompute(ctx);
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
    std::vector<int> sel = select(pooled, n);
    ctx.filter_ms = timer->elapsed_ms();
    ctx.mem_filter = ctx.mem.phase_peak();

    prefill_kept(ctx, std::move(sel));
  }

  bool per_turn() const override { return rounds_ != Rounds::Single; }

  void context(PrefillContext& ctx) override {
    if (rounds_ == Rounds::Rerun) return;  // nothing up front: every turn starts from scratch
    const int n = static_cast<int>(ctx.ids.size());
    const std::unique_ptr<PhaseTimer> timer = ctx.backend.start_timer();
    ctx.mem.begin_phase();
    // Layers 0..r only hold rows: room for the context and every row the turns may add (ctx.max_new_tokens), reserved
    // in those layers alone, so that the cache never reallocates and its capacity is what it may hold.
    filter_ = ctx.backend.new_cache(0);
    extra_ = ctx.max_new_tokens;
    for (int l = 0; l <= r_; ++l) {
      const int G = filter_->heads(l);
      filter_->keep(l, std::vector<std::vector<int>>(static_cast<size_t>(G)), all_indices(G), n + extra_);
    }
    std::vector<int> pos(static_cast<size_t>(n));
    std::iota(pos.begin(), pos.end(), 0);
    ForwardOptions o;
    o.last_layer = r_;
    ctx.backend.forward(ctx.ids, pos, filter_.get(), o);
    held_ = n;
    ctx.filter_ms = timer->elapsed_ms();
    ctx.mem_filter = ctx.mem.phase_peak();
    ctx.kept_length = n;
  }

  void turn(PrefillContext& ctx, int seen) override {
    if (rounds_ == Rounds::Rerun) return prefill(ctx);
    const int N = static_cast<int>(ctx.ids.size());
    const std::unique_ptr<PhaseTimer> timer = ctx.backend.start_timer();
    ctx.mem.begin_phase();
    if (held_ > seen) {  // multi-request: back to the rows the turn shares (the context)
      for (int l = 0; l <= r_; ++l) {
        const int G = filter_->heads(l);
        filter_->keep(l, std::vector<std::vector<int>>(static_cast<size_t>(G), all_indices(seen)), all_indices(G), extra_);
      }
      held_ = seen;
    }
    const std::vector<int> fresh(ctx.ids.begin() + held_, ctx.ids.end());
    const int T = static_cast<int>(fresh.size());
    std::vector<int> pos(static_cast<size_t>(T));
    std::iota(pos.begin(), pos.end(), held_);
    DVec pooled(MemCat::Workspace);
    ForwardOptions o;
    o.last_layer = r_;
    o.stats = {StatsRequest{r_, StatsMode::RawDot, T - 1, T, -1, StatsAgg::AllSum}};
    o.on_stats = [&](Stats& s, KVCache*) { pooled = avg_pool1d(s.row(0), N, 5); };
    ctx.backend.forward(fresh, pos, filter_.get(), o);
    held_ = N;
    std::vector<int> sel = select(pooled, N);
    ctx.filter_ms = timer->elapsed_ms();
    ctx.mem_filter = ctx.mem.phase_peak();
    prefill_kept(ctx, std::move(sel));
  }

  int64_t kept_bytes() const override { return filter_ ? filter_->bytes() : 0; }

 private:
  // Steps 3's output → step 4: top-min(k, n) by score, the last keepLast forced, sorted; frees the scores.
  std::vector<int> select(DVec& pooled, int n) const {
    const int kp = std::min(k_, n);
    const int forced = std::min(keep_last_, n);
    std::vector<char> allowed(static_cast<size_t>(n), 1);
    for (int j = n - forced; j < n; ++j) allowed[static_cast<size_t>(j)] = 0;
    std::vector<int> sel = top_k_indices(pooled.data(), n, kp - forced, allowed);
    for (int j = n - forced; j < n; ++j) sel.push_back(j);
    std::sort(sel.begin(), sel.end());
    pooled.clear_and_free();
    return sel;
  }

  void prefill_no_recompute(PrefillContext& ctx) {
    const int n = static_cast<int>(ctx.ids.size());
    const std::unique_ptr<PhaseTimer> timer = ctx.backend.start_timer();
    ctx.mem.begin_phase();
    DVec pooled(MemCat::Workspace);
    ctx.logits = dense_prefill(ctx, ctx.ids, 0, {StatsRequest{r_, StatsMode::RawDot, n - 1, n, -1, StatsAgg::AllSum}},
                               [&](Stats& s, KVCache*) { pooled = avg_pool1d(s.row(0), n, 5); }, false);
    std::vector<int> sel = select(pooled, n);
    KVCache& cache = *ctx.cache;
    for (int l = 0; l < cache.layers(); ++l) {
      const int G = cache.heads(l);
      cache.keep(l, std::vector<std::vector<int>>(static_cast<size_t>(G), sel), all_indices(G), ctx.max_new_tokens);
    }
    ctx.prefill_ms = timer->elapsed_ms();
    ctx.mem_prefill = ctx.mem.phase_peak();
    ctx.next_position = n;
    ctx.kept_length = static_cast<int>(sel.size());
    ctx.selection.kind = Selection::Kind::Indices;
    ctx.selection.indices = std::move(sel);
  }

  int r_, k_, keep_last_;
  bool recompute_;
  Rounds rounds_;
  std::unique_ptr<KVCache> filter_;  // keep-filter-layers: layers 0..r's cache over the held history
  int held_ = 0;                     // its rows
  int extra_ = 0;                    // the rows beyond the context the turns may add (its reserve)
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
ParamSpec recompute() {
  ParamSpec p{"recompute", ParamSpec::Kind::Bool,
              "true: the second pass recomputes the selected tokens (GemFilter); false: keep their rows of a full dense "
              "run's cache in every layer, no second pass (the reviewers' ablation)"};
  p.def = true;
  return p;
}
ParamSpec rounds() {
  ParamSpec p{"rounds", ParamSpec::Kind::Enum,
              "with turns: single (one selection on the context), keep-filter-layers (the authors' multi-round scheme: "
              "layers 0..r's cache kept, a selection per turn) or rerun (GemFilter from scratch on the history per turn)"};
  p.def = "single";
  p.values = {"single", "keep-filter-layers", "rerun"};
  return p;
}

}  // namespace

const MethodSpec kGemFilterSpec{
    "gemfilter",
    "GemFilter: layers 0..r select the top-k tokens by the last query's raw attention scores, then the full model runs "
    "on those alone at new positions",
    {filter_layer(), budget_param("tokens kept (top-k by score; the second pass runs on min(k, n) tokens)"), ratio_param(), keep_last(),
     recompute(), rounds()},
    {budget_rule(), {ParamRule::Kind::AtMost, "keepLast", "k", "keepLast forces tokens into the budget k: use keepLast ≤ k"}}};

std::unique_ptr<Method> make_gemfilter(const Params& p) {
  const std::string& r = p.choice("rounds");
  const Rounds rounds = r == "keep-filter-layers" ? Rounds::KeepFilterLayers : r == "rerun" ? Rounds::Rerun : Rounds::Single;
  if (rounds != Rounds::Single && !p.boolean("recompute"))
    throw RunnerError("bad_param", "gemfilter: recompute = false works with rounds = \"single\" only (got rounds = \"" + r + "\")",
                      "the multi-round variants recompute the selection each turn: drop recompute or rounds");
  return std::make_unique<GemFilter>(static_cast<int>(p.integer("filterLayer")), static_cast<int>(p.integer("k")),
                                     static_cast<int>(p.integer("keepLast")), p.boolean("recompute"), rounds);
}

}  // namespace gem
