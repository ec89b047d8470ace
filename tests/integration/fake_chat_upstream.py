#!/usr/bin/python3
"""A stand-in for a local OpenAI-compatible model server (Ollama, vLLM, llama.cpp), for the tests
of operator-configured upstreams.

usage: fake_chat_upstream.py REQUEST_LOG

GET /v1/models lists two models, "local-first" then "local-second". POST /v1/chat/completions
answers "Answered by MODEL." (as an event stream when the request asks for one) and appends the
requested model to REQUEST_LOG, one per line. Prints the port it listens on (127.0.0.1, chosen by
the OS) on its first line of stdout.
"""
import http.server
import json
import sys
import time

LOG = sys.argv[1]


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

    def do_GET(self):
        if self.path.endswith("/models"):
            models = [{"id": m, "object": "model", "created": 0, "owned_by": "local"}
                      for m in ("local-first", "local-second")]
            self.send(200, "application/json", json.dumps({"object": "list", "data": models}).encode())
        else:
            self.send(404, "application/json", b'{"error":{"message":"not found"}}')

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        model = body.get("model", "")
        with open(LOG, "a") as f:
            f.write(model + "\n")
        text = "Answered by " + model + "."
        usage = {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6}
        if not body.get("stream"):
            self.send(200, "application/json", json.dumps({
                "id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": usage}).encode())
            return
        chunks = [{"index": 0, "delta": {"role": "assistant", "content": text}, "finish_reason": None},
                  {"index": 0, "delta": {}, "finish_reason": "stop"}]
        events = b""
        for c in chunks:
            event = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": int(time.time()),
                     "model": model, "choices": [c]}
            if c["finish_reason"]:
                event["usage"] = usage
            events += b"data: " + json.dumps(event).encode() + b"\n\n"
        events += b"data: [DONE]\n\n"
        self.send(200, "text/event-stream", events)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
