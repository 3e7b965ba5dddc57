"""A deterministic generator of city inventories: Dalian's model sites and bigger cities.

`generate_city(n)` gives the same files for the same n on every machine, and every city it
writes validates clean: 45 schools for the seed's rollout, 1,000 for benchmarks.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import yaml

from provision.citygen.layout import TIER_LAYOUTS, moved_site, site
from provision.drivers.switch_platforms import platform_named, platform_names
from provision.sizing import tb_for_days
from provision.standards import required_guards

TIER_ORDER = ("high", "middle", "primary", "kindergarten")
TIER_LETTER = {"high": "h", "middle": "m", "primary": "p", "kindergarten": "k"}
TIER_SUFFIX = {"high": "高级中学", "middle": "中学", "primary": "小学", "kindergarten": "幼儿园"}
# Generated schools take the switch platforms in turn, all of them: the drivers' list.
PLATFORMS = platform_names()
DISTRICTS = {
    "zhongshan": ("zs", "中山区"),
    "xigang": ("xg", "西岗区"),
    "shahekou": ("sh", "沙河口区"),
    "ganjingzi": ("gjz", "甘井子区"),
}
# The districts' GB/T 2260 administrative division codes (the first six digits of every
# GB/T 28181 ID filed under them), as the Ministry of Civil Affairs publishes them.
ADMIN_CODES = {
    "zhongshan": "210202",
    "xigang": "210203",
    "shahekou": "210204",
    "ganjingzi": "210211",
}
# (id, name, district, platform kind)
PRECINCTS = (
    ("nanshajie", "南沙街派出所", "zhongshan", "zlmediakit"),
    ("qingniwaqiao", "青泥洼桥派出所", "zhongshan", "mediamtx"),
    ("renminguangchang", "人民广场派出所", "xigang", "mediamtx"),
    ("bayilu", "八一路派出所", "xigang", "zlmediakit"),
    ("heishijiao", "黑石礁派出所", "shahekou", "zlmediakit"),
    ("xinghaiwan", "星海湾派出所", "shahekou", "mediamtx"),
    ("zhoushuizi", "周水子派出所", "ganjingzi", "zlmediakit"),
    ("jinjiajie", "金家街派出所", "ganjingzi", "mediamtx"),
)
# The showcase city's GB/T 28181 precinct (generated cities keep PRECINCTS' kinds): its WVP-PRO
# platform's SIP server, type 200 under Zhongshan's code, the domain its first 10 digits.
GB28181_SHOWCASE = {
    "qingniwaqiao": {"server_id": "21020200002000000002", "domain": "2102020000"},
}
# GB/T 28181 ID of a showcase camera: district code, grassroots unit 00, education's industry
# code 11, type 132 (IP camera; its channel 131, camera), network 0, a serial from the
# school's index and the camera's place (rules/gb28181.py, standards.GB28181_*).
GB28181_DEVICE_TYPE, GB28181_CHANNEL_TYPE = "132", "131"
DEFAULT_BITRATE_KBPS = 2048
DISK_TB = 8
# Our choice: generated recorders get disks for the tier's days plus a tenth more, room for
# cameras whose bitrate creeps up (sizing.py's arithmetic itself loses nothing).
DISK_HEADROOM = 1.1
FORWARDED = ("gate-face", "gate-plaza-w", "gate-plaza-e", "play-sw")
# Showcase schools whose recorder is an ONVIF Profile G one rather than a Hikvision NVR.
ONVIF_RECORDER_SCHOOLS = ("dl-zs-p007",)
# Showcase cameras configured over Dahua's HTTP API rather than ONVIF: (school, camera) → model.
DAHUA_CAMERAS = {
    ("dl-zs-p007", "t1f-corr-w"): "DH-IPC-HFW2441S-S",
    ("dl-zs-p007", "t1f-corr-e"): "DH-IPC-HFW2441S-S",
}
# Most cameras are Hikvision, configured over ISAPI (the city default); the gate's face-capture
# camera and the playground's far corner are another maker's, reached over ONVIF only.
CAMERA_MODEL = "DS-2CD2T47G2-L"
UHD_CAMERA_MODEL = "DS-2CD2T87G2-L"  # the 8 MP model, for cameras that need 3840x2160
ONVIF_CAMERAS = {"gate-face": "IPC2124LE-ADF28KM-G", "play-ne": "IPC2124LE-ADF28KM-G"}
CAMERA_MODELS = {
    "DS-2CD2T47G2-L": {"vendor": "hikvision", "onvif_media2": True},
    "DS-2CD3626G2T-IZS": {"vendor": "hikvision", "onvif_media2": True},
    "DS-2CD2T87G2-L": {"vendor": "hikvision", "onvif_media2": True},
    "IPC2124LE-ADF28KM-G": {"vendor": "uniview", "onvif_media2": True},
    "DH-IPC-HFW2441S-S": {"vendor": "dahua", "onvif_media2": True},
}
# One-button alarms are Hikvision AX PRO panels over ISAPI (the city default); one showcase
# school keeps the generic panel, the documented HTTP JSON driver (drivers/alarm.py).
GENERIC_ALARM_SCHOOLS = ("dl-xg-k003",)
# One showcase school of a GB/T 28181 precinct also has a one-button alarm column that reports
# to the precinct's platform over GB/T 28181 (type 134, alarm input device; protocol gb28181).
ALARM_COLUMN_SCHOOLS = ("dl-zs-p007",)
GB28181_ALARM_TYPE = "134"
PATROL_TIMES = ["07:30", "11:30", "16:30", "18:00", "21:00"]
SCHEMA_LINE = "# yaml-language-server: $schema={}\n"


def _secret(name: str) -> str:
    return "${" + name + "}"


def _gb28181_platform(p: int, server: dict[str, str]) -> dict[str, Any]:
    """A WVP-PRO platform (REST API on its default port 18080) and its SIP server."""
    return {
        "kind": "gb28181",
        "api": f"http://10.200.{p}.10:18080",
        "secret": _secret("PROVISION_WVP_PASSWORD"),
        "sip": {
            **server,
            "host": f"10.200.{p}.10",
            "port": 5060,
            "password": _secret("PROVISION_GB28181_PASSWORD"),
        },
    }


def city_doc(gb28181: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """city.yaml; the precincts named in `gb28181` run that GB/T 28181 SIP server instead."""
    precincts = []
    for p, (pid, name, district, kind) in enumerate(PRECINCTS, start=1):
        port = 8080 if kind == "zlmediakit" else 9997
        platform: dict[str, Any] = {"kind": kind, "api": f"http://10.200.{p}.10:{port}"}
        if kind == "zlmediakit":
            platform["secret"] = _secret("PROVISION_ZLM_SECRET")
        platform.update(app="school", rtsp=f"10.200.{p}.10:554")
        if gb28181 and pid in gb28181:
            platform = _gb28181_platform(p, gb28181[pid])
        precincts.append(
            {
                "id": pid,
                "name": name,
                "district": district,
                "subnet": f"10.200.{p}.0/24",
                "video_platform": platform,
                "alarm_center": {
                    "receiver": f"10.200.{p}.20:12128",
                    "receiver_number": "1",
                    "line": "1",
                    "api": f"http://10.200.{p}.20:8081",
                },
            }
        )
    standard = {
        "coverage": {"critical": 1.0, "required": 0.95},
        "retention_days": 30,
        "one_button_alarms": 1,
        "led_boards": 1,
        "patrols_per_day": 5,
        "police_room": True,
    }
    kg = {**standard, "coverage": {"critical": 1.0, "required": 1.0}, "led_boards": 0}
    return {
        "city": "dalian",
        "name": "大连市",
        "admin_code": "210200",
        "locale": "zh-CN",  # Dalian's police and integrators read Chinese
        "defaults": {
            "ntp": ["10.0.0.1"],
            "timezone": "Asia/Shanghai",
            "credentials": {
                "camera": {"username": "admin", "password": _secret("PROVISION_CAMERA_PASSWORD")},
                "camera_operator": {
                    "username": "operator",
                    "password": _secret("PROVISION_CAMERA_OPERATOR_PASSWORD"),
                },
                "camera_auditor": {
                    "username": "auditor",
                    "password": _secret("PROVISION_CAMERA_AUDITOR_PASSWORD"),
                },
                "network": {
                    "username": "netops",
                    "password": _secret("PROVISION_NETWORK_PASSWORD"),
                },
                "alarm": {"username": "admin", "password": _secret("PROVISION_ALARM_PASSWORD")},
                "led": {"username": "admin", "password": _secret("PROVISION_LED_PASSWORD")},
            },
            "network": {"vlans": {"management": 10, "video": 20, "alarm": 30}},
            "camera": {
                "video": {
                    "resolution": "2560x1440",
                    "codec": "H.265",
                    "fps": 25,
                    "gop": 50,
                    "bitrate_kbps": DEFAULT_BITRATE_KBPS,
                },
                "lens": {"focal_mm": 4.0, "sensor_width_mm": 5.57},
                "forward": False,
                "protocol": "isapi",
                "model": CAMERA_MODEL,
            },
            "alarm": {
                "test_interval_h": 24,
                "latency_profile": "ga-t-368-wired",
                "protocol": "isapi",
            },
            "led_board": {"size": {"lines": 2, "chars_per_line": 16}},
            "recorder": {"protocol": "isapi"},
        },
        "districts": {
            "zhongshan": {"name": "中山区", "admin_code": ADMIN_CODES["zhongshan"]},
            "xigang": {
                "name": "西岗区",
                "admin_code": ADMIN_CODES["xigang"],
                "defaults": {"ntp": ["10.0.0.2", "10.0.0.1"]},
            },
            "shahekou": {"name": "沙河口区", "admin_code": ADMIN_CODES["shahekou"]},
            "ganjingzi": {"name": "甘井子区", "admin_code": ADMIN_CODES["ganjingzi"]},
        },
        "precincts": precincts,
        "camera_models": CAMERA_MODELS,
        "tiers": {
            "high": {"standard": standard, "defaults": {"alarm": {"test_interval_h": 12}}},
            "middle": {"standard": standard},
            "primary": {"standard": standard},
            "kindergarten": {"standard": kg},
        },
    }


def _disks(cameras: list[dict[str, Any]], days: int) -> list[float]:
    kbps = sum(c.get("video", {}).get("bitrate_kbps", DEFAULT_BITRATE_KBPS) for c in cameras)
    need_tb = tb_for_days(kbps, days) * DISK_HEADROOM  # the default layout: usable = raw
    return [float(DISK_TB)] * max(1, math.ceil(need_tb / DISK_TB))


def _give_gb28181_ids(cameras: list[dict[str, Any]], district: str, index: int) -> None:
    """Forwarded cameras of a GB/T 28181 precinct's school register with its platform: each
    gets a device ID and one channel ID. ONVIF cannot carry the SIP settings, so an ONVIF
    camera is not forwarded there (it would reach the platform through an NVR)."""
    prefix = f"{ADMIN_CODES[district]}0011"
    for place, camera in enumerate(cameras, start=1):
        if not camera.get("forward"):
            continue
        if camera.get("protocol") == "onvif":
            camera["forward"] = False
            continue
        serial = f"0{index % 1000:03d}{place:02d}"
        camera["gb28181_id"] = f"{prefix}{GB28181_DEVICE_TYPE}{serial}0"
        camera["gb28181_channels"] = [f"{prefix}{GB28181_CHANNEL_TYPE}{serial}1"]


def school_doc(
    index: int,
    school_id: str,
    name: str,
    tier: str,
    district: str,
    precinct: str,
    platform: str,
    rng: random.Random,
    distinct_layout: bool = False,
) -> dict[str, Any]:
    """One school: site plan, cameras, network, alarms, LED board and security facts.

    `index` picks the school's address block: 10.(20 + index // 64).(index % 64 * 4 + r).0/24
    for r = management, video, alarm; room for 2,816 schools. With `distinct_layout` its
    site plan is moved by an offset of its own (see `moved_site`).
    """
    second, third = 20 + index // 64, (index % 64) * 4
    net = {
        role: f"10.{second}.{third + r}" for r, role in enumerate(("management", "video", "alarm"))
    }
    site_spec, cameras = site(tier)
    if distinct_layout:
        moved_site(site_spec, cameras, *layout_offset(index))
    for i, camera in enumerate(cameras):
        camera["host"] = f"{net['video']}.{11 + i}"
        camera["osd"] = f"{name} {camera['name']}"
        if camera["name"] in FORWARDED:
            camera["forward"] = True
        if model := DAHUA_CAMERAS.get((school_id, camera["name"])):
            camera.update(protocol="dahua", model=model)
        elif camera["name"] in ONVIF_CAMERAS:
            camera.update(protocol="onvif", model=ONVIF_CAMERAS[camera["name"]])
        elif camera.get("video", {}).get("resolution") == "3840x2160":
            camera["model"] = UHD_CAMERA_MODEL
    ordered = [{"name": c.pop("name"), "host": c.pop("host"), **c} for c in cameras]
    if precinct in GB28181_SHOWCASE:
        _give_gb28181_ids(ordered, district, index)
    layout = TIER_LAYOUTS[tier]
    students = rng.randint(*layout.students)
    boarding = int(students * layout.boarding_share)
    doc: dict[str, Any] = {
        "id": school_id,
        "name": name,
        "tier": tier,
        "district": district,
        "precinct": precinct,
        "students": students,
        **({"boarding_students": boarding} if boarding else {}),
        "site": site_spec,
        "network": {
            "subnets": {role: f"{prefix}.0/24" for role, prefix in net.items()},
            "switches": [{"name": "core", "platform": platform, "host": f"{net['management']}.1"}],
            "uplink": {
                "switch": "core",
                "interface": platform_named(platform).uplink_port,
                "bandwidth_mbps": 20,
                "precinct_subnet": f"10.200.{1 + [p[0] for p in PRECINCTS].index(precinct)}.0/24",
            },
        },
        "cameras": ordered,
        "recorders": [
            {"name": "nvr-1", "host": f"{net['video']}.2", "disks_tb": _disks(ordered, 30)}
        ],
        "alarms": [
            {
                "name": "gate-sos",
                "kind": "one_button",
                "host": f"{net['alarm']}.5",
                "account": f"{index + 1:04X}1",
                "zone": "gate-passage",
            },
            {
                "name": "teach-sos",
                "kind": "one_button",
                "host": f"{net['alarm']}.6",
                "account": f"{index + 1:04X}2",
                "zone": "corridor-1f",
            },
        ],
    }
    if school_id in GENERIC_ALARM_SCHOOLS:
        for alarm in doc["alarms"]:
            alarm["protocol"] = "http"
    if school_id in ONVIF_RECORDER_SCHOOLS:
        for recorder in doc["recorders"]:
            recorder["protocol"] = "onvif"
    if school_id in ALARM_COLUMN_SCHOOLS and precinct in GB28181_SHOWCASE:
        column_id = f"{ADMIN_CODES[district]}0011{GB28181_ALARM_TYPE}0{index % 1000:03d}500"
        doc["alarms"].append(
            {
                "name": "gate-column",
                "kind": "one_button",
                "host": f"{net['alarm']}.7",
                "protocol": "gb28181",
                "gb28181_id": column_id,
                "zone": "gate-passage",
            }
        )
    if tier != "kindergarten":
        doc["led_boards"] = [
            {
                "name": "gate-led",
                "host": f"{net['alarm']}.8",
                "zone": "gate-plaza",
                "messages": [
                    {"template": "patrol_notice"},
                    {"template": "strict_zone"},
                    {"template": "police_room"},
                ],
            }
        ]
    doc["security"] = {
        "police_room": True,
        "police_room_phone": f"0411-8{rng.randint(1000000, 9999999)}",
        "gate_staffed_24h": True,
        "guards": {
            "professional": required_guards(students - boarding),
            "patrol_staff": 4,
            "volunteers": 28,
        },
        "equipment": {
            "baton": 6,
            "restraint_fork": 4,
            "pepper_spray": 6,
            "stab_proof_gloves": 6,
            "stab_proof_vest": 6,
            "anti_ram_barrier": 2,
        },
        "patrols_per_day": len(PATROL_TIMES),
        "patrol_times": list(PATROL_TIMES),
    }
    return doc


# The four showcase schools of examples/dalian: one per tier, two districts, three precincts
# (one per platform kind: ZLMediaKit, MediaMTX and GB/T 28181), one switch platform each.
SHOWCASE = (
    ("dl-zs-h024", "大连市第二十四中学", "high", "zhongshan", "nanshajie", "huawei"),
    ("dl-xg-m016", "大连市第十六中学", "middle", "xigang", "renminguangchang", "cisco_ios"),
    ("dl-zs-p007", "大连市中山区东港小学", "primary", "zhongshan", "qingniwaqiao", "hp_comware"),
    (
        "dl-xg-k003",
        "大连市西岗区实验幼儿园",
        "kindergarten",
        "xigang",
        "renminguangchang",
        "ruijie_os",
    ),
)


def generated_schools(count: int) -> list[tuple[str, str, str, str, str, str]]:
    """(id, name, tier, district, precinct, platform) for an N-school city."""
    out = []
    for k in range(count):
        tier = TIER_ORDER[k % 4]
        d = (k // 4) % 4
        district = list(DISTRICTS)[d]
        abbr, dname = DISTRICTS[district]
        precinct = [p[0] for p in PRECINCTS if p[2] == district][(k // 16) % 2]
        sid = f"dl-{abbr}-{TIER_LETTER[tier]}{k + 1:04d}"
        out.append(
            (
                sid,
                f"大连市{dname}第{k + 1}{TIER_SUFFIX[tier]}",
                tier,
                district,
                precinct,
                PLATFORMS[k % len(PLATFORMS)],
            )
        )
    return out


class _Dumper(yaml.SafeDumper):
    """Block style for structure, flow style for points, small records and short lists."""


def _flow_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flat = all(not isinstance(x, dict | list) for x in data)
    points = all(
        isinstance(x, list) and all(not isinstance(y, dict | list) for y in x) for x in data
    )
    return dumper.represent_sequence(
        "tag:yaml.org,2002:seq", data, flow_style=bool(data) and (flat or points)
    )


def _flow_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    small = len(data) <= 6 and all(not isinstance(v, dict | list) for v in data.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=small)


_Dumper.add_representer(list, _flow_list)
_Dumper.add_representer(dict, _flow_dict)


def dump(doc: dict[str, Any], schema_ref: str) -> str:
    body = yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    return SCHEMA_LINE.format(schema_ref) + body


def layout_offset(index: int) -> tuple[float, float]:
    """A school's own offset (metres): distinct for every index below 10,000."""
    return 0.25 + (index % 100) * 0.05, 0.125 + (index // 100) * 0.05


def write_city(
    out: Path, count: int | None = None, seed: int = 2026, distinct_layouts: bool = False
) -> list[Path]:
    """Write city.yaml and schools/*.yaml; count=None writes the four showcase schools.
    `distinct_layouts` moves each school's site plan by its own offset, so that no two
    schools share an area's coverage digest (a city's first run, for benchmarks)."""
    schools = list(SHOWCASE) if count is None else generated_schools(count)
    (out / "schools").mkdir(parents=True, exist_ok=True)
    paths = [out / "city.yaml"]
    paths[0].write_text(
        dump(
            city_doc(GB28181_SHOWCASE if count is None else None),
            "../../provision/schemas/city.schema.json" if count is None else "city.schema.json",
        ),
        encoding="utf-8",
    )
    for index, spec in enumerate(schools):
        rng = random.Random(f"{seed}-{spec[0]}")
        offset = 900 if count is None else 0  # showcase addresses stay clear of generated ones
        doc = school_doc(index + offset, *spec, rng=rng, distinct_layout=distinct_layouts)
        path = out / "schools" / f"{spec[0]}.yaml"
        ref = (
            "../../../provision/schemas/school.schema.json"
            if count is None
            else "../school.schema.json"
        )
        path.write_text(dump(doc, ref), encoding="utf-8")
        paths.append(path)
    return paths
