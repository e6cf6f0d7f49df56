// The CUDA backend's device memory, as plain C++ (no CUDA here, so test/cuda_host_test.cpp checks it on the CPU):
//  - OffsetAllocator: the bookkeeping of the one device arena (backend.cu: a single cudaMalloc made at load, sized up
//    front; every weight, KV and scratch buffer of the backend is a range of it). Best fit over free ranges (ties →
//    lowest offset), ranges aligned to kArenaAlign bytes, neighbours coalesced on free; current and peak bytes in use.
//  - The prefill chunking (one schedule for the forward and for the arena's size): a forward over T tokens runs each
//    layer in chunks of at most kPrefillChunk tokens (queries of the chunk against every key before them), so the
//    activations at 128K are chunk-sized; only the fp32 residual stream, the RoPE tables and — without a KV cache —
//    the layer's own K/V are full length.
//  - forward_buffers / arena_plan: the bytes a forward allocates, from the model shape, and the arena size for a
//    context (weights + a dense KV cache + the forward at that length + slack).
#pragma once
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>

namespace gem {
namespace cuda {

constexpr int64_t kArenaAlign = 256;

inline int64_t align_up(int64_t n, int64_t a = kArenaAlign) { return (n + a - 1) / a * a; }

class OffsetAllocator {
 public:
  explicit OffsetAllocator(int64_t capacity = 0) { reset(capacity); }
  void reset(int64_t capacity) {
    capacity_ = capacity / kArenaAlign * kArenaAlign;
    free_.clear();
    used_.clear();
    in_use_ = peak_ = 0;
    if (capacity_ > 0) free_[0] = capacity_;
  }
  // Offset of a new range of `bytes` (rounded up to the alignment; 0 bytes takes one unit so every range is distinct),
  // or -1 when no free range is large enough.
  int64_t alloc(int64_t bytes) {
    const int64_t n = align_up(std::max<int64_t>(bytes, 1));
    auto best = free_.end();
    for (auto it = free_.begin(); it != free_.end(); ++it)
      if (it->second >= n && (best == free_.end() || it->second < best->second)) best = it;
    if (best == free_.end()) return -1;
    const int64_t off = best->first, rest = best->second - n;
    free_.erase(best);
    if (rest > 0) free_[off + n] = rest;
    used_[off] = n;
    in_use_ += n;
    peak_ = std::max(peak_, in_use_);
    return off;
  }
  // Returns a range given by alloc; false (nothing changed) for an offset that is not a live range.
  bool free(int64_t off) {
    auto u = used_.find(off);
    if (u == used_.end()) return false;
    int64_t start = off, size = u->second;
    in_use_ -= size;
    used_.erase(u);
    auto next = free_.lower_bound(off);
    if (next != free_.end() && next->first == start + size) {
      size += next->second;
      next = free_.erase(next);
    }
    if (next != free_.begin()) {
      auto prev = std::prev(next);
      if (prev->first + prev->second == start) {
        start = prev->first;
        size += prev->second;
        free_.erase(prev);
      }
    }
    free_[start] = size;
    return true;
  }
  int64_t capacity() const { return capacity_; }
  int64_t in_use() const { return in_use_; }
  int64_t peak() const { return peak_; }
  void reset_peak() { peak_ = in_use_; }
  int64_t largest_free() const {
    int64_t m = 0;
    for (const auto& f : free_) m = std::max(m, f.second);
    return m;
  }
  size_t live_ranges() const { return used_.size(); }
  size_t free_ranges() const { return free_.size(); }

