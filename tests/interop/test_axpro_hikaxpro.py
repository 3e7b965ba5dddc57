"""A lab Hikvision AX PRO judged by `hikaxpro` (PyPI 2.3.1, petrleocompel/hikaxpro): the
client Home Assistant's AX PRO integration is built on. It logs in with the panel's SHA-256
session challenge, reads zone and area status, arms away, arms stay, disarms, bypasses a zone
and recovers it, logs out; a wrong password is refused with Hikvision's userCheck answer, and
repeated wrong passwords lock the client's address out even for the right one. pysiaalarm,
a DC-09 receiver no one here wrote, receives what the ARC settings make the panel send.

The client installs top-level modules named `consts`, `models`, `helpers` and `errors`, so it
runs in a venv of its own; one lab panel serves the module (the lockout test, which spoils
the address, uses a panel of its own)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from labsupport import LabLoop, wait_until
from pysiaalarm import SIAAccount, SIAClient, SIAEvent
from tooling import client, run_client

from provision.drivers.axpro_client import AxProSession
from provision.lab.axpro_panel import AxProPanel
from provision.lab.faults import Faults

PASSWORD = "SENTINEL-axpro-admin-7e19"
CLIENT = """
import json, sys
import requests
from hikaxpro import HikAxPro

host, user, password = sys.argv[1:4]
ax = HikAxPro(host, user, password)
seen = {"wrong": HikAxPro(host, user, "not-the-password").connect()}
seen["login"] = ax.connect()
seen["zones"] = ax.zone_status()
seen["away"] = ax.arm_away()
seen["armed"] = ax.subsystem_status()
seen["area_status"] = ax.get_area_arm_status(1)
seen["stay"] = ax.arm_home(1)
seen["stay_zones"] = ax.zone_status()
seen["disarm"] = ax.disarm()
seen["disarmed"] = ax.subsystem_status()
seen["bypass"] = ax.bypass_zone(1)
seen["bypassed"] = ax.zone_status()
seen["recover"] = ax.recover_bypass_zone(1)
# hikaxpro 2.3.1's logout() reads .status_code off the parsed JSON; the request it makes:
logout = "http://%s/ISAPI/Security/sessionLogout?format=json" % host
seen["logout"] = ax.make_request(logout, "PUT").status_code
seen["after_logout"] = requests.get(
    "http://%s/ISAPI/SecurityCP/status/zones?format=json" % host, headers={"Cookie": ax._cookie}
).status_code
print(json.dumps(seen))
"""
LOCKOUT = """
import json, sys
import requests
from hikaxpro import HikAxPro

