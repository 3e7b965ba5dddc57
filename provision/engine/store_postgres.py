"""Run state in PostgreSQL, shared by every machine of a team and its pipeline.

The journal's tables live in the database the URL names (a database of its own, or a schema
picked with `?options=-csearch_path%3Dprovision`). Locks are session-level advisory locks
(`pg_advisory_lock`, PostgreSQL 15 manual, §9.27.10 "Advisory Lock Functions") taken on a
connection of their own: the server drops them when that connection ends, so a killed run
never leaves a school locked. Two applies from two machines on one school therefore never
interleave, and `history`/`rollback` see every machine's runs. psycopg 3, autocommit, with
explicit transactions where rows must land together.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from provision.engine.locks import LockBusy
from provision.engine.state_url import redacted
from provision.i18n import _

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS runs (
        run_id TEXT PRIMARY KEY, command TEXT NOT NULL, inventory TEXT NOT NULL,
        started DOUBLE PRECISION NOT NULL, finished DOUBLE PRECISION, status TEXT NOT NULL,
        "user" TEXT, summary TEXT, pid INTEGER, host TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS changes (
        id BIGSERIAL PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs(run_id),
        device TEXT NOT NULL, kind TEXT NOT NULL, setting TEXT NOT NULL,
        before TEXT, after TEXT, at DOUBLE PRECISION NOT NULL, outcome TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS changes_run ON changes(run_id, device)",
]
# Concurrent CREATE TABLE IF NOT EXISTS can collide in the catalog: first comers queue here.
SCHEMA_LOCK = int.from_bytes(hashlib.sha256(b"provision:schema").digest()[:8], "big", signed=True)
CONNECT_TIMEOUT_S = 10


def lock_key(school: str) -> int:
    """The 64-bit advisory lock key of a school (the namespace keeps other apps' keys apart)."""
    digest = hashlib.sha256(f"provision:school:{school}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresStore:
    errors: tuple[type[BaseException], ...] = (psycopg.Error,)

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = redacted(url)
        self._db = _connect(url)
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            for statement in SCHEMA:
                self._db.execute(statement)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._db.execute(_dialect(sql), params)
        return cursor.fetchall() if cursor.description else []

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._db.cursor() as cursor:
            cursor.executemany(_dialect(sql), rows)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self._db.transaction():
            yield

    @contextlib.contextmanager
    def school_locks(self, schools: list[str], wait_s: float) -> Iterator[None]:
        with _connect(self.url) as conn:  # closing it releases every lock it holds
            for school in sorted(set(schools)):
                if not _advisory_lock(conn, lock_key(school), wait_s):
                    text = _(
                        "school {school} is locked by another run ({holder}); "
                        "wait for it or pass --lock-wait SECONDS"
                    )
                    holder = _holder(conn, lock_key(school))
                    raise LockBusy(text.format(school=school, holder=holder))
            yield

    def close(self) -> None:
        self._db.close()


def _connect(url: str) -> psycopg.Connection[Any]:
    name = f"provision pid {os.getpid()} on {socket.gethostname()}"[:63]
    return psycopg.connect(
        url, autocommit=True, application_name=name, connect_timeout=CONNECT_TIMEOUT_S
    )


def _dialect(sql: str) -> str:
    """The journal writes `?` parameters (SQLite's); psycopg takes `%s`."""
    return sql.replace("?", "%s")


def _advisory_lock(conn: psycopg.Connection[Any], key: int, wait_s: float) -> bool:
    """Take a session lock: at once, or waiting up to `wait_s` in the server (lock_timeout),
    not polling from here."""
    if wait_s <= 0:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        return bool(row and row[0])
    conn.execute(f"SET lock_timeout = {max(1, round(wait_s * 1000))}")
    try:
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
    except pg_errors.LockNotAvailable:
        return False
    finally:
        conn.execute("RESET lock_timeout")
    return True


def _holder(conn: psycopg.Connection[Any], key: int) -> str:
    """Who holds a school's lock, as its connection named itself (pid and host)."""
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    row = conn.execute(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
        " AND l.classid::bigint = %s AND l.objid::bigint = %s",
        (unsigned >> 32, unsigned & 0xFFFFFFFF),
    ).fetchone()
    return str(row[0]) if row and row[0] else "holder unknown"
