// A stand-in libcublasLt for the host test of the loader: defines every function of src/cuda/cublaslt_api.h with
// the header's own prototypes (so a prototype that drifts from the table fails to compile here), does no maths.
// FAKE_CUBLASLT_VERSION sets what cublasLtGetVersion returns (default 130000).
#include <cstdlib>

#include "../src/cuda/cublaslt_api.h"

using namespace gem::lt;

extern "C" {
size_t cublasLtGetVersion(void) {
  const char* v = std::getenv("FAKE_CUBLASLT_VERSION");
  return v ? static_cast<size_t>(std::strtoull(v, nullptr, 10)) : 130000;
}
size_t cublasLtGetCudartVersion(void) { return 13000; }
const char* cublasLtGetStatusString(Status s) { return s == kSuccess ? "CUBLAS_STATUS_SUCCESS" : "CUBLAS_STATUS_FAKE"; }
Status cublasLtCreate(Handle*) { return kNotSupported; }
Status cublasLtDestroy(Handle) { return kSuccess; }
Status cublasLtMatmulDescCreate(MatmulDesc*, ComputeType, DataType) { return kNotSupported; }
Status cublasLtMatmulDescDestroy(MatmulDesc) { return kSuccess; }
Status cublasLtMatmulDescSetAttribute(MatmulDesc, MatmulDescAttribute, const void*, size_t) { return kNotSupported; }
Status cublasLtMatrixLayoutCreate(MatrixLayout*, DataType, uint64_t, uint64_t, int64_t) { return kNotSupported; }
Status cublasLtMatrixLayoutDestroy(MatrixLayout) { return kSuccess; }
Status cublasLtMatrixLayoutSetAttribute(MatrixLayout, MatrixLayoutAttribute, const void*, size_t) { return kNotSupported; }
Status cublasLtMatmulPreferenceCreate(Preference*) { return kNotSupported; }
Status cublasLtMatmulPreferenceDestroy(Preference) { return kSuccess; }
Status cublasLtMatmulPreferenceSetAttribute(Preference, PreferenceAttribute, const void*, size_t) { return kNotSupported; }
Status cublasLtMatmulAlgoGetHeuristic(Handle, MatmulDesc, MatrixLayout, MatrixLayout, MatrixLayout, MatrixLayout, Preference, int,
                                      HeuristicResult*, int* n) {
  if (n) *n = 0;
  return kNotSupported;
}
Status cublasLtMatmul(Handle, MatmulDesc, const void*, const void*, MatrixLayout, const void*, MatrixLayout, const void*,
                      const void*, MatrixLayout, void*, MatrixLayout, const MatmulAlgo*, void*, size_t, Stream) {
  return kNotSupported;
}
}
