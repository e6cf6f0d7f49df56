// The method registry: every method this build knows, in a fixed order (listed in the hello's capabilities).
#include "method.h"

namespace gem {

std::unique_ptr<Method> make_dense(const Json& params, const ModelConfig& cfg);
std::unique_ptr<Method> make_gemfilter(const Json& params, const ModelConfig& cfg);
std::unique_ptr<Method> make_snapkv(const Json& params, const ModelConfig& cfg);
std::unique_ptr<Method> make_h2o(const Json& params, const ModelConfig& cfg);
std::unique_ptr<Method> make_random(const Json& params, const ModelConfig& cfg);

const std::vector<MethodEntry>& method_registry() {
  static const std::vector<MethodEntry> reg = {
      {"dense", make_dense}, {"gemfilter", make_gemfilter}, {"snapkv", make_snapkv},
      {"h2o", make_h2o},     {"random", make_random},
  };
  return reg;
}

std::vector<std::string> method_names() {
  std::vector<std::string> names;
  for (const auto& e : method_registry()) names.push_back(e.name);
  return names;
}

}  // namespace gem
