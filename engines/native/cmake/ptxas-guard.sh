#!/usr/bin/env bash
# CUDA compiler launcher (CUDA_COMPILER_LAUNCHER of the gemcuda targets): runs the nvcc command line it is given,
# keeps ptxas's -v report beside the object (<object>.ptxas.txt) instead of flooding the build log, and fails the
# compile when any kernel spills registers or uses more than GEM_SMEM_LIMIT bytes (default 227 KB = 232448, an
# sm_90 block's maximum) of static shared memory. Compiler errors and warnings pass through unchanged.
set -u
limit=${GEM_SMEM_LIMIT:-232448}
obj=""
prev=""
for a in "$@"; do
  [ "$prev" = "-o" ] && obj=$a
  prev=$a
done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$@" 2>"$log"
rc=$?
# Pass through everything except ptxas's informational report.
grep -v -E '^ptxas info *:|^ +[0-9]+ bytes stack frame' "$log" >&2
[ -n "$obj" ] && cp "$log" "$obj.ptxas.txt"
[ $rc -eq 0 ] || exit $rc
awk -v limit="$limit" -v obj="${obj:-?}" '
  /Compiling entry function/ { fn = $0; sub(/.*function \047/, "", fn); sub(/\047.*/, "", fn) }
  /Function properties for/ { fn = $0; sub(/.*properties for /, "", fn) }
  /bytes spill stores/ {
    for (i = 1; i <= NF; i++) {
      if ($(i + 1) == "bytes" && $(i + 2) == "spill" && $i + 0 > 0) { bad = 1; print "ptxas-guard: " fn " spills (" $0 ")" }
    }
  }
  /Registers are spilled/ { bad = 1; print "ptxas-guard: " $0 }
  /bytes smem/ {
    for (i = 1; i <= NF; i++) if ($(i + 1) == "bytes" && $(i + 2) ~ /^smem/ && $i + 0 > limit) {
      bad = 1; print "ptxas-guard: " fn " uses " $i " bytes of shared memory (limit " limit ")"
    }
  }
  END { if (bad) { print "ptxas-guard: " obj ": kernel budget exceeded (full report: " obj ".ptxas.txt)"; exit 1 } }
' "$log" >&2
