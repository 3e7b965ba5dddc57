"""The camera's RTSP streams, found through ONVIF GetStreamUri and played by ffprobe."""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator

import pytest
from test_camera_support import NS, LabLoop, SoapClient
from tooling import require_program

from provision.lab.camera import Camera


@pytest.fixture(scope="module")
def lab() -> Iterator[LabLoop]:
    loop = LabLoop()
    yield loop
    loop.close()


@pytest.fixture(scope="module")
def cam(lab: LabLoop) -> Iterator[Camera]:
    camera = lab.camera("rtspcam")
    yield camera
    lab.run(camera.stop())


def stream_uri(cam: Camera, profile: str) -> str:
    body = (
        "<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport>"
        "<tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>"
        f"<trt:ProfileToken>{profile}</trt:ProfileToken></trt:GetStreamUri>"
    )
    uri = SoapClient(cam).media(body).findtext(".//tt:Uri", namespaces=NS)
    assert uri is not None
    return uri


def rtsp_status(host: str, port: int, path: str) -> str:
    """Status line of a raw RTSP DESCRIBE."""
    with socket.create_connection((host, port), timeout=5) as sock:
        request = f"DESCRIBE rtsp://{host}:{port}{path} RTSP/1.0\r\nCSeq: 1\r\n\r\n"
        sock.sendall(request.encode())
        return sock.recv(4096).split(b"\r\n", 1)[0].decode()


@pytest.mark.parametrize(("profile", "channel"), [("Profile_1", "101"), ("Profile_2", "102")])
def test_ffprobe_plays_each_profile(cam: Camera, profile: str, channel: str) -> None:
    ffprobe = require_program("ffprobe", "ffmpeg")
    uri = stream_uri(cam, profile)
    assert uri == f"rtsp://127.0.0.1:{cam.endpoints()['rtsp']}/Streaming/Channels/{channel}"
    # Decode three real frames (not just the SDP): the RTP must flow and be valid H.264.
    command = [ffprobe, "-v", "error", "-rtsp_transport", "tcp"]
    command += ["-analyzeduration", "0", "-probesize", "32", "-count_frames"]
    command += ["-read_intervals", "%+#3", "-select_streams", "v:0", "-of", "json"]
    command += ["-show_entries", "stream=codec_name,width,height,nb_read_frames", uri]
    out = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)
    stream = json.loads(out.stdout)["streams"][0]
    assert stream == {"codec_name": "h264", "width": 320, "height": 180, "nb_read_frames": "3"}


def test_unknown_path_is_404_and_rtsp_down_refuses(lab: LabLoop, cam: Camera) -> None:
    port = cam.endpoints()["rtsp"]
    assert rtsp_status(cam.host, port, "/Streaming/Channels/101").endswith("200 OK")
    assert rtsp_status(cam.host, port, "/Streaming/Channels/103").endswith("404 Not Found")
    cam.faults.rtsp_down = True
    lab.run(cam.sync_faults())
    try:
        with pytest.raises(ConnectionRefusedError):
            rtsp_status(cam.host, port, "/Streaming/Channels/101")
        # ONVIF keeps answering: only the streaming service is down.
        assert stream_uri(cam, "Profile_1").endswith("/101")
    finally:
        cam.faults.rtsp_down = False
        lab.run(cam.sync_faults())
    assert rtsp_status(cam.host, port, "/Streaming/Channels/102").endswith("200 OK")
