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

# Voice processing and text to speech ("Code Examples" cURL). The recording is made first by
# docent's own /v1/audio/speech (Ogg Opus: the bytes decide, not the name recording.webm).
curl -sf -X POST "$BASE/v1/audio/speech" -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
  -d '{"model": "tts-1", "voice": "alloy", "input": "Hello world", "response_format": "opus"}' -o "$WORK/recording.webm"
cd "$WORK"
# As written, "abc123" is no session of the caller's: SESSION_NOT_FOUND
code=$(curl -s -o "$WORK/nexus-voice" -w '%{http_code}' -X POST "$BASE/api/process/voice" -H "X-API-Key: $KEY" \
-F "audio=@recording.webm" \
-F "language=en" \
-F "session_id=abc123")
[ "$code" = 404 ] && grep -q '"error_code":"SESSION_NOT_FOUND"' "$WORK/nexus-voice" || fail "voice, unknown session: $code $(cat "$WORK/nexus-voice")"
code=$(curl -s -o "$WORK/nexus-tts" -w '%{http_code}' -X POST "$BASE/api/process/text-to-speech" -H "X-API-Key: $KEY" \
-H "Content-Type: application/json" \
-d '{"text": "Hello world", "language": "en", "session_id": "abc123"}')
[ "$code" = 404 ] && grep -q '"error_code":"SESSION_NOT_FOUND"' "$WORK/nexus-tts" || fail "tts, unknown session: $code $(cat "$WORK/nexus-tts")"

# The same with a session of the caller's: queued jobs that complete.
sid=$(curl -s -X POST "$BASE/api/sessions" -H "X-API-Key: $KEY" | sed 's/.*"session_id":"\([^"]*\)".*/\1/')
wait_job() {  # polls the seed's status route until the job leaves queued/processing
  local out
  for _ in $(seq 600); do
    out=$(curl -s "$BASE/api/status/$1" -H "X-API-Key: $KEY")
    case "$out" in *'"status":"queued"'*|*'"status":"processing"'*) sleep 0.1 ;; *) echo "$out"; return ;; esac
  done
  echo "$out"
}
out=$(curl -s -X POST "$BASE/api/process/voice" -H "X-API-Key: $KEY" \
-F "audio=@recording.webm" \
-F "language=en" \
-F "session_id=$sid")
echo "$out" | grep -q '"job_id":"voice_' || fail "voice: $out"
job=$(echo "$out" | sed 's/.*"job_id":"\([^"]*\)".*/\1/')
out=$(wait_job "$job")
echo "$out" | grep -q '"status":"completed"' && echo "$out" | grep -q '"transcription":' || fail "voice job: $out"
out=$(curl -s -X POST "$BASE/api/process/text-to-speech" -H "X-API-Key: $KEY" \
-H "Content-Type: application/json" \
-d "{\"text\": \"Hello world\", \"language\": \"en\", \"session_id\": \"$sid\"}")
echo "$out" | grep -q '"job_id":"tts_' || fail "tts: $out"
job=$(echo "$out" | sed 's/.*"job_id":"\([^"]*\)".*/\1/')
out=$(wait_job "$job")
echo "$out" | grep -q '"status":"completed"' && echo "$out" | grep -q '"audio_format":"mp3"' || fail "tts job: $(echo "$out" | head -c 400)"

# Without a key: refused in the seed's error shape
code=$(curl -s -o "$WORK/nexus-nokey" -w '%{http_code}' -X POST "$BASE/api/sessions")
[ "$code" = 401 ] || fail "no key: $code $(cat "$WORK/nexus-nokey")"
echo "nexus curl examples: ok"
