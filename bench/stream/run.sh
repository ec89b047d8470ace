#!/usr/bin/env bash
# bench/stream/run.sh — streaming chat completions through docent vs. the same upstream direct.
#
# Usage: bench/stream/run.sh [BUILD_DIR]        (default: build, or $BUILD_DIR)
#
# Builds `docent` and `bench_stream_upstream` in BUILD_DIR, starts the fake upstream
# (bench/stream/upstream_server.cpp) and `docent serve` with --llm-url pointing at it, checks one
# stream through each, then measures with bench/stream/stream_client.py, alternating direct and
# via-docent runs in each repeat:
#
#   paced   PACED_TOKENS tokens PACED_DELAY_MS apart per answer (a model's pace): TTFT p50/p99
#           and tokens/s, direct vs. via docent; the added TTFT is the difference of the p50s.
#   burst   BURST_TOKENS tokens per answer as fast as the upstream writes them: tokens/s, the
#           relay's capacity (an upstream no model server comes close to).
#   prefill PREFILL_STREAMS streams opened at once, the upstream waiting PREFILL_DELAY_MS before
#           each first token (a model's prompt processing), direct vs. via docent: TTFT and how
#           many were open together.
#   hold    STREAMS streams through docent at once, HOLD_TOKENS tokens HOLD_DELAY_MS apart
#           (15 s each by default): how many were open at the same time, and docent's VmRSS
#           before and while they were open (the upstream's too, as a yardstick); then the same
#           streams direct to the upstream, the baseline for the TTFT of opening them all at once.
#
# and writes the bench:stream section of docs/PERFORMANCE.md. Raw client outputs stay in
# BUILD_DIR/bench/stream-results/.
#
# Knobs (environment):
#   REPEATS=5  REQUESTS=100 (paced requests per run)  BURST_REQUESTS=10 (per run)
#   PACED_TOKENS=32  PACED_DELAY_MS=1  BURST_TOKENS=2000
#   STREAMS=1000  HOLD_TOKENS=150  HOLD_DELAY_MS=100  PREFILL_STREAMS=100  PREFILL_DELAY_MS=200
#   PIN_CPUS=1       pin the upstream and docent to CPU 0 and the client to the rest
#   BENCH_NICE       nice level for all three (default: -10 as root, else 0)
#   BUILD_JOBS=2     parallelism of the build step;  SKIP_BUILD=1 skips it
#   DOCENT_BIN       run this docent binary instead of BUILD_DIR/docent
#   PERF_DOC=docs/PERFORMANCE.md   where the section goes ("" = don't write)
#   STRICT=1         exit 1 if a target (added TTFT p50 < 2 ms, paced tokens/s ratio >= 0.98,
#                    all STREAMS held) is missed
set -euo pipefail

invocation=""
for var in BUILD_DIR REPEATS REQUESTS BURST_REQUESTS PACED_TOKENS PACED_DELAY_MS BURST_TOKENS STREAMS \
           HOLD_TOKENS HOLD_DELAY_MS PREFILL_STREAMS PREFILL_DELAY_MS PIN_CPUS BENCH_NICE SKIP_BUILD DOCENT_BIN PERF_DOC STRICT; do
  if [[ -n "${!var+set}" ]]; then invocation+="$var=$(printf %q "${!var}") "; fi
done
invocation+="bench/stream/run.sh"
for arg in "$@"; do invocation+=" $(printf %q "$arg")"; done

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)

