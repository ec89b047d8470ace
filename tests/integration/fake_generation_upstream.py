#!/usr/bin/python3
"""A stand-in for the generators docent's generation.*_url settings name, for the tests of
POST /api/generate/image, /video and /music (docs/GENERATION.md).

usage: fake_generation_upstream.py REQUEST_LOG

POST /v1/images/generations (OpenAI's Images API): answers `n` small PNGs (made here with zlib) as
b64_json, with a revised_prompt. The prompt steers it: "url-only" answers a URL instead of
b64_json; "not-an-image" answers base64 of text; "strict" refuses a request carrying
response_format with 400, as servers that always answer base64 do.
POST /v1/videos, GET /v1/videos/{id}, GET /v1/videos/{id}/content (OpenAI's Videos API): a video
is in_progress at its first poll and completed at the next; "fail" in the prompt fails it with a
message. The content is the first bytes of an MP4 (an ftyp box) and padding.
POST /v1/audio/music (docent's contract): answers a one-second WAV tone; "silence" answers text.
Every request's JSON body is appended to REQUEST_LOG as one line "PATH BODY". Prints its port on
its first line.
"""
import base64
import http.server
import io
import json
import math
import struct
import sys
import wave
import zlib

LOG = sys.argv[1]
VIDEOS = {}


def png(width, height, rgb):
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) +
            chunk(b"IEND", b""))


def tone():
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 8))) for i in range(16000)))
    return out.getvalue()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, data, content_type="application/json"):
        body = data if isinstance(data, bytes) else json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        parts = self.path.split("/")  # ["", "v1", "videos", id, ("content")]
        if len(parts) >= 4 and parts[2] == "videos" and parts[3] in VIDEOS:
            video = VIDEOS[parts[3]]
            if len(parts) == 5 and parts[4] == "content":
                self.send(200, b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 2048, "video/mp4")
                return
            video["polls"] += 1
            if "fail" in video["prompt"]:
                self.send(200, {"id": parts[3], "object": "video", "status": "failed",
                                "error": {"code": "moderation", "message": "the prompt was refused"}})
            elif video["polls"] == 1:
                self.send(200, {"id": parts[3], "object": "video", "status": "in_progress", "progress": 50})
            else:
                self.send(200, {"id": parts[3], "object": "video", "status": "completed", "progress": 100})
            return
        self.send(404, {"error": {"message": "no such route"}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        with open(LOG, "a") as log:
            log.write(self.path + " " + raw.decode("utf-8", "replace") + "\n")
        try:
            body = json.loads(raw)
        except ValueError:
            self.send(400, {"error": {"message": "the body is not JSON"}})
            return
        prompt = body.get("prompt", "")
        if self.path == "/v1/images/generations":
            if "strict" in prompt and "response_format" in body:
                self.send(400, {"error": {"message": "Unknown parameter: 'response_format'."}})
            elif "url-only" in prompt:
                self.send(200, {"created": 0, "data": [{"url": "http://169.254.169.254/latest/meta-data"}]})
            elif "not-an-image" in prompt:
                self.send(200, {"created": 0, "data": [{"b64_json": base64.b64encode(b"hello").decode()}]})
            else:
                images = [{"b64_json": base64.b64encode(png(8 + i, 8, (200, 30 * i, 40))).decode(),
                           "revised_prompt": "a detailed " + prompt} for i in range(int(body.get("n", 1)))]
                self.send(200, {"created": 0, "data": images})
        elif self.path == "/v1/videos":
            vid = "video_%d" % (len(VIDEOS) + 1)
            VIDEOS[vid] = {"prompt": prompt, "polls": 0}
            self.send(200, {"id": vid, "object": "video", "status": "queued", "progress": 0,
                            "model": body.get("model", "sora-2"), "seconds": body.get("seconds", "4")})
        elif self.path == "/v1/audio/music":
            if "silence" in prompt:
                self.send(200, b"nothing to hear here", "text/plain")
            else:
                self.send(200, tone(), "audio/wav")
        else:
            self.send(404, {"error": {"message": "no such route"}})


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
