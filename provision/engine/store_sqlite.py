"""Run state in a SQLite file on this machine: the embedded default.

WAL mode with synchronous=FULL: a row that was written survives a power cut or a SIGKILL.
Locks are `flock`s per school under PROVISION_LOCK_DIR (engine/locks.py), released by the
kernel when their holder exits.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from provision.engine.locks import school_locks

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
# Added after the first release: journals written before then gain them on open.
RUN_COLUMNS = {"pid": "INTEGER", "host": "TEXT"}


class SqliteStore:
    errors: tuple[type[BaseException], ...] = (sqlite3.DatabaseError, OSError)

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        have = {row[1] for row in self._db.execute("PRAGMA table_info(runs)")}
        for name, sql_type in RUN_COLUMNS.items():
            if name not in have:
                self._db.execute(f"ALTER TABLE runs ADD COLUMN {name} {sql_type}")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._db.execute(sql, params).fetchall()

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._db.executemany(sql, rows)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")  # the write lock now, not at the first write
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def school_locks(
        self, schools: list[str], wait_s: float
    ) -> contextlib.AbstractContextManager[None]:
        return school_locks(schools, wait_s=wait_s)

    def close(self) -> None:
        self._db.close()
