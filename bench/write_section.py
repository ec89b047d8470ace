#!/usr/bin/env python3
"""Replaces (or appends) one benchmark's section of docs/PERFORMANCE.md.

Usage: write_section.py DOC NAME < SECTION

SECTION is the full text between and including <!-- bench:NAME:begin --> and
<!-- bench:NAME:end -->. An existing section is replaced in place; a missing one is appended.
"""
import os
import sys

doc, name = sys.argv[1], sys.argv[2]
section = sys.stdin.read().rstrip("\n") + "\n"
begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
text = open(doc).read() if os.path.exists(doc) else "# Performance\n"
b, e = text.find(begin), text.find(end)
if b >= 0 and e > b:
    rest = text[e + len(end):].lstrip("\n")
    text = text[:b] + section + ("\n" + rest if rest else "")
elif b < 0 and e < 0:
    text = text.rstrip("\n") + "\n\n" + section
else:
    sys.exit(f"{doc}: unbalanced {begin} / {end} markers; fix by hand")
tmp = doc + ".tmp"
with open(tmp, "w") as f:
    f.write(text)
os.replace(tmp, doc)
print(f"wrote the bench:{name} section of {doc}", file=sys.stderr)
