"""Turn schema-valid YAML data into the typed model, applying inherited defaults.

Values a school may inherit (video settings, lens, credentials, VLANs, test intervals, LED
sizes, each kind's protocol) are merged here: city → district → tier → school defaults → the
device itself. A value that is missing after the merge is reported at the device that
needed it.
"""

from __future__ import annotations

from typing import Any

from provision.i18n import _
from provision.inventory import model as m
from provision.inventory.merge import deep_merge
from provision.inventory.secrets import SecretRef
from provision.optics import hfov_from_lens
from provision.protocols import dc09
from provision.yamlsource import SourceDoc

DEFAULT_TILT = -15.0
DEFAULT_DORI = "observe"
DEFAULT_TEST_INTERVAL_H = 24
DEFAULT_TIMEZONE = "Asia/Shanghai"


class Missing(Exception):
    """A value needed after inheritance is set nowhere; carries the path of the device."""

    def __init__(self, path: m.YamlPath, what: str) -> None:
        super().__init__(what)
        self.path = path


def _secret(value: str | None) -> SecretRef | None:
    return SecretRef.parse(value) if value else None


def _credentials(raw: dict[str, Any] | None) -> m.Credentials | None:
    if not raw or "username" not in raw:
        return None
    return m.Credentials(raw["username"], _secret(raw.get("password")))


def _protocol(raw: dict[str, Any], d: dict[str, Any], kind: str) -> str:
    """The device's own protocol, else its kind's in the defaults (under the kind's name),
    else the kind's built-in default."""
    inherited = (d.get(kind) or {}).get("protocol")
    return str(raw.get("protocol") or inherited or m.DEFAULT_PROTOCOLS[kind])


def _disk_layout(raw: dict[str, Any], inherited: dict[str, Any]) -> dict[str, Any]:
    """RAID level, hot spares and file-system reserve: the recorder's own, else
    `defaults.recorder`'s, else the model's documented defaults (sizing.py says why)."""
    keys = ("raid_level", "hot_spares", "fs_reserve_fraction")
    return {k: raw.get(k, inherited.get(k)) for k in keys if k in raw or k in inherited}


def _points(raw: list[list[float]]) -> tuple[m.Point, ...]:
    return tuple((float(x), float(y)) for x, y in raw)


def _sip_server(raw: dict[str, Any] | None) -> m.SipServer | None:
    if raw is None:
        return None
    optional = (
        "port",
        "transport",
        "edition",
        "register_expiry_s",
        "heartbeat_s",
        "heartbeat_max_missed",
    )
    return m.SipServer(
        raw["server_id"],
        raw["domain"],
        raw["host"],
        password=_secret(raw.get("password")),
        **{k: raw[k] for k in optional if k in raw},
    )


def build_precinct(raw: dict[str, Any]) -> m.Precinct:
    vp, ac = raw["video_platform"], raw["alarm_center"]
    host, _, port = ac["receiver"].rpartition(":")
    return m.Precinct(
        id=raw["id"],
        name=raw.get("name", raw["id"]),
        district=raw["district"],
        subnet=raw.get("subnet"),
        video_platform=m.VideoPlatform(
            vp["kind"],
            vp["api"],
            _secret(vp.get("secret")),
            vp.get("app", "school"),
            vp.get("rtsp"),
            _sip_server(vp.get("sip")),
        ),
        alarm_center=m.AlarmCenter(
            host, int(port), ac.get("receiver_number", "1"), ac.get("line", "1"), ac.get("api")
        ),
    )


def build_city(doc: SourceDoc, root: str) -> m.City:
    raw = doc.data
    tiers = {}
    for tier, spec in raw["tiers"].items():
        std = spec["standard"]
        tiers[tier] = m.TierStandard(
            tier=tier,
            coverage=m.CoverageTarget(std["coverage"]["critical"], std["coverage"]["required"]),
            retention_days=std["retention_days"],
            one_button_alarms=std.get("one_button_alarms", 0),
            led_boards=std.get("led_boards", 0),
            patrols_per_day=std.get("patrols_per_day", 0),
            police_room=std.get("police_room", False),
        )
    return m.City(
        id=raw["city"],
        name=raw.get("name", raw["city"]),
        root=root,
        admin_code=raw.get("admin_code", "000000"),
        precincts={p["id"]: build_precinct(p) for p in raw["precincts"]},
        districts={k: (v or {}).get("name", k) for k, v in raw["districts"].items()},
        tiers=tiers,
        led_templates=dict(raw.get("led_templates", {})),
        district_codes={
            k: v["admin_code"] for k, v in raw["districts"].items() if (v or {}).get("admin_code")
        },
        camera_models={
            name: m.CameraModel(
                spec["vendor"],
                bool(spec.get("onvif_media2", False)),
                tuple(spec.get("codecs") or ("H.264", "H.265")),
            )
            for name, spec in (raw.get("camera_models") or {}).items()
        },
        locale=raw.get("locale", ""),
    )


