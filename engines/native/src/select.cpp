#include "select.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gem {

std::vector<int> top_k_indices(const double* scores, int n, int k, const std::vector<char>& allowed) {
  TrackedVec<int> cand(MemCat::Workspace);
  cand.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    if (allowed.empty() || allowed[static_cast<size_t>(i)]) cand.push_back(i);
  k = std::max(0, std::min(k, static_cast<int>(cand.size())));
  auto better = [&](int a, int b) {
    double sa = scores[a], sb = scores[b];
    // NaN ranks last; equal scores → lower index first.
    bool na = std::isnan(sa), nb = std::isnan(sb);
    if (na != nb) return nb;
    if (!na && sa != sb) return sa > sb;
    return a < b;
  };
  std::partial_sort(cand.data(), cand.data() + k, cand.data() + cand.size(), better);
  std::vector<int> out(cand.data(), cand.data() + k);
  std::sort(out.begin(), out.end());
  return out;
}

DVec avg_pool1d(const double* x, int n, int kernel) {
  const int p = kernel / 2;
  DVec y(MemCat::Workspace, static_cast<size_t>(n));
  for (int j = 0; j < n; ++j) {
    double s = 0;
    for (int t = j - p; t <= j + p; ++t) s += (t >= 0 && t < n) ? x[t] : 0.0;
    y[static_cast<size_t>(j)] = s / kernel;
  }
  return y;
}

DVec max_pool1d(const double* x, int n, int kernel) {
  const int p = kernel / 2;
  DVec y(MemCat::Workspace, static_cast<size_t>(n));
  for (int j = 0; j < n; ++j) {
    double s = -std::numeric_limits<double>::infinity();
    for (int t = std::max(0, j - p); t <= std::min(n - 1, j + p); ++t) s = std::max(s, x[t]);
    y[static_cast<size_t>(j)] = s;
  }
  return y;
}

}  // namespace gem
