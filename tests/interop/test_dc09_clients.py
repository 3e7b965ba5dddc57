"""SIA DC-09 judged by two implementations no one here wrote.

- dc09-spt (PyPI, van Ovost's dialler classes) sends to the lab alarm centre over TCP and UDP:
  ACKed for an account the centre serves, NAKed (with the centre's time, which dc09-spt turns
  into a clock offset) for one it does not, and then not stored.
- pysiaalarm (PyPI) receives from a lab panel: it ACKs an account it knows (its AES key is the
  UTF-8 bytes of its key string) and NAKs one it does not, and the panel keeps that event
  queued, exactly as it does when the lab centre NAKs it. The NAK case is encrypted because
  pysiaalarm 3.2 answers an *unencrypted* unknown account with a bare `"NAK"` (no LF, CRC,
  length or CR: `SIAEvent.create_response` without an account), which is no DC-09 frame; a
  panel reads that as no answer at all and retries after its ACK timeout.

dc09-spt pins pycrypto, which no longer builds: it runs in its own venv with `--no-deps` plus
pycryptodome. Two client bugs are worked around, not copied: it writes the message number in
hex (so the messages here are numbered 1..9, where hex and decimal agree), and after a NAK its
`transfer_msg` reads the second answer as bytes and raises TypeError (so a NAKed transfer is
asserted as "not True", and the NAK itself through `dc09answer` on the first answer).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from labsupport import LabLoop, wait_until
from pysiaalarm import SIAAccount, SIAClient, SIAEvent
from tooling import client, run_client

from provision.lab.alarm_center import AlarmCenter
from provision.lab.alarm_panel import AlarmPanel
from provision.lab.faults import Faults

SENDER = (Path(__file__).parent / "dc09_spt_send.py").read_text()
ACCOUNT, STRANGER = "2A17", "5E5E"
AUTH = ("admin", "admin")


@pytest.fixture(scope="module")
def lab() -> Iterator[LabLoop]:
    loop = LabLoop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def centre(lab: LabLoop, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlarmCenter]:
    c = AlarmCenter(
        "precinct",
        "127.0.0.1",
        faults=Faults(),
        db_path=str(tmp_path_factory.mktemp("centre") / "events.db"),
        dc09_port=0,
        api_port=0,
        accounts={ACCOUNT: None},
        receiver_number="1",
        line="2",
    )
    lab.run(c.start())
    yield c
    lab.run(c.stop())


@pytest.fixture(scope="module")
def spt_python() -> Path:
    return client("dc09-spt")


def centre_events(centre: AlarmCenter, account: str) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{centre.endpoints()['http']}/api/events"
    return requests.get(url, params={"account": account}, timeout=5).json()


def spt_send(python: Path, centre: AlarmCenter, account: str, transport: str, nr: int) -> dict:
    port = str(centre.endpoints()["dc09"])
    out = run_client(python, SENDER, "127.0.0.1", port, account, "1", "2", transport, str(nr))
    return json.loads(out)


@pytest.mark.parametrize(("transport", "first"), [("tcp", 1), ("udp", 5)])
def test_dc09_spt_is_acked_for_a_known_account(
    spt_python: Path, centre: AlarmCenter, transport: str, first: int
) -> None:
    sent = spt_send(spt_python, centre, ACCOUNT, transport, first)
    assert sent == {"answer": "ACK", "offset": None, "transferred": True}
    stored = {(e["seq"], e["code"]) for e in centre_events(centre, ACCOUNT)}
    assert {(first, "602"), (first + 1, "602")} <= stored


@pytest.mark.parametrize(("transport", "first"), [("tcp", 3), ("udp", 7)])
def test_dc09_spt_is_naked_for_an_unknown_account(
    spt_python: Path, centre: AlarmCenter, transport: str, first: int
) -> None:
    sent = spt_send(spt_python, centre, STRANGER, transport, first)
    assert sent["answer"] == "NAK" and sent["transferred"] is not True
    assert abs(sent["offset"]) < 5  # dc09-spt read the centre's time from the NAK
    assert centre_events(centre, STRANGER) == []


@pytest.fixture
def panel(lab: LabLoop) -> Iterator[AlarmPanel]:
    p = AlarmPanel("school-17-gate", "127.0.0.1", faults=Faults(), api_port=0, ack_timeout_s=1)
    lab.run(p.start())
    yield p
    lab.run(p.stop())


def panel_call(panel: AlarmPanel, method: str, path: str, **kwargs: Any) -> Any:
    url = f"http://127.0.0.1:{panel.endpoints()['http']}{path}"
    reply = requests.request(method, url, auth=AUTH, timeout=5, **kwargs)
    assert reply.ok, reply.text
    return reply.json()


@pytest.fixture
def receiver() -> Iterator[tuple[SIAClient, list[SIAEvent]]]:
    received: list[SIAEvent] = []
    client = SIAClient("127.0.0.1", 0, [SIAAccount(ACCOUNT, "0123456789ABCDEF")], received.append)
    client.start(poll_interval=0.01)
    yield client, received
    client.stop()


def test_pysiaalarm_acks_a_known_encrypted_account(
    panel: AlarmPanel, receiver: tuple[SIAClient, list[SIAEvent]]
) -> None:
    client, received = receiver
    port = client.sia_server.server_address[1]
    key = b"0123456789ABCDEF".hex()  # pysiaalarm's key is its string's UTF-8 bytes
    config = {"receiver_host": "127.0.0.1", "receiver_port": port, "account": ACCOUNT}
    panel_call(panel, "PUT", "/api/config", json={**config, "protocol": "SIA-DCS", "key": key})
    event_id = panel_call(panel, "POST", "/api/press")["event_id"]
    wait_until(lambda: len(received) == 1, what="pysiaalarm's callback")
    assert (received[0].code, received[0].account, received[0].encrypted) == ("PA", ACCOUNT, True)
    status = wait_until(
        lambda: (s := panel_call(panel, "GET", "/api/status"))["queue_length"] == 0 and s,
        what="the panel's ACK",
    )
    assert event_id in status["delivered_event_ids"]


def test_pysiaalarm_naks_an_unknown_account_and_the_panel_keeps_it(
    panel: AlarmPanel, receiver: tuple[SIAClient, list[SIAEvent]]
) -> None:
    client, received = receiver
    port = client.sia_server.server_address[1]
    config = {"receiver_host": "127.0.0.1", "receiver_port": port, "account": STRANGER}
    panel_call(panel, "PUT", "/api/config", json={**config, "key": "00" * 16})
    event_id = panel_call(panel, "POST", "/api/press")["event_id"]
    status = wait_until(
        lambda: (
            (s := panel_call(panel, "GET", "/api/status"))["counters"].get("nak_received", 0) >= 2
            and s
        ),
        what="pysiaalarm's NAKs",
    )
    assert event_id in status["queued_event_ids"] and "NAK" in status["last_error"]
    assert received == []
