#include "model.h"

namespace gem {

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
  for_each_tensor(*this, [&](const Tensor& t) { n += static_cast<int64_t>(t.data.size()); });
  return n;
}

}  // namespace gem
