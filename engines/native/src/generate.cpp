// gem::generate and gem::inspect (engine.h): validation, the method's prefill, greedy decode, timings, memory.
//
// Timings, every one a backend PhaseTimer (backend.h: steady_clock on the cpu, CUDA events on a GPU): filterMs and
// prefillMs are measured by the method (see each method file); ttftMs = request start → first output token chosen
// (argmax of the prefill logits); decodeMs = first token chosen → end: the decode forward steps after the first
// token with their argmax, decodeTokens = their count (= outputIds.length - 1 when ≥ 1 token), so
// decodeMs / decodeTokens is ms per generated token; totalMs = request start → end, validation included. ttftMs and
// totalMs are two readings of one timer, so totalMs ≥ ttftMs.
// Memory: the active MemoryTracker counts weights (model.weight_bytes()), kv (the cache), activations and workspace;
// each phase reports its own peak, `peak` the overall one.
#include <algorithm>
#include <memory>
#include <set>

#include "backend.h"
#include "engine.h"
#include "memory.h"
#include "methods/method.h"

namespace gem {

namespace {

// Greedy choice; ids in `banned` are never chosen (HF's MinLengthLogitsProcessor sets their logits to -inf).
int argmax(const std::vector<float>& v, const std::set<int>& banned) {
  int best = -1;
  for (int i = 0; i < static_cast<int>(v.size()); ++i) {
    if (banned.count(i)) continue;
    if (best < 0 || v[static_cast<size_t>(i)] > v[static_cast<size_t>(best)]) best = i;  // ties → lowest id
  }
  return best < 0 ? 0 : best;
}

void check_ids(const ModelConfig& c, const std::vector<int>& ids) {
  if (ids.empty()) throw RunnerError("bad_input", "inputIds is empty", "give at least one token id (e.g. the BOS id)");
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || ids[i] >= c.vocab_size)
      throw RunnerError("bad_input",
                        "token id " + std::to_string(ids[i]) + " at index " + std::to_string(i) +
                            " is outside the vocabulary [0, " + std::to_string(c.vocab_size) + ")",
                        "tokenize with this model's tokenizer");
}

// stopIds / eosIds: an id outside the vocabulary can never be generated, so the stop would never fire — a silent
// "ran to maxNewTokens" instead of the stop asked for.
void check_stop_ids(const ModelConfig& c, const std::vector<int>& ids, const char* key) {
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || ids[i] >= c.vocab_size)
      throw RunnerError("bad_input",
                        std::string(key) + "[" + std::to_string(i) + "] = " + std::to_string(ids[i]) +
                            " is outside the vocabulary [0, " + std::to_string(c.vocab_size) + ")",
                        "a token that can never be generated never stops generation: give this model's ids");
}

}  // namespace

