#include "selftest.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <set>

#include "backend.h"
#include "cpu/fast.h"
#include "select.h"
#include "threads.h"

namespace gem {
namespace {

struct Tally {
  int passed = 0, failed = 0, skipped = 0;
  void skip(const std::string& what) {
    ++skipped;
    std::printf("skip  %s (not supported by this backend)\n", what.c_str());
  }
  void check(const std::string& what, bool ok, const std::string& detail) {
    (ok ? passed : failed)++;
    std::printf("%s  %s: %s\n", ok ? "ok  " : "FAIL", what.c_str(), detail.c_str());
  }
};

struct Rng {
  uint64_t s;
  double next() {  // uniform in [-1, 1)
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(s >> 11) / 9007199254740992.0 * 2.0 - 1.0;
  }
  std::vector<float> vec(size_t n, double scale) {
    std::vector<float> v(n);
    for (auto& x : v) x = static_cast<float>(next() * scale);
    return v;
  }
};

// Worst |a - b| relative to max(1e-6, max |ref|) — bf16-style tolerances scale with the magnitude of the reference
// (GPU.md); exact comparisons use tol = 0.
template <class A, class B>
double rel_err(const A* got, const B* ref, size_t n) {
  double worst = 0, scale = 1e-6;
  for (size_t i = 0; i < n; ++i) scale = std::max(scale, std::fabs(static_cast<double>(ref[i])));
  for (size_t i = 0; i < n; ++i) {
    const double a = static_cast<double>(got[i]), b = static_cast<double>(ref[i]);
    if (std::isnan(a) != std::isnan(b)) return INFINITY;
    worst = std::max(worst, std::fabs(a - b));
  }
  return worst / scale;
}

std::string fmt(const char* f, double x) {
  char b[96];
  std::snprintf(b, sizeof b, f, x);
  return b;
}

// ---- naive double-precision versions (the slow, obviously right way) ----
std::vector<double> naive_matmul(const std::vector<float>& x, int T, int in, const std::vector<float>& W, int out) {
  std::vector<double> y(static_cast<size_t>(T) * out);
  for (int t = 0; t < T; ++t)
    for (int o = 0; o < out; ++o) {
      double s = 0;
      for (int i = 0; i < in; ++i) s += static_cast<double>(x[static_cast<size_t>(t) * in + i]) * W[static_cast<size_t>(o) * in + i];
      y[static_cast<size_t>(t) * out + o] = s;
    }
  return y;
}

std::vector<double> naive_attention(const std::vector<float>& q, int T, int H, int d, const std::vector<std::vector<float>>& k,
                                    const std::vector<std::vector<float>>& v, int rows) {
  const int C = static_cast<int>(k.size()), group = H / C;
  std::vector<double> out(static_cast<size_t>(T) * H * d, 0.0);
  for (int t = 0; t < T; ++t)
    for (int h = 0; h < H; ++h) {
      const int c = h / group, vis = rows - T + t + 1;
      std::vector<double> p(static_cast<size_t>(vis));
      double mx = -INFINITY, z = 0;
      for (int j = 0; j < vis; ++j) {
        double s = 0;
        for (int i = 0; i < d; ++i) s += static_cast<double>(q[(static_cast<size_t>(t) * H + h) * d + i]) * k[c][static_cast<size_t>(j) * d + i];
        p[static_cast<size_t>(j)] = s / std::sqrt(static_cast<double>(d));
        mx = std::max(mx, p[static_cast<size_t>(j)]);
      }
      for (auto& x : p) z += (x = std::exp(x - mx));
      for (int j = 0; j < vis; ++j)
        for (int i = 0; i < d; ++i) out[(static_cast<size_t>(t) * H + h) * d + i] += p[static_cast<size_t>(j)] / z * v[c][static_cast<size_t>(j) * d + i];
    }
  return out;
}

// The statistics op from its definition (backend.h), per query head, then aggregated.
std::vector<double> naive_stats(const std::vector<float>& q, int T, int H, int d, const std::vector<std::vector<float>>& k, int rows,
                                const StatsRequest& r, int* heads_out) {
  const int C = static_cast<int>(k.size()), group = H / C, K = r.key_end < 0 ? rows : r.key_end;
  if (r.mode == StatsMode::KeyNorm) {  // ‖k_{c,j}‖₂ per cache head
    *heads_out = C;
    std::vector<double> out;
    for (int c = 0; c < C; ++c)
      for (int j = 0; j < K; ++j) {
        double ss = 0;
        for (int i = 0; i < d; ++i) ss += static_cast<double>(k[c][static_cast<size_t>(j) * d + i]) * k[c][static_cast<size_t>(j) * d + i];
        out.push_back(std::sqrt(ss));
      }
    return out;
  }
  std::vector<std::vector<double>> per(static_cast<size_t>(H), std::vector<double>(static_cast<size_t>(K), 0.0));
  for (int h = 0; h < H; ++h)
    for (int t = r.q_begin; t < r.q_end; ++t) {
      const int c = h / group, vis = rows - T + t + 1;
      std::vector<double> s(static_cast<size_t>(vis));
      double mx = -INFINITY, z = 0;
      for (int j = 0; j < vis; ++j) {
        double dt = 0;
        for (int i = 0; i < d; ++i) dt += static_cast<double>(q[(static_cast<size_t>(t) * H + h) * d + i]) * k[c][static_cast<size_t>(j) * d + i];
        s[static_cast<size_t>(j)] = r.mode == StatsMode::RawDot ? dt : dt / std::sqrt(static_cast<double>(d));
        mx = std::max(mx, s[static_cast<size_t>(j)]);
      }
      if (r.mode == StatsMode::ProbSum) {
        for (int j = 0; j < vis; ++j) z += std::exp(s[static_cast<size_t>(j)] - mx);
        for (int j = 0; j < vis; ++j) s[static_cast<size_t>(j)] = std::exp(s[static_cast<size_t>(j)] - mx) / z;
      }
      for (int j = 0; j < std::min(vis, K); ++j) per[static_cast<size_t>(h)][static_cast<size_t>(j)] += s[static_cast<size_t>(j)];
    }
  std::vector<double> out;
  if (r.agg == StatsAgg::PerQueryHead) {
    *heads_out = H;
    for (auto& p : per) out.insert(out.end(), p.begin(), p.end());
  } else if (r.agg == StatsAgg::AllSum) {
    *heads_out = 1;
    out.assign(static_cast<size_t>(K), 0.0);
    for (auto& p : per)
      for (int j = 0; j < K; ++j) out[static_cast<size_t>(j)] += p[static_cast<size_t>(j)];
  } else {
    *heads_out = C;
    for (int c = 0; c < C; ++c)
      for (int j = 0; j < K; ++j) {
        double a = r.agg == StatsAgg::KvMax ? -INFINITY : 0.0;
        for (int h = c * group; h < (c + 1) * group; ++h)
          a = r.agg == StatsAgg::KvMax ? std::max(a, per[static_cast<size_t>(h)][static_cast<size_t>(j)]) : a + per[static_cast<size_t>(h)][static_cast<size_t>(j)];
        out.push_back(r.agg == StatsAgg::KvMax ? a : a / group);
      }
  }
  return out;
}

std::vector<const float*> ptrs(const std::vector<std::vector<float>>& v) {
  std::vector<const float*> p;
  for (const auto& x : v) p.push_back(x.data());
  return p;
}

class SelfTest {
 public:
  // fast: the target is the cpu backend's fast kernel set (cpu/fast.h), compared at kFastTol instead of bitwise.
  SelfTest(BackendOps& ref, BackendOps& target, bool same_backend, bool fast)
      : ref_(ref), tgt_(target), exact_(same_backend && !fast), fast_(fast) {}
  // fp32 against fp32 in another summation order (16-lane FMA partials, vectorised exp): relative to max |reference|.
  static constexpr double kFastTol = 1e-5;

