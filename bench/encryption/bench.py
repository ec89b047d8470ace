#!/usr/bin/env python3
"""bench/encryption: what payload encryption (docs/ENCRYPTION.md) adds to a request with a 1 MB body.

Started by bench/encryption/run.sh (standard library plus python3-cryptography, through the
reference client tests/conformance/encryption/docent_payload.py). Two parts, each against a
baseline measured in the same run:

  primitives  bench_encryption (Google Benchmark, primitives_bench.cpp): opening a 1 MB request
              envelope (JSON, base64, HMAC, AES-256-CBC) and sealing a 1 MB response, beside a
              Boost.JSON parse of the same 1 MB body, which every JSON request pays anyway.
  end to end  `docent serve` on loopback, one keep-alive connection, requests alternating clear
              and encrypted, REPEATS of each, the median reported:
                request   POST /v1/embeddings with a 1 MB JSON body (built-in hashed embeddings):
                          in clear vs. an encrypted body and an encrypted response;
                response  GET /v1/files/{id}/content of a 1 MB file: in clear vs. Accept-Encryption.
              Envelopes are sealed before the timed loop and responses opened after it, so the
              client's own crypto is not in the figure; the server's is.

Writes the bench:encryption section of docs/PERFORMANCE.md (bench/write_section.py).
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

here = Path(__file__).resolve().parent
repo = here.parent.parent
sys.path.insert(0, str(repo / "tests/conformance/encryption"))
from docent_payload import ENCRYPTED_JSON, derive_keys, envelope_text, open_envelope, seal  # noqa: E402


def start(docent, data, launch):
    out = open(data.parent / "out", "w+")
    env = dict(os.environ, DOCENT_LOG_LEVEL="warn")
    cmd = (launch.split() if launch else []) + [docent, "serve", "--host", "127.0.0.1", "--port", "0", "--data",
                                                str(data), "--set", "server.max_body_bytes=8MiB"]
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    for _ in range(600):
        out.seek(0)
        text = out.read()
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", text)
        k = re.search(r"admin key: (dk_[0-9A-Za-z]+)", text)
        if m and k:
            return proc, int(m.group(1)), k.group(1)
        if proc.poll() is not None:
            sys.exit("docent exited:\n" + text)
        time.sleep(0.1)
    sys.exit("docent did not start")


def request(conn, method, path, body, headers):
    t0 = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    return time.perf_counter() - t0, r.status, dict(r.getheaders()), data


def embeddings_body(size):
    """About `size` bytes of JSON: 500 texts of about 2 kB (the route takes at most 2048 inputs)."""
    sentence = "the quick brown fox jumps over the lazy dog 0123456789 "
    per = size // 500 - 10
    parts = [(f"text {i} " + sentence * (per // len(sentence) + 1))[:per] for i in range(500)]
    return json.dumps({"model": "docent-hashed-v1", "input": parts}).encode()


def primitives(bench_bin, launch):
    cmd = (launch.split() if launch else []) + [bench_bin, "--benchmark_format=json", "--benchmark_repetitions=5",
                                                "--benchmark_report_aggregates_only=true"]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    med = {}
    for b in out["benchmarks"]:
        if b.get("aggregate_name") == "median":
            scale = {"ms": 1.0, "us": 1e-3, "ns": 1e-6}[b["time_unit"]]
            med[b["run_name"]] = b["real_time"] * scale  # milliseconds
    return med


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docent", required=True)
    ap.add_argument("--bench", required=True)
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--launch", default="")
    ap.add_argument("--doc", default="")
    ap.add_argument("--command", default="bench/encryption/run.sh")
    ap.add_argument("--commit", default="")
    a = ap.parse_args()

    load = os.getloadavg()
    prim = primitives(a.bench, a.launch)

    work = Path(tempfile.mkdtemp())
    proc, port, key = start(a.docent, work / "data", a.launch)
    try:
        keys = derive_keys(key)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        auth = {"Authorization": f"Bearer {key}"}

        # request scenario: a 1 MB JSON body
        body = embeddings_body(1_000_000)
        envelopes = [envelope_text(seal(keys, "request", body)).encode() for _ in range(a.repeats + 2)]
        clear_h = dict(auth, **{"Content-Type": "application/json"})
        enc_h = dict(auth, **{"Content-Type": ENCRYPTED_JSON, "X-Encryption": "v1", "Accept-Encryption": "v1"})
        t, status, _, clear_reply = request(conn, "POST", "/v1/embeddings", body, clear_h)  # warm up
        assert status == 200, (status, clear_reply[:300])
        req_clear, req_enc, replies = [], [], []
        for i in range(a.repeats + 1):
            t1, s1, _, _ = request(conn, "POST", "/v1/embeddings", body, clear_h)
            t2, s2, _, r2 = request(conn, "POST", "/v1/embeddings", envelopes[i], enc_h)
            assert s1 == 200 and s2 == 200, (s1, s2, r2[:300])
            if i:  # the first pair warms the encrypted path
                req_clear.append(t1)
                req_enc.append(t2)
            replies.append(r2)
        assert json.loads(open_envelope(keys, "response", replies[-1], window=3600)) == json.loads(clear_reply)

        # response scenario: a 1 MB file downloaded
        content = (b"0123456789abcdefghijklmnopqrstuvwxyz the quick brown fox jumps over the lazy dog\n" * 13000)[:1_000_000]
        boundary = "benchenc"
        form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nassistants\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n"
                "Content-Type: text/plain\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
        _, status, _, up = request(conn, "POST", "/v1/files", form,
                                   dict(auth, **{"Content-Type": f"multipart/form-data; boundary={boundary}"}))
        assert status == 200, (status, up[:300])
        path = f"/v1/files/{json.loads(up)['id']}/content"
        request(conn, "GET", path, None, auth)
        res_clear, res_enc = [], []
        last = b""
        for i in range(a.repeats + 1):
            t1, s1, _, d1 = request(conn, "GET", path, None, auth)
            t2, s2, h2, last = request(conn, "GET", path, None, dict(auth, **{"Accept-Encryption": "v1"}))
            assert s1 == 200 and s2 == 200 and d1 == content
            if i:
                res_clear.append(t1)
                res_enc.append(t2)
        assert open_envelope(keys, "response", last, window=3600) == content
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

    ms = lambda xs: statistics.median(xs) * 1000
    rc, re_, fc, fe = ms(req_clear), ms(req_enc), ms(res_clear), ms(res_enc)
    rows = {
        "parse": prim.get("BM_ParseJson", float("nan")),
        "derive": prim.get("BM_DeriveKeys", float("nan")),
        "open": prim.get("BM_Open", float("nan")),
        "seal": prim.get("BM_Seal", float("nan")),
    }
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cpu = "unknown"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    section = f"""<!-- bench:encryption:begin -->
### Payload encryption (bench:encryption)