host, user, password = sys.argv[1:4]
tries = [HikAxPro(host, user, "wrong-%d" % i).connect() for i in range(5)]
right = HikAxPro(host, user, password)
caps = right.get_session_params()
body = "<SessionLogin><sessionID>%s</sessionID><userName>%s</userName><password>%s</password>"
body += "<sessionIDVersion>2.1</sessionIDVersion></SessionLogin>"
reply = requests.post(
    "http://%s/ISAPI/Security/sessionLogin" % host,
    body % (caps.session_id, user, right.encode_password(caps)),
)
print(json.dumps({"tries": tries, "status": reply.status_code, "body": reply.text}))
"""


def _panel(loop: LabLoop, name: str) -> AxProPanel:
    panel = AxProPanel(name, "127.0.0.1", faults=Faults(), api_port=0, password=PASSWORD)
    loop.run(panel.start())
    return panel


@pytest.fixture(scope="module")
def loop() -> Iterator[LabLoop]:
    lab = LabLoop()
    yield lab
    lab.close()


@pytest.fixture(scope="module")
def python() -> Any:
    return client("hikaxpro")


@pytest.fixture(scope="module")
def seen(loop: LabLoop, python: Any) -> Iterator[dict[str, Any]]:
    panel = _panel(loop, "interop/axpro")
    host = f"127.0.0.1:{panel.endpoints()['http']}"
    yield json.loads(run_client(python, CLIENT, host, "admin", PASSWORD))
    loop.run(panel.stop())


def _zones(doc: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {item["Zone"]["id"]: item["Zone"] for item in doc["ZoneList"]}


def test_logs_in_with_the_session_challenge_and_refuses_a_wrong_password(
    seen: dict[str, Any],
) -> None:
    assert seen["login"] is True
    assert seen["wrong"] is False
    assert seen["logout"] == 200
    assert seen["after_logout"] == 401  # the session cookie is dead once logged out


def test_reads_zones_with_their_types(seen: dict[str, Any]) -> None:
    zones = _zones(seen["zones"])
    assert zones[0]["detectorType"] == "panicButton"
    assert {z["zoneType"] for z in zones.values()} <= {"Instant", "Delay", "Emergency"}
    assert not any(z["armed"] for z in zones.values() if z["zoneType"] != "Emergency")


def test_arms_away_and_stay_and_disarms(seen: dict[str, Any]) -> None:
    ok = {"statusCode": 1, "statusString": "OK", "subStatusCode": "ok"}
    assert seen["away"] == seen["stay"] == seen["disarm"] == ok
    assert seen["armed"]["SubSysList"][0]["SubSys"]["arming"] == "away"
    assert seen["area_status"] == "away"
    stay = _zones(seen["stay_zones"])
    assert stay[2]["armed"] is False and stay[1]["armed"] is True  # stay leaves inner zones
    assert seen["disarmed"]["SubSysList"][0]["SubSys"]["arming"] == "disarm"


def test_bypasses_a_zone_and_recovers_it(seen: dict[str, Any]) -> None:
    assert seen["bypass"] is True and seen["recover"] is True
    assert _zones(seen["bypassed"])[1]["bypassed"] is True


def test_wrong_passwords_lock_the_address_out(loop: LabLoop, python: Any) -> None:
    panel = _panel(loop, "interop/axpro-lock")
    try:
        host = f"127.0.0.1:{panel.endpoints()['http']}"
        result = json.loads(run_client(python, LOCKOUT, host, "admin", PASSWORD))
    finally:
        loop.run(panel.stop())
    assert result["tries"] == [False] * 5
    assert result["status"] == 401  # the right password, while locked
    assert "<lockStatus>lock</lockStatus>" in result["body"]
    assert "<retryLoginTime>0</retryLoginTime>" in result["body"]


def test_the_arc_settings_report_to_pysiaalarm_in_sia_dcs_encrypted(loop: LabLoop) -> None:
    """The ARC settings drive the panel's DC-09 transmitter: a real receiver (pysiaalarm) gets
    the one-key panic as SIA-DCS "PA", AES-encrypted, from the account the ARC names, and the
    panel's log shows it ACKed by that receiver."""
    received: list[SIAEvent] = []
    account, key = "5A5A", "0123456789ABCDEF"  # pysiaalarm's key is its string's UTF-8 bytes
    receiver = SIAClient("127.0.0.1", 0, [SIAAccount(account, key)], received.append)
    receiver.start(poll_interval=0.01)
    panel = _panel(loop, "interop/axpro-arc")
    api = AxProSession(
        "interop", f"http://127.0.0.1:{panel.endpoints()['http']}", "admin", PASSWORD, timeout=5
    )
    try:
        port = receiver.sia_server.server_address[1]
        arc = api.json("GET", "/ISAPI/SecurityCP/Configuration/ARC/1", "read")["ARC"]
        arc |= {"enabled": True, "ipAddress": "127.0.0.1", "portNo": port, "accountCode": account}
        arc |= {"protocolType": "SIA-DCS", "encryptionEnabled": True}
        arc |= {"encryptionKey": key.encode().hex()}
        api.json("PUT", "/ISAPI/SecurityCP/Configuration/ARC/1", "write", {"ARC": arc})
        api.json("PUT", "/ISAPI/SecurityCP/control/oneKeyAlarm/1", "panic")
        wait_until(lambda: len(received) == 1, what="pysiaalarm's callback")
        log = wait_until(
            lambda: [e for e in loop.call(lambda: list(panel.log)) if e["acked_at"]],
            what="the panel's log of the ACK",
        )
    finally:
        api.close()
        receiver.stop()
        loop.run(panel.stop())
    assert (received[0].code, received[0].account, received[0].encrypted) == ("PA", account, True)
    assert log[0]["code"] == "120" and log[0]["acked_by"] == f"127.0.0.1:{port}"
