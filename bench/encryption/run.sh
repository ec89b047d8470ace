#!/usr/bin/env bash
# bench/encryption/run.sh — what payload encryption adds to a request with a 1 MB body: the
# primitives (Google Benchmark) beside a JSON parse of the same body, and loopback end to end
# against the same requests in clear, in the same run (bench/encryption/bench.py says how).
# Writes the bench:encryption section of docs/PERFORMANCE.md.
#
# Usage: bench/encryption/run.sh [BUILD_DIR]        (default: build, or $BUILD_DIR)
#
# Knobs (environment):
#   REPEATS=30    requests of each kind end to end (the median is reported)
#   PIN_CPUS=1    pin docent and the primitives to CPU 0 (the client takes the rest)
#   BUILD_JOBS=2  SKIP_BUILD=1 skips the build
#   PERF_DOC=docs/PERFORMANCE.md   where the section goes ("" = don't write)
set -euo pipefail

invocation=""
for var in BUILD_DIR REPEATS PIN_CPUS SKIP_BUILD PERF_DOC; do
  if [[ -n "${!var+set}" ]]; then invocation+="$var=$(printf %q "${!var}") "; fi
done
invocation+="bench/encryption/run.sh"
for arg in "$@"; do invocation+=" $(printf %q "$arg")"; done

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
build_dir=${1:-${BUILD_DIR:-$repo_root/build}}
build_dir=$(cd "$build_dir" 2>/dev/null && pwd) || { echo "run.sh: no build directory ${1:-build}" >&2; exit 2; }
REPEATS=${REPEATS:-30}
PIN_CPUS=${PIN_CPUS:-1}
PERF_DOC=${PERF_DOC-$repo_root/docs/PERFORMANCE.md}

[[ ${SKIP_BUILD:-0} == 1 ]] || cmake --build "$build_dir" --target docent bench_encryption -j "${BUILD_JOBS:-2}"
/usr/bin/python3 -c 'import cryptography' || { echo "run.sh: python3-cryptography is missing (scripts/install-deps.sh)" >&2; exit 2; }

launch=""
bench_launch=()
if [[ $PIN_CPUS == 1 ]] && (( $(nproc) > 1 )) && command -v taskset >/dev/null; then
  launch="taskset -c 0"
  bench_launch=(taskset -c "1-$(( $(nproc) - 1 ))")
fi
commit=$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo none)
[[ -z $(git -C "$repo_root" status --porcelain 2>/dev/null | head -1) ]] || commit+=" (with uncommitted changes)"

"${bench_launch[@]}" /usr/bin/python3 "$script_dir/bench.py" --docent "$build_dir/docent" \
  --bench "$build_dir/bench/bench_encryption" --repeats "$REPEATS" --launch "$launch" --doc "$PERF_DOC" \
  --command "$invocation" --commit "$commit"
