// Helpers shared by the method files: parameter specs and their checking, top-k with deterministic ties, 1-D pooling,
// dense prefill, the one-set methods' second pass.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "method.h"

namespace gem {

namespace {

[[noreturn]] void bad_param(const std::string& msg, const std::string& hint) { throw RunnerError("bad_param", msg, hint); }

std::string kind_name(ParamSpec::Kind k) {
  switch (k) {
    case ParamSpec::Kind::Int: return "int";
    case ParamSpec::Kind::Bool: return "bool";
    case ParamSpec::Kind::Number: return "number";
    default: return "enum";
  }
}

std::string range_text(const ParamSpec& p, const ModelConfig* cfg) {
  std::string hi = p.below_layers ? (cfg ? std::to_string(cfg->num_layers - 1) : "layers - 1") : std::to_string(p.max);
  std::string s = std::to_string(p.min) + " ≤ " + p.name + " ≤ " + hi;
  if (p.odd) s += ", odd";
  return s;
}

}  // namespace

Json spec_json(const MethodSpec& s) {
  Json params = Json::array();  // in declaration order
  for (const ParamSpec& p : s.params) {
    Json o = Json::object();
    o.set("name", p.name);
    o.set("kind", kind_name(p.kind));
    o.set("description", p.doc);
    o.set("required", p.required);
    if (!p.required) o.set("default", p.def);
    if (p.kind == ParamSpec::Kind::Int) {
      o.set("min", p.min);
      if (p.below_layers) o.set("max", "layers-1");
      else if (p.max < kMaxInt) o.set("max", p.max);
      if (p.odd) o.set("odd", true);
    }
    if (p.kind == ParamSpec::Kind::Enum) o.set("values", Json::array_of(p.values));
    if (p.kind == ParamSpec::Kind::Number) {
      o.set("min", p.lo);
      o.set("max", p.hi);
      if (p.lo_open) o.set("minExclusive", true);
    }
    params.push(std::move(o));
  }
  Json rules = Json::array();
  for (const ParamRule& r : s.rules) {
    Json o = Json::object();
    o.set("kind", r.kind == ParamRule::Kind::Greater ? "greater" : r.kind == ParamRule::Kind::AtMost ? "atMost" : "oneOf");
    o.set("a", r.a);
    o.set("b", r.b);
    o.set("hint", r.hint);
    rules.push(std::move(o));
  }
  Json o = Json::object();
  o.set("name", s.name);
  o.set("description", s.description);
  o.set("params", std::move(params));
  o.set("rules", std::move(rules));
  if (!s.sets.empty()) {
    Json sets = Json::object();
    for (const ParamSet& ps : s.sets) sets.set(ps.name, ps.values);
    o.set("paramSets", std::move(sets));
  }
  return o;
}

Params::Params(const MethodSpec& spec, const Json& given_in, const ModelConfig& cfg, int64_t n) : values_(Json::object()) {
  const std::string& method = spec.name;
  Json given = given_in.is_null() ? Json::object() : given_in;
  if (!given.is_object()) bad_param("params of method '" + method + "' must be an object", "e.g. {\"k\": 1024}");
  if (given.has("paramSet") && !given["paramSet"].is_null()) {  // a peer's named values, under any explicit ones
    std::string names;
    const ParamSet* set = nullptr;
    for (const ParamSet& ps : spec.sets) {
      names += (names.empty() ? "" : ", ") + ps.name;
      if (given["paramSet"].is_string() && ps.name == given["paramSet"].as_string()) set = &ps;
    }
    if (!set) bad_param(method + ": paramSet " + given["paramSet"].dump() + " is unknown", spec.sets.empty() ? "method '" + method + "' has no parameter sets" : "one of " + names);
    for (const auto& kv : set->values.as_object()) {
      if (given.has(kv.first) && !given[kv.first].is_null() && given[kv.first].dump() != kv.second.dump())
        bad_param(method + ": " + kv.first + " = " + given[kv.first].dump() + " contradicts paramSet \"" + set->name + "\" (" + kv.first + " = " + kv.second.dump() + ")",
                  "drop one of them");
      given.set(kv.first, kv.second);
    }
    values_.set("paramSet", set->name);
    Json rest = Json::object();
    for (const auto& kv : given.as_object())
      if (kv.first != "paramSet") rest.set(kv.first, kv.second);
    given = rest;
  }
  for (const auto& kv : given.as_object()) {
    const bool known = std::any_of(spec.params.begin(), spec.params.end(), [&](const ParamSpec& p) { return p.name == kv.first; });
    if (!known) {
      std::string names;
      for (const auto& p : spec.params) names += (names.empty() ? "" : ", ") + p.name;
      bad_param("unknown parameter '" + kv.first + "' for method '" + method + "'",
                spec.params.empty() ? "method '" + method + "' takes no parameters" : "known parameters: " + names);
    }
  }
  for (const ParamSpec& p : spec.params) {
    const bool has = given.has(p.name) && !given[p.name].is_null();
    if (!has) {
      if (!p.required && p.def.is_null()) continue;  // optional without a default (k or ratio)
      if (p.required) bad_param(method + ": parameter '" + p.name + "' is required", "give " + (p.kind == ParamSpec::Kind::Int ? "an integer in [" + std::to_string(p.min) + ", " + (p.below_layers ? std::to_string(cfg.num_layers - 1) : std::to_string(p.max)) + "]" : "a value") + ": " + p.doc);
      values_.set(p.name, p.def);
      continue;
    }
    const Json& v = given[p.name];
    switch (p.kind) {
      case ParamSpec::Kind::Int: {
        if (!v.is_number() || !v.is_integer()) bad_param(method + ": parameter '" + p.name + "' must be an integer", "got " + v.dump());
        const double x = v.as_number();
        const int64_t hi = p.below_layers ? std::min<int64_t>(p.max, cfg.num_layers - 1) : p.max;
        if (x < static_cast<double>(p.min) || x > static_cast<double>(hi))
          bad_param(method + ": parameter '" + p.name + "' = " + v.dump() + " is out of range", "allowed: " + range_text(p, &cfg));
        if (p.odd && static_cast<int64_t>(x) % 2 == 0)
          bad_param(method + ": " + p.name + " = " + v.dump() + " must be odd", p.doc);
        break;
      }
      case ParamSpec::Kind::Number: {
        const bool ok = v.is_number() && (p.lo_open ? v.as_number() > p.lo : v.as_number() >= p.lo) && v.as_number() <= p.hi;
        if (!ok)
          bad_param(method + ": parameter '" + p.name + "' = " + v.dump() + " is out of range",
                    "allowed: " + std::string(p.lo_open ? "(" : "[") + Json(p.lo).dump() + ", " + Json(p.hi).dump() + "]: " + p.doc);
        break;
      }
      case ParamSpec::Kind::Bool:
        if (!v.is_bool()) bad_param(method + ": parameter '" + p.name + "' must be a boolean", "got " + v.dump());
        break;
      case ParamSpec::Kind::Enum: {
        std::string names;
        for (const auto& n : p.values) names += (names.empty() ? "\"" : ", \"") + n + "\"";
        if (!v.is_string() || std::find(p.values.begin(), p.values.end(), v.as_string()) == p.values.end())
          bad_param(method + ": parameter '" + p.name + "' = " + v.dump() + " is not allowed", "one of " + names);
        break;
      }
    }
    values_.set(p.name, v);
  }
  for (const ParamRule& r : spec.rules) {
    if (r.kind == ParamRule::Kind::OneOf) {
      if (values_.has(r.a) == values_.has(r.b))
        bad_param(method + ": give exactly one of " + r.a + " and " + r.b + (values_.has(r.a) ? " (both given)" : ""), r.hint);
      continue;
    }
    if (!values_.has(r.a) || !values_.has(r.b)) continue;
    const int64_t a = values_[r.a].as_int(), b = values_[r.b].as_int();
    const bool ok = r.kind == ParamRule::Kind::Greater ? a > b : a <= b;
    if (!ok)
      bad_param(method + ": " + r.a + " = " + std::to_string(a) + " must be " +
                    (r.kind == ParamRule::Kind::Greater ? "greater than " : "at most ") + r.b + " = " + std::to_string(b),
                r.hint);
  }
  if (n >= 0 && values_.has("ratio")) {  // k from the ratio, at least what the rules allow
    int64_t least = 1;
    for (const ParamRule& r : spec.rules) {
      if (r.kind == ParamRule::Kind::Greater && r.a == "k") least = std::max(least, values_[r.b].as_int() + 1);
      if (r.kind == ParamRule::Kind::AtMost && r.b == "k") least = std::max(least, values_[r.a].as_int());
    }
    values_.set("k", std::max(least, static_cast<int64_t>(std::llround(values_["ratio"].as_number() * static_cast<double>(n)))));
  }
}

int64_t Params::integer(const std::string& key) const { return values_[key].as_int(); }
bool Params::boolean(const std::string& key) const { return values_[key].as_bool(); }
const std::string& Params::choice(const std::string& key) const { return values_[key].as_string(); }
double Params::number(const std::string& key) const { return values_[key].as_number(); }

const MethodEntry& find_method(const std::string& name) {
  for (const auto& e : method_registry())
    if (e.spec.name == name) return e;
  std::string names;
  for (const auto& n : method_names()) names += (names.empty() ? "" : ", ") + n;
  throw RunnerError("unknown_method", "unknown method '" + name + "'", "known methods: " + names);
}

std::vector<std::string> method_names() {
  std::vector<std::string> names;
  for (const auto& e : method_registry()) names.push_back(e.spec.name);
  return names;
}

Json method_specs_json() {
  Json a = Json::array();
  for (const auto& e : method_registry()) a.push(spec_json(e.spec));
  return a;
}

Gqa parse_gqa(const std::string& s) { return s == "max" ? Gqa::Max : s == "per-query-head" ? Gqa::PerQueryHead : Gqa::Mean; }

ParamSpec gqa_param(const std::string& doc) {
  ParamSpec p{"gqa", ParamSpec::Kind::Enum, doc};
  p.def = "mean";
  p.values = {"mean", "max", "per-query-head"};
  return p;
}

std::vector<int> all_indices(int n) {
  std::vector<int> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

void prefill_kept(PrefillContext& ctx, std::vector<int> sel) {
  const std::unique_ptr<PhaseTimer> timer = ctx.backend.start_timer();
  ctx.mem.begin_phase();
  std::vector<int> kept_ids;
  kept_ids.reserve(sel.size());
  for (int j : sel) kept_ids.push_back(ctx.ids[static_cast<size_t>(j)]);
  ctx.logits = dense_prefill(ctx, kept_ids, 0);
  ctx.prefill_ms = timer->elapsed_ms();
  ctx.mem_prefill = ctx.mem.phase_peak();
  ctx.next_position = static_cast<int>(sel.size());
  ctx.kept_length = static_cast<int>(sel.size());
  ctx.selection.kind = Selection::Kind::Indices;
  ctx.selection.indices = std::move(sel);
}

std::vector<float> dense_prefill(PrefillContext& ctx, const std::vector<int>& ids, int pos0, std::vector<StatsRequest> stats,
                                 StatsCallback on_stats, bool reserve_decode) {
  const int n = static_cast<int>(ids.size());
  ctx.cache = ctx.backend.new_cache(reserve_decode ? n + ctx.max_new_tokens : 0);
  std::vector<int> pos(static_cast<size_t>(n));
  std::iota(pos.begin(), pos.end(), pos0);
  ForwardOptions o;
  o.want_logits = true;
  o.stats = std::move(stats);
  o.on_stats = std::move(on_stats);
  return ctx.backend.forward(ids, pos, ctx.cache.get(), o);
}

ParamSpec window_param() {
  ParamSpec p{"window", ParamSpec::Kind::Int, "observation window: the last queries that vote (official 32)"};
  p.def = 32;
  p.min = 1;
  p.max = kMaxInt - 1;
  return p;
}
ParamSpec pool_param() {
  ParamSpec p{"pool", ParamSpec::Kind::Enum, "pooling of the votes: avg (GemFilter-repo baseline) or max (SnapKV's LongBench configs)"};
  p.def = "avg";
  p.values = {"avg", "max"};
  return p;
}
ParamSpec kernel_param() {
  ParamSpec p{"kernel", ParamSpec::Kind::Int, "pooling kernel size, odd (5 official avg; 7 with max)"};
  p.def = 5;
  p.min = 1;
  p.max = 1001;
  p.odd = true;
  return p;
}
ParamSpec budget_param(const std::string& doc) {
  ParamSpec p{"k", ParamSpec::Kind::Int, doc + " (or give ratio)"};
  p.min = 1;
  return p;
}
ParamSpec ratio_param() {
  ParamSpec p{"ratio", ParamSpec::Kind::Number,
              "budget as the fraction of the prompt kept, instead of k: k = max(round(ratio·n), the least k allowed), per case"};
  p.lo = 0;
  p.lo_open = true;
  p.hi = 1;
  return p;
}
ParamRule budget_rule() { return {ParamRule::Kind::OneOf, "k", "ratio", "the budget is k (tokens) or ratio (of the prompt)"}; }

StatsRequest snap_request(int layer, int n, int w) { return StatsRequest{layer, StatsMode::ProbSum, n - w, n, n - w, StatsAgg::PerQueryHead}; }

std::vector<DVec> snap_kv_votes(Stats& s, int G, bool max_pool, int kernel, Gqa gqa) {
  const int K = s.keys, group = s.heads / G;
  std::vector<DVec> out;
  for (int g = 0; g < G; ++g) out.emplace_back(MemCat::Workspace, static_cast<size_t>(K), gqa == Gqa::Max ? -INFINITY : 0.0);
  for (int h = 0; h < s.heads; ++h) {
    const DVec p = max_pool ? max_pool1d(s.row(h), K, kernel) : avg_pool1d(s.row(h), K, kernel);
    DVec& o = out[static_cast<size_t>(h / group)];
    for (int j = 0; j < K; ++j) o[static_cast<size_t>(j)] = gqa == Gqa::Max ? std::max(o[static_cast<size_t>(j)], p[static_cast<size_t>(j)]) : o[static_cast<size_t>(j)] + p[static_cast<size_t>(j)];
  }
  if (gqa != Gqa::Max)
    for (DVec& o : out)
      for (int j = 0; j < K; ++j) o[static_cast<size_t>(j)] /= group;
  s.data.clear_and_free();
  return out;
}

std::vector<int> top_plus_window(const double* scores, int n, int w, int k) {
  std::vector<int> sel = top_k_indices(scores, n - w, k - w);
  for (int j = n - w; j < n; ++j) sel.push_back(j);
  return sel;
}

void keep_same(PrefillContext& ctx, KVCache& cache, int layer, const std::vector<int>& sel) {
  const int G = cache.heads(layer);
  std::vector<std::vector<int>> keep(static_cast<size_t>(G), sel);
  std::vector<int> src(static_cast<size_t>(G));
  std::iota(src.begin(), src.end(), 0);
  cache.keep(layer, keep, src, ctx.max_new_tokens);
  ctx.selection.per_layer[static_cast<size_t>(layer)] = std::move(keep);
}

void prefill_per_layer(PrefillContext& ctx, int k, std::vector<StatsRequest> stats, StatsCallback select) {
  const int n = static_cast<int>(ctx.ids.size());
  const int L = ctx.config.num_layers, G = ctx.config.num_kv_heads;
  ctx.selection.kind = Selection::Kind::PerHead;
  ctx.selection.per_layer.assign(static_cast<size_t>(L), {});
  const std::unique_ptr<PhaseTimer> timer = ctx.backend.start_timer();
  ctx.mem.begin_phase();
  if (n <= k) {
    ctx.logits = dense_prefill(ctx, ctx.ids, 0);
    for (auto& layer : ctx.selection.per_layer) layer.assign(static_cast<size_t>(G), all_indices(n));
  } else {
    ctx.logits = dense_prefill(ctx, ctx.ids, 0, std::move(stats), std::move(select), false);
  }
  ctx.prefill_ms = timer->elapsed_ms();
  ctx.mem_prefill = ctx.mem.phase_peak();
  ctx.next_position = n;
  ctx.kept_length = std::min(n, k);
}

}  // namespace gem