def school_defaults(city_raw: dict[str, Any], school_raw: dict[str, Any]) -> dict[str, Any]:
    """The defaults a school inherits: city, then its district, then its tier, then its own."""
    district = (city_raw.get("districts") or {}).get(school_raw.get("district"), {}) or {}
    tier = (city_raw.get("tiers") or {}).get(school_raw.get("tier"), {}) or {}
    merged = deep_merge(
        city_raw.get("defaults", {}),
        district.get("defaults", {}),
        tier.get("defaults", {}),
        school_raw.get("defaults", {}),
    )
    return merged or {}


def _video(
    raw: dict[str, Any], cam_d: dict[str, Any], path: m.YamlPath, name: str
) -> m.Video | None:
    """The camera's `name` video (video, sub_video) merged over the defaults; None if neither
    sets any of it (only the main video is required)."""
    video = deep_merge(cam_d.get(name, {}), raw.get(name, {})) or {}
    if not video and name != "video":
        return None
    for key in m.VIDEO_FIELDS:
        if key not in video:
            raise Missing(
                path,
                _("{name}.{key} is set neither on the camera nor in any defaults").format(
                    name=name, key=key
                ),
            )
    width, height = (int(v) for v in video["resolution"].split("x"))
    return m.Video(
        width,
        height,
        video["codec"],
        video["fps"],
        video["gop"],
        video["bitrate_kbps"],
        video.get("rate_control", ""),
    )


def _camera(raw: dict[str, Any], path: m.YamlPath, d: dict[str, Any], school_name: str) -> m.Camera:
    cam_d = d.get("camera", {})
    video = _video(raw, cam_d, path, "video")
    assert video is not None  # the main video is always built
    lens = raw.get("lens") or cam_d.get("lens")
    if not lens:
        raise Missing(path, "lens is set neither on the camera nor in any defaults")
    hfov = lens.get("hfov_deg") or hfov_from_lens(lens["focal_mm"], lens["sensor_width_mm"])
    mount = raw["mount"]
    creds = raw.get("credentials") or d.get("credentials", {}).get("camera")
    return m.Camera(
        name=raw["name"],
        host=raw["host"],
        path=path,
        credentials=_credentials(creds),
        protocol=_protocol(raw, d, "camera"),
        area=raw["area"],
        mount=m.Mount(
            mount["x"],
            mount["y"],
            mount["height"],
            mount["heading"],
            mount.get("tilt", DEFAULT_TILT),
        ),
        hfov_deg=float(hfov),
        video=video,
        osd=raw.get("osd", school_name),
        forward=bool(raw.get("forward", cam_d.get("forward", False))),
        model=raw.get("model") or cam_d.get("model", ""),
        recorder=raw.get("recorder") or cam_d.get("recorder"),
        gb28181_id=raw.get("gb28181_id"),
        gb28181_channels=tuple(raw.get("gb28181_channels", ())),
        vendor=raw.get("vendor") or cam_d.get("vendor", ""),
        sub_video=_video(raw, cam_d, path, "sub_video"),
    )


def _areas(raw_site: dict[str, Any]) -> tuple[m.Area, ...]:
    areas = []
    for i, a in enumerate(raw_site["areas"]):
        apath: m.YamlPath = ("site", "areas", i)
        zones = tuple(
            m.Zone(
                id=z["id"],
                area=a["id"],
                kind=z["kind"],
                importance=z["importance"],
                dori=z.get("dori", DEFAULT_DORI),
                polygon=_points(z["polygon"]),
                name=z.get("name", z["id"]),
                path=(*apath, "zones", j),
            )
            for j, z in enumerate(a["zones"])
        )
        areas.append(
            m.Area(
                id=a["id"],
                name=a.get("name", a["id"]),
                building=a.get("building"),
                floor=a.get("floor"),
                outdoor=bool(a.get("outdoor", False)),
                outline=_points(a["outline"]) if "outline" in a else None,
                walls=tuple(_points(w) for w in a.get("walls", [])),
                zones=zones,
                path=apath,
            )
        )
    return tuple(areas)


def _network(raw: dict[str, Any], d: dict[str, Any]) -> m.Network:
    net = raw["network"]
    vlans = deep_merge(d.get("network", {}).get("vlans", {}), net.get("vlans", {})) or {}
    for key in ("management", "video", "alarm"):
        if key not in vlans:
            raise Missing(
                ("network",),
                _("vlans.{key} is set neither here nor in any defaults").format(key=key),
            )
    net_creds = d.get("credentials", {}).get("network")
    switches = tuple(
        m.Switch(
            name=s["name"],
            host=s["host"],
            path=("network", "switches", i),
            credentials=_credentials(s.get("credentials") or net_creds),
            protocol=_protocol(s, d, "switch"),
            platform=s["platform"],
            model=s.get("model", ""),
        )
        for i, s in enumerate(net["switches"])
    )
    up = net["uplink"]
    return m.Network(
        vlans=m.Vlans(vlans["management"], vlans["video"], vlans["alarm"]),
        subnets=dict(net["subnets"]),
        switches=switches,
        uplink=m.Uplink(up["switch"], up["interface"], up["bandwidth_mbps"], up["precinct_subnet"]),
    )


