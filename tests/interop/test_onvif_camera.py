"""The lab's ONVIF camera judged by clients no one here wrote: onvif-zeep (ours), onveef (its own
venv), ffprobe and GStreamer's rtspsrc, failures included.

One camera serves the module (module-scoped: each test leaves the camera as it found it, or
sets what it needs first); a second camera with a clock two minutes off checks how onvif-zeep
handles a stale UsernameToken with and without `adjust_time`.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from labsupport import LabLoop
from lxml import etree
from onvif import ONVIFCamera
from onvif.exceptions import ONVIFError
from tooling import client, require_program, run_client

from provision.lab.camera import Camera
from provision.lab.faults import Faults

USER, PASSWORD = "admin", "S3cret-pw"


def wsdl_dir() -> str:
    import onvif

    return str(Path(onvif.__file__).resolve().parent.parent / "wsdl")


@pytest.fixture(scope="module")
def lab() -> Iterator[LabLoop]:
    loop = LabLoop()
    yield loop
    loop.close()


def _camera(lab: LabLoop, name: str, clock_offset_s: float = 0.0) -> Camera:
    cam = Camera(
        name,
        "127.0.0.1",
        faults=Faults(),
        http_port=0,
        rtsp_port=0,
        users={USER: (PASSWORD, "Administrator")},
        clock_offset_s=clock_offset_s,
    )
    lab.run(cam.start())
    return cam


@pytest.fixture(scope="module")
def cam(lab: LabLoop) -> Iterator[Camera]:
    camera = _camera(lab, "interop-cam")
    yield camera
    lab.run(camera.stop())


@pytest.fixture(scope="module")
def skewed(lab: LabLoop) -> Iterator[Camera]:
    camera = _camera(lab, "skewed-cam", clock_offset_s=-120.0)
    yield camera
    lab.run(camera.stop())


def zeep_camera(cam: Camera, **kwargs: bool) -> ONVIFCamera:
    port = cam.endpoints()["http"]
    return ONVIFCamera(cam.host, port, USER, PASSWORD, wsdl_dir(), **kwargs)


def rtsp_url(cam: Camera, channel: str = "101", password: str = PASSWORD) -> str:
    return f"rtsp://{USER}:{password}@{cam.host}:{cam.endpoints()['rtsp']}/Streaming/Channels/{channel}"


# --- onvif-zeep -------------------------------------------------------------------------------


def test_onvif_zeep_reads_the_device_and_lists_media2(cam: Camera) -> None:
    device = zeep_camera(cam).devicemgmt
    info = device.GetDeviceInformation()
    assert (info.Manufacturer, info.SerialNumber) == ("Provision Lab", cam.state()["serial"])
    namespaces = {s.Namespace for s in device.GetServices({"IncludeCapability": False})}
    assert "http://www.onvif.org/ver20/media/wsdl" in namespaces
    scopes = [s.ScopeItem for s in device.GetScopes()]
    assert "onvif://www.onvif.org/Profile/Streaming" in scopes
    assert device.GetNetworkInterfaces()[0].Info.Name == "eth0"
    assert device.GetDiscoveryMode() == "Discoverable"
    assert {p.Name for p in device.GetNetworkProtocols()} == {"HTTP", "HTTPS", "RTSP"}
    assert device.GetDNS().FromDHCP is False


def test_onvif_zeep_media1_refuses_h265(cam: Camera) -> None:
    media = zeep_camera(cam).create_media_service()
    before = cam.state()["encoders"]["sub"]
    conf = media.GetVideoEncoderConfiguration({"ConfigurationToken": "VideoEncoderToken_2"})
    conf.Encoding = "H265"  # not in Media1's tt:VideoEncoding; zeep sends the string as given
    with pytest.raises(ONVIFError, match=r"ConfigModify|Media2"):
        media.SetVideoEncoderConfiguration({"Configuration": conf, "ForcePersistence": True})
    assert cam.state()["encoders"]["sub"] == before  # nothing applied


def test_onvif_zeep_on_a_camera_whose_clock_is_off(skewed: Camera) -> None:
    """adjust_time=False (the default) sends our clock: the camera answers ter:NotAuthorized;
    adjust_time=True measures the camera's clock first and is let in."""
    with pytest.raises(ONVIFError, match="Sender not Authorized"):
        zeep_camera(skewed).devicemgmt.GetHostname()
    name = zeep_camera(skewed, adjust_time=True).devicemgmt.GetHostname().Name
    assert name == skewed.state()["hostname"]