  // Compares target with the reference (exact on the same backend: the thread counts differ; kFastTol for the fast
  // kernel set), and the reference with the naive double version (fp32 tolerance).
  template <class T>
  void compare(const std::string& what, const std::vector<T>& got, const std::vector<T>& ref, const std::vector<double>& naive,
               double tol_target, double tol_naive) {
    const double e = rel_err(got.data(), ref.data(), ref.size());
    const double tol = exact_ ? 0.0 : fast_ ? kFastTol : tol_target;
    t_.check(what + (exact_ ? " [other thread count vs reference, bitwise]"
                            : fast_ ? " [fast kernels, other thread count, vs reference]" : " [vs cpu reference]"),
             e <= tol,
             fmt("max rel err %.3g", e) + fmt(" (tol %.1g)", tol));
    if (!naive.empty()) {
      const double en = rel_err(ref.data(), naive.data(), naive.size());
      t_.check(what + " [cpu reference vs naive double]", en <= tol_naive, fmt("max rel err %.3g", en) + fmt(" (tol %.1g)", tol_naive));
    }
  }
  // Runs fn on the reference with 1 thread and on the target with `threads` (same backend) or as configured.
  template <class F>
  bool both(F&& fn_ref, F&& fn_tgt) {
    const int saved = num_threads();
    set_num_threads(1);
    fn_ref();
    set_num_threads(exact_ || fast_ ? 3 : saved);
    const bool ok = fn_tgt();
    set_num_threads(saved);
    return ok;
  }

