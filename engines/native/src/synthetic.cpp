// synthetic:<preset> — the exact architecture of a real model (its config.json), with seeded random weights, so that
// speed and memory can be measured and methods tested with nothing downloaded. Overrides (any config.json key)
// shrink or vary a preset; the result goes through the same config parser as a real folder.
//
// Weights (documented so that every backend, and anyone else, can reproduce them bit for bit):
//   mix(z)   = splitmix64's finaliser: z = (z ^ z>>30)·0xBF58476D1CE4E5B9; z = (z ^ z>>27)·0x94D049BB133111EB; z ^ z>>31
//   stream   = mix(seed ^ fnv1a64(name))            name = the transformers tensor name in the split layout
//                                                    (model.layers.N.self_attn.q_proj.weight, … mlp.gate_proj.weight;
//                                                    phi3 too: its fused tensors are only formed on export)
//   u[i]     = (mix(stream + (i+1)·0x9E3779B97F4A7C15) >> 40) · 2^-24 · 2 − 1   ∈ [−1, 1), exact in fp32
//   value[i] = scale · u[i] (+ 1 for norm weights), i = row-major element index, computed in fp32 as a rounded
//              product then a rounded sum (no fused multiply-add: a GPU port must use __fmul_rn / __fadd_rn)
// scales: embeddings √3 (unit variance); a linear layer [out, in] √(3/in) (unit-variance outputs for unit inputs);
// lm_head √(3/hidden); q/k/v biases 0.5; RMSNorm weights 1 + 0.1·u.
#include <algorithm>
#include <cmath>
#include <map>

#include "cpu/kernels.h"
#include "cuda/synthetic_gen.h"
#include "model.h"
#include "retrieval_model.h"

