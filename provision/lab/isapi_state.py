"""What a simulated Hikvision camera remembers, in ISAPI's own terms.

Values are kept as the camera keeps them (frame rates in hundredths, time zones as
"CST-8:00:00", levels Administrator | Operator | Viewer), so the resources render them
unchanged and the drivers' translations are what gets tested. Kept apart from the XML so
the lab API's `state()` is a plain dump; GB/T 28181 access (`/ISAPI/System/Network/SIP` and
`.../SIP/1/SIPInfo`) is `SipAccess` here and its resources are in isapi_sip.py.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

LEVELS = ("Administrator", "Operator", "Viewer")
CODECS = ("H.264", "H.265", "MJPEG")
QUALITY_CONTROL = ("CBR", "VBR")
# Main-stream modes by model (data sheets: DS-2CD2T47G2-L 4 MP, 2688x1520 max; DS-2CD2T87G2-L
# 8 MP, 3840x2160 max); a model not listed encodes as the 4 MP one. The sub stream tops out
# at 704x576 (D1-class), as on Hikvision's DS-2CD2xx7G2 range.
_MODES_4MP = ((2688, 1520), (2560, 1440), (1920, 1080), (1280, 720))
MAIN_RESOLUTIONS = {
    "DS-2CD2T87G2-L": ((3840, 2160), (3200, 1800), (2560, 1440), (1920, 1080), (1280, 720)),
}
DEFAULT_MAIN_RESOLUTIONS = _MODES_4MP
SUB_RESOLUTIONS = ((704, 576), (640, 480), (640, 360), (320, 240))
FRAME_RATES = range(100, 3001)  # hundredths of a frame per second: 1-30 fps
BITRATE_RANGE_KBPS = (32, 16384)
GOV_RANGE = (1, 400)
MAX_USERS = 32
MAX_NTP_SERVERS = 4
MAX_TEXT_OVERLAYS = 8
MAX_OVERLAY_BYTES = 64  # the lab's displayText limit in UTF-8 bytes (firmware limits vary)


@dataclass(slots=True, frozen=True)
class DeviceIdentity:
    model: str
    serial: str
    firmware: str  # e.g. "V5.7.3"
    firmware_date: str  # e.g. "build 230512"
    mac: str


@dataclass(slots=True)
class Channel:
    """One streaming channel (101 main, 102 sub) of video input 1."""

    id: int
    name: str
    codec: str
    width: int
    height: int
    max_frame_rate: int  # hundredths
    quality_control: str  # CBR | VBR
    constant_bitrate: int
    vbr_upper_cap: int
    gov_length: int
    h264_profile: str = "Main"


@dataclass(slots=True)
class TextOverlay:
    id: int
    enabled: bool
    text: str
    x: int = 0
    y: int = 544


@dataclass(slots=True)
class User:
    id: int
    name: str
    password: str
    level: str


@dataclass(slots=True)
class NtpServer:
    id: int
    addressing: str  # ipaddress | hostname
    address: str
    port: int = 123
    interval_min: int = 1440


@dataclass(slots=True)
class SipAccess:
    """The camera's GB/T 28181 access (SIP server 1 of /ISAPI/System/Network/SIP and its
    SIPInfo), factory: disabled, nothing set. The password is write-only, as on the camera."""

    enabled: bool = False
    local_port: int = 5060
    registrar: str = ""
    registrar_port: int = 5060
    server_id: str = ""
    server_domain: str = ""
    auth_id: str = ""  # the device's own 20-digit ID
    password: str = ""
    expires: int = 3600
    heartbeat_time: int = 60
    heartbeat_count: int = 3
    transport: str = "UDP"
    protocol_version: str = "GB/T28181-2016"
    video_input_ids: dict[int, str] = field(default_factory=dict)  # input id → channel ID


@dataclass(slots=True)
class IsapiState:
    """Everything the camera's ISAPI reads or changes. Starts at factory settings."""

    identity: DeviceIdentity
    device_name: str = "IP CAMERA"
    time_mode: str = "manual"  # NTP | manual
    time_zone: str = "CST-8:00:00"
    clock_offset_s: float = 0.0
    ntp_servers: list[NtpServer] = field(default_factory=list)
    channels: dict[int, Channel] = field(default_factory=dict)
    overlays: list[TextOverlay] = field(default_factory=list)
    users: dict[int, User] = field(default_factory=dict)
    sip: SipAccess = field(default_factory=SipAccess)
    sip_registered: bool = False  # the agent's registration, mirrored for registerStatus

    @property
    def sip_video_inputs(self) -> int:
        return 4  # SIPInfo video inputs a lab camera takes (lab/isapi_sip.py)

    @classmethod
    def factory(
        cls, identity: DeviceIdentity, admin: str, password: str, clock_offset_s: float = 0.0
    ) -> IsapiState:
        state = cls(identity, clock_offset_s=clock_offset_s)
        state.channels = {
            101: Channel(101, "Camera 01", "H.264", 1920, 1080, 2500, "VBR", 4096, 4096, 50),
            102: Channel(102, "Camera 01", "H.264", 640, 360, 2500, "VBR", 512, 512, 50),
        }
        state.users = {1: User(1, admin, password, "Administrator")}
        return state

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset_s)

    def passwords(self) -> dict[str, str]:
        return {u.name: u.password for u in self.users.values()}

    def level_of(self, name: str) -> str | None:
        return next((u.level for u in self.users.values() if u.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["users"] = {u.name: u.level for u in self.users.values()}  # never the passwords
        data["channels"] = {str(k): asdict(v) for k, v in self.channels.items()}
        data["sip"].pop("password")  # write-only, never in the lab API
        return data
