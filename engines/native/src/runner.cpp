// gem-runner: the protocol loop (PROTOCOL.md). One JSON object per line on stdin → one per line on stdout; logs on
// stderr. Every failure is a structured error and the loop goes on; only `shutdown`, EOF, and the test-only `fault`
// op end the process.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <new>
#include <string>
#include <thread>

#include "backend.h"
#include "build_id.h"
#include "cpu/fast.h"
#include "engine.h"
#include "methods/method.h"
#include "selftest.h"
#include "json.h"
#include "json_reader.h"
#include "model.h"
#include "threads.h"

namespace gem {
namespace {

constexpr int kProtocol = 1;

void log(const std::string& msg) { std::fprintf(stderr, "[gem-runner] %s\n", msg.c_str()); }

// Typed request fields: errors name the field and what was expected (bad_request).
JsonReader request_reader(const Json& j) {
  return JsonReader(j, "bad_request", [](const std::string& key) { return "field '" + key + "'"; }, "see engines/native/PROTOCOL.md");
}

Json memory_json(const MemoryBytes& m) {
  Json o = Json::object();
  o.set("weights", m.weights);
  o.set("kv", m.kv);
  o.set("activations", m.activations);
  o.set("workspace", m.workspace);
  o.set("total", m.total());
  return o;
}

Json selection_json(const Selection& s) {
  Json o = Json::object();
  switch (s.kind) {
    case Selection::Kind::All: o.set("kind", "all"); break;
    case Selection::Kind::Indices:
      o.set("kind", "indices");
      o.set("indices", Json::array_of(s.indices));
      break;
    case Selection::Kind::PerHead:
    case Selection::Kind::PerQueryHead: {
      o.set("kind", s.kind == Selection::Kind::PerHead ? "perHead" : "perQueryHead");
      Json layers = Json::array();
      for (const auto& layer : s.per_layer) {
        Json heads = Json::array();
        for (const auto& h : layer) heads.push(Json::array_of(h));
        layers.push(std::move(heads));
      }
      o.set("perLayer", std::move(layers));
      break;
    }
  }
  return o;
}

Json rows_json(const std::vector<float>& flat, int rows, int width) {
  Json out = Json::array();
  for (int r = 0; r < rows; ++r) {
    Json row = Json::array();
    for (int i = 0; i < width; ++i) row.push(Json(static_cast<double>(flat[static_cast<size_t>(r) * width + i])));
    out.push(std::move(row));
  }
  return out;
}

class Runner {
 public:
  Runner(std::unique_ptr<Backend> backend, bool allow_faults) : backend_(std::move(backend)), allow_faults_(allow_faults) {}

  Json hello() const {
    Json caps = Json::object();
    caps.set("backends", Json::array_of(backend_names()));
    caps.set("methods", Json::array_of(method_names()));
    caps.set("methodSpecs", method_specs_json());
    caps.set("dtypes", Json::array_of(backend_->dtypes()));
    caps.set("families", Json::array_of(std::vector<std::string>{"llama", "mistral", "qwen2", "phi3"}));
    caps.set("presets", Json::array_of(synthetic_preset_names()));
    // generate's `turns` (PROTOCOL.md): a runner without this key ignores turns, so a harness checks it first
    caps.set("turnModes", Json::array_of(std::vector<std::string>{"multi-request", "multi-turn"}));
    caps.set("ops", Json::array_of(std::vector<std::string>{"load", "describe", "generate", "inspect", "export", "unload", "shutdown"}));
    Json h = Json::object();
    h.set("type", "hello");
    h.set("protocol", kProtocol);
    h.set("build", GEM_BUILD_ID);
    h.set("backend", backend_->name());
    h.set("device", backend_->device_name());
    const std::string cc = backend_->compute_capability();
    h.set("computeCapability", cc.empty() ? Json() : Json(cc));
    h.set("timer", backend_->timer_clock());
    // The cpu kernel set (--kernels) and the instruction set its fast kernels use; the cpu device name repeats it.
    h.set("kernels", std::string(cpu::kernel_set_name(cpu::kernel_set())) + "/" + cpu::fast_isa());
    h.set("capabilities", caps);
    return h;
  }

