"""The journal and the school locks, the same contract against both backends: a SQLite file
and a real PostgreSQL server (tests/pgserver.py), nothing mocked.

Two `Journal`s on one location stand for two machines sharing state: each sees the other's
runs, and a school locked by one is locked for the other until released or its holder dies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from labsupport import wait_until
from pgserver import PgServer

from provision.cli.main import cli
from provision.drivers.base import Change
from provision.engine.journal import Journal, JournalError, Row
from provision.engine.locks import LockBusy

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _private_lock_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's flocks live in PROVISION_LOCK_DIR: this test's, never the repository's."""
    monkeypatch.setenv("PROVISION_LOCK_DIR", str(tmp_path / "locks"))


def _one_run(journal: Journal, device: str = "s1/cam") -> str:
    run = journal.start_run("apply", "inv")
    changes = [Change("hostname", "old", "new"), Change("ntp", ["a"], ["b", "中文"])]
    journal.intend(run, device, "camera", changes)
    journal.settle(run, device, changes[:1])  # ntp did not land
    journal.finish_run(run, "ok", {"changed": 1})
    return run


def test_a_run_reads_back_as_written(state_location: str) -> None:
    journal = Journal(state_location)
    try:
        run = _one_run(journal)
        (row,) = journal.runs()
        assert (row.run_id, row.status, row.summary, row.pid) == (
            run,
            "ok",
            {"changed": 1},
            os.getpid(),
        )
        assert row.finished is not None and row.finished >= row.started
        assert list(journal.applied(run)) == [
            ("s1/cam", "camera", Change("hostname", "old", "new"))
        ]
        assert list(journal.pending(run)) == []
        assert journal.device_outcomes(run) == {"finished": 1}
        assert journal.run(run[-6:]).run_id == run  # a suffix names a run
    finally:
        journal.close()


def test_a_device_in_flight_stays_pending(state_location: str) -> None:
    journal = Journal(state_location)
    try:
        run = journal.start_run("apply", "inv")
        journal.intend(run, "s1/sw", "switch", [Change("vlan", 1, 2)])
        assert [c for _, _, c in journal.pending(run)] == [Change("vlan", 1, 2)]
        assert journal.device_outcomes(run) == {"in flight": 1}
        assert [r.status for r in journal.runs()] == ["running"]  # this process is alive
    finally:
        journal.close()


def test_no_intent_is_journaled_once_the_run_is_stopped(state_location: str) -> None:
    """The stop is checked under the journal's lock with the write: a device still reading
    when Ctrl-C came is not started, and nothing says it was in flight."""
    journal = Journal(state_location)
    stop = threading.Event()
    try:
        run = journal.start_run("apply", "inv")
        assert journal.intend(run, "s1/sw", "switch", [Change("vlan", 1, 2)], unless=stop)
        stop.set()
        assert not journal.intend(run, "s1/cam", "camera", [Change("fps", 25, 15)], unless=stop)
        assert [d for d, _, _ in journal.pending(run)] == ["s1/sw"]
    finally:
        journal.close()


def test_two_machines_see_each_others_runs(state_location: str) -> None:
    laptop, pipeline = Journal(state_location), Journal(state_location)
    try:
        first = _one_run(laptop, "s1/cam")
        second = _one_run(pipeline, "s2/cam")
        assert {r.run_id for r in laptop.runs()} == {first, second}
        assert [d for d, _, _ in pipeline.applied(first)] == ["s1/cam"]
    finally:
        laptop.close()
        pipeline.close()


def test_a_locked_school_is_refused_naming_the_holder_then_granted(state_location: str) -> None:
    mine, theirs = Journal(state_location), Journal(state_location)
    try:
        with mine.school_locks(["s1", "s2"]):
            with (
                pytest.raises(LockBusy, match=f"school s1 is locked by another run.*{os.getpid()}"),
                theirs.school_locks(["s1"]),
            ):
                pass
            with theirs.school_locks(["s3"]):  # another school is free
                pass
        with theirs.school_locks(["s1", "s2"]):  # released with the block
            pass
    finally:
        mine.close()
        theirs.close()


def test_a_waiting_run_gets_the_lock_once_the_holder_releases_it(state_location: str) -> None:
    mine, theirs = Journal(state_location), Journal(state_location)
    acquired = threading.Event()

    def waiter() -> None:
        with theirs.school_locks(["s1"], wait_s=60):
            acquired.set()

    try:
        with mine.school_locks(["s1"]):
            # a short wait runs out while it is held
            with pytest.raises(LockBusy), theirs.school_locks(["s1"], wait_s=0.2):
                pass
            thread = threading.Thread(target=waiter)
            thread.start()
        wait_until(acquired.is_set, timeout=30, what="the waiting run to get the lock")
        thread.join(30)
    finally:
        mine.close()
        theirs.close()


HOLD = """
import sys
from provision.engine.journal import Journal
j = Journal(sys.argv[1])
with j.school_locks(["s1"]):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_killed_holder_frees_its_school(state_location: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, state_location],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,  # the checkout's provision, whichever directory pytest started in
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        journal = Journal(state_location)
        with pytest.raises(LockBusy, match=f"pid {holder.pid}"), journal.school_locks(["s1"]):
            pass
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)

        def free() -> bool:
            try:
                with journal.school_locks(["s1"]):
                    return True
            except LockBusy:
                return False

        wait_until(free, timeout=30, what="the dead holder's lock to be released")
        journal.close()
    finally:
        holder.kill()
        holder.wait(30)


def test_migrate_copies_a_sqlite_journal_into_postgresql_once(
    tmp_path: Path, postgres_server: PgServer
) -> None:
    source, url = tmp_path / "journal.sqlite", postgres_server.database()
    local = Journal(source)
    runs = [_one_run(local, f"s{n}/cam") for n in range(3)]
    local.close()
    before = source.read_bytes()
    runner = CliRunner()
    done = runner.invoke(cli, ["state", "migrate", "--from", str(source), "--to", url])
    assert done.exit_code == 0, done.output
    assert "copied 3 runs and 6 changes" in done.output
    again = runner.invoke(cli, ["state", "migrate", "--from", str(source), "--to", url])
    assert "copied 0 runs and 0 changes" in again.output
    assert source.read_bytes() == before  # only read
    shared = Journal(url)
    try:
        assert sorted(r.run_id for r in shared.runs()) == sorted(runs)
        assert [d for d, _, _ in shared.applied(runs[1])] == ["s1/cam"]
        assert [c.setting for _, _, c in shared._changes(runs[2], Row.NOT_APPLIED)] == ["ntp"]
    finally:
        shared.close()
    history = runner.invoke(cli, ["history", "--state", url, "--json"])
    assert history.exit_code == 0 and runs[0] in history.output


def test_an_unreachable_server_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://provision:S3CRET-pg@/nothing?host={tmp_path}&connect_timeout=2"
    with pytest.raises(JournalError) as raised:
        Journal(url)
    message = str(raised.value)
    assert "S3CRET-pg" not in message and "provision:***@" in message
    assert "journal cannot be used" in message
