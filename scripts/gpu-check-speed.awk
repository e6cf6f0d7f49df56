#!/usr/bin/awk -f
# The speed step's number checks (scripts/gpu-check.sh), over the runner's answers (one JSON line each) to: id 0 load,
# id 100 warmup, 1/2 dense/GemFilter prefill at 8K, 3/4 the same at 32K, 5/6 dense/GemFilter with 50 new tokens after
# 8K. Prints one line per problem (nothing when all hold):
#   every id answered ok; prefillMs > 0 and totalMs ≥ prefillMs for every cell; prefill at 32K slower than at 8K for
#   each method; GemFilter's filterMs > 0; cells 5/6 decoded 49 timed steps with decodeMs > 0; per cell the device
#   memory cross-check arenaPeakBytes ≤ arenaBytes ≤ deviceUsedBytes (memory.extra).
function num(line, key,    m) {
  if (match(line, "\"" key "\":-?[0-9.eE+-]+")) { m = substr(line, RSTART + length(key) + 3, RLENGTH - length(key) - 3); return m + 0 }
  return "absent"
}
/"id":[0-9]+,"ok":/ {
  match($0, /"id":[0-9]+/); id = substr($0, RSTART + 5, RLENGTH - 5) + 0
  if ($0 !~ /"ok":true/) { print "cell " id " failed: " substr($0, 1, 300); next }
  seen[id] = 1
  if (id == 0) next
  p = num($0, "prefillMs"); tot = num($0, "totalMs")
  if (p == "absent" || p <= 0) print "cell " id ": prefillMs " p " is not positive"
  else if (tot == "absent" || tot < p) print "cell " id ": totalMs " tot " < prefillMs " p
  prefill[id] = p
  if (id == 2 || id == 4 || id == 6) { f = num($0, "filterMs"); if (f == "absent" || f <= 0) print "cell " id ": GemFilter's filterMs " f " is not positive" }
  if (id == 5 || id == 6) {
    dt = num($0, "decodeTokens"); dm = num($0, "decodeMs")
    if (dt != 49) print "cell " id ": " dt " decode steps timed, not 49"
    if (dm == "absent" || dm <= 0) print "cell " id ": decodeMs " dm " is not positive"
  }
  a = num($0, "arenaBytes"); pk = num($0, "arenaPeakBytes"); u = num($0, "deviceUsedBytes")
  if (a == "absent" || pk == "absent" || u == "absent") print "cell " id ": memory.extra lacks arenaBytes/arenaPeakBytes/deviceUsedBytes"
  else if (pk > a || a > u) print "cell " id ": memory cross-check fails (arenaPeakBytes " pk " ≤ arenaBytes " a " ≤ deviceUsedBytes " u ")"
}
END {
  for (i = 0; i <= 6; i++) if (!(i in seen)) print "cell " i ": no answer"
  if ((1 in prefill) && (3 in prefill) && prefill[3] <= prefill[1]) print "dense prefill at 32K (" prefill[3] " ms) is not slower than at 8K (" prefill[1] " ms)"
  if ((2 in prefill) && (4 in prefill) && prefill[4] <= prefill[2]) print "GemFilter prefill at 32K (" prefill[4] " ms) is not slower than at 8K (" prefill[2] " ms)"
}