  // Returns false when the loop should end (shutdown).
  bool handle(const std::string& line, std::string& out) {
    Json id;
    bool keep_going = true;
    Json resp = Json::object();
    try {
      Json req;
      try {
        req = Json::parse(line);
      } catch (const JsonError& e) {
        throw RunnerError("bad_json", std::string("request is not valid JSON: ") + e.what(), "send one JSON object per line");
      }
      if (!req.is_object()) throw RunnerError("bad_request", "a request must be a JSON object", "e.g. {\"id\":1,\"op\":\"load\",…}");
      id = req["id"];
      const JsonReader r = request_reader(req);
      const std::string op = r.present("op") ? r.string("op") : "";
      Json result;
      if (op == "load") result = load(r);
      else if (op == "describe") result = describe(r);
      else if (op == "generate") result = generate(r);
      else if (op == "inspect") result = inspect(r);
      else if (op == "export") result = export_model(r);
      else if (op == "unload") {
        backend_->unload();
        result = Json::object();
      } else if (op == "shutdown") {
        result = Json::object();
        keep_going = false;
      } else if (op == "fault") {
        fault(r);
      } else {
        throw RunnerError("bad_request", op.empty() ? "request has no 'op'" : "unknown op '" + op + "'",
                          "ops: load, describe, generate, inspect, export, unload, shutdown");
      }
      resp.set("id", id);
      resp.set("ok", true);
      resp.set("result", std::move(result));
    } catch (const RunnerError& e) {
      resp = error(id, e.code, e.what(), e.hint);
    } catch (const JsonError& e) {
      resp = error(id, "bad_request", e.what(), "see engines/native/PROTOCOL.md");
    } catch (const std::bad_alloc&) {
      resp = error(id, "out_of_memory", "the runner ran out of host memory", "use a shorter input or a smaller model");
    } catch (const std::exception& e) {
      resp = error(id, "internal", e.what(), "this is a runner bug: please report the request");
    }
    out = resp.dump();
    return keep_going;
  }

 private:
  static Json error(const Json& id, const std::string& code, const std::string& msg, const std::string& hint) {
    Json err = Json::object();
    err.set("code", code);
    err.set("message", msg);
    err.set("hint", hint);
    Json resp = Json::object();
    resp.set("id", id);
    resp.set("ok", false);
    resp.set("error", err);
    return resp;
  }

  Backend& need_model() const {
    if (!backend_->loaded()) throw RunnerError("no_model", "no model is loaded", "send a load request first");
    return *backend_;
  }

  // What load and describe answer: the architecture as parsed, and the weights' footprint (describe: in fp32, before
  // any weight is read; load: as held).
  static Json model_info(const ModelConfig& c, const std::string& source, int max_context, int64_t weight_bytes) {
    Json o = Json::object();
    o.set("family", c.model_type);
    o.set("modelType", c.model_type);
    o.set("source", source);
    o.set("layers", c.num_layers);
    o.set("hiddenSize", c.hidden_size);
    o.set("heads", c.num_heads);
    o.set("kvHeads", c.num_kv_heads);
    o.set("headDim", c.head_dim);
    o.set("intermediateSize", c.intermediate_size);
    o.set("vocabSize", c.vocab_size);
    o.set("maxPositions", c.max_positions);
    o.set("maxContext", max_context > 0 ? Json(max_context) : Json());
    o.set("slidingWindow", c.sliding_window > 0 ? Json(c.sliding_window) : Json());
    o.set("eosIds", Json::array_of(c.eos_ids));
    o.set("bosId", c.bos_id >= 0 ? Json(c.bos_id) : Json());
    o.set("tiedEmbeddings", c.tie_embeddings);
    o.set("qkvBias", c.qkv_bias);
    o.set("ropeScaling", c.rope.type);
    o.set("parameterCount", fp32_weight_bytes(c) / 4);
    Json res = Json::object();
    res.set("weights", weight_bytes);
    res.set("total", weight_bytes);
    o.set("residentBytes", res);
    return o;
  }

