// The Hugging Face format: config.json → ModelConfig, folder → Model (one uniform layout for every family), and the
// export of a Model back to a folder. Tensor names are those of transformers' LlamaForCausalLM / MistralForCausalLM /
// Qwen2ForCausalLM / Phi3ForCausalLM.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>

#include "model.h"
#include "json_reader.h"
#include "safetensors.h"

namespace gem {

namespace {

const std::vector<std::string> kFamilies = {"llama", "mistral", "qwen2", "phi3"};

const char* kUnsupportedHint = "gembench's runner implements llama, mistral, qwen2 and phi3 as transformers does, without this option";

// Typed reads of a config file's keys: errors name the file, the key and what was expected (model_error).
JsonReader config_reader(const Json& j, const std::string& where) {
  return JsonReader(j, "model_error", [where](const std::string& key) { return where + ": " + key; },
                    "fix config.json (it must match the checkpoint's architecture)");
}

// config.json, generation_config.json and the shard index are small; 64 MiB bounds a wrong file given in their place.
constexpr uint64_t kMaxJsonFileBytes = 64ull << 20;

Json read_json_file(const std::string& path) {
  try {
    Json j = Json::parse(read_regular_file(path, kMaxJsonFileBytes));
    if (!j.is_object()) throw RunnerError("model_error", path + ": expected a JSON object", "is this a Hugging Face config file?");
    return j;
  } catch (const JsonError& e) {
    throw RunnerError("model_error", path + ": not valid JSON: " + e.what(), "the file is damaged or not a JSON file");
  }
}

// Something is at `p` (a file, or a FIFO / device / folder that the reader then refuses by name).
bool file_exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
}

bool dir_exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string layer_name(int l, const std::string& rest) { return "model.layers." + std::to_string(l) + "." + rest; }

std::vector<int64_t> shape2(int64_t a, int64_t b) { return {a, b}; }

// Rows [r0, r0 + rows) of a [R, C] tensor, in its storage (fp32 or 16-bit kept).
Tensor row_slice(const Tensor& t, int64_t r0, int64_t rows) {
  Tensor o;
  const int64_t cols = t.shape[1];
  o.shape = {rows, cols};
  o.dtype = t.dtype;
  if (t.kept16()) o.half.assign(t.half.begin() + r0 * cols, t.half.begin() + (r0 + rows) * cols);
  else o.data.assign(t.data.begin() + r0 * cols, t.data.begin() + (r0 + rows) * cols);
  return o;
}

// The parts stacked by rows, in fp32 (export's fused phi3 projections).
Tensor row_concat(const std::vector<const Tensor*>& parts) {
  Tensor o;
  int64_t rows = 0;
  for (const Tensor* p : parts) {
    const int64_t n = p->numel();
    o.data.resize(o.data.size() + static_cast<size_t>(n));
    p->values(0, n, o.data.data() + o.data.size() - n);
    rows += p->shape[0];
  }
  o.shape = {rows, parts.front()->shape[1]};
  return o;
}

}  // namespace

int64_t fp32_weight_bytes(const ModelConfig& c) {
  const int64_t D = c.hidden_size, H = c.num_heads, G = c.num_kv_heads, d = c.head_dim, I = c.intermediate_size;
  int64_t per_layer = 2 * D + D * H * d + 2 * D * G * d + H * d * D + 3 * D * I;
  if (c.qkv_bias) per_layer += H * d + 2 * G * d;
  int64_t n = static_cast<int64_t>(c.vocab_size) * D * (c.tie_embeddings ? 1 : 2) + D + per_layer * c.num_layers;
  return n * 4;
}

