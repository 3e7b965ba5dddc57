"""A slow device on a lab school: its overall deadline ends it, plainly, and nothing else.

Issue 18 finding 8: a camera that answers each exchange just inside the per-exchange timeout
held its school's apply (and lock) for minutes and was reported as a stale UsernameToken.
Here the lab's `latency_ms` fault slows a camera of the small school (fault matrix city)
against a short `--deadline`: it fails with the deadline and the link's speed per exchange,
the other devices finish, and whatever it wrote is in the journal (a rerun then finishes it,
as after any failed apply: tests/faults/test_interrupted_apply.py). verify, which gathers
through the same runner, gives up on the slow camera at the same deadline with the same words
and audits every other device. One lab for the module.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import pytest
from fault_matrix_lab import SCHOOL, SWITCH, FaultLab, managed_hosts, small_city, within

from provision.drivers.base import Target
from provision.drivers.registry import driver_class
from provision.lab.connector import LabConnector

SLOW = f"{SCHOOL}/gate-face"
STREAMS = f"{SCHOOL}/streams"  # the ONVIF camera: ~13 exchanges to read, ~10 more to write
SLOW_MESSAGE = re.compile(
    r"no complete answer within (?P<deadline>[\d.]+) s; the link is slow: "
    r"(?P<per>[\d.]+) s per exchange"
)
# Above what the healthy devices take in all (the switch is converged before: its SSH login
# and configuration from factory take over 5 s on a busy machine, and more under load), below
# what the slow camera needs at LATENCY_MS per exchange: the deadline falls in its reads or its
# writes (wherever it falls, the journal check holds).
DEADLINE = "8"
LATENCY_MS = 400
# verify reads an ONVIF camera in ~13 exchanges: at 1 s each it cannot finish within DEADLINE.
VERIFY_LATENCY_MS = 1000
HANG_S = 120.0  # a command taking this long has hung (a deadline for a hang, not a measure)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultLab]:
    root = small_city(tmp_path_factory.mktemp("city"))
    lab = FaultLab(root, tmp_path_factory.mktemp("work"))
    lab.start()
    try:
        _converge(lab, SWITCH)  # the apply under the deadline then only reads it
        yield lab
    finally:
        lab.stop()


def _settings(lab: FaultLab, device_id: str = SLOW, converge: bool = False) -> dict[str, object]:
    """What a device holds now (after converging it, with `converge`), read by its driver on a
    healthy link."""
    school = lab.city.school(SCHOOL)
    device = next(d for d in school.devices() if f"{SCHOOL}/{d.name}" == device_id)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in lab.env.items():
            patch.setenv(name, value)
        driver = driver_class(device.kind, device.protocol)(
            Target(lab.city, school, device, LabConnector(timeout=10))
        )
        try:
            if converge:
                driver.apply(driver.diff(driver.read(), driver.desired()))
            return dict(driver.read())
        finally:
            driver.close()


def _converge(lab: FaultLab, device_id: str) -> None:
    _settings(lab, device_id, converge=True)


def _journaled(lab: FaultLab, run_id: str) -> dict[str, str]:
    """setting -> outcome of the slow device's rows in the run."""
    with sqlite3.connect(f"file:{lab.journal}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT setting, outcome FROM changes WHERE run_id = ? AND device = ?",
            (run_id, SLOW),
        ).fetchall()
    return dict(rows)


def test_a_slow_device_fails_at_its_deadline_naming_the_link_and_the_rest_finish(
    lab: FaultLab,
) -> None:
    lab.fault(SLOW, None)
    before = _settings(lab)
    lab.fault(SLOW, {"latency_ms": LATENCY_MS})
    try:
        applied = within(
            HANG_S,
            "apply",
            lambda: lab._run(
                "apply", *lab._common(), "--format", "json", "--yes", "--deadline", DEADLINE
            ),
        )
    finally:
        lab.fault(SLOW, None)
    statuses = applied.statuses()
    assert applied.exit_code == 1, applied.stderr
    assert statuses[SLOW] in ("failed", "unreachable")
    error = next(d["error"] for d in applied.report["devices"] if d["device"] == SLOW)
    found = SLOW_MESSAGE.search(error)
    assert found and found["deadline"] == DEADLINE, error
    assert float(found["per"]) >= LATENCY_MS / 1000  # the fault's delay, or more: never less
    assert "clock" not in error and "stale" not in error  # the link, never the device's clock
    others = {h: s for h, s in statuses.items() if h != SLOW}
    assert set(others) == managed_hosts(lab.root) - {SLOW}
    assert all(s in ("changed", "unchanged") for s in others.values()), applied.messages()

    # Nothing half-written is unjournaled: every setting the camera now holds differently
    # was recorded before it was written (pending: it may or may not have landed).
    after = _settings(lab)
    written = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    rows = _journaled(lab, applied.report["run_id"])
    assert written <= set(rows), f"written but not journaled: {written - set(rows)}"
    assert set(rows.values()) <= {"pending", "applied", "rolled_back"}


def test_verify_gives_up_on_a_slow_device_at_its_deadline_and_audits_the_rest(
    lab: FaultLab,
) -> None:
    lab.fault(SLOW, {"latency_ms": VERIFY_LATENCY_MS})
    try:
        seen = within(
            HANG_S,
            "verify",
            # reachability: every device gathered, no self-test or stream play to wait for
            lambda: lab._run(
                "verify",
                *lab._common(),
                "--checks",
                "reachability",
                "--format",
                "json",
                "--deadline",
                DEADLINE,
            ),
        )
    finally:
        lab.fault(SLOW, None)
    assert seen.exit_code == 2, seen.stderr
    said = [m for m in seen.messages() if SLOW.rsplit("/", 1)[1] in m and SLOW_MESSAGE.search(m)]
    assert said, seen.messages()  # the camera's findings name the deadline and the link
    found = SLOW_MESSAGE.search(said[0])
    assert found and found["deadline"] == DEADLINE
    assert float(found["per"]) >= VERIFY_LATENCY_MS / 1000
    # every other device was read: no other finding speaks of a deadline
    assert not [m for m in seen.messages() if SLOW_MESSAGE.search(m) and m not in said]
