// Native unit tests of the cpu backend and the methods: kernels against naive loops / closed forms, the whole
// forward pass against a from-scratch double-precision reference, thread-count independence, method edge cases, the
// phase timer.
// Exit status 0 iff every check passed.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "../src/backend.h"
#include "../src/cpu/fast.h"
#include "../src/cpu/kernels.h"
#include "../src/engine.h"
#include "../src/methods/method.h"
#include "../src/select.h"
#include "../src/threads.h"
#include "check.h"

using namespace gem;

static bool near(double a, double b, double tol) { return std::fabs(a - b) <= tol * std::max(1.0, std::fabs(b)); }

// ---------- a tiny model with seeded weights ----------
struct Lcg {
  uint64_t s;
  float next() {  // uniform in [-1, 1)
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<float>(static_cast<double>(s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
  }
};
static Tensor rnd(std::vector<int64_t> shape, Lcg& g, float scale) {
  Tensor t;
  t.shape = shape;
  t.data.resize(static_cast<size_t>(t.numel()));
  for (auto& x : t.data) x = g.next() * scale;
  return t;
}
static Tensor ones_ish(int64_t n, Lcg& g) {
  Tensor t;
  t.shape = {n};
  for (int64_t i = 0; i < n; ++i) t.data.push_back(1.0f + 0.2f * g.next());
  return t;
}

static Model tiny_model(bool qkv_bias, bool tied, uint64_t seed = 7, int vocab = 96, int hidden = 64, int layers = 3,
                        int H = 4, int G = 2, int d = 16, int I = 128) {
  Model m;
  ModelConfig& c = m.config;
  c.model_type = qkv_bias ? "qwen2" : "llama";
  c.vocab_size = vocab; c.hidden_size = hidden; c.num_layers = layers; c.num_heads = H; c.num_kv_heads = G;
  c.head_dim = d; c.intermediate_size = I; c.max_positions = 512; c.rms_eps = 1e-5; c.rope_theta = 10000;
  c.tie_embeddings = tied; c.qkv_bias = qkv_bias; c.eos_ids = {2}; c.bos_id = 1;
  Lcg g{seed};
  m.embed = rnd({vocab, hidden}, g, 1.0f);
  m.final_norm = ones_ish(hidden, g);
  if (!tied) m.lm_head = rnd({vocab, hidden}, g, 0.3f);
  for (int l = 0; l < layers; ++l) {
    LayerWeights w;
    w.attn_norm = ones_ish(hidden, g);
    w.wq = rnd({H * d, hidden}, g, 0.5f);
    w.wk = rnd({G * d, hidden}, g, 0.5f);
    w.wv = rnd({G * d, hidden}, g, 0.3f);
    w.wo = rnd({hidden, H * d}, g, 0.15f);
    if (qkv_bias) {
      w.bq = rnd({H * d}, g, 0.3f);
      w.bk = rnd({G * d}, g, 0.3f);
      w.bv = rnd({G * d}, g, 0.3f);
    }
    w.mlp_norm = ones_ish(hidden, g);
    w.w_gate = rnd({I, hidden}, g, 0.2f);
    w.w_up = rnd({I, hidden}, g, 0.2f);
    w.w_down = rnd({hidden, I}, g, 0.1f);
    m.layers.push_back(std::move(w));
  }
  return m;
}

// ---------- the naive double-precision reference forward (no cache, rope type none) ----------
// ---------- double-precision building blocks of the naive references (the slow, obviously right way) ----------
static std::vector<double> naive_linear(const std::vector<double>& x, const Tensor& W, const Tensor& b) {
  int out = static_cast<int>(W.shape[0]), in = static_cast<int>(W.shape[1]);
  std::vector<double> y(static_cast<size_t>(out));
  for (int o = 0; o < out; ++o) {
    double s = b.data.empty() ? 0.0 : b.data[static_cast<size_t>(o)];
    for (int i = 0; i < in; ++i) s += x[static_cast<size_t>(i)] * W.data[static_cast<size_t>(o) * in + i];
    y[static_cast<size_t>(o)] = s;
  }
  return y;
}

static std::vector<double> naive_rmsnorm(const std::vector<double>& x, const Tensor& w, double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  double inv = 1.0 / std::sqrt(ss / x.size() + eps);
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * inv * w.data[i];
  return y;
}

// Plain RoPE (no scaling), rotate-half layout: pairs (i, i + d/2) of each head.
static void naive_rope(std::vector<double>& v, int heads, int pos, int d, double theta) {
  for (int h = 0; h < heads; ++h)
    for (int i = 0; i < d / 2; ++i) {
      double a = pos * std::pow(theta, -2.0 * i / d);
      double x1 = v[static_cast<size_t>(h * d + i)], x2 = v[static_cast<size_t>(h * d + i + d / 2)];
      v[static_cast<size_t>(h * d + i)] = x1 * std::cos(a) - x2 * std::sin(a);
      v[static_cast<size_t>(h * d + i + d / 2)] = x2 * std::cos(a) + x1 * std::sin(a);
    }
}

static std::vector<double> naive_logits(const Model& m, const std::vector<int>& ids) {
  const ModelConfig& c = m.config;
  const int n = static_cast<int>(ids.size()), D = c.hidden_size, H = c.num_heads, G = c.num_kv_heads, d = c.head_dim,
            I = c.intermediate_size;
  auto lin = naive_linear;
  auto norm = [&](const std::vector<double>& x, const Tensor& w) { return naive_rmsnorm(x, w, c.rms_eps); };
  auto rope = [&](std::vector<double>& v, int heads, int pos) { naive_rope(v, heads, pos, d, c.rope_theta); };
  Tensor none;
  std::vector<std::vector<double>> x(static_cast<size_t>(n));
  for (int t = 0; t < n; ++t)
    for (int i = 0; i < D; ++i) x[static_cast<size_t>(t)].push_back(m.embed.data[static_cast<size_t>(ids[static_cast<size_t>(t)]) * D + i]);
  for (const auto& W : m.layers) {
    std::vector<std::vector<double>> q(static_cast<size_t>(n)), k(static_cast<size_t>(n)), v(static_cast<size_t>(n));
    for (int t = 0; t < n; ++t) {
      auto xn = norm(x[static_cast<size_t>(t)], W.attn_norm);
      q[static_cast<size_t>(t)] = lin(xn, W.wq, W.bq);
      k[static_cast<size_t>(t)] = lin(xn, W.wk, W.bk);
      v[static_cast<size_t>(t)] = lin(xn, W.wv, W.bv);
      rope(q[static_cast<size_t>(t)], H, t);
      rope(k[static_cast<size_t>(t)], G, t);
    }
    for (int t = 0; t < n; ++t) {
      std::vector<double> att(static_cast<size_t>(H * d), 0.0);
      for (int h = 0; h < H; ++h) {
        int g = h / (H / G);
        std::vector<double> p(static_cast<size_t>(t + 1));
        double mx = -1e300, z = 0;
        for (int j = 0; j <= t; ++j) {
          double s = 0;
          for (int e = 0; e < d; ++e) s += q[static_cast<size_t>(t)][static_cast<size_t>(h * d + e)] * k[static_cast<size_t>(j)][static_cast<size_t>(g * d + e)];
          p[static_cast<size_t>(j)] = s / std::sqrt(static_cast<double>(d));
          mx = std::max(mx, p[static_cast<size_t>(j)]);
        }
        for (auto& pj : p) z += (pj = std::exp(pj - mx));
        for (int j = 0; j <= t; ++j)
          for (int e = 0; e < d; ++e)
            att[static_cast<size_t>(h * d + e)] += p[static_cast<size_t>(j)] / z * v[static_cast<size_t>(j)][static_cast<size_t>(g * d + e)];
      }
      auto o = lin(att, W.wo, none);
      for (int i = 0; i < D; ++i) x[static_cast<size_t>(t)][static_cast<size_t>(i)] += o[static_cast<size_t>(i)];
      auto xn = norm(x[static_cast<size_t>(t)], W.mlp_norm);
      auto gt = lin(xn, W.w_gate, none), up = lin(xn, W.w_up, none);
      std::vector<double> a(static_cast<size_t>(I));
      for (int i = 0; i < I; ++i) a[static_cast<size_t>(i)] = gt[static_cast<size_t>(i)] / (1 + std::exp(-gt[static_cast<size_t>(i)])) * up[static_cast<size_t>(i)];
      auto dn = lin(a, W.w_down, none);
      for (int i = 0; i < D; ++i) x[static_cast<size_t>(t)][static_cast<size_t>(i)] += dn[static_cast<size_t>(i)];
    }
  }
  auto hn = norm(x[static_cast<size_t>(n - 1)], m.final_norm);
  return lin(hn, m.output_weight(), none);
}

static std::vector<int> some_ids(int n, int vocab, uint64_t seed) {
  Lcg g{seed};
  std::vector<int> ids{1};
  while (static_cast<int>(ids.size()) < n) ids.push_back(3 + static_cast<int>((g.next() + 1) * 0.5 * (vocab - 3)) % (vocab - 3));
  return ids;
}

static GenerateResult run(const Model& m, const std::vector<int>& ids, const std::string& method, Json params, int new_tokens,
                          bool selection = false) {
  GenerateRequest r;
  r.input_ids = ids;
  r.method = method;
  r.params = params;
  r.max_new_tokens = new_tokens;
  r.ignore_eos = true;
  r.return_logits = true;
  r.return_selection = selection;
  std::unique_ptr<Backend> b = make_backend("cpu", 0);
  b->adopt(std::make_unique<Model>(m));
  return generate(*b, r, false);
}

// ---------- tests ----------
static void test_rope_scalings() {
  ModelConfig c;
  c.head_dim = 128;
  c.rope_theta = 500000.0;
  c.rope.type = "llama3";
  c.rope.factor = 8;
  c.rope.low_freq_factor = 1;
  c.rope.high_freq_factor = 4;
  c.rope.original_max_positions = 8192;
  auto f = cpu::rope_freqs(c, 10);
  const double pi = 3.14159265358979323846;
  int seen_low = 0, seen_high = 0, seen_mid = 0;
  for (int i = 0; i < 64; ++i) {
    double base = std::pow(500000.0, -2.0 * i / 128), wl = 2 * pi / base, want;
    if (wl < 8192.0 / 4) { want = base; ++seen_high; }
    else if (wl > 8192.0) { want = base / 8; ++seen_low; }
    else {
      double s = (8192.0 / wl - 1) / 3;
      want = (1 - s) * base / 8 + s * base;
      ++seen_mid;
    }
    CHECK(near(f.inv_freq[static_cast<size_t>(i)], want, 1e-12), "llama3 inv_freq[%d] = %.17g want %.17g", i, f.inv_freq[static_cast<size_t>(i)], want);
  }
  CHECK(seen_low > 0 && seen_high > 0 && seen_mid > 0, "llama3 test covers all three regimes (%d %d %d)", seen_low, seen_high, seen_mid);
  // Closed-form values at both ends: i = 0 is high-frequency (unchanged), i = 63 is low-frequency (÷ factor).
  CHECK(f.inv_freq[0] == 1.0, "i=0 unchanged");
  CHECK(near(f.inv_freq[63], std::pow(500000.0, -126.0 / 128) / 8, 1e-12), "i=63 divided by factor");

  ModelConfig lc;
  lc.head_dim = 8;
  lc.rope_theta = 10000;
  lc.rope.type = "linear";
  lc.rope.factor = 4;
  auto fl = cpu::rope_freqs(lc, 3);
  for (int i = 0; i < 4; ++i) CHECK(near(fl.inv_freq[static_cast<size_t>(i)], std::pow(10000.0, -2.0 * i / 8) / 4, 1e-14), "linear %d", i);
  CHECK(fl.scale == 1.0, "linear scale 1");

  ModelConfig pc;
  pc.head_dim = 8;
  pc.rope_theta = 10000;
  pc.rope.type = "longrope";
  pc.rope.original_max_positions = 16;
  pc.rope.short_factor = {1, 1.5, 2, 3};
  pc.rope.long_factor = {2, 4, 8, 16};
  pc.rope.attention_factor = 1.25;
  auto fs = cpu::rope_freqs(pc, 15), fg = cpu::rope_freqs(pc, 16);
  for (int i = 0; i < 4; ++i) {
    CHECK(near(fs.inv_freq[static_cast<size_t>(i)], 1.0 / (pc.rope.short_factor[static_cast<size_t>(i)] * std::pow(10000.0, 2.0 * i / 8)), 1e-14), "longrope short %d", i);
    CHECK(near(fg.inv_freq[static_cast<size_t>(i)], 1.0 / (pc.rope.long_factor[static_cast<size_t>(i)] * std::pow(10000.0, 2.0 * i / 8)), 1e-14), "longrope long %d", i);
  }
  CHECK(fs.scale == 1.25 && fg.scale == 1.25, "longrope attention factor");

  // apply_rope: rotate_half convention, pairs (i, i + d/2), closed form.
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8};
  int pos = 7;
  cpu::apply_rope(x.data(), 1, 1, 8, &pos, fs);
  const float orig[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  for (int i = 0; i < 4; ++i) {
    double a = 7 * fs.inv_freq[static_cast<size_t>(i)];
    double w1 = 1.25 * (orig[i] * std::cos(a) - orig[i + 4] * std::sin(a));
    double w2 = 1.25 * (orig[i + 4] * std::cos(a) + orig[i] * std::sin(a));
    CHECK(near(x[static_cast<size_t>(i)], w1, 1e-6) && near(x[static_cast<size_t>(i + 4)], w2, 1e-6), "apply_rope pair %d", i);
  }
}

static void test_pooling_and_topk() {
  std::vector<double> x = {1, 2, 3, 4, 5, 6};
  auto a = avg_pool1d(x.data(), 6, 5).vec();
  const double wa[6] = {6.0 / 5, 10.0 / 5, 15.0 / 5, 20.0 / 5, 18.0 / 5, 15.0 / 5};
  for (int i = 0; i < 6; ++i) CHECK(near(a[static_cast<size_t>(i)], wa[i], 1e-15), "avg pool edge %d: %g vs %g", i, a[static_cast<size_t>(i)], wa[i]);
  auto a1 = avg_pool1d(x.data(), 6, 1).vec();
  CHECK(a1 == x, "kernel 1 is the identity");
  std::vector<double> y = {-5, -1, -7, -3, -9};
  auto mp = max_pool1d(y.data(), 5, 3).vec();
  const double wm[5] = {-1, -1, -1, -3, -3};
  for (int i = 0; i < 5; ++i) CHECK(mp[static_cast<size_t>(i)] == wm[i], "max pool (-inf padding) %d", i);
  std::vector<double> s = {1, 3, 3, 2, 3};
  CHECK((top_k_indices(s, 2) == std::vector<int>{1, 2}), "ties → lower index (k=2)");
  CHECK((top_k_indices(s, 3) == std::vector<int>{1, 2, 4}), "ties → lower index (k=3)");
  CHECK((top_k_indices(s, 9) == std::vector<int>{0, 1, 2, 3, 4}), "k > n keeps all");
  CHECK((top_k_indices(s, 2, {1, 0, 1, 1, 1}) == std::vector<int>{2, 4}), "allowed mask");
  std::vector<double> eq(7, 0.5);
  CHECK((top_k_indices(eq, 3) == std::vector<int>{0, 1, 2}), "all equal → first k");
}

static void test_column_sums() {
  const int n = 37, H = 4, G = 2, d = 8;
  Lcg g{99};
  std::vector<float> q(static_cast<size_t>(n * H * d)), k(static_cast<size_t>(n * G * d));
  for (auto& v : q) v = 2 * g.next();
  for (auto& v : k) v = 2 * g.next();
  // The statistics op (ProbSum over every row, per query head) = H2O's column sums.
  cpu::KeyRows keys;
  for (int g2 = 0; g2 < G; ++g2) keys.head.push_back(k.data() + g2 * d);
  keys.stride = G * d;
  keys.rows = n;
  Stats st;
  cpu::attn_stats(q.data(), n, H, d, keys, StatsRequest{0, StatsMode::ProbSum, 0, n, -1, StatsAgg::PerQueryHead}, st);
  CHECK(st.heads == H && st.keys == n, "column sums shape");
  for (int h = 0; h < H; ++h) {
    const double* cs = st.row(h);
    // explicit n×n causal softmax matrix
    std::vector<std::vector<double>> P(static_cast<size_t>(n), std::vector<double>(static_cast<size_t>(n), 0.0));
    for (int i = 0; i < n; ++i) {
      double mx = -1e300, z = 0;
      for (int j = 0; j <= i; ++j) {
        double s = 0;
        for (int e = 0; e < d; ++e) s += double(q[static_cast<size_t>((i * H + h) * d + e)]) * k[static_cast<size_t>((j * G + h / 2) * d + e)];
        P[static_cast<size_t>(i)][static_cast<size_t>(j)] = s / std::sqrt(8.0);
        mx = std::max(mx, P[static_cast<size_t>(i)][static_cast<size_t>(j)]);
      }
      for (int j = 0; j <= i; ++j) z += (P[static_cast<size_t>(i)][static_cast<size_t>(j)] = std::exp(P[static_cast<size_t>(i)][static_cast<size_t>(j)] - mx));
      for (int j = 0; j <= i; ++j) P[static_cast<size_t>(i)][static_cast<size_t>(j)] /= z;
    }
    double total = 0;
    for (int j = 0; j < n; ++j) {
      double want = 0;
      for (int i = j; i < n; ++i) want += P[static_cast<size_t>(i)][static_cast<size_t>(j)];
      CHECK(near(cs[j], want, 1e-12), "h2o column sum h=%d j=%d: %.17g vs %.17g", h, j, cs[j], want);
      total += cs[j];
    }
    CHECK(near(total, n, 1e-10), "column sums add up to n (rows sum to 1)");
  }
}

static void test_forward_vs_naive() {
  for (int variant = 0; variant < 2; ++variant) {
    Model m = tiny_model(variant == 1, variant == 1, 11 + variant, 96, 32, 2, 4, 2, 8, 48);
    auto ids = some_ids(20, 96, 5 + variant);
    auto r = run(m, ids, "dense", Json(), 6);
    auto ref = naive_logits(m, ids);
    double worst = 0;
    for (size_t i = 0; i < ref.size(); ++i) worst = std::max(worst, std::fabs(ref[i] - r.first_logits[i]));
    CHECK(worst < 1e-4, "variant %d: first logits vs naive double forward, max |diff| = %g", variant, worst);
    // every decoded token is the argmax of the naive forward over the sequence so far (up to a 1e-4 near-tie)
    std::vector<int> seq = ids;
    for (size_t s = 0; s < r.output_ids.size(); ++s) {
      auto lg = naive_logits(m, seq);
      int best = 0;
      for (int i = 1; i < static_cast<int>(lg.size()); ++i)
        if (lg[static_cast<size_t>(i)] > lg[static_cast<size_t>(best)]) best = i;
      int got = r.output_ids[s];
      CHECK(got == best || lg[static_cast<size_t>(best)] - lg[static_cast<size_t>(got)] < 1e-4, "variant %d step %zu: got %d want %d", variant, s, got, best);
      seq.push_back(got);
    }
  }
}

static void test_thread_independence() {
  Model m = tiny_model(true, false);
  auto ids = some_ids(100, 96, 3);
  std::vector<std::pair<std::string, Json>> cases;
  Json p;
  cases.push_back({"dense", Json()});
  p = Json::object(); p.set("filterLayer", 1); p.set("k", 40); cases.push_back({"gemfilter", p});
  p = Json::object(); p.set("k", 50); p.set("window", 8); cases.push_back({"snapkv", p});
  p = Json::object(); p.set("k", 50); p.set("recent", 8); p.set("evictDuringDecode", true); cases.push_back({"h2o", p});
  for (const auto& cs : cases) {
    std::vector<GenerateResult> rs;
    for (int t : {1, 2, 3}) {
      set_num_threads(t);
      rs.push_back(run(m, ids, cs.first, cs.second, 8, true));
    }
    for (size_t i = 1; i < rs.size(); ++i) {
      CHECK(rs[i].output_ids == rs[0].output_ids, "%s: output ids differ across thread counts", cs.first.c_str());
      CHECK(rs[i].first_logits == rs[0].first_logits, "%s: logits not bitwise equal across thread counts", cs.first.c_str());
      CHECK(rs[i].selection.per_layer == rs[0].selection.per_layer && rs[i].selection.indices == rs[0].selection.indices,
            "%s: selection differs across thread counts", cs.first.c_str());
    }
  }
  set_num_threads(2);
}

static void test_methods_edges() {
  Model m = tiny_model(false, true, 21, 96, 32, 3, 4, 2, 8, 48);
  auto ids = some_ids(30, 96, 8);
  auto dense = run(m, ids, "dense", Json(), 8);
  Json p;
  p = Json::object(); p.set("filterLayer", 1); p.set("k", 30);
  CHECK(run(m, ids, "gemfilter", p, 8).output_ids == dense.output_ids, "gemfilter k = n equals dense");
  p = Json::object(); p.set("k", 64); p.set("window", 4);
  CHECK(run(m, ids, "snapkv", p, 8).output_ids == dense.output_ids, "snapkv k > n equals dense");
  p = Json::object(); p.set("k", 30); p.set("recent", 4);
  CHECK(run(m, ids, "h2o", p, 8).output_ids == dense.output_ids, "h2o k = n equals dense");

  // KV accounting is exact for dense: layers × G heads × (n + new) rows × d × (K and V) × 4 bytes.
  int64_t want_kv = 3LL * 2 * (30 + 8) * 8 * 2 * 4;
  CHECK(dense.mem_decode.kv == want_kv, "dense decode kv %lld want %lld", (long long)dense.mem_decode.kv, (long long)want_kv);
  CHECK(dense.mem_peak.weights == m.weight_bytes(), "weights counted");
  CHECK(dense.mem_filter.total() == 0, "no filter phase for dense");

  // snapkv: kept rows per head = k, window kept, selection sorted, memory per-query-head = H/G × per-KV-head.
  p = Json::object(); p.set("k", 12); p.set("window", 4);
  auto s = run(m, ids, "snapkv", p, 4, true);
  CHECK(s.kept_length == 12, "snapkv kept %d", s.kept_length);
  CHECK(s.selection.kind == Selection::Kind::PerHead && s.selection.per_layer.size() == 3, "snapkv per head");
  for (const auto& layer : s.selection.per_layer)
    for (const auto& h : layer) {
      CHECK(h.size() == 12 && h[8] == 26 && h[11] == 29, "window kept");
      for (size_t i = 1; i < h.size(); ++i) CHECK(h[i - 1] < h[i], "sorted");
    }
  p.set("gqa", "per-query-head");
  auto sq = run(m, ids, "snapkv", p, 4, true);
  CHECK(sq.selection.kind == Selection::Kind::PerQueryHead && sq.selection.per_layer[0].size() == 4, "per query head selection");
  CHECK(sq.mem_decode.kv == 2 * s.mem_decode.kv, "per-query-head caches H heads: %lld vs %lld", (long long)sq.mem_decode.kv, (long long)s.mem_decode.kv);

  // Every method's scoring buffers are counted as workspace. A phase peak is the breakdown at the moment the total
  // was highest — for snapkv and h2o the moment a layer is compressed (old and new rows both held), when the pooled
  // votes ([H][n-w] doubles) or the column sums ([G][n]) are alive; for gemfilter the scores and their pooled copy.
  {
    const int n = 30, H = 4, G = 2;
    p = Json::object(); p.set("filterLayer", 1); p.set("k", 8);
    auto g = run(m, ids, "gemfilter", p, 2);
    CHECK(g.mem_filter.workspace >= 2LL * n * 8, "gemfilter scores + pooled in workspace: %lld", (long long)g.mem_filter.workspace);
    p = Json::object(); p.set("k", 12); p.set("window", 4);
    auto sk = run(m, ids, "snapkv", p, 2);
    CHECK(sk.mem_prefill.workspace >= 1LL * H * (n - 4) * 8, "snapkv pooled votes in workspace: %lld", (long long)sk.mem_prefill.workspace);
    p = Json::object(); p.set("k", 12); p.set("recent", 4);
    auto h2 = run(m, ids, "h2o", p, 2);
    CHECK(h2.mem_prefill.workspace >= 1LL * G * n * 8, "h2o column sums in workspace: %lld", (long long)h2.mem_prefill.workspace);
    CHECK(dense.mem_prefill.workspace == 0, "dense scores nothing: %lld", (long long)dense.mem_prefill.workspace);
  }

  // gemfilter keepLast: the last tokens are always there
  p = Json::object(); p.set("filterLayer", 0); p.set("k", 6); p.set("keepLast", 3);
  auto gsel = run(m, ids, "gemfilter", p, 2, true).selection.indices;
  CHECK(gsel.size() == 6 && gsel[3] == 27 && gsel[4] == 28 && gsel[5] == 29, "keepLast forces the last 3");

  // random: deterministic for a seed, sorted, distinct, k' = min(k, n)
  auto r1 = random_selection(30, 10, 42), r2 = random_selection(30, 10, 42), r3 = random_selection(30, 10, 43);
  CHECK(r1 == r2 && r1 != r3 && r1.size() == 10, "random seeded");
  for (size_t i = 1; i < r1.size(); ++i) CHECK(r1[i - 1] < r1[i], "random sorted distinct");
  CHECK(random_selection(5, 10, 0) == all_indices(5), "random k ≥ n keeps all");

  // h2o with evictDuringDecode keeps the budget
  p = Json::object(); p.set("k", 10); p.set("recent", 3); p.set("evictDuringDecode", true);
  auto h = run(m, ids, "h2o", p, 6, true);
  int64_t budget_kv = 3LL * 2 * (10 + 1) * 8 * 2 * 4;  // k + 1 rows: the step's row before one is evicted
  CHECK(h.output_ids.size() == 6, "h2o evict decodes");
  CHECK(h.mem_decode.kv == budget_kv, "h2o evict kv fixed at k + 1 rows: %lld want %lld", (long long)h.mem_decode.kv, (long long)budget_kv);
  p.set("evictDuringDecode", false);
  auto hg = run(m, ids, "h2o", p, 6, true);
  CHECK(hg.mem_decode.kv == 3LL * 2 * (10 + 6) * 8 * 2 * 4, "h2o without eviction grows: %lld", (long long)hg.mem_decode.kv);
  CHECK(hg.selection.per_layer == h.selection.per_layer, "same prefill selection with and without eviction");
}

// Every method (and h2o with and without decode-time eviction, each GQA mode) on prompts shorter than, equal to and
// just above its budget, down to one token: the prompt's rows that fit are all kept, the output has its full length,
// and — under the sanitizer build (GEM_SANITIZE, test/native-sanitizers.test.ts) — no memory error. h2o with
// evictDuringDecode on a 1..16-token prompt with k = 64 once wrote before its `allowed` buffer (heap corruption).
static void test_methods_budget_edges() {
  Model m = tiny_model(false, true, 23, 96, 32, 2, 4, 2, 8, 48);
  struct Case { const char* method; Json params; int budget; int forced; };
  auto params = [](std::initializer_list<std::pair<const char*, Json>> kv) {
    Json p = Json::object();
    for (const auto& [k, v] : kv) p.set(k, v);
    return p;
  };
  std::vector<Case> cases = {
      {"gemfilter", params({{"filterLayer", 1}, {"k", 8}}), 8, 0},
      {"gemfilter", params({{"filterLayer", 0}, {"k", 8}, {"keepLast", 3}}), 8, 3},
      {"random", params({{"k", 8}}), 8, 0},
  };
  for (const char* gqa : {"mean", "max", "per-query-head"}) {
    cases.push_back({"snapkv", params({{"k", 8}, {"window", 4}, {"gqa", gqa}}), 8, 4});
    for (bool evict : {false, true})
      cases.push_back({"h2o", params({{"k", 8}, {"recent", 4}, {"evictDuringDecode", evict}, {"gqa", gqa}}), 8, 4});
  }
  cases.push_back({"h2o", params({{"k", 64}, {"recent", 32}, {"evictDuringDecode", true}}), 64, 32});
  // The second wave (engines/README.md): every one at the same edges of its budget and protected set.
  cases.push_back({"streamingllm", params({{"k", 8}, {"sinks", 4}}), 8, 4});
  cases.push_back({"knorm", params({{"k", 8}, {"window", 2}}), 8, 2});
  cases.push_back({"tova", params({{"k", 8}}), 8, 1});
  cases.push_back({"observed", params({{"k", 8}, {"recent", 2}}), 8, 2});
  cases.push_back({"pyramidkv", params({{"k", 8}, {"window", 4}}), 8, 4});
  cases.push_back({"chunkkv", params({{"k", 8}, {"window", 4}, {"chunk", 3}}), 8, 4});
  cases.push_back({"adasnapkv", params({{"k", 8}, {"window", 4}}), 8, 4});
  for (const Case& c : cases)
    for (int n : {1, 2, c.forced, c.forced + 1, c.budget - 1, c.budget, c.budget + 1, c.budget + 2, 16}) {
      if (n < 1) continue;
      const auto ids = some_ids(n, 96, 5 + static_cast<uint64_t>(n));
      const std::string what = std::string(c.method) + " " + c.params.dump() + " n=" + std::to_string(n);
      try {
        auto r = run(m, ids, c.method, c.params, 5, true);
        CHECK(r.output_ids.size() == 5, "%s: %zu new tokens", what.c_str(), r.output_ids.size());
        // pyramidkv's keptLength is its mean over layers: a layer whose pyramid budget exceeds the prompt keeps
        // the whole prompt, so the mean may fall below the uniform budget (engines/README.md).
        if (std::string(c.method) == "pyramidkv")
          CHECK(r.kept_length >= 1 && r.kept_length <= std::min(n, c.budget), "%s: kept %d", what.c_str(), r.kept_length);
        else
          CHECK(r.kept_length == std::min(n, c.budget), "%s: kept %d", what.c_str(), r.kept_length);
      } catch (const RunnerError& e) {
        CHECK(false, "%s: %s", what.c_str(), e.what());
      }
    }
}

static void test_errors() {
  Model m = tiny_model(false, true, 21, 96, 32, 3, 4, 2, 8, 48);
  auto code_of = [&](const std::string& method, Json params, std::vector<int> ids, int mnt) -> std::string {
    try {
      run(m, ids, method, params, mnt);
    } catch (const RunnerError& e) {
      return e.code;
    }
    return "ok";
  };
  std::vector<int> ids = {1, 5, 6};
  Json p = Json::object(); p.set("filterLayer", 3); p.set("k", 2);
  CHECK(code_of("gemfilter", p, ids, 1) == "bad_param", "r = layers");
  p = Json::object(); p.set("filterLayer", 0); p.set("k", 0);
  CHECK(code_of("gemfilter", p, ids, 1) == "bad_param", "k = 0");
  p = Json::object(); p.set("filterLayer", 0); p.set("k", 2); p.set("keepLast", 3);
  CHECK(code_of("gemfilter", p, ids, 1) == "bad_param", "keepLast > k");
  p = Json::object(); p.set("k", 2); p.set("bogus", 1);
  CHECK(code_of("random", p, ids, 1) == "bad_param", "unknown param");
  p = Json::object(); p.set("k", 32);
  CHECK(code_of("snapkv", p, ids, 1) == "bad_param", "snapkv k ≤ window");
  p = Json::object(); p.set("k", 40); p.set("kernel", 4);
  CHECK(code_of("snapkv", p, ids, 1) == "bad_param", "even kernel");
  p = Json::object(); p.set("k", 40); p.set("pool", "median");
  CHECK(code_of("snapkv", p, ids, 1) == "bad_param", "bad pool");
  p = Json::object(); p.set("k", 32);
  CHECK(code_of("h2o", p, ids, 1) == "bad_param", "h2o k ≤ recent");
  p = Json::object(); p.set("k", 2.5);
  CHECK(code_of("random", p, ids, 1) == "bad_param", "non-integer k");
  CHECK(code_of("nope", Json(), ids, 1) == "unknown_method", "unknown method");
  CHECK(code_of("dense", Json(), {1, 96}, 1) == "bad_input", "id ≥ vocab");
  CHECK(code_of("dense", Json(), {}, 1) == "bad_input", "empty input");
  CHECK(code_of("dense", Json(), ids, 510) == "bad_input", "too long");
  CHECK(code_of("dense", Json(), ids, 509) == "ok", "exactly max positions");
}

// ---------- naive double-precision H2O with evictDuringDecode (explicit per-layer/KV-head visible sets) ----------
// Tokens are processed one at a time; token i at layer l, query head h attends to the explicit index set vis
// (prompt: all j ≤ i; decode: the kept set of its KV head + itself). Prefill scores come from the explicit causal
// probabilities (column sums, mean over the group); decode follows the rule documented in methods/h2o.cpp.
static std::vector<int> naive_h2o_evict(const Model& m, const std::vector<int>& prompt, int K, int recent, int new_tokens) {
  const ModelConfig& c = m.config;
  const int D = c.hidden_size, H = c.num_heads, G = c.num_kv_heads, d = c.head_dim, I = c.intermediate_size,
            L = c.num_layers, group = H / G, n = static_cast<int>(prompt.size());
  Tensor none;
  auto lin = naive_linear;
  auto norm = [&](const std::vector<double>& x, const Tensor& w) { return naive_rmsnorm(x, w, c.rms_eps); };
  auto rope = [&](std::vector<double>& v, int heads, int pos) { naive_rope(v, heads, pos, d, c.rope_theta); };
  // per layer, per token: k and v (G*d)
  std::vector<std::vector<std::vector<double>>> Ks(static_cast<size_t>(L)), Vs(static_cast<size_t>(L));
  std::vector<std::vector<std::vector<int>>> kept(static_cast<size_t>(L), std::vector<std::vector<int>>(static_cast<size_t>(G)));
  std::vector<std::vector<std::map<int, double>>> acc(static_cast<size_t>(L), std::vector<std::map<int, double>>(static_cast<size_t>(G)));
  std::vector<std::vector<std::vector<double>>> col(static_cast<size_t>(L), std::vector<std::vector<double>>(static_cast<size_t>(H), std::vector<double>(static_cast<size_t>(n), 0.0)));
  bool decoding = false;
  // Processes token `tok` at position `pos` (= its index); returns logits.
  auto step = [&](int tok, int pos) {
    std::vector<double> x(static_cast<size_t>(D));
    for (int i = 0; i < D; ++i) x[static_cast<size_t>(i)] = m.embed.data[static_cast<size_t>(tok) * D + i];
    for (int l = 0; l < L; ++l) {
      const auto& W = m.layers[static_cast<size_t>(l)];
      auto xn = norm(x, W.attn_norm);
      auto q = lin(xn, W.wq, W.bq), k = lin(xn, W.wk, W.bk), v = lin(xn, W.wv, W.bv);
      rope(q, H, pos);
      rope(k, G, pos);
      Ks[static_cast<size_t>(l)].push_back(k);
      Vs[static_cast<size_t>(l)].push_back(v);
      std::vector<double> att(static_cast<size_t>(H * d), 0.0);
      for (int g = 0; g < G; ++g) {
        std::vector<int> vis;
        if (!decoding) for (int j = 0; j <= pos; ++j) vis.push_back(j);
        else { vis = kept[static_cast<size_t>(l)][static_cast<size_t>(g)]; vis.push_back(pos); }
        std::vector<double> meanp(vis.size(), 0.0);
        for (int h = g * group; h < (g + 1) * group; ++h) {
          std::vector<double> p(vis.size());
          double mx = -1e300, z = 0;
          for (size_t a = 0; a < vis.size(); ++a) {
            double s = 0;
            for (int e = 0; e < d; ++e) s += q[static_cast<size_t>(h * d + e)] * Ks[static_cast<size_t>(l)][static_cast<size_t>(vis[a])][static_cast<size_t>(g * d + e)];
            p[a] = s / std::sqrt(static_cast<double>(d));
            mx = std::max(mx, p[a]);
          }
          for (auto& pa : p) z += (pa = std::exp(pa - mx));
          for (size_t a = 0; a < vis.size(); ++a) {
            p[a] /= z;
            for (int e = 0; e < d; ++e) att[static_cast<size_t>(h * d + e)] += p[a] * Vs[static_cast<size_t>(l)][static_cast<size_t>(vis[a])][static_cast<size_t>(g * d + e)];
            if (!decoding) col[static_cast<size_t>(l)][static_cast<size_t>(h)][static_cast<size_t>(vis[a])] += p[a];
            meanp[a] += p[a] / group;
          }
        }
        if (decoding) {
          auto& ac = acc[static_cast<size_t>(l)][static_cast<size_t>(g)];
          ac[pos] = 0.0;
          for (size_t a = 0; a < vis.size(); ++a) ac[vis[a]] += meanp[a];
          if (static_cast<int>(vis.size()) > K) {
            int victim = -1;
            for (size_t a = 0; a + recent < vis.size(); ++a)
              if (victim < 0 || ac[vis[a]] < ac[victim]) victim = vis[a];
            ac.erase(victim);
            vis.erase(std::find(vis.begin(), vis.end(), victim));
          }
          kept[static_cast<size_t>(l)][static_cast<size_t>(g)] = vis;
        }
      }
      auto o = lin(att, W.wo, none);
      for (int i = 0; i < D; ++i) x[static_cast<size_t>(i)] += o[static_cast<size_t>(i)];
      auto xm = norm(x, W.mlp_norm);
      auto gt = lin(xm, W.w_gate, none), up = lin(xm, W.w_up, none);
      std::vector<double> a(static_cast<size_t>(I));
      for (int i = 0; i < I; ++i) a[static_cast<size_t>(i)] = gt[static_cast<size_t>(i)] / (1 + std::exp(-gt[static_cast<size_t>(i)])) * up[static_cast<size_t>(i)];
      auto dn = lin(a, W.w_down, none);
      for (int i = 0; i < D; ++i) x[static_cast<size_t>(i)] += dn[static_cast<size_t>(i)];
    }
    return lin(norm(x, m.final_norm), m.output_weight(), none);
  };
  auto argmax = [](const std::vector<double>& v) {
    int b = 0;
    for (int i = 1; i < static_cast<int>(v.size()); ++i) if (v[static_cast<size_t>(i)] > v[static_cast<size_t>(b)]) b = i;
    return b;
  };
  std::vector<double> logits;
  for (int i = 0; i < n; ++i) logits = step(prompt[static_cast<size_t>(i)], i);
  for (int l = 0; l < L; ++l)
    for (int g = 0; g < G; ++g) {
      std::vector<std::pair<double, int>> cand;
      for (int j = 0; j < n; ++j) {
        double sc = 0;
        for (int h = g * group; h < (g + 1) * group; ++h) sc += col[static_cast<size_t>(l)][static_cast<size_t>(h)][static_cast<size_t>(j)];
        sc /= group;
        if (n <= K || j >= n - recent) kept[static_cast<size_t>(l)][static_cast<size_t>(g)].push_back(j);
        else cand.push_back({-sc, j});
        acc[static_cast<size_t>(l)][static_cast<size_t>(g)][j] = sc;
      }
      std::sort(cand.begin(), cand.end());
      auto& kp = kept[static_cast<size_t>(l)][static_cast<size_t>(g)];
      if (n > K) for (int a = 0; a < K - recent; ++a) kp.push_back(cand[static_cast<size_t>(a)].second);
      std::sort(kp.begin(), kp.end());
      for (auto it = acc[static_cast<size_t>(l)][static_cast<size_t>(g)].begin(); it != acc[static_cast<size_t>(l)][static_cast<size_t>(g)].end();)
        it = std::binary_search(kp.begin(), kp.end(), it->first) ? std::next(it) : acc[static_cast<size_t>(l)][static_cast<size_t>(g)].erase(it);
    }
  decoding = true;
  std::vector<int> out;
  for (int s = 0; s < new_tokens; ++s) {
    out.push_back(argmax(logits));
    if (s + 1 < new_tokens) logits = step(out.back(), n + s);
  }
  return out;
}

static void test_h2o_evict_vs_naive() {
  Model m = tiny_model(false, false, 31, 96, 32, 2, 4, 2, 8, 48);
  for (int K : {10, 16}) {
    auto ids = some_ids(K == 10 ? 24 : 12, 96, 17 + K);  // n > k (one-shot eviction first) and n ≤ k (eviction only later)
    Json p = Json::object();
    p.set("k", K); p.set("recent", 3); p.set("evictDuringDecode", true);
    auto got = run(m, ids, "h2o", p, 14).output_ids;
    auto want = naive_h2o_evict(m, ids, K, 3, 14);
    CHECK(got == want, "h2o evictDuringDecode k=%d: runner and naive reference decode the same tokens", K);
    p.set("evictDuringDecode", false);
    auto grow = run(m, ids, "h2o", p, 14).output_ids;
    CHECK(grow != want || K == 16, "k=%d: eviction changes the output (the check above is not vacuous)", K);
  }
}

// A ragged cache (backend.h): attention over per-head lengths equals, head group by head group, the dense attention
// over the same rows (a one-head cache holding exactly that head's rows), bitwise; for a prefill chunk (T = 3) and a
// decode step (T = 1). Then adasnapkv on a model: its stored KV rows are those of its selection, G·k per layer — the
// same bytes as snapkv at the same k, split unevenly — and it decodes.
static void test_ragged_cache() {
  const int H = 6, C = 3, group = H / C, d = 8;
  const std::vector<int> lens = {5, 11, 2};
  Lcg g{5};
  std::vector<std::vector<float>> k(C), v(C);
  for (int c = 0; c < C; ++c) {
    k[static_cast<size_t>(c)].resize(static_cast<size_t>(lens[static_cast<size_t>(c)]) * d);
    v[static_cast<size_t>(c)].resize(static_cast<size_t>(lens[static_cast<size_t>(c)]) * d);
    for (auto& x : k[static_cast<size_t>(c)]) x = 2 * g.next();
    for (auto& x : v[static_cast<size_t>(c)]) x = g.next();
  }
  for (int T : {1, 2}) {
    std::vector<float> q(static_cast<size_t>(T) * H * d), out(q.size());
    for (auto& x : q) x = 2 * g.next();
    std::vector<const float*> kp, vp;
    for (int c = 0; c < C; ++c) kp.push_back(k[static_cast<size_t>(c)].data()), vp.push_back(v[static_cast<size_t>(c)].data());
    cpu::attention(q.data(), T, H, d, kp, vp, 0, out.data(), &lens);
    bool same = true;
    for (int c = 0; c < C; ++c) {
      std::vector<float> qc(static_cast<size_t>(T) * group * d), oc(qc.size());
      for (int t = 0; t < T; ++t)
        std::copy_n(q.data() + (static_cast<int64_t>(t) * H + c * group) * d, group * d, qc.data() + static_cast<int64_t>(t) * group * d);
      cpu::attention(qc.data(), T, group, d, {kp[static_cast<size_t>(c)]}, {vp[static_cast<size_t>(c)]}, lens[static_cast<size_t>(c)], oc.data());
      for (int t = 0; t < T; ++t)
        for (int i = 0; i < group * d; ++i)
          same = same && oc[static_cast<size_t>(t * group * d + i)] == out[static_cast<size_t>((t * H + c * group) * d + i)];
    }
    CHECK(same, "ragged attention (T=%d) equals the dense attention over each head's own rows, bitwise", T);
  }

  Model m = tiny_model(false, true, 41, 96, 32, 2, 4, 2, 8, 48);  // 2 layers, 4 query heads, 2 KV heads, d 8
  auto ids = some_ids(40, 96, 9);
  Json p = Json::object();
  p.set("k", 12); p.set("window", 3);
  GenerateResult ada = run(m, ids, "adasnapkv", p, 6, true);
  GenerateResult snap = run(m, ids, "snapkv", p, 6, true);
  bool uneven = false, sums = true;
  for (const auto& layer : ada.selection.per_layer) {
    size_t total = 0;
    for (const auto& h : layer) total += h.size(), uneven = uneven || h.size() != layer[0].size();
    sums = sums && total == 2 * 12;
  }
  CHECK(sums && uneven, "adasnapkv keeps G·k rows per layer, split unevenly across heads");
  CHECK(ada.mem_decode.kv == snap.mem_decode.kv && ada.mem_decode.kv > 0,
        "adasnapkv's KV bytes (%lld) equal snapkv's at the same k (%lld): stored rows, not a masked full cache",
        static_cast<long long>(ada.mem_decode.kv), static_cast<long long>(snap.mem_decode.kv));
  CHECK(ada.output_ids.size() == 6, "adasnapkv decodes over the ragged cache");
}

// ---------- the JSON reader/writer (json.h): numbers at the edges, escapes, surrogates, nesting, garbage ----------
static bool parse_fails(const std::string& text, const char* needle) {
  try {
    Json::parse(text);
  } catch (const JsonError& e) {
    return std::string(e.what()).find(needle) != std::string::npos;
  }
  return false;
}

// The cpu backend's phase timer (steady_clock), and the phases of a generate nested as generate.cpp documents them.
static void test_phase_timer() {
  std::unique_ptr<Backend> b = make_backend("cpu", 0);
  CHECK(b->timer_clock() == "steady-clock", "cpu timer clock: %s", b->timer_clock().c_str());
  std::unique_ptr<PhaseTimer> t = b->start_timer();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // at least 50 ms by steady_clock ([thread.req.timing])
  const double first = t->elapsed_ms();
  CHECK(first >= 50.0 && first < 50.0 + 2000.0, "a 50 ms sleep measures %.3f ms", first);
  const double second = t->elapsed_ms();
  CHECK(second >= first, "a second reading from the same start does not decrease: %.6f then %.6f", first, second);
  { std::unique_ptr<PhaseTimer> unread = b->start_timer(); }  // a timer may be dropped without being read

  // ttftMs covers filterMs + prefillMs; totalMs covers ttftMs + decodeMs (disjoint intervals of one monotonic clock).
  Model m = tiny_model(false, true, 21, 96, 32, 3, 4, 2, 8, 48);
  Json p = Json::object();
  p.set("filterLayer", 1);
  p.set("k", 12);
  const GenerateResult g = run(m, some_ids(30, 96, 8), "gemfilter", p, 6);
  const double eps = 1e-9;
  CHECK(g.filter_ms > 0 && g.prefill_ms > 0 && g.decode_ms > 0 && g.decode_tokens == 5, "every phase timed: %g %g %g (%d tokens)",
        g.filter_ms, g.prefill_ms, g.decode_ms, g.decode_tokens);
  CHECK(g.ttft_ms + eps >= g.filter_ms + g.prefill_ms, "ttft %.6f ≥ filter %.6f + prefill %.6f", g.ttft_ms, g.filter_ms, g.prefill_ms);
  CHECK(g.total_ms + eps >= g.ttft_ms + g.decode_ms, "total %.6f ≥ ttft %.6f + decode %.6f", g.total_ms, g.ttft_ms, g.decode_ms);
}

static void test_json() {
  // Integers up to 2^53 are exact; int64 edges parse as doubles (as_int refuses what is not an exact integer).
  CHECK(Json::parse("9007199254740992").as_int() == 9007199254740992LL, "2^53 exact");
  CHECK(Json::parse("-9007199254740992").as_int() == -9007199254740992LL, "-2^53 exact");
  CHECK(Json::parse("9007199254740993").as_number() == 9007199254740992.0, "2^53+1 rounds to the nearest double");
  CHECK(Json::parse("9223372036854775807").as_number() == 9223372036854775808.0, "int64 max → 2^63 as a double");
  CHECK(Json::parse("-9223372036854775808").as_number() == -9223372036854775808.0, "int64 min exact as a double");
  CHECK(Json::parse("1e308").as_number() == 1e308 && Json::parse("2.2250738585072014e-308").as_number() == 2.2250738585072014e-308,
        "double edges");
  CHECK(Json::parse("5e-324").as_number() == 5e-324, "smallest subnormal");
  CHECK(Json::parse("-0").as_number() == 0.0 && std::signbit(Json::parse("-0").as_number()), "-0 keeps its sign");
  CHECK(Json::parse("1.5").is_number() && !Json::parse("1.5").is_integer(), "1.5 is not an integer");
  CHECK(Json::parse("1E2").as_int() == 100, "exponent form integer");
  bool threw = false;
  try {
    Json::parse("2.5").as_int();
  } catch (const JsonError&) {
    threw = true;
  }
  CHECK(threw, "as_int of 2.5 throws");
  for (const char* bad : {"01", "+1", ".5", "1.", "1e", "-", "NaN", "Infinity", "0x10"})
    CHECK(parse_fails(bad, "invalid JSON"), "number %s is refused", bad);
  CHECK(parse_fails("1e999", "invalid JSON"), "1e999 (overflow) is refused");
  // Round trip of doubles: dump writes the shortest text that parses back to the same value.
  for (double d : {0.1, 1.0 / 3.0, 1e-7, 123456789.125, 3.4028234663852886e38})
    CHECK(Json::parse(Json(d).dump()).as_number() == d, "round trip %.17g", d);
  CHECK(Json(std::nan("")).dump() == "null" && Json(INFINITY).dump() == "null", "non-finite numbers are written as null");

  // Strings: escapes, \u, surrogate pairs → UTF-8, and back.
  CHECK(Json::parse(R"("a\"b\\c\/d\b\f\n\r\t")").as_string() == "a\"b\\c/d\b\f\n\r\t", "simple escapes");
  CHECK(Json::parse(R"("\u00e9\u4e2d")").as_string() == "\xc3\xa9\xe4\xb8\xad", "\\u escapes → UTF-8");
  CHECK(Json::parse(R"("\ud83d\ude00")").as_string() == "\xf0\x9f\x98\x80", "surrogate pair → one 4-byte code point");
  CHECK(parse_fails(R"("\ud83d")", "unpaired high surrogate"), "lone high surrogate");
  CHECK(parse_fails(R"("\ude00")", "unpaired low surrogate"), "lone low surrogate");
  CHECK(parse_fails(R"("\ud83d\u0041")", "low surrogate"), "high surrogate + non-surrogate");
  CHECK(parse_fails(R"("\u12G4")", "hex digit"), "bad hex");
  CHECK(parse_fails(R"("\x")", "invalid JSON"), "unknown escape");
  CHECK(parse_fails("\"a\nb\"", "invalid JSON"), "raw control character in a string");
  CHECK(parse_fails("\"abc", "invalid JSON"), "unterminated string");
  const std::string s = "quote\" backslash\\ nl\n tab\t ctl\x01 é 😀";
  CHECK(Json::parse(Json(s).dump()).as_string() == s, "string round trip");
  CHECK(Json(std::string("a\nb")).dump().find('\n') == std::string::npos, "dump is one line");

  // Nesting: deep but bounded.
  std::string deep(500, '[');
  deep += std::string(500, ']');
  CHECK(Json::parse(deep).is_array(), "500 levels parse");
  std::string too_deep(100000, '[');
  CHECK(parse_fails(too_deep, "nesting too deep"), "100000 levels are refused, not a stack overflow");

  // Trailing garbage, trailing commas, comments, duplicates.
  CHECK(parse_fails("{} x", "trailing"), "trailing garbage");
  CHECK(parse_fails("[1,]", "invalid JSON"), "trailing comma in an array");
  CHECK(parse_fails("{\"a\":1,}", "invalid JSON"), "trailing comma in an object");
  CHECK(parse_fails("// c\n{}", "invalid JSON"), "comments");
  CHECK(parse_fails("", "invalid JSON") && parse_fails("   ", "invalid JSON"), "empty document");
  CHECK(Json::parse(" {\"a\" : [true, false, null, 1, \"x\"]} ")["a"].size() == 5, "whitespace and every type");
}

// The fast kernel set (cpu/fast.h): bitwise independent of the thread count and of the rows per call, AVX2 equal to
// AVX-512 bit for bit (both where the CPU has them), and within 1e-5 (relative to max |reference|) of the reference.
// Random attention inputs: T query rows of H heads and `rows` key/value rows of C cache heads, head size d.
struct AttnInputs {
  std::vector<float> q;
  std::vector<std::vector<float>> k, v;
  std::vector<const float*> kp, vp;
};
static AttnInputs attn_inputs(Lcg& g, int T, int rows, int H, int C, int d) {
  auto vec = [&](size_t n) {
    std::vector<float> x(n);
    for (auto& e : x) e = g.next();
    return x;
  };
  AttnInputs a;
  a.q = vec(static_cast<size_t>(T) * H * d);
  for (int c = 0; c < C; ++c) {
    a.k.push_back(vec(static_cast<size_t>(rows) * d));
    a.v.push_back(vec(static_cast<size_t>(rows) * d));
  }
  for (int c = 0; c < C; ++c) {
    a.kp.push_back(a.k[static_cast<size_t>(c)].data());
    a.vp.push_back(a.v[static_cast<size_t>(c)].data());
  }
  return a;
}

// A ProbSum request's case for the fast attention tests: shapes, query rows [q0, q1), keys [0, key_end), aggregation.
struct StatsCase {
  int T, rows, H, C, d, q0, q1, key_end;
  StatsAgg agg;
};
// The largest difference of s from ref relative to ref's largest value (infinity when the shapes differ).
static double stats_rel_err(const Stats& s, const Stats& ref) {
  if (s.heads != ref.heads || s.keys != ref.keys || s.data.size() != ref.data.size()) return HUGE_VAL;
  double scale = 1e-12, e = 0;
  for (size_t i = 0; i < ref.data.size(); ++i) scale = std::max(scale, std::fabs(ref.data[i]));
  for (size_t i = 0; i < ref.data.size(); ++i) e = std::max(e, std::fabs(s.data[i] - ref.data[i]));
  return e / scale;
}

static void test_fast_kernels() {
  if (std::string(cpu::fast_isa()) == "none") {
    std::printf("skip  fast kernels: this CPU has neither AVX-512 nor AVX2+FMA (the fast set runs the reference)\n");
    return;
  }
  Lcg g{12345};
  auto vec = [&](size_t n) {
    std::vector<float> v(n);
    for (auto& x : v) x = g.next();
    return v;
  };
  auto rel = [](const std::vector<float>& a, const std::vector<float>& b) {
    double scale = 1e-6, e = 0;
    for (float x : b) scale = std::max(scale, std::fabs(static_cast<double>(x)));
    for (size_t i = 0; i < a.size(); ++i) e = std::max(e, std::fabs(static_cast<double>(a[i]) - b[i]));
    return e / scale;
  };
  for (auto sh : std::vector<std::array<int, 3>>{{1, 300, 50}, {70, 37, 97}, {130, 1100, 49}}) {
    const int T = sh[0], in = sh[1], out = sh[2];
    auto x = vec(static_cast<size_t>(T) * in), W = vec(static_cast<size_t>(out) * in), b = vec(static_cast<size_t>(out));
    std::vector<float> y1(static_cast<size_t>(T) * out), y3(y1.size()), yr(y1.size()), row(static_cast<size_t>(out));
    set_num_threads(1);
    CHECK(cpu::fast_matmul(x.data(), T, in, W.data(), out, b.data(), y1.data()), "fast matmul runs");
    set_num_threads(3);
    cpu::fast_matmul(x.data(), T, in, W.data(), out, b.data(), y3.data());
    CHECK(y1 == y3, "fast matmul T=%d in=%d out=%d: 1 and 3 threads bitwise equal", T, in, out);
    const int t = T - 1;
    cpu::fast_matmul(x.data() + static_cast<int64_t>(t) * in, 1, in, W.data(), out, b.data(), row.data());
    CHECK(std::equal(row.begin(), row.end(), y1.begin() + static_cast<int64_t>(t) * out),
          "fast matmul: row %d alone equals row %d of the batch of %d", t, t, T);
    cpu::matmul(x.data(), T, in, W.data(), out, b.data(), yr.data());
    CHECK(rel(y1, yr) <= 1e-5, "fast matmul T=%d in=%d out=%d vs reference: rel err %.3g", T, in, out, rel(y1, yr));
    if (std::string(cpu::fast_isa()) == "avx512" && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
      cpu::fast_matmul_avx2(x.data(), T, in, W.data(), out, b.data(), y3.data());
      CHECK(y1 == y3, "fast matmul T=%d in=%d out=%d: the AVX2 kernel equals the AVX-512 kernel bitwise", T, in, out);
    }
  }
  // (T, rows, H, cache heads, d)
  for (auto sh : std::vector<std::array<int, 5>>{{150, 150, 8, 2, 32}, {70, 200, 6, 2, 128}, {2, 65, 3, 3, 16}}) {
    const int T = sh[0], rows = sh[1], H = sh[2], C = sh[3], d = sh[4];
    const AttnInputs in = attn_inputs(g, T, rows, H, C, d);
    const std::vector<float>& q = in.q;
    const std::vector<const float*>&kp = in.kp, &vp = in.vp;
    std::vector<float> o1(q.size()), o3(q.size()), orf(q.size());
    set_num_threads(1);
    CHECK(cpu::fast_attention(q.data(), T, H, d, kp, vp, rows, o1.data()), "fast attention runs");
    set_num_threads(3);
    cpu::fast_attention(q.data(), T, H, d, kp, vp, rows, o3.data());
    CHECK(o1 == o3, "fast attention T=%d rows=%d H=%d C=%d d=%d: 1 and 3 threads bitwise equal", T, rows, H, C, d);
    cpu::attention(q.data(), T, H, d, kp, vp, rows, orf.data());
    CHECK(rel(o1, orf) <= 1e-5, "fast attention T=%d rows=%d d=%d vs reference: rel err %.3g", T, rows, d, rel(o1, orf));
  }
  // ProbSum statistics from the attention's row normalisers vs the reference (double, per-score softmax).
  for (const StatsCase& sc : std::vector<StatsCase>{{150, 150, 8, 2, 32, 0, 150, -1, StatsAgg::KvMean},
                                                    {70, 200, 6, 2, 128, 0, 70, -1, StatsAgg::PerQueryHead},
                                                    {200, 200, 4, 4, 64, 168, 200, 168, StatsAgg::PerQueryHead},
                                                    {90, 90, 4, 1, 16, 0, 90, -1, StatsAgg::KvMax},
                                                    {90, 130, 4, 2, 48, 0, 90, -1, StatsAgg::AllSum}}) {
    const AttnInputs in = attn_inputs(g, sc.T, sc.rows, sc.H, sc.C, sc.d);
    const std::vector<float>& q = in.q;
    const std::vector<const float*>&kp = in.kp, &vp = in.vp;
    std::vector<float> o(q.size());
    cpu::RowNorms norms;
    CHECK(cpu::fast_attention(q.data(), sc.T, sc.H, sc.d, kp, vp, sc.rows, o.data(), &norms), "fast attention with norms runs");
    norms.layer = 0;
    const StatsRequest req{0, StatsMode::ProbSum, sc.q0, sc.q1, sc.key_end, sc.agg};
    const cpu::KeyRows keys{kp, sc.d, sc.rows};
    Stats ref, s1, s3;
    cpu::attn_stats(q.data(), sc.T, sc.H, sc.d, keys, req, ref);
    set_num_threads(1);
    CHECK(cpu::fast_attn_stats(q.data(), sc.T, sc.H, sc.d, keys, req, norms, s1), "fast stats run");
    set_num_threads(3);
    cpu::fast_attn_stats(q.data(), sc.T, sc.H, sc.d, keys, req, norms, s3);
    CHECK(s1.heads == ref.heads && s1.keys == ref.keys, "fast stats shape %dx%d vs %dx%d", s1.heads, s1.keys, ref.heads, ref.keys);
    CHECK(s1.data.vec() == s3.data.vec(), "fast stats T=%d rows=%d: 1 and 3 threads bitwise equal", sc.T, sc.rows);
    CHECK(stats_rel_err(s1, ref) <= 1e-5, "fast stats T=%d rows=%d H=%d C=%d d=%d agg=%d vs reference: rel err %.3g", sc.T,
          sc.rows, sc.H, sc.C, sc.d, static_cast<int>(sc.agg), stats_rel_err(s1, ref));
    norms.layer = 1;
    CHECK(!cpu::fast_attn_stats(q.data(), sc.T, sc.H, sc.d, keys, req, norms, s1), "fast stats refuse another layer's norms");
  }
  set_num_threads(2);
}

// ProbSum's column sums taken by the attention pass itself (fast.h ColumnSums, H2O's prefill): the attention output is
// the bits of the plain pass, the sums equal the reference's at 1e-5 of the largest and are bitwise independent of the
// thread count (several superblocks: up to 1100 rows), a request for other rows or keys is recomputed (not served
// from the wrong sums), and a second equal request after the first took them is recomputed too.
static void test_fast_attention_colsums() {
  if (std::string(cpu::fast_isa()) == "none") {
    std::printf("skip  fast attention column sums: this CPU has no fast kernels\n");
    return;
  }
  Lcg g{777};
  for (const StatsCase& sc : std::vector<StatsCase>{{1100, 1100, 8, 2, 32, 0, 1100, -1, StatsAgg::KvMean},
                                                    {700, 900, 4, 1, 64, 0, 700, -1, StatsAgg::PerQueryHead},
                                                    {300, 300, 6, 3, 16, 37, 250, 180, StatsAgg::KvMax},
                                                    {90, 130, 4, 2, 128, 0, 90, -1, StatsAgg::AllSum},
                                                    {40, 40, 2, 2, 32, 0, 40, -1, StatsAgg::PerQueryHead}}) {
    const AttnInputs in = attn_inputs(g, sc.T, sc.rows, sc.H, sc.C, sc.d);
    const std::vector<float>& q = in.q;
    const std::vector<const float*>&kp = in.kp, &vp = in.vp;
    const StatsRequest req{0, StatsMode::ProbSum, sc.q0, sc.q1, sc.key_end, sc.agg};
    const cpu::KeyRows keys{kp, sc.d, sc.rows};
    Stats ref;
    cpu::attn_stats(q.data(), sc.T, sc.H, sc.d, keys, req, ref);
    std::vector<float> plain(q.size()), o1(q.size()), o3(q.size());
    cpu::fast_attention(q.data(), sc.T, sc.H, sc.d, kp, vp, sc.rows, plain.data());
    const int K = sc.key_end < 0 ? sc.rows : sc.key_end;
    auto fused = [&](int threads, std::vector<float>& o, cpu::RowNorms& norms) {
      set_num_threads(threads);
      norms.cols.want = &req;
      CHECK(cpu::fast_attention(q.data(), sc.T, sc.H, sc.d, kp, vp, sc.rows, o.data(), &norms), "fast attention runs");
      norms.layer = 0;
      CHECK(norms.cols.per.size() == static_cast<size_t>(sc.H) * K, "T=%d: the attention pass took the column sums (%zu)",
            sc.T, norms.cols.per.size());
    };
    cpu::RowNorms n1, n3;
    fused(1, o1, n1);
    fused(3, o3, n3);
    CHECK(o1 == plain && o3 == plain, "T=%d rows=%d: the attention output with column sums is the plain pass's", sc.T, sc.rows);
    CHECK(n1.cols.per.vec() == n3.cols.per.vec(), "T=%d rows=%d: column sums with 1 and 3 threads bitwise equal", sc.T, sc.rows);
    Stats s, again, other;
    CHECK(cpu::fast_attn_stats(q.data(), sc.T, sc.H, sc.d, keys, req, n1, s), "fast stats run");
    CHECK(n1.cols.per.empty(), "T=%d: the stats took the pass's column sums", sc.T);
    CHECK(stats_rel_err(s, ref) <= 1e-5, "fused stats T=%d rows=%d H=%d C=%d d=%d vs reference: rel err %.3g", sc.T, sc.rows,
          sc.H, sc.C, sc.d, stats_rel_err(s, ref));
    CHECK(cpu::fast_attn_stats(q.data(), sc.T, sc.H, sc.d, keys, req, n1, again), "a second request runs");
    CHECK(stats_rel_err(again, ref) <= 1e-5, "T=%d: a second equal request recomputes: rel err %.3g", sc.T,
          stats_rel_err(again, ref));
    // Other query rows than the pass summed: recomputed, equal to the reference for those rows.
    const StatsRequest req2{0, StatsMode::ProbSum, 0, sc.T / 2, -1, sc.agg};
    Stats ref2;
    cpu::attn_stats(q.data(), sc.T, sc.H, sc.d, keys, req2, ref2);
    CHECK(cpu::fast_attn_stats(q.data(), sc.T, sc.H, sc.d, keys, req2, n3, other), "a request for other rows runs");
    CHECK(stats_rel_err(other, ref2) <= 1e-5, "T=%d: other rows are recomputed: rel err %.3g", sc.T, stats_rel_err(other, ref2));
    CHECK(!n3.cols.per.empty(), "T=%d: a request for other rows leaves the pass's sums", sc.T);
  }
  set_num_threads(2);
}

// 16-bit weights kept as they are (model.h Tensor::half, kernels.h WeightRef): every kernel widens them exactly, so
// the reference and the fast matmul (direct and packed paths, k tails, AVX2 and AVX-512) give the bits of the widened
// fp32 copy; a BF16 folder loaded with keep16 holds its matrices in half the bytes and generates the same logits and
// tokens, bit for bit, with both kernel sets; exporting it writes the widened values back.
static void test_weights_16bit() {
  uint64_t st = 99;
  auto bits = [&]() {
    st = st * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(st >> 33);
  };
  for (cpu::WeightType wt : {cpu::WeightType::BF16, cpu::WeightType::F16}) {
    const bool bf = wt == cpu::WeightType::BF16;
    for (auto sh : std::vector<std::array<int, 3>>{{1, 300, 50}, {5, 37, 13}, {70, 37, 97}, {130, 1100, 49}}) {
      const int T = sh[0], in = sh[1], out = sh[2];
      std::vector<uint16_t> h(static_cast<size_t>(out) * in);
      for (auto& v : h) {  // bf16: exponents 2^-7 .. 2^3; f16: 2^-15 .. 2^2, subnormals included (exponent field 0)
        const uint32_t r = bits();
        v = bf ? static_cast<uint16_t>(((r & 1u) << 15) | ((120u + (r >> 1) % 11u) << 7) | ((r >> 8) & 0x7Fu))
               : static_cast<uint16_t>(((r & 1u) << 15) | (((r >> 1) % 18u) << 10) | ((r >> 8) & 0x3FFu));
      }
      std::vector<float> wide(h.size()), x(static_cast<size_t>(T) * in), b(static_cast<size_t>(out));
      const cpu::WeightRef w16(h.data(), wt);
      for (int o = 0; o < out; ++o) w16.row(o, in, wide.data() + static_cast<int64_t>(o) * in);
      Lcg g{static_cast<uint64_t>(T * 1000 + in)};
      for (auto& v : x) v = g.next();
      for (auto& v : b) v = g.next();
      std::vector<float> y16(static_cast<size_t>(T) * out), y32(y16.size());
      cpu::matmul(x.data(), T, in, w16, out, b.data(), y16.data());
      cpu::matmul(x.data(), T, in, wide.data(), out, b.data(), y32.data());
      CHECK(y16 == y32, "%s reference matmul T=%d in=%d out=%d: the 16-bit W equals its fp32 copy bitwise", bf ? "bf16" : "f16", T, in, out);
      if (std::string(cpu::fast_isa()) == "none") continue;
      cpu::fast_matmul(x.data(), T, in, w16, out, b.data(), y16.data());
      cpu::fast_matmul(x.data(), T, in, wide.data(), out, b.data(), y32.data());
      CHECK(y16 == y32, "%s fast matmul T=%d in=%d out=%d: the 16-bit W equals its fp32 copy bitwise", bf ? "bf16" : "f16", T, in, out);
      if (std::string(cpu::fast_isa()) != "avx512") continue;
      cpu::fast_matmul_avx2(x.data(), T, in, w16, out, b.data(), y32.data());
      CHECK(y16 == y32, "%s fast matmul T=%d in=%d out=%d: AVX2 equals AVX-512 bitwise", bf ? "bf16" : "f16", T, in, out);
    }
  }

  char tmpl[] = "/tmp/gem-native-bf16-XXXXXX";
  const char* dir = ::mkdtemp(tmpl);
  CHECK(dir != nullptr, "mkdtemp");
  if (!dir) return;
  for (const std::string preset : {"tiny-qwen2", "tiny-phi3"}) {  // q/k/v biases; phi3's fused projections split
    const std::string at = std::string(dir) + "/" + preset;
    export_hf_folder(make_synthetic(preset, Json::object(), 21), at, true, true);
    const Model kept = load_hf_folder(at, true), widened = load_hf_folder(at, false);
    CHECK(kept.weight_dtype() == "bf16" && widened.weight_dtype() == "f32", "%s: weight dtypes %s / %s", preset.c_str(),
          kept.weight_dtype().c_str(), widened.weight_dtype().c_str());
    CHECK(kept.embed.kept16() && kept.layers[0].wk.kept16() && kept.layers[0].w_up.kept16() && !kept.layers[0].attn_norm.kept16(),
          "%s: matrices kept 16-bit, norms fp32", preset.c_str());
    int64_t want = 0;  // matrices 2 bytes a value, norms and biases 4
    auto add = [&](const Tensor& t) { want += t.empty() ? 0 : t.numel() * (t.shape.size() == 2 ? 2 : 4); };
    add(widened.embed), add(widened.final_norm), add(widened.lm_head);
    for (const LayerWeights& l : widened.layers)
      for (const Tensor* t : {&l.attn_norm, &l.wq, &l.wk, &l.wv, &l.wo, &l.bq, &l.bk, &l.bv, &l.mlp_norm, &l.w_gate, &l.w_up, &l.w_down})
        add(*t);
    CHECK(kept.weight_bytes() == want && kept.parameter_count() == widened.parameter_count(),
          "%s: %lld bytes held (want %lld; fp32 %lld)", preset.c_str(), static_cast<long long>(kept.weight_bytes()),
          static_cast<long long>(want), static_cast<long long>(widened.weight_bytes()));
    auto ids = some_ids(40, kept.config.vocab_size, 8);
    Json gp = Json::object();
    gp.set("filterLayer", 1);
    gp.set("k", 16);
    for (cpu::KernelSet ks : {cpu::KernelSet::Fast, cpu::KernelSet::Reference}) {
      cpu::set_kernel_set(ks);
      for (const auto& mp : std::vector<std::pair<std::string, Json>>{{"dense", Json()}, {"gemfilter", gp}}) {
        const GenerateResult a = run(kept, ids, mp.first, mp.second, 6), w = run(widened, ids, mp.first, mp.second, 6);
        CHECK(a.output_ids == w.output_ids && a.first_logits == w.first_logits,
              "%s %s, %s kernels: bf16 weights kept give the widened model's tokens and logits bitwise", preset.c_str(),
              mp.first.c_str(), cpu::kernel_set_name(ks));
      }
    }
    cpu::set_kernel_set(cpu::KernelSet::Fast);
    export_hf_folder(kept, at + "-f32", true, false);
    const Model back = load_hf_folder(at + "-f32", false);
    CHECK(back.embed.data == widened.embed.data && back.layers[1].wv.data == widened.layers[1].wv.data &&
              back.layers[1].w_gate.data == widened.layers[1].w_gate.data,
          "%s: an F32 export of the 16-bit model writes the widened values", preset.c_str());
  }
  std::filesystem::remove_all(dir);
}

// gemfilter recompute = false keeps exactly the selected positions of a full dense run in every layer and KV head: a
// turn prefilled on top of it gives the logits of a dense cache over the context cut by hand (KVCache::keep) to the
// selection — bitwise — and not those of a cut missing one selected position. The selection is plain GemFilter's
// (layer r's scores of the dense run = those of the filter pass).
// The fast GEMM's panel layout (fast.h to_panels, model.h Tensor::panels16): a matrix re-laid in it reads back the same
// values (Tensor::values, WeightRef::row), multiplies to the bits of its row-major original on both kernel sets (fp32
// and bf16; few-row and packed paths; AVX2 and AVX-512), and a model adopted by the cpu backend with the fast set holds
// its matrices so and exports the original values.
static void test_weights_panels() {
  if (std::string(cpu::fast_isa()) == "none") {
    std::printf("skip  panel layout: this CPU has no fast kernels (matrices stay row-major)\n");
    return;
  }
  Lcg g{77};
  for (bool bf : {false, true})
    for (auto sh : std::vector<std::array<int, 3>>{{1, 300, 64}, {5, 37, 16}, {20, 1100, 144}, {130, 40, 48}, {9, 700, 80}}) {
      const int T = sh[0], in = sh[1], out = sh[2];
      Tensor row;
      row.shape = {out, in};
      if (bf) {
        row.dtype = "BF16";
        row.half.resize(static_cast<size_t>(out) * in);
        for (auto& v : row.half) {  // the top half of an fp32 value: a bf16 (truncated)
          const float f = g.next();
          uint32_t u;
          std::memcpy(&u, &f, 4);
          v = static_cast<uint16_t>(u >> 16);
        }
      } else {
        row.data.resize(static_cast<size_t>(out) * in);
        for (auto& v : row.data) v = g.next();
      }
      Tensor pan = row;
      CHECK(cpu::to_panels(pan) && pan.panels16 && !cpu::to_panels(pan), "%s %dx%d: re-laid once", bf ? "bf16" : "f32", out, in);
      std::vector<float> a(static_cast<size_t>(out) * in), b(a.size()), r(static_cast<size_t>(in));
      row.values(0, row.numel(), a.data());
      pan.values(0, pan.numel(), b.data());
      bool rows_ok = true;
      for (int o = 0; o < out; ++o) {
        cpu::WeightRef::of(pan).row(o, in, r.data());
        rows_ok = rows_ok && std::equal(r.begin(), r.end(), a.begin() + static_cast<int64_t>(o) * in);
      }
      CHECK(a == b && rows_ok, "%s %dx%d: values and rows read back from the panels", bf ? "bf16" : "f32", out, in);
      std::vector<float> x(static_cast<size_t>(T) * in), bias(static_cast<size_t>(out));
      for (auto& v : x) v = g.next();
      for (auto& v : bias) v = g.next();
      std::vector<float> y0(static_cast<size_t>(T) * out), y1(y0.size());
      cpu::fast_matmul(x.data(), T, in, cpu::WeightRef::of(row), out, bias.data(), y0.data());
      cpu::fast_matmul(x.data(), T, in, cpu::WeightRef::of(pan), out, bias.data(), y1.data());
      CHECK(y0 == y1, "%s fast matmul T=%d in=%d out=%d: panels equal row-major bitwise", bf ? "bf16" : "f32", T, in, out);
      if (std::string(cpu::fast_isa()) == "avx512") {
        cpu::fast_matmul_avx2(x.data(), T, in, cpu::WeightRef::of(pan), out, bias.data(), y1.data());
        CHECK(y0 == y1, "%s fast matmul T=%d in=%d out=%d: AVX2 on panels equals AVX-512 bitwise", bf ? "bf16" : "f32", T, in, out);
      }
      cpu::matmul(x.data(), T, in, cpu::WeightRef::of(row), out, bias.data(), y0.data());
      cpu::matmul(x.data(), T, in, cpu::WeightRef::of(pan), out, bias.data(), y1.data());
      CHECK(y0 == y1, "%s reference matmul T=%d in=%d out=%d: panels equal row-major bitwise", bf ? "bf16" : "f32", T, in, out);
    }
  Tensor odd;
  odd.shape = {50, 8};
  odd.data.assign(400, 1.0f);
  CHECK(!cpu::to_panels(odd) && !odd.panels16, "rows not a multiple of 16 stay row-major");

  // Through the cpu backend: its fast set re-lays the projections and the output matrix at adopt; export writes the
  // original (row-major) values.
  // (tied embeddings, so the embedding lookup reads the panels too; a vocabulary of 256, so the output matrix has whole groups)
  const Model m = make_synthetic("tiny-qwen2", Json::parse(R"({"vocab_size":256})"), 5);
  std::unique_ptr<Backend> be = make_backend("cpu", 0);
  be->adopt(std::make_unique<Model>(m));
  const Model* held = be->host_model();
  CHECK(held->layers[0].wq.panels16 && held->layers[0].w_down.panels16 && held->output_weight().panels16 && !m.layers[0].wq.panels16,
        "the fast set holds the matrices in panels (the model passed in is a copy, untouched)");
  char tmpl[] = "/tmp/gem-native-panels-XXXXXX";
  const char* dir = ::mkdtemp(tmpl);
  CHECK(dir != nullptr, "mkdtemp");
  if (!dir) return;
  export_hf_folder(*held, std::string(dir) + "/m", true, false);
  const Model back = load_hf_folder(std::string(dir) + "/m", false);
  CHECK(back.layers[0].wq.data == m.layers[0].wq.data && back.layers[1].w_down.data == m.layers[1].w_down.data &&
            back.output_weight().data == m.output_weight().data,
        "export from the panel layout writes the row-major values");
  std::filesystem::remove_all(dir);
}

static void test_gemfilter_no_recompute() {
  Model m = tiny_model(false, true, 29, 96, 32, 3, 4, 2, 8, 48);
  const auto ids = some_ids(30, 96, 12);
  const std::vector<int> question = {7, 8, 9};
  Json p = Json::object();
  p.set("filterLayer", 1);
  p.set("k", 10);
  const std::vector<int> sel = run(m, ids, "gemfilter", p, 2, true).selection.indices;
  p.set("recompute", false);
  GenerateRequest r;
  r.input_ids = ids;
  r.method = "gemfilter";
  r.params = p;
  r.max_new_tokens = 3;
  r.ignore_eos = true;
  r.return_logits = true;
  r.return_selection = true;
  r.turns.push_back(TurnRequest{question});
  std::unique_ptr<Backend> b = make_backend("cpu", 0);
  b->adopt(std::make_unique<Model>(m));
  const GenerateResult g = generate(*b, r, false);
  CHECK(g.selection.indices == sel, "recompute:false selects what the filter pass selects");
  CHECK(g.kept_length == 10 && g.turns.size() == 1 && g.turns[0].cache_length == 10, "kept %d", g.kept_length);

  auto cut_then_question = [&](const std::vector<int>& keep_rows) {
    MemoryTracker mem;
    ActiveTracker active(&mem);
    std::unique_ptr<KVCache> cache = b->new_cache(0);
    std::vector<int> pos(ids.size());
    for (size_t i = 0; i < pos.size(); ++i) pos[i] = static_cast<int>(i);
    ForwardOptions o;
    o.want_logits = true;
    b->forward(ids, pos, cache.get(), o);
    for (int l = 0; l < cache->layers(); ++l)
      cache->keep(l, std::vector<std::vector<int>>(static_cast<size_t>(cache->heads(l)), keep_rows), {0, 1}, 0);
    return b->forward(question, {30, 31, 32}, cache.get(), o);
  };
  CHECK(g.turns[0].first_logits == cut_then_question(sel), "the turn reads exactly the selected rows of every layer");
  std::vector<int> fewer(sel.begin() + 1, sel.end());
  CHECK(g.turns[0].first_logits != cut_then_question(fewer), "a cut without position %d differs", sel[0]);
  // KV: layers × G × (k' + the turn's 3 + 3 new) rows × d × (K, V) × 4 bytes reserved for the turn (capacity).
  const int64_t want = 3LL * 2 * (10 + 3 + 3) * 8 * 2 * 4;
  CHECK(g.mem_decode.kv == want, "kv %lld want %lld", (long long)g.mem_decode.kv, (long long)want);
}

int main() {
  set_num_threads(2);
  test_json();
  test_rope_scalings();
  test_pooling_and_topk();
  test_column_sums();
  test_forward_vs_naive();
  test_thread_independence();
  test_fast_kernels();
  test_fast_attention_colsums();
  test_weights_16bit();
  test_weights_panels();
  test_methods_edges();
  test_h2o_evict_vs_naive();
  test_ragged_cache();
  test_methods_budget_edges();
  test_gemfilter_no_recompute();
  test_errors();
  test_phase_timer();
  return finish_checks();
}