namespace gem {

namespace {

// The presets' config.json, as published for the real models (eos ids from their generation_config.json).
const std::map<std::string, std::string>& presets() {
  static const std::map<std::string, std::string> p = {
      {"llama-3.1-8b", R"({"model_type":"llama","vocab_size":128256,"hidden_size":4096,"intermediate_size":14336,
        "num_hidden_layers":32,"num_attention_heads":32,"num_key_value_heads":8,"max_position_embeddings":131072,
        "rms_norm_eps":1e-5,"rope_theta":500000.0,"rope_scaling":{"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,
        "high_freq_factor":4.0,"original_max_position_embeddings":8192},"tie_word_embeddings":false,"hidden_act":"silu",
        "bos_token_id":128000,"eos_token_id":[128001,128008,128009]})"},
      {"mistral-nemo-12b", R"({"model_type":"mistral","vocab_size":131072,"hidden_size":5120,"intermediate_size":14336,
        "num_hidden_layers":40,"num_attention_heads":32,"num_key_value_heads":8,"head_dim":128,
        "max_position_embeddings":1024000,"rms_norm_eps":1e-5,"rope_theta":1000000.0,"sliding_window":null,
        "tie_word_embeddings":false,"hidden_act":"silu","bos_token_id":1,"eos_token_id":2})"},
      {"phi-3.5-mini", R"({"model_type":"phi3","vocab_size":32064,"hidden_size":3072,"intermediate_size":8192,
        "num_hidden_layers":32,"num_attention_heads":32,"num_key_value_heads":32,"max_position_embeddings":131072,
        "original_max_position_embeddings":4096,"rms_norm_eps":1e-5,"rope_theta":10000.0,"sliding_window":262144,
        "rope_scaling":{"type":"longrope","long_factor":[1.0800000429153442,1.1100000143051147,1.1399999856948853,
        1.340000033378601,1.5899999141693115,1.600000023841858,1.6200000047683716,2.620000123977661,3.2300000190734863,
        3.2300000190734863,4.789999961853027,7.400000095367432,7.700000286102295,9.09000015258789,12.199999809265137,
        17.670000076293945,24.46000099182129,28.57000160217285,30.420001983642578,30.840002059936523,32.590003967285156,
        32.93000411987305,42.320003509521484,44.96000289916992,50.340003967285156,50.45000457763672,57.55000305175781,
        57.93000411987305,58.21000289916992,60.1400032043457,62.61000442504883,62.62000274658203,62.71000289916992,
        63.1400032043457,63.1400032043457,63.77000427246094,63.93000411987305,63.96000289916992,63.970001220703125,
        64.02999877929688,64.06999969482422,64.08000183105469,64.12000274658203,64.41000366210938,64.4800033569336,
        64.51000213623047,64.52999877929688,64.83999633789062],"short_factor":[1.0,1.0199999809265137,1.0299999713897705,
        1.0299999713897705,1.0499999523162842,1.0499999523162842,1.0499999523162842,1.0499999523162842,1.0499999523162842,
        1.0699999332427979,1.0999999046325684,1.1099998950958252,1.1599998474121094,1.1599998474121094,1.1699998378753662,
        1.2899998426437378,1.339999794960022,1.679999828338623,1.7899998426437378,1.8199998140335083,1.8499997854232788,
        1.8799997568130493,1.9099997282028198,1.9399996995925903,1.9899996519088745,2.0199997425079346,2.0199997425079346,
        2.0199997425079346,2.0199997425079346,2.0199997425079346,2.0199997425079346,2.0299997329711914,2.0299997329711914,
        2.0299997329711914,2.0299997329711914,2.0299997329711914,2.0299997329711914,2.0299997329711914,2.0299997329711914,
        2.0299997329711914,2.0799996852874756,2.0899996757507324,2.189999580383301,2.2199995517730713,2.5899994373321533,
        2.729999542236328,2.749999523162842,2.8399994373321533]},"tie_word_embeddings":false,"hidden_act":"silu",
        "bos_token_id":1,"eos_token_id":[32000,32001,32007],"pad_token_id":32000})"},
      {"qwen2.5-7b", R"({"model_type":"qwen2","vocab_size":152064,"hidden_size":3584,"intermediate_size":18944,
        "num_hidden_layers":28,"num_attention_heads":28,"num_key_value_heads":4,"max_position_embeddings":131072,
        "rms_norm_eps":1e-6,"rope_theta":1000000.0,"use_sliding_window":false,"sliding_window":131072,
        "max_window_layers":28,"tie_word_embeddings":false,"hidden_act":"silu","bos_token_id":151643,"eos_token_id":151643})"},
      // Tiny presets for tests: one per family, each exercising its family's peculiarity; vocab 259 is exactly the
      // built-in byte-level tokenizer (3 specials + 256 bytes), so every generated id decodes.
      {"tiny-llama", R"({"model_type":"llama","vocab_size":259,"hidden_size":64,"intermediate_size":128,
        "num_hidden_layers":4,"num_attention_heads":4,"num_key_value_heads":2,"max_position_embeddings":2048,
        "rms_norm_eps":1e-5,"rope_theta":10000.0,"rope_scaling":{"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,
        "high_freq_factor":4.0,"original_max_position_embeddings":256},"tie_word_embeddings":false,"hidden_act":"silu",
        "bos_token_id":1,"eos_token_id":2})"},
      {"tiny-mistral", R"({"model_type":"mistral","vocab_size":259,"hidden_size":64,"intermediate_size":160,
        "num_hidden_layers":4,"num_attention_heads":4,"num_key_value_heads":1,"head_dim":24,"max_position_embeddings":4096,
        "rms_norm_eps":1e-5,"rope_theta":1000000.0,"sliding_window":null,"tie_word_embeddings":false,"hidden_act":"silu",
        "bos_token_id":1,"eos_token_id":2})"},
      {"tiny-qwen2", R"({"model_type":"qwen2","vocab_size":259,"hidden_size":64,"intermediate_size":128,
        "num_hidden_layers":4,"num_attention_heads":4,"num_key_value_heads":2,"max_position_embeddings":4096,
        "rms_norm_eps":1e-6,"rope_theta":1000000.0,"use_sliding_window":false,"sliding_window":4096,
        "tie_word_embeddings":true,"hidden_act":"silu","bos_token_id":1,"eos_token_id":2})"},
      {"tiny-phi3", R"({"model_type":"phi3","vocab_size":259,"hidden_size":64,"intermediate_size":128,
        "num_hidden_layers":4,"num_attention_heads":4,"num_key_value_heads":4,"max_position_embeddings":2048,
        "original_max_position_embeddings":64,"rms_norm_eps":1e-5,"rope_theta":10000.0,
        "rope_scaling":{"type":"longrope","short_factor":[1.0,1.1,1.3,1.6,2.0,2.5,3.0,3.5],
        "long_factor":[1.5,2.5,4.0,6.0,9.0,14.0,20.0,28.0]},"tie_word_embeddings":false,"hidden_act":"silu",
        "bos_token_id":1,"eos_token_id":2,"pad_token_id":0})"},
      // The real head sizes at test widths (GQA, 3 layers), so that the end-to-end GPU tests reach the tensor-core
      // attention kernels: head_dim 64 (mma.sync) and 128 (Hopper on sm_90, mma.sync elsewhere; q width 512 ≠ hidden
      // 256, as in Mistral-Nemo).
      {"tiny-llama-d64", R"({"model_type":"llama","vocab_size":259,"hidden_size":256,"intermediate_size":384,
        "num_hidden_layers":3,"num_attention_heads":4,"num_key_value_heads":2,"max_position_embeddings":4096,
        "rms_norm_eps":1e-5,"rope_theta":500000.0,"tie_word_embeddings":false,"hidden_act":"silu",
        "bos_token_id":1,"eos_token_id":2})"},
      {"tiny-mistral-d128", R"({"model_type":"mistral","vocab_size":259,"hidden_size":256,"intermediate_size":512,
        "num_hidden_layers":3,"num_attention_heads":4,"num_key_value_heads":2,"head_dim":128,"max_position_embeddings":4096,
        "rms_norm_eps":1e-5,"rope_theta":1000000.0,"sliding_window":null,"tie_word_embeddings":false,"hidden_act":"silu",
        "bos_token_id":1,"eos_token_id":2})"},
      // The quick start's model: small enough for a 2-core CPU at a few thousand tokens.
      {"small-llama", R"({"model_type":"llama","vocab_size":259,"hidden_size":256,"intermediate_size":688,
        "num_hidden_layers":4,"num_attention_heads":8,"num_key_value_heads":2,"max_position_embeddings":8192,
        "rms_norm_eps":1e-5,"rope_theta":10000.0,"tie_word_embeddings":false,"hidden_act":"silu",
        "bos_token_id":1,"eos_token_id":2})"},
      // small-llama at head_dim 128 (the full-size models' head size): the cpu speed bench's second shape.
      {"wide-llama", R"({"model_type":"llama","vocab_size":259,"hidden_size":1024,"intermediate_size":2816,
        "num_hidden_layers":4,"num_attention_heads":8,"num_key_value_heads":2,"max_position_embeddings":16384,
        "rms_norm_eps":1e-5,"rope_theta":10000.0,"tie_word_embeddings":false,"hidden_act":"silu",
        "bos_token_id":1,"eos_token_id":2})"},
      // Written (not trained) weights that retrieve key → value pairs: retrieval_model.cpp, RETRIEVAL-MODEL.md.
      {kRetrievalPreset, retrieval_config_json()},
  };
  return p;
}

