// The fast kernels' bodies, written once over a 16-lane vector type V (fast_avx512.cpp: one zmm register;
// fast_avx2.cpp: two ymm halves). Included only by those two files, inside an anonymous namespace, after V is defined:
// nothing here may call inline library code (it would be compiled for the wider instruction set and could be shared
// with baseline code by the linker), so only intrinsics (through V) and builtins.
//
// V provides: R (the register type), zero, load, loadn (first n lanes, rest 0), store, bcast, fma(a, b, c) = a*b + c,
// add, sub, mul, max, min, round (to nearest), pow2 (2^n of integral n), zero_below(x, lim, y) (y, 0 where x < lim),
// load_bf16 / load_f16 (16 16-bit values widened exactly),
// hsum / hmax (a fixed tree: lanes i + i+8, then i + i+4, i + i+2, i + i+1), hsum4 (that tree over four registers at
// once); kMR × kNR, the GEMM register tile; kGemvNR, the outputs of one row's tile.

// The vectorised exp shared by both instruction sets (Cephes-style: 2^n · p(r), r = x - n ln2, degree-6 polynomial;
// relative error ≈ 2 ulp). Lanes below -87.3 (and -inf) give exactly 0.
template <class VV>
typename VV::R exp_poly(typename VV::R x) {
  const typename VV::R lo = VV::bcast(-87.3f);
  const typename VV::R xc = VV::max(VV::min(x, VV::bcast(88.3f)), lo);
  const typename VV::R n = VV::round(VV::mul(xc, VV::bcast(1.44269504088896341f)));
  typename VV::R r = VV::fma(n, VV::bcast(-0.693359375f), xc);
  r = VV::fma(n, VV::bcast(2.12194440e-4f), r);
  typename VV::R p = VV::bcast(1.9875691500e-4f);
  p = VV::fma(p, r, VV::bcast(1.3981999507e-3f));
  p = VV::fma(p, r, VV::bcast(8.3334519073e-3f));
  p = VV::fma(p, r, VV::bcast(4.1665795894e-2f));
  p = VV::fma(p, r, VV::bcast(1.6666665459e-1f));
  p = VV::fma(p, r, VV::bcast(5.0000001201e-1f));
  p = VV::fma(p, VV::mul(r, r), VV::add(r, VV::bcast(1.0f)));
  return VV::zero_below(x, lo, VV::mul(p, VV::pow2(n)));
}

inline int imin(int a, int b) { return a < b ? a : b; }
inline int imax(int a, int b) { return a > b ? a : b; }

// ---- GEMM: y[t][o] = Σ_k x[t][k] W[o][k] (+ bias[o]) ----
// Every output keeps 16 lane sums (lane l sums x[t][k]·W[o][k] over k ≡ l mod 16 in k order; k past `in` adds 0·0),
// reduced by hsum's fixed tree at the end. The order depends on `in` alone, so the direct and the packed paths, the
// thread count, the rows per call and the AVX2 / AVX-512 kernels all give the same bits.

// The result of one register tile: the lane sums (MR·NR groups of 16, parked in `acc`) reduced into y.
// (Forced inline, as is the micro-kernel: with three W dtypes GCC stops inlining them into the packed block on its own,
// and the calls cost small-k shapes 10–35%: measured.)
template <int MR, int NR>
__attribute__((always_inline)) inline void gemm_store(const float* acc, int mr, int nr, const GemmArgs& a, int t, int o) {
  constexpr int N = MR * NR;
  float s[N];
  int i = 0;
  for (; i + 4 <= N; i += 4)
    V::hsum4(V::load(acc + i * 16), V::load(acc + (i + 1) * 16), V::load(acc + (i + 2) * 16), V::load(acc + (i + 3) * 16), s + i);
  if constexpr (N % 4 != 0)  // (a loop that cannot run otherwise, which GCC 12 would warn about)
    for (; i < N; ++i) s[i] = V::hsum(V::load(acc + i * 16));
  for (int m = 0; m < mr; ++m)
    for (int n = 0; n < nr; ++n)
      a.y[static_cast<int64_t>(t + m) * a.out + o + n] = a.bias ? s[m * NR + n] + a.bias[o + n] : s[m * NR + n];
}

