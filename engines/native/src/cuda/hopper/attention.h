// Hopper (sm_90a) attention kernels, FlashAttention-3 style (arXiv 2407.08608), written for gembench from the paper,
// the PTX ISA and the CUDA documentation: wgmma from shared memory, TMA loads completing on mbarriers, a producer
// warpgroup (setmaxnreg.dec) feeding two consumer warpgroups (setmaxnreg.inc) through a 2-stage K/V pipeline, the
// next block's Q·Kᵀ issued before the previous block's P·V so softmax overlaps the tensor cores, exp2 with log2(e)
// folded into the scale, masks only on the blocks that cross the diagonal or the end of the keys, heaviest query
// blocks launched first. bf16 in and out, fp32 accumulation.
//
// The cuda backend (engines/native/src/cuda/) calls these on compute-capability 9.0 devices when supported() says
// yes, and keeps its portable mma.sync kernels for everything else.
//
// Layouts: every tensor is addressed as [head][row][head_dim] through element strides (row stride, head stride), so
// [n][H*d] activations and [G][capacity][d] caches both fit; strides and base addresses must be 16-byte aligned
// (TMA). Query row r sits at position q_offset + r; key j at position j; row r attends keys j <= q_offset + r (and
// j < n_k). Query head h reads KV head h / (heads / kv_heads); K and V are never repeated per query head.
#pragma once
#include <cstdint>
#include <string>

#include <cuda_runtime_api.h>

namespace gem::hopper {

struct PrefillParams {
  const void* q = nullptr;  // bf16
  int64_t q_row_stride = 0, q_head_stride = 0;
  const void* k = nullptr;  // bf16
  int64_t k_row_stride = 0, k_head_stride = 0;
  const void* v = nullptr;  // bf16
  int64_t v_row_stride = 0, v_head_stride = 0;
  void* o = nullptr;  // bf16 output, same shape as q
  int64_t o_row_stride = 0, o_head_stride = 0;
  float* lse = nullptr;  // optional: lse[h * lse_head_stride + r] = ln Σ_j exp(scale · q_r·k_j) over the keys row r sees
  int64_t lse_head_stride = 0;
  int n_q = 0, n_k = 0, q_offset = 0;
  int heads = 0, kv_heads = 0, head_dim = 0;
  float scale = 0.0f;  // softmax scale, normally 1/sqrt(head_dim)
};

// H2O's column sums, pass 2 of the statistics op: out[h * out_head_stride + j] = Σ_{r in [q_begin, q_end)} P[h][r][j]
// for keys j < n_k, with P = exp(scale · q_r·k_j − lse[h][r]) recomputed from pass 1's row log-sum-exp (causal:
// j <= q_offset + r). Each CTA owns one query head's block of keys (no atomics); O(n) extra memory.
struct ColsumParams {
  const void* q = nullptr;  // bf16
  int64_t q_row_stride = 0, q_head_stride = 0;
  const void* k = nullptr;  // bf16
  int64_t k_row_stride = 0, k_head_stride = 0;
  const float* lse = nullptr;
  int64_t lse_head_stride = 0;
  float* out = nullptr;  // fp32 [heads][n_k] through out_head_stride
  int64_t out_head_stride = 0;
  int n_q = 0, n_k = 0, q_offset = 0, q_begin = 0, q_end = 0;
  int heads = 0, kv_heads = 0, head_dim = 0;
  float scale = 0.0f;
};

// Whether these kernels were compiled in (an sm_90a build) and run on `device` (compute capability 9.0).
bool available(int device);
// Why this shape cannot run here ("" when it can): head_dim 96 or 128, heads a multiple of kv_heads, TMA alignment.
std::string unsupported(const PrefillParams& p);
std::string unsupported(const ColsumParams& p);
// Launch on `stream` (asynchronous). Returns "" or why nothing was launched / the launch error.
std::string attention_prefill(const PrefillParams& p, cudaStream_t stream);
std::string attention_colsum(const ColsumParams& p, cudaStream_t stream);

}  // namespace gem::hopper