# --- onveef: Media2 ---------------------------------------------------------------------------

ONVEEF_SCRIPT = """
import json, sys
from onveef import OnvifClient
host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with OnvifClient(host=host, port=port, username=user, password=password) as cam:
    profiles = cam.get_profiles()
    configs = {c["token"]: c for c in cam.get_video_encoder_configurations()}
    main = configs["VideoEncoderToken_1"]
    cam.set_video_encoder_configuration_media2(
        token=main["token"], name=main["name"], encoding="H265", width=2560, height=1440,
        quality=50.0, fps=20, bitrate_kbps=3072, gop=40,
    )
    after = {c["token"]: c for c in cam.get_video_encoder_configurations()}
    uri = cam.get_stream_uri(profile_token=profiles[0]["token"])
    print(json.dumps({"before": main, "after": after["VideoEncoderToken_1"], "uri": uri}))
"""


def test_onveef_sets_h265_through_media2_and_ffprobe_sees_it(cam: Camera) -> None:
    python = client("onveef")
    port = str(cam.endpoints()["http"])
    out = json.loads(run_client(python, ONVEEF_SCRIPT, cam.host, port, USER, PASSWORD))
    assert out["before"]["encoding"] == "H264"
    after = out["after"]
    assert (after["encoding"], after["width"], after["height"]) == ("H265", 2560, 1440)
    assert (after["fps_limit"], after["bitrate_kbps"], after["gop"]) == (20, 3072, 40)
    assert out["uri"].endswith("/Streaming/Channels/101")
    stream, kbps = ffprobe_stream(rtsp_url(cam))
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("hevc", 2560, 1440)
    assert stream["avg_frame_rate"] == "20/1"
    assert 3072 * 0.75 <= kbps <= 3072 * 1.25


# --- the stream: ffprobe and GStreamer --------------------------------------------------------


def ffprobe_stream(url: str, seconds: int = 2) -> tuple[dict[str, str], float]:
    """The stream ffprobe reads over RTP/TCP, and the bitrate it counted (kbit/s) from the
    packets of `seconds` of video."""
    ffprobe = require_program("ffprobe", "ffmpeg")
    command = [ffprobe, "-v", "error", "-rtsp_transport", "tcp", "-read_intervals"]
    command += [f"%+{seconds}", "-show_packets", "-show_entries"]
    command += ["stream=codec_name,width,height,avg_frame_rate:packet=size", "-of", "json", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)
    data = json.loads(done.stdout)
    stream, packets = data["streams"][0], data["packets"]
    num, den = (int(n) for n in stream["avg_frame_rate"].split("/"))
    kbps = sum(int(p["size"]) for p in packets) * 8 / 1000 / (len(packets) * den / num)
    return stream, kbps


def test_ffprobe_reads_what_the_encoder_says_h264(cam: Camera) -> None:
    sub = cam.settings.encoders["VideoEncoderToken_2"]  # factory: H.264 640x360 25 fps 4096k
    stream, kbps = ffprobe_stream(rtsp_url(cam, "102"))
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", 640, 360)
    assert stream["avg_frame_rate"] == f"{sub.frame_rate}/1"
    assert sub.bitrate_kbps * 0.75 <= kbps <= sub.bitrate_kbps * 1.25