// The W loaders: fp32 as stored, or 16-bit values (BF16 / F16) widened exactly to fp32 as they are loaded, so a
// 16-bit W gives the sums of its fp32 copy. loadn: the first n values, the rest 0.
struct WF32 {
  using T = float;
  static V::R load(const float* p) { return V::load(p); }
  static V::R loadn(const float* p, int n) { return V::loadn(p, n); }
};
template <bool BF>
struct W16 {
  using T = uint16_t;
  static V::R load(const uint16_t* p) { return BF ? V::load_bf16(p) : V::load_f16(p); }
  static V::R loadn(const uint16_t* p, int n) {
    alignas(32) uint16_t b[16] = {};
    for (int i = 0; i < n; ++i) b[i] = p[i];
    return load(b);
  }
};

// -- the direct path (fewer than kGemmPackRows rows: decode steps, short chunks): W read once, as it is stored --
// The last r < 16 values of k, on the parked accumulators.
template <int MR, int NR, class WL>
__attribute__((noinline)) void gemm_tail(const float* x, int64_t ldx, const typename WL::T* w, int64_t ldw, int k, int r, float* acc) {
  typename V::R b[NR];
  for (int n = 0; n < NR; ++n) b[n] = WL::loadn(w + n * ldw + k, r);
  for (int m = 0; m < MR; ++m) {
    const typename V::R a = V::loadn(x + m * ldx + k, r);
    for (int n = 0; n < NR; ++n) V::store(acc + (m * NR + n) * 16, V::fma(a, b[n], V::load(acc + (m * NR + n) * 16)));
  }
}

// MR rows × NR outputs over all of k. The W rows are streamed once, each prefetched 256 values ahead into L1 (NR
// interleaved row streams, each a page or so long, train the hardware prefetcher poorly: measured slower without).
template <int MR, int NR, class WL>
void gemm_tile(const float* x, int64_t ldx, const void* wv, int64_t ldw, int in, float* acc) {
  const typename WL::T* w = static_cast<const typename WL::T*>(wv);
  typename V::R c[MR][NR];
  for (int m = 0; m < MR; ++m)
    for (int n = 0; n < NR; ++n) c[m][n] = V::zero();
  int k = 0;
  for (; k + 16 <= in; k += 16) {
    typename V::R b[NR];
    for (int n = 0; n < NR; ++n) {
      __builtin_prefetch(w + n * ldw + k + 256, 0, 3);
      b[n] = WL::load(w + n * ldw + k);
    }
    for (int m = 0; m < MR; ++m) {
      const typename V::R a = V::load(x + m * ldx + k);
      for (int n = 0; n < NR; ++n) c[m][n] = V::fma(a, b[n], c[m][n]);
    }
  }
  for (int m = 0; m < MR; ++m)
    for (int n = 0; n < NR; ++n) V::store(acc + (m * NR + n) * 16, c[m][n]);
  if (k < in) gemm_tail<MR, NR, WL>(x, ldx, w, ldw, k, in - k, acc);  // apart, so the main loop's registers stay put
}

using TileFn = void (*)(const float*, int64_t, const void*, int64_t, int, float*);

template <int MR, int NR, class WL>
struct TileTable {
  static TileFn get(int mr, int nr) {
    if (mr == MR) {
      if (nr == NR) return &gemm_tile<MR, NR, WL>;
      return TileTable<MR, NR - 1, WL>::get(mr, nr);
    }
    return TileTable<MR - 1, V::kNR, WL>::get(mr, nr);
  }
};
template <int NR, class WL>
struct TileTable<0, NR, WL> {
  static TileFn get(int, int) { return nullptr; }
};
template <int MR, class WL>
struct TileTable<MR, 0, WL> {
  static TileFn get(int mr, int nr) { return TileTable<MR - 1, V::kNR, WL>::get(mr, nr); }
};

