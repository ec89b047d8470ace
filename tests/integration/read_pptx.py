#!/usr/bin/env python3
"""Reads a .pptx back the way a presentation program must, and prints what it holds as JSON.

usage: read_pptx.py FILE.pptx

Checks the package first (exit 1 with the reason on stderr when it fails): every part is
well-formed XML, every part has a content type, every internal relationship points at a part
that exists, and the slides listed in ppt/presentation.xml are the slide parts. Then prints
{"title": ..., "slides": [{"title", "lines", "notes"}]} in presentation order, where "lines" is
the text of the slide's other placeholders, one entry per paragraph.
"""
import json
import posixpath
import sys
import zipfile
import xml.etree.ElementTree as ET

NS = {
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "p": "http://schemas.openxmlformats.org/presentationml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def rels_path(part):
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def relationships(z, part):
    path = rels_path(part) if part else "_rels/.rels"
    if path not in z.namelist():
        return {}
    out = {}
    for r in ET.fromstring(z.read(path)).findall("rel:Relationship", NS):
        if r.get("TargetMode") == "External":
            continue
        base = posixpath.dirname(part) if part else ""
        target = posixpath.normpath(posixpath.join(base, r.get("Target")))
        out[r.get("Id")] = (r.get("Type").rsplit("/", 1)[-1], target)
    return out


def paragraphs(shape):
    lines = []
    for p in shape.iter("{%s}p" % NS["a"]):
        text = "".join(t.text or "" for t in p.iter("{%s}t" % NS["a"]))
        if text:
            lines.append(text)
    return lines


def placeholder_type(shape):
    ph = shape.find("p:nvSpPr/p:nvPr/p:ph", NS)
    return None if ph is None else (ph.get("type") or "obj")


def main():
    z = zipfile.ZipFile(sys.argv[1])
    names = set(z.namelist())
    if "[Content_Types].xml" not in names:
        fail("no [Content_Types].xml")
    types = ET.fromstring(z.read("[Content_Types].xml"))
    defaults = {d.get("Extension") for d in types.findall("ct:Default", NS)}
    overrides = {o.get("PartName").lstrip("/") for o in types.findall("ct:Override", NS)}
    for name in names:
        if name.endswith("/"):
            continue
        try:
            ET.fromstring(z.read(name))
        except ET.ParseError as e:
            fail("%s is not well-formed XML: %s" % (name, e))
        if name != "[Content_Types].xml" and name not in overrides and name.rsplit(".", 1)[-1] not in defaults:
            fail("%s has no content type" % name)
    for name in overrides:
        if name not in names:
            fail("content type for a missing part %s" % name)
    for name in list(names) + [""]:
        if name.endswith(".rels"):
            continue
        for rid, (kind, target) in relationships(z, name).items():
            if target not in names:
                fail("%s %s (%s) points at missing %s" % (name or "package", rid, kind, target))

    main_part = next(t for k, t in relationships(z, "").values() if k == "officeDocument")
    pres = ET.fromstring(z.read(main_part))
    pres_rels = relationships(z, main_part)
    slide_parts = [pres_rels[s.get("{%s}id" % NS["r"])][1] for s in pres.findall("p:sldIdLst/p:sldId", NS)]
    if set(slide_parts) != {n for n in names if n.startswith("ppt/slides/slide") and n.endswith(".xml")}:
        fail("the slide list does not match the slide parts")

    slides = []
    for part in slide_parts:
        tree = ET.fromstring(z.read(part))
        title, lines = "", []
        for shape in tree.iter("{%s}sp" % NS["p"]):
            kind = placeholder_type(shape)
            if kind in ("title", "ctrTitle"):
                title = " ".join(paragraphs(shape))
            else:
                lines += paragraphs(shape)
        notes = []
        for kind, target in relationships(z, part).values():
            if kind == "notesSlide":
                for shape in ET.fromstring(z.read(target)).iter("{%s}sp" % NS["p"]):
                    if placeholder_type(shape) == "body":
                        notes += paragraphs(shape)
        slides.append({"title": title, "lines": lines, "notes": "\n".join(notes)})
    core = ET.fromstring(z.read("docProps/core.xml")) if "docProps/core.xml" in names else None
    title = core.findtext("dc:title", default="", namespaces=NS) if core is not None else ""
    json.dump({"title": title, "slides": slides}, sys.stdout)


if __name__ == "__main__":
    main()
