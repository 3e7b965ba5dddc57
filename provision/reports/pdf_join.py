"""The printed parts of a PDF report (pdf_parts.py) joined into one file, with pikepdf (qpdf:
https://pikepdf.readthedocs.io, `Pdf.pages.extend`, `Page.add_overlay`).

Pages keep their content and links. Named destinations (`/Dests`, where Chromium's links
point, PDF 32000-1:2008 §12.3.2.3) are taken from the part that holds each anchor, so the
summary's links open each school's page and "back to top" the first page. The page numbers
run on across the parts: each page gets page N of a document printed with the numbers alone
(print_page.page_numbers_page), laid over it as a form XObject. Chromium's structure tree
(tagged PDF) is per part and is not carried over: the joined file is untagged.

qpdf copies pages lazily: a page's streams are read from its part when the file is written,
so memory holds the parts' object dictionaries, not their content.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import pikepdf


def page_count(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def join_parts(
    parts: Sequence[tuple[Path, frozenset[str]]], numbers: Path | None, out: Path
) -> None:
    """Write the PDFs `parts` (each with the anchors it holds) as one PDF, `out`, each page
    overlaid with the same page of `numbers` (when given)."""
    sources: list[pikepdf.Pdf] = []
    joined = pikepdf.new()
    try:
        dests = pikepdf.Dictionary()
        for path, anchors in parts:
            source = pikepdf.open(path)
            sources.append(source)
            offset = len(joined.pages)
            with warnings.catch_warnings():
                # that pages.extend() drops named destinations: _carry_dests carries them
                warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
                joined.pages.extend(source.pages)
            _carry_dests(source, anchors, joined, offset, dests)
        joined.Root.Dests = joined.make_indirect(dests)
        if sources and "/Lang" in sources[0].Root:
            joined.Root.Lang = pikepdf.String(str(sources[0].Root.Lang))
        for key in ("/Title", "/Creator", "/Producer", "/CreationDate", "/ModDate"):
            if sources and key in sources[0].docinfo:
                joined.docinfo[key] = pikepdf.String(str(sources[0].docinfo[key]))
        _untag(joined)
        if numbers is not None:
            _number(joined, numbers, sources)
        joined.save(out)
    finally:
        joined.close()
        for source in sources:
            source.close()


def _carry_dests(
    source: pikepdf.Pdf,
    anchors: frozenset[str],
    joined: pikepdf.Pdf,
    offset: int,
    dests: pikepdf.Dictionary,
) -> None:
    """The part's destinations of the anchors it holds, pointed at the joined pages."""
    if "/Dests" not in source.Root:
        return
    index = {page.obj.objgen: n for n, page in enumerate(source.pages)}
    for name, dest in source.Root.Dests.items():
        if name[1:] not in anchors:
            continue  # a stand-in for an anchor another part holds
        page = joined.pages[offset + index[dest[0].objgen]]
        dests[name] = pikepdf.Array([page.obj, *[_direct(x) for x in list(dest)[1:]]])


def _direct(value: pikepdf.Object) -> pikepdf.Object:
    """A destination's view parameter (a name or a number), as an object of the joined PDF."""
    if isinstance(value, pikepdf.Name):
        return pikepdf.Name(str(value))
    return value


def _untag(joined: pikepdf.Pdf) -> None:
    """Drop each page's keys into its part's structure tree, which is not carried over."""
    for page in joined.pages:
        if "/StructParents" in page.obj:
            del page.obj["/StructParents"]
        for annot in page.obj.get("/Annots", []):
            if "/StructParent" in annot:
                del annot["/StructParent"]


def _number(joined: pikepdf.Pdf, numbers: Path, sources: list[pikepdf.Pdf]) -> None:
    stamps = pikepdf.open(numbers)
    sources.append(stamps)  # open until the joined file is written
    if len(stamps.pages) != len(joined.pages):
        raise ValueError(
            f"the page numbers printed on {len(stamps.pages)} pages for {len(joined.pages)}"
        )
    for page, stamp in zip(joined.pages, stamps.pages, strict=True):
        page.add_overlay(stamp, None)
