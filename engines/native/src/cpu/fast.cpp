// The fast kernel set: run-time instruction-set choice, the work split over threads (output tiles only) and the key
// packing of the tiled attention. The kernels themselves: fast_simd.inl (fast_avx512.cpp, fast_avx2.cpp).
#include "fast.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>

#include "../backend.h"
#include "../memory.h"
#include "../threads.h"
#include "kernels.h"

namespace gem {
namespace cpu {

namespace {

std::atomic<KernelSet>& kernel_slot() {
  static std::atomic<KernelSet> k{KernelSet::Fast};
  return k;
}

enum class Isa { None, Avx2, Avx512 };

Isa detect_isa() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return Isa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) return Isa::Avx2;
#endif
  return Isa::None;
}

Isa isa() {
  static const Isa i = detect_isa();
  return i;
}

}  // namespace

KernelSet kernel_set() { return kernel_slot().load(std::memory_order_relaxed); }
void set_kernel_set(KernelSet k) { kernel_slot().store(k, std::memory_order_relaxed); }
const char* kernel_set_name(KernelSet k) { return k == KernelSet::Fast ? "fast" : "reference"; }
bool parse_kernel_set(const std::string& s, KernelSet& out) {
  if (s == "fast") out = KernelSet::Fast;
  else if (s == "reference") out = KernelSet::Reference;
  else return false;
  return true;
}

const char* fast_isa() {
  switch (isa()) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    case Isa::None: break;
  }
  return "none";
}

#if defined(__x86_64__)
namespace {

// A thread's GEMM scratch, 64-byte aligned (a packed group of 16 lanes is then one cache line), kept between calls:
// each call refills what it uses.
float* thread_scratch(int64_t floats) {
  thread_local std::vector<float> buf;
  if (static_cast<int64_t>(buf.size()) < floats + 16) buf.resize(static_cast<size_t>(floats + 16));
  const auto p = reinterpret_cast<uintptr_t>(buf.data());
  return reinterpret_cast<float*>((p + 63) & ~static_cast<uintptr_t>(63));
}

// Threads take contiguous ranges of output blocks only (each output computed whole by one thread). Few rows: blocks of
// kGemmDirectNB outputs × all rows. Otherwise blocks of kGemmMC rows × kGemmNC outputs, in one of two orders (below);
// a thread packs a W block only when the output block changes (and `in` fits one k block).
bool matmul_with(Isa i, const float* x, int T, int in, WeightRef W, int out, const float* bias, float* y) {
  if (i == Isa::None || T <= 0 || out <= 0 || in <= 0) return false;
  const simd::GemmArgs a{x, T, in, W.p, static_cast<int>(W.type), W.panels, out, bias, y};
  const auto block = i == Isa::Avx512 ? &simd::gemm_block_avx512 : &simd::gemm_block_avx2;
  if (T < simd::kGemmPackRows) {
    const int64_t no = (out + simd::kGemmDirectNB - 1) / simd::kGemmDirectNB;
    // (panels are read in place: all of k in one block, no sums parked)
    const int kc = W.panels ? in : simd::kGemmDirectKC;
    parallel_for(no, 2.0 * T * in * out, [&](int64_t b, int64_t e) {
      float* scratch = thread_scratch(simd::gemm_block_floats(T, simd::kGemmDirectNB, in, kc, W.panels));
      for (int64_t w = b; w < e; ++w) {
        const int o0 = static_cast<int>(w) * simd::kGemmDirectNB, o1 = std::min(out, o0 + simd::kGemmDirectNB);
        block(a, 0, T, o0, o1, kc, true, scratch);
      }
    });
    return true;
  }
  const int64_t nt = (T + simd::kGemmMC - 1) / simd::kGemmMC, no = (out + simd::kGemmNC - 1) / simd::kGemmNC;
  // The order of the blocks: output blocks outermost re-reads x once per output block and packs each W block once per
  // thread; row blocks outermost keeps a row block of x in cache for all outputs but packs W once per row block. The
  // second pays when x is much larger than W (T ≥ 4·out: the prompt's q/k/v/o projections, a long x streamed from
  // memory against a W that stays in cache), the first otherwise (the MLP's 128-row chunks, square shapes). Every
  // output is still computed whole by one item, so the bits do not change.
  const bool rows_outer = static_cast<int64_t>(T) >= 4 * static_cast<int64_t>(out);
  parallel_for(nt * no, 2.0 * T * in * out, [&](int64_t b, int64_t e) {
    float* scratch = thread_scratch(simd::gemm_block_floats(simd::kGemmMC, simd::kGemmNC, in, simd::kGemmKC, W.panels));
    int64_t packed = -1;  // the output block whose W panels scratch holds
    for (int64_t w = b; w < e; ++w) {
      const int64_t ob = rows_outer ? w % no : w / nt, tb = rows_outer ? w / no : w % nt;
      const int t0 = static_cast<int>(tb) * simd::kGemmMC, o0 = static_cast<int>(ob) * simd::kGemmNC;
      const int t1 = std::min(T, t0 + simd::kGemmMC), o1 = std::min(out, o0 + simd::kGemmNC);
      block(a, t0, t1, o0, o1, simd::kGemmKC, ob != packed, scratch);
      packed = ob;
    }
  });
  return true;
}

}  // namespace

