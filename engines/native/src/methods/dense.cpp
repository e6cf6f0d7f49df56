// dense: full prefill over all n tokens in every layer, KV cache of n rows per layer and KV head, greedy decode.
// prefillMs = the prefill (cache creation, forward over the n tokens, last-token logits on the host); filterMs = 0.
#include "method.h"

namespace gem {
namespace {

class Dense final : public Method {
 public:
  void prefill(PrefillContext& ctx) override {
    const std::unique_ptr<PhaseTimer> timer = ctx.backend.start_timer();
    ctx.mem.begin_phase();
    ctx.logits = dense_prefill(ctx, ctx.ids, 0);
    ctx.prefill_ms = timer->elapsed_ms();
    ctx.mem_prefill = ctx.mem.phase_peak();
    ctx.next_position = static_cast<int>(ctx.ids.size());
    ctx.kept_length = static_cast<int>(ctx.ids.size());
    ctx.selection.kind = Selection::Kind::All;
  }
};

}  // namespace

const MethodSpec kDenseSpec{"dense", "full attention over all n tokens; KV cache of n tokens per layer", {}, {}};

std::unique_ptr<Method> make_dense(const Params&) { return std::make_unique<Dense>(); }

}  // namespace gem
