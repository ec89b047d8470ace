#!/usr/bin/env bash
# No SQL outside src/store (issue 16): services, faces and the app reach the database through
# repository functions only, so a second backend (PostgreSQL) has one place to differ. Fails,
# naming the lines, when a file outside src/store runs a statement on a Tx or spells out SQL.
#
# usage: sql_only_in_store.sh [source root]   (default: the repository this script is in)
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$root"

# Files still allowed to, until their SQL moves into src/store (empty: keep it so).
allowed=()

pattern='\b[A-Za-z_]+(\.|->)(exec|query|query_one)\(|"(SELECT|INSERT INTO|UPDATE [A-Za-z_]+ SET|DELETE FROM|CREATE (TABLE|INDEX|TRIGGER)|PRAGMA) '
found=$(grep -rnE "$pattern" src --include='*.cpp' --include='*.h' | grep -v '^src/store/' || true)
for f in "${allowed[@]}"; do
  found=$(printf '%s\n' "$found" | grep -v "^$f:" || true)
done
found=$(printf '%s\n' "$found" | sed '/^$/d')
if [[ -n "$found" ]]; then
  echo "SQL outside src/store (move it into a repository function there):"
  echo "$found"
  exit 1
fi
echo "no SQL outside src/store"
