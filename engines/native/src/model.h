// The model as the compute side sees it: a normalised config and fp32 weights in one uniform layout for every
// family (fused phi3 projections are split by the loader; tied embeddings point lm_head at the embedding).
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace gem {

// Structured error: every failure the protocol reports carries a code, a message and a hint.
struct RunnerError : std::runtime_error {
  std::string code, hint;
  RunnerError(std::string code_, const std::string& message, std::string hint_ = "")
      : std::runtime_error(message), code(std::move(code_)), hint(std::move(hint_)) {}
};

struct RopeScaling {
  std::string type = "none";        // none | linear | llama3 | longrope (phi3 "su"/"longrope")
  double factor = 1.0;              // linear, llama3, longrope
  double low_freq_factor = 1.0;     // llama3
  double high_freq_factor = 4.0;    // llama3
  int original_max_positions = 0;   // llama3, longrope (original_max_position_embeddings)
  std::vector<double> short_factor; // longrope, head_dim/2 entries
  std::vector<double> long_factor;  // longrope, head_dim/2 entries
  double attention_factor = 1.0;    // longrope: multiplies cos/sin (sqrt(1 + ln(s)/ln(orig)) unless given)
};

struct ModelConfig {
  std::string model_type;  // as in config.json: llama | mistral | qwen2 | phi3
  int vocab_size = 0;
  int hidden_size = 0;
  int num_layers = 0;
  int num_heads = 0;     // query heads H
  int num_kv_heads = 0;  // G; H % G == 0
  int head_dim = 0;      // d (explicit head_dim, else hidden/heads)
  int intermediate_size = 0;
  int max_positions = 0;  // max_position_embeddings
  double rms_eps = 1e-5;
  double rope_theta = 10000.0;
  RopeScaling rope;
  bool tie_embeddings = false;
  bool qkv_bias = false;  // qwen2
  std::vector<int> eos_ids;
  int bos_id = -1;  // -1 when absent
};

// Row-major fp32 tensor. Linear weights keep the Hugging Face layout [out_features, in_features].
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
  int64_t numel() const {
    int64_t n = 1;
    for (auto s : shape) n *= s;
    return n;
  }
  size_t bytes() const { return data.size() * sizeof(float); }
};

struct LayerWeights {
  Tensor attn_norm;              // [hidden]
  Tensor wq, wk, wv, wo;         // [H*d, hidden], [G*d, hidden], [G*d, hidden], [hidden, H*d]
  Tensor bq, bk, bv;             // qwen2 only ([H*d], [G*d], [G*d]); empty otherwise
  Tensor mlp_norm;               // [hidden]
  Tensor w_gate, w_up, w_down;   // [I, hidden], [I, hidden], [hidden, I]
};

struct Model {
  ModelConfig config;
  std::string source;  // folder path or "synthetic:<preset>"
  Tensor embed;        // [vocab, hidden]
  Tensor final_norm;   // [hidden]
  Tensor lm_head;      // [vocab, hidden]; empty when config.tie_embeddings (use embed)
  std::vector<LayerWeights> layers;
  const Tensor& output_weight() const { return config.tie_embeddings ? embed : lm_head; }
  int64_t weight_bytes() const;  // all tensors above
  int64_t parameter_count() const;
};

}  // namespace gem