// Rows [t0, t1) × outputs [o0, o1): one row (a decode step's GEMV) in tiles of kGemvNR outputs, more rows in register
// tiles of kMR × kNR.
template <class WL>
void gemm_direct_w(const GemmArgs& a, int t0, int t1, int o0, int o1, float* acc) {
  const typename WL::T* W = static_cast<const typename WL::T*>(a.W);
  const int64_t ld = a.in;
  int o = o0;
  if (t1 - t0 == 1)
    for (; o + V::kGemvNR <= o1; o += V::kGemvNR) {
      gemm_tile<1, V::kGemvNR, WL>(a.x + t0 * ld, ld, W + o * ld, ld, a.in, acc);
      gemm_store<1, V::kGemvNR>(acc, 1, V::kGemvNR, a, t0, o);
    }
  for (; o < o1; o += V::kNR) {
    const int nr = imin(V::kNR, o1 - o);
    for (int t = t0; t < t1; t += V::kMR) {
      const int mr = imin(V::kMR, t1 - t);
      TileTable<V::kMR, V::kNR, WL>::get(mr, nr)(a.x + t * ld, ld, W + o * ld, ld, a.in, acc);
      for (int m = 0; m < mr; ++m)
        for (int n = 0; n < nr; ++n) {
          const float s = V::hsum(V::load(acc + (m * nr + n) * 16));
          a.y[static_cast<int64_t>(t + m) * a.out + o + n] = a.bias ? s + a.bias[o + n] : s;
        }
    }
  }
}

// -- the packed path (the GotoBLAS/BLIS scheme) --
// A panel of R rows (x: kMR, W: kNR) over k steps [s0, s0 + ks) is ks groups of R × 16 floats, group s holding row
// r's k = 16(s0 + s) … +15 at [16r, 16r + 16): one cache line per 16 lanes, read in order by the micro-kernel. Rows
// past `rows` and k past `in` are 0. A 16-bit W is widened here, once per panel.
template <class L>
void pack_panel(const typename L::T* src, int64_t ld, int rows, int R, int in, int s0, int ks, float* dst) {
  for (int r = 0; r < R; ++r)
    for (int s = 0; s < ks; ++s) {
      const int k = (s0 + s) * 16, n = r < rows ? imin(16, in - k) : 0;
      float* d = dst + (static_cast<int64_t>(s) * R + r) * 16;
      V::store(d, n == 16 ? L::load(src + r * ld + k) : n > 0 ? L::loadn(src + r * ld + k, n) : V::zero());
    }
}

// The micro-kernel: MR × NR lane sums over ks steps of packed panels (continuing the parked sums unless `first`).
template <int MR, int NR>
__attribute__((always_inline)) inline void gemm_micro(const float* xp, const float* wp, int ks, float* acc, bool first) {
  typename V::R c[MR][NR];
  for (int m = 0; m < MR; ++m)
    for (int n = 0; n < NR; ++n) c[m][n] = first ? V::zero() : V::load(acc + (m * NR + n) * 16);
  for (int s = 0; s < ks; ++s) {
    typename V::R b[NR];
    for (int n = 0; n < NR; ++n) b[n] = V::load(wp + (s * NR + n) * 16);
    for (int m = 0; m < MR; ++m) {
      const typename V::R xa = V::load(xp + (s * MR + m) * 16);
      for (int n = 0; n < NR; ++n) c[m][n] = V::fma(xa, b[n], c[m][n]);
    }
  }
  for (int m = 0; m < MR; ++m)
    for (int n = 0; n < NR; ++n) V::store(acc + (m * NR + n) * 16, c[m][n]);
}

