#!/usr/bin/env python3
"""Helpers for bench/http/run.sh (standard library only).

  harness.py check URL ECHO_LUA
      Pre-flight: GET URL/health must answer 200, and POST URL/v1/echo with
      the body from ECHO_LUA must answer 200 with the same JSON value. Exits 1
      with a reason otherwise, so a benchmark never measures 404s.

  harness.py check-auth URL KEY
      Pre-flight of the authenticated phase: GET URL/v1/models with the key
      must answer 200 with a list, and without it 401.

  harness.py summary FILE
      One line (rps, p50, p99, errors) for a wrk --latency output file.

  harness.py report --results DIR --doc FILE --scenario ID LABEL ... [meta]
      Parses DIR/<scenario>__<server>__<rep>.txt (server: baseline | docent),
      takes medians over the repeats, prints the table and writes the
      <!-- bench:http:begin/end --> section of FILE (other sections are kept).
      With --auth REF ID LABEL it also reports docent's ID runs against its own
      REF runs (DIR/<id>__docent__<rep>.txt): the authenticated hot path.
"""

import argparse
import datetime
import json
import os
import re
import statistics
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

BEGIN = "<!-- bench:http:begin -->"
END = "<!-- bench:http:end -->"
SERVERS = ("baseline", "docent")
NOISY_SPREAD = 0.2

DOC_HEADER = """\
# Performance

Measured numbers for docent, one section per benchmark. Each section is
written by its benchmark's script between `<!-- bench:NAME:begin -->` and
`<!-- bench:NAME:end -->` markers and records its own machine, date and exact
command; edit only outside the markers.

## How to run

| Benchmark | Command | What it compares |
|---|---|---|
| HTTP server | `bench/http/run.sh [BUILD_DIR]` (or `make bench`) | docent vs. a minimal Boost.Beast server (`bench/http/baseline_server.cpp`) under wrk |
"""

# --- wrk output -------------------------------------------------------------

_UNIT_TO_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_DURATION = r"([0-9.]+)(us|ms|s|m|h)"


def to_ms(value, unit):
    return float(value) * _UNIT_TO_MS[unit]


def parse_wrk(text):
    """Requests/s, p50/p99 in ms, and error counts from `wrk --latency` output."""

    def find(pattern):
        m = re.search(pattern, text, re.MULTILINE)
        if not m:
            raise ValueError(f"wrk output has no match for {pattern!r}")
        return m

    result = {
        "rps": float(find(r"^Requests/sec:\s+([0-9.]+)").group(1)),
        "p50_ms": to_ms(*find(r"^\s+50%\s+" + _DURATION).groups()),
        "p99_ms": to_ms(*find(r"^\s+99%\s+" + _DURATION).groups()),
        "requests": int(find(r"^\s+(\d+) requests in").group(1)),
        "non_2xx": 0,
        "socket_errors": 0,
    }
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if m:
        result["non_2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        result["socket_errors"] = sum(int(g) for g in m.groups())
    return result


# --- check ------------------------------------------------------------------


def echo_body(lua_path):
    m = re.search(r"^wrk\.body\s*=\s*'(.*)'\s*$", Path(lua_path).read_text(), re.MULTILINE)
    if not m:
        raise SystemExit(f"{lua_path}: no single-quoted wrk.body line")
    return m.group(1)


def cmd_check(args):
    base = args.url.rstrip("/")

    def call(path, data=None):
        req = urllib.request.Request(base + path, data=data, method="POST" if data else "GET")
        if data:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=5) as res:
                return res.status, res.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    status, _ = call("/health")
    if status != 200:
        sys.exit(f"{base}/health answered {status}, want 200")
    body = echo_body(args.echo_lua)
    status, answer = call("/v1/echo", body.encode())
    if status != 200:
        sys.exit(f"{base}/v1/echo answered {status}, want 200")
    try:
        same = json.loads(answer) == json.loads(body)
    except ValueError:
        same = False
    if not same:
        sys.exit(f"{base}/v1/echo did not echo the request body: {answer[:200]!r}")


