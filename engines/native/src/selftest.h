// `gem-runner selftest [--backend X]`: every op of a backend (BackendOps, backend.h) on random data at awkward shapes
// against the cpu reference, with a stated tolerance per op (llama.cpp's test-backend-ops, llm.c's dev/cuda habit).
// On the cpu backend itself it compares the reference under a different thread count (bitwise) and against naive
// double-precision versions of each op. An op a backend does not support at a shape is a skip, never a failure.
// Prints one line per check and `N passed, N failed, N skipped`; returns the process exit status (0 iff none failed).
#pragma once
#include <string>

namespace gem {

int run_selftest(const std::string& backend, int device);

}  // namespace gem
