"""A damaged journal is the user's file to fix: one line naming it, exit 1, nothing touched.

Three ways a journal file gets damaged in the field: cut short (a full disk, a copy that
stopped), overwritten with other bytes, or only SQLite's header left. history, apply and
rollback each refuse it before any device is contacted, and leave the file as it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from provision.engine.journal import Journal, JournalError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"


def _journal_with_runs(path: Path) -> None:
    journal = Journal(path)
    for n in range(200):  # enough pages that a cut lands inside the tables
        run = journal.start_run("apply", f"inventory-{n}")
        journal.finish_run(run, "ok", {"changed": n})
    journal.close()
    for extra in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        extra.unlink(missing_ok=True)


def _truncated(path: Path) -> None:
    _journal_with_runs(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(8192))


def _header_only(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + b"\x10\x00\x01\x01" + bytes(80))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated": _truncated,
    "random bytes": _random_bytes,
    "header only": _header_only,
}
COMMANDS = {
    "history": ["history"],
    "apply": ["apply", "-i", str(EXAMPLE), "--school", "dl-zs-h024", "--yes"],
    "rollback": ["rollback", "20261201-000000-abcdef", "-i", str(EXAMPLE)],
}


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_damaged_journal_is_one_clear_line_and_exit_1(
    tmp_path: Path, damage: str, command: str
) -> None:
    path = tmp_path / "journal.sqlite"
    DAMAGE[damage](path)
    before = path.read_bytes()
    env = {**os.environ, "PROVISION_JOURNAL": str(path), "PROVISION_LAB_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "provision", *COMMANDS[command]],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert str(path) in lines[0] and "move it aside" in lines[0]
    assert "Traceback" not in done.stderr and "hit a bug" not in done.stderr
    assert path.read_bytes() == before  # nothing written into it
    # No device was contacted: a contact would be reported per device (the field's
    # addresses do not answer here).
    assert "unreachable" not in done.stdout + done.stderr


def test_the_library_raises_a_provision_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    _random_bytes(path)
    with pytest.raises(JournalError, match=str(path)):
        Journal(path).runs()
