// The fast kernels for AVX2 + FMA CPUs (fast_simd.inl over two ymm halves per 16 lanes, so the sums are those of the
// AVX-512 kernels, bit for bit). Built with -mavx2 -mfma -mf16c for this file only (CMakeLists.txt); entered only when
// fast.cpp has seen avx2, fma and f16c at run time.
#include <immintrin.h>

#include "fast_simd.h"

namespace gem {
namespace cpu {
namespace simd {
namespace {

struct V {
  struct R {
    __m256 lo, hi;
  };
  static constexpr int kMR = 6, kNV = 1;  // the GEMM tile: 6 rows × 16 outputs, 12 accumulator halves + 2 W + 1 x of 16
  static __m256 mask8(int n) {  // lanes < n
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
  }
  static R zero() { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }
  static R load(const float* p) { return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}; }
  static R loadn(const float* p, int n) {
    return {_mm256_maskload_ps(p, _mm256_castps_si256(mask8(n))), _mm256_maskload_ps(p + 8, _mm256_castps_si256(mask8(n - 8)))};
  }
  static __m256 bf8(const uint16_t* p) {  // bf16 → fp32: the 16 bits become the top half
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))), 16));
  }
  static R load_bf16(const uint16_t* p) { return {bf8(p), bf8(p + 8)}; }
  static R load_f16(const uint16_t* p) {  // F16C
    return {_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))),
            _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8)))};
  }
  static void store(float* p, R a) {
    _mm256_storeu_ps(p, a.lo);
    _mm256_storeu_ps(p + 8, a.hi);
  }
  static void storen(float* p, R a, int n) {
    _mm256_maskstore_ps(p, _mm256_castps_si256(mask8(n)), a.lo);
    _mm256_maskstore_ps(p + 8, _mm256_castps_si256(mask8(n - 8)), a.hi);
  }
  static R bcast(float x) { return {_mm256_set1_ps(x), _mm256_set1_ps(x)}; }
  static R fma(R a, R b, R c) { return {_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)}; }
  static R add(R a, R b) { return {_mm256_add_ps(a.lo, b.lo), _mm256_add_ps(a.hi, b.hi)}; }
  static R sub(R a, R b) { return {_mm256_sub_ps(a.lo, b.lo), _mm256_sub_ps(a.hi, b.hi)}; }
  static R mul(R a, R b) { return {_mm256_mul_ps(a.lo, b.lo), _mm256_mul_ps(a.hi, b.hi)}; }
  static R max(R a, R b) { return {_mm256_max_ps(a.lo, b.lo), _mm256_max_ps(a.hi, b.hi)}; }
  static R min(R a, R b) { return {_mm256_min_ps(a.lo, b.lo), _mm256_min_ps(a.hi, b.hi)}; }
  static R round(R a) {
    return {_mm256_round_ps(a.lo, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC),
            _mm256_round_ps(a.hi, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)};
  }
  static __m256 pow2h(__m256 n) {  // 2^n for integral n in [-126, 127], from the exponent bits
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
  }
  static R clamp2(R x) {
    const __m256 lo = _mm256_set1_ps(-126.0f), hi = _mm256_set1_ps(127.0f);
    return {_mm256_max_ps(_mm256_min_ps(x.lo, hi), lo), _mm256_max_ps(_mm256_min_ps(x.hi, hi), lo)};
  }
  static R scale2(R p, R n, R x) {
    const __m256 lo = _mm256_set1_ps(-126.0f);
    return {_mm256_and_ps(_mm256_cmp_ps(x.lo, lo, _CMP_GE_OQ), _mm256_mul_ps(p.lo, pow2h(n.lo))),
            _mm256_and_ps(_mm256_cmp_ps(x.hi, lo, _CMP_GE_OQ), _mm256_mul_ps(p.hi, pow2h(n.hi)))};
  }
  static float hsum(R a) {
    const __m256 s8 = _mm256_add_ps(a.lo, a.hi);
    const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
  }
  // An 8 × 8 transpose (r[i] = row i → r[c] = column c): unpack, shuffle within 128-bit lanes, swap the lanes.
  static void transpose8(__m256 (&r)[8]) {
    __m256 t[8], u[8];
    for (int i = 0; i < 4; ++i) {
      t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; ++i) {  // u[4i + j], 128-bit lane L: column 4L + j of rows 4i … 4i + 3
      u[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
      u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
      u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
      u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int j = 0; j < 4; ++j) {
      r[j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x20);
      r[4 + j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x31);
    }
  }
  // The 16 × 16 transpose as four 8 × 8 blocks: column c < 8 is (rows 0–7 low block's column c | rows 8–15's), column
  // 8 + c the same of the high blocks.
  static void transpose16(R (&r)[16]) {
    __m256 a[8], b[8], c[8], d[8];
    for (int i = 0; i < 8; ++i) {
      a[i] = r[i].lo;
      b[i] = r[i].hi;
      c[i] = r[8 + i].lo;
      d[i] = r[8 + i].hi;
    }
    transpose8(a);
    transpose8(b);
    transpose8(c);
    transpose8(d);
    for (int i = 0; i < 8; ++i) {
      r[i] = {a[i], c[i]};
      r[8 + i] = {b[i], d[i]};
    }
  }
  static float hmax(R a) {
    const __m256 s8 = _mm256_max_ps(a.lo, a.hi);
    const __m128 s4 = _mm_max_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    const __m128 s2 = _mm_max_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(_mm_max_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
  }
};

#include "fast_simd.inl"

}  // namespace

void gemm_block_avx2(const GemmArgs& a, int t0, int t1, int o0, int o1, int max_kc, bool pack_w, float* scratch) {
  gemm_block(a, t0, t1, o0, o1, max_kc, pack_w, scratch);
}
void flash_avx2(const FlashArgs& a, int g, int t0, int t1, float* scratch) { flash_block(a, g, t0, t1, scratch); }
void probsum_avx2(const ProbSumArgs& a, int g, int j0, float* scratch) { probsum_block(a, g, j0, scratch); }
float peak_avx2(int64_t iters) { return peak_fma(iters); }

}  // namespace simd
}  // namespace cpu
}  // namespace gem