def cmd_check_auth(args):
    url = args.url.rstrip("/") + "/v1/models"

    def call(headers):
        req = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=5) as res:
                return res.status, res.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    status, body = call({"Authorization": f"Bearer {args.key}"})
    if status != 200:
        sys.exit(f"{url} with the key answered {status}, want 200: {body[:200]!r}")
    try:
        listed = json.loads(body).get("object") == "list"
    except (ValueError, AttributeError):
        listed = False
    if not listed:
        sys.exit(f"{url} did not answer a list: {body[:200]!r}")
    status, _ = call({})
    if status != 401:
        sys.exit(f"{url} without a key answered {status}, want 401 (is authentication on?)")


# --- summary ----------------------------------------------------------------


def cmd_summary(args):
    r = parse_wrk(Path(args.file).read_text())
    errors = r["non_2xx"] + r["socket_errors"]
    print(f"{r['rps']:>10,.0f} rps  p50 {fmt_ms(r['p50_ms'])}  p99 {fmt_ms(r['p99_ms'])}"
          + (f"  ERRORS {errors}" if errors else ""))


# --- report -----------------------------------------------------------------


def fmt_ms(ms):
    if ms < 1:
        return f"{ms:.3f} ms"
    if ms < 100:
        return f"{ms:.2f} ms"
    return f"{ms:.0f} ms"


def fmt_rps(rps):
    return f"{rps:,.0f}"


def load_runs(results, scenario_ids, repeats):
    runs = {}
    for sid in scenario_ids:
        for server in SERVERS:
            cell = []
            for rep in range(1, repeats + 1):
                path = Path(results) / f"{sid}__{server}__{rep}.txt"
                try:
                    cell.append(parse_wrk(path.read_text()))
                except (OSError, ValueError) as e:
                    raise SystemExit(f"{path}: {e}")
            runs[sid, server] = cell
    return runs


def median_of(cell, key):
    return statistics.median(run[key] for run in cell)


def summarise(runs, scenarios, rps_target, p99_target):
    rows = []
    for sid, label in scenarios:
        row = {"id": sid, "label": label}
        for server in SERVERS:
            cell = runs[sid, server]
            row[server] = {k: median_of(cell, k) for k in ("rps", "p50_ms", "p99_ms")}
            row[server]["errors"] = sum(r["non_2xx"] + r["socket_errors"] for r in cell)
        row["rps_ratio"] = row["docent"]["rps"] / row["baseline"]["rps"]
        row["p99_ratio"] = row["docent"]["p99_ms"] / row["baseline"]["p99_ms"]
        row["rps_met"] = row["rps_ratio"] >= rps_target
        row["p99_met"] = row["p99_ratio"] <= p99_target
        rows.append(row)
    return rows


def load_auth(args):
    """The authenticated phase: docent's runs of the reference and of the authenticated scenario."""
    if not args.auth:
        return None
    ref, sid, label = args.auth
    cells = {}
    for name in (ref, sid):
        cell = []
        for rep in range(1, args.repeats + 1):
            path = Path(args.results) / f"{name}__docent__{rep}.txt"
            try:
                cell.append(parse_wrk(path.read_text()))
            except (OSError, ValueError) as e:
                raise SystemExit(f"{path}: {e}")
        cells[name] = cell
    r = {"label": label, "runs": cells, "ref": ref, "id": sid}
    for name in (ref, sid):
        r[name] = {k: median_of(cells[name], k) for k in ("rps", "p50_ms", "p99_ms")}
        r[name]["errors"] = sum(x["non_2xx"] + x["socket_errors"] for x in cells[name])
    r["rps_ratio"] = r[sid]["rps"] / r[ref]["rps"]
    r["rps_met"] = r["rps_ratio"] >= args.auth_rps_target
    r["p99_met"] = r[sid]["p99_ms"] <= args.auth_p99_ms
    return r