def test_ffprobe_without_or_with_wrong_credentials_gets_401(cam: Camera) -> None:
    ffprobe = require_program("ffprobe", "ffmpeg")
    plain = f"rtsp://{cam.host}:{cam.endpoints()['rtsp']}/Streaming/Channels/101"
    for url in (plain, rtsp_url(cam, password="wrong")):
        done = subprocess.run(
            [ffprobe, "-v", "error", "-rtsp_transport", "tcp", url],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode != 0 and "401 Unauthorized" in done.stderr


@pytest.mark.parametrize("protocol", ["tcp", "udp"])
def test_gstreamer_rtspsrc_plays_with_digest_credentials(cam: Camera, protocol: str) -> None:
    gst = require_program("gst-launch-1.0", "gstreamer1.0-tools gstreamer1.0-plugins-good")
    location = f"rtsp://{cam.host}:{cam.endpoints()['rtsp']}/Streaming/Channels/102"

    def play(password: str) -> subprocess.CompletedProcess[str]:
        pipeline = [
            gst,
            "rtspsrc",
            f"location={location}",
            f"user-id={USER}",
            f"user-pw={password}",
            f"protocols={protocol}",
            "!",
            "fakesink",
            "num-buffers=20",
        ]
        return subprocess.run(pipeline, capture_output=True, text=True, timeout=30)

    # 20 buffers reached the sink: gst-launch reports the EOS only then. The exit status is not
    # asked: under load GStreamer 1.22 can fail the PAUSE it sends while shutting down after
    # the EOS ("Could not send message. (Received end-of-file)" from gst_rtspsrc_pause): seen
    # in 2 full-suite runs on 2 busy cores, never in 170 plays against this lab camera alone or
    # under CPU load, and the lab server closes a connection only on the paths in
    # lab/rtsp_server.py `_serve`; playing is what this test is about.
    played = play(PASSWORD)
    assert 'Got EOS from element "pipeline0"' in played.stdout, played.stdout + played.stderr
    assert "ERROR" not in played.stdout.partition("Got EOS")[0]
    refused = play("wrong")
    assert refused.returncode != 0
    assert "Unauthorized" in refused.stderr + refused.stdout


# --- events: PullPoint ------------------------------------------------------------------------


def pull(pullpoint: Any) -> dict[str, tuple[str, str]]:
    """PullMessages through onvif-zeep, read raw (zeep drops the text of the mixed-content
    wsnt:Topic): topic → (PropertyOperation, State)."""
    with pullpoint.zeep_client.settings(raw_response=True):
        reply = pullpoint.ws_client.PullMessages(Timeout="PT1S", MessageLimit=10)
    assert reply.status_code == 200, reply.text
    root = etree.fromstring(reply.content)
    out = {}
    for note in root.iter("{*}NotificationMessage"):
        message = note.find("{*}Message/{*}Message")
        state = message.find("{*}Data/{*}SimpleItem[@Name='State']").get("Value")
        out[note.findtext("{*}Topic").strip()] = (message.get("PropertyOperation"), state)
    return out


def test_onvif_zeep_pull_point_reports_tamper_from_the_obstructed_fault(cam: Camera) -> None:
    """CreatePullPointSubscription and PullMessages (Initialized, then Changed), as onvif-zeep
    users (Home Assistant's onvif integration among them) drive them. onvif-zeep's pull point
    binding has no Unsubscribe: tests/lab/test_camera_events.py covers it."""
    onvif = zeep_camera(cam)
    events = onvif.create_events_service()
    subscription = events.CreatePullPointSubscription({"InitialTerminationTime": "PT60S"})
    address = subscription.SubscriptionReference.Address._value_1
    onvif.xaddrs["http://www.onvif.org/ver10/events/wsdl/PullPointSubscription"] = address
    pullpoint = onvif.create_pullpoint_service()
    tamper = "tns1:VideoSource/GlobalSceneChange/ImagingService"
    try:
        first = pull(pullpoint)
        assert first[tamper] == ("Initialized", "false")
        assert first["tns1:VideoSource/MotionAlarm"] == ("Initialized", "false")
        cam.faults.obstructed = True
        assert pull(pullpoint) == {tamper: ("Changed", "true")}
        assert pull(pullpoint) == {}  # nothing new
    finally:
        cam.faults.obstructed = False
