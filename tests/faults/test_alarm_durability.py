"""Alarm centre durability: a burst of 1,000 events from 50 lab panels while the receiver
process is killed with SIGKILL mid-burst, twice, and started again on the same ports and
database. Every event must end up stored exactly once, and what the centre ACKed before each
kill must be in the database the dead process left behind (stored before ACK, synchronous=FULL).

The panels run in this process's own lab loop; the centre runs alone in a subprocess
(`python -m provision.lab.serve alarm-center`) so it can really die.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from labsupport import LabLoop, wait_until

from provision.lab import netmap
from provision.lab.alarm_center import EventStore
from provision.lab.alarm_panel import MANUAL_TEST, PANIC, AlarmPanel
from provision.lab.faults import Faults
from provision.lab.serve import Standalone
from provision.protocols import dc09

PANELS, PRESSES = 50, 20
EVENTS = PANELS * PRESSES
KILL_AT = (250, 600)  # events the panels have had ACKed when each kill comes
HOST = "127.0.0.1"
# Fixed ports below the ephemeral range (a restart must get them back), shifted by
# PROVISION_LAB_PORT_OFFSET like every lab port.
DC09_PORT, API_PORT = netmap.lab_port(12900), netmap.lab_port(12901)


def account(index: int) -> str:
    return f"D{index:03X}"


def code_of(panel: int, press: int) -> int:
    """120 (panic) or 601 (manual test), interleaved differently on each panel."""
    return PANIC if (panel + press) % 5 == 0 else MANUAL_TEST


@pytest.fixture
def centre(tmp_path: Path) -> Iterator[Standalone]:
    proc = Standalone(
        "alarm-center",
        f"--host={HOST}",
        f"--dc09-port={DC09_PORT}",
        f"--api-port={API_PORT}",
        f"--db={tmp_path / 'events.db'}",
    )
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
def panels() -> Iterator[tuple[LabLoop, list[AlarmPanel]]]:
    lab = LabLoop()
    made = [
        AlarmPanel(
            f"panel-{i}",
            HOST,
            faults=Faults(),
            api_port=0,
            ack_timeout_s=1.0,  # the centre fsyncs before it ACKs: leave it time under load
            backoff_base_s=0.02,
            backoff_cap_s=0.25,
        )
        for i in range(PANELS)
    ]
    for panel in made:
        lab.run(panel.start())
    yield lab, made
    for panel in made:
        lab.run(panel.stop())
    lab.close()


def configure(panel: AlarmPanel, index: int) -> None:
    """Through the panel's own API, as the provisioning driver does it."""
    settings = {"receiver_host": HOST, "receiver_port": DC09_PORT, "account": account(index)}
    url = f"http://{HOST}:{panel.endpoints()['http']}/api/config"
    resp = requests.put(url, json=settings, auth=(panel.username, panel.password), timeout=5)
    assert resp.status_code == 200, resp.text


def acked(lab: LabLoop, panels: list[AlarmPanel]) -> list[int]:
    """Events each panel has had ACKed (read on the loop thread: panel state is not shared)."""
    return lab.call(lambda: [p.counters["events_delivered"] for p in panels])


