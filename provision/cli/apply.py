"""provision apply: converge the selected devices with the inventory, or apply a saved plan."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from provision.cli.connect import connector
from provision.cli.errors import OK
from provision.cli.help_text import TranslatedCommand
from provision.cli.interrupted_run import report_interrupted_run
from provision.cli.options import (
    NothingSelected,
    changed_since_option,
    inventory_option,
    selection,
    selector_options,
    transport_options,
)
from provision.cli.param_types import LOCK_WAIT
from provision.cli.progress_bar import ProgressBar
from provision.cli.run_options import journal_option, run_options
from provision.cli.run_report import failed_or_ok, print_run_report
from provision.engine.journal import Journal
from provision.engine.planfile import load_plan
from provision.engine.runs import apply as apply_run
from provision.engine.signals import stop_on_signals
from provision.errors import ProvisionError
from provision.i18n import _


@click.command("apply", cls=TranslatedCommand)
@inventory_option
@selector_options
@changed_since_option
@run_options
@transport_options
@click.argument(
    "plan_file", required=False, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@journal_option
@click.option(
    "--lock-wait",
    type=LOCK_WAIT,
    default=0.0,
    show_default=True,
    help="Seconds to wait for another run's lock on a school.",
)
def command(
    inventory: str,
    lab: bool,
    fmt: str,
    secrets: str | None,
    workers: int,
    timeout: float,
    plan_file: Path | None,
    yes: bool,
    journal_path: str | None,
    lock_wait: float,
    changed_since: str | None,
    **selectors: tuple[str, ...],
) -> int:
    """Converge every selected device with the inventory (or apply exactly PLAN_FILE).

    The same code path as plan, with writing on. Each change is journaled before the run
    reports success. A device that fails never stops the others; what had landed on it is
    put back. A saved plan is refused when the inventory or a device changed since.

    \b
    Examples:
      provision apply -i examples/dalian --lab --yes
      provision apply -i inventory plan.json
    """
    saved = load_plan(plan_file) if plan_file else None
    try:
        sel = (
            saved.selection
            if saved
            else selection(selectors, changed_since=changed_since, inventory=inventory)
        )
    except NothingSelected as exc:
        click.echo(_("{reason}: nothing to apply").format(reason=exc))
        return OK
    conn = connector(lab or bool(saved and saved.lab), secrets, timeout)
    if not yes:
        _confirm(inventory)
    journal = Journal(journal_path)
    progress = ProgressBar(fmt == "text")
    try:
        with stop_on_signals() as stop:
            report = apply_run(
                inventory, sel, conn, journal, saved, workers, lock_wait, progress, stop
            )
    finally:
        progress.finish()
        journal.close()
    print_run_report(report, fmt)
    if report.interrupted:
        again = "provision apply" + (f" {plan_file}" if saved else "")
        return report_interrupted_run(report, stop, again)
    return failed_or_ok(report)


def _confirm(inventory: str) -> None:
    """Ask on a terminal; elsewhere (a pipeline) there is nobody to ask: --yes is required."""
    if not sys.stdin.isatty():
        raise ProvisionError(_("apply changes devices: confirm with --yes when not on a terminal"))
    click.confirm(
        _("Apply to the selected devices of {inventory}?").format(inventory=inventory), abort=True
    )
