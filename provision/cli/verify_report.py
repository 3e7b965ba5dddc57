"""The reports of a verify run in each format, and the format a report file's suffix asks for.
Used by verify and by the demo, which writes the same HTML and JSON reports."""

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
