"""The reports of a verify run in each format, and the format a report file's suffix asks for.
Used by verify and by the demo, which writes the same HTML and JSON reports. PDF is a file
format only (--out report.pdf): the HTML report, printed to A4 by headless Chromium.

Every report is written as it is rendered, a piece at a time (`chunks`), so a city read back
from a run's schools.jsonl is never whole in memory, and a file appears only once it is whole
(written beside it, then renamed over it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import click

from provision.inventory.loader import Inventory, files_digest, load_inventory, load_school
from provision.inventory.model import City, School
from provision.reports import verify as reports
from provision.verify.model import CityReport
from provision.verify.stream import outlines

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


@dataclass(frozen=True, slots=True)
class ReportInventory:
    """The inventory as the HTML and PDF reports read it: city.yaml once, and each audited
    school's file when its section is drawn, dropped after it: never every school at once
    (a city's inventory in memory grows with its schools; a report need not)."""

    root: str
    source: Inventory  # city.yaml only

    @property
    def city(self) -> City:
        assert self.source.city is not None
        return self.source.city

    def school(self, school_id: str) -> School | None:
        return load_school(self.source, school_id)

    def digest(self, audited: set[str]) -> str:
        """The inventory digest of the audited schools, for the PDF's page margins."""
        return files_digest(Path(self.root), audited)


def report_inventory(inventory: str) -> ReportInventory:
    source = load_inventory(inventory, only=set())
    assert source.city is not None
    return ReportInventory(inventory, source)


def chunks(
    report: CityReport, fmt: str, inventory: str, where: ReportInventory | None = None
) -> Iterator[str]:
    """The report in `fmt`, a piece at a time; HTML also shows the city (from `where`, or
    read from the inventory)."""
    if fmt == "html":
        from provision.reports.html import html_chunks

        where = where or report_inventory(inventory)
        return html_chunks(report, where.city, where.school)
    return {
        "text": reports.text_chunks,
        "json": reports.json_chunks,
        "junit": reports.junit_chunks,
        "markdown": reports.markdown_chunks,
    }[fmt](report)


def render(report: CityReport, fmt: str, inventory: str) -> str:
    """The report as text in `fmt`; HTML also shows the city, read from the inventory."""
    return "".join(chunks(report, fmt, inventory))


def print_report(
    report: CityReport,
    fmt: str,
    inventory: str,
    out: TextIO | None = None,
    where: ReportInventory | None = None,
) -> None:
    """The report on stdout (or `out`) as it is rendered, ending in exactly one newline."""
    held = ""  # trailing newlines, written only if more text follows
    for piece in chunks(report, fmt, inventory, where):
        text = held + piece
        body = text.rstrip("\n")
        held = text[len(body) :]
        if body:
            click.echo(body, file=out, nl=False)
    click.echo("", file=out)


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


def write_report(
    report: CityReport,
    kind: str,
    inventory: str,
    path: Path,
    where: ReportInventory | None = None,
) -> None:
    """Write the report in `kind` (a FORMATS name or "pdf") to `path`."""
    if kind != "pdf":
        _write_whole(path, chunks(report, kind, inventory, where))
        return
    from provision.reports.html import html_chunks
    from provision.reports.pdf import page_stamp, write_pdf

    where = where or report_inventory(inventory)
    audited = {s.school for s in outlines(report.schools)}
    stamp = page_stamp(report, where.city, where.digest(audited))
    write_pdf(html_chunks(report, where.city, where.school), stamp, path)


def _write_whole(path: Path, pieces: Iterator[str]) -> None:
    """Write the pieces to `path` through a file beside it: a report that fails halfway
    leaves the previous file, if any, as it was."""
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with open(part, "w", encoding="utf-8") as fh:
            for piece in pieces:
                fh.write(piece)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


def check_writable(kinds: list[str]) -> None:
    """Refuse, before an audit starts, a report format this machine cannot write: a PDF
    needs Chromium (a ProvisionError naming what to install)."""
    if "pdf" in kinds:
        from provision.reports.pdf import find_chromium

        find_chromium()
