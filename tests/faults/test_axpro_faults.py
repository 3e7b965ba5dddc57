"""The alarm-path faults of the generic panel's scenarios (test_alarm_faults.py), on Hikvision
AX PRO panels: a panel reporting to the wrong account, a panic zone that can be disarmed (an
ordinary zone type, or a 24-hour zone someone bypassed), a panel whose users were reset, a
panel ACKed by another receiver (caught from both ends).

The fault matrix's small city with its two panels as AX PROs (protocol isapi), converged once
by apply; each scenario misconfigures the panels over their own ISAPI, as a technician with
the AX PRO web client would, and runs verify as the CLI does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fault_matrix_lab import SCHOOL, FaultLab, Observed, small_city
from labsupport import wait_until
from pysiaalarm import SIAAccount, SIAClient, SIAEvent

from provision.drivers.axpro_client import AxProSession
from provision.lab.credentials import lab_secret

ARC = "/ISAPI/SecurityCP/Configuration/ARC/1"
PANIC_ZONE = "/ISAPI/SecurityCP/Configuration/zones/0"


def axpro_city(dest: Path) -> Path:
    root = small_city(dest)
    path = root / "schools" / f"{SCHOOL}.yaml"
    school = yaml.safe_load(path.read_text("utf-8"))
    for panel in school["alarms"]:
        panel["protocol"] = "isapi"
    path.write_text(yaml.safe_dump(school, allow_unicode=True, sort_keys=False), "utf-8")
    return root


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultLab]:
    work = tmp_path_factory.mktemp("axpro-faults")
    faults = FaultLab(axpro_city(work / "city"), work)
    faults.start()
    try:
        converged = faults.apply()
        assert converged.exit_code == 0, converged.messages() or converged.stderr
        yield faults
    finally:
        faults.stop()


@pytest.fixture(autouse=True)
def queues_delivered(lab: FaultLab) -> None:
    """Each test starts with every panel's queue delivered: a 120 an earlier test left queued
    (an account the centre NAKed, a receiver put back) would go out ahead of this test's own,
    and its retry's wait would be this test's receipt time. A deadline, not a sleep."""
    panels = [lab.lab.devices[f"{SCHOOL}/{a.name}"].sim for a in lab.city.school(SCHOOL).alarms]
    wait_until(
        lambda: lab.loop.call(lambda: not any(p.queue for p in panels)),
        timeout=60,
        what="the panels' queues delivered",
    )


def isapi(lab: FaultLab, name: str) -> AxProSession:
    sim = lab.lab.devices[f"{SCHOOL}/{name}"].sim
    panel = next(a for a in lab.city.school(SCHOOL).alarms if a.name == name)
    assert panel.credentials is not None
    url = f"http://{sim.host}:{sim.endpoints()['http']}"
    secret = lab_secret(panel.credentials.password)
    return AxProSession(name, url, panel.credentials.username, secret, timeout=5)


def edit(lab: FaultLab, name: str, path: str, root: str, **fields: Any) -> dict[str, Any]:
    """Change fields of a panel's ISAPI document; what they were, to put back."""
    api = isapi(lab, name)
    try:
        doc = api.json("GET", path, "read")[root]
        before = {key: doc[key] for key in fields}
        api.json("PUT", path, "write", {root: doc | fields})
    finally:
        api.close()
    return before


def control(lab: FaultLab, name: str, action: str) -> None:
    api = isapi(lab, name)
    try:
        api.json("PUT", f"/ISAPI/SecurityCP/control/{action}/0", action)
    finally:
        api.close()


def findings(observed: Observed) -> dict[str, str]:
    [school] = observed.report["schools"]
    alarm = next(c for c in school["checks"] if c["check"] == "alarm")
    return {f["subject"]: f"{f['verdict']}: {f['message']}" for f in alarm["findings"]}


def test_wrong_account_and_an_ordinary_panic_zone(lab: FaultLab) -> None:
    account = edit(lab, "gate-sos", ARC, "ARC", accountCode="0FFF")  # a typo at install
    zone = edit(lab, "teach-sos", PANIC_ZONE, "Zone", zoneType="Instant")
    try:
        observed = lab.verify()
    finally:
        edit(lab, "gate-sos", ARC, "ARC", **account)
        edit(lab, "teach-sos", PANIC_ZONE, "Zone", **zone)
    assert observed.exit_code == 2
    assert observed.verdicts()["alarm"] == "fail" and observed.verdicts()["drift"] == "fail"
    said = findings(observed)
    # The centre NAKs an account it never issued: nothing stored, the panel keeps the panic.
    assert said["gate-sos"].startswith("fail: no receipt within 2 s: the centre recorded no 120")
    assert "receiver answered NAK twice" in said["gate-sos"]
    assert said["teach-sos"] == (
        "fail: the panic zone can be disarmed and does not latch: GB 50394-2007 §5.2.3 item 1 "
        "requires an emergency alarm device to be non-disarmable (24 h) and latching"
    )


def test_a_bypassed_panic_zone_and_a_panel_whose_users_were_reset(lab: FaultLab) -> None:
    control(lab, "gate-sos", "bypass")
    lab.fault(f"{SCHOOL}/teach-sos", {"auth_failure": True})
    try:
        observed = lab.verify()
    finally:
        lab.fault(f"{SCHOOL}/teach-sos", None)
        control(lab, "gate-sos", "Recoverbypass")
    said = findings(observed)
    assert said["gate-sos"].startswith("fail: the panic zone can be disarmed:")
    assert said["teach-sos"].startswith("fail: ")
    assert "authentication failed (HTTP 401): the panel refused user 'admin'" in said["teach-sos"]
    assert observed.verdicts()["reachability"] == "fail"


def test_an_ax_pro_acked_by_another_receiver_is_caught_from_both_ends(lab: FaultLab) -> None:
    """The installer's receiver left in the ARC settings: pysiaalarm ACKs the panic, so the
    panel's own log looks healthy; the centre has nothing, and verify says so."""
    panel = next(a for a in lab.city.school(SCHOOL).alarms if a.name == "gate-sos")
    received: list[SIAEvent] = []
    impostor = SIAClient("127.0.0.1", 0, [SIAAccount(panel.account)], received.append)
    impostor.start(poll_interval=0.01)
    port = impostor.sia_server.server_address[1]
    centre = edit(lab, "gate-sos", ARC, "ARC", ipAddress="127.0.0.1", portNo=port)
    try:
        observed = lab.verify()
        # pysiaalarm ACKs first and hands the event to its callback after, on its own thread: a
        # busy machine runs that after verify is done, and stopping the receiver would lose it.
        wait_until(lambda: received, what="pysiaalarm's callback")
    finally:
        edit(lab, "gate-sos", ARC, "ARC", **centre)
        impostor.stop()
    said = findings(observed)
    assert [e.code for e in received] == ["PA"]  # the test panic, at the wrong receiver
    assert said["gate-sos"].startswith("fail: the panel says its 120 was ACKed at 20")
    assert f"by 127.0.0.1:{port}, but the centre has no such event" in said["gate-sos"]
