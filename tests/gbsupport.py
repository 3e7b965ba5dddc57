"""A GB/T 28181 variant of the example city, shared by the rule and verify tests (no tests here).

The copy's nanshajie precinct becomes a GB/T 28181 platform (WVP-style, SIP server ID
21020200002000000001), the districts get their GB/T 2260 codes, and two of dl-zs-h024's
forwarded cameras get IDs and channels and speak ISAPI.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from labsupport import LabLoop

from provision.inventory.loader import load_inventory
from provision.lab.connector import LabConnector
from provision.lab.runtime import Lab
from provision.verify.checks import gb28181
from provision.verify.contract import CheckContext
from provision.verify.model import CheckResult

# The C parser and emitter when PyYAML has them: these school files are long.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _load(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


def _dump(data: Any, allow_unicode: bool = True) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=allow_unicode)


SCHOOL = "dl-zs-h024"
SERVER_ID = "21020200002000000001"
IDS = {
    "gate-face": ("21020200111320000011", ("21020200111320000012",)),
    "gate-plaza-w": ("21020200111320000021", ("21020200111320000022", "21020200111310000023")),
}


def gb_city(root: Path) -> None:
    """Turn the copy's nanshajie precinct into a GB/T 28181 one and give two cameras IDs."""
    city_file = root / "city.yaml"
    city = _load(city_file.read_text(encoding="utf-8"))
    codes = {"zhongshan": "210202", "xigang": "210203", "shahekou": "210204", "ganjingzi": "210211"}
    for district, code in codes.items():
        city["districts"][district]["admin_code"] = code
    precinct = next(p for p in city["precincts"] if p["id"] == "nanshajie")
    precinct["video_platform"] = {
        "kind": "gb28181",
        "api": "http://10.200.1.10:18080",
        "secret": "${PROVISION_WVP_PASSWORD}",
        "sip": {
            "server_id": SERVER_ID,
            "domain": SERVER_ID[:10],
            "host": "10.200.1.10",
            "port": 5060,
            "password": "${PROVISION_GB28181_PASSWORD}",
            "heartbeat_s": 1,
            "heartbeat_max_missed": 2,
        },
    }
    city_file.write_text(_dump(city, allow_unicode=True), encoding="utf-8")
    for name in ("dl-zs-h024", "dl-zs-p007"):  # the precinct's schools
        edit_school(root, name, _give_ids)


def _give_ids(school: dict[str, Any]) -> None:
    for cam in school["cameras"]:
        if cam["name"] in IDS and school["id"] == SCHOOL:
            cam["gb28181_id"], channels = IDS[cam["name"]]
            cam["gb28181_channels"] = list(channels)
            cam["protocol"] = "isapi"
        elif cam.get("forward"):
            cam["forward"] = False  # no ID yet: not forwarded in this variant


def edit_school(root: Path, school_id: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = root / "schools" / f"{school_id}.yaml"
    school = _load(path.read_text(encoding="utf-8"))
    change(school)
    path.write_text(_dump(school, allow_unicode=True), encoding="utf-8")


def edit_city(root: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = root / "city.yaml"
    city = _load(path.read_text(encoding="utf-8"))
    change(city)
    path.write_text(_dump(city, allow_unicode=True), encoding="utf-8")


# The NVR variant: dl-zs-h024's NVR registers (type 118) and its forwarded cameras, in the
# order it records them, are its Catalog channels; none of them registers itself.
NVR = "nvr-1"
NVR_ID = "21020200111180000041"
NVR_CHANNELS = {
    "gate-face": "21020200111310000042",
    "gate-plaza-w": "21020200111310000043",
    "gate-plaza-e": "21020200111310000044",
    "play-sw": "21020200111310000045",
}


def gb_nvr_city(root: Path) -> None:
    """gb_city, then dl-zs-h024's forwarded cameras reach the platform through its NVR."""
    gb_city(root)
    edit_school(root, SCHOOL, through_nvr)


def through_nvr(school: dict[str, Any]) -> None:
    for cam in school["cameras"]:
        if cam["name"] in NVR_CHANNELS:
            cam["forward"] = True
            cam.pop("gb28181_id", None)
            cam.pop("gb28181_channels", None)
            if cam["name"] == "gate-face":  # a Uniview camera: ONVIF, reached through the NVR
                cam["protocol"] = "onvif"
    nvr = next(r for r in school["recorders"] if r["name"] == NVR)
    nvr["gb28181_id"] = NVR_ID
    nvr["gb28181_channels"] = list(NVR_CHANNELS.values())


class GbLab:
    """One lab of the variant's dl-zs-h024 (its devices and the GB/T 28181 platform), started
    on a loop of its own, and verify's gb28181 check run against it; the verify tests' rigs
    add how they write their devices."""

    def __init__(self, root: Path, data: Path) -> None:
        inv = load_inventory(root, only={SCHOOL})
        assert inv.city is not None
        self.city = inv.city
        self.school = inv.city.school(SCHOOL)
        self.lab = Lab(inv.city, [self.school], data)
        self.lab.build()
        self.loop = LabLoop()
        try:
            self.loop.run(self.lab.start(), timeout=60)
        except BaseException:
            self.close()
            raise
        self.connector = LabConnector()

    def platform(self) -> Any:
        return self.lab.devices["precinct/nanshajie/video_platform"].sim

    def run(self) -> CheckResult:
        return gb28181.check(CheckContext(self.city, self.school, self.connector, {}, 0.0))

    def close(self) -> None:
        try:
            self.loop.run(self.lab.stop(), timeout=60)
        finally:
            self.loop.close()


# The alarm column variant: dl-zs-h024 gets a one-button alarm column at the gate that
# reports over GB/T 28181 (type 134, alarm input device) to the nanshajie platform.
COLUMN = "gate-column"
COLUMN_ID = "21020200111340000051"


def with_column(school: dict[str, Any]) -> None:
    school["alarms"].append(
        {
            "name": COLUMN,
            "kind": "one_button",
            "host": "10.34.18.7",
            "protocol": "gb28181",
            "gb28181_id": COLUMN_ID,
            "zone": "gate-passage",
        }
    )


def gb_column_city(root: Path) -> None:
    """gb_city, then dl-zs-h024 gets its alarm column."""
    gb_city(root)
    edit_school(root, SCHOOL, with_column)
