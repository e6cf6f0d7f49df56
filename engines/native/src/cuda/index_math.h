// Index math of the CUDA kernels, as __host__ __device__ functions: the kernels call exactly these, and
// test/cuda_host_test.cpp checks them on the CPU (no GPU needed). Plain C++ when not compiled by nvcc.
#pragma once
#include <cstdint>
#include <cstring>

#ifdef __CUDACC__
#define GEM_HD __host__ __device__ __forceinline__
#else
#define GEM_HD inline
#endif

namespace gem {
namespace cuda {

GEM_HD int ceil_div(int a, int b) { return (a + b - 1) / b; }
GEM_HD int imin(int a, int b) { return a < b ? a : b; }
GEM_HD int imax(int a, int b) { return a > b ? a : b; }

// ---- rows on gridDim.y (embedding, RoPE) ----
// CUDA caps gridDim.y at 65535, and a row count (a prefill chunk, a whole input at 128K) can pass it: such kernels
// launch grid_rows(rows) blocks in y and each handles rows blockIdx.y, blockIdx.y + gridDim.y, … < rows (every row
// exactly once, whatever the count; test/cuda_host_test.cpp).
constexpr int kMaxGridY = 65535;
GEM_HD int grid_rows(int64_t rows) { return rows < 1 ? 1 : rows > kMaxGridY ? kMaxGridY : static_cast<int>(rows); }

// ---- mma.sync.m16n8k16 (bf16 inputs, fp32 accumulators) fragment maps, per the PTX ISA ----
// lane = threadIdx.x % 32; group = lane / 4 (0..7), quad = lane % 4 (0..3).
// A (16×16, row-major): 8 bf16 in 4 registers; element e (0..7) of the thread is at (row, col):
GEM_HD int mma_a_row(int lane, int e) { return lane / 4 + ((e / 2) % 2) * 8; }
GEM_HD int mma_a_col(int lane, int e) { return (lane % 4) * 2 + (e % 2) + (e / 4) * 8; }
// B (16×8, "col": k × n): 4 bf16 in 2 registers; element e (0..3) is at (k, n):
GEM_HD int mma_b_k(int lane, int e) { return (lane % 4) * 2 + (e % 2) + (e / 2) * 8; }
GEM_HD int mma_b_n(int lane, int /*e*/) { return lane / 4; }
// C/D (16×8 fp32): 4 floats; element e (0..3) is at (row, col):
GEM_HD int mma_c_row(int lane, int e) { return lane / 4 + (e / 2) * 8; }
GEM_HD int mma_c_col(int lane, int e) { return (lane % 4) * 2 + (e % 2); }

// ---- the prefill attention kernel's tiles ----
constexpr int kAttnBlockM = 64;   // packed query rows per block (4 warps × 16)
constexpr int kAttnBlockN = 64;   // keys per K/V tile
constexpr int kAttnThreads = 128;

// GQA packing: a block serves one KV head g and 64 "packed rows" i = t·R + r (token t, query head g·R + r, R = H/G),
// so each K/V tile loaded into shared memory is used by every query head of the group.
GEM_HD int packed_token(int i, int R) { return i / R; }
GEM_HD int packed_head(int i, int R, int g) { return g * R + i % R; }

// Causal visibility: T new queries are the last T rows of a cache of `len` rows (past = len − T); query t sees
// keys 0 .. past + t.
GEM_HD bool key_visible(int key, int t, int past, int len) { return key < len && key <= past + t; }
// Keys a block of packed rows [row0, row0 + rows) must visit (those visible to its last token), capped by len.
GEM_HD int block_key_end(int row0, int rows, int R, int T, int past, int len) {
  const int last_t = imin(packed_token(row0 + rows - 1, R), T - 1);
  return imin(len, past + last_t + 1);
}

// Split-K flash-decoding: split s of `splits` covers key tiles [s·per, (s+1)·per) of the kAttnBlockN-key tiles in
// [0, key_end); per = ceil(tiles / splits). Empty splits (begin ≥ end) write an empty partial (l = 0).
GEM_HD int split_tiles(int key_end, int splits) { return ceil_div(ceil_div(key_end, kAttnBlockN), splits); }
GEM_HD int split_key_begin(int s, int key_end, int splits) { return imin(key_end, s * split_tiles(key_end, splits) * kAttnBlockN); }
GEM_HD int split_key_end(int s, int key_end, int splits) { return imin(key_end, (s + 1) * split_tiles(key_end, splits) * kAttnBlockN); }
// How many splits a decode call uses: enough blocks for the device (target_blocks over the KV heads), each split at
// least 4 tiles, at most kMaxSplits.
constexpr int kMaxSplits = 64;
GEM_HD int decode_splits(int key_end, int kv_heads, int target_blocks) {
  const int tiles = ceil_div(key_end, kAttnBlockN);
  int s = ceil_div(target_blocks, imax(1, kv_heads));
  s = imin(s, ceil_div(tiles, 4));
  return imax(1, imin(s, kMaxSplits));
}

// Shared-memory tile of 64 rows (K: keys; Vᵀ: head dims) × cols bf16, stored in 16-byte chunks with the chunk
// index XOR-ed by the row (mod 8): the fragment loads (8 rows × 4 consecutive words per warp) then hit 32 distinct
// banks, where a plain row-major layout with a 128/192/256-byte row would put all 8 rows in the same 4 banks.
GEM_HD int swizzle(int row, int col, int cols) {
  const int chunk = col / 8, chunks = cols / 8;
  const int sw = (chunk & ~7) | ((chunk ^ row) & 7);
  return row * cols + (sw < chunks ? sw : chunk) * 8 + col % 8;
}

// ---- top-k (radix select) ----
// Order-preserving key of a float score: larger scores → larger keys; NaN → 0 (ranks last, like the CPU's top-k).
GEM_HD uint32_t order_key(float x) {
  uint32_t u;
#ifdef __CUDA_ARCH__
  u = __float_as_uint(x);
#else
  std::memcpy(&u, &x, 4);
#endif
  if ((u & 0x7F800000u) == 0x7F800000u && (u & 0x007FFFFFu)) return 0;  // NaN
  if (u == 0x80000000u) u = 0;  // −0 == +0
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
// One radix pass, MSB first: given the histogram of the current 8-bit digit among the candidates and how many of
// the k largest are still to place (`want`, ≥ 1), returns the digit holding the want-th largest and sets *above to
// the count of candidates with a larger digit.
GEM_HD int radix_pick(const uint32_t* hist, uint32_t want, uint32_t* above) {
  uint32_t acc = 0;
  for (int dgt = 255; dgt >= 0; --dgt) {
    if (acc + hist[dgt] >= want) {
      *above = acc;
      return dgt;
    }
    acc += hist[dgt];
  }
  *above = acc;
  return 0;
}

// ---- the statistics op (column sums) ----
constexpr int kStatsKeys = 128;   // keys per block (one per thread)
constexpr int kStatsRows = 16;    // query rows staged in shared memory at a time
// First query row (relative to q_begin) whose token can see `key` under causality: t ≥ key − past.
GEM_HD int first_row_seeing(int key, int past, int q_begin) { return imax(q_begin, key - past); }

}  // namespace cuda
}  // namespace gem
