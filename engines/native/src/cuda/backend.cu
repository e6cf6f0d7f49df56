// The `cuda` backend (make_cuda_backend, backend.h). Part 1 status: the op table (CudaOps: every BackendOps op on
// the device kernels and cuBLASLt, for `gem-runner selftest --backend cuda`) is complete; loading a model and the
// forward pass on the GPU are not implemented yet, and say so with a clear `unsupported` error.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "../backend.h"
#include "../cpu/kernels.h"
#include "gemm.h"
#include "index_math.h"
#include "ops.h"

namespace gem {
namespace cuda {

namespace {

// A device buffer counted as workspace by the active memory tracker.
template <class T>
class DevBuf {
 public:
  explicit DevBuf(size_t n) : n_(n), tracker_(active_tracker()) {
    if (n_) check(cudaMalloc(&p_, n_ * sizeof(T)), "cudaMalloc");
    if (tracker_) tracker_->add(MemCat::Workspace, static_cast<int64_t>(n_ * sizeof(T)));
  }
  ~DevBuf() {
    if (p_) cudaFree(p_);
    if (tracker_) tracker_->sub(MemCat::Workspace, static_cast<int64_t>(n_ * sizeof(T)));
  }
  DevBuf(const DevBuf&) = delete;
  DevBuf& operator=(const DevBuf&) = delete;
  T* get() const { return p_; }

 private:
  T* p_ = nullptr;
  size_t n_;
  MemoryTracker* tracker_;
};

// Host fp32 → device bf16 (through a device fp32 staging buffer and the conversion kernel).
std::unique_ptr<DevBuf<bf16>> upload_bf16(const float* x, size_t n, cudaStream_t s) {
  auto out = std::make_unique<DevBuf<bf16>>(n);
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
    ops_.reset();
    if (stream_) cudaStreamDestroy(stream_);
  }
  std::string name() const override { return "cuda"; }
  std::string device_name() const override { return prop_.name; }
  std::string compute_capability() const override { return std::to_string(prop_.major) + "." + std::to_string(prop_.minor); }
  std::vector<std::string> dtypes() const override { return {"bf16"}; }
  void load(const LoadSpec&) override { not_yet("loading a model"); }
  void adopt(std::unique_ptr<Model>) override { not_yet("loading a model"); }
  void unload() override {}
  bool loaded() const override { return false; }
  const ModelConfig& config() const override { not_yet("a model"); }
  const std::string& source() const override { not_yet("a model"); }
  int64_t weight_bytes() const override { return 0; }
  const Model* host_model() const override { return nullptr; }
  std::unique_ptr<KVCache> new_cache(int) override { not_yet("a KV cache"); }
  std::vector<float> forward(const std::vector<int>&, const std::vector<int>&, KVCache*, const ForwardOptions&) override {
    not_yet("the forward pass");
  }
  BackendOps& ops() override { return *ops_; }

 private:
  [[noreturn]] static void not_yet(const std::string& what) {
    throw RunnerError("unsupported",
                      "the CUDA backend does not run " + what + " yet: only its op self test is implemented (gem-runner selftest --backend cuda)",
                      "use --devices cpu");
  }
  int device_;
  cudaDeviceProp prop_{};
  cudaStream_t stream_ = nullptr;
  std::unique_ptr<CudaOps> ops_;
};

}  // namespace
}  // namespace cuda

std::unique_ptr<Backend> make_cuda_backend(int device) { return std::make_unique<cuda::CudaBackend>(device); }

}  // namespace gem