void check_host_memory(int64_t bytes, const std::string& what, const std::string& kind) {
  std::ifstream f("/proc/meminfo");
  std::string key;
  int64_t kb = -1;
  while (f >> key) {
    if (key == "MemAvailable:") {
      f >> kb;
      break;
    }
    f.ignore(1 << 20, '\n');
  }
  if (kb < 0) return;  // unknown: let the allocation decide
  const double gib = 1024.0 * 1024.0 * 1024.0;
  if (static_cast<double>(bytes) > 0.9 * static_cast<double>(kb) * 1024.0) {
    char msg[256];
    std::snprintf(msg, sizeof msg, "%s needs %.2f GiB of %s weights in host memory; %.2f GiB are available", what.c_str(),
                  static_cast<double>(bytes) / gib, kind.c_str(), static_cast<double>(kb) * 1024.0 / gib);
    throw RunnerError("out_of_memory", msg,
                      "the cpu backend keeps fp32 weights (a BF16 / F16 checkpoint's matrices in their 16-bit dtype): shrink a "
                      "synthetic preset with overrides (e.g. num_hidden_layers), or run on a GPU with the cuda backend");
  }
}

const std::vector<std::string>& hf_config_keys() {
  static const std::vector<std::string> keys = {
      "model_type", "hidden_act", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
      "num_attention_heads", "num_key_value_heads", "head_dim", "max_position_embeddings", "rms_norm_eps",
      "tie_word_embeddings", "eos_token_id", "bos_token_id", "use_sliding_window", "sliding_window", "attention_bias",
      "mlp_bias", "partial_rotary_factor", "rope_parameters", "rope_scaling", "rope_theta",
      "original_max_position_embeddings"};
  return keys;
}

