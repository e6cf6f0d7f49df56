// The method registry: every method this build knows, in a fixed order (listed in the hello's capabilities), each
// with its one parameter spec.
#include "method.h"

namespace gem {

const std::vector<MethodEntry>& method_registry() {
  static const std::vector<MethodEntry> reg = {
      {kDenseSpec, make_dense}, {kGemFilterSpec, make_gemfilter}, {kSnapKVSpec, make_snapkv},
      {kH2OSpec, make_h2o},     {kRandomSpec, make_random},
      {kStreamingLLMSpec, make_streamingllm}, {kKNormSpec, make_knorm}, {kTovaSpec, make_tova}, {kObservedSpec, make_observed},
      {kPyramidKVSpec, make_pyramidkv}, {kChunkKVSpec, make_chunkkv}, {kAdaSnapKVSpec, make_adasnapkv},
  };
  return reg;
}

}  // namespace gem
