"""plan, apply and rollback as library calls: one code path, dry-run or not.

Each selected device runs the converge task (`engine.converge`) through `run_task`, the one
Nornir run this package and verify share. Stopping early (Ctrl-C, SIGTERM from a CI runner) is
`engine.signals`: devices being written to finish (or are put back) and are journaled; devices
not yet written to are "not started"; the run is journaled as interrupted.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from provision.drivers.base import Change
from provision.drivers.connect import Connector
from provision.engine.converge import RunContext, converge
from provision.engine.journal import INTERRUPTED, Journal
from provision.engine.nornir_run import DEFAULT_WORKERS, run_task, task_results
from provision.engine.outcome import DeviceOutcome, Status
from provision.engine.replan import plan_differences
from provision.engine.signals import Stop
from provision.errors import InventoryError
from provision.inventory.loader import inventory_digest
from provision.inventory.model import City, School
from provision.inventory.selectors import Selection
from provision.validate import load_valid

__all__ = ["DEFAULT_WORKERS", "Progress", "RunReport", "apply", "plan", "rollback"]


@dataclass(slots=True)
class RunReport:
    command: str
    inventory: str
    inventory_digest: str
    selection: Selection
    outcomes: list[DeviceOutcome] = field(default_factory=list)
    run_id: str | None = None
    lab: bool = False
    interrupted: bool = False  # stopped by a signal: some devices may be NOT_STARTED
    stopped_at: float | None = None  # when the stop was taken (time.time())

    def counts(self) -> dict[str, int]:
        return {str(status): n for status, n in Counter(o.status for o in self.outcomes).items()}

    @property
    def failed(self) -> list[DeviceOutcome]:
        return [o for o in self.outcomes if o.status.failed]

    @property
    def changed(self) -> list[DeviceOutcome]:
        return [o for o in self.outcomes if o.status.changed]

    @property
    def not_started(self) -> list[DeviceOutcome]:
        return [o for o in self.outcomes if o.status == Status.NOT_STARTED]


@runtime_checkable
class Progress(Protocol):
    """Told the number of devices, then called as each one finishes (from worker threads)."""

    def start(self, total: int) -> None: ...
    def __call__(self, outcome: DeviceOutcome) -> None: ...


def _run(
    city: City,
    schools: list[School],
    ctx: RunContext,
    workers: int,
    devices: set[str] | None = None,
) -> list[DeviceOutcome]:
    """The converge task on the devices; each device's outcome, sorted by device."""
    on_start = ctx.on_done.start if isinstance(ctx.on_done, Progress) else None
    results = run_task(
        city,
        schools,
        converge,
        workers=workers,
        devices=devices,
        on_start=on_start,
        deadline_s=ctx.connector.deadline,
        ctx=ctx,
    )
    return task_results(results)


def plan(
    root: str | Path,
    selection: Selection,
    connector: Connector,
    workers: int = DEFAULT_WORKERS,
    progress: Progress | None = None,
    stop: Stop | None = None,
) -> RunReport:
    """Read every selected device and say what apply would change; writes nothing."""
    city, schools = load_valid(root, selection)
    report = RunReport(
        "plan", str(root), inventory_digest(Path(root), schools), selection, lab=connector.lab
    )
    stop = stop or Stop()
    ctx = RunContext(city, connector, dry_run=True, on_done=progress, stop=stop.event)
    with stop.arming():
        report.outcomes = _run(city, schools, ctx, workers)
    if ctx.stopping():
        raise KeyboardInterrupt  # a partial plan is no plan: say nothing, save nothing
    return report


