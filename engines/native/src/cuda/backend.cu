// The `cuda` backend (make_cuda_backend, backend.h): bf16 weights and KV on one GPU, fp32 residual stream, fp32
// accumulation (cuBLASLt GEMMs, the kernels of ops.h). The semantics are the cpu reference's (cpu/cpu_backend.cpp).
//   Memory: one device arena per loaded model (arena.h; DeviceArena below), sized at load — GEMBENCH_CUDA_ARENA_MB, or
//   weights + a dense KV cache + the forward at the load's maxContext, or all free memory but 1 GiB without one —
//   holds the weights, the KV cache and every forward buffer; the MemoryTracker counts each buffer by category, and
//   memory_extra reports the arena's size and peak beside cudaMemGetInfo's used bytes. Outside it: the CUDA context
//   and cuBLASLt's 32 MiB workspace.
//   Done: the op table (CudaOps, for `gem-runner selftest --backend cuda`); adopt (every host fp32 tensor converted to
//   bf16 on the device through a small staging buffer, counted as weights; the host model is then freed, so
//   host_model() is nullptr and export says unsupported); load: synthetic presets generated on the device
//   (synthetic_fill: the host generator's values, rounded to bf16, nothing on the host), anything else = the default;
//   CudaKVCache (per layer [heads][capacity][d] bf16 K and V, host row scores; keep via kv_gather incl. per-query-head
//   expansion; growth by doubling; a ragged keep packs the heads, ragged.h, read through per-head offsets/lengths);
//   forward (layer by layer, each layer in prefill chunks: rmsnorm → q/k/v GEMMs
//   (+qwen2 bias, in fp32) → RoPE (host tables) → KV append (cache, or the layer's scratch) → attention_prefill /
//   split-K decode with the row LSE → the statistics requests summed chunk by chunk → o_proj + residual → MLP in
//   4096-token sub-chunks; stop_after_qk; H2O decode eviction (scores and victim choice on the host from the step's
//   ProbSum/KvMean); a non-finite check per layer; final norm and lm_head on the last row only).
//   Phase timings: CUDA events on the stream (CudaEventTimer).
//   Decode: a CUDA graph per cache layout (DecodeGraph, decode_step) where the step allows it, else forward's eager
//   path. Not done: eviction re-gathers the layer each evicting step (and runs eagerly).
// None of this has run on a GPU in this tree's history unless a gpu:check log says so.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "../backend.h"
#include "../cpu/kernels.h"
#include "../retrieval_model.h"
#include "arena.h"
#include "gemm.h"
#include "index_math.h"
#include "ops.h"
#include "ragged.h"

namespace gem {
namespace cuda {

namespace {

// The device arena (arena.h): one cudaMalloc made when a model is loaded, sized up front; weights, the KV cache and
// every forward buffer are ranges of it. An exhausted arena is an out_of_memory error naming the sizes, not a crash.
class DeviceArena {
 public:
  explicit DeviceArena(int64_t bytes) {
    check(cudaMalloc(&base_, static_cast<size_t>(bytes)), "cudaMalloc (the device arena)");
    alloc_.reset(bytes);
  }
  ~DeviceArena() { cudaFree(base_); }
  DeviceArena(const DeviceArena&) = delete;
  DeviceArena& operator=(const DeviceArena&) = delete;
  void* alloc(int64_t bytes, MemCat cat) {
    const int64_t off = alloc_.alloc(bytes);
    if (off < 0)
      throw RunnerError("out_of_memory",
                        "the GPU arena of " + mib(alloc_.capacity()) + " has no free range of " + mib(bytes) + " for " + cat_name(cat) +
                            " (" + mib(alloc_.in_use()) + " in use, largest free range " + mib(alloc_.largest_free()) + ")",
                        "the arena is sized at load for maxContext (or all free GPU memory without one): load with a larger "
                        "maxContext, set GEMBENCH_CUDA_ARENA_MB, or shorten the input");
    return base_ + off;
  }
  void release(void* p) noexcept {
    if (!alloc_.free(static_cast<char*>(p) - base_))
      std::fprintf(stderr, "gem-runner: internal error: a device buffer was returned to an arena that did not hand it out\n");
  }
  const OffsetAllocator& stats() const { return alloc_; }
  void reset_peak() { alloc_.reset_peak(); }

 private:
  static std::string mib(int64_t b) { return std::to_string((b + (1 << 20) - 1) >> 20) + " MiB"; }
  static const char* cat_name(MemCat c) {
    switch (c) {
      case MemCat::Weights: return "weights";
      case MemCat::KV: return "the KV cache";
      case MemCat::Activations: return "activations";
      default: return "workspace";
    }
  }
  char* base_ = nullptr;
  OffsetAllocator alloc_;
};

// The loaded model's arena (set by CudaBackend while one exists); buffers made without one (the selftest's op table,
// which runs without a model) are plain cudaMallocs.
DeviceArena* g_arena = nullptr;

// A device buffer counted under one category (workspace unless told) by the memory tracker active at its creation.
template <class T>
class DevBuf {
 public:
  explicit DevBuf(size_t n, MemCat cat = MemCat::Workspace) : n_(n), cat_(cat), tracker_(active_tracker()), arena_(g_arena) {
    if (n_) {
      if (arena_) p_ = static_cast<T*>(arena_->alloc(static_cast<int64_t>(n_ * sizeof(T)), cat_));
      else check(cudaMalloc(&p_, n_ * sizeof(T)), "cudaMalloc");
    }
    if (tracker_) tracker_->add(cat_, static_cast<int64_t>(n_ * sizeof(T)));
  }
  ~DevBuf() {
    if (p_) {
      if (arena_) arena_->release(p_);
      else cudaFree(p_);
    }
    if (tracker_) tracker_->sub(cat_, static_cast<int64_t>(n_ * sizeof(T)));
  }
  DevBuf(const DevBuf&) = delete;
  DevBuf& operator=(const DevBuf&) = delete;
  T* get() const { return p_; }
  size_t size() const { return n_; }

 private:
  T* p_ = nullptr;
  size_t n_;
  MemCat cat_;
  MemoryTracker* tracker_;
  DeviceArena* arena_;
};

// Host fp32 → device bf16, through a small device fp32 staging buffer (8M floats, so loading a 2 GiB embedding does
// not need 2 GiB of staging in the arena) and the conversion kernel.
std::unique_ptr<DevBuf<bf16>> upload_bf16(const float* x, size_t n, cudaStream_t s, MemCat cat = MemCat::Workspace) {
  auto out = std::make_unique<DevBuf<bf16>>(n, cat);
  constexpr size_t kStage = size_t{8} << 20;
  DevBuf<float> tmp(std::min(n, kStage));
  for (size_t off = 0; off < n; off += kStage) {
    const size_t m = std::min(kStage, n - off);
    check(cudaMemcpyAsync(tmp.get(), x + off, m * sizeof(float), cudaMemcpyHostToDevice, s), "upload");
    to_bf16(tmp.get(), static_cast<int64_t>(m), out->get() + off, s);
    check(cudaStreamSynchronize(s), "upload");  // the staging buffer is reused
  }
  return out;
}
void download_bf16(const bf16* x, size_t n, float* y, cudaStream_t s) {
  DevBuf<float> tmp(n);
  to_f32(x, static_cast<int64_t>(n), tmp.get(), s);
  check(cudaMemcpyAsync(y, tmp.get(), n * sizeof(float), cudaMemcpyDeviceToHost, s), "download");
  check(cudaStreamSynchronize(s), "download");
}
// Per-cache-head host buffers [rows][d] → one device cache [C][rows][d] bf16.
std::unique_ptr<DevBuf<bf16>> upload_heads(const std::vector<const float*>& h, int rows, int d, cudaStream_t s) {
  std::vector<float> all(h.size() * static_cast<size_t>(rows) * d);
  for (size_t c = 0; c < h.size(); ++c) std::memcpy(all.data() + c * rows * d, h[c], sizeof(float) * rows * d);
  return upload_bf16(all.data(), all.size(), s);
}

int sm_count() {
  int dev = 0, n = 0;
  check(cudaGetDevice(&dev), "cudaGetDevice");
  check(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev), "cudaDeviceGetAttribute");
  return n;
}

// RoPE tables for T positions at head_dim d, [T][d/2] each: cos·scale and sin·scale of pos·inv_freq (double, rounded to fp32), the
// frequencies of cpu::rope_freqs for the highest position in the call (every scaling the cpu backend knows).
void rope_tables(const ModelConfig& c, int d, const int* pos, int T, float* cs, float* sn) {
  const cpu::RopeFreqs f = cpu::rope_freqs(c, *std::max_element(pos, pos + T));
  const int half = d / 2;
  for (int t = 0; t < T; ++t)
    for (int i = 0; i < half; ++i) {
      const double a = static_cast<double>(pos[t]) * f.inv_freq[static_cast<size_t>(i)];
      cs[static_cast<size_t>(t) * half + i] = static_cast<float>(std::cos(a) * f.scale);
      sn[static_cast<size_t>(t) * half + i] = static_cast<float>(std::sin(a) * f.scale);
    }
}

// Runs attention (prefill or split-K decode) on device buffers, writing `out` and `lse`.
void run_attention(const AttnArgs& a, cudaStream_t s) {
  if (a.T == 1) {
    const int splits = decode_splits(a.len, a.G, 2 * sm_count());
    DevBuf<float> work(static_cast<size_t>(decode_workspace_floats(a, splits)));
    attention_decode(a, work.get(), splits, s);
    check(cudaStreamSynchronize(s), "attention_decode");
  } else {
    attention_prefill(a, s);
    check(cudaStreamSynchronize(s), "attention_prefill");
  }
}

// Per-query-head sums [H][K] → the request's aggregation, in double (backend.h).
void aggregate(const std::vector<float>& per, int H, int C, int R, int K, StatsAgg agg, Stats& out) {
  const int heads = agg == StatsAgg::PerQueryHead ? H : agg == StatsAgg::AllSum ? 1 : C;
  out.heads = heads;
  out.keys = K;
  out.data.assign(static_cast<size_t>(heads) * K, 0.0);
  for (int h = 0; h < H; ++h)
    for (int j = 0; j < K; ++j) {
      const double v = per[static_cast<size_t>(h) * K + j];
      double& o = out.data[agg == StatsAgg::PerQueryHead ? static_cast<size_t>(h) * K + j
                           : agg == StatsAgg::AllSum     ? static_cast<size_t>(j)
                                                         : static_cast<size_t>(h / R) * K + j];
      if (agg == StatsAgg::KvMax) o = h % R == 0 ? v : std::max(o, v);
      else o += agg == StatsAgg::KvMean ? v / R : v;
    }
}

// One statistics request on device Q [T][H·d] and keys [heads][cap][d] (len rows; lse from this layer's attention
// for ProbSum): the per-query-head fp32 sums are copied back and aggregated in double.
Stats device_stats(const bf16* q, int T, int H, int d, const bf16* k, int heads, int len, int cap, const float* lse,
                   const StatsRequest& req, cudaStream_t s) {
  const int K = req.key_end < 0 ? len : std::min(req.key_end, len);
  Stats out;
  out.layer = req.layer;
  DevBuf<float> dst(static_cast<size_t>(H) * std::max(K, 1));
  std::vector<float> per(static_cast<size_t>(H) * K);
  if (K > 0) {
    // attn_stats writes nothing for an empty query range: those sums are 0, as on the cpu
    check(cudaMemsetAsync(dst.get(), 0, sizeof(float) * per.size(), s), "cudaMemset");
    StatsArgs sa;
    sa.q = q;
    sa.k = k;
    sa.lse = lse;
    sa.out = dst.get();
    sa.mode = req.mode == StatsMode::RawDot ? StatMode::RawDot : StatMode::ProbSum;
    sa.T = T, sa.H = H, sa.G = heads, sa.d = d, sa.len = len, sa.cap = cap, sa.q_begin = req.q_begin, sa.q_end = req.q_end,
    sa.key_end = K;
    cuda::attn_stats(sa, s);
    check(cudaMemcpyAsync(per.data(), dst.get(), sizeof(float) * per.size(), cudaMemcpyDeviceToHost, s), "download");
  }
  check(cudaStreamSynchronize(s), "attn_stats");
  aggregate(per, H, heads, H / heads, K, req.agg, out);
  out.layer = req.layer;
  return out;
}

// KeyNorm (backend.h) of keys [0, K) of a [heads][cap][d] cache: [heads][K] on the host, in double.
Stats device_key_norms(const bf16* k, int heads, int cap, int d, int K, int layer, cudaStream_t s) {
  Stats out;
  out.layer = layer;
  out.heads = heads;
  out.keys = std::max(0, K);
  std::vector<float> f(static_cast<size_t>(heads) * out.keys);
  if (!f.empty()) {
    DevBuf<float> dn(f.size());
    key_norms(k, heads, cap, d, out.keys, dn.get(), s);
    check(cudaMemcpyAsync(f.data(), dn.get(), sizeof(float) * f.size(), cudaMemcpyDeviceToHost, s), "download");
  }
  check(cudaStreamSynchronize(s), "key norms");
  out.data.assign(f.size(), 0.0);
  for (size_t i = 0; i < f.size(); ++i) out.data[i] = f[i];
  return out;
}

class CudaOps final : public BackendOps {
 public:
  explicit CudaOps(cudaStream_t s) : s_(s) {}

