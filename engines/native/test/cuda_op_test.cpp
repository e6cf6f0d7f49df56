// The CUDA device ops that the selftest's BackendOps table does not reach, each against its CPU reference on a GPU:
// synthetic weights (bit-identical to synthetic.cpp's values rounded to bf16), embedding, residual add, bias add,
// KV append and decode attention with the length read on the device (the decode graph's variants),
// the statistics accumulation (accumulate_rows),
// KV append, KV keep/gather (with per-query-head expansion), argmax (ties → lower index, NaN never wins), the
// non-finite flag (fp32 and bf16), bf16 round trips, and attention + the statistics op at the small head dims
// (generic kernels), a ragged layer's attention (per-head offsets and lengths), kv_copy_rows and key_norms. Without
// a usable GPU it prints "skipped: …" and exits 0 (CI);
// scripts/gpu-check.sh runs it on the GPU. Exit status 1 on any failed check.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
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
    // accumulate_rows: a chunk's [rows][cols] statistics added into sums of a wider stride; columns past cols untouched.
    {
      const int rows = 5, cols = 300, stride = 517;
      const auto acc0 = rnd(static_cast<size_t>(rows) * stride, 11, 3.0f), part = rnd(static_cast<size_t>(rows) * cols, 12, 2.0f);
      Dev<float> acc(acc0), dp(part);
      accumulate_rows(acc.p, stride, dp.p, rows, cols, nullptr);
      const auto got = acc.get();
      bool ok = true;
      for (int r = 0; r < rows; ++r)
        for (int j = 0; j < stride; ++j) {
          const size_t i = static_cast<size_t>(r) * stride + j;
          ok &= got[i] == (j < cols ? acc0[i] + part[static_cast<size_t>(r) * cols + j] : acc0[i]);
        }
      check_that(ok, "accumulate_rows: exact fp32 sums in the first cols of each row, the rest untouched");
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
      {  // the decode graph's variant: row0 = *len − T read on the device
        Dev<bf16> cache2(cache.n);
        check(cudaMemset(cache2.p, 0, sizeof(bf16) * cache2.n), "memset");
        Dev<int> len(std::vector<int>{row0 + T});
        kv_append_at(sb.p, T, G, d, cache2.p, cap, len.p, nullptr);
        check_that(f32_of(cache2) == c, "kv_append_at (row0 from a device length) = kv_append, bit for bit");
      }
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
    // Attention and the statistics op at the small test models' head dims (8: stories260K, 24: tiny-mistral), which
    // run the generic kernels: prefill with a query offset, and decode, against double-precision references.
    for (int d : {8, 24}) {
      const int T = 5, len = 9, H = 4, G = 2, R = H / G, past = len - T;
      const auto q = rnd(static_cast<size_t>(T) * H * d, 3, 1.0f), k = rnd(static_cast<size_t>(G) * len * d, 4, 1.0f),
                 v = rnd(static_cast<size_t>(G) * len * d, 5, 1.0f);
      auto dev_bf16 = [](const std::vector<float>& h, std::vector<float>* rounded) {
        auto out = std::make_unique<Dev<bf16>>(h.size());
        Dev<float> f(h);
        to_bf16(f.p, static_cast<int64_t>(h.size()), out->p, nullptr);
        *rounded = f32_of(*out);
        return out;
      };
      std::vector<float> qr, kr, vr;
      auto dq = dev_bf16(q, &qr), dk = dev_bf16(k, &kr), dv = dev_bf16(v, &vr);
      Dev<bf16> out(q.size());
      Dev<float> lse(static_cast<size_t>(H) * T), st(static_cast<size_t>(H) * len);
      AttnArgs a;
      a.q = dq->p, a.k = dk->p, a.v = dv->p, a.out = out.p, a.lse = lse.p;
      a.T = T, a.H = H, a.G = G, a.d = d, a.len = len, a.cap = len;
      attention_prefill(a, nullptr);
      StatsArgs sa;
      sa.q = dq->p, sa.k = dk->p, sa.lse = lse.p, sa.out = st.p, sa.mode = StatMode::ProbSum;
      sa.T = T, sa.H = H, sa.G = G, sa.d = d, sa.len = len, sa.cap = len, sa.q_begin = 0, sa.q_end = T, sa.key_end = len;
      attn_stats(sa, nullptr);
      const auto o = f32_of(out), ls = lse.get(), sums = st.get();
      double worst = 0, worst_lse = 0, worst_sum = 0, scale_o = 1e-6;
      std::vector<double> col(static_cast<size_t>(H) * len, 0.0);
      for (int t = 0; t < T; ++t)
        for (int h = 0; h < H; ++h) {
          const int g = h / R;
          std::vector<double> sc(static_cast<size_t>(past + t + 1));
          double mx = -INFINITY, z = 0;
          for (int j = 0; j <= past + t; ++j) {
            double dot = 0;
            for (int i = 0; i < d; ++i) dot += static_cast<double>(qr[(static_cast<size_t>(t) * H + h) * d + i]) * kr[(static_cast<size_t>(g) * len + j) * d + i];
            sc[static_cast<size_t>(j)] = dot / std::sqrt(static_cast<double>(d));
            mx = std::max(mx, sc[static_cast<size_t>(j)]);
          }
          for (auto x : sc) z += std::exp(x - mx);
          worst_lse = std::max(worst_lse, std::fabs(ls[static_cast<size_t>(h) * T + t] - (mx + std::log(z))));
          for (int j = 0; j <= past + t; ++j) col[static_cast<size_t>(h) * len + j] += std::exp(sc[static_cast<size_t>(j)] - mx) / z;
          for (int i = 0; i < d; ++i) {
            double ref = 0;
            for (int j = 0; j <= past + t; ++j) ref += std::exp(sc[static_cast<size_t>(j)] - mx) / z * vr[(static_cast<size_t>(g) * len + j) * d + i];
            scale_o = std::max(scale_o, std::fabs(ref));
            worst = std::max(worst, std::fabs(o[(static_cast<size_t>(t) * H + h) * d + i] - ref));
          }
        }
      for (size_t i = 0; i < col.size(); ++i) worst_sum = std::max(worst_sum, std::fabs(sums[i] - col[i]));
      char b[160];
      std::snprintf(b, sizeof b, "attention d=%d (generic kernel, query offset %d): out err %.2g of max %.2g, lse err %.2g", d, past,
                    worst, scale_o, worst_lse);
      check_that(worst <= 1e-2 * scale_o && worst_lse <= 1e-4, b);
      std::snprintf(b, sizeof b, "attn_stats ProbSum d=%d (generic kernel): column sums err %.2g", d, worst_sum);
      check_that(worst_sum <= 1e-4 * T, b);
    }
    // Decode with the length read on the device (the decode graph: len = an upper bound, len_dev = the length) equals
    // decode with the length given, bit for bit, for the tensor-core and the generic kernels.
    for (int d : {8, 64, 128}) {
      const int H = 8, G = 2, cap = 300, n = 173, splits = 5;
      const auto q = rnd(static_cast<size_t>(H) * d, 21, 1.0f), kv = rnd(static_cast<size_t>(G) * cap * d, 22, 1.0f);
      Dev<float> qf(q), kvf(kv);
      Dev<bf16> qb(q.size()), kb(kv.size()), o1(q.size()), o2(q.size());
      to_bf16(qf.p, static_cast<int64_t>(q.size()), qb.p, nullptr);
      to_bf16(kvf.p, static_cast<int64_t>(kv.size()), kb.p, nullptr);
      Dev<float> l1(static_cast<size_t>(H)), l2(static_cast<size_t>(H)), work(static_cast<size_t>(splits) * H * (d + 2));
      Dev<int> len(std::vector<int>{n});
      AttnArgs a;
      a.q = qb.p, a.k = kb.p, a.v = kb.p, a.out = o1.p, a.lse = l1.p;
      a.T = 1, a.H = H, a.G = G, a.d = d, a.len = n, a.cap = cap;
      attention_decode(a, work.p, splits, nullptr);
      a.out = o2.p, a.lse = l2.p, a.len = cap, a.len_dev = len.p;
      attention_decode(a, work.p, splits, nullptr);
      check_that(f32_of(o1) == f32_of(o2) && l1.get() == l2.get(),
                 "attention_decode d=" + std::to_string(d) + ": length from the device = length given, bit for bit");
    }
    // A ragged layer (ragged.h: heads packed at their own offsets, per-head lengths on the device) equals, head group
    // by head group, the uniform attention of that group over its own rows, bit for bit: decode (split-K) and a
    // 3-token prefill, tensor-core and generic kernels (two head sizes only: racecheck/synccheck run this file within
    // their GPU-check limits).
    for (int d : {8, 128})
      for (int T : {1, 3}) {
        const int H = 8, G = 2, R = H / G, splits = 5;
        const std::vector<int> off = {0, 180}, len = {173, 61}, cap = {180, 70};
        const int total = off[1] + cap[1];
        const auto q = rnd(static_cast<size_t>(T) * H * d, 31, 1.0f), kv = rnd(static_cast<size_t>(total) * d, 32, 1.0f);
        Dev<float> qf(q), kvf(kv);
        Dev<bf16> qb(q.size()), kb(kv.size()), out(q.size());
        to_bf16(qf.p, static_cast<int64_t>(q.size()), qb.p, nullptr);
        to_bf16(kvf.p, static_cast<int64_t>(kv.size()), kb.p, nullptr);
        std::vector<int> meta(off);
        meta.insert(meta.end(), len.begin(), len.end());
        Dev<int> dm(meta);
        Dev<float> lse(static_cast<size_t>(H) * T), work(static_cast<size_t>(splits) * T * H * (d + 2));
        AttnArgs a;
        a.q = qb.p, a.k = kb.p, a.v = kb.p, a.out = out.p, a.lse = lse.p;
        a.T = T, a.H = H, a.G = G, a.d = d, a.len = 173, a.cap = 173, a.head_off = dm.p, a.head_len = dm.p + G;
        if (T == 1) attention_decode(a, work.p, splits, nullptr);
        else attention_prefill_mma(a, nullptr);
        const auto got = f32_of(out), got_lse = lse.get();
        bool same = true;
        for (int g = 0; g < G; ++g) {  // the group's queries alone, against its own rows as a one-head uniform cache
          std::vector<float> qg(static_cast<size_t>(T) * R * d);
          for (int t = 0; t < T; ++t)
            std::memcpy(qg.data() + static_cast<size_t>(t) * R * d, q.data() + (static_cast<size_t>(t) * H + g * R) * d, sizeof(float) * R * d);
          Dev<float> qgf(qg);
          Dev<bf16> qgb(qg.size()), og(qg.size());
          to_bf16(qgf.p, static_cast<int64_t>(qg.size()), qgb.p, nullptr);
          Dev<float> lg(static_cast<size_t>(R) * T), wg(static_cast<size_t>(splits) * T * R * (d + 2));
          AttnArgs b;
          b.q = qgb.p, b.k = kb.p + static_cast<int64_t>(off[g]) * d, b.v = b.k, b.out = og.p, b.lse = lg.p;
          b.T = T, b.H = R, b.G = 1, b.d = d, b.len = len[g], b.cap = cap[g];
          if (T == 1) attention_decode(b, wg.p, splits, nullptr);
          else attention_prefill_mma(b, nullptr);
          const auto want = f32_of(og), want_lse = lg.get();
          for (int t = 0; t < T; ++t)
            for (int r = 0; r < R; ++r) {
              for (int i = 0; i < d; ++i)
                same &= got[(static_cast<size_t>(t) * H + g * R + r) * d + i] == want[(static_cast<size_t>(t) * R + r) * d + i];
              same &= got_lse[static_cast<size_t>(g * R + r) * T + t] == want_lse[static_cast<size_t>(r) * T + t];
            }
        }
        check_that(same, "ragged attention d=" + std::to_string(d) + " T=" + std::to_string(T) +
                             ": each head group = the uniform attention over its own rows, bit for bit");
      }
    // kv_copy_rows and key_norms: rows moved exactly; norms within fp32 rounding of the double norms of the bf16 keys.
    {
      const int d = 64, rows = 50, heads = 3, cap = 20, K = 17;
      const auto src = rnd(static_cast<size_t>(rows) * d, 41, 2.0f);
      Dev<float> sf(src);
      Dev<bf16> sb(src.size()), db(src.size());
      to_bf16(sf.p, static_cast<int64_t>(src.size()), sb.p, nullptr);
      check(cudaMemset(db.p, 0, sizeof(bf16) * src.size()), "cudaMemset");
      std::vector<int2> map = {make_int2(3, 0), make_int2(49, 7), make_int2(0, 49)};
      Dev<int2> dmap(map);
      kv_copy_rows(sb.p, db.p, dmap.p, 3, d, nullptr);
      const auto sg = f32_of(sb), dg = f32_of(db);
      bool ok = true;
      for (int r = 0; r < rows; ++r)
        for (int i = 0; i < d; ++i) {
          const int from = r == 0 ? 3 : r == 7 ? 49 : r == 49 ? 0 : -1;
          ok &= dg[static_cast<size_t>(r) * d + i] == (from < 0 ? 0.0f : sg[static_cast<size_t>(from) * d + i]);
        }
      check_that(ok, "kv_copy_rows: the mapped rows exactly, the rest untouched");
      Dev<float> norms(static_cast<size_t>(heads) * K);
      key_norms(sb.p, heads, cap, d, K, norms.p, nullptr);
      const auto n = norms.get();
      double worst = 0;
      for (int c = 0; c < heads; ++c)
        for (int j = 0; j < K; ++j) {
          double ss = 0;
          for (int i = 0; i < d; ++i) ss += static_cast<double>(sg[(static_cast<size_t>(c) * cap + j) * d + i]) * sg[(static_cast<size_t>(c) * cap + j) * d + i];
          worst = std::max(worst, std::abs(n[static_cast<size_t>(c) * K + j] - std::sqrt(ss)) / std::sqrt(ss));
        }
      char b[160];
      std::snprintf(b, sizeof b, "key_norms: relative error %.2g of the double norms (3 heads of capacity 20, 17 keys)", worst);
      check_that(worst <= 1e-5, b);
    }
    check(cudaDeviceSynchronize(), "synchronize");
  } catch (const RunnerError& err) {
    check_that(false, std::string("aborted: ") + err.what());
  }
  std::printf("%d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
