// The fp32 reference backend: the model as fp32 host tensors; forward = embedding, per layer [RMSNorm → q/k/v
// (+qwen2 bias) → RoPE → causal GQA attention → o_proj → residual → RMSNorm → SwiGLU MLP (token chunks) → residual],
// final norm, lm_head; the attention-statistics op and the KV cache on host buffers (all counted by the tracker).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "../backend.h"
#include "../threads.h"
#include "../select.h"
#include "fast.h"
#include "kernels.h"

namespace gem {
namespace {

constexpr int kMlpChunk = 128;  // tokens per MLP chunk: bounds the [chunk x intermediate] buffers

const float* opt_data(const Tensor& t) { return t.data.empty() ? nullptr : t.data.data(); }

// x += y over rows × cols, rows over the threads (the residual adds).
void add_rows(float* x, const float* y, int rows, int cols) {
  cpu::parallel_for(rows, 8.0 * rows * cols, [&](int64_t b, int64_t e) {
    for (int64_t i = b * cols; i < e * cols; ++i) x[i] += y[i];
  });
}

// Throws bad_model when any of n values is NaN or ±Inf.
void check_finite(const float* x, int64_t n, const std::string& where) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i]))
      throw RunnerError("bad_model", "non-finite values (" + std::string(std::isnan(x[i]) ? "NaN" : "Inf") + ") in " + where,
                        "the weights or the config produce NaN/Inf (NaN weights, a rope scaling factor of 0, an overflow): "
                        "check the checkpoint and config.json");
}

// Host KV cache: per layer, per cache head, K and V rows (and optional per-row scores); heads may hold different numbers
// of rows (a ragged keep), each storing only its own.
class CpuKVCache final : public KVCache {
 public:
  struct Layer {
    std::vector<int> len;     // [heads] rows per head (equal unless a ragged keep)
    std::vector<FVec> k, v;   // [heads] each [len[h] * d]
    std::vector<DVec> score;  // [heads] each [len] (empty: no scores)
  };

  CpuKVCache(const ModelConfig& c, int reserve_rows) : d_(c.head_dim) {
    layers_.resize(static_cast<size_t>(c.num_layers));
    for (auto& L : layers_)
      for (int h = 0; h < c.num_kv_heads; ++h) {
        L.k.emplace_back(MemCat::KV);
        L.v.emplace_back(MemCat::KV);
        L.len.push_back(0);
        if (reserve_rows > 0) {
          L.k.back().reserve(static_cast<size_t>(reserve_rows) * d_);
          L.v.back().reserve(static_cast<size_t>(reserve_rows) * d_);
        }
      }
  }

  int layers() const override { return static_cast<int>(layers_.size()); }
  int heads(int l) const override { return static_cast<int>(at(l).k.size()); }
  int rows(int l, int h) const override { return at(l).len[static_cast<size_t>(h)]; }
  int64_t bytes() const override {
    int64_t b = 0;
    for (const auto& L : layers_)
      for (size_t h = 0; h < L.k.size(); ++h) b += static_cast<int64_t>((L.k[h].size() + L.v[h].size()) * sizeof(float));
    return b;
  }
  void keep(int l, const std::vector<std::vector<int>>& keep, const std::vector<int>& src_head, int reserve_extra,
            const std::vector<std::vector<double>>* scores) override {
    Layer& L = at(l);
    std::vector<FVec> nk, nv;
    std::vector<DVec> ns;
    std::vector<int> lens;
    for (size_t h = 0; h < keep.size(); ++h) {
      const int len = static_cast<int>(keep[h].size());
      lens.push_back(len);
      const FVec& sk = L.k[static_cast<size_t>(src_head[h])];
      const FVec& sv = L.v[static_cast<size_t>(src_head[h])];
      nk.emplace_back(MemCat::KV);
      nv.emplace_back(MemCat::KV);
      nk.back().reserve(static_cast<size_t>(len + reserve_extra) * d_);
      nv.back().reserve(static_cast<size_t>(len + reserve_extra) * d_);
      for (int row : keep[h]) {
        nk.back().append(sk.data() + static_cast<int64_t>(row) * d_, static_cast<size_t>(d_));
        nv.back().append(sv.data() + static_cast<int64_t>(row) * d_, static_cast<size_t>(d_));
      }
      if (scores) {
        ns.emplace_back(MemCat::Workspace);
        ns.back().reserve(static_cast<size_t>(len + reserve_extra));
        for (double x : (*scores)[h]) ns.back().push_back(x);
      }
    }
    L.k = std::move(nk);
    L.v = std::move(nv);
    L.score = std::move(ns);
    L.len = std::move(lens);
  }

