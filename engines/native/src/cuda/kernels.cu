// Element-wise and small ops of the CUDA backend (ops.h): embedding, RMSNorm, RoPE, SwiGLU, residual add, the
// statistics accumulation, KV append and gather, argmax, the non-finite flag, synthetic weights, dtype conversions.
#include <cub/block/block_reduce.cuh>

#include "../model.h"
#include "ops.h"
#include "synthetic_gen.h"

namespace gem {
namespace cuda {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw RunnerError("cuda_error", std::string(what) + ": " + cudaGetErrorString(e));
}

namespace {

constexpr int kThreads = 256;
int blocks_for(int64_t n, int per_block = kThreads) {
  const int64_t b = (n + per_block - 1) / per_block;
  return static_cast<int>(b < 65535 * 32 ? (b < 1 ? 1 : b) : 65535 * 32);
}

__global__ void embed_kernel(const bf16* table, const int* ids, int T, int D, float* x) {
  for (int t = blockIdx.y; t < T; t += gridDim.y) {  // rows on y: grid_rows (index_math.h)
    const bf16* row = table + static_cast<int64_t>(ids[t]) * D;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < D; i += gridDim.x * blockDim.x)
      x[static_cast<int64_t>(t) * D + i] = __bfloat162float(row[i]);
  }
}

__global__ void rmsnorm_kernel(const float* x, int D, const bf16* w, float eps, bf16* y) {
  using Reduce = cub::BlockReduce<float, kThreads>;
  __shared__ typename Reduce::TempStorage tmp;
  __shared__ float inv;
  const float* xr = x + static_cast<int64_t>(blockIdx.x) * D;
  float ss = 0;
  for (int i = threadIdx.x; i < D; i += kThreads) ss += xr[i] * xr[i];
  ss = Reduce(tmp).Sum(ss);
  if (threadIdx.x == 0) inv = rsqrtf(ss / D + eps);
  __syncthreads();
  bf16* yr = y + static_cast<int64_t>(blockIdx.x) * D;
  for (int i = threadIdx.x; i < D; i += kThreads) yr[i] = __float2bfloat16_rn(xr[i] * inv * __bfloat162float(w[i]));
}

__global__ void rope_kernel(bf16* x, int T, int heads, int d, const float* cs, const float* sn) {
  const int half = d / 2;
  for (int t = blockIdx.y; t < T; t += gridDim.y)  // rows on y: grid_rows (index_math.h)
  for (int w = blockIdx.x * blockDim.x + threadIdx.x; w < heads * half; w += gridDim.x * blockDim.x) {
    const int h = w / half, i = w % half;
    bf16* v = x + (static_cast<int64_t>(t) * heads + h) * d;
    const float c = cs[static_cast<int64_t>(t) * half + i], s = sn[static_cast<int64_t>(t) * half + i];
    const float x1 = __bfloat162float(v[i]), x2 = __bfloat162float(v[i + half]);
    v[i] = __float2bfloat16_rn(x1 * c - x2 * s);
    v[i + half] = __float2bfloat16_rn(x2 * c + x1 * s);
  }
}

__global__ void swiglu_kernel(const bf16* gate, const bf16* up, int64_t n, bf16* out) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float g = __bfloat162float(gate[i]);
    out[i] = __float2bfloat16_rn(g / (1.0f + __expf(-g)) * __bfloat162float(up[i]));
  }
}

__global__ void add_kernel(float* x, const bf16* y, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    x[i] += __bfloat162float(y[i]);
}

__global__ void accumulate_rows_kernel(float* acc, int acc_stride, const float* part, int cols) {
  const int64_t r = blockIdx.y;
  for (int j = blockIdx.x * blockDim.x + threadIdx.x; j < cols; j += gridDim.x * blockDim.x)
    acc[r * acc_stride + j] += part[r * cols + j];
}

__global__ void bias_kernel(float* y, const bf16* bias, int64_t n, int out) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[i] += __bfloat162float(bias[i % out]);
}

// One block row per (token, head); 16-byte copies when d allows (d % 8 == 0 for every supported head_dim).
__global__ void kv_append_kernel(const bf16* src, int G, int d, bf16* cache, int cap, int row0, const int* len_dev) {
  const int t = blockIdx.x, g = blockIdx.y;
  if (len_dev) row0 = *len_dev - static_cast<int>(gridDim.x);
  const uint4* s = reinterpret_cast<const uint4*>(src + (static_cast<int64_t>(t) * G + g) * d);
  uint4* o = reinterpret_cast<uint4*>(cache + (static_cast<int64_t>(g) * cap + row0 + t) * d);
  for (int i = threadIdx.x; i < d / 8; i += blockDim.x) o[i] = s[i];
}

__global__ void kv_gather_kernel(const bf16* src, int src_cap, bf16* dst, int dst_cap, const int* rows, const int* src_head,
                                 int keep, int d) {
  const int h = blockIdx.y;
  for (int i = blockIdx.x; i < keep; i += gridDim.x) {
    const int r = rows[static_cast<int64_t>(h) * keep + i];
    const uint4* s = reinterpret_cast<const uint4*>(src + (static_cast<int64_t>(src_head[h]) * src_cap + r) * d);
    uint4* o = reinterpret_cast<uint4*>(dst + (static_cast<int64_t>(h) * dst_cap + i) * d);
    for (int c = threadIdx.x; c < d / 8; c += blockDim.x) o[c] = s[c];
  }
}

