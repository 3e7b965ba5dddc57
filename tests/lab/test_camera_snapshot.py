"""Snapshot JPEG, HTTP-level faults, and many cameras on their own loopback addresses."""

from __future__ import annotations

import io
import json
import socket
import time
from collections.abc import Iterator

import pytest
import requests
from PIL import Image, ImageStat
from requests.auth import HTTPDigestAuth
from test_camera_support import LabLoop, SoapClient

from provision.lab.camera import Camera
from provision.lab.faults import Faults

ADMIN = HTTPDigestAuth("admin", "admin")


@pytest.fixture(scope="module")
def lab() -> Iterator[LabLoop]:
    loop = LabLoop()
    yield loop
    loop.close()


@pytest.fixture()
def cam(lab: LabLoop) -> Iterator[Camera]:
    camera = lab.camera("snapcam")
    yield camera
    lab.run(camera.stop())


def snapshot_url(cam: Camera) -> str:
    return f"http://{cam.host}:{cam.endpoints()['http']}/snapshot/1.jpg"


def grey_stddev(jpeg: bytes) -> float:
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    return max(ImageStat.Stat(image.convert("L")).stddev[0], 0.0)


def test_snapshot_is_a_busy_jpeg_and_grey_when_obstructed(cam: Camera) -> None:
    resp = requests.get(snapshot_url(cam), auth=ADMIN, timeout=5)
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(resp.content)).size == (320, 180)
    assert grey_stddev(resp.content) > 40  # colour bars and a ramp, far from uniform

    cam.faults.obstructed = True
    grey = requests.get(snapshot_url(cam), auth=ADMIN, timeout=5).content
    assert grey_stddev(grey) < 1.0
    assert ImageStat.Stat(Image.open(io.BytesIO(grey)).convert("L")).mean[0] == pytest.approx(
        128, abs=2
    )
    cam.faults.obstructed = False
    assert grey_stddev(requests.get(snapshot_url(cam), auth=ADMIN, timeout=5).content) > 40


def test_snapshot_answers_digest_and_refuses_no_basic_or_wrong_credentials(cam: Camera) -> None:
    """As a camera with Digest web authentication: no credentials, Basic (even right) and a
    wrong Digest password all get a 401 carrying a fresh Digest challenge (qop=auth)."""
    url = snapshot_url(cam)
    assert requests.get(url, auth=ADMIN, timeout=5).status_code == 200
    for auth in (None, ("admin", "admin"), HTTPDigestAuth("admin", "nope")):
        refused = requests.get(url, auth=auth, timeout=5)
        challenge = refused.headers["WWW-Authenticate"]
        assert refused.status_code == 401, auth
        assert challenge.startswith('Digest realm="IP Camera(') and 'qop="auth"' in challenge
    cam.faults.auth_failure = True
    assert requests.get(url, auth=ADMIN, timeout=5).status_code == 401


def test_refuse_closes_and_reopens_the_listener(lab: LabLoop, cam: Camera) -> None:
    port = cam.endpoints()["http"]
    cam.faults.refuse = True
    lab.run(cam.sync_faults())
    with pytest.raises(requests.ConnectionError):
        requests.get(snapshot_url(cam), timeout=5)
    cam.faults.refuse = False
    lab.run(cam.sync_faults())
    assert cam.endpoints()["http"] == port  # same address after the fault clears
    assert requests.get(snapshot_url(cam), auth=ADMIN, timeout=5).status_code == 200


def test_latency_fault_delays_onvif_answers(cam: Camera) -> None:
    soap = SoapClient(cam)
    soap.device("<tds:GetSystemDateAndTime/>")  # connection warmed up
    cam.faults.latency_ms = 300
    started = time.monotonic()
    el = soap.device("<tds:GetDeviceInformation/>")
    elapsed = time.monotonic() - started
    assert el.tag.endswith("GetDeviceInformationResponse")
    assert elapsed >= 0.3


def test_state_is_json_without_secrets(lab: LabLoop) -> None:
    camera = lab.camera("st", users={"admin": ("Very$ecret", "Administrator")}, serial="X1")
    try:
        state = camera.state()
        text = json.dumps(state)
        assert "Very$ecret" not in text
        assert state["users"] == {"admin": "Administrator"}
        assert state["hostname"] == "IPC-X1" and state["ntp_servers"] == []
        assert state["encoders"]["main"]["resolution"] == "1920x1080"
        assert state["encoders"]["sub"]["resolution"] == "640x360"
        assert state["osd_text"] == ""
        port = camera.endpoints()["rtsp"]
        assert (
            state["stream_uris"]["Profile_2"] == f"rtsp://127.0.0.1:{port}/Streaming/Channels/102"
        )
    finally:
        lab.run(camera.stop())


def test_many_cameras_on_their_own_loopback_addresses(lab: LabLoop) -> None:
    """Distinct 127.77.x.y hosts on the same port, each answering with its own identity."""
    with socket.socket() as probe:  # a port free right now, rather than a fixed guess
        probe.bind(("127.77.0.1", 0))
        port = probe.getsockname()[1]
    cams = [
        Camera(
            f"c{i}",
            f"127.77.{i // 200}.{1 + i % 200}",
            faults=Faults(),
            http_port=port,
            rtsp_port=0,
        )
        for i in range(100)
    ]

    async def start_all() -> None:
        for c in cams:
            await c.start()

    async def stop_all() -> None:
        for c in cams:
            await c.stop()

    lab.run(start_all())
    try:
        session = requests.Session()
        for c in cams[::9]:
            soap = SoapClient(c)
            soap.session = session
            el = soap.device("<tds:GetHostname/>")
            assert el.findtext(".//{*}Name") == f"IPC-{c.state()['serial']}"
            assert c.endpoints()["http"] == port
    finally:
        lab.run(stop_all())
