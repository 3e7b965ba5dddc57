"""The typed inventory the rest of the code uses, built from schema-valid, merged YAML.

Every object keeps `path`, its YAML path in the school file, so a semantic problem found
later can point at the exact file, line and column.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from provision.inventory.secrets import SecretRef
from provision.protocols import dc09

Point = tuple[float, float]
YamlPath = tuple[str | int, ...]
Importance = Literal["critical", "required", "optional"]
TIERS = ("high", "middle", "primary", "kindergarten")


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: SecretRef | None


# The protocol a device speaks unless the inventory says otherwise; with the kind it picks the
# driver (drivers/registry.py). Cameras: ONVIF, the one standard every vendor implements.
# Switches: SSH to the CLI (the switch's `platform` then picks the dialect). Alarm panels and
# LED boards: their HTTP JSON configuration API. Recorders: "onvif" (ONVIF Profile G) and
# "isapi" (Hikvision ISAPI) are configured and audited. A vendor API is another name.
DEFAULT_PROTOCOLS = {
    "camera": "onvif",
    "switch": "ssh",
    "recorder": "onvif",
    "alarm": "http",
    "led_board": "http",
}
# The protocol of an alarm column: a one-button alarm that registers with the precinct's
# GB/T 28181 platform and reports a press as an Alarm notification (drivers/alarm_column.py).
GB28181_ALARM_PROTOCOL = "gb28181"
# The encoder settings a camera's video carries, in the order inventories and settings name them.
VIDEO_FIELDS = ("resolution", "codec", "fps", "gop", "bitrate_kbps")


@dataclass(frozen=True, slots=True)
class Device:
    name: str
    host: str
    path: YamlPath
    credentials: Credentials | None
    # Keyword-only so each kind's own fields keep their places; "" means the kind's default.
    protocol: str = field(default="", kw_only=True)

    kind = "device"

    def __post_init__(self) -> None:
        if not self.protocol:  # frozen: the default is filled in once, here
            object.__setattr__(self, "protocol", DEFAULT_PROTOCOLS.get(self.kind, ""))


@dataclass(frozen=True, slots=True)
class Mount:
    x: float
    y: float
    height: float
    heading: float
    tilt: float


@dataclass(frozen=True, slots=True)
class Video:
    width: int
    height: int
    codec: str
    fps: int
    gop: int
    bitrate_kbps: int
    rate_control: str = ""  # CBR | VBR; "": left as the camera has it

    @property
    def resolution(self) -> str:
        return f"{self.width}x{self.height}"

    def settings(self) -> dict[str, str | int]:
        """The encoder fields by their names in VIDEO_FIELDS."""
        return {name: getattr(self, name) for name in VIDEO_FIELDS}


@dataclass(frozen=True, slots=True)
class Camera(Device):
    area: str
    mount: Mount
    hfov_deg: float
    video: Video
    osd: str
    forward: bool
    model: str = ""
    recorder: str | None = None
    gb28181_id: str | None = None
    gb28181_channels: tuple[str, ...] = ()
    vendor: str = ""  # as declared (camera, then defaults); City.camera_vendor fills the gap
    sub_video: Video | None = None  # None: the sub stream is left as the camera has it
    kind = "camera"


@dataclass(frozen=True, slots=True)
class CameraModel:
    """What one camera model can do, as the city's `camera_models` declares it."""

    vendor: str
    onvif_media2: bool = False
    codecs: tuple[str, ...] = ("H.264", "H.265")


@dataclass(frozen=True, slots=True)
class Switch(Device):
    platform: str  # the netmiko device type
    model: str = ""
    kind = "switch"


# How a recorder's disks are laid out, when neither the recorder nor `defaults.recorder` says
# (the arithmetic and where each default comes from: provision/sizing.py, "Recorder disks").
DEFAULT_RAID_LEVEL = "none"
DEFAULT_HOT_SPARES = 0
DEFAULT_FS_RESERVE_FRACTION = 0.0


@dataclass(frozen=True, slots=True)
class Recorder(Device):
    disks_tb: tuple[float, ...]
    model: str = ""
    gb28181_id: str | None = None  # an NVR with an ID registers with a GB/T 28181 platform
    gb28181_channels: tuple[str, ...] = ()
    raid_level: str = DEFAULT_RAID_LEVEL  # a name in sizing.RAID_LEVELS
    hot_spares: int = DEFAULT_HOT_SPARES  # the last disks of `disks_tb`, idle until one fails
    fs_reserve_fraction: float = DEFAULT_FS_RESERVE_FRACTION  # of the array, never recorded on
    kind = "recorder"

    @property
    def capacity_tb(self) -> float:
        return sum(self.disks_tb)


@dataclass(frozen=True, slots=True)
class AlarmPanel(Device):
    account: str
    zone: str
    test_interval_h: int
    key: SecretRef | None = None
    latency_profile: str | None = None  # a name in standards.ALARM_LATENCY_PROFILES
    report_format: str = dc09.ADM_CID  # the DC-09 message protocol: ADM-CID or SIA-DCS
    # An alarm column (protocol gb28181) reports over GB/T 28181 to the precinct's video
    # platform, not over DC-09: it has this ID (type 134) and no account ("").
    gb28181_id: str | None = None
    kind = "alarm"

    @property
    def reports_over_gb28181(self) -> bool:
        return self.protocol == GB28181_ALARM_PROTOCOL


@dataclass(frozen=True, slots=True)
class LedMessage:
    text: str | None = None
    template: str | None = None


