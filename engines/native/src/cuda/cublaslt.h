// cuBLASLt loaded at run time (dlopen), so that building the runner needs no cuBLAS and a machine without it gets a
// clear error instead of a loader failure. Search order: $GEMBENCH_CUBLASLT (a path), libcublasLt.so.13,
// libcublasLt.so.12 (the dynamic loader's search path), then /usr/local/cuda/lib64/libcublasLt.so.{13,12}.
#pragma once
#include <string>
#include <vector>

#include "cublaslt_api.h"

// Every function the backend calls; the table, the loader and the host test are generated from this list.
#define GEM_CUBLASLT_FUNCTIONS(X)                                                                                    \
  X(cublasLtGetVersion) X(cublasLtGetCudartVersion) X(cublasLtGetStatusString) X(cublasLtCreate) X(cublasLtDestroy) \
  X(cublasLtMatmulDescCreate) X(cublasLtMatmulDescDestroy) X(cublasLtMatmulDescSetAttribute)                        \
  X(cublasLtMatrixLayoutCreate) X(cublasLtMatrixLayoutDestroy) X(cublasLtMatrixLayoutSetAttribute)                  \
  X(cublasLtMatmulPreferenceCreate) X(cublasLtMatmulPreferenceDestroy) X(cublasLtMatmulPreferenceSetAttribute)      \
  X(cublasLtMatmulAlgoGetHeuristic) X(cublasLtMatmul)

namespace gem {
namespace cuda {

// The oldest cuBLASLt accepted (cublasLtGetVersion: major·10000 + minor·100 + patch): 12.0, the first with the
// sm_90 kernels and the library names we look for.
constexpr size_t kMinCublasLtVersion = 120000;

struct CublasLt {
#define GEM_LT_MEMBER(f) decltype(&::f) f = nullptr;
  GEM_CUBLASLT_FUNCTIONS(GEM_LT_MEMBER)
#undef GEM_LT_MEMBER
  std::string path;     // the file that was loaded
  size_t version = 0;   // cublasLtGetVersion()
  void* lib = nullptr;  // dlopen handle (never closed: the library lives as long as the process)
};

// Loads the library (search order above; `explicit_path` non-empty: only that file), resolves every function and
// checks the version. Throws RunnerError("unsupported", …) naming what was tried and why it failed.
CublasLt load_cublaslt(const std::string& explicit_path = "");
// The process-wide instance, loaded on first use (thread-safe).
const CublasLt& cublaslt();
// The names in the table, in order (for the host test and the GPU check's environment probe).
std::vector<std::string> cublaslt_symbol_names();
// "CUBLAS_STATUS_…" text for a status, from the library when loaded, else the number.
std::string cublaslt_status_string(lt::Status s);

}  // namespace cuda
}  // namespace gem
