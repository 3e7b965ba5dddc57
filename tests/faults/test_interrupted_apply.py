"""Interrupted applies: real signals to a `provision apply --lab --yes` process mid-run.

Each test starts its own lab of one school (Cisco uplink, 31 cameras) in a temporary state
dir, with `latency_ms` on every camera so that a camera takes over a second to converge:
with four workers the apply is then reliably caught with some devices finished, some in
flight and most not started. The journal database is polled (never slept on) to pick the
moment of the signal, and is then the evidence: what finished, what was in flight, what the
re-run and the rollback touched.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from labsupport import wait_until

from provision.engine.journal import Journal

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
SCHOOL = "dl-xg-m016"
CAMERA_LATENCY_MS = 60  # ~20 ONVIF exchanges per camera: ~1.2 s each
WORKERS = 4
# Deadlines for things that happen, not measures of speed: on a 2-core machine with both cores
# busy (load 16 measured here) an apply takes over 30 s to get three devices done.
LOADED = 180
# 31 cameras, the uplink switch, 2 alarm panels, an LED board, the NVR, the stream proxies
DEVICES = 37


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Lab:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.journal = tmp / "journal.sqlite"
        self.env = {
            **os.environ,
            "PROVISION_LAB_DIR": str(tmp / "lab"),
            "PROVISION_JOURNAL": str(self.journal),
            "PROVISION_LOCK_DIR": str(tmp / "locks"),
        }

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "provision", *args]

    def run(self, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            self.command(*args),
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.tmp,
            timeout=120,
        )
        assert done.returncode in ok, f"{args}: exit {done.returncode}\n{done.stdout}{done.stderr}"
        return done

    def start_apply(self) -> subprocess.Popen[str]:
        args = ["apply", "-i", str(EXAMPLE), "--school", SCHOOL, "--lab", "--yes"]
        return subprocess.Popen(
            self.command(*args, "--workers", str(WORKERS), "--format", "json"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=self.tmp,
            # As from a terminal: a test suite started in the background (CI, nohup, `&`)
            # passes SIGINT on ignored, and provision rightly leaves an ignored signal
            # ignored, so the Ctrl-C below would be dropped and the apply end with exit 0.
            preexec_fn=_interruptible,
        )

    def rows(self, run_id: str | None = None) -> list[tuple[str, str, str, Any, Any, str]]:
        """(run, device, setting, before, after, outcome) of every change row, in order."""
        return [row[:6] for row in self.rows_at(run_id)]

    def rows_at(
        self, run_id: str | None = None
    ) -> list[tuple[str, str, str, Any, Any, str, float]]:
        """Every change row, in order, with the time it was journaled."""
        if not self.journal.exists():
            return []
        db = sqlite3.connect(self.journal)
        try:
            rows = db.execute(
                "SELECT run_id, device, setting, before, after, outcome, at FROM changes"
                " ORDER BY id"
            ).fetchall()
        except sqlite3.OperationalError:  # the apply has not created its tables yet
            return []
        finally:
            db.close()
        return [
            (r, d, s, json.loads(b), json.loads(a), o, at)
            for r, d, s, b, a, o, at in rows
            if run_id is None or r == run_id
        ]

    def devices_by_outcome(self, run_id: str | None = None) -> dict[str, set[str]]:
        """Each outcome → the devices with a row of it (a device in flight: 'pending')."""
        found: dict[str, set[str]] = {}
        for _, device, _, _, _, outcome in self.rows(run_id):
            found.setdefault(outcome, set()).add(device)
        return found

    def only_run_id(self) -> str:
        [run_id] = {r[0] for r in self.rows()}
        return run_id


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    lab = Lab(tmp_path)
    school = yaml.safe_load((EXAMPLE / "schools" / f"{SCHOOL}.yaml").read_text(encoding="utf-8"))
    faults = {f"{SCHOOL}/{c['name']}": {"latency_ms": CAMERA_LATENCY_MS} for c in school["cameras"]}
    (tmp_path / "faults.yaml").write_text(yaml.safe_dump(faults))
    lab.run("lab", "up", "-i", str(EXAMPLE), "--school", SCHOOL, "--faults", "faults.yaml")
    try:
        yield lab
    finally:
        lab.run("lab", "down")


def _rerun(lab: Lab) -> tuple[str, dict[str, str]]:
    """A plain `provision apply` of the school (no --lock-wait): run id, device → status."""
    done = lab.run(
        "apply", "-i", str(EXAMPLE), "--school", SCHOOL, "--lab", "--yes", "--format", "json"
    )
    report = json.loads(done.stdout)
    return report["run_id"], {d["device"]: d["status"] for d in report["devices"]}


def _stopped(pid: int) -> bool:
    """Whether the process is stopped by a signal (state T in /proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    return stat.rsplit(")", 1)[1].split()[0] == "T"


def test_ctrl_c_finishes_devices_in_flight_starts_no_more_and_a_rerun_finishes(lab: Lab) -> None:
    def three_applied() -> dict[str, set[str]] | None:
        found = lab.devices_by_outcome()
        return found if len(found.get("applied", set())) >= 3 else None

    proc = lab.start_apply()
    try:
        wait_until(three_applied, timeout=LOADED, what="three devices applied")
        # Freeze the apply, then read what it had done: on a starved machine the journal seen
        # a moment ago may already be behind, and a Ctrl-C after the last device is rightly
        # exit 0 (it was once taken for a race). Frozen, the state at the signal is exact.
        proc.send_signal(signal.SIGSTOP)
        wait_until(lambda: _stopped(proc.pid), timeout=LOADED, what="the apply stopped")
        touched_at_signal = set().union(*lab.devices_by_outcome().values())
        assert len(touched_at_signal) < DEVICES  # caught in the middle
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGCONT)
        stdout, stderr = proc.communicate(timeout=LOADED)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    run_id = lab.only_run_id()
    assert "not started" in stderr and f"provision rollback {run_id}" in stderr, stderr
    report = {d["device"]: d["status"] for d in json.loads(stdout)["devices"]}
    assert len(report) == DEVICES
    finished = {d for d, status in report.items() if status == "changed"}
    not_started = {d for d, status in report.items() if status == "not started"}
    assert finished | not_started == set(report), report  # nothing failed or half done
    assert not_started and touched_at_signal <= finished
    # devices in flight finished: nothing is left pending, all that was written is applied
    after = lab.devices_by_outcome(run_id)
    assert set(after) == {"applied"}, after
    assert after["applied"] == finished
    # no device was started once the stop was taken: at most the one writing its intent
    # then went on (the check is under the journal's lock). Devices that went on between
    # SIGCONT and the handler are the signal's own delay, not a device started after it.
    stopped_at = datetime.fromisoformat(json.loads(stdout)["stopped_at"]).timestamp()
    started_after = {d for _, d, _, _, _, _, at in lab.rows_at(run_id) if at > stopped_at}
    assert len(started_after) <= 1, (started_after, stopped_at)
    journal = Journal(lab.journal)
    try:
        [run] = journal.runs()
    finally:
        journal.close()
    assert (run.status, run.summary) == (
        "interrupted",
        {"changed": len(finished), "not started": len(not_started)},
    )
    # the re-run takes the lock, converges, and writes only to what did not finish
    rerun_id, rerun = _rerun(lab)
    assert set(rerun) == set(report)
    assert {d for d, status in rerun.items() if status == "unchanged"} == finished
    assert {d for d, status in rerun.items() if status == "changed"} == not_started
    assert set().union(*lab.devices_by_outcome(rerun_id).values()) == not_started


