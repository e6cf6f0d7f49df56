#include "gemm.h"

#include "../model.h"

namespace gem {
namespace cuda {

namespace {
void lt_check(lt::Status s, const char* what) {
  if (s != lt::kSuccess) throw RunnerError("cuda_error", std::string("cuBLASLt ") + what + ": " + cublaslt_status_string(s));
}
}  // namespace

Gemm::Gemm() : lt_(cublaslt()) {
  lt_check(lt_.cublasLtCreate(&handle_), "cublasLtCreate");
  check(cudaMalloc(&workspace_, kWorkspaceBytes), "cudaMalloc (cuBLASLt workspace)");
}

Gemm::~Gemm() {
  for (auto& kv : plans_) {
    lt_.cublasLtMatrixLayoutDestroy(kv.second.a);
    lt_.cublasLtMatrixLayoutDestroy(kv.second.b);
    lt_.cublasLtMatrixLayoutDestroy(kv.second.c);
    lt_.cublasLtMatmulDescDestroy(kv.second.desc);
  }
  if (workspace_) cudaFree(workspace_);
  if (handle_) lt_.cublasLtDestroy(handle_);
}

// Column-major view (cuBLAS): x row-major [T][in] is in×T (ld in); W row-major [out][in] is in×out (ld in); y
// row-major [T][out] is out×T (ld out). So y = op(W)·x with op = transpose: m = out, n = T, k = in.
const Gemm::Plan& Gemm::plan(int T, int in, int out, bool y_f32) {
  const auto key = std::make_tuple(T, in, out, y_f32);
  auto it = plans_.find(key);
  if (it != plans_.end()) return it->second;
  Plan p;
  lt_check(lt_.cublasLtMatmulDescCreate(&p.desc, lt::kCompute32F, lt::kR32F), "MatmulDescCreate");
  const int32_t opT = lt::kOpT, opN = lt::kOpN;
  lt_check(lt_.cublasLtMatmulDescSetAttribute(p.desc, lt::kDescTransA, &opT, sizeof opT), "TRANSA");
  lt_check(lt_.cublasLtMatmulDescSetAttribute(p.desc, lt::kDescTransB, &opN, sizeof opN), "TRANSB");
  lt_check(lt_.cublasLtMatrixLayoutCreate(&p.a, lt::kR16BF, static_cast<uint64_t>(in), static_cast<uint64_t>(out), in), "layout A");
  lt_check(lt_.cublasLtMatrixLayoutCreate(&p.b, lt::kR16BF, static_cast<uint64_t>(in), static_cast<uint64_t>(T), in), "layout B");
  lt_check(lt_.cublasLtMatrixLayoutCreate(&p.c, y_f32 ? lt::kR32F : lt::kR16BF, static_cast<uint64_t>(out), static_cast<uint64_t>(T), out),
           "layout C");
  lt::Preference pref = nullptr;
  lt_check(lt_.cublasLtMatmulPreferenceCreate(&pref), "PreferenceCreate");
  const uint64_t ws = kWorkspaceBytes;
  lt_check(lt_.cublasLtMatmulPreferenceSetAttribute(pref, lt::kPrefMaxWorkspaceBytes, &ws, sizeof ws), "MAX_WORKSPACE_BYTES");
  int found = 0;
  const lt::Status st = lt_.cublasLtMatmulAlgoGetHeuristic(handle_, p.desc, p.a, p.b, p.c, p.c, pref, 1, &p.algo, &found);
  lt_.cublasLtMatmulPreferenceDestroy(pref);
  if (st != lt::kSuccess || found < 1)
    throw RunnerError("cuda_error", "cuBLASLt has no algorithm for a bf16 GEMM " + std::to_string(out) + "x" + std::to_string(T) + "x" +
                                        std::to_string(in) + " (" + cublaslt_status_string(st) + ")");
  return plans_.emplace(key, p).first->second;
}

void Gemm::run(const bf16* x, int T, int in, const bf16* W, int out, void* y, bool y_f32, cudaStream_t s) {
  if (T <= 0 || out <= 0) return;
  const Plan& p = plan(T, in, out, y_f32);
  const float alpha = 1.0f, beta = 0.0f;
  lt_check(lt_.cublasLtMatmul(handle_, p.desc, &alpha, W, p.a, x, p.b, &beta, y, p.c, y, p.c, &p.algo.algo, workspace_,
                              kWorkspaceBytes, reinterpret_cast<lt::Stream>(s)),
           "cublasLtMatmul");
}

}  // namespace cuda
}  // namespace gem
