"""Minimal PDF files written byte by byte, for tests of hostile or unusual documents."""

from __future__ import annotations

import io


def pdf_from_objects(objects: list[bytes], info: int | None = None) -> bytes:
    """A PDF whose numbered objects are `objects` (1 is the catalog), with a valid xref;
    `info` is the number of the object holding the document information (title)."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b"/Size %d /Root 1 0 R" % (len(objects) + 1)
    if info is not None:
        trailer += b" /Info %d 0 R" % info
    out.write(b"trailer\n<< " + trailer + b" >>\n")
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()
