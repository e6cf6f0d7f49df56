// What the protocol layer asks of the compute side: generate with a method, and inspect Q/K for tests.
// Implemented by the backend + methods (forward pass, selectors); called by the protocol loop (runner.cpp).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "json.h"
#include "model.h"

namespace gem {

// One turn of a context-only request (PROTOCOL.md "turns"): its ids are prefilled densely on top of the compressed
// context; unset limits (-1 / has_stop_ids false) fall back to the request's.
struct TurnRequest {
  std::vector<int> input_ids;
  int max_new_tokens = -1;
  int min_new_tokens = -1;
  bool has_stop_ids = false;
  std::vector<int> stop_ids;
};

struct GenerateRequest {
  std::vector<int> input_ids;   // the whole prompt, or with `turns` the context alone
  std::string method = "dense";  // dense | gemfilter | snapkv | h2o | random
  Json params;                   // the method's parameter object from the request (may be null)
  int max_new_tokens = 16;
  int min_new_tokens = 0;        // the first min_new_tokens outputs are never an eos or stop id (HF's min_length)
  std::vector<int> stop_ids;     // in addition to the eos ids
  bool eos_override = false;     // true: eos_ids below replace the model's eos ids
  std::vector<int> eos_ids;      // with eos_override (may be empty: then only stop_ids stop)
  int stop_check_from = 0;       // eos/stop ids end generation only at output index ≥ this (1: never on the first token)
  bool ignore_eos = false;       // ignore eos AND stop ids: decode exactly max_new_tokens
  bool return_selection = false;
  bool return_logits = false;
  int max_context = 0;           // > 0: inputs + new tokens must fit in min(this, max_position_embeddings)
  std::vector<TurnRequest> turns;  // non-empty: context-only compression, then these turns
  bool multi_turn = false;         // turnMode "multi-turn" (turns accumulate) vs "multi-request" (cache restored)
};

struct MemoryBytes {
  int64_t weights = 0, kv = 0, activations = 0, workspace = 0;
  int64_t total() const { return weights + kv + activations + workspace; }
};

struct Selection {
  enum class Kind { All, Indices, PerHead, PerQueryHead } kind = Kind::All;
  std::vector<int> indices;                          // Indices
  std::vector<std::vector<std::vector<int>>> per_layer;  // [layer][head] sorted ascending
};

// One turn's answer (PROTOCOL.md "turns").
struct TurnResult {
  std::vector<int> output_ids;
  std::string stop_reason;
  int input_length = 0;   // this turn's ids
  int cache_length = 0;   // rows before this turn (see PROTOCOL.md)
  int kept_length = 0;    // rows of the compressed prompt this turn decodes over (a per-turn selection's k')
  double filter_ms = 0, prefill_ms = 0, ttft_ms = 0, decode_ms = 0, total_ms = 0;
  int decode_tokens = 0;
  int64_t kv = 0, filter_kv = 0, total = 0;  // bytes: KV held at the end, the kept layers 0..r, the turn's peak
  bool has_selection = false;
  Selection selection;
  std::vector<float> first_logits;  // filled when return_logits
};

struct GenerateResult {
  std::vector<int> output_ids;
  int input_length = 0;
  int kept_length = 0;
  Json params;               // the method's parameters as run: defaults filled, paramSet expanded, a ratio's k resolved
  std::string stop_reason;  // eos | stop | length
  double filter_ms = 0, prefill_ms = 0, decode_ms = 0, ttft_ms = 0, total_ms = 0;
  int decode_tokens = 0;
  MemoryBytes mem_filter, mem_prefill, mem_decode, mem_peak;  // peak bytes per phase and overall
  std::vector<std::pair<std::string, double>> mem_extra;  // Backend::memory_extra() at the end (memory.extra)
  Selection selection;       // filled when return_selection
  std::vector<float> first_logits;  // filled when return_logits
  std::vector<TurnResult> turns;    // one per request turn (then output_ids / stop_reason are the first turn's)
};

struct InspectLayer {
  int layer = 0;
  std::vector<float> q;  // [n][H*d] post-RoPE
  std::vector<float> k;  // [n][G*d] post-RoPE
};

// Names of the methods this build knows, in registry order.
std::vector<std::string> method_names();

class Backend;

// Validate the request against the backend's model (method known, params in range, ids < vocab, length ≤ positions —
// or max_context — unless allow_long_input; within a sliding window, always) — throws RunnerError(code, message,
// hint) — then run it.
GenerateResult generate(Backend& backend, const GenerateRequest& req, bool allow_long_input);

// Dense prefill over input_ids; returns post-RoPE Q and K of the requested layers.
std::vector<InspectLayer> inspect(Backend& backend, const std::vector<int>& input_ids, const std::vector<int>& layers);

}  // namespace gem