GenerateResult generate(Backend& backend, const GenerateRequest& req, bool allow_long_input) {
  const std::unique_ptr<PhaseTimer> request = backend.start_timer();
  const ModelConfig& c = backend.config();

  const MethodEntry& entry = find_method(req.method);
  const Params params(entry.spec, req.params, c, static_cast<int64_t>(req.input_ids.size()));
  std::unique_ptr<Method> method = entry.make(params);
  if (req.max_new_tokens < 0)
    throw RunnerError("bad_request", "maxNewTokens must be ≥ 0 (got " + std::to_string(req.max_new_tokens) + ")", "");
  if (req.min_new_tokens < 0 || req.min_new_tokens > req.max_new_tokens)
    throw RunnerError("bad_request",
                      "minNewTokens = " + std::to_string(req.min_new_tokens) + " must be in [0, maxNewTokens = " +
                          std::to_string(req.max_new_tokens) + "]",
                      "minNewTokens keeps eos and stop ids from being chosen for the first tokens");
  check_ids(c, req.input_ids);
  check_stop_ids(c, req.stop_ids, "stopIds");
  if (req.eos_override) check_stop_ids(c, req.eos_ids, "eosIds");
  const int64_t n = static_cast<int64_t>(req.input_ids.size());
  const int64_t total = n + req.max_new_tokens;
  const bool capped = req.max_context > 0 && req.max_context < c.max_positions;
  const int64_t limit = capped ? req.max_context : c.max_positions;
  if (total > limit && !allow_long_input)
    throw RunnerError("bad_input",
                      "input length " + std::to_string(n) + " + maxNewTokens " + std::to_string(req.max_new_tokens) +
                          " exceeds " + (capped ? "the loaded maxContext " : "the model's max_position_embeddings ") + std::to_string(limit),
                      "shorten the input, or set allowLongInput: true to run past the trained context anyway");
  if (c.sliding_window > 0 && total > c.sliding_window)
    throw RunnerError("unsupported",
                      "input length " + std::to_string(n) + " + maxNewTokens " + std::to_string(req.max_new_tokens) +
                          " exceeds the model's sliding_window " + std::to_string(c.sliding_window),
                      "sliding-window attention is not implemented: results are exact only for sequences within the window");

  MemoryTracker mem;
  ActiveTracker active(&mem);
  mem.add(MemCat::Weights, backend.weight_bytes());

  GenerateResult res;
  res.input_length = static_cast<int>(n);
  PrefillContext ctx(backend, req.input_ids, req.max_new_tokens, mem);
  ctx.want_selection = req.return_selection;
  method->prefill(ctx);
  res.kept_length = ctx.kept_length;
  res.params = params.values();
  res.filter_ms = ctx.filter_ms;
  res.prefill_ms = ctx.prefill_ms;
  res.mem_filter = ctx.mem_filter;
  res.mem_prefill = ctx.mem_prefill;
  if (req.return_selection) res.selection = std::move(ctx.selection);
  if (req.return_logits) res.first_logits = ctx.logits;

  mem.begin_phase();
  const std::vector<int>& eos_list = req.eos_override ? req.eos_ids : c.eos_ids;
  std::set<int> eos(eos_list.begin(), eos_list.end());
  std::set<int> stops(req.stop_ids.begin(), req.stop_ids.end());
  std::set<int> banned_early(eos), none;
  banned_early.insert(stops.begin(), stops.end());
  std::vector<float> logits = std::move(ctx.logits);
  int pos = ctx.next_position;
  res.stop_reason = "length";
  ForwardOptions o;
  o.want_logits = true;
  o.eviction = method->decode_eviction();
  std::unique_ptr<PhaseTimer> decode;  // started once the first token is chosen
  for (int step = 0; step < req.max_new_tokens; ++step) {
    if (step > 0) {
      logits = backend.forward({res.output_ids.back()}, {pos}, ctx.cache.get(), o);
      ++pos;
      ++res.decode_tokens;
    }
    int tok = argmax(logits, step < req.min_new_tokens ? banned_early : none);
    res.output_ids.push_back(tok);
    if (step == 0) {
      res.ttft_ms = request->elapsed_ms();
      decode = backend.start_timer();
    }
    if (!req.ignore_eos && step >= req.stop_check_from) {
      if (eos.count(tok)) { res.stop_reason = "eos"; break; }
      if (stops.count(tok)) { res.stop_reason = "stop"; break; }
    }
  }
  if (decode)
    res.decode_ms = decode->elapsed_ms();
  else
    res.ttft_ms = request->elapsed_ms();
  res.mem_decode = mem.phase_peak();
  res.mem_peak = mem.overall_peak();
  res.mem_extra = backend.memory_extra();
  res.total_ms = request->elapsed_ms();
  return res;
}

std::vector<InspectLayer> inspect(Backend& backend, const std::vector<int>& input_ids, const std::vector<int>& layers) {
  const ModelConfig& c = backend.config();
  check_ids(c, input_ids);
  if (layers.empty()) throw RunnerError("bad_request", "inspect: layers is empty", "e.g. \"layers\": [0]");
  for (int l : layers)
    if (l < 0 || l >= c.num_layers)
      throw RunnerError("bad_request", "inspect: layer " + std::to_string(l) + " out of range",
                        "layers are 0-based, < " + std::to_string(c.num_layers));
  MemoryTracker mem;
  ActiveTracker active(&mem);
  const int n = static_cast<int>(input_ids.size());
  std::vector<InspectLayer> out;
  for (int l : layers) {
    out.emplace_back();
    out.back().layer = l;
  }
  std::vector<int> pos(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) pos[static_cast<size_t>(i)] = i;
  ForwardOptions o;
  o.last_layer = *std::max_element(layers.begin(), layers.end());
  o.stop_after_qk = true;
  o.capture = &out;
  backend.forward(input_ids, pos, nullptr, o);
  return out;
}

}  // namespace gem
