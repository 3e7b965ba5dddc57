"""The one Nornir task behind plan, apply and rollback: read → diff → apply → read again.

Plan is this task with dry_run: it reads and diffs, and never writes. Apply writes the
changes, re-reads to verify them, journals them, and on failure re-reads and puts back what
had landed (where the device allows). Every device failure becomes a failed result for that
device only; the other devices carry on.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nornir.core.task import Result, Task

from provision.drivers.base import Change, Driver, Settings, Target
from provision.drivers.connect import Connector
from provision.drivers.registry import driver_class
from provision.errors import ProvisionError
from provision.inventory.model import City
from provision.journal import Journal

UNCHANGED, CHANGED, PLANNED = "unchanged", "changed", "would change"
FAILED, UNREACHABLE, STALE = "failed", "unreachable", "stale"


@dataclass(slots=True)
class DeviceOutcome:
    device: str
    kind: str
    status: str
    changes: list[Change] = field(default_factory=list)
    error: str | None = None
    rolled_back: list[Change] = field(default_factory=list)
    state_digest: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "kind": self.kind,
            "status": self.status,
            "changes": [c.to_dict() for c in self.changes],
            "error": self.error,
            "rolled_back": [c.to_dict() for c in self.rolled_back],
            "state_digest": self.state_digest,
        }


def state_digest(settings: Settings) -> str:
    """A fingerprint of what a device held when it was read: a saved plan is stale if the
    device no longer holds exactly this."""
    text = json.dumps(settings, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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
    on_done: Callable[[DeviceOutcome], None] | None = None


def _error(exc: BaseException) -> str:
    if isinstance(exc, ProvisionError | OSError | TimeoutError):
        return str(exc) or type(exc).__name__
    # Anything else is a bug in a driver: keep the device's failure, show where.
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" if frame else ""
    return f"internal error {type(exc).__name__}: {exc}{where}"


def converge(task: Task, ctx: RunContext) -> Result:
    host = task.host
    kind = host.data["kind"]
    school = ctx.city.school(host.data["school"])
    outcome = DeviceOutcome(host.name, kind, UNCHANGED)
    driver: Driver | None = None
    try:
        driver = driver_class(kind)(Target(ctx.city, school, host.data["device"], ctx.connector))
        _converge(driver, outcome, ctx)
    except Exception as exc:  # a device's failure is its own, never the run's
        outcome.status = UNREACHABLE if outcome.status == UNCHANGED else FAILED
        outcome.error = _error(exc)
    finally:
        if driver is not None:
            # Closing a dead session must not mask the device's outcome.
            with contextlib.suppress(Exception):
                driver.close()
        if ctx.on_done:
            ctx.on_done(outcome)
    failed = outcome.status in (FAILED, UNREACHABLE, STALE)
    diff = "\n".join(c.describe() for c in outcome.changes)
    return Result(host, result=outcome, changed=outcome.status == CHANGED, diff=diff, failed=failed)


def _converge(driver: Driver, outcome: DeviceOutcome, ctx: RunContext) -> None:
    current = driver.read()
    outcome.state_digest = state_digest(current)
    outcome.status = "read"
    if ctx.forced is not None:
        changes = ctx.forced.get(outcome.device, [])
    elif ctx.planned is not None:
        planned = ctx.planned.get(outcome.device)
        if planned is None:
            outcome.status = UNCHANGED
            return
        if planned.state_digest != outcome.state_digest:
            outcome.status = STALE
            outcome.error = "the device changed since the plan was made; plan again"
            return
        changes = planned.changes
    else:
        changes = driver.diff(current, driver.desired())
    outcome.changes = changes
    if not changes:
        outcome.status = UNCHANGED
        return
    if ctx.dry_run:
        outcome.status = PLANNED
        return
    try:
        driver.apply(changes)
    except Exception as exc:
        outcome.status = FAILED
        outcome.error = _error(exc)
        if driver.rollback_on_failure:
            _roll_back(driver, current, changes, outcome, ctx)
        else:
            _keep_landed(driver, current, changes, outcome, ctx)
        return
    after = driver.read()
    landed = [c for c in changes if after.get(c.setting) == c.after]
    _journal(ctx, outcome, landed, "applied")
    missed = [c for c in changes if after.get(c.setting) != c.after]
    if missed:
        outcome.status = FAILED
        outcome.error = "not held after apply: " + "; ".join(c.describe() for c in missed)
        return
    outcome.status = CHANGED


def _landed(
    driver: Driver, before: Settings, changes: list[Change], outcome: DeviceOutcome
) -> list[Change] | None:
    """The changes a failed apply did make, from a fresh read (None: could not read)."""
    try:
        now = driver.read()
    except Exception as exc:
        outcome.error = f"{outcome.error}; could not re-read the device: {_error(exc)}"
        return None
    return [
        c for c in changes if now.get(c.setting) == c.after and before.get(c.setting) != c.after
    ]


def _roll_back(
    driver: Driver, before: Settings, changes: list[Change], outcome: DeviceOutcome, ctx: RunContext
) -> None:
    """Put back what landed before the failure, newest first; journal both halves."""
    landed = _landed(driver, before, changes, outcome)
    if not landed:
        return
    _journal(ctx, outcome, landed, "applied")
    undo = [c.reversed() for c in reversed(landed)]
    try:
        driver.apply(undo)
    except Exception as exc:
        outcome.error = f"{outcome.error}; rollback failed: {_error(exc)}"
        return
    outcome.rolled_back = undo
    _journal(ctx, outcome, undo, "rolled_back")


def _keep_landed(
    driver: Driver, before: Settings, changes: list[Change], outcome: DeviceOutcome, ctx: RunContext
) -> None:
    """Settings that stand alone: journal what landed and leave it in place."""
    _journal(ctx, outcome, _landed(driver, before, changes, outcome) or [], "applied")


def _journal(ctx: RunContext, outcome: DeviceOutcome, changes: list[Change], what: str) -> None:
    if ctx.journal is not None and ctx.run_id is not None and changes:
        ctx.journal.record(ctx.run_id, outcome.device, outcome.kind, changes, what)
