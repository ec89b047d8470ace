#!/usr/bin/env python3
"""Writes the bench:stream section of docs/PERFORMANCE.md from bench/stream/run.sh's results."""

import argparse
import json
import os
import statistics
import sys
import time

BEGIN = "<!-- bench:stream:begin -->"
END = "<!-- bench:stream:end -->"


def load(path):
    with open(path) as f:
        return json.loads(f.read().strip().splitlines()[-1])


def ms(x):
    return f"{x:.3f} ms" if x < 10 else f"{x:.1f} ms"


def num(x):
    return f"{x:,.0f}"


def main():
    p = argparse.ArgumentParser()
    for a in ("results", "nproc", "load-before", "load-after", "cpu-model", "commit", "command", "placement",
              "upstream-cmd", "docent-cmd", "doc"):
        p.add_argument("--" + a, default="")
    for a in ("repeats", "elapsed", "requests", "burst-requests", "paced-tokens", "paced-delay", "burst-tokens",
              "streams", "hold-tokens", "hold-delay", "prefill-streams", "prefill-delay"):
        p.add_argument("--" + a, type=int, default=0)
    p.add_argument("--strict", action="store_true")
    a = p.parse_args()

    runs = {}
    for scenario in ("paced", "burst"):
        for target in ("direct", "docent"):
            runs[scenario, target] = [load(os.path.join(a.results, f"{scenario}__{target}__{rep}.json"))
                                      for rep in range(1, a.repeats + 1)]
    hold = load(os.path.join(a.results, "hold.json"))
    prefill = {t: load(os.path.join(a.results, f"prefill__{t}.json")) for t in ("direct", "docent")}

    def med(scenario, target, key):
        return statistics.median(r[key] for r in runs[scenario, target])

    p50_d, p50_v = med("paced", "direct", "ttft_p50_ms"), med("paced", "docent", "ttft_p50_ms")
    p99_d, p99_v = med("paced", "direct", "ttft_p99_ms"), med("paced", "docent", "ttft_p99_ms")
    added = p50_v - p50_d
    # Paired per repeat (direct and docent ran back to back), then the median.
    added_runs = [v["ttft_p50_ms"] - d["ttft_p50_ms"] for d, v in zip(runs["paced", "direct"], runs["paced", "docent"])]
    tps = {s: (med(s, "direct", "tokens_per_s"), med(s, "docent", "tokens_per_s")) for s in ("paced", "burst")}
    ratio = {s: tps[s][1] / tps[s][0] for s in tps}

    n = hold["streams"]
    # The highest of the samples taken every 0.25 s while the streams ran (the sample 2 s after
    # the client saw all open is in the raw output: when docent falls behind, the client sees the
    # last first token late and that sample may come as the streams end).
    rss_before, rss_peak = hold["rss_before_kib"], hold["rss_max_kib"]
    sampled_at = "every 0.25 s while they ran (the highest sample is shown)"
    per_stream_docent = (rss_peak[0] - rss_before[0]) / n
    per_stream_up = (rss_peak[1] - rss_before[1]) / n
    held = hold["all_held"] and hold["failed"] == 0

    conv_path = os.path.join(a.results, "hold_conv.json")
    conv = load(conv_path) if os.path.exists(conv_path) else None

    targets = [
        ("added TTFT p50 < 2 ms", added < 2.0, f"{added:.2f} ms"),
        ("paced tokens/s via docent / direct ≥ 0.98", ratio["paced"] >= 0.98, f"{ratio['paced']:.3f}"),
        (f"{n} streams held at once (chat completions)", held,
         f"{hold['peak_open']} of {n} open together, {hold['failed']} failed"),
    ]
    if conv:
        targets.append((f"{conv['streams']} streams held at once (conversations)",
                        conv["all_held"] and conv["failed"] == 0,
                        f"{conv['peak_open']} of {conv['streams']} open together, {conv['failed']} failed"))

    load1 = float(a.load_before.split()[0]) if a.load_before else 0.0
    busy = load1 > 1.0
    L = []
    L.append("## Streaming chat: docent vs. the same upstream direct")
    L.append("")
    L.append("_Written by `bench/stream/run.sh`; everything between the `bench:stream` markers is replaced on each run._")
    L.append("")
    L.append(f"- **Date:** {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} (measuring took {a.elapsed} s)")
    busy_note = " (**busy**: other work on the machine depresses and blurs both columns)" if busy else ""
    L.append(f"- **Machine:** {a.nproc} cores (`nproc`), {a.cpu_model}; load average before the run "
             f"{a.load_before}, after {a.load_after}{busy_note}.")
    L.append(f"- **Command:** `{a.command}`")
    L.append(f"- **Commit:** {a.commit}")
    L.append(f"- **Upstream (the baseline):** `{a.upstream_cmd}`, OpenAI-format `chat.completion.chunk` events, "
             "one write per token (bench/stream/upstream_server.cpp).")
    L.append(f"- **docent:** `{a.docent_cmd}`, requests authenticated with the first-start admin key; "
             "model `bench-model` routed to the upstream.")
    L.append(f"- **Client:** `bench/stream/stream_client.py` (asyncio), one connection per request; {a.placement}. "
             f"Each repeat runs direct then docent (reversed every other repeat); {a.repeats} repeats, the table "
             "shows medians of the per-run figures.")
    L.append(f"  - paced: {a.requests} sequential requests a run (after 5 warm-up), {a.paced_tokens} tokens "
             f"{a.paced_delay} ms apart (due at absolute times, so ~1,000 tokens/s); TTFT from the request's first byte "
             "(connected) to the read holding the first `delta.content`; tokens/s = (tokens − 1) / (last − first token).")
    L.append(f"  - burst: {a.burst_requests} sequential requests a run, {a.burst_tokens} tokens as fast as the "
             "upstream writes them: the relay's capacity, far above any model's pace.")
    L.append(f"  - prefill: {a.prefill_streams} streams opened at once, the upstream waiting {a.prefill_delay} ms "
             "before each first token (a model's prompt processing), then 20 tokens 50 ms apart.")
    L.append(f"  - hold: {n} streams through docent at once, {a.hold_tokens} tokens {a.hold_delay} ms apart; "
             f"VmRSS read from /proc before the streams and {{SAMPLED}}; the same {n} streams direct to the upstream as the TTFT baseline.")
    L.append("")
    L.append("| Figure | Direct (baseline) | Via docent | docent / direct |")
    L.append("|---|---:|---:|---:|")
    L.append(f"| TTFT p50 (paced) | {ms(p50_d)} | {ms(p50_v)} | {p50_v / p50_d:.2f} (+{added:.2f} ms) |")
    L.append(f"| TTFT p99 (paced) | {ms(p99_d)} | {ms(p99_v)} | {p99_v / p99_d:.2f} (+{p99_v - p99_d:.2f} ms) |")
    L.append(f"| tokens/s (paced) | {num(tps['paced'][0])} | {num(tps['paced'][1])} | {ratio['paced']:.3f} |")
    L.append(f"| tokens/s (burst) | {num(tps['burst'][0])} | {num(tps['burst'][1])} | {ratio['burst']:.3f} |")
    L.append(f"| TTFT p50 (burst) | {ms(med('burst', 'direct', 'ttft_p50_ms'))} | "
             f"{ms(med('burst', 'docent', 'ttft_p50_ms'))} | "
             f"{med('burst', 'docent', 'ttft_p50_ms') / med('burst', 'direct', 'ttft_p50_ms'):.2f} |")
    pd, pv = prefill["direct"], prefill["docent"]
    L.append(f"| TTFT p50 (prefill, {a.prefill_streams} at once) | {ms(pd['ttft_p50_ms'])} | {ms(pv['ttft_p50_ms'])} | "
             f"{pv['ttft_p50_ms'] / pd['ttft_p50_ms']:.2f} |")
    L.append(f"| TTFT p99 (prefill, {a.prefill_streams} at once) | {ms(pd['ttft_p99_ms'])} | {ms(pv['ttft_p99_ms'])} | "
             f"{pv['ttft_p99_ms'] / pd['ttft_p99_ms']:.2f} |")
    L.append(f"| streams open together (prefill) | {pd['peak_open']} of {pd['streams']} | "
             f"{pv['peak_open']} of {pv['streams']} | {pv['peak_open'] / max(1, pd['peak_open']):.2f} |")
    L.append("")
    hd = load(os.path.join(a.results, "hold__direct.json"))
    L.append(f"{n} streams at once: **{hold['peak_open']} open together** via docent ({hold['completed']} completed, "
             f"{hold['failed']} failed); direct: {hd['peak_open']} ({hd['failed']} failed). With all {n} opened at "
             f"once, TTFT p50 {ms(hold['ttft_p50_ms'])} / p99 {ms(hold['ttft_p99_ms'])} via docent, "
             f"{ms(hd['ttft_p50_ms'])} / {ms(hd['ttft_p99_ms'])} direct ({hold['ttft_p50_ms'] / hd['ttft_p50_ms']:.2f}x at p50).")
    L.append("")
    L.append("| Process | VmRSS before | VmRSS with the streams open (highest) | per stream |")
    L.append("|---|---:|---:|---:|")
    L.append(f"| docent | {rss_before[0] / 1024:.1f} MiB | {rss_peak[0] / 1024:.1f} MiB | {per_stream_docent:.1f} KiB |")
    L.append(f"| upstream (yardstick: a coroutine per connection) | {rss_before[1] / 1024:.1f} MiB | "
             f"{rss_peak[1] / 1024:.1f} MiB | {per_stream_up:.1f} KiB |")
    L.append("")
    def cpu_line(name, what, streams):
        path = os.path.join(a.results, name)
        if not os.path.exists(path):
            return
        d_ticks, u_ticks, hz, wall = open(path).read().split()
        d_s, u_s, wall = int(d_ticks) / int(hz), int(u_ticks) / int(hz), float(wall)
        events = streams * a.hold_tokens
        L.append(f"CPU over the {what} ({wall:.1f} s wall, {events:,} token events): docent {d_s:.1f} s "
                 f"({d_s / events * 1e6:.0f} µs an event), upstream {u_s:.1f} s ({u_s / events * 1e6:.0f} µs an event; "
                 f"docent / upstream {d_s / max(u_s, 0.01):.1f}x).")
        L.append("")

    cpu_line("hold_cpu.txt", "hold", n)
    if conv:
        cb, cp = conv["rss_before_kib"], conv["rss_max_kib"]
        L.append(f"The same {conv['streams']} streams as questions in conversations (`POST /v1/conversations/{{id}}/messages`, "
                 "answered by ChatService, both turns stored; the path of the chatpdf, nexus, chatbot and sherpa faces): "
                 f"**{conv['peak_open']} open together** ({conv['completed']} completed, {conv['failed']} failed), "
                 f"TTFT p50 {ms(conv['ttft_p50_ms'])} / p99 {ms(conv['ttft_p99_ms'])} with all opened at once; docent's VmRSS "
                 f"{cb[0] / 1024:.1f} MiB before, {cp[0] / 1024:.1f} MiB at the highest "
                 f"({(cp[0] - cb[0]) / conv['streams']:.1f} KiB a stream).")
        L.append("")
        cpu_line("hold_conv_cpu.txt", "conversation hold", conv["streams"])
    L.append("| Target | Result |")
    L.append("|---|---|")
    for name, ok, value in targets:
        L.append(f"| {name} | {'met' if ok else '**missed**'} ({value}) |")
    L.append("")
    L.append("<details><summary>Every run</summary>")
    L.append("")
    for (scenario, target), rs in runs.items():
        L.append(f"- {scenario}, {target}: " + ", ".join(
            f"TTFT p50 {ms(r['ttft_p50_ms'])} / p99 {ms(r['ttft_p99_ms'])} / {num(r['tokens_per_s'])} tok/s" for r in rs))
    L.append(f"- added TTFT p50 per repeat: " + ", ".join(f"{x:.2f} ms" for x in added_runs))
    L.append(f"- prefill, direct: `{json.dumps(pd)}`")
    L.append(f"- prefill, docent: `{json.dumps(pv)}`")
    L.append(f"- hold, direct: `{json.dumps(hd)}`")
    L.append(f"- hold, docent: `{json.dumps(hold)}`")
    if conv:
        L.append(f"- hold, docent conversations: `{json.dumps(conv)}`")
    L.append("")
    L.append("</details>")
    section = "\n".join(L).replace("{SAMPLED}", sampled_at)
    print(section)

    if a.doc:
        with open(a.doc) as f:
            doc = f.read()
        block = BEGIN + "\n" + section + "\n" + END
        if BEGIN in doc and END in doc:
            doc = doc[: doc.index(BEGIN)] + block + doc[doc.index(END) + len(END):]
        else:
            doc = doc.rstrip("\n") + "\n\n" + block + "\n"
        with open(a.doc, "w") as f:
            f.write(doc)
        print(f"wrote the bench:stream section of {a.doc}", file=sys.stderr)
    if a.strict and not all(ok for _, ok, _ in targets):
        sys.exit(1)


if __name__ == "__main__":
    main()
