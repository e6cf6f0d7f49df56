#!/usr/bin/env bash
# npm run gpu:check — verifies the CUDA backend on a GPU machine within 5 minutes (GPU.md "The GPU check").
# The runner is built beforehand on a CPU machine (GEMBENCH_CUDA=1 npm run build:native) and engines/native/build/
# is carried along; the `build` step checks that its build stamp (written by the build) matches this tree. Runs
# without Node.js for everything but the `models`, `chunked` and `peer` steps (on a bare GPU machine:
# ../shared/tools/gpu-bundle here, then `source .gpu/setup.sh` there). Each step runs under `timeout` with its own
# limit; its result is written at once to $OUT/gpu-check.json and its output to $OUT/gpu-check.log, so a run cut short
# still leaves what finished. Every step that does not pass — fails, times out, crashes, exits 0 without output or
# without its summary line, or is skipped for a missing prerequisite — fails the check and is named in the summary.
# The probe comes first: driver, toolkit and CMake versions; where they cannot work the check stops at once.
# Exit status: 0 when every step passed, 1 otherwise, 2 for bad arguments.
#
#   scripts/gpu-check.sh [--out DIR] [--steps a,b,…] [--prebuilt | --build | --skip-build] [--runner PATH]
#                        [--max-step-seconds N] [--dry-run]
#     --out DIR     where the JSON and the log go (default: $OUT, else ./gpu-check-out)
#     --steps       a subset of: probe,build,selftest,selftest-mma,ops,hopper,memcheck,racecheck,synccheck,models,
#                   chunked,speed,peer (default: all but peer, in order; peer needs GEMBENCH_TRANSFORMERS_PYTHON)
#     --prebuilt    (the default) `build` verifies the carried build: build-stamp.txt beside the runner must name
#                   this tree's engines/native sources, a CUDA backend, and the binaries' SHA-256
#     --build       `build` configures and builds here instead (CMake ≥ 3.24 and nvcc ≥ 12.0; outside the 5 minutes)
#     --skip-build  no `build` step: the runner is used as it is, unverified
#     --runner P    the gem-runner binary (default engines/native/build/gem-runner; the tests beside it)
#     --max-step-seconds N  cap every step's limit at N seconds (a shorter slot; the script's own tests)
#     --dry-run     print the steps and their limits, run nothing
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Steps in order, with their limits in seconds (sized to the work on an H100/H200). A command still running at its
# limit gets SIGTERM, then SIGKILL 2 s later: the default steps' limits plus that grace stay within 300 s.
all_steps="probe,build,selftest,selftest-mma,ops,hopper,memcheck,racecheck,synccheck,models,chunked,speed,peer"
default_steps="probe,build,selftest,selftest-mma,ops,hopper,memcheck,racecheck,synccheck,models,chunked,speed"
declare -A limit=([probe]=10 [build]=8 [selftest]=18 [selftest-mma]=18 [ops]=12 [hopper]=12 [memcheck]=35
                  [racecheck]=22 [synccheck]=18 [models]=36 [chunked]=36 [speed]=55 [peer]=180)
kill_grace=2
declare -A what=([probe]="driver, toolkit and CMake versions; nvidia-smi, cuBLASLt, compute-sanitizer"
  [build]="the carried build's stamp matches this tree" [selftest]="gem-runner selftest --backend cuda"
  [selftest-mma]="the same with GEMBENCH_CUDA_ATTENTION=mma" [ops]="gem-cuda-op-test"
  [hopper]="gem-hopper-gpu-test --require" [memcheck]="compute-sanitizer memcheck: the selftest"
  [racecheck]="compute-sanitizer racecheck: gem-cuda-op-test" [synccheck]="compute-sanitizer synccheck: gem-cuda-op-test"
  [models]="bf16 end to end: CUDA vs the CPU on the same bf16 weights (head_dim 64/128); the 12 methods' selections"
  [chunked]="the same with 37-token prefill chunks and eager decode steps"
  [speed]="dense/GemFilter prefill at 8K/32K + 50 decoded tokens, numbers checked"
  [peer]="the transformers speed peer beside ours (GEMBENCH_TRANSFORMERS_PYTHON)")