  struct Source {
    std::string name;
    uint64_t seed = 0;
    int max_context = 0;
    bool synthetic = false;
    std::string dtype;  // the backend's dtype the model is (or would be) held in
  };
  Source source_of(const JsonReader& r) const {
    Source s;
    s.name = r.string("model");
    const std::vector<std::string> dtypes = backend_->dtypes();
    const std::string asked = r.present("dtype") ? r.string("dtype") : "auto";
    const std::string dtype = asked == "auto" ? dtypes.front() : asked;  // auto: the backend's own
    if (std::find(dtypes.begin(), dtypes.end(), dtype) == dtypes.end())
      throw RunnerError("unsupported", "dtype '" + dtype + "' is not available on the " + backend_->name() + " backend",
                        "this backend computes in " + dtypes.front() + ": use dtype " + dtypes.front());
    s.dtype = dtype;
    s.max_context = static_cast<int>(r.integer_or("maxContext", 0, 1, 2147483647));
    s.seed = static_cast<uint64_t>(r.integer_or("seed", 0, 0, 9007199254740991LL));
    s.synthetic = s.name.rfind("synthetic:", 0) == 0;
    if (!s.synthetic && r.present("overrides") && r.raw("overrides").size() > 0)
      throw RunnerError("bad_request", "overrides apply to synthetic models only", "edit the folder's config.json instead");
    return s;
  }

  // The model's info without loading any weight (for planning and for `gembench list`).
  Json describe(const JsonReader& r) {
    const Source s = source_of(r);
    Json raw;
    const ModelConfig c = s.synthetic ? parse_hf_config(synthetic_config(s.name.substr(10), r.raw("overrides")), s.name)
                                      : read_hf_folder_config(s.name, &raw);
    Json o = model_info(c, s.name, s.max_context, fp32_weight_bytes(c));
    o.set("dtype", s.dtype);
    return o;
  }

  Json load(const JsonReader& r) {
    const Source s = source_of(r);
    const auto t0 = std::chrono::steady_clock::now();
    LoadSpec spec;
    spec.model = s.name;
    spec.overrides = r.raw("overrides");
    spec.seed = s.seed;
    spec.max_context = s.max_context;
    backend_->load(spec);
    const double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    max_context_ = s.max_context;
    const ModelConfig& c = backend_->config();
    // What the weights are held in: the cpu computes in fp32 from a 16-bit checkpoint's matrices kept as they are.
    const std::string weight_dtype = backend_->weight_dtype();
    log("loaded " + backend_->source() + " (" + c.model_type + ", " + std::to_string(c.num_layers) + " layers, " + weight_dtype +
        " weights) on " + backend_->name() + " in " + std::to_string(static_cast<int>(load_ms)) + " ms");
    Json o = model_info(c, backend_->source(), max_context_, backend_->weight_bytes());
    o.set("dtype", s.dtype);
    o.set("weightDtype", weight_dtype);
    o.set("loadMs", load_ms);
    return o;
  }

