// The model as the compute side sees it: a normalised config and fp32 weights in one uniform layout for every
// family (fused phi3 projections are split by the loader; tied embeddings point lm_head at the embedding).
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "json.h"

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
  int sliding_window = 0;  // > 0: attention is windowed (not implemented: inputs must fit in the window)
  std::vector<int> eos_ids;
  int bos_id = -1;  // -1 when absent
};

// Row-major tensor on the host. Linear weights keep the Hugging Face layout [out_features, in_features]. `dtype` is
// the dtype it was stored in ("F32", "F16", "BF16", "F64"; synthetic weights are "F32"). The values are held either
// widened to fp32 in `data`, or — a BF16 / F16 matrix loaded for the cpu backend (load_hf_folder's keep16) — as the
// checkpoint's 16-bit values in `half` (`data` then empty), widened exactly to fp32 as the kernels read them, so both
// give the same results in half the memory. A backend that computes in a narrower type (cuda: bf16) converts from the
// fp32 values.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
  std::vector<uint16_t> half;
  std::string dtype = "F32";
  // A [rows][cols] matrix whose storage (data or half) holds 16 rows interleaved: [rows / 16][cols][16], element
  // (r, c) at ((r / 16)·cols + c)·16 + r % 16 — the layout the cpu fast kernels read W in (cpu/fast.h to_panels).
  bool panels16 = false;
  int64_t numel() const {
    int64_t n = 1;
    for (auto s : shape) n *= s;
    return n;
  }
  bool empty() const { return data.empty() && half.empty(); }
  bool kept16() const { return !half.empty(); }
  size_t bytes() const { return data.size() * sizeof(float) + half.size() * sizeof(uint16_t); }
  // Elements [begin, begin + n) (row-major order) as fp32 into dst (exact for every storage and layout).
  void values(int64_t begin, int64_t n, float* dst) const;
};

// The exact fp32 value of a 16-bit float (IEEE half, with subnormals) and of a bfloat16; widen_16bit: n of either
// (bf16 or IEEE half) into dst.
float half_to_float(uint16_t h);
void widen_16bit(const uint16_t* src, bool bf16, int64_t n, float* dst);
// Row r's columns [c0, c0 + n) of a [rows][cols] matrix in Tensor::panels16's layout as fp32: the storage is `f32`
// when it holds fp32 (non-null), else `h16` (bf16 when `bf16`, else IEEE half).
void panel_row_values(const float* f32, const uint16_t* h16, bool bf16, int64_t cols, int64_t r, int64_t c0, int64_t n,
                      float* dst);
inline float bf16_to_float(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float out;
  __builtin_memcpy(&out, &bits, 4);
  return out;
}

struct LayerWeights {
  Tensor attn_norm;              // [hidden]
  Tensor wq, wk, wv, wo;         // [H*d, hidden], [G*d, hidden], [G*d, hidden], [hidden, H*d]
  Tensor bq, bk, bv;             // qwen2 only ([H*d], [G*d], [G*d]); empty otherwise
  Tensor mlp_norm;               // [hidden]
  Tensor w_gate, w_up, w_down;   // [I, hidden], [I, hidden], [hidden, I]
};

struct Model {
  ModelConfig config;
  Json hf_config;      // the config.json object the config was parsed from (written back by export)
  std::string source;  // folder path or "synthetic:<preset>"
  Tensor embed;        // [vocab, hidden]
  Tensor final_norm;   // [hidden]
  Tensor lm_head;      // [vocab, hidden]; empty when config.tie_embeddings (use embed)
  std::vector<LayerWeights> layers;
  const Tensor& output_weight() const { return config.tie_embeddings ? embed : lm_head; }
  int64_t weight_bytes() const;  // all tensors above, as held (fp32 or 16-bit)
  // "f32", or the checkpoint's 16-bit dtype ("bf16" / "f16") when every matrix is kept in it (load_hf_folder's keep16),
  // "mixed" when some are.
  std::string weight_dtype() const;
  int64_t parameter_count() const;
};

