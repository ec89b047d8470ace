#!/usr/bin/env bash
# The published contract (ctest `openapi_contract`, docs/OPENAPI.md): installs the validators
# pinned by package-lock.json with `npm ci` unless node_modules already holds them (the only step
# that reaches the network: the npm registry), then runs openapi.test.mjs with Node's test runner
# against the docent named by $DOCENT_BINARY.
set -euo pipefail
cd "$(dirname "$0")"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "conformance/openapi: '$tool' is not on PATH; scripts/install-deps.sh installs it" >&2
    exit 1
  fi
done

installed() {
  node -e '
    const lock = require("./package-lock.json");
    for (const name of ["@readme/openapi-parser", "ajv", "ajv-formats"]) {
      const want = lock.packages["node_modules/" + name].version;
      let have = "";
      try { have = require("./node_modules/" + name + "/package.json").version; } catch {}
      if (want !== have) process.exit(1);
    }'
}
if ! installed; then
  echo "conformance/openapi: npm ci"
  npm ci --offline --no-audit --no-fund --loglevel=error 2>/dev/null || npm ci --no-audit --no-fund --loglevel=error
fi

exec node --test openapi.test.mjs
