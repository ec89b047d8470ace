#!/usr/bin/python3
"""A stand-in for OpenAI-compatible speech servers (whisper.cpp's server, faster-whisper, Kokoro,
openedai-speech), for the tests of stt.url and tts.url.

usage: fake_speech_upstream.py REQUEST_LOG

POST /v1/audio/transcriptions answers verbose_json whose text names what it received: "heard
<N> bytes of <RIFF|other> in <language>" (one segment, two words with times); language "th"
answers 500 with an OpenAI error {"message": "the model is overloaded"}.
POST /v1/audio/translations answers 404 (an upstream that does not offer translations).
POST /v1/audio/speech answers the bytes "FAKE-AUDIO|<response_format>|<voice>|<model>|<input>"
as audio/mpeg, in two chunks; voice "refuse" answers 400 {"error": {"message": "voice refused"}}.
Every request appends one JSON line (path and fields) to REQUEST_LOG. Prints the port it listens
on (127.0.0.1, chosen by the OS) on its first line of stdout.
"""
import http.server
import json
import sys

LOG = sys.argv[1]


def parse_multipart(body, content_type):
    boundary = content_type.split("boundary=", 1)[1].strip().strip('"').encode()
    fields, files = {}, {}
    for part in body.split(b"--" + boundary):
        if not part or part in (b"--\r\n", b"--"):
            continue
        part = part[2:] if part.startswith(b"\r\n") else part
        head, _, data = part.partition(b"\r\n\r\n")
        data = data[:-2] if data.endswith(b"\r\n") else data
        disposition = [l for l in head.decode(errors="replace").split("\r\n") if l.lower().startswith("content-disposition")]
        if not disposition:
            continue
        params = dict(p.strip().split("=", 1) for p in disposition[0].split(";")[1:] if "=" in p)
        name = params.get("name", "").strip('"')
        if "filename" in params:
            files[name] = data
        else:
            fields.setdefault(name, []).append(data.decode())
    return fields, files


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, content_type, data):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def record(self, entry):
        with open(LOG, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path.endswith("/audio/transcriptions") or self.path.endswith("/audio/translations"):
            fields, files = parse_multipart(body, self.headers.get("Content-Type", ""))
            audio = files.get("file", b"")
            self.record({"path": self.path, "fields": fields, "bytes": len(audio), "riff": audio[:4] == b"RIFF",
                         "auth": self.headers.get("Authorization", "")})
            if self.path.endswith("/translations"):
                self.send(404, "application/json", b'{"detail":"Not Found"}')
                return
            language = fields.get("language", ["auto"])[0]
            if language == "th":
                self.send(500, "application/json", b'{"error":{"message":"the model is overloaded"}}')
                return
            kind = "RIFF" if audio[:4] == b"RIFF" else "other"
            text = "heard %d bytes of %s in %s" % (len(audio), kind, language)
            words = [{"word": " heard", "start": 0.0, "end": 0.5}, {"word": " bytes", "start": 0.5, "end": 1.0}]
            answer = {"task": "transcribe", "language": language, "duration": 1.0, "text": text,
                      "segments": [{"id": 0, "start": 0.0, "end": 1.0, "text": " " + text}], "words": words}
            self.send(200, "application/json", json.dumps(answer).encode())
        elif self.path.endswith("/audio/speech"):
            req = json.loads(body)
            self.record({"path": self.path, "json": req, "auth": self.headers.get("Authorization", "")})
            if req.get("voice") == "refuse":
                self.send(400, "application/json", b'{"error":{"message":"voice refused"}}')
                return
            data = "FAKE-AUDIO|%s|%s|%s|%s" % (req.get("response_format"), req.get("voice"), req.get("model"),
                                               req.get("input"))
            data = data.encode()
            self.send_response(200)
            self.send_header("Content-Type", "audio/mpeg")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            half = len(data) // 2
            for piece in (data[:half], data[half:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send(404, "application/json", b'{"error":{"message":"not found"}}')


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
