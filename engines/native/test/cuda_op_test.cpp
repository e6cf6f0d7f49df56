// The CUDA device ops that the selftest's BackendOps table does not reach, each against its CPU reference on a GPU:
// synthetic weights (bit-identical to synthetic.cpp's values rounded to bf16), embedding, residual add, bias add,
// KV append, KV keep/gather (with per-query-head expansion), argmax (ties → lower index, NaN never wins), the
// non-finite flag (fp32 and bf16), bf16 round trips. Without a usable GPU it prints "skipped: …" and exits 0 (CI);
// scripts/gpu-check.sh runs it on the GPU. Exit status 1 on any failed check.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../src/cuda/ops.h"
#include "../src/cuda/synthetic_gen.h"
#include "../src/model.h"

using namespace gem;
using namespace gem::cuda;

static int g_failures = 0, g_checks = 0;
static void check_that(bool ok, const std::string& what) {
  ++g_checks;
  if (!ok) ++g_failures;
  std::printf("%s  %s\n", ok ? "ok  " : "FAIL", what.c_str());
}

template <class T>
struct Dev {
  T* p = nullptr;
  size_t n = 0;
  explicit Dev(size_t n_) : n(n_) { check(cudaMalloc(&p, sizeof(T) * (n ? n : 1)), "cudaMalloc"); }
  Dev(const std::vector<T>& h) : Dev(h.size()) { check(cudaMemcpy(p, h.data(), sizeof(T) * n, cudaMemcpyHostToDevice), "upload"); }
  ~Dev() { cudaFree(p); }
  std::vector<T> get() const {
    std::vector<T> h(n);
    check(cudaMemcpy(h.data(), p, sizeof(T) * n, cudaMemcpyDeviceToHost), "download");
    return h;
  }
};

// Round-to-nearest-even fp32 → bf16 → fp32 on the host (the device's __float2bfloat16_rn for finite values).
static float bf16_round(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  u = (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
  std::memcpy(&x, &u, 4);
  return x;
}
static std::vector<float> f32_of(const Dev<bf16>& d) {
  Dev<float> f(d.n);
  to_f32(d.p, static_cast<int64_t>(d.n), f.p, nullptr);
  return f.get();
}
static std::vector<float> rnd(size_t n, uint64_t seed, float scale) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * (synthetic_value(seed, static_cast<int64_t>(i), 1.0f, 0.0f));
  return v;
}

