// Host-side selection helpers on score vectors (top-k with deterministic ties, 1-D pooling): what the methods do
// with the attention statistics a backend returns, and the reference the selftest checks device top-k against.
// Every buffer is counted as workspace by the active MemoryTracker.
#pragma once
#include <vector>

#include "memory.h"

namespace gem {

// Indices of the `k` largest scores (ties → lower index first), returned sorted ascending. Only indices in
// [0, n) with allowed[i] (when `allowed` is non-empty) compete.
std::vector<int> top_k_indices(const double* scores, int n, int k, const std::vector<char>& allowed = {});
inline std::vector<int> top_k_indices(const std::vector<double>& s, int k, const std::vector<char>& allowed = {}) {
  return top_k_indices(s.data(), static_cast<int>(s.size()), k, allowed);
}

// 1-D pooling, stride 1, padding kernel/2. avg: zero padding, divisor always `kernel` (count_include_pad);
// max: padding is -inf (never wins).
DVec avg_pool1d(const double* x, int n, int kernel);
DVec max_pool1d(const double* x, int n, int kernel);

}  // namespace gem
