// The fp32 reference forward pass: embedding, per layer [RMSNorm → q/k/v (+qwen2 bias) → RoPE → causal GQA
// attention → o_proj → residual → RMSNorm → SwiGLU MLP (token chunks) → residual], final norm, lm_head.
#include <algorithm>
#include <cstring>

#include "../backend.h"
#include "kernels.h"

namespace gem {
namespace {

constexpr int kMlpChunk = 128;  // tokens per MLP chunk: bounds the [chunk x intermediate] buffers

const float* opt_data(const Tensor& t) { return t.data.empty() ? nullptr : t.data.data(); }

class CpuBackend final : public Backend {
 public:
  std::string name() const override { return "cpu"; }

  std::vector<float> forward(const Model& m, const std::vector<int>& ids, const std::vector<int>& positions,
                             KVCache* cache, const ForwardOptions& opts) override {
    const ModelConfig& c = m.config;
    const int T = static_cast<int>(ids.size());
    const int D = c.hidden_size, H = c.num_heads, G = c.num_kv_heads, d = c.head_dim, I = c.intermediate_size;
    const int L = c.num_layers;
    const int last = opts.last_layer < 0 ? L - 1 : std::min(opts.last_layer, L - 1);
    if (T == 0) return {};
    int maxpos = *std::max_element(positions.begin(), positions.end());
    cpu::RopeFreqs freqs = cpu::rope_freqs(c, maxpos);

    FVec x(MemCat::Activations, static_cast<size_t>(T) * D);
    for (int t = 0; t < T; ++t)
      std::memcpy(x.data() + static_cast<int64_t>(t) * D, m.embed.data.data() + static_cast<int64_t>(ids[t]) * D,
                  sizeof(float) * D);
    FVec xn(MemCat::Activations, static_cast<size_t>(T) * D);
    FVec q(MemCat::Activations, static_cast<size_t>(T) * H * d);
    FVec kn(MemCat::Activations, static_cast<size_t>(T) * G * d);
    FVec vn(MemCat::Activations, static_cast<size_t>(T) * G * d);
    FVec att(MemCat::Activations, static_cast<size_t>(T) * H * d);
    const int C = std::min(T, kMlpChunk);
    FVec gate(MemCat::Activations), up(MemCat::Activations);

    for (int l = 0; l <= last; ++l) {
      const LayerWeights& W = m.layers[static_cast<size_t>(l)];
      cpu::rmsnorm(x.data(), T, D, W.attn_norm.data.data(), c.rms_eps, xn.data());
      cpu::matmul(xn.data(), T, D, W.wq.data.data(), H * d, opt_data(W.bq), q.data());
      cpu::matmul(xn.data(), T, D, W.wk.data.data(), G * d, opt_data(W.bk), kn.data());
      cpu::matmul(xn.data(), T, D, W.wv.data.data(), G * d, opt_data(W.bv), vn.data());
      cpu::apply_rope(q.data(), T, H, d, positions.data(), freqs);
      cpu::apply_rope(kn.data(), T, G, d, positions.data(), freqs);

      if (l == last && opts.stop_after_qk) {
        if (opts.hook) opts.hook(LayerView{l, T, q.data(), kn.data(), nullptr});
        return {};
      }

      // Append this layer's K/V to the cache (or to a scratch layer that dies with this iteration).
      KVCache::Layer scratch;
      KVCache::Layer* CL = nullptr;
      if (cache) {
        CL = &cache->layers[static_cast<size_t>(l)];
      } else {
        scratch.heads = G;
        for (int h = 0; h < G; ++h) {
          scratch.k.emplace_back(MemCat::KV);
          scratch.v.emplace_back(MemCat::KV);
        }
        CL = &scratch;
      }
      for (int ch = 0; ch < CL->heads; ++ch) {
        int src = static_cast<int>(static_cast<int64_t>(ch) * G / CL->heads);  // per-query-head caches: h → g(h)
        FVec& kc = CL->k[static_cast<size_t>(ch)];
        FVec& vc = CL->v[static_cast<size_t>(ch)];
        for (int t = 0; t < T; ++t) {
          kc.append(kn.data() + (static_cast<int64_t>(t) * G + src) * d, static_cast<size_t>(d));
          vc.append(vn.data() + (static_cast<int64_t>(t) * G + src) * d, static_cast<size_t>(d));
        }
      }
      CL->len += T;
      std::vector<const float*> kp, vp;
      for (int ch = 0; ch < CL->heads; ++ch) {
        kp.push_back(CL->k[static_cast<size_t>(ch)].data());
        vp.push_back(CL->v[static_cast<size_t>(ch)].data());
      }
      cpu::attention(q.data(), T, H, d, kp, vp, CL->len, att.data());
      if (opts.hook) opts.hook(LayerView{l, T, q.data(), kn.data(), cache ? CL : nullptr});
      if (!cache) {
        for (auto& b : scratch.k) b.clear_and_free();
        for (auto& b : scratch.v) b.clear_and_free();
      }

      // o_proj + residual
      cpu::matmul(att.data(), T, H * d, W.wo.data.data(), D, nullptr, xn.data());
      for (int64_t i = 0; i < static_cast<int64_t>(T) * D; ++i) x[i] += xn[i];

      // MLP in token chunks: x += down(silu(gate(n)) * up(n)), n = rmsnorm(x)
      gate.resize(static_cast<size_t>(C) * I);
      up.resize(static_cast<size_t>(C) * I);
      for (int t0 = 0; t0 < T; t0 += C) {
        int cn = std::min(C, T - t0);
        float* xc = x.data() + static_cast<int64_t>(t0) * D;
        float* nc = xn.data() + static_cast<int64_t>(t0) * D;
        cpu::rmsnorm(xc, cn, D, W.mlp_norm.data.data(), c.rms_eps, nc);
        cpu::matmul(nc, cn, D, W.w_gate.data.data(), I, nullptr, gate.data());
        cpu::matmul(nc, cn, D, W.w_up.data.data(), I, nullptr, up.data());
        for (int64_t i = 0; i < static_cast<int64_t>(cn) * I; ++i) gate[i] = cpu::silu(gate[i]) * up[i];
        cpu::matmul(gate.data(), cn, I, W.w_down.data.data(), D, nullptr, nc);
        for (int64_t i = 0; i < static_cast<int64_t>(cn) * D; ++i) xc[i] += nc[i];
      }
    }

    if (!opts.want_logits || last != L - 1) return {};
    std::vector<float> hn(static_cast<size_t>(D));
    cpu::rmsnorm(x.data() + static_cast<int64_t>(T - 1) * D, 1, D, m.final_norm.data.data(), c.rms_eps, hn.data());
    FVec logits(MemCat::Activations, static_cast<size_t>(c.vocab_size));
    cpu::matmul(hn.data(), 1, D, m.output_weight().data.data(), c.vocab_size, nullptr, logits.data());
    return logits.vec();
  }
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

}  // namespace gem