__global__ void kv_copy_rows_kernel(const bf16* src, bf16* dst, const int2* map, int n, int d) {
  for (int i = blockIdx.x; i < n; i += gridDim.x) {
    const int2 m = map[i];
    const uint4* s = reinterpret_cast<const uint4*>(src + static_cast<int64_t>(m.x) * d);
    uint4* o = reinterpret_cast<uint4*>(dst + static_cast<int64_t>(m.y) * d);
    for (int c = threadIdx.x; c < d / 8; c += blockDim.x) o[c] = s[c];
  }
}

// One warp per (key, head): grid (keys, heads).
__global__ void key_norms_kernel(const bf16* k, int cap, int d, int K, float* out) {
  const int j = blockIdx.x, c = blockIdx.y;
  const bf16* row = k + (static_cast<int64_t>(c) * cap + j) * d;
  float ss = 0.f;
  for (int i = threadIdx.x; i < d; i += 32) {
    const float x = __bfloat162float(row[i]);
    ss += x * x;
  }
  for (int o = 16; o > 0; o /= 2) ss += __shfl_xor_sync(0xffffffffu, ss, o);
  if (threadIdx.x == 0) out[static_cast<int64_t>(c) * K + j] = sqrtf(ss);
}

struct ArgMax {
  float v;
  int i;
};
struct ArgMaxOp {
  __device__ ArgMax operator()(const ArgMax& a, const ArgMax& b) const {
    const bool an = isnan(a.v), bn = isnan(b.v);
    if (an != bn) return an ? b : a;
    if (a.v != b.v && !an) return a.v > b.v ? a : b;
    return a.i < b.i ? a : b;
  }
};

__global__ void argmax_kernel(const float* x, int n, int* out) {
  using Reduce = cub::BlockReduce<ArgMax, 1024>;
  __shared__ typename Reduce::TempStorage tmp;
  ArgMax best{NAN, 0};
  for (int i = threadIdx.x; i < n; i += 1024) best = ArgMaxOp()(best, ArgMax{x[i], i});
  best = Reduce(tmp).Reduce(best, ArgMaxOp());
  if (threadIdx.x == 0) *out = best.i;
}

template <class T>
__global__ void nonfinite_kernel(const T* x, int64_t n, int* flag) {
  bool bad = false;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    bad |= !isfinite(static_cast<float>(x[i]));
  if (__syncthreads_or(bad) && threadIdx.x == 0) atomicOr(flag, 1);
}

__global__ void synthetic_kernel(bf16* out, int64_t n, uint64_t stream, float scale, float offset) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = __float2bfloat16_rn(synthetic_value(stream, i, scale, offset));
}

__global__ void to_bf16_kernel(const float* x, int64_t n, bf16* y) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[i] = __float2bfloat16_rn(x[i]);
}
__global__ void to_f32_kernel(const bf16* x, int64_t n, float* y) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n; i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[i] = __bfloat162float(x[i]);
}

}  // namespace