  Json generate(const JsonReader& r) {
    Backend& m = need_model();
    GenerateRequest g;
    g.input_ids = r.int_list("inputIds", true);
    const Json& method = r.raw("method");
    if (method.is_string()) {
      g.method = method.as_string();
    } else if (method.is_object()) {
      const JsonReader mr = request_reader(method);
      g.method = mr.string("name");
      g.params = method["params"];
    } else {
      r.fail("method", "must be {\"name\": …, \"params\": {…}} or a method name", "", "methods: " + [] {
        std::string names;
        for (const auto& n : method_names()) names += (names.empty() ? "" : ", ") + n;
        return names;
      }());
    }
    g.max_new_tokens = static_cast<int>(r.integer_or("maxNewTokens", 16, 0, 1 << 30));
    g.min_new_tokens = static_cast<int>(r.integer_or("minNewTokens", 0, 0, 1 << 30));
    g.stop_ids = r.int_list("stopIds", false);
    if (r.present("eosIds")) {
      g.eos_override = true;
      g.eos_ids = r.int_list("eosIds", true);
    }
    g.stop_check_from = static_cast<int>(r.integer_or("stopCheckFrom", 0, 0, 1 << 30));
    g.ignore_eos = r.boolean("ignoreEos", false);
    g.return_selection = r.boolean("returnSelection", false);
    g.return_logits = r.boolean("returnLogits", false);
    g.max_context = max_context_;
    read_turns(r, g);
    GenerateResult res = gem::generate(m, g, r.boolean("allowLongInput", false));

    Json o = Json::object();
    o.set("outputIds", Json::array_of(res.output_ids));
    o.set("inputLength", res.input_length);
    o.set("keptLength", res.kept_length);
    o.set("params", res.params);
    o.set("stopReason", res.stop_reason);
    Json t = Json::object();
    t.set("filterMs", res.filter_ms);
    t.set("prefillMs", res.prefill_ms);
    t.set("decodeMs", res.decode_ms);
    t.set("decodeTokens", res.decode_tokens);
    t.set("ttftMs", res.ttft_ms);
    t.set("totalMs", res.total_ms);
    o.set("timings", t);
    Json phases = Json::object();
    phases.set("filter", memory_json(res.mem_filter));
    phases.set("prefill", memory_json(res.mem_prefill));
    phases.set("decode", memory_json(res.mem_decode));
    Json mem = Json::object();
    mem.set("phases", phases);
    mem.set("peak", memory_json(res.mem_peak));
    if (!res.mem_extra.empty()) {
      Json extra = Json::object();
      for (const auto& e : res.mem_extra) extra.set(e.first, e.second);
      mem.set("extra", extra);
    }
    o.set("memory", mem);
    // With a multi-round method the selections are per turn; the top level has none (no context compression).
    if (g.return_selection && (res.turns.empty() || !res.turns.front().has_selection)) o.set("selection", selection_json(res.selection));
    // (keep-filter-layers / rerun compute no logits over the context: then none at the top level)
    if (g.return_logits && (g.turns.empty() || !res.first_logits.empty())) o.set("firstLogits", logits_json(res.first_logits));
    if (!g.turns.empty()) {
      Json turns = Json::array();
      for (const TurnResult& tr : res.turns) turns.push(turn_json(tr, g.return_logits));
      o.set("turns", std::move(turns));
    }
    return o;
  }

  // `turns` and `turnMode` (PROTOCOL.md "turns"): each turn {inputIds, maxNewTokens?, minNewTokens?, stopIds?}.
  static void read_turns(const JsonReader& r, GenerateRequest& g) {
    if (r.present("turnMode")) {
      const std::string mode = r.string("turnMode");
      if (mode != "multi-request" && mode != "multi-turn")
        r.fail("turnMode", "must be \"multi-request\" or \"multi-turn\" (got \"" + mode + "\")");
      if (!r.present("turns")) r.fail("turnMode", "needs turns", "bad_request", "send turns: [{\"inputIds\": […]}, …]");
      g.multi_turn = mode == "multi-turn";
    }
    if (!r.present("turns")) return;
    const Json& turns = r.raw("turns");
    if (!turns.is_array()) r.fail("turns", "must be an array of {\"inputIds\": […], …}");
    if (turns.size() == 0) r.fail("turns", "is empty", "bad_request", "give at least one turn, or leave turns out (the whole prompt in inputIds)");
    for (size_t i = 0; i < turns.size(); ++i) {
      const Json& t = turns.as_array()[i];
      const std::string name = "turns[" + std::to_string(i) + "]";
      if (!t.is_object()) r.fail("turns", "element " + std::to_string(i) + " must be an object {\"inputIds\": […], …}");
      const JsonReader tr(t, "bad_request", [name](const std::string& key) { return "field '" + name + "." + key + "'"; },
                          "see engines/native/PROTOCOL.md (turns)");
      TurnRequest turn;
      turn.input_ids = tr.int_list("inputIds", true);
      turn.max_new_tokens = static_cast<int>(tr.integer_or("maxNewTokens", -1, 0, 1 << 30));
      turn.min_new_tokens = static_cast<int>(tr.integer_or("minNewTokens", -1, 0, 1 << 30));
      turn.has_stop_ids = tr.present("stopIds");
      turn.stop_ids = tr.int_list("stopIds", false);
      for (const auto& kv : t.as_object())
        if (kv.first != "inputIds" && kv.first != "maxNewTokens" && kv.first != "minNewTokens" && kv.first != "stopIds")
          tr.fail(kv.first, "is not a turn field", "bad_request", "a turn has inputIds, maxNewTokens, minNewTokens, stopIds");
      g.turns.push_back(std::move(turn));
    }
  }