  Layer& at(int l) { return layers_[static_cast<size_t>(l)]; }
  const Layer& at(int l) const { return layers_[static_cast<size_t>(l)]; }
  int head_dim() const { return d_; }

 private:
  int d_;
  std::vector<Layer> layers_;
};

// The kernels as an op table (the selftest compares other backends, and other thread counts, with the reference set).
// With the fast set (fast.h), matmul and prefill attention run the fast kernels where they cover the CPU and shape.
class CpuOps final : public BackendOps {
 public:
  explicit CpuOps(cpu::KernelSet k) : fast_(k == cpu::KernelSet::Fast) {}
  // "reference", or "fast/<isa>" (fast.h: fast_isa; "fast/none" runs the reference kernels)
  std::string kernels() const { return fast_ ? std::string("fast/") + cpu::fast_isa() : "reference"; }
  bool fast() const { return fast_; }
  bool matmul(const float* x, int T, int in, const float* W, int out, const float* bias, float* y) override {
    matmul(x, T, in, cpu::WeightRef(W), out, bias, y);
    return true;
  }
  // The forward's matmul: W as the model holds it (fp32, or a checkpoint's 16-bit values).
  void matmul(const float* x, int T, int in, cpu::WeightRef W, int out, const float* bias, float* y) {
    if (fast_ && cpu::fast_matmul(x, T, in, W, out, bias, y)) return;
    cpu::matmul(x, T, in, W, out, bias, y);
  }
  bool rmsnorm(const float* x, int T, int dim, const float* w, double eps, float* y) override {
    cpu::rmsnorm(x, T, dim, w, eps, y);
    return true;
  }
  bool rope(float* x, int T, int heads, int d, const int* pos, const ModelConfig& c) override {
    cpu::apply_rope(x, T, heads, d, pos, cpu::rope_freqs(c, *std::max_element(pos, pos + T)));
    return true;
  }
  bool swiglu(const float* gate, const float* up, int64_t n, float* out) override {
    for (int64_t i = 0; i < n; ++i) out[i] = cpu::silu(gate[i]) * up[i];
    return true;
  }
  bool attention(const float* q, int T, int H, int d, const std::vector<const float*>& k, const std::vector<const float*>& v,
                 int rows, float* out) override {
    if (fast_ && cpu::fast_attention(q, T, H, d, k, v, rows, out)) return true;
    cpu::attention(q, T, H, d, k, v, rows, out);
    return true;
  }
  // The forward's attention at `layer`: the fast kernels also keep the row normalisers that fast_stats reuses.
  void attention(const float* q, int T, int H, int d, const std::vector<const float*>& k, const std::vector<const float*>& v,
                 int rows, float* out, int layer, cpu::RowNorms& norms) {
    norms.layer = -1;
    if (fast_ && cpu::fast_attention(q, T, H, d, k, v, rows, out, &norms)) {
      norms.layer = layer;
      return;
    }
    cpu::attention(q, T, H, d, k, v, rows, out);
  }
  // The forward's statistics: the fast ProbSum from the attention's row normalisers where it applies, else the reference.
  void stats(const float* q, int T, int H, int d, const cpu::KeyRows& keys, const StatsRequest& r, cpu::RowNorms& norms,
             Stats& s) {
    if (fast_ && cpu::fast_attn_stats(q, T, H, d, keys, r, norms, s)) return;
    cpu::attn_stats(q, T, H, d, keys, r, s);
  }
  bool attn_stats(const float* q, int T, int H, int d, const std::vector<const float*>& k, int rows, const StatsRequest& req,
                  Stats& out) override {
    cpu::attn_stats(q, T, H, d, cpu::KeyRows{k, d, rows}, req, out);
    return true;
  }
  bool top_k(const double* scores, int n, int k, std::vector<int>& out) override {
    out = top_k_indices(scores, n, k);
    return true;
  }

 private:
  bool fast_;
};

// Every op of this backend has finished when it returns, so a monotonic host clock times a phase exactly.
class SteadyClockTimer final : public PhaseTimer {
 public:
  double elapsed_ms() override { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count(); }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

class CpuBackend final : public Backend {
 public:
  std::string name() const override { return "cpu"; }
  std::string device_name() const override;
  std::vector<std::string> dtypes() const override { return {"f32"}; }
  // fp32 compute; a BF16 / F16 checkpoint's matrices stay 16-bit (half the memory), widened as the kernels read them.
  bool keeps_16bit_weights() const override { return true; }