def render_auth(args, a):
    ref, sid = a["ref"], a["id"]
    lines = [
        "",
        "### The authenticated hot path",
        "",
        f"docent alone, `{args.auth_wrk}` per run after a warm-up, {args.repeats} runs each,"
        " alternating: an authenticated request against the same server's `GET /health` in the same run"
        " (authentication, rate-limit check and routing are what the difference costs).",
        "",
        "| Scenario | docent rps | p50 | p99 | rps / GET /health |",
        "|---|---:|---:|---:|---:|",
        f"| GET /health | {fmt_rps(a[ref]['rps'])} | {fmt_ms(a[ref]['p50_ms'])} | {fmt_ms(a[ref]['p99_ms'])} | 1.00 |",
        f"| {a['label']} | {fmt_rps(a[sid]['rps'])} | {fmt_ms(a[sid]['p50_ms'])} | {fmt_ms(a[sid]['p99_ms'])}"
        f" | {a['rps_ratio']:.2f} |",
        "",
        f"Targets: rps ratio ≥ {args.auth_rps_target:.1f}:"
        f" {'met' if a['rps_met'] else '**not met**'} ({a['rps_ratio']:.2f});"
        f" p99 ≤ {args.auth_p99_ms:g} ms: {'met' if a['p99_met'] else '**not met**'}"
        f" ({fmt_ms(a[sid]['p99_ms'])}).",
    ]
    if a[ref]["errors"] or a[sid]["errors"]:
        lines += ["", f"> **Warning:** wrk saw errors: GET /health {a[ref]['errors']},"
                  f" {a['label']} {a[sid]['errors']}."]
    for name, label in ((ref, "GET /health"), (sid, a["label"])):
        cell = ", ".join(f"{fmt_rps(x['rps'])} / {fmt_ms(x['p50_ms'])} / {fmt_ms(x['p99_ms'])}"
                         for x in a["runs"][name])
        lines.append(f"- {label} (rps / p50 / p99 of each run): {cell}")
    return lines


def max_rps_spread(runs):
    """Largest (max - min) / median of rps over the cells."""
    return max((max(r["rps"] for r in cell) - min(r["rps"] for r in cell))
               / statistics.median(r["rps"] for r in cell) for cell in runs.values())


def busy_note(load):
    try:
        busy = float(load.split()[0]) > 1.0
    except (ValueError, IndexError):
        return ""
    return " (**busy**: other work depresses and blurs both columns)" if busy else ""