  static Json logits_json(const std::vector<float>& logits) {
    Json lg = Json::array();
    for (float x : logits) lg.push(Json(static_cast<double>(x)));
    return lg;
  }

  static Json turn_json(const TurnResult& tr, bool logits) {
    Json o = Json::object();
    o.set("outputIds", Json::array_of(tr.output_ids));
    o.set("stopReason", tr.stop_reason);
    o.set("inputLength", tr.input_length);
    o.set("cacheLength", tr.cache_length);
    o.set("keptLength", tr.kept_length);
    Json t = Json::object();
    t.set("filterMs", tr.filter_ms);
    t.set("prefillMs", tr.prefill_ms);
    t.set("ttftMs", tr.ttft_ms);
    t.set("decodeMs", tr.decode_ms);
    t.set("decodeTokens", tr.decode_tokens);
    t.set("totalMs", tr.total_ms);
    o.set("timings", t);
    Json mem = Json::object();
    mem.set("kv", tr.kv);
    mem.set("filterKv", tr.filter_kv);
    mem.set("total", tr.total);
    o.set("memory", mem);
    if (tr.has_selection) o.set("selection", selection_json(tr.selection));
    if (logits) o.set("firstLogits", logits_json(tr.first_logits));
    return o;
  }

  Json inspect(const JsonReader& r) {
    Backend& m = need_model();
    std::vector<int> ids = r.int_list("inputIds", true);
    std::vector<int> layers = r.int_list("layers", true);
    const ModelConfig& c = m.config();
    Json out = Json::array();
    for (const auto& il : gem::inspect(m, ids, layers)) {
      Json l = Json::object();
      l.set("layer", il.layer);
      l.set("q", rows_json(il.q, static_cast<int>(ids.size()), c.num_heads * c.head_dim));
      l.set("k", rows_json(il.k, static_cast<int>(ids.size()), c.num_kv_heads * c.head_dim));
      out.push(std::move(l));
    }
    Json o = Json::object();
    o.set("layers", out);
    return o;
  }

  Json export_model(const JsonReader& r) {
    const Model* m = need_model().host_model();
    if (!m)
      throw RunnerError("unsupported", "export needs the weights on the host; the " + backend_->name() + " backend keeps them on the device",
                        "export with a cpu runner (--devices cpu): the weights are the same for the same model and seed");
    const std::string dtype = r.string_or("dtype", "f32");
    if (dtype != "f32" && dtype != "bf16")
      throw RunnerError("bad_param", "export: dtype '" + dtype + "' is not f32 or bf16", "f32 (default) or bf16 (rounded to nearest even)");
    ExportResult e = export_hf_folder(*m, r.string("dir"), r.boolean("overwrite", false), dtype == "bf16");
    Json o = Json::object();
    o.set("dir", r.string("dir"));
    o.set("files", Json::array_of(e.files));
    o.set("bytes", e.bytes);
    return o;
  }

