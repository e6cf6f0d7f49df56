#!/usr/bin/env bash
# npm run gpu:check — verifies the CUDA backend on a GPU machine in a few minutes (GPU.md "The GPU check").
# Runs without Node.js for everything but the harness-level tests (on a bare GPU machine: ../shared/tools/gpu-bundle
# here, then `source .gpu/setup.sh` there). Each step runs under `timeout` and its result is written at once to
# $OUT/gpu-check.json (all steps so far, rewritten after each one) and its output to $OUT/gpu-check.log, so a run cut
# short still leaves what finished. Exit status: 0 when no step failed (skips allowed), 1 when one failed, 2 for bad
# arguments.
#
#   scripts/gpu-check.sh [--out DIR] [--steps a,b,…] [--skip-build] [--runner PATH] [--shared DIR]
#     --out DIR     where the JSON and the log go (default: $OUT, else ./gpu-check-out)
#     --steps       a subset of: probe,build,selftest,ops,hopper,sanitizer,models,chunked,speed,peer (default: all, in order)
#     --skip-build  use the runner already built (engines/native/build/)
#     --runner P    the gem-runner binary (default engines/native/build/gem-runner)
#     --shared DIR  the folder holding models/stories260K (default ../shared beside the checkout)
# Budgets (seconds; limits, not expectations — the whole script should take about 6 minutes): build 240, selftest
# 60 ×2, ops 30, hopper 60, sanitizer 120, models 120, chunked 120, speed 150, peer 180 (only with
# GEMBENCH_TRANSFORMERS_PYTHON: the transformers speed peer beside ours on a tiny model, engines/transformers/).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

all_steps="probe,build,selftest,ops,hopper,sanitizer,models,chunked,speed,peer"
out=${OUT:-$root/gpu-check-out}
steps=$all_steps
skip_build=0
runner="$root/engines/native/build/gem-runner"
shared="$root/../shared"
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    --steps) steps=${2:?--steps needs a list}; shift 2 ;;
    --skip-build) skip_build=1; shift ;;
    --runner) runner=${2:?--runner needs a path}; shift 2 ;;
    --shared) shared=${2:?--shared needs a folder}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gpu-check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
IFS=, read -r -a want <<<"$steps"
for s in "${want[@]}"; do
  case ",$all_steps," in *",$s,"*) ;; *) echo "gpu-check: unknown step '$s' (steps: $all_steps)" >&2; exit 2 ;; esac
done
mkdir -p "$out" || { echo "gpu-check: cannot create $out" >&2; exit 2; }
json="$out/gpu-check.json"
log="$out/gpu-check.log"
results=()
failed=0
: >"$log"

# JSON string literal of $1 (backslash, quote and control characters escaped; other bytes kept as they are).
jstr() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  s=$(printf '%s' "$s" | tr -d '\000-\010\013\014\016-\037')
  printf '"%s"' "$s"
}
write_json() {
  local tmp="$json.tmp" sep="" r
  {
    printf '{"script":"gpu-check","started":%s,"finished":%s,"host":%s,"steps":[' "$(jstr "$started")" "$(jstr "$(date -u +%FT%TZ)")" "$(jstr "$(uname -n)")"
    for r in "${results[@]}"; do printf '%s\n  %s' "$sep" "$r"; sep=","; done
    printf '\n],"failed":%s}\n' "$failed"
  } >"$tmp" && mv "$tmp" "$json"
}
# record NAME STATUS SECONDS DETAIL [EXTRA_JSON_FIELDS]
record() {
  local extra=${5:-}
  results+=("{\"step\":$(jstr "$1"),\"status\":$(jstr "$2"),\"seconds\":$3,\"detail\":$(jstr "$4")${extra:+,$extra}}")
  [ "$2" = fail ] && failed=1
  write_json
  printf 'gpu-check: %-9s %-5s %4ss  %s\n' "$1" "$2" "$3" "$4" >&2
}
# run_step NAME LIMIT CMD… : runs CMD under timeout, appends its output to the log; sets $rc, $secs, $tail_out.
run_step() {
  local name=$1 limit=$2 t0 f
  shift 2
  f=$(mktemp)
  printf '\n===== %s: %s (limit %ss)\n' "$name" "$*" "$limit" >>"$log"
  t0=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" >"$f" 2>&1
  rc=$?
  secs=$(($(date +%s) - t0))
  cat "$f" >>"$log"
  tail_out=$(tail -c 12000 "$f")
  rm -f "$f"
}
outcome() {  # rc → status word
  if [ "$rc" -eq 0 ]; then echo pass; elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then echo timeout; else echo fail; fi
}
wants() { case ",$steps," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
have() { command -v "$1" >/dev/null 2>&1; }
started=$(date -u +%FT%TZ)
write_json

# Whether the runner's cuda backend can load a model here (a GPU, cuBLASLt); sets $load_reason when it cannot.
cuda_loads() {
  local reply
  reply=$(printf '%s\n' '{"id":1,"op":"load","model":"synthetic:tiny-llama"}' | timeout 60 "$runner" --backend cuda 2>&1 | tail -n 1)
  case "$reply" in
    *'"ok":true'*) return 0 ;;
    *) load_reason=${reply:-no answer}; return 1 ;;
  esac
}