  void matmul(int T, int in, int out, bool bias) {
    Rng g{static_cast<uint64_t>(T * 131 + in * 7 + out)};
    auto x = g.vec(static_cast<size_t>(T) * in, 1.0), W = g.vec(static_cast<size_t>(out) * in, std::sqrt(3.0 / in));
    auto b = g.vec(static_cast<size_t>(out), 0.5);
    std::vector<float> yr(static_cast<size_t>(T) * out), yt(yr.size());
    const std::string what = "matmul T=" + std::to_string(T) + " in=" + std::to_string(in) + " out=" + std::to_string(out) + (bias ? " +bias" : "");
    std::function<bool()> r = [&] { return ref_.matmul(x.data(), T, in, W.data(), out, bias ? b.data() : nullptr, yr.data()); };
    std::function<bool()> t = [&] { return tgt_.matmul(x.data(), T, in, W.data(), out, bias ? b.data() : nullptr, yt.data()); };
    if (!both(r, t)) return t_.skip(what);
    auto nv = naive_matmul(x, T, in, W, out);
    if (bias)
      for (int i = 0; i < T; ++i)
        for (int o = 0; o < out; ++o) nv[static_cast<size_t>(i) * out + o] += b[static_cast<size_t>(o)];
    compare(what, yt, yr, nv, 1e-2, 1e-5);
  }

  void rmsnorm(int T, int dim) {
    Rng g{static_cast<uint64_t>(T * 17 + dim)};
    auto x = g.vec(static_cast<size_t>(T) * dim, 3.0), w = g.vec(static_cast<size_t>(dim), 1.0);
    std::vector<float> yr(x.size()), yt(x.size());
    const std::string what = "rmsnorm T=" + std::to_string(T) + " dim=" + std::to_string(dim);
    std::function<bool()> r = [&] { return ref_.rmsnorm(x.data(), T, dim, w.data(), 1e-5, yr.data()); };
    std::function<bool()> t = [&] { return tgt_.rmsnorm(x.data(), T, dim, w.data(), 1e-5, yt.data()); };
    if (!both(r, t)) return t_.skip(what);
    std::vector<double> nv(x.size());
    for (int i = 0; i < T; ++i) {
      double ss = 0;
      for (int j = 0; j < dim; ++j) ss += static_cast<double>(x[static_cast<size_t>(i) * dim + j]) * x[static_cast<size_t>(i) * dim + j];
      const double inv = 1.0 / std::sqrt(ss / dim + 1e-5);
      for (int j = 0; j < dim; ++j) nv[static_cast<size_t>(i) * dim + j] = x[static_cast<size_t>(i) * dim + j] * inv * w[static_cast<size_t>(j)];
    }
    compare(what, yt, yr, nv, 1e-2, 1e-5);
  }