def render_section(args, rows, runs, auth=None):
    meta = args
    docent_name = "docent" if not meta.target_overridden else "docent slot"
    lines = [
        BEGIN,
        "## HTTP server: docent vs. a minimal Beast server",
        "",
        "_Written by `bench/http/run.sh`; everything between the `bench:http` markers is"
        " replaced on each run._",
        "",
        f"- **Date:** {meta.date}",
        f"- **Machine:** {meta.nproc} cores (`nproc`), {meta.cpu_model};"
        f" load average before the run {meta.load_before}{busy_note(meta.load_before)}.",
        f"- **Command:** `{meta.command}`",
        f"- **Commit:** {meta.commit}",
        f"- **Load:** `{meta.wrk}` per measurement, after a {meta.warmup} s warm-up per server"
        f" and scenario (discarded); {meta.repeats} runs per cell, alternating servers;"
        " the table shows medians (rps, p50 and p99 each the median of its runs).",
        f"- **Servers:** {meta.server_threads} thread(s) each; {meta.placement}.",
        f"  - baseline: `{meta.baseline_cmd}`",
        f"  - {docent_name}: `{meta.target_cmd}`",
    ]
    if meta.target_overridden:
        lines += [
            "",
            "> **Note:** the docent slot was overridden with `BENCH_TARGET_CMD`; these"
            " figures do not measure docent.",
        ]
    lines += [
        "",
        "| Scenario | Baseline rps | docent rps | rps ratio | Baseline p50 | docent p50"
        " | Baseline p99 | docent p99 | p99 ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        b, d = r["baseline"], r["docent"]
        lines.append(
            f"| {r['label']} | {fmt_rps(b['rps'])} | {fmt_rps(d['rps'])} | {r['rps_ratio']:.2f}"
            f" | {fmt_ms(b['p50_ms'])} | {fmt_ms(d['p50_ms'])}"
            f" | {fmt_ms(b['p99_ms'])} | {fmt_ms(d['p99_ms'])} | {r['p99_ratio']:.2f} |")

    def verdict(met, ratio):
        return f"{'met' if met else '**not met**'} ({ratio:.2f})"

    lines += [
        "",
        f"Targets: docent/baseline rps ratio ≥ {meta.rps_target:.1f} and"
        f" p99 ratio ≤ {meta.p99_target:.1f}.",
        "",
        f"| Scenario | rps ratio ≥ {meta.rps_target:.1f} | p99 ratio ≤ {meta.p99_target:.1f} |",
        "|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['label']} | {verdict(r['rps_met'], r['rps_ratio'])}"
                     f" | {verdict(r['p99_met'], r['p99_ratio'])} |")

    errors = [(r["label"], s, r[s]["errors"]) for r in rows for s in SERVERS if r[s]["errors"]]
    if errors:
        lines += ["", "> **Warning:** wrk saw errors (non-2xx responses or socket errors):"
                  + "; ".join(f" {label} {server}: {n}" for label, server, n in errors)
                  + ". Those rows are not a fair comparison."]

    spread = max_rps_spread(runs)
    if spread > NOISY_SPREAD:
        lines += ["", f"> **Noisy:** the rps of one server's runs in one scenario varied by up to"
                  f" {spread:.0%} of their median; ratios within that margin of a target are not"
                  " conclusive. Rerun on a quieter machine or with more `REPEATS`."]

    if auth:
        lines += render_auth(args, auth)

    lines += ["", "<details><summary>Every run (rps / p50 / p99)</summary>", ""]
    for r in rows:
        for server in SERVERS:
            cell = ", ".join(f"{fmt_rps(x['rps'])} / {fmt_ms(x['p50_ms'])} / {fmt_ms(x['p99_ms'])}"
                             for x in runs[r["id"], server])
            lines.append(f"- {r['label']}, {server}: {cell}")
    lines += ["", "</details>", END]
    return "\n".join(lines) + "\n"


def write_section(doc, section):
    doc = Path(doc)
    text = doc.read_text() if doc.exists() else DOC_HEADER
    begin, end = text.find(BEGIN), text.find(END)
    if begin >= 0 and end > begin:
        rest = text[end + len(END):].lstrip("\n")
        text = text[:begin] + section + ("\n" + rest if rest else "")
    elif begin < 0 and end < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        raise SystemExit(f"{doc}: unbalanced {BEGIN} / {END} markers; fix by hand")
    doc.parent.mkdir(parents=True, exist_ok=True)
    # Write-then-rename so a concurrent reader never sees half a file.
    fd, tmp = tempfile.mkstemp(dir=doc.parent, prefix=f".{doc.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, doc)


def print_table(rows):
    print(f"{'scenario':<15} {'base rps':>10} {'docent rps':>10} {'ratio':>6}"
          f" {'base p50':>10} {'doc p50':>10} {'base p99':>10} {'doc p99':>10} {'ratio':>6}")
    for r in rows:
        b, d = r["baseline"], r["docent"]
        print(f"{r['label']:<15} {fmt_rps(b['rps']):>10} {fmt_rps(d['rps']):>10}"
              f" {r['rps_ratio']:>6.2f} {fmt_ms(b['p50_ms']):>10} {fmt_ms(d['p50_ms']):>10}"
              f" {fmt_ms(b['p99_ms']):>10} {fmt_ms(d['p99_ms']):>10} {r['p99_ratio']:>6.2f}")
    for r in rows:
        print(f"{r['label']}: rps ratio {'met' if r['rps_met'] else 'NOT MET'},"
              f" p99 ratio {'met' if r['p99_met'] else 'NOT MET'}")


def cmd_report(args):
    scenarios = [tuple(s) for s in args.scenario]
    runs = load_runs(args.results, [sid for sid, _ in scenarios], args.repeats)
    rows = summarise(runs, scenarios, args.rps_target, args.p99_target)
    print_table(rows)
    auth = load_auth(args)
    if auth:
        print(f"{auth['label']}: {fmt_rps(auth[auth['id']]['rps'])} rps, {auth['rps_ratio']:.2f} of GET /health"
              f" ({'met' if auth['rps_met'] else 'NOT MET'}), p99 {fmt_ms(auth[auth['id']]['p99_ms'])}"
              f" ({'met' if auth['p99_met'] else 'NOT MET'})")
    if args.doc:
        write_section(args.doc, render_section(args, rows, runs, auth))
        print(f"wrote the bench:http section of {args.doc}")
    all_met = all(r["rps_met"] and r["p99_met"] for r in rows)
    any_errors = any(r[s]["errors"] for r in rows for s in SERVERS)
    if auth:
        all_met = all_met and auth["rps_met"] and auth["p99_met"]
        any_errors = any_errors or bool(auth[auth["ref"]]["errors"] or auth[auth["id"]]["errors"])
    spread = max_rps_spread(runs)
    if spread > NOISY_SPREAD:
        print(f"warning: noisy measurement, rps varied by up to {spread:.0%} within a cell",
              file=sys.stderr)
    if any_errors:
        print("warning: wrk saw non-2xx responses or socket errors", file=sys.stderr)
    sys.exit(0 if (all_met or not args.strict) and not any_errors else 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command_name", required=True)

    check = sub.add_parser("check")
    check.add_argument("url")
    check.add_argument("echo_lua")
    check.set_defaults(func=cmd_check)

    check_auth = sub.add_parser("check-auth")
    check_auth.add_argument("url")
    check_auth.add_argument("key")
    check_auth.set_defaults(func=cmd_check_auth)

    summary = sub.add_parser("summary")
    summary.add_argument("file")
    summary.set_defaults(func=cmd_summary)

    report = sub.add_parser("report")
    report.add_argument("--results", required=True)
    report.add_argument("--doc")
    report.add_argument("--scenario", nargs=2, action="append", required=True,
                        metavar=("ID", "LABEL"))
    report.add_argument("--repeats", type=int, required=True)
    report.add_argument("--rps-target", type=float, default=0.8)
    report.add_argument("--p99-target", type=float, default=2.0)
    report.add_argument("--auth", nargs=3, metavar=("REF", "ID", "LABEL"),
                        help="docent-only runs of ID reported against its REF runs")
    report.add_argument("--auth-wrk", default="wrk")
    report.add_argument("--auth-rps-target", type=float, default=0.6)
    report.add_argument("--auth-p99-ms", type=float, default=2.0)
    report.add_argument("--strict", action="store_true",
                        help="exit 1 when a target is not met")
    # Metadata recorded in the section.
    report.add_argument("--date", default=datetime.datetime.now(datetime.timezone.utc)
                        .strftime("%Y-%m-%d %H:%M UTC"))
    report.add_argument("--nproc", default=str(os.cpu_count()))
    report.add_argument("--cpu-model", default="unknown CPU")
    report.add_argument("--load-before", default="unknown")
    report.add_argument("--command", default="bench/http/run.sh")
    report.add_argument("--commit", default="unknown")
    report.add_argument("--wrk", default="wrk")
    report.add_argument("--warmup", default="?")
    report.add_argument("--server-threads", default="?")
    report.add_argument("--placement", default="no CPU pinning")
    report.add_argument("--baseline-cmd", default="bench_http_baseline")
    report.add_argument("--target-cmd", default="docent serve")
    report.add_argument("--target-overridden", action="store_true")
    report.set_defaults(func=cmd_report)

    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
