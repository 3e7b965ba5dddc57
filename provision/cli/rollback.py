"""provision rollback: restore the before values of every change a run applied."""

from __future__ import annotations

import click

from provision.cli.connect import connector
from provision.cli.help_text import TranslatedCommand
from provision.cli.interrupted_run import report_interrupted_run
from provision.cli.options import inventory_option, transport_options
from provision.cli.run_options import journal_option, run_options
from provision.cli.run_report import failed_or_ok, print_run_report
from provision.engine.journal import Journal
from provision.engine.runs import rollback as rollback_run
from provision.engine.signals import stop_on_signals


@click.command("rollback", cls=TranslatedCommand)
@click.argument("run_id")
@inventory_option
@run_options
@transport_options
@journal_option
def command(
    run_id: str,
    inventory: str,
    lab: bool,
    fmt: str,
    secrets: str | None,
    workers: int,
    timeout: float,
    journal_path: str | None,
) -> int:
    """Restore the before values of every change a run applied (see `provision history`).

    \b
    Example:
      provision rollback 20261129-193000-1a2b3c -i examples/dalian --lab
    """
    journal = Journal(journal_path)
    try:
        with stop_on_signals() as stop:
            conn = connector(lab, secrets, timeout)
            report = rollback_run(run_id, inventory, conn, journal, workers, stop=stop)
    finally:
        journal.close()
    print_run_report(report, fmt)
    if report.interrupted:
        return report_interrupted_run(report, stop, f"provision rollback {run_id}")
    return failed_or_ok(report)