Tensor seeded(const std::string& name, std::vector<int64_t> shape, uint64_t seed, float scale, float offset = 0.0f) {
  Tensor t;
  t.shape = std::move(shape);
  const int64_t n = t.numel();
  t.data.resize(static_cast<size_t>(n));
  const uint64_t stream = synthetic_stream(seed, name);
  float* out = t.data.data();
  cpu::parallel_for(n, static_cast<double>(n) * 8, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = synthetic_value(stream, i, scale, offset);
  });
  return t;
}

}  // namespace

uint64_t synthetic_stream(uint64_t seed, const std::string& name) {
  uint64_t h = 0xCBF29CE484222325ULL;  // fnv1a64(name)
  for (unsigned char ch : name) {
    h ^= ch;
    h *= 0x100000001B3ULL;
  }
  return synthetic_mix(seed ^ h);
}

std::vector<std::string> synthetic_preset_names() {
  std::vector<std::string> names;
  for (const auto& kv : presets()) names.push_back(kv.first);
  return names;
}

Json synthetic_config(const std::string& preset, const Json& overrides) {
  auto it = presets().find(preset);
  if (it == presets().end()) {
    std::string names;
    for (const auto& n : synthetic_preset_names()) names += (names.empty() ? "" : ", ") + n;
    throw RunnerError("model_error", "unknown synthetic preset '" + preset + "'", "presets: " + names);
  }
  Json cfg = Json::parse(it->second);
  if (!overrides.is_null()) {
    if (!overrides.is_object()) throw RunnerError("bad_request", "overrides must be an object of config.json keys", "e.g. {\"num_hidden_layers\": 2}");
    // A key nobody reads would be silently ignored (a typo like "num_hidden_layer" then runs the full-size preset).
    const auto& known = hf_config_keys();
    for (const auto& kv : overrides.as_object()) {
      if (!cfg.has(kv.first) && std::find(known.begin(), known.end(), kv.first) == known.end()) {
        std::string names;
        for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
        throw RunnerError("bad_request", "overrides: unknown config.json key '" + kv.first + "' for synthetic:" + preset,
                          "keys the runner reads: " + names);
      }
    }
    for (const auto& kv : overrides.as_object()) cfg.set(kv.first, kv.second);
  }
  return cfg;
}

