// Attention of the CUDA backend: the portable flash-attention kernel (mma.sync m16n8k16, bf16 in, fp32 accumulate;
// sm_80+) used for prefill and, with split-K partials and a combine kernel, for decode; and the prefill dispatch
// point where the Hopper kernel (src/cuda/hopper/) plugs in.
//
// One block = 4 warps = 64 packed query rows of one KV head (GQA packing, index_math.h: row i = token i / R, query
// head g·R + i % R), so each K/V tile in shared memory serves the whole group and K/V are never repeated. Per 64-key
// tile: S = Q·Kᵀ (Q fragments in registers for the whole kernel), causal mask, online softmax in the exp2 domain,
// O += P·V with P re-packed from the S accumulators into A fragments. K is stored [key][d] and V transposed [d][key],
// both swizzled (index_math.h), so every B fragment is one 32-bit shared load.
#include <cfloat>
#include <cmath>
#include <cstdlib>

#include "../model.h"
#include "hopper/attention.h"
#include "index_math.h"
#include "ops.h"

namespace gem {
namespace cuda {

namespace {

constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

__device__ __forceinline__ void mma_bf16(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);  // .x (low 16 bits) = lo
  return *reinterpret_cast<uint32_t*>(&v);
}

__device__ __forceinline__ uint32_t ld32(const bf16* p) { return *reinterpret_cast<const uint32_t*>(p); }

struct KernelArgs {
  AttnArgs a;
  float* part_o = nullptr;   // split-K: [splits][rows][d] (normalised by the split's own l)
  float* part_ml = nullptr;  // split-K: [splits][rows][2] (m in the log2 domain, l)
  int splits = 1;
};

// grid: (ceil(T·R / 64), G, splits)
template <int D, bool kSplit>
__global__ void __launch_bounds__(kAttnThreads) flash_kernel(KernelArgs ka) {
  static_assert(D % 16 == 0 && D <= 128, "head_dim");
  constexpr int BM = kAttnBlockM, BN = kAttnBlockN;
  __shared__ __align__(16) bf16 ks[BN * D];   // [key][d], swizzled
  __shared__ __align__(16) bf16 vts[D * BN];  // [d][key], swizzled
  static_assert(sizeof(bf16) * 2 * BN * D <= 48 * 1024, "static shared memory");

  const AttnArgs& a = ka.a;
  const int R = a.H / a.G, g = blockIdx.y, rows_total = a.T * R;
  const int len = a.head_len ? a.head_len[g] : a.len_dev ? *a.len_dev : a.len, past = len - a.T;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int row0 = blockIdx.x * BM;
  const float scale_log2 = rsqrtf(static_cast<float>(D)) * kLog2e;
  const int64_t base = a.head_off ? static_cast<int64_t>(a.head_off[g]) : static_cast<int64_t>(g) * a.cap;
  const bf16* kh = a.k + base * D;
  const bf16* vh = a.v + base * D;

  // This thread's two rows (mma C rows lane/4 and lane/4 + 8 of the warp's 16).
  int rt[2], rh[2];
  bool rvalid[2];
  for (int j = 0; j < 2; ++j) {
    const int i = row0 + warp * 16 + lane / 4 + j * 8;
    rvalid[j] = i < rows_total;
    rt[j] = rvalid[j] ? packed_token(i, R) : a.T - 1;
    rh[j] = packed_head(rvalid[j] ? i : 0, R, g);
  }

  // Q fragments for the whole kernel: qa[kk] covers head dims kk·16 .. kk·16 + 15.
  uint32_t qa[D / 16][4];
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk) {
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int j = r % 2;  // a0/a2: row lane/4; a1/a3: row lane/4 + 8
      const int col = kk * 16 + mma_a_col(lane, r * 2);
      qa[kk][r] = rvalid[j] ? ld32(a.q + (static_cast<int64_t>(rt[j]) * a.H + rh[j]) * D + col) : 0u;
    }
  }

  float o[D / 8][4];
#pragma unroll
  for (int n = 0; n < D / 8; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.f;
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};