int main() {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    std::printf("skipped: no usable GPU (%s)\n", e != cudaSuccess ? cudaGetErrorString(e) : "0 devices");
    return 0;
  }
  try {
    // Synthetic weights: the device generator equals the CPU's make_synthetic values, rounded to bf16, bit for bit.
    {
      Json ov = Json::parse(R"({"num_hidden_layers":1})");
      Model m = make_synthetic("tiny-qwen2", ov, 7);
      const Tensor& w = m.layers[0].wq;
      const float scale = std::sqrt(3.0f / static_cast<float>(m.config.hidden_size));
      Dev<bf16> d(static_cast<size_t>(w.numel()));
      synthetic_fill(d.p, w.numel(), synthetic_stream(7, "model.layers.0.self_attn.q_proj.weight"), scale, 0.0f, nullptr);
      const auto got = f32_of(d);
      bool same = true;
      for (size_t i = 0; i < got.size(); ++i) same &= got[i] == bf16_round(w.data[i]);
      check_that(same, "synthetic q_proj (tiny-qwen2, seed 7) = CPU values rounded to bf16, all " + std::to_string(got.size()));
      Dev<bf16> n(static_cast<size_t>(m.final_norm.numel()));
      synthetic_fill(n.p, m.final_norm.numel(), synthetic_stream(7, "model.norm.weight"), 0.1f, 1.0f, nullptr);
      const auto gn = f32_of(n);
      same = true;
      for (size_t i = 0; i < gn.size(); ++i) same &= gn[i] == bf16_round(m.final_norm.data[i]);
      check_that(same, "synthetic norm weights (offset 1) = CPU values rounded to bf16");
    }
    // Embedding + residual add + bias add.
    {
      const int V = 37, D = 96, T = 5;
      const auto table = rnd(static_cast<size_t>(V) * D, 1, 2.0f);
      Dev<float> tf(table);
      Dev<bf16> tb(table.size());
      to_bf16(tf.p, static_cast<int64_t>(table.size()), tb.p, nullptr);
      const std::vector<int> ids = {0, 36, 5, 5, 17};
      Dev<int> di(ids);
      Dev<float> x(static_cast<size_t>(T) * D);
      embed(tb.p, di.p, T, D, x.p, nullptr);
      auto xe = x.get();
      bool ok = true;
      for (int t = 0; t < T; ++t)
        for (int i = 0; i < D; ++i) ok &= xe[static_cast<size_t>(t) * D + i] == bf16_round(table[static_cast<size_t>(ids[t]) * D + i]);
      check_that(ok, "embed: rows of the bf16 table, exactly");
      add_residual(x.p, tb.p, static_cast<int64_t>(T) * D, nullptr);  // + the first T rows of the table
      add_bias(x.p, tb.p, T, D, nullptr);                              // + row 0 as a bias
      auto xr = x.get();
      ok = true;
      for (int t = 0; t < T; ++t)
        for (int i = 0; i < D; ++i) {
          const size_t j = static_cast<size_t>(t) * D + i;
          const float want = (xe[j] + bf16_round(table[j])) + bf16_round(table[static_cast<size_t>(i)]);
          ok &= xr[j] == want;
        }
      check_that(ok, "add_residual and add_bias: exact fp32 sums");
    }
    // KV append, then keep/gather with a per-query-head expansion (G = 2 → 4 heads).
    {
      const int G = 2, d = 64, cap = 40, T = 7, row0 = 3;
      const auto src = rnd(static_cast<size_t>(T) * G * d, 2, 1.0f);
      Dev<float> sf(src);
      Dev<bf16> sb(src.size()), cache(static_cast<size_t>(G) * cap * d);
      to_bf16(sf.p, static_cast<int64_t>(src.size()), sb.p, nullptr);
      check(cudaMemset(cache.p, 0, sizeof(bf16) * cache.n), "memset");
      kv_append(sb.p, T, G, d, cache.p, cap, row0, nullptr);
      const auto c = f32_of(cache);
      bool ok = true;
      for (int g = 0; g < G; ++g)
        for (int r = 0; r < cap; ++r)
          for (int i = 0; i < d; ++i) {
            const bool in = r >= row0 && r < row0 + T;
            const float want = in ? bf16_round(src[(static_cast<size_t>(r - row0) * G + g) * d + i]) : 0.0f;
            ok &= c[(static_cast<size_t>(g) * cap + r) * d + i] == want;
          }
      check_that(ok, "kv_append: rows row0.. of each head, nothing else touched");
      const int heads_out = 4, keep = 3, dst_cap = 5;
      const std::vector<int> rows = {3, 4, 9, 0, 5, 6, 3, 8, 9, 4, 5, 6};
      const std::vector<int> src_head = {0, 0, 1, 1};
      Dev<int> dr(rows), dh(src_head);
      Dev<bf16> dst(static_cast<size_t>(heads_out) * dst_cap * d);
      kv_gather(cache.p, cap, dst.p, dst_cap, dr.p, dh.p, heads_out, keep, d, nullptr);
      const auto o = f32_of(dst);
      ok = true;
      for (int h = 0; h < heads_out; ++h)
        for (int i = 0; i < keep; ++i)
          for (int x = 0; x < d; ++x)
            ok &= o[(static_cast<size_t>(h) * dst_cap + i) * d + x] ==
                  c[(static_cast<size_t>(src_head[h]) * cap + rows[static_cast<size_t>(h) * keep + i]) * d + x];
      check_that(ok, "kv_gather: kept rows of the source head, per-query-head expansion");
    }
    // argmax and the non-finite flag.
    {
      std::vector<float> v(5000, -1.0f);
      v[17] = 3.0f;
      v[4000] = 3.0f;
      v[10] = NAN;
      Dev<float> dv(v);
      Dev<int> out(1), flag(1);
      argmax(dv.p, 5000, out.p, nullptr);
      check_that(out.get()[0] == 17, "argmax: ties → lower index, NaN never wins (got " + std::to_string(out.get()[0]) + ")");
      check(cudaMemset(flag.p, 0, sizeof(int)), "memset");
      flag_nonfinite(dv.p, 5000, flag.p, nullptr);
      check_that(flag.get()[0] == 1, "flag_nonfinite (fp32): a NaN is flagged");
      v[10] = 0.0f;
      Dev<float> clean(v);
      check(cudaMemset(flag.p, 0, sizeof(int)), "memset");
      flag_nonfinite(clean.p, 5000, flag.p, nullptr);
      check_that(flag.get()[0] == 0, "flag_nonfinite (fp32): finite data is not flagged");
      v[4999] = INFINITY;
      Dev<float> inf(v);
      Dev<bf16> infb(v.size());
      to_bf16(inf.p, 5000, infb.p, nullptr);
      check(cudaMemset(flag.p, 0, sizeof(int)), "memset");
      flag_nonfinite(infb.p, 5000, flag.p, nullptr);
      check_that(flag.get()[0] == 1, "flag_nonfinite (bf16): +inf is flagged");
    }
    check(cudaDeviceSynchronize(), "synchronize");
  } catch (const RunnerError& err) {
    check_that(false, std::string("aborted: ") + err.what());
  }
  std::printf("%d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