// One block: rows [t0, t1) (≤ kGemmMC) × outputs [o0, o1) (≤ kGemmNC, o0 a multiple of kNR). Per k block: pack the W
// block (kGemmNC × block, L2; one kNR panel of it stays in L1 while) and the x block, then every W panel against
// every x panel. scratch (64-byte aligned): gemm_packed_floats(in).
template <class WL>
void gemm_packed_w(const GemmArgs& a, int t0, int t1, int o0, int o1, bool pack_w, float* scratch) {
  constexpr int MR = V::kMR, NR = V::kNR;
  const typename WL::T* W = static_cast<const typename WL::T*>(a.W);
  const int64_t ld = a.in;
  const int KS = gemm_k_steps(a.in), BS = gemm_block_steps(a.in);
  float* xp = scratch;                                    // [kGemmMC / MR][BS][MR][16]
  float* wp = xp + static_cast<int64_t>(kGemmMC) * BS * 16;  // [kGemmNC / NR][BS][NR][16]
  float* park = wp + static_cast<int64_t>(kGemmNC) * BS * 16;  // [kGemmNC / NR][kGemmMC / MR][MR·NR·16]
  alignas(64) float tile[MR * NR * 16];
  const int nq = (t1 - t0 + MR - 1) / MR, np = (o1 - o0 + NR - 1) / NR;
  for (int s0 = 0; s0 < KS; s0 += BS) {
    const int ks = imin(BS, KS - s0);
    const bool first = s0 == 0, last = s0 + BS >= KS;
    if (pack_w || !(first && last))
      for (int p = 0; p < np; ++p)
        pack_panel<WL>(W + (o0 + p * NR) * ld, ld, imin(NR, o1 - o0 - p * NR), NR, a.in, s0, ks, wp + static_cast<int64_t>(p) * BS * NR * 16);
    for (int q = 0; q < nq; ++q)
      pack_panel<WF32>(a.x + (t0 + q * MR) * ld, ld, imin(MR, t1 - t0 - q * MR), MR, a.in, s0, ks, xp + static_cast<int64_t>(q) * BS * MR * 16);
    for (int p = 0; p < np; ++p)
      for (int q = 0; q < nq; ++q) {
        float* acc = first && last ? tile : park + (static_cast<int64_t>(p) * (kGemmMC / MR) + q) * MR * NR * 16;
        gemm_micro<MR, NR>(xp + static_cast<int64_t>(q) * BS * MR * 16, wp + static_cast<int64_t>(p) * BS * NR * 16, ks, acc, first);
        if (last) gemm_store<MR, NR>(acc, imin(MR, t1 - t0 - q * MR), imin(NR, o1 - o0 - p * NR), a, t0 + q * MR, o0 + p * NR);
      }
  }
}

// The GEMM entry points of the instruction-set files: W's loader chosen by its dtype.
void gemm_direct(const GemmArgs& a, int t0, int t1, int o0, int o1, float* acc) {
  if (a.wtype == 1) gemm_direct_w<W16<true>>(a, t0, t1, o0, o1, acc);
  else if (a.wtype == 2) gemm_direct_w<W16<false>>(a, t0, t1, o0, o1, acc);
  else gemm_direct_w<WF32>(a, t0, t1, o0, o1, acc);
}
void gemm_packed(const GemmArgs& a, int t0, int t1, int o0, int o1, bool pack_w, float* scratch) {
  if (a.wtype == 1) gemm_packed_w<W16<true>>(a, t0, t1, o0, o1, pack_w, scratch);
  else if (a.wtype == 2) gemm_packed_w<W16<false>>(a, t0, t1, o0, o1, pack_w, scratch);
  else gemm_packed_w<WF32>(a, t0, t1, o0, o1, pack_w, scratch);
}

