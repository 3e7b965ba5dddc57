"""The lab AX PRO's ISAPI on its own: refusals that change nothing, the write-only key, zone
types and what they do to the panic button (24 h, latching), sessions and the faults.

One panel serves the module; each test logs in afresh and puts back what it changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from labsupport import LabLoop

from provision.drivers.axpro_client import AxProSession
from provision.errors import DeviceError
from provision.lab.axpro_panel import AxProPanel
from provision.lab.faults import Faults

PASSWORD = "SENTINEL-axpro-lab-55d2"
ARC = "/ISAPI/SecurityCP/Configuration/ARC/1"
PANIC_ZONE = "/ISAPI/SecurityCP/Configuration/zones/0"
KEY = "00112233445566778899AABBCCDDEEFF"


@pytest.fixture(scope="module")
def loop() -> Iterator[LabLoop]:
    lab = LabLoop()
    yield lab
    lab.close()


@pytest.fixture(scope="module")
def panel(loop: LabLoop) -> Iterator[AxProPanel]:
    sim = AxProPanel("lab/axpro", "127.0.0.1", faults=Faults(), api_port=0, password=PASSWORD)
    loop.run(sim.start())
    yield sim
    loop.run(sim.stop())


@pytest.fixture
def api(panel: AxProPanel) -> Iterator[AxProSession]:
    session = AxProSession(
        "lab/axpro", f"http://127.0.0.1:{panel.endpoints()['http']}", "admin", PASSWORD, timeout=5
    )
    yield session
    session.close()


def refused(api: AxProSession, method: str, path: str, body: Any) -> str:
    with pytest.raises(DeviceError) as failed:
        api.json(method, path, "write", body)
    return str(failed.value)


def test_a_request_without_a_session_is_refused(panel: AxProPanel) -> None:
    url = f"http://127.0.0.1:{panel.endpoints()['http']}/ISAPI/SecurityCP/status/zones"
    reply = requests.get(url, params={"format": "json"}, timeout=5)
    assert reply.status_code == 401
    assert reply.json()["statusCode"] == 4


def test_bad_arc_values_are_refused_and_change_nothing(
    api: AxProSession, panel: AxProPanel, loop: LabLoop
) -> None:
    arc = api.json("GET", ARC, "read")["ARC"]
    before = loop.call(lambda: dict(panel.config))
    bad = {
        "accountCode": "not-hex",
        "transmissionMode": "UDP",
        "encryptionEnabled": True,  # with no key ever set
        "portNo": 0,
    }
    for field, value in bad.items():
        wanted = arc | {"enabled": True, "ipAddress": "127.0.0.1", field: value}
        said = refused(api, "PUT", ARC, {"ARC": wanted})
        assert f"(field {field!r})" in said, said
    assert api.json("GET", ARC, "read")["ARC"] == arc
    assert loop.call(lambda: dict(panel.config)) == before


def test_the_key_is_write_only_and_turns_encryption_on(
    api: AxProSession, panel: AxProPanel, loop: LabLoop
) -> None:
    arc = api.json("GET", ARC, "read")["ARC"]
    try:
        api.json(
            "PUT", ARC, "write", {"ARC": arc | {"encryptionEnabled": True, "encryptionKey": KEY}}
        )
        now = api.json("GET", ARC, "read")["ARC"]
        assert now["encryptionEnabled"] is True and "encryptionKey" not in now
        assert KEY not in str(loop.call(panel.state))
    finally:
        api.json("PUT", ARC, "write", {"ARC": arc | {"encryptionKey": None}})
    assert api.json("GET", ARC, "read")["ARC"]["encryptionEnabled"] is False


def test_zone_writes_keep_the_enrolled_detector_and_the_zone_types(api: AxProSession) -> None:
    zone = api.json("GET", PANIC_ZONE, "read")["Zone"]
    assert zone["detectorType"] == "panicButton"
    assert "read-only" in refused(
        api, "PUT", PANIC_ZONE, {"Zone": zone | {"detectorType": "smokeDetector"}}
    )
    assert "zoneType" in refused(api, "PUT", PANIC_ZONE, {"Zone": zone | {"zoneType": "24x7"}})
    assert api.json("GET", PANIC_ZONE, "read")["Zone"] == zone


def test_a_panic_zone_ignores_disarming_and_latches_an_instant_one_does_neither(
    api: AxProSession, panel: AxProPanel, loop: LabLoop
) -> None:
    zone = api.json("GET", PANIC_ZONE, "read")["Zone"]
    try:
        api.json("PUT", "/ISAPI/SecurityCP/control/disarm/1", "disarm")
        assert loop.call(panel.press_button) is None  # Instant, disarmed: ignored
        api.json("PUT", PANIC_ZONE, "write", {"Zone": zone | {"zoneType": "Emergency"}})
        assert loop.call(panel.press_button) is not None  # 24 h: an alarm while disarmed
        api.json("PUT", "/ISAPI/SecurityCP/control/disarm/1", "disarm")
        status = api.json("GET", "/ISAPI/SecurityCP/status/zones", "read")["ZoneList"]
        assert status[0]["Zone"]["alarm"] is True  # latched through disarming
        api.json("PUT", "/ISAPI/SecurityCP/control/clearAlarm/1", "clear")
        status = api.json("GET", "/ISAPI/SecurityCP/status/zones", "read")["ZoneList"]
        assert status[0]["Zone"]["alarm"] is False
    finally:
        api.json("PUT", PANIC_ZONE, "write", {"Zone": zone})
        loop.call(panel.queue.clear)  # no receiver is set: nothing would ever deliver them


def test_auth_failure_ends_live_sessions_and_api_error_answers_device_error(
    api: AxProSession, panel: AxProPanel
) -> None:
    api.json("GET", ARC, "read")  # logged in
    panel.faults.api_error = ["PUT " + ARC]
    try:
        assert "Device Error" in refused(api, "PUT", ARC, {"ARC": {"id": 1}})
    finally:
        panel.faults.api_error = []
    panel.faults.auth_failure = True
    try:
        with pytest.raises(DeviceError, match="refused user 'admin'"):
            api.json("GET", ARC, "read")
    finally:
        panel.faults.auth_failure = False
    assert api.json("GET", ARC, "read")["ARC"]["id"] == 1  # logs in again once it clears


def test_a_challenge_is_good_for_one_login(panel: AxProPanel) -> None:
    base = f"http://127.0.0.1:{panel.endpoints()['http']}"
    cap = requests.get(f"{base}/ISAPI/Security/sessionLogin/capabilities?username=admin", timeout=5)
    session_id = cap.text.split("<sessionID>")[1].split("<")[0]
    body = (
        f"<SessionLogin><sessionID>{session_id}</sessionID><userName>admin</userName>"
        "<password>00</password></SessionLogin>"
    )
    first = requests.post(f"{base}/ISAPI/Security/sessionLogin", data=body, timeout=5)
    assert first.status_code == 401 and "<retryLoginTime>4</retryLoginTime>" in first.text
    panel.session._attempts.clear()  # this module's other logins must not be locked out
