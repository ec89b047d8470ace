#!/usr/bin/env bash
# bench/ingest: end-to-end ingestion throughput of text PDFs (parse in an isolated process, chunk,
# embed with the built-in embedder, store, index), as pages per second, against poppler's own
# `pdftotext` over the same files in the same run. Writes the bench:ingest section of
# docs/PERFORMANCE.md.
#
# Usage: bench/ingest/run.sh [BUILD_DIR]      (default build/; REPEATS=3 runs, median taken)
# The corpus is the text PDFs in ../shared/testdata/pdf-sample-files (copied COPIES times).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-${BUILD_DIR:-$root/build}}
repeats=${REPEATS:-3}
copies=${COPIES:-4}
samples="$root/../shared/testdata/pdf-sample-files"
[ -d "$samples" ] || { echo "bench/ingest: $samples not found" >&2; exit 2; }
command -v pdftotext >/dev/null || { echo "bench/ingest: pdftotext missing (poppler-utils)" >&2; exit 2; }
cmake --build "$build" --target docent -j"$(nproc)" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
pages=0
files=0
for pdf in "$samples"/*/*.pdf; do
  # Text PDFs only, as the target says: readable by both tools (the encrypted sample is out) and
  # with a text layer of at least 200 characters a page (scanned ones would be OCR'd by docent).
  n=$(pdfinfo "$pdf" 2>/dev/null | awk '/^Pages:/ {print $2}') || continue
  [ -n "$n" ] || continue
  chars=$(pdftotext "$pdf" - 2>/dev/null | wc -c) || continue
  [ "$chars" -ge $((200 * n)) ] || continue
  for c in $(seq 1 "$copies"); do
    cp "$pdf" "$work/corpus/$c-$(basename "$pdf")"
    pages=$((pages + n))
    files=$((files + 1))
  done
done

now() { date +%s.%N; }
median() { python3 -c 'import sys,statistics; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

base_times=()
docent_times=()
for r in $(seq 1 "$repeats"); do
  t0=$(now)
  for pdf in "$work/corpus"/*.pdf; do pdftotext "$pdf" /dev/null 2>/dev/null || true; done
  t1=$(now)
  base_times+=("$(python3 -c "print($t1 - $t0)")")

  rm -rf "$work/data"
  t0=$(now)
  "$build/docent" ingest "$work"/corpus/*.pdf --data "$work/data" --log-level warn >/dev/null 2>"$work/ingest.err" || {
    echo "bench/ingest: docent ingest failed:" >&2; tail -5 "$work/ingest.err" >&2; exit 1; }
  t1=$(now)
  docent_times+=("$(python3 -c "print($t1 - $t0)")")
  echo "run $r/$repeats: pdftotext ${base_times[-1]} s, docent ${docent_times[-1]} s for $pages pages in $files files"
done

base=$(median "${base_times[@]}")
doc=$(median "${docent_times[@]}")
python3 - "$root/docs/PERFORMANCE.md" "$pages" "$files" "$base" "$doc" "$repeats" "$copies" <<'PY'
import sys, os, datetime, re, subprocess
path, pages, files, base, doc, repeats, copies = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), sys.argv[6], sys.argv[7]
bps, dps = pages / base, pages / doc
ratio = dps / bps
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
load = open("/proc/loadavg").read().split()[:3]
section = f"""<!-- bench:ingest:begin -->
## Ingestion: docent vs. pdftotext

_Written by `bench/ingest/run.sh`; everything between the `bench:ingest` markers is replaced on each run._

- **Date:** {datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M')} UTC
- **Machine:** {os.cpu_count()} cores, {cpu}; load average before the run {' '.join(load)}
- **Command:** `bench/ingest/run.sh` (REPEATS={repeats}, COPIES={copies})
- **Corpus:** the text PDFs of `shared/testdata/pdf-sample-files` (readable by both tools, at least 200 characters of text layer a page), {copies} copies each: {files} files, {pages} pages.
- **Baseline:** `pdftotext FILE /dev/null` for each file, one after another (poppler's text extraction alone).
- **docent:** `docent ingest FILES...` into an empty data folder: each file parsed in its own isolated process with limits, chunked, embedded with the built-in hashed embedder, stored in SQLite (FTS5) and added to the HNSW index, by the job workers; the time includes start-up and waiting for the last file.

| | seconds (median of {repeats}) | pages/s |
|---|---:|---:|
| pdftotext (baseline) | {base:.2f} | {bps:.1f} |
| docent ingest | {doc:.2f} | {dps:.1f} |

docent/baseline pages/s ratio: **{ratio:.2f}** (target ≥ 0.5: **{'met' if ratio >= 0.5 else 'not met'}**).
<!-- bench:ingest:end -->"""
text = open(path).read() if os.path.exists(path) else "# Performance\n"
if "<!-- bench:ingest:begin -->" in text:
    text = re.sub(r"<!-- bench:ingest:begin -->.*?<!-- bench:ingest:end -->", section, text, flags=re.S)
else:
    text = text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
print(f"pdftotext {bps:.1f} pages/s, docent {dps:.1f} pages/s, ratio {ratio:.2f}")
PY
