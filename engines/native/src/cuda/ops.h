// The CUDA backend's device ops (bf16 storage, fp32 accumulation), as host launchers on device pointers and a
// stream. Each op has its CPU reference in src/cpu/kernels.* (or methods/common.cpp for top-k) and a parity check in
// `gem-runner selftest --backend cuda` (selftest.cu). Layouts: activations token-major ([T][features]); the KV cache
// per layer as [cache heads][capacity rows][head_dim]; linear weights [out][in] (Hugging Face).
#pragma once
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

namespace gem {
namespace cuda {

using bf16 = __nv_bfloat16;

// Throws RunnerError("cuda_error", "<what>: <cudaGetErrorString>") when e != cudaSuccess.
void check(cudaError_t e, const char* what);

// x[t][:] = embed[ids[t]][:] (fp32 residual stream)
void embed(const bf16* table, const int* ids, int T, int D, float* x, cudaStream_t s);
// y[t] = bf16(x[t] · rsqrt(mean(x[t]²) + eps) · w)   (mean accumulated in fp32 by one block per row)
void rmsnorm(const float* x, int T, int D, const bf16* w, float eps, bf16* y, cudaStream_t s);
// In place, HF rotate_half pairs (i, i + d/2): cs/sn are [T][d/2] tables (cos·scale, sin·scale) computed on the host
// by cpu::rope_freqs for every scaling it knows.
void rope(bf16* x, int T, int heads, int d, const float* cs, const float* sn, cudaStream_t s);
// out[i] = bf16(silu(gate[i]) · up[i])
void swiglu(const bf16* gate, const bf16* up, int64_t n, bf16* out, cudaStream_t s);
// x[i] += y[i]
void add_residual(float* x, const bf16* y, int64_t n, cudaStream_t s);
// y[t][o] += bias[o]  (fp32 GEMM output, bf16 bias)
void add_bias(float* y, const bf16* bias, int T, int out, cudaStream_t s);
// acc[r][j] += part[r][j] for r < rows, j < cols (acc rows are acc_stride floats apart, part rows cols): the
// statistics of one prefill chunk (over its visible keys) added into the request's sums over all keys.
void accumulate_rows(float* acc, int acc_stride, const float* part, int rows, int cols, cudaStream_t s);
// Appends T rows: cache[g][row0 + t][:] = src[t][g·d .. g·d + d)   (src is [T][G·d], post-RoPE K or V)
void kv_append(const bf16* src, int T, int G, int d, bf16* cache, int cap, int row0, cudaStream_t s);
// The same with row0 = *len_dev − T read on the device (len_dev: the layer's length after the append; decode graph).
void kv_append_at(const bf16* src, int T, int G, int d, bf16* cache, int cap, const int* len_dev, cudaStream_t s);
// Keep/compaction: dst[h][i][:] = src[src_head[h]][rows[h·keep + i]][:] for h < heads_out, i < keep.
void kv_gather(const bf16* src, int src_cap, bf16* dst, int dst_cap, const int* rows, const int* src_head, int heads_out,
               int keep, int d, cudaStream_t s);

// dst row map[i].y ← src row map[i].x for i < n (a row = d values; map: device int2 pairs): a ragged layer's keep,
// growth and append (ragged.h computes the maps).
void kv_copy_rows(const bf16* src, bf16* dst, const int2* map, int n, int d, cudaStream_t s);
// The statistics op's KeyNorm: out[c][j] = ‖k_{c,j}‖₂ for cache heads c < heads and keys j < K of a [heads][cap][d]
// cache (fp32 sum of squares of the bf16 keys).
void key_norms(const bf16* k, int heads, int cap, int d, int K, float* out, cudaStream_t s);

// Causal GQA attention of T new queries (the last T of `len` cache rows; past = len − T) against the cache.
struct AttnArgs {
  const bf16* q = nullptr;  // [T][H·d] post-RoPE
  const bf16* k = nullptr;  // [G][cap][d]
  const bf16* v = nullptr;  // [G][cap][d]
  bf16* out = nullptr;      // [T][H·d]
  float* lse = nullptr;     // [H][T] natural-log row log-sum-exp of the scaled scores (optional)
  int T = 0, H = 0, G = 0, d = 0, len = 0, cap = 0;
  // When set, the kernels read len from this device int (the decode graph: one captured step serves every length);
  // `len` is then an upper bound (validation, split sizing): the actual length must be in [T, len].
  const int* len_dev = nullptr;
  // A ragged layer (ragged.h): cache head g's rows start at row head_off[g] of k and v (not g·cap) and it holds
  // head_len[g] rows (device ints; the queries are the last T of each head's rows); len is then the longest head
  // (validation, split sizing) and cap ≥ len. Not for the Hopper kernel (attention_prefill runs the portable one).
  const int* head_off = nullptr;
  const int* head_len = nullptr;
};
// Prefill: the dispatch point. Chooses the Hopper kernel (src/cuda/hopper/, sm_90a) when one is built and
// applicable, else the portable mma.sync flash kernel (sm_80+) for head_dim 64, 96 or 128; any other even head_dim up
// to 256 (the small test models) runs attention_generic, fp32 on the CUDA cores.
// True on a compute-capability 9.0 device unless GEMBENCH_CUDA_ATTENTION=mma forces the portable kernels: the one
// switch for the Hopper prefill (attention_prefill) and the Hopper column sums (attn_stats' ProbSum).
bool hopper_attention_enabled();
void attention_prefill(const AttnArgs& a, cudaStream_t s);
// The portable flash kernel itself (also the reference the Hopper kernel is tested against).
void attention_prefill_mma(const AttnArgs& a, cudaStream_t s);
void attention_generic(const AttnArgs& a, cudaStream_t s);
// Decode (T small, long cache): split-K flash-decoding + a combine kernel; `work` holds
// decode_workspace_floats(a) floats.
int64_t decode_workspace_floats(const AttnArgs& a, int splits);
void attention_decode(const AttnArgs& a, float* work, int splits, cudaStream_t s);

// The statistics op: per query head h and key j < key_end, summed over query rows t in [q_begin, q_end) that see key j
// (key_visible(j, t): row t of T is at position len − T + t; as the cpu reference, cpu::attn_stats):
//   RawDot:  q_t·k_j (no scale, no softmax)
//   ProbSum: exp(q_t·k_j/√d − lse[h][t]) (softmax probabilities, from the attention's LSE)
// out: [H][key_end] fp32. Each block owns its keys (no atomics); O(H·key_end) memory.
enum class StatMode { RawDot, ProbSum };
struct StatsArgs {
  const bf16* q = nullptr;  // [T][H·d]
  const bf16* k = nullptr;  // [G][cap][d]
  const float* lse = nullptr;  // [H][T] (ProbSum)
  float* out = nullptr;
  StatMode mode = StatMode::RawDot;
  int T = 0, H = 0, G = 0, d = 0, len = 0, cap = 0, q_begin = 0, q_end = 0, key_end = 0;
};
void attn_stats(const StatsArgs& a, cudaStream_t s);

// Top-k per row of scores [rows][n] (radix select): idx [rows][k'] with k' = min(k, n), the k' largest (NaN last,
// ties → lower index), indices ascending.
void topk(const float* scores, int rows, int n, int k, int* idx, cudaStream_t s);
// *out = index of the largest x[i] (ties → lower index; NaN never wins unless all are NaN → 0).
void argmax(const float* x, int n, int* out, cudaStream_t s);
// *flag |= 1 when any of x[0..n) is NaN or ±inf (flag is not cleared).
void flag_nonfinite(const float* x, int64_t n, int* flag, cudaStream_t s);
void flag_nonfinite(const bf16* x, int64_t n, int* flag, cudaStream_t s);

// Synthetic weights on the device: out[i] = bf16(synthetic_value(stream, i, scale, offset)) (synthetic_gen.h), the
// same fp32 numbers as the CPU's synthetic.cpp before rounding to bf16.
void synthetic_fill(bf16* out, int64_t n, uint64_t stream, float scale, float offset, cudaStream_t s);
// fp32 → bf16 and back (uploads of host tensors, downloads for tests).
void to_bf16(const float* x, int64_t n, bf16* y, cudaStream_t s);
void to_f32(const bf16* x, int64_t n, float* y, cudaStream_t s);

}  // namespace cuda
}  // namespace gem