def apply(
    root: str | Path,
    selection: Selection,
    connector: Connector,
    journal: Journal,
    saved_plan: RunReport | None = None,
    workers: int = DEFAULT_WORKERS,
    lock_wait: float = 0.0,
    progress: Progress | None = None,
    stop: Stop | None = None,
) -> RunReport:
    """Converge the selected devices (or apply exactly a saved plan), journaling each change."""
    city, schools = load_valid(root, selection)
    digest = inventory_digest(Path(root), schools)
    if saved_plan is not None and saved_plan.inventory_digest != digest:
        raise InventoryError(
            "the plan is stale: the inventory changed since it was made; plan again"
        )
    report = RunReport("apply", str(root), digest, selection, lab=connector.lab)
    stop = stop or Stop()  # without signal handlers: never set
    with journal.school_locks([s.id for s in schools], lock_wait), stop.arming():
        planned = (
            _replan_as_saved(city, schools, connector, saved_plan, workers, stop.event)
            if saved_plan is not None
            else None
        )
        ctx = RunContext(city, connector, dry_run=False, planned=planned, on_done=progress)
        devices = set(planned) if planned is not None else None
        _journaled_run(report, journal, "apply", ctx, schools, workers, devices, stop)
    return report


def _journaled_run(
    report: RunReport,
    journal: Journal,
    command: str,
    ctx: RunContext,
    schools: list[School],
    workers: int,
    devices: set[str] | None,
    stop: Stop,
) -> None:
    """Run the devices under a journaled run; a stop request winds it down as interrupted."""
    report.run_id = ctx.run_id = stop.run_id = journal.start_run(command, report.inventory)
    ctx.journal, ctx.stop = journal, stop.event
    report.outcomes = _run(ctx.city, schools, ctx, workers, devices)
    report.interrupted = ctx.stopping()
    report.stopped_at = stop.at if report.interrupted else None
    status = INTERRUPTED if report.interrupted else "failed" if report.failed else "ok"
    journal.finish_run(report.run_id, status, report.counts())


def _replan_as_saved(
    city: City,
    schools: list[School],
    connector: Connector,
    saved: RunReport,
    workers: int,
    stop: threading.Event,
) -> dict[str, DeviceOutcome]:
    """Plan again, read-only, and refuse unless the saved plan is exactly that plan: a plan
    file edited by hand, or made before the devices or the inventory changed, applies
    nothing. Returns the devices to change, as planned now (the same changes)."""
    ctx = RunContext(city, connector, dry_run=True, stop=stop)
    fresh = _run(city, schools, ctx, workers)
    if ctx.stopping():
        raise KeyboardInterrupt  # only devices were read: nothing to wind down
    differences = plan_differences(saved.outcomes, fresh)
    if differences:
        raise InventoryError(
            "the plan is stale: it is not what the inventory and the devices give now, so "
            "nothing was applied; plan again and review that plan:\n  " + "\n  ".join(differences)
        )
    return {o.device: o for o in fresh if o.status.changed}


def rollback(
    run_id: str,
    root: str | Path,
    connector: Connector,
    journal: Journal,
    workers: int = DEFAULT_WORKERS,
    progress: Progress | None = None,
    stop: Stop | None = None,
) -> RunReport:
    """Put back the before values of every change a run applied (newest first per device);
    on devices it died working on (pending in the journal), re-read and put back the before
    values wherever the device differs from them."""
    original = journal.run(run_id)
    per_device: dict[str, list[Change]] = {}
    for device, _kind, change in journal.applied(original.run_id):
        per_device.setdefault(device, []).append(change)
    forced = {d: [c.reversed() for c in reversed(cs)] for d, cs in per_device.items()}
    restore: dict[str, dict[str, Any]] = {}
    for device, _kind, change in reversed(list(journal.pending(original.run_id))):
        restore.setdefault(device, {})[change.setting] = change.before
    sel = Selection(schools=tuple(sorted({d.split("/", 1)[0] for d in [*forced, *restore]})))
    city, schools = load_valid(root, sel)
    digest = inventory_digest(Path(root), schools)
    report = RunReport("rollback", str(root), digest, sel, lab=connector.lab)
    stop = stop or Stop()
    with journal.school_locks(list(sel.schools)), stop.arming():
        ctx = RunContext(
            city, connector, dry_run=False, forced=forced, restore=restore, on_done=progress
        )
        command = f"rollback {original.run_id}"
        devices = set(forced) | set(restore)
        _journaled_run(report, journal, command, ctx, schools, workers, devices, stop)
    return report
