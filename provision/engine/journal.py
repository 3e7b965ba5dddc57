"""The journal: every change of every run, written durably before a run reports success.

Kept by a state store (engine/store.py): a SQLite file by default, or PostgreSQL shared by a
team (`--state postgresql://…`); a row that was written survives a power cut or a SIGKILL
either way. One row per run and one per change (device, setting, before, after, time, outcome),
so `provision rollback RUN` can restore the before values and `provision history` can list
runs. A device's changes are written as "pending" (the intent) before the device is touched,
and settled in one transaction once it has been read back: after a crash, a device's rows are
either all pending (it was in flight; what landed is unknown) or all settled. Values are
settings as drivers report them: never a secret (see drivers/base.py).
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from provision.drivers.base import Change
from provision.engine.state_url import DEFAULT_PATH, is_postgres, redacted, state_location
from provision.engine.store import StateStore, StoreUnusable, open_store
from provision.errors import ProvisionError
from provision.i18n import _

__all__ = ["DEFAULT_PATH", "Journal", "JournalError", "Row", "RunRow"]


class Row(StrEnum):
    """Outcome of a change row. PENDING: written before the device is touched; APPLIED or
    NOT_APPLIED (intended, did not land) replace it once the device has been read back;
    ROLLED_BACK rows are the undo a failed apply wrote."""

    PENDING = "pending"
    APPLIED = "applied"
    NOT_APPLIED = "not_applied"
    ROLLED_BACK = "rolled_back"


# Run statuses besides ok/failed: RUNNING while its process works; INTERRUPTED when stopped by
# a signal, or found RUNNING after its process is gone (killed, crashed, power cut).
RUNNING, INTERRUPTED = "running", "interrupted"


@dataclass(frozen=True, slots=True)
class RunRow:
    run_id: str
    command: str
    inventory: str
    started: float
    finished: float | None
    status: str
    user: str
    summary: dict[str, Any]
    pid: int | None = None
    host: str = ""


class JournalError(ProvisionError):
    """The journal is not a readable, writable provision journal (or cannot be reached)."""

    def __init__(self, path: str | Path, exc: BaseException) -> None:
        where = str(path)
        what = " ".join(str(exc).split()) or type(exc).__name__
        if is_postgres(where):
            password = urlsplit(where).password
            what = what.replace(password, "***") if password else what
            text = _(
                "{where}: the journal cannot be used ({what}). Nothing was changed. Check that "
                "the server answers and the user may create tables in that database"
            )
            super().__init__(text.format(where=redacted(where), what=what))
            return
        text = _(
            "{path}: the journal cannot be used ({what}). Nothing was changed. If the file is "
            "damaged, move it aside (mv {path} {path}.damaged) and run again: a new journal "
            "starts empty, and rollback of earlier runs needs the old one"
        )
        super().__init__(text.format(path=path, what=what))


class Journal:
    """Thread-safe: Nornir runs devices in threads, each recording its own changes.

    `location`: a SQLite path or a postgresql:// URL (engine/store.py says the defaults)."""

    def __init__(self, location: str | Path | None = None) -> None:
        self.where = state_location(location)
        self._lock = threading.Lock()
        self._errors: tuple[type[BaseException], ...] = (json.JSONDecodeError, OSError)
        with self._guard():
            self._db: StateStore = open_store(self.where)
        self._errors += self._db.errors
        self.where = self._db.where  # without a password

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """A journal that cannot be read or written is the user's to fix, said in one line
        naming it; never a traceback (and, before a run, no device is touched)."""
        try:
            yield
        except StoreUnusable as exc:
            raise JournalError(self.where, exc.__cause__ or exc) from None
        except self._errors as exc:
            raise JournalError(self.where, exc) from None

    @contextlib.contextmanager
    def school_locks(self, schools: list[str], wait_s: float = 0.0) -> Iterator[None]:
        """The schools' locks where this journal lives: flocks beside a SQLite journal,
        advisory locks in PostgreSQL (so runs on other machines wait too)."""
        with contextlib.ExitStack() as held:
            with self._guard():
                held.enter_context(self._db.school_locks(schools, wait_s))
            yield

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock, self._guard():
            yield

    def close(self) -> None:
        self._db.close()

    def start_run(self, command: str, inventory: str) -> str:
        run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
        with self._locked():
            self._db.query(
                'INSERT INTO runs (run_id, command, inventory, started, status, "user", pid, host)'
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    command,
                    inventory,
                    time.time(),
                    RUNNING,
                    _user(),
                    os.getpid(),
                    socket.gethostname(),
                ),
            )
        return run_id

    def record(
        self, run_id: str, device: str, kind: str, changes: list[Change], outcome: Row
    ) -> None:
        """Record changes of one device in one transaction (committed and synced on return)."""
        with self._locked():
            self._insert(run_id, device, kind, changes, outcome)

    def intend(
        self,
        run_id: str,
        device: str,
        kind: str,
        changes: list[Change],
        unless: threading.Event | None = None,
    ) -> bool:
        """Before a device is touched: its changes as pending rows, synced on return. Not
        written (False) once `unless` is set: checked under the journal's lock, so after a
        run's stop event is set, at most the one device already writing its intent goes on."""
        with self._locked():
            if unless is not None and unless.is_set():
                return False
            self._insert(run_id, device, kind, changes, Row.PENDING)
        return True

    def _insert(
        self, run_id: str, device: str, kind: str, changes: list[Change], outcome: Row
    ) -> None:
        now = time.time()
        rows = [
            (
                run_id,
                device,
                kind,
                c.setting,
                json.dumps(c.before, ensure_ascii=False),
                json.dumps(c.after, ensure_ascii=False),
                now,
                outcome,
            )
            for c in changes
        ]
        with self._db.transaction():
            self._db.execute_many(
                "INSERT INTO changes (run_id, device, kind, setting, before, after, at,"
                " outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def settle(self, run_id: str, device: str, landed: list[Change]) -> None:
        """After a device was read back: its pending rows become applied (the settings in
        `landed`) or not_applied, all in one transaction, so a crash never leaves a device
        half settled."""
        names = [(run_id, device, c.setting) for c in landed]
        with self._locked(), self._db.transaction():
            self._db.execute_many(
                "UPDATE changes SET outcome = ? WHERE run_id = ? AND device = ?"
                " AND setting = ? AND outcome = ?",
                [(Row.APPLIED, *name, Row.PENDING) for name in names],
            )
            self._db.query(
                "UPDATE changes SET outcome = ? WHERE run_id = ? AND device = ? AND outcome = ?",
                (Row.NOT_APPLIED, run_id, device, Row.PENDING),
            )

    def finish_run(self, run_id: str, status: str, summary: dict[str, Any]) -> None:
        with self._locked():
            self._db.query(
                "UPDATE runs SET finished = ?, status = ?, summary = ? WHERE run_id = ?",
                (time.time(), status, json.dumps(summary), run_id),
            )

    def runs(self, limit: int = 50) -> list[RunRow]:
        """Newest first. A run still marked running whose process is gone is reported (and
        from then on recorded) as interrupted, with the count of its devices by outcome."""
        with self._locked():
            rows = self._db.query(
                f"SELECT {RUN_FIELDS} FROM runs ORDER BY started DESC LIMIT ?", (limit,)
            )
        with self._guard():
            return [self._mark_if_abandoned(_run_row(r)) for r in rows]

    def _mark_if_abandoned(self, run: RunRow) -> RunRow:
        if run.status != RUNNING or not _abandoned(run):
            return run
        summary = self.device_outcomes(run.run_id)
        # Recorded, so that a later process reusing the pid cannot make it look alive; a
        # journal this user may only read still lists it as interrupted.
        with contextlib.suppress(JournalError), self._locked():
            self._db.query(
                "UPDATE runs SET status = ?, summary = ? WHERE run_id = ? AND status = ?",
                (INTERRUPTED, json.dumps(summary), run.run_id, RUNNING),
            )
        return replace(run, status=INTERRUPTED, summary=summary)

    def device_outcomes(self, run_id: str) -> dict[str, int]:
        """Devices of a run by how far they got: in flight (pending rows) or settled."""
        with self._locked():
            rows = self._db.query(
                "SELECT device, MAX(CASE WHEN outcome = ? THEN 1 ELSE 0 END) FROM changes"
                " WHERE run_id = ? GROUP BY device",
                (Row.PENDING, run_id),
            )
        in_flight = sum(1 for _, pending in rows if pending)
        counts = {"in flight": in_flight, "finished": len(rows) - in_flight}
        return {k: v for k, v in counts.items() if v}

    def run(self, run_id: str) -> RunRow:
        for row in self.runs(limit=100000):
            if row.run_id == run_id or row.run_id.endswith(run_id):
                return row
        text = _("no run {run_id!r} in {where}; `provision history` lists runs")
        raise ProvisionError(text.format(run_id=run_id, where=self.where))

    def applied(self, run_id: str) -> Iterator[tuple[str, str, Change]]:
        """(device, kind, change) of every change a run applied, in the order applied."""
        yield from self._changes(run_id, Row.APPLIED)

    def pending(self, run_id: str) -> Iterator[tuple[str, str, Change]]:
        """(device, kind, change) a run meant to make on devices it was still working on when
        it died: whether each landed is unknown until the device is read again."""
        yield from self._changes(run_id, Row.PENDING)

    def _changes(self, run_id: str, outcome: Row) -> Iterator[tuple[str, str, Change]]:
        with self._locked():
            rows = self._db.query(
                "SELECT device, kind, setting, before, after FROM changes"
                " WHERE run_id = ? AND outcome = ? ORDER BY id",
                (run_id, outcome),
            )
        with self._guard():
            changes = [
                (device, kind, Change(setting, json.loads(before), json.loads(after)))
                for device, kind, setting, before, after in rows
            ]
        yield from changes

    def copy_to(self, dest: Journal) -> tuple[int, int]:
        """Copy every run (with its change rows, in their order) that `dest` lacks: each run
        in one transaction, so copying again after an interruption copies only the rest.
        Returns (runs, changes) copied."""
        with self._locked():
            runs = self._db.query(f"SELECT {RUN_FIELDS} FROM runs ORDER BY started")
        with dest._locked():
            have = {row[0] for row in dest._db.query("SELECT run_id FROM runs")}
        copied = [0, 0]
        for run in runs:
            if run[0] in have:
                continue
            with self._locked():
                changes = self._db.query(
                    f"SELECT {CHANGE_FIELDS} FROM changes WHERE run_id = ? ORDER BY id", (run[0],)
                )
            with dest._locked(), dest._db.transaction():
                dest._db.query(
                    f"INSERT INTO runs ({RUN_FIELDS}) VALUES ({_marks(RUN_FIELDS)})", run
                )
                dest._db.execute_many(
                    f"INSERT INTO changes ({CHANGE_FIELDS}) VALUES ({_marks(CHANGE_FIELDS)})",
                    changes,
                )
            copied[0] += 1
            copied[1] += len(changes)
        return copied[0], copied[1]


RUN_FIELDS = 'run_id, command, inventory, started, finished, status, "user", summary, pid, host'
CHANGE_FIELDS = "run_id, device, kind, setting, before, after, at, outcome"


def _marks(fields: str) -> str:
    return ", ".join("?" for _ in fields.split(","))


def _run_row(r: Any) -> RunRow:
    return RunRow(
        run_id=r[0],
        command=r[1],
        inventory=r[2],
        started=r[3],
        finished=r[4],
        status=r[5],
        user=r[6] or "",
        summary=json.loads(r[7] or "{}"),
        pid=r[8],
        host=r[9] or "",
    )


def _abandoned(run: RunRow) -> bool:
    """Whether the process that ran a run is gone. Only a process on this machine can be
    checked; runs from before pids were recorded, or from other hosts, stay as they are."""
    if run.pid is None or run.host != socket.gethostname():
        return False
    return not _process_alive(run.pid, run.started)


def _process_alive(pid: int, started: float) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: it exists
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            return False  # killed, not yet reaped by its parent
        # The pid was reused if its process began after the run had started.
        ticks = int(fields[19])
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        return boot + ticks / os.sysconf("SC_CLK_TCK") <= started + 1.0
    except (OSError, ValueError, IndexError, StopIteration):
        return True  # no /proc (macOS): the pid exists, assume it is ours


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
