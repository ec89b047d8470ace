#!/usr/bin/env bash
# ctest `test_data_in_repository`: what `make test` reads is in the repository, so a bare clone
# (no ../shared beside it) passes with nothing skipped. Fails when a test source reaches for the
# sibling shared folder or skips for missing data, or when a folder of tests/data lacks its
# PROVENANCE.md or licence text.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
status=0

# Test code (not prose, not installed node modules) naming the shared folder: a path built from
# DOCENT_SOURCE_DIR's parent joined with "shared", a literal ../shared, or shared/testdata.
pattern='\.\./shared|shared/(testdata|seeds)|/ *"shared"|"shared" */'
if hits=$(grep -rnE "$pattern" tests --include='*.cpp' --include='*.h' --include='*.sh' \
              --include='*.py' --include='*.mjs' --include='*.js' --include='CMakeLists.txt' \
              --exclude-dir=node_modules --exclude=check_test_data.sh --exclude=check_docs.py | sort -u); then
  echo "test_data_in_repository: tests read data from outside the repository (copy it into tests/data):" >&2
  echo "$hits" >&2
  status=1
fi

# A skip whose reason is missing data: a bare clone would pass without running the test.
if hits=$(grep -rnE 'GTEST_SKIP\(\).*(testdata|not present|not beside)' tests --include='*.cpp' --include='*.h' \
              --exclude-dir=node_modules); then
  echo "test_data_in_repository: tests skip when their data is missing (the data belongs in tests/data):" >&2
  echo "$hits" >&2
  status=1
fi

# Every folder of third-party data says where it came from and carries its licence.
for dir in tests/data/*/; do
  [ -f "$dir/PROVENANCE.md" ] || { echo "test_data_in_repository: $dir has no PROVENANCE.md" >&2; status=1; }
  compgen -G "$dir/LICEN[CS]E*" >/dev/null || compgen -G "$dir/COPYING*" >/dev/null ||
    { echo "test_data_in_repository: $dir has no LICENSE or COPYING file" >&2; status=1; }
done

[ "$status" -eq 0 ] && echo "test_data_in_repository: ok"
exit "$status"
