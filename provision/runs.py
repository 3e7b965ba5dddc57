"""plan, apply and rollback as library calls: one code path, dry-run or not.

Each selected device becomes a Nornir host; the converge task runs on all of them with the
threaded runner (device I/O waits on the network, so threads overlap it; beyond ~20 workers
the 2-core machines this runs on lose more to contention than they gain).

Stopping early (Ctrl-C, SIGTERM from a CI runner): `stop_on_signals` turns the first signal
into a stop request while devices may be in flight. Devices being written to finish (or are
put back) and are journaled; devices not yet written to are "not started"; the run is
journaled as interrupted. A second signal exits at once, as a crash would: the journal's
pending rows then say which devices were in flight.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Protocol, runtime_checkable

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
from provision.journal import INTERRUPTED, Journal
from provision.locks import school_locks
from provision.tasks.converge import (
    CHANGED,
    FAILED,
    NOT_STARTED,
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
    interrupted: bool = False  # stopped by a signal: some devices may be NOT_STARTED

    def counts(self) -> dict[str, int]:
        return dict(Counter(o.status for o in self.outcomes))

    @property
    def failed(self) -> list[DeviceOutcome]:
        return [o for o in self.outcomes if o.status in (FAILED, UNREACHABLE, STALE)]

    @property
    def changed(self) -> list[DeviceOutcome]:
        return [o for o in self.outcomes if o.status in (CHANGED, PLANNED)]

    @property
    def not_started(self) -> list[DeviceOutcome]:
        return [o for o in self.outcomes if o.status == NOT_STARTED]


@dataclass(slots=True)
class Stop:
    """A request to stop a run early, set by the handler `stop_on_signals` installs."""

    event: threading.Event = field(default_factory=threading.Event)
    signum: int = 0
    # True while devices may be in flight: a signal then sets `event` and the run winds down.
    # Outside (validating, waiting for a lock) nothing is in flight: it interrupts at once.
    armed: bool = False
    run_id: str | None = None  # for the words said on a second signal

    @contextlib.contextmanager
    def arming(self) -> Iterator[None]:
        self.armed = True
        try:
            yield
        finally:
            self.armed = False


@contextlib.contextmanager
def stop_on_signals(signums: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[Stop]:
    """Handle SIGINT/SIGTERM for one run (call from the main thread, as a CLI does)."""
    stop = Stop()

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.event.is_set():
            os.write(2, b"\nquitting now" + _in_flight_hint(stop.run_id).encode() + b"\n")
            os._exit(128 + signum)
        stop.signum = signum
        if not stop.armed:
            raise KeyboardInterrupt
        stop.event.set()
        os.write(
            2,
            b"\nstopping: devices being worked on are finished, no new device starts"
            b" (signal again to quit at once)\n",
        )

    if threading.current_thread() is not threading.main_thread():
        yield stop  # signals are delivered to the main thread only: nothing to install
        return
    # A signal ignored by whoever started us (nohup, a shell's background job) stays ignored.
    wanted = [s for s in signums if signal.getsignal(s) is not signal.SIG_IGN]
    previous: dict[int, Any] = {s: signal.signal(s, handler) for s in wanted}
    try:
        yield stop
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _in_flight_hint(run_id: str | None) -> str:
    if run_id is None:
        return ""  # no journaled run (plan, or not yet started): nothing was being written
    return (
        f": devices in flight stay pending in the journal; `provision rollback {run_id}`"
        " re-reads them and puts back what they had"
    )


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
    stop: Stop | None = None,
) -> RunReport:
    """Read every selected device and say what apply would change; writes nothing."""
    city, schools = load_for_run(root, selection)
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
    city, schools = load_for_run(root, selection)
    digest = inventory_digest(Path(root), schools)
    if saved_plan is not None and saved_plan.inventory_digest != digest:
        raise InventoryError(
            "the plan is stale: the inventory changed since it was made; plan again"
        )
    report = RunReport("apply", str(root), digest, selection, lab=connector.lab)
    stop = stop or Stop()  # without signal handlers: never set
    with school_locks([s.id for s in schools], wait_s=lock_wait), stop.arming():
        if saved_plan is not None:
            _refuse_stale(city, schools, connector, saved_plan, workers, stop.event)
        planned = {o.device: o for o in saved_plan.changed} if saved_plan else None
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
    status = INTERRUPTED if report.interrupted else "failed" if report.failed else "ok"
    journal.finish_run(report.run_id, status, report.counts())


def _refuse_stale(
    city: City,
    schools: list[School],
    connector: Connector,
    saved: RunReport,
    workers: int,
    stop: threading.Event,
) -> None:
    """Before touching anything, check every planned device still holds what was planned."""
    planned = {o.device: o for o in saved.changed}
    ctx = RunContext(city, connector, dry_run=True, planned=planned, stop=stop)
    outcomes = _run(city, schools, ctx, workers, set(planned))
    if ctx.stopping():
        raise KeyboardInterrupt  # only devices were read: nothing to wind down
    stale = [o for o in outcomes if o.status != PLANNED]
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
    city, schools = load_for_run(root, sel)
    digest = inventory_digest(Path(root), schools)
    report = RunReport("rollback", str(root), digest, sel, lab=connector.lab)
    stop = stop or Stop()
    with school_locks(list(sel.schools)), stop.arming():
        ctx = RunContext(
            city, connector, dry_run=False, forced=forced, restore=restore, on_done=progress
        )
        command = f"rollback {original.run_id}"
        devices = set(forced) | set(restore)
        _journaled_run(report, journal, command, ctx, schools, workers, devices, stop)
    return report
