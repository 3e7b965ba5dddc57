"""The ISAPI resources a simulated Hikvision camera serves: XML documents in, XML out.

Documents follow Hikvision's ISAPI as its cameras send them (namespace
http://www.hikvision.com/ver20/XMLSchema, version="2.0"; deviceInfo as recorded from a
DS-2CD2155FWD-I on firmware V5.5.0 in hikvisionapi's test cassettes, MissiaL/hikvision-client
tests/fixtures/cassettes/test_auth_firmware_v5_5). A PUT replaces the resource with the
document sent; a value the camera cannot take is refused as the camera refuses it, with
HTTP 400 and `ResponseStatus` statusCode 6 (Invalid XML Content, subStatusCode
badParameters), a body that is not XML with statusCode 5 (badXmlFormat), and nothing changes.

`ROUTES` maps each path pattern to its handlers by method, with the user level each needs
(reads: any account; writes: Administrator, else 403 lowPrivilege).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape as x

from lxml import etree

from provision.lab.isapi_state import (
    BITRATE_RANGE_KBPS,
    CODECS,
    DEFAULT_MAIN_RESOLUTIONS,
    FRAME_RATES,
    GOV_RANGE,
    LEVELS,
    MAIN_RESOLUTIONS,
    MAX_NTP_SERVERS,
    MAX_OVERLAY_BYTES,
    MAX_TEXT_OVERLAYS,
    MAX_USERS,
    QUALITY_CONTROL,
    SUB_RESOLUTIONS,
    IsapiState,
    NtpServer,
    TextOverlay,
    User,
)

NS = "http://www.hikvision.com/ver20/XMLSchema"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


class IsapiError(Exception):
    """A refusal the camera sends as HTTP `http_status` with a ResponseStatus document."""

    def __init__(self, http_status: int, code: int, sub: str, said: str) -> None:
        super().__init__(f"{said} ({sub})")
        self.http_status, self.code, self.sub, self.said = http_status, code, sub, said


def bad_value(what: str) -> IsapiError:
    return IsapiError(400, 6, "badParameters", f"Invalid XML Content: {what}")


def response_status(url: str, code: int = 1, sub: str = "ok", said: str = "OK") -> bytes:
    return _doc(
        "ResponseStatus",
        f"<requestURL>{x(url)}</requestURL><statusCode>{code}</statusCode>"
        f"<statusString>{x(said)}</statusString><subStatusCode>{x(sub)}</subStatusCode>",
    )


def _doc(root: str, body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} version="2.0" xmlns="{NS}">\n'
        f"{body}\n</{root}>\n"
    ).encode()


def parse(body: bytes, root: str) -> etree._Element:
    try:
        element = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise IsapiError(400, 5, "badXmlFormat", f"Invalid XML Format: {exc.msg}") from None
    if etree.QName(element).localname != root:
        raise IsapiError(400, 5, "badXmlFormat", f"Invalid XML Format: expected <{root}>")
    return element


def _text(element: etree._Element, tag: str, default: str | None = None) -> str:
    found = element.find(f"{{*}}{tag}")
    if found is None or found.text is None:
        if default is None:
            raise bad_value(f"{tag} is missing")
        return default
    return found.text.strip()


def _int(element: etree._Element, tag: str, default: int | None = None) -> int:
    value = _text(element, tag, None if default is None else str(default))
    try:
        return int(value)
    except ValueError:
        raise bad_value(f"{tag} {value!r} is not a number") from None


# --- system -----------------------------------------------------------------------------------


def get_status(state: IsapiState, _m: re.Match[str], _body: bytes) -> bytes:
    now = state.now().astimezone().isoformat(timespec="seconds")
    return _doc(
        "DeviceStatus",
        f"<currentDeviceTime>{now}</currentDeviceTime><deviceUpTime>86400</deviceUpTime>",
    )


def get_device_info(state: IsapiState, _m: re.Match[str], _body: bytes) -> bytes:
    ident = state.identity
    return _doc(
        "DeviceInfo",
        f"<deviceName>{x(state.device_name)}</deviceName><deviceID>{x(ident.serial)}</deviceID>"
        "<deviceDescription>IPCamera</deviceDescription><deviceLocation>hangzhou"
        "</deviceLocation><systemContact>Hikvision.China</systemContact>"
        f"<model>{x(ident.model)}</model><serialNumber>{x(ident.serial)}</serialNumber>"
        f"<macAddress>{ident.mac}</macAddress><firmwareVersion>{x(ident.firmware)}"
        f"</firmwareVersion><firmwareReleasedDate>{x(ident.firmware_date)}"
        "</firmwareReleasedDate><encoderVersion>V7.3</encoderVersion><deviceType>IPCamera"
        "</deviceType><telecontrolID>88</telecontrolID>",
    )


def put_device_info(state: IsapiState, _m: re.Match[str], body: bytes) -> None:
    name = _text(parse(body, "DeviceInfo"), "deviceName")
    if not name or len(name.encode()) > 64:
        raise bad_value("deviceName must be 1-64 bytes")
    state.device_name = name


def get_time(state: IsapiState, _m: re.Match[str], _body: bytes) -> bytes:
    local = state.now().isoformat(timespec="seconds")
    return _doc(
        "Time",
        f"<timeMode>{state.time_mode}</timeMode><localTime>{local}</localTime>"
        f"<timeZone>{x(state.time_zone)}</timeZone>",
    )


_TIME_ZONE = re.compile(r"^[A-Za-z]{3,}[+-]\d{1,2}:\d{2}:\d{2}$")


def put_time(state: IsapiState, _m: re.Match[str], body: bytes) -> None:
    doc = parse(body, "Time")
    mode, zone = _text(doc, "timeMode"), _text(doc, "timeZone", state.time_zone)
    if mode not in ("NTP", "manual"):
        raise bad_value(f"timeMode {mode!r} (NTP or manual)")
    if not _TIME_ZONE.match(zone):
        raise bad_value(f"timeZone {zone!r} (e.g. CST-8:00:00)")
    state.time_mode, state.time_zone = mode, zone


def get_ntp_servers(state: IsapiState, _m: re.Match[str], _body: bytes) -> bytes:
    servers = "".join(
        f"<NTPServer><id>{s.id}</id><addressingFormatType>{s.addressing}"
        f"</addressingFormatType>"
        + (
            f"<hostName>{x(s.address)}</hostName>"
            if s.addressing == "hostname"
            else f"<ipAddress>{x(s.address)}</ipAddress>"
        )
        + f"<portNo>{s.port}</portNo><synchronizeInterval>{s.interval_min}"
        "</synchronizeInterval></NTPServer>"
        for s in state.ntp_servers
    )
    return _doc("NTPServerList", servers)


def put_ntp_servers(state: IsapiState, _m: re.Match[str], body: bytes) -> None:
    servers = []
    for element in parse(body, "NTPServerList").iterfind("{*}NTPServer"):
        addressing = _text(element, "addressingFormatType")
        if addressing not in ("ipaddress", "hostname"):
            raise bad_value(f"addressingFormatType {addressing!r}")
        tag = "hostName" if addressing == "hostname" else "ipAddress"
        port = _int(element, "portNo", 123)
        if not 1 <= port <= 65535:
            raise bad_value(f"portNo {port}")
        servers.append(
            NtpServer(
                _int(element, "id"),
                addressing,
                _text(element, tag),
                port,
                _int(element, "synchronizeInterval", 1440),
            )
        )
    if len(servers) > MAX_NTP_SERVERS:
        raise bad_value(f"at most {MAX_NTP_SERVERS} NTP servers")
    state.ntp_servers = servers


# --- streaming --------------------------------------------------------------------------------


def _channel_xml(state: IsapiState, channel_id: int) -> str:
    c = state.channels[channel_id]
    return (
        f"<StreamingChannel><id>{c.id}</id><channelName>{x(c.name)}</channelName>"
        "<enabled>true</enabled><Transport><ControlProtocolList><ControlProtocol>"
        "<streamingTransport>RTSP</streamingTransport></ControlProtocol></ControlProtocolList>"
        "</Transport><Video><enabled>true</enabled><videoInputChannelID>1"
        f"</videoInputChannelID><videoCodecType>{c.codec}</videoCodecType>"
        f"<videoScanType>progressive</videoScanType><videoResolutionWidth>{c.width}"
        f"</videoResolutionWidth><videoResolutionHeight>{c.height}</videoResolutionHeight>"
        f"<videoQualityControlType>{c.quality_control}</videoQualityControlType>"
        f"<constantBitRate>{c.constant_bitrate}</constantBitRate><fixedQuality>60"
        f"</fixedQuality><vbrUpperCap>{c.vbr_upper_cap}</vbrUpperCap><maxFrameRate>"
        f"{c.max_frame_rate}</maxFrameRate><GovLength>{c.gov_length}</GovLength>"
        f"<H264Profile>{c.h264_profile}</H264Profile></Video></StreamingChannel>"
    )


def get_channels(state: IsapiState, _m: re.Match[str], _body: bytes) -> bytes:
    inner = "".join(_channel_xml(state, cid) for cid in sorted(state.channels))
    return _doc("StreamingChannelList", inner)


def _channel(state: IsapiState, m: re.Match[str]) -> int:
    channel_id = int(m["id"])
    if channel_id not in state.channels:
        raise IsapiError(404, 4, "notSupport", "Invalid Operation")
    return channel_id


def get_channel(state: IsapiState, m: re.Match[str], _body: bytes) -> bytes:
    xml = _channel_xml(state, _channel(state, m))
    return _doc(
        "StreamingChannel",
        xml.removeprefix("<StreamingChannel>").removesuffix("</StreamingChannel>"),
    )


def put_channel(state: IsapiState, m: re.Match[str], body: bytes) -> None:
    channel = state.channels[_channel(state, m)]
    video = parse(body, "StreamingChannel").find("{*}Video")
    if video is None:
        raise bad_value("Video is missing")
    codec = _text(video, "videoCodecType", channel.codec)
    size = (
        _int(video, "videoResolutionWidth", channel.width),
        _int(video, "videoResolutionHeight", channel.height),
    )
    rate = _int(video, "maxFrameRate", channel.max_frame_rate)
    control = _text(video, "videoQualityControlType", channel.quality_control).upper()
    cbr = _int(video, "constantBitRate", channel.constant_bitrate)
    vbr = _int(video, "vbrUpperCap", channel.vbr_upper_cap)
    gov = _int(video, "GovLength", channel.gov_length)
    model = state.identity.model
    main = MAIN_RESOLUTIONS.get(model, DEFAULT_MAIN_RESOLUTIONS)
    modes = main if channel.id % 100 == 1 else SUB_RESOLUTIONS
    low, high = BITRATE_RANGE_KBPS
    checks = (
        (codec in CODECS, f"videoCodecType {codec!r}"),
        (size in modes, f"resolution {size[0]}x{size[1]} on channel {channel.id}"),
        (rate in FRAME_RATES, f"maxFrameRate {rate}"),
        (control in QUALITY_CONTROL, f"videoQualityControlType {control!r}"),
        (low <= cbr <= high and low <= vbr <= high, "bitrate out of range"),
        (GOV_RANGE[0] <= gov <= GOV_RANGE[1], f"GovLength {gov}"),
    )
    for ok, what in checks:
        if not ok:
            raise bad_value(what)
    channel.codec, (channel.width, channel.height) = codec, size
    channel.max_frame_rate, channel.quality_control = rate, control
    channel.constant_bitrate, channel.vbr_upper_cap, channel.gov_length = cbr, vbr, gov


# --- overlays ---------------------------------------------------------------------------------


def get_overlays(state: IsapiState, _m: re.Match[str], _body: bytes) -> bytes:
    texts = "".join(
        f"<TextOverlay><id>{o.id}</id><enabled>{str(o.enabled).lower()}</enabled>"
        f"<positionX>{o.x}</positionX><positionY>{o.y}</positionY>"
        f"<displayText>{x(o.text)}</displayText></TextOverlay>"
        for o in state.overlays
    )
    return _doc(
        "VideoOverlay",
        "<normalizedScreenSize><normalizedScreenWidth>704</normalizedScreenWidth>"
        "<normalizedScreenHeight>576</normalizedScreenHeight></normalizedScreenSize>"
        f'<TextOverlayList size="{MAX_TEXT_OVERLAYS}">{texts}</TextOverlayList>'
        "<DateTimeOverlay><enabled>true</enabled><positionX>0</positionX><positionY>32"
        "</positionY><dateStyle>YYYY-MM-DD</dateStyle><timeStyle>24hour</timeStyle>"
        "<displayWeek>false</displayWeek></DateTimeOverlay>",
    )


def put_overlays(state: IsapiState, _m: re.Match[str], body: bytes) -> None:
    overlays = []
    for element in parse(body, "VideoOverlay").iterfind("{*}TextOverlayList/{*}TextOverlay"):
        text = _text(element, "displayText", "")
        if len(text.encode("utf-8")) > MAX_OVERLAY_BYTES:
            raise bad_value(f"displayText longer than {MAX_OVERLAY_BYTES} bytes")
        enabled = _text(element, "enabled", "false")
        overlays.append(
            TextOverlay(
                _int(element, "id"),
                enabled == "true",
                text,
                _int(element, "positionX", 0),
                _int(element, "positionY", 0),
            )
        )
    if len(overlays) > MAX_TEXT_OVERLAYS:
        raise bad_value(f"at most {MAX_TEXT_OVERLAYS} text overlays")
    state.overlays = overlays


# --- users ------------------------------------------------------------------------------------


def _user_xml(user: User) -> str:
    return (
        f"<User><id>{user.id}</id><userName>{x(user.name)}</userName>"
        f"<userLevel>{user.level}</userLevel></User>"
    )


def get_users(state: IsapiState, _m: re.Match[str], _body: bytes) -> bytes:
    return _doc("UserList", "".join(_user_xml(u) for _, u in sorted(state.users.items())))


def _user_of(state: IsapiState, m: re.Match[str]) -> User:
    user = state.users.get(int(m["id"]))
    if user is None:
        raise IsapiError(404, 4, "notSupport", "Invalid Operation")
    return user


def get_user(state: IsapiState, m: re.Match[str], _body: bytes) -> bytes:
    inner = _user_xml(_user_of(state, m)).removeprefix("<User>").removesuffix("</User>")
    return _doc("User", inner)


def _user_fields(body: bytes) -> tuple[str, str, str]:
    doc = parse(body, "User")
    name, password, level = _text(doc, "userName"), _text(doc, "password"), _text(doc, "userLevel")
    if level not in LEVELS:
        raise bad_value(f"userLevel {level!r} ({', '.join(LEVELS)})")
    if not re.fullmatch(r"[A-Za-z0-9_.@-]{1,32}", name) or len(password) < 8:
        raise bad_value("userName 1-32 letters/digits, password at least 8 characters")
    return name, password, level


def post_user(state: IsapiState, _m: re.Match[str], body: bytes) -> None:
    name, password, level = _user_fields(body)
    if any(u.name == name for u in state.users.values()):
        raise IsapiError(400, 6, "userNameExist", f"Invalid XML Content: user {name} exists")
    if len(state.users) >= MAX_USERS or level == "Administrator":
        raise bad_value("no more users, or a second Administrator")
    new_id = max(state.users, default=0) + 1
    state.users[new_id] = User(new_id, name, password, level)


def put_user(state: IsapiState, m: re.Match[str], body: bytes) -> None:
    user = _user_of(state, m)
    name, password, level = _user_fields(body)
    if name != user.name or (user.level == "Administrator") != (level == "Administrator"):
        raise bad_value("the user name and the administrator cannot change")
    user.password, user.level = password, level


def delete_user(state: IsapiState, m: re.Match[str], _body: bytes) -> None:
    user = _user_of(state, m)
    if user.level == "Administrator":
        raise IsapiError(403, 4, "invalidOperation", "Invalid Operation")
    del state.users[user.id]


Handler = Callable[[IsapiState, re.Match[str], bytes], "bytes | None"]
READ, WRITE = "Viewer", "Administrator"


@dataclass(frozen=True, slots=True)
class Route:
    pattern: re.Pattern[str]
    methods: dict[str, tuple[str, Handler]]  # method → (level needed, handler)


def _route(path: str, **methods: tuple[str, Any]) -> Route:
    return Route(re.compile(f"^{path}$", re.IGNORECASE), methods)


ROUTES = (
    _route("/ISAPI/System/status", GET=(READ, get_status)),
    _route("/ISAPI/System/deviceInfo", GET=(READ, get_device_info), PUT=(WRITE, put_device_info)),
    _route("/ISAPI/System/time", GET=(READ, get_time), PUT=(WRITE, put_time)),
    _route(
        "/ISAPI/System/time/ntpServers", GET=(READ, get_ntp_servers), PUT=(WRITE, put_ntp_servers)
    ),
    _route("/ISAPI/Streaming/channels", GET=(READ, get_channels)),
    _route(
        r"/ISAPI/Streaming/channels/(?P<id>\d+)", GET=(READ, get_channel), PUT=(WRITE, put_channel)
    ),
    _route(
        "/ISAPI/System/Video/inputs/channels/1/overlays",
        GET=(READ, get_overlays),
        PUT=(WRITE, put_overlays),
    ),
    _route("/ISAPI/Security/users", GET=(READ, get_users), POST=(WRITE, post_user)),
    _route(
        r"/ISAPI/Security/users/(?P<id>\d+)",
        GET=(READ, get_user),
        PUT=(WRITE, put_user),
        DELETE=(WRITE, delete_user),
    ),
)


def permits(level: str, needed: str) -> bool:
    return needed == READ or level == "Administrator"