ModelConfig parse_hf_config(const Json& cfg, const std::string& where) {
  if (!cfg.is_object()) throw RunnerError("model_error", where + ": expected a JSON object", "");
  const JsonReader r = config_reader(cfg, where);
  ModelConfig c;
  c.model_type = r.string_or("model_type", "");
  if (std::find(kFamilies.begin(), kFamilies.end(), c.model_type) == kFamilies.end())
    throw RunnerError("model_error", where + ": unknown model_type '" + c.model_type + "'",
                      "supported model_type values: llama, mistral, qwen2, phi3");
  const std::string act = r.string_or("hidden_act", "silu");
  if (act != "silu") r.fail("hidden_act", "= '" + act + "' (only silu, the SwiGLU MLP, is implemented)", "unsupported", kUnsupportedHint);

  c.vocab_size = static_cast<int>(r.integer("vocab_size", 1, 2147483647));
  c.hidden_size = static_cast<int>(r.integer("hidden_size", 1, 2147483647));
  c.intermediate_size = static_cast<int>(r.integer("intermediate_size", 1, 2147483647));
  c.num_layers = static_cast<int>(r.integer("num_hidden_layers", 1, 2147483647));
  c.num_heads = static_cast<int>(r.integer("num_attention_heads", 1, 2147483647));
  c.num_kv_heads = static_cast<int>(r.integer_or("num_key_value_heads", c.num_heads, 1, 2147483647));
  if (c.num_heads % c.num_kv_heads != 0)
    r.fail("num_key_value_heads", "= " + std::to_string(c.num_kv_heads) + " does not divide num_attention_heads = " + std::to_string(c.num_heads));
  if (r.present("head_dim")) {
    c.head_dim = static_cast<int>(r.integer("head_dim", 2, 2147483647));
  } else {
    if (c.hidden_size % c.num_heads != 0)
      r.fail("hidden_size", "= " + std::to_string(c.hidden_size) + " is not a multiple of num_attention_heads and head_dim is not given");
    c.head_dim = c.hidden_size / c.num_heads;
  }
  if (c.head_dim % 2 != 0) r.fail("head_dim", "= " + std::to_string(c.head_dim) + " must be even (RoPE rotates pairs)");
  {
    // Each size is < 2^31, but their products (weight counts, fp32_weight_bytes) must stay far inside int64.
    const double D = c.hidden_size, H = c.num_heads, G = c.num_kv_heads, d = c.head_dim, I = c.intermediate_size;
    const double params = c.num_layers * (2 * D + 2 * D * (H + G) * d + 3 * D * I + (H + 2 * G) * d) + 2.0 * c.vocab_size * D + D;
    if (params * 4 > 1e18)
      r.fail("hidden_size", "and the other sizes describe " + std::to_string(params) + " parameters, far beyond any real model (a typo?)");
  }
  c.max_positions = static_cast<int>(r.integer("max_position_embeddings", 1, 2147483647));
  c.rms_eps = r.positive("rms_norm_eps", 1e-6);  // > 0: an all-zero hidden state (a zero pad embedding) would divide by 0
  c.tie_embeddings = r.boolean("tie_word_embeddings", false);
  c.eos_ids = r.token_ids("eos_token_id");
  std::vector<int> bos = r.token_ids("bos_token_id");
  c.bos_id = bos.empty() ? -1 : bos.front();
  for (int id : c.eos_ids)
    if (id >= c.vocab_size) r.fail("eos_token_id", "holds " + std::to_string(id) + ", not below vocab_size " + std::to_string(c.vocab_size));
  if (c.bos_id >= c.vocab_size) r.fail("bos_token_id", "= " + std::to_string(c.bos_id) + " is not below vocab_size " + std::to_string(c.vocab_size));

  // Family specifics.
  if (c.model_type == "qwen2") {
    c.qkv_bias = true;
    if (r.boolean("use_sliding_window", false)) c.sliding_window = static_cast<int>(r.integer_or("sliding_window", 0, 1, 2147483647));
  } else {
    if (r.boolean("attention_bias", false)) r.fail("attention_bias", "= true (biased q/k/v/o projections)", "unsupported", kUnsupportedHint);
    if (r.boolean("mlp_bias", false)) r.fail("mlp_bias", "= true (biased MLP projections)", "unsupported", kUnsupportedHint);
    if (c.model_type != "llama" && r.present("sliding_window")) c.sliding_window = static_cast<int>(r.integer("sliding_window", 1, 2147483647));
  }
  if (c.model_type == "phi3" && r.number("partial_rotary_factor", 1.0) != 1.0)
    r.fail("partial_rotary_factor", "≠ 1 (partial rotary embeddings)", "unsupported", kUnsupportedHint);
  if (c.sliding_window >= c.max_positions) c.sliding_window = 0;  // a window as long as the context changes nothing

  // RoPE: rope_theta + rope_scaling (transformers 4.x) or rope_parameters (transformers 5.x).
  const bool v5 = r.present("rope_parameters");
  const Json empty = Json::object();
  const Json& rs = v5 ? r.raw("rope_parameters") : (r.present("rope_scaling") ? r.raw("rope_scaling") : empty);
  if (!rs.is_object()) r.fail(v5 ? "rope_parameters" : "rope_scaling", "must be an object or null");
  const JsonReader s = config_reader(rs, where + " " + (v5 ? "rope_parameters" : "rope_scaling"));
  c.rope_theta = v5 ? s.number("rope_theta", r.number("rope_theta", 10000.0)) : r.number("rope_theta", 10000.0);
  if (!(c.rope_theta > 1)) r.fail("rope_theta", "= " + std::to_string(c.rope_theta) + " must be a finite number > 1");
  std::string type = s.string_or("rope_type", s.string_or("type", "default"));
  if (type == "default") {
    c.rope.type = "none";
  } else if (type == "linear") {
    c.rope.type = "linear";
    c.rope.factor = s.positive("factor", 1.0);  // positions are divided by it
  } else if (type == "llama3") {
    c.rope.type = "llama3";
    c.rope.factor = s.number("factor", 0);
    c.rope.low_freq_factor = s.number("low_freq_factor", 0);
    c.rope.high_freq_factor = s.number("high_freq_factor", 0);
    c.rope.original_max_positions = static_cast<int>(s.integer("original_max_position_embeddings", 1, 2147483647));
    if (!(c.rope.factor > 0) || !(c.rope.low_freq_factor > 0) || !(c.rope.high_freq_factor > c.rope.low_freq_factor))
      s.fail("factor / low_freq_factor / high_freq_factor", "must be positive with high_freq_factor > low_freq_factor");
  } else if (type == "longrope" || type == "su") {
    c.rope.type = "longrope";
    const size_t half = static_cast<size_t>(c.head_dim / 2);
    c.rope.short_factor = s.positives("short_factor", half);
    c.rope.long_factor = s.positives("long_factor", half);
    // As transformers' _compute_longrope_parameters: with original_max_position_embeddings in config.json, the
    // scaling factor is max_position_embeddings / original; otherwise original = max_position_embeddings.
    double factor;
    if (r.present("original_max_position_embeddings") || s.present("original_max_position_embeddings")) {
      c.rope.original_max_positions = static_cast<int>(r.present("original_max_position_embeddings")
                                                           ? r.integer("original_max_position_embeddings", 1, 2147483647)
                                                           : s.integer("original_max_position_embeddings", 1, 2147483647));
      factor = static_cast<double>(c.max_positions) / c.rope.original_max_positions;
    } else {
      c.rope.original_max_positions = c.max_positions;
      factor = s.positive("factor", 1.0);
    }
    c.rope.factor = factor;
    if (s.present("attention_factor")) c.rope.attention_factor = s.positive("attention_factor", 1.0);
    else c.rope.attention_factor = factor <= 1.0 ? 1.0 : std::sqrt(1.0 + std::log(factor) / std::log(static_cast<double>(c.rope.original_max_positions)));
  } else {
    s.fail("rope_type", "= '" + type + "' (implemented: default, linear, llama3, longrope/su)", "unsupported", kUnsupportedHint);
  }
  return c;
}