  void rope(const std::string& label, const ModelConfig& c, int T, int heads, int pos0) {
    const int d = c.head_dim;
    Rng g{static_cast<uint64_t>(T * 31 + d + pos0)};
    auto x = g.vec(static_cast<size_t>(T) * heads * d, 1.0);
    std::vector<int> pos(static_cast<size_t>(T));
    for (int t = 0; t < T; ++t) pos[static_cast<size_t>(t)] = pos0 + 3 * t;
    std::vector<float> xr = x, xt = x;
    const std::string what = "rope " + label + " d=" + std::to_string(d) + " T=" + std::to_string(T) + " pos0=" + std::to_string(pos0);
    std::function<bool()> r = [&] { return ref_.rope(xr.data(), T, heads, d, pos.data(), c); };
    std::function<bool()> t = [&] { return tgt_.rope(xt.data(), T, heads, d, pos.data(), c); };
    if (!both(r, t)) return t_.skip(what);
    compare(what, xt, xr, {}, 1e-2, 0);
  }

  void swiglu(int64_t n) {
    Rng g{static_cast<uint64_t>(n)};
    auto a = g.vec(static_cast<size_t>(n), 6.0), b = g.vec(static_cast<size_t>(n), 2.0);
    std::vector<float> yr(a.size()), yt(a.size());
    const std::string what = "swiglu n=" + std::to_string(n);
    std::function<bool()> r = [&] { return ref_.swiglu(a.data(), b.data(), n, yr.data()); };
    std::function<bool()> t = [&] { return tgt_.swiglu(a.data(), b.data(), n, yt.data()); };
    if (!both(r, t)) return t_.skip(what);
    std::vector<double> nv(a.size());
    for (size_t i = 0; i < a.size(); ++i) nv[i] = a[i] / (1.0 + std::exp(-static_cast<double>(a[i]))) * b[i];
    compare(what, yt, yr, nv, 1e-2, 1e-6);
  }

  void attention(int T, int rows, int H, int C, int d) {
    Rng g{static_cast<uint64_t>(T * 1000003 + rows * 101 + H * 11 + C + d)};
    auto q = g.vec(static_cast<size_t>(T) * H * d, 1.0);
    std::vector<std::vector<float>> k, v;
    for (int c = 0; c < C; ++c) {
      k.push_back(g.vec(static_cast<size_t>(rows) * d, 1.0));
      v.push_back(g.vec(static_cast<size_t>(rows) * d, 1.0));
    }
    std::vector<float> yr(q.size()), yt(q.size());
    const std::string what = std::string(T == 1 ? "attention decode" : "attention prefill") + " T=" + std::to_string(T) +
                             " rows=" + std::to_string(rows) + " H=" + std::to_string(H) + " group=" + std::to_string(H / C) + " d=" + std::to_string(d);
    std::function<bool()> r = [&] { return ref_.attention(q.data(), T, H, d, ptrs(k), ptrs(v), rows, yr.data()); };
    std::function<bool()> t = [&] { return tgt_.attention(q.data(), T, H, d, ptrs(k), ptrs(v), rows, yt.data()); };
    if (!both(r, t)) return t_.skip(what);
    compare(what, yt, yr, naive_attention(q, T, H, d, k, v, rows), 1e-2, 1e-5);
  }

  void stats(const std::string& label, int T, int rows, int H, int C, int d, StatsRequest req) {
    Rng g{static_cast<uint64_t>(T * 7919 + rows * 13 + H * 5 + C + d + static_cast<int>(req.agg))};
    auto q = g.vec(static_cast<size_t>(T) * H * d, 1.0);
    std::vector<std::vector<float>> k;
    for (int c = 0; c < C; ++c) k.push_back(g.vec(static_cast<size_t>(rows) * d, 1.0));
    Stats sr, st;
    const std::string what = "attn stats " + label + " T=" + std::to_string(T) + " rows=" + std::to_string(rows) + " H=" +
                             std::to_string(H) + " group=" + std::to_string(H / C) + " d=" + std::to_string(d);
    std::function<bool()> r = [&] { return ref_.attn_stats(q.data(), T, H, d, ptrs(k), rows, req, sr); };
    std::function<bool()> t = [&] { return tgt_.attn_stats(q.data(), T, H, d, ptrs(k), rows, req, st); };
    if (!both(r, t)) return t_.skip(what);
    int nh = 0;
    auto nv = naive_stats(q, T, H, d, k, rows, req, &nh);
    const bool shape_ok = st.heads == sr.heads && st.keys == sr.keys && sr.heads == nh && static_cast<size_t>(sr.heads) * sr.keys == nv.size();
    t_.check(what + " [shape]", shape_ok, std::to_string(st.heads) + "x" + std::to_string(st.keys) + " vs " + std::to_string(nh) + " heads");
    if (!shape_ok) return;
    compare(what, st.data.vec(), sr.data.vec(), nv, 2e-2, 1e-10);
  }

