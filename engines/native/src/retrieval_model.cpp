// synthetic:retrieval-tiny — a Llama model whose weights are written by a documented construction instead of trained,
// so that it solves long-context key→value retrieval (passkey, multi-key NIAH) exactly, and whose last layer — the
// induction layer, GemFilter's filter layer — scores the needle's chunk and the prompt's cue highest. The full
// description (circuit, parameters, margins, limits, measured accuracy) is engines/native/RETRIEVAL-MODEL.md; the
// constants below are named after it.
//
// It is a plain Llama (RMSNorm, RoPE with rotate_half pairs (i, i + d/2), attention with 3 query / 3 KV heads of
// head_dim 256, SwiGLU MLP, untied lm_head) over the built-in byte-level vocabulary (0 <pad>, 1 <s>, 2 </s>, byte b →
// b + 3), run by the same code as every other model and exportable as a Hugging Face folder.
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>

#include "model.h"
#include "retrieval_model.h"

namespace gem {

namespace {

// ---- shape ----
constexpr int kHidden = 384, kHeads = 3, kHeadDim = 256, kLayers = 3, kInter = 384, kVocab = 259;
constexpr int kHalf = kHeadDim / 2;     // RoPE pairs (f, f + 128)
constexpr double kTheta = 1e24;         // rope_theta: pairs 0..13 fast (positional heads), 32..127 ≈ frozen (content)
constexpr int kMaxPositions = 8192;     // the positional heads' margin is checked up to here (see positional_margin)

// ---- residual layout ----
constexpr int kConst = 0;                       // a constant direction, value kC at every position
constexpr int kCode = 16;                       // byte codes: 16-dim ±1 vectors
constexpr int kSlots = 16;                      // slot j holds the code of the byte at offset j (t − j)
constexpr int slot(int j) { return 1 + kCode * j; }
constexpr int kBag = slot(kSlots);              // 96 bag channels: counts of '\n' and bytes 32..126 among the last 16
constexpr int kBagChannels = 96;
constexpr int kOut = kBag + kBagChannels;       // 16 dims: the code of the byte to emit, read by lm_head
static_assert(kOut + kCode <= kHidden, "layout exceeds hidden size");

// ---- constants of the construction ----
constexpr double kC = 64.0;           // the constant direction dominates every norm: RMSNorm divides all positions alike
constexpr double kBagUnit = 0.25;     // one count in a bag channel
constexpr int kFastPairs = 14;        // positional heads: pairs 0..13, weights kRho^f
constexpr double kRho = 0.74;
constexpr double kPosLogit = 140.0;   // A: score = A·Σ w_f cos(θ_f (Δ − i)), Σ w = 1; min gap 0.18 → ≥ 25 logits
constexpr int kSlowPair0 = 32;        // first content pair: θ_32 · 8192 = 0.008 rad
constexpr double kMatchLogit = 1.0;   // induction: logits per unit of code dot product (a matching byte = 16·weight)
constexpr double kReadout = 2.0;      // lm_head: the copied byte's logit is 16·kReadout, any other ≤ 4·kReadout
constexpr double kBagRaw = 2000.0;    // GemFilter helper (bag head): raw q·k per rarity-weighted common count
constexpr double kRecentRaw = 3000.0; // GemFilter helper (recency head): raw q·k at the last position

// Induction query weights per slot j (query slot j ↔ key slot j + 1): the last 8 bytes count fully, the 4 before half.
double induction_weight(int j) { return j < 8 ? 1.0 : 0.5; }

// The byte a bag channel counts: channel 0 '\n', channels 1..95 bytes 32..126.
int channel_byte(int ch) { return ch == 0 ? '\n' : ch + 31; }

// Rarity weight of a byte in the bag similarity (an IDF-like weight from English letter frequencies, written here so
// the model does not depend on any corpus): space and the most frequent letters count little, rare letters, capitals,
// digits and punctuation count more.
double rarity(int byte) {
  // Approximate relative frequencies (%) of lowercase letters in English text (Lewand, Cryptological Mathematics).
  static const double letter[26] = {8.2, 1.5, 2.8, 4.3, 12.7, 2.2, 2.0, 6.1, 7.0, 0.15, 0.77, 4.0, 2.4,
                                    6.7, 7.5, 1.9, 0.095, 6.0, 6.3, 9.1, 2.8, 0.98, 2.4, 0.15, 2.0, 0.074};
  double pct;
  if (byte == ' ' || byte == '\n') pct = 18.0;
  else if (byte >= 'a' && byte <= 'z') pct = letter[byte - 'a'];
  else if (byte >= 'A' && byte <= 'Z') pct = 0.05 * letter[byte - 'A'] + 0.1;  // capitals: sentence starts, names
  else if (byte >= '0' && byte <= '9') pct = 0.2;
  else pct = 0.5;  // punctuation and symbols
  return std::min(5.66, std::pow(pct, -0.625));  // 0.16 (space) … 5.66 (rarest)
}

// ---- byte codes: a Kerdock set of real mutually unbiased bases in R^16 ----
// Code (k, a, σ) has entries σ·(−1)^(Q_k(x) + a·x), x ∈ GF(2)^4, where Q_k(x) = Σ_{i<j} B_k[i][j] x_i x_j and the 8
// alternating matrices B_k have pairwise nonsingular differences (Pfaffian 1). Then two codes of one basis are
// orthogonal (a ≠ a') or antipodal, and codes of different bases have |dot| = 4: every mismatch costs ≥ 12 of the
// 16 a match gives. Byte b < 128 → (k, a) = (b / 16, b % 16), σ = +1; byte b ≥ 128 → the antipode of byte b − 128.
using Code = std::array<float, kCode>;

std::array<int, 8> kerdock_set() {
  // An alternating 4×4 matrix over GF(2) as 6 bits (b01 b02 b03 b12 b13 b23); nonsingular iff its Pfaffian
  // b01·b23 + b02·b13 + b03·b12 is 1. Depth-first search for 8 matrices (the first is 0) with nonsingular differences.
  auto pf = [](int m) { return (((m >> 0) & 1) & ((m >> 5) & 1)) ^ (((m >> 1) & 1) & ((m >> 4) & 1)) ^ (((m >> 2) & 1) & ((m >> 3) & 1)); };
  std::array<int, 8> set{};
  int n = 1;
  std::function<bool(int)> grow = [&](int from) {
    if (n == 8) return true;
    for (int m = from; m < 64; ++m) {
      bool ok = true;
      for (int i = 0; i < n && ok; ++i) ok = pf(m ^ set[i]) == 1;
      if (!ok) continue;
      set[n++] = m;
      if (grow(m + 1)) return true;
      --n;
    }
    return false;
  };
  if (!grow(1)) throw RunnerError("internal", "retrieval model: no Kerdock set found");
  return set;
}

const std::array<Code, 256>& byte_codes() {
  static const std::array<Code, 256> codes = [] {
    const std::array<int, 8> ks = kerdock_set();
    std::array<Code, 256> out{};
    for (int b = 0; b < 128; ++b) {
      const int B = ks[b / 16], a = b % 16;
      for (int x = 0; x < 16; ++x) {
        const int x0 = x & 1, x1 = (x >> 1) & 1, x2 = (x >> 2) & 1, x3 = (x >> 3) & 1;
        const int q = ((B >> 0) & 1 & x0 & x1) ^ ((B >> 1) & 1 & x0 & x2) ^ ((B >> 2) & 1 & x0 & x3) ^
                      ((B >> 3) & 1 & x1 & x2) ^ ((B >> 4) & 1 & x1 & x3) ^ ((B >> 5) & 1 & x2 & x3);
        const int ax = __builtin_popcount(static_cast<unsigned>(a & x)) & 1;
        out[b][x] = (q ^ ax) ? -1.0f : 1.0f;
        out[b + 128][x] = -out[b][x];
      }
    }
    return out;
  }();
  return codes;
}

double inv_freq(int f) { return std::pow(kTheta, -2.0 * f / kHeadDim); }
double pos_weight(int f) {
  double s = 0;
  for (int g = 0; g < kFastPairs; ++g) s += std::pow(kRho, g);
  return std::pow(kRho, f) / s;
}

// Nominal RMS of a layer's input (norm weights are 1): the constant direction, the slots filled so far (16 each), the
// bag (typical counts) and the output slot. Position-to-position variation is < 0.1% (the constant dominates).
double nominal_rms(int filled_slots, double bag_sq, bool out) {
  const double sq = kC * kC + kCode * filled_slots + kBagUnit * kBagUnit * bag_sq + (out ? kCode : 0);
  return std::sqrt(sq / kHidden + 1e-5);
}

Tensor zeros(std::vector<int64_t> shape) {
  Tensor t;
  t.shape = std::move(shape);
  t.data.assign(static_cast<size_t>(t.numel()), 0.0f);
  return t;
}
Tensor ones(int64_t n) {
  Tensor t = zeros({n});
  std::fill(t.data.begin(), t.data.end(), 1.0f);
  return t;
}
void set(Tensor& w, int64_t row, int64_t col, double v) { w.data[static_cast<size_t>(row * w.shape[1] + col)] = static_cast<float>(v); }

// Head-dim index of element m (0..15) of content block `b` (blocks of 8 slow pairs: dims f and f + 128).
int block_dim(int b, int m) {
  const int f = kSlowPair0 + 8 * b + (m % 8);
  return m < 8 ? f : f + kHalf;
}

// Positional head `h` attending to offset `i`: q and k from the constant direction in the fast pairs so that
// q·k/√d = A·Σ_f w_f cos(θ_f (t − s − i)), maximal at t − s = i.
void positional_head(LayerWeights& w, int h, int i, double rms) {
  const double x = kC / rms;  // the normalised constant
  for (int f = 0; f < kFastPairs; ++f) {
    const double amp = std::sqrt(static_cast<double>(kHeadDim)) * kPosLogit * pos_weight(f);
    set(w.wk, h * kHeadDim + f, kConst, 1.0 / x);
    set(w.wq, h * kHeadDim + f, kConst, amp * std::cos(inv_freq(f) * i) / x);
    set(w.wq, h * kHeadDim + f + kHalf, kConst, -amp * std::sin(inv_freq(f) * i) / x);
  }
}

// Smallest logit gap, over offsets d ≠ 0 from −16 to max_positions, between a positional head's target key and any
// other key: A·min_d Σ_f w_f (1 − cos θ_f d). The binding case is d = ±1 (25.1 logits); checked when the model is built.
double positional_margin(int max_positions) {
  double worst = 1e9;
  for (int d = -kSlots; d <= max_positions; ++d) {
    if (d == 0) continue;
    double g = 0;
    for (int f = 0; f < kFastPairs; ++f) g += pos_weight(f) * (1.0 - std::cos(inv_freq(f) * d));
    worst = std::min(worst, g);
  }
  return kPosLogit * worst;
}

}  // namespace

const char* const kRetrievalPreset = "retrieval-tiny";

std::string retrieval_config_json() {
  return R"({"model_type":"llama","vocab_size":259,"hidden_size":384,"intermediate_size":384,"num_hidden_layers":3,
    "num_attention_heads":3,"num_key_value_heads":3,"head_dim":256,"max_position_embeddings":8192,"rms_norm_eps":1e-5,
    "rope_theta":1e24,"attention_bias":false,"mlp_bias":false,"tie_word_embeddings":false,"hidden_act":"silu",
    "bos_token_id":1,"eos_token_id":2})";
}