 private:
  int64_t capacity_ = 0, in_use_ = 0, peak_ = 0;
  std::map<int64_t, int64_t> free_, used_;  // offset → bytes
};

// ---- prefill chunks ----
constexpr int kPrefillChunk = 8192;  // tokens per attention/projection chunk of a layer (GEMBENCH_CUDA_PREFILL_CHUNK)
constexpr int kMlpChunk = 4096;      // tokens per MLP chunk (bounds the [chunk][intermediate] buffers)

// The query rows [qb, qe) of a statistics request over call rows [q_begin, q_end) that fall in the chunk
// [t0, t0 + cn), relative to the chunk (qb ≥ qe: none), and the keys the chunk's queries can see: the first
// min(key_end, past + t0 + cn) (past = cache rows before this call).
struct ChunkStats {
  int qb = 0, qe = 0, keys = 0;
  bool empty() const { return qb >= qe || keys <= 0; }
};
inline ChunkStats chunk_stats(int q_begin, int q_end, int key_end, int past, int t0, int cn) {
  ChunkStats c;
  c.qb = std::max(q_begin, t0) - t0;
  c.qe = std::min(q_end, t0 + cn) - t0;
  c.keys = std::min(key_end, past + t0 + cn);
  return c;
}

// What a forward over T new tokens allocates besides the KV cache (bytes, before alignment), by buffer.
struct ModelShape {
  int64_t D = 0, H = 0, G = 0, d = 0, I = 0, V = 0;
  bool qkv_bias = false;
};
struct ForwardBuffers {
  int64_t full = 0;       // full-length: residual stream (fp32), RoPE tables, ids
  int64_t chunk = 0;      // chunk-sized activations: norms, projections, attention output, LSE, MLP, append rows
  int64_t layer_kv = 0;   // the layer's own K and V rows ([G][rows][d] bf16 each), counted as KV: all T rows without a
                          // cache, one chunk's with one (the source of an append to a per-query-head cache)
  int64_t stats = 0;      // one statistics request: accumulator + one chunk's output ([H][keys] fp32 each)
  int64_t logits = 0;     // the last row's logits (fp32)
  int64_t total() const { return full + chunk + layer_kv + stats + logits; }
};
inline ForwardBuffers forward_buffers(const ModelShape& m, int64_t T, int64_t keys, bool with_cache, int64_t chunk = kPrefillChunk) {
  const int64_t C = std::min<int64_t>(T, chunk), Cm = std::min<int64_t>(C, kMlpChunk), half = m.d / 2;
  ForwardBuffers b;
  b.full = T * m.D * 4 + 2 * T * half * 4 + T * 4;
  b.chunk = 2 * C * m.D * 2                               // xn, proj (bf16)
            + 2 * C * m.H * m.d * 2                       // q, attention output
            + 2 * C * m.G * m.d * 2                       // k, v of the chunk (token-major)
            + m.H * C * 4                                 // LSE
            + (m.qkv_bias ? C * m.H * m.d * 4 : 0)        // fp32 GEMM output before the bias
            + 2 * Cm * m.I * 2                            // gate, up
            + 2 * m.H * C * 4;                            // rows + source heads of a per-query-head append (ints)
  b.layer_kv = 2 * m.G * (with_cache ? C : T) * m.d * 2;
  b.stats = 2 * m.H * keys * 4;
  b.logits = m.V * 4;
  return b;
}

// The arena for a context of `context` tokens: the weights, a dense KV cache of every layer at that length, one more
// layer's KV (a keep or a growth holds the old and the new buffers at once), the forward over the whole context, and
// slack for alignment, the decode step's split-K workspace and small index buffers.
struct ArenaPlan {
  int64_t weights = 0, kv = 0, forward = 0, slack = 0;
  int64_t total() const { return weights + kv + forward + slack; }
};
inline ArenaPlan arena_plan(const ModelShape& m, int64_t layers, int64_t weight_bytes, int64_t context, int64_t chunk = kPrefillChunk) {
  ArenaPlan p;
  p.weights = weight_bytes;
  const int64_t layer_kv = 2 * m.G * context * m.d * 2;
  p.kv = (layers + 1) * layer_kv;
  p.forward = forward_buffers(m, context, context, true, chunk).total();
  p.slack = (int64_t{64} << 20) + p.total() / 50;
  return p;
}

}  // namespace cuda
}  // namespace gem