def stored(db_path: str) -> list[tuple[str, int, str]]:
    """(account, seq, code) of every stored event, read from the file itself."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        return db.execute("SELECT account, seq, code FROM events").fetchall()


def test_burst_survives_receiver_kills_with_every_event_stored_once(
    centre: Standalone, panels: tuple[LabLoop, list[AlarmPanel]], tmp_path: Path
) -> None:
    lab, group = panels
    db_path = str(tmp_path / "events.db")
    started = time.monotonic()
    for index, panel in enumerate(group):
        configure(panel, index)

    def press_all() -> None:
        for press in range(PRESSES):
            for index, panel in enumerate(group):
                zone = 1 if code_of(index, press) == PANIC else 0
                panel.queue_event(code_of(index, press), zone=zone)

    lab.call(press_all)

    def refused() -> int:
        return lab.call(lambda: sum(p.counters["connect_failures"] for p in group))

    async def kill_when_acked(count: int) -> None:
        # Polled and killed on the panels' own loop: no panel advances between the check and
        # the SIGKILL, so the kill lands mid-burst however fast the burst runs.
        async with asyncio.timeout(20):
            while sum(p.counters["events_delivered"] for p in group) < count:
                await asyncio.sleep(0.001)
        centre.kill()

    for kill_at in KILL_AT:
        lab.run(kill_when_acked(kill_at), timeout=25)
        # The process is gone: nothing it ACKed may be missing from the file it left. Every
        # ACK a panel has counted by now was sent before it died (some may still be unread:
        # the check then covers fewer events, never a wrong one).
        before = acked(lab, group)
        assert kill_at <= sum(before) < EVENTS, "the kill must come mid-burst"
        present = set((acct, seq) for acct, seq, _ in stored(db_path))
        lost = [
            (account(i), seq)
            for i, count in enumerate(before)
            for seq in range(1, count + 1)  # a panel's n-th event carries seq n
            if (account(i), seq) not in present
        ]
        assert lost == [], f"ACKed before the kill, missing after it: {lost[:5]}"
        # Panels notice: their reconnects are refused while the centre is dead.
        floor = refused() + PANELS
        wait_until(lambda n=floor: refused() >= n, 10, "refused reconnects")
        centre.start()  # same ports (pinned by the first start), same database

    wait_until(lambda: sum(acked(lab, group)) == EVENTS, 25, "every event ACKed")
    assert lab.call(lambda: sum(len(p.queue) for p in group)) == 0

    rows = stored(db_path)
    per_event = Counter((acct, seq) for acct, seq, _ in rows)
    duplicated = {key: n for key, n in per_event.items() if n > 1}
    assert duplicated == {} and len(rows) == EVENTS
    expected = {
        (account(i), press + 1, str(code_of(i, press)))
        for i in range(PANELS)
        for press in range(PRESSES)
    }
    assert set(rows) == expected  # none lost, and each seq carries the event pressed for it
    health = requests.get(f"http://{HOST}:{API_PORT}/api/health", timeout=5).json()
    assert health["stored"]["events"] == EVENTS  # the restarted centre's API agrees
    assert centre.starts == 1 + len(KILL_AT)
    assert lab.call(lambda: sum(p.counters["retries"] for p in group)) > 0
    assert time.monotonic() - started < 40


def exchange(frame: dc09.Frame) -> dc09.Frame:
    """Send one frame on a fresh connection, as a panel retrying after a failure does."""
    with socket.create_connection((HOST, DC09_PORT), timeout=5) as sock:
        sock.sendall(dc09.encode(frame))
        frames = dc09.FrameReassembler()
        while chunk := sock.recv(4096):
            for raw in frames.feed(chunk):
                return dc09.decode(raw)
    raise ConnectionError("the centre closed the connection without an answer")


def test_a_retry_after_an_outage_longer_than_the_window_is_still_one_event(
    tmp_path: Path,
) -> None:
    # Stands for the default 300 s: the outage below is longer than it. The retry after the
    # outage must land within it (counted in time listened), which a busy machine's restart and
    # round trip took most of 0.5 s to do.
    window_s = 1.5
    db_path = str(tmp_path / "events.db")
    centre = Standalone(
        "alarm-center",
        f"--host={HOST}",
        f"--dc09-port={DC09_PORT}",
        f"--api-port={API_PORT}",
        f"--db={db_path}",
        f"--dedup-window-s={window_s}",
    )

    def panic() -> dc09.Frame:  # a retry repeats seq and data, with a fresh timestamp
        data = dc09.contact_id_data("5A5A", 1, PANIC, 0, 1)
        return dc09.Frame(dc09.ADM_CID, 7, "1", "1", "5A5A", data, (), datetime.now(UTC))

    centre.start()
    try:
        assert exchange(panic()).token == dc09.ACK
        # Stored and ACKed, then the centre dies; say the ACK was lost with it, so the panel
        # retries, but the centre only comes back after more than the window.
        centre.kill()
        time.sleep(1.2 * window_s)  # the outage itself is what is under test, not a sync
        centre.start()
        assert exchange(panic()).token == dc09.ACK
        assert len(stored(db_path)) == 1, "the retry after the outage was stored again"
        # The window still closes, counted in time the receiver listened: the same seq and
        # data later is a new event (a panel that restarted its sequence), not a retry.
        time.sleep(1.2 * window_s)  # a sleep never ends early: the window has closed
        assert exchange(panic()).token == dc09.ACK
        assert len(stored(db_path)) == 2
    finally:
        centre.stop()


def test_every_commit_is_synced_before_the_ack(tmp_path: Path) -> None:
    """A SIGKILL leaves the OS cache intact, so the kills above cannot see a missing fsync; a
    power cut would. WAL with synchronous=FULL syncs the log on every commit (NORMAL does not)."""
    store = EventStore(str(tmp_path / "events.db"))
    store.open()
    try:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        store.close()


@pytest.mark.parametrize("kind", ["alarm-panel", "led-board"])
def test_serve_runs_one_device_alone_and_stops_on_sigterm(kind: str) -> None:
    device = Standalone(kind, f"--host={HOST}")  # port 0: the ready line says which
    endpoints = device.start()
    try:
        url = f"http://{HOST}:{endpoints['http']}/api/info"
        assert requests.get(url, auth=("admin", "admin"), timeout=5).status_code == 200
    finally:
        device.stop()
    assert device.proc is not None and device.proc.returncode == 0  # a clean stop, not a kill
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=5)
