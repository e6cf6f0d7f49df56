// GPU check of the Hopper attention kernels (src/cuda/hopper/): runs on a compute-capability 9.0 device only (elsewhere
// it prints "skipped" and exits 0 — or 2 with --require). Built wherever nvcc is found (cmake/Hopper.cmake), run by
// hand or by the GPU check script:
//   gem-hopper-gpu-test [--require]          correctness: prefill (O and row LSE) and column sums vs a double-precision
//                                            CPU reference on bf16-rounded inputs, awkward shapes (head_dim 96/128, GQA
//                                            groups 1/4/5/7/8, query offsets, partial tiles, two memory layouts),
//                                            outputs poisoned with NaN first so unwritten elements fail
//   gem-hopper-gpu-test --bench [--max N]    speed: Llama-3.1-8B attention shape (32 query / 8 KV heads, d 128), causal,
//                                            n = 8K..128K: CUDA-event medians of 5 runs after 1 warmup, achieved
//                                            TFLOP/s (4·n²/2·d·H FLOP), one JSON line per cell
// Tolerances: O relative Frobenius error < 1e-2 (bf16 P and bf16 output: ~4e-3 expected), LSE absolute < 2e-3·max(1,
// |lse|), column sums relative < 2e-3. Every CUDA call is checked.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../src/cuda/hopper/attention.h"

using gem::hopper::ColsumParams;
using gem::hopper::PrefillParams;

#define CUDA_OK(x)                                                                                        \
  do {                                                                                                    \
    const cudaError_t e_ = (x);                                                                           \
    if (e_ != cudaSuccess) {                                                                              \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_));           \
      std::exit(1);                                                                                       \
    }                                                                                                     \
  } while (0)

static int g_failures = 0, g_checks = 0;
static void check(bool ok, const std::string& what) {
  ++g_checks;
  if (!ok) ++g_failures;
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
}

