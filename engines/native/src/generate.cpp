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
#include <numeric>
#include <set>
#include <string>

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

// Greedy decoding after a prefill: `logits` choose the first token; each later step runs the previous token at
// positions pos, pos+1, … through `cache`. ttft = `start` → first token chosen; decode_ms = first token → end.
struct DecodeLimits {
  int max_new = 0, min_new = 0, stop_check_from = 0;
  bool ignore_eos = false;
  std::set<int> eos, stops;
};
struct Decoded {
  std::vector<int> output_ids;
  std::string stop_reason = "length";
  double ttft_ms = 0, decode_ms = 0;
  int decode_tokens = 0;
};
Decoded decode(Backend& backend, KVCache* cache, const DecodeEviction& eviction, std::vector<float> logits, int pos,
               const DecodeLimits& lim, PhaseTimer& start) {
  Decoded d;
  std::set<int> banned_early(lim.eos), none;
  banned_early.insert(lim.stops.begin(), lim.stops.end());
  ForwardOptions o;
  o.want_logits = true;
  o.eviction = eviction;
  std::unique_ptr<PhaseTimer> timer;  // started once the first token is chosen
  for (int step = 0; step < lim.max_new; ++step) {
    if (step > 0) {
      logits = backend.forward({d.output_ids.back()}, {pos}, cache, o);
      ++pos;
      ++d.decode_tokens;
    }
    int tok = argmax(logits, step < lim.min_new ? banned_early : none);
    d.output_ids.push_back(tok);
    if (step == 0) {
      d.ttft_ms = start.elapsed_ms();
      timer = backend.start_timer();
    }
    if (!lim.ignore_eos && step >= lim.stop_check_from) {
      if (lim.eos.count(tok)) { d.stop_reason = "eos"; break; }
      if (lim.stops.count(tok)) { d.stop_reason = "stop"; break; }
    }
  }
  if (timer)
    d.decode_ms = timer->elapsed_ms();
  else
    d.ttft_ms = start.elapsed_ms();
  return d;
}

// A request's or a turn's length against the model: `total` = the last position + 1 it may reach.
void check_length(const ModelConfig& c, const GenerateRequest& req, bool allow_long_input, int64_t total, const std::string& what) {
  const bool capped = req.max_context > 0 && req.max_context < c.max_positions;
  const int64_t limit = capped ? req.max_context : c.max_positions;
  if (total > limit && !allow_long_input)
    throw RunnerError("bad_input",
                      what + " exceeds " + (capped ? "the loaded maxContext " : "the model's max_position_embeddings ") + std::to_string(limit),
                      "shorten the input, or set allowLongInput: true to run past the trained context anyway");
  if (c.sliding_window > 0 && total > c.sliding_window)
    throw RunnerError("unsupported", what + " exceeds the model's sliding_window " + std::to_string(c.sliding_window),
                      "sliding-window attention is not implemented: results are exact only for sequences within the window");
}

DecodeLimits limits_of(const GenerateRequest& req, const ModelConfig& c, const TurnRequest* turn) {
  DecodeLimits lim;
  lim.max_new = turn && turn->max_new_tokens >= 0 ? turn->max_new_tokens : req.max_new_tokens;
  lim.min_new = turn && turn->min_new_tokens >= 0 ? turn->min_new_tokens : req.min_new_tokens;
  lim.stop_check_from = req.stop_check_from;
  lim.ignore_eos = req.ignore_eos;
  const std::vector<int>& eos = req.eos_override ? req.eos_ids : c.eos_ids;
  const std::vector<int>& stops = turn && turn->has_stop_ids ? turn->stop_ids : req.stop_ids;
  lim.eos.insert(eos.begin(), eos.end());
  lim.stops.insert(stops.begin(), stops.end());
  return lim;
}

