"""The printed parts of a PDF report (pdf_parts.py) joined into one file, written as it is
read: one part open at a time, read with pikepdf (qpdf: https://pikepdf.readthedocs.io),
its pages and what they use written out renumbered (PDF 32000-1:2008 §7.3.10 indirect
objects, §7.5 file structure: objects, then the cross-reference table and the trailer).

qpdf's own join (`Pdf.pages.extend`, then `save`) keeps every part's objects in memory until
the file is written: 665 MiB for a 450-school city's 5,300 pages. Here memory holds one part
and, for the whole file, an offset per object, the page numbers and the destinations.

Pages keep their content and links. Named destinations (`/Dests`, where Chromium's links
point, §12.3.2.3) are taken from the part that holds each anchor, so the summary's links
open each school's page and "back to top" the first page. The page numbers run on across
the parts: each part's numbers are printed alone, counting on from the parts before it
(print_page.page_numbers_page), and page N of them is drawn over the part's page N as a form
XObject (§8.10), inside a saved graphics state. Chromium's
structure tree (tagged PDF) is per part and is not carried over: the joined file is untagged.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import pikepdf

CATALOG, PAGES, DESTS, INFO, OPEN, CLOSE = 1, 2, 3, 4, 5, 6
NUMBER = b"/ProvisionPageNumber"  # the page number's form XObject in each page's resources


def page_count(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


@contextmanager
def _maybe_open(path: Path | None) -> Iterator[pikepdf.Pdf | None]:
    if path is None:
        yield None
        return
    with pikepdf.open(path) as pdf:
        yield pdf


class _Writer:
    """Objects written one after the other, their offsets kept for the xref table."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.offsets: dict[int, int] = {}
        self.next = CLOSE + 1
        fh.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    def number(self) -> int:
        self.next += 1
        return self.next - 1

    def write(self, num: int, body: bytes, stream: bytes | None = None) -> None:
        self.offsets[num] = self.fh.tell()
        self.fh.write(b"%d 0 obj\n" % num + body)
        if stream is not None:
            self.fh.write(b"\nstream\n" + stream + b"\nendstream")
        self.fh.write(b"\nendobj\n")

    def finish(self) -> None:
        start = self.fh.tell()
        size = max(self.offsets) + 1
        self.fh.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        for num in range(1, size):
            self.fh.write(b"%010d 00000 n \n" % self.offsets[num])
        self.fh.write(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (size, CATALOG, INFO, start)
        )


class _Copier:
    """One source PDF's objects, written under new numbers as they are referred to."""

    def __init__(self, writer: _Writer) -> None:
        self.writer = writer
        self.numbers: dict[tuple[int, int], int] = {}
        self.queue: deque[pikepdf.Object] = deque()

    def ref(self, obj: pikepdf.Object) -> bytes:
        num = self.numbers.get(obj.objgen)
        if num is None:
            num = self.numbers[obj.objgen] = self.writer.number()
            self.queue.append(obj)
        return b"%d 0 R" % num

    def value(self, obj: Any) -> bytes:
        if isinstance(obj, pikepdf.Object) and obj.is_indirect:
            return self.ref(obj)
        if isinstance(obj, bool):
            return b"true" if obj else b"false"
        if isinstance(obj, int):
            return b"%d" % obj
        if isinstance(obj, Decimal):
            return _real(obj)
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            return self.dictionary(obj.items())
        if isinstance(obj, pikepdf.Array):
            return b"[" + b" ".join(self.value(x) for x in obj) + b"]"
        if obj is None:
            return b"null"
        return bytes(obj.unparse())

    def dictionary(self, items: Any, skip: tuple[str, ...] = ()) -> bytes:
        out = [
            pikepdf.Name(key).unparse() + b" " + self.value(val)
            for key, val in items
            if key not in skip
        ]
        return b"<<" + b" ".join(out) + b">>"

    def drain(self) -> None:
        """Write every object referred to so far, and those they refer to."""
        while self.queue:
            obj = self.queue.popleft()
            num = self.numbers[obj.objgen]
            if isinstance(obj, pikepdf.Stream):
                raw = obj.read_raw_bytes()
                body = self.dictionary(obj.stream_dict.items(), skip=("/Length",))
                self.writer.write(num, body[:-2] + b" /Length %d>>" % len(raw), raw)
            else:
                self.writer.write(num, self.value_of_indirect(obj))

    def value_of_indirect(self, obj: pikepdf.Object) -> bytes:
        if isinstance(obj, pikepdf.Dictionary):
            return self.dictionary(obj.items())
        if isinstance(obj, pikepdf.Array):
            return b"[" + b" ".join(self.value(x) for x in obj) + b"]"
        return bytes(obj.unparse())


def _real(value: Decimal) -> bytes:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.encode() or b"0"