if wants probe; then
  t0=$(date +%s)
  smi="absent"; lt="not found"; san="absent"; nv="absent"
  if have nvidia-smi; then
    smi=$(nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used,compute_cap --format=csv,noheader 2>&1 | head -n 4)
  fi
  for c in ${GEMBENCH_CUBLASLT:-} /usr/local/cuda/lib64/libcublasLt.so.13 /usr/local/cuda/lib64/libcublasLt.so.12; do
    [ -n "$c" ] && [ -e "$c" ] && { lt=$c; break; }
  done
  if [ "$lt" = "not found" ] && have ldconfig; then
    lt=$(ldconfig -p 2>/dev/null | awk '/libcublasLt\.so\.1[23] /{print $NF; exit}')
    [ -n "$lt" ] || lt="not found"
  fi
  have compute-sanitizer && san=$(command -v compute-sanitizer)
  [ "$san" = absent ] && [ -x /usr/local/cuda/bin/compute-sanitizer ] && san=/usr/local/cuda/bin/compute-sanitizer
  have nvcc && nv=$(nvcc --version | tail -n 1)
  printf '\n===== probe\nnvidia-smi: %s\ncuBLASLt: %s\ncompute-sanitizer: %s\nnvcc: %s\n' "$smi" "$lt" "$san" "$nv" >>"$log"
  record probe pass $(($(date +%s) - t0)) "GPU: ${smi//$'\n'/; }" \
    "\"nvidiaSmi\":$(jstr "$smi"),\"cublasLt\":$(jstr "$lt"),\"computeSanitizer\":$(jstr "$san"),\"nvcc\":$(jstr "$nv"),\"node\":$(jstr "$(node --version 2>/dev/null || echo absent)")"
fi

if wants build; then
  if [ "$skip_build" = 1 ]; then
    record build skip 0 "--skip-build"
  else
    bdir="$root/engines/native/build/cmake"
    run_step build 240 bash -c "cmake -S '$root/engines/native' -B '$bdir' -DCMAKE_BUILD_TYPE=Release && cmake --build '$bdir' --parallel $(nproc 2>/dev/null || echo 4)"
    st=$(outcome)
    if [ "$st" = pass ] && ! grep -q '^CMAKE_CUDA_COMPILER:.*nvcc' "$bdir/CMakeCache.txt" 2>/dev/null; then
      st=fail; tail_out="the build found no CUDA compiler: the cuda backend was not built"
    fi
    record build "$st" "$secs" "$(printf '%s' "$tail_out" | tail -n 3)"
  fi
fi