  void fault(const JsonReader& r) {
    if (!allow_faults_) throw RunnerError("bad_request", "fault injection is disabled in this runner", "start it with --allow-faults (tests only)");
    const std::string kind = r.string("kind");
    log("fault injection: " + kind);
    if (kind == "crash") std::abort();
    if (kind == "hang")
      for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
    if (kind == "exit") std::_Exit(3);
    throw RunnerError("bad_request", "unknown fault kind '" + kind + "'", "crash, hang or exit");
  }

  std::unique_ptr<Backend> backend_;
  bool allow_faults_;
  int max_context_ = 0;
};

const char* kUsage =
    "usage: gem-runner [--backend cpu|cuda] [--device N] [--threads N] [--kernels fast|reference] [--allow-faults]\n"
    "       gem-runner --method-specs              every method's parameter spec (JSON) and exit\n"
    "       gem-runner selftest [--backend X] [--device N] [--threads N] [--kernels fast|reference]\n"
    "                                              every op of a backend against the cpu reference at awkward shapes\n"
    "       gem-runner gemm-bench [--threads N] [--quick]\n"
    "                                              the cpu's fp32 FMA peak vs the fast and reference GEMM/attention\n"
    "                                              (GFLOP/s, % of peak, load average; one JSON line)\n"
    "Speaks the gembench runner protocol (engines/native/PROTOCOL.md): JSON lines on stdin/stdout, logs on stderr.\n";

}  // namespace
}  // namespace gem

int main(int argc, char** argv) {
  using namespace gem;
  bool allow_faults = false, selftest = false, gemm_bench = false, quick = false;
  std::string backend = "cpu";
  int device = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "gem-runner: %s needs a value\n%s", name, kUsage);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "selftest" && i == 1) {
      selftest = true;
    } else if (a == "gemm-bench" && i == 1) {
      gemm_bench = true;
    } else if (a == "--quick" && gemm_bench) {
      quick = true;
    } else if (a == "--method-specs") {
      std::string out = method_specs_json().dump();
      std::printf("%s\n", out.c_str());
      return 0;
    } else if (a == "--device") {
      std::string v = value("--device");
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || n < 0 || n > 1023) {
        std::fprintf(stderr, "gem-runner: --device expects a GPU index ≥ 0, got '%s'\n", v.c_str());
        return 2;
      }
      device = static_cast<int>(n);
    } else if (a == "--allow-faults") {
      allow_faults = true;
    } else if (a == "--threads") {
      std::string v = value("--threads");
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || n < 1 || n > 4096) {
        std::fprintf(stderr, "gem-runner: --threads expects a positive integer, got '%s'\n", v.c_str());
        return 2;
      }
      set_num_threads(static_cast<int>(n));
    } else if (a == "--kernels") {
      std::string v = value("--kernels");
      cpu::KernelSet k;
      if (!cpu::parse_kernel_set(v, k)) {
        std::fprintf(stderr, "gem-runner: --kernels expects fast or reference, got '%s'\n", v.c_str());
        return 2;
      }
      cpu::set_kernel_set(k);
    } else if (a == "--backend") {
      backend = value("--backend");
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--version") {
      std::printf("gem-runner %s (protocol %d)\n", GEM_BUILD_ID, kProtocol);
      return 0;
    } else {
      std::fprintf(stderr, "gem-runner: unknown argument '%s'\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  if (selftest) return run_selftest(backend, device);
  if (gemm_bench) return cpu::run_gemm_bench(quick);
  keep_freed_heap();
  std::unique_ptr<Backend> be;
  try {
    be = make_backend(backend, device);
  } catch (const RunnerError& e) {
    std::fprintf(stderr, "gem-runner: %s; %s\n", e.what(), e.hint.c_str());
    return 2;
  }
  std::ios::sync_with_stdio(false);
  Runner runner(std::move(be), allow_faults);
  std::string out = runner.hello().dump();
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    bool more = runner.handle(line, out);
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    if (!more) break;
  }
  return 0;
}
