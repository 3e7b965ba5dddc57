"""provision plan: what apply would change on every selected device; writes nothing."""

from __future__ import annotations

from pathlib import Path

import click

from provision.cli.connect import connector
from provision.cli.errors import OK
from provision.cli.help_text import TranslatedCommand
from provision.cli.options import (
    NothingSelected,
    changed_since_option,
    inventory_option,
    selection,
    selector_options,
    transport_options,
)
from provision.cli.progress_bar import ProgressBar
from provision.cli.run_options import run_options
from provision.cli.run_report import failed_or_ok, print_run_report
from provision.engine.planfile import save_plan
from provision.engine.runs import plan as plan_run
from provision.engine.signals import stop_on_signals
from provision.i18n import _

CHANGES_PENDING = 2  # with --detailed-exitcode, as terraform


@click.command("plan", cls=TranslatedCommand)
@inventory_option
@selector_options
@changed_since_option
@run_options
@transport_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the plan (JSON) for `provision apply PLAN_FILE`.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 no changes, 1 error, 2 changes (as terraform).",
)
@click.option("-v", "--verbose", is_flag=True, help="List unchanged devices too.")
def command(
    inventory: str,
    lab: bool,
    fmt: str,
    secrets: str | None,
    workers: int,
    timeout: float,
    out: Path | None,
    detailed_exitcode: bool,
    verbose: bool,
    changed_since: str | None,
    **selectors: tuple[str, ...],
) -> int:
    """Show what apply would change on every selected device, before → after; writes nothing.

    \b
    Examples:
      provision plan -i examples/dalian --lab --detailed-exitcode
      provision plan -i inventory --school dl-zs-h024 --out plan.json
      provision plan -i inventory --format markdown > plan.md   # for a pull request
    """
    try:
        sel = selection(selectors, changed_since, inventory)
    except NothingSelected as exc:
        click.echo(_("{reason}: nothing to plan").format(reason=exc))
        return OK
    progress = ProgressBar(fmt == "text")
    try:
        with stop_on_signals() as stop:
            conn = connector(lab, secrets, timeout)
            report = plan_run(inventory, sel, conn, workers, progress, stop)
    finally:
        progress.finish()
    if out:
        save_plan(report, out)
    print_run_report(report, fmt, verbose)
    if not report.failed and detailed_exitcode and report.changed:
        return CHANGES_PENDING
    return failed_or_ok(report)
