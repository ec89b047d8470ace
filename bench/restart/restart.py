#!/usr/bin/env python3
"""bench/restart driver: times docent's restart after kill -9 with N chunks (see run.sh).

Prints one JSON object of figures on stdout. Talks to the server on 127.0.0.1 only.
"""
import json, os, re, signal, subprocess, sys, tempfile, time, urllib.request, urllib.error

docent, fill, chunks = sys.argv[1], sys.argv[2], int(sys.argv[3])
work = tempfile.mkdtemp(prefix="docent-bench-restart-")
data = os.path.join(work, "data")


def start():
    out = open(os.path.join(work, "out.txt"), "w")
    err = open(os.path.join(work, "err.txt"), "w")
    env = dict(os.environ, DOCENT_LOG_LEVEL="info")
    t0 = time.monotonic()
    p = subprocess.Popen([docent, "serve", "--host", "127.0.0.1", "--port", "0", "--data", data],
                         stdout=out, stderr=err, env=env)
    while True:
        text = open(os.path.join(work, "out.txt")).read()
        m = re.search(r"http://127\.0\.0\.1:(\d+)", text)
        if m:
            k = re.search(r"admin key: (dk_[0-9A-Za-z]+)", text)
            return p, t0, int(m.group(1)), (k.group(1) if k else None)
        if p.poll() is not None:
            sys.exit("docent exited: " + open(os.path.join(work, "err.txt")).read()[-2000:])
        time.sleep(0.005)


def call(port, method, path, key=None, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    if key:
        req.add_header("Authorization", "Bearer " + key)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")
    except (ConnectionError, urllib.error.URLError):
        return 0, {}


def search(port, key):
    return call(port, "POST", "/v1/search", key, {"query": "w17 w404 w1999", "limit": 10, "wait_seconds": 0})


def until(t0, pred, limit=1800):
    while True:
        r = pred()
        if r:
            return time.monotonic() - t0, r
        if time.monotonic() - t0 > limit:
            sys.exit("timed out")
        time.sleep(0.01)


def replay_line():
    for _ in range(500):
        err = open(os.path.join(work, "err.txt")).read()
        m = re.findall(r"vector index (?:loaded|rebuilt) chunks=(\d+) replayed=(\d+) removed=(\d+)", err)
        if m:
            return [int(x) for x in m[-1]]
        time.sleep(0.01)
    return None


fig = {"chunks": chunks}
# 1. Baseline: a start on an empty data folder, to its first search through the index.
p, t0, port, key = start()
fig["empty_first_search_s"], _ = until(t0, lambda: search(port, key)[0] == 200 and
                                       "degraded" not in search(port, key)[1])
p.send_signal(signal.SIGTERM)
p.wait()

# 2. The chunks, stored as ingestion leaves them, and their index built and checkpointed (what a
#    start after kill -9 used to rebuild before it listened).
t = time.monotonic()
out = subprocess.run([fill, data, str(chunks)], check=True, stdout=subprocess.PIPE, text=True).stdout
fig["fill_s"] = time.monotonic() - t
fig["build_s"] = float(out.split()[-1])

# 3. A clean start from that checkpoint; a change after it, then the crash.
p, t0, port, _ = start()
fig["clean_first_vector_search_s"], _ = until(t0, lambda: (lambda r: r[0] == 200 and "degraded" not in r[1])(
    search(port, key)))
text = " ".join(f"w{i % 2000}" for i in range(3000))
boundary = "b0undary"
body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nassistants\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"late.txt\"\r\n"
        f"Content-Type: text/plain\r\n\r\n{text}\r\n--{boundary}--\r\n").encode()
req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/files", data=body, method="POST")
req.add_header("Authorization", "Bearer " + key)
req.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
fid = json.loads(urllib.request.urlopen(req, timeout=30).read())["id"]
until(time.monotonic(), lambda: call(port, "GET", f"/v1/files/{fid}", key)[1].get("docent", {}).get("status")
      in ("processed", "failed"))
fig["late_chunks"] = call(port, "GET", f"/v1/files/{fid}", key)[1]["docent"]["chunk_count"]
p.send_signal(signal.SIGKILL)
p.wait()

# 4. The restart after kill -9: from the checkpoint, replaying only the late file.
p, t0, port, _ = start()
fig["restart_health_s"], _ = until(t0, lambda: call(port, "GET", "/health")[0] == 200)
fig["restart_first_search_s"], _ = until(t0, lambda: search(port, key)[0] == 200)
fig["restart_first_vector_search_s"], _ = until(t0, lambda: (lambda r: r[0] == 200 and "degraded" not in r[1])(
    search(port, key)))
fig["restart_replayed"] = replay_line()
p.send_signal(signal.SIGTERM)
p.wait()
fig["index_bytes"] = os.path.getsize(os.path.join(data, "index", "vectors.hnsw"))
subprocess.run(["rm", "-rf", work])
print(json.dumps(fig))