// ---- Hugging Face format (hf_model.cpp) ----

// config.json (as a Json object; `where` names it in errors) → normalised config. Families: llama (rope_scaling
// linear / llama3), mistral (explicit head_dim, sliding_window), qwen2 (q/k/v bias, use_sliding_window), phi3
// (longrope / su). Throws RunnerError("model_error" | "unsupported") naming the key and what was expected.
ModelConfig parse_hf_config(const Json& cfg, const std::string& where);
// The config.json keys parse_hf_config reads (any other key of a real config.json is ignored, as transformers' own
// bookkeeping keys are; synthetic overrides must name one of these or a key of the preset).
const std::vector<std::string>& hf_config_keys();

// A Hugging Face folder's config: config.json + generation_config.json's eos ids (read, parsed, validated; no weights).
// `raw` receives config.json as read.
ModelConfig read_hf_folder_config(const std::string& dir, Json* raw);

// Loads a Hugging Face folder: its config (above), model.safetensors or the shards of model.safetensors.index.json;
// F32/F16/BF16 converted to fp32, or with `keep16` the BF16 / F16 matrices (embedding, projections, lm_head) kept in
// their 16-bit dtype (Tensor::half; norms and biases are always fp32); fused phi3 qkv_proj / gate_up_proj split.
Model load_hf_folder(const std::string& dir, bool keep16 = false);

// Writes `m` as a Hugging Face folder (config.json + model.safetensors, F32; phi3 projections fused again) that
// load_hf_folder and transformers load back to the same model. Returns the files written and their total bytes.
struct ExportResult {
  std::vector<std::string> files;
  int64_t bytes = 0;
};
ExportResult export_hf_folder(const Model& m, const std::string& dir, bool overwrite, bool bf16 = false);

// Bytes of fp32 weights a config needs (checked against free memory before anything is allocated).
int64_t fp32_weight_bytes(const ModelConfig& c);
// Throws RunnerError("out_of_memory") when `bytes` (of `kind` weights: "fp32", "BF16", …) exceed what the machine has
// available.
void check_host_memory(int64_t bytes, const std::string& what, const std::string& kind = "fp32");

// ---- synthetic models (synthetic.cpp) ----

std::vector<std::string> synthetic_preset_names();
// The preset's config.json with `overrides` (any config.json key) merged in; RunnerError for an unknown preset.
Json synthetic_config(const std::string& preset, const Json& overrides);
// The generator stream of one tensor: mix(seed ^ fnv1a64(name)) (values: synthetic_value in cuda/synthetic_gen.h).
uint64_t synthetic_stream(uint64_t seed, const std::string& name);
// synthetic_config, parsed, with seeded weights.
Model make_synthetic(const std::string& preset, const Json& overrides, uint64_t seed);
// make_synthetic's model before any weight: source, config.json, parsed config, one empty LayerWeights per layer.
Model synthetic_skeleton(const std::string& preset, const Json& overrides);
// One seeded tensor of a synthetic model: its transformers name (→ synthetic_stream), shape, value scale and offset
// (synthetic.cpp), and its place: `top` of the Model when layer < 0, else `member` of layers[layer].
struct SyntheticTensor {
  std::string name;
  std::vector<int64_t> shape;
  float scale = 0.0f, offset = 0.0f;
  int layer = -1;
  using ModelSlot = Tensor Model::*;
  using LayerSlot = Tensor LayerWeights::*;
  ModelSlot top = nullptr;
  LayerSlot member = nullptr;
};
// Every seeded tensor of config c, in generation order (make_synthetic fills them on the host; the cuda backend
// generates the same values on the device). Not for the retrieval preset, whose weights are written.
std::vector<SyntheticTensor> synthetic_tensors(const ModelConfig& c);

}  // namespace gem