namespace {

// Where each tensor lives: one model.safetensors, or the shards named by model.safetensors.index.json.
class CheckpointReader {
 public:
  explicit CheckpointReader(const std::string& dir) : dir_(dir) {
    const std::string single = dir + "/model.safetensors", index = dir + "/model.safetensors.index.json";
    if (file_exists(index)) {
      Json idx = read_json_file(index);
      const Json& wm = idx["weight_map"];
      if (!wm.is_object()) throw RunnerError("model_error", index + ": weight_map is missing or not an object", "re-download the index file");
      for (const auto& kv : wm.as_object()) {
        if (!kv.second.is_string()) throw RunnerError("model_error", index + ": weight_map['" + kv.first + "'] is not a file name", "re-download the index file");
        const std::string& file = kv.second.as_string();
        if (!inside_folder(file))
          throw RunnerError("model_error", index + ": weight_map['" + kv.first + "'] = '" + file + "' is not a file inside the model folder",
                            "shards are named relative to the folder (model-00001-of-00004.safetensors); absolute paths and '..' are refused");
        where_[kv.first] = file;
      }
      index_ = index;
    } else if (file_exists(single)) {
      files_[single] = std::make_unique<SafetensorsFile>(single);
      for (const auto& kv : files_[single]->tensors()) where_[kv.first] = "model.safetensors";
    } else {
      const bool bin = file_exists(dir + "/pytorch_model.bin") || file_exists(dir + "/pytorch_model.bin.index.json");
      throw RunnerError("model_error", dir + ": no model.safetensors or model.safetensors.index.json",
                        bin ? "this folder has PyTorch .bin weights only: convert them to safetensors first"
                            : "give a Hugging Face model folder (config.json + *.safetensors)");
    }
  }

  bool has(const std::string& name) const { return where_.count(name) > 0; }

