// GEMMs of the CUDA backend through cuBLASLt (loaded at run time, cublaslt.h): y[T][out] = x[T][in] · W[out][in]ᵀ,
// bf16 inputs, fp32 accumulation (CUBLAS_COMPUTE_32F), bf16 or fp32 output, a 32 MiB workspace (256 MiB for a shape
// whose heuristic finds nothing in 32: one retry, then a clear refusal).
#pragma once
#include <cuda_runtime.h>

#include <map>
#include <tuple>

#include "cublaslt.h"
#include "ops.h"

namespace gem {
namespace cuda {

class Gemm {
 public:
  // Loads cuBLASLt (RunnerError "unsupported" when missing/too old), creates the handle and the workspace.
  Gemm();
  ~Gemm();
  Gemm(const Gemm&) = delete;
  Gemm& operator=(const Gemm&) = delete;
  // y (bf16 or fp32 per y_f32) = x · Wᵀ; all device pointers, row-major.
  void run(const bf16* x, int T, int in, const bf16* W, int out, void* y, bool y_f32, cudaStream_t s);
  static constexpr size_t kWorkspaceBytes = 32u << 20;
  static constexpr size_t kLargeWorkspaceBytes = 256u << 20;

 private:
  struct Plan {
    lt::MatmulDesc desc = nullptr;
    lt::MatrixLayout a = nullptr, b = nullptr, c = nullptr;
    lt::HeuristicResult algo{};
    size_t workspace = 0;  // the workspace bytes the algorithm was chosen for
  };
  const Plan& plan(int T, int in, int out, bool y_f32, cudaStream_t s);
  void destroy(Plan& p);
  // The algorithm for p within `bytes` of workspace: the heuristic's status, found = whether it named one.
  lt::Status heuristic(Plan& p, size_t bytes, bool& found);
  const CublasLt& lt_;
  lt::Handle handle_ = nullptr;
  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;
  std::map<std::tuple<int, int, int, bool>, Plan> plans_;
};

}  // namespace cuda
}  // namespace gem