void check_new_tokens(int max_new, int min_new, const std::string& where) {
  if (max_new < 0)
    throw RunnerError("bad_request", where + "maxNewTokens must be ≥ 0 (got " + std::to_string(max_new) + ")", "");
  if (min_new < 0 || min_new > max_new)
    throw RunnerError("bad_request",
                      where + "minNewTokens = " + std::to_string(min_new) + " must be in [0, maxNewTokens = " + std::to_string(max_new) + "]",
                      "minNewTokens keeps eos and stop ids from being chosen for the first tokens");
}

// Validation of `turns` (PROTOCOL.md): every turn has ids in the vocabulary and valid limits, and the longest
// sequence a turn may reach (context + earlier turns' ids and outputs in multi-turn + its ids + its maxNewTokens)
// fits the model. Returns the rows a cache must hold beyond the context for the turns (its reserve).
int check_turns(const ModelConfig& c, const GenerateRequest& req, bool allow_long_input) {
  const int64_t n = static_cast<int64_t>(req.input_ids.size());
  int64_t extra = 0, history = 0;
  for (size_t t = 0; t < req.turns.size(); ++t) {
    const TurnRequest& turn = req.turns[t];
    const std::string where = "turns[" + std::to_string(t) + "]: ";
    if (turn.input_ids.empty())
      throw RunnerError("bad_request", where + "inputIds is empty", "every turn needs its ids (the question and answer prefix)");
    try {
      check_ids(c, turn.input_ids);
      if (turn.has_stop_ids) check_stop_ids(c, turn.stop_ids, "stopIds");
    } catch (const RunnerError& e) {
      throw RunnerError(e.code, where + e.what(), e.hint);
    }
    const DecodeLimits lim = limits_of(req, c, &turn);
    check_new_tokens(lim.max_new, lim.min_new, where);
    const int64_t rows = static_cast<int64_t>(turn.input_ids.size()) + lim.max_new;
    const int64_t reach = n + (req.multi_turn ? history : 0) + rows;
    check_length(c, req, allow_long_input, reach,
                 where + "context " + std::to_string(n) + (req.multi_turn ? " + earlier turns " + std::to_string(history) : "") +
                     " + turn " + std::to_string(turn.input_ids.size()) + " + maxNewTokens " + std::to_string(lim.max_new));
    history += rows;
    extra = req.multi_turn ? history : std::max(extra, rows);
  }
  if (extra > 2147483647 - n) throw RunnerError("bad_input", "the turns are too long", "");
  return static_cast<int>(extra);
}

