"""A lab Dahua camera judged by `amcrest` (PyPI; Amcrest cameras are Dahua's and speak its CGI
API), in a venv of its own: it logs in (Basic refused, then Digest, as amcrest tries them),
reads identity and the encoder, writes NTP through its own setter, adds an account, fetches a
snapshot, builds the RTSP URL that ffprobe then plays, and is refused with a wrong password.
One camera for the module; the client runs once and prints what it saw as JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from labsupport import LabLoop
from tooling import client, require_program, run_client

from provision.lab.camera_dahua import DahuaCamera
from provision.lab.faults import Faults

PASSWORD = "Lab-dahua-Pass-1"
SERIAL = "7L0AMCREST00042"

CLIENT = r"""
import json, sys
from amcrest import AmcrestCamera, CommError, LoginError

host, port, password = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def camera(secret):
    return AmcrestCamera(host, port, "admin", secret, retries_connection=0,
                         timeout_protocol=5.0).camera

cam = camera(password)
seen = {
    "device_type": cam.device_type,
    "serial": cam.serial_number,
    "software": list(cam.software_information),
    "encode": cam.encode_media,
    "title": cam.video_channel_title,
}
cam.ntp_config = "NTP.Address=10.0.0.9&NTP.Enable=true&NTP.TimeZone=13"
seen["ntp"] = cam.ntp_config
try:
    cam.ntp_config = "NTP.TimeZone=99"
    seen["out_of_range"] = "accepted"
except CommError as exc:
    seen["out_of_range"] = "refused: " + str(exc)
seen["add_user"] = cam.add_user("viewer", "Viewer-pass-1", "user")
seen["viewer"] = cam.info_user("viewer")
seen["snapshot"] = cam.snapshot(stream=False)[:2].hex()
seen["rtsp"] = cam.rtsp_url(channel=1, typeno=1)
try:
    camera("not-" + password).device_type
    seen["wrong_password"] = "accepted"
except LoginError:
    seen["wrong_password"] = "LoginError"
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def camera() -> Iterator[tuple[DahuaCamera, LabLoop]]:
    loop = LabLoop()
    sim = DahuaCamera(
        "amcrest-interop",
        "127.0.0.1",
        faults=Faults(),
        http_port=0,
        rtsp_port=0,
        serial=SERIAL,
        users={"admin": (PASSWORD, "admin")},
    )
    loop.run(sim.start())
    yield sim, loop
    loop.run(sim.stop())
    loop.close()


@pytest.fixture(scope="module")
def seen(camera: tuple[DahuaCamera, LabLoop]) -> dict[str, Any]:
    python = client("amcrest")
    sim, _ = camera
    out = run_client(python, CLIENT, "127.0.0.1", str(sim.endpoints()["http"]), PASSWORD)
    return dict(json.loads(out))


def test_amcrest_reads_identity_and_the_encoder(seen: dict[str, Any]) -> None:
    assert seen["device_type"] == "IPC-HFW2441S-S"
    assert seen["serial"] == SERIAL
    assert [part.strip() for part in seen["software"]] == ["2.800.0000000.25.R", "2022-08-26"]
    assert "table.Encode[0].MainFormat[0].Video.Compression=H.264" in seen["encode"].split()
    assert "table.Encode[0].ExtraFormat[0].Video.Width=704" in seen["encode"].split()
    assert seen["title"].strip() == "table.ChannelTitle[0].Name=IPC"


def test_amcrest_writes_ntp_and_the_camera_holds_it(
    seen: dict[str, Any], camera: tuple[DahuaCamera, LabLoop]
) -> None:
    sim, loop = camera
    assert "table.NTP.Address=10.0.0.9" in seen["ntp"].split()
    held = loop.call(lambda: dict(sim.config.values))
    assert (held["NTP.Address"], held["NTP.Enable"], held["NTP.TimeZone"]) == (
        "10.0.0.9",
        "true",
        "13",
    )
    # A value out of range is a 400 with Dahua's Error body, which amcrest raises as CommError.
    assert seen["out_of_range"].startswith("refused: ") and "400" in seen["out_of_range"]


def test_amcrest_adds_an_account(seen: dict[str, Any], camera: tuple[DahuaCamera, LabLoop]) -> None:
    sim, loop = camera
    assert seen["add_user"].strip() == "OK"
    assert "user.Group=user" in seen["viewer"].split()
    assert loop.call(lambda: sim.users.users["viewer"].password) == "Viewer-pass-1"


def test_amcrest_is_refused_with_a_wrong_password(seen: dict[str, Any]) -> None:
    assert seen["wrong_password"] == "LoginError"


def test_the_snapshot_is_a_jpeg_and_ffprobe_plays_the_rtsp_url_amcrest_builds(
    seen: dict[str, Any], camera: tuple[DahuaCamera, LabLoop], tmp_path: Path
) -> None:
    import subprocess

    assert seen["snapshot"] == "ffd8"  # JPEG start of image
    sim, _ = camera
    url = seen["rtsp"]
    assert url == (
        f"rtsp://admin:{PASSWORD}@127.0.0.1:{sim.endpoints()['rtsp']}"
        "/cam/realmonitor?channel=1&subtype=1"
    )
    ffprobe = require_program("ffprobe", "ffmpeg")
    probe = subprocess.run(
        [ffprobe, "-v", "error", "-rtsp_transport", "tcp", "-select_streams", "v:0",
         "-show_entries", "stream=codec_name", "-of", "csv=p=0", url],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() in ("h264", "hevc")