def test_sigkill_leaves_a_journal_that_rollback_and_a_rerun_can_trust(lab: Lab) -> None:
    def caught_mid_write() -> dict[str, set[str]] | None:
        found = lab.devices_by_outcome()
        settled, pending = found.get("applied", set()), found.get("pending", set())
        return found if len(settled) >= 2 and len(pending) >= 2 else None

    proc = lab.start_apply()
    try:
        wait_until(caught_mid_write, timeout=LOADED, what="devices applied and others in flight")
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=LOADED)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL
    killed = lab.only_run_id()
    rows = lab.rows(killed)
    # every device is either fully recorded or was in flight (pending rows only)
    outcomes: dict[str, set[str]] = {}
    for _, device, _, _, _, outcome in rows:
        outcomes.setdefault(device, set()).add(outcome)
    in_flight = {d for d, seen in outcomes.items() if seen == {"pending"}}
    finished = {d for d, seen in outcomes.items() if "pending" not in seen}
    assert in_flight and finished and in_flight | finished == set(outcomes), outcomes
    # history names the run whose process is gone, and what it got through
    [line] = lab.run("history").stdout.splitlines()
    assert line.startswith(killed) and " interrupted " in line, line
    [run] = json.loads(lab.run("history", "--json").stdout)
    assert run["status"] == "interrupted"
    assert run["summary"] == {"finished": len(finished), "in flight": len(in_flight)}
    # the school's lock died with the process: a plain re-run gets it, and converges without
    # writing to a device the killed run had finished
    rerun_id, rerun = _rerun(lab)
    assert all(status in ("changed", "unchanged") for status in rerun.values()), rerun
    rewritten = set().union(*lab.devices_by_outcome(rerun_id).values())
    assert not rewritten & finished
    never_started = set(rerun) - set(outcomes)
    assert never_started <= rewritten <= never_started | in_flight
    # rollback of the killed run restores every device it touched, in flight ones included:
    # a plan then shows exactly those devices, each needing exactly what the run had written
    lab.run("rollback", killed, "-i", str(EXAMPLE), "--lab")
    plan = lab.run("plan", "-i", str(EXAMPLE), "--school", SCHOOL, "--lab", "--format", "json")
    to_change = {
        d["device"]: {_key(c["setting"], c["before"], c["after"]) for c in d["changes"]}
        for d in json.loads(plan.stdout)["devices"]
        if d["changes"]
    }
    written: dict[str, set[str]] = {}
    for _, device, setting, before, after, outcome in rows:
        if outcome in ("applied", "pending"):
            written.setdefault(device, set()).add(_key(setting, before, after))
    assert to_change == written