selftest_summary() { printf '%s' "$tail_out" | grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' | tail -n 1; }
if wants selftest; then
  run_step selftest 60 "$runner" selftest --backend cuda
  sum=$(selftest_summary)
  record selftest "$(outcome)" "$secs" "${sum:-$(printf '%s' "$tail_out" | tail -n 3)}" \
    "\"failures\":$(jstr "$(printf '%s' "$tail_out" | grep -E '^FAIL' | head -n 20)")"
  run_step selftest-mma 60 env GEMBENCH_CUDA_ATTENTION=mma "$runner" selftest --backend cuda
  sum=$(selftest_summary)
  record selftest-mma "$(outcome)" "$secs" "portable attention kernel forced: ${sum:-$(printf '%s' "$tail_out" | tail -n 3)}" \
    "\"failures\":$(jstr "$(printf '%s' "$tail_out" | grep -E '^FAIL' | head -n 20)")"
fi

if wants ops; then
  ob="$root/engines/native/build/gem-cuda-op-test"
  if [ -x "$ob" ]; then
    run_step ops 30 "$ob"
    st=$(outcome)
    [ "$st" = pass ] && printf '%s' "$tail_out" | grep -q '^skipped' && st=skip
    record ops "$st" "$secs" "$(printf '%s' "$tail_out" | grep -E '^FAIL|checks, |^skipped' | head -n 8 | tr '\n' ' ')"
  else
    record ops skip 0 "$ob is not built (no nvcc at build time)"
  fi
fi

if wants hopper; then
  hb="$root/engines/native/build/gem-hopper-gpu-test"
  if [ -x "$hb" ]; then
    run_step hopper 60 "$hb"
    st=$(outcome)
    # It exits 0 with "skipped: …" where no sm_90 device is present.
    [ "$st" = pass ] && printf '%s' "$tail_out" | grep -q '^skipped' && st=skip
    record hopper "$st" "$secs" "$(printf '%s' "$tail_out" | tail -n 3)"
  else
    record hopper skip 0 "$hb is not built (no nvcc at build time)"
  fi
fi

if wants sanitizer; then
  san=$(command -v compute-sanitizer || { [ -x /usr/local/cuda/bin/compute-sanitizer ] && echo /usr/local/cuda/bin/compute-sanitizer; })
  if [ -z "$san" ]; then
    record sanitizer skip 0 "compute-sanitizer is not installed"
  else
    run_step sanitizer 120 "$san" --tool memcheck --error-exitcode 9 "$runner" selftest --backend cuda
    record sanitizer "$(outcome)" "$secs" "$(printf '%s' "$tail_out" | grep -E 'ERROR SUMMARY|passed, ' | tail -n 2 | tr '\n' ' ')"
  fi
fi

# model_tests STEP [VAR=VALUE…]: the stories260K and selection reference tests on the cuda runner (with extra
# environment), recorded as STEP.
model_tests() {
  local name=$1
  shift
  [ -e "$root/../shared" ] || ln -s "$shared" "$root/../shared"
  run_step "$name" 120 env GEMBENCH_RUNNER="$runner" GEMBENCH_RUNNER_ARGS="--backend cuda" "$@" \
    npx ava test/native-stories260k-reference.test.ts test/native-selection-reference.test.ts
  record "$name" "$(outcome)" "$secs" "$(printf '%s' "$tail_out" | grep -E 'passed|failed|skipped' | tail -n 3 | tr '\n' ' ')"
}

if wants models; then
  if [ ! -d "$shared/models/stories260K" ]; then
    record models skip 0 "$shared/models/stories260K is absent (copy it along, pass --shared)"
  elif ! have node; then
    record models skip 0 "no Node.js here (source .gpu/setup.sh first: ../shared/tools/gpu-bundle)"
  elif ! cuda_loads; then
    record models skip 0 "the cuda backend cannot load a model: $load_reason"
  else
    model_tests models
  fi
fi

# The models' tests again with 37-token prefill chunks, so stories260K's prompts and the selection tests run the
# chunked prefill (several chunks and a short last one) that long inputs take, and with eager decode steps (no CUDA
# graph), so both decode paths meet the reference.
if wants chunked; then
  if [ ! -d "$shared/models/stories260K" ] || ! have node; then
    record chunked skip 0 "needs $shared/models/stories260K and Node.js (see the models step)"
  elif ! cuda_loads; then
    record chunked skip 0 "the cuda backend cannot load a model: $load_reason"
  else
    model_tests chunked GEMBENCH_CUDA_PREFILL_CHUNK=37 GEMBENCH_CUDA_GRAPHS=0
  fi
fi

if wants speed; then
  if ! cuda_loads; then
    record speed skip 0 "the cuda backend cannot load a model: $load_reason"
  else
    # Dense and GemFilter (r = 13, k = 1024) prefill on the synthetic Llama-3.1-8B at 8K/32K/128K, 1 new token, then 50
    # tokens after 32K: the runner's own timings and memory peaks, one line per cell, after the clock they were read
    # from (the hello's timer: cuda-events).
    req=$(mktemp)
    {
      echo '{"id":0,"op":"load","model":"synthetic:llama-3.1-8b"}'
      # warmup (not a cell)
      echo "{\"id\":100,\"op\":\"generate\",\"inputIds\":[$(awk 'BEGIN{for(i=0;i<1024;i++) printf "%s%d", (i?",":""), 1000+(i*7919)%120000}')],\"method\":{\"name\":\"dense\",\"params\":{}},\"maxNewTokens\":1,\"ignoreEos\":true,\"allowLongInput\":true}"
      id=1
      for n in 8192 32768 131072; do
        ids=$(awk -v n="$n" 'BEGIN{for(i=0;i<n;i++) printf "%s%d", (i?",":""), 1000+(i*7919)%120000}')
        for m in '{"name":"dense","params":{}}' '{"name":"gemfilter","params":{"filterLayer":13,"k":1024}}'; do
          echo "{\"id\":$id,\"op\":\"generate\",\"inputIds\":[$ids],\"method\":$m,\"maxNewTokens\":1,\"ignoreEos\":true,\"allowLongInput\":true}"
          id=$((id + 1))
        done
      done
      # 50 decoded tokens after 32K (decode graphs): ms/token for dense and GemFilter
      ids=$(awk 'BEGIN{for(i=0;i<32768;i++) printf "%s%d", (i?",":""), 1000+(i*7919)%120000}')
      for m in '{"name":"dense","params":{}}' '{"name":"gemfilter","params":{"filterLayer":13,"k":1024}}'; do
        echo "{\"id\":$id,\"op\":\"generate\",\"inputIds\":[$ids],\"method\":$m,\"maxNewTokens\":50,\"ignoreEos\":true}"
        id=$((id + 1))
      done
    } >"$req"
    run_step speed 150 bash -c "'$runner' --backend cuda <'$req'"
    rm -f "$req"
    cells=$(printf '%s' "$tail_out" | grep -o '"timer":"[^"]*"\|"timings":{[^}]*}\|"peak":{[^}]*}\|"extra":{[^}]*}' | tr '\n' ' ')
    st=$(outcome)
    # The memory cross-check: per cell, the arena's peak in use ≤ its size ≤ the device's used bytes (cudaMemGetInfo).
    bad=$(printf '%s\n' "$tail_out" | grep -o '"extra":{[^}]*}' | while read -r e; do
      a=$(printf '%s' "$e" | grep -o '"arenaBytes":[0-9.e+]*' | cut -d: -f2)
      p=$(printf '%s' "$e" | grep -o '"arenaPeakBytes":[0-9.e+]*' | cut -d: -f2)
      u=$(printf '%s' "$e" | grep -o '"deviceUsedBytes":[0-9.e+]*' | cut -d: -f2)
      awk -v a="$a" -v p="$p" -v u="$u" 'BEGIN{ if (a == "" || p == "" || u == "" || p + 0 > a + 0 || a + 0 > u + 0) print "bad" }'
    done)
    if [ -n "$bad" ] && [ "$st" = pass ]; then st=fail; cells="memory cross-check failed (arenaPeakBytes ≤ arenaBytes ≤ deviceUsedBytes): $cells"; fi
    record speed "$st" "$secs" "${cells:-$(printf '%s' "$tail_out" | tail -n 2)}"
  fi
fi

# The transformers speed peer on the GPU (engines/transformers/README.md): a tiny bf16 bench through ours and the peer
# in one `gembench run`; every peer record must have completed with CUDA-event timings and a GPU memory figure, and
# summary.md must hold the ratios.
if wants peer; then
  if [ -z "${GEMBENCH_TRANSFORMERS_PYTHON:-}" ]; then
    record peer skip 0 "GEMBENCH_TRANSFORMERS_PYTHON is not set (a Python with torch + transformers)"
  elif ! have node; then
    record peer skip 0 "no Node.js here (source .gpu/setup.sh first: ../shared/tools/gpu-bundle)"
  elif ! cuda_loads; then
    record peer skip 0 "the cuda backend cannot load a model: $load_reason"
  else
    cfg="$out/peer-config.json"
    printf '%s\n' '{"name":"gpu-check-peer","models":[{"id":"synthetic:tiny-llama","dtype":"bf16"}],"engines":[{"method":"dense","engine":["native","transformers"]},{"method":"gemfilter","params":{"filterLayer":1,"k":64},"engine":["native","transformers"]},{"method":"snapkv","params":{"k":64},"engine":["native","transformers"]},{"method":"h2o","params":{"k":64},"engine":["native","transformers"]}],"suites":[{"name":"bench","options":{"lengths":[256,1024],"maxNewTokens":8},"ignoreEos":true,"warmups":1,"repeats":2}]}' >"$cfg"
    rm -rf "$out/peer-run"
    run_step peer 180 env GEMBENCH_RUNNER="$runner" node "$root/bin/gembench.js" run "$cfg" --devices 0 --out "$out/peer-run"
    st=$(outcome)
    check=$(node -e '
      const fs = require("fs"), dir = process.argv[1];
      const rs = fs.readFileSync(dir + "/records.jsonl", "utf8").trim().split("\n").map((l) => JSON.parse(l));
      const peer = rs.filter((r) => r.engine === "transformers");
      const bad = peer.filter((r) => r.status !== "completed" || r.memory === null || r.environment.timer !== "cuda-events");
      const md = fs.readFileSync(dir + "/summary.md", "utf8");
      const rows = md.split("\n").filter((l) => /^\| .* \| transformers \| /.test(l));
      if (peer.length !== 8 || bad.length > 0 || rows.length === 0) console.log("bad: " + peer.length + " peer records, " + bad.length + " without completion, CUDA-event timings or memory; " + rows.length + " ratio rows");
      else console.log(peer[0].environment.runnerBuild + " (" + peer[0].environment.backend + "): " + rows.join(" "));
    ' "$out/peer-run" 2>&1)
    case "$check" in bad:*|*Error*) [ "$st" = pass ] && st=fail ;; esac
    record peer "$st" "$secs" "${check:-$(printf '%s' "$tail_out" | tail -n 2)}"
  fi
fi

write_json
echo "gpu-check: results in $json, log in $log" >&2
exit "$failed"