struct Lcg {
  uint64_t s;
  float next() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<float>(static_cast<double>(s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
  }
};

template <typename T>
struct Dev {
  T* p = nullptr;
  size_t n = 0;
  explicit Dev(size_t count) : n(count) { CUDA_OK(cudaMalloc(&p, std::max<size_t>(count, 1) * sizeof(T))); }
  ~Dev() { cudaFree(p); }
  Dev(const Dev&) = delete;
  Dev& operator=(const Dev&) = delete;
};

// A bf16 tensor addressed as [head][row][d] through strides; host copy kept as float (the rounded values).
struct Tensor {
  int rows, heads, d;
  int64_t row_stride, head_stride;
  std::vector<__nv_bfloat16> host;
  float at(int h, int r, int c) const { return __bfloat162float(host[h * head_stride + r * row_stride + c]); }
};
static Tensor make(int rows, int heads, int d, bool token_major, int cap, Lcg& g, float amp) {
  Tensor t{rows, heads, d, token_major ? int64_t(heads) * d : d, token_major ? d : int64_t(cap) * d, {}};
  const size_t size = token_major ? size_t(rows) * heads * d : size_t(heads) * cap * d;
  t.host.resize(size);
  for (auto& x : t.host) x = __float2bfloat16(g.next() * amp);
  return t;
}

struct Shape {
  int n_q, q_offset, heads, group, d;
  bool kv_token_major;
  int q_begin = 0;  // the column sums add rows [q_begin, n_q) (SnapKV's observation window: the last rows)
};

static void check_shape(const Shape& s, Lcg& g) {
  const int n_k = s.q_offset + s.n_q, G = s.heads / s.group, cap = ((n_k + 37) + 7) / 8 * 8;
  const Tensor q = make(s.n_q, s.heads, s.d, true, 0, g, 2.0f);
  const Tensor k = make(n_k, G, s.d, s.kv_token_major, cap, g, 2.0f);
  const Tensor v = make(n_k, G, s.d, s.kv_token_major, cap, g, 1.0f);
  Dev<__nv_bfloat16> dq(q.host.size()), dk(k.host.size()), dv(v.host.size()), dout(q.host.size());
  Dev<float> dlse(size_t(s.heads) * s.n_q), dcs(size_t(s.heads) * n_k);
  CUDA_OK(cudaMemcpy(dq.p, q.host.data(), q.host.size() * 2, cudaMemcpyHostToDevice));
  CUDA_OK(cudaMemcpy(dk.p, k.host.data(), k.host.size() * 2, cudaMemcpyHostToDevice));
  CUDA_OK(cudaMemcpy(dv.p, v.host.data(), v.host.size() * 2, cudaMemcpyHostToDevice));
  CUDA_OK(cudaMemset(dout.p, 0xFF, dout.n * 2));  // NaN poison
  CUDA_OK(cudaMemset(dlse.p, 0xFF, dlse.n * 4));
  CUDA_OK(cudaMemset(dcs.p, 0xFF, dcs.n * 4));

  PrefillParams p;
  p.q = dq.p, p.q_row_stride = q.row_stride, p.q_head_stride = q.head_stride;
  p.k = dk.p, p.k_row_stride = k.row_stride, p.k_head_stride = k.head_stride;
  p.v = dv.p, p.v_row_stride = v.row_stride, p.v_head_stride = v.head_stride;
  p.o = dout.p, p.o_row_stride = q.row_stride, p.o_head_stride = q.head_stride;
  p.lse = dlse.p, p.lse_head_stride = s.n_q;
  p.n_q = s.n_q, p.n_k = n_k, p.q_offset = s.q_offset, p.heads = s.heads, p.kv_heads = G, p.head_dim = s.d;
  p.scale = 1.0f / std::sqrt(static_cast<float>(s.d));
  char name[160];
  std::snprintf(name, sizeof name, "n_q %d offset %d heads %d group %d d %d kv %s q_begin %d", s.n_q, s.q_offset, s.heads, s.group, s.d,
                s.kv_token_major ? "[n][G*d]" : "[G][cap][d]", s.q_begin);
  std::string err = gem::hopper::attention_prefill(p, nullptr);
  if (!err.empty()) return check(false, std::string(name) + ": " + err);
  CUDA_OK(cudaDeviceSynchronize());
  ColsumParams c;
  c.q = dq.p, c.q_row_stride = q.row_stride, c.q_head_stride = q.head_stride;
  c.k = dk.p, c.k_row_stride = k.row_stride, c.k_head_stride = k.head_stride;
  c.lse = dlse.p, c.lse_head_stride = s.n_q, c.out = dcs.p, c.out_head_stride = n_k;
  c.n_q = s.n_q, c.n_k = n_k, c.q_offset = s.q_offset, c.q_begin = s.q_begin, c.q_end = s.n_q;
  c.heads = s.heads, c.kv_heads = G, c.head_dim = s.d, c.scale = p.scale;
  err = gem::hopper::attention_colsum(c, nullptr);
  if (!err.empty()) return check(false, std::string(name) + " colsum: " + err);
  CUDA_OK(cudaDeviceSynchronize());

  std::vector<__nv_bfloat16> out(dout.n);
  std::vector<float> lse(dlse.n), cs(dcs.n);
  CUDA_OK(cudaMemcpy(out.data(), dout.p, out.size() * 2, cudaMemcpyDeviceToHost));
  CUDA_OK(cudaMemcpy(lse.data(), dlse.p, lse.size() * 4, cudaMemcpyDeviceToHost));
  CUDA_OK(cudaMemcpy(cs.data(), dcs.p, cs.size() * 4, cudaMemcpyDeviceToHost));

  double oerr = 0, onorm = 0, lerr = 0, cerr = 0, cnorm = 0;
  bool written = true;
  std::vector<double> colref(size_t(s.heads) * n_k, 0.0);
  const double scale = p.scale;
  for (int h = 0; h < s.heads; ++h)
    for (int r = 0; r < s.n_q; ++r) {
      const int qpos = s.q_offset + r;
      std::vector<double> sc(qpos + 1);
      double mx = -1e300;
      for (int j = 0; j <= qpos; ++j) {
        double dot = 0;
        for (int x = 0; x < s.d; ++x) dot += double(q.at(h, r, x)) * k.at(h / s.group, j, x);
        sc[j] = dot * scale;
        mx = std::max(mx, sc[j]);
      }
      double l = 0;
      for (int j = 0; j <= qpos; ++j) l += std::exp(sc[j] - mx);
      const double lref = mx + std::log(l);
      const float lg = lse[size_t(h) * s.n_q + r];
      written = written && std::isfinite(lg);
      lerr = std::max(lerr, std::fabs(lg - lref) / std::max(1.0, std::fabs(lref)));
      if (r >= s.q_begin)
        for (int j = 0; j <= qpos; ++j) colref[size_t(h) * n_k + j] += std::exp(sc[j] - lref);
      for (int x = 0; x < s.d; ++x) {
        double o = 0;
        for (int j = 0; j <= qpos; ++j) o += std::exp(sc[j] - lref) * v.at(h / s.group, j, x);
        const float got = __bfloat162float(out[h * q.head_stride + r * q.row_stride + x]);
        written = written && std::isfinite(got);
        oerr += (got - o) * (got - o);
        onorm += o * o;
      }
    }
  for (size_t i = 0; i < colref.size(); ++i) {
    written = written && std::isfinite(cs[i]);
    cerr += (cs[i] - colref[i]) * (cs[i] - colref[i]);
    cnorm += colref[i] * colref[i];
  }
  const double orel = std::sqrt(oerr / onorm), crel = std::sqrt(cerr / cnorm);
  char buf[400];
  std::snprintf(buf, sizeof buf, "%s: every output written %s, O rel err %.2e, LSE err %.2e, column sums rel err %.2e", name,
                written ? "yes" : "NO", orel, lerr, crel);
  check(written && orel < 1e-2 && lerr < 2e-3 && crel < 2e-3, buf);
}

static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

static void bench(int max_n) {
  const int H = 32, G = 8, d = 128;
  cudaDeviceProp prop{};
  CUDA_OK(cudaGetDeviceProperties(&prop, 0));
  for (int n = 8192; n <= max_n; n *= 2) {
    Lcg g{static_cast<uint64_t>(n)};
    const size_t qn = size_t(n) * H * d, kn = size_t(n) * G * d;
    std::vector<__nv_bfloat16> host(qn);
    Dev<__nv_bfloat16> dq(qn), dk(kn), dv(kn), dout(qn);
    Dev<float> dlse(size_t(H) * n), dcs(size_t(H) * n);
    for (auto& x : host) x = __float2bfloat16(g.next());  // random data: zeros would time faster than real inputs
    CUDA_OK(cudaMemcpy(dq.p, host.data(), qn * 2, cudaMemcpyHostToDevice));
    CUDA_OK(cudaMemcpy(dk.p, host.data(), kn * 2, cudaMemcpyHostToDevice));
    CUDA_OK(cudaMemcpy(dv.p, host.data() + kn, kn * 2, cudaMemcpyHostToDevice));
    PrefillParams p;
    p.q = dq.p, p.q_row_stride = int64_t(H) * d, p.q_head_stride = d;
    p.k = dk.p, p.k_row_stride = d, p.k_head_stride = int64_t(n) * d;
    p.v = dv.p, p.v_row_stride = d, p.v_head_stride = int64_t(n) * d;
    p.o = dout.p, p.o_row_stride = int64_t(H) * d, p.o_head_stride = d;
    p.lse = dlse.p, p.lse_head_stride = n;
    p.n_q = n, p.n_k = n, p.q_offset = 0, p.heads = H, p.kv_heads = G, p.head_dim = d;
    p.scale = 1.0f / std::sqrt(float(d));
    ColsumParams c;
    c.q = dq.p, c.q_row_stride = p.q_row_stride, c.q_head_stride = d;
    c.k = dk.p, c.k_row_stride = d, c.k_head_stride = p.k_head_stride;
    c.lse = dlse.p, c.lse_head_stride = n, c.out = dcs.p, c.out_head_stride = n;
    c.n_q = n, c.n_k = n, c.q_offset = 0, c.q_begin = 0, c.q_end = n, c.heads = H, c.kv_heads = G, c.head_dim = d;
    c.scale = p.scale;
    cudaEvent_t e0, e1;
    CUDA_OK(cudaEventCreate(&e0));
    CUDA_OK(cudaEventCreate(&e1));
    const double flop = 4.0 * double(n) * n / 2 * d * H;  // QKᵀ + PV, causal half
    for (int which = 0; which < 2; ++which) {
      std::vector<double> ms;
      for (int rep = 0; rep < 6; ++rep) {
        CUDA_OK(cudaEventRecord(e0));
        const std::string err = which == 0 ? gem::hopper::attention_prefill(p, nullptr) : gem::hopper::attention_colsum(c, nullptr);
        if (!err.empty()) {
          std::printf("FAIL bench n %d: %s\n", n, err.c_str());
          ++g_failures;
          return;
        }
        CUDA_OK(cudaEventRecord(e1));
        CUDA_OK(cudaEventSynchronize(e1));
        float t = 0;
        CUDA_OK(cudaEventElapsedTime(&t, e0, e1));
        if (rep > 0) ms.push_back(t);  // rep 0 is the warmup
      }
      const double med = median(ms);
      // the column-sum pass does QKᵀ only (half the FLOPs of the prefill's two GEMMs) plus one exp per score
      const double f = which == 0 ? flop : flop / 2;
      std::printf("{\"kernel\":\"%s\",\"gpu\":\"%s\",\"n\":%d,\"heads\":%d,\"kvHeads\":%d,\"headDim\":%d,\"medianMs\":%.4f,"
                  "\"minMs\":%.4f,\"maxMs\":%.4f,\"repeats\":%zu,\"tflops\":%.1f}\n",
                  which == 0 ? "hopper_prefill" : "hopper_colsum", prop.name, n, H, G, d, med,
                  *std::min_element(ms.begin(), ms.end()), *std::max_element(ms.begin(), ms.end()), ms.size(), f / (med * 1e-3) / 1e12);
      std::fflush(stdout);
    }
    CUDA_OK(cudaEventDestroy(e0));
    CUDA_OK(cudaEventDestroy(e1));
  }
}

int main(int argc, char** argv) {
  bool require = false, do_bench = false;
  int max_n = 131072;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--require") require = true;
    else if (a == "--bench") do_bench = true;
    else if (a == "--max" && i + 1 < argc) max_n = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: gem-hopper-gpu-test [--require] [--bench [--max N]]\n");
      return 2;
    }
  }
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0 || !gem::hopper::available(0)) {
    std::printf("skipped: no compute-capability 9.0 device with the sm_90a kernels (device count %d)\n", count);
    return require ? 2 : 0;
  }
  if (do_bench) {
    bench(max_n);
    return g_failures == 0 ? 0 : 1;
  }
  Lcg g{2026};
  const Shape shapes[] = {
      {200, 0, 32, 4, 128, false},  // Llama-3.1-8B grouping, partial second block
      {131, 70, 5, 5, 96, false},   // group 5, head_dim 96 (zero-filled columns), query offset
      {70, 300, 7, 7, 128, true},   // group 7 (Qwen2.5), chunked-prefill offset past several blocks
      {129, 0, 8, 8, 96, true},     // group 8, one row into the second block
      {257, 3, 2, 1, 128, false},   // group 1 (Phi-3.5 style: as many KV heads as query heads)
      {1, 500, 4, 4, 128, false},   // a single query row at the end of a long context
      {640, 0, 28, 7, 128, false},  // Qwen2.5-7B heads, five query blocks
      {96, 400, 8, 4, 128, false, 64},  // SnapKV's window: column sums of the last 32 rows only, after an offset
      {200, 0, 32, 4, 128, true, 137},  // q_begin inside a query block, token-major K/V
  };
  for (const Shape& s : shapes) check_shape(s, g);
  // refusals: a shape outside the kernels' range is refused with a reason, nothing launched
  PrefillParams bad;
  bad.head_dim = 64;
  check(!gem::hopper::unsupported(bad).empty(), "head_dim 64 refused: " + gem::hopper::unsupported(bad));
  std::printf("%d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