// The turns of a context-only request (PROTOCOL.md "turns"), after validation; `mem` is the active tracker.
void run_turns(Backend& backend, const GenerateRequest& req, Method& method, int extra, MemoryTracker& mem, PhaseTimer& request,
               GenerateResult& res) {
  const ModelConfig& c = backend.config();
  const int n = static_cast<int>(req.input_ids.size());
  const bool per_turn = method.per_turn();
  PrefillContext ctx(backend, req.input_ids, extra, mem);
  ctx.want_selection = req.return_selection;
  if (per_turn)
    method.context(ctx);
  else
    method.prefill(ctx);  // the context alone: the method's selection sees only it
  res.kept_length = ctx.kept_length;
  res.filter_ms = ctx.filter_ms;
  res.prefill_ms = ctx.prefill_ms;
  res.mem_filter = ctx.mem_filter;
  res.mem_prefill = ctx.mem_prefill;
  if (req.return_selection && !per_turn) res.selection = std::move(ctx.selection);
  if (req.return_logits) res.first_logits = ctx.logits;

  // The compressed context's rows per layer and head (multi-request cuts every turn's rows back to them).
  std::vector<std::vector<int>> base;
  if (ctx.cache)
    for (int l = 0; l < ctx.cache->layers(); ++l) {
      base.emplace_back();
      for (int h = 0; h < ctx.cache->heads(l); ++h) base.back().push_back(ctx.cache->rows(l, h));
    }
  std::vector<int> history = req.input_ids;  // multi-turn: every id the turns so far saw and produced
  int seen = n;                               // per-turn methods: the leading ids of the next history they were given
  int rows_before = ctx.kept_length;          // generic: the cache's rows (kept context + earlier turns)
  int pos = ctx.next_position;
  std::vector<int> carry;                     // multi-turn, generic: the previous turn's last output (not yet in the cache)
  MemoryBytes decode_peak;
  for (size_t t = 0; t < req.turns.size(); ++t) {
    const TurnRequest& turn = req.turns[t];
    const double turn_start = t == 0 ? request.elapsed_ms() : 0;
    const std::unique_ptr<PhaseTimer> timer = backend.start_timer();
    mem.begin_phase();
    TurnResult tr;
    tr.input_length = static_cast<int>(turn.input_ids.size());
    const DecodeLimits lim = limits_of(req, c, &turn);
    std::unique_ptr<KVCache> own;  // per-turn methods: this turn's decode cache
    KVCache* cache = nullptr;
    std::vector<float> logits;
    if (per_turn) {
      if (!req.multi_turn) history.assign(req.input_ids.begin(), req.input_ids.end());
      tr.cache_length = static_cast<int>(history.size());
      history.insert(history.end(), turn.input_ids.begin(), turn.input_ids.end());
      PrefillContext tctx(backend, history, lim.max_new, mem);
      tctx.want_selection = req.return_selection;
      method.turn(tctx, seen);
      seen = req.multi_turn ? static_cast<int>(history.size()) : n;
      tr.filter_ms = tctx.filter_ms;
      tr.prefill_ms = tctx.prefill_ms;
      tr.kept_length = tctx.kept_length;
      if (req.return_selection) {
        tr.has_selection = true;
        tr.selection = std::move(tctx.selection);
      }
      own = std::move(tctx.cache);
      cache = own.get();
      logits = std::move(tctx.logits);
      pos = tctx.next_position;
    } else {
      cache = ctx.cache.get();
      if (!req.multi_turn && t > 0) {  // restore the compressed context: each head's rows cut back to its kept ones
        for (int l = 0; l < cache->layers(); ++l) {
          std::vector<std::vector<int>> keep;
          for (int rows : base[static_cast<size_t>(l)]) keep.push_back(all_indices(rows));
          cache->keep(l, keep, all_indices(static_cast<int>(keep.size())), extra);
        }
        pos = ctx.next_position;
      }
      tr.cache_length = rows_before;
      tr.kept_length = ctx.kept_length;
      std::vector<int> ids = carry;
      ids.insert(ids.end(), turn.input_ids.begin(), turn.input_ids.end());
      std::vector<int> positions(ids.size());
      std::iota(positions.begin(), positions.end(), pos);
      const std::unique_ptr<PhaseTimer> prefill = backend.start_timer();
      ForwardOptions o;
      o.want_logits = true;
      logits = backend.forward(ids, positions, cache, o);
      tr.prefill_ms = prefill->elapsed_ms();
      pos += static_cast<int>(ids.size());
    }
    if (req.return_logits) tr.first_logits = logits;
    Decoded d = decode(backend, cache, method.decode_eviction(), std::move(logits), pos, lim, *timer);
    if (t == 0) res.ttft_ms = turn_start + d.ttft_ms;
    tr.output_ids = std::move(d.output_ids);
    tr.stop_reason = d.stop_reason;
    tr.ttft_ms = d.ttft_ms;
    tr.decode_ms = d.decode_ms;
    tr.decode_tokens = d.decode_tokens;
    tr.kv = cache ? cache->bytes() : 0;
    tr.filter_kv = method.kept_bytes();
    own.reset();
    tr.total_ms = timer->elapsed_ms();
    const MemoryBytes peak = mem.phase_peak();
    tr.total = peak.total();
    if (peak.total() > decode_peak.total()) decode_peak = peak;
    if (req.multi_turn) {
      if (per_turn) {
        history.insert(history.end(), tr.output_ids.begin(), tr.output_ids.end());
      } else {
        // decoding ran every output but the last through the cache; the last one goes in front of the next turn
        pos += std::max(0, static_cast<int>(tr.output_ids.size()) - 1);
        carry.assign(tr.output_ids.end() - std::min<size_t>(1, tr.output_ids.size()), tr.output_ids.end());
        rows_before += tr.input_length + static_cast<int>(tr.output_ids.size());
      }
    }
    res.turns.push_back(std::move(tr));
  }
  const TurnResult& first = res.turns.front();
  res.output_ids = first.output_ids;
  res.stop_reason = first.stop_reason;
  res.decode_ms = first.decode_ms;
  res.decode_tokens = first.decode_tokens;
  res.mem_decode = decode_peak;
}

}  // namespace