  // Refuses a checkpoint holding tensors that were never read: weights the config does not describe (5 layers stored,
  // num_hidden_layers 3) mean config.json is not this checkpoint's, and loading part of it would give garbage.
  // Not counted: rotary inv_freq buffers (recomputed from the config) and a stored lm_head when the embedding is tied
  // (transformers ties it over whatever is stored).
  void check_all_used(bool tied) const {
    std::vector<std::string> unused;
    for (const auto& kv : where_) {
      const std::string& n = kv.first;
      if (used_.count(n) > 0) continue;
      static const std::string inv_freq = ".rotary_emb.inv_freq";
      if (n.size() >= inv_freq.size() && n.compare(n.size() - inv_freq.size(), inv_freq.size(), inv_freq) == 0) continue;
      if (tied && n == "lm_head.weight") continue;
      unused.push_back(n);
    }
    if (unused.empty()) return;
    std::string list;
    for (size_t i = 0; i < unused.size() && i < 5; ++i) list += (i ? ", " : "") + unused[i];
    if (unused.size() > 5) list += ", … (" + std::to_string(unused.size()) + " in all)";
    throw RunnerError("model_error", (index_.empty() ? dir_ + "/model.safetensors" : index_) + " holds " + std::to_string(unused.size()) +
                                         " tensor" + (unused.size() > 1 ? "s" : "") + " that config.json does not use: " + list,
                      "config.json does not describe this checkpoint (num_hidden_layers? tie_word_embeddings? model_type?)");
  }

  Tensor read(const std::string& name, const std::vector<int64_t>& shape, bool keep16 = false) {
    used_.insert(name);
    return file_of(name).read(name, shape, keep16);
  }

  // The stored dtype of tensor `name` ("" when the checkpoint has no such tensor; read() then names it).
  std::string dtype_of(const std::string& name) {
    if (!has(name)) return "";
    const SafetensorsFile& f = file_of(name);
    return f.tensors().at(name).dtype;
  }

 private:
  const SafetensorsFile& file_of(const std::string& name) {
    auto it = where_.find(name);
    if (it == where_.end())
      throw RunnerError("model_error", dir_ + ": tensor '" + name + "' is missing" + (index_.empty() ? "" : " from " + index_),
                        "the checkpoint does not match config.json (wrong model_type, or an incomplete download)");
    const std::string path = dir_ + "/" + it->second;
    auto f = files_.find(path);
    if (f == files_.end()) {
      if (!file_exists(path))
        throw RunnerError("model_error", index_ + " names " + it->second + " for tensor '" + name + "', which does not exist",
                          "a shard is missing: re-download the model");
      f = files_.emplace(path, std::make_unique<SafetensorsFile>(path)).first;
    }
    return *f->second;
  }

  // A relative path with no '..' component: a file in the folder or below it.
  static bool inside_folder(const std::string& file) {
    if (file.empty() || file[0] == '/' || file.find('\0') != std::string::npos) return false;
    size_t start = 0;
    while (start <= file.size()) {
      size_t end = file.find('/', start);
      if (end == std::string::npos) end = file.size();
      if (file.compare(start, end - start, "..") == 0 && end - start == 2) return false;
      start = end + 1;
    }
    return true;
  }

  std::string dir_, index_;
  std::map<std::string, std::string> where_;  // tensor → file name
  std::set<std::string> used_;                // tensors read
  std::map<std::string, std::unique_ptr<SafetensorsFile>> files_;
};

}  // namespace

namespace {
std::string strip_slashes(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}
}  // namespace

ModelConfig read_hf_folder_config(const std::string& dir_in, Json* raw) {
  const std::string dir = strip_slashes(dir_in);
  if (!dir_exists(dir)) throw RunnerError("model_error", "model folder " + dir + " does not exist", "give the path of a Hugging Face model folder, or synthetic:<preset>");
  const std::string cfg_path = dir + "/config.json";
  if (!file_exists(cfg_path)) throw RunnerError("model_error", dir + ": no config.json", "give a Hugging Face model folder (config.json + *.safetensors)");
  *raw = read_json_file(cfg_path);
  ModelConfig c = parse_hf_config(*raw, cfg_path);
  const std::string gen_path = dir + "/generation_config.json";
  if (file_exists(gen_path)) {  // generate() stops on these too (Llama 3.1 lists three eos ids here)
    Json gen = read_json_file(gen_path);
    const JsonReader g = config_reader(gen, gen_path);
    for (int id : g.token_ids("eos_token_id")) {
      if (id >= c.vocab_size) g.fail("eos_token_id", "holds " + std::to_string(id) + ", not below vocab_size " + std::to_string(c.vocab_size));
      if (std::find(c.eos_ids.begin(), c.eos_ids.end(), id) == c.eos_ids.end()) c.eos_ids.push_back(id);
    }
  }
  return c;
}

