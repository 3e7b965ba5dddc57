"""A lab Hikvision camera judged by `hikvisionapi` (PyPI, MissiaL/hikvision-client): the
client integrators script ISAPI with. It logs in as it does on a real camera (Basic first,
Digest after the 401), reads deviceInfo and the streaming channels, writes the device name
and a channel's frame rate back as whole documents, and is refused with wrong credentials
(then, after five, locked out even with the right one).

The client runs in its own venv (it pins nothing of ours, but it is no dependency of ours
either); one lab camera serves the module."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from labsupport import LabLoop
from tooling import client, run_client

from provision.lab.camera_isapi import IsapiCamera
from provision.lab.faults import Faults

PASSWORD = "SENTINEL-hik-admin-2c41"
CLIENT = """
import json, sys
import requests
from hikvisionapi import Client

url, user, password = sys.argv[1:4]
api = Client(url, user, password, timeout=5)
info = api.System.deviceInfo(method="get")["DeviceInfo"]
channels = api.Streaming.channels(method="get")["StreamingChannelList"]["StreamingChannel"]
xml = api.System.deviceInfo(method="get", present="text")
renamed = xml.replace(
    "<deviceName>" + info["deviceName"] + "</deviceName>", "<deviceName>interop-cam</deviceName>"
)
put = api.System.deviceInfo(method="put", data=renamed.encode())["ResponseStatus"]
channel = api.Streaming.channels[101](method="get", present="text")
slower = channel.replace("<maxFrameRate>2500</maxFrameRate>", "<maxFrameRate>1500</maxFrameRate>")
api.Streaming.channels[101](method="put", data=slower.encode())
rate = api.Streaming.channels[101](method="get")["StreamingChannel"]["Video"]["maxFrameRate"]
try:
    api.Streaming.channels[101](method="put", data=b"<StreamingChannel><Video>")
    bad_xml = None
except requests.HTTPError as exc:
    bad_xml = [exc.response.status_code, exc.response.text]
try:
    Client(url, user, "not-the-password", timeout=5)
    refused = None
except requests.HTTPError as exc:
    refused = [exc.response.status_code, exc.response.headers.get("WWW-Authenticate", "")]
wrong = []
for _ in range(4):  # with the one above: five wrong passwords from this address
    try:
        Client(url, user, "not-the-password", timeout=5)
    except requests.HTTPError as exc:
        wrong.append(exc.response.text)
try:
    Client(url, user, password, timeout=5)  # the right password, now from a locked address
    locked = None
except requests.HTTPError as exc:
    locked = [exc.response.status_code, exc.response.text]
print(json.dumps({
    "info": info, "channels": channels, "put": put, "rate": rate,
    "bad_xml": bad_xml, "refused": refused, "wrong": wrong, "locked": locked,
}))
"""


@pytest.fixture(scope="module")
def camera() -> Iterator[IsapiCamera]:
    loop = LabLoop()
    sim = IsapiCamera(
        "interop/hik",
        "127.0.0.1",
        faults=Faults(),
        http_port=0,
        rtsp_port=0,
        admin=("admin", PASSWORD),
        serial="DS-2CD2T47G2-L20230512CCWR000000042",
    )
    loop.run(sim.start())
    yield sim
    loop.run(sim.stop())
    loop.close()


@pytest.fixture(scope="module")
def seen(camera: IsapiCamera) -> dict[str, Any]:
    python = client("hikvisionapi")
    url = f"http://127.0.0.1:{camera.endpoints()['http']}"
    result: dict[str, Any] = json.loads(run_client(python, CLIENT, url, "admin", PASSWORD))
    return result


def test_reads_device_info_and_streaming_channels(seen: dict[str, Any]) -> None:
    info = seen["info"]
    assert info["model"] == "DS-2CD2T47G2-L"
    assert info["serialNumber"] == "DS-2CD2T47G2-L20230512CCWR000000042"
    assert info["firmwareVersion"].startswith("V5.")
    assert info["@xmlns"] == "http://www.hikvision.com/ver20/XMLSchema"
    ids = [c["id"] for c in seen["channels"]]
    assert ids == ["101", "102"]
    assert seen["channels"][0]["Video"]["videoCodecType"] in ("H.264", "H.265")


def test_writes_land_on_the_camera(seen: dict[str, Any], camera: IsapiCamera) -> None:
    assert seen["put"]["statusCode"] == "1" and seen["put"]["subStatusCode"] == "ok"
    assert camera.settings.device_name == "interop-cam"
    assert seen["rate"] == "1500" and camera.settings.channels[101].max_frame_rate == 1500


def test_bad_xml_is_refused_with_the_cameras_status(seen: dict[str, Any]) -> None:
    status, body = seen["bad_xml"]
    assert status == 400 and "<statusCode>5</statusCode>" in body and "badXmlFormat" in body


def test_wrong_credentials_get_a_digest_challenge(seen: dict[str, Any]) -> None:
    status, challenge = seen["refused"]
    assert status == 401
    assert challenge.startswith('Digest qop="auth", realm="IP Camera(') and "nonce=" in challenge


def test_wrong_passwords_lock_the_address_out_even_for_the_right_one(seen: dict[str, Any]) -> None:
    """Hikvision's illegal login lock as an independent client meets it: each refusal says the
    tries left (userCheck), and then the right password is refused with the lock."""
    assert "<retryLoginTime>3</retryLoginTime>" in seen["wrong"][0]
    status, body = seen["locked"]
    assert status == 401 and "<lockStatus>lock</lockStatus>" in body
    assert "<unlockTime>" in body and "<unlockTime>0</unlockTime>" not in body
