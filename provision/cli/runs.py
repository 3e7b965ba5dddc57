"""provision plan / apply / rollback / history: converge school devices with the inventory."""

from __future__ import annotations

import dataclasses
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import click

from provision.cli.connect import connector
from provision.cli.options import (
    NothingSelected,
    changed_since_option,
    inventory_option,
    selection,
    selector_options,
    transport_options,
)
from provision.engine.journal import Journal
from provision.engine.nornir_run import DEFAULT_WORKERS
from provision.engine.outcome import DeviceOutcome, Status
from provision.engine.planfile import load_plan, save_plan
from provision.engine.runs import RunReport
from provision.engine.runs import apply as apply_run
from provision.engine.runs import plan as plan_run
from provision.engine.runs import rollback as rollback_run
from provision.engine.signals import Stop, stop_on_signals
from provision.errors import ProvisionError
from provision.reports.runs import to_json, to_markdown, to_text

FORMATS = {"text": to_text, "json": to_json, "markdown": to_markdown}


class ProgressBar:
    """devices done / total and failures, redrawn in place on a terminal; silent otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.done = self.failed = 0
        self.total = 0
        self._lock = threading.Lock()

    def start(self, total: int) -> None:
        self.total = total

    def __call__(self, outcome: DeviceOutcome) -> None:
        if not self.enabled:
            return
        with self._lock:
            self.done += 1
            self.failed += outcome.status.failed
            width = 30
            filled = int(width * self.done / self.total) if self.total else width
            sys.stderr.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/"
                f"{self.total or '?'} devices, {self.failed} failed "
            )
            sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled and self.done:
            sys.stderr.write("\n")


def _emit(report: RunReport, fmt: str, verbose: bool = False) -> None:
    if fmt == "text":  # devices a stop left untouched are counted once, by _exit_interrupted
        started = [o for o in report.outcomes if o.status != Status.NOT_STARTED]
        text = to_text(dataclasses.replace(report, outcomes=started), verbose)
    else:
        text = FORMATS[fmt](report)
    click.echo(text.rstrip("\n"))


def _exit_interrupted(report: RunReport, stop: Stop, again: str) -> None:
    """After a stop request: what finished, what did not start, how to go on; exit 128+sig."""
    total, skipped, failed = len(report.outcomes), len(report.not_started), len(report.failed)
    click.echo(
        f"interrupted by {signal.Signals(stop.signum).name}: {total - skipped} of {total}"
        f" device(s) finished ({failed} failed), {skipped} not started and left untouched.\n"
        "Devices being written when it came were finished and journaled, not cut off.\n"
        f"To finish, run the same `{again}` again: finished devices show no changes.\n"
        f"To undo this run: provision rollback {report.run_id}",
        err=True,
    )
    sys.exit(128 + stop.signum)


common = [
    click.option("--lab", is_flag=True, help="Talk to the running lab instead of the field."),
    click.option(
        "--format",
        "fmt",
        type=click.Choice(list(FORMATS)),
        default="text",
        show_default=True,
        help="Report format.",
    ),
    click.option(
        "--secrets",
        type=click.Path(dir_okay=False, exists=True),
        help="File of NAME=VALUE secrets (mode 600), read before the environment.",
    ),
    click.option(
        "--workers",
        type=click.IntRange(1, 64),
        default=DEFAULT_WORKERS,
        show_default=True,
        help="Devices worked on at once.",
    ),
    click.option(
        "--timeout",
        type=float,
        default=10.0,
        show_default=True,
        help="Seconds per device operation.",
    ),
]


journal_option = click.option(
    "--journal",
    "journal_path",
    type=click.Path(dir_okay=False),
    help="Journal database [default: $PROVISION_JOURNAL or .provision/journal.sqlite].",
)


def with_common(func: Callable[..., None]) -> Callable[..., None]:
    for opt in reversed(common):
        func = opt(func)
    return func


@click.command("plan")
@inventory_option
@selector_options
@changed_since_option
@with_common
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
def plan_command(
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
) -> None:
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
        click.echo(f"{exc}: nothing to plan")
        sys.exit(0)
    progress = ProgressBar(fmt == "text")
    try:
        with stop_on_signals() as stop:
            conn = connector(lab, secrets, timeout)
            report = plan_run(inventory, sel, conn, workers, progress, stop)
    finally:
        progress.finish()
    if out:
        save_plan(report, out)
    _emit(report, fmt, verbose)
    if report.failed:
        sys.exit(1)
    sys.exit(2 if detailed_exitcode and report.changed else 0)


@click.command("apply")
@inventory_option
@selector_options
@changed_since_option
@with_common
@transport_options
@click.argument(
    "plan_file", required=False, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@journal_option
@click.option(
    "--lock-wait",
    type=float,
    default=0.0,
    show_default=True,
    help="Seconds to wait for another run's lock on a school.",
)
def apply_command(
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
) -> None:
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
        click.echo(f"{exc}: nothing to apply")
        sys.exit(0)
    conn = connector(lab or bool(saved and saved.lab), secrets, timeout)
    if not yes:
        if not sys.stdin.isatty():
            raise ProvisionError("apply changes devices: confirm with --yes when not on a terminal")
        click.confirm(f"Apply to the selected devices of {inventory}?", abort=True)
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
    _emit(report, fmt)
    if report.interrupted:
        _exit_interrupted(report, stop, "provision apply" + (f" {plan_file}" if saved else ""))
    sys.exit(1 if report.failed else 0)


@click.command("rollback")
@click.argument("run_id")
@inventory_option
@with_common
@transport_options
@journal_option
def rollback_command(
    run_id: str,
    inventory: str,
    lab: bool,
    fmt: str,
    secrets: str | None,
    workers: int,
    timeout: float,
    journal_path: str | None,
) -> None:
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
    _emit(report, fmt)
    if report.interrupted:
        _exit_interrupted(report, stop, f"provision rollback {run_id}")
    sys.exit(1 if report.failed else 0)


@click.command("history")
@journal_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("-n", "limit", type=int, default=20, show_default=True, help="How many runs.")
def history_command(journal_path: str | None, as_json: bool, limit: int) -> None:
    """List recent runs of apply and rollback, newest first.

    \b
    Example:
      provision history -n 5
    """
    journal = Journal(journal_path)
    try:
        rows = journal.runs(limit)
    finally:
        journal.close()
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(r) for r in rows], indent=1))
        return
    for r in rows:
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.started))
        counts = ", ".join(f"{v} {k}" for k, v in sorted(r.summary.items()))
        click.echo(f"{r.run_id}  {started}  {r.status:<8} {r.command:<30} {counts}")
