"""The reports of a verify run in each format, and the format a report file's suffix asks for.
Used by verify and by the demo, which writes the same HTML and JSON reports. PDF is a file
format only (--out report.pdf): the HTML report, printed to A4 by headless Chromium."""

from __future__ import annotations

from pathlib import Path

import click

from provision.reports import verify as reports
from provision.verify.model import CityReport

FORMATS = ("text", "json", "junit", "markdown", "html")

SUFFIXES = {
    ".html": "html",
    ".htm": "html",
    ".xml": "junit",
    ".json": "json",
    ".md": "markdown",
    ".txt": "text",
    ".pdf": "pdf",
}


def render(report: CityReport, fmt: str, inventory: str) -> str:
    """The report as text in `fmt`; HTML also shows the city, read from the inventory."""
    if fmt == "html":
        from provision.inventory.loader import load_inventory
        from provision.reports.html import render_html

        city = load_inventory(inventory).city
        assert city is not None
        return render_html(report, city)
    return {
        "text": reports.to_text,
        "json": reports.to_json,
        "junit": reports.to_junit,
        "markdown": reports.to_markdown,
    }[fmt](report)


def format_of(path: Path) -> str:
    """The report format of an --out file, from its suffix; a usage error for another suffix."""
    try:
        return SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise click.BadParameter(
            f"{path}: cannot tell the report format from {path.suffix or 'no suffix'!r}; use "
            + ", ".join(SUFFIXES),
            param_hint="--out",
        ) from None


def write_report(report: CityReport, kind: str, inventory: str, path: Path) -> None:
    """Write the report in `kind` (a FORMATS name or "pdf") to `path`."""
    if kind != "pdf":
        path.write_text(render(report, kind, inventory), encoding="utf-8")
        return
    from provision.inventory.loader import inventory_digest, load_inventory
    from provision.reports.pdf import page_stamp, write_pdf

    audited = {s.school for s in report.schools}
    inv = load_inventory(inventory, only=audited)
    assert inv.city is not None
    schools = [s for s in inv.city.schools if s.id in audited]
    stamp = page_stamp(report, inv.city, inventory_digest(Path(inventory), schools))
    write_pdf(render(report, "html", inventory), stamp, path)


def check_writable(kinds: list[str]) -> None:
    """Refuse, before an audit starts, a report format this machine cannot write: a PDF
    needs Chromium (a ProvisionError naming what to install)."""
    if "pdf" in kinds:
        from provision.reports.pdf import find_chromium

        find_chromium()
