// A method = how the prompt becomes the KV cache that decoding reads (and, for h2o with evictDuringDecode, how the
// cache is kept at budget while decoding). One file per method; registry.cpp lists them.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../backend.h"
#include "../engine.h"
#include "../json.h"
#include "../memory.h"

namespace gem {

constexpr int64_t kMaxInt = 2147483647;  // upper bound of integer parameters

// What the generate loop hands a method and gets back from its prefill.
struct PrefillContext {
  const Model& model;
  Backend& backend;
  const std::vector<int>& ids;  // the n input ids
  int max_new_tokens = 0;
  MemoryTracker& mem;
  bool want_selection = false;

  // Filled by the method.
  KVCache cache;
  int next_position = 0;  // position of the first generated token's forward step
  int kept_length = 0;
  std::vector<float> logits;  // logits of the last prompt token (they choose the first output token)
  Selection selection;
  double filter_ms = 0, prefill_ms = 0;
  MemoryBytes mem_filter, mem_prefill;  // phase peaks

  PrefillContext(const Model& m, Backend& b, const std::vector<int>& i, int mnt, MemoryTracker& t)
      : model(m), backend(b), ids(i), max_new_tokens(mnt), mem(t) {}
};

class Method {
 public:
  virtual ~Method() = default;
  // Build ctx.cache (+ logits, positions, timings, phase memory, selection).
  virtual void prefill(PrefillContext& ctx) = 0;
  // Hook for decode forward steps (empty: the cache just grows).
  virtual LayerHook decode_hook() { return {}; }
};

// Parses and validates params (throws RunnerError "bad_param"); cfg is the loaded model's config.
using MethodFactory = std::function<std::unique_ptr<Method>(const Json& params, const ModelConfig& cfg)>;
struct MethodEntry {
  const char* name;
  MethodFactory make;
};
const std::vector<MethodEntry>& method_registry();

// ---- shared helpers (methods/common.cpp) ----

// Parameter reader: rejects unknown names, wrong types and out-of-range values with RunnerError("bad_param").
class Params {
 public:
  Params(const std::string& method, const Json& params, const std::vector<std::string>& known);
  bool has(const std::string& key) const;
  int64_t integer(const std::string& key, int64_t lo, int64_t hi) const;           // required
  int64_t integer(const std::string& key, int64_t def, int64_t lo, int64_t hi) const;  // optional
  bool boolean(const std::string& key, bool def) const;
  std::string choice(const std::string& key, const std::string& def, const std::vector<std::string>& allowed) const;
  [[noreturn]] void fail(const std::string& msg, const std::string& hint) const;

 private:
  std::string method_;
  Json params_;
};

// Indices of the `k` largest scores (ties → lower index first), returned sorted ascending. Only indices in
// [0, scores.size()) with allowed[i] (when `allowed` is non-empty) compete.
std::vector<int> top_k_indices(const std::vector<double>& scores, int k, const std::vector<char>& allowed = {});

// 1-D pooling, stride 1, padding kernel/2. avg: zero padding, divisor always `kernel` (count_include_pad);
// max: padding is -inf (never wins).
std::vector<double> avg_pool1d(const std::vector<double>& x, int kernel);
std::vector<double> max_pool1d(const std::vector<double>& x, int kernel);

// Dense prefill of `ids` at positions pos0.. into a fresh ctx.cache; returns last-token logits. Optional per-layer
// hook. reserve_decode: reserve room for the decode rows up front (methods that compress each layer pass false and
// reserve when compressing, so uncompressed capacity is never held for layers not yet reached).
std::vector<float> dense_prefill(PrefillContext& ctx, const std::vector<int>& ids, int pos0, const LayerHook& hook,
                                 bool reserve_decode = true);

// h2o's fused two-pass column sums for query head h: score[j] = Σ_{i≥j} softmax_{j'≤i}(q_i·k_j'/√d)[j], O(n) memory.
// q: [n][H*d], k: [n][G*d].
std::vector<double> causal_column_sums(const float* q, const float* k, int n, int H, int G, int d, int h);

// random's selection (methods/random.cpp documents the PRNG): sorted min(k, n) of [0, n).
std::vector<int> random_selection(int n, int k, uint64_t seed);

// Uniform timing helper.
inline double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// [0, 1, …, n-1]: the "keep everything" selection of one KV head (SnapKV / H2O when k ≥ n).
std::vector<int> all_indices(int n);

// The second pass of the one-set methods (gemfilter, random): dense prefill of the ids at the sorted positions `sel`
// as a new sequence at positions 0..|sel|-1 (decoding continues at |sel|); records prefillMs, the prefill memory
// phase, keptLength and the selection.
void prefill_kept(PrefillContext& ctx, std::vector<int> sel);

}  // namespace gem
