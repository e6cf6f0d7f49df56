// gemfilter (GemFilter, paper Algorithm 1; semantics in ../shared/design/METHODS.md):
//  1. filter pass: layers 0..r over all n tokens at their original positions, without a KV cache (each layer's K/V
//     are dropped when the layer is done; layer r computes only Q and K);
//  2. score[j] = Σ_h q_last,h · K_{g(h),j} (post-RoPE, raw dot product: no 1/√d, no softmax), accumulated in double
//     in the order (h, i);
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
    const ModelConfig& c = ctx.model.config;
    const int n = static_cast<int>(ctx.ids.size());
    const int H = c.num_heads, G = c.num_kv_heads, d = c.head_dim, group = H / G;

    auto t0 = std::chrono::steady_clock::now();
    ctx.mem.begin_phase();
    DVec score(MemCat::Workspace, static_cast<size_t>(n), 0.0);
    std::vector<int> pos(static_cast<size_t>(n));
    std::iota(pos.begin(), pos.end(), 0);
    ForwardOptions o;
    o.last_layer = r_;
    o.stop_after_qk = true;
    o.hook = [&](const LayerView& v) {
      const float* ql = v.q + static_cast<int64_t>(n - 1) * H * d;
      for (int j = 0; j < n; ++j) {
        const float* kj = v.k + static_cast<int64_t>(j) * G * d;
        double s = 0;
        for (int h = 0; h < H; ++h) {
          const float* qh = ql + static_cast<int64_t>(h) * d;
          const float* kg = kj + static_cast<int64_t>(h / group) * d;
          for (int i = 0; i < d; ++i) s += static_cast<double>(qh[i]) * static_cast<double>(kg[i]);
        }
        score[static_cast<size_t>(j)] = s;
      }
    };
    ctx.backend.forward(ctx.model, ctx.ids, pos, nullptr, o);

    std::vector<double> pooled = avg_pool1d(score.vec(), 5);
    const int kp = std::min(k_, n);
    const int forced = std::min(keep_last_, n);
    std::vector<char> allowed(static_cast<size_t>(n), 1);
    for (int j = n - forced; j < n; ++j) allowed[static_cast<size_t>(j)] = 0;
    std::vector<int> sel = top_k_indices(pooled, kp - forced, allowed);
    for (int j = n - forced; j < n; ++j) sel.push_back(j);
    std::sort(sel.begin(), sel.end());
    score.clear_and_free();
    ctx.filter_ms = ms_since(t0);
    ctx.mem_filter = ctx.mem.phase_peak();

    prefill_kept(ctx, std::move(sel));
  }

 private:
  int r_, k_, keep_last_;
};

}  // namespace

std::unique_ptr<Method> make_gemfilter(const Json& params, const ModelConfig& cfg) {
  Params p("gemfilter", params, {"filterLayer", "k", "keepLast"});
  int r = static_cast<int>(p.integer("filterLayer", 0, cfg.num_layers - 1));
  int k = static_cast<int>(p.integer("k", 1, kMaxInt));
  int keep_last = static_cast<int>(p.integer("keepLast", 0, 0, k));
  return std::make_unique<GemFilter>(r, k, keep_last);
}

}  // namespace gem
