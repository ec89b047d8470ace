#!/usr/bin/env bash
# bench/http/run.sh — docent's HTTP server vs. a minimal Beast server, under wrk.
#
# Usage: bench/http/run.sh [BUILD_DIR]        (default: build, or $BUILD_DIR)
#
# Builds `docent` and `bench_http_baseline` in BUILD_DIR, starts both on
# 127.0.0.1 with free ports and the same thread count, checks that each answers
# GET /health and POST /v1/echo correctly, then measures both scenarios with
# wrk, alternating the servers, and writes the bench:http section of
# docs/PERFORMANCE.md. Raw wrk outputs stay in BUILD_DIR/bench/http-results/.
#
# Knobs (environment):
#   SERVER_THREADS=1     threads per server (1 leaves the other core for wrk)
#   WRK_THREADS=1  WRK_CONNECTIONS=32  WRK_DURATION=8  WARMUP_DURATION=2  (seconds)
#   REPEATS=3            runs per server and scenario; the median is reported
#   PIN_CPUS=1           pin the servers to the first SERVER_THREADS CPUs and
#                        wrk to the rest (skipped if there is no CPU left)
#   BENCH_NICE=-10       nice level for the servers and wrk, so that other work on
#                        the machine (e.g. a build) disturbs them less; needs
#                        root for negative values (default: -10 as root, else 0)
#   BUILD_JOBS=2         parallelism of the build step;  SKIP_BUILD=1 skips it
#   PERF_DOC=docs/PERFORMANCE.md   where the section goes ("" = don't write)
#   STRICT=1             exit 1 if a target (rps ratio >= 0.8, p99 ratio <= 2.0) is missed
#   AUTH_CONNECTIONS=50  connections of the authenticated phase: docent's GET /v1/models
#                        with an API key against docent's own GET /health, same
#                        server, same run (skipped with BENCH_TARGET_CMD)
#   DOCENT_ARGS          extra arguments for `docent serve`; the default turns the native
#                        rate limit on (limits.native_default, far above what wrk reaches) so
#                        the authenticated phase pays the limit check and its headers, as the
#                        target asks; the public /health and /v1/echo are not limited
#   BENCH_TARGET_CMD     run this instead of docent in the "docent" slot; it must
#                        listen on 127.0.0.1 and print a line containing
#                        http://127.0.0.1:PORT (e.g. a second baseline, which
#                        checks the harness itself: ratios should be ~1.0)
set -euo pipefail

# The exact command, with the knobs the caller set, for the report.
invocation=""
for var in BUILD_DIR SERVER_THREADS WRK_THREADS WRK_CONNECTIONS WRK_DURATION WARMUP_DURATION \
           REPEATS PIN_CPUS BENCH_NICE PERF_DOC STRICT AUTH_CONNECTIONS DOCENT_ARGS BENCH_TARGET_CMD; do
  if [[ -n "${!var+set}" ]]; then invocation+="$var=$(printf %q "${!var}") "; fi
done
invocation+="bench/http/run.sh"
for arg in "$@"; do invocation+=" $(printf %q "$arg")"; done

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)

build_dir=${1:-${BUILD_DIR:-$repo_root/build}}
build_dir=$(cd "$build_dir" 2>/dev/null && pwd) || {
  echo "run.sh: build directory '${1:-${BUILD_DIR:-build}}' does not exist (configure it first)" >&2
  exit 2
}
SERVER_THREADS=${SERVER_THREADS:-1}
WRK_THREADS=${WRK_THREADS:-1}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-32}
WRK_DURATION=${WRK_DURATION:-8}
WARMUP_DURATION=${WARMUP_DURATION:-2}
REPEATS=${REPEATS:-3}
PIN_CPUS=${PIN_CPUS:-1}
BUILD_JOBS=${BUILD_JOBS:-2}
SKIP_BUILD=${SKIP_BUILD:-0}
PERF_DOC=${PERF_DOC-$repo_root/docs/PERFORMANCE.md}
STRICT=${STRICT:-0}
if [[ -z ${BENCH_NICE:-} ]]; then
  if (( EUID == 0 )); then BENCH_NICE=-10; else BENCH_NICE=0; fi
