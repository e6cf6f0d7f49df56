#include "model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace gem {

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu, man = h & 0x3FFu;
  uint32_t bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else {  // subnormal: man * 2^-24, exact in fp32
      float f = std::ldexp(static_cast<float>(man), -24);
      std::memcpy(&bits, &f, 4);
      bits |= sign;
    }
  } else if (exp == 31) {
    bits = sign | 0x7F800000u | (man << 13);  // inf / nan
  } else {
    bits = sign | ((exp + 112u) << 23) | (man << 13);
  }
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

void widen_16bit(const uint16_t* src, bool bf16, int64_t n, float* dst) {
  if (bf16)
    for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_float(src[i]);
  else
    for (int64_t i = 0; i < n; ++i) dst[i] = half_to_float(src[i]);
}

void panel_row_values(const float* f32, const uint16_t* h16, bool bf16, int64_t cols, int64_t r, int64_t c0, int64_t n,
                      float* dst) {
  const int64_t at = ((r / 16) * cols + c0) * 16 + r % 16;  // element (r, c) at ((r / 16)·cols + c)·16 + r % 16
  if (f32)
    for (int64_t i = 0; i < n; ++i) dst[i] = f32[at + i * 16];
  else if (bf16)
    for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_float(h16[at + i * 16]);
  else
    for (int64_t i = 0; i < n; ++i) dst[i] = half_to_float(h16[at + i * 16]);
}

void Tensor::values(int64_t begin, int64_t n, float* dst) const {
  if (panels16) {  // row by row
    const int64_t cols = shape[1];
    for (int64_t done = 0; done < n;) {
      const int64_t r = (begin + done) / cols, c = (begin + done) % cols, m = std::min(n - done, cols - c);
      panel_row_values(kept16() ? nullptr : data.data(), half.data(), dtype == "BF16", cols, r, c, m, dst + done);
      done += m;
    }
  } else if (kept16()) {
    widen_16bit(half.data() + begin, dtype == "BF16", n, dst);
  } else {
    std::memcpy(dst, data.data() + begin, static_cast<size_t>(n) * sizeof(float));
  }
}

namespace {
template <class F>
void for_each_tensor(const Model& m, F&& f) {
  f(m.embed);
  f(m.final_norm);
  f(m.lm_head);  // empty when tied
  for (const auto& l : m.layers) {
    for (const Tensor* t : {&l.attn_norm, &l.wq, &l.wk, &l.wv, &l.wo, &l.bq, &l.bk, &l.bv, &l.mlp_norm, &l.w_gate,
                            &l.w_up, &l.w_down})
      f(*t);
  }
}
}  // namespace

int64_t Model::weight_bytes() const {
  int64_t b = 0;
  for_each_tensor(*this, [&](const Tensor& t) { b += static_cast<int64_t>(t.bytes()); });
  return b;
}

int64_t Model::parameter_count() const {
  int64_t n = 0;
  for_each_tensor(*this, [&](const Tensor& t) { n += t.empty() ? 0 : t.numel(); });
  return n;
}

std::string Model::weight_dtype() const {
  int kept = 0, wide = 0;
  std::string dt;
  for_each_tensor(*this, [&](const Tensor& t) {
    if (t.shape.size() != 2 || t.empty()) return;  // the matrices (norms and biases are fp32 always)
    if (t.kept16()) {
      ++kept;
      if (dt.empty()) dt = t.dtype;
      else if (dt != t.dtype) dt = "mixed";
    } else {
      ++wide;
    }
  });
  if (kept == 0) return "f32";
  if (wide > 0 || dt == "mixed") return "mixed";
  return dt == "BF16" ? "bf16" : "f16";
}

}  // namespace gem