Model synthetic_skeleton(const std::string& preset, const Json& overrides) {
  Model m;
  m.source = "synthetic:" + preset;
  m.hf_config = synthetic_config(preset, overrides);
  m.config = parse_hf_config(m.hf_config, m.source + (overrides.is_null() || overrides.size() == 0 ? "" : " (with overrides)"));
  m.layers.resize(static_cast<size_t>(m.config.num_layers));
  return m;
}

std::vector<SyntheticTensor> synthetic_tensors(const ModelConfig& c) {
  const int64_t D = c.hidden_size, H = c.num_heads, G = c.num_kv_heads, d = c.head_dim, I = c.intermediate_size, V = c.vocab_size;
  const float lin = std::sqrt(3.0f / static_cast<float>(D));
  std::vector<SyntheticTensor> out;
  auto top = [&](const std::string& name, std::vector<int64_t> shape, float scale, float offset, Tensor Model::*slot) {
    SyntheticTensor t;
    t.name = name;
    t.shape = std::move(shape);
    t.scale = scale;
    t.offset = offset;
    t.top = slot;
    out.push_back(std::move(t));
  };
  top("model.embed_tokens.weight", {V, D}, std::sqrt(3.0f), 0.0f, &Model::embed);
  top("model.norm.weight", {D}, 0.1f, 1.0f, &Model::final_norm);
  if (!c.tie_embeddings) top("lm_head.weight", {V, D}, lin, 0.0f, &Model::lm_head);
  for (int l = 0; l < c.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    auto layer = [&](const std::string& name, std::vector<int64_t> shape, float scale, float offset, Tensor LayerWeights::*slot) {
      SyntheticTensor t;
      t.name = p + name;
      t.shape = std::move(shape);
      t.scale = scale;
      t.offset = offset;
      t.layer = l;
      t.member = slot;
      out.push_back(std::move(t));
    };
    layer("input_layernorm.weight", {D}, 0.1f, 1.0f, &LayerWeights::attn_norm);
    layer("post_attention_layernorm.weight", {D}, 0.1f, 1.0f, &LayerWeights::mlp_norm);
    layer("self_attn.q_proj.weight", {H * d, D}, lin, 0.0f, &LayerWeights::wq);
    layer("self_attn.k_proj.weight", {G * d, D}, lin, 0.0f, &LayerWeights::wk);
    layer("self_attn.v_proj.weight", {G * d, D}, lin, 0.0f, &LayerWeights::wv);
    layer("self_attn.o_proj.weight", {D, H * d}, std::sqrt(3.0f / static_cast<float>(H * d)), 0.0f, &LayerWeights::wo);
    if (c.qkv_bias) {
      layer("self_attn.q_proj.bias", {H * d}, 0.5f, 0.0f, &LayerWeights::bq);
      layer("self_attn.k_proj.bias", {G * d}, 0.5f, 0.0f, &LayerWeights::bk);
      layer("self_attn.v_proj.bias", {G * d}, 0.5f, 0.0f, &LayerWeights::bv);
    }
    layer("mlp.gate_proj.weight", {I, D}, lin, 0.0f, &LayerWeights::w_gate);
    layer("mlp.up_proj.weight", {I, D}, lin, 0.0f, &LayerWeights::w_up);
    layer("mlp.down_proj.weight", {D, I}, std::sqrt(3.0f / static_cast<float>(I)), 0.0f, &LayerWeights::w_down);
  }
  return out;
}

Model make_synthetic(const std::string& preset, const Json& overrides, uint64_t seed) {
  if (preset == kRetrievalPreset) return make_retrieval_model("synthetic:" + preset, synthetic_config(preset, overrides));
  Model m = synthetic_skeleton(preset, overrides);
  check_host_memory(fp32_weight_bytes(m.config), m.source);
  for (const SyntheticTensor& t : synthetic_tensors(m.config)) {
    Tensor& dst = t.layer < 0 ? m.*t.top : m.layers[static_cast<size_t>(t.layer)].*t.member;
    dst = seeded(t.name, t.shape, seed, t.scale, t.offset);
  }
  return m;
}

}  // namespace gem
