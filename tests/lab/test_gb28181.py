"""The lab's GB/T 28181 platform and device agent, end to end over SIP, MANSCDP and RTP/PS.

One platform and one agent per module (the faults are switched and cleared per test); each
test drives the platform through WVP-PRO's REST API with requests, as an auditor would.
"""

from __future__ import annotations

import hashlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from labsupport import LabLoop, wait_until
from tooling import require_program

from provision.lab.faults import Faults
from provision.lab.gb28181 import manscdp, mpegps, sip
from provision.lab.gb28181.agent import DeviceAgent
from provision.lab.gb28181.platform import Gb28181Platform
from provision.lab.media import load_clip

SERVER_ID, DOMAIN = "21020200002000000001", "2102020000"
DEVICE = "21020200111320000011"
CHANNELS = ("21020200111320000012", "21020200111320000013")
PASSWORD = "lab-sip-secret"


def settings(**changes: Any) -> dict[str, Any]:
    return {
        "enabled": True,
        "server_id": SERVER_ID,
        "domain": DOMAIN,
        "server_address": "127.0.0.1",
        "server_port": 0,  # filled in by the fixture
        "transport": "UDP",
        "edition": "2016",
        "device_id": DEVICE,
        "channels": CHANNELS,
        "password": PASSWORD,
        "register_expiry_s": 3600,
        "heartbeat_s": 1,
        "heartbeat_max_missed": 2,
        **changes,
    }


class Rig:
    def __init__(self) -> None:
        self.lab = LabLoop()
        self.platform = Gb28181Platform(
            "precinct",
            "127.0.0.1",
            faults=Faults(),
            server_id=SERVER_ID,
            domain=DOMAIN,
            password=PASSWORD,
            sip_port=0,
            api_port=0,
            heartbeat_s=1,
            heartbeat_max_missed=2,
            api_password="wvp-admin",
        )
        self.camera_faults = Faults()
        self.agent = DeviceAgent("gate", "127.0.0.1", faults=self.camera_faults, retry_s=0.2)
        self.lab.run(self.platform.start())
        self.api = f"http://127.0.0.1:{self.platform.endpoints()['wvp_api']}"
        self.session = requests.Session()
        self.session.trust_env = False
        login = self.session.get(
            f"{self.api}/api/user/login",
            params={"username": "admin", "password": hashlib.md5(b"wvp-admin").hexdigest()},
            timeout=5,
        ).json()
        self.session.headers["access-token"] = login["data"]["accessToken"]

    def configure(self, **changes: Any) -> None:
        wanted = settings(server_port=self.platform.sip.port, **changes)
        self.lab.run(self.agent.configure(wanted))

    def get(self, path: str) -> Any:
        reply = self.session.get(f"{self.api}{path}", timeout=15).json()
        return reply

    def device(self) -> dict[str, Any] | None:
        return self.get(f"/api/device/query/devices/{DEVICE}")["data"]

    def close(self) -> None:
        self.lab.run(self.agent.stop())
        self.lab.run(self.platform.stop())
        self.lab.close()


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    made = Rig()
    yield made
    made.close()


@pytest.fixture
def registered(rig: Rig) -> Rig:
    rig.camera_faults.clear()
    rig.lab.run(rig.agent.sync_faults())
    rig.platform.devices.clear()
    rig.configure()
    wait_until(lambda: (rig.device() or {}).get("channelCount") == 2, what="registration")
    return rig


def test_register_keepalive_and_catalog_through_wvp_api(registered: Rig) -> None:
    device = registered.device()
    assert device is not None and device["onLine"] and device["transport"] == "UDP"
    wait_until(lambda: (registered.device() or {}).get("keepaliveTimeStamp"), what="keepalive")
    channels = registered.get(f"/api/device/query/devices/{DEVICE}/channels?page=1&count=10")
    assert [c["deviceId"] for c in channels["data"]["list"]] == list(CHANNELS)
    listing = registered.get("/api/device/query/devices?page=1&count=10")["data"]
    assert listing["total"] == 1 and listing["list"][0]["deviceId"] == DEVICE


