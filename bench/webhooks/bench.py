#!/usr/bin/env python3
"""bench/webhooks: what webhooks cost the request that causes an event, and how fast docent delivers.

Started by bench/webhooks/run.sh (standard library only). First runs bench_webhook_emit
(emit_bench.cpp): the causing transaction with and without an emit, in process, the figure the
target is judged on. Then Starts `docent serve` on a fresh data
folder with loopback receivers allowed, and a receiver in this process (ThreadingHTTPServer, one
thread per connection, counting deliveries by webhook-id and checking each signature). Then:

  emit       (bench_webhook_emit) the change's write transaction alone, with an emit for an
             account without a webhook, and with one whose endpoint subscribes (target: the
             last minus the first < 0.5 ms at p50).
  latency    UPLOADS small text files through POST /v1/files, alternating two accounts on the
             same plan: one with a webhook subscribed to file.uploaded, one with none. The event
             is written in the upload's own transaction (the outbox), so the difference of the
             two p50s is what a subscribed webhook adds to the request end to end (an upload costs
             tens of ms on this host, so the difference carries a few ms of noise either way).
  delivery   EVENTS webhook.test events queued through POST /v1/webhooks/{id}/test (the same
             outbox rows and delivery workers as every event), timed from the first queued to the
             last received: events delivered/s. The baseline, in the same run: the same number
             of signed-size POSTs sent straight to the same receiver by as many client threads
             as docent has delivery workers, one connection per request as docent's workers use.

Writes the bench:webhooks section of docs/PERFORMANCE.md (bench/write_section.py).
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import http.client
import http.server
import json
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

SECRET = "whsec_" + base64.b64encode(b"bench-webhooks-secret-32-bytes!!").decode()
KEY_BYTES = base64.b64decode(SECRET[len("whsec_"):])


class Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.seen = {}          # webhook-id -> times received
        self.bad_signatures = 0
        self.last_at = 0.0
        self.changed = threading.Condition(self.lock)

    def count(self):
        with self.lock:
            return len(self.seen)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        wid = self.headers.get("webhook-id", "")
        ts = self.headers.get("webhook-timestamp", "")
        sig = self.headers.get("webhook-signature", "")
        ok = True
        if wid and not wid.startswith("plain-"):
            mac = hmac.new(KEY_BYTES, f"{wid}.{ts}.".encode() + body, hashlib.sha256).digest()
            ok = ("v1," + base64.b64encode(mac).decode()) in sig.split(" ")
        srv = self.server
        with srv.lock:
            srv.seen[wid] = srv.seen.get(wid, 0) + 1
            if not ok:
                srv.bad_signatures += 1
            srv.last_at = time.perf_counter()
            srv.changed.notify_all()
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    # The parent's questions (RemoteReceiver): GET /stats, POST /clear never reach do_POST's counting.
    def do_GET(self):
        srv = self.server
        with srv.lock:
            out = json.dumps({"seen": len(srv.seen), "duplicates": sum(n - 1 for n in srv.seen.values() if n > 1),
                              "bad_signatures": srv.bad_signatures, "last_at": srv.last_at}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


class ClearingHandler(Handler):
    def do_POST(self):
        if self.path != "/clear":
            return super().do_POST()
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.server.lock:
            self.server.seen.clear()
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


def serve_receiver(pipe):
    receiver = Receiver()
    receiver.RequestHandlerClass = ClearingHandler
    pipe.send(receiver.server_address[1])
    receiver.serve_forever()


class RemoteReceiver:
    """The receiver, in a process of its own. In this one its handler threads would take the GIL
    from the thread timing the uploads just as each hooked upload's delivery arrives, which is
    when that upload's answer is due: up to Python's 5 ms switch interval added to exactly the
    requests that caused an event, a cost of the harness that looked like the webhook's."""

    def __init__(self):
        parent, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(target=serve_receiver, args=(child,), daemon=True)
        self.process.start()
        self.port = parent.recv()

    def _call(self, method, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request(method, path, body=b"" if method == "POST" else None)
        res = c.getresponse()
        data = res.read()
        c.close()
        return data

    def stats(self):
        return json.loads(self._call("GET", "/stats"))

    def clear(self):
        self._call("POST", "/clear")

    def wait_for(self, count, timeout):
        deadline = time.time() + timeout
        while True:
            st = self.stats()
            if st["seen"] >= count or time.time() > deadline:
                return st
            time.sleep(0.02)

    def stop(self):
        self.process.terminate()


class Client:
    """One keep-alive connection to docent."""

    def __init__(self, port, key):
        self.port, self.key = port, key
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method, path, body=None, headers=None):
        h = {"Authorization": f"Bearer {self.key}"}
        if body is not None and not (headers and "Content-Type" in headers):
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.conn.request(method, path, body=body, headers=h)
        res = self.conn.getresponse()
        data = res.read()
        return res.status, data


