# Writes a three-page PDF whose third page plants the facts the seed examples ask about. Plain
# PDF syntax (Helvetica, uncompressed), so nothing but the standard library is needed.
import sys

pages = [
    ["Field notes on computing, volume one.", "This page lists the contents."],
    ["The second page is about the history of the abacus."],
    ["Machine learning is a way of building programs that improve from examples instead of rules.",
     "Artificial intelligence (AI) is the study of programs that act sensibly in the world."],
]
objects = ["<< /Type /Catalog /Pages 2 0 R >>", None, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
kids = []
for lines in pages:
    body = "BT /F1 12 Tf 72 720 Td 16 TL " + " ".join("(%s) '" % l for l in lines) + " ET"
    objects.append("<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body))
    content = len(objects)
    objects.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                   "/Resources << /Font << /F1 3 0 R >> >> >>" % content)
    kids.append("%d 0 R" % len(objects))
objects[1] = "<< /Type /Pages /Kids [%s] /Count %d >>" % (" ".join(kids), len(kids))
out = "%PDF-1.4\n"
offsets = []
for i, o in enumerate(objects):
    offsets.append(len(out))
    out += "%d 0 obj\n%s\nendobj\n" % (i + 1, o)
xref = len(out)
out += "xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
out += "".join("%010d 00000 n \n" % off for off in offsets)
out += "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
open(sys.argv[1], "wb").write(out.encode("latin-1"))