  bool matmul(const float* x, int T, int in, const float* W, int out, const float* bias, float* y) override {
    if (!gemm_) gemm_ = std::make_unique<Gemm>();
    auto dx = upload_bf16(x, static_cast<size_t>(T) * in, s_);
    auto dw = upload_bf16(W, static_cast<size_t>(out) * in, s_);
    DevBuf<float> dy(static_cast<size_t>(T) * out);
    gemm_->run(dx->get(), T, in, dw->get(), out, dy.get(), true, s_);
    if (bias) {
      auto db = upload_bf16(bias, static_cast<size_t>(out), s_);
      add_bias(dy.get(), db->get(), T, out, s_);
    }
    check(cudaMemcpyAsync(y, dy.get(), sizeof(float) * T * out, cudaMemcpyDeviceToHost, s_), "download");
    check(cudaStreamSynchronize(s_), "matmul");
    return true;
  }
  bool rmsnorm(const float* x, int T, int dim, const float* w, double eps, float* y) override {
    DevBuf<float> dx(static_cast<size_t>(T) * dim);
    check(cudaMemcpyAsync(dx.get(), x, sizeof(float) * T * dim, cudaMemcpyHostToDevice, s_), "upload");
    auto dw = upload_bf16(w, static_cast<size_t>(dim), s_);
    DevBuf<bf16> dy(static_cast<size_t>(T) * dim);
    cuda::rmsnorm(dx.get(), T, dim, dw->get(), static_cast<float>(eps), dy.get(), s_);
    download_bf16(dy.get(), static_cast<size_t>(T) * dim, y, s_);
    return true;
  }
  bool rope(float* x, int T, int heads, int d, const int* pos, const ModelConfig& c) override {
    std::vector<float> cs(static_cast<size_t>(T) * (d / 2)), sn(cs.size());
    rope_tables(c, d, pos, T, cs.data(), sn.data());
    DevBuf<float> dcs(cs.size()), dsn(sn.size());
    check(cudaMemcpyAsync(dcs.get(), cs.data(), sizeof(float) * cs.size(), cudaMemcpyHostToDevice, s_), "upload");
    check(cudaMemcpyAsync(dsn.get(), sn.data(), sizeof(float) * sn.size(), cudaMemcpyHostToDevice, s_), "upload");
    const size_t n = static_cast<size_t>(T) * heads * d;
    auto dx = upload_bf16(x, n, s_);
    cuda::rope(dx->get(), T, heads, d, dcs.get(), dsn.get(), s_);
    download_bf16(dx->get(), n, x, s_);
    return true;
  }
  bool swiglu(const float* gate, const float* up, int64_t n, float* out) override {
    auto dg = upload_bf16(gate, static_cast<size_t>(n), s_), du = upload_bf16(up, static_cast<size_t>(n), s_);
    DevBuf<bf16> dy(static_cast<size_t>(n));
    cuda::swiglu(dg->get(), du->get(), n, dy.get(), s_);
    download_bf16(dy.get(), static_cast<size_t>(n), out, s_);
    return true;
  }
  bool attention(const float* q, int T, int H, int d, const std::vector<const float*>& k, const std::vector<const float*>& v,
                 int rows, float* out) override {
    if (d % 2 != 0 || d > 256) return false;
    const int C = static_cast<int>(k.size());
    auto dq = upload_bf16(q, static_cast<size_t>(T) * H * d, s_);
    auto dk = upload_heads(k, rows, d, s_), dv = upload_heads(v, rows, d, s_);
    DevBuf<bf16> dout(static_cast<size_t>(T) * H * d);
    AttnArgs a;
    a.q = dq->get();
    a.k = dk->get();
    a.v = dv->get();
    a.out = dout.get();
    a.T = T, a.H = H, a.G = C, a.d = d, a.len = rows, a.cap = rows;
    run_attention(a, s_);
    download_bf16(dout.get(), static_cast<size_t>(T) * H * d, out, s_);
    return true;
  }
  bool attn_stats(const float* q, int T, int H, int d, const std::vector<const float*>& k, int rows, const StatsRequest& req,
                  Stats& out) override {
    if (d % 2 != 0 || d > 256) return false;
    const int C = static_cast<int>(k.size());
    auto dk = upload_heads(k, rows, d, s_);
    if (req.mode == StatsMode::KeyNorm) {
      out = device_key_norms(dk->get(), C, rows, d, req.key_end < 0 ? rows : std::min(req.key_end, rows), req.layer, s_);
      return true;
    }
    auto dq = upload_bf16(q, static_cast<size_t>(T) * H * d, s_);
    DevBuf<float> lse(static_cast<size_t>(H) * T);
    DevBuf<bf16> scratch(static_cast<size_t>(T) * H * d);
    if (req.mode == StatsMode::ProbSum) {  // pass 1: the attention's row LSE (V = K: only the LSE is used)
      AttnArgs a;
      a.q = dq->get();
      a.k = dk->get();
      a.v = dk->get();
      a.out = scratch.get();
      a.lse = lse.get();
      a.T = T, a.H = H, a.G = C, a.d = d, a.len = rows, a.cap = rows;
      run_attention(a, s_);
    }
    out = device_stats(dq->get(), T, H, d, dk->get(), C, rows, rows, lse.get(), req, s_);
    return true;
  }
  bool top_k(const double* scores, int n, int k, std::vector<int>& out) override {
    std::vector<float> f(scores, scores + n);
    DevBuf<float> ds(static_cast<size_t>(n));
    const int kk = std::max(0, std::min(k, n));
    DevBuf<int> di(static_cast<size_t>(std::max(1, kk)));
    check(cudaMemcpyAsync(ds.get(), f.data(), sizeof(float) * n, cudaMemcpyHostToDevice, s_), "upload");
    cuda::topk(ds.get(), 1, n, kk, di.get(), s_);
    out.assign(static_cast<size_t>(kk), 0);
    if (kk) check(cudaMemcpyAsync(out.data(), di.get(), sizeof(int) * kk, cudaMemcpyDeviceToHost, s_), "download");
    check(cudaStreamSynchronize(s_), "top_k");
    return true;
  }


 private:
  cudaStream_t s_;
  std::unique_ptr<Gemm> gemm_;  // created on first use (loads cuBLASLt)
};

std::unique_ptr<DevBuf<int>> upload_ints(const std::vector<int>& v, cudaStream_t s) {
  auto out = std::make_unique<DevBuf<int>>(v.size());
  if (!v.empty()) check(cudaMemcpyAsync(out->get(), v.data(), sizeof(int) * v.size(), cudaMemcpyHostToDevice, s), "upload");
  return out;
}

[[noreturn]] void throw_nonfinite(bool nan, const std::string& where) {
  throw RunnerError("bad_model", "non-finite values (" + std::string(nan ? "NaN" : "Inf") + ") in " + where,
                    "the weights or the config produce NaN/Inf (NaN weights, a rope scaling factor of 0, an overflow): "
                    "check the checkpoint and config.json");
}
// Host values: the cpu backend's check (bad_model naming the first kind found).
void check_finite_host(const float* x, int64_t n, const std::string& where) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) throw_nonfinite(std::isnan(x[i]), where);
}
// Device values: the flag kernel; only when it fires are the values copied back to name NaN or Inf.
template <class T>
void check_finite_dev(const T* x, int64_t n, int* flag, const std::string& where, cudaStream_t s) {
  int h = 0;
  check(cudaMemsetAsync(flag, 0, sizeof(int), s), "cudaMemset");
  flag_nonfinite(x, n, flag, s);
  check(cudaMemcpyAsync(&h, flag, sizeof(int), cudaMemcpyDeviceToHost, s), "download");
  check(cudaStreamSynchronize(s), "non-finite check");
  if (!h) return;
  std::vector<float> host(static_cast<size_t>(n));
  if constexpr (std::is_same<T, float>::value) {
    check(cudaMemcpyAsync(host.data(), x, sizeof(float) * n, cudaMemcpyDeviceToHost, s), "download");
    check(cudaStreamSynchronize(s), "download");
  } else {
    download_bf16(x, static_cast<size_t>(n), host.data(), s);
  }
  check_finite_host(host.data(), n, where);
  throw_nonfinite(true, where);  // the flag fired: report it even if the copy no longer shows it
}

