#!/usr/bin/env bash
# bench/webhooks/run.sh — what a subscribed webhook adds to the request that causes its event, and
# how many events docent delivers a second, each against a baseline measured in the same run
# (bench/webhooks/bench.py says how). Writes the bench:webhooks section of docs/PERFORMANCE.md.
#
# Usage: bench/webhooks/run.sh [BUILD_DIR]        (default: build, or $BUILD_DIR)
#
# Knobs (environment):
#   UPLOADS=400   uploads per account in the latency phase
#   EVENTS=2000   events in the delivery phase
#   PIN_CPUS=1    pin docent to CPU 0 (the bench process and its receiver take the rest)
#   BUILD_JOBS=2  SKIP_BUILD=1 skips the build
#   PERF_DOC=docs/PERFORMANCE.md   where the section goes ("" = don't write)
set -euo pipefail

invocation=""
for var in BUILD_DIR UPLOADS EVENTS PIN_CPUS SKIP_BUILD PERF_DOC; do
  if [[ -n "${!var+set}" ]]; then invocation+="$var=$(printf %q "${!var}") "; fi
done
invocation+="bench/webhooks/run.sh"
for arg in "$@"; do invocation+=" $(printf %q "$arg")"; done

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
build_dir=${1:-${BUILD_DIR:-$repo_root/build}}
build_dir=$(cd "$build_dir" 2>/dev/null && pwd) || { echo "run.sh: no build directory ${1:-build}" >&2; exit 2; }
UPLOADS=${UPLOADS:-400}
EVENTS=${EVENTS:-2000}
PIN_CPUS=${PIN_CPUS:-1}
PERF_DOC=${PERF_DOC-$repo_root/docs/PERFORMANCE.md}

[[ ${SKIP_BUILD:-0} == 1 ]] || cmake --build "$build_dir" --target docent bench_webhook_emit -j "${BUILD_JOBS:-2}"

launch=""
bench_launch=()
if [[ $PIN_CPUS == 1 ]] && (( $(nproc) > 1 )) && command -v taskset >/dev/null; then
  launch="taskset -c 0"
  bench_launch=(taskset -c "1-$(( $(nproc) - 1 ))")
fi
commit=$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo none)
[[ -z $(git -C "$repo_root" status --porcelain 2>/dev/null | head -1) ]] || commit+=" (with uncommitted changes)"

"${bench_launch[@]}" python3 "$script_dir/bench.py" --docent "$build_dir/docent" --emit-bench "$build_dir/bench/bench_webhook_emit" --uploads "$UPLOADS" \
  --events "$EVENTS" --launch "$launch" --doc "$PERF_DOC" --command "$invocation" --commit "$commit"
