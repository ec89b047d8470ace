#!/usr/bin/python3
"""A stand-in for an OpenAI-compatible model server, for the extraction model-pass test.

usage: fake_json_upstream.py ANSWER REQUEST_LOG

Serves GET /v1/models (one model, "fake-json") and POST /v1/chat/completions, answering every
chat with the text ANSWER and appending each request body as one JSON line to REQUEST_LOG.
Prints the port it listens on (127.0.0.1, chosen by the OS) on its first line of stdout.
"""
import http.server
import json
import sys
import time

ANSWER, LOG = sys.argv[1], sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.endswith("/models"):
            self.reply({"object": "list", "data": [{"id": "fake-json", "object": "model", "created": 0,
                                                    "owned_by": "fake"}]})
        else:
            self.send_error(404)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(LOG, "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        self.reply({"id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()),
                    "model": "fake-json",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
