"""The one Nornir task behind plan, apply and rollback: read → diff → apply → read again.

Plan is this task with dry_run: it reads and diffs, and never writes. Apply journals its
intent (the changes as pending, synced), writes the changes, re-reads to verify them and
settles the journal rows, and on failure re-reads and puts back what had landed (where the
device allows). Every device failure becomes a failed result for that device only; the other
devices carry on. Once the run's stop event is set (Ctrl-C), a device not yet being written
is left alone ("not started"); one being written is finished and journaled.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nornir.core.task import Result, Task

from provision.drivers.base import Change, Driver, Settings, Target
from provision.drivers.connect import Connector
from provision.drivers.registry import driver_class
from provision.engine.journal import Journal, Row
from provision.engine.outcome import DeviceOutcome, Status, state_digest
from provision.errors import describe_error
from provision.i18n import _
from provision.inventory.model import City


@dataclass(slots=True)
class RunContext:
    city: City
    connector: Connector
    dry_run: bool
    run_id: str | None = None
    journal: Journal | None = None
    # From a saved plan: exactly these changes per device, if its state digest still matches.
    planned: dict[str, DeviceOutcome] | None = None
    # Rollback: exactly these changes per device, no diff.
    forced: dict[str, list[Change]] | None = None
    # Rollback of devices a run died working on: put back these before values (setting ->
    # value, newest intent first) wherever the device, read again, differs from them.
    restore: dict[str, dict[str, Any]] | None = None
    on_done: Callable[[DeviceOutcome], None] | None = None
    # Set from a signal handler: devices not yet being written to are not started.
    stop: threading.Event | None = None

    def stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()


def converge(task: Task, ctx: RunContext) -> Result:
    host = task.host
    kind = host.data["kind"]
    if ctx.stopping():
        # The threaded runner starts every queued host even after Ctrl-C: say so, touch nothing.
        return Result(host, result=DeviceOutcome(host.name, kind, Status.NOT_STARTED))
    school = ctx.city.school(host.data["school"])
    outcome = DeviceOutcome(host.name, kind, Status.UNCHANGED)
    driver: Driver | None = None
    try:
        driver = driver_class(kind, host.data["protocol"])(
            Target(ctx.city, school, host.data["device"], ctx.connector)
        )
        _converge(driver, outcome, ctx)
    except Exception as exc:  # a device's failure is its own, never the run's
        outcome.status = Status.UNREACHABLE if outcome.status == Status.UNCHANGED else Status.FAILED
        outcome.error = describe_error(exc)
    finally:
        if driver is not None:
            # Closing a dead session must not mask the device's outcome.
            with contextlib.suppress(Exception):
                driver.close()
        if ctx.on_done:
            ctx.on_done(outcome)
    diff = "\n".join(c.describe() for c in outcome.changes)
    changed = outcome.status == Status.CHANGED
    return Result(host, result=outcome, changed=changed, diff=diff, failed=outcome.status.failed)


def _converge(driver: Driver, outcome: DeviceOutcome, ctx: RunContext) -> None:
    current = driver.read()
    outcome.state_digest = state_digest(current)
    outcome.status = Status.READ
    if ctx.forced is not None or ctx.restore is not None:
        changes = _rollback_changes(outcome.device, current, ctx)
    elif ctx.planned is not None:
        planned = ctx.planned.get(outcome.device)
        if planned is None:
            outcome.status = Status.UNCHANGED
            return
        if planned.state_digest != outcome.state_digest:
            outcome.status = Status.STALE
            outcome.error = "the device changed since the plan was made; plan again"
            return
        changes = planned.changes
    else:
        changes = driver.diff(current, driver.desired())
    outcome.changes = changes
    if not changes:
        outcome.status = Status.UNCHANGED
        return
    if ctx.dry_run:
        outcome.status = Status.PLANNED
        return
    # Intent first, synced: if the process dies from here on, the journal says this device
    # was in flight, and rollback knows what to check.
    if not _journal_intent(ctx, outcome, changes):
        # Stopped while this device was being read: nothing was written yet, leave it so.
        outcome.status, outcome.changes = Status.NOT_STARTED, []
        return
    try:
        driver.apply(changes)
    except Exception as exc:
        outcome.status = Status.FAILED
        outcome.error = describe_error(exc)
        if driver.rollback_on_failure:
            _roll_back(driver, current, changes, outcome, ctx)
        else:
            _keep_landed(driver, current, changes, outcome, ctx)
        return
    try:
        after = driver.read()
    except Exception as exc:
        # Written but not verified: the rows stay pending, as after a crash, so rollback
        # re-reads the device rather than trusting either value.
        outcome.status = Status.FAILED
        outcome.error = _("applied, but could not read it back to verify: {reason}").format(
            reason=describe_error(exc)
        )
        return
    landed = [c for c in changes if after.get(c.setting) == c.after]
    _settle(ctx, outcome, landed)
    missed = [c for c in changes if after.get(c.setting) != c.after]
    if missed:
        outcome.status = Status.FAILED
        outcome.error = "not held after apply: " + "; ".join(c.describe() for c in missed)
        return
    outcome.status = Status.CHANGED


def _rollback_changes(device: str, current: Settings, ctx: RunContext) -> list[Change]:
    """The changes of a rollback: the reversed changes the run applied, then the before
    values of the changes it was making when it died, where the device differs from them."""
    changes = list((ctx.forced or {}).get(device, []))
    for setting, before in (ctx.restore or {}).get(device, {}).items():
        if current.get(setting) != before:
            changes.append(Change(setting, current.get(setting), before))
    return changes


def _landed(
    driver: Driver, before: Settings, changes: list[Change], outcome: DeviceOutcome
) -> list[Change] | None:
    """The changes a failed apply did make, from a fresh read (None: could not read)."""
    try:
        now = driver.read()
    except Exception as exc:
        outcome.error = _("{error}; could not re-read the device: {reason}").format(
            error=outcome.error, reason=describe_error(exc)
        )
        return None
    return [
        c for c in changes if now.get(c.setting) == c.after and before.get(c.setting) != c.after
    ]


def _roll_back(
    driver: Driver, before: Settings, changes: list[Change], outcome: DeviceOutcome, ctx: RunContext
) -> None:
    """Put back what landed before the failure, newest first; journal both halves."""
    landed = _landed(driver, before, changes, outcome)
    if landed is None:
        return  # unknown: the rows stay pending, for rollback to re-read
    _settle(ctx, outcome, landed)
    if not landed:
        return
    undo = [c.reversed() for c in reversed(landed)]
    try:
        driver.apply(undo)
    except Exception as exc:
        outcome.error = _("{error}; rollback failed: {reason}").format(
            error=outcome.error, reason=describe_error(exc)
        )
        return
    outcome.rolled_back = undo
    _journal(ctx, outcome, undo, Row.ROLLED_BACK)


def _keep_landed(
    driver: Driver, before: Settings, changes: list[Change], outcome: DeviceOutcome, ctx: RunContext
) -> None:
    """Settings that stand alone: journal what landed and leave it in place."""
    landed = _landed(driver, before, changes, outcome)
    if landed is not None:
        _settle(ctx, outcome, landed)


def _journal_intent(ctx: RunContext, outcome: DeviceOutcome, changes: list[Change]) -> bool:
    """Journal the device's intent unless the run was stopped (then False: do not start it)."""
    if ctx.journal is not None and ctx.run_id is not None:
        return ctx.journal.intend(ctx.run_id, outcome.device, outcome.kind, changes, ctx.stop)
    return not ctx.stopping()


def _settle(ctx: RunContext, outcome: DeviceOutcome, landed: list[Change]) -> None:
    if ctx.journal is not None and ctx.run_id is not None:
        ctx.journal.settle(ctx.run_id, outcome.device, landed)


def _journal(ctx: RunContext, outcome: DeviceOutcome, changes: list[Change], what: Row) -> None:
    if ctx.journal is not None and ctx.run_id is not None and changes:
        ctx.journal.record(ctx.run_id, outcome.device, outcome.kind, changes, what)