def multipart(name, content):
    boundary = "benchboundary7a1c"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nassistants\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: text/plain\r\n\r\n{content}\r\n--{boundary}--\r\n").encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def percentile(values, p):
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def start_docent(binary, data, launch):
    env = dict(os.environ, DOCENT_WEBHOOKS_ALLOW_PRIVATE="true", DOCENT_WEBHOOKS_ALLOW_HTTP="true")
    out = open(Path(data) / "docent.out", "w+")
    proc = subprocess.Popen(launch + [binary, "serve", "--host", "127.0.0.1", "--port", "0", "--data", data],
                            stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 20
    port = key = None
    while time.time() < deadline and (port is None or key is None):
        if proc.poll() is not None:
            out.seek(0)
            sys.exit("docent exited at start:\n" + out.read())
        out.seek(0)
        text = out.read()
        m = re.search(r"http://127\.0\.0\.1:(\d+)", text)
        k = re.search(r"admin key: (dk_[0-9A-Za-z]+)", text)
        port = int(m.group(1)) if m else None
        key = k.group(1) if k else None
        time.sleep(0.1)
    if port is None or key is None:
        proc.kill()
        sys.exit("docent printed no address or admin key within 20 s")
    return proc, port, key


def must(status, data, want, what):
    if status != want:
        sys.exit(f"{what}: answered {status}, want {want}: {data[:300]!r}")
    return json.loads(data) if data else None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--docent", required=True)
    p.add_argument("--emit-bench", required=True, help="the bench_webhook_emit binary")
    p.add_argument("--uploads", type=int, default=400, help="uploads per account in the latency phase")
    p.add_argument("--events", type=int, default=2000)
    p.add_argument("--workers", type=int, default=2, help="docent's webhooks.workers (the default)")
    p.add_argument("--latency-only", action="store_true",
                   help="stop after the latency phase (with DOCENT_WEBHOOKS_WORKERS=0: the outbox write alone)")
    p.add_argument("--launch", default="", help="prefix for docent's command line (taskset, nice)")
    p.add_argument("--doc", default="")
    p.add_argument("--command", default="bench/webhooks/run.sh")
    p.add_argument("--commit", default="unknown")
    args = p.parse_args()

    load_before = open("/proc/loadavg").read().split()[:3]
    emit = json.loads(subprocess.run(args.launch.split() + [args.emit_bench, "3000"], capture_output=True,
                                     text=True, check=True).stdout.strip().splitlines()[-1])
    emit_added = emit["webhook"]["p50_ms"] - emit["plain"]["p50_ms"]
    print(f"emit: p50 {emit['plain']['p50_ms']:.3f} ms plain, {emit['webhook']['p50_ms']:.3f} ms with a subscribed"
          f" webhook (+{emit_added:.3f} ms)", file=sys.stderr)
    receiver = RemoteReceiver()
    hook_url = f"http://127.0.0.1:{receiver.port}/hook"

    data = tempfile.mkdtemp(prefix="docent-bench-webhooks.")
    proc, port, admin_key = start_docent(args.docent, data, args.launch.split())
    try:
        admin = Client(port, admin_key)
        # Two accounts on one unlimited plan: "quiet" has no webhook, "hooked" has one.
        keys = {}
        for login in ("quiet", "hooked"):
            must(*admin.call("POST", "/v1/accounts", {"login": login, "password": "bench-password-1",
                                                      "plan": "unlimited"}), 201, "create account")
            c = Client(port, "")
            got = must(*c.call("POST", "/v1/auth/login", {"login": login, "password": "bench-password-1"}), 200,
                       "login")
            keys[login] = got["api_key"]["key"]
        quiet, hooked = Client(port, keys["quiet"]), Client(port, keys["hooked"])
        hook = must(*hooked.call("POST", "/v1/webhooks", {"url": hook_url, "events": ["file.uploaded"],
                                                          "secret": SECRET}), 201, "create webhook")

        # --- latency: alternate the two accounts, one upload each, after a warm-up.
        times = {"quiet": [], "hooked": []}
        for i in range(-20, args.uploads):
            for name, client in (("quiet", quiet), ("hooked", hooked)) if i % 2 else (("hooked", hooked),
                                                                                    ("quiet", quiet)):
                body, headers = multipart(f"{name}-{i}.txt", f"bench upload {name} {i} {os.urandom(8).hex()}")
                t0 = time.perf_counter()
                status, out = client.call("POST", "/v1/files", body, headers)
                dt = (time.perf_counter() - t0) * 1000
                must(status, out, 200, "upload")
                if i >= 0:
                    times[name].append(dt)
        q50, h50 = percentile(times["quiet"], 50), percentile(times["hooked"], 50)
        print(f"latency: p50 {q50:.3f} ms without a webhook, {h50:.3f} ms with one (+{h50 - q50:.3f} ms)",
              file=sys.stderr)
        if args.latency_only:
            return
        # Every hooked upload's file.uploaded must arrive.
        want = args.uploads + 20
        uploaded_events = receiver.wait_for(want, timeout=120)["seen"]

        # --- delivery rate: queue EVENTS test events from 4 client threads, time until the last lands.
        receiver.clear()
        per_thread = args.events // 4
        total = per_thread * 4
        errors = []

        def queue_tests():
            c = Client(port, keys["hooked"])
            for _ in range(per_thread):
                s, d = c.call("POST", f"/v1/webhooks/{hook['id']}/test", b"")
                if s != 202:
                    errors.append((s, d[:200]))

        t0 = time.perf_counter()
        threads = [threading.Thread(target=queue_tests) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        queued_at = time.perf_counter()
        got = receiver.wait_for(total, timeout=300)
        delivered, last_at = got["seen"], got["last_at"]
        docent_seconds = last_at - t0
        docent_rate = delivered / docent_seconds if docent_seconds > 0 else 0.0
        duplicates = got["duplicates"]
        bad_signatures = got["bad_signatures"]

        # --- baseline: the same number of POSTs of a delivery's size straight to the receiver.
        receiver.clear()
        sample = json.dumps({"event": "webhook.test", "timestamp": "2026-12-07T00:00:00Z",
                             "data": {"webhook_id": hook["id"]}}).encode()
        per_worker = total // args.workers

        def post_plain(w):
            for n in range(per_worker):
                c = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=30)
                c.request("POST", "/hook", body=sample, headers={"Content-Type": "application/json",
                                                                  "webhook-id": f"plain-{w}-{n}"})
                c.getresponse().read()
                c.close()

        b0 = time.perf_counter()
        threads = [threading.Thread(target=post_plain, args=(w,)) for w in range(args.workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        base_seconds = time.perf_counter() - b0
        base_rate = (per_worker * args.workers) / base_seconds
    finally:
        receiver.stop()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)
    load_after = open("/proc/loadavg").read().split()[:3]

    q50, h50 = percentile(times["quiet"], 50), percentile(times["hooked"], 50)
    q99, h99 = percentile(times["quiet"], 99), percentile(times["hooked"], 99)
    added = h50 - q50
    busy = float(load_before[0]) > 1.0
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "<!-- bench:webhooks:begin -->",
        "## Webhooks: the cost to the request, and deliveries per second",
        "",
        "_Written by `bench/webhooks/run.sh`; everything between the `bench:webhooks` markers is replaced on each"
        " run._",
        "",
        f"- **Date:** {date}",
        f"- **Machine:** {os.cpu_count()} cores; load average before {' '.join(load_before)}, after"
        f" {' '.join(load_after)}" + (" (**busy**: other work blurs the figures)." if busy else "."),
        f"- **Command:** `{args.command}`",
        f"- **Commit:** {args.commit}",
        f"- **docent:** `docent serve` on a fresh data folder, `webhooks.allow_private` and `allow_http` on,"
        f" {args.workers} delivery workers (the default); {args.launch or 'no pinning'}.",
        "- **Receiver:** Python's ThreadingHTTPServer in a process of its own (not the timing client's: its"
        " threads would take the client's GIL as each delivery lands), answering 204 and checking every"
        " Standard Webhooks signature.",
        "",
        "| Figure | Baseline | docent | Ratio |",
        "|---|---:|---:|---:|",
        f"| causing transaction p50 (in process, {emit['rounds']} each, interleaved) |"
        f" {emit['plain']['p50_ms']:.3f} ms (the change alone) | {emit['webhook']['p50_ms']:.3f} ms (+ emit, one"
        f" endpoint subscribed) | {emit['webhook']['p50_ms'] / emit['plain']['p50_ms']:.2f} (+{emit_added:.3f} ms) |",
        f"| causing transaction p99 | {emit['plain']['p99_ms']:.3f} ms | {emit['webhook']['p99_ms']:.3f} ms |"
        f" {emit['webhook']['p99_ms'] / emit['plain']['p99_ms']:.2f} |",
        f"| + emit, nobody subscribed (p50) | {emit['plain']['p50_ms']:.3f} ms | {emit['no_webhook']['p50_ms']:.3f} ms |"
        f" {emit['no_webhook']['p50_ms'] / emit['plain']['p50_ms']:.2f} |",
        f"| upload p50 (`POST /v1/files`, {args.uploads} per account, alternating) | {q50:.3f} ms (no webhook)"
        f" | {h50:.3f} ms (file.uploaded subscribed) | {h50 / q50:.3f} (+{added:.3f} ms) |",
        f"| upload p99 | {q99:.3f} ms | {h99:.3f} ms | {h99 / q99:.3f} |",
        f"| events delivered/s ({total} events) | {base_rate:,.0f} (plain POSTs, {args.workers} threads) |"
        f" {docent_rate:,.0f} | {docent_rate / base_rate:.2f} |",
        "",
        f"Every hooked upload's `file.uploaded` arrived: {uploaded_events} of {want}. Delivery phase:"
        f" {delivered} of {total} events received, {duplicates} received twice, {bad_signatures}"
        f" signatures that did not verify, {len(errors)} refused queue requests; queueing took"
        f" {queued_at - t0:.2f} s of the {docent_seconds:.2f} s.",
        "",
        "| Target | Result |",
        "|---|---|",
        f"| added latency on the causing request < 0.5 ms at p50 (the causing transaction, in process) |"
        f" {'met' if emit_added < 0.5 else '**not met**'} ({emit_added:+.3f} ms) |",
        f"| the same end to end, through an upload | {'met' if added < 0.5 else '**not met**'} ({added:+.3f} ms of"
        f" {q50:.1f} ms; see the note below the section) |",
        "<!-- bench:webhooks:end -->",
    ]
    section = "\n".join(lines) + "\n"
    print(section)
    if args.doc:
        subprocess.run([sys.executable, str(Path(__file__).parent.parent / "write_section.py"), args.doc,
                        "webhooks"], input=section, text=True, check=True)
    if uploaded_events < want or delivered < total or bad_signatures or errors:
        sys.exit("bench/webhooks: events were lost, duplicated beyond retry, or badly signed (see above)")


if __name__ == "__main__":
    main()
