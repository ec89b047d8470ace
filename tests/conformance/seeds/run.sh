#!/usr/bin/env bash
# The seeds' own examples, run as their documents write them (ctest `conformance_seeds`): Python
# `requests` (Debian's python3-requests), curl, and Node's fetch, with only the host and the key
# changed. Each example file says which part of which seed it reproduces. A live docent is started
# on a free loopback port with a fresh data folder; DOCENT_BINARY names the binary.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="${DOCENT_BINARY:-$here/../../../build/docent}"
python=/usr/bin/python3  # Debian's interpreter, with python3-requests

for tool in curl node "$python"; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "conformance/seeds: '$tool' is missing; scripts/install-deps.sh installs it" >&2
    exit 1
  fi
done
"$python" -c 'import requests' || { echo "conformance/seeds: python3-requests is missing" >&2; exit 1; }

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

DOCENT_LOG_LEVEL=warn "$binary" serve --host 127.0.0.1 --port 0 --data "$work/data" >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 300); do
  grep -q "listening on http://127.0.0.1:" "$work/out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/out" "$work/err" >&2; exit 1; }
  sleep 0.1
done
export BASE KEY
BASE="$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/out" | head -1 | sed 's/listening on //')"
KEY="$(grep -o 'admin key: dk_[0-9A-Za-z]*' "$work/out" | head -1 | sed 's/admin key: //')"
[ -n "$BASE" ] && [ -n "$KEY" ] || { echo "conformance/seeds: docent printed no URL or key" >&2; cat "$work/out" >&2; exit 1; }
export WORK="$work"

# A document the chat examples can answer from: "What is machine learning?" and friends.
"$python" "$here/planted.py" "$work/planted.pdf"
# An image the analyzeImage examples send ("STOP" in white on red).
"$python" "$here/make_image.py" "$work/stop.png"
curl -sf -H "Authorization: Bearer $KEY" -F purpose=assistants -F "file=@$work/planted.pdf" "$BASE/v1/files" >/dev/null

failed=0
run() {
  local name="$1"; shift
  if "$@" >"$work/$name.log" 2>&1; then
    echo "ok      $name"
  else
    echo "FAILED  $name"; sed 's/^/    /' "$work/$name.log"; failed=1
  fi
}
run nexus-python "$python" "$here/nexus_client.py"
run nexus-fetch node "$here/nexus_client.mjs"
run nexus-curl bash "$here/nexus_curl.sh"
run nexus-rate-limit node "$here/nexus_rate_limit.mjs"
run chatpdf-curl bash "$here/chatpdf_curl.sh"
run chatbot-python "$python" "$here/chatbot_requests.py"
exit "$failed"
