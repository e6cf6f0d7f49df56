// The small backend table the generate loop and the methods are written against (cf. llama.cpp's backend
// interface). One op does the work: forward a run of tokens through layers 0..last_layer, appending K/V to a cache
// (or dropping each layer's K/V as soon as the layer is done), calling a hook with each layer's post-RoPE Q and K so
// that methods can score and compress. `cpu` (fp32 reference) implements it; a `cuda` backend slots in behind the
// same table.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "memory.h"
#include "model.h"

namespace gem {

// KV cache: per layer, per cache head, rows of head_dim floats (post-RoPE keys, values), one row per kept token.
// A layer's cache normally has G heads (query head h reads cache head h / (H/G)); after SnapKV's per-query-head
// compression it has H heads (query head h reads cache head h). All heads of a layer hold the same number of rows.
struct KVCache {
  int head_dim = 0;
  struct Layer {
    int heads = 0;  // cache heads of this layer (G, or H after per-query-head compression)
    int len = 0;    // rows per head
    std::vector<FVec> k, v;  // [heads] each [len * head_dim]
  };
  std::vector<Layer> layers;

  void init(const ModelConfig& c, int reserve_rows);  // num_layers layers of G empty heads
  int64_t bytes() const;
  // Keep only rows `keep[h]` (sorted ascending) of each head of `layer`; keep.size() becomes the head count, and
  // `src_head[h]` names the current head whose rows the new head h takes (identity when sizes match).
  void compress(int layer, const std::vector<std::vector<int>>& keep, const std::vector<int>& src_head, int reserve_extra);
};

// What the hook sees after a layer's attention has been computed (cache already holds this layer's new rows).
struct LayerView {
  int layer = 0;
  int tokens = 0;          // T tokens in this forward call
  const float* q = nullptr;  // [T][H*d] post-RoPE
  const float* k = nullptr;  // [T][G*d] post-RoPE (the new rows only)
  KVCache::Layer* cache = nullptr;  // this layer's cache (nullptr when K/V are dropped)
};
using LayerHook = std::function<void(const LayerView&)>;

struct ForwardOptions {
  int last_layer = -1;        // run layers 0..last_layer (-1: all layers)
  bool stop_after_qk = false; // at last_layer: compute Q/K, call the hook, and stop (no attention/MLP there)
  bool want_logits = false;   // logits of the last token (needs all layers)
  LayerHook hook;             // may be empty
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // Runs ids[t] at positions[t]. With `cache`, each layer's K/V rows are appended to it and attention reads the
  // whole cache (earlier rows + the new ones, causal among the new ones); without, attention sees only these tokens
  // and the layer's K/V are freed after the layer. Returns the last token's logits when opts.want_logits.
  virtual std::vector<float> forward(const Model& m, const std::vector<int>& ids, const std::vector<int>& positions,
                                     KVCache* cache, const ForwardOptions& opts) = 0;
};

std::unique_ptr<Backend> make_cpu_backend();

}  // namespace gem