// Device KV cache: per layer, K and V as [heads][cap][d] bf16 (rows 0..len of each head valid) and optional per-row
// scores on the host; or, after a keep whose heads differ in length (or any keep of such a layer), a ragged layer
// (ragged.h): K and V packed per head (head h's rows from row rag.off[h], rag.len[h] valid, rag.cap[h] reserved), the
// offsets and lengths mirrored on the device for attention (meta), len = the longest head, cap unused.
class CudaKVCache final : public KVCache {
 public:
  struct Layer {
    int heads = 0, len = 0, cap = 0;
    std::unique_ptr<DevBuf<bf16>> k, v;
    std::vector<DVec> score;  // [heads][len] (empty: no scores)
    RaggedLayout rag;                     // no heads: a uniform layer
    std::unique_ptr<DevBuf<int>> meta;    // ragged: [heads] offsets then [heads] lengths
    bool ragged() const { return rag.heads() > 0; }
    const int* head_off() const { return meta->get(); }
    const int* head_len() const { return meta->get() + heads; }
  };

  CudaKVCache(const ModelConfig& c, int reserve_rows, cudaStream_t s) : d_(c.head_dim), s_(s) {
    layers_.resize(static_cast<size_t>(c.num_layers));
    for (auto& L : layers_) {
      L.heads = c.num_kv_heads;
      L.cap = std::max(0, reserve_rows);
      alloc(L);
    }
  }
  int layers() const override { return static_cast<int>(layers_.size()); }
  int heads(int l) const override { return at(l).heads; }
  int rows(int l, int h) const override { return at(l).ragged() ? at(l).rag.len[static_cast<size_t>(h)] : at(l).len; }
  int64_t bytes() const override {  // the rows stored (a ragged layer: each head's own)
    int64_t b = 0;
    for (const auto& L : layers_)
      b += 2 * (L.ragged() ? L.rag.stored_rows() : static_cast<int64_t>(L.heads) * L.len) * d_ * static_cast<int64_t>(sizeof(bf16));
    return b;
  }
  void keep(int l, const std::vector<std::vector<int>>& keep, const std::vector<int>& src_head, int reserve_extra,
            const std::vector<std::vector<double>>* scores) override {
    Layer& L = at(l);
    const int n = static_cast<int>(keep.size()), len = keep.empty() ? 0 : static_cast<int>(keep[0].size());
    if (src_head.size() != keep.size() || (scores && scores->size() != keep.size()))
      throw RunnerError("internal", "KV keep at layer " + std::to_string(l) + ": keep, src_head and scores differ in head count");
    std::vector<int> flat, lens;
    flat.reserve(static_cast<size_t>(n) * len);
    bool ragged = L.ragged();
    for (int h = 0; h < n; ++h) {
      const auto& kh = keep[static_cast<size_t>(h)];
      const int src = src_head[static_cast<size_t>(h)];
      if (src < 0 || src >= L.heads) throw RunnerError("internal", "KV keep at layer " + std::to_string(l) + ": a bad source head");
      ragged = ragged || static_cast<int>(kh.size()) != len;
      lens.push_back(static_cast<int>(kh.size()));
      for (int r : kh) {
        if (r < 0 || r >= rows(l, src)) throw RunnerError("internal", "KV keep at layer " + std::to_string(l) + ": row out of range");
        flat.push_back(r);
      }
    }
    if (ragged) keep_ragged(L, keep, src_head, lens, reserve_extra);
    else gather(L, flat, src_head, n, len, len + std::max(0, reserve_extra));
    L.score.clear();
    if (scores)
      for (int h = 0; h < n; ++h) {
        L.score.emplace_back(MemCat::Workspace);
        L.score.back().reserve(static_cast<size_t>(len + std::max(0, reserve_extra)));
        for (double x : (*scores)[static_cast<size_t>(h)]) L.score.back().push_back(x);
      }
  }

  // Room for `extra` more rows per head (capacity doubles at least; the valid rows are copied).
  void ensure(int l, int extra) {
    Layer& L = at(l);
    if (L.ragged()) {
      if (!L.rag.fits(extra)) {
        const RaggedLayout N = L.rag.grown(extra);
        place_ragged(L, N, move_map(L.rag, N));
      }
      return;
    }
    if (L.len + extra <= L.cap) return;
    Layer N;
    N.heads = L.heads;
    N.len = L.len;
    N.cap = std::max(L.len + extra, 2 * L.cap);
    alloc(N);
    if (L.len > 0 && L.heads > 0) {
      const size_t row = static_cast<size_t>(d_) * sizeof(bf16);
      check(cudaMemcpy2DAsync(N.k->get(), N.cap * row, L.k->get(), L.cap * row, L.len * row, L.heads, cudaMemcpyDeviceToDevice, s_),
            "KV grow");
      check(cudaMemcpy2DAsync(N.v->get(), N.cap * row, L.v->get(), L.cap * row, L.len * row, L.heads, cudaMemcpyDeviceToDevice, s_),
            "KV grow");
      check(cudaStreamSynchronize(s_), "KV grow");
    }
    L.k = std::move(N.k);
    L.v = std::move(N.v);
    L.cap = N.cap;
  }
  // New layer contents: head h = rows[h·keep ..) of current head src_head[h], capacity cap.
  void gather(Layer& L, const std::vector<int>& rows, const std::vector<int>& src_head, int heads_out, int keep, int cap) {
    Layer N;
    N.heads = heads_out;
    N.len = keep;
    N.cap = cap;
    alloc(N);
    auto drows = upload_ints(rows, s_), dsrc = upload_ints(src_head, s_);
    kv_gather(L.k->get(), L.cap, N.k->get(), N.cap, drows->get(), dsrc->get(), heads_out, keep, d_, s_);
    kv_gather(L.v->get(), L.cap, N.v->get(), N.cap, drows->get(), dsrc->get(), heads_out, keep, d_, s_);
    check(cudaStreamSynchronize(s_), "KV gather");
    L.k = std::move(N.k);
    L.v = std::move(N.v);
    L.heads = N.heads;
    L.len = N.len;
    L.cap = N.cap;
  }

  // A ragged layer's append of T tokens from the forward's token-major K and V ([T][G][d], post-RoPE): cache head h
  // (reading KV head h·G / heads) gets them after its own rows (room made by ensure).
  void append_ragged(Layer& L, const bf16* kn, const bf16* vn, int T, int G) {
    const RowMap map = append_map(L.rag, T, G);
    copy_rows(kn, L.k->get(), map);
    copy_rows(vn, L.v->get(), map);
    for (int& x : L.rag.len) x += T;
    L.len = L.rag.max_len();
    upload_meta(L);
  }

  Layer& at(int l) { return layers_[static_cast<size_t>(l)]; }
  const Layer& at(int l) const { return layers_[static_cast<size_t>(l)]; }

 private:
  // dst row m.second ← src row m.first (ragged.h), K or V; synchronised (the map's host copy is local).
  void copy_rows(const bf16* src, bf16* dst, const RowMap& map) const {
    if (map.empty()) return;
    std::vector<int2> m;
    m.reserve(map.size());
    for (const auto& p : map) m.push_back(make_int2(p.first, p.second));
    DevBuf<int2> dm(m.size());
    check(cudaMemcpyAsync(dm.get(), m.data(), sizeof(int2) * m.size(), cudaMemcpyHostToDevice, s_), "upload");
    kv_copy_rows(src, dst, dm.get(), static_cast<int>(m.size()), d_, s_);
    check(cudaStreamSynchronize(s_), "KV copy");
  }
  void upload_meta(Layer& L) const {
    std::vector<int> m(L.rag.off);
    m.insert(m.end(), L.rag.len.begin(), L.rag.len.end());
    if (!L.meta || L.meta->size() != m.size()) L.meta = std::make_unique<DevBuf<int>>(m.size());
    check(cudaMemcpyAsync(L.meta->get(), m.data(), sizeof(int) * m.size(), cudaMemcpyHostToDevice, s_), "upload");
    check(cudaStreamSynchronize(s_), "upload");
  }
  // New K/V buffers of layout N, filled from the current ones by `map`.
  void place_ragged(Layer& L, const RaggedLayout& N, const RowMap& map) const {
    const size_t n = static_cast<size_t>(N.total_rows()) * d_;
    auto k = std::make_unique<DevBuf<bf16>>(n, MemCat::KV), v = std::make_unique<DevBuf<bf16>>(n, MemCat::KV);
    copy_rows(L.k->get(), k->get(), map);
    copy_rows(L.v->get(), v->get(), map);
    L.k = std::move(k);
    L.v = std::move(v);
    L.heads = N.heads();
    L.rag = N;
    L.len = N.max_len();
    L.cap = 0;
    upload_meta(L);
  }
  // A keep into a ragged layer: head h = rows keep[h] of source head src_head[h] (uniform or ragged source).
  void keep_ragged(Layer& L, const std::vector<std::vector<int>>& keep, const std::vector<int>& src_head, const std::vector<int>& lens,
                   int reserve_extra) const {
    std::vector<int> base;
    for (int h = 0; h < L.heads; ++h) base.push_back(L.ragged() ? L.rag.off[static_cast<size_t>(h)] : h * L.cap);
    const RaggedLayout N = RaggedLayout::after_keep(lens, reserve_extra);
    place_ragged(L, N, keep_map(keep, src_head, base, N));
  }

  void alloc(Layer& L) const {
    const size_t n = static_cast<size_t>(L.heads) * L.cap * d_;
    L.k = std::make_unique<DevBuf<bf16>>(n, MemCat::KV);
    L.v = std::make_unique<DevBuf<bf16>>(n, MemCat::KV);
  }
  int d_;
  cudaStream_t s_;
  std::vector<Layer> layers_;
};