Model load_hf_folder(const std::string& dir_in, bool keep16) {
  const std::string dir = strip_slashes(dir_in);
  Model m;
  m.source = dir;
  m.config = read_hf_folder_config(dir, &m.hf_config);
  const ModelConfig& c = m.config;
  CheckpointReader ck(dir);
  // The memory the weights will take: half the fp32 bytes when a 16-bit checkpoint is kept as it is (its dtype read
  // from the embedding's entry; the small norms and biases are not worth counting apart).
  const std::string dt = ck.dtype_of("model.embed_tokens.weight");
  const bool half = keep16 && (dt == "BF16" || dt == "F16");
  check_host_memory(fp32_weight_bytes(c) / (half ? 2 : 1), dir, half ? dt : "fp32");

  const int64_t D = c.hidden_size, H = c.num_heads, G = c.num_kv_heads, d = c.head_dim, I = c.intermediate_size;
  auto mat = [&](const std::string& name, std::vector<int64_t> shape) { return ck.read(name, shape, keep16); };
  m.embed = mat("model.embed_tokens.weight", shape2(c.vocab_size, D));
  m.final_norm = ck.read("model.norm.weight", {D});
  if (!c.tie_embeddings) {
    if (!ck.has("lm_head.weight"))
      throw RunnerError("model_error", dir + ": tensor 'lm_head.weight' is missing and tie_word_embeddings is false",
                        "set tie_word_embeddings: true in config.json if the output head shares the embedding");
    m.lm_head = mat("lm_head.weight", shape2(c.vocab_size, D));
  }
  for (int l = 0; l < c.num_layers; ++l) {
    LayerWeights w;
    w.attn_norm = ck.read(layer_name(l, "input_layernorm.weight"), {D});
    w.mlp_norm = ck.read(layer_name(l, "post_attention_layernorm.weight"), {D});
    w.wo = mat(layer_name(l, "self_attn.o_proj.weight"), shape2(D, H * d));
    w.w_down = mat(layer_name(l, "mlp.down_proj.weight"), shape2(D, I));
    if (c.model_type == "phi3") {
      Tensor qkv = mat(layer_name(l, "self_attn.qkv_proj.weight"), shape2((H + 2 * G) * d, D));
      w.wq = row_slice(qkv, 0, H * d);
      w.wk = row_slice(qkv, H * d, G * d);
      w.wv = row_slice(qkv, (H + G) * d, G * d);
      Tensor gu = mat(layer_name(l, "mlp.gate_up_proj.weight"), shape2(2 * I, D));
      w.w_gate = row_slice(gu, 0, I);  // transformers' Phi3MLP: gate, up = gate_up_proj(x).chunk(2)
      w.w_up = row_slice(gu, I, I);
    } else {
      w.wq = mat(layer_name(l, "self_attn.q_proj.weight"), shape2(H * d, D));
      w.wk = mat(layer_name(l, "self_attn.k_proj.weight"), shape2(G * d, D));
      w.wv = mat(layer_name(l, "self_attn.v_proj.weight"), shape2(G * d, D));
      w.w_gate = mat(layer_name(l, "mlp.gate_proj.weight"), shape2(I, D));
      w.w_up = mat(layer_name(l, "mlp.up_proj.weight"), shape2(I, D));
    }
    if (c.qkv_bias) {
      w.bq = ck.read(layer_name(l, "self_attn.q_proj.bias"), {H * d});
      w.bk = ck.read(layer_name(l, "self_attn.k_proj.bias"), {G * d});
      w.bv = ck.read(layer_name(l, "self_attn.v_proj.bias"), {G * d});
    }
    m.layers.push_back(std::move(w));
  }
  ck.check_all_used(c.tie_embeddings);
  return m;
}