void embed(const bf16* table, const int* ids, int T, int D, float* x, cudaStream_t s) {
  if (T <= 0) return;
  embed_kernel<<<dim3(blocks_for(D), grid_rows(T)), kThreads, 0, s>>>(table, ids, T, D, x);
  check(cudaGetLastError(), "embed");
}
void rmsnorm(const float* x, int T, int D, const bf16* w, float eps, bf16* y, cudaStream_t s) {
  if (T <= 0) return;
  rmsnorm_kernel<<<T, kThreads, 0, s>>>(x, D, w, eps, y);
  check(cudaGetLastError(), "rmsnorm");
}
void rope(bf16* x, int T, int heads, int d, const float* cs, const float* sn, cudaStream_t s) {
  if (T <= 0) return;
  rope_kernel<<<dim3(blocks_for(static_cast<int64_t>(heads) * d / 2), grid_rows(T)), kThreads, 0, s>>>(x, T, heads, d, cs, sn);
  check(cudaGetLastError(), "rope");
}
void swiglu(const bf16* gate, const bf16* up, int64_t n, bf16* out, cudaStream_t s) {
  if (n <= 0) return;
  swiglu_kernel<<<blocks_for(n), kThreads, 0, s>>>(gate, up, n, out);
  check(cudaGetLastError(), "swiglu");
}
void add_residual(float* x, const bf16* y, int64_t n, cudaStream_t s) {
  if (n <= 0) return;
  add_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, y, n);
  check(cudaGetLastError(), "add_residual");
}
void add_bias(float* y, const bf16* bias, int T, int out, cudaStream_t s) {
  const int64_t n = static_cast<int64_t>(T) * out;
  if (n <= 0) return;
  bias_kernel<<<blocks_for(n), kThreads, 0, s>>>(y, bias, n, out);
  check(cudaGetLastError(), "add_bias");
}
void accumulate_rows(float* acc, int acc_stride, const float* part, int rows, int cols, cudaStream_t s) {
  if (rows <= 0 || cols <= 0) return;
  if (cols > acc_stride) throw RunnerError("internal", "accumulate_rows: " + std::to_string(cols) + " columns into rows of " + std::to_string(acc_stride));
  const int bx = (cols + kThreads - 1) / kThreads;
  for (int r0 = 0; r0 < rows; r0 += 65535) {  // rows on gridDim.y
    const int n = rows - r0 < 65535 ? rows - r0 : 65535;
    accumulate_rows_kernel<<<dim3(bx < 1024 ? bx : 1024, n), kThreads, 0, s>>>(acc + static_cast<int64_t>(r0) * acc_stride, acc_stride,
                                                                             part + static_cast<int64_t>(r0) * cols, cols);
  }
  check(cudaGetLastError(), "accumulate_rows");
}
namespace {
// row0 from the host, or (len_dev set) *len_dev − T read on the device
void launch_kv_append(const bf16* src, int T, int G, int d, bf16* cache, int cap, int row0, const int* len_dev, cudaStream_t s) {
  if (T <= 0) return;
  if (d % 8) throw RunnerError("unsupported", "kv_append: head_dim " + std::to_string(d) + " is not a multiple of 8");
  kv_append_kernel<<<dim3(T, G), 32, 0, s>>>(src, G, d, cache, cap, row0, len_dev);
  check(cudaGetLastError(), "kv_append");
}
}  // namespace
void kv_append(const bf16* src, int T, int G, int d, bf16* cache, int cap, int row0, cudaStream_t s) {
  launch_kv_append(src, T, G, d, cache, cap, row0, nullptr, s);
}
void kv_append_at(const bf16* src, int T, int G, int d, bf16* cache, int cap, const int* len_dev, cudaStream_t s) {
  launch_kv_append(src, T, G, d, cache, cap, 0, len_dev, s);
}
void kv_gather(const bf16* src, int src_cap, bf16* dst, int dst_cap, const int* rows, const int* src_head, int heads_out,
               int keep, int d, cudaStream_t s) {
  if (keep <= 0 || heads_out <= 0) return;
  if (d % 8) throw RunnerError("unsupported", "kv_gather: head_dim " + std::to_string(d) + " is not a multiple of 8");
  kv_gather_kernel<<<dim3(keep < 4096 ? keep : 4096, heads_out), 32, 0, s>>>(src, src_cap, dst, dst_cap, rows, src_head, keep, d);
  check(cudaGetLastError(), "kv_gather");
}
void kv_copy_rows(const bf16* src, bf16* dst, const int2* map, int n, int d, cudaStream_t s) {
  if (n <= 0) return;
  if (d % 8) throw RunnerError("unsupported", "kv_copy_rows: head_dim " + std::to_string(d) + " is not a multiple of 8");
  kv_copy_rows_kernel<<<n < 65535 ? n : 65535, 32, 0, s>>>(src, dst, map, n, d);
  check(cudaGetLastError(), "kv_copy_rows");
}
void key_norms(const bf16* k, int heads, int cap, int d, int K, float* out, cudaStream_t s) {
  if (K <= 0 || heads <= 0) return;
  if (K > cap) throw RunnerError("internal", "key_norms: " + std::to_string(K) + " keys of a cache of " + std::to_string(cap) + " rows");
  key_norms_kernel<<<dim3(K, heads), 32, 0, s>>>(k, cap, d, K, out);  // keys on gridDim.x (up to 2^31 − 1)
  check(cudaGetLastError(), "key_norms");
}
void argmax(const float* x, int n, int* out, cudaStream_t s) {
  argmax_kernel<<<1, 1024, 0, s>>>(x, n, out);
  check(cudaGetLastError(), "argmax");
}
void flag_nonfinite(const float* x, int64_t n, int* flag, cudaStream_t s) {
  if (n <= 0) return;
  nonfinite_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, n, flag);
  check(cudaGetLastError(), "flag_nonfinite");
}
void flag_nonfinite(const bf16* x, int64_t n, int* flag, cudaStream_t s) {
  if (n <= 0) return;
  nonfinite_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, n, flag);
  check(cudaGetLastError(), "flag_nonfinite");
}
void synthetic_fill(bf16* out, int64_t n, uint64_t stream, float scale, float offset, cudaStream_t s) {
  if (n <= 0) return;
  synthetic_kernel<<<blocks_for(n), kThreads, 0, s>>>(out, n, stream, scale, offset);
  check(cudaGetLastError(), "synthetic_fill");
}
void to_bf16(const float* x, int64_t n, bf16* y, cudaStream_t s) {
  if (n <= 0) return;
  to_bf16_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, n, y);
  check(cudaGetLastError(), "to_bf16");
}
void to_f32(const bf16* x, int64_t n, float* y, cudaStream_t s) {
  if (n <= 0) return;
  to_f32_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, n, y);
  check(cudaGetLastError(), "to_f32");
}

}  // namespace cuda
}  // namespace gem