build_dir=${1:-${BUILD_DIR:-$repo_root/build}}
build_dir=$(cd "$build_dir" 2>/dev/null && pwd) || {
  echo "run.sh: build directory '${1:-${BUILD_DIR:-build}}' does not exist (configure it first)" >&2
  exit 2
}
REPEATS=${REPEATS:-5}
REQUESTS=${REQUESTS:-100}
BURST_REQUESTS=${BURST_REQUESTS:-10}
PACED_TOKENS=${PACED_TOKENS:-32}
PACED_DELAY_MS=${PACED_DELAY_MS:-1}
BURST_TOKENS=${BURST_TOKENS:-2000}
STREAMS=${STREAMS:-1000}
HOLD_TOKENS=${HOLD_TOKENS:-150}
HOLD_DELAY_MS=${HOLD_DELAY_MS:-100}
PREFILL_STREAMS=${PREFILL_STREAMS:-100}
PREFILL_DELAY_MS=${PREFILL_DELAY_MS:-200}
PIN_CPUS=${PIN_CPUS:-1}
BUILD_JOBS=${BUILD_JOBS:-2}
SKIP_BUILD=${SKIP_BUILD:-0}
PERF_DOC=${PERF_DOC-$repo_root/docs/PERFORMANCE.md}
STRICT=${STRICT:-0}
if [[ -z ${BENCH_NICE:-} ]]; then
  if (( EUID == 0 )); then BENCH_NICE=-10; else BENCH_NICE=0; fi
