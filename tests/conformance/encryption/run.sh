#!/usr/bin/env bash
# Payload encryption's reference clients (ctest `conformance_encryption`): Python with Debian's
# python3-cryptography and Node with its built-in crypto, each written from docs/ENCRYPTION.md
# alone, against a live docent on a free loopback port with a fresh data folder. First each
# client's implementation is checked against the document's worked example; DOCENT_BINARY names
# the binary.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="${DOCENT_BINARY:-$here/../../../build/docent}"
python=/usr/bin/python3

for tool in node "$python"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "conformance/encryption: '$tool' is missing; scripts/install-deps.sh installs it" >&2; exit 1; }
done
"$python" -c 'import cryptography' || { echo "conformance/encryption: python3-cryptography is missing" >&2; exit 1; }

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

failed=0
run() {
  local name="$1"; shift
  if "$@" >"$work/$name.log" 2>&1; then
    echo "ok      $name"; sed 's/^/    /' "$work/$name.log"
  else
    echo "FAILED  $name"; sed 's/^/    /' "$work/$name.log"; failed=1
  fi
}

# The document's worked example, from both clients.
expected='{"v":1,"ts":1765000000,"iv":"MDEyMzQ1Njc4OWFiY2RlZg==","ct":"dUOjwOtNza7ncQPbDDSmIXe50v+lqSMqfJ7t0TdpV94=","mac":"/zX4iDbO4OTUzJEG+s4FjNS2K8sYjBA8CzE76FXNBNU="}'
grep -qF "$expected" "$here/../../../docs/ENCRYPTION.md" || { echo "docs/ENCRYPTION.md lost its worked example" >&2; failed=1; }
run python-example bash -c "cd '$here' && '$python' docent_payload.py | tail -1 | grep -qxF '$expected'"
run node-example node --input-type=module -e "
import { deriveKeys, seal } from '$here/docent_payload.mjs';
const e = JSON.stringify(seal(deriveKeys('dk_TestKeyForTheDocumentedExample'), 'request', '{\"message\":\"hi\"}',
                              1765000000, Buffer.from('0123456789abcdef')));
if (e !== process.argv[1]) { console.error(e); process.exit(1); }" "$expected"

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
[ -n "$BASE" ] && [ -n "$KEY" ] || { echo "conformance/encryption: docent printed no URL or key" >&2; cat "$work/out" >&2; exit 1; }

run python-client bash -c "cd '$here' && '$python' python_client.py"
run node-client bash -c "cd '$here' && node node_client.mjs"
exit "$failed"
