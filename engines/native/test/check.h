// The check tally of the native test binaries (gem-native-test, gem-cuda-host-test): CHECK(cond, fmt, ...) counts
// one check and, when cond is false, prints "FAIL file:line: cond — message" to stderr; finish_checks() prints
// "N checks, M failures" and gives the exit status.
#pragma once
#include <cstdio>

static int g_failures = 0, g_checks = 0;
#define CHECK(cond, ...)                                                    \
  do {                                                                      \
    ++g_checks;                                                             \
    if (!(cond)) {                                                          \
      ++g_failures;                                                         \
      std::fprintf(stderr, "FAIL %s:%d: %s — ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                    \
      std::fprintf(stderr, "\n");                                           \
    }                                                                       \
  } while (0)

inline int finish_checks() {
  std::printf("%d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
