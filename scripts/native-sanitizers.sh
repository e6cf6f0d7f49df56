#!/usr/bin/env bash
# The native unit tests (every method on prompts shorter than, equal to and just above each budget, among the rest)
# and the runner's selftest under AddressSanitizer + UndefinedBehaviorSanitizer: CMake option GEM_SANITIZE, CPU backend
# only, in its own build tree (engines/native/build/sanitize; incremental after the first build). Any memory error or
# undefined behaviour aborts the binary with the sanitizer's report and fails this script. CI (.ci/run) runs it after
# the README's commands: its first build takes minutes on 2 cores, too long for `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
src=engines/native
build="$src/build/sanitize"
jobs="${GEMBENCH_NATIVE_JOBS:-$(nproc)}"
export ASAN_OPTIONS="detect_leaks=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
step() {
  local t0=$SECONDS
  echo "sanitizers: \$ $*" >&2
  "$@"
  echo "sanitizers: $(($SECONDS - t0)) s" >&2
}
step cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGEM_CUDA=OFF -DGEM_SANITIZE=ON >/dev/null
step cmake --build "$build" --parallel "$jobs" --target gem-native-test gem-runner
step "$build/bin/gem-native-test"
step "$build/bin/gem-runner" selftest --threads 2
echo "sanitizers: gem-native-test and gem-runner selftest clean under ASan + UBSan" >&2
