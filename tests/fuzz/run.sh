#!/usr/bin/env bash
# Builds every libFuzzer target with clang (ASan + UBSan) into build-fuzz/ at the repository root,
# then runs each for SECONDS seconds on a working copy of its seed corpus (tests/fuzz/corpus/<name>/,
# plus tests/fuzz/<name>.dict if present). Prints one summary line per target; exits non-zero if
# any target fails to build or crashes (the crashing input is kept in build-fuzz/artifacts/<name>/).
#
# Usage: bash tests/fuzz/run.sh [SECONDS]      (ctest runs it with 15 from the build directory)
# Environment: FUZZ_CXX (default clang++-14, else clang++), FUZZ_JOBS (compile jobs, default 2).
set -uo pipefail

# One line per target: its name (tests/fuzz/<name>.cpp is its harness), the src/ files it links,
# and any -l libraries. Add a target by adding a line.
TARGETS=(
  "multipart_fuzz src/http/multipart.cpp src/core/error.cpp -lboost_json"
  "http_request_fuzz src/http/wire.cpp src/http/router.cpp src/http/message.cpp src/http/headers.cpp src/http/multipart.cpp src/core/error.cpp -lboost_json"
)

seconds=${1:-15}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/build-fuzz"
mkdir -p "$out/obj" "$out/logs"

# Two runs at once would share build-fuzz/; take turns.
exec 9>"$out/.lock"
flock 9

cxx=${FUZZ_CXX:-$(command -v clang++-14 || command -v clang++)}
if [[ -z "$cxx" ]]; then
  echo "fuzz: clang++ not found" >&2
  exit 2
fi
launcher=()
if command -v ccache >/dev/null; then launcher=(ccache); fi
jobs=${FUZZ_JOBS:-2}
cxxflags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
          -fno-sanitize-recover=undefined -I "$root/src")

# Compiles one source to build-fuzz/obj/<path with / as _>.o; ccache makes unchanged ones free.
object_for() { echo "$out/obj/${1//\//_}.o"; }
compile() {
  local src=$1 obj
  obj=$(object_for "$src")
  if ! "${launcher[@]}" "$cxx" "${cxxflags[@]}" -c "$root/$src" -o "$obj" >"$obj.log" 2>&1; then
    echo "fuzz: compiling $src failed:" >&2
    cat "$obj.log" >&2
    return 1
  fi
}

# Every distinct source, compiled with at most $jobs in flight.
declare -A seen=()
sources=()
for line in "${TARGETS[@]}"; do
  read -r -a words <<<"$line"
  for w in "tests/fuzz/${words[0]}.cpp" "${words[@]:1}"; do
    if [[ $w != -* && -z ${seen[$w]:-} ]]; then
      seen[$w]=1
      sources+=("$w")
    fi
  done
done
build_failed=0
running=0
for src in "${sources[@]}"; do
  if ((running >= jobs)); then
    wait -n || build_failed=1
    ((running--))
  fi
  compile "$src" &
  ((running++))
done
while ((running > 0)); do
  wait -n || build_failed=1
  ((running--))
done
if ((build_failed)); then
  echo "fuzz: build failed" >&2
  exit 2
fi

status=0
for line in "${TARGETS[@]}"; do
  read -r -a words <<<"$line"
  name=${words[0]}
  objs=("$(object_for "tests/fuzz/$name.cpp")")
  libs=()
  for w in "${words[@]:1}"; do
    if [[ $w == -* ]]; then libs+=("$w"); else objs+=("$(object_for "$w")"); fi
  done
  bin="$out/$name"
  if ! "$cxx" "${cxxflags[@]}" "${objs[@]}" "${libs[@]}" -o "$bin" >"$out/logs/$name.link.log" 2>&1; then
    echo "fuzz: $name: link failed" >&2
    cat "$out/logs/$name.link.log" >&2
    status=1
    continue
  fi

  corpus="$out/corpus/$name"
  artifacts="$out/artifacts/$name"
  mkdir -p "$corpus" "$artifacts"
  if [[ -d "$here/corpus/$name" ]]; then cp -n "$here/corpus/$name"/* "$corpus"/ 2>/dev/null; fi
  extra=()
  if [[ -f "$here/$name.dict" ]]; then extra+=("-dict=$here/$name.dict"); fi
  log="$out/logs/$name.log"
  # Harnesses put scratch files under TMPDIR; libFuzzer's exit skips their atexit clean-up.
  tmp="$out/tmp/$name"
  rm -rf "$tmp" && mkdir -p "$tmp"
  TMPDIR="$tmp" "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "${extra[@]}" "$corpus" >"$log" 2>&1
  rc=$?
  rm -rf "$tmp"

  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1)
  if ((rc == 0)); then
    echo "fuzz: $name: OK ${execs:-?} runs in ${seconds}s (${rate:-?} exec/s), ${cov:-no coverage line}"
  else
    crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    echo "fuzz: $name: FAILED (exit $rc) after ${execs:-?} runs; input: ${crash:-none}; log: $log"
    grep -E 'ERROR|SUMMARY|invariant|runtime error' "$log" | head -5 | sed 's/^/  /'
    status=1
  fi
done
exit $status