// A CUDA event, destroyed with its owner (so a timer that is never read leaks nothing).
class Event {
 public:
  Event() { check(cudaEventCreate(&e_), "cudaEventCreate"); }
  ~Event() { cudaEventDestroy(e_); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return e_; }

 private:
  cudaEvent_t e_ = nullptr;
};

// PhaseTimer on the backend's stream: the start event is recorded when the timer is made; each elapsed_ms() records
// the end event (re-recording it on a later call), waits for it and returns cudaEventElapsedTime(start, end). Host
// work between the two (a method's selection on the host, the argmax of the logits) is inside the interval: the end
// event is enqueued only after that host work returned, so the GPU cannot reach it earlier. The start is the moment
// the stream reaches the start event: with the stream idle (every phase starts after a synchronizing call: logits or
// statistics copied to the host, or another timer's elapsed_ms) that is the host's moment; were it still busy, the
// interval would begin when the earlier work ends, which belongs to the phase before.
class CudaEventTimer final : public PhaseTimer {
 public:
  explicit CudaEventTimer(cudaStream_t s) : s_(s) { check(cudaEventRecord(start_.get(), s_), "cudaEventRecord (timer start)"); }
  double elapsed_ms() override {
    check(cudaEventRecord(end_.get(), s_), "cudaEventRecord (timer end)");
    check(cudaEventSynchronize(end_.get()), "cudaEventSynchronize (timer end)");
    float ms = 0;
    check(cudaEventElapsedTime(&ms, start_.get(), end_.get()), "cudaEventElapsedTime");
    return ms;
  }

 private:
  cudaStream_t s_;
  Event start_, end_;
};

// ---- the decode graph ----
// A one-token decode step (a cache whose layers all hold the model's G KV heads, none ragged; no statistics, no eviction, no
// capture) runs as a CUDA graph: captured once with every per-step value — the token id, the RoPE row, each layer's
// length — read from device buffers written before each launch (AttnArgs::len_dev, kv_append_at), then replayed for
// every step until the cache's buffers move (a growth, a new cache elsewhere in the arena) or the model changes. Its
// buffers live as long as the model (arena ranges, counted as activations during each step); the host staging is
// pinned. GEMBENCH_CUDA_GRAPHS=0 runs every step eagerly through forward. The first decode step of a model runs
// eagerly too (a warm-up: lazy module loads, GEMM plans and workspace allocations happen outside any capture); the
// capture comes at the second. When a capture fails, the model's decode steps run eagerly from then on and
// memory.extra's decodeGraphFailed says so (1).
struct DecodeGraph {
  std::unique_ptr<DevBuf<float>> x, biased, logits, cs, sn, lse, work;
  std::unique_ptr<DevBuf<bf16>> xn, proj, q, att, kn, vn, gate, upb;
  std::unique_ptr<DevBuf<int>> ids, lens, flags;  // lens[l]: layer l's length after this step's append
  int64_t bytes = 0;
  int* h_ids = nullptr;
  int* h_lens = nullptr;
  int* h_flags = nullptr;
  float* h_cs = nullptr;
  float* h_sn = nullptr;
  float* h_logits = nullptr;
  cudaGraphExec_t exec = nullptr;
  std::vector<int64_t> key;  // per layer: K and V addresses and capacity, as captured
  int64_t captures = 0;
  bool warmed = false;  // one eager decode step ran before the first capture
  bool failed = false;  // a capture failed: eager decode steps from then on

  DecodeGraph(const ModelConfig& c, int max_splits) {
    const ActiveTracker none(nullptr);  // model-lifetime buffers: no request's tracker owns them
    const size_t D = static_cast<size_t>(c.hidden_size), H = static_cast<size_t>(c.num_heads), G = static_cast<size_t>(c.num_kv_heads),
                 d = static_cast<size_t>(c.head_dim), I = static_cast<size_t>(c.intermediate_size), V = static_cast<size_t>(c.vocab_size),
                 L = static_cast<size_t>(c.num_layers);
    auto f = [&](size_t n) { bytes += static_cast<int64_t>(n * 4); return std::make_unique<DevBuf<float>>(n); };
    auto b = [&](size_t n) { bytes += static_cast<int64_t>(n * 2); return std::make_unique<DevBuf<bf16>>(n); };
    auto i = [&](size_t n) { bytes += static_cast<int64_t>(n * 4); return std::make_unique<DevBuf<int>>(n); };
    x = f(D), biased = f(c.qkv_bias ? H * d : 0), logits = f(V), cs = f(d / 2), sn = f(d / 2), lse = f(H);
    work = f(static_cast<size_t>(max_splits) * H * (d + 2));
    xn = b(D), proj = b(D), q = b(H * d), att = b(H * d), kn = b(G * d), vn = b(G * d), gate = b(I), upb = b(I);
    ids = i(1), lens = i(L), flags = i(L);
    check(cudaMallocHost(&h_ids, sizeof(int)), "cudaMallocHost");
    check(cudaMallocHost(&h_lens, sizeof(int) * L), "cudaMallocHost");
    check(cudaMallocHost(&h_flags, sizeof(int) * L), "cudaMallocHost");
    check(cudaMallocHost(&h_cs, sizeof(float) * (d / 2)), "cudaMallocHost");
    check(cudaMallocHost(&h_sn, sizeof(float) * (d / 2)), "cudaMallocHost");
    check(cudaMallocHost(&h_logits, sizeof(float) * V), "cudaMallocHost");
  }
  ~DecodeGraph() {
    if (exec) cudaGraphExecDestroy(exec);
    for (void* p : {static_cast<void*>(h_ids), static_cast<void*>(h_lens), static_cast<void*>(h_flags), static_cast<void*>(h_cs),
                    static_cast<void*>(h_sn), static_cast<void*>(h_logits)})
      if (p) cudaFreeHost(p);
  }
  DecodeGraph(const DecodeGraph&) = delete;
  DecodeGraph& operator=(const DecodeGraph&) = delete;
};

// GEMBENCH_CUDA_GRAPHS: unset or 1 = decode graphs, 0 = every decode step eager.
bool decode_graphs_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("GEMBENCH_CUDA_GRAPHS");
    if (!v || !*v || std::string(v) == "1") return true;
    if (std::string(v) == "0") return false;
    throw RunnerError("bad_request", std::string("GEMBENCH_CUDA_GRAPHS='") + v + "' must be 0 or 1", "unset it for the default (graphs on)");
  }();
  return on;
}

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device) : device_(device) {
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess || count == 0)
      throw RunnerError("unsupported",
                        std::string("the CUDA backend found no usable GPU (") + (e != cudaSuccess ? cudaGetErrorString(e) : "0 devices") + ")",
                        "run on a machine with an NVIDIA GPU and driver, or use --devices cpu");
    if (device < 0 || device >= count)
      throw RunnerError("unsupported", "GPU " + std::to_string(device) + " does not exist (" + std::to_string(count) + " visible)",
                        "pick a device index below " + std::to_string(count));
    check(cudaSetDevice(device), "cudaSetDevice");
    check(cudaGetDeviceProperties(&prop_, device), "cudaGetDeviceProperties");
    if (prop_.major < 8)
      throw RunnerError("unsupported", std::string(prop_.name) + " has compute capability " + std::to_string(prop_.major) + "." +
                                           std::to_string(prop_.minor) + "; the CUDA backend needs 8.0 or newer (bf16 mma.sync)");
    check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    ops_ = std::make_unique<CudaOps>(stream_);
  }
  ~CudaBackend() override {
    unload();
    gemm_.reset();
    ops_.reset();
    if (stream_) cudaStreamDestroy(stream_);
  }
  std::string name() const override { return "cuda"; }
  std::string device_name() const override { return prop_.name; }
  std::string compute_capability() const override { return std::to_string(prop_.major) + "." + std::to_string(prop_.minor); }
  std::vector<std::string> dtypes() const override { return {"bf16"}; }

  // Synthetic presets (but the retrieval one, whose weights are written) are generated on the device; the rest is
  // Backend::load (the host model, then adopt).
  void load(const LoadSpec& spec) override;
  void adopt(std::unique_ptr<Model> host) override;
  void unload() override {
    graph_.reset();  // its buffers are arena ranges, and it reads the weights
    w_ = Weights{};  // the weights' ranges go back to the arena before it is freed
    if (g_arena == arena_.get()) g_arena = nullptr;
    arena_.reset();
    loaded_ = false;
    weight_bytes_ = 0;
  }
  bool loaded() const override { return loaded_; }
  const ModelConfig& config() const override { return need().config; }
  const std::string& source() const override { return need().source; }
  int64_t weight_bytes() const override { return loaded_ ? weight_bytes_ : 0; }
  const Model* host_model() const override { return nullptr; }
  BackendOps& ops() override { return *ops_; }
  std::unique_ptr<PhaseTimer> start_timer() override { return std::make_unique<CudaEventTimer>(stream_); }
  std::string timer_clock() const override { return "cuda-events"; }
  std::vector<std::pair<std::string, double>> memory_extra() override;

  std::unique_ptr<KVCache> new_cache(int reserve_rows) override {
    return std::make_unique<CudaKVCache>(need().config, reserve_rows, stream_);
  }
  std::vector<float> forward(const std::vector<int>& ids, const std::vector<int>& positions, KVCache* cache_base,
                             const ForwardOptions& opts) override;

 private:
  using Buf = std::unique_ptr<DevBuf<bf16>>;
  struct LayerW {
    Buf attn_norm, wq, wk, wv, wo, bq, bk, bv, mlp_norm, w_gate, w_up, w_down;
  };
  struct Weights {
    ModelConfig config;
    std::string source;
    Buf embed, final_norm, lm_head;  // lm_head null when tied
    std::vector<LayerW> layers;
  };
  // The device slot of each host tensor (adopt and the synthetic generator place tensors through it).
  static Buf& slot(Weights& w, const Model& shape, const Tensor& t, int layer);
  const Weights& need() const {
    if (!loaded_) throw RunnerError("no_model", "no model is loaded", "send a load request first");
    return w_;
  }
  void evict(CudaKVCache& cache, int l, const bf16* q, const float* lse, int H, int d, const DecodeEviction& ev);
  // Creates the arena for a model of this shape and weight size (see arena_bytes) and makes it the active one.
  void make_arena(const ModelConfig& c, int64_t weight_bytes);
  // The decode graph (DecodeGraph above): one decode step through a captured graph, its capture, and what it enqueues.
  std::vector<float> decode_step(int id, int pos, CudaKVCache& cache);
  void capture_decode(CudaKVCache& cache);
  void enqueue_decode(CudaKVCache& cache);
  // The layer pieces forward and the decode graph share (enqueued on stream_). linear: y[rows][outF] = in · Wᵀ, with
  // a bias added in fp32 (in `f32`, rows·outF floats) before the rounding to bf16. mlp: x[rows] += down(silu(gate(n)) ·
  // up(n)), n = rmsnorm(x), through buffers of `rows` rows.
  void linear(const bf16* in, int rows, int inF, const Buf& W, int outF, const Buf& bias, float* f32, bf16* y);
  void mlp(const LayerW& W, float* x, int rows, bf16* n, bf16* gate, bf16* up, bf16* out);

  int device_;
  cudaDeviceProp prop_{};
  cudaStream_t stream_ = nullptr;
  std::unique_ptr<CudaOps> ops_;
  std::unique_ptr<Gemm> gemm_;
  std::unique_ptr<DeviceArena> arena_;  // declared before w_: destroyed after the weights' buffers
  std::unique_ptr<DecodeGraph> graph_;
  Weights w_;
  bool loaded_ = false;
  int64_t weight_bytes_ = 0;
  int max_context_ = 0;  // the load request's maxContext (0: none given)
};