def _alarm_protocol(raw: dict[str, Any], d: dict[str, Any], i: int) -> str:
    """The alarm device's protocol, once what it reports with fits it: a column (gb28181)
    has a GB/T 28181 ID, a DC-09 panel an account (the schema asks for exactly one)."""
    protocol = _protocol(raw, d, "alarm")
    column = protocol == m.GB28181_ALARM_PROTOCOL
    if column and not raw.get("gb28181_id"):
        raise Missing(
            ("alarms", i),
            _(
                "alarm {name} speaks gb28181 (an alarm column reporting to the precinct's "
                "GB/T 28181 platform) but has no gb28181_id"
            ).format(name=raw["name"]),
        )
    if not column and not raw.get("account"):
        raise Missing(
            ("alarms", i),
            _(
                "alarm {name} speaks {protocol} and reports over DC-09, but has no account "
                "(or give protocol: gb28181 and a gb28181_id for an alarm column)"
            ).format(name=raw["name"], protocol=protocol),
        )
    return protocol


def build_school(raw: dict[str, Any], d: dict[str, Any], file: str) -> m.School:
    """Build one school; raises Missing for a value needed after inheritance."""
    creds = d.get("credentials", {})
    cameras = tuple(
        _camera(c, ("cameras", i), d, raw["name"]) for i, c in enumerate(raw.get("cameras", []))
    )
    recorders = tuple(
        m.Recorder(
            name=r["name"],
            host=r["host"],
            path=("recorders", i),
            credentials=_credentials(creds.get("camera")),
            protocol=_protocol(r, d, "recorder"),
            disks_tb=tuple(float(x) for x in r["disks_tb"]),
            model=r.get("model", ""),
            gb28181_id=r.get("gb28181_id"),
            gb28181_channels=tuple(r.get("gb28181_channels", ())),
            **_disk_layout(r, d.get("recorder") or {}),
        )
        for i, r in enumerate(raw.get("recorders", []))
    )
    alarm_d = d.get("alarm", {})
    alarms = tuple(
        m.AlarmPanel(
            name=a["name"],
            host=a["host"],
            path=("alarms", i),
            credentials=_credentials(a.get("credentials") or creds.get("alarm")),
            protocol=_alarm_protocol(a, d, i),
            account=a.get("account", "").upper(),
            gb28181_id=a.get("gb28181_id"),
            zone=a["zone"],
            test_interval_h=a.get(
                "test_interval_h", alarm_d.get("test_interval_h", DEFAULT_TEST_INTERVAL_H)
            ),
            key=_secret(a.get("key")),
            latency_profile=alarm_d.get("latency_profile"),
            report_format=a.get("report_format", alarm_d.get("report_format", dc09.ADM_CID)),
        )
        for i, a in enumerate(raw.get("alarms", []))
    )
    boards = []
    for i, b in enumerate(raw.get("led_boards", [])):
        size = b.get("size") or d.get("led_board", {}).get("size")
        if not size:
            raise Missing(("led_boards", i), "size is set neither on the board nor in any defaults")
        boards.append(
            m.LedBoard(
                name=b["name"],
                host=b["host"],
                path=("led_boards", i),
                credentials=_credentials(b.get("credentials") or creds.get("led")),
                protocol=_protocol(b, d, "led_board"),
                lines=size["lines"],
                chars_per_line=size["chars_per_line"],
                messages=tuple(
                    m.LedMessage(x.get("text"), x.get("template")) for x in b["messages"]
                ),
                zone=b.get("zone"),
            )
        )
    per = raw["site"].get("perimeter")
    perimeter = (
        m.Perimeter(
            boundary=_points(per["boundary"]),
            strict_m=per.get("strict_m", 50.0),
            control_m=per.get("control_m", 200.0),
            strict_managed_by=tuple(per.get("strict_managed_by", [])),
            control_managed_by=tuple(per.get("control_managed_by", [])),
        )
        if per
        else None
    )
    sec = raw.get("security", {})
    return m.School(
        id=raw["id"],
        name=raw["name"],
        tier=raw["tier"],
        district=raw["district"],
        precinct=raw["precinct"],
        students=raw.get("students", 0),
        boarding_students=raw.get("boarding_students", 0),
        file=file,
        areas=_areas(raw["site"]),
        perimeter=perimeter,
        network=_network(raw, d),
        cameras=cameras,
        recorders=recorders,
        alarms=alarms,
        led_boards=tuple(boards),
        security=m.Security(
            police_room=sec.get("police_room", False),
            police_room_phone=sec.get("police_room_phone", ""),
            gate_staffed_24h=sec.get("gate_staffed_24h", False),
            guards=dict(sec.get("guards", {})),
            equipment=dict(sec.get("equipment", {})),
            patrols_per_day=sec.get("patrols_per_day", 0),
            patrol_times=tuple(sec.get("patrol_times", [])),
        ),
        ntp=tuple(d.get("ntp", [])),
        timezone=d.get("timezone", DEFAULT_TIMEZONE),
        operator=_credentials(creds.get("camera_operator")),
        auditor=_credentials(creds.get("camera_auditor")),
    )
