// streamingllm (StreamingLLM, arXiv 2309.17453; semantics in engines/README.md): dense prefill over n tokens, then every
// layer and KV head keeps the same rows: the first `sinks` prompt positions (attention sinks) and the last k − sinks.
// No statistics. n ≤ k: nothing evicted. The rows are cut after the prefill's forward (no statistics to hook on), so
// the prefill's peak holds the prompt's full KV once. Decode at the original positions (first step at n).
#include <numeric>

#include "method.h"

namespace gem {
namespace {

class StreamingLLM final : public Method {
 public:
  StreamingLLM(int k, int sinks) : k_(k), sinks_(sinks) {}

  void prefill(PrefillContext& ctx) override {
    const int n = static_cast<int>(ctx.ids.size());
    const std::unique_ptr<PhaseTimer> timer = ctx.backend.start_timer();
    ctx.mem.begin_phase();
    prefill_per_layer(ctx, k_, {}, {});
    if (n > k_) {
      std::vector<int> sel(static_cast<size_t>(sinks_));
      std::iota(sel.begin(), sel.end(), 0);
      for (int j = n - (k_ - sinks_); j < n; ++j) sel.push_back(j);
      for (int l = 0; l < ctx.config.num_layers; ++l) keep_same(ctx, *ctx.cache, l, sel);
    }
    ctx.prefill_ms = timer->elapsed_ms();
    ctx.mem_prefill = ctx.mem.phase_peak();
  }

 private:
  int k_, sinks_;
};

ParamSpec p_sinks() {
  ParamSpec p{"sinks", ParamSpec::Kind::Int, "the first prompt tokens always kept (attention sinks; kvpress n_sink 4)"};
  p.def = 4;
  return p;
}

}  // namespace

const MethodSpec kStreamingLLMSpec{
    "streamingllm",
    "StreamingLLM: keep the first `sinks` prompt tokens and the most recent k - sinks, the same in every layer and head",
    {budget_param("cache budget per head, sinks included"), ratio_param(), p_sinks()},
    {budget_rule(), {ParamRule::Kind::AtMost, "sinks", "k", "the budget k includes the sinks; use sinks ≤ k"}}};

std::unique_ptr<Method> make_streamingllm(const Params& p) {
  return std::make_unique<StreamingLLM>(static_cast<int>(p.integer("k")), static_cast<int>(p.integer("sinks")));
}

}  // namespace gem
