// random: the sanity baseline. Chooses k' = min(k, n) of the n input positions uniformly without replacement, sorted
// ascending, then proceeds exactly like gemfilter's second pass: dense prefill of the chosen ids at NEW positions
// 0..k'-1, decoding continues at k'. (Choice: re-positioning like gemfilter, so that "gemfilter vs random" isolates
// the choice of tokens.) filterMs = the selection; prefillMs = the prefill.
//
// PRNG (documented so that anyone can reproduce a selection): splitmix64 with state = seed;
//   next(): state += 0x9E3779B97F4A7C15; z = state; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
//           z = (z ^ (z >> 27)) * 0x94D049BB133111EB; return z ^ (z >> 31)      (all mod 2^64)
// Partial Fisher–Yates over a = [0, 1, …, n-1]: for i = 0 … k'-1: bound = n - i; draw r = next() until
// r ≥ (2^64 - bound) mod bound (rejection, so r mod bound is exactly uniform); j = i + r mod bound; swap a[i], a[j].
// The selection is sort(a[0 … k'-1]).
#include <algorithm>
#include <cstdint>
#include <numeric>

#include "method.h"

namespace gem {

std::vector<int> random_selection(int n, int k, uint64_t seed) {
  uint64_t state = seed;
  auto next = [&state]() {
    state += 0x9E3779B97F4A7C15ULL;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  const int kp = std::min(k, n);
  std::vector<int> a(static_cast<size_t>(n));
  std::iota(a.begin(), a.end(), 0);
  for (int i = 0; i < kp; ++i) {
    uint64_t bound = static_cast<uint64_t>(n - i);
    uint64_t threshold = (0 - bound) % bound;
    uint64_t r;
    do r = next(); while (r < threshold);
    size_t j = static_cast<size_t>(i) + static_cast<size_t>(r % bound);
    std::swap(a[static_cast<size_t>(i)], a[j]);
  }
  a.resize(static_cast<size_t>(kp));
  std::sort(a.begin(), a.end());
  return a;
}

namespace {

class Random final : public Method {
 public:
  Random(int k, uint64_t seed) : k_(k), seed_(seed) {}

  void prefill(PrefillContext& ctx) override {
    const int n = static_cast<int>(ctx.ids.size());
    const std::unique_ptr<PhaseTimer> timer = ctx.backend.start_timer();
    ctx.mem.begin_phase();
    std::vector<int> sel = random_selection(n, k_, seed_);
    ctx.filter_ms = timer->elapsed_ms();
    ctx.mem_filter = ctx.mem.phase_peak();

    prefill_kept(ctx, std::move(sel));
  }

 private:
  int k_;
  uint64_t seed_;
};

ParamSpec p_seed() {
  ParamSpec p{"seed", ParamSpec::Kind::Int, "PRNG seed (splitmix64, documented in methods/random.cpp)"};
  p.def = 0;
  p.max = 9007199254740991LL;
  return p;
}

}  // namespace

const MethodSpec kRandomSpec{"random", "sanity baseline: k tokens uniformly at random, then GemFilter's second pass",
                             {budget_param("tokens kept, uniformly at random (sorted); second pass as GemFilter's"), ratio_param(), p_seed()}, {budget_rule()}};

std::unique_ptr<Method> make_random(const Params& p) {
  return std::make_unique<Random>(static_cast<int>(p.integer("k")), static_cast<uint64_t>(p.integer("seed")));
}

}  // namespace gem
