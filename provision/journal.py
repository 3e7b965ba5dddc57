"""The journal: every change of every run, written durably before a run reports success.

SQLite in WAL mode with synchronous=FULL: a change that was reported applied survives a power
cut. One row per run and one per change (device, setting, before, after, time, outcome), so
`provision rollback RUN` can restore the before values and `provision history` can list runs.
Values are settings as drivers report them: never a secret (see drivers/base.py).
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provision.drivers.base import Change
from provision.errors import ProvisionError

DEFAULT_PATH = ".provision/journal.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, command TEXT NOT NULL, inventory TEXT NOT NULL,
    started REAL NOT NULL, finished REAL, status TEXT NOT NULL, user TEXT, summary TEXT
);
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL REFERENCES runs(run_id),
    device TEXT NOT NULL, kind TEXT NOT NULL, setting TEXT NOT NULL,
    before TEXT, after TEXT, at REAL NOT NULL, outcome TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_run ON changes(run_id, device);
"""


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


def journal_path(path: str | Path | None = None) -> Path:
    return Path(path or os.environ.get("PROVISION_JOURNAL") or DEFAULT_PATH)


class Journal:
    """Thread-safe: Nornir runs devices in threads, each recording its own changes."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = journal_path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def start_run(self, command: str, inventory: str) -> str:
        run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
        with self._lock:
            self._db.execute(
                "INSERT INTO runs (run_id, command, inventory, started, status, user)"
                " VALUES (?, ?, ?, ?, 'running', ?)",
                (run_id, command, inventory, time.time(), _user()),
            )
        return run_id

    def record(
        self, run_id: str, device: str, kind: str, changes: list[Change], outcome: str
    ) -> None:
        """Record changes of one device in one transaction (committed and synced on return)."""
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
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT INTO changes (run_id, device, kind, setting, before, after, at, outcome)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._db.execute("COMMIT")

    def finish_run(self, run_id: str, status: str, summary: dict[str, Any]) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE runs SET finished = ?, status = ?, summary = ? WHERE run_id = ?",
                (time.time(), status, json.dumps(summary), run_id),
            )

    def runs(self, limit: int = 50) -> list[RunRow]:
        with self._lock:
            rows = self._db.execute(
                "SELECT run_id, command, inventory, started, finished, status, user, summary"
                " FROM runs ORDER BY started DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            RunRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6] or "", json.loads(r[7] or "{}"))
            for r in rows
        ]

    def run(self, run_id: str) -> RunRow:
        for row in self.runs(limit=100000):
            if row.run_id == run_id or row.run_id.endswith(run_id):
                return row
        raise ProvisionError(f"no run {run_id!r} in {self.path}; `provision history` lists runs")

    def applied(self, run_id: str) -> Iterator[tuple[str, str, Change]]:
        """(device, kind, change) of every change a run applied, in the order applied."""
        with self._lock:
            rows = self._db.execute(
                "SELECT device, kind, setting, before, after FROM changes"
                " WHERE run_id = ? AND outcome = 'applied' ORDER BY id",
                (run_id,),
            ).fetchall()
        for device, kind, setting, before, after in rows:
            yield device, kind, Change(setting, json.loads(before), json.loads(after))


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