out=${OUT:-$root/gpu-check-out}
steps=$default_steps
build_mode=prebuilt
runner="$root/engines/native/build/gem-runner"
max_step=0
dry_run=0
usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    --steps) steps=${2:?--steps needs a list}; shift 2 ;;
    --prebuilt) build_mode=prebuilt; shift ;;
    --build) build_mode=build; shift ;;
    --skip-build) build_mode=skip; shift ;;
    --runner) runner=${2:?--runner needs a path}; shift 2 ;;
    --max-step-seconds)
      max_step=${2:?--max-step-seconds needs a number}; shift 2
      [[ "$max_step" =~ ^[1-9][0-9]*$ ]] || { echo "gpu-check: --max-step-seconds needs a positive integer" >&2; exit 2; } ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gpu-check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
IFS=, read -r -a want <<<"$steps"
for s in "${want[@]}"; do
  case ",$all_steps," in *",$s,"*) ;; *) echo "gpu-check: unknown step '$s' (steps: $all_steps)" >&2; exit 2 ;; esac
done
[ "$build_mode" = build ] && limit[build]=240 && what[build]="cmake configure + build here (outside the 5-minute budget)"
plan=()
for s in ${all_steps//,/ }; do
  case ",$steps," in *",$s,"*) ;; *) continue ;; esac
  [ "$s" = build ] && [ "$build_mode" = skip ] && continue
  [ "$max_step" -gt 0 ] && [ "${limit[$s]}" -gt "$max_step" ] && limit[$s]=$max_step
  plan+=("$s")
done
if [ "$dry_run" = 1 ]; then
  total=0 graces=0
  for s in "${plan[@]}"; do
    printf '%-13s %3d s  %s\n' "$s" "${limit[$s]}" "${what[$s]}"
    total=$((total + limit[$s]))
    case "$s" in probe | build) ;; *) graces=$((graces + kill_grace)) ;; esac  # the others run under timeout
  done
  printf 'total         %3d s  (%d steps; at most %d s with %d s of SIGKILL grace per timed command)\n' "$total" "${#plan[@]}" \
    $((total + graces)) "$kill_grace"
  exit 0
fi

