"""How plan, apply and rollback print their run report, and the exit code a report means."""

from __future__ import annotations

import dataclasses

import click

from provision.cli.errors import FAILED, OK
from provision.engine.outcome import Status
from provision.engine.runs import RunReport
from provision.reports.runs import to_json, to_markdown, to_text

FORMATS = {"text": to_text, "json": to_json, "markdown": to_markdown}


def print_run_report(report: RunReport, fmt: str, verbose: bool = False) -> None:
    """The report on stdout, in the --format asked for."""
    if fmt == "text":  # devices a stop left untouched are counted once, by the interrupted summary
        started = [o for o in report.outcomes if o.status != Status.NOT_STARTED]
        text = to_text(dataclasses.replace(report, outcomes=started), verbose)
    else:
        text = FORMATS[fmt](report)
    click.echo(text.rstrip("\n"))


def failed_or_ok(report: RunReport) -> int:
    """1 when a device failed, else 0."""
    return FAILED if report.failed else OK