  void top_k(int n, int k, int distinct) {
    Rng g{static_cast<uint64_t>(n * 3 + k)};
    std::vector<double> s(static_cast<size_t>(n));
    for (auto& x : s) x = std::floor((g.next() + 1) * distinct / 2);  // many ties
    std::vector<int> got, ref;
    const std::string what = "top-k n=" + std::to_string(n) + " k=" + std::to_string(k) + " (" + std::to_string(distinct) + " distinct values)";
    std::function<bool()> r = [&] { return ref_.top_k(s.data(), n, k, ref); };
    std::function<bool()> t = [&] { return tgt_.top_k(s.data(), n, k, got); };
    if (!both(r, t)) return t_.skip(what);
    // Naive: sort (score desc, index asc), first k, sorted by index.
    std::vector<int> idx(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) idx[static_cast<size_t>(i)] = i;
    std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return s[static_cast<size_t>(a)] > s[static_cast<size_t>(b)]; });
    idx.resize(static_cast<size_t>(std::min(k, n)));
    std::sort(idx.begin(), idx.end());
    t_.check(what, got == ref && ref == idx, got == ref ? "equal (ties → lower index)" : "indices differ");
  }

  Tally& tally() { return t_; }

 private:
  BackendOps& ref_;
  BackendOps& tgt_;
  bool exact_, fast_;
  Tally t_;
};

ModelConfig rope_config(const std::string& type, int d) {
  ModelConfig c;
  c.head_dim = d;
  c.rope_theta = 500000.0;
  c.rope.type = type;
  if (type == "linear") c.rope.factor = 4;
  if (type == "llama3") {
    c.rope.factor = 8;
    c.rope.low_freq_factor = 1;
    c.rope.high_freq_factor = 4;
    c.rope.original_max_positions = 512;
  }
  if (type == "longrope") {
    c.rope_theta = 10000.0;
    c.rope.original_max_positions = 256;
    for (int i = 0; i < d / 2; ++i) {
      c.rope.short_factor.push_back(1.0 + 0.05 * i);
      c.rope.long_factor.push_back(1.0 + 1.5 * i);
    }
    c.rope.attention_factor = 1.19;
  }
  return c;
}

}  // namespace

