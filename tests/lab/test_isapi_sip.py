"""The lab Hikvision camera's GB/T 28181 access over raw ISAPI (requests with Digest auth):
factory state, refusals that change nothing, the password never read back, and a write that
makes the camera register with a lab GB/T 28181 platform (and a second write that moves it).

A fresh camera and platform per test, both on 127.0.0.1 with ephemeral ports (cheap to start):
the tests run in any order, and a write one test makes is never another's factory state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from labsupport import LabLoop, wait_until
from requests.auth import HTTPDigestAuth

from provision.lab.camera_isapi import IsapiCamera
from provision.lab.faults import Faults
from provision.lab.gb28181.platform import Gb28181Platform

ADMIN = "SENTINEL-lab-hik-sip-71aa"
SIP_PASSWORD = "SENTINEL-lab-sip-0c3e"
SERVER_ID, DOMAIN = "21020200002000000001", "2102020000"
DEVICE, CHANNEL = "21020200111320000011", "21020200111320000012"
NS = "http://www.hikvision.com/ver20/XMLSchema"
SIP = "/ISAPI/System/Network/SIP"
SIP_INFO = "/ISAPI/System/Network/SIP/1/SIPInfo"


class Rig:
    def __init__(self) -> None:
        self.loop = LabLoop()
        self.platform = Gb28181Platform(
            "precinct",
            "127.0.0.1",
            faults=Faults(),
            server_id=SERVER_ID,
            domain=DOMAIN,
            password=SIP_PASSWORD,
            sip_port=0,
            api_port=0,
            heartbeat_s=1,
            heartbeat_max_missed=2,
            api_password="wvp-admin",
        )
        self.cam = IsapiCamera(
            "lab/hik",
            "127.0.0.1",
            faults=Faults(),
            http_port=0,
            rtsp_port=0,
            admin=("admin", ADMIN),
            sip_port=0,
        )
        self.loop.run(self.platform.start())
        self.loop.run(self.cam.start())

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.cam.endpoints()['http']}{path}"

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url(path), auth=HTTPDigestAuth("admin", ADMIN), timeout=5)

    def put(self, path: str, body: str) -> requests.Response:
        return requests.put(
            self.url(path), data=body.encode(), auth=HTTPDigestAuth("admin", ADMIN), timeout=5
        )

    def close(self) -> None:
        self.loop.run(self.cam.stop())
        self.loop.run(self.platform.stop())
        self.loop.close()


@pytest.fixture
def rig() -> Iterator[Rig]:
    made = Rig()
    yield made
    made.close()


def servers(enabled: bool, port: int, password: str | None = SIP_PASSWORD, **fields: str) -> str:
    values = {
        "enabled": "true" if enabled else "false",
        "registrar": "127.0.0.1",
        "registrarPort": str(port),
        "serverId": SERVER_ID,
        "serverDomain": DOMAIN,
        "authID": DEVICE,
        "expires": "3600",
        "heartbeatTime": "1",
        "heartbeatCount": "2",
        "transportType": "UDP",
        "protocolVersion": "GB/T28181-2016",
        **fields,
    }
    if password is not None:
        values["password"] = password
    gb = "".join(f"<{k}>{v}</{k}>" for k, v in values.items())
    return (
        f'<SIPServerList version="2.0" xmlns="{NS}"><SIPServer><id>1</id>'
        f"<localPort>5060</localPort><GB28181>{gb}</GB28181></SIPServer></SIPServerList>"
    )


def info(*channels: tuple[int, str]) -> str:
    entries = "".join(
        f"<VideoInput><id>{n}</id><videoInputID>{cid}</videoInputID></VideoInput>"
        for n, cid in channels
    )
    return (
        f'<SIPInfo version="2.0" xmlns="{NS}"><VideoInputList>{entries}</VideoInputList></SIPInfo>'
    )


def test_factory_access_is_off_and_lists_server_1(rig: Rig) -> None:
    reply = rig.get(SIP)
    assert reply.status_code == 200 and "<enabled>false</enabled>" in reply.text
    assert "<id>1</id>" in reply.text and "<registerStatus>false</registerStatus>" in reply.text
    assert "<VideoInputList></VideoInputList>" in rig.get(SIP_INFO).text


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (servers(True, 5060, authID="2102"), "authID '2102' is not 20 digits"),
        (servers(True, 5060, password=None), "password are required when enabled"),
        (servers(True, 5060, transportType="SCTP"), "transportType 'SCTP' is not one of"),
        (servers(True, 70000), "registrarPort 70000 is outside 1-65535"),
        ("<SIPServerList><SIPServer>", "badXmlFormat"),
    ],
)
def test_a_bad_write_is_refused_and_changes_nothing(rig: Rig, body: str, words: str) -> None:
    reply = rig.put(SIP, body)
    assert reply.status_code == 400 and words in reply.text
    assert not rig.cam.settings.sip.enabled and rig.cam.agent.settings == {}


def test_a_video_input_the_camera_lacks_is_refused(rig: Rig) -> None:
    reply = rig.put(SIP_INFO, info((9, CHANNEL)))
    assert reply.status_code == 400 and "video input 9 does not exist" in reply.text
    assert rig.cam.settings.sip.video_input_ids == {}


def test_written_access_registers_and_the_password_is_never_read_back(rig: Rig) -> None:
    port = rig.platform.sip.port
    try:
        assert rig.put(SIP_INFO, info((1, CHANNEL))).status_code == 200
        assert rig.put(SIP, servers(True, port)).status_code == 200
        wait_until(lambda: DEVICE in rig.platform.devices, what="registration")
        assert "<registerStatus>true</registerStatus>" in rig.get(SIP).text
        assert SIP_PASSWORD not in rig.get(SIP).text and SIP_PASSWORD not in repr(rig.cam.state())
        wait_until(lambda: rig.platform.devices[DEVICE].channels, what="Catalog")
        assert [c.device_id for c in rig.platform.devices[DEVICE].channels] == [CHANNEL]
        # A wrong password written later: the platform now refuses the camera.
        assert rig.put(SIP, servers(True, port, password="not-it")).status_code == 200
        wait_until(lambda: rig.platform.refusals.get(DEVICE), what="refusal")
    finally:
        rig.put(SIP, servers(False, port))
        wait_until(lambda: rig.cam.agent.settings == {}, what="access off")
