"""The camera's ONVIF SOAP at the wire level: every response valid against the installed XSD
(zeep silently drops out-of-order elements, so this is the check that matters), WS-Security
edge cases and the exact fault subcodes ONVIF clients branch on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree
from test_camera_support import (
    NS,
    LabLoop,
    SoapClient,
    assert_valid,
    fault_codes,
    fault_reason,
    security_header,
)

from provision.lab.camera import Camera
from provision.lab.faults import Faults


@pytest.fixture(scope="module")
def lab() -> Iterator[LabLoop]:
    loop = LabLoop()
    yield loop
    loop.close()


@pytest.fixture()
def cam(lab: LabLoop) -> Iterator[Camera]:
    camera = lab.camera(
        "soapcam",
        users={
            "admin": ("s3cret", "Administrator"),
            "op": ("oppw", "Operator"),
            "u": ("upw", "User"),
        },
    )
    yield camera
    lab.run(camera.stop())


@pytest.fixture()
def admin(cam: Camera) -> SoapClient:
    return SoapClient(cam, "admin", "s3cret")


SETUP = "<trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP"
SETUP += "</tt:Protocol></tt:Transport></trt:StreamSetup>"
DEVICE_REQUESTS = {
    "GetDeviceInformation": "<tds:GetDeviceInformation/>",
    "GetSystemDateAndTime": "<tds:GetSystemDateAndTime/>",
    "GetCapabilities": "<tds:GetCapabilities><tds:Category>All</tds:Category>"
    "</tds:GetCapabilities>",
    "GetServices": "<tds:GetServices><tds:IncludeCapability>true</tds:IncludeCapability>"
    "</tds:GetServices>",
    "GetServiceCapabilities": "<tds:GetServiceCapabilities/>",
    "GetHostname": "<tds:GetHostname/>",
    "GetNTP": "<tds:GetNTP/>",
    "GetUsers": "<tds:GetUsers/>",
}
MEDIA_REQUESTS = {
    "GetServiceCapabilities": "<trt:GetServiceCapabilities/>",
    "GetProfiles": "<trt:GetProfiles/>",
    "GetProfile": "<trt:GetProfile><trt:ProfileToken>Profile_2</trt:ProfileToken></trt:GetProfile>",
    "GetVideoSources": "<trt:GetVideoSources/>",
    "GetVideoSourceConfigurations": "<trt:GetVideoSourceConfigurations/>",
    "GetVideoEncoderConfigurations": "<trt:GetVideoEncoderConfigurations/>",
    "GetVideoEncoderConfiguration": "<trt:GetVideoEncoderConfiguration><trt:ConfigurationToken>"
    "VideoEncoderToken_1</trt:ConfigurationToken></trt:GetVideoEncoderConfiguration>",
    "GetVideoEncoderConfigurationOptions": "<trt:GetVideoEncoderConfigurationOptions>"
    "<trt:ProfileToken>Profile_1</trt:ProfileToken></trt:GetVideoEncoderConfigurationOptions>",
    "GetStreamUri": f"<trt:GetStreamUri>{SETUP}<trt:ProfileToken>Profile_1</trt:ProfileToken>"
    "</trt:GetStreamUri>",
    "GetSnapshotUri": "<trt:GetSnapshotUri><trt:ProfileToken>Profile_1</trt:ProfileToken>"
    "</trt:GetSnapshotUri>",
    "GetOSDs": "<trt:GetOSDs/>",
    "GetOSDOptions": "<trt:GetOSDOptions><trt:ConfigurationToken>VideoSourceConfig_1"
    "</trt:ConfigurationToken></trt:GetOSDOptions>",
}
NTP_BODY = (
    "<tds:SetNTP><tds:FromDHCP>false</tds:FromDHCP><tds:NTPManual><tt:Type>IPv4</tt:Type>"
    "<tt:IPv4Address>10.1.2.3</tt:IPv4Address></tds:NTPManual><tds:NTPManual><tt:Type>DNS"
    "</tt:Type><tt:DNSname>ntp.school.example</tt:DNSname></tds:NTPManual></tds:SetNTP>"
)


def osd_body(op: str, plain: str, token: str = "") -> str:
    return (
        f'<trt:{op}><trt:OSD token="{token}"><tt:VideoSourceConfigurationToken>'
        "VideoSourceConfig_1</tt:VideoSourceConfigurationToken><tt:Type>Text</tt:Type>"
        "<tt:Position><tt:Type>LowerRight</tt:Type></tt:Position><tt:TextString><tt:Type>Plain"
        f"</tt:Type><tt:PlainText>{plain}</tt:PlainText></tt:TextString></trt:OSD></trt:{op}>"
    )


def encoder_body(token: str, encoding: str, w: int, h: int, fps: int = 20, gov: int = 40) -> str:
    return (
        f'<trt:SetVideoEncoderConfiguration><trt:Configuration token="{token}"><tt:Name>x'
        f"</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>{encoding}</tt:Encoding>"
        f"<tt:Resolution><tt:Width>{w}</tt:Width><tt:Height>{h}</tt:Height></tt:Resolution>"
        f"<tt:Quality>70</tt:Quality><tt:RateControl><tt:FrameRateLimit>{fps}</tt:FrameRateLimit>"
        "<tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>2048</tt:BitrateLimit>"
        f"</tt:RateControl><tt:H264><tt:GovLength>{gov}</tt:GovLength><tt:H264Profile>High"
        "</tt:H264Profile></tt:H264></trt:Configuration><trt:ForcePersistence>true"
        "</trt:ForcePersistence></trt:SetVideoEncoderConfiguration>"
    )


@pytest.mark.parametrize("op", sorted(DEVICE_REQUESTS))
def test_device_responses_follow_the_xsd(admin: SoapClient, op: str) -> None:
    el = admin.device(DEVICE_REQUESTS[op])
    assert el.tag == f"{{{NS['tds']}}}{op}Response"
    assert_valid("devicemgmt", el)


def test_media_responses_follow_the_xsd(admin: SoapClient) -> None:
    # With an OSD present so GetOSD(s) carries a full OSDConfiguration.
    token = admin.media(osd_body("CreateOSD", "Gate 3")).findtext("trt:OSDToken", namespaces=NS)
    requests = {
        **MEDIA_REQUESTS,
        "GetOSD": f"<trt:GetOSD><trt:OSDToken>{token}</trt:OSDToken></trt:GetOSD>",
    }
    for op, body in requests.items():
        el = admin.media(body)
        assert el.tag == f"{{{NS['trt']}}}{op}Response", (op, fault_reason(el))
        assert_valid("media", el)
    assert admin.media(requests["GetOSDs"]).findtext(".//tt:PlainText", namespaces=NS) == "Gate 3"


def test_set_operations_answer_valid_empty_responses(admin: SoapClient) -> None:
    for service, body in (
        ("devicemgmt", "<tds:SetHostname><tds:Name>gate-cam-1</tds:Name></tds:SetHostname>"),
        ("devicemgmt", NTP_BODY),
        ("media", encoder_body("VideoEncoderToken_1", "H264", 2560, 1440)),
    ):
        el = admin.device(body) if service == "devicemgmt" else admin.media(body)
        assert etree_local(el).endswith("Response"), fault_reason(el)
        assert_valid(service, el)


def etree_local(el: etree._Element) -> str:
    return etree.QName(el).localname


def test_date_and_time_needs_no_auth_and_shows_the_camera_clock(lab: LabLoop) -> None:
    cam = lab.camera("skewed", clock_offset_s=-3600, timezone="CST-8")
    try:
        anon = SoapClient(cam, user=None)
        asked = datetime.now(UTC)
        el = anon.device("<tds:GetSystemDateAndTime/>")
        answered = datetime.now(UTC)
        utc = el.find(".//tt:UTCDateTime", NS)
        y, mo, d, h, mi, s = (
            int(utc.findtext(f".//tt:{p}", namespaces=NS) or "")
            for p in ("Year", "Month", "Day", "Hour", "Minute", "Second")
        )
        stamp = datetime(y, mo, d, h, mi, s, tzinfo=UTC)
        # The camera's clock, an hour behind, read during the call (to the whole second): a
        # bound taken around the call, which a busy machine may make take seconds.
        behind = timedelta(seconds=3600)
        assert asked - behind - timedelta(seconds=1) <= stamp <= answered - behind
        local_hour = int(el.findtext(".//tt:LocalDateTime/tt:Time/tt:Hour", namespaces=NS))
        assert local_hour == (stamp.hour + 8) % 24
        # A wrong password in the header must not matter for this one operation.
        bad = SoapClient(cam, "admin", "wrong")
        assert etree_local(bad.device("<tds:GetSystemDateAndTime/>")) == (
            "GetSystemDateAndTimeResponse"
        )
        assert fault_codes(anon.device("<tds:GetDeviceInformation/>")) == [
            "env:Sender",
            "ter:NotAuthorized",
        ]
    finally:
        lab.run(cam.stop())


def test_ws_security_rejections(admin: SoapClient, cam: Camera) -> None:
    info = "<tds:GetDeviceInformation/>"
    resp = admin.post("/onvif/device_service", info, header="")
    assert resp.status_code == 400
    stale = security_header("admin", "s3cret", datetime.now(UTC) - timedelta(seconds=30))
    el = admin.device(info, header=stale)
    assert fault_codes(el) == ["env:Sender", "ter:NotAuthorized"]
    assert "stale" in fault_reason(el)
    # The window is the constructor's (5 s default): 3 s of skew still passes.
    near = security_header("admin", "s3cret", datetime.now(UTC) + timedelta(seconds=3))
    assert etree_local(admin.device(info, header=near)) == "GetDeviceInformationResponse"
    wrong = security_header("admin", "nope")
    assert "wrong username or password" in fault_reason(admin.device(info, header=wrong))
    unknown = security_header("mallory", "s3cret")
    assert fault_codes(admin.device(info, header=unknown))[1] == "ter:NotAuthorized"
    # PasswordText is accepted too (some NVRs send it).
    text = security_header("admin", "s3cret", digest=False)
    assert etree_local(admin.device(info, header=text)) == "GetDeviceInformationResponse"
    cam.faults.auth_failure = True
    assert fault_codes(admin.device(info))[1] == "ter:NotAuthorized"
    cam.faults.auth_failure = False
    assert etree_local(admin.device(info)) == "GetDeviceInformationResponse"


def test_user_levels_limit_operations(cam: Camera) -> None:
    user, operator = SoapClient(cam, "u", "upw"), SoapClient(cam, "op", "oppw")
    assert etree_local(user.media("<trt:GetProfiles/>")) == "GetProfilesResponse"
    el = user.media(encoder_body("VideoEncoderToken_2", "H264", 1280, 720))
    assert fault_codes(el)[1] == "ter:NotAuthorized" and "Operator" in fault_reason(el)
    el = operator.media(encoder_body("VideoEncoderToken_2", "H264", 1280, 720))
    assert etree_local(el) == "SetVideoEncoderConfigurationResponse"
    assert fault_codes(operator.device("<tds:GetUsers/>"))[1] == "ter:NotAuthorized"


def test_encoder_validation_faults(admin: SoapClient, cam: Camera) -> None:
    def codes(body: str) -> list[str]:
        return fault_codes(admin.media(body))

    config_modify = ["env:Sender", "ter:InvalidArgVal", "ter:ConfigModify"]
    assert codes(encoder_body("VideoEncoderToken_1", "H264", 1000, 700)) == config_modify
    # The sub stream cannot take the main stream's sizes.
    assert codes(encoder_body("VideoEncoderToken_2", "H264", 1920, 1080)) == config_modify
    assert codes(encoder_body("VideoEncoderToken_1", "MPEG4", 1920, 1080)) == config_modify
    assert codes(encoder_body("VideoEncoderToken_1", "H264", 1920, 1080, fps=90)) == config_modify
    assert codes(encoder_body("VideoEncoderToken_1", "H264", 1920, 1080, gov=0)) == config_modify
    assert codes(encoder_body("NoSuchToken", "H264", 1920, 1080)) == [
        "env:Sender",
        "ter:InvalidArgVal",
        "ter:NoConfig",
    ]
    assert cam.state()["encoders"]["main"]["resolution"] == "1920x1080"  # nothing applied
    # H.265 is outside Media1's enum: refused, nothing applied (Media2 sets it).
    assert codes(encoder_body("VideoEncoderToken_1", "H265", 3840, 2160)) == config_modify
    assert cam.state()["encoders"]["main"]["encoding"] == "H264"


def test_osd_lifecycle(admin: SoapClient, cam: Camera) -> None:
    assert admin.media("<trt:GetOSDs/>").find("trt:OSDs", NS) is None  # factory: no OSD
    token = admin.media(osd_body("CreateOSD", "Nanshan No.2")).findtext(
        "trt:OSDToken", namespaces=NS
    )
    assert fault_codes(admin.media(osd_body("CreateOSD", "again"))) == [
        "env:Receiver",
        "ter:Action",
        "ter:MaxOSDs",
    ]
    assert etree_local(admin.media(osd_body("SetOSD", "Gate &amp; Hall", token)))
    assert cam.state()["osd_text"] == "Gate & Hall"
    assert fault_codes(admin.media(osd_body("SetOSD", "x", "OSD_99")))[-1] == "ter:NoConfig"
    admin.media(f"<trt:DeleteOSD><trt:OSDToken>{token}</trt:OSDToken></trt:DeleteOSD>")
    assert cam.state()["osd_text"] == ""


def test_account_and_network_faults(admin: SoapClient, cam: Camera) -> None:
    assert (
        fault_codes(
            admin.device("<tds:SetHostname><tds:Name>bad_name!</tds:Name></tds:SetHostname>")
        )[-1]
        == "ter:InvalidHostname"
    )
    bad_ntp = NTP_BODY.replace("10.1.2.3", "10.1.2.300")
    assert fault_codes(admin.device(bad_ntp))[-1] == "ter:InvalidIPv4Address"
    clash = (
        "<tds:CreateUsers><tds:User><tt:Username>op</tt:Username><tt:Password>x"
        "</tt:Password><tt:UserLevel>User</tt:UserLevel></tds:User></tds:CreateUsers>"
    )
    assert fault_codes(admin.device(clash))[-1] == "ter:UsernameClash"
    last_admin = "<tds:DeleteUsers><tds:Username>admin</tds:Username></tds:DeleteUsers>"
    assert fault_codes(admin.device(last_admin))[-1] == "ter:FixedUser"
    assert "admin" in cam.state()["users"]


def test_set_system_date_and_time(admin: SoapClient, cam: Camera) -> None:
    target = datetime.now(UTC) + timedelta(hours=2)
    body = (
        "<tds:SetSystemDateAndTime><tds:DateTimeType>Manual</tds:DateTimeType>"
        "<tds:DaylightSavings>false</tds:DaylightSavings><tds:TimeZone><tt:TZ>UTC0</tt:TZ>"
        f"</tds:TimeZone><tds:UTCDateTime><tt:Time><tt:Hour>{target.hour}</tt:Hour><tt:Minute>"
        f"{target.minute}</tt:Minute><tt:Second>{target.second}</tt:Second></tt:Time><tt:Date>"
        f"<tt:Year>{target.year}</tt:Year><tt:Month>{target.month}</tt:Month><tt:Day>"
        f"{target.day}</tt:Day></tt:Date></tds:UTCDateTime></tds:SetSystemDateAndTime>"
    )
    assert etree_local(admin.device(body)) == "SetSystemDateAndTimeResponse"
    assert abs(cam.state()["clock_offset_s"] - 7200) < 2
    # Switching to NTP with a server configured brings the clock back to real time.
    admin.skew = timedelta(seconds=cam.settings.clock_offset_s)
    admin.device(NTP_BODY)
    ntp = (
        "<tds:SetSystemDateAndTime><tds:DateTimeType>NTP</tds:DateTimeType>"
        "<tds:DaylightSavings>false</tds:DaylightSavings></tds:SetSystemDateAndTime>"
    )
    assert etree_local(admin.device(ntp)) == "SetSystemDateAndTimeResponse"
    assert cam.state()["clock_offset_s"] == 0 and cam.state()["date_time_type"] == "NTP"


def test_malformed_and_unknown_requests(admin: SoapClient) -> None:
    resp = admin.session.post(
        admin.base + "/onvif/device_service",
        data=b"<not-xml",
        headers={"Content-Type": "application/soap+xml"},
        timeout=5,
    )
    assert resp.status_code == 400 and b"WellFormed" in resp.content
    el = admin.device("<tds:SystemReboot/>")
    assert fault_codes(el) == ["env:Receiver", "ter:ActionNotSupported"]
    # Media operations are not served on the device path (XAddrs say where each service is).
    assert fault_codes(admin.device("<trt:GetProfiles/>"))[1] == "ter:ActionNotSupported"
    assert admin.session.get(admin.base + "/nope", timeout=5).status_code == 404


def test_soap_fault_injection_hits_only_named_operations(admin: SoapClient, cam: Camera) -> None:
    cam.faults.soap_fault = ["GetProfiles"]
    resp = admin.post("/onvif/media_service", "<trt:GetProfiles/>")
    assert resp.status_code == 500
    from test_camera_support import body_element

    assert fault_codes(body_element(resp)) == ["env:Receiver", "ter:Action"]
    assert etree_local(admin.media(MEDIA_REQUESTS["GetStreamUri"])) == "GetStreamUriResponse"
    cam.faults.soap_fault = []
    assert etree_local(admin.media("<trt:GetProfiles/>")) == "GetProfilesResponse"


def test_faults_object_is_the_one_consulted() -> None:
    faults = Faults()
    camera = Camera("f", "127.0.0.1", faults=faults, http_port=0)
    assert camera.faults is faults
