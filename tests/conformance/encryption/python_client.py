"""Payload encryption from Python, written from docs/ENCRYPTION.md alone (docent_payload.py), against
the live docent that run.sh started (BASE, KEY). Each check prints one line; any failure exits 1."""

import base64
import json
import os
import sys
import urllib.error
import urllib.request

from docent_payload import ENCRYPTED_JSON, ENCRYPTED_PART, Rejected, derive_keys, envelope_text, open_envelope, seal

BASE, KEY = os.environ["BASE"], os.environ["KEY"]
keys = derive_keys(KEY)
failures = 0


def call(method, path, body=b"", headers=None):
    req = urllib.request.Request(BASE + path, data=body or None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def encrypted(method, path, plaintext, **kw):
    envelope = kw.get("envelope") or envelope_text(seal(keys, "request", plaintext))
    return call(method, path, envelope.encode(), {
        "Authorization": f"Bearer {kw.get('key', KEY)}", "X-Encryption": "v1", "Accept-Encryption": "v1",
        "Content-Type": ENCRYPTED_JSON})


def check(name, ok, detail=""):
    global failures
    print(("ok      " if ok else "FAILED  ") + name + ("" if ok else f": {detail}"))
    failures += 0 if ok else 1


def refused(name, status, body):
    check(name, status == 400 and b"encrypted payload rejected" in body, f"{status} {body[:300]!r}")


# 1. An encrypted request and its encrypted response: a folder made on the native face.
status, headers, body = encrypted("POST", "/v1/folders", b'{"name":"Python sealed"}')
check("encrypted request answered 201", status == 201, f"{status} {body[:300]!r}")
check("response is an envelope", headers.get("Content-Type") == ENCRYPTED_JSON and b"Python sealed" not in body)
folder = json.loads(open_envelope(keys, "response", body))
check("response decrypts to the folder", folder.get("name") == "Python sealed", folder)

# 2. The chatbot face's chat, streamed: every event's data is an envelope.
status, headers, body = encrypted("POST", "/api/chat", b'{"message":"hello","stream":true}')
events = [line[6:] for line in body.decode().split("\n") if line.startswith("data: ")]
types = [json.loads(open_envelope(keys, "response", e)).get("type") for e in events]
check("stream events decrypt", status == 200 and types and types[-1] == "done", f"{status} {types}")

# 3. An encrypted file part, read back in clear.
text = b"sealed upload from python\n"
part = envelope_text(seal(keys, "request", text)).encode()
boundary = "pyenc"
form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nassistants\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"note.txt\"\r\n"
        f"Content-Type: {ENCRYPTED_PART}; type=text/plain\r\n\r\n").encode() + part + f"\r\n--{boundary}--\r\n".encode()
status, _, body = call("POST", "/v1/files", form, {"Authorization": f"Bearer {KEY}", "X-Encryption": "v1",
                                                   "Content-Type": f"multipart/form-data; boundary={boundary}"})
check("encrypted file part accepted", status == 200, f"{status} {body[:300]!r}")
if status == 200:
    fid = json.loads(body)["id"]
    _, _, content = call("GET", f"/v1/files/{fid}/content", headers={"Authorization": f"Bearer {KEY}"})
    check("stored file is the plaintext", content == text, content[:100])

# 4. Refusals: one 400, one message.
good = seal(keys, "request", b'{"message":"hi"}')


def altered(field, fn):
    e = dict(good)
    e[field] = base64.b64encode(fn(base64.b64decode(e[field]))).decode()
    return envelope_text(e)


flip_first = lambda b: bytes([b[0] ^ 1]) + b[1:]
flip_last = lambda b: b[:-1] + bytes([b[-1] ^ 1])
refused("tampered ciphertext bit", *encrypted("POST", "/api/chat", None, envelope=altered("ct", flip_first))[::2])
refused("tampered padding block", *encrypted("POST", "/api/chat", None, envelope=altered("ct", flip_last))[::2])
refused("tampered MAC bit", *encrypted("POST", "/api/chat", None, envelope=altered("mac", flip_first))[::2])
refused("truncated ciphertext", *encrypted("POST", "/api/chat", None, envelope=altered("ct", lambda b: b[:16]))[::2])
refused("truncated envelope", *encrypted("POST", "/api/chat", None, envelope=envelope_text(good)[:-30])[::2])
old = envelope_text(seal(keys, "request", b'{"message":"hi"}', ts=good["ts"] - 3600))
refused("replayed (old timestamp)", *encrypted("POST", "/api/chat", None, envelope=old)[::2])
other = envelope_text(seal(derive_keys("dk_not_this_key"), "request", b'{"message":"hi"}'))
refused("wrong key", *encrypted("POST", "/api/chat", None, envelope=other)[::2])
once = envelope_text(seal(keys, "request", b'{"name":"once"}'))
first = encrypted("POST", "/v1/folders", None, envelope=once)
check("fresh envelope accepted", first[0] == 201, first[0])
refused("exact replay", *encrypted("POST", "/v1/folders", None, envelope=once)[::2])

# 5. The server's own response is checked like a request: a flipped bit in it is caught here.
status, _, body = encrypted("GET", "/v1/folders", b"")
env = json.loads(body)
env["ct"] = base64.b64encode(flip_first(base64.b64decode(env["ct"]))).decode()
try:
    open_envelope(keys, "response", env)
    check("client refuses a tampered response", False, "opened")
except Rejected:
    check("client refuses a tampered response", True)

sys.exit(1 if failures else 0)