_Written by `bench/encryption/run.sh`; everything between the `bench:encryption` markers is replaced on each run._

- Machine: {os.cpu_count()} vCPU ({cpu}), {platform.system()} {platform.release()}; shared with other work
  (load average at start {load[0]:.2f}); docent and the bench pinned apart where possible.
- Date: {now}; commit {a.commit or 'unknown'}; command: `{a.command}`

Primitives (Google Benchmark, median of 5, one core), a 1 MB JSON body:

| step | ms | ratio to parsing the body |
|---|---:|---:|
| Boost.JSON parse of the body (baseline: every JSON request pays it) | {rows['parse']:.2f} | 1.00 |
| derive the four keys (HKDF-SHA256, once a request) | {rows['derive']:.3f} | {rows['derive'] / rows['parse']:.3f} |
| open a request envelope (JSON, base64, HMAC-SHA256, AES-256-CBC) | {rows['open']:.2f} | {rows['open'] / rows['parse']:.2f} |
| seal a response (AES-256-CBC, HMAC-SHA256, base64) | {rows['seal']:.2f} | {rows['seal'] / rows['parse']:.2f} |

End to end on loopback (one keep-alive connection, clear and encrypted alternating, median of {a.repeats}):

| request | clear ms | encrypted ms | added ms | ratio |
|---|---:|---:|---:|---:|
| `POST /v1/embeddings`, 1 MB JSON body, encrypted body and response | {rc:.1f} | {re_:.1f} | {re_ - rc:.1f} | {re_ / rc:.2f} |
| `GET /v1/files/{{id}}/content`, 1 MB file, encrypted response | {fc:.1f} | {fe:.1f} | {fe - fc:.1f} | {fe / fc:.2f} |

The encrypted request also carries 4/3 of the bytes (base64), and the embeddings request's own
work (hashing 1 MB of text) is most of its time, so its ratio is the cost in context; the download's
is close to the cost of sealing alone. A 2-core shared VM: treat differences under a few ms as noise.
<!-- bench:encryption:end -->
"""
    print(section)
    if a.doc:
        subprocess.run([sys.executable, str(repo / "bench/write_section.py"), a.doc, "encryption"], input=section,
                       text=True, check=True)


if __name__ == "__main__":
    main()