namespace {
// head_dim limits of the KV kernels (uint4 rows) and of the attention kernels.
void check_head_dim(const ModelConfig& c) {
  if (c.head_dim % 8 != 0 || c.head_dim > 256)
    throw RunnerError("unsupported",
                      "the CUDA backend needs head_dim a multiple of 8 and at most 256 (this model: " + std::to_string(c.head_dim) + ")",
                      "use --devices cpu for this model");
}
}  // namespace

CudaBackend::Buf& CudaBackend::slot(Weights& w, const Model& shape, const Tensor& t, int layer) {
  if (layer < 0) {
    if (&t == &shape.embed) return w.embed;
    if (&t == &shape.final_norm) return w.final_norm;
    return w.lm_head;
  }
  const LayerWeights& h = shape.layers[static_cast<size_t>(layer)];
  LayerW& d = w.layers[static_cast<size_t>(layer)];
  const std::pair<const Tensor*, Buf*> map[] = {
      {&h.attn_norm, &d.attn_norm}, {&h.wq, &d.wq},       {&h.wk, &d.wk},         {&h.wv, &d.wv},
      {&h.wo, &d.wo},               {&h.bq, &d.bq},       {&h.bk, &d.bk},         {&h.bv, &d.bv},
      {&h.mlp_norm, &d.mlp_norm},   {&h.w_gate, &d.w_gate}, {&h.w_up, &d.w_up}, {&h.w_down, &d.w_down}};
  for (const auto& e : map)
    if (e.first == &t) return *e.second;
  throw RunnerError("internal", "a tensor of layer " + std::to_string(layer) + " has no device slot");
}

namespace {
constexpr int64_t kMiB = int64_t{1} << 20;
// GPU memory left outside the arena: the CUDA context's own growth, cuBLASLt's 32 MiB workspace and its internal
// allocations, module loading.
constexpr int64_t kArenaMargin = 1024 * kMiB;

ModelShape shape_of(const ModelConfig& c) {
  ModelShape m;
  m.D = c.hidden_size, m.H = c.num_heads, m.G = c.num_kv_heads, m.d = c.head_dim, m.I = c.intermediate_size, m.V = c.vocab_size;
  m.qkv_bias = c.qkv_bias;
  return m;
}
// A positive integer from the environment (0 when unset); anything else is a clear error.
int64_t env_positive(const char* name, int64_t max) {
  const char* v = std::getenv(name);
  if (!v || !*v) return 0;
  char* end = nullptr;
  const long long n = std::strtoll(v, &end, 10);
  if (*end != '\0' || n <= 0 || n > max)
    throw RunnerError("bad_request", std::string(name) + "='" + v + "' is not an integer in [1, " + std::to_string(max) + "]",
                      std::string("unset ") + name + " for the default");
  return n;
}
// Tokens per prefill chunk: kPrefillChunk, or GEMBENCH_CUDA_PREFILL_CHUNK (small values make tiny test prompts run
// several chunks, so the GPU check covers the chunked path).
int prefill_chunk() {
  const int64_t n = env_positive("GEMBENCH_CUDA_PREFILL_CHUNK", 1 << 20);
  return n > 0 ? static_cast<int>(n) : kPrefillChunk;
}
std::string mib_of(int64_t b) { return std::to_string((b + kMiB - 1) / kMiB) + " MiB"; }
}  // namespace

// The arena's size: GEMBENCH_CUDA_ARENA_MB when set; else, with a maxContext, arena_plan for it (weights + a dense KV
// cache at that length + the forward over it + slack); else the plan for the model's max_position_embeddings, or all
// free GPU memory but kArenaMargin when that is less. Larger than the free memory → out_of_memory at load, with the
// plan's parts, before any weight is placed.
void CudaBackend::make_arena(const ModelConfig& c, int64_t weight_bytes) {
  size_t free_b = 0, total_b = 0;
  check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
  const int64_t avail = std::max<int64_t>(0, static_cast<int64_t>(free_b) - kArenaMargin);
  int64_t want = 0;
  std::string why;
  if (const int64_t mb = env_positive("GEMBENCH_CUDA_ARENA_MB", int64_t{1} << 30)) {
    want = mb * kMiB;
    why = "GEMBENCH_CUDA_ARENA_MB=" + std::to_string(mb);
  } else if (max_context_ > 0) {
    const ArenaPlan p = arena_plan(shape_of(c), c.num_layers, weight_bytes, max_context_, prefill_chunk());
    want = p.total();
    why = "maxContext " + std::to_string(max_context_) + ": weights " + mib_of(p.weights) + " + KV " + mib_of(p.kv) + " + forward " +
          mib_of(p.forward) + " + slack " + mib_of(p.slack);
  } else {  // the model's whole context when that fits (small models stay small: several runners can share a GPU)
    const ArenaPlan p = arena_plan(shape_of(c), c.num_layers, weight_bytes, std::max(1, c.max_positions), prefill_chunk());
    want = std::min(p.total(), avail);
    why = want == p.total() ? "max_position_embeddings " + std::to_string(c.max_positions) + " (no maxContext given)"
                            : "all free GPU memory but " + mib_of(kArenaMargin) + " (no maxContext given; max_position_embeddings " +
                                  std::to_string(c.max_positions) + " would need " + mib_of(p.total()) + ")";
  }
  if (want < weight_bytes)
    throw RunnerError("out_of_memory", "the GPU arena (" + why + ", " + mib_of(want) + ") is smaller than the model's bf16 weights (" +
                                           mib_of(weight_bytes) + ")",
                      "free GPU memory, or use a smaller model / overrides (e.g. fewer layers)");
  if (want > avail)
    throw RunnerError("out_of_memory",
                      "the GPU arena for " + why + " needs " + mib_of(want) + "; GPU " + std::to_string(device_) + " has " +
                          mib_of(static_cast<int64_t>(free_b)) + " free, " + mib_of(avail) + " after " + mib_of(kArenaMargin) +
                          " kept for the CUDA context and cuBLASLt",
                      "load with a smaller maxContext, use a smaller model, or free the GPU");
  arena_ = std::make_unique<DeviceArena>(want);
  g_arena = arena_.get();
}

std::vector<std::pair<std::string, double>> CudaBackend::memory_extra() {
  std::vector<std::pair<std::string, double>> out;
  size_t free_b = 0, total_b = 0;
  if (cudaMemGetInfo(&free_b, &total_b) == cudaSuccess) {
    out.emplace_back("deviceUsedBytes", static_cast<double>(total_b - free_b));
    out.emplace_back("deviceTotalBytes", static_cast<double>(total_b));
  }
  if (arena_) {
    out.emplace_back("arenaBytes", static_cast<double>(arena_->stats().capacity()));
    out.emplace_back("arenaPeakBytes", static_cast<double>(arena_->stats().peak()));
    arena_->reset_peak();
  }
  if (graph_) {
    out.emplace_back("decodeGraphCaptures", static_cast<double>(graph_->captures));
    out.emplace_back("decodeGraphFailed", graph_->failed ? 1.0 : 0.0);
  }
  return out;
}

void CudaBackend::adopt(std::unique_ptr<Model> host) {
  unload();
  if (!host) return;
  const ModelConfig& c = host->config;
  check_head_dim(c);
  if (!gemm_) gemm_ = std::make_unique<Gemm>();  // loads cuBLASLt now: a missing library fails the load, not a run
  int64_t bytes = 0;
  auto count = [&](const Tensor& t) { bytes += static_cast<int64_t>(t.data.size() * sizeof(bf16)); };
  count(host->embed);
  count(host->final_norm);
  if (!c.tie_embeddings) count(host->lm_head);
  for (const LayerWeights& L : host->layers)
    for (const Tensor* t : {&L.attn_norm, &L.wq, &L.wk, &L.wv, &L.wo, &L.bq, &L.bk, &L.bv, &L.mlp_norm, &L.w_gate, &L.w_up, &L.w_down})
      count(*t);
  make_arena(c, bytes);
  Weights w;
  w.layers.resize(host->layers.size());
  auto up = [&](const Tensor& t, int layer) {
    if (t.data.empty()) return;
    slot(w, *host, t, layer) = upload_bf16(t.data.data(), t.data.size(), stream_, MemCat::Weights);
  };
  up(host->embed, -1);
  up(host->final_norm, -1);
  if (!c.tie_embeddings) up(host->lm_head, -1);
  for (size_t l = 0; l < host->layers.size(); ++l) {
    const LayerWeights& L = host->layers[l];
    for (const Tensor* t : {&L.attn_norm, &L.wq, &L.wk, &L.wv, &L.wo, &L.bq, &L.bk, &L.bv, &L.mlp_norm, &L.w_gate, &L.w_up, &L.w_down})
      up(*t, static_cast<int>(l));
  }
  w.config = c;
  w.source = host->source;
  host.reset();  // the fp32 host copy is not kept
  w_ = std::move(w);
  weight_bytes_ = bytes;
  loaded_ = true;
}

