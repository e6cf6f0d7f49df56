// Our own declarations of the part of NVIDIA's cuBLASLt C API that the CUDA backend uses, written from the public
// cuBLASLt documentation (docs.nvidia.com/cuda/cublas, "Using the cuBLASLt API"), so that the runner builds without
// cuBLAS and loads libcublasLt at run time (cublaslt.cpp). Only what we call is here: 16 functions, the opaque
// handles, the enum values we pass, and the two structs returned by value (the algorithm and the heuristic result).
// Enum values are those of cublas_api.h / cublasLt.h / library_types.h (CUDA 12 and 13 agree on all of them).
// The prototypes are never defined or linked: the loader takes their types (decltype) and names (the symbol table,
// checked against this file by the host test).
#pragma once
#include <cstddef>
#include <cstdint>

namespace gem {
namespace lt {

enum Status : int {  // cublasStatus_t
  kSuccess = 0,
  kNotInitialized = 1,
  kAllocFailed = 3,
  kInvalidValue = 7,
  kArchMismatch = 8,
  kMappingError = 11,
  kExecutionFailed = 13,
  kInternalError = 14,
  kNotSupported = 15,
  kLicenseError = 16,
};

enum ComputeType : int {  // cublasComputeType_t
  kCompute32F = 68,       // CUBLAS_COMPUTE_32F: fp32 accumulation (what every GEMM here uses)
};

enum DataType : int {  // cudaDataType_t
  kR32F = 0,           // CUDA_R_32F
  kR16BF = 14,         // CUDA_R_16BF
};

enum Operation : int {  // cublasOperation_t
  kOpN = 0,
  kOpT = 1,
};

enum MatmulDescAttribute : int {  // cublasLtMatmulDescAttributes_t
  kDescTransA = 3,                // CUBLASLT_MATMUL_DESC_TRANSA (int32: Operation)
  kDescTransB = 4,                // CUBLASLT_MATMUL_DESC_TRANSB
  kDescEpilogue = 7,              // CUBLASLT_MATMUL_DESC_EPILOGUE (uint32: Epilogue)
  kDescBiasPointer = 8,           // CUBLASLT_MATMUL_DESC_BIAS_POINTER (const void*)
};

enum Epilogue : uint32_t {  // cublasLtEpilogue_t
  kEpilogueDefault = 1,
  kEpilogueBias = 4,        // D = A·B + bias, bias broadcast along the columns of D (one value per row of D)
};

enum MatrixLayoutAttribute : int {  // cublasLtMatrixLayoutAttribute_t
  kLayoutOrder = 1,                 // CUBLASLT_MATRIX_LAYOUT_ORDER (int32: Order)
};

enum Order : int {  // cublasLtOrder_t
  kOrderCol = 0,
  kOrderRow = 1,
};

enum PreferenceAttribute : int {  // cublasLtMatmulPreferenceAttributes_t
  kPrefMaxWorkspaceBytes = 1,     // CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES (uint64)
};

struct Context;            // struct cublasLtContext
struct MatmulDescOpaque;   // cublasLtMatmulDescOpaque_t (we only hold pointers the library created)
struct MatrixLayoutOpaque; // cublasLtMatrixLayoutOpaque_t
struct PreferenceOpaque;   // cublasLtMatmulPreferenceOpaque_t
using Handle = Context*;                 // cublasLtHandle_t
using MatmulDesc = MatmulDescOpaque*;    // cublasLtMatmulDesc_t
using MatrixLayout = MatrixLayoutOpaque*;  // cublasLtMatrixLayout_t
using Preference = PreferenceOpaque*;    // cublasLtMatmulPreference_t
using Stream = struct CUstream_st*;      // cudaStream_t

struct MatmulAlgo {  // cublasLtMatmulAlgo_t
  uint64_t data[8];
};
struct HeuristicResult {  // cublasLtMatmulHeuristicResult_t
  MatmulAlgo algo;
  size_t workspaceSize;
  Status state;
  float wavesCount;
  int reserved[4];
};

}  // namespace lt
}  // namespace gem

extern "C" {
size_t cublasLtGetVersion(void);
size_t cublasLtGetCudartVersion(void);
const char* cublasLtGetStatusString(gem::lt::Status status);
gem::lt::Status cublasLtCreate(gem::lt::Handle* handle);
gem::lt::Status cublasLtDestroy(gem::lt::Handle handle);
gem::lt::Status cublasLtMatmulDescCreate(gem::lt::MatmulDesc* desc, gem::lt::ComputeType compute, gem::lt::DataType scale);
gem::lt::Status cublasLtMatmulDescDestroy(gem::lt::MatmulDesc desc);
gem::lt::Status cublasLtMatmulDescSetAttribute(gem::lt::MatmulDesc desc, gem::lt::MatmulDescAttribute attr, const void* buf, size_t size);
gem::lt::Status cublasLtMatrixLayoutCreate(gem::lt::MatrixLayout* layout, gem::lt::DataType type, uint64_t rows, uint64_t cols, int64_t ld);
gem::lt::Status cublasLtMatrixLayoutDestroy(gem::lt::MatrixLayout layout);
gem::lt::Status cublasLtMatrixLayoutSetAttribute(gem::lt::MatrixLayout layout, gem::lt::MatrixLayoutAttribute attr, const void* buf, size_t size);
gem::lt::Status cublasLtMatmulPreferenceCreate(gem::lt::Preference* pref);
gem::lt::Status cublasLtMatmulPreferenceDestroy(gem::lt::Preference pref);
gem::lt::Status cublasLtMatmulPreferenceSetAttribute(gem::lt::Preference pref, gem::lt::PreferenceAttribute attr, const void* buf, size_t size);
gem::lt::Status cublasLtMatmulAlgoGetHeuristic(gem::lt::Handle handle, gem::lt::MatmulDesc desc, gem::lt::MatrixLayout a, gem::lt::MatrixLayout b, gem::lt::MatrixLayout c, gem::lt::MatrixLayout d, gem::lt::Preference pref, int requested, gem::lt::HeuristicResult* results, int* returned);
gem::lt::Status cublasLtMatmul(gem::lt::Handle handle, gem::lt::MatmulDesc desc, const void* alpha, const void* a, gem::lt::MatrixLayout adesc, const void* b, gem::lt::MatrixLayout bdesc, const void* beta, const void* c, gem::lt::MatrixLayout cdesc, void* d, gem::lt::MatrixLayout ddesc, const gem::lt::MatmulAlgo* algo, void* workspace, size_t workspace_bytes, gem::lt::Stream stream);
}
