// Process-wide worker-thread count for the compute side. The runner sets it once from `--threads N` (default:
// std::thread::hardware_concurrency()); kernels read it with gem::num_threads(). Always >= 1.
#pragma once

namespace gem {

int num_threads();
// Values < 1 reset to the hardware concurrency (or 1 when unknown).
void set_num_threads(int n);

}  // namespace gem