// ---- attention scores: 4 query rows × kFlashBK keys per register tile ----
// c[m][n] lanes = Σ_i q_m[i] · kt[i][16n + lane] in i order (one FMA chain per score), kt: a key block packed
// transposed ([d][kFlashBK]). The attention and the statistics use this one tile, so they see the same scores.
constexpr int kNV = kFlashBK / 16;
inline void score_tile(const float* const* qp, const float* kt, int d, typename V::R (&c)[4][kNV]) {
  for (int m = 0; m < 4; ++m)
    for (int n = 0; n < kNV; ++n) c[m][n] = V::zero();
  for (int i = 0; i < d; ++i) {
    typename V::R b[kNV];
    for (int n = 0; n < kNV; ++n) b[n] = V::load(kt + i * kFlashBK + n * 16);
    for (int m = 0; m < 4; ++m) {
      const typename V::R qa = V::bcast(qp[m][i]);
      for (int n = 0; n < kNV; ++n) c[m][n] = V::fma(qa, b[n], c[m][n]);
    }
  }
}

// O[r0 + m][i0, i0 + 16·NVT) += Σ_{j < jn} P[r0 + m][j] · v[j][i0, …) for the tile's mr ≤ RM rows (P rows of kFlashBK).
template <int RM, int NVT>
void pv_tile(float* O, int d, const float* P, const float* vb, int r0, int mr, int i0, int jn) {
  typename V::R c[RM][NVT];
  const float* pp[RM];
  for (int m = 0; m < RM; ++m) {
    pp[m] = P + (r0 + (m < mr ? m : 0)) * kFlashBK;
    for (int n = 0; n < NVT; ++n) c[m][n] = m < mr ? V::load(O + static_cast<int64_t>(r0 + m) * d + i0 + n * 16) : V::zero();
  }
  for (int j = 0; j < jn; ++j) {
    const float* vr = vb + static_cast<int64_t>(j) * d + i0;
    typename V::R b[NVT];
    for (int n = 0; n < NVT; ++n) b[n] = V::load(vr + n * 16);
    for (int m = 0; m < RM; ++m) {
      const typename V::R pa = V::bcast(pp[m][j]);
      for (int n = 0; n < NVT; ++n) c[m][n] = V::fma(pa, b[n], c[m][n]);
    }
  }
  for (int m = 0; m < mr; ++m)
    for (int n = 0; n < NVT; ++n) V::store(O + static_cast<int64_t>(r0 + m) * d + i0 + n * 16, c[m][n]);
}

