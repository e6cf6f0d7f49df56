// The fast kernels' bodies, written once over a 16-lane vector type V (fast_avx512.cpp: one zmm register;
// fast_avx2.cpp: two ymm halves). Included only by those two files, inside an anonymous namespace, after V is defined:
// nothing here may call inline library code (it would be compiled for the wider instruction set and could be shared
// with baseline code by the linker), so only intrinsics (through V) and builtins.
//
// V provides: R (the register type), zero, load, loadn (first n lanes, rest 0), store, storen (first n lanes), bcast,
// fma(a, b, c) = a*b + c, add, sub, mul, max, min, round (to nearest), clamp2 (x into the range its scale2 needs),
// scale2(p, n, x) (p · 2^n for integral n; 0 where x < -126, -inf or NaN), load_bf16 / load_f16 (16 16-bit values
// widened exactly), hsum / hmax (a fixed tree: lanes i + i+8, then i + i+4, i + i+2, i + i+1), transpose16 (16
// registers as the rows of a 16 × 16 matrix → its columns); kMR × kNV, the GEMM register tile (rows × groups of 16
// outputs).

// The vectorised 2^x shared by both instruction sets: 2^n · p(f), n = round(x), f = x - n ∈ [-1/2, 1/2], p a degree-6
// polynomial (relative-error minimax on that interval: ≈ 1.6 ulp). The softmax works in base 2 (scores scaled by
// log2 e), which saves the argument's multiply and folds a row's normaliser into the exponent. Lanes below -126 (and
// -inf, NaN) give exactly 0.
template <class VV>
typename VV::R exp2_poly(typename VV::R x) {
  const typename VV::R xc = VV::clamp2(x);
  const typename VV::R n = VV::round(xc);
  const typename VV::R f = VV::sub(xc, n);
  typename VV::R p = VV::bcast(1.5345810970757157e-4f);
  p = VV::fma(p, f, VV::bcast(1.3399930903688073e-3f));
  p = VV::fma(p, f, VV::bcast(9.618489071726799e-3f));
  p = VV::fma(p, f, VV::bcast(5.550328642129898e-2f));
  p = VV::fma(p, f, VV::bcast(2.4022646248340607e-1f));
  p = VV::fma(p, f, VV::bcast(6.931471824645996e-1f));
  p = VV::fma(p, f, VV::bcast(1.0f));
  return VV::scale2(p, n, x);
}

inline int imin(int a, int b) { return a < b ? a : b; }
inline int imax(int a, int b) { return a > b ? a : b; }

// ---- GEMM: y[t][o] = Σ_k x[t][k] W[o][k] (+ bias[o]) ----
// Outputs along the lanes: every output is one FMA chain over k = 0, 1, …, in - 1 in order, from 0, the bias added
// after it. That order depends on nothing else, so both schedules (few rows, blocks), every block size, the thread
// count, the rows per call, W's layout and the AVX2 / AVX-512 kernels all give the same bits; and no output needs a
// horizontal sum at the end (the cost that kept short-k shapes slow when 16 lanes summed along k instead).
// The micro-kernel reads W as groups of 16 outputs, each group k-major (k row kk: the 16 outputs' values at k): a
// matrix the backend holds in that layout (kernels.h WeightRef::panels, fast.h to_panels) is read as it is; a
// row-major W is transposed into it per block (16 outputs × 16 k a register transpose).
constexpr int kPW = 16 * V::kNV;  // the outputs of one micro-kernel tile

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

// Row-major W's outputs [o0, o0 + n) × k [k0, k0 + kn) transposed into groups of 16 outputs: group g at dst + g·kn·16,
// its k row kk at + kk·16. Outputs past n in the last group are 0.
template <class WL>
void pack_w_block(const typename WL::T* W, int64_t ld, int o0, int n, int k0, int kn, float* dst) {
  for (int g = 0; g * 16 < n; ++g) {
    float* d = dst + static_cast<int64_t>(g) * kn * 16;
    const int rows = imin(16, n - g * 16);
    const typename WL::T* w = W + static_cast<int64_t>(o0 + g * 16) * ld + k0;
    for (int k = 0; k < kn; k += 16) {
      const int m = imin(16, kn - k);
      typename V::R r[16];
      for (int i = 0; i < 16; ++i) r[i] = i >= rows ? V::zero() : m == 16 ? WL::load(w + i * ld + k) : WL::loadn(w + i * ld + k, m);
      V::transpose16(r);  // r[kk]: the 16 outputs at k + kk
      for (int kk = 0; kk < m; ++kk) V::store(d + static_cast<int64_t>(k + kk) * 16, r[kk]);
    }
  }
}

