// Selection support of the CUDA backend: the attention-statistics op (GemFilter's raw scores, SnapKV's window
// softmax sums, H2O's column sums recomputing P = exp(S − LSE) per key block — each block owns its keys, no atomics,
// O(H·n) memory) and top-k per row by radix select.
#include <cub/block/block_scan.cuh>

#include <cmath>
#include <cstdlib>

#include "../model.h"
#include "hopper/attention.h"
#include "index_math.h"
#include "ops.h"

namespace gem {
namespace cuda {

namespace {

// grid: (ceil(key_end / kStatsKeys), G); block: kStatsKeys threads, one key each. The block stages its keys in
// shared memory (rows padded by one word: conflict-free column reads) and, for every query head of the group, streams
// the query rows through shared memory kStatsRows at a time.
template <int D>
__global__ void __launch_bounds__(kStatsKeys) stats_kernel(StatsArgs a) {
  constexpr int W = D / 2 + 1;  // 32-bit words per staged key row (bf16 pairs + 1 pad word)
  __shared__ uint32_t ks[kStatsKeys * W];
  __shared__ float qs[kStatsRows][D];
  const int g = blockIdx.y, R = a.H / a.G, past = a.len - a.T;
  const int key0 = blockIdx.x * kStatsKeys, key = key0 + threadIdx.x;
  const float scale = rsqrtf(static_cast<float>(D));
  const bf16* kh = a.k + static_cast<int64_t>(g) * a.cap * D;
  for (int c = threadIdx.x; c < kStatsKeys * (D / 2); c += kStatsKeys) {
    const int r = c / (D / 2), w = c % (D / 2);
    ks[r * W + w] = key0 + r < a.key_end ? *reinterpret_cast<const uint32_t*>(kh + static_cast<int64_t>(key0 + r) * D + 2 * w) : 0u;
  }
  // Rows that can contribute to any key of this block (both modes are causal): those whose token sees its first key.
  const int row_lo = first_row_seeing(key0, past, a.q_begin);
  for (int r = 0; r < R; ++r) {
    const int h = g * R + r;
    float acc = 0.f;
    for (int t0 = row_lo; t0 < a.q_end; t0 += kStatsRows) {
      __syncthreads();
      for (int c = threadIdx.x; c < kStatsRows * D; c += kStatsKeys) {
        const int tr = c / D, dim = c % D;
        qs[tr][dim] = t0 + tr < a.q_end ? __bfloat162float(a.q[(static_cast<int64_t>(t0 + tr) * a.H + h) * D + dim]) : 0.f;
      }
      __syncthreads();
      if (key < a.key_end) {
        const int rows = imin(kStatsRows, a.q_end - t0);
        for (int tr = 0; tr < rows; ++tr) {
          const int t = t0 + tr;
          if (!key_visible(key, t, past, a.len)) continue;
          float dot = 0.f;
#pragma unroll
          for (int w = 0; w < D / 2; ++w) {
            const __nv_bfloat162 kv = *reinterpret_cast<const __nv_bfloat162*>(&ks[threadIdx.x * W + w]);
            dot += qs[tr][2 * w] * __low2float(kv) + qs[tr][2 * w + 1] * __high2float(kv);
          }
          acc += a.mode == StatMode::RawDot ? dot : __expf(dot * scale - a.lse[static_cast<int64_t>(h) * a.T + t]);
        }
      }
    }
    if (key < a.key_end) a.out[static_cast<int64_t>(h) * a.key_end + key] = acc;
  }
}

// Any other head_dim: one thread per (key, query head), q and k read from global memory (small test models).
__global__ void stats_generic_kernel(StatsArgs a) {
  const int key = blockIdx.x * blockDim.x + threadIdx.x, h = blockIdx.y, R = a.H / a.G, d = a.d, past = a.len - a.T;
  if (key >= a.key_end) return;
  const bf16* kr = a.k + (static_cast<int64_t>(h / R) * a.cap + key) * d;
  const float scale = rsqrtf(static_cast<float>(d));
  float acc = 0.f;
  const int t0 = first_row_seeing(key, past, a.q_begin);  // rows that see this key (both modes are causal)
  for (int t = t0; t < a.q_end; ++t) {
    const bf16* qr = a.q + (static_cast<int64_t>(t) * a.H + h) * d;
    float dot = 0.f;
    for (int i = 0; i < d; ++i) dot += __bfloat162float(qr[i]) * __bfloat162float(kr[i]);
    acc += a.mode == StatMode::RawDot ? dot : __expf(dot * scale - a.lse[static_cast<int64_t>(h) * a.T + t]);
  }
  a.out[static_cast<int64_t>(h) * a.key_end + key] = acc;
}

// One block per row. Four 8-bit radix passes (MSB first) over order_key(score) find the k-th largest key K and how
// many elements equal to K are taken (`need`); then an ordered pass (block scans) writes every index with key > K
// and the first `need` indices with key == K, so the output is ascending and ties go to the lower index.
constexpr int kTopkThreads = 512;
__global__ void __launch_bounds__(kTopkThreads) topk_kernel(const float* scores, int n, int k, int* idx) {
  using Scan = cub::BlockScan<int, kTopkThreads>;
  __shared__ uint32_t hist[256];
  __shared__ typename Scan::TempStorage scan_tmp;
  __shared__ uint32_t s_prefix, s_want;
  __shared__ int s_base_sel, s_base_eq;
  const float* x = scores + static_cast<int64_t>(blockIdx.x) * n;
  int* out = idx + static_cast<int64_t>(blockIdx.x) * k;
  if (threadIdx.x == 0) {
    s_prefix = 0;
    s_want = static_cast<uint32_t>(k);
  }
  uint32_t mask = 0;  // bits of the key fixed so far
  for (int shift = 24; shift >= 0; shift -= 8) {
    for (int i = threadIdx.x; i < 256; i += kTopkThreads) hist[i] = 0;
    __syncthreads();
    const uint32_t prefix = s_prefix;
    for (int i = threadIdx.x; i < n; i += kTopkThreads) {
      const uint32_t key = order_key(x[i]);
      if ((key & mask) == prefix) atomicAdd(&hist[(key >> shift) & 255u], 1u);
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      uint32_t above = 0;
      const int dgt = radix_pick(hist, s_want, &above);
      s_prefix = prefix | (static_cast<uint32_t>(dgt) << shift);
      s_want -= above;
    }
    mask |= 255u << shift;
    __syncthreads();
  }
  const uint32_t kth = s_prefix, need = s_want;  // take all keys > kth and the first `need` keys == kth
  if (threadIdx.x == 0) s_base_sel = s_base_eq = 0;
  __syncthreads();
  for (int c0 = 0; c0 < n; c0 += kTopkThreads) {
    const int i = c0 + threadIdx.x;
    const uint32_t key = i < n ? order_key(x[i]) : 0u;
    const int eq = i < n && key == kth ? 1 : 0;
    int eq_before, eq_total;
    Scan(scan_tmp).ExclusiveSum(eq, eq_before, eq_total);
    __syncthreads();
    const int base_eq = s_base_eq;
    const int sel = i < n && (key > kth || (eq && static_cast<uint32_t>(base_eq + eq_before) < need)) ? 1 : 0;
    int sel_before, sel_total;
    Scan(scan_tmp).ExclusiveSum(sel, sel_before, sel_total);
    const int base_sel = s_base_sel;
    if (sel) out[base_sel + sel_before] = i;
    __syncthreads();
    if (threadIdx.x == 0) {
      s_base_sel = base_sel + sel_total;
      s_base_eq = base_eq + eq_total;
    }
    __syncthreads();
  }
}

}  // namespace

void attn_stats(const StatsArgs& a, cudaStream_t s) {
  if (a.d <= 0 || a.d > 256) throw RunnerError("unsupported", "attn_stats: head_dim " + std::to_string(a.d) + " is not supported");
  if (a.key_end <= 0 || a.q_begin >= a.q_end) return;
  if (a.mode == StatMode::ProbSum && !a.lse) throw RunnerError("bad_request", "attn_stats: ProbSum needs the attention's LSE");
  // ProbSum (H2O's column sums, SnapKV's window) on compute capability 9.0: the Hopper column-sum kernel (tensor
  // cores, src/cuda/hopper/) when it supports the shape; GEMBENCH_CUDA_ATTENTION=mma keeps the portable kernel below
  // (the GPU check runs the selftest both ways).
  if (a.mode == StatMode::ProbSum && a.key_end <= a.len && hopper_attention_enabled()) {
    hopper::ColsumParams c;
    c.q = a.q;
    c.q_row_stride = static_cast<int64_t>(a.H) * a.d;
    c.q_head_stride = a.d;
    c.k = a.k;
    c.k_row_stride = a.d;
    c.k_head_stride = static_cast<int64_t>(a.cap) * a.d;
    c.lse = a.lse;
    c.lse_head_stride = a.T;
    c.out = a.out;
    c.out_head_stride = a.key_end;
    c.n_q = a.T;
    c.n_k = a.key_end;  // only keys < key_end are reported; the causal limit is the query's position
    c.q_offset = a.len - a.T;
    c.q_begin = a.q_begin;
    c.q_end = a.q_end;
    c.heads = a.H;
    c.kv_heads = a.G;
    c.head_dim = a.d;
    c.scale = 1.0f / std::sqrt(static_cast<float>(a.d));
    if (hopper::unsupported(c).empty()) {
      const std::string err = hopper::attention_colsum(c, s);
      if (!err.empty()) throw RunnerError("cuda_error", err);
      return;
    }
  }
  if (a.d != 64 && a.d != 96 && a.d != 128) {
    stats_generic_kernel<<<dim3(ceil_div(a.key_end, 128), a.H), 128, 0, s>>>(a);
    check(cudaGetLastError(), "attn_stats (generic head_dim)");
    return;
  }
  const dim3 grid(ceil_div(a.key_end, kStatsKeys), a.G);
  switch (a.d) {
    case 64: stats_kernel<64><<<grid, kStatsKeys, 0, s>>>(a); break;
    case 96: stats_kernel<96><<<grid, kStatsKeys, 0, s>>>(a); break;
    default: stats_kernel<128><<<grid, kStatsKeys, 0, s>>>(a); break;
  }
  check(cudaGetLastError(), "attn_stats");
}

void topk(const float* scores, int rows, int n, int k, int* idx, cudaStream_t s) {
  k = imin(k, n);
  if (rows <= 0 || k <= 0) return;
  topk_kernel<<<rows, kTopkThreads, 0, s>>>(scores, n, k, idx);
  check(cudaGetLastError(), "topk");
}

}  // namespace cuda
}  // namespace gem