// ---- flash attention of one KV group's query block ----
// Rows r = (t - t0) * group + hh (query head g*group + hh). Per key block of kFlashBK keys: S = Q Kᵀ·scale (keys
// beyond a row's causal limit → -inf), running max m and normaliser l per row (online softmax), O = O·α + P V; at the
// end out = O / l. Only the key blocks up to the block's last visible key are visited.
void flash_block(const FlashArgs& a, int g, int t0, int t1, float* scratch) {
  constexpr int BK = kFlashBK, NV = BK / 16;
  const int d = a.d, group = a.group, rows = (t1 - t0) * group, past = a.len - a.T;
  float* S = scratch;                                  // [rows][BK]
  float* O = S + static_cast<int64_t>(rows) * BK;      // [rows][d]
  float* M = O + static_cast<int64_t>(rows) * d;       // [rows]
  float* L = M + rows;                                 // [rows]
  for (int64_t i = 0; i < static_cast<int64_t>(rows) * d; ++i) O[i] = 0.0f;
  for (int r = 0; r < rows; ++r) {
    M[r] = -__builtin_inff();
    L[r] = 0.0f;
  }
  auto qrow = [&](int r) { return a.q + (static_cast<int64_t>(t0 + r / group) * a.H + g * group + r % group) * d; };
  const int kend = past + t1;  // keys [0, kend) are visible to some row
  const typename V::R vscale = V::bcast(a.scale);
  for (int j0 = 0; j0 < kend; j0 += BK) {
    const float* kt = a.kt + static_cast<int64_t>(j0 / BK) * d * BK;
    const int jn = imin(BK, kend - j0);
    // S = Q Kᵀ: 4 rows × BK keys per register tile, broadcasting q[r][i] against the packed key rows.
    for (int r0 = 0; r0 < rows; r0 += 4) {
      const int mr = imin(4, rows - r0);
      typename V::R c[4][NV];
      const float* qp[4];
      for (int m = 0; m < 4; ++m) qp[m] = qrow(r0 + (m < mr ? m : 0));
      score_tile(qp, kt, d, c);
      for (int m = 0; m < mr; ++m)
        for (int n = 0; n < NV; ++n) V::store(S + (r0 + m) * BK + n * 16, V::mul(c[m][n], vscale));
    }
    // Online softmax per row; P overwrites S.
    for (int r = 0; r < rows; ++r) {
      float* s = S + r * BK;
      const int vis = past + t0 + r / group + 1 - j0;  // keys of this block the row sees
      for (int j = imax(0, vis); j < BK; ++j) s[j] = -__builtin_inff();
      typename V::R mx = V::load(s);
      for (int n = 1; n < NV; ++n) mx = V::max(mx, V::load(s + n * 16));
      const float bm = V::hmax(mx);
      const float mnew = bm > M[r] ? bm : M[r];
      const float alpha = mnew == M[r] ? 1.0f : __builtin_expf(M[r] - mnew);  // 0 on the first block (M = -inf)
      M[r] = mnew;
      const typename V::R vm = V::bcast(mnew);
      typename V::R sum = V::zero();
      for (int n = 0; n < NV; ++n) {
        const typename V::R p = exp_poly<V>(V::sub(V::load(s + n * 16), vm));
        V::store(s + n * 16, p);
        sum = V::add(sum, p);
      }
      L[r] = L[r] * alpha + V::hsum(sum);
      if (alpha != 1.0f) {
        const typename V::R va = V::bcast(alpha);
        float* o = O + static_cast<int64_t>(r) * d;
        for (int i = 0; i < d; i += 16) V::store(o + i, V::mul(V::load(o + i), va));
      }
    }
    // O += P V, column strips of 64 (4 rows a tile), then of 32 or 16 (8 rows a tile): each value row is loaded once
    // for the tile's rows.
    const float* vb = a.v + static_cast<int64_t>(j0) * d;
    for (int i0 = 0; i0 < d;) {
      const int left = (d - i0) / 16;
      if (left >= 4) {
        for (int r0 = 0; r0 < rows; r0 += 4) pv_tile<4, 4>(O, d, S, vb, r0, imin(4, rows - r0), i0, jn);
        i0 += 64;
      } else if (left >= 2) {
        for (int r0 = 0; r0 < rows; r0 += 8) pv_tile<8, 2>(O, d, S, vb, r0, imin(8, rows - r0), i0, jn);
        i0 += 32;
      } else {
        for (int r0 = 0; r0 < rows; r0 += 8) pv_tile<8, 1>(O, d, S, vb, r0, imin(8, rows - r0), i0, jn);
        i0 += 16;
      }
    }
  }
  for (int r = 0; r < rows; ++r) {
    if (a.row_max) {
      const int64_t at = static_cast<int64_t>(t0 + r / group) * a.H + g * group + r % group;
      a.row_max[at] = M[r];
      a.row_sum[at] = L[r];
    }
    const float inv = 1.0f / L[r];
    const float* o = O + static_cast<int64_t>(r) * d;
    float* dst = a.out + (static_cast<int64_t>(t0 + r / group) * a.H + g * group + r % group) * d;
    for (int i = 0; i < d; ++i) dst[i] = o[i] * inv;
  }
}

