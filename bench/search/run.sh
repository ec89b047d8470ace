#!/usr/bin/env bash
# bench/search/run.sh — docent's search at 100k and 1M chunks of HashedEmbedder-embedded text:
# the HNSW vector index vs. an exact scan, then hybrid search end to end
# (services::KnowledgeService::search over a real docent database: FTS5 BM25, query embedding,
# HNSW, reciprocal-rank fusion, row fetch) vs. the same path with the exact scan and vs. FTS5 alone.
#
# Usage: bench/search/run.sh [--quick] [BUILD_DIR]     (default: build, or $BUILD_DIR)
#
#   --quick   N = 100k only (about 5 minutes). Without it N = 100k and 1M (about 30 minutes on
#             2 quiet cores: the 1M HNSW build is most of it); 1M needs ~9 GB of memory and
#             ~6 GB of disk for the database (under $TMPDIR, or BENCH_ARGS="--db-dir DIR").
#
# Builds `bench_search` in BUILD_DIR (configuring it first if needed), runs it, and writes the
# bench:search section of docs/PERFORMANCE.md: machine, date, command, commit, then the report
# bench_search prints (every figure beside a baseline measured in the same run).
# The raw report and progress log stay in BUILD_DIR/bench/search-results/.
#
# Knobs (environment):
#   BUILD_JOBS=2       parallelism of the build step;  SKIP_BUILD=1 skips it
#   PERF_DOC=docs/PERFORMANCE.md   where the section goes ("" = don't write)
#   BENCH_ARGS="..."   extra arguments for bench_search (e.g. "--threads 1 --M 24",
#                      "--cache-dir DIR" to keep the index and database for later runs,
#                      "--hybrid-queries 0" to skip hybrid mode)
set -euo pipefail

invocation=""
for var in BUILD_DIR BUILD_JOBS SKIP_BUILD PERF_DOC BENCH_ARGS; do
  if [[ -n "${!var+set}" ]]; then invocation+="$var=$(printf %q "${!var}") "; fi
done
invocation+="bench/search/run.sh"
for arg in "$@"; do invocation+=" $(printf %q "$arg")"; done

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)

quick=0
build_arg=""
for arg in "$@"; do
  case $arg in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,22p' "${BASH_SOURCE[0]}"; exit 0 ;;
    -*) echo "run.sh: unknown option $arg" >&2; exit 2 ;;
    *) build_arg=$arg ;;
  esac
done
build_dir=${build_arg:-${BUILD_DIR:-$repo_root/build}}
BUILD_JOBS=${BUILD_JOBS:-2}
SKIP_BUILD=${SKIP_BUILD:-0}
PERF_DOC=${PERF_DOC-$repo_root/docs/PERFORMANCE.md}
BENCH_ARGS=${BENCH_ARGS:-}

# --- build ------------------------------------------------------------------
if [[ $SKIP_BUILD != 1 ]]; then
  if [[ ! -f $build_dir/CMakeCache.txt ]]; then
    cmake -S "$repo_root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
  fi
  cmake --build "$build_dir" --target bench_search -j "$BUILD_JOBS"
fi
build_dir=$(cd "$build_dir" && pwd)
bench_bin=$build_dir/bench/bench_search
[[ -x $bench_bin ]] || { echo "run.sh: $bench_bin not found (build it first)" >&2; exit 2; }

# --- machine ----------------------------------------------------------------
cores=$(nproc)
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
[[ -n $cpu ]] || cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -1)
mem_gb=$(awk '/^MemTotal:/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
busy=""
if awk -v l="${load_before%% *}" -v c="$cores" 'BEGIN { exit !(l > c / 2) }'; then
  busy=" (**busy**: other work shares the cores; latencies and build rate are pessimistic, the per-core embedding figure is CPU time and less affected)"
fi
commit=$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$repo_root" status --porcelain 2>/dev/null) ]]; then commit+=" (with uncommitted changes)"; fi

# --- run --------------------------------------------------------------------
results_dir=$build_dir/bench/search-results
mkdir -p "$results_dir"
args=()
[[ $quick == 1 ]] && args+=(--quick)
# shellcheck disable=SC2206  # BENCH_ARGS is a list of words on purpose
[[ -n $BENCH_ARGS ]] && args+=($BENCH_ARGS)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
t0=$(date +%s)
"$bench_bin" "${args[@]}" >"$results_dir/report.md" 2> >(tee "$results_dir/progress.log" >&2)
elapsed=$(( $(date +%s) - t0 ))

section=$(cat <<EOF
<!-- bench:search:begin -->
## Search: HNSW vector index vs. exact scan; hybrid search end to end

_Written by \`bench/search/run.sh\`; everything between the \`bench:search\` markers is replaced on each run._

- **Date:** $started (the run took $((elapsed / 60)) min $((elapsed % 60)) s)
- **Machine:** $cores cores (\`nproc\`), $cpu, ${mem_gb} GB RAM; load average before the run $load_before$busy.
- **Command:** \`$invocation\` (runs \`bench_search${args[*]:+ ${args[*]}}\`)
- **Commit:** $commit
$(cat "$results_dir/report.md")
<!-- bench:search:end -->
EOF
)

if [[ -z $PERF_DOC ]]; then
  printf '%s\n' "$section"
  exit 0
fi

python=/usr/bin/python3
[[ -x $python ]] || python=python3
SECTION="$section" "$python" - "$PERF_DOC" <<'PY'
import os, sys
doc = sys.argv[1]
section = os.environ["SECTION"].rstrip("\n") + "\n"
begin, end = "<!-- bench:search:begin -->", "<!-- bench:search:end -->"
text = open(doc).read() if os.path.exists(doc) else "# Performance\n"
b, e = text.find(begin), text.find(end)
if b >= 0 and e > b:
    rest = text[e + len(end):].lstrip("\n")
    text = text[:b] + section + ("\n" + rest if rest else "")
elif b < 0 and e < 0:
    text = text.rstrip("\n") + "\n\n" + section
else:
    sys.exit(f"{doc}: unbalanced {begin} / {end} markers; fix by hand")
tmp = doc + ".tmp"
with open(tmp, "w") as f:
    f.write(text)
os.replace(tmp, doc)
print(f"run.sh: wrote the bench:search section of {doc}", file=sys.stderr)
PY