def test_api_without_login_is_refused_as_wvp_refuses(rig: Rig) -> None:
    reply = requests.get(f"{rig.api}/api/device/query/devices?page=1&count=1", timeout=5).json()
    assert reply["code"] == 401


def test_wrong_password_is_refused_with_403_and_recorded(registered: Rig) -> None:
    registered.camera_faults.update({"sip_wrong_password": True})
    registered.platform.devices.clear()
    registered.configure()
    wait_until(lambda: registered.agent.last_register.get("status") == 403, what="refusal")
    assert registered.device() is None
    refusals = registered.get(f"/lab/api/refusals/{DEVICE}")["data"]
    assert refusals[-1]["reason"] == "wrong password"


def test_wrong_server_id_is_refused_with_404(registered: Rig) -> None:
    registered.camera_faults.update({"sip_wrong_server_id": True})
    registered.platform.devices.clear()
    registered.configure()
    wait_until(lambda: registered.agent.last_register.get("status") == 404, what="refusal")
    refusal = registered.get(f"/lab/api/refusals/{DEVICE}")["data"][-1]
    assert refusal["requestServerId"] != SERVER_ID and refusal["serverId"] == SERVER_ID


def test_catalog_drop_leaves_a_channel_out(registered: Rig) -> None:
    registered.camera_faults.update({"sip_catalog_drop": True})
    sync = registered.get(f"/api/device/query/devices/{DEVICE}/sync")["data"]
    assert sync["total"] == 1
    channels = registered.get(f"/api/device/query/devices/{DEVICE}/channels")["data"]["list"]
    assert [c["deviceId"] for c in channels] == [CHANNELS[0]]


def test_keepalives_stopping_takes_the_device_offline(registered: Rig) -> None:
    registered.camera_faults.update({"sip_keepalive_stop": True})
    wait_until(lambda: not registered.device()["onLine"], timeout=8, what="offline")  # type: ignore[index]


def test_play_start_brings_video_and_stop_sends_bye(registered: Rig) -> None:
    reply = registered.get(f"/api/play/start/{DEVICE}/{CHANNELS[0]}")
    assert reply["code"] == 0, reply
    info = reply["data"]["mediaInfo"]
    clip = load_clip()
    assert (info["width"], info["height"]) == (clip.info.width, clip.info.height)
    assert registered.agent.state()["streams"]
    registered.get(f"/api/play/stop/{DEVICE}/{CHANNELS[0]}")
    wait_until(lambda: not registered.agent.state()["streams"], what="BYE")


def test_invite_fault_answers_488(registered: Rig) -> None:
    registered.camera_faults.update({"sip_invite_fail": True})
    reply = registered.get(f"/api/play/start/{DEVICE}/{CHANNELS[0]}")
    assert reply["code"] != 0 and "488" in reply["msg"]


def test_tcp_transport_registers(registered: Rig) -> None:
    registered.platform.devices.clear()
    registered.configure(transport="TCP")
    wait_until(lambda: (registered.device() or {}).get("transport") == "TCP", what="TCP")


