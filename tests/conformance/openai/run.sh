#!/usr/bin/env bash
# The openai npm conformance suite (ctest `conformance_openai`): installs the package pinned by
# package-lock.json with `npm ci` unless node_modules already holds that version (the only step
# that reaches the network: the npm registry), then runs openai.test.mjs with Node's test runner
# against the docent named by $DOCENT_BINARY.
set -euo pipefail
cd "$(dirname "$0")"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "conformance/openai: '$tool' is not on PATH; scripts/install-deps.sh installs it" >&2
    exit 1
  fi
done

wanted=$(node -p "require('./package-lock.json').packages['node_modules/openai'].version")
installed=$(node -p "try { require('./node_modules/openai/package.json').version } catch { '' }")
if [ "$wanted" != "$installed" ]; then
  echo "conformance/openai: npm ci (openai $wanted)"
  npm ci --no-audit --no-fund --loglevel=error
fi

exec node --test openai.test.mjs
