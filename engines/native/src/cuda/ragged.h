// The CUDA cache's ragged layers (backend.h: a keep whose heads hold different numbers of rows, Ada-SnapKV), as plain
// C++ (no CUDA here, so test/cuda_host_test.cpp checks it on the CPU). A ragged layer is ONE packed device buffer per
// K and per V: head h owns rows [off[h], off[h] + cap[h]) of it, of which the first len[h] are valid; so the buffer
// holds Σ cap[h] rows (each head's kept rows + the room reserved for decode), never heads × the longest head. The
// kernels take absolute row maps (kv_copy_rows: dst row map[i].second ← src row map[i].first; a row is head_dim
// values) and, for attention, the per-head row offsets and lengths (AttnArgs::head_off / head_len).
#pragma once
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

namespace gem {
namespace cuda {

struct RaggedLayout {
  std::vector<int> len, off, cap;  // per cache head: valid rows, first row in the buffer, rows reserved

  int heads() const { return static_cast<int>(len.size()); }
  int64_t total_rows() const { return cap.empty() ? 0 : static_cast<int64_t>(off.back()) + cap.back(); }  // the buffer
  int64_t stored_rows() const {  // what bytes() counts
    int64_t n = 0;
    for (int x : len) n += x;
    return n;
  }
  int max_len() const { return len.empty() ? 0 : *std::max_element(len.begin(), len.end()); }
  bool uniform() const { return std::all_of(len.begin(), len.end(), [&](int x) { return x == len[0]; }); }
  bool fits(int extra) const {
    for (int h = 0; h < heads(); ++h)
      if (len[static_cast<size_t>(h)] + extra > cap[static_cast<size_t>(h)]) return false;
    return true;
  }

  // Heads of these lengths and capacities, packed in head order.
  static RaggedLayout packed(const std::vector<int>& lens, const std::vector<int>& caps) {
    if (lens.size() != caps.size()) throw std::invalid_argument("RaggedLayout: lengths and capacities differ in count");
    RaggedLayout r;
    r.len = lens;
    r.cap = caps;
    int64_t at = 0;
    for (size_t h = 0; h < lens.size(); ++h) {
      if (lens[h] < 0 || caps[h] < lens[h]) throw std::invalid_argument("RaggedLayout: a head's capacity is below its length");
      r.off.push_back(static_cast<int>(at));
      at += caps[h];
    }
    if (at > INT32_MAX) throw std::invalid_argument("RaggedLayout: more than 2^31 rows in one layer");
    return r;
  }
  // After a keep: each head's kept rows + room for `reserve` more.
  static RaggedLayout after_keep(const std::vector<int>& lens, int reserve) {
    std::vector<int> caps;
    for (int n : lens) caps.push_back(n + std::max(0, reserve));
    return packed(lens, caps);
  }
  // The layout after growing for `extra` more rows per head (the cpu's vectors grow the same way: a head's capacity
  // at least doubles): unchanged when they fit.
  RaggedLayout grown(int extra) const {
    if (fits(extra)) return *this;
    std::vector<int> caps;
    for (int h = 0; h < heads(); ++h)
      caps.push_back(std::max(len[static_cast<size_t>(h)] + extra, 2 * cap[static_cast<size_t>(h)]));
    return packed(len, caps);
  }
};

// Row maps (source row, destination row) for kv_copy_rows.
using RowMap = std::vector<std::pair<int, int>>;

// Keep: new head h = rows keep[h] of source head src_head[h], whose first row in the source buffer is src_base[·]
// (uniform source: head·cap; ragged source: its off).
inline RowMap keep_map(const std::vector<std::vector<int>>& keep, const std::vector<int>& src_head, const std::vector<int>& src_base,
                       const RaggedLayout& dst) {
  RowMap m;
  for (size_t h = 0; h < keep.size(); ++h)
    for (size_t i = 0; i < keep[h].size(); ++i)
      m.emplace_back(src_base[static_cast<size_t>(src_head[h])] + keep[h][i], dst.off[h] + static_cast<int>(i));
  return m;
}
// Growth: every valid row of `from` to the same head and index in `to`.
inline RowMap move_map(const RaggedLayout& from, const RaggedLayout& to) {
  RowMap m;
  for (int h = 0; h < from.heads(); ++h)
    for (int j = 0; j < from.len[static_cast<size_t>(h)]; ++j)
      m.emplace_back(from.off[static_cast<size_t>(h)] + j, to.off[static_cast<size_t>(h)] + j);
  return m;
}
// Append of T new tokens: the forward's token-major K or V ([T][G][d], so token t of KV head g is row t·G + g) to
// cache head h (which reads KV head h·G / heads) after its len[h] rows. The caller then adds T to every len.
inline RowMap append_map(const RaggedLayout& r, int T, int G) {
  RowMap m;
  const int heads = r.heads();
  for (int h = 0; h < heads; ++h) {
    const int g = static_cast<int>(static_cast<int64_t>(h) * G / heads);
    for (int t = 0; t < T; ++t) m.emplace_back(t * G + g, r.off[static_cast<size_t>(h)] + r.len[static_cast<size_t>(h)] + t);
  }
  return m;
}

}  // namespace cuda
}  // namespace gem
