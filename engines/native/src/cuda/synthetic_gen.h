// The counter-based generator of synthetic weights (documented in synthetic.cpp), shared by the CPU (synthetic.cpp)
// and the CUDA backend (a device kernel), so both produce the same fp32 numbers before any rounding to bf16. The
// float steps use explicitly rounded operations on the device (no fused multiply-add); the host build of gemcore
// uses -ffp-contract=off for the same reason.
#pragma once
#include <cstdint>

#include "index_math.h"  // GEM_HD

namespace gem {

GEM_HD uint64_t synthetic_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// value[i] = scale · u[i] + offset, u[i] = (mix(stream + (i+1)·φ) >> 40) · 2^-24 · 2 − 1  (exact in fp32)
GEM_HD float synthetic_value(uint64_t stream, int64_t i, float scale, float offset) {
  const uint64_t z = synthetic_mix(stream + static_cast<uint64_t>(i + 1) * 0x9E3779B97F4A7C15ULL);
  const float u = static_cast<float>(z >> 40) * (1.0f / 16777216.0f) * 2.0f - 1.0f;
#ifdef __CUDA_ARCH__
  return __fadd_rn(__fmul_rn(scale, u), offset);
#else
  return scale * u + offset;
#endif
}

}  // namespace gem
