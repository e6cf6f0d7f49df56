// The fast kernels' bodies, written once over a 16-lane vector type V (fast_avx512.cpp: one zmm register;
// fast_avx2.cpp: two ymm halves). Included only by those two files, inside an anonymous namespace, after V is defined:
// nothing here may call inline library code (it would be compiled for the wider instruction set and could be shared
// with baseline code by the linker), so only intrinsics (through V) and builtins.
//
// V provides: R (the register type), zero, load, loadn (first n lanes, rest 0), store, bcast, fma(a, b, c) = a*b + c,
// add, sub, mul, max, min, round (to nearest), pow2 (2^n of integral n), zero_below(x, lim, y) (y, 0 where x < lim),
// hsum / hmax (a fixed tree: lanes i + i+8, then i + i+4, i + i+2, i + i+1); kMR × kNR, the GEMM register tile.

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
// A register tile of MR rows × NR outputs keeps MR·NR 16-lane accumulators (lane l sums k ≡ l mod 16 in k order);
// the k loop is blocked by kGemmKC (accumulators parked in `acc` between blocks), so the order per output is fixed by
// `in` alone.
template <int MR, int NR>
void gemm_tile(const float* x, int64_t ldx, const float* w, int64_t ldw, int k0, int k1, float* acc, bool first) {
  typename V::R c[MR][NR];
  for (int m = 0; m < MR; ++m)
    for (int n = 0; n < NR; ++n) c[m][n] = first ? V::zero() : V::load(acc + (m * NR + n) * 16);
  int k = k0;
  for (; k + 16 <= k1; k += 16) {
    typename V::R b[NR];
    for (int n = 0; n < NR; ++n) b[n] = V::load(w + n * ldw + k);
    for (int m = 0; m < MR; ++m) {
      const typename V::R a = V::load(x + m * ldx + k);
      for (int n = 0; n < NR; ++n) c[m][n] = V::fma(a, b[n], c[m][n]);
    }
  }
  if (k < k1) {
    const int r = k1 - k;
    typename V::R b[NR];
    for (int n = 0; n < NR; ++n) b[n] = V::loadn(w + n * ldw + k, r);
    for (int m = 0; m < MR; ++m) {
      const typename V::R a = V::loadn(x + m * ldx + k, r);
      for (int n = 0; n < NR; ++n) c[m][n] = V::fma(a, b[n], c[m][n]);
    }
  }
  for (int m = 0; m < MR; ++m)
    for (int n = 0; n < NR; ++n) V::store(acc + (m * NR + n) * 16, c[m][n]);
}

using TileFn = void (*)(const float*, int64_t, const float*, int64_t, int, int, float*, bool);

template <int MR, int NR>
struct TileTable {
  static TileFn get(int mr, int nr) {
    if (mr == MR) {
      if (nr == NR) return &gemm_tile<MR, NR>;
      return TileTable<MR, NR - 1>::get(mr, nr);
    }
    return TileTable<MR - 1, V::kNR>::get(mr, nr);
  }
};
template <int NR>
struct TileTable<0, NR> {
  static TileFn get(int, int) { return nullptr; }
};
template <int MR>
struct TileTable<MR, 0> {
  static TileFn get(int mr, int nr) { return TileTable<MR - 1, V::kNR>::get(mr, nr); }
};

void gemm_block(const GemmArgs& a, int t0, int t1, int o0, int o1, float* acc) {
  const int MR = V::kMR, NR = V::kNR;
  const int64_t ld = a.in;
  for (int k0 = 0; k0 < a.in; k0 += kGemmKC) {
    const int k1 = imin(a.in, k0 + kGemmKC);
    float* p = acc;
    for (int o = o0; o < o1; o += NR) {
      const int nr = imin(NR, o1 - o);
      for (int t = t0; t < t1; t += MR) {
        const int mr = imin(MR, t1 - t);
        TileFn f = (mr == MR && nr == NR) ? &gemm_tile<V::kMR, V::kNR> : TileTable<V::kMR, V::kNR>::get(mr, nr);
        f(a.x + t * ld, ld, a.W + o * ld, ld, k0, k1, p, k0 == 0);
        p += mr * nr * 16;
      }
    }
  }
  float* p = acc;
  for (int o = o0; o < o1; o += NR) {
    const int nr = imin(NR, o1 - o);
    for (int t = t0; t < t1; t += MR) {
      const int mr = imin(MR, t1 - t);
      for (int m = 0; m < mr; ++m)
        for (int n = 0; n < nr; ++n) {
          const float s = V::hsum(V::load(p + (m * nr + n) * 16));
          a.y[static_cast<int64_t>(t + m) * a.out + o + n] = a.bias ? s + a.bias[o + n] : s;
        }
      p += mr * nr * 16;
    }
  }
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
      for (int m = 0; m < 4; ++m)
        for (int n = 0; n < NV; ++n) c[m][n] = V::zero();
      const float* qp[4];
      for (int m = 0; m < 4; ++m) qp[m] = qrow(r0 + (m < mr ? m : 0));
      for (int i = 0; i < d; ++i) {
        typename V::R b[NV];
        for (int n = 0; n < NV; ++n) b[n] = V::load(kt + i * BK + n * 16);
        for (int m = 0; m < 4; ++m) {
          const typename V::R qa = V::bcast(qp[m][i]);
          for (int n = 0; n < NV; ++n) c[m][n] = V::fma(qa, b[n], c[m][n]);
        }
      }
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
      const float alpha = __builtin_expf(M[r] - mnew);  // 0 on the first block (M = -inf), 1 when the max holds
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
    // O += P V: 4 rows × 64 columns of d per register tile; each value row is loaded once for the 4 rows.
    const float* vb = a.v + static_cast<int64_t>(j0) * d;
    for (int r0 = 0; r0 < rows; r0 += 4) {
      const int mr = imin(4, rows - r0);
      for (int i0 = 0; i0 < d; i0 += 64) {
        const int nv = imin(4, (d - i0) / 16);
        typename V::R c[4][4];
        for (int m = 0; m < 4; ++m)
          for (int n = 0; n < 4; ++n)
            c[m][n] = (m < mr && n < nv) ? V::load(O + static_cast<int64_t>(r0 + m) * d + i0 + n * 16) : V::zero();
        const float* pp[4];
        for (int m = 0; m < 4; ++m) pp[m] = S + (r0 + (m < mr ? m : 0)) * BK;
        for (int j = 0; j < jn; ++j) {
          const float* vr = vb + static_cast<int64_t>(j) * d + i0;
          typename V::R b[4];
          for (int n = 0; n < 4; ++n) b[n] = n < nv ? V::load(vr + n * 16) : V::zero();
          for (int m = 0; m < 4; ++m) {
            const typename V::R pa = V::bcast(pp[m][j]);
            for (int n = 0; n < 4; ++n) c[m][n] = V::fma(pa, b[n], c[m][n]);
          }
        }
        for (int m = 0; m < mr; ++m)
          for (int n = 0; n < nv; ++n) V::store(O + static_cast<int64_t>(r0 + m) * d + i0 + n * 16, c[m][n]);
      }
    }
  }
  for (int r = 0; r < rows; ++r) {
    const float inv = 1.0f / L[r];
    const float* o = O + static_cast<int64_t>(r) * d;
    float* dst = a.out + (static_cast<int64_t>(t0 + r / group) * a.H + g * group + r % group) * d;
    for (int i = 0; i < d; ++i) dst[i] = o[i] * inv;
  }
}
