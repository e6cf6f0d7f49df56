// h2o (heavy hitters + recent; semantics in ../shared/design/METHODS.md):
// dense prefill; then per layer (right after the layer) and query head h:
//   score_h[j] = Σ_{i ≥ j} softmax_j'≤i(q_i,h · k_{g(h),j'} / √d)[j]   — the column sums of the causal attention,
// computed in O(n) extra memory per head with two passes: (1) each row's log-sum-exp lse_i = m_i + log Σ exp(s - m_i);
// (2) recompute p_ij = exp(s_ij - lse_i) and accumulate column sums (i ascending). Never an n×n matrix. Doubles.
// Per KV head: score = mean over its H/G query heads (sum in head order / count). Keep the last `recent` tokens plus
// the top (k - recent) of the others by score (ties → lower index), sorted. n ≤ k: nothing evicted.
// Decode at the original positions (first generated token's step at position n); the cache grows.
//
// evictDuringDecode = true (the H2O paper's fixed budget; not in the GemFilter-repo baseline): every kept row carries
// an accumulated score, initialised with its prefill score above. At each decode step and layer, after the step's
// attention: the new row joins with score 0; for every query head the step's attention probabilities
// softmax(q · K_cacheᵀ / √d) over all cache rows (incl. the new one) are averaged over the KV head's query heads and
// added to the rows' scores; then, if the layer holds more than k rows, per KV head the row with the lowest
// accumulated score among all but the last `recent` rows (ties → the older row) is evicted. So every layer holds
// exactly min(k, rows so far) rows after each step.
#include <algorithm>
#include <cmath>

#include "../cpu/kernels.h"
#include "method.h"

namespace gem {

std::vector<double> causal_column_sums(const float* q, const float* k, int n, int H, int G, int d, int h) {
  const int g = h / (H / G);
  const double inv_sqrt_d = 1.0 / std::sqrt(static_cast<double>(d));
  std::vector<double> s(static_cast<size_t>(n)), lse(static_cast<size_t>(n)), cs(static_cast<size_t>(n), 0.0);
  auto logits_row = [&](int i) {
    const float* qi = q + (static_cast<int64_t>(i) * H + h) * d;
    for (int j = 0; j <= i; ++j) {
      const float* kj = k + (static_cast<int64_t>(j) * G + g) * d;
      double dt = 0;
      for (int e = 0; e < d; ++e) dt += static_cast<double>(qi[e]) * static_cast<double>(kj[e]);
      s[static_cast<size_t>(j)] = dt * inv_sqrt_d;
    }
  };
  for (int i = 0; i < n; ++i) {  // pass 1: row log-sum-exp
    logits_row(i);
    double mx = -INFINITY;
    for (int j = 0; j <= i; ++j) mx = std::max(mx, s[static_cast<size_t>(j)]);
    double z = 0;
    for (int j = 0; j <= i; ++j) z += std::exp(s[static_cast<size_t>(j)] - mx);
    lse[static_cast<size_t>(i)] = mx + std::log(z);
  }
  for (int i = 0; i < n; ++i) {  // pass 2: recompute probabilities, accumulate column sums (i ascending)
    logits_row(i);
    for (int j = 0; j <= i; ++j) cs[static_cast<size_t>(j)] += std::exp(s[static_cast<size_t>(j)] - lse[static_cast<size_t>(i)]);
  }
  return cs;
}

namespace {

class H2O final : public Method {
 public:
  H2O(int k, int recent, bool evict) : k_(k), recent_(recent), evict_(evict) {}

  void prefill(PrefillContext& ctx) override {
    const ModelConfig& c = ctx.model.config;
    const int n = static_cast<int>(ctx.ids.size());
    const int L = c.num_layers, H = c.num_heads, G = c.num_kv_heads, d = c.head_dim, group = H / G;
    model_ = &ctx.model;
    ctx.selection.kind = Selection::Kind::PerHead;
    ctx.selection.per_layer.assign(static_cast<size_t>(L), {});
    acc_.clear();
    for (int l = 0; l < L; ++l) {
      acc_.emplace_back();
      for (int g = 0; g < G; ++g) acc_.back().emplace_back(MemCat::Workspace);
    }

    auto hook = [&](const LayerView& v) {
      const bool evict_now = n > k_;
      // Room for the decode rows: all of them, or with evictDuringDecode at most k + 1 rows at any time.
      const int kept = std::min(n, k_);
      const int rows = evict_ ? std::min(kept + ctx.max_new_tokens, k_ + 1) : kept + ctx.max_new_tokens;
      if (!evict_now) {
        for (auto& b : v.cache->k) b.reserve(static_cast<size_t>(rows) * d);
        for (auto& b : v.cache->v) b.reserve(static_cast<size_t>(rows) * d);
      }
      if (!evict_now && !evict_) {
        ctx.selection.per_layer[static_cast<size_t>(v.layer)].assign(static_cast<size_t>(G), all_indices(n));
        return;
      }
      // Column sums per query head, two passes, O(n) memory per head.
      std::vector<std::vector<double>> col(static_cast<size_t>(H));
      cpu::parallel_for(H, 4.0 * static_cast<double>(n) * n * d * H, [&](int64_t hb, int64_t he) {
        for (int64_t h = hb; h < he; ++h) col[static_cast<size_t>(h)] = causal_column_sums(v.q, v.k, n, H, G, d, static_cast<int>(h));
      });
      std::vector<std::vector<double>> score(static_cast<size_t>(G), std::vector<double>(static_cast<size_t>(n), 0.0));
      for (int g = 0; g < G; ++g) {
        auto& sg = score[static_cast<size_t>(g)];
        for (int h = g * group; h < (g + 1) * group; ++h)
          for (int j = 0; j < n; ++j) sg[static_cast<size_t>(j)] += col[static_cast<size_t>(h)][static_cast<size_t>(j)];
        for (auto& x : sg) x /= group;
      }
      std::vector<std::vector<int>> keep(static_cast<size_t>(G));
      std::vector<int> src(static_cast<size_t>(G));
      for (int g = 0; g < G; ++g) {
        src[static_cast<size_t>(g)] = g;
        if (!evict_now) {
          keep[static_cast<size_t>(g)] = all_indices(n);
        } else {
          const int r = recent_;
          std::vector<char> allowed(static_cast<size_t>(n), 1);
          for (int j = n - r; j < n; ++j) allowed[static_cast<size_t>(j)] = 0;
          std::vector<int> sel = top_k_indices(score[static_cast<size_t>(g)], k_ - r, allowed);
          for (int j = n - r; j < n; ++j) sel.push_back(j);
          keep[static_cast<size_t>(g)] = std::move(sel);
        }
        if (evict_) {
          auto& a = acc_[static_cast<size_t>(v.layer)][static_cast<size_t>(g)];
          a.clear_and_free();
          a.reserve(keep[static_cast<size_t>(g)].size() + 1);
          for (int j : keep[static_cast<size_t>(g)]) a.push_back(score[static_cast<size_t>(g)][static_cast<size_t>(j)]);
        }
      }
      if (evict_now) ctx.cache.compress(v.layer, keep, src, rows - kept);
      ctx.selection.per_layer[static_cast<size_t>(v.layer)] = std::move(keep);
    };

    auto t0 = std::chrono::steady_clock::now();
    ctx.mem.begin_phase();
    ctx.logits = dense_prefill(ctx, ctx.ids, 0, hook, false);
    ctx.prefill_ms = ms_since(t0);
    ctx.mem_prefill = ctx.mem.phase_peak();
    ctx.next_position = n;
    ctx.kept_length = std::min(n, k_);
  }

