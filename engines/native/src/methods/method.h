// A method = how the prompt becomes the KV cache that decoding reads (and, for h2o with evictDuringDecode, how the
// cache is kept at budget while decoding). One file per method: its parameter spec (declared once, published in the
// runner's hello) and its selector, written against the backend (backend.h): request attention statistics → pool /
// aggregate → top-k → keep. Methods never touch Q or K. registry.cpp lists them.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../backend.h"
#include "../engine.h"
#include "../json.h"
#include "../memory.h"
#include "../select.h"

namespace gem {

constexpr int64_t kMaxInt = 2147483647;  // upper bound of integer parameters

// ---- parameter specs: one per method, the single source of names, types, bounds, defaults and docs ----
struct ParamSpec {
  enum class Kind { Int, Bool, Enum, Number };
  std::string name;
  Kind kind = Kind::Int;
  std::string doc;
  bool required = false;
  Json def{};                        // default (null when required)
  int64_t min = 0, max = kMaxInt;    // Int bounds (inclusive)
  bool below_layers = false;         // Int: also < the model's num_hidden_layers (a 0-based layer index)
  bool odd = false;                  // Int: must be odd
  std::vector<std::string> values{};  // Enum
  double lo = 0, hi = 1;             // Number bounds (hi inclusive; lo inclusive unless lo_open)
  bool lo_open = false;
};
// A cross-parameter rule: `a` > `b` (Greater), `a` ≤ `b` (AtMost) — skipped while either is unset — or exactly one
// of `a` and `b` given (OneOf: k or ratio), with the message's hint.
struct ParamRule {
  enum class Kind { Greater, AtMost, OneOf };
  Kind kind;
  std::string a, b, hint;
};
// A named parameter set (`paramSet`: a peer's published values, e.g. SnapKV's "kvpress"): its values apply unless the
// same parameter is given explicitly with another value (then bad_param).
struct ParamSet {
  std::string name;
  Json values;
};
struct MethodSpec {
  std::string name, description;
  std::vector<ParamSpec> params;
  std::vector<ParamRule> rules;
  std::vector<ParamSet> sets{};
};
Json spec_json(const MethodSpec& s);

// Parameters checked against a spec (and the model, for model-dependent bounds), defaults filled in. Throws
// RunnerError("bad_param") naming the parameter, the allowed range and what was given. A `paramSet` is expanded
// first. With the prompt length n (≥ 0), a budget given as `ratio` is resolved: k = max(round(ratio·n), the least k
// the spec's rules allow: window + 1, recent + 1, sinks, 1), round half away from zero.
class Params {
 public:
  Params(const MethodSpec& spec, const Json& params, const ModelConfig& cfg, int64_t n = -1);
  const Json& values() const { return values_; }
  int64_t integer(const std::string& key) const;
  bool boolean(const std::string& key) const;
  const std::string& choice(const std::string& key) const;
  double number(const std::string& key) const;

 private:
  Json values_;
};

// What the generate loop hands a method and gets back from its prefill.
struct PrefillContext {
  Backend& backend;
  const ModelConfig& config;
  const std::vector<int>& ids;  // the n input ids
  int max_new_tokens = 0;
  MemoryTracker& mem;
  bool want_selection = false;

  // Filled by the method.
  std::unique_ptr<KVCache> cache;
  int next_position = 0;  // position of the first generated token's forward step
  int kept_length = 0;
  std::vector<float> logits;  // logits of the last prompt token (they choose the first output token)
  Selection selection;
  double filter_ms = 0, prefill_ms = 0;  // each phase timed by a backend PhaseTimer (backend.h)
  MemoryBytes mem_filter, mem_prefill;  // phase peaks

  PrefillContext(Backend& b, const std::vector<int>& i, int mnt, MemoryTracker& t)
      : backend(b), config(b.config()), ids(i), max_new_tokens(mnt), mem(t) {}
};

class Method {
 public:
  virtual ~Method() = default;
  // Build ctx.cache (+ logits, positions, timings, phase memory, selection).
  virtual void prefill(PrefillContext& ctx) = 0;
  // Options for every decode forward step (default: the cache just grows).
  virtual DecodeEviction decode_eviction() const { return {}; }

