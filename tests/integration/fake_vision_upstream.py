#!/usr/bin/python3
"""A stand-in for a vision-capable OpenAI-compatible chat server (vLLM, Ollama, llama.cpp with a
vision model), for the tests of vision.url and of image_url parts in /v1/chat/completions.

usage: fake_vision_upstream.py REQUEST_LOG

POST /v1/chat/completions: when the last user message holds an image_url part whose URL is a
data:image/...;base64 URL (or an https URL), answers with a JSON object naming what it "sees" (a
fixed reply: the stand-in has no eyes, the tests check that the reply is merged, not invented)
and appends one line to REQUEST_LOG: "image <url prefix> question <text>". Without an image_url
part it answers 400. GET /v1/models lists "vision-test". Prints its port on its first line.
"""
import http.server
import json
import sys

LOG = sys.argv[1]
REPLY = {"objects": ["stop sign", "pole"], "scene_type": "street", "emotions": [],
         "answer": "The sign says STOP."}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, data):
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.endswith("/models"):
            self.send(200, {"object": "list", "data": [{"id": "vision-test", "object": "model",
                                                        "created": 0, "owned_by": "test"}]})
        else:
            self.send(404, {"error": {"message": "not found"}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        req = json.loads(self.rfile.read(length) or b"{}")
        image, text = None, ""
        for m in req.get("messages", []):
            content = m.get("content")
            if isinstance(content, list):
                for part in content:
                    if part.get("type") == "image_url":
                        image = part.get("image_url", {}).get("url", "")
                    elif part.get("type") == "text":
                        text = part.get("text", "")
            elif isinstance(content, str):
                text = content
        if not image or not (image.startswith("data:image/") or image.startswith("https://")):
            self.send(400, {"error": {"message": "no image_url part", "type": "invalid_request_error"}})
            return
        with open(LOG, "a") as f:
            f.write("image %s question %s\n" % (image[:23], text.replace("\n", " ")))
        content = json.dumps(REPLY) if "JSON object" in text else "I see a red sign that says STOP."
        self.send(200, {"id": "chatcmpl-vision", "object": "chat.completion", "created": 0,
                        "model": req.get("model") or "vision-test",
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": content}}],
                        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}})


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