  // With the fast kernels, every matrix the forward multiplies by (the layers' projections and the output matrix) is
  // re-laid in the fast GEMM's panel layout (fast.h to_panels): read in place by every call, no transposing per call.
  // The embedding lookup and export read it through Tensor::values, which knows the layout.
  void adopt(std::unique_ptr<Model> host) override {
    if (ops_.fast()) {
      for (LayerWeights& w : host->layers)
        for (Tensor* t : {&w.wq, &w.wk, &w.wv, &w.wo, &w.w_gate, &w.w_up, &w.w_down}) cpu::to_panels(*t);
      cpu::to_panels(host->config.tie_embeddings ? host->embed : host->lm_head);
    }
    model_ = std::move(host);
  }
  void unload() override { model_.reset(); }
  bool loaded() const override { return model_ != nullptr; }
  const ModelConfig& config() const override { return need().config; }
  const std::string& source() const override { return need().source; }
  int64_t weight_bytes() const override { return need().weight_bytes(); }
  const Model* host_model() const override { return model_.get(); }
  BackendOps& ops() override { return ops_; }
  std::unique_ptr<PhaseTimer> start_timer() override { return std::make_unique<SteadyClockTimer>(); }
  std::string timer_clock() const override { return "steady-clock"; }

  std::unique_ptr<KVCache> new_cache(int reserve_rows) override {
    return std::make_unique<CpuKVCache>(need().config, reserve_rows);
  }

  std::vector<float> forward(const std::vector<int>& ids, const std::vector<int>& positions, KVCache* cache_base,
                             const ForwardOptions& opts) override;

 private:
  const Model& need() const {
    if (!model_) throw RunnerError("no_model", "no model is loaded", "send a load request first");
    return *model_;
  }
  void evict(CpuKVCache::Layer& CL, const float* q, int H, int d, const DecodeEviction& ev, int layer);