// ---- the peak kernel of the GEMM microbenchmark: 12 independent FMA chains in registers, no memory traffic ----
float peak_fma(int64_t iters) {
  typename V::R c[12];
  for (int i = 0; i < 12; ++i) c[i] = V::bcast(static_cast<float>(i) * 1e-3f);
  const typename V::R a = V::bcast(0.999999f), b = V::bcast(1e-7f);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 12; ++i) c[i] = V::fma(c[i], a, b);
  typename V::R s = c[0];
  for (int i = 1; i < 12; ++i) s = V::add(s, c[i]);
  return V::hsum(s);
}

// ---- ProbSum column sums of one key block of one cache head, from the attention's row normalisers ----
// For keys [j0, j0 + jn) and query rows t ∈ [q0, q1) of the group's heads: per[h][j] += exp(s - max_row) / sum_row,
// with s the attention's own score (score_tile, then ·scale). Rows are summed in float over chunks of 64 queries, the
// chunk sums added in double in chunk order.
void probsum_block(const ProbSumArgs& a, int g, int j0, float* scratch) {
  constexpr int BK = kFlashBK, NV = kNV, CH = 64;
  const int d = a.d, group = a.group, past = a.len - a.T, jn = imin(BK, a.K - j0);
  float* kt = scratch;                                  // [d][BK]
  float* cs = kt + static_cast<int64_t>(d) * BK;        // [group][BK]
  float* srow = cs + static_cast<int64_t>(group) * BK;  // [BK]
  for (int i = 0; i < d; ++i)
    for (int j = 0; j < BK; ++j) kt[i * BK + j] = j < jn ? a.k[static_cast<int64_t>(j0 + j) * a.kstride + i] : 0.0f;
  const typename V::R vscale = V::bcast(a.scale);
  const int tstart = imax(a.q0, j0 - past);  // earlier rows see none of these keys
  for (int c0 = tstart; c0 < a.q1; c0 += CH) {
    const int c1 = imin(a.q1, c0 + CH), rows = (c1 - c0) * group;
    for (int i = 0; i < group * BK; ++i) cs[i] = 0.0f;
    for (int r0 = 0; r0 < rows; r0 += 4) {
      const int mr = imin(4, rows - r0);
      const float* qp[4];
      for (int m = 0; m < 4; ++m) {
        const int r = r0 + (m < mr ? m : 0);
        qp[m] = a.q + (static_cast<int64_t>(c0 + r / group) * a.H + g * group + r % group) * d;
      }
      typename V::R c[4][NV];
      score_tile(qp, kt, d, c);
      for (int m = 0; m < mr; ++m) {
        const int r = r0 + m, t = c0 + r / group, hh = r % group;
        const int64_t at = static_cast<int64_t>(t) * a.H + g * group + hh;
        const typename V::R vm = V::bcast(a.row_max[at]), vinv = V::bcast(1.0f / a.row_sum[at]);
        const int vis = past + t + 1 - j0;
        float* dst = cs + hh * BK;
        if (vis >= BK) {
          for (int n = 0; n < NV; ++n) {
            const typename V::R p = V::mul(exp_poly<V>(V::sub(V::mul(c[m][n], vscale), vm)), vinv);
            V::store(dst + n * 16, V::add(V::load(dst + n * 16), p));
          }
        } else {
          for (int n = 0; n < NV; ++n) V::store(srow + n * 16, V::sub(V::mul(c[m][n], vscale), vm));
          for (int j = imax(0, vis); j < BK; ++j) srow[j] = -__builtin_inff();
          for (int n = 0; n < NV; ++n) {
            const typename V::R p = V::mul(exp_poly<V>(V::load(srow + n * 16)), vinv);
            V::store(dst + n * 16, V::add(V::load(dst + n * 16), p));
          }
        }
      }
    }
    for (int hh = 0; hh < group; ++hh) {
      double* o = a.per + static_cast<int64_t>(g * group + hh) * a.K + j0;
      for (int j = 0; j < jn; ++j) o[j] += static_cast<double>(cs[hh * BK + j]);
    }
  }
}
