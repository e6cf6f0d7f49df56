// The fast kernels for AVX-512F CPUs (fast_simd.inl over one zmm register per 16 lanes). Built with -mavx512f -mfma
// for this file only (CMakeLists.txt); entered only when fast.cpp has seen avx512f at run time.
#include <immintrin.h>
// GCC 12 reports "'__Y' is used uninitialized" inside avx512fintrin.h when the casts and extracts below inline into
// the horizontal sums: the header itself passes _mm512_undefined_*() as the unused pass-through operand. A false
// positive of the compiler's header, not of this file, so it is silenced here only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "fast_simd.h"

namespace gem {
namespace cpu {
namespace simd {
namespace {

struct V {
  using R = __m512;
  static constexpr int kMR = 6, kNV = 4;  // the GEMM tile: 6 rows × 64 outputs, 24 accumulators + 4 W + 1 x of 32 registers
  static R zero() { return _mm512_setzero_ps(); }
  static R load(const float* p) { return _mm512_loadu_ps(p); }
  static R loadn(const float* p, int n) { return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1u), p); }
  static R load_bf16(const uint16_t* p) {  // bf16 → fp32: the 16 bits become the top half
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))), 16));
  }
  static R load_f16(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  static void store(float* p, R a) { _mm512_storeu_ps(p, a); }
  static void storen(float* p, R a, int n) { _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1u), a); }
  static R bcast(float x) { return _mm512_set1_ps(x); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  static R sub(R a, R b) { return _mm512_sub_ps(a, b); }
  static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static R max(R a, R b) { return _mm512_max_ps(a, b); }
  static R min(R a, R b) { return _mm512_min_ps(a, b); }
  static R round(R a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static R clamp2(R x) { return _mm512_min_ps(x, _mm512_set1_ps(127.0f)); }  // scalef takes any n; -inf is masked
  static R scale2(R p, R n, R x) {
    return _mm512_maskz_scalef_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(-126.0f), _CMP_GE_OQ), p, n);
  }
  // lanes i + i+8, then the 8-lane tree of the AVX2 halves
  static __m256 half_sum(R a) {
    return _mm256_add_ps(_mm512_castps512_ps256(a), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
  }
  static __m256 half_max(R a) {
    return _mm256_max_ps(_mm512_castps512_ps256(a), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
  }
  static float hsum(R a) {
    const __m256 s8 = half_sum(a);
    const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
  }
  // r[i] = row i of a 16 × 16 matrix → r[c] = its column c: pairs of rows interleaved (unpack), then 4 × 4 blocks
  // within 128-bit lanes (shuffle), then the lanes across registers (two rounds of shuffle_f32x4); 64 shuffles.
  static void transpose16(R (&r)[16]) {
    R t[16], u[16];
    for (int i = 0; i < 8; ++i) {
      t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; ++i) {  // u[4i + j], 128-bit lane L: column 4L + j of rows 4i … 4i + 3
      u[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
      u[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
      u[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
      u[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int j = 0; j < 4; ++j) {  // column 4L + j = lane L of u[j], u[4 + j], u[8 + j], u[12 + j]
      const R s1 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x88), s2 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xDD);
      const R s3 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x88), s4 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xDD);
      r[j] = _mm512_shuffle_f32x4(s1, s3, 0x88);
      r[4 + j] = _mm512_shuffle_f32x4(s2, s4, 0x88);
      r[8 + j] = _mm512_shuffle_f32x4(s1, s3, 0xDD);
      r[12 + j] = _mm512_shuffle_f32x4(s2, s4, 0xDD);
    }
  }
  static float hmax(R a) {
    const __m256 s8 = half_max(a);
    const __m128 s4 = _mm_max_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    const __m128 s2 = _mm_max_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(_mm_max_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
  }
};

#include "fast_simd.inl"

}  // namespace

void gemm_block_avx512(const GemmArgs& a, int t0, int t1, int o0, int o1, int max_kc, bool pack_w, float* scratch) {
  gemm_block(a, t0, t1, o0, o1, max_kc, pack_w, scratch);
}
void flash_avx512(const FlashArgs& a, int g, int t0, int t1, float* scratch) { flash_block(a, g, t0, t1, scratch); }
void probsum_avx512(const ProbSumArgs& a, int g, int j0, float* scratch) { probsum_block(a, g, j0, scratch); }
float peak_avx512(int64_t iters) { return peak_fma(iters); }

}  // namespace simd
}  // namespace cpu
}  // namespace gem