  // ---- multi-round methods (gemfilter rounds ≠ single; PROTOCOL.md "turns") ----
  // true: with `turns`, the method builds each turn's decode cache itself (context() once, then turn() per turn)
  // instead of the generic context-only path (prefill() on the context, each turn prefilled densely on top).
  virtual bool per_turn() const { return false; }
  // Once, on the context (ctx.ids): the method's up-front work; sets timings, phase memory and kept_length.
  virtual void context(PrefillContext&) {}
  // Per turn: ctx.ids = the whole history the turn sees, ending with the turn's ids; its first `seen` ids are those
  // the method was given before and may still hold (multi-request: the context; multi-turn: the previous turn's
  // history). Builds ctx.cache, logits, next_position, kept_length, selection, timings (filter_ms, prefill_ms).
  virtual void turn(PrefillContext&, int /*seen*/) {}
  // Bytes of the cache the method keeps across turns (keep-filter-layers: layers 0..r), 0 for the others.
  virtual int64_t kept_bytes() const { return 0; }
};

// The methods (one file each; registry.cpp lists them in order).
extern const MethodSpec kDenseSpec, kGemFilterSpec, kSnapKVSpec, kH2OSpec, kRandomSpec, kStreamingLLMSpec, kKNormSpec,
    kTovaSpec, kObservedSpec, kPyramidKVSpec, kChunkKVSpec, kAdaSnapKVSpec;
std::unique_ptr<Method> make_dense(const Params& p);
std::unique_ptr<Method> make_gemfilter(const Params& p);
std::unique_ptr<Method> make_snapkv(const Params& p);
std::unique_ptr<Method> make_h2o(const Params& p);
std::unique_ptr<Method> make_random(const Params& p);
std::unique_ptr<Method> make_streamingllm(const Params& p);
std::unique_ptr<Method> make_knorm(const Params& p);
std::unique_ptr<Method> make_tova(const Params& p);
std::unique_ptr<Method> make_observed(const Params& p);
std::unique_ptr<Method> make_pyramidkv(const Params& p);
std::unique_ptr<Method> make_chunkkv(const Params& p);
std::unique_ptr<Method> make_adasnapkv(const Params& p);

using MethodFactory = std::function<std::unique_ptr<Method>(const Params& params)>;
struct MethodEntry {
  const MethodSpec& spec;
  MethodFactory make;
};
const std::vector<MethodEntry>& method_registry();
// The registry entry of `name`; RunnerError("unknown_method") listing the known ones otherwise.
const MethodEntry& find_method(const std::string& name);
// Every method's spec, as published in the hello (`capabilities.methodSpecs`) and by `gem-runner --method-specs`.
Json method_specs_json();

// ---- shared helpers (methods/common.cpp) ----

// Dense prefill of `ids` at positions pos0.. into a fresh ctx.cache; returns last-token logits. Optional statistics
// requests with their callback. reserve_decode: reserve room for the decode rows up front (methods that compress each
// layer pass false and reserve when compressing, so uncompressed capacity is never held for layers not yet reached).
std::vector<float> dense_prefill(PrefillContext& ctx, const std::vector<int>& ids, int pos0,
                                 std::vector<StatsRequest> stats = {}, StatsCallback on_stats = {},
                                 bool reserve_decode = true);

// random's selection (methods/random.cpp documents the PRNG): sorted min(k, n) of [0, n).
std::vector<int> random_selection(int n, int k, uint64_t seed);

// [0, 1, …, n-1]: the "keep everything" selection of one KV head (SnapKV / H2O when k ≥ n).
std::vector<int> all_indices(int n);

// The second pass of the one-set methods (gemfilter, random): dense prefill of the ids at the sorted positions `sel`
// as a new sequence at positions 0..|sel|-1 (decoding continues at |sel|); records prefillMs, the prefill memory
// phase, keptLength and the selection.
void prefill_kept(PrefillContext& ctx, std::vector<int> sel);

// The per-head methods' GQA modes (snapkv, h2o): mean / max over a KV head's query heads, or per query head (the
// official variant, caching H heads).
enum class Gqa { Mean, Max, PerQueryHead };
Gqa parse_gqa(const std::string& s);
ParamSpec gqa_param(const std::string& doc);

// ---- the per-layer selection step of the second-wave methods (scorer × budget rule × forced set) ----

// SnapKV's scoring parameters (snapkv.cpp, and the methods built on its votes: pyramidkv, chunkkv, adasnapkv).
ParamSpec window_param();
ParamSpec pool_param();
ParamSpec kernel_param();
// The budget k of a method (window / sinks / recent included), or `ratio` of the prompt instead: both optional,
// exactly one given (budget_rule()).
ParamSpec budget_param(const std::string& doc);
ParamSpec ratio_param();
ParamRule budget_rule();
// SnapKV's statistics request at layer l for n prompt tokens and window w: ProbSum over rows [n-w, n), keys [0, n-w),
// per query head.
StatsRequest snap_request(int layer, int n, int w);
// SnapKV's votes of one layer (snapkv.cpp steps 1-3): each query head's row of `s` pooled (avg / max, `kernel`), then
// per KV head the mean (sum in head order / group) or max over its query heads: [G][s.keys]. Frees s.data.
std::vector<DVec> snap_kv_votes(Stats& s, int G, bool max_pool, int kernel, Gqa gqa);
// The prefix top-(k - w) of `scores` (ties → lower index) plus the window [n - w, n): one head's SnapKV selection.
std::vector<int> top_plus_window(const double* scores, int n, int w, int k);
// Keeps the same sorted rows `sel` in every KV head of `layer` (room for the decode rows) and records them as the
// layer's per-head selection.
void keep_same(PrefillContext& ctx, KVCache& cache, int layer, const std::vector<int>& sel);
// Runs the dense prefill with per-layer statistics `stats` and `select` (which keeps rows of each layer right after
// it), timing the prefill phase; n ≤ k evicts nothing (no statistics, every index in every KV head). Sets
// next_position = n and kept_length = min(k, n).
void prefill_per_layer(PrefillContext& ctx, int k, std::vector<StatsRequest> stats, StatsCallback select);

}  // namespace gem
