// The `cuda` backend (make_cuda_backend, backend.h): bf16 weights and KV on one GPU, fp32 residual stream, fp32
// accumulation (cuBLASLt GEMMs, the kernels of ops.h). The semantics are the cpu reference's (cpu/cpu_backend.cpp).
//   Done: the op table (CudaOps, for `gem-runner selftest --backend cuda`); adopt (every host fp32 tensor converted to
//   bf16 on the device, counted as weights; the host model is then freed, so host_model() is nullptr and export says
//   unsupported); CudaKVCache (per layer [heads][capacity][d] bf16
//   K and V, host row scores; keep via kv_gather incl. per-query-head expansion; growth by doubling); forward
//   (embedding, per layer rmsnorm → q/k/v GEMMs (+qwen2 bias, in fp32) → RoPE (host tables) → stop_after_qk stats →
//   KV append (cache, or one scratch layer) → attention_prefill / split-K decode with the row LSE → statistics
//   requests → H2O decode eviction (scores and victim choice on the host from the step's ProbSum/KvMean) → o_proj +
//   residual → MLP in 4096-token chunks; a non-finite check per layer; final norm and lm_head on the last row only).
//   load: synthetic presets generated on the device (synthetic_fill: the host generator's values, rounded to bf16,
//   nothing on the host), anything else = the default. Phase timings: CUDA events on the stream (CudaEventTimer).
//   Not done: an arena (every buffer is a cudaMalloc), chunked prefill, CUDA graphs; eviction re-gathers the layer
//   each evicting step.
// None of this has run on a GPU in this tree's history unless a gpu:check log says so.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "../backend.h"
#include "../cpu/kernels.h"
#include "../retrieval_model.h"
#include "gemm.h"
#include "index_math.h"
#include "ops.h"