  int key_begin = 0, key_end = block_key_end(row0, BM, R, a.T, past, len);
  if (kSplit) {
    const int full = key_end;
    key_begin = split_key_begin(blockIdx.z, full, ka.splits);
    key_end = split_key_end(blockIdx.z, full, ka.splits);
  }

  for (int n0 = key_begin; n0 < key_end; n0 += BN) {
    __syncthreads();  // the previous tile is no longer read
    for (int c = threadIdx.x; c < BN * D / 8; c += kAttnThreads) {
      const int key = c / (D / 8), col = (c % (D / 8)) * 8;
      uint4 kv = make_uint4(0, 0, 0, 0), vv = make_uint4(0, 0, 0, 0);
      if (n0 + key < key_end) {
        kv = *reinterpret_cast<const uint4*>(kh + static_cast<int64_t>(n0 + key) * D + col);
        vv = *reinterpret_cast<const uint4*>(vh + static_cast<int64_t>(n0 + key) * D + col);
      }
      *reinterpret_cast<uint4*>(ks + swizzle(key, col, D)) = kv;
      const bf16* ve = reinterpret_cast<const bf16*>(&vv);
#pragma unroll
      for (int e = 0; e < 8; ++e) vts[swizzle(col + e, key, BN)] = ve[e];
    }
    __syncthreads();

    float sc[BN / 8][4];
#pragma unroll
    for (int nb = 0; nb < BN / 8; ++nb) {
      sc[nb][0] = sc[nb][1] = sc[nb][2] = sc[nb][3] = 0.f;
      const int key = nb * 8 + mma_b_n(lane, 0);
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk) {
        const uint32_t b0 = ld32(ks + swizzle(key, kk * 16 + mma_b_k(lane, 0), D));
        const uint32_t b1 = ld32(ks + swizzle(key, kk * 16 + mma_b_k(lane, 2), D));
        mma_bf16(sc[nb], qa[kk], b0, b1);
      }
    }

    // Mask, scale, online softmax (per row j: this thread's elements e with mma_c_row = lane/4 + 8j).
    float mnew[2] = {m[0], m[1]};
#pragma unroll
    for (int nb = 0; nb < BN / 8; ++nb) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int j = e / 2, key = n0 + nb * 8 + mma_c_col(lane, e);
        const float s = key_visible(key, rt[j], past, key_end) ? sc[nb][e] * scale_log2 : -INFINITY;
        sc[nb][e] = s;
        mnew[j] = fmaxf(mnew[j], s);
      }
    }
    float corr[2];
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      mnew[j] = fmaxf(mnew[j], __shfl_xor_sync(0xffffffffu, mnew[j], 1));
      mnew[j] = fmaxf(mnew[j], __shfl_xor_sync(0xffffffffu, mnew[j], 2));
      const float base = mnew[j] == -INFINITY ? 0.f : mnew[j];
      corr[j] = exp2f(m[j] - base);  // m = −inf → 0
      m[j] = mnew[j];
      l[j] *= corr[j];
    }
#pragma unroll
    for (int nb = 0; nb < BN / 8; ++nb) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int j = e / 2;
        const float p = exp2f(sc[nb][e] - (m[j] == -INFINITY ? 0.f : m[j]));
        sc[nb][e] = p;
        l[j] += p;
      }
    }
#pragma unroll
    for (int n = 0; n < D / 8; ++n) {
      o[n][0] *= corr[0];
      o[n][1] *= corr[0];
      o[n][2] *= corr[1];
      o[n][3] *= corr[1];
    }
    // O += P·V: P (16 × 64) as four A fragments of 16 keys each, from the C fragments of two 8-key blocks.
#pragma unroll
    for (int kk = 0; kk < BN / 16; ++kk) {
      const uint32_t pa[4] = {pack_bf16(sc[2 * kk][0], sc[2 * kk][1]), pack_bf16(sc[2 * kk][2], sc[2 * kk][3]),
                              pack_bf16(sc[2 * kk + 1][0], sc[2 * kk + 1][1]), pack_bf16(sc[2 * kk + 1][2], sc[2 * kk + 1][3])};
#pragma unroll
      for (int n = 0; n < D / 8; ++n) {
        const int dim = n * 8 + mma_b_n(lane, 0);
        const uint32_t b0 = ld32(vts + swizzle(dim, kk * 16 + mma_b_k(lane, 0), BN));
        const uint32_t b1 = ld32(vts + swizzle(dim, kk * 16 + mma_b_k(lane, 2), BN));
        mma_bf16(o[n], pa, b0, b1);
      }
    }
  }

