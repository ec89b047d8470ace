#!/usr/bin/env python3
"""bench/stream/stream_client.py: streaming chat completion client for bench/stream/run.sh.

Standard library only (asyncio over raw sockets: HTTP/1.1, chunked or close-delimited bodies,
SSE events split on blank lines).

  seq   BASE_URL --requests R [--tokens T] [--token-delay-ms MS] [--key KEY] [--out FILE]
        R sequential streaming requests, one connection each. Per request: TTFT (from the
        request's first byte written, after connecting, to the read that brought the first
        delta.content) and tokens/s ((tokens - 1) / (time of last token - time of first token)).
        Prints a JSON summary line; --out also writes every request's figures.
  hold  BASE_URL --streams C [--tokens T] [--token-delay-ms MS] [--first-delay-ms MS]
        [--key KEY] [--pid PID]...
        Opens C streams at once (each answer: T tokens, MS apart) and reports how many were
        open at the same time (a stream is open from its first token to its [DONE]). With
        --pid (repeatable), samples those processes' VmRSS (KiB) before the streams open and while they are open.
        With --conversations, each stream is a question in a conversation of its own
        (POST /v1/conversations first, then POST /v1/conversations/{id}/messages, whose answer
        streams as "delta" events and ends with a "done" event); the token count and pace are then
        the upstream's defaults (its --tokens and --token-delay-ms), as docent's conversations pass
        no bench_* fields on.

BASE_URL is the server root (http://127.0.0.1:PORT, the /v1 is added). T and MS are sent as
"bench_tokens" / "bench_token_delay_ms" / "bench_first_delay_ms", which bench_stream_upstream reads and docent passes on.
"""

import argparse
import asyncio
import json
import statistics
import sys
import time
from urllib.parse import urlsplit

CONTENT = b'"content":"'
EMPTY_CONTENT = b'"content":""'


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def streaming_post(host, port, key, path, body):
    """The bytes of one streaming POST of `body` (JSON) to `path`, closing after the answer."""
    payload = json.dumps(body, separators=(",", ":")).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/json\r\nAccept: text/event-stream\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n"
    )
    if key:
        head += f"Authorization: Bearer {key}\r\n"
    return (head + "\r\n").encode() + payload


def request_bytes(host, port, key, tokens, delay_ms, first_delay_ms=None):
    body = {
        "model": "bench-model",
        "stream": True,
        "messages": [{"role": "user", "content": "Say tok as often as you are told."}],
    }
    if tokens:
        body["bench_tokens"] = tokens
    if delay_ms is not None:
        body["bench_token_delay_ms"] = delay_ms
    if first_delay_ms is not None:
        body["bench_first_delay_ms"] = first_delay_ms
    return streaming_post(host, port, key, "/v1/chat/completions", body)


def conversation_request_bytes(host, port, key, conversation_id):
    return streaming_post(host, port, key, f"/v1/conversations/{conversation_id}/messages",
                          {"content": "Say tok as often as you are told.", "model": "bench-model"})


