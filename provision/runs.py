"""plan, apply and rollback as library calls: one code path, dry-run or not.

Each selected device becomes a Nornir host; the converge task runs on all of them with the
threaded runner (device I/O waits on the network, so threads overlap it; beyond ~20 workers
the 2-core machines this runs on lose more to contention than they gain).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from nornir.core import Nornir
from nornir.plugins.runners import ThreadedRunner

from provision.drivers.base import Change
from provision.drivers.connect import Connector
from provision.drivers.registry import UNMANAGED
from provision.errors import InventoryError
from provision.inventory.loader import school_files
from provision.inventory.model import City, School
from provision.inventory.nornir_plugin import city_to_nornir
from provision.inventory.selectors import Selection
from provision.journal import Journal
from provision.locks import school_locks
from provision.tasks.converge import (
    CHANGED,
    FAILED,
    PLANNED,
    STALE,
    UNREACHABLE,
    DeviceOutcome,
    RunContext,
    converge,
)
from provision.validate import validate

DEFAULT_WORKERS = 20


@dataclass(slots=True)
class RunReport:
    command: str
    inventory: str
    inventory_digest: str
    selection: Selection
    outcomes: list[DeviceOutcome] = field(default_factory=list)
    run_id: str | None = None
    lab: bool = False

    def counts(self) -> dict[str, int]:
        return dict(Counter(o.status for o in self.outcomes))

    @property
    def failed(self) -> list[DeviceOutcome]:
        return [o for o in self.outcomes if o.status in (FAILED, UNREACHABLE, STALE)]

    @property
    def changed(self) -> list[DeviceOutcome]:
        return [o for o in self.outcomes if o.status in (CHANGED, PLANNED)]


@runtime_checkable
class Progress(Protocol):
    """Told the number of devices, then called as each one finishes (from worker threads)."""

    def start(self, total: int) -> None: ...
    def __call__(self, outcome: DeviceOutcome) -> None: ...


def inventory_digest(root: Path, schools: list[School]) -> str:
    """Fingerprint of city.yaml and the selected schools' files: a saved plan made from other
    bytes is stale."""
    digest = hashlib.sha256((root / "city.yaml").read_bytes())
    wanted = {s.id for s in schools}
    for path in school_files(root):
        if path.stem in wanted:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:20]


def load_for_run(root: str | Path, selection: Selection) -> tuple[City, list[School]]:
    """The validated city and the selected schools; refuses an inventory with errors."""
    result = validate(root, only=set(selection.schools) or None)
    if result.errors:
        raise InventoryError(
            f"{root} has {len(result.errors)} error(s); no device was touched", result.errors
        )
    city = result.inventory.city
    assert city is not None
    return city, selection.apply(city)


def _run(
    city: City,
    schools: list[School],
    ctx: RunContext,
    workers: int,
    devices: set[str] | None = None,
) -> list[DeviceOutcome]:
    inventory = city_to_nornir(city, schools)
    for name in list(inventory.hosts):
        host = inventory.hosts[name]
        if host.data["kind"] in UNMANAGED or (devices is not None and name not in devices):
            del inventory.hosts[name]
    if isinstance(ctx.on_done, Progress):
        ctx.on_done.start(len(inventory.hosts))
    nr = Nornir(inventory=inventory, runner=ThreadedRunner(num_workers=workers))
    results = nr.run(task=converge, ctx=ctx)
    outcomes = [multi[0].result for multi in results.values()]
    return sorted(outcomes, key=lambda o: o.device)


def plan(
    root: str | Path,
    selection: Selection,
    connector: Connector,
    workers: int = DEFAULT_WORKERS,
    progress: Progress | None = None,
) -> RunReport:
    """Read every selected device and say what apply would change; writes nothing."""
    city, schools = load_for_run(root, selection)
    report = RunReport(
        "plan", str(root), inventory_digest(Path(root), schools), selection, lab=connector.lab
    )
    ctx = RunContext(city, connector, dry_run=True, on_done=progress)
    report.outcomes = _run(city, schools, ctx, workers)
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
) -> RunReport:
    """Converge the selected devices (or apply exactly a saved plan), journaling each change."""
    city, schools = load_for_run(root, selection)
    digest = inventory_digest(Path(root), schools)
    if saved_plan is not None and saved_plan.inventory_digest != digest:
        raise InventoryError(
            "the plan is stale: the inventory changed since it was made; plan again"
        )
    report = RunReport("apply", str(root), digest, selection, lab=connector.lab)
    with school_locks([s.id for s in schools], wait_s=lock_wait):
        if saved_plan is not None:
            _refuse_stale(city, schools, connector, saved_plan, workers)
        report.run_id = journal.start_run("apply", str(root))
        planned = {o.device: o for o in saved_plan.changed} if saved_plan else None
        ctx = RunContext(
            city,
            connector,
            dry_run=False,
            run_id=report.run_id,
            journal=journal,
            planned=planned,
            on_done=progress,
        )
        devices = set(planned) if planned is not None else None
        report.outcomes = _run(city, schools, ctx, workers, devices)
        journal.finish_run(report.run_id, "failed" if report.failed else "ok", report.counts())
    return report


def _refuse_stale(
    city: City, schools: list[School], connector: Connector, saved: RunReport, workers: int
) -> None:
    """Before touching anything, check every planned device still holds what was planned."""
    planned = {o.device: o for o in saved.changed}
    ctx = RunContext(city, connector, dry_run=True, planned=planned)
    stale = [o for o in _run(city, schools, ctx, workers, set(planned)) if o.status != PLANNED]
    if stale:
        lines = [f"{o.device}: {o.error or o.status}" for o in stale]
        raise InventoryError("the plan is stale; nothing was applied:\n  " + "\n  ".join(lines))


def rollback(
    run_id: str,
    root: str | Path,
    connector: Connector,
    journal: Journal,
    workers: int = DEFAULT_WORKERS,
    progress: Progress | None = None,
) -> RunReport:
    """Put back the before values of every change a run applied (newest first per device)."""
    original = journal.run(run_id)
    per_device: dict[str, list[Change]] = {}
    for device, _kind, change in journal.applied(original.run_id):
        per_device.setdefault(device, []).append(change)
    forced = {d: [c.reversed() for c in reversed(cs)] for d, cs in per_device.items()}
    school_ids = sorted({d.split("/", 1)[0] for d in forced})
    city, schools = load_for_run(root, Selection(schools=tuple(school_ids)))
    report = RunReport(
        "rollback",
        str(root),
        inventory_digest(Path(root), schools),
        Selection(schools=tuple(school_ids)),
        lab=connector.lab,
    )
    with school_locks(school_ids):
        report.run_id = journal.start_run(f"rollback {original.run_id}", str(root))
        ctx = RunContext(
            city,
            connector,
            dry_run=False,
            run_id=report.run_id,
            journal=journal,
            forced=forced,
            on_done=progress,
        )
        report.outcomes = _run(city, schools, ctx, workers, set(forced))
        journal.finish_run(report.run_id, "failed" if report.failed else "ok", report.counts())
    return report