#pragma unroll
  for (int j = 0; j < 2; ++j) {
    l[j] += __shfl_xor_sync(0xffffffffu, l[j], 1);
    l[j] += __shfl_xor_sync(0xffffffffu, l[j], 2);
  }
  const float inv[2] = {l[0] > 0.f ? 1.f / l[0] : 0.f, l[1] > 0.f ? 1.f / l[1] : 0.f};
#pragma unroll
  for (int j = 0; j < 2; ++j) {
    if (!rvalid[j]) continue;
    const int i = row0 + warp * 16 + lane / 4 + j * 8;
    if (kSplit) {
      const int64_t p = (static_cast<int64_t>(g) * ka.splits + blockIdx.z) * rows_total + i;
      float* po = ka.part_o + p * D;
#pragma unroll
      for (int n = 0; n < D / 8; ++n) {
        po[n * 8 + mma_c_col(lane, 0)] = o[n][2 * j] * inv[j];
        po[n * 8 + mma_c_col(lane, 1)] = o[n][2 * j + 1] * inv[j];
      }
      if (lane % 4 == 0) {
        float* ml = ka.part_ml + p * 2;
        ml[0] = m[j];
        ml[1] = l[j];
      }
    } else {
      bf16* out = a.out + (static_cast<int64_t>(rt[j]) * a.H + rh[j]) * D;
#pragma unroll
      for (int n = 0; n < D / 8; ++n)
        *reinterpret_cast<uint32_t*>(out + n * 8 + mma_c_col(lane, 0)) = pack_bf16(o[n][2 * j] * inv[j], o[n][2 * j + 1] * inv[j]);
      if (a.lse && lane % 4 == 0) a.lse[static_cast<int64_t>(rh[j]) * a.T + rt[j]] = (m[j] + log2f(l[j])) * kLn2;
    }
  }
}

// Combines the splits of each packed row: M = max m_s, L = Σ l_s·2^(m_s − M), O = Σ O_s·l_s·2^(m_s − M) / L.
// grid: G · rows_total, block: D threads.
__global__ void combine_kernel(KernelArgs ka) {
  const AttnArgs& a = ka.a;
  const int R = a.H / a.G, i = blockIdx.x, rows_total = a.T * R, D = a.d;
  const int g = i / rows_total, row = i % rows_total;  // blockIdx.x runs over G · rows_total
  const int t = packed_token(row, R);
  const int h = packed_head(row, R, g);
  const float* ml = ka.part_ml + static_cast<int64_t>(g) * ka.splits * rows_total * 2;
  const float* po = ka.part_o + static_cast<int64_t>(g) * ka.splits * rows_total * D;
  float M = -INFINITY;
  for (int s = 0; s < ka.splits; ++s)
    if (ml[(static_cast<int64_t>(s) * rows_total + row) * 2 + 1] > 0.f) M = fmaxf(M, ml[(static_cast<int64_t>(s) * rows_total + row) * 2]);
  float L = 0.f, acc = 0.f;
  for (int s = 0; s < ka.splits; ++s) {
    const float ms = ml[(static_cast<int64_t>(s) * rows_total + row) * 2], ls = ml[(static_cast<int64_t>(s) * rows_total + row) * 2 + 1];
    if (ls <= 0.f) continue;
    const float w = ls * exp2f(ms - M);
    L += w;
    if (threadIdx.x < D) acc += w * po[(static_cast<int64_t>(s) * rows_total + row) * D + threadIdx.x];
  }
  if (threadIdx.x < D) a.out[(static_cast<int64_t>(t) * a.H + h) * D + threadIdx.x] = __float2bfloat16_rn(L > 0.f ? acc / L : 0.f);
  if (a.lse && threadIdx.x == 0) a.lse[static_cast<int64_t>(h) * a.T + t] = (M + log2f(L)) * kLn2;
}