fi
for var in REPEATS REQUESTS BURST_REQUESTS PACED_TOKENS BURST_TOKENS STREAMS HOLD_TOKENS PREFILL_STREAMS; do
  [[ "${!var}" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: $var must be a positive integer" >&2; exit 2; }
done
for var in PACED_DELAY_MS HOLD_DELAY_MS PREFILL_DELAY_MS; do
  [[ "${!var}" =~ ^[0-9]+$ ]] || { echo "run.sh: $var must be a non-negative integer" >&2; exit 2; }
done

python=/usr/bin/python3
[[ -x $python ]] || python=python3
client=("$python" "$script_dir/stream_client.py")

# Every stream is a socket at the client, two at docent (client + upstream) and one at the upstream.
want_fds=65536
ulimit -n "$want_fds" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if (( $(ulimit -n) < 2 * STREAMS + 256 )); then
  echo "run.sh: ulimit -n is $(ulimit -n), too low for $STREAMS streams" >&2
  exit 2
fi

# --- build ------------------------------------------------------------------
if [[ $SKIP_BUILD != 1 ]]; then
  cmake --build "$build_dir" --target docent bench_stream_upstream -j "$BUILD_JOBS"
fi
upstream_bin=$build_dir/bench/bench_stream_upstream
docent_bin=${DOCENT_BIN:-$build_dir/docent}

# --- CPU placement ----------------------------------------------------------
cpus=$(nproc)
server_launch=()
client_launch=()
if [[ $PIN_CPUS == 1 ]] && (( cpus > 1 )) && command -v taskset >/dev/null; then
  client_cpus=1; (( cpus == 2 )) || client_cpus="1-$((cpus - 1))"
  server_launch=(taskset -c 0)
  client_launch=(taskset -c "$client_cpus")
  placement="upstream and docent pinned to CPU 0, client to CPU $client_cpus"
else
  placement="no CPU pinning"
fi
if [[ $BENCH_NICE != 0 ]]; then
  server_launch=(nice -n "$BENCH_NICE" "${server_launch[@]}")
  client_launch=(nice -n "$BENCH_NICE" "${client_launch[@]}")
  placement+=", all at nice $BENCH_NICE"
fi

# --- servers ----------------------------------------------------------------
upstream_url="" docent_url="" upstream_pid="" docent_pid=""
work=$(mktemp -d "${TMPDIR:-/tmp}/docent-bench-stream.XXXXXX")
server_pids=()

cleanup() {
  local pid
  for pid in "${server_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server NAME CMD... — starts CMD (pinned, niced), waits up to 15 s for a line with
# http://127.0.0.1:PORT on its output, and sets ${NAME}_url and ${NAME}_pid.
start_server() {
  local name=$1; shift
  local out=$work/$name.out err=$work/$name.err url="" pid
  "${server_launch[@]}" "$@" >"$out" 2>"$err" &
  pid=$!
  server_pids+=("$pid")
  local deadline=$(( ${EPOCHREALTIME/./} + 15000000 ))
  while (( ${EPOCHREALTIME/./} < deadline )); do
    url=$(cat "$out" "$err" | grep -o -m1 'http://127\.0\.0\.1:[0-9]\+' || true)
    [[ -n $url ]] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run.sh: $name exited before printing its address: $*" >&2
      sed 's/^/  | /' "$err" "$out" >&2
      exit 1
    fi
    sleep 0.1
  done
  [[ -n $url ]] || { echo "run.sh: $name printed no http://127.0.0.1:PORT line within 15 s: $*" >&2; exit 1; }
  printf -v "${name}_url" '%s' "$url"
  printf -v "${name}_pid" '%s' "$pid"
  echo "$name: $url (pid $pid)" >&2
}

# The defaults are the hold's pace: conversations pass no bench_* fields on to the upstream.
start_server upstream "$upstream_bin" --port 0 --threads 1 --tokens "$HOLD_TOKENS" --token-delay-ms "$HOLD_DELAY_MS"
mkdir -p "$work/data"
# The key is a dummy (the fake upstream checks none); loopback needs llm.allow_private.
start_server docent "$docent_bin" serve --host 127.0.0.1 --port 0 --data "$work/data" \
  --llm-url "$upstream_url/v1" --llm-key x --set llm.allow_private=true
# taskset/nice exec the server, so $!'s pid is the server's own (checked: VmRSS must be docent's).
grep -q '^Name:[[:space:]]*docent' "/proc/$docent_pid/status" || {
  echo "run.sh: pid $docent_pid is not docent" >&2; exit 1; }
admin_key=$(grep -o -m1 'dk_[A-Za-z0-9_-]*' "$work/docent.out" || true)
[[ -n $admin_key ]] || { echo "run.sh: docent printed no first-start admin key" >&2; sed 's/^/  | /' "$work/docent.out" >&2; exit 1; }

# run_client NAME OUT ARGS... — one client run against "direct" or "docent".
run_client() {
  local target=$1 out=$2; shift 2
  local url=$upstream_url key_args=()
  if [[ $target == docent ]]; then url=$docent_url; key_args=(--key "$admin_key"); fi
  timeout --kill-after=5 300 "${client_launch[@]}" "${client[@]}" "$1" "$url" "${key_args[@]}" "${@:2}" >"$out"
  for pid in "$upstream_pid" "$docent_pid"; do
    kill -0 "$pid" 2>/dev/null || { echo "run.sh: a server died during a $target run" >&2; exit 1; }
  done
}

results=$build_dir/bench/stream-results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$results"
# Check: one stream each way (also makes docent list the upstream's models once).
for target in direct docent; do
  run_client "$target" "$results/check__$target.json" seq --requests 3 --warmup 0 --tokens 5
done

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${load_before%% *}" 'BEGIN { exit !(l > 1.0) }'; then
  echo "warning: load average is $load_before; other work will depress and blur the figures" >&2
fi
start_s=$SECONDS

paced_args=(seq --requests "$REQUESTS" --warmup 5 --tokens "$PACED_TOKENS" --token-delay-ms "$PACED_DELAY_MS")
burst_args=(seq --requests "$BURST_REQUESTS" --warmup 2 --tokens "$BURST_TOKENS" --token-delay-ms 0)
for rep in $(seq "$REPEATS"); do
  if (( rep % 2 )); then order=(direct docent); else order=(docent direct); fi
  for scenario in paced burst; do
    for target in "${order[@]}"; do
      out=$results/${scenario}__${target}__${rep}.json
      if [[ $scenario == paced ]]; then run_client "$target" "$out" "${paced_args[@]}"
      else run_client "$target" "$out" "${burst_args[@]}"; fi
      printf '%-6s %-7s run %d/%d: %s\n' "$scenario" "$target" "$rep" "$REPEATS" "$(cat "$out")" >&2
    done
  done
done

# Prefill: streams opened together, each waiting PREFILL_DELAY_MS for its first token.
prefill_args=(hold --streams "$PREFILL_STREAMS" --tokens 20 --token-delay-ms 50 --first-delay-ms "$PREFILL_DELAY_MS"
              --settle 0.1)
for target in direct docent; do
  run_client "$target" "$results/prefill__$target.json" "${prefill_args[@]}"
  printf 'prefill %-7s: %s\n' "$target" "$(cat "$results/prefill__$target.json")" >&2
done

# Hold STREAMS streams through docent; RSS of docent and of the upstream (the yardstick: a
# coroutine per connection) sampled by the client before and while they are all open.
echo "hold: $STREAMS streams through docent, $HOLD_TOKENS tokens $HOLD_DELAY_MS ms apart" >&2
sleep 1
hold_args=(hold --streams "$STREAMS" --tokens "$HOLD_TOKENS" --token-delay-ms "$HOLD_DELAY_MS" --settle 2)
# CPU time (utime + stime, clock ticks) of docent and the upstream over the hold.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
docent_cpu0=$(cpu_ticks "$docent_pid") upstream_cpu0=$(cpu_ticks "$upstream_pid") hold_t0=$EPOCHREALTIME
run_client docent "$results/hold.json" "${hold_args[@]}" --pid "$docent_pid" --pid "$upstream_pid"
hold_wall=$(awk -v a="$hold_t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
hold_cpu="$(( $(cpu_ticks "$docent_pid") - docent_cpu0 )) $(( $(cpu_ticks "$upstream_pid") - upstream_cpu0 )) $(getconf CLK_TCK) $hold_wall"
echo "$hold_cpu" >"$results/hold_cpu.txt"
echo "hold docent: $(cat "$results/hold.json")" >&2
sleep 1
run_client direct "$results/hold__direct.json" "${hold_args[@]}"
echo "hold direct: $(cat "$results/hold__direct.json")" >&2
# The same hold through conversations (each stream a question in a conversation of its own,
# answered by ChatService and stored): the path chatpdf, nexus, chatbot and sherpa take.
sleep 1
echo "hold: $STREAMS streams through docent's conversations" >&2
docent_cpu0=$(cpu_ticks "$docent_pid") upstream_cpu0=$(cpu_ticks "$upstream_pid") hold_t0=$EPOCHREALTIME
run_client docent "$results/hold_conv.json" hold --streams "$STREAMS" --conversations --settle 2 \
  --pid "$docent_pid" --pid "$upstream_pid"
hold_wall=$(awk -v a="$hold_t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
echo "$(( $(cpu_ticks "$docent_pid") - docent_cpu0 )) $(( $(cpu_ticks "$upstream_pid") - upstream_cpu0 )) $(getconf CLK_TCK) $hold_wall" \
  >"$results/hold_conv_cpu.txt"
echo "hold conversations: $(cat "$results/hold_conv.json")" >&2
elapsed=$((SECONDS - start_s))

# --- report -----------------------------------------------------------------
commit=$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo "none")
if [[ -n $(git -C "$repo_root" status --porcelain 2>/dev/null | head -1) ]]; then
  commit+=" (with uncommitted changes)"
fi
cpu_model=$(sed -n '/^model name/{s/^model name[[:space:]]*: //;p;q}' /proc/cpuinfo)
report_args=(
  --results "$results" --repeats "$REPEATS" --nproc "$cpus" --load-before "$load_before"
  --load-after "$(cut -d' ' -f1-3 /proc/loadavg)" --cpu-model "${cpu_model:-unknown CPU}"
  --commit "$commit" --command "$invocation" --placement "$placement" --elapsed "$elapsed"
  --requests "$REQUESTS" --burst-requests "$BURST_REQUESTS" --paced-tokens "$PACED_TOKENS"
  --paced-delay "$PACED_DELAY_MS" --burst-tokens "$BURST_TOKENS" --streams "$STREAMS"
  --hold-tokens "$HOLD_TOKENS" --hold-delay "$HOLD_DELAY_MS"
  --prefill-streams "$PREFILL_STREAMS" --prefill-delay "$PREFILL_DELAY_MS"
  --upstream-cmd "${upstream_bin#"$repo_root"/} --port 0 --threads 1 --tokens $HOLD_TOKENS --token-delay-ms $HOLD_DELAY_MS"
  --docent-cmd "${docent_bin#"$repo_root"/} serve --host 127.0.0.1 --port 0 --data <tmpdir> --llm-url http://127.0.0.1:PORT/v1 --llm-key x --set llm.allow_private=true"
)
[[ -z $PERF_DOC ]] || report_args+=(--doc "$PERF_DOC")
[[ $STRICT != 1 ]] || report_args+=(--strict)
echo "raw client outputs: $results" >&2
"$python" "$script_dir/report.py" "${report_args[@]}"