GenerateResult generate(Backend& backend, const GenerateRequest& req, bool allow_long_input) {
  const std::unique_ptr<PhaseTimer> request = backend.start_timer();
  const ModelConfig& c = backend.config();
  // Before the method: a multi-round method keeps a cache across turns, freed with it while the tracker lives.
  MemoryTracker mem;
  ActiveTracker active(&mem);

  const MethodEntry& entry = find_method(req.method);
  const Params params(entry.spec, req.params, c, static_cast<int64_t>(req.input_ids.size()));
  std::unique_ptr<Method> method = entry.make(params);
  check_new_tokens(req.max_new_tokens, req.min_new_tokens, "");
  check_ids(c, req.input_ids);
  check_stop_ids(c, req.stop_ids, "stopIds");
  if (req.eos_override) check_stop_ids(c, req.eos_ids, "eosIds");
  const int64_t n = static_cast<int64_t>(req.input_ids.size());
  int extra = req.max_new_tokens;
  if (req.turns.empty()) {
    if (method->per_turn())
      throw RunnerError("bad_param", req.method + ": rounds = " + params.values()["rounds"].dump() + " needs turns",
                        "a multi-round variant answers the turns of a context-only request: send `turns`, or use rounds \"single\"");
    check_length(c, req, allow_long_input, n + req.max_new_tokens,
                 "input length " + std::to_string(n) + " + maxNewTokens " + std::to_string(req.max_new_tokens));
  } else {
    extra = check_turns(c, req, allow_long_input);
    if (method->decode_eviction().budget > 0)
      throw RunnerError("unsupported", req.method + ": decode-time eviction (evictDuringDecode) with turns is not implemented",
                        "use evictDuringDecode: false with turns (the turns' rows are then kept uncompressed, like every method's)");
  }

  mem.add(MemCat::Weights, backend.weight_bytes());

  GenerateResult res;
  res.input_length = static_cast<int>(n);
  res.params = params.values();
  if (!req.turns.empty()) {
    run_turns(backend, req, *method, extra, mem, *request, res);
    method.reset();  // the kept caches go before the peak is read
    res.mem_peak = mem.overall_peak();
    res.mem_extra = backend.memory_extra();
    res.total_ms = request->elapsed_ms();
    return res;
  }
  PrefillContext ctx(backend, req.input_ids, req.max_new_tokens, mem);
  ctx.want_selection = req.return_selection;
  method->prefill(ctx);
  res.kept_length = ctx.kept_length;
  res.filter_ms = ctx.filter_ms;
  res.prefill_ms = ctx.prefill_ms;
  res.mem_filter = ctx.mem_filter;
  res.mem_prefill = ctx.mem_prefill;
  if (req.return_selection) res.selection = std::move(ctx.selection);
  if (req.return_logits) res.first_logits = ctx.logits;

  mem.begin_phase();
  Decoded d = decode(backend, ctx.cache.get(), method->decode_eviction(), std::move(ctx.logits), ctx.next_position,
                     limits_of(req, c, nullptr), *request);
  res.output_ids = std::move(d.output_ids);
  res.stop_reason = d.stop_reason;
  res.ttft_ms = d.ttft_ms;
  res.decode_ms = d.decode_ms;
  res.decode_tokens = d.decode_tokens;
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