// The micro-kernel: MR rows (t …; x at their k0) × kNV groups of 16 outputs (from o; group v's k rows at
// wp + v·gstride, of which the first ng exist: the others repeat the last, their sums never stored) over ks k steps;
// each k step kNV group loads and MR broadcasts of x. The sums continue those parked in `park` unless `first`; on the
// last k block they go to y (+ bias), else back to `park`.
template <int MR, class WL>
__attribute__((always_inline)) inline void gemm_micro(const float* x, int64_t ldx, const typename WL::T* wp, int64_t gstride,
                                                      int ng, int ks, float* park, bool first, bool last, const GemmArgs& a,
                                                      int t, int o) {
  constexpr int NV = V::kNV;
  const typename WL::T* wg[NV];
  for (int v = 0; v < NV; ++v) wg[v] = wp + (v < ng ? v : ng - 1) * gstride;
  typename V::R c[MR][NV];
  for (int m = 0; m < MR; ++m)
    for (int v = 0; v < NV; ++v) c[m][v] = first ? V::zero() : V::load(park + (m * NV + v) * 16);
  for (int s = 0; s < ks; ++s) {
    typename V::R b[NV];
    for (int v = 0; v < NV; ++v) {
      __builtin_prefetch(wg[v] + (s + 16) * 16, 0, 3);  // each group's stream a kilobyte ahead (as read from memory)
      b[v] = WL::load(wg[v] + s * 16);
    }
    for (int m = 0; m < MR; ++m) {
      const typename V::R xa = V::bcast(x[m * ldx + s]);
      for (int v = 0; v < NV; ++v) c[m][v] = V::fma(xa, b[v], c[m][v]);
    }
  }
  if (!last) {
    for (int m = 0; m < MR; ++m)
      for (int v = 0; v < NV; ++v) V::store(park + (m * NV + v) * 16, c[m][v]);
    return;
  }
  for (int v = 0; v < ng; ++v) {
    const int oo = o + v * 16, n = imin(16, a.out - oo);
    const typename V::R b = a.bias ? (n == 16 ? V::load(a.bias + oo) : V::loadn(a.bias + oo, n)) : V::zero();
    for (int m = 0; m < MR; ++m) {
      float* y = a.y + static_cast<int64_t>(t + m) * a.out + oo;
      const typename V::R r = a.bias ? V::add(c[m][v], b) : c[m][v];
      if (n == 16) V::store(y, r);
      else V::storen(y, r, n);
    }
  }
}

// gemm_micro for mr ≤ kMR rows (a block's last row tile may be short).
template <int MR, class WL>
struct Micro {
  __attribute__((always_inline)) static void run(int mr, const float* x, int64_t ldx, const typename WL::T* wp, int64_t gstride,
                                                 int ng, int ks, float* park, bool first, bool last, const GemmArgs& a, int t, int o) {
    if (mr == MR) gemm_micro<MR, WL>(x, ldx, wp, gstride, ng, ks, park, first, last, a, t, o);
    else Micro<MR - 1, WL>::run(mr, x, ldx, wp, gstride, ng, ks, park, first, last, a, t, o);
  }
};
template <class WL>
struct Micro<0, WL> {
  static void run(int, const float*, int64_t, const typename WL::T*, int64_t, int, int, float*, bool, bool, const GemmArgs&, int, int) {}
};

// One block: rows [t0, t1) × outputs [o0, o1), k in the fewest equal blocks of at most max_kc (multiples of 16). Per
// k block: a row-major W's block is transposed into scratch (unless pack_w is false: scratch already holds it, one k
// block), a panel W is read in place; then every row tile of kMR (its x rows stay in L1) against every tile of kPW
// outputs (the block's W stays in L2). scratch: gemm_block_floats.
template <class WL>
void gemm_block_w(const GemmArgs& a, int t0, int t1, int o0, int o1, int max_kc, bool pack_w, float* scratch) {
  constexpr int MR = V::kMR, NV = V::kNV;
  const typename WL::T* W = static_cast<const typename WL::T*>(a.W);
  const int64_t ld = a.in;
  const int kc = gemm_kc(a.in, max_kc), groups = (o1 - o0 + 15) / 16, np = (groups + NV - 1) / NV;
  float* wt = scratch;                                      // row-major W: [groups][kc][16]
  float* park = wt + (a.panels ? 0 : static_cast<int64_t>(groups) * 16 * kc);  // [row tiles][np][kMR·kPW]
  for (int k0 = 0; k0 < a.in; k0 += kc) {
    const int kn = imin(kc, a.in - k0);
    const bool first = k0 == 0, last = k0 + kn >= a.in;
    if (!a.panels && (pack_w || !(first && last))) pack_w_block<WL>(W, ld, o0, o1 - o0, k0, kn, wt);
    for (int t = t0; t < t1; t += MR)
      for (int p = 0; p < np; ++p) {
        const int ng = imin(NV, groups - p * NV), o = o0 + p * kPW;
        float* pk = park + (static_cast<int64_t>((t - t0) / MR) * np + p) * MR * kPW;
        if (a.panels)
          Micro<MR, WL>::run(imin(MR, t1 - t), a.x + t * ld + k0, ld, W + (static_cast<int64_t>(o / 16) * a.in + k0) * 16,
                             static_cast<int64_t>(a.in) * 16, ng, kn, pk, first, last, a, t, o);
        else
          Micro<MR, WF32>::run(imin(MR, t1 - t), a.x + t * ld + k0, ld, wt + static_cast<int64_t>(p) * NV * kn * 16,
                               static_cast<int64_t>(kn) * 16, ng, kn, pk, first, last, a, t, o);
      }
  }
}

