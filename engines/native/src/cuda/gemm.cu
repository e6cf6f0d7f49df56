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
  workspace_bytes_ = kWorkspaceBytes;
}

Gemm::~Gemm() {
  for (auto& kv : plans_) destroy(kv.second);
  if (workspace_) cudaFree(workspace_);
  if (handle_) lt_.cublasLtDestroy(handle_);
}

void Gemm::destroy(Plan& p) {
  if (p.a) lt_.cublasLtMatrixLayoutDestroy(p.a);
  if (p.b) lt_.cublasLtMatrixLayoutDestroy(p.b);
  if (p.c) lt_.cublasLtMatrixLayoutDestroy(p.c);
  if (p.desc) lt_.cublasLtMatmulDescDestroy(p.desc);
  p = Plan{};
}

lt::Status Gemm::heuristic(Plan& p, size_t bytes, bool& found) {
  lt::Preference pref = nullptr;
  lt_check(lt_.cublasLtMatmulPreferenceCreate(&pref), "PreferenceCreate");
  const uint64_t ws = bytes;
  const lt::Status set = lt_.cublasLtMatmulPreferenceSetAttribute(pref, lt::kPrefMaxWorkspaceBytes, &ws, sizeof ws);
  int n = 0;
  const lt::Status st = set != lt::kSuccess ? set : lt_.cublasLtMatmulAlgoGetHeuristic(handle_, p.desc, p.a, p.b, p.c, p.c, pref, 1, &p.algo, &n);
  lt_.cublasLtMatmulPreferenceDestroy(pref);
  found = st == lt::kSuccess && n >= 1;
  if (found) p.workspace = bytes;
  return st;
}

// Column-major view (cuBLAS): x row-major [T][in] is in×T (ld in); W row-major [out][in] is in×out (ld in); y
// row-major [T][out] is out×T (ld out). So y = op(W)·x with op = transpose: m = out, n = T, k = in. A shape the
// heuristic finds no algorithm for within the 32 MiB workspace is asked again with 256 MiB (the workspace grows, on
// the device synchronised, never during a graph capture); then refused. A failed plan's descriptors are freed.
const Gemm::Plan& Gemm::plan(int T, int in, int out, bool y_f32, cudaStream_t s) {
  const auto key = std::make_tuple(T, in, out, y_f32);
  auto it = plans_.find(key);
  if (it != plans_.end()) return it->second;
  Plan p;
  try {
    lt_check(lt_.cublasLtMatmulDescCreate(&p.desc, lt::kCompute32F, lt::kR32F), "MatmulDescCreate");
    const int32_t opT = lt::kOpT, opN = lt::kOpN;
    lt_check(lt_.cublasLtMatmulDescSetAttribute(p.desc, lt::kDescTransA, &opT, sizeof opT), "TRANSA");
    lt_check(lt_.cublasLtMatmulDescSetAttribute(p.desc, lt::kDescTransB, &opN, sizeof opN), "TRANSB");
    lt_check(lt_.cublasLtMatrixLayoutCreate(&p.a, lt::kR16BF, static_cast<uint64_t>(in), static_cast<uint64_t>(out), in), "layout A");
    lt_check(lt_.cublasLtMatrixLayoutCreate(&p.b, lt::kR16BF, static_cast<uint64_t>(in), static_cast<uint64_t>(T), in), "layout B");
    lt_check(lt_.cublasLtMatrixLayoutCreate(&p.c, y_f32 ? lt::kR32F : lt::kR16BF, static_cast<uint64_t>(out), static_cast<uint64_t>(T), out),
             "layout C");
    bool found = false;
    lt::Status st = heuristic(p, kWorkspaceBytes, found);
    if (!found) {
      const lt::Status first = st;
      st = heuristic(p, kLargeWorkspaceBytes, found);
      if (!found)
        throw RunnerError("cuda_error", "cuBLASLt has no algorithm for a bf16 GEMM " + std::to_string(out) + "x" + std::to_string(T) + "x" +
                                            std::to_string(in) + (y_f32 ? " (fp32 output)" : " (bf16 output)") +
                                            " with 32 MiB of workspace (" + cublaslt_status_string(first) + ") or 256 MiB (" +
                                            cublaslt_status_string(st) + ")");
    }
    if (p.workspace > workspace_bytes_) {
      cudaStreamCaptureStatus cap = cudaStreamCaptureStatusNone;
      check(cudaStreamIsCapturing(s, &cap), "cudaStreamIsCapturing");
      if (cap != cudaStreamCaptureStatusNone)
        throw RunnerError("cuda_error", "a bf16 GEMM " + std::to_string(out) + "x" + std::to_string(T) + "x" + std::to_string(in) +
                                            " needs a larger cuBLASLt workspace, which cannot be allocated during a graph capture");
      void* larger = nullptr;
      check(cudaMalloc(&larger, p.workspace), "cudaMalloc (cuBLASLt workspace, 256 MiB)");  // the old one stays on failure
      check(cudaDeviceSynchronize(), "cuBLASLt workspace growth");  // no GEMM still uses the old one
      cudaFree(workspace_);
      workspace_ = larger;
      workspace_bytes_ = p.workspace;
    }
  } catch (...) {
    destroy(p);
    throw;
  }
  return plans_.emplace(key, p).first->second;
}

void Gemm::run(const bf16* x, int T, int in, const bf16* W, int out, void* y, bool y_f32, cudaStream_t s) {
  if (T <= 0 || out <= 0) return;
  const Plan& p = plan(T, in, out, y_f32, s);
  const float alpha = 1.0f, beta = 0.0f;
  lt_check(lt_.cublasLtMatmul(handle_, p.desc, &alpha, W, p.a, x, p.b, &beta, y, p.c, y, p.c, &p.algo.algo, workspace_,
                              p.workspace, reinterpret_cast<lt::Stream>(s)),
           "cublasLtMatmul");
}

}  // namespace cuda
}  // namespace gem
