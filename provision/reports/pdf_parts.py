"""The HTML report cut into documents small enough to print: the city summary and the
schools' sections in parts of about `max_bytes` of HTML each (whole sections; a part holds
at least one, or the summary).

Headless Chromium's memory and time grow faster than the page it prints (measured: 563 MiB
for 45 schools' 5 MB page, past 6 GiB for 450 schools' 54 MB), so a city's PDF is printed a
part at a time and the parts joined (pdf_join.py). Every part is a whole page of its own
with the report's head (style, language, title), so it lays out as the one page did: the
print CSS starts each school on a new page anyway, so the cuts fall where pages break.

The first part holds the summary and the first schools. Links across parts (the summary's
to each school, a school's "back to top") would point nowhere in a part alone, and Chromium
prints no link to an anchor the page lacks, nor a named destination for an element nothing
links to. So a part gets an empty, zero-size element for each anchor it links to in another
part (its links print; their destinations are replaced when the parts are joined), and a
hidden link to each of its own anchors (their destinations print); "top" is the page's start
(HTML's own fragment rule), in every part. `Part.anchors` are the ids each part really
holds: its destinations are the ones the joined PDF keeps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Where the template's page parts meet (reports/templates/report.html.j2).
BODY = '<body><main id="top">'
SECTION = '<section class="school"'
SECTION_END = "</section>"
CLOSE = "</main></body></html>"

_ID = re.compile(r'\bid="([^"]*)"')
_HREF = re.compile(r'\bhref="#([^"]*)"')


@dataclass(frozen=True, slots=True)
class Part:
    html: str
    anchors: frozenset[str]  # the ids of elements this part holds


def report_parts(chunks: Iterable[str], max_bytes: int) -> Iterator[Part]:
    """The page the chunks make up (html_chunks), as the documents to print, in order."""
    pieces = _pieces(iter(chunks))
    head = next(pieces)
    if not head.startswith("<") or BODY not in head:
        yield Part(head + "".join(pieces), frozenset(_anchors(head)))  # not cut: whole
        return
    summary = next(pieces)
    if not summary.startswith("<"):  # no school section: the page is the summary alone
        yield Part(head + summary[1:], frozenset(_anchors(head + summary)))
        return
    lead, size = head + summary[1:], len(summary) - 1
    batch: list[str] = []
    for piece in pieces:
        if piece.startswith(">"):  # the tail, after the last section
            yield _part(head, lead, batch, piece[1:])
            return
        if (batch or lead) and size + len(piece) > max_bytes:
            yield _part(head, lead, batch, CLOSE)
            lead, size = "", 0
            batch = []
        batch.append(piece)
        size += len(piece)
    yield _part(head, lead, batch, CLOSE)


def _part(head: str, lead: str, sections: list[str], tail: str) -> Part:
    """A document of the page's head, `lead` (the first part's: the head and the summary,
    else nothing), `sections` and `tail`."""
    body = "".join(sections)
    own = _anchors(lead + body)
    if not lead:  # "top" is the first part's, where the page starts
        lead = head.replace(BODY, "<body><main>")
    # For each anchor this part links to and another part holds, an element out of the flow
    # and of zero size, so that the link prints: nothing moves, no page is added.
    elsewhere = sorted(set(_HREF.findall(lead + body)) - own - {"top"})
    holders = "".join(f'<span id="{anchor}"></span>' for anchor in elsewhere)
    box = '<div style="position:absolute;top:0;left:0;width:0;height:0;overflow:hidden">'
    stand_ins = box + holders + "</div>" if holders else ""
    return Part(lead + body + stand_ins + _links(own) + tail, frozenset(own))


def _anchors(html: str) -> set[str]:
    return {anchor for anchor in _ID.findall(html) if anchor}


def _links(anchors: set[str]) -> str:
    """Hidden links to the anchors: each prints a named destination, and nothing else."""
    return "".join(f'<a href="#{anchor}" hidden></a>' for anchor in sorted(anchors))


def _pieces(chunks: Iterator[str]) -> Iterator[str]:
    """The page as: its head (up to BODY), then the summary marked "<" (or, with no school,
    the rest marked "="), each school's section, and the tail marked ">"."""
    text = ""
    for chunk in chunks:
        text += chunk
        if BODY in text:
            break
    cut = text.find(BODY)
    if cut < 0:
        yield text
        return
    cut += len(BODY)
    yield text[:cut]
    text = text[cut:]
    while SECTION not in text:  # the summary: up to the first section
        more = next(chunks, None)
        if more is None:
            break
        text += more
    start = text.find(SECTION)
    if start < 0:
        yield "=" + text + "".join(chunks)
        return
    yield "<" + text[:start]
    text = text[start:]
    yield from _sections(text, chunks)


def _sections(text: str, chunks: Iterator[str]) -> Iterator[str]:
    """Each section (with the whitespace after it), then the tail marked ">"."""
    while True:
        end = text.find(SECTION_END)
        while end < 0:
            more = next(chunks, None)
            if more is None:
                raise ValueError("not an HTML report: a school section is not closed")
            text += more
            end = text.find(SECTION_END, max(0, len(text) - len(more) - len(SECTION_END)))
        end += len(SECTION_END)
        rest = text[end:]
        while len(rest.lstrip()) < len(SECTION):  # enough to tell what comes next
            more = next(chunks, None)
            if more is None:
                break
            rest += more
        gap = len(rest) - len(rest.lstrip())
        yield text[:end] + rest[:gap]
        text = rest[gap:]
        if not text.startswith(SECTION):
            yield ">" + text + "".join(chunks)
            return
