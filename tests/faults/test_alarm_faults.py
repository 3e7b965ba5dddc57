"""Alarm-path faults that are states, not lab fault switches: a panel reporting to the wrong
account, a panic zone that can be disarmed, a periodic test that came late. (A centre that
refuses test mode is a lab fault: it has its row in the fault matrix.)

One lab of the fault matrix's small city, converged once by apply; each scenario then
misconfigures panels as a technician would (through the panel's own API) or gives the centre
a history, and runs verify as the CLI does. The two panels carry different faults in one run.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from fault_matrix_lab import SCHOOL, FaultLab, Observed, small_city
from labsupport import wait_until
from pysiaalarm import SIAAccount, SIAClient, SIAEvent

from provision.lab.credentials import lab_secret

DAY = 86400.0


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultLab]:
    work = tmp_path_factory.mktemp("alarm-faults")
    faults = FaultLab(small_city(work / "city"), work)
    faults.start()
    try:
        converged = faults.apply()
        assert converged.exit_code == 0, converged.messages() or converged.stderr
        yield faults
    finally:
        faults.stop()


def panel_api(lab: FaultLab, name: str, method: str, path: str, **body: Any) -> Any:
    sim = lab.lab.devices[f"{SCHOOL}/{name}"].sim
    panel = next(a for a in lab.city.school(SCHOOL).alarms if a.name == name)
    assert panel.credentials is not None
    auth = (panel.credentials.username, lab_secret(panel.credentials.password))
    url = f"http://{sim.host}:{sim.endpoints()['http']}{path}"
    reply = requests.request(method, url, json=body or None, auth=auth, timeout=5)
    assert reply.ok, reply.text
    return reply.json()


def findings(observed: Observed) -> dict[str, str]:
    [school] = observed.report["schools"]
    alarm = next(c for c in school["checks"] if c["check"] == "alarm")
    return {f["subject"]: f"{f['verdict']}: {f['message']}" for f in alarm["findings"]}


def test_wrong_account_and_disarmable_panic_zone(lab: FaultLab) -> None:
    accounts = {a.name: a.account for a in lab.city.school(SCHOOL).alarms}
    panel_api(lab, "gate-sos", "PUT", "/api/config", account="0FFF")  # a typo at install
    panel_api(lab, "teach-sos", "PUT", "/api/config", panic_zone_disarmable=True)
    try:
        observed = lab.verify()
    finally:
        panel_api(lab, "gate-sos", "PUT", "/api/config", account=accounts["gate-sos"])
        panel_api(lab, "teach-sos", "PUT", "/api/config", panic_zone_disarmable=False)
    assert observed.exit_code == 2
    assert observed.verdicts()["alarm"] == "fail" and observed.verdicts()["drift"] == "fail"
    said = findings(observed)
    # The centre NAKs an account it never issued: nothing stored, the panel keeps the event.
    assert said["gate-sos"].startswith("fail: no receipt within 2 s")
    assert "receiver answered NAK twice" in said["gate-sos"]
    assert said["teach-sos"] == (
        "fail: the panic zone can be disarmed: GB 50394-2007 §5.2.3 item 1 requires an "
        "emergency alarm device to be non-disarmable (24 h) and latching"
    )


def seed_history(db: Path, account: str, received: list[float]) -> None:
    """What the centre would hold had the panel sent these 602s: one row per test."""
    with sqlite3.connect(db) as conn:
        for i, epoch in enumerate(received):
            iso = datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")
            conn.execute(
                "INSERT INTO events (account, protocol, seq, receiver, line, qualifier, code,"
                " partition, zone, data, panel_timestamp, received_at, received_epoch, is_test,"
                " encrypted, peer, dedup_key, last_seen_epoch, on_test) VALUES (?, 'ADM-CID', ?,"
                " '1', '1', 1, '602', '00', '000', '', NULL, ?, ?, 1, 0, 'seeded', ?, ?, 0)",
                (account, 9000 + i, iso.replace("+00:00", "Z"), epoch, f"seed{i}", epoch),
            )


def test_a_periodic_test_that_came_late_fails_the_panel(lab: FaultLab) -> None:
    panel = next(a for a in lab.city.school(SCHOOL).alarms if a.name == "teach-sos")
    interval = panel.test_interval_h * 3600.0
    now = time.time()
    # Heard for ten intervals; every test on time except one, which came a day late.
    tests = [now - k * interval for k in range(1, 11) if k != 2]
    centre_db = lab.lab.data_dir / f"{lab.city.school(SCHOOL).precinct}.sqlite"
    seed_history(centre_db, panel.account, tests)
    observed = lab.verify()
    said = findings(observed)
    assert observed.exit_code == 2 and said["gate-sos"].startswith("pass")
    late = f"periodic test late: {2 * panel.test_interval_h:.1f} h without a 602"
    assert said["teach-sos"].startswith("fail: 601 received in") and late in said["teach-sos"]


def test_a_panel_acked_by_another_receiver_is_caught_from_both_ends(lab: FaultLab) -> None:
    """The installer's own receiver left configured: the panel is ACKed (pysiaalarm, a real
    receiver, answers), so the panel alone looks healthy; the centre has nothing."""
    panel = next(a for a in lab.city.school(SCHOOL).alarms if a.name == "gate-sos")
    received: list[SIAEvent] = []
    impostor = SIAClient("127.0.0.1", 0, [SIAAccount(panel.account)], received.append)
    impostor.start(poll_interval=0.01)
    port = impostor.sia_server.server_address[1]
    sim = lab.lab.devices[f"{SCHOOL}/gate-sos"].sim
    centre = sim.config["receiver_host"], sim.config["receiver_port"]
    try:
        panel_api(
            lab, "gate-sos", "PUT", "/api/config", receiver_host="127.0.0.1", receiver_port=port
        )
        observed = lab.verify()
        # pysiaalarm ACKs first and hands the event to its callback after, on its own thread: a
        # busy machine runs that after verify is done, and stopping the receiver would lose it.
        wait_until(lambda: received, what="pysiaalarm's callback")
    finally:
        panel_api(
            lab, "gate-sos", "PUT", "/api/config", receiver_host=centre[0], receiver_port=centre[1]
        )
        impostor.stop()
    said = findings(observed)
    assert [e.code for e in received] == ["RX"]  # the 601, at the wrong receiver
    assert said["gate-sos"].startswith("fail: the panel says its 601 was ACKed at 20")
    assert f"by 127.0.0.1:{port}, but the centre has no such event" in said["gate-sos"]