  LayerHook decode_hook() override {
    if (!evict_) return {};
    return [this](const LayerView& v) { step(v); };
  }

 private:
  void step(const LayerView& v) {
    const ModelConfig& c = model_->config;
    const int H = c.num_heads, G = c.num_kv_heads, d = c.head_dim, group = H / G;
    KVCache::Layer& CL = *v.cache;
    const int len = CL.len;
    const double inv_sqrt_d = 1.0 / std::sqrt(static_cast<double>(d));
    auto& accl = acc_[static_cast<size_t>(v.layer)];
    std::vector<double> s(static_cast<size_t>(len)), add(static_cast<size_t>(len));
    for (int g = 0; g < G; ++g) {
      auto& a = accl[static_cast<size_t>(g)];
      a.push_back(0.0);  // the new row
      std::fill(add.begin(), add.end(), 0.0);
      const float* kg = CL.k[static_cast<size_t>(g)].data();
      for (int h = g * group; h < (g + 1) * group; ++h) {
        const float* q = v.q + static_cast<int64_t>(h) * d;  // one token: [H*d]
        double mx = -INFINITY;
        for (int j = 0; j < len; ++j) {
          double dt = 0;
          for (int e = 0; e < d; ++e) dt += static_cast<double>(q[e]) * static_cast<double>(kg[static_cast<int64_t>(j) * d + e]);
          s[static_cast<size_t>(j)] = dt * inv_sqrt_d;
          mx = std::max(mx, s[static_cast<size_t>(j)]);
        }
        double z = 0;
        for (int j = 0; j < len; ++j) z += std::exp(s[static_cast<size_t>(j)] - mx);
        for (int j = 0; j < len; ++j) add[static_cast<size_t>(j)] += std::exp(s[static_cast<size_t>(j)] - mx) / z;
      }
      for (int j = 0; j < len; ++j) a[static_cast<size_t>(j)] += add[static_cast<size_t>(j)] / group;
      if (len > k_) {  // evict one row in place (capacity stays: k + 1 rows reserved at prefill)
        int victim = -1;
        for (int j = 0; j < len - recent_; ++j)
          if (victim < 0 || a[static_cast<size_t>(j)] < a[static_cast<size_t>(victim)]) victim = j;
        a.erase(static_cast<size_t>(victim), 1);
        CL.k[static_cast<size_t>(g)].erase(static_cast<size_t>(victim) * d, static_cast<size_t>(d));
        CL.v[static_cast<size_t>(g)].erase(static_cast<size_t>(victim) * d, static_cast<size_t>(d));
      }
    }
    if (len > k_) CL.len = len - 1;
  }

  int k_, recent_;
  bool evict_;
  const Model* model_ = nullptr;
  std::vector<std::vector<DVec>> acc_;  // [layer][kv head] accumulated score per cache row (evictDuringDecode)
};

}  // namespace

std::unique_ptr<Method> make_h2o(const Json& params, const ModelConfig&) {
  Params p("h2o", params, {"k", "recent", "evictDuringDecode"});
  int recent = static_cast<int>(p.integer("recent", 32, 0, kMaxInt - 1));
  int k = static_cast<int>(p.integer("k", 1, kMaxInt));
  if (k <= recent)
    p.fail("h2o: k = " + std::to_string(k) + " must be greater than recent = " + std::to_string(recent),
           "the budget k includes the recent window; use k > recent (or a smaller recent)");
  bool evict = p.boolean("evictDuringDecode", false);
  return std::make_unique<H2O>(k, recent, evict);
}

}  // namespace gem