bool fast_matmul(const float* x, int T, int in, WeightRef W, int out, const float* bias, float* y) {
  return matmul_with(isa(), x, T, in, W, out, bias, y);
}

namespace {
template <class E>
void interleave16(std::vector<E>& v, int64_t rows, int64_t cols) {
  std::vector<E> out(v.size());
  parallel_for(rows / 16, static_cast<double>(rows) * cols, [&](int64_t b, int64_t e) {
    for (int64_t g = b; g < e; ++g)
      for (int r = 0; r < 16; ++r) {
        const E* src = v.data() + (g * 16 + r) * cols;
        E* dst = out.data() + g * cols * 16 + r;
        for (int64_t c = 0; c < cols; ++c) dst[c * 16] = src[c];
      }
  });
  v.swap(out);
}
}  // namespace

bool to_panels(Tensor& t) {
  if (isa() == Isa::None || t.panels16 || t.shape.size() != 2 || t.shape[0] % 16 != 0 || t.empty()) return false;
  if (t.kept16()) interleave16(t.half, t.shape[0], t.shape[1]);
  else interleave16(t.data, t.shape[0], t.shape[1]);
  t.panels16 = true;
  return true;
}

bool fast_matmul_avx2(const float* x, int T, int in, WeightRef W, int out, const float* bias, float* y) {
  return isa() != Isa::None && matmul_with(Isa::Avx2, x, T, in, W, out, bias, y);
}

namespace {
// The attention's score scale in base 2: 1/√d · log2 e (2^(s·log2 e) = e^s).
float base2_scale(int d) { return static_cast<float>(1.4426950408889634 / std::sqrt(static_cast<double>(d))); }
// The query rows [q0, q1) and keys [0, K) a ProbSum request sums over T query rows and `keys` key rows.
struct ProbSumRange {
  int q0, q1, K;
};
ProbSumRange probsum_range(const StatsRequest& r, int T, int keys) {
  return {std::max(0, r.q_begin), std::min(T, r.q_end), r.key_end < 0 ? keys : std::min(r.key_end, keys)};
}
}  // namespace

