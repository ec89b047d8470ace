# quantum-nexus.txt: its curl commands ("API Overview", "Authentication", "Code Examples" cURL),
# with the host and key changed. Each is followed by what its answer must hold.
set -euo pipefail
fail() { echo "nexus-curl: $*" >&2; exit 1; }

# Health Check (public)
out=$(curl -s "$BASE/v1/health")
echo "$out" | grep -q '"status"' || fail "health: $out"

# Basic Request (the key added)
out=$(curl -s -X POST "$BASE/v1/process/text" \
-H "X-API-Key: $KEY" \
-H "Content-Type: application/json" \
-d '{"message": "Hello, how are you?"}')
echo "$out" | grep -q '^data: {"word":"","complete":true,' || fail "basic request: $out"

# Authentication: X-API-Key
out=$(curl -s -X POST "$BASE/v1/process/text" \
-H "X-API-Key: $KEY" \
-H "Content-Type: application/json" \
-d '{"message": "Hello"}')
echo "$out" | grep -q '^data: {"word":"I ","complete":false}' || fail "X-API-Key request: $out"

# Create session
out=$(curl -s -X POST "$BASE/api/sessions" -H "X-API-Key: $KEY")
echo "$out" | grep -q '"session_id"' || fail "create session: $out"

# Send text message: "abc123" is the seed's placeholder, a session nobody made: SESSION_NOT_FOUND
code=$(curl -s -o "$WORK/nexus-abc" -w '%{http_code}' -X POST "$BASE/api/process/text" \
-H "X-API-Key: $KEY" \
-H "Content-Type: application/json" \
-d '{"message": "Hello AI", "session_id": "abc123"}')
[ "$code" = 404 ] && grep -q '"error_code":"SESSION_NOT_FOUND"' "$WORK/nexus-abc" || fail "unknown session: $code $(cat "$WORK/nexus-abc")"

# Without a key: refused in the seed's error shape
code=$(curl -s -o "$WORK/nexus-nokey" -w '%{http_code}' -X POST "$BASE/api/sessions")
[ "$code" = 401 ] || fail "no key: $code $(cat "$WORK/nexus-nokey")"
echo "nexus curl examples: ok"
