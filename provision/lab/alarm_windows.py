"""Test windows at the lab alarm centre: while an account is "on test", what it sends is
recorded as a test and not dispatched to a police officer.

Alarm receiving centres let an installer put an account on test for a bounded time before
they trigger its alarms (the Yiwu police's school one-button programme, for one, requires the
quarterly test to be announced to the command centre beforehand, so that no one is sent out);
a window that was never closed ends by itself when its time runs out, so a crashed test run
cannot leave a school unheard for good. There is no standard API for it: this one is the
lab's own (`PUT`/`DELETE /api/accounts/<account>/test-window`, `GET /api/test-windows`),
kept in the centre's SQLite file so a restart keeps open windows open.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

MAX_MINUTES = 240  # the longest window the lab centre grants; a test takes seconds
SCHEMA = """
CREATE TABLE IF NOT EXISTS test_windows (
    account TEXT PRIMARY KEY, opened_epoch REAL NOT NULL, until_epoch REAL NOT NULL,
    opened_by TEXT NOT NULL);
"""


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class TestWindow:
    account: str
    opened_epoch: float
    until_epoch: float
    opened_by: str

    def covers(self, epoch: float) -> bool:
        return self.opened_epoch <= epoch < self.until_epoch

    def as_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "opened_at": _iso(self.opened_epoch),
            "until": _iso(self.until_epoch),
            "opened_by": self.opened_by,
        }


def parse_request(body: Any) -> tuple[int, str]:
    """(minutes, opened_by) from a PUT body, or ValueError naming the field."""
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    minutes = body.get("minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
        raise ValueError(f"minutes: an integer from 1 to {MAX_MINUTES}")
    opened_by = body.get("opened_by", "")
    if not isinstance(opened_by, str) or len(opened_by) > 64:
        raise ValueError("opened_by: a text of at most 64 characters")
    return minutes, opened_by


class TestWindows:
    """The open windows, in memory for the receive path (no disk read per event) and written
    through to the store's database (all methods taking `db` run on the store's thread)."""

    def __init__(self) -> None:
        self._open: dict[str, TestWindow] = {}

    def covers(self, account: str, epoch: float) -> bool:
        window = self._open.get(account)
        return window is not None and window.covers(epoch)

    def current(self, now: float) -> list[TestWindow]:
        return [w for _, w in sorted(self._open.items()) if w.until_epoch > now]

    def load(self, db: sqlite3.Connection) -> None:
        db.executescript(SCHEMA)
        rows = db.execute("SELECT account, opened_epoch, until_epoch, opened_by FROM test_windows")
        self._open = {row[0]: TestWindow(*row) for row in rows}

    def open(self, db: sqlite3.Connection, window: TestWindow) -> TestWindow:
        with db:
            db.execute(
                "INSERT OR REPLACE INTO test_windows VALUES (?, ?, ?, ?)",
                tuple(asdict(window).values()),
            )
        self._open[window.account] = window
        return window

    def close(self, db: sqlite3.Connection, account: str, now: float) -> bool:
        """End the account's window; True when one was open (and not yet run out)."""
        with db:
            db.execute("DELETE FROM test_windows WHERE account = ?", (account,))
        window = self._open.pop(account, None)
        return window is not None and window.until_epoch > now