def create_conversations(base_url, key, count):
    """Creates `count` conversations (16 requests in flight) and returns their ids."""
    import concurrent.futures
    import urllib.request

    def create(i):
        req = urllib.request.Request(base_url + "/v1/conversations", method="POST",
                                     data=json.dumps({"title": f"bench {i}"}).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(req, timeout=30) as res:
            return json.loads(res.read())["id"]

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        return list(pool.map(create, range(count)))


class StreamError(Exception):
    pass


async def one_stream(host, port, req, on_first=None, on_done=None):
    """Runs one streaming request; returns (ttft_s, tokens, first_to_last_s)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        t0 = time.perf_counter()
        writer.write(req)
        await writer.drain()
        buf = b""
        while b"\r\n\r\n" not in buf:
            data = await reader.read(65536)
            if not data:
                raise StreamError("connection closed before the response head")
            buf += data
        head, _, rest = buf.partition(b"\r\n\r\n")
        status_line = head.split(b"\r\n", 1)[0]
        status = int(status_line.split()[1])
        chunked = b"transfer-encoding: chunked" in head.lower()
        if status != 200:
            raise StreamError(f"HTTP {status}: {(head + b' ' + rest)[:400]!r}")

        raw = rest      # undecoded body bytes
        sse = b""       # decoded body not yet split into events
        tokens = 0
        t_first = t_last = None
        done = False
        eof = False
        while not done:
            now = time.perf_counter()
            if chunked:
                # Decode as many complete chunks as raw holds (offsets, no re-slicing of raw).
                pos = 0
                parts = []
                while True:
                    nl = raw.find(b"\r\n", pos)
                    if nl < 0:
                        break
                    size = int(raw[pos:nl].split(b";", 1)[0], 16)
                    if size == 0:
                        eof = True
                        break
                    if len(raw) < nl + 2 + size + 2:
                        break
                    parts.append(raw[nl + 2 : nl + 2 + size])
                    pos = nl + 2 + size + 2
                if parts:
                    sse += b"".join(parts)
                raw = raw[pos:]
            else:
                sse += raw
                raw = b""
            if b"\n\n" in sse or b"\r\n\r\n" in sse:
                sse = sse.replace(b"\r\n", b"\n")
                events = sse.split(b"\n\n")
                sse = events.pop()
                for ev in events:
                    if ev.startswith(b"data: [DONE]") or ev.startswith(b"data:[DONE]") or ev.startswith(b"event: done"):
                        done = True
                        break
                    if ev.startswith(b"event: error"):
                        raise StreamError(f"error event: {ev[:300]!r}")
                    if b'"error"' in ev and CONTENT not in ev:
                        raise StreamError(f"error event: {ev[:300]!r}")
                    n = ev.count(CONTENT) - ev.count(EMPTY_CONTENT)
                    if n > 0:
                        if t_first is None:
                            t_first = now
                            if on_first:
                                on_first()
                        tokens += n
                        t_last = now
            if done:
                break
            if eof:
                raise StreamError("stream ended without [DONE]")
            data = await reader.read(65536)
            if not data:
                raise StreamError("connection closed before [DONE]")
            raw += data
        if on_done:
            on_done()
        if t_first is None:
            raise StreamError("no delta.content in the stream")
        return t_first - t0, tokens, t_last - t_first
    finally:
        writer.close()


def percentile(values, p):
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


async def run_seq(args):
    u = urlsplit(args.base_url)
    req = request_bytes(u.hostname, u.port, args.key, args.tokens, args.token_delay_ms)
    rows = []
    for _ in range(args.warmup):
        await one_stream(u.hostname, u.port, req)
    for _ in range(args.requests):
        ttft, tokens, span = await one_stream(u.hostname, u.port, req)
        rows.append((ttft, tokens, span))
    ttfts = [r[0] for r in rows]
    rates = [(r[1] - 1) / r[2] for r in rows if r[2] > 0 and r[1] > 1]
    summary = {
        "requests": len(rows),
        "tokens": rows[0][1] if rows else 0,
        "ttft_p50_ms": percentile(ttfts, 50) * 1e3,
        "ttft_p99_ms": percentile(ttfts, 99) * 1e3,
        "tokens_per_s": statistics.median(rates) if rates else float("nan"),
    }
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"summary": summary, "rows": rows}, f)
    print(json.dumps(summary))


async def run_hold(args):
    u = urlsplit(args.base_url)
    if args.conversations:
        ids = create_conversations(args.base_url, args.key, args.streams)
        reqs = [conversation_request_bytes(u.hostname, u.port, args.key, i) for i in ids]
    else:
        req = request_bytes(u.hostname, u.port, args.key, args.tokens, args.token_delay_ms, args.first_delay_ms)
        reqs = [req] * args.streams
    pids = args.pid or []
    state = {"open": 0, "peak": 0, "rss_at_peak": [0] * len(pids), "rss_max": [0] * len(pids)}
    rss_before = [rss_kib(pid) for pid in pids]
    all_open = asyncio.Event()

    def on_first():
        state["open"] += 1
        if state["open"] > state["peak"]:
            state["peak"] = state["open"]
            if state["peak"] == args.streams:
                all_open.set()

    def on_done():
        state["open"] -= 1

    async def sampler():
        while True:
            for i, pid in enumerate(pids):
                state["rss_max"][i] = max(state["rss_max"][i], rss_kib(pid))
            await asyncio.sleep(0.25)

    async def guarded(req):
        try:
            return await one_stream(u.hostname, u.port, req, on_first, on_done)
        except (StreamError, OSError) as e:
            return e

    async def at_peak():
        await all_open.wait()
        # Let the relays settle into their steady state before reading the RSS.
        await asyncio.sleep(args.settle)
        state["rss_at_peak"] = [rss_kib(pid) for pid in pids]
        state["open_at_sample"] = state["open"]

    t0 = time.perf_counter()
    sample_task = asyncio.create_task(sampler())
    peak_task = asyncio.create_task(at_peak())
    results = await asyncio.gather(*(guarded(r) for r in reqs))
    sample_task.cancel()
    peak_task.cancel()
    errors = [r for r in results if isinstance(r, Exception)]
    ok = [r for r in results if not isinstance(r, Exception)]
    summary = {
        "streams": args.streams,
        "completed": len(ok),
        "failed": len(errors),
        "peak_open": state["peak"],
        "all_held": state["peak"] == args.streams,
        "open_at_sample": state.get("open_at_sample", 0),
        "seconds": time.perf_counter() - t0,
        "ttft_p50_ms": percentile([r[0] for r in ok], 50) * 1e3 if ok else float("nan"),
        "ttft_p99_ms": percentile([r[0] for r in ok], 99) * 1e3 if ok else float("nan"),
    }
    if pids:
        summary.update(rss_before_kib=rss_before, rss_at_peak_kib=state["rss_at_peak"],
                       rss_max_kib=state["rss_max"])
    if errors:
        kinds = {}
        for e in errors:
            kinds[str(e)[:120]] = kinds.get(str(e)[:120], 0) + 1
        summary["errors"] = kinds
    print(json.dumps(summary))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["seq", "hold"])
    p.add_argument("base_url")
    p.add_argument("--key", default="")
    p.add_argument("--tokens", type=int, default=0, help="bench_tokens (0: the upstream's default)")
    p.add_argument("--token-delay-ms", type=int, default=None)
    p.add_argument("--first-delay-ms", type=int, default=None, help="bench_first_delay_ms (hold mode)")
    p.add_argument("--requests", type=int, default=100)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--out", default="")
    p.add_argument("--streams", type=int, default=1000)
    p.add_argument("--pid", type=int, action="append", help="sample this process's VmRSS (repeatable)")
    p.add_argument("--settle", type=float, default=1.0, help="seconds between all open and the RSS sample")
    p.add_argument("--conversations", action="store_true", help="hold mode: stream answers in conversations")
    args = p.parse_args()
    try:
        asyncio.run(run_seq(args) if args.mode == "seq" else run_hold(args))
    except StreamError as e:
        print(f"stream_client: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