// Any other head_dim (even, ≤ kGenericMaxD: the test models' 8/16/24/32, …): one warp per (query row, head), fp32 on
// the CUDA cores, keys in chunks of 32 (one per lane) with the online softmax; each lane owns dims lane + 32u.
constexpr int kGenericMaxD = 256;
__global__ void __launch_bounds__(32) generic_kernel(AttnArgs a) {
  const int t = blockIdx.x, h = blockIdx.y, lane = threadIdx.x, d = a.d, R = a.H / a.G, g = h / R;
  const int len = a.head_len ? a.head_len[g] : a.len_dev ? *a.len_dev : a.len;
  const int visible = imin(len, len - a.T + t + 1);
  __shared__ float qs[kGenericMaxD];
  for (int i = lane; i < d; i += 32) qs[i] = __bfloat162float(a.q[(static_cast<int64_t>(t) * a.H + h) * d + i]);
  __syncwarp();
  const int64_t base = a.head_off ? static_cast<int64_t>(a.head_off[g]) : static_cast<int64_t>(g) * a.cap;
  const bf16* kh = a.k + base * d;
  const bf16* vh = a.v + base * d;
  const float scale = rsqrtf(static_cast<float>(d));
  float m = -INFINITY, l = 0.f, acc[kGenericMaxD / 32];
#pragma unroll
  for (int u = 0; u < kGenericMaxD / 32; ++u) acc[u] = 0.f;
  for (int j0 = 0; j0 < visible; j0 += 32) {
    const int j = j0 + lane;
    float s = -INFINITY;
    if (j < visible) {
      float dot = 0.f;
      for (int i = 0; i < d; ++i) dot += qs[i] * __bfloat162float(kh[static_cast<int64_t>(j) * d + i]);
      s = dot * scale;
    }
    float mc = s;
    for (int o = 16; o > 0; o /= 2) mc = fmaxf(mc, __shfl_xor_sync(0xffffffffu, mc, o));
    const float mnew = fmaxf(m, mc), corr = expf(m - mnew);  // m = −inf → 0; mnew is finite (key j0 is visible)
    const float p = j < visible ? expf(s - mnew) : 0.f;
    float ps = p;
    for (int o = 16; o > 0; o /= 2) ps += __shfl_xor_sync(0xffffffffu, ps, o);
    l = l * corr + ps;
    m = mnew;
#pragma unroll
    for (int u = 0; u < kGenericMaxD / 32; ++u) acc[u] *= corr;
    const int n = imin(32, visible - j0);
    for (int c = 0; c < n; ++c) {
      const float pc = __shfl_sync(0xffffffffu, p, c);
      const bf16* vr = vh + static_cast<int64_t>(j0 + c) * d;
#pragma unroll
      for (int u = 0; u < kGenericMaxD / 32; ++u)
        if (lane + 32 * u < d) acc[u] += pc * __bfloat162float(vr[lane + 32 * u]);
    }
  }
#pragma unroll
  for (int u = 0; u < kGenericMaxD / 32; ++u)
    if (lane + 32 * u < d) a.out[(static_cast<int64_t>(t) * a.H + h) * d + lane + 32 * u] = __float2bfloat16_rn(acc[u] / l);
  if (a.lse && lane == 0) a.lse[static_cast<int64_t>(h) * a.T + t] = m + logf(l);
}

bool tensor_core_dim(int d) { return d == 64 || d == 96 || d == 128; }

void validate(const AttnArgs& a, const char* what) {
  if (a.d <= 0 || a.d % 2 != 0 || a.d > kGenericMaxD)
    throw RunnerError("unsupported", std::string(what) + ": head_dim " + std::to_string(a.d) + " is not supported by the CUDA backend",
                      "an even head_dim up to 256 (64, 96 and 128 use the tensor-core kernels)");
  if (a.G <= 0 || a.H % a.G != 0) throw RunnerError("bad_request", std::string(what) + ": query heads must be a multiple of KV heads");
  if (a.T <= 0 || a.len < a.T || a.len > a.cap) throw RunnerError("bad_request", std::string(what) + ": need 0 < T <= len <= cap");
}