void CudaBackend::load(const LoadSpec& spec) {
  max_context_ = spec.max_context;
  const std::string preset = spec.synthetic() ? spec.model.substr(10) : "";
  if (!spec.synthetic() || preset == kRetrievalPreset) return Backend::load(spec);
  unload();
  Model shape = synthetic_skeleton(preset, spec.overrides);
  const ModelConfig& c = shape.config;
  check_head_dim(c);
  const std::vector<SyntheticTensor> tensors = synthetic_tensors(c);
  int64_t bytes = 0;
  for (const SyntheticTensor& t : tensors) {
    int64_t n = 1;
    for (int64_t e : t.shape) n *= e;
    bytes += n * static_cast<int64_t>(sizeof(bf16));
  }
  if (!gemm_) gemm_ = std::make_unique<Gemm>();
  make_arena(c, bytes);
  Weights w;
  w.layers.resize(shape.layers.size());
  for (const SyntheticTensor& t : tensors) {
    int64_t n = 1;
    for (int64_t e : t.shape) n *= e;
    const Tensor& place = t.layer < 0 ? shape.*t.top : shape.layers[static_cast<size_t>(t.layer)].*t.member;
    Buf& b = slot(w, shape, place, t.layer);
    b = std::make_unique<DevBuf<bf16>>(static_cast<size_t>(n), MemCat::Weights);
    synthetic_fill(b->get(), n, synthetic_stream(spec.seed, t.name), t.scale, t.offset, stream_);
  }
  check(cudaStreamSynchronize(stream_), "synthetic weights");
  w.config = c;
  w.source = shape.source;
  w_ = std::move(w);
  weight_bytes_ = bytes;
  loaded_ = true;
}

