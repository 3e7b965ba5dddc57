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


def rtsp_head(host: str, port: int, path: str, extra: str = "") -> str:
    """Status line and headers of a raw RTSP DESCRIBE."""
    with socket.create_connection((host, port), timeout=5) as sock:
        request = f"DESCRIBE rtsp://{host}:{port}{path} RTSP/1.0\r\nCSeq: 1\r\n{extra}\r\n"
        sock.sendall(request.encode())
        return sock.recv(4096).split(b"\r\n\r\n", 1)[0].decode()


def rtsp_status(host: str, port: int, path: str, extra: str = "") -> str:
    return rtsp_head(host, port, path, extra).split("\r\n", 1)[0]


def with_admin(uri: str) -> str:
    return uri.replace("rtsp://", "rtsp://admin:admin@", 1)


@pytest.mark.parametrize(
    ("profile", "channel", "size"),
    [("Profile_1", "101", (1920, 1080)), ("Profile_2", "102", (640, 360))],
)
def test_ffprobe_plays_each_profile(
    cam: Camera, profile: str, channel: str, size: tuple[int, int]
) -> None:
    ffprobe = require_program("ffprobe", "ffmpeg")
    uri = stream_uri(cam, profile)
    assert uri == f"rtsp://127.0.0.1:{cam.endpoints()['rtsp']}/Streaming/Channels/{channel}"
    # Decode three real frames (not just the SDP): the RTP must flow and be valid H.264.
    command = [ffprobe, "-v", "error", "-rtsp_transport", "tcp"]
    command += ["-analyzeduration", "0", "-probesize", "32", "-count_frames"]
    command += ["-read_intervals", "%+#3", "-select_streams", "v:0", "-of", "json"]
    command += ["-show_entries", "stream=codec_name,width,height,nb_read_frames", with_admin(uri)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)
    stream = json.loads(out.stdout)["streams"][0]
    width, height = size  # the factory encoder settings of each profile
    assert stream == {"codec_name": "h264", "width": width, "height": height, "nb_read_frames": "3"}


def test_unknown_path_is_404_and_rtsp_down_refuses(lab: LabLoop, cam: Camera) -> None:
    port = cam.endpoints()["rtsp"]
    basic = "Authorization: Basic YWRtaW46YWRtaW4=\r\n"  # admin:admin, a scheme not offered
    refused = rtsp_status(cam.host, port, "/Streaming/Channels/101", basic)
    assert refused.endswith("401 Unauthorized")
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
    assert rtsp_status(cam.host, port, "/Streaming/Channels/102").endswith("401 Unauthorized")


def test_describe_without_credentials_is_a_digest_challenge(cam: Camera) -> None:
    """RFC 2326 16.48 / RFC 2617: 401 with one WWW-Authenticate line, Digest only (the
    camera's RTSP authentication is set to digest, as current Hikvision firmware ships)."""
    head = rtsp_head(cam.host, cam.endpoints()["rtsp"], "/Streaming/Channels/101")
    lines = head.split("\r\n")
    assert lines[0] == "RTSP/1.0 401 Unauthorized"
    challenges = [line for line in lines if line.lower().startswith("www-authenticate:")]
    assert len(challenges) == 1
    assert challenges[0].startswith('WWW-Authenticate: Digest realm="IP Camera(')
    assert 'nonce="' in challenges[0] and 'stale="FALSE"' in challenges[0]