// The flash pass with ProbSum's column sums (RowNorms::cols): the query blocks form superblocks of about equal causal
// work, each run by one item in block order, summing into its own [H][K] doubles; the superblocks' sums are then added
// in order. The bits depend on the shapes only. Up to kColSuper superblocks, fewer where their sums would pass
// kColSumBytes; below min(4, query blocks) the caller runs the plain pass (and the stats their own). The probability
// tiles of a slot: ColSums::p [key blocks][rows][kFlashBK], then ::m [key blocks][rows] (simd::colsum_floats).
constexpr int kColSuper = 16;
constexpr int64_t kColSumBytes = int64_t{64} << 20;
bool attention_with_colsums(Isa i, const simd::FlashArgs& base, const FVec& kt, const std::vector<const float*>& v, int G,
                            int nkb, int bq, int nqb, ColumnSums& cols) {
  constexpr int BK = simd::kFlashBK;
  const int T = base.T, H = base.H, d = base.d, group = base.group, len = base.len, past = len - T;
  const ProbSumRange range = probsum_range(*cols.want, T, len);
  const int q0 = range.q0, q1 = range.q1, K = range.K;  // (named: the lambdas below capture them)
  if (K <= 0 || q0 >= q1) return false;
  const int64_t per_sb = static_cast<int64_t>(H) * K;
  const int nsb = static_cast<int>(std::min<int64_t>({kColSuper, nqb, kColSumBytes / (per_sb * 8)}));
  if (nsb < std::min(4, nqb)) return false;
  // Superblock of each query block: by the keys its rows visit before it (the causal triangle's area), in equal parts.
  std::vector<int> first(static_cast<size_t>(nsb) + 1, nqb);
  {
    auto keys_seen = [&](int b) { return static_cast<double>(past + std::min(T, (b + 1) * bq)); };
    double total = 0;
    for (int b = 0; b < nqb; ++b) total += keys_seen(b);
    double before = 0;
    int s = 0;
    first[0] = 0;
    for (int b = 0; b < nqb; ++b) {
      while (s + 1 < nsb && before >= total * (s + 1) / nsb) first[static_cast<size_t>(++s)] = b;
      before += keys_seen(b);
    }
  }
  DVec part(MemCat::Workspace, static_cast<size_t>(nsb) * per_sb, 0.0);
  const int rows = bq * group;
  const int64_t items = static_cast<int64_t>(G) * nsb;
  const int slots = static_cast<int>(std::min<int64_t>(std::max(1, num_threads()), items));
  const int64_t pfloats = simd::colsum_floats(rows, len);
  FVec pbuf(MemCat::Workspace, static_cast<size_t>(slots * pfloats));
  // One slot per thread, each with its own probability store, taking items slot, slot + slots, … (equal work each).
  parallel_for(slots, 4.0 * d * static_cast<double>(len) * T * H, [&](int64_t sb_, int64_t se_) {
    std::vector<float> scratch(static_cast<size_t>(simd::flash_scratch_floats(rows, d)));
    for (int64_t slot = sb_; slot < se_; ++slot)
      for (int64_t w = slot; w < items; w += slots) {
        const int g = static_cast<int>(w / nsb), sb = static_cast<int>(w % nsb);
        float* p = pbuf.data() + slot * pfloats;
        simd::ColSums c{p, p + static_cast<int64_t>(nkb) * rows * BK, q0, q1, K, part.data() + sb * per_sb};
        simd::FlashArgs a = base;
        a.kt = kt.data() + static_cast<int64_t>(g) * nkb * d * BK;
        a.v = v[static_cast<size_t>(g)];
        for (int qb = first[static_cast<size_t>(sb)]; qb < first[static_cast<size_t>(sb) + 1]; ++qb) {
          const int t0 = qb * bq, t1 = std::min(T, t0 + bq);
          a.cols = t1 > q0 && t0 < q1 ? &c : nullptr;
          if (i == Isa::Avx512) simd::flash_avx512(a, g, t0, t1, scratch.data());
          else simd::flash_avx2(a, g, t0, t1, scratch.data());
        }
      }
  });
  cols.per.assign(static_cast<size_t>(per_sb), 0.0);
  parallel_for(per_sb, static_cast<double>(per_sb) * nsb * 4, [&](int64_t b, int64_t e) {
    for (int sb = 0; sb < nsb; ++sb) {
      const double* src = part.data() + sb * per_sb;
      for (int64_t x = b; x < e; ++x) cols.per[static_cast<size_t>(x)] += src[x];
    }
  });
  cols.q0 = q0;
  cols.q1 = q1;
  cols.K = K;
  return true;
}

