"""The lab alarm panel: its config API (requests), its DC-09 transmitter against pysiaalarm (an
independent receiver) and against the lab alarm centre, end to end, with faults."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from pysiaalarm import SIAAccount, SIAClient, SIAEvent
from test_alarm_support import LabLoop, wait_until

from provision.lab.alarm_center import AlarmCenter
from provision.lab.alarm_panel import AlarmPanel
from provision.lab.faults import Faults

AUTH = ("admin", "admin")
ASCII_KEYS = {16: "0123456789ABCDEF", 24: "0123456789ABCDEF01234567", 32: "F" * 32}


@pytest.fixture(scope="module")
def lab() -> Iterator[LabLoop]:
    loop = LabLoop()
    yield loop
    loop.close()


@pytest.fixture
def panel(lab: LabLoop) -> Iterator[AlarmPanel]:
    p = AlarmPanel(
        "school-17-gate",
        "127.0.0.1",
        faults=Faults(),
        api_port=0,
        ack_timeout_s=0.3,
        backoff_base_s=0.02,
        backoff_cap_s=0.1,
    )
    lab.run(p.start())
    yield p
    lab.run(p.stop())


@pytest.fixture
def center(lab: LabLoop, tmp_path: Path) -> Iterator[AlarmCenter]:
    c = AlarmCenter(
        "precinct",
        "127.0.0.1",
        faults=Faults(),
        db_path=str(tmp_path / "a.db"),
        dc09_port=0,
        api_port=0,
    )
    lab.run(c.start())
    yield c
    lab.run(c.stop())


def call(panel: AlarmPanel, method: str, path: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", AUTH)
    url = f"http://127.0.0.1:{panel.endpoints()['http']}{path}"
    return requests.request(method, url, timeout=5, **kwargs)


def configure(panel: AlarmPanel, **settings: Any) -> dict[str, Any]:
    resp = call(panel, "PUT", "/api/config", json=settings)
    assert resp.status_code == 200, resp.text
    return resp.json()


def point_at(panel: AlarmPanel, center: AlarmCenter, account: str = "2A17", **more: Any) -> None:
    port = center.endpoints()["dc09"]
    configure(panel, receiver_host="127.0.0.1", receiver_port=port, account=account, **more)


def status(panel: AlarmPanel) -> dict[str, Any]:
    return call(panel, "GET", "/api/status").json()


def centre_events(center: AlarmCenter, **params: str) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{center.endpoints()['http']}/api/events"
    return requests.get(url, params=params, timeout=5).json()


def test_factory_config_is_unconfigured_and_never_shows_a_key(panel: AlarmPanel) -> None:
    config = call(panel, "GET", "/api/config").json()
    assert config["receiver_host"] is None and config["account"] == "FFFF"
    assert config["test_interval_h"] == 24 and config["encryption"] is False
    after = configure(panel, key="00" * 16)
    assert after["encryption"] is True and "key" not in after
    assert "00" * 16 not in call(panel, "GET", "/api/status").text


def test_basic_auth_and_auth_failure_fault(lab: LabLoop, panel: AlarmPanel) -> None:
    assert call(panel, "GET", "/api/config", auth=None).status_code == 401
    wrong = call(panel, "GET", "/api/config", auth=("admin", "nope"))
    assert wrong.status_code == 401 and "Basic" in wrong.headers["WWW-Authenticate"]
    panel.faults.auth_failure = True
    assert call(panel, "GET", "/api/config").status_code == 401
    panel.faults.auth_failure = False
    assert call(panel, "GET", "/api/config").status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"account": "XYZ1"}, "account"),
        ({"account": "12"}, "account"),
        ({"test_interval_h": 0}, "test_interval_h"),
        ({"test_interval_h": 255}, "test_interval_h"),
        ({"test_interval_h": True}, "test_interval_h"),
        ({"key": "00" * 15}, "key"),
        ({"encryption": True}, "encryption"),
        ({"receiver_port": 70000}, "receiver_port"),
        ({"protocol": "XML"}, "protocol"),
        ({"colour": "red"}, "colour"),
        ({"account": "1234", "line_number": "G"}, "line_number"),
    ],
)
def test_config_validation_names_the_field(
    panel: AlarmPanel, change: dict[str, Any], field: str
) -> None:
    resp = call(panel, "PUT", "/api/config", json=change)
    assert resp.status_code == 400 and resp.json()["field"] == field
    assert field in resp.json()["error"]
    assert call(panel, "GET", "/api/config").json()["account"] == "FFFF"  # all or nothing


@pytest.mark.parametrize("size", [None, 16, 24, 32])
@pytest.mark.parametrize("protocol", ["ADM-CID", "SIA-DCS"])
def test_pysiaalarm_receives_and_acks_panel_events(
    panel: AlarmPanel, protocol: str, size: int | None
) -> None:
    key = ASCII_KEYS[size] if size else None
    received: list[SIAEvent] = []
    receiver = SIAClient("127.0.0.1", 0, [SIAAccount("2A17", key)], received.append)
    receiver.start(poll_interval=0.01)  # socketserver's default 0.5 s poll slows stop()
    try:
        port = receiver.sia_server.server_address[1]
        # pysiaalarm takes the ASCII text of its key as the AES key; the panel takes hex bytes.
        extra = {"key": key.encode().hex()} if key else {}
        configure(
            panel,
            receiver_host="127.0.0.1",
            receiver_port=port,
            account="2A17",
            protocol=protocol,
            **extra,
        )
        assert call(panel, "POST", "/api/press").json()["code"] == "120"
        call(panel, "POST", "/api/test")
        wait_until(lambda: status(panel)["queue_length"] == 0, what="queue drained")
        wait_until(lambda: len(received) == 2, what="callbacks")  # pysiaalarm ACKs, then calls
        # An idle panel holds no socket, so the two events may come on two connections;
        # pysiaalarm handles each in a thread of its own and calls back after its ACK, so its
        # callbacks may come in either order (seen once in a full run): the panel's order is
        # in the frames' sequence numbers (and in delivered_event_ids below).
        in_sequence = sorted(received, key=lambda e: int(e.sequence or "0"))
        assert [(e.code, e.account, e.sequence) for e in in_sequence] == [
            ("PA", "2A17", "0001"),
            ("RX", "2A17", "0002"),
        ]
        assert all(e.encrypted == bool(key) for e in received)
        done = status(panel)
        assert done["delivered_event_ids"] == [1, 2] and done["last_ack_at"] is not None
        assert done["counters"]["frames_sent"] == 2
    finally:
        receiver.stop()


def test_manual_test_reaches_the_centre(panel: AlarmPanel, center: AlarmCenter) -> None:
    point_at(panel, center)
    event_id = call(panel, "POST", "/api/test").json()["event_id"]
    (event,) = wait_until(lambda: centre_events(center, account="2A17", code="601"))
    assert event["is_test"] and event["received_at"].endswith("Z")
    assert wait_until(lambda: event_id in status(panel)["delivered_event_ids"])


def test_receiver_down_queues_then_delivers_everything_once(
    lab: LabLoop, panel: AlarmPanel, center: AlarmCenter
) -> None:
    center.faults.receiver_down = True
    lab.run(center.sync_faults())
    point_at(panel, center)
    ids = [call(panel, "POST", "/api/press").json()["event_id"] for _ in range(3)]
    ids.append(call(panel, "POST", "/api/test").json()["event_id"])
    wait_until(lambda: status(panel)["counters"].get("connect_failures", 0) >= 3)
    held = status(panel)
    assert held["queued_event_ids"] == ids and "connect" in held["last_error"]
    center.faults.receiver_down = False
    lab.run(center.sync_faults())
    wait_until(lambda: status(panel)["queue_length"] == 0, what="queue drained")
    stored = centre_events(center)
    assert [(e["seq"], e["code"]) for e in stored] == [
        (1, "120"),
        (2, "120"),
        (3, "120"),
        (4, "601"),
    ]
    assert status(panel)["delivered_event_ids"] == ids


def test_lost_acks_mean_retries_with_the_same_seq_stored_once(
    lab: LabLoop, panel: AlarmPanel, center: AlarmCenter
) -> None:
    center.faults.drop_acks = True
    point_at(panel, center)
    call(panel, "POST", "/api/press")
    wait_until(lambda: status(panel)["counters"].get("retries", 0) >= 2, what="retries")
    assert len(centre_events(center)) == 1 and status(panel)["queue_length"] == 1
    center.faults.drop_acks = False
    wait_until(lambda: status(panel)["queue_length"] == 0, what="queue drained")
    (event,) = centre_events(center)
    assert event["seq"] == 1 and center.counters["duplicates"] >= 2


def test_nak_resyncs_the_panel_clock(lab: LabLoop, center: AlarmCenter) -> None:
    skewed = AlarmPanel(
        "slow-rtc",
        "127.0.0.1",
        faults=Faults(),
        api_port=0,
        clock_offset_s=-3600,
        backoff_base_s=0.02,
    )
    lab.run(skewed.start())
    try:
        point_at(skewed, center)
        call(skewed, "POST", "/api/press")
        wait_until(lambda: status(skewed)["queue_length"] == 0, what="queue drained")
        state = status(skewed)
        assert state["counters"]["nak_received"] == 1 and abs(state["clock_offset_s"]) < 2
        (event,) = centre_events(center)
        panel_time = datetime.fromisoformat(event["panel_timestamp"])
        assert abs((datetime.now(UTC) - panel_time).total_seconds()) < 5
    finally:
        lab.run(skewed.stop())


def test_periodic_tests_and_link_supervision_on_a_fast_clock(
    lab: LabLoop, center: AlarmCenter
) -> None:
    # An hour lasts 30 ms: a periodic test every 60 ms, a NULL link test after 15 ms of silence
    # (any frame restarts the supervision timer, so it must be the shorter one).
    fast = AlarmPanel("fast", "127.0.0.1", faults=Faults(), api_port=0, time_scale=0.03 / 3600)
    lab.run(fast.start())
    try:
        point_at(fast, center, test_interval_h=2, supervision_interval_s=1800)
        url = f"http://127.0.0.1:{center.endpoints()['http']}/api/heartbeats"
        wait_until(lambda: len(centre_events(center, code="602")) >= 3, what="periodic tests")
        wait_until(lambda: len(requests.get(url, timeout=5).json()) >= 1, what="NULL")
    finally:
        lab.run(fast.stop())
    assert all(e["is_test"] and e["code"] == "602" for e in centre_events(center))
    seqs = [e["seq"] for e in centre_events(center)]
    assert seqs == sorted(set(seqs))  # one seq per new message, never reused


def test_dead_panel_keeps_its_queue_and_sends_after_power_returns(
    lab: LabLoop, panel: AlarmPanel, center: AlarmCenter
) -> None:
    point_at(panel, center)
    panel.faults.dead = True
    lab.run(panel.sync_faults())
    with pytest.raises(requests.ConnectionError):
        call(panel, "GET", "/api/status")
    lab.call(lambda: panel.queue_event(120))
    assert lab.call(lambda: (len(panel.queue), panel.counters["frames_sent"])) == (1, 0)
    panel.faults.dead = False
    lab.run(panel.sync_faults())
    wait_until(lambda: centre_events(center), what="event after power returns")
    assert status(panel)["queue_length"] == 0


def test_a_factory_panic_zone_is_disarmed_with_the_panel_a_24h_one_never(
    panel: AlarmPanel,
) -> None:
    call(panel, "POST", "/api/disarm")
    ignored = call(panel, "POST", "/api/press").json()
    assert ignored["event_id"] is None and status(panel)["queue_length"] == 0
    configure(panel, panic_zone_type="24h", panic_zone_disarmable=False, panic_zone_latching=True)
    assert call(panel, "POST", "/api/press").json()["event_id"] == 1  # disarmed, still heard
    assert status(panel)["panic_zone_state"] == "alarm"  # latched until someone resets it
    call(panel, "POST", "/api/reset")
    assert status(panel)["panic_zone_state"] == "normal"


def test_a_non_latching_panic_zone_restores_by_itself(panel: AlarmPanel) -> None:
    assert call(panel, "POST", "/api/press").json()["event_id"] == 1
    assert status(panel)["panic_zone_state"] == "normal"
    resp = call(panel, "PUT", "/api/config", json={"panic_zone_type": "panic"})
    assert resp.status_code == 400 and resp.json()["field"] == "panic_zone_type"


def test_the_panel_logs_when_each_report_was_sent_and_acked_and_by_whom(
    panel: AlarmPanel, center: AlarmCenter
) -> None:
    point_at(panel, center)
    event_id = call(panel, "POST", "/api/test").json()["event_id"]
    wait_until(lambda: event_id in status(panel)["delivered_event_ids"])
    [entry] = [e for e in call(panel, "GET", "/api/log").json() if e["event_id"] == event_id]
    assert entry["code"] == "601" and entry["account"] == "2A17" and entry["attempts"] == 1
    assert entry["queued_at"] <= entry["sent_at"] <= entry["acked_at"]
    assert entry["acked_by"] == f"127.0.0.1:{center.endpoints()['dc09']}"