mkdir -p "$out" || { echo "gpu-check: cannot create $out" >&2; exit 2; }
json="$out/gpu-check.json"
log="$out/gpu-check.log"
bindir=$(dirname "$runner")
results=()
not_passed=()
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
  local tmp="$json.tmp" sep="" r np="" n
  for n in "${not_passed[@]}"; do np+="${np:+,}$(jstr "$n")"; done
  {
    printf '{"script":"gpu-check","started":%s,"finished":%s,"host":%s,"buildMode":%s,"steps":[' "$(jstr "$started")" \
      "$(jstr "$(date -u +%FT%TZ)")" "$(jstr "$(uname -n)")" "$(jstr "$build_mode")"
    for r in "${results[@]}"; do printf '%s\n  %s' "$sep" "$r"; sep=","; done
    printf '\n],"notPassed":[%s],"failed":%s}\n' "$np" "$([ ${#not_passed[@]} -gt 0 ] && echo 1 || echo 0)"
  } >"$tmp" && mv "$tmp" "$json"
}
# record NAME STATUS SECONDS DETAIL [EXTRA_JSON_FIELDS]; every status but pass counts against the check.
record() {
  local extra=${5:-}
  results+=("{\"step\":$(jstr "$1"),\"status\":$(jstr "$2"),\"seconds\":$3,\"limit\":${limit[$1]:-0},\"detail\":$(jstr "$4")${extra:+,$extra}}")
  [ "$2" = pass ] || not_passed+=("$1: $2")
  write_json
  printf 'gpu-check: %-12s %-10s %4ss  %s\n' "$1" "$2" "$3" "$4" >&2
}
# run_step NAME CMD… : runs CMD under the step's limit (less what the step already spent since $t_step), appends its
# output to the log; sets $rc, $secs (since $t_step), $tail_out, $out_bytes.
run_step() {
  local name=$1 lim f
  shift
  lim=$((limit[$name] - ($(date +%s) - t_step)))
  [ "$lim" -ge 1 ] || lim=1
  f=$(mktemp)
  printf '\n===== %s: %s (limit %ss)\n' "$name" "$*" "$lim" >>"$log"
  timeout --kill-after="$kill_grace" "$lim" "$@" >"$f" 2>&1
  rc=$?
  secs=$(($(date +%s) - t_step))
  out_bytes=$(wc -c <"$f")
  cat "$f" >>"$log"
  tail_out=$(tail -c 64000 "$f")
  rm -f "$f"
}
# outcome SUMMARY_REGEX → the status word of the last run_step: timeout (124/137: SIGKILL after the limit), crash
# (another signal, or a sanitizer's abort), fail (a non-zero exit), empty (exit 0, no output), no-summary (exit 0
# without a line matching the regex), skip (its "skipped" line), else pass.
outcome() {
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then echo timeout
  elif [ "$rc" -gt 128 ]; then echo "crash"
  elif [ "$rc" -ne 0 ]; then echo fail
  elif [ "$out_bytes" -eq 0 ]; then echo empty
  elif printf '%s\n' "$tail_out" | grep -qiE '^skipped|^skip |[1-9][0-9]* (tests? )?skipped'; then echo skip
  elif ! printf '%s\n' "$tail_out" | grep -qE "$1"; then echo no-summary
  else echo pass
  fi
}
# detail WORD: a short explanation for the record (why it did not pass, or the summary line).
detail() {
  case "$1" in
    timeout) echo "no answer within ${lim_of_step}s (hang?): $(printf '%s' "$tail_out" | tail -n 2 | tr '\n' ' ')" ;;
    crash) echo "killed by signal $((rc - 128)): $(printf '%s' "$tail_out" | tail -n 2 | tr '\n' ' ')" ;;
    empty) echo "exit 0 with no output at all" ;;
    no-summary) echo "exit 0 without its summary line: $(printf '%s' "$tail_out" | tail -n 2 | tr '\n' ' ')" ;;
    *) printf '%s' "$tail_out" | grep -iE "$2" | tail -n 4 | tr '\n' ' ' ;;
  esac
}
have() { command -v "$1" >/dev/null 2>&1; }
started=$(date -u +%FT%TZ)
write_json

