"""The lab alarm centre over real sockets: hand-written DC-09 frames in, responses and the JSON
API (read with requests) out."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from test_alarm_support import Dc09Client, LabLoop, literal_frame, wait_until

from provision.lab.alarm_center import AlarmCenter
from provision.lab.faults import Faults
from provision.protocols import dc09

KEY = bytes.fromhex("00112233445566778899AABBCCDDEEFF")


def stamp(offset_s: float = 0) -> str:
    return dc09.format_timestamp(datetime.now(UTC) + timedelta(seconds=offset_s))


@pytest.fixture(scope="module")
def lab() -> Iterator[LabLoop]:
    loop = LabLoop()
    yield loop
    loop.close()


@pytest.fixture
def center(lab: LabLoop, tmp_path: Path) -> Iterator[AlarmCenter]:
    c = AlarmCenter(
        "precinct",
        "127.0.0.1",
        faults=Faults(),
        db_path=str(tmp_path / "events.db"),
        dc09_port=0,
        api_port=0,
        keys={"ABCD": KEY.hex()},
    )
    lab.run(c.start())
    yield c
    lab.run(c.stop())


@pytest.fixture
def client(center: AlarmCenter) -> Iterator[Dc09Client]:
    conn = Dc09Client(center.endpoints()["dc09"])
    yield conn
    conn.close()


def api(center: AlarmCenter, path: str, **params: str) -> requests.Response:
    return requests.get(f"http://127.0.0.1:{center.endpoints()['http']}{path}", params=params)


def events(center: AlarmCenter, **params: str) -> list[dict]:
    resp = api(center, "/api/events", **params)
    assert resp.status_code == 200
    return resp.json()


def test_hand_written_frame_is_stored_then_acked(center: AlarmCenter, client: Dc09Client) -> None:
    client.send(literal_frame(f'"ADM-CID"0017R1L2#1234[#1234|1601 03 005]{stamp()}'))
    assert client.response() == literal_frame('"ACK"0017R1L2#1234[]')
    # The ACK is out, so the event must already be committed: read the file independently.
    with sqlite3.connect(center.store.path) as db:
        assert db.execute("SELECT code, seq FROM events").fetchall() == [("601", 17)]
    (event,) = events(center, account="1234", code="601")
    assert (event["qualifier"], event["partition"], event["zone"]) == (1, "03", "005")
    assert (event["protocol"], event["seq"], event["is_test"]) == ("ADM-CID", 17, True)
    received = datetime.fromisoformat(event["received_at"])
    assert event["received_at"].endswith("Z") and len(event["received_at"]) == 24  # ms
    assert abs((datetime.now(UTC) - received).total_seconds()) < 5


def test_frame_split_across_two_writes(center: AlarmCenter, client: Dc09Client) -> None:
    frame = literal_frame(f'"SIA-DCS"0003R0L0#1234[#1234|Nri1/PA501]{stamp()}')
    client.send(frame[:17])
    assert client.silent(0.2)  # half a frame gets no answer...
    client.send(frame[17:])
    assert dc09.decode(client.response()).seq == 3  # ...the whole one does
    assert [e["code"] for e in events(center)] == ["PA"]


def test_two_frames_in_one_write_get_two_acks(center: AlarmCenter, client: Dc09Client) -> None:
    one = literal_frame(f'"ADM-CID"0001R0L0#1234[#1234|1120 01 001]{stamp()}')
    two = literal_frame(f'"ADM-CID"0002R0L0#1234[#1234|3120 01 001]{stamp()}')
    client.send(one + two)
    assert [dc09.decode(client.response()).seq for _ in range(2)] == [1, 2]
    assert [e["qualifier"] for e in events(center)] == [1, 3]


def test_bad_crc_gets_no_answer_and_is_not_stored(center: AlarmCenter, client: Dc09Client) -> None:
    good = literal_frame(f'"ADM-CID"0005R0L0#1234[#1234|1601 00 000]{stamp()}')
    wrong_crc = f"{(int(good[1:5], 16) + 1) % 0x10000:04X}".encode()
    client.send(b"\n" + wrong_crc + good[5:])
    assert client.silent()
    client.send(good)  # same connection still served
    assert dc09.decode(client.response()).token == dc09.ACK
    assert len(events(center)) == 1 and center.counters["rejected_crc"] == 1


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-35, True), (15, True), (-50, False), (30, False)]
)
def test_timestamp_window(
    center: AlarmCenter, client: Dc09Client, offset: int, accepted: bool
) -> None:
    client.send(literal_frame(f'"ADM-CID"0009R0L0#1234[#1234|1602 00 000]{stamp(offset)}'))
    reply = dc09.decode(client.response())
    if accepted:
        assert reply.token == dc09.ACK and len(events(center)) == 1
    else:
        assert (reply.token, reply.seq) == (dc09.NAK, 0) and events(center) == []
        assert reply.timestamp is not None
        assert abs((reply.timestamp - datetime.now(UTC)).total_seconds()) < 3


def test_a_retry_is_acked_but_stored_once(center: AlarmCenter, client: Dc09Client) -> None:
    for offset in (-3, 0):  # a retry is re-stamped, same seq and data
        client.send(literal_frame(f'"ADM-CID"0044R0L0#1234[#1234|1120 00 001]{stamp(offset)}'))
        assert dc09.decode(client.response()).token == dc09.ACK
    client.send(literal_frame(f'"ADM-CID"0045R0L0#1234[#1234|1120 00 001]{stamp()}'))
    assert dc09.decode(client.response()).seq == 45  # a new seq is a new event
    assert [e["seq"] for e in events(center)] == [44, 45]
    assert center.counters["duplicates"] == 1


def test_encrypted_event_gets_an_encrypted_ack(center: AlarmCenter, client: Dc09Client) -> None:
    now = datetime.now(UTC)
    frame = dc09.Frame(dc09.ADM_CID, 8, "0", "0", "ABCD", "#ABCD|1130 01 004", (), now, True)
    client.send(dc09.encode(frame, KEY))
    raw = client.response()
    assert raw.split(b'"')[1] == b"*ACK"
    ack = dc09.decode(raw, {"ABCD": KEY})
    assert (ack.seq, ack.account, ack.timestamp is not None) == (8, "ABCD", True)
    (event,) = events(center, account="abcd")
    assert event["encrypted"] and event["code"] == "130"


def test_duh_when_the_centre_cannot_read_the_frame(center: AlarmCenter, client: Dc09Client) -> None:
    frame = dc09.Frame(dc09.ADM_CID, 4, "0", "0", "9999", "#9999|1601 00 000", encrypted=True)
    client.send(dc09.encode(replace(frame, timestamp=datetime.now(UTC)), KEY))  # unknown key
    assert dc09.decode(client.response()) == dc09.Frame(dc09.DUH, 4, "0", "0", "9999")
    client.send(literal_frame('"ADM-CID"0006R0L0#1234[#1234|not contact id]'))
    assert dc09.decode(client.response()).token == dc09.DUH
    assert events(center) == []


def test_null_messages_are_heartbeats(center: AlarmCenter, client: Dc09Client) -> None:
    client.send(literal_frame('"NULL"0010R0L0#1234[]'))  # timestamp optional when unencrypted
    assert dc09.decode(client.response()).token == dc09.ACK
    assert events(center) == []
    (beat,) = api(center, "/api/heartbeats", account="1234").json()
    assert beat["seq"] == 10 and beat["panel_timestamp"] is None
    last = api(center, "/api/accounts/1234/last").json()
    assert last["event"] is None and last["heartbeat"]["id"] == beat["id"]


def test_api_filters(center: AlarmCenter, client: Dc09Client) -> None:
    for seq, acct, code in ((1, "1234", 601), (2, "1234", 120), (3, "5678", 601)):
        data = f"#{acct}|1{code} 00 000"
        client.send(literal_frame(f'"ADM-CID"000{seq}R0L0#{acct}[{data}]{stamp()}'))
        client.response()
    assert [e["seq"] for e in events(center, code="601")] == [1, 3]
    assert [e["seq"] for e in events(center, account="1234")] == [1, 2]
    first = events(center)[0]["received_at"]
    assert [e["seq"] for e in events(center, until=first)] == []
    assert [e["seq"] for e in events(center, since=first)] == [1, 2, 3]
    future = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    assert events(center, since=future) == []
    assert api(center, "/api/events", since="yesterday").status_code == 400
    assert api(center, "/api/accounts/1234/last").json()["event"]["seq"] == 2
    assert api(center, "/api/accounts/ABC/last").status_code == 404
    health = api(center, "/api/health").json()
    assert health["stored"] == {"events": 3, "heartbeats": 0} and health["receiver_listening"]


def test_receiver_down_refuses_while_the_api_stays_up(lab: LabLoop, center: AlarmCenter) -> None:
    port = center.endpoints()["dc09"]
    center.faults.receiver_down = True
    lab.run(center.sync_faults())
    with pytest.raises(ConnectionRefusedError):
        Dc09Client(port)
    assert api(center, "/api/health").json()["receiver_listening"] is False
    center.faults.receiver_down = False
    lab.run(center.sync_faults())
    client = Dc09Client(port)
    client.send(literal_frame(f'"ADM-CID"0001R0L0#1234[#1234|1601 00 000]{stamp()}'))
    assert dc09.decode(client.response()).token == dc09.ACK
    client.close()


def test_drop_acks_stores_without_answering(
    lab: LabLoop, center: AlarmCenter, client: Dc09Client
) -> None:
    center.faults.drop_acks = True
    client.send(literal_frame(f'"ADM-CID"0001R0L0#1234[#1234|1120 00 001]{stamp()}'))
    assert client.silent()
    assert len(events(center)) == 1


def test_dead_centre_refuses_everything(lab: LabLoop, center: AlarmCenter) -> None:
    center.faults.dead = True
    lab.run(center.sync_faults())
    with pytest.raises(requests.ConnectionError):
        api(center, "/api/health")
    with pytest.raises(ConnectionRefusedError):
        Dc09Client(center.endpoints()["dc09"])
    center.faults.dead = False
    lab.run(center.sync_faults())
    assert wait_until(lambda: api(center, "/api/health").ok, what="API back")


def test_events_survive_a_restart(lab: LabLoop, center: AlarmCenter, client: Dc09Client) -> None:
    client.send(literal_frame(f'"ADM-CID"0001R0L0#1234[#1234|1601 00 000]{stamp()}'))
    client.response()
    lab.run(center.stop())
    lab.run(center.start())
    assert [e["code"] for e in events(center)] == ["601"]


def test_hung_receiver_neither_answers_nor_stores(center: AlarmCenter, client: Dc09Client) -> None:
    center.faults.timeout = True
    client.send(literal_frame(f'"ADM-CID"0001R0L0#1234[#1234|1120 00 001]{stamp()}'))
    assert client.silent()
    center.faults.timeout = False
    assert events(center) == []