template <bool kSplit>
void launch(const KernelArgs& ka, cudaStream_t s) {
  const AttnArgs& a = ka.a;
  const dim3 grid(ceil_div(a.T * (a.H / a.G), kAttnBlockM), a.G, ka.splits);
  switch (a.d) {
    case 64: flash_kernel<64, kSplit><<<grid, kAttnThreads, 0, s>>>(ka); break;
    case 96: flash_kernel<96, kSplit><<<grid, kAttnThreads, 0, s>>>(ka); break;
    default: flash_kernel<128, kSplit><<<grid, kAttnThreads, 0, s>>>(ka); break;
  }
  check(cudaGetLastError(), kSplit ? "attention_decode" : "attention_prefill");
}

}  // namespace

// The dispatch point: the Hopper kernel (src/cuda/hopper/, cmake/Hopper.cmake) on compute capability 9.0 devices
// when it supports the shape, else the portable kernel. GEMBENCH_CUDA_ATTENTION=mma forces the portable kernel (the
// GPU check runs the selftest both ways).
bool hopper_attention_enabled() {
  static const bool force_portable = [] {
    const char* e = std::getenv("GEMBENCH_CUDA_ATTENTION");
    return e && std::string(e) == "mma";
  }();
  if (force_portable) return false;
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  return hopper::available(device);
}

void attention_prefill(const AttnArgs& a, cudaStream_t s) {
  if (tensor_core_dim(a.d) && !a.head_off && hopper_attention_enabled()) {  // a ragged layer: the portable kernel
    hopper::PrefillParams p;
    p.q = a.q;
    p.q_row_stride = static_cast<int64_t>(a.H) * a.d;
    p.q_head_stride = a.d;
    p.k = a.k;
    p.k_row_stride = a.d;
    p.k_head_stride = static_cast<int64_t>(a.cap) * a.d;
    p.v = a.v;
    p.v_row_stride = a.d;
    p.v_head_stride = static_cast<int64_t>(a.cap) * a.d;
    p.o = a.out;
    p.o_row_stride = static_cast<int64_t>(a.H) * a.d;
    p.o_head_stride = a.d;
    p.lse = a.lse;
    p.lse_head_stride = a.T;
    p.n_q = a.T;
    p.n_k = a.len;
    p.q_offset = a.len - a.T;
    p.heads = a.H;
    p.kv_heads = a.G;
    p.head_dim = a.d;
    p.scale = 1.0f / std::sqrt(static_cast<float>(a.d));
    if (hopper::unsupported(p).empty()) {
      const std::string err = hopper::attention_prefill(p, s);
      if (!err.empty()) throw RunnerError("cuda_error", err);
      return;
    }
  }
  attention_prefill_mma(a, s);
}

void attention_generic(const AttnArgs& a, cudaStream_t s) {
  validate(a, "attention");
  generic_kernel<<<dim3(a.T, a.H), 32, 0, s>>>(a);
  check(cudaGetLastError(), "attention (generic head_dim)");
}

void attention_prefill_mma(const AttnArgs& a, cudaStream_t s) {
  validate(a, "attention_prefill");
  if (!tensor_core_dim(a.d)) return attention_generic(a, s);
  KernelArgs ka;
  ka.a = a;
  launch<false>(ka, s);
}

int64_t decode_workspace_floats(const AttnArgs& a, int splits) {
  return static_cast<int64_t>(splits) * a.T * a.H * (a.d + 2);
}

void attention_decode(const AttnArgs& a, float* work, int splits, cudaStream_t s) {
  validate(a, "attention_decode");
  if (!tensor_core_dim(a.d)) return attention_generic(a, s);
  if (splits < 1 || splits > kMaxSplits) throw RunnerError("bad_request", "attention_decode: splits out of range");
  // Partials: [G][splits][T·R packed rows][…], written by the split kernel, read by the combine kernel.
  const int rows_total = a.T * (a.H / a.G);
  KernelArgs ka;
  ka.a = a;
  ka.splits = splits;
  ka.part_o = work;
  ka.part_ml = work + static_cast<int64_t>(splits) * a.T * a.H * a.d;
  launch<true>(ka, s);
  combine_kernel<<<a.G * rows_total, a.d, 0, s>>>(ka);
  check(cudaGetLastError(), "attention_decode combine");
}

}  // namespace cuda
}  // namespace gem
