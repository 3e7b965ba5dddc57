"""The HTML audit report made ready to print on A4: the same page, with print CSS added.

The PDF is the HTML report (`provision.reports.html.render_html`) printed by a browser, so it
says exactly what the page says, in whichever language the page was rendered in. This module
only adds what paper needs: A4 pages with the audit's date, the inventory digest and the tool
version in every page's margins (CSS page-margin boxes, CSS Paged Media Level 3 §5), a new
page for each school, floor maps and table rows never split across pages, the floor maps'
`<details>` open (a closed one prints as its summary line only), colours kept (browsers drop
backgrounds in print unless asked), and a Content-Security-Policy that forbids any script or
fetch, so the browser that prints it has nothing to run and nowhere to go.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from provision.i18n import _

# default-src 'none': no script, font, image or frame is fetched or run; the report's own
# inline <style> blocks and inline SVG are all it needs.
_CSP = (
    '<meta http-equiv="Content-Security-Policy" '
    "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
)

_FONTS = '"Noto Sans CJK SC","Noto Sans SC","WenQuanYi Micro Hei",sans-serif'

_PAGE = "size:A4;margin:17mm 11mm 15mm 11mm;"
# The page number: in the page's own CSS when it is printed whole, else alone on a page of
# its own, laid over the page it numbers once the printed parts are joined (pdf_join.py).
_PAGE_NUMBER = """@bottom-right{content:%(page_label)s counter(page) " / " counter(pages);
font:8pt %(fonts)s;color:#444;vertical-align:top}"""

_PRINT_CSS = """
@page{%(page)s
@top-left{content:%(top_left)s;font:8pt %(fonts)s;color:#444;vertical-align:bottom}
@top-right{content:%(top_right)s;font:8pt %(fonts)s;color:#444;vertical-align:bottom}
@bottom-left{content:%(bottom_left)s;font:8pt %(fonts)s;color:#444;vertical-align:top}
%(page_number)s}
@media print{
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{background:#fff;font-size:11px}
main{max-width:none;margin:0;padding:0}
section,.card{border:none;border-radius:0;padding:0;margin:0 0 10px}
section.school{break-before:page;break-inside:auto}
h2,h3{break-after:avoid-page}
table{font-size:10px}th,td{padding:2px 5px}
tr{break-inside:avoid-page}tr:first-child{break-after:avoid-page}
code{font-size:9px}
figure{break-inside:avoid-page;margin:4px 0 10px}
svg.floor-map{max-width:100%%;max-height:225mm;width:auto;height:auto}
.flex{display:block}
summary{list-style:none;cursor:auto;break-after:avoid-page}summary::-webkit-details-marker{display:none}
a{color:inherit;text-decoration:none}
}
"""


@dataclass(frozen=True, slots=True)
class PageStamp:
    """What every printed page carries in its margins, so a loose page still says what it is
    from: which audit (city and date), of which inventory bytes, by which tool version."""

    title: str  # e.g. "School security audit — 大连市 (dalian)"
    audited: str  # the audit's start, e.g. "2026-11-30 00:00 UTC"
    digest: str  # provision.inventory.loader.inventory_digest of the audited files
    version: str  # provision.__version__


def css_string(text: str) -> str:
    """`text` as a CSS string literal: every character but letters, digits, spaces and a few
    safe marks escaped as a code point, so an inventory's name cannot end the string or the
    rule (CSS Syntax Level 3 §4.3.7: a backslash, up to six hex digits, one space)."""
    out = []
    for ch in text:
        if ch.isalnum() or ch in " -.,:()/·—_":
            out.append(ch)
        else:
            out.append(f"\\{ord(ch):06x}")
    return '"' + "".join(out) + '"'


def page_labels(stamp: PageStamp) -> dict[str, str]:
    """The margin texts, in the report's language like the page they frame."""
    return {
        "top_left": stamp.title,
        "top_right": _("audited {when}").format(when=stamp.audited),
        "bottom_left": _("inventory {digest} · provision {version}").format(
            digest=stamp.digest, version=stamp.version
        ),
        "page_label": _("page "),
    }


_CLOSED_DETAILS = re.compile(r"<details\b(?![^>]*\bopen\b)")


def print_ready(html: str, stamp: PageStamp) -> str:
    """`html` (a page from render_html) with the CSP, the print CSS and the maps open."""
    return "".join(print_ready_chunks([html], stamp))


def print_ready_chunks(
    chunks: Iterable[str], stamp: PageStamp, numbered: bool = True
) -> Iterator[str]:
    """`print_ready` of the page the chunks make up (html_chunks), a piece at a time;
    without the page number in the margin unless `numbered` (see `page_numbers_page`)."""
    pieces = iter(chunks)
    page = ""
    for chunk in pieces:  # the head, whole: the CSP goes after <head>, the style before </head>
        page += chunk
        if "</head>" in page.partition("<head>")[2]:
            break
    head, sep, rest = page.partition("<head>")
    end = rest.find("</head>")
    if not sep or end < 0:
        raise ValueError("not an HTML report: no <head> element")
    values = {k: css_string(v) for k, v in page_labels(stamp).items()}
    number = _PAGE_NUMBER % {**values, "fonts": _FONTS} if numbered else ""
    css = _PRINT_CSS % {**values, "fonts": _FONTS, "page": _PAGE, "page_number": number}
    style = "<style>" + css + "</style>"
    yield head + sep + _CSP
    pending = rest[:end] + style + rest[end:]
    for chunk in pieces:
        pending += chunk
        # Up to the last "<": every <details tag before it is whole (the page escapes "<"
        # in text and attributes), so it can be opened here.
        cut = pending.rfind("<")
        if cut > 0:
            yield _CLOSED_DETAILS.sub("<details open", pending[:cut])
            pending = pending[cut:]
    yield _CLOSED_DETAILS.sub("<details open", pending)


def page_numbers_page(stamp: PageStamp, pages: int, first: int = 1, total: int = 0) -> str:
    """A document of `pages` blank, transparent A4 pages that carry only the page number, in
    the margin box and the font of a numbered report, counting from `first`, out of `total`
    (default: its own pages): printed for each part of a report printed in parts (without
    numbers), its page N laid over the part's page N, so the numbers run on, "page N / M",
    across the parts."""
    label = css_string(page_labels(stamp)["page_label"])
    number = _PAGE_NUMBER % {"page_label": label, "fonts": _FONTS}
    if total:
        number = number.replace("counter(pages)", f'"{total:d}"')
    style = f"@page{{{_PAGE}\n{number}}}\nhtml,body{{background:transparent;margin:0}}"
    # the page counter starts from the root's counter-reset (Chromium 156: html, not @page)
    style += f"\nhtml{{counter-reset:page {first - 1:d}}}"
    style += "\ndiv{height:1px}div+div{break-before:page}"  # an empty block makes no page
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8">{_CSP}<style>{style}</style>'
        "</head><body>" + "<div></div>" * pages + "</body></html>"
    )
