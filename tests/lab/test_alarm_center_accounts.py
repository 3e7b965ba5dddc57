"""The lab alarm centre answers only for its own accounts, receiver and line, over TCP and UDP:
anything else is NAKed (with the centre's time) and never stored."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import requests
from test_alarm_support import Dc09Client, LabLoop, literal_frame

from provision.lab.alarm_center import AlarmCenter
from provision.lab.faults import Faults
from provision.protocols import dc09

KEY = bytes.fromhex("00112233445566778899AABBCCDDEEFF")


def stamp() -> str:
    return dc09.format_timestamp(datetime.now(UTC))


@pytest.fixture(scope="module")
def lab() -> Iterator[LabLoop]:
    loop = LabLoop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def center(lab: LabLoop, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlarmCenter]:
    c = AlarmCenter(
        "precinct",
        "127.0.0.1",
        faults=Faults(),
        db_path=str(tmp_path_factory.mktemp("centre") / "events.db"),
        dc09_port=0,
        api_port=0,
        accounts={"1234": None, "ABCD": KEY.hex()},
        receiver_number="1",
        line="2",
    )
    lab.run(c.start())
    yield c
    lab.run(c.stop())


@pytest.fixture
def client(center: AlarmCenter) -> Iterator[Dc09Client]:
    conn = Dc09Client(center.endpoints()["dc09"])
    yield conn
    conn.close()


def stored(center: AlarmCenter, account: str) -> list[int]:
    url = f"http://127.0.0.1:{center.endpoints()['http']}/api/events"
    return [e["seq"] for e in requests.get(url, params={"account": account}, timeout=5).json()]


def assert_nak(raw: bytes) -> None:
    reply = dc09.decode(raw)
    assert (reply.token, reply.seq, reply.account) == (dc09.NAK, 0, None)
    assert reply.timestamp is not None  # the centre's clock, the one thing a NAK tells
    assert abs(reply.timestamp - datetime.now(UTC)) < timedelta(seconds=3)


@pytest.mark.parametrize(
    ("header", "acked"),
    [
        ("R1L2#1234", True),
        ("L2#1234", True),  # the receiver number is optional in a header
        ("R1L2#7777", False),  # an account the centre never issued
        ("R3L2#1234", False),  # addressed to another receiver
        ("R1L1#1234", False),  # on another line
    ],
)
def test_only_its_own_accounts_receiver_and_line_are_acked(
    center: AlarmCenter, client: Dc09Client, header: str, acked: bool
) -> None:
    seq = 100 + len(stored(center, "1234")) + center.counters["nak_sent"]
    account = header.partition("#")[2]
    client.send(literal_frame(f'"ADM-CID"{seq:04d}{header}[#{account}|1601 00 000]{stamp()}'))
    raw = client.response()
    if acked:
        assert dc09.decode(raw).token == dc09.ACK and seq in stored(center, account)
    else:
        assert_nak(raw)
        assert seq not in stored(center, account)


def test_encrypted_frame_from_an_unknown_account_is_naked(
    center: AlarmCenter, client: Dc09Client
) -> None:
    frame = dc09.Frame(dc09.ADM_CID, 7, "2", "1", "9999", "#9999|1120 01 001", (), None, True)
    client.send(dc09.encode(replace(frame, timestamp=datetime.now(UTC)), KEY))
    assert_nak(client.response())
    before = center.counters["nak_unknown_account"]
    client.send(literal_frame('"NULL"0011R1L2#9999[]'))  # a link test from it too
    assert_nak(client.response())
    assert center.counters["nak_unknown_account"] == before + 1


def udp_exchange(center: AlarmCenter, frame: bytes) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(frame, ("127.0.0.1", center.endpoints()["dc09"]))
        reply, sender = sock.recvfrom(1024)
    assert sender[1] == center.endpoints()["dc09"]  # answered from the receiver's port
    return reply


def test_udp_frames_are_answered_like_tcp(center: AlarmCenter) -> None:
    ok = udp_exchange(center, literal_frame(f'"SIA-DCS"0021R1L2#1234[#1234|Nri1/RP000]{stamp()}'))
    assert (dc09.decode(ok).token, dc09.decode(ok).seq) == (dc09.ACK, 21)
    assert 21 in stored(center, "1234")
    assert_nak(
        udp_exchange(center, literal_frame(f'"SIA-DCS"0022R1L2#5555[#5555|Nri1/RP000]{stamp()}'))
    )
    assert stored(center, "5555") == []


def window(center: AlarmCenter, method: str, account: str, **body: object) -> requests.Response:
    url = f"http://127.0.0.1:{center.endpoints()['http']}/api/accounts/{account}/test-window"
    return requests.request(method, url, json=body or None, timeout=5)


def panic(client: Dc09Client, seq: int) -> None:
    client.send(literal_frame(f'"ADM-CID"{seq:04d}R1L2#1234[#1234|1120 01 001]{stamp()}'))
    assert dc09.decode(client.response()).token == dc09.ACK


def last_event(center: AlarmCenter, seq: int) -> dict:
    url = f"http://127.0.0.1:{center.endpoints()['http']}/api/events"
    got = requests.get(url, params={"account": "1234"}, timeout=5).json()
    return next(e for e in got if e["seq"] == seq)


def test_a_real_alarm_is_dispatched_outside_a_test_window_and_not_inside(
    lab: LabLoop, center: AlarmCenter, client: Dc09Client
) -> None:
    panic(client, 301)
    assert last_event(center, 301)["dispatched"] is True
    opened = window(center, "PUT", "1234", minutes=5, opened_by="installer")
    assert opened.status_code == 200 and opened.json()["opened_by"] == "installer"
    try:
        panic(client, 302)
        inside = last_event(center, 302)
        assert (inside["on_test"], inside["dispatched"]) == (True, False)
        url = f"http://127.0.0.1:{center.endpoints()['http']}/api/test-windows"
        assert [w["account"] for w in requests.get(url, timeout=5).json()] == ["1234"]
        lab.run(center.stop())  # a restart keeps the window open
        lab.run(center.start())
        assert [w["account"] for w in requests.get(url, timeout=5).json()] == ["1234"]
    finally:
        assert window(center, "DELETE", "1234").json() == {"account": "1234", "closed": True}
    again = Dc09Client(center.endpoints()["dc09"])  # the restart closed the first link
    try:
        panic(again, 303)
    finally:
        again.close()
    assert last_event(center, 303)["dispatched"] is True
    assert window(center, "DELETE", "1234").json()["closed"] is False


@pytest.mark.parametrize(
    ("account", "body", "status"),
    [
        ("7777", {"minutes": 5}, 404),  # not an account of this centre
        ("1234", {"minutes": 0}, 400),
        ("1234", {"minutes": 241}, 400),
        ("1234", {"minutes": "5"}, 400),
        ("1234", {"minutes": 5, "opened_by": 7}, 400),
    ],
)
def test_test_window_requests_are_checked(
    center: AlarmCenter, account: str, body: dict, status: int
) -> None:
    reply = window(center, "PUT", account, **body)
    assert reply.status_code == status and reply.json()["error"]
    assert window(center, "DELETE", "1234").json()["closed"] is False  # nothing was opened


def test_a_centre_that_refuses_test_mode_answers_403(center: AlarmCenter) -> None:
    center.faults.test_mode_refused = True
    try:
        reply = window(center, "PUT", "1234", minutes=5)
    finally:
        center.faults.test_mode_refused = False
    assert reply.status_code == 403 and "cannot be put on test" in reply.json()["error"]