@dataclass(frozen=True, slots=True)
class LedBoard(Device):
    lines: int
    chars_per_line: int
    messages: tuple[LedMessage, ...]
    zone: str | None = None
    kind = "led_board"


@dataclass(frozen=True, slots=True)
class Zone:
    id: str
    area: str
    kind: str
    importance: Importance
    dori: str
    polygon: tuple[Point, ...]
    name: str
    path: YamlPath


@dataclass(frozen=True, slots=True)
class Area:
    id: str
    name: str
    building: str | None
    floor: int | None
    outdoor: bool
    outline: tuple[Point, ...] | None
    walls: tuple[tuple[Point, ...], ...]
    zones: tuple[Zone, ...]
    path: YamlPath


@dataclass(frozen=True, slots=True)
class Perimeter:
    boundary: tuple[Point, ...]
    strict_m: float
    control_m: float
    strict_managed_by: tuple[str, ...]
    control_managed_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Uplink:
    switch: str
    interface: str
    bandwidth_mbps: float
    precinct_subnet: str


@dataclass(frozen=True, slots=True)
class Vlans:
    management: int
    video: int
    alarm: int


@dataclass(frozen=True, slots=True)
class Network:
    vlans: Vlans
    subnets: dict[str, str]
    switches: tuple[Switch, ...]
    uplink: Uplink


@dataclass(frozen=True, slots=True)
class Security:
    police_room: bool = False
    police_room_phone: str = ""
    gate_staffed_24h: bool = False
    guards: dict[str, int] = field(default_factory=dict)
    equipment: dict[str, int] = field(default_factory=dict)
    patrols_per_day: int = 0
    patrol_times: tuple[str, ...] = ()

    @property
    def guard_count(self) -> int:
        return self.guards.get("professional", 0) + self.guards.get("patrol_staff", 0)


@dataclass(frozen=True, slots=True)
class CoverageTarget:
    critical: float
    required: float


@dataclass(frozen=True, slots=True)
class TierStandard:
    tier: str
    coverage: CoverageTarget
    retention_days: int
    one_button_alarms: int = 0
    led_boards: int = 0
    patrols_per_day: int = 0
    police_room: bool = False


@dataclass(frozen=True, slots=True)
class SipServer:
    """A GB/T 28181 platform's SIP server, as the devices that register with it see it."""

    server_id: str
    domain: str
    host: str
    port: int = 5060
    transport: str = "udp"
    edition: str = "2016"
    password: SecretRef | None = None
    register_expiry_s: int = 3600
    heartbeat_s: int = 60
    heartbeat_max_missed: int = 3


@dataclass(frozen=True, slots=True)
class VideoPlatform:
    kind: str
    api: str
    secret: SecretRef | None
    app: str
    rtsp: str | None
    sip: SipServer | None = None  # kind gb28181


@dataclass(frozen=True, slots=True)
class AlarmCenter:
    host: str
    port: int
    receiver_number: str
    line: str
    api: str | None


@dataclass(frozen=True, slots=True)
class Precinct:
    id: str
    name: str
    district: str
    subnet: str | None
    video_platform: VideoPlatform
    alarm_center: AlarmCenter


@dataclass(frozen=True, slots=True)
class School:
    id: str
    name: str
    tier: str
    district: str
    precinct: str
    students: int
    file: str
    areas: tuple[Area, ...]
    perimeter: Perimeter | None
    network: Network
    cameras: tuple[Camera, ...]
    recorders: tuple[Recorder, ...]
    alarms: tuple[AlarmPanel, ...]
    led_boards: tuple[LedBoard, ...]
    security: Security
    ntp: tuple[str, ...]
    timezone: str
    operator: Credentials | None = None
    auditor: Credentials | None = None
    boarding_students: int = 0  # of `students`; the rest go home at night

    @property
    def non_boarding_students(self) -> int:
        """Students who do not board: what GB/T 29315-2022 counts guards by."""
        return max(self.students - self.boarding_students, 0)

    @property
    def hostname_prefix(self) -> str:
        """What every name this school gives its devices on the network starts with."""
        return f"{self.id}-"

    def hostname(self, device_name: str) -> str:
        """A device's name on the network (camera hostname, switch sysname, stream name):
        unique city-wide because school ids are, e.g. "dl-xg-k003-gate-face"."""
        return self.hostname_prefix + device_name

    def devices(self) -> Iterator[Device]:
        yield from self.network.switches
        yield from self.cameras
        yield from self.recorders
        yield from self.alarms
        yield from self.led_boards

    def zones(self) -> Iterator[Zone]:
        for area in self.areas:
            yield from area.zones


@dataclass(slots=True)
class City:
    id: str
    name: str
    root: str
    admin_code: str
    precincts: dict[str, Precinct]
    districts: dict[str, str]
    tiers: dict[str, TierStandard]
    led_templates: dict[str, str]
    schools: list[School] = field(default_factory=list)
    # District id -> GB/T 2260 code, for the districts that declare one.
    district_codes: dict[str, str] = field(default_factory=dict)
    camera_models: dict[str, CameraModel] = field(default_factory=dict)
    # Language of messages and reports (city.yaml `locale`), "" when the city names none.
    locale: str = ""

    def camera_vendor(self, camera: Camera) -> str:
        """The camera's maker: as declared, else as its model is listed ("" if unknown)."""
        listed = self.camera_models.get(camera.model)
        return camera.vendor or (listed.vendor if listed else "")

    def school(self, school_id: str) -> School:
        for school in self.schools:
            if school.id == school_id:
                return school
        raise KeyError(school_id)