ExportResult export_hf_folder(const Model& m, const std::string& dir, bool overwrite, bool bf16) {
  const ModelConfig& c = m.config;
  if (!dir_exists(dir)) {
    // mkdir -p
    std::string cur;
    for (size_t i = 0; i <= dir.size(); ++i) {
      if (i == dir.size() || dir[i] == '/') {
        if (!cur.empty() && !dir_exists(cur) && ::mkdir(cur.c_str(), 0755) != 0)
          throw RunnerError("bad_request", "export: cannot create " + cur + ": " + std::strerror(errno), "choose a writable folder");
      }
      if (i < dir.size()) cur += dir[i];
    }
  } else if (!overwrite && (file_exists(dir + "/config.json") || file_exists(dir + "/model.safetensors"))) {
    throw RunnerError("bad_request", "export: " + dir + " already holds a model", "choose an empty folder, or pass \"overwrite\": true");
  }
  ExportResult res;
  Json cfg = m.hf_config;
  cfg.set("torch_dtype", bf16 ? "bfloat16" : "float32");
  static const std::map<std::string, std::string> arch = {
      {"llama", "LlamaForCausalLM"}, {"mistral", "MistralForCausalLM"}, {"qwen2", "Qwen2ForCausalLM"}, {"phi3", "Phi3ForCausalLM"}};
  Json archs = Json::array();
  archs.push(arch.at(c.model_type));
  cfg.set("architectures", archs);
  // generation_config.json's eos ids were merged into the config at load: keep them all.
  if (c.eos_ids.size() > 1) cfg.set("eos_token_id", Json::array_of(c.eos_ids));
  {
    const std::string p = dir + "/config.json";
    std::ofstream f(p, std::ios::trunc);
    f << cfg.dump() << "\n";
    f.close();
    if (!f) throw RunnerError("bad_request", "export: writing " + p + " failed", "disk full?");
    res.files.push_back(p);
    res.bytes += static_cast<int64_t>(cfg.dump().size() + 1);
  }
  std::map<std::string, const Tensor*> t;
  std::vector<std::unique_ptr<Tensor>> fused;  // phi3's qkv_proj / gate_up_proj, rebuilt
  t["model.embed_tokens.weight"] = &m.embed;
  t["model.norm.weight"] = &m.final_norm;
  if (!c.tie_embeddings) t["lm_head.weight"] = &m.lm_head;
  for (int l = 0; l < c.num_layers; ++l) {
    const LayerWeights& w = m.layers[static_cast<size_t>(l)];
    t[layer_name(l, "input_layernorm.weight")] = &w.attn_norm;
    t[layer_name(l, "post_attention_layernorm.weight")] = &w.mlp_norm;
    t[layer_name(l, "self_attn.o_proj.weight")] = &w.wo;
    t[layer_name(l, "mlp.down_proj.weight")] = &w.w_down;
    if (c.model_type == "phi3") {
      fused.push_back(std::make_unique<Tensor>(row_concat({&w.wq, &w.wk, &w.wv})));
      t[layer_name(l, "self_attn.qkv_proj.weight")] = fused.back().get();
      fused.push_back(std::make_unique<Tensor>(row_concat({&w.w_gate, &w.w_up})));
      t[layer_name(l, "mlp.gate_up_proj.weight")] = fused.back().get();
    } else {
      t[layer_name(l, "self_attn.q_proj.weight")] = &w.wq;
      t[layer_name(l, "self_attn.k_proj.weight")] = &w.wk;
      t[layer_name(l, "self_attn.v_proj.weight")] = &w.wv;
      t[layer_name(l, "mlp.gate_proj.weight")] = &w.w_gate;
      t[layer_name(l, "mlp.up_proj.weight")] = &w.w_up;
    }
    if (c.qkv_bias) {
      t[layer_name(l, "self_attn.q_proj.bias")] = &w.bq;
      t[layer_name(l, "self_attn.k_proj.bias")] = &w.bk;
      t[layer_name(l, "self_attn.v_proj.bias")] = &w.bv;
    }
  }
  const std::string p = dir + "/model.safetensors";
  res.bytes += write_safetensors(p, t, bf16);
  res.files.push_back(p);
  return res;
}

}  // namespace gem