// The forward pass, layer by layer; inside a layer the T tokens go in chunks of at most prefill_chunk() (arena.h):
// each chunk's queries attend to every key before them (the cache's earlier rows and the earlier chunks' rows, which
// are appended before the chunk's attention), so only the residual stream, the RoPE tables and — without a cache —
// the layer's own K/V are full length. The statistics op is causal (a row sees no later key), so a request's sums are
// added up chunk by chunk, each chunk over the keys its queries see (arena.h: chunk_stats); in a stop_after_qk
// layer (no V), a chunk's ProbSum takes its LSE from an attention with V = K.
std::vector<float> CudaBackend::forward(const std::vector<int>& ids, const std::vector<int>& positions, KVCache* cache_base,
                                        const ForwardOptions& opts) {
  const Weights& m = need();
  const ModelConfig& c = m.config;
  auto* cache = static_cast<CudaKVCache*>(cache_base);
  const int T = static_cast<int>(ids.size());
  const int D = c.hidden_size, H = c.num_heads, G = c.num_kv_heads, d = c.head_dim, I = c.intermediate_size;
  const int L = c.num_layers;
  const int last = opts.last_layer < 0 ? L - 1 : std::min(opts.last_layer, L - 1);
  if (T == 0) return {};
  if (positions.size() != ids.size()) throw RunnerError("internal", "forward: ids and positions differ in length");
  for (int id : ids)
    if (id < 0 || id >= c.vocab_size)
      throw RunnerError("bad_input", "token id " + std::to_string(id) + " is outside the vocabulary (0.." + std::to_string(c.vocab_size - 1) + ")");
  if (opts.eviction.budget > 0 && (T != 1 || !cache))
    throw RunnerError("internal", "decode eviction is for one-token decode steps with a cache (this call has " + std::to_string(T) + " tokens)");
  if (T == 1 && cache && opts.stats.empty() && !opts.capture && opts.eviction.budget <= 0 && !opts.stop_after_qk && opts.want_logits &&
      last == L - 1 && decode_graphs_enabled()) {
    bool kv_heads = true;
    for (int l = 0; l < L; ++l) kv_heads = kv_heads && cache->at(l).heads == G && !cache->at(l).ragged();
    if (kv_heads) {
      if (!graph_) graph_ = std::make_unique<DecodeGraph>(c, kMaxSplits);
      if (graph_->warmed && !graph_->failed) {
        std::vector<float> logits = decode_step(ids[0], positions[0], *cache);
        if (!logits.empty()) return logits;  // empty: the capture failed, this step runs eagerly below
      }
      graph_->warmed = true;  // this step is the eager warm-up
    }
  }
  cudaStream_t s = stream_;

  const int half = d / 2;
  std::vector<float> cs(static_cast<size_t>(T) * half), sn(cs.size());
  rope_tables(c, d, positions.data(), T, cs.data(), sn.data());
  // Buffers: the sizes of forward_buffers (arena.h), which also sizes the arena.
  const MemCat A = MemCat::Activations;
  const int C = std::min(T, prefill_chunk()), Cm = std::min(C, kMlpChunk);
  DevBuf<float> dcs(cs.size()), dsn(sn.size());
  check(cudaMemcpyAsync(dcs.get(), cs.data(), sizeof(float) * cs.size(), cudaMemcpyHostToDevice, s), "upload");
  check(cudaMemcpyAsync(dsn.get(), sn.data(), sizeof(float) * sn.size(), cudaMemcpyHostToDevice, s), "upload");
  auto dids = upload_ints(ids, s);
  const int64_t TD = static_cast<int64_t>(T) * D;
  DevBuf<float> x(static_cast<size_t>(TD), A);
  DevBuf<bf16> xn(static_cast<size_t>(C) * D, A), proj(static_cast<size_t>(C) * D, A);
  DevBuf<bf16> q(static_cast<size_t>(C) * H * d, A), att(static_cast<size_t>(C) * H * d, A);
  DevBuf<bf16> kn(static_cast<size_t>(C) * G * d, A), vn(static_cast<size_t>(C) * G * d, A);
  DevBuf<float> lse(static_cast<size_t>(H) * C, A);
  DevBuf<float> biased(c.qkv_bias ? static_cast<size_t>(C) * H * d : 0, A);  // fp32 GEMM output before the bias
  // The layer's K/V as [G][rows][d]: all T rows without a cache (attention reads them there); with a cache, one
  // chunk's rows, the source of an append to a per-query-head cache.
  const int srows = cache && !opts.stop_after_qk ? C : T;  // a stop layer's keys are always all T rows here
  DevBuf<bf16> sk(static_cast<size_t>(srows) * G * d, MemCat::KV), sv(static_cast<size_t>(srows) * G * d, MemCat::KV);
  DevBuf<bf16> gate(static_cast<size_t>(Cm) * I, A), upb(static_cast<size_t>(Cm) * I, A);
  DevBuf<int> flag(1);

  // embed puts the token index on gridDim.y (at most 65535): long inputs go in row chunks
  constexpr int kGridRows = 32768;
  for (int t0 = 0; t0 < T; t0 += kGridRows)
    embed(m.embed->get(), dids->get() + t0, std::min(kGridRows, T - t0), D, x.get() + static_cast<int64_t>(t0) * D, s);

  // The chunk's normed input (xn) and its post-RoPE queries (q) and keys (kn) of layer W.
  auto project = [&](const LayerW& W, int t0, int cn) {
    rmsnorm(x.get() + static_cast<int64_t>(t0) * D, cn, D, W.attn_norm->get(), static_cast<float>(c.rms_eps), xn.get(), s);
    linear(xn.get(), cn, D, W.wq, H * d, W.bq, biased.get(), q.get());
    rope(q.get(), cn, H, d, dcs.get() + static_cast<int64_t>(t0) * half, dsn.get() + static_cast<int64_t>(t0) * half, s);
    linear(xn.get(), cn, D, W.wk, G * d, W.bk, biased.get(), kn.get());
    rope(kn.get(), cn, G, d, dcs.get() + static_cast<int64_t>(t0) * half, dsn.get() + static_cast<int64_t>(t0) * half, s);
  };
  // Attention of cn queries qp (the last cn of `len` rows) → att, lse.
  // A ragged layer passes its per-head offsets and lengths (len, cap: the longest head).
  auto attend = [&](const bf16* qp, int cn, const bf16* k, const bf16* v, int heads, int len, int cap, const int* hoff = nullptr,
                    const int* hlen = nullptr) {
    AttnArgs a;
    a.head_off = hoff;
    a.head_len = hlen;
    a.q = qp;
    a.k = k;
    a.v = v;
    a.out = att.get();
    a.lse = lse.get();
    a.T = cn, a.H = H, a.G = heads, a.d = d, a.len = len, a.cap = cap;
    run_attention(a, s);
  };
  auto capture = [&](int l, int t0, int cn) {
    if (!opts.capture) return;
    const size_t qn = static_cast<size_t>(cn) * H * d, kn_ = static_cast<size_t>(cn) * G * d;
    for (auto& il : *opts.capture)
      if (il.layer == l) {
        il.q.resize(static_cast<size_t>(T) * H * d);
        il.k.resize(static_cast<size_t>(T) * G * d);
        download_bf16(q.get(), qn, il.q.data() + static_cast<size_t>(t0) * H * d, s);
        download_bf16(kn.get(), kn_, il.k.data() + static_cast<size_t>(t0) * G * d, s);
      }
  };

  // One statistics request of a layer: its [H][keys] fp32 sums, filled chunk by chunk.
  struct Acc {
    const StatsRequest* req;
    int keys;
    std::unique_ptr<DevBuf<float>> sum;
  };
  // Adds the statistics of the chunk's queries (q; lse from the chunk's attention) rows [qb, qe) — the chunk is the
  // last T_ of `len` visible rows — over `keys` keys, into the request's sums.
  auto add_stats = [&](Acc& a, int T_, int qb, int qe, int keys, const bf16* k, int heads, int len, int cap, DevBuf<float>& part) {
    if (qb >= qe || keys <= 0 || a.req->mode == StatsMode::KeyNorm) return;  // key norms: once per layer (finish_stats)
    StatsArgs sa;
    sa.q = q.get();
    sa.k = k;
    sa.lse = lse.get();
    sa.out = part.get();
    sa.mode = a.req->mode == StatsMode::RawDot ? StatMode::RawDot : StatMode::ProbSum;
    sa.T = T_, sa.H = H, sa.G = heads, sa.d = d, sa.len = len, sa.cap = cap, sa.q_begin = qb, sa.q_end = qe, sa.key_end = keys;
    cuda::attn_stats(sa, s);
    accumulate_rows(a.sum->get(), a.keys, part.get(), H, keys, s);
  };
  // Each request in order: the sums aggregated, or (KeyNorm) the norms of the layer's keys k ([heads][cap][d]).
  auto finish_stats = [&](std::vector<Acc>& accs, int heads, KVCache* layer_cache, const bf16* k, int cap) {
    for (Acc& a : accs) {
      if (a.req->mode == StatsMode::KeyNorm) {
        Stats st = device_key_norms(k, heads, cap, d, a.keys, a.req->layer, s);
        if (opts.on_stats) opts.on_stats(st, layer_cache);
        continue;
      }
      std::vector<float> per(static_cast<size_t>(H) * a.keys);
      if (!per.empty())
        check(cudaMemcpyAsync(per.data(), a.sum->get(), sizeof(float) * per.size(), cudaMemcpyDeviceToHost, s), "download");
      check(cudaStreamSynchronize(s), "attn_stats");
      Stats st;
      aggregate(per, H, heads, H / heads, a.keys, a.req->agg, st);
      st.layer = a.req->layer;
      if (opts.on_stats) opts.on_stats(st, layer_cache);
    }
  };

  for (int l = 0; l <= last; ++l) {
    const LayerW& W = m.layers[static_cast<size_t>(l)];
    const bool stop = l == last && opts.stop_after_qk;  // GemFilter's pass 1: Q and K of layer r only
    CudaKVCache::Layer* CL = cache && !stop ? &cache->at(l) : nullptr;  // a stop layer sees this call's keys only
    if (CL) cache->ensure(l, T);
    const int past = CL ? CL->len : 0;
    // K/V of the layer: the cache layer (rows past..past+T appended chunk by chunk) or the scratch sk/sv
    auto keys_k = [&] { return CL ? CL->k->get() : sk.get(); };
    auto keys_v = [&] { return CL ? CL->v->get() : sv.get(); };
    const int heads = CL ? CL->heads : G, cap = CL ? CL->cap : T;

    std::vector<Acc> accs;
    int max_keys = 0;
    for (const StatsRequest& r : opts.stats) {
      if (r.layer != l) continue;
      Acc a;
      a.req = &r;
      a.keys = r.key_end < 0 ? past + T : std::min(r.key_end, past + T);
      a.sum = std::make_unique<DevBuf<float>>(static_cast<size_t>(H) * std::max(a.keys, 1));
      check(cudaMemsetAsync(a.sum->get(), 0, sizeof(float) * H * std::max(a.keys, 1), s), "cudaMemset");
      max_keys = std::max(max_keys, a.keys);
      accs.push_back(std::move(a));
    }
    DevBuf<float> part(accs.empty() ? 0 : static_cast<size_t>(H) * std::max(max_keys, 1));
    const bool ragged = CL && CL->ragged();
    if (ragged && !accs.empty())  // backend.h: the statistics op needs equal lengths
      throw RunnerError("unsupported", "attention statistics of layer " + std::to_string(l) + ", whose cache heads hold different numbers of rows",
                        "request statistics before a ragged keep");

    std::unique_ptr<DevBuf<int>> arows, asrc;  // a per-query-head cache's append map (rows 0..C of KV head ch·G/heads)
    if (CL && CL->heads != G && !ragged) {
      std::vector<int> rows(static_cast<size_t>(CL->heads) * C), src(static_cast<size_t>(CL->heads));
      for (int ch = 0; ch < CL->heads; ++ch) {
        src[static_cast<size_t>(ch)] = static_cast<int>(static_cast<int64_t>(ch) * G / CL->heads);
        for (int t = 0; t < C; ++t) rows[static_cast<size_t>(ch) * C + t] = t;
      }
      arows = upload_ints(rows, s);
      asrc = upload_ints(src, s);
      check(cudaStreamSynchronize(s), "upload");  // the host vectors go out of scope
    }

    for (int t0 = 0; t0 < T; t0 += C) {
      const int cn = std::min(C, T - t0);
      project(W, t0, cn);
      capture(l, t0, cn);
      if (stop) {  // Q and K only; statistics of the chunk's rows against the keys so far (V = K for a ProbSum's LSE)
        check_finite_dev(q.get(), static_cast<int64_t>(cn) * H * d, flag.get(), "the queries of layer " + std::to_string(l), s);
        check_finite_dev(kn.get(), static_cast<int64_t>(cn) * G * d, flag.get(), "the keys of layer " + std::to_string(l), s);
        kv_append(kn.get(), cn, G, d, sk.get(), T, t0, s);
        bool prob = false;
        for (const Acc& a : accs)
          prob = prob || (a.req->mode == StatsMode::ProbSum && !chunk_stats(a.req->q_begin, a.req->q_end, a.keys, 0, t0, cn).empty());
        if (prob) attend(q.get(), cn, sk.get(), sk.get(), G, t0 + cn, T);
        for (Acc& a : accs) {
          const ChunkStats r = chunk_stats(a.req->q_begin, a.req->q_end, a.keys, 0, t0, cn);
          add_stats(a, cn, r.qb, r.qe, r.keys, sk.get(), G, t0 + cn, T, part);
        }
        continue;
      }
      linear(xn.get(), cn, D, W.wv, G * d, W.bv, biased.get(), vn.get());
      if (!CL) {
        kv_append(kn.get(), cn, G, d, sk.get(), T, t0, s);
        kv_append(vn.get(), cn, G, d, sv.get(), T, t0, s);
      } else if (ragged) {
        cache->append_ragged(*CL, kn.get(), vn.get(), cn, G);
      } else if (CL->heads == G) {
        kv_append(kn.get(), cn, G, d, CL->k->get(), CL->cap, CL->len, s);
        kv_append(vn.get(), cn, G, d, CL->v->get(), CL->cap, CL->len, s);
        CL->len += cn;
      } else {  // per-query-head cache: [G][cn][d] first, then each cache head takes its KV head's rows
        kv_append(kn.get(), cn, G, d, sk.get(), cn, 0, s);
        kv_append(vn.get(), cn, G, d, sv.get(), cn, 0, s);
        // rows of head ch are arows[ch·C ..): with keep = cn the kernel reads arows[ch·cn ..), so a short last chunk
        // needs its own map; every full chunk uses the uploaded one
        std::unique_ptr<DevBuf<int>> short_rows;
        const int* rows = arows->get();
        if (cn != C) {
          std::vector<int> r(static_cast<size_t>(CL->heads) * cn);
          for (int ch = 0; ch < CL->heads; ++ch)
            for (int t = 0; t < cn; ++t) r[static_cast<size_t>(ch) * cn + t] = t;
          short_rows = upload_ints(r, s);
          check(cudaStreamSynchronize(s), "upload");
          rows = short_rows->get();
        }
        const int64_t off = static_cast<int64_t>(CL->len) * d;
        kv_gather(sk.get(), cn, CL->k->get() + off, CL->cap, rows, asrc->get(), CL->heads, cn, d, s);
        kv_gather(sv.get(), cn, CL->v->get() + off, CL->cap, rows, asrc->get(), CL->heads, cn, d, s);
        check(cudaStreamSynchronize(s), "KV append");
        CL->len += cn;
      }
      const int len = past + t0 + cn;  // rows visible to the chunk's queries
      if (ragged) attend(q.get(), cn, keys_k(), keys_v(), heads, CL->len, CL->len, CL->head_off(), CL->head_len());
      else attend(q.get(), cn, keys_k(), keys_v(), heads, len, cap);
      for (Acc& a : accs) {
        const ChunkStats r = chunk_stats(a.req->q_begin, a.req->q_end, a.keys, past, t0, cn);
        add_stats(a, cn, r.qb, r.qe, r.keys, keys_k(), heads, len, cap, part);
      }

      // o_proj + residual, then the MLP in sub-chunks
      float* xc = x.get() + static_cast<int64_t>(t0) * D;
      gemm_->run(att.get(), cn, H * d, W.wo->get(), D, proj.get(), false, s);
      add_residual(xc, proj.get(), static_cast<int64_t>(cn) * D, s);
      for (int m0 = 0; m0 < cn; m0 += Cm)
        mlp(W, xc + static_cast<int64_t>(m0) * D, std::min(Cm, cn - m0), xn.get() + static_cast<int64_t>(m0) * D, gate.get(), upb.get(),
            proj.get() + static_cast<int64_t>(m0) * D);
    }

    finish_stats(accs, heads, stop ? nullptr : cache, stop ? sk.get() : keys_k(), stop ? T : cap);
    if (stop) return {};

    if (opts.eviction.budget > 0) evict(*cache, l, q.get(), lse.get(), H, d, opts.eviction);
    check_finite_dev(x.get(), TD, flag.get(), "the hidden states after layer " + std::to_string(l), s);
  }

  if (!opts.want_logits || last != L - 1) return {};
  rmsnorm(x.get() + static_cast<int64_t>(T - 1) * D, 1, D, m.final_norm->get(), static_cast<float>(c.rms_eps), xn.get(), s);
  DevBuf<float> dlogits(static_cast<size_t>(c.vocab_size), A);
  const Buf& out_w = c.tie_embeddings ? m.embed : m.lm_head;
  gemm_->run(xn.get(), 1, D, out_w->get(), c.vocab_size, dlogits.get(), true, s);
  std::vector<float> logits(static_cast<size_t>(c.vocab_size));
  check(cudaMemcpyAsync(logits.data(), dlogits.get(), sizeof(float) * logits.size(), cudaMemcpyDeviceToHost, s), "download");
  check(cudaStreamSynchronize(s), "logits");
  check_finite_host(logits.data(), c.vocab_size, "the logits (final norm / lm_head)");
  return logits;
}

void CudaBackend::linear(const bf16* in, int rows, int inF, const Buf& W, int outF, const Buf& bias, float* f32, bf16* y) {
  if (bias) {
    gemm_->run(in, rows, inF, W->get(), outF, f32, true, stream_);
    add_bias(f32, bias->get(), rows, outF, stream_);
    to_bf16(f32, static_cast<int64_t>(rows) * outF, y, stream_);
  } else {
    gemm_->run(in, rows, inF, W->get(), outF, y, false, stream_);
  }
}