def join_parts(parts: Sequence[tuple[Path, frozenset[str], Path | None]], out: Path) -> None:
    """Write the PDFs `parts` (each with the anchors it holds and the PDF of its page numbers,
    if any) as one PDF, `out`, each page overlaid with the same page of its numbers."""
    with open(out, "wb") as fh:
        writer = _Writer(fh)
        for num, data in ((OPEN, b"q"), (CLOSE, b"Q q " + NUMBER + b" Do Q")):
            writer.write(num, b"<< /Length %d >>" % len(data), data)
        pages: list[int] = []
        dests: list[bytes] = []
        info = b"<< >>"
        lang = b""
        for n, (path, anchors, numbers) in enumerate(parts):
            with pikepdf.open(path) as source, _maybe_open(numbers) as stamps:
                if n == 0:
                    info = _Copier(writer).dictionary(source.docinfo.items())
                    if "/Lang" in source.Root:
                        lang = b" /Lang " + bytes(source.Root.Lang.unparse())
                if stamps is not None and len(stamps.pages) != len(source.pages):
                    raise ValueError(
                        f"{numbers}: {len(stamps.pages)} page numbers for {len(source.pages)} pages"
                    )
                _copy_part(source, anchors, writer, stamps, pages, dests)
        kids = b" ".join(b"%d 0 R" % num for num in pages)
        writer.write(PAGES, b"<< /Type /Pages /Count %d /Kids [%s] >>" % (len(pages), kids))
        writer.write(DESTS, b"<<" + b" ".join(dests) + b">>")
        writer.write(INFO, info)
        writer.write(
            CATALOG, b"<< /Type /Catalog /Pages %d 0 R /Dests %d 0 R%s >>" % (PAGES, DESTS, lang)
        )
        writer.finish()


def _copy_part(
    source: pikepdf.Pdf,
    anchors: frozenset[str],
    writer: _Writer,
    stamps: pikepdf.Pdf | None,
    pages: list[int],
    dests: list[bytes],
) -> None:
    """The part's pages and everything they use, then its destinations of `anchors`."""
    copier, stamper = _Copier(writer), _Copier(writer)
    first = len(pages)
    for n, page in enumerate(source.pages):
        stamp = _stamp(stamps.pages[n], writer, stamper) if stamps else None
        num = writer.number()
        writer.write(num, _page(page, copier, stamp))
        pages.append(num)
        copier.drain()
    index = {page.obj.objgen: n for n, page in enumerate(source.pages)}
    for name, dest in source.Root.get("/Dests", {}).items():
        if name[1:] in anchors:  # else a stand-in for an anchor another part holds
            target = pages[first + index[dest[0].objgen]]
            view = b" ".join(copier.value(x) for x in list(dest)[1:])
            dests.append(pikepdf.Name(name).unparse() + b" [%d 0 R %s]" % (target, view))


def _page(page: pikepdf.Page, copier: _Copier, stamp: int | None) -> bytes:
    """The page's dictionary: its own parent, no key into its part's structure tree, and
    its number drawn over it."""
    obj = page.obj
    skip = ("/Parent", "/StructParents", "/Contents", "/Resources", "/MediaBox", "/Annots")
    body = copier.dictionary(obj.items(), skip=skip)[2:-2]
    box = copier.value(page.mediabox)
    contents = obj.get("/Contents")
    inner = b""
    if contents is not None:
        inner = copier.value(contents)
        if isinstance(contents, pikepdf.Array) and not contents.is_indirect:
            inner = inner[1:-1]
    resources = _resources(page, copier, stamp)
    if stamp is not None:
        inner = b"%d 0 R %s %d 0 R" % (OPEN, inner, CLOSE)
    annots = b""
    if "/Annots" in obj:
        annots = b" /Annots " + _annots(obj.Annots, copier)
    return b"<<%s /Parent %d 0 R /MediaBox %s /Resources %s /Contents [%s]%s>>" % (
        body,
        PAGES,
        box,
        resources,
        inner,
        annots,
    )


def _resources(page: pikepdf.Page, copier: _Copier, stamp: int | None) -> bytes:
    resources = page.obj.get("/Resources", pikepdf.Dictionary())
    if stamp is None:
        return copier.value(resources)
    xobjects = resources.get("/XObject", pikepdf.Dictionary())
    merged = copier.dictionary(xobjects.items())[:-2] + b" " + NUMBER + b" %d 0 R>>" % stamp
    rest = copier.dictionary(resources.items(), skip=("/XObject",))[:-2]
    return rest + b" /XObject " + merged + b">>"


def _annots(annots: pikepdf.Object, copier: _Copier) -> bytes:
    """The page's annotations, without their keys into the structure tree."""
    # /P is the page the annotation is on: a way back into the part's page tree.
    skip = ("/StructParent", "/P")
    out = []
    for annot in annots:
        if annot.is_indirect and annot.objgen not in copier.numbers:
            num = copier.numbers[annot.objgen] = copier.writer.number()
            copier.writer.write(num, copier.dictionary(annot.items(), skip=skip))
            out.append(b"%d 0 R" % num)
        elif annot.is_indirect:
            out.append(copier.ref(annot))
        else:
            out.append(copier.dictionary(annot.items(), skip=skip))
    return b"[" + b" ".join(out) + b"]"


def _stamp(page: pikepdf.Page, writer: _Writer, stamper: _Copier) -> int:
    """Page `page` of the numbers' PDF as a form XObject; its fonts are written once."""
    content = b"\n".join(
        bytes(part.read_bytes())
        for part in (
            page.obj.Contents
            if isinstance(page.obj.Contents, pikepdf.Array)
            else [page.obj.Contents]
        )
    )
    box = stamper.value(page.mediabox)
    resources = stamper.value(page.obj.get("/Resources", pikepdf.Dictionary()))
    num = writer.number()
    writer.write(
        num,
        b"<< /Type /XObject /Subtype /Form /BBox %s /Resources %s /Length %d >>"
        % (box, resources, len(content)),
        content,
    )
    stamper.drain()
    return num