namespace gem {
namespace cuda {

namespace {

// Tokens per MLP chunk: bounds the [chunk][intermediate] buffers (cpu: 128; larger here so the GEMMs fill the GPU;
// rows are independent, so the chunking does not change what is computed).
constexpr int kMlpChunk = 4096;

// A device buffer counted under one category (workspace unless told) by the memory tracker active at its creation.
template <class T>
class DevBuf {
 public:
  explicit DevBuf(size_t n, MemCat cat = MemCat::Workspace) : n_(n), cat_(cat), tracker_(active_tracker()) {
    if (n_) check(cudaMalloc(&p_, n_ * sizeof(T)), "cudaMalloc");
    if (tracker_) tracker_->add(cat_, static_cast<int64_t>(n_ * sizeof(T)));
  }
  ~DevBuf() {
    if (p_) cudaFree(p_);
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
};

// Host fp32 → device bf16 (through a device fp32 staging buffer and the conversion kernel).
std::unique_ptr<DevBuf<bf16>> upload_bf16(const float* x, size_t n, cudaStream_t s, MemCat cat = MemCat::Workspace) {
  auto out = std::make_unique<DevBuf<bf16>>(n, cat);
  DevBuf<float> tmp(n);
  check(cudaMemcpyAsync(tmp.get(), x, n * sizeof(float), cudaMemcpyHostToDevice, s), "upload");
  to_bf16(tmp.get(), static_cast<int64_t>(n), out->get(), s);
  check(cudaStreamSynchronize(s), "upload");
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
    const cpu::RopeFreqs f = cpu::rope_freqs(c, *std::max_element(pos, pos + T));
    const int half = d / 2;
    std::vector<float> cs(static_cast<size_t>(T) * half), sn(cs.size());
    for (int t = 0; t < T; ++t)
      for (int i = 0; i < half; ++i) {
        const double a = static_cast<double>(pos[t]) * f.inv_freq[static_cast<size_t>(i)];
        cs[static_cast<size_t>(t) * half + i] = static_cast<float>(std::cos(a) * f.scale);
        sn[static_cast<size_t>(t) * half + i] = static_cast<float>(std::sin(a) * f.scale);
      }
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
    const int C = static_cast<int>(k.size()), R = H / C, K = req.key_end < 0 ? rows : req.key_end;
    auto dq = upload_bf16(q, static_cast<size_t>(T) * H * d, s_);
    auto dk = upload_heads(k, rows, d, s_);
    DevBuf<float> lse(static_cast<size_t>(H) * T), dst(static_cast<size_t>(H) * K);
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
    StatsArgs sa;
    sa.q = dq->get();
    sa.k = dk->get();
    sa.lse = lse.get();
    sa.out = dst.get();
    sa.mode = req.mode == StatsMode::RawDot ? StatMode::RawDot : StatMode::ProbSum;
    sa.T = T, sa.H = H, sa.G = C, sa.d = d, sa.len = rows, sa.cap = rows, sa.q_begin = req.q_begin, sa.q_end = req.q_end, sa.key_end = K;
    cuda::attn_stats(sa, s_);
    std::vector<float> per(static_cast<size_t>(H) * K);
    check(cudaMemcpyAsync(per.data(), dst.get(), sizeof(float) * per.size(), cudaMemcpyDeviceToHost, s_), "download");
    check(cudaStreamSynchronize(s_), "attn_stats");
    aggregate(per, H, C, R, K, req.agg, out);
    out.layer = req.layer;
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

  // Per-query-head sums [H][K] → the request's aggregation, in double (backend.h).
  static void aggregate(const std::vector<float>& per, int H, int C, int R, int K, StatsAgg agg, Stats& out) {
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
// scores on the host.
class CudaKVCache final : public KVCache {
 public:
  struct Layer {
    int heads = 0, len = 0, cap = 0;
    std::unique_ptr<DevBuf<bf16>> k, v;
    std::vector<DVec> score;  // [heads][len] (empty: no scores)
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
  int rows(int l) const override { return at(l).len; }
  int64_t bytes() const override {
    int64_t b = 0;
    for (const auto& L : layers_) b += 2 * static_cast<int64_t>(L.heads) * L.len * d_ * static_cast<int64_t>(sizeof(bf16));
    return b;
  }
  void keep(int l, const std::vector<std::vector<int>>& keep, const std::vector<int>& src_head, int reserve_extra,
            const std::vector<std::vector<double>>* scores) override {
    Layer& L = at(l);
    const int n = static_cast<int>(keep.size()), len = keep.empty() ? 0 : static_cast<int>(keep[0].size());
    if (src_head.size() != keep.size() || (scores && scores->size() != keep.size()))
      throw RunnerError("internal", "KV keep at layer " + std::to_string(l) + ": keep, src_head and scores differ in head count");
    std::vector<int> rows;
    rows.reserve(static_cast<size_t>(n) * len);
    for (int h = 0; h < n; ++h) {
      const auto& kh = keep[static_cast<size_t>(h)];
      if (static_cast<int>(kh.size()) != len || src_head[static_cast<size_t>(h)] < 0 || src_head[static_cast<size_t>(h)] >= L.heads)
        throw RunnerError("internal", "KV keep at layer " + std::to_string(l) + ": ragged rows or a bad source head");
      for (int r : kh) {
        if (r < 0 || r >= L.len) throw RunnerError("internal", "KV keep at layer " + std::to_string(l) + ": row out of range");
        rows.push_back(r);
      }
    }
    gather(L, rows, src_head, n, len, len + std::max(0, reserve_extra));
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

  Layer& at(int l) { return layers_[static_cast<size_t>(l)]; }
  const Layer& at(int l) const { return layers_[static_cast<size_t>(l)]; }

 private:
  void alloc(Layer& L) const {
    const size_t n = static_cast<size_t>(L.heads) * L.cap * d_;
    L.k = std::make_unique<DevBuf<bf16>>(n, MemCat::KV);
    L.v = std::make_unique<DevBuf<bf16>>(n, MemCat::KV);
  }
  int d_;
  cudaStream_t s_;
  std::vector<Layer> layers_;
};

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
  CudaOps::aggregate(per, H, heads, H / heads, K, req.agg, out);
  out.layer = req.layer;
  return out;
}

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
// the stream reaches the start event; every phase starts after a synchronizing call (logits or statistics copied to
// the host, or another timer's elapsed_ms), so the stream is idle and that moment is the host's.
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
    w_ = Weights{};
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

  int device_;
  cudaDeviceProp prop_{};
  cudaStream_t stream_ = nullptr;
  std::unique_ptr<CudaOps> ops_;
  std::unique_ptr<Gemm> gemm_;
  Weights w_;
  bool loaded_ = false;
  int64_t weight_bytes_ = 0;
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

void CudaBackend::adopt(std::unique_ptr<Model> host) {
  unload();
  if (!host) return;
  const ModelConfig& c = host->config;
  check_head_dim(c);
  if (!gemm_) gemm_ = std::make_unique<Gemm>();  // loads cuBLASLt now: a missing library fails the load, not a run
  Weights w;
  w.layers.resize(host->layers.size());
  int64_t bytes = 0;
  auto up = [&](const Tensor& t, int layer) {
    if (t.data.empty()) return;
    bytes += static_cast<int64_t>(t.data.size() * sizeof(bf16));
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
  size_t free_b = 0, total_b = 0;
  check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
  if (bytes > static_cast<int64_t>(free_b))
    throw RunnerError("out_of_memory",
                      shape.source + " needs " + std::to_string(bytes >> 20) + " MiB of bf16 weights; GPU " + std::to_string(device_) +
                          " has " + std::to_string(free_b >> 20) + " MiB free",
                      "use a smaller preset or overrides (e.g. fewer layers)");
  if (!gemm_) gemm_ = std::make_unique<Gemm>();
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
  cudaStream_t s = stream_;

  // RoPE tables [T][d/2] for these positions (cos·scale, sin·scale), as CudaOps::rope builds them.
  const cpu::RopeFreqs f = cpu::rope_freqs(c, *std::max_element(positions.begin(), positions.end()));
  const int half = d / 2;
  std::vector<float> cs(static_cast<size_t>(T) * half), sn(cs.size());
  for (int t = 0; t < T; ++t)
    for (int i = 0; i < half; ++i) {
      const double a = static_cast<double>(positions[static_cast<size_t>(t)]) * f.inv_freq[static_cast<size_t>(i)];
      cs[static_cast<size_t>(t) * half + i] = static_cast<float>(std::cos(a) * f.scale);
      sn[static_cast<size_t>(t) * half + i] = static_cast<float>(std::sin(a) * f.scale);
    }
  DevBuf<float> dcs(cs.size()), dsn(sn.size());
  check(cudaMemcpyAsync(dcs.get(), cs.data(), sizeof(float) * cs.size(), cudaMemcpyHostToDevice, s), "upload");
  check(cudaMemcpyAsync(dsn.get(), sn.data(), sizeof(float) * sn.size(), cudaMemcpyHostToDevice, s), "upload");
  auto dids = upload_ints(ids, s);

  const MemCat A = MemCat::Activations;
  const int64_t TD = static_cast<int64_t>(T) * D, TQ = static_cast<int64_t>(T) * H * d, TK = static_cast<int64_t>(T) * G * d;
  DevBuf<float> x(static_cast<size_t>(TD), A);
  DevBuf<bf16> xn(static_cast<size_t>(TD), A), proj(static_cast<size_t>(TD), A);
  DevBuf<bf16> q(static_cast<size_t>(TQ), A), kn(static_cast<size_t>(TK), A), vn(static_cast<size_t>(TK), A), att(static_cast<size_t>(TQ), A);
  DevBuf<float> lse(static_cast<size_t>(H) * T, A);
  DevBuf<float> biased(c.qkv_bias ? static_cast<size_t>(TQ) : 0, A);  // fp32 GEMM output before the bias
  // This call's K/V as [G][T][d]: the source of the cache append, and the whole layer when there is no cache.
  DevBuf<bf16> sk(static_cast<size_t>(TK), MemCat::KV), sv(static_cast<size_t>(TK), MemCat::KV);
  const int C = std::min(T, kMlpChunk);
  DevBuf<bf16> gate(static_cast<size_t>(C) * I, A), upb(static_cast<size_t>(C) * I, A);
  DevBuf<int> flag(1);

  // embed and rope put the token index on gridDim.y (at most 65535): long inputs go in row chunks
  constexpr int kGridRows = 32768;
  for (int t0 = 0; t0 < T; t0 += kGridRows)
    embed(m.embed->get(), dids->get() + t0, std::min(kGridRows, T - t0), D, x.get() + static_cast<int64_t>(t0) * D, s);
  auto rope_rows = [&](bf16* y, int heads) {
    for (int t0 = 0; t0 < T; t0 += kGridRows)
      rope(y + static_cast<int64_t>(t0) * heads * d, std::min(kGridRows, T - t0), heads, d, dcs.get() + static_cast<int64_t>(t0) * half,
           dsn.get() + static_cast<int64_t>(t0) * half, s);
  };

  // y[rows][out] = in · Wᵀ (+ bias, added in fp32 before the rounding to bf16)
  auto linear = [&](const bf16* in, int rows, int inF, const Buf& W, int outF, const Buf& bias, bf16* y) {
    if (bias) {
      gemm_->run(in, rows, inF, W->get(), outF, biased.get(), true, s);
      add_bias(biased.get(), bias->get(), rows, outF, s);
      to_bf16(biased.get(), static_cast<int64_t>(rows) * outF, y, s);
    } else {
      gemm_->run(in, rows, inF, W->get(), outF, y, false, s);
    }
  };
  auto attend = [&](const bf16* k, const bf16* v, int heads, int len, int cap) {
    AttnArgs a;
    a.q = q.get();
    a.k = k;
    a.v = v;
    a.out = att.get();
    a.lse = lse.get();
    a.T = T, a.H = H, a.G = heads, a.d = d, a.len = len, a.cap = cap;
    run_attention(a, s);
  };
  auto run_stats = [&](int l, const bf16* k, int heads, int len, int cap, KVCache* layer_cache) {
    for (const StatsRequest& r : opts.stats) {
      if (r.layer != l) continue;
      Stats st = device_stats(q.get(), T, H, d, k, heads, len, cap, lse.get(), r, s);
      if (opts.on_stats) opts.on_stats(st, layer_cache);
    }
  };
  auto capture = [&](int l) {
    if (!opts.capture) return;
    for (auto& il : *opts.capture)
      if (il.layer == l) {
        il.q.resize(static_cast<size_t>(TQ));
        il.k.resize(static_cast<size_t>(TK));
        download_bf16(q.get(), static_cast<size_t>(TQ), il.q.data(), s);
        download_bf16(kn.get(), static_cast<size_t>(TK), il.k.data(), s);
      }
  };

  for (int l = 0; l <= last; ++l) {
    const LayerW& W = m.layers[static_cast<size_t>(l)];
    rmsnorm(x.get(), T, D, W.attn_norm->get(), static_cast<float>(c.rms_eps), xn.get(), s);
    linear(xn.get(), T, D, W.wq, H * d, W.bq, q.get());
    linear(xn.get(), T, D, W.wk, G * d, W.bk, kn.get());
    rope_rows(q.get(), H);
    rope_rows(kn.get(), G);
    kv_append(kn.get(), T, G, d, sk.get(), T, 0, s);
    capture(l);

    if (l == last && opts.stop_after_qk) {  // GemFilter's pass 1: Q and K of layer r only
      check_finite_dev(q.get(), TQ, flag.get(), "the queries of layer " + std::to_string(l), s);
      check_finite_dev(kn.get(), TK, flag.get(), "the keys of layer " + std::to_string(l), s);
      bool prob = false;
      for (const StatsRequest& r : opts.stats) prob = prob || (r.layer == l && r.mode == StatsMode::ProbSum);
      if (prob) attend(sk.get(), sk.get(), G, T, T);  // the row LSE only (V = K; the output is not used)
      run_stats(l, sk.get(), G, T, T, nullptr);
      return {};
    }
    linear(xn.get(), T, D, W.wv, G * d, W.bv, vn.get());
    kv_append(vn.get(), T, G, d, sv.get(), T, 0, s);

    if (cache) {
      CudaKVCache::Layer& CL = cache->at(l);
      cache->ensure(l, T);
      // per-query-head caches: cache head ch takes KV head ch·G/heads
      std::vector<int> rows(static_cast<size_t>(CL.heads) * T), src(static_cast<size_t>(CL.heads));
      for (int ch = 0; ch < CL.heads; ++ch) {
        src[static_cast<size_t>(ch)] = static_cast<int>(static_cast<int64_t>(ch) * G / CL.heads);
        for (int t = 0; t < T; ++t) rows[static_cast<size_t>(ch) * T + t] = t;
      }
      auto drows = upload_ints(rows, s), dsrc = upload_ints(src, s);
      const int64_t off = static_cast<int64_t>(CL.len) * d;
      kv_gather(sk.get(), T, CL.k->get() + off, CL.cap, drows->get(), dsrc->get(), CL.heads, T, d, s);
      kv_gather(sv.get(), T, CL.v->get() + off, CL.cap, drows->get(), dsrc->get(), CL.heads, T, d, s);
      check(cudaStreamSynchronize(s), "KV append");
      CL.len += T;
      attend(CL.k->get(), CL.v->get(), CL.heads, CL.len, CL.cap);
      run_stats(l, CL.k->get(), CL.heads, CL.len, CL.cap, cache);
      if (opts.eviction.budget > 0 && T != 1)
        throw RunnerError("internal", "decode eviction is for one-token decode steps (this call has " + std::to_string(T) + " tokens)");
      if (opts.eviction.budget > 0) evict(*cache, l, q.get(), lse.get(), H, d, opts.eviction);
    } else {
      attend(sk.get(), sv.get(), G, T, T);
      run_stats(l, sk.get(), G, T, T, nullptr);
    }

    // o_proj + residual
    gemm_->run(att.get(), T, H * d, W.wo->get(), D, proj.get(), false, s);
    add_residual(x.get(), proj.get(), TD, s);

    // MLP in token chunks: x += down(silu(gate(n)) * up(n)), n = rmsnorm(x)
    for (int t0 = 0; t0 < T; t0 += C) {
      const int cn = std::min(C, T - t0);
      float* xc = x.get() + static_cast<int64_t>(t0) * D;
      bf16* nc = xn.get() + static_cast<int64_t>(t0) * D;
      bf16* pc = proj.get() + static_cast<int64_t>(t0) * D;
      rmsnorm(xc, cn, D, W.mlp_norm->get(), static_cast<float>(c.rms_eps), nc, s);
      gemm_->run(nc, cn, D, W.w_gate->get(), I, gate.get(), false, s);
      gemm_->run(nc, cn, D, W.w_up->get(), I, upb.get(), false, s);
      swiglu(gate.get(), upb.get(), static_cast<int64_t>(cn) * I, gate.get(), s);
      gemm_->run(gate.get(), cn, I, W.w_down->get(), D, pc, false, s);
      add_residual(xc, pc, static_cast<int64_t>(cn) * D, s);
    }
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

// H2O decode-time eviction (backend.h: DecodeEviction) after one decode step's attention at layer l: the step's
// ProbSum/KvMean comes back to the host, the row scores and the victim choice are the cpu backend's, and the kept
// rows are gathered into a new layer buffer of the same capacity.
void CudaBackend::evict(CudaKVCache& cache, int l, const bf16* q, const float* lse, int H, int d, const DecodeEviction& ev) {
  CudaKVCache::Layer& CL = cache.at(l);
  const int heads = CL.heads;
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
