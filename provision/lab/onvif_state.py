"""What a simulated camera remembers: identity, clock, accounts, network and encoder settings.

Kept apart from the SOAP code so the ONVIF services, the snapshot route and the lab API all read
and change one object, and `state()` is a plain dump of it. Instances use slots: a lab process
holds thousands of cameras, and these are most of a camera's memory.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree

USER_LEVELS = ("Administrator", "Operator", "User")
# Sensor modes the simulated model can encode, largest first. The sub stream is limited to
# 1280 wide, as on typical IP cameras, so a provisioning run can be refused a too-large sub.
RESOLUTIONS: tuple[tuple[int, int], ...] = (
    (3840, 2160),
    (2560, 1440),
    (1920, 1080),
    (1280, 720),
    (640, 360),
)
SUB_STREAM_MAX_WIDTH = 1280
FRAME_RATE_RANGE = (1, 30)
BITRATE_RANGE_KBPS = (32, 16384)
GOV_LENGTH_RANGE = (1, 400)
QUALITY_RANGE = (0, 100)
ENCODING_INTERVAL_RANGE = (1, 30)
H264_PROFILES = ("Baseline", "Main", "High")
# Media1's tt:VideoEncoding enum is JPEG|MPEG4|H264 (onvif.xsd ver10), so Media1 sets only H.264
# and refuses "H265" (Sender/InvalidArgVal/ConfigModify); Media2 (ver20 media.wsdl,
# tt:VideoEncodingMimeNames) sets H264 or H265. An encoder running H.265 is described to Media1
# as H264, as Hikvision firmware does (Media1 has no word for it); a Media1 client that writes
# that back turns the stream into H.264, as on the camera. JPEG/MPEG4 answer ConfigModify.
MEDIA1_ENCODINGS = ("H264",)
ENCODINGS = ("H264", "H265")  # Media2

# Profile token → (encoder token, RTSP path). Main is channel 101, sub 102 (Hikvision layout,
# which the precinct's video platform expects).
PROFILES = {
    "Profile_1": ("VideoEncoderToken_1", "/Streaming/Channels/101"),
    "Profile_2": ("VideoEncoderToken_2", "/Streaming/Channels/102"),
}
PROFILE_NAMES = {"Profile_1": "mainStream", "Profile_2": "subStream"}
ENCODER_ROLES = {"VideoEncoderToken_1": "main", "VideoEncoderToken_2": "sub"}
VIDEO_SOURCE_TOKEN = "VideoSource_1"
VIDEO_SOURCE_CONFIG_TOKEN = "VideoSourceConfig_1"
MAX_OSDS = 1
MAX_USERS = 16

_POSIX_TZ = re.compile(r"^[A-Za-z]{3,}(?P<sign>[+-]?)(?P<h>\d{1,2})(?::(?P<m>\d{2}))?")


def tz_utc_offset(tz: str) -> timedelta | None:
    """UTC offset of a POSIX TZ string ("CST-8" → +8 h; POSIX signs are inverted), or None."""
    m = _POSIX_TZ.match(tz)
    if m is None:
        return None
    minutes = int(m["h"]) * 60 + int(m["m"] or 0)
    return timedelta(minutes=minutes if m["sign"] == "-" else -minutes)


@dataclass(slots=True, frozen=True)
class Identity:
    manufacturer: str
    model: str
    firmware: str
    serial: str
    hardware_id: str


@dataclass(slots=True)
class EncoderConfig:
    token: str
    name: str
    encoding: str
    width: int
    height: int
    quality: float
    frame_rate: int
    encoding_interval: int
    bitrate_kbps: int
    gov_length: int
    h264_profile: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "encoding": self.encoding,
            "resolution": f"{self.width}x{self.height}",
            "quality": self.quality,
            "fps": self.frame_rate,
            "encoding_interval": self.encoding_interval,
            "bitrate_kbps": self.bitrate_kbps,
            "gov_length": self.gov_length,
            "h264_profile": self.h264_profile,
        }


@dataclass(slots=True)
class Osd:
    token: str
    text: str
    position: str = "UpperLeft"


@dataclass(slots=True)
class CameraState:
    """Everything the camera's protocols read or change. Starts at factory settings."""

    identity: Identity
    host: str
    http_port: int
    rtsp_port: int
    users: dict[str, tuple[str, str]]  # username → (password, level)
    clock_offset_s: float = 0.0
    timezone: str = "UTC0"
    date_time_type: str = "Manual"  # or "NTP"
    daylight_savings: bool = False
    hostname: str = ""
    ntp_from_dhcp: bool = False
    ntp_servers: list[tuple[str, str]] = field(default_factory=list)  # (IPv4|IPv6|DNS, address)
    encoders: dict[str, EncoderConfig] = field(default_factory=dict)
    osds: dict[str, Osd] = field(default_factory=dict)
    osd_counter: int = 0

    @classmethod
    def factory(
        cls,
        identity: Identity,
        host: str,
        users: dict[str, tuple[str, str]],
        clock_offset_s: float,
        tz: str,
    ) -> CameraState:
        """Out-of-the-box settings: not what a school wants, so provisioning has work to do."""
        main = EncoderConfig(
            "VideoEncoderToken_1", "mainStream", "H264", 1920, 1080, 60.0, 25, 1, 4096, 50, "Main"
        )
        sub = EncoderConfig(
            "VideoEncoderToken_2", "subStream", "H264", 640, 360, 60.0, 25, 1, 4096, 50, "Main"
        )
        return cls(
            identity=identity,
            host=host,
            http_port=0,
            rtsp_port=0,
            users=dict(users),
            clock_offset_s=clock_offset_s,
            timezone=tz,
            hostname=f"IPC-{identity.serial}",
            encoders={main.token: main, sub.token: sub},
        )

    def now(self) -> datetime:
        """The camera's own clock: real UTC time plus its drift."""
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset_s)

    def local_time(self, utc: datetime) -> datetime:
        """`utc` in the camera's configured POSIX time zone (DST rules are not modelled)."""
        return utc + (tz_utc_offset(self.timezone) or timedelta(0))

    def supported_resolutions(self, encoder_token: str) -> tuple[tuple[int, int], ...]:
        if encoder_token == "VideoEncoderToken_1":
            return RESOLUTIONS
        return tuple(r for r in RESOLUTIONS if r[0] <= SUB_STREAM_MAX_WIDTH)

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable settings, without passwords."""
        ident = self.identity
        return {
            "manufacturer": ident.manufacturer,
            "model": ident.model,
            "firmware": ident.firmware,
            "serial": ident.serial,
            "hostname": self.hostname,
            "clock_offset_s": round(self.clock_offset_s, 3),
            "timezone": self.timezone,
            "date_time_type": self.date_time_type,
            "ntp_from_dhcp": self.ntp_from_dhcp,
            "ntp_servers": [addr for _kind, addr in self.ntp_servers],
            "users": {name: level for name, (_pw, level) in sorted(self.users.items())},
            "encoders": {ENCODER_ROLES[t]: enc.as_dict() for t, enc in self.encoders.items()},
            "osd_text": next(iter(self.osds.values())).text if self.osds else "",
        }


# An ONVIF operation: reads/changes the state, returns the response element as XML text.
Handler = Callable[[CameraState, etree._Element], str]
# Operation name → (user level it needs or None for no authentication, handler).
Operations = dict[str, tuple[str | None, Handler]]
