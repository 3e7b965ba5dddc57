"""What apply and rollback say after a stop request (Ctrl-C, SIGTERM), and the code they exit
with: what finished, what did not start, how to go on, 128 + the signal's number."""

from __future__ import annotations

import signal

import click

from provision.engine.runs import RunReport
from provision.engine.signals import Stop
from provision.i18n import _


def report_interrupted_run(report: RunReport, stop: Stop, again: str) -> int:
    """Print the summary of an interrupted run on stderr; return 128 + the signal number."""
    total, skipped, failed = len(report.outcomes), len(report.not_started), len(report.failed)
    click.echo(
        _(
            "interrupted by {signal}: {finished} of {total} device(s) finished ({failed} "
            "failed), {skipped} not started and left untouched.\n"
            "Devices being written when it came were finished and journaled, not cut off.\n"
            "To finish, run the same `{again}` again: finished devices show no changes.\n"
            "To undo this run: provision rollback {run_id}"
        ).format(
            signal=signal.Signals(stop.signum).name,
            finished=total - skipped,
            total=total,
            failed=failed,
            skipped=skipped,
            again=again,
            run_id=report.run_id,
        ),
        err=True,
    )
    return 128 + stop.signum
