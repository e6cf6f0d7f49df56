#include "backend.h"

namespace gem {

std::unique_ptr<Backend> make_cpu_backend();
#if GEM_CUDA
std::unique_ptr<Backend> make_cuda_backend(int device);
#endif

void Backend::load(const LoadSpec& spec) {
  unload();  // free the old model before building the new one
  adopt(std::make_unique<Model>(spec.synthetic() ? make_synthetic(spec.model.substr(10), spec.overrides, spec.seed)
                                                 : load_hf_folder(spec.model, keeps_16bit_weights())));
}

std::vector<std::string> backend_names() {
#if GEM_CUDA
  return {"cpu", "cuda"};
#else
  return {"cpu"};
#endif
}

std::unique_ptr<Backend> make_backend(const std::string& name, int device) {
  if (name == "cpu") return make_cpu_backend();
#if GEM_CUDA
  if (name == "cuda") return make_cuda_backend(device);
#else
  (void)device;
#endif
  std::string names;
  for (const auto& n : backend_names()) names += (names.empty() ? "" : ", ") + n;
  throw RunnerError("unsupported", "backend '" + name + "' is not built into this runner (backends: " + names + ")",
                    name == "cuda" ? "this runner was built without CUDA (no nvcc at build time): use --devices cpu, or "
                                     "rebuild on a machine with the CUDA toolkit"
                                   : "use --backend cpu");
}

}  // namespace gem
