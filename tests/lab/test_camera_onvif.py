"""The camera against onvif-zeep, the third-party client the provisioning code uses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from onvif import ONVIFCamera, ONVIFError
from test_camera_support import LabLoop, wsdl_dir
from zeep.exceptions import Fault

from provision.lab.camera import Camera

NOT_AUTHORIZED = "{http://www.onvif.org/ver10/error}NotAuthorized"
RTSP_SETUP = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}


@pytest.fixture(scope="module")
def lab() -> Iterator[LabLoop]:
    loop = LabLoop()
    yield loop
    loop.close()


@pytest.fixture
def cam(lab: LabLoop) -> Iterator[Camera]:
    # A factory-fresh camera per test: a test that sets the encoder never changes what the
    # next one reads, whatever the order.
    camera = lab.camera("gate-cam", serial="SN0001", users={"admin": ("Adm1n!", "Administrator")})
    yield camera
    lab.run(camera.stop())


def client(cam: Camera, password: str = "Adm1n!", **kwargs: object) -> ONVIFCamera:
    return ONVIFCamera(cam.host, cam.endpoints()["http"], "admin", password, wsdl_dir(), **kwargs)


@pytest.fixture
def onvif(cam: Camera) -> ONVIFCamera:
    return client(cam)


def inner_fault(exc: BaseException) -> Fault:
    """onvif-zeep wraps errors in ONVIFError; the zeep Fault is the exception it replaced."""
    cause = exc.__cause__ or exc.__context__
    assert isinstance(cause, Fault), repr(exc)
    return cause


def test_device_information_and_profiles(onvif: ONVIFCamera, cam: Camera) -> None:
    info = onvif.devicemgmt.GetDeviceInformation()
    assert (info.Manufacturer, info.Model, info.SerialNumber) == (
        "Provision Lab",
        "PL-IPC4K-B",
        "SN0001",
    )
    assert info.FirmwareVersion and info.HardwareId
    # The media XAddr came from GetCapabilities and points at this camera.
    port = cam.endpoints()["http"]
    assert onvif.xaddrs["http://www.onvif.org/ver10/media/wsdl"] == (
        f"http://127.0.0.1:{port}/onvif/media_service"
    )
    profiles = onvif.create_media_service().GetProfiles()
    assert [p.token for p in profiles] == ["Profile_1", "Profile_2"]
    main, sub = (p.VideoEncoderConfiguration for p in profiles)
    assert (main.Encoding, main.Resolution.Width, main.Resolution.Height) == ("H264", 1920, 1080)
    assert (main.RateControl.FrameRateLimit, main.RateControl.BitrateLimit) == (25, 4096)
    assert main.H264.GovLength == 50 and main.Multicast.TTL == 1  # last elements parsed too
    assert (sub.Resolution.Width, sub.Resolution.Height) == (640, 360)
    assert profiles[0].VideoSourceConfiguration.Bounds.width == 3840


def test_set_encoder_configuration_is_seen_by_a_new_client(onvif: ONVIFCamera, cam: Camera) -> None:
    media = onvif.create_media_service()
    conf = media.GetVideoEncoderConfiguration({"ConfigurationToken": "VideoEncoderToken_1"})
    conf.Resolution.Width, conf.Resolution.Height = 2560, 1440
    conf.RateControl.FrameRateLimit = 15
    conf.RateControl.BitrateLimit = 3072
    conf.H264.GovLength = 30
    media.SetVideoEncoderConfiguration({"Configuration": conf, "ForcePersistence": True})

    fresh = client(cam).create_media_service()
    got = fresh.GetVideoEncoderConfiguration({"ConfigurationToken": "VideoEncoderToken_1"})
    assert (got.Resolution.Width, got.Resolution.Height) == (2560, 1440)
    assert (got.RateControl.FrameRateLimit, got.RateControl.BitrateLimit) == (15, 3072)
    assert got.H264.GovLength == 30
    assert cam.state()["encoders"]["main"]["resolution"] == "2560x1440"

    conf.Resolution.Width, conf.Resolution.Height = 1000, 1000
    with pytest.raises(ONVIFError) as err:
        media.SetVideoEncoderConfiguration({"Configuration": conf, "ForcePersistence": True})
    fault = inner_fault(err.value)
    assert [q.localname for q in fault.subcodes] == ["InvalidArgVal", "ConfigModify"]
    assert "1000x1000" in fault.message


def test_media1_refuses_h265_as_a_camera_does(onvif: ONVIFCamera, cam: Camera) -> None:
    """Media1's tt:VideoEncoding is JPEG|MPEG4|H264: H265 sent through it (zeep passes the
    string unchecked) is Sender/InvalidArgVal/ConfigModify and changes nothing."""
    media = onvif.create_media_service()
    conf = media.GetVideoEncoderConfiguration({"ConfigurationToken": "VideoEncoderToken_2"})
    conf.Encoding = "H265"
    with pytest.raises(ONVIFError) as err:
        media.SetVideoEncoderConfiguration({"Configuration": conf, "ForcePersistence": True})
    fault = inner_fault(err.value)
    assert [q.localname for q in fault.subcodes] == ["InvalidArgVal", "ConfigModify"]
    assert "Media2" in fault.message
    assert cam.state()["encoders"]["sub"]["encoding"] == "H264"


def test_wrong_password_is_not_authorized(cam: Camera) -> None:
    with pytest.raises(ONVIFError) as err:
        client(cam, password="guess")
    fault = inner_fault(err.value)
    assert fault.code.endswith("Sender")
    assert NOT_AUTHORIZED in [q.text for q in fault.subcodes]
    assert "not authorized" in fault.message.lower()


def test_clock_offset_needs_adjust_time(lab: LabLoop) -> None:
    skewed = lab.camera("skewed", clock_offset_s=120)
    try:
        with pytest.raises(ONVIFError) as err:
            ONVIFCamera("127.0.0.1", skewed.endpoints()["http"], "admin", "admin", wsdl_dir())
        assert "stale" in inner_fault(err.value).message
        adjusted = ONVIFCamera(
            "127.0.0.1",
            skewed.endpoints()["http"],
            "admin",
            "admin",
            wsdl_dir(),
            adjust_time=True,
        )
        assert 115 <= adjusted.dt_diff.total_seconds() <= 125
        assert adjusted.devicemgmt.GetHostname().Name.startswith("IPC-")
    finally:
        lab.run(skewed.stop())


def test_hostname_ntp_and_user_round_trips(onvif: ONVIFCamera, cam: Camera) -> None:
    dev = onvif.devicemgmt
    assert dev.GetHostname().Name == "IPC-SN0001"  # factory
    dev.SetHostname({"Name": "school-12-gate-1"})
    assert dev.GetHostname().Name == "school-12-gate-1"

    assert dev.GetNTP().NTPManual == []
    dev.SetNTP(
        {
            "FromDHCP": False,
            "NTPManual": [
                {"Type": "IPv4", "IPv4Address": "192.0.2.10"},
                {"Type": "DNS", "DNSname": "ntp.edu.example"},
            ],
        }
    )
    ntp = dev.GetNTP()
    assert ntp.FromDHCP is False
    assert [(h.Type, h.IPv4Address or h.DNSname) for h in ntp.NTPManual] == [
        ("IPv4", "192.0.2.10"),
        ("DNS", "ntp.edu.example"),
    ]

    dev.CreateUsers({"User": [{"Username": "precinct", "Password": "Vid30!", "UserLevel": "User"}]})
    users = {u.Username: u for u in dev.GetUsers()}
    assert users["precinct"].UserLevel == "User"
    assert all(u.Password is None for u in users.values())  # never returned
    dev.SetUser({"User": [{"Username": "precinct", "UserLevel": "Operator"}]})
    assert {u.Username: u.UserLevel for u in dev.GetUsers()}["precinct"] == "Operator"
    # The new account works with its own password (SetUser without Password kept it).
    as_precinct = ONVIFCamera(cam.host, cam.endpoints()["http"], "precinct", "Vid30!", wsdl_dir())
    assert as_precinct.devicemgmt.GetHostname().Name == "school-12-gate-1"
    dev.DeleteUsers({"Username": ["precinct"]})
    assert "precinct" not in {u.Username for u in dev.GetUsers()}
    state = cam.state()
    assert state["hostname"] == "school-12-gate-1"
    assert state["ntp_servers"] == ["192.0.2.10", "ntp.edu.example"]
    assert "Adm1n!" not in repr(state)


def test_stream_and_snapshot_uris_point_at_this_camera(onvif: ONVIFCamera, cam: Camera) -> None:
    media = onvif.create_media_service()
    ports = cam.endpoints()
    rtsp_port = ports.get("rtsp", cam.settings.rtsp_port)
    main = media.GetStreamUri({"StreamSetup": RTSP_SETUP, "ProfileToken": "Profile_1"})
    sub = media.GetStreamUri({"StreamSetup": RTSP_SETUP, "ProfileToken": "Profile_2"})
    assert main.Uri == f"rtsp://127.0.0.1:{rtsp_port}/Streaming/Channels/101"
    assert sub.Uri == f"rtsp://127.0.0.1:{rtsp_port}/Streaming/Channels/102"
    snap = media.GetSnapshotUri({"ProfileToken": "Profile_1"})
    assert snap.Uri == f"http://127.0.0.1:{ports['http']}/snapshot/1.jpg"


def test_osd_through_zeep(onvif: ONVIFCamera, cam: Camera) -> None:
    media = onvif.create_media_service()
    osd = {
        "token": "",
        "VideoSourceConfigurationToken": {"_value_1": "VideoSourceConfig_1"},
        "Type": "Text",
        "Position": {"Type": "UpperLeft"},
        "TextString": {"Type": "Plain", "PlainText": "Dalian No.7 Middle School"},
    }
    token = media.CreateOSD({"OSD": osd}).OSDToken
    got = media.GetOSD({"OSDToken": token}).OSD
    assert got.TextString.PlainText == "Dalian No.7 Middle School"
    media.SetOSD(
        {"OSD": {**osd, "token": token, "TextString": {"Type": "Plain", "PlainText": "Gate 2"}}}
    )
    assert [o.TextString.PlainText for o in media.GetOSDs()] == ["Gate 2"]
    assert cam.state()["osd_text"] == "Gate 2"


def test_soap_fault_breaks_only_that_operation(onvif: ONVIFCamera, cam: Camera) -> None:
    media = onvif.create_media_service()
    cam.faults.soap_fault = ["GetStreamUri"]
    try:
        with pytest.raises(ONVIFError) as err:
            media.GetStreamUri({"StreamSetup": RTSP_SETUP, "ProfileToken": "Profile_1"})
        fault = inner_fault(err.value)
        assert fault.code.endswith("Receiver")
        assert [q.localname for q in fault.subcodes] == ["Action"]
        assert len(media.GetProfiles()) == 2
        assert media.GetSnapshotUri({"ProfileToken": "Profile_1"}).Uri.endswith("/1.jpg")
    finally:
        cam.faults.soap_fault = []
    assert media.GetStreamUri({"StreamSetup": RTSP_SETUP, "ProfileToken": "Profile_1"}).Uri