def ffprobe_video(path: Path) -> str:
    ffprobe = require_program("ffprobe", "ffmpeg")
    return subprocess.run(
        [ffprobe, "-v", "error", "-show_entries", "stream=codec_name,width,height",
         "-of", "csv=p=0", "-f", "mpeg", str(path)],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout.strip()  # fmt: skip


def test_rtp_from_an_invite_carries_ps_that_ffprobe_decodes(
    registered: Rig, tmp_path: Path
) -> None:
    assert registered.get(f"/api/play/start/{DEVICE}/{CHANNELS[0]}")["code"] == 0
    key = (DEVICE, CHANNELS[0])

    def received() -> bytes:
        return registered.lab.call(lambda: bytes(registered.platform.sessions[key].received))

    clip = load_clip()
    wait_until(lambda: len(received()) > 20_000, what="a few frames of PS")
    (tmp_path / "rtp.ps").write_bytes(received())
    registered.get(f"/api/play/stop/{DEVICE}/{CHANNELS[0]}")
    assert ffprobe_video(tmp_path / "rtp.ps") == f"h264,{clip.info.width},{clip.info.height}"


def test_ps_mux_decodes_with_ffprobe(tmp_path: Path) -> None:
    clip, ticks = load_clip(), 9000
    data = b"".join(
        mpegps.mux_access_unit(unit, i * ticks) for i, unit in enumerate(clip.access_units)
    )
    assert mpegps.demux(data).info == clip.info
    path = tmp_path / "clip.ps"
    path.write_bytes(data)
    assert ffprobe_video(path) == f"h264,{clip.info.width},{clip.info.height}"


def test_manscdp_gb2312_and_utf8_round_trip() -> None:
    channels = [manscdp.Channel(CHANNELS[0], "校门 通道1", civil_code="210202")]
    for charset in ("GB2312", "UTF-8"):
        body = manscdp.encode(manscdp.catalog_response(DEVICE, 7, channels), charset)
        assert ("校门".encode("gb2312") in body) == (charset == "GB2312")
        assert manscdp.channels(manscdp.parse(body)) == [
            manscdp.Channel(CHANNELS[0], "校门 通道1", "210202", DEVICE, "ON", "provision-lab")
        ]


def test_digest_matches_rfc2617_example() -> None:
    # RFC 2617 §3.5: user Mufasa, password "Circle Of Life", realm testrealm@host.com.
    value = sip.digest(
        "Mufasa", "testrealm@host.com", "Circle Of Life", "GET", "/dir/index.html",
        "dcd98b7102dd2f0e8b11d0f600bfb0c093", qop="auth", nc="00000001", cnonce="0a4f113b",
    )  # fmt: skip
    assert value == "6629fae49393a05397450978507c4ef1"


def test_a_button_press_reaches_the_platform_as_wvp_records_an_alarm(registered: Rig) -> None:
    alarm_input = "21020200111340000019"  # type 134: an alarm input device
    press = registered.lab.run(registered.agent.press_button(alarm_input))
    assert press["status"] == 200  # the platform's 200 OK to the Alarm notification
    alarms = registered.get(f"/api/alarm/all?page=1&count=10&deviceId={DEVICE}")["data"]
    newest = alarms["list"][0]
    assert newest["deviceId"] == DEVICE and newest["channelId"] == alarm_input
    assert (newest["alarmPriority"], newest["alarmMethod"]) == ("1", "2")
    assert newest["alarmDescription"] == "一键报警"
    # the device's press time and the platform's receipt, as WVP shows them, and to the ms
    assert newest["alarmTime"] == time.strftime(
        "%Y-%m-%d %H:%M:%S", time.localtime(int(press["pressed_at"]))
    )
    assert newest["receivedAtMs"] >= int(press["pressed_at"]) * 1000
    later = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(press["pressed_at"] + 60))
    none = registered.get(f"/api/alarm/all?page=1&count=10&startTime={later}")["data"]
    assert none["total"] == 0  # filtered by alarm time, as WVP filters


def test_an_unregistered_alarm_device_is_refused_and_nothing_is_recorded(
    registered: Rig,
) -> None:
    before = len(registered.platform.alarms)
    registered.platform.devices.clear()  # the platform forgot it (expired, or restarted)
    press = registered.lab.run(registered.agent.press_button())
    assert press["status"] == 404 and "not found" in press["reason"]
    assert len(registered.platform.alarms) == before


def test_alarm_notify_body_carries_the_fields_of_clause_9_4() -> None:
    body = manscdp.encode(manscdp.alarm_notify(CHANNELS[0], 7, 1_796_544_000.0))
    root = manscdp.parse(body)
    assert root.tag == "Notify" and manscdp.text(root, "CmdType") == "Alarm"
    assert manscdp.text(root, "DeviceID") == CHANNELS[0] and manscdp.text(root, "SN") == "7"
    assert manscdp.text(root, "AlarmTime").count(":") == 2  # xs:dateTime, whole seconds
    assert "一键报警".encode("gb18030") in body  # GB2312 body, as devices send it