void CudaBackend::mlp(const LayerW& W, float* x, int rows, bf16* n, bf16* gate, bf16* up, bf16* out) {
  const ModelConfig& c = w_.config;
  const int D = c.hidden_size, I = c.intermediate_size;
  rmsnorm(x, rows, D, W.mlp_norm->get(), static_cast<float>(c.rms_eps), n, stream_);
  gemm_->run(n, rows, D, W.w_gate->get(), I, gate, false, stream_);
  gemm_->run(n, rows, D, W.w_up->get(), I, up, false, stream_);
  swiglu(gate, up, static_cast<int64_t>(rows) * I, gate, stream_);
  gemm_->run(gate, rows, I, W.w_down->get(), D, out, false, stream_);
  add_residual(x, out, static_cast<int64_t>(rows) * D, stream_);
}

// One decode step through the graph: room for the new row in every layer, a (re)capture when the cache's buffers are
// not the captured ones, the step's inputs written to the device, the launch, then the logits and the per-layer
// non-finite flags read back (one synchronisation per step).
std::vector<float> CudaBackend::decode_step(int id, int pos, CudaKVCache& cache) {
  const ModelConfig& c = w_.config;
  const int L = c.num_layers, half = c.head_dim / 2, V = c.vocab_size;
  if (!graph_) graph_ = std::make_unique<DecodeGraph>(c, kMaxSplits);
  DecodeGraph& g = *graph_;
  MemoryTracker* tracker = active_tracker();
  if (tracker) tracker->add(MemCat::Activations, g.bytes);
  struct Uncount {
    MemoryTracker* t;
    int64_t b;
    ~Uncount() {
      if (t) t->sub(MemCat::Activations, b);
    }
  } uncount{tracker, g.bytes};

  std::vector<int64_t> key;
  for (int l = 0; l < L; ++l) {
    cache.ensure(l, 1);
    const CudaKVCache::Layer& CL = cache.at(l);
    key.insert(key.end(), {reinterpret_cast<int64_t>(CL.k->get()), reinterpret_cast<int64_t>(CL.v->get()), static_cast<int64_t>(CL.cap)});
  }
  if (!g.exec || key != g.key) {
    try {
      capture_decode(cache);
    } catch (const RunnerError& e) {
      cudaGetLastError();  // a failed capture leaves no sticky error; clear the last one
      g.failed = true;
      std::fprintf(stderr, "[gem-runner] the decode step's CUDA graph capture failed (%s); decode steps run eagerly from now on\n", e.what());
      return {};
    }
    g.key = std::move(key);
    ++g.captures;
  }
  g.h_ids[0] = id;
  for (int l = 0; l < L; ++l) g.h_lens[l] = cache.at(l).len + 1;
  rope_tables(c, c.head_dim, &pos, 1, g.h_cs, g.h_sn);
  cudaStream_t s = stream_;
  check(cudaMemcpyAsync(g.ids->get(), g.h_ids, sizeof(int), cudaMemcpyHostToDevice, s), "upload");
  check(cudaMemcpyAsync(g.lens->get(), g.h_lens, sizeof(int) * L, cudaMemcpyHostToDevice, s), "upload");
  check(cudaMemcpyAsync(g.cs->get(), g.h_cs, sizeof(float) * half, cudaMemcpyHostToDevice, s), "upload");
  check(cudaMemcpyAsync(g.sn->get(), g.h_sn, sizeof(float) * half, cudaMemcpyHostToDevice, s), "upload");
  check(cudaMemsetAsync(g.flags->get(), 0, sizeof(int) * L, s), "cudaMemset");
  check(cudaGraphLaunch(g.exec, s), "cudaGraphLaunch (decode step)");
  check(cudaMemcpyAsync(g.h_logits, g.logits->get(), sizeof(float) * V, cudaMemcpyDeviceToHost, s), "download");
  check(cudaMemcpyAsync(g.h_flags, g.flags->get(), sizeof(int) * L, cudaMemcpyDeviceToHost, s), "download");
  check(cudaStreamSynchronize(s), "decode step");
  for (int l = 0; l < L; ++l) cache.at(l).len += 1;
  for (int l = 0; l < L; ++l)
    if (g.h_flags[l])
      throw RunnerError("bad_model", "non-finite values (NaN or Inf) in the hidden states after layer " + std::to_string(l) + " (decode step)",
                        "the weights or the config produce NaN/Inf (NaN weights, a rope scaling factor of 0, an overflow): "
                        "check the checkpoint and config.json");
  std::vector<float> logits(g.h_logits, g.h_logits + V);
  check_finite_host(logits.data(), V, "the logits (final norm / lm_head)");
  return logits;
}

void CudaBackend::capture_decode(CudaKVCache& cache) {
  DecodeGraph& g = *graph_;
  if (g.exec) {
    check(cudaGraphExecDestroy(g.exec), "cudaGraphExecDestroy");
    g.exec = nullptr;
  }
  cudaGraph_t graph = nullptr;
  check(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
  try {
    enqueue_decode(cache);
  } catch (...) {
    cudaStreamEndCapture(stream_, &graph);  // leave the stream usable
    if (graph) cudaGraphDestroy(graph);
    throw;
  }
  check(cudaStreamEndCapture(stream_, &graph), "cudaStreamEndCapture");
  const cudaError_t e = cudaGraphInstantiate(&g.exec, graph, 0);
  cudaGraphDestroy(graph);
  check(e, "cudaGraphInstantiate (decode step)");
}

// The decode step's work, for the capture: forward's steps for T = 1 on the graph's buffers, lengths from g.lens.
void CudaBackend::enqueue_decode(CudaKVCache& cache) {
  const Weights& m = w_;
  const ModelConfig& c = m.config;
  DecodeGraph& g = *graph_;
  const int D = c.hidden_size, H = c.num_heads, G = c.num_kv_heads, d = c.head_dim, L = c.num_layers;
  const float eps = static_cast<float>(c.rms_eps);
  cudaStream_t s = stream_;
  const int targets = 2 * sm_count();
  embed(m.embed->get(), g.ids->get(), 1, D, g.x->get(), s);
  for (int l = 0; l < L; ++l) {
    const LayerW& W = m.layers[static_cast<size_t>(l)];
    CudaKVCache::Layer& CL = cache.at(l);
    const int* len = g.lens->get() + l;
    rmsnorm(g.x->get(), 1, D, W.attn_norm->get(), eps, g.xn->get(), s);
    linear(g.xn->get(), 1, D, W.wq, H * d, W.bq, g.biased->get(), g.q->get());
    linear(g.xn->get(), 1, D, W.wk, G * d, W.bk, g.biased->get(), g.kn->get());
    linear(g.xn->get(), 1, D, W.wv, G * d, W.bv, g.biased->get(), g.vn->get());
    rope(g.q->get(), 1, H, d, g.cs->get(), g.sn->get(), s);
    rope(g.kn->get(), 1, G, d, g.cs->get(), g.sn->get(), s);
    kv_append_at(g.kn->get(), 1, G, d, CL.k->get(), CL.cap, len, s);
    kv_append_at(g.vn->get(), 1, G, d, CL.v->get(), CL.cap, len, s);
    AttnArgs a;
    a.q = g.q->get();
    a.k = CL.k->get();
    a.v = CL.v->get();
    a.out = g.att->get();
    a.lse = g.lse->get();
    a.T = 1, a.H = H, a.G = G, a.d = d, a.len = CL.cap, a.cap = CL.cap, a.len_dev = len;
    attention_decode(a, g.work->get(), decode_splits(CL.cap, G, targets), s);
    gemm_->run(g.att->get(), 1, H * d, W.wo->get(), D, g.proj->get(), false, s);
    add_residual(g.x->get(), g.proj->get(), D, s);
    mlp(W, g.x->get(), 1, g.xn->get(), g.gate->get(), g.upb->get(), g.proj->get());
    flag_nonfinite(g.x->get(), D, g.flags->get() + l, s);
  }
  rmsnorm(g.x->get(), 1, D, m.final_norm->get(), eps, g.xn->get(), s);
  gemm_->run(g.xn->get(), 1, D, (c.tie_embeddings ? m.embed : m.lm_head)->get(), c.vocab_size, g.logits->get(), true, s);
}

// H2O decode-time eviction (backend.h: DecodeEviction) after one decode step's attention at layer l: the step's
// ProbSum/KvMean comes back to the host, the row scores and the victim choice are the cpu backend's, and the kept
// rows are gathered into a new layer buffer of the same capacity.
void CudaBackend::evict(CudaKVCache& cache, int l, const bf16* q, const float* lse, int H, int d, const DecodeEviction& ev) {
  CudaKVCache::Layer& CL = cache.at(l);
  const int heads = CL.heads;
  if (CL.ragged())
    throw RunnerError("unsupported", "decode eviction at layer " + std::to_string(l) + ", whose cache heads hold different numbers of rows");
  if (CL.score.size() != static_cast<size_t>(heads))
    throw RunnerError("internal", "decode eviction at layer " + std::to_string(l) + " on a cache without row scores",
                      "the method must keep its rows with scores before decoding");
  StatsRequest r;
  r.layer = l;
  r.mode = StatsMode::ProbSum;
  r.q_begin = 0;
  r.q_end = 1;
  r.agg = StatsAgg::KvMean;
  const Stats st = device_stats(q, 1, H, d, CL.k->get(), heads, CL.len, CL.cap, lse, r, stream_);
  const int len = CL.len;
  std::vector<int> rows, src(static_cast<size_t>(heads));
  for (int h = 0; h < heads; ++h) {
    DVec& a = CL.score[static_cast<size_t>(h)];
    a.push_back(0.0);  // the new row
    for (int j = 0; j < len; ++j) a[static_cast<size_t>(j)] += st.row(h)[j];
    src[static_cast<size_t>(h)] = h;
    if (len > ev.budget) {
      int victim = -1;
      for (int j = 0; j < len - ev.recent; ++j)
        if (victim < 0 || a[static_cast<size_t>(j)] < a[static_cast<size_t>(victim)]) victim = j;
      if (victim < 0)
        throw RunnerError("internal", "decode eviction at layer " + std::to_string(l) + ": no row older than the recent window",
                          "the budget must exceed the recent window");
      a.erase(static_cast<size_t>(victim), 1);
      for (int j = 0; j < len; ++j)
        if (j != victim) rows.push_back(j);
    }
  }
  if (len > ev.budget) cache.gather(CL, rows, src, heads, len - 1, CL.cap);
}

}  // namespace
}  // namespace cuda

std::unique_ptr<Backend> make_cuda_backend(int device) { return std::make_unique<cuda::CudaBackend>(device); }

}  // namespace gem
