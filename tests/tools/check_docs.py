#!/usr/bin/env python3
"""ctest `docs_say_what_is_true`: README.md and docs/FACES.md match the binary.

docs/FACES.md lists every route `docent routes` prints, with its method, and no route the binary
does not serve; README.md names each seed face with its product on one line, links docs/FACES.md,
points at nothing outside the repository (a clone has no ../shared) and claims none of the features
docent does not have (PostgreSQL, audio, webhooks) outside its "Not there today" note.

Usage: check_docs.py DOCENT_BINARY SOURCE_DIR
"""
import pathlib
import re
import subprocess
import sys

FACES = {
    "chatpdf": "AI Chat PDF",
    "nexus": "Quantum AI Nexus",
    "sherpa": "Sherpa AI Server",
    "spherechat": "SphereChat",
    "chatbot": "AI chatbot platform",
}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def normal(path):
    # Parameter names differ between documents and code ({conversationId}, {model...}); only the
    # shape counts.
    return re.sub(r"\{[^}]*\}", "{}", path)


def main():
    binary, root = sys.argv[1], pathlib.Path(sys.argv[2])
    problems = []

    out = subprocess.run([binary, "routes"], check=True, capture_output=True, text=True).stdout
    served = set()
    for line in out.splitlines():
        fields = line.split("\t")
        if len(fields) >= 2 and fields[0] in METHODS:
            served.add((fields[0], normal(fields[1])))
    if not served:
        problems.append("`docent routes` printed no routes")

    faces = (root / "docs" / "FACES.md").read_text()
    listed = set()
    for span in re.findall(r"`([^`]+)`", faces):
        m = re.fullmatch(r"((?:%s)(?:\|(?:%s))*) (/\S*)" % ("|".join(METHODS), "|".join(METHODS)), span)
        if m:
            for method in m.group(1).split("|"):
                listed.add((method, normal(m.group(2))))
    for method, path in sorted(served - listed):
        problems.append(f"docs/FACES.md does not list {method} {path}")
    for method, path in sorted(listed - served):
        problems.append(f"docs/FACES.md lists {method} {path}, which the binary does not serve")

    for name, doc in (("README.md", root / "README.md"), ("docs/FACES.md", root / "docs" / "FACES.md")):
        text = doc.read_text()
        if "../shared" in text or "shared/seeds" in text:
            problems.append(f"{name} points at ../shared, which a clone does not have")
    readme = (root / "README.md").read_text()
    lines = readme.splitlines()
    for face, product in FACES.items():
        if not any(re.search(r"\b%s\b" % face, l) and f'"{product}"' in l for l in lines):
            problems.append(f'README.md has no line naming face {face} with its product "{product}"')
    if "docs/FACES.md" not in readme:
        problems.append("README.md does not link docs/FACES.md")
    # What docent does not have may be named only in the paragraph that says so.
    claims = " ".join(re.sub(r"\nNot there today:.*?\n\n", "\n\n", readme, flags=re.S).split()).lower()
    for word in ("PostgreSQL", "transcri", "speech", "speak audio", "webhook"):
        if word.lower() in claims:
            problems.append(f"README.md claims '{word}', which docent does not have")

    for p in problems:
        print("docs_say_what_is_true:", p, file=sys.stderr)
    if not problems:
        print(f"docs_say_what_is_true: ok ({len(served)} routes listed)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