  std::unique_ptr<Model> model_;
  CpuOps ops_{cpu::kernel_set()};
};

std::string CpuBackend::device_name() const {
  std::string name = "CPU";
  if (FILE* f = std::fopen("/proc/cpuinfo", "r")) {
    char line[512];
    while (std::fgets(line, sizeof line, f)) {
      if (std::strncmp(line, "model name", 10) != 0) continue;
      const char* p = std::strchr(line, ':');
      if (!p) continue;
      std::string s(p + 1);
      while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.erase(s.begin());
      while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
      name = s;
      break;
    }
    std::fclose(f);
  }
  return name + " (" + std::to_string(num_threads()) + " threads, " + ops_.kernels() + " kernels)";
}

std::vector<float> CpuBackend::forward(const std::vector<int>& ids, const std::vector<int>& positions, KVCache* cache_base,
                                       const ForwardOptions& opts) {
  const Model& m = need();
  const ModelConfig& c = m.config;
  auto* cache = static_cast<CpuKVCache*>(cache_base);
  const int T = static_cast<int>(ids.size());
  const int D = c.hidden_size, H = c.num_heads, G = c.num_kv_heads, d = c.head_dim, I = c.intermediate_size;
  const int L = c.num_layers;
  const int last = opts.last_layer < 0 ? L - 1 : std::min(opts.last_layer, L - 1);
  if (T == 0) return {};
  int maxpos = *std::max_element(positions.begin(), positions.end());
  cpu::RopeFreqs freqs = cpu::rope_freqs(c, maxpos);

  FVec x(MemCat::Activations, static_cast<size_t>(T) * D);
  for (int t = 0; t < T; ++t) m.embed.values(static_cast<int64_t>(ids[t]) * D, D, x.data() + static_cast<int64_t>(t) * D);
  FVec xn(MemCat::Activations, static_cast<size_t>(T) * D);
  FVec q(MemCat::Activations, static_cast<size_t>(T) * H * d);
  FVec kn(MemCat::Activations, static_cast<size_t>(T) * G * d);
  FVec vn(MemCat::Activations, static_cast<size_t>(T) * G * d);
  FVec att(MemCat::Activations, static_cast<size_t>(T) * H * d);
  const int C = std::min(T, kMlpChunk);
  FVec gate(MemCat::Activations), up(MemCat::Activations);

  cpu::RowNorms norms;  // the fast attention's row normalisers of the current layer (fast kernels)
  // Statistics requests of layer l, computed on these keys; each result goes to the callback and is freed.
  auto run_stats = [&](int l, const cpu::KeyRows& keys, KVCache* layer_cache) {
    for (const StatsRequest& r : opts.stats) {
      if (r.layer != l) continue;
      Stats s;
      ops_.stats(q.data(), T, H, d, keys, r, norms, s);
      if (opts.on_stats) opts.on_stats(s, layer_cache);
    }
  };
  auto capture = [&](int l) {
    if (!opts.capture) return;
    for (auto& il : *opts.capture)
      if (il.layer == l) {
        il.q.assign(q.data(), q.data() + static_cast<int64_t>(T) * H * d);
        il.k.assign(kn.data(), kn.data() + static_cast<int64_t>(T) * G * d);
      }
  };

  for (int l = 0; l <= last; ++l) {
    const LayerWeights& W = m.layers[static_cast<size_t>(l)];
    cpu::rmsnorm(x.data(), T, D, W.attn_norm.data.data(), c.rms_eps, xn.data());
    ops_.matmul(xn.data(), T, D, cpu::WeightRef::of(W.wq), H * d, opt_data(W.bq), q.data());
    ops_.matmul(xn.data(), T, D, cpu::WeightRef::of(W.wk), G * d, opt_data(W.bk), kn.data());
    cpu::apply_rope(q.data(), T, H, d, positions.data(), freqs);
    cpu::apply_rope(kn.data(), T, G, d, positions.data(), freqs);
    capture(l);

    if (l == last && opts.stop_after_qk) {  // GemFilter's pass 1: Q and K of layer r only
      check_finite(q.data(), static_cast<int64_t>(T) * H * d, "the queries of layer " + std::to_string(l));
      check_finite(kn.data(), static_cast<int64_t>(T) * G * d, "the keys of layer " + std::to_string(l));
      cpu::KeyRows keys;
      for (int g = 0; g < G; ++g) keys.head.push_back(kn.data() + static_cast<int64_t>(g) * d);
      keys.stride = static_cast<int64_t>(G) * d;
      keys.rows = T;
      run_stats(l, keys, nullptr);
      return {};
    }
    ops_.matmul(xn.data(), T, D, cpu::WeightRef::of(W.wv), G * d, opt_data(W.bv), vn.data());

    // Append this layer's K/V to the cache (or to a scratch layer that dies with this iteration).
    CpuKVCache::Layer scratch;
    CpuKVCache::Layer* CL = nullptr;
    if (cache) {
      CL = &cache->at(l);
    } else {
      for (int h = 0; h < G; ++h) {
        scratch.k.emplace_back(MemCat::KV);
        scratch.v.emplace_back(MemCat::KV);
        scratch.len.push_back(0);
      }
      CL = &scratch;
    }
    const int heads = static_cast<int>(CL->k.size());
    for (int ch = 0; ch < heads; ++ch) {
      int src = static_cast<int>(static_cast<int64_t>(ch) * G / heads);  // per-query-head caches: h → g(h)
      FVec& kc = CL->k[static_cast<size_t>(ch)];
      FVec& vc = CL->v[static_cast<size_t>(ch)];
      for (int t = 0; t < T; ++t) {
        kc.append(kn.data() + (static_cast<int64_t>(t) * G + src) * d, static_cast<size_t>(d));
        vc.append(vn.data() + (static_cast<int64_t>(t) * G + src) * d, static_cast<size_t>(d));
      }
    }
    for (int& len : CL->len) len += T;
    std::vector<const float*> kp, vp;
    for (int ch = 0; ch < heads; ++ch) {
      kp.push_back(CL->k[static_cast<size_t>(ch)].data());
      vp.push_back(CL->v[static_cast<size_t>(ch)].data());
    }
    const bool ragged = std::any_of(CL->len.begin(), CL->len.end(), [&](int len) { return len != CL->len[0]; });
    if (ragged) {
      // A ragged cache (per-head lengths, backend.h) runs the reference kernel, which reads each head's own length.
      norms.layer = -1;
      cpu::attention(q.data(), T, H, d, kp, vp, CL->len[0], att.data(), &CL->len);
    } else {
      // The first ProbSum request of this layer has the attention pass sum its probabilities too (fast.h ColumnSums).
      const auto probsum = std::find_if(opts.stats.begin(), opts.stats.end(),
                                        [&](const StatsRequest& r) { return r.layer == l && r.mode == StatsMode::ProbSum; });
      norms.cols.want = probsum == opts.stats.end() ? nullptr : &*probsum;
      ops_.attention(q.data(), T, H, d, kp, vp, CL->len[0], att.data(), l, norms);
    }
    if (ragged && (opts.eviction.budget > 0 || std::any_of(opts.stats.begin(), opts.stats.end(), [&](const StatsRequest& r) { return r.layer == l; })))
      throw RunnerError("internal", "statistics or decode eviction at layer " + std::to_string(l) + " over a ragged cache",
                        "the statistics op and H2O's decode eviction need equal per-head lengths (backend.h)");
    cpu::KeyRows keys{kp, d, CL->len[0]};
    run_stats(l, keys, cache);
    if (cache && opts.eviction.budget > 0) evict(cache->at(l), q.data(), H, d, opts.eviction, l);
    if (!cache) {
      for (auto& b : scratch.k) b.clear_and_free();
      for (auto& b : scratch.v) b.clear_and_free();
    }

    // o_proj + residual
    ops_.matmul(att.data(), T, H * d, cpu::WeightRef::of(W.wo), D, nullptr, xn.data());
    add_rows(x.data(), xn.data(), T, D);

    // MLP in token chunks: x += down(silu(gate(n)) * up(n)), n = rmsnorm(x)
    gate.resize(static_cast<size_t>(C) * I);
    up.resize(static_cast<size_t>(C) * I);
    for (int t0 = 0; t0 < T; t0 += C) {
      int cn = std::min(C, T - t0);
      float* xc = x.data() + static_cast<int64_t>(t0) * D;
      float* nc = xn.data() + static_cast<int64_t>(t0) * D;
      cpu::rmsnorm(xc, cn, D, W.mlp_norm.data.data(), c.rms_eps, nc);
      ops_.matmul(nc, cn, D, cpu::WeightRef::of(W.w_gate), I, nullptr, gate.data());
      ops_.matmul(nc, cn, D, cpu::WeightRef::of(W.w_up), I, nullptr, up.data());
      // silu(gate) · up, rows over the threads (each element on its own: the same bits for any split)
      cpu::parallel_for(cn, 30.0 * cn * I, [&](int64_t tb, int64_t te) {
        for (int64_t i = tb * I; i < te * I; ++i) gate[i] = cpu::silu(gate[i]) * up[i];
      });
      ops_.matmul(gate.data(), cn, I, cpu::WeightRef::of(W.w_down), D, nullptr, nc);
      add_rows(xc, nc, cn, D);
    }
    check_finite(x.data(), static_cast<int64_t>(T) * D, "the hidden states after layer " + std::to_string(l));
  }

  if (!opts.want_logits || last != L - 1) return {};
  std::vector<float> hn(static_cast<size_t>(D));
  cpu::rmsnorm(x.data() + static_cast<int64_t>(T - 1) * D, 1, D, m.final_norm.data.data(), c.rms_eps, hn.data());
  FVec logits(MemCat::Activations, static_cast<size_t>(c.vocab_size));
  ops_.matmul(hn.data(), 1, D, cpu::WeightRef::of(m.output_weight()), c.vocab_size, nullptr, logits.data());
  check_finite(logits.data(), c.vocab_size, "the logits (final norm / lm_head)");
  return logits.vec();
}

// H2O decode-time eviction (backend.h: DecodeEviction) after one decode step's attention at a layer.
void CpuBackend::evict(CpuKVCache::Layer& CL, const float* q, int H, int d, const DecodeEviction& ev, int layer) {
  const int heads = static_cast<int>(CL.k.size());
  if (CL.score.size() != static_cast<size_t>(heads))
    throw RunnerError("internal", "decode eviction at layer " + std::to_string(layer) + " on a cache without row scores",
                      "the method must keep its rows with scores before decoding");
  StatsRequest r;
  r.layer = layer;
  r.mode = StatsMode::ProbSum;
  r.q_begin = 0;
  r.q_end = 1;
  r.agg = StatsAgg::KvMean;
  std::vector<const float*> kp;
  for (auto& b : CL.k) kp.push_back(b.data());
  Stats s;
  const int len = CL.len[0];
  cpu::attn_stats(q, 1, H, d, cpu::KeyRows{kp, d, len}, r, s);
  for (int h = 0; h < heads; ++h) {
    DVec& a = CL.score[static_cast<size_t>(h)];
    a.push_back(0.0);  // the new row
    for (int j = 0; j < len; ++j) a[static_cast<size_t>(j)] += s.row(h)[j];
    if (len > ev.budget) {  // evict one row in place (capacity stays)
      int victim = -1;
      for (int j = 0; j < len - ev.recent; ++j)
        if (victim < 0 || a[static_cast<size_t>(j)] < a[static_cast<size_t>(victim)]) victim = j;
      a.erase(static_cast<size_t>(victim), 1);
      CL.k[static_cast<size_t>(h)].erase(static_cast<size_t>(victim) * d, static_cast<size_t>(d));
      CL.v[static_cast<size_t>(h)].erase(static_cast<size_t>(victim) * d, static_cast<size_t>(d));
    }
  }
  if (len > ev.budget)
    for (int& n : CL.len) n = len - 1;
}

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

}  // namespace gem
