#!/usr/bin/env bash
# bench/extract/run.sh — the extraction engine on generated business documents.
#
# Usage: bench/extract/run.sh [BUILD_DIR]     (default: build, or $BUILD_DIR)
#
# Builds `bench_extract`, which generates a corpus (tests/support/business_docs.h: invoices,
# purchase orders, delivery challans and e-way bills in several layouts and fonts, one to three
# pages, text and scanned), extracts every document and scores each header field and line cell
# against the ground truth; the baseline, measured in the same run on the same files, is
# docent's plain PDF text extraction (engines::extract_pdf, same OCR for scans). Writes the
# bench:extract section of docs/PERFORMANCE.md. A run takes about three minutes on 2 cores.
#
# Knobs (environment):
#   BUILD_JOBS=2   parallelism of the build step;  SKIP_BUILD=1 skips it
#   TEXT=40 SCANNED=12 SEED=2026   the corpus
#   PERF_DOC=docs/PERFORMANCE.md   where the section goes ("" = print it)
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
build_dir=${1:-${BUILD_DIR:-$repo_root/build}}
BUILD_JOBS=${BUILD_JOBS:-2}
TEXT=${TEXT:-40}
SCANNED=${SCANNED:-12}
SEED=${SEED:-2026}
PERF_DOC=${PERF_DOC-$repo_root/docs/PERFORMANCE.md}

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  if [[ ! -f $build_dir/CMakeCache.txt ]]; then
    cmake -S "$repo_root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
  fi
  cmake --build "$build_dir" --target bench_extract -j "$BUILD_JOBS"
fi
bench_bin=$(cd "$build_dir" && pwd)/bench/bench_extract
[[ -x $bench_bin ]] || { echo "run.sh: $bench_bin not found (build it first)" >&2; exit 2; }

cores=$(nproc)
cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -1)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
commit=$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$repo_root" status --porcelain 2>/dev/null) ]]; then commit+=" (with uncommitted changes)"; fi
args=(--text "$TEXT" --scanned "$SCANNED" --seed "$SEED")
started=$(date -u '+%Y-%m-%d %H:%M UTC')
t0=$(date +%s)
report=$(OMP_THREAD_LIMIT=1 "$bench_bin" "${args[@]}")
elapsed=$(( $(date +%s) - t0 ))

section=$(cat <<SECTION
<!-- bench:extract:begin -->
## Extraction: fields and line items from business documents

_Written by \`bench/extract/run.sh\`; everything between the \`bench:extract\` markers is replaced on each run._

- **Date:** $started (the run took $((elapsed / 60)) min $((elapsed % 60)) s)
- **Machine:** $cores cores (\`nproc\`), $cpu; load average before the run $load_before.
- **Command:** \`bench/extract/run.sh\` (runs \`bench_extract ${args[*]}\`, one thread)
- **Commit:** $commit

Every header field and line-item cell the generator printed is one value: extracted and equal to
the truth (numbers within half a paisa, dates as ISO, text ignoring case and spacing) is a true
positive; extracted but wrong is a false positive and a false negative; not extracted is a false
negative; extracted but not on the document is a false positive. Targets: F1 ≥ 0.95 on text PDFs,
≥ 0.85 on scans. The baseline reads the same files with \`engines::extract_pdf\` (text and
positions, no fields); extraction reads words (\`engines::pdf_words\`) and then fields.

$report
<!-- bench:extract:end -->
SECTION
)

if [[ -z $PERF_DOC ]]; then
  printf '%s\n' "$section"
else
  printf '%s\n' "$section" | /usr/bin/python3 "$repo_root/bench/write_section.py" "$PERF_DOC" extract
fi