int run_selftest(const std::string& backend, int device) {
  std::unique_ptr<Backend> ref_backend, tgt_backend;
  try {
    const cpu::KernelSet chosen = cpu::kernel_set();
    cpu::set_kernel_set(cpu::KernelSet::Reference);  // the reference is always the reference kernel set
    ref_backend = make_backend("cpu", 0);
    cpu::set_kernel_set(chosen);
    tgt_backend = make_backend(backend, device);
  } catch (const RunnerError& e) {
    std::fprintf(stderr, "gem-runner selftest: %s; %s\n", e.what(), e.hint.c_str());
    return 2;
  }
  const bool same = tgt_backend->name() == "cpu";
  const bool fast = same && cpu::kernel_set() == cpu::KernelSet::Fast;
  std::printf("selftest: backend %s on %s against the cpu reference%s\n", tgt_backend->name().c_str(),
              tgt_backend->device_name().c_str(),
              fast ? " (fast kernels with 3 threads vs reference kernels with 1 thread, and naive double versions)"
              : same ? " (1 thread vs 3 threads, and naive double versions)" : "");
  MemoryTracker mem;
  ActiveTracker active(&mem);
  SelfTest st(ref_backend->ops(), tgt_backend->ops(), same, fast);
  try {
    for (auto s : std::vector<std::array<int, 3>>{{1, 64, 96}, {17, 96, 129}, {129, 128, 64}, {1000, 64, 33}})
      st.matmul(s[0], s[1], s[2], s[0] == 17);
    for (auto s : std::vector<std::array<int, 2>>{{1, 64}, {17, 96}, {129, 128}, {1000, 33}}) st.rmsnorm(s[0], s[1]);
    for (const char* type : {"none", "linear", "llama3", "longrope"})
      for (int d : {64, 96, 128}) {
        ModelConfig c = rope_config(type, d);
        st.rope(type, c, 17, 3, 0);
        st.rope(type, c, 1, 2, 1000);  // decode step far out (longrope: long factors)
      }
    st.swiglu(1);
    st.swiglu(17 * 96);
    st.swiglu(1000 * 33);
    // (T, rows, H, cache heads, d): decode, prefill, chunked prefill (rows > T), GQA groups 1, 4, 7.
    const std::vector<std::array<int, 5>> att = {{1, 1, 4, 4, 64},   {1, 1000, 7, 1, 128}, {1, 129, 8, 2, 96},
                                                 {17, 17, 4, 1, 96}, {129, 129, 8, 2, 128}, {17, 146, 7, 1, 64},
                                                 {129, 1000, 4, 4, 64}, {1000, 1000, 4, 1, 64}};
    for (auto a : att) st.attention(a[0], a[1], a[2], a[3], a[4]);
    auto req = [](StatsMode m, int q0, int q1, int key_end, StatsAgg agg) { return StatsRequest{0, m, q0, q1, key_end, agg}; };
    st.stats("rawdot last row all-heads (gemfilter)", 129, 129, 8, 2, 128, req(StatsMode::RawDot, 128, 129, -1, StatsAgg::AllSum));
    st.stats("rawdot last row per query head", 17, 17, 7, 1, 96, req(StatsMode::RawDot, 16, 17, -1, StatsAgg::PerQueryHead));
    st.stats("rawdot middle rows, later keys masked", 64, 80, 8, 2, 128, req(StatsMode::RawDot, 5, 40, 70, StatsAgg::PerQueryHead));
    st.stats("probsum all rows of a prefill chunk after 871 rows", 129, 1000, 8, 2, 128, req(StatsMode::ProbSum, 0, 129, -1, StatsAgg::PerQueryHead));
    st.stats("probsum window per query head (snapkv)", 1000, 1000, 4, 4, 64, req(StatsMode::ProbSum, 968, 1000, 968, StatsAgg::PerQueryHead));
    st.stats("probsum window per query head (snapkv, d 128, GQA)", 1000, 1000, 8, 2, 128,
             req(StatsMode::ProbSum, 968, 1000, 968, StatsAgg::PerQueryHead));
    st.stats("probsum all rows kv-mean (h2o)", 129, 129, 7, 1, 96, req(StatsMode::ProbSum, 0, 129, -1, StatsAgg::KvMean));
    st.stats("probsum all rows kv-max", 129, 129, 8, 2, 64, req(StatsMode::ProbSum, 0, 129, -1, StatsAgg::KvMax));
    st.stats("probsum all rows all-heads", 17, 17, 4, 1, 128, req(StatsMode::ProbSum, 0, 17, -1, StatsAgg::AllSum));
    st.stats("key norms, later keys masked (knorm)", 1, 129, 8, 2, 96, req(StatsMode::KeyNorm, 0, 0, 100, StatsAgg::KvMean));
    st.stats("probsum decode row kv-mean (h2o decode)", 1, 1000, 8, 2, 128, req(StatsMode::ProbSum, 0, 1, -1, StatsAgg::KvMean));
    st.top_k(1000, 17, 5);
    st.top_k(129, 129, 3);
    st.top_k(1, 1, 1);
    st.top_k(4096, 1000, 40);
  } catch (const std::exception& e) {
    st.tally().check("selftest", false, std::string("aborted: ") + e.what());
  }
  const Tally& t = st.tally();
  std::printf("%d passed, %d failed, %d skipped\n", t.passed, t.failed, t.skipped);
  return t.failed == 0 ? 0 : 1;
}

}  // namespace gem
