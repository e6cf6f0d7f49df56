#include "cublaslt.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

#include "../model.h"

namespace gem {
namespace cuda {

namespace {

std::string version_text(size_t v) {
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

}  // namespace

std::vector<std::string> cublaslt_symbol_names() {
  std::vector<std::string> names;
#define GEM_LT_NAME(f) names.push_back(#f);
  GEM_CUBLASLT_FUNCTIONS(GEM_LT_NAME)
#undef GEM_LT_NAME
  return names;
}

CublasLt load_cublaslt(const std::string& explicit_path) {
  std::vector<std::string> candidates;
  const char* env = std::getenv("GEMBENCH_CUBLASLT");
  if (!explicit_path.empty()) {
    candidates.push_back(explicit_path);
  } else if (env && *env) {
    candidates.push_back(env);
  } else {
    candidates = {"libcublasLt.so.13", "libcublasLt.so.12", "/usr/local/cuda/lib64/libcublasLt.so.13",
                  "/usr/local/cuda/lib64/libcublasLt.so.12"};
  }
  const std::string hint =
      "install CUDA's cuBLAS (libcublasLt.so.13 or .so.12, e.g. the cuda-toolkit or the nvidia-cublas wheel) or set "
      "GEMBENCH_CUBLASLT=/path/to/libcublasLt.so";
  CublasLt lt;
  std::string tried;
  for (const auto& c : candidates) {
    dlerror();
    void* h = dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h) {
      lt.lib = h;
      lt.path = c;
      break;
    }
    const char* e = dlerror();
    tried += (tried.empty() ? "" : "; ") + c + ": " + (e ? e : "not found");
  }
  if (!lt.lib) throw RunnerError("unsupported", "the CUDA backend needs cuBLASLt, which could not be loaded (" + tried + ")", hint);
  std::string missing;
#define GEM_LT_RESOLVE(f)                                                       \
  lt.f = reinterpret_cast<decltype(&::f)>(dlsym(lt.lib, #f));                   \
  if (!lt.f) missing += (missing.empty() ? "" : ", ") + std::string(#f);
  GEM_CUBLASLT_FUNCTIONS(GEM_LT_RESOLVE)
#undef GEM_LT_RESOLVE
  if (!missing.empty()) {
    dlclose(lt.lib);
    throw RunnerError("unsupported", lt.path + " lacks cuBLASLt functions the CUDA backend calls: " + missing, hint);
  }
  lt.version = lt.cublasLtGetVersion();
  if (lt.version < kMinCublasLtVersion) {
    dlclose(lt.lib);
    throw RunnerError("unsupported",
                      lt.path + " is cuBLASLt " + version_text(lt.version) + "; the CUDA backend needs " +
                          version_text(kMinCublasLtVersion) + " or newer",
                      hint);
  }
  return lt;
}

const CublasLt& cublaslt() {
  static std::once_flag once;
  static CublasLt lt;
  static std::string error_code, error_message, error_hint;
  std::call_once(once, [] {
    try {
      lt = load_cublaslt();
    } catch (const RunnerError& e) {
      error_code = e.code;
      error_message = e.what();
      error_hint = e.hint;
    }
  });
  if (!lt.lib) throw RunnerError(error_code, error_message, error_hint);
  return lt;
}

std::string cublaslt_status_string(lt::Status s) {
  try {
    const char* t = cublaslt().cublasLtGetStatusString(s);
    if (t) return t;
  } catch (const RunnerError&) {
  }
  return "cuBLAS status " + std::to_string(static_cast<int>(s));
}

}  // namespace cuda
}  // namespace gem
