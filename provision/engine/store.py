"""Where run state lives: the journal's tables and the schools' locks, behind one contract.

Two backends keep it: SQLite on this machine (`store_sqlite`, the embedded default: a file and
`flock`s) and PostgreSQL shared by a team and its pipeline (`store_postgres`: tables and
advisory locks held by the connection). The journal speaks SQL that both run (`?` parameters,
no dialect beyond standard SQL); each backend owns its schema, transactions and locks.

The location is one string: a `postgresql://` (or `postgres://`) URL picks PostgreSQL,
anything else is a SQLite file path. It comes from `--state`/`--journal`, else
`PROVISION_STATE`, else `PROVISION_JOURNAL`, else `.provision/journal.sqlite`.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from provision.engine.state_url import is_postgres, redacted, state_location
from provision.errors import ProvisionError


class StateStore(Protocol):
    """One connection to run state, used under the journal's thread lock."""

    where: str  # the location as a user may see it: never a password
    errors: tuple[type[BaseException], ...]  # what the backend raises for unusable state

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (autocommitted if it writes); its rows."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """Statements inside commit together and durably, or not at all."""
        ...

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def school_locks(self, schools: list[str], wait_s: float) -> AbstractContextManager[None]:
        """Hold every school's lock (sorted order: two runs cannot deadlock), or raise
        LockBusy naming the holder once `wait_s` has passed."""
        ...

    def close(self) -> None: ...


class StoreUnusable(ProvisionError):
    """The backend refused to open: its own error is the cause (the journal words it)."""


def open_store(location: str | Path | None = None) -> StateStore:
    """The backend for a location (see the module docstring for where it comes from)."""
    where = state_location(location)
    if is_postgres(where):
        from provision.engine.store_postgres import PostgresStore  # psycopg only when used

        try:
            return PostgresStore(where)
        except PostgresStore.errors as exc:
            raise StoreUnusable(redacted(where)) from exc
    from provision.engine.store_sqlite import SqliteStore

    try:
        return SqliteStore(Path(where))
    except SqliteStore.errors as exc:
        raise StoreUnusable(where) from exc