Model make_retrieval_model(const std::string& source, const Json& hf_config) {
  Model m;
  m.source = source;
  m.hf_config = hf_config;
  m.config = parse_hf_config(hf_config, source);
  const ModelConfig& c = m.config;
  if (c.hidden_size != kHidden || c.num_heads != kHeads || c.num_kv_heads != kHeads || c.head_dim != kHeadDim ||
      c.num_layers != kLayers || c.intermediate_size != kInter || c.vocab_size != kVocab || c.rope_theta != kTheta) {
    throw RunnerError("bad_request", "synthetic:" + std::string(kRetrievalPreset) + ": its shape cannot be overridden",
                      "its weights are written for its exact shape; see engines/native/RETRIEVAL-MODEL.md");
  }
  // The positional heads must single out their offset at every distance the model accepts (≥ 24 logits).
  static const double margin = positional_margin(kMaxPositions);
  if (margin < 24.0) throw RunnerError("internal", "retrieval model: positional margin " + std::to_string(margin) + " < 24 logits");
  const auto& codes = byte_codes();
  const int64_t D = kHidden, HD = kHeads * kHeadDim;

  // Embedding: the constant plus the byte's code in slot 0; the specials carry only the constant.
  m.embed = zeros({kVocab, D});
  for (int id = 0; id < kVocab; ++id) {
    set(m.embed, id, kConst, kC);
    if (id >= 3) for (int e = 0; e < kCode; ++e) set(m.embed, id, slot(0) + e, codes[id - 3][e]);
  }

  const double r0 = nominal_rms(1, 0, false), r0m = nominal_rms(4, 0, false);
  const double r1 = nominal_rms(4, 4, false), r2 = nominal_rms(kSlots, 24, false), rf = nominal_rms(kSlots, 24, true);
  for (int l = 0; l < kLayers; ++l) {
    LayerWeights w;
    w.attn_norm = ones(D);
    w.mlp_norm = ones(D);
    w.wq = zeros({HD, D});
    w.wk = zeros({HD, D});
    w.wv = zeros({HD, D});
    w.wo = zeros({D, HD});
    w.w_gate = zeros({kInter, D});
    w.w_up = zeros({kInter, D});
    w.w_down = zeros({D, kInter});
    m.layers.push_back(std::move(w));
  }

  // Layer 0: heads copy the byte at offsets 1, 2, 3 into slots 1, 2, 3. MLP: one detector per (byte channel, slot
  // 0..3): gate = 2·(E(b)·slot − 10) is +12 for byte b and ≤ −12 otherwise; each firing adds one count to the bag.
  {
    LayerWeights& w = m.layers[0];
    for (int h = 0; h < kHeads; ++h) {
      positional_head(w, h, h + 1, r0);
      for (int e = 0; e < kCode; ++e) {
        set(w.wv, h * kHeadDim + e, slot(0) + e, 1.0);
        set(w.wo, slot(h + 1) + e, h * kHeadDim + e, r0);
      }
    }
    const double silu12 = 12.0 / (1.0 + std::exp(-12.0));
    for (int j = 0; j < 4; ++j) {
      for (int ch = 0; ch < kBagChannels; ++ch) {
        const int n = j * kBagChannels + ch;
        const Code& e = codes[channel_byte(ch)];
        for (int k = 0; k < kCode; ++k) set(w.w_gate, n, slot(j) + k, 2.0 * e[k] * r0m);
        set(w.w_gate, n, kConst, -20.0 * r0m / kC);
        set(w.w_up, n, kConst, r0m / kC);
        set(w.w_down, kBag + ch, n, kBagUnit / silu12);
      }
    }
  }

  // Layer 1: heads at offsets 4, 8, 12 copy slots 0..3 (and the 4-byte bag) of that position into slots 4..7, 8..11,
  // 12..15 (and add to the bag): slots 0..15 then hold bytes t..t−15 and the bag counts bytes t−15..t.
  {
    LayerWeights& w = m.layers[1];
    for (int h = 0; h < kHeads; ++h) {
      const int off = 4 * (h + 1);
      positional_head(w, h, off, r1);
      for (int e = 0; e < 4 * kCode; ++e) {
        set(w.wv, h * kHeadDim + e, slot(0) + e, 1.0);
        set(w.wo, slot(off) + e, h * kHeadDim + e, r1);
      }
      for (int ch = 0; ch < kBagChannels; ++ch) {
        set(w.wv, h * kHeadDim + 4 * kCode + ch, kBag + ch, 1.0);
        set(w.wo, kBag + ch, h * kHeadDim + 4 * kCode + ch, r1);
      }
    }
  }

  // Layer 2 (the induction layer, GemFilter's filter layer 2).
  {
    LayerWeights& w = m.layers[2];
    const double sd = std::sqrt(static_cast<double>(kHeadDim));
    // Head 0, induction: query = slots 0..11 at t, key = slots 1..12 at s (the 12 bytes before s), content pairs only;
    // value = the byte at s, written to the output slot.
    for (int j = 0; j < 12; ++j) {
      for (int e = 0; e < kCode; ++e) {
        set(w.wq, block_dim(j, e), slot(j) + e, sd * kMatchLogit * induction_weight(j) * r2);
        set(w.wk, block_dim(j, e), slot(j + 1) + e, r2);
      }
    }
    for (int e = 0; e < kCode; ++e) {
      set(w.wv, e, slot(0) + e, 1.0);
      set(w.wo, kOut + e, e, r2);
    }
    // Head 1, GemFilter helper (o_proj 0: no effect on outputs): rarity-weighted bag similarity between the last 16
    // bytes at t and the 16 bytes ending at s — high over the needle's cue and value and over the prompt's cue.
    for (int ch = 0; ch < kBagChannels; ++ch) {
      const int dim = block_dim(ch / kCode, ch % kCode);
      set(w.wk, kHeadDim + dim, kBag + ch, r2 / kBagUnit);
      set(w.wq, kHeadDim + dim, kBag + ch, kBagRaw * rarity(channel_byte(ch)) * r2 / kBagUnit);
    }
    // Head 2, GemFilter helper (o_proj 0): recency — the positional kernel at offset 0, raw q·k = kRecentRaw·g(t − s),
    // so that the prompt's last bytes (whose average pooling is pulled down by the zero padding) stay selected.
    const double x2 = kC / r2;
    for (int f = 0; f < kFastPairs; ++f) {
      set(w.wk, 2 * kHeadDim + f, kConst, 1.0 / x2);
      set(w.wq, 2 * kHeadDim + f, kConst, kRecentRaw * pos_weight(f) / x2);
    }
  }

  m.final_norm = ones(D);
  m.lm_head = zeros({kVocab, D});
  for (int b = 0; b < 256; ++b)
    for (int e = 0; e < kCode; ++e) set(m.lm_head, b + 3, kOut + e, kReadout * codes[b][e] * rf);
  return m;
}

}  // namespace gem