// The GEMM entry point of the instruction-set files: W's loader chosen by its dtype.
void gemm_block(const GemmArgs& a, int t0, int t1, int o0, int o1, int max_kc, bool pack_w, float* scratch) {
  if (a.wtype == 1) gemm_block_w<W16<true>>(a, t0, t1, o0, o1, max_kc, pack_w, scratch);
  else if (a.wtype == 2) gemm_block_w<W16<false>>(a, t0, t1, o0, o1, max_kc, pack_w, scratch);
  else gemm_block_w<WF32>(a, t0, t1, o0, o1, max_kc, pack_w, scratch);
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
// Rows r = (t - t0) * group + hh (query head g*group + hh). Per key block of kFlashBK keys: S = Q Kᵀ·scale·log2 e (keys
// beyond a row's causal limit → -inf), running max m and normaliser l per row (online softmax in base 2: P = 2^(S - m),
// the same probabilities as e^(score - max)), O = O·α + P V; at the end out = O / l, and (optionally) the row's
// log2 Σ 2^S = m + log2 l. Only the key blocks up to the block's last visible key are visited. With a.cols, each key
// block's P and the rows' running max stay (P in a.cols->p instead of scratch) for colsum_tail.
void colsum_tail(const FlashArgs& a, int g, int t0, int t1, int kend);
void flash_block(const FlashArgs& a, int g, int t0, int t1, float* scratch) {
  constexpr int BK = kFlashBK, NV = BK / 16;
  const int d = a.d, group = a.group, rows = (t1 - t0) * group, past = a.len - a.T;
  float* S = scratch;                                  // [rows][BK]
  float* O = S + static_cast<int64_t>(rows) * BK;      // [rows][d]
  float* M = O + static_cast<int64_t>(rows) * d;       // [rows] running max
  float* L = M + rows;                                 // [rows] running normaliser
  float* Mn = L + rows;                                // [rows] this block's new max
  float* A = Mn + rows;                                // [rows] α = 2^(old max - new max)
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
    if (a.cols) S = a.cols->p + static_cast<int64_t>(j0 / BK) * rows * BK;
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
    // Online softmax: every row's new max, then the rows' α 16 at a time (2^(-inf) = 0 on the first block; every row
    // sees key 0, so no max stays -inf), then per row P = 2^(S - max) over S, the normaliser and O rescaled.
    for (int r = 0; r < rows; ++r) {
      float* s = S + r * BK;
      const int vis = past + t0 + r / group + 1 - j0;  // keys of this block the row sees
      for (int j = imax(0, vis); j < BK; ++j) s[j] = -__builtin_inff();
      typename V::R mx = V::load(s);
      for (int n = 1; n < NV; ++n) mx = V::max(mx, V::load(s + n * 16));
      const float bm = V::hmax(mx);
      Mn[r] = bm > M[r] ? bm : M[r];
    }
    for (int r0 = 0; r0 < rows; r0 += 16) {
      const int n = imin(16, rows - r0);
      V::storen(A + r0, exp2_poly<V>(V::sub(V::loadn(M + r0, n), V::loadn(Mn + r0, n))), n);
      V::storen(M + r0, V::loadn(Mn + r0, n), n);
      if (a.cols) V::storen(a.cols->m + static_cast<int64_t>(j0 / BK) * rows + r0, V::loadn(Mn + r0, n), n);
    }
    for (int r = 0; r < rows; ++r) {
      float* s = S + r * BK;
      const typename V::R vm = V::bcast(M[r]);
      typename V::R sum = V::zero();
      for (int n = 0; n < NV; ++n) {
        const typename V::R p = exp2_poly<V>(V::sub(V::load(s + n * 16), vm));
        V::store(s + n * 16, p);
        sum = V::add(sum, p);
      }
      L[r] = L[r] * A[r] + V::hsum(sum);
      if (A[r] != 1.0f) {
        const typename V::R va = V::bcast(A[r]);
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
    if (a.row_lse2) a.row_lse2[static_cast<int64_t>(t0 + r / group) * a.H + g * group + r % group] = M[r] + __builtin_log2f(L[r]);
    const float inv = 1.0f / L[r];
    const float* o = O + static_cast<int64_t>(r) * d;
    float* dst = a.out + (static_cast<int64_t>(t0 + r / group) * a.H + g * group + r % group) * d;
    for (int i = 0; i < d; ++i) dst[i] = o[i] * inv;
  }
  if (a.cols) colsum_tail(a, g, t0, t1, kend);
}

// The column sums of a flash_block with a.cols, its rows' lse2 now known: per key block J, the weights
// w = 2^(max after J - lse2) (0 for rows outside [q0, q1)) in place of the maxes, then per query head and key
// Σ_t w · P over the block's tokens in order (float), added to per in double.
void colsum_tail(const FlashArgs& a, int g, int t0, int t1, int kend) {
  constexpr int BK = kFlashBK, NV = BK / 16;
  const ColSums& c = *a.cols;
  const int group = a.group, rows = (t1 - t0) * group, kn = imin(kend, c.K);
  if (kn <= 0 || t1 <= c.q0 || t0 >= c.q1) return;
  alignas(64) float lse[16];
  for (int r0 = 0; r0 < rows; r0 += 16) {
    const int n = imin(16, rows - r0);
    for (int i = 0; i < n; ++i) {
      const int r = r0 + i, t = t0 + r / group;
      lse[i] = t >= c.q0 && t < c.q1 ? a.row_lse2[static_cast<int64_t>(t) * a.H + g * group + r % group]
                                     : __builtin_inff();  // 2^(m - inf) = 0: the row weighs nothing
    }
    const typename V::R vl = V::loadn(lse, n);
    for (int j0 = 0; j0 < kn; j0 += BK) {
      float* w = c.m + static_cast<int64_t>(j0 / BK) * rows + r0;
      V::storen(w, exp2_poly<V>(V::sub(V::loadn(w, n), vl)), n);
    }
  }
  alignas(64) float acc[BK];
  for (int j0 = 0; j0 < kn; j0 += BK) {
    const float* P = c.p + static_cast<int64_t>(j0 / BK) * rows * BK;
    const float* w = c.m + static_cast<int64_t>(j0 / BK) * rows;
    const int jn = imin(BK, kn - j0);
    for (int hh = 0; hh < group; ++hh) {
      typename V::R s[NV];
      for (int n = 0; n < NV; ++n) s[n] = V::zero();
      for (int r = hh; r < rows; r += group) {
        const typename V::R vw = V::bcast(w[r]);
        for (int n = 0; n < NV; ++n) s[n] = V::fma(vw, V::load(P + static_cast<int64_t>(r) * BK + n * 16), s[n]);
      }
      for (int n = 0; n < NV; ++n) V::store(acc + n * 16, s[n]);
      double* o = c.per + static_cast<int64_t>(g * group + hh) * c.K + j0;
      for (int j = 0; j < jn; ++j) o[j] += static_cast<double>(acc[j]);
    }
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
// For keys [j0, j0 + jn) and query rows t ∈ [q0, q1) of the group's heads: per[h][j] += 2^(s - lse2_row) (the row's
// softmax probability: s the attention's own base-2 score, score_tile then ·scale·log2 e, the normaliser folded into the
// exponent). Rows are summed in float over chunks of 64 queries, the chunk sums added in double in chunk order.
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
        const typename V::R vl = V::bcast(-a.row_lse2[at]);
        const int vis = past + t + 1 - j0;
        float* dst = cs + hh * BK;
        if (vis >= BK) {
          for (int n = 0; n < NV; ++n) {
            const typename V::R p = exp2_poly<V>(V::fma(c[m][n], vscale, vl));
            V::store(dst + n * 16, V::add(V::load(dst + n * 16), p));
          }
        } else {
          for (int n = 0; n < NV; ++n) V::store(srow + n * 16, V::fma(c[m][n], vscale, vl));
          for (int j = imax(0, vis); j < BK; ++j) srow[j] = -__builtin_inff();
          for (int n = 0; n < NV; ++n) {
            const typename V::R p = exp2_poly<V>(V::load(srow + n * 16));
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