bool fast_attention(const float* q, int T, int H, int d, const std::vector<const float*>& k,
                    const std::vector<const float*>& v, int len, float* out, RowNorms* norms) {
  const Isa i = isa();
  const int G = static_cast<int>(k.size());
  if (i == Isa::None || T < 2 || d % 16 != 0 || G == 0 || H % G != 0 || len < T) return false;
  constexpr int BK = simd::kFlashBK;
  const int group = H / G, nkb = (len + BK - 1) / BK;
  // Keys packed transposed per key block ([G][blocks][d][BK], zeros past len): the score tile broadcasts one query
  // element against 64 keys.
  FVec kt(MemCat::Workspace, static_cast<size_t>(G) * nkb * d * BK);
  parallel_for(static_cast<int64_t>(G) * nkb, 2.0 * len * d * G, [&](int64_t b, int64_t e) {
    for (int64_t w = b; w < e; ++w) {
      const int g = static_cast<int>(w / nkb), j0 = static_cast<int>(w % nkb) * BK;
      float* dst = kt.data() + w * d * BK;
      const int jn = std::min(BK, len - j0);
      for (int j = 0; j < BK; ++j) {
        const float* src = k[static_cast<size_t>(g)] + static_cast<int64_t>(j0 + j) * d;
        for (int c = 0; c < d; ++c) dst[c * BK + j] = j < jn ? src[c] : 0.0f;
      }
    }
  });
  // Work items: (cache head, query block) of about 64 rows; the query blocks are visited from both ends in turn
  // (0, last, 1, last-1, …) so that the contiguous split over threads gets an even share of the causal triangle.
  const int bq = std::max(1, 64 / group), nqb = (T + bq - 1) / bq;
  simd::FlashArgs base{q, T, H, d, group, len, nullptr, nullptr, out, base2_scale(d)};
  if (norms) {
    norms->T = T;
    norms->H = H;
    norms->lse2.assign(static_cast<size_t>(T) * H, 0.0f);
    base.row_lse2 = norms->lse2.data();
    norms->cols.per.clear_and_free();
    if (norms->cols.want && attention_with_colsums(i, base, kt, v, G, nkb, bq, nqb, norms->cols)) return true;
  }
  parallel_for(static_cast<int64_t>(G) * nqb, 4.0 * d * static_cast<double>(len) * T * H, [&](int64_t b, int64_t e) {
    std::vector<float> scratch(static_cast<size_t>(simd::flash_scratch_floats(bq * group, d)));
    for (int64_t w = b; w < e; ++w) {
      const int g = static_cast<int>(w / nqb), z = static_cast<int>(w % nqb);
      const int qb = z % 2 == 0 ? z / 2 : nqb - 1 - z / 2;
      simd::FlashArgs a = base;
      a.kt = kt.data() + static_cast<int64_t>(g) * nkb * d * BK;
      a.v = v[static_cast<size_t>(g)];
      const int t0 = qb * bq, t1 = std::min(T, t0 + bq);
      if (i == Isa::Avx512) simd::flash_avx512(a, g, t0, t1, scratch.data());
      else simd::flash_avx2(a, g, t0, t1, scratch.data());
    }
  });
  return true;
}
bool fast_attn_stats(const float* q, int T, int H, int d, const KeyRows& keys, const StatsRequest& req,
                     RowNorms& norms, Stats& out) {
  const Isa i = isa();
  const int C = static_cast<int>(keys.head.size());
  if (i == Isa::None || req.mode != StatsMode::ProbSum || norms.layer != req.layer || norms.T != T || norms.H != H ||
      d % 16 != 0 || C == 0 || H % C != 0)
    return false;
  constexpr int BK = simd::kFlashBK;
  const int group = H / C, N = keys.rows;
  const ProbSumRange range = probsum_range(req, T, N);
  const int q0 = range.q0, q1 = range.q1, K = range.K;
  out.keys = K;
  out.layer = req.layer;
  ColumnSums& cols = norms.cols;
  if (!cols.per.empty() && cols.q0 == q0 && cols.q1 == q1 && cols.K == K) {
    aggregate_heads(std::move(cols.per), H, C, K, req.agg, out);
    cols.per.clear_and_free();
    return true;
  }
  DVec per(MemCat::Workspace, static_cast<size_t>(H) * K, 0.0);
  const int nkb = (K + BK - 1) / BK;
  const float scale = base2_scale(d);
  // Items (cache head, key block), the key blocks from both ends in turn (early keys are seen by more rows).
  parallel_for(static_cast<int64_t>(C) * nkb, 2.0 * std::max(1, q1 - q0) * static_cast<double>(N) * d * H,
               [&](int64_t b, int64_t e) {
    std::vector<float> scratch(static_cast<size_t>(simd::probsum_scratch_floats(group, d)));
    for (int64_t w = b; w < e; ++w) {
      const int c = static_cast<int>(w / nkb), z = static_cast<int>(w % nkb);
      const int kb = z % 2 == 0 ? z / 2 : nkb - 1 - z / 2;
      const simd::ProbSumArgs a{q, T, H, d, group, N, keys.head[static_cast<size_t>(c)], keys.stride,
                                norms.lse2.data(), q0, q1, K, scale, per.data()};
      if (i == Isa::Avx512) simd::probsum_avx512(a, c, kb * BK, scratch.data());
      else simd::probsum_avx2(a, c, kb * BK, scratch.data());
    }
  });
  aggregate_heads(std::move(per), H, C, K, req.agg, out);
  return true;
}
#else
bool fast_matmul(const float*, int, int, WeightRef, int, const float*, float*) { return false; }
bool to_panels(Tensor&) { return false; }
bool fast_matmul_avx2(const float*, int, int, WeightRef, int, const float*, float*) { return false; }
bool fast_attention(const float*, int, int, int, const std::vector<const float*>&, const std::vector<const float*>&, int,
                    float*, RowNorms*) {
  return false;
}
bool fast_attn_stats(const float*, int, int, int, const KeyRows&, const StatsRequest&, RowNorms&, Stats&) { return false; }
#endif

}  // namespace cpu
}  // namespace gem
