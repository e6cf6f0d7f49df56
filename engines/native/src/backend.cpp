#include "backend.h"

namespace gem {

void KVCache::init(const ModelConfig& c, int reserve_rows) {
  head_dim = c.head_dim;
  layers.clear();
  layers.resize(static_cast<size_t>(c.num_layers));
  for (auto& L : layers) {
    L.heads = c.num_kv_heads;
    L.len = 0;
    for (int h = 0; h < L.heads; ++h) {
      L.k.emplace_back(MemCat::KV);
      L.v.emplace_back(MemCat::KV);
      if (reserve_rows > 0) {
        L.k.back().reserve(static_cast<size_t>(reserve_rows) * head_dim);
        L.v.back().reserve(static_cast<size_t>(reserve_rows) * head_dim);
      }
    }
  }
}

int64_t KVCache::bytes() const {
  int64_t b = 0;
  for (const auto& L : layers)
    for (int h = 0; h < L.heads; ++h) b += static_cast<int64_t>((L.k[h].size() + L.v[h].size()) * sizeof(float));
  return b;
}

void KVCache::compress(int layer, const std::vector<std::vector<int>>& keep, const std::vector<int>& src_head,
                       int reserve_extra) {
  Layer& L = layers[static_cast<size_t>(layer)];
  const int d = head_dim;
  std::vector<FVec> nk, nv;
  int len = keep.empty() ? 0 : static_cast<int>(keep[0].size());
  for (size_t h = 0; h < keep.size(); ++h) {
    const FVec& sk = L.k[static_cast<size_t>(src_head[h])];
    const FVec& sv = L.v[static_cast<size_t>(src_head[h])];
    nk.emplace_back(MemCat::KV);
    nv.emplace_back(MemCat::KV);
    nk.back().reserve(static_cast<size_t>(len + reserve_extra) * d);
    nv.back().reserve(static_cast<size_t>(len + reserve_extra) * d);
    for (int row : keep[h]) {
      nk.back().append(sk.data() + static_cast<int64_t>(row) * d, static_cast<size_t>(d));
      nv.back().append(sv.data() + static_cast<int64_t>(row) * d, static_cast<size_t>(d));
    }
  }
  L.k = std::move(nk);
  L.v = std::move(nv);
  L.heads = static_cast<int>(keep.size());
  L.len = len;
}

}  // namespace gem