def _key(setting: str, before: Any, after: Any) -> str:
    return json.dumps([setting, before, after], sort_keys=True)


def test_history_tells_a_run_whose_process_died_from_one_still_running(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    # a run started by a process that then died without finishing it (as under SIGKILL)
    code = (
        "from provision.engine.journal import Journal as J;"
        f" print(J({str(path)!r}).start_run('a', 'x'))"
    )
    dead = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    journal = Journal(path)
    try:
        alive = journal.start_run("apply", "y")  # this process is alive: still running
        status = {r.run_id: r.status for r in journal.runs()}
        assert status == {dead.stdout.strip(): "interrupted", alive: "running"}
    finally:
        journal.close()


def test_a_journal_from_before_pids_were_recorded_still_opens(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE runs (run_id TEXT PRIMARY KEY, command TEXT NOT NULL,
            inventory TEXT NOT NULL, started REAL NOT NULL, finished REAL,
            status TEXT NOT NULL, user TEXT, summary TEXT);
        INSERT INTO runs VALUES ('old-run', 'apply', 'inv', 1.0, NULL, 'running', 'u', NULL);
        """
    )
    db.close()
    journal = Journal(path)
    try:
        # no pid to check (it may even have run on another machine): left as it was
        assert [(r.run_id, r.status) for r in journal.runs()] == [("old-run", "running")]
        new = journal.start_run("apply", "inv")
        assert journal.run(new).pid == os.getpid()
    finally:
        journal.close()
