// Helpers shared by the method files: parameter parsing, top-k with deterministic ties, 1-D pooling, dense prefill.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "method.h"

namespace gem {

Params::Params(const std::string& method, const Json& params, const std::vector<std::string>& known)
    : method_(method), params_(params) {
  if (params_.is_null()) params_ = Json::object();
  if (!params_.is_object()) fail("params of method '" + method + "' must be an object", "e.g. {\"k\": 1024}");
  for (const auto& kv : params_.as_object()) {
    if (std::find(known.begin(), known.end(), kv.first) == known.end()) {
      std::string names;
      for (const auto& n : known) names += (names.empty() ? "" : ", ") + n;
      fail("unknown parameter '" + kv.first + "' for method '" + method + "'",
           known.empty() ? "method '" + method + "' takes no parameters" : "known parameters: " + names);
    }
  }
}

void Params::fail(const std::string& msg, const std::string& hint) const { throw RunnerError("bad_param", msg, hint); }

bool Params::has(const std::string& key) const { return params_.has(key) && !params_[key].is_null(); }

int64_t Params::integer(const std::string& key, int64_t lo, int64_t hi) const {
  if (!has(key)) fail(method_ + ": parameter '" + key + "' is required", "give an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return integer(key, 0, lo, hi);
}

int64_t Params::integer(const std::string& key, int64_t def, int64_t lo, int64_t hi) const {
  if (!has(key)) return def;
  const Json& v = params_[key];
  if (!v.is_number() || !v.is_integer())
    fail(method_ + ": parameter '" + key + "' must be an integer", "got " + v.dump());
  double x = v.as_number();
  if (x < static_cast<double>(lo) || x > static_cast<double>(hi))
    fail(method_ + ": parameter '" + key + "' = " + v.dump() + " is out of range",
         "allowed: " + std::to_string(lo) + " ≤ " + key + " ≤ " + std::to_string(hi));
  return static_cast<int64_t>(x);
}

bool Params::boolean(const std::string& key, bool def) const {
  if (!has(key)) return def;
  const Json& v = params_[key];
  if (!v.is_bool()) fail(method_ + ": parameter '" + key + "' must be a boolean", "got " + v.dump());
  return v.as_bool();
}

std::string Params::choice(const std::string& key, const std::string& def, const std::vector<std::string>& allowed) const {
  if (!has(key)) return def;
  const Json& v = params_[key];
  std::string names;
  for (const auto& n : allowed) names += (names.empty() ? "\"" : ", \"") + n + "\"";
  if (!v.is_string() || std::find(allowed.begin(), allowed.end(), v.as_string()) == allowed.end())
    fail(method_ + ": parameter '" + key + "' = " + v.dump() + " is not allowed", "one of " + names);
  return v.as_string();
}

std::vector<int> top_k_indices(const std::vector<double>& scores, int k, const std::vector<char>& allowed) {
  std::vector<int> cand;
  for (int i = 0; i < static_cast<int>(scores.size()); ++i)
    if (allowed.empty() || allowed[static_cast<size_t>(i)]) cand.push_back(i);
  k = std::max(0, std::min(k, static_cast<int>(cand.size())));
  auto better = [&](int a, int b) {
    double sa = scores[static_cast<size_t>(a)], sb = scores[static_cast<size_t>(b)];
    // NaN ranks last; equal scores → lower index first.
    bool na = std::isnan(sa), nb = std::isnan(sb);
    if (na != nb) return nb;
    if (!na && sa != sb) return sa > sb;
    return a < b;
  };
  std::partial_sort(cand.begin(), cand.begin() + k, cand.end(), better);
  cand.resize(static_cast<size_t>(k));
  std::sort(cand.begin(), cand.end());
  return cand;
}

std::vector<double> avg_pool1d(const std::vector<double>& x, int kernel) {
  const int n = static_cast<int>(x.size()), p = kernel / 2;
  std::vector<double> y(x.size());
  for (int j = 0; j < n; ++j) {
    double s = 0;
    for (int t = j - p; t <= j + p; ++t) s += (t >= 0 && t < n) ? x[static_cast<size_t>(t)] : 0.0;
    y[static_cast<size_t>(j)] = s / kernel;
  }
  return y;
}

std::vector<double> max_pool1d(const std::vector<double>& x, int kernel) {
  const int n = static_cast<int>(x.size()), p = kernel / 2;
  std::vector<double> y(x.size());
  for (int j = 0; j < n; ++j) {
    double s = -std::numeric_limits<double>::infinity();
    for (int t = std::max(0, j - p); t <= std::min(n - 1, j + p); ++t) s = std::max(s, x[static_cast<size_t>(t)]);
    y[static_cast<size_t>(j)] = s;
  }
  return y;
}

std::vector<int> all_indices(int n) {
  std::vector<int> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

void prefill_kept(PrefillContext& ctx, std::vector<int> sel) {
  auto t0 = std::chrono::steady_clock::now();
  ctx.mem.begin_phase();
  std::vector<int> kept_ids;
  kept_ids.reserve(sel.size());
  for (int j : sel) kept_ids.push_back(ctx.ids[static_cast<size_t>(j)]);
  ctx.logits = dense_prefill(ctx, kept_ids, 0, {});
  ctx.prefill_ms = ms_since(t0);
  ctx.mem_prefill = ctx.mem.phase_peak();
  ctx.next_position = static_cast<int>(sel.size());
  ctx.kept_length = static_cast<int>(sel.size());
  ctx.selection.kind = Selection::Kind::Indices;
  ctx.selection.indices = std::move(sel);
}

std::vector<float> dense_prefill(PrefillContext& ctx, const std::vector<int>& ids, int pos0, const LayerHook& hook,
                                 bool reserve_decode) {
  const int n = static_cast<int>(ids.size());
  ctx.cache.init(ctx.model.config, reserve_decode ? n + ctx.max_new_tokens : 0);
  std::vector<int> pos(static_cast<size_t>(n));
  std::iota(pos.begin(), pos.end(), pos0);
  ForwardOptions o;
  o.want_logits = true;
  o.hook = hook;
  return ctx.backend.forward(ctx.model, ids, pos, &ctx.cache, o);
}

}  // namespace gem