# The sources a build stamp names: SHA-256 of the `sha256sum` lines of every file under engines/native's
# CMakeLists.txt, src/, cmake/ and test/, sorted bytewise (cmake/BuildStamp.cmake computes the same).
source_hash() {
  (cd "$root/engines/native" && find CMakeLists.txt src cmake test -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) |
    sha256sum | cut -d' ' -f1
}
stamp="$bindir/build-stamp.txt"
stamp_field() { [ -f "$stamp" ] && awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$stamp"; }
# ver_lt A B: whether version A < version B (dotted numbers).
ver_lt() { [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$1" ]; }
stopped=""

for step in "${plan[@]}"; do
  t_step=$(date +%s)
  lim_of_step=${limit[$step]}
  if [ -n "$stopped" ]; then
    record "$step" not-run 0 "not run: $stopped"
    continue
  fi
  case "$step" in
  probe)
    # Versions first: the driver (and the CUDA version it supports), the toolkit the runner was built with (or nvcc
    # for --build), CMake. The statically linked CUDA runtime needs a driver for its major version.
    smi="absent"; drv=""; drv_cuda=""; lt="not found"; san="absent"; nv=""; cm=""; problem=""
    if have nvidia-smi; then
      smi=$(timeout 4 nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used,compute_cap --format=csv,noheader 2>&1 | head -n 4)
      drv=$(printf '%s' "$smi" | head -n 1 | awk -F', ' '{print $2}')
      drv_cuda=$(timeout 4 nvidia-smi 2>/dev/null | grep -o 'CUDA Version: [0-9.]*' | head -n 1 | cut -d' ' -f3)
    fi
    have nvcc && nv=$(nvcc --version | grep -o 'release [0-9.]*' | cut -d' ' -f2)
    have cmake && cm=$(cmake --version | head -n 1 | awk '{print $3}')
    if [ "$build_mode" = build ]; then tk=$nv; tk_from="nvcc"; else tk=$(stamp_field cuda | awk '$1 == 1 {print $2}'); tk_from="build stamp"; fi
    printf 'gpu-check: driver %s (supports CUDA %s), toolkit %s (%s), CMake %s\n' "${drv:-absent}" "${drv_cuda:-?}" \
      "${tk:-unknown}" "$tk_from" "${cm:-absent}" >&2
    for c in ${GEMBENCH_CUBLASLT:-} /usr/local/cuda/lib64/libcublasLt.so.13 /usr/local/cuda/lib64/libcublasLt.so.12; do
      [ -n "$c" ] && [ -e "$c" ] && { lt=$c; break; }
    done
    if [ "$lt" = "not found" ] && have ldconfig; then
      lt=$(ldconfig -p 2>/dev/null | awk '/libcublasLt\.so\.1[23] /{print $NF; exit}')
      [ -n "$lt" ] || lt="not found"
    fi
    have compute-sanitizer && san=$(command -v compute-sanitizer)
    [ "$san" = absent ] && [ -x /usr/local/cuda/bin/compute-sanitizer ] && san=/usr/local/cuda/bin/compute-sanitizer
    if [ -z "$drv" ]; then
      problem="no NVIDIA driver answers (nvidia-smi: ${smi//$'\n'/; })"
    elif [ -z "$drv_cuda" ]; then
      problem="nvidia-smi does not say which CUDA version driver $drv supports"
    elif [ "$build_mode" = build ] && [ -z "$nv" ]; then
      problem="--build needs nvcc (CUDA ≥ 12.0); none on the PATH"
    elif [ "$build_mode" = build ] && ver_lt "$nv" 12.0; then
      problem="--build needs CUDA ≥ 12.0 (sm_90a); nvcc is $nv"
    elif [ "$build_mode" = build ] && { [ -z "$cm" ] || ver_lt "$cm" 3.24; }; then
      problem="--build needs CMake ≥ 3.24 for the CUDA backend (sm_90a); CMake is ${cm:-absent}"
    elif [ -n "$tk" ] && [ "${drv_cuda%%.*}" -lt "${tk%%.*}" ]; then
      problem="driver $drv supports CUDA $drv_cuda, but the runner's statically linked CUDA $tk runtime needs a driver for CUDA ${tk%%.*}.x: build with a CUDA ${drv_cuda%%.*}.x toolkit (≥ 12.0) or update the driver"
    elif [ "$lt" = "not found" ]; then
      problem="libcublasLt.so.13/.so.12 not found (set GEMBENCH_CUBLASLT to its path)"
    fi
    printf '\n===== probe\nnvidia-smi: %s\ndriver CUDA: %s\ntoolkit: %s (%s)\nCMake: %s\ncuBLASLt: %s\ncompute-sanitizer: %s\n' \
      "$smi" "$drv_cuda" "$tk" "$tk_from" "$cm" "$lt" "$san" >>"$log"
    extra="\"nvidiaSmi\":$(jstr "$smi"),\"driverCuda\":$(jstr "$drv_cuda"),\"toolkit\":$(jstr "$tk"),\"cmake\":$(jstr "$cm"),\"cublasLt\":$(jstr "$lt"),\"computeSanitizer\":$(jstr "$san"),\"node\":$(jstr "$(node --version 2>/dev/null || echo absent)")"
    if [ -n "$problem" ]; then
      stopped="the probe found that this machine cannot work"
      record probe fail $(($(date +%s) - t_step)) "$problem" "$extra"
    else
      record probe pass $(($(date +%s) - t_step)) "GPU: ${smi//$'\n'/; }; driver CUDA $drv_cuda, toolkit $tk" "$extra"
    fi
    ;;
  build)
    if [ "$build_mode" = build ]; then
      bdir="$root/engines/native/build/cmake"
      run_step build bash -c "cmake -S '$root/engines/native' -B '$bdir' -DCMAKE_BUILD_TYPE=Release -DGEM_CUDA=ON && cmake --build '$bdir' --parallel $(nproc 2>/dev/null || echo 4)"
      st=$(outcome '.')
      [ "$st" = skip ] && st=pass  # a compiler line saying "skipped" is no skipped step
      record build "$st" "$secs" "$(printf '%s' "$tail_out" | tail -n 3 | tr '\n' ' ')"
    else
      # The carried build: its stamp must name these sources, a CUDA backend, and the binaries beside it.
      why=""
      if [ ! -f "$stamp" ]; then
        why="no build stamp at $stamp: build with GEMBENCH_CUDA=1 npm run build:native and carry engines/native/build/"
      elif [ "$(stamp_field sources)" != "$(source_hash)" ]; then
        why="the carried build is of other sources than this tree's engines/native (stamp $(stamp_field sources | cut -c1-12), tree $(source_hash | cut -c1-12); built from $(stamp_field git)): rebuild"
      elif [ "$(stamp_field cuda | awk '{print $1}')" != 1 ]; then
        why="the carried build has no CUDA backend (built without nvcc or with GEM_CUDA=OFF)"
      else
        while read -r _ name sum; do
          [ -n "$why" ] && break
          if [ ! -f "$bindir/$name" ]; then why="$bindir/$name is missing (the stamp names it)"
          elif [ "$(sha256sum "$bindir/$name" | cut -d' ' -f1)" != "$sum" ]; then why="$bindir/$name is not the binary the stamp names"
          fi
        done < <(grep '^bin ' "$stamp")
        grep -q '^bin gem-runner ' "$stamp" || why=${why:-"the stamp names no gem-runner"}
      fi
      if [ -n "$why" ]; then
        stopped="the carried build does not match this tree"
        record build fail $(($(date +%s) - t_step)) "$why"
      else
        record build pass $(($(date +%s) - t_step)) "build $(stamp_field git), CUDA $(stamp_field cuda | awk '{print $2}'), sources $(stamp_field sources | cut -c1-12) = this tree"
      fi
    fi
    ;;
  selftest | selftest-mma)
    if [ "$step" = selftest ]; then run_step selftest "$runner" selftest --backend cuda
    else run_step selftest-mma env GEMBENCH_CUDA_ATTENTION=mma "$runner" selftest --backend cuda; fi
    # A selftest with skipped rows (an op the backend lacks) is recorded as skip, and fails the check.
    st=$(outcome '^[1-9][0-9]* passed, 0 failed, 0 skipped')
    record "$step" "$st" "$secs" "$(detail "$st" '^[0-9]+ passed|^FAIL|no usable GPU|not built')" \
      "\"failures\":$(jstr "$(printf '%s' "$tail_out" | grep -E '^FAIL|^skip ' | head -n 20)")"
    ;;
  ops | hopper)
    if [ "$step" = ops ]; then b="$bindir/gem-cuda-op-test"; else b="$bindir/gem-hopper-gpu-test"; fi
    if [ ! -x "$b" ]; then
      record "$step" skip 0 "$b is not built (no nvcc at build time)"
      continue
    fi
    if [ "$step" = ops ]; then run_step ops "$b"; else run_step hopper "$b" --require; fi
    st=$(outcome '^[1-9][0-9]* checks, 0 failures')
    record "$step" "$st" "$secs" "$(detail "$st" '^FAIL|checks, |^skipped')"
    ;;
  memcheck | racecheck | synccheck)
    san=$(command -v compute-sanitizer || { [ -x /usr/local/cuda/bin/compute-sanitizer ] && echo /usr/local/cuda/bin/compute-sanitizer; })
    if [ -z "$san" ]; then
      record "$step" skip 0 "compute-sanitizer is not installed"
      continue
    fi
    # memcheck over the selftest's small shapes; racecheck (shared-memory hazards) and synccheck (barrier misuse)
    # over the op tests, whose kernels are the shared-memory ones.
    if [ "$step" = memcheck ]; then
      run_step memcheck "$san" --tool memcheck --error-exitcode 9 "$runner" selftest --backend cuda
      sum='ERROR SUMMARY: 0 errors'
    elif [ ! -x "$bindir/gem-cuda-op-test" ]; then
      record "$step" skip 0 "$bindir/gem-cuda-op-test is not built (no nvcc at build time)"
      continue
    else
      run_step "$step" "$san" --tool "$step" --error-exitcode 9 "$bindir/gem-cuda-op-test"
      sum='(ERROR|RACECHECK) SUMMARY: 0 (errors|hazards)'
    fi
    st=$(outcome "$sum")
    [ "$st" = pass ] && ! printf '%s\n' "$tail_out" | grep -qE '^[1-9][0-9]* (passed|checks)' && st=no-summary
    record "$step" "$st" "$secs" "$(detail "$st" 'SUMMARY|passed, |checks, ')"
    ;;
  models | chunked)
    # The bf16 end-to-end tests and the selection references of all twelve methods (the first five's file and the
    # second wave's: streamingllm, knorm, tova, observed, pyramidkv, chunkkv, adasnapkv with its ragged cache) on the
    # cuda runner (the chunked step: 37-token prefill chunks, so prompts run several chunks and a short last one, and
    # eager decode steps, no CUDA graph).
    if ! have node; then
      record "$step" skip 0 "no Node.js here (source .gpu/setup.sh first: ../shared/tools/gpu-bundle)"
      continue
    fi
    envs=(GEMBENCH_RUNNER="$runner" GEMBENCH_RUNNER_ARGS="--backend cuda")
    [ "$step" = chunked ] && envs+=(GEMBENCH_CUDA_PREFILL_CHUNK=37 GEMBENCH_CUDA_GRAPHS=0)
    run_step "$step" env "${envs[@]}" npx ava test/native-cuda-bf16-end-to-end.test.ts test/native-selection-reference.test.ts \
      test/native-selection-second-wave.test.ts
    st=$(outcome '[1-9][0-9]* tests? passed')
    printf '%s\n' "$tail_out" | grep -qE '[1-9][0-9]* (known failures?|tests? failed|tests? todo|uncaught|unhandled)' && [ "$st" = pass ] && st=fail
    record "$step" "$st" "$secs" "$(detail "$st" 'passed|failed|skipped|✘')"
    ;;
  speed)
    # Dense and GemFilter (r = 13, k = 1024) prefill on the synthetic Llama-3.1-8B at 8K and 32K, 1 new token, then
    # 50 tokens after 8K: the runner's own timings and memory peaks, one line per cell. The numbers are checked:
    # every cell answered, timings positive, prefill slower at 32K than at 8K for both methods, 49 decode steps
    # timed, and per cell arenaPeakBytes ≤ arenaBytes ≤ deviceUsedBytes.
    req=$(mktemp)
    ids() { awk -v n="$1" 'BEGIN{for(i=0;i<n;i++) printf "%s%d", (i?",":""), 1000+(i*7919)%120000}'; }
    dense='{"name":"dense","params":{}}'
    gem='{"name":"gemfilter","params":{"filterLayer":13,"k":1024}}'
    {
      echo '{"id":0,"op":"load","model":"synthetic:llama-3.1-8b"}'
      echo "{\"id\":100,\"op\":\"generate\",\"inputIds\":[$(ids 1024)],\"method\":$dense,\"maxNewTokens\":1,\"ignoreEos\":true}"
      echo "{\"id\":1,\"op\":\"generate\",\"inputIds\":[$(ids 8192)],\"method\":$dense,\"maxNewTokens\":1,\"ignoreEos\":true}"
      echo "{\"id\":2,\"op\":\"generate\",\"inputIds\":[$(ids 8192)],\"method\":$gem,\"maxNewTokens\":1,\"ignoreEos\":true}"
      echo "{\"id\":3,\"op\":\"generate\",\"inputIds\":[$(ids 32768)],\"method\":$dense,\"maxNewTokens\":1,\"ignoreEos\":true}"
      echo "{\"id\":4,\"op\":\"generate\",\"inputIds\":[$(ids 32768)],\"method\":$gem,\"maxNewTokens\":1,\"ignoreEos\":true}"
      echo "{\"id\":5,\"op\":\"generate\",\"inputIds\":[$(ids 8192)],\"method\":$dense,\"maxNewTokens\":50,\"ignoreEos\":true}"
      echo "{\"id\":6,\"op\":\"generate\",\"inputIds\":[$(ids 8192)],\"method\":$gem,\"maxNewTokens\":50,\"ignoreEos\":true}"
    } >"$req"
    run_step speed bash -c "'$runner' --backend cuda <'$req'"
    rm -f "$req"
    st=$(outcome '"id":6,"ok":true')
    if [ "$st" = pass ]; then
      bad=$(printf '%s\n' "$tail_out" | awk -f "$root/scripts/gpu-check-speed.awk")
      [ -n "$bad" ] && st=fail
    fi
    cells=$(printf '%s' "$tail_out" | grep -o '"id":[0-9]*,"ok":[a-z]*\|"timings":{[^}]*}' | tr '\n' ' ')
    record speed "$st" "$secs" "${bad:+$bad; }$(if [ "$st" = pass ] || [ "$st" = fail ]; then printf '%s' "$cells"; else detail "$st"; fi)"
    ;;
  peer)
    # The transformers speed peer on the GPU (engines/transformers/README.md): a tiny bf16 bench through ours and
    # the peer in one `gembench run`; every peer record must have completed with CUDA-event timings and a GPU memory
    # figure, and summary.md must hold the ratios.
    if [ -z "${GEMBENCH_TRANSFORMERS_PYTHON:-}" ]; then
      record peer skip 0 "GEMBENCH_TRANSFORMERS_PYTHON is not set (a Python with torch + transformers)"
      continue
    elif ! have node; then
      record peer skip 0 "no Node.js here (source .gpu/setup.sh first: ../shared/tools/gpu-bundle)"
      continue
    fi
    cfg="$out/peer-config.json"
    printf '%s\n' '{"name":"gpu-check-peer","models":[{"id":"synthetic:tiny-llama","dtype":"bf16"}],"engines":[{"method":"dense","engine":["native","transformers"]},{"method":"gemfilter","params":{"filterLayer":1,"k":64},"engine":["native","transformers"]},{"method":"snapkv","params":{"k":64},"engine":["native","transformers"]},{"method":"h2o","params":{"k":64},"engine":["native","transformers"]}],"suites":[{"name":"bench","options":{"lengths":[256,1024],"maxNewTokens":8},"ignoreEos":true,"warmups":1,"repeats":2}]}' >"$cfg"
    rm -rf "$out/peer-run"
    run_step peer env GEMBENCH_RUNNER="$runner" node "$root/bin/gembench.js" run "$cfg" --devices 0 --out "$out/peer-run"
    st=$(outcome '.')
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
    record peer "$st" "$secs" "$(if [ "$st" = pass ] || [ "$st" = fail ]; then printf '%s' "$check"; else detail "$st"; fi)"
    ;;
  esac
done

write_json
if [ ${#not_passed[@]} -eq 0 ]; then
  echo "gpu-check: all ${#plan[@]} steps passed; results in $json, log in $log" >&2
  exit 0
fi
printf 'gpu-check: FAILED — %d of %d steps did not pass: %s\n' "${#not_passed[@]}" "${#plan[@]}" \
  "$(IFS=';'; printf '%s' "${not_passed[*]}" | sed 's/;/; /g')" >&2
echo "gpu-check: results in $json, log in $log" >&2
exit 1