fi
BENCH_TARGET_CMD=${BENCH_TARGET_CMD:-}
AUTH_CONNECTIONS=${AUTH_CONNECTIONS:-50}
DOCENT_ARGS=${DOCENT_ARGS-"--set limits.native_default=1000000000/hour"}

for var in SERVER_THREADS WRK_THREADS WRK_CONNECTIONS WRK_DURATION WARMUP_DURATION REPEATS AUTH_CONNECTIONS; do
  [[ "${!var}" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: $var must be a positive integer" >&2; exit 2; }
done

python=/usr/bin/python3
[[ -x $python ]] || python=python3
harness=("$python" "$script_dir/harness.py")
command -v wrk >/dev/null || { echo "run.sh: wrk not found (apt-get install wrk)" >&2; exit 2; }

# --- build ------------------------------------------------------------------
targets=(bench_http_baseline)
[[ -n $BENCH_TARGET_CMD ]] || targets+=(docent)
if [[ $SKIP_BUILD != 1 ]]; then
  cmake --build "$build_dir" --target "${targets[@]}" -j "$BUILD_JOBS"
fi
baseline_bin=$build_dir/bench/bench_http_baseline
docent_bin=$build_dir/docent

# --- CPU placement ----------------------------------------------------------
cpus=$(nproc)
cpu_range() { if (( $1 == $2 )); then echo "$1"; else echo "$1-$2"; fi; }
server_launch=()
wrk_launch=()
if [[ $PIN_CPUS == 1 ]] && (( cpus > SERVER_THREADS )) && command -v taskset >/dev/null; then
  server_cpus=$(cpu_range 0 $((SERVER_THREADS - 1)))
  wrk_cpus=$(cpu_range "$SERVER_THREADS" $((cpus - 1)))
  server_launch=(taskset -c "$server_cpus")
  wrk_launch=(taskset -c "$wrk_cpus")
  placement="servers pinned to CPU $server_cpus, wrk to CPU $wrk_cpus"
else
  placement="no CPU pinning"
fi
if [[ $BENCH_NICE != 0 ]]; then
  server_launch=(nice -n "$BENCH_NICE" "${server_launch[@]}")
  wrk_launch=(nice -n "$BENCH_NICE" "${wrk_launch[@]}")
  placement+=", servers and wrk at nice $BENCH_NICE"
fi

# --- servers ----------------------------------------------------------------
# Set by start_server (printf -v), read through ${!name}.
baseline_url="" docent_url=""
work=$(mktemp -d "${TMPDIR:-/tmp}/docent-bench-http.XXXXXX")
server_pids=()

cleanup() {
  local pid
  for pid in "${server_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server NAME CMD... — starts CMD (pinned, niced), waits up to 10 s for a
# line with http://127.0.0.1:PORT on its output, and sets ${NAME}_url and
# ${NAME}_pid.
start_server() {
  local name=$1; shift
  local out=$work/$name.out err=$work/$name.err url="" pid
  "${server_launch[@]}" "$@" >"$out" 2>"$err" &
  pid=$!
  server_pids+=("$pid")
  local deadline=$(( ${EPOCHREALTIME/./} + 10000000 ))  # microseconds
  while (( ${EPOCHREALTIME/./} < deadline )); do
    # stdout is the contract; stderr too, in case the line goes through a logger.
    url=$(cat "$out" "$err" | grep -o -m1 'http://127\.0\.0\.1:[0-9]\+' || true)
    [[ -n $url ]] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run.sh: $name exited before printing its address: $*" >&2
      sed 's/^/  | /' "$err" "$out" >&2
      exit 1
    fi
    sleep 0.1
  done
  if [[ -z $url ]]; then
    echo "run.sh: $name printed no http://127.0.0.1:PORT line within 10 s: $*" >&2
    exit 1
  fi
  printf -v "${name}_url" '%s' "$url"
  printf -v "${name}_pid" '%s' "$pid"
  echo "$name: $url (pid $pid)" >&2
}

baseline_cmd=("$baseline_bin" --port 0 --threads "$SERVER_THREADS")
if [[ -n $BENCH_TARGET_CMD ]]; then
  target_cmd=(bash -c "exec $BENCH_TARGET_CMD")
  target_shown=$BENCH_TARGET_CMD
else
  mkdir -p "$work/data"
  read -r -a docent_extra <<<"$DOCENT_ARGS"
  target_cmd=("$docent_bin" serve --host 127.0.0.1 --port 0 --data "$work/data"
              --threads "$SERVER_THREADS" "${docent_extra[@]}")
  target_shown="${docent_bin#"$repo_root"/} serve --host 127.0.0.1 --port 0 --data <tmpdir> --threads $SERVER_THREADS"
  [[ -z $DOCENT_ARGS ]] || target_shown+=" $DOCENT_ARGS"
fi

start_server baseline "${baseline_cmd[@]}"
start_server docent "${target_cmd[@]}"
"${harness[@]}" check "$baseline_url" "$script_dir/echo.lua"
"${harness[@]}" check "$docent_url" "$script_dir/echo.lua"
# The authenticated phase uses the admin key a fresh data folder prints on first start.
api_key=""
if [[ -z $BENCH_TARGET_CMD ]]; then
  api_key=$(cat "$work/docent.out" "$work/docent.err" | grep -o -m1 'admin key: dk_[0-9A-Za-z]*' | cut -d' ' -f3 || true)
  [[ -n $api_key ]] || { echo "run.sh: docent printed no admin key on first start" >&2; exit 1; }
  "${harness[@]}" check-auth "$docent_url" "$api_key"
fi

# --- measurements -----------------------------------------------------------
scenario_ids=(health echo)
scenario_labels=("GET /health" "POST /v1/echo")
scenario_paths=(/health /v1/echo)
scenario_scripts=("" "$script_dir/echo.lua")
scenario_headers=("" "")
# The authenticated phase: docent alone, its own /health as the reference (same server, same run).
auth_ids=(auth_health auth_models)
auth_labels=("GET /health" "GET /v1/models with an API key")
auth_first=${#scenario_ids[@]}
scenario_paths+=(/health /v1/models)
scenario_scripts+=("" "")
scenario_headers+=("" "Authorization: Bearer $api_key")

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${load_before%% *}" 'BEGIN { exit !(l > 1.0) }'; then
  echo "warning: load average is $load_before; other work will depress and blur the figures" >&2
fi
results=$build_dir/bench/http-results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$results"
wrk_base=(wrk "-t$WRK_THREADS" "-c$WRK_CONNECTIONS" --latency)

# run_wrk SERVER DURATION SCENARIO_INDEX OUTPUT [WRK_ARGS...] (WRK_ARGS replace the -t/-c defaults)
run_wrk() {
  local server=$1 duration=$2 i=$3 output=$4 url_var=${1}_url pid_var=${1}_pid
  shift 4
  local args=("${wrk_base[@]}" "-d${duration}s")
  (( $# == 0 )) || args=(wrk "$@" --latency "-d${duration}s")
  [[ -z ${scenario_scripts[i]} ]] || args+=(-s "${scenario_scripts[i]}")
  [[ -z ${scenario_headers[i]} ]] || args+=(-H "${scenario_headers[i]}")
  # Bounded even if wrk hangs: its duration plus a grace period.
  timeout --kill-after=5 $((duration + 30)) "${wrk_launch[@]}" "${args[@]}" \
    "${!url_var}${scenario_paths[i]}" >"$output"
  if ! kill -0 "${!pid_var}" 2>/dev/null; then
    echo "run.sh: $server died during the ${scenario_labels[i]} run" >&2
    exit 1
  fi
}

total=$(( ${#scenario_ids[@]} * 2 * (WARMUP_DURATION + REPEATS * WRK_DURATION) ))
echo "measuring: about ${total} s of wrk (${#scenario_ids[@]} scenarios x 2 servers x" \
     "(${WARMUP_DURATION} s warm-up + ${REPEATS} x ${WRK_DURATION} s))" >&2
for i in "${!scenario_ids[@]}"; do
  id=${scenario_ids[i]}
  for server in baseline docent; do
    run_wrk "$server" "$WARMUP_DURATION" "$i" "$results/warmup__${id}__${server}.txt"
  done
  for rep in $(seq "$REPEATS"); do
    # Alternate which server goes first so slow drift hits both equally.
    if (( rep % 2 )); then order=(baseline docent); else order=(docent baseline); fi
    for server in "${order[@]}"; do
      out=$results/${id}__${server}__${rep}.txt
      run_wrk "$server" "$WRK_DURATION" "$i" "$out"
      printf '%-14s %-8s run %d/%d: %s\n' "${scenario_labels[i]}" "$server" "$rep" "$REPEATS" \
        "$("${harness[@]}" summary "$out")" >&2
    done
  done
done

if [[ -z $BENCH_TARGET_CMD ]]; then
  auth_wrk=("-t$WRK_THREADS" "-c$AUTH_CONNECTIONS")
  for j in 0 1; do
    run_wrk docent "$WARMUP_DURATION" $((auth_first + j)) "$results/warmup__${auth_ids[j]}__docent.txt" "${auth_wrk[@]}"
  done
  for rep in $(seq "$REPEATS"); do
    if (( rep % 2 )); then order=(0 1); else order=(1 0); fi
    for j in "${order[@]}"; do
      out=$results/${auth_ids[j]}__docent__${rep}.txt
      run_wrk docent "$WRK_DURATION" $((auth_first + j)) "$out" "${auth_wrk[@]}"
      printf '%-30s docent -c%d run %d/%d: %s\n' "${auth_labels[j]}" "$AUTH_CONNECTIONS" "$rep" "$REPEATS" \
        "$("${harness[@]}" summary "$out")" >&2
    done
  done
fi

# --- report -----------------------------------------------------------------
commit=$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo "none")
if [[ -n $(git -C "$repo_root" status --porcelain 2>/dev/null | head -1) ]]; then
  commit+=" (with uncommitted changes)"
fi
cpu_model=$(sed -n '/^model name/{s/^model name[[:space:]]*: //;p;q}' /proc/cpuinfo)
report_args=(
  --results "$results" --repeats "$REPEATS"
  --nproc "$cpus" --load-before "$load_before" --cpu-model "${cpu_model:-unknown CPU}" --commit "$commit"
  --command "$invocation" --wrk "${wrk_base[*]} -d${WRK_DURATION}s"
  --warmup "$WARMUP_DURATION" --server-threads "$SERVER_THREADS" --placement "$placement"
  --baseline-cmd "${baseline_bin#"$repo_root"/} --port 0 --threads $SERVER_THREADS"
  --target-cmd "$target_shown"
)
for i in "${!scenario_ids[@]}"; do report_args+=(--scenario "${scenario_ids[i]}" "${scenario_labels[i]}"); done
[[ -z $PERF_DOC ]] || report_args+=(--doc "$PERF_DOC")
if [[ -z $BENCH_TARGET_CMD ]]; then
  report_args+=(--auth "${auth_ids[0]}" "${auth_ids[1]}" "${auth_labels[1]}" --auth-wrk "wrk -t$WRK_THREADS -c$AUTH_CONNECTIONS --latency -d${WRK_DURATION}s")
else
  report_args+=(--target-overridden)
fi
[[ $STRICT != 1 ]] || report_args+=(--strict)
echo "raw wrk outputs: $results" >&2
"${harness[@]}" report "${report_args[@]}"
