# chatpdf.txt: every chat request the seed documents, in curl, with the headers and bodies it
# lists (Content-Type, Device-Id), the host changed. The seed has no key: a registered device id
# authenticates. Each answer is checked against the seed's response members.
set -euo pipefail
fail() { echo "chatpdf-curl: $*" >&2; exit 1; }
has() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [d := d[int(k)] if isinstance(d, list) else d[k] for k in sys.argv[2].split(".")]; print(d)' "$1" "$2"; }
device="66051aa795d1242e7cf3$(printf '%04x' $$)"

# Register device
curl -sf -X POST "$BASE/auth/register-device" -H "Content-Type: application/json" \
  -d "{\"deviceId\": \"$device\"}" -o "$WORK/cp-device" || fail "register-device: $(cat "$WORK/cp-device")"
[ "$(has "$WORK/cp-device" success)" = True ] || fail "register-device: $(cat "$WORK/cp-device")"
[ "$(has "$WORK/cp-device" data.deviceId)" = "$device" ] || fail "register-device: $(cat "$WORK/cp-device")"

# Upload file (form-data "file", PDF only)
curl -sf -X POST "$BASE/upload/register-file" -H "Device-Id: $device" -F "file=@$WORK/planted.pdf" \
  -o "$WORK/cp-file" || fail "register-file: $(cat "$WORK/cp-file")"
source_id=$(has "$WORK/cp-file" data.conversation.sourceId)
conversation=$(has "$WORK/cp-file" data.conversation._id)
[ "$(has "$WORK/cp-file" data.conversation.fileType)" = pdf ] || fail "register-file: $(cat "$WORK/cp-file")"

# Chat (SSE): the planted fact is on page 3
curl -sfN -G "$BASE/messages/chatting" -H "Content-Type: application/json" -H "Device-Id: $device" \
  --data-urlencode "sourceId=$source_id" --data-urlencode "message=What is machine learning?" \
  --data-urlencode "isReGenerate=false" -o "$WORK/cp-chat" || fail "chatting: $(cat "$WORK/cp-chat")"
grep -q '^data: {"type":"text"' "$WORK/cp-chat" || fail "chatting: $(cat "$WORK/cp-chat")"
grep -q '"type":"done"' "$WORK/cp-chat" && grep -q '"page":3' "$WORK/cp-chat" || fail "chatting: $(cat "$WORK/cp-chat")"

# Summarize file (SSE)
curl -sfN -G "$BASE/conversations/summarize" -H "Content-Type: application/json" -H "Device-ID: $device" \
  --data-urlencode "sourceId=$source_id" -o "$WORK/cp-sum" || fail "summarize: $(cat "$WORK/cp-sum")"
grep -q '"type":"done"' "$WORK/cp-sum" && grep -q 'Questions this document can answer' "$WORK/cp-sum" ||
  fail "summarize: $(cat "$WORK/cp-sum")"

# Get conversations (page, limit)
curl -sf "$BASE/conversations?page=1&limit=10" -H "Content-Type: application/json" -H "Device-ID: $device" \
  -o "$WORK/cp-list" || fail "conversations: $(cat "$WORK/cp-list")"
[ "$(has "$WORK/cp-list" data.items.0.sourceId)" = "$source_id" ] || fail "conversations: $(cat "$WORK/cp-list")"
[ "$(has "$WORK/cp-list" data.totalItems)" = 1 ] && [ "$(has "$WORK/cp-list" data.paging)" = False ] ||
  fail "conversations: $(cat "$WORK/cp-list")"

# Get messages of a conversation (page, limit): two questions and two answers, newest first
curl -sf -X POST "$BASE/messages/conversation/$conversation?page=1&limit=5" -H "Content-Type: application/json" \
  -H "Device-Id: $device" -o "$WORK/cp-msgs" || fail "messages: $(cat "$WORK/cp-msgs")"
[ "$(has "$WORK/cp-msgs" data.totalItems)" = 4 ] && [ "$(has "$WORK/cp-msgs" data.items.0.author)" = bot ] ||
  fail "messages: $(cat "$WORK/cp-msgs")"

# Update conversation (title)
curl -sf -X PUT "$BASE/conversations/$conversation" -H "Content-Type: application/json" -H "Device-ID: $device" \
  -d '{"title": "This is new title"}' -o "$WORK/cp-put" || fail "rename: $(cat "$WORK/cp-put")"
[ "$(has "$WORK/cp-put" data.title)" = "This is new title" ] || fail "rename: $(cat "$WORK/cp-put")"
[ "$(has "$WORK/cp-put" data.fileId.metadata.fileName)" = planted.pdf ] || fail "rename: $(cat "$WORK/cp-put")"

# Delete conversation
curl -sf -X DELETE "$BASE/conversations/$conversation" -H "Content-Type: application/json" -H "Device-Id: $device" \
  -o "$WORK/cp-del" || fail "delete: $(cat "$WORK/cp-del")"
[ "$(has "$WORK/cp-del" data)" = True ] || fail "delete: $(cat "$WORK/cp-del")"
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$BASE/conversations/$conversation" -H "Device-Id: $device")
[ "$code" = 404 ] || fail "deleted twice: $code"
echo "chatpdf requests: ok"
