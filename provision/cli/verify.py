"""provision verify: audit the selected schools, read-only, with reports people read."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from provision.cli.connect import connector
from provision.cli.options import inventory_option, selection, selector_options
from provision.errors import ProvisionError
from provision.reports import verify as reports
from provision.runs import DEFAULT_WORKERS
from provision.verify import parse_checks, verify
from provision.verify.model import CHECKS, ERROR, FAIL, CityReport, SchoolReport
from provision.verify.selftests.alarm import DEFAULT_THRESHOLD_S

FORMATS = ("text", "json", "junit", "markdown", "html")


def render(report: CityReport, fmt: str, inventory: str) -> str:
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


SUFFIXES = {
    ".html": "html",
    ".htm": "html",
    ".xml": "junit",
    ".json": "json",
    ".md": "markdown",
    ".txt": "text",
}


def _format_of(path: Path) -> str:
    try:
        return SUFFIXES[path.suffix.lower()]
    except KeyError:
        raise click.BadParameter(
            f"{path}: cannot tell the report format from {path.suffix or 'no suffix'!r}; use "
            + ", ".join(SUFFIXES),
            param_hint="--out",
        ) from None


@click.command("verify")
@inventory_option
@selector_options
@click.option("--lab", is_flag=True, help="Audit the running lab instead of the field.")
@click.option(
    "--checks",
    "checks_text",
    metavar="LIST",
    help=f"Comma-separated checks to run [default: all: {','.join(CHECKS)}].",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--out",
    "outs",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a report file; its format follows the suffix (.html, .xml = JUnit, .json, "
    ".md, .txt). Repeatable: one run, several reports.",
)
@click.option(
    "--secrets",
    type=click.Path(dir_okay=False, exists=True),
    help="File of NAME=VALUE secrets (mode 600), read before the environment.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=DEFAULT_WORKERS,
    show_default=True,
    help="Devices and schools worked on at once.",
)
@click.option(
    "--timeout", type=float, default=10.0, show_default=True, help="Seconds per device operation."
)
@click.option(
    "--alarm-threshold",
    type=float,
    default=DEFAULT_THRESHOLD_S,
    show_default=True,
    help="Seconds within which a test alarm must reach the precinct.",
)
def command(
    inventory: str,
    lab: bool,
    checks_text: str | None,
    fmt: str,
    outs: tuple[Path, ...],
    secrets: str | None,
    workers: int,
    timeout: float,
    alarm_threshold: float,
    **selectors: tuple[str, ...],
) -> None:
    """Audit every selected school: devices answer, settings match, feeds reach the precinct,
    every zone is really watched, the one-button alarm really reaches the police and how fast,
    budgets hold and the tier's standard is met. Changes no device setting: the alarm test is a
    Contact ID 601 the centre records as a test.

    Exit status: 0 every check passed (warnings allowed), 2 a check failed, 1 the run failed.

    \b
    Examples:
      provision verify -i examples/dalian --lab
      provision verify -i inventory --checks coverage,alarm --out report.html
      provision verify -i inventory --out verify.xml --out report.html   # CI: JUnit + HTML
    """
    checks = parse_checks(checks_text)
    targets = [(path, _format_of(path)) for path in outs]
    conn = connector(lab, secrets, timeout)
    total = [0]

    def progress(school: SchoolReport) -> None:
        total[0] += 1
        if fmt == "text" and not outs and sys.stderr.isatty():
            sys.stderr.write(f"\r{total[0]} school(s) verified ")
            sys.stderr.flush()

    report = verify(
        inventory, selection(selectors), conn, checks, workers, alarm_threshold, on_school=progress
    )
    if total[0] and sys.stderr.isatty() and fmt == "text" and not outs:
        sys.stderr.write("\n")
    for path, kind in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(report, kind, inventory), encoding="utf-8")
    click.echo(render(report, fmt, inventory).rstrip("\n"))
    for path, kind in targets:
        click.echo(f"{kind} report written to {path}", err=True)
    failed = any(c.verdict in (FAIL, ERROR) for s in report.schools for c in s.checks)
    if not report.schools:
        raise ProvisionError("no school selected")
    sys.exit(2 if failed else 0)
