"""GB/T 28181 IDs and SIP servers in validate: each rule's problem, with its file and line,
and the desired SIP settings a driver will write."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from gbsupport import (
    IDS,
    NVR,
    NVR_CHANNELS,
    NVR_ID,
    SCHOOL,
    SERVER_ID,
    edit_city,
    edit_school,
    gb_city,
    through_nvr,
)

from provision.inventory.loader import load_inventory
from provision.inventory.secrets import SecretRef
from provision.rules import gb28181
from provision.templates.gb28181_settings import gb28181_settings, recorder_channels
from provision.validate import validate

GB_CODES = {"gb28181-id", "duplicate-gb28181-id", "gb28181-protocol"}


@pytest.fixture(scope="module")
def gb_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gb") / "city"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "dalian", root)
    gb_city(root)
    return root


@pytest.fixture
def gb_root(gb_base: Path, tmp_path: Path) -> Path:
    """A private copy of the GB/T 28181 variant that a test may break."""
    return Path(shutil.copytree(gb_base, tmp_path / "city"))


def gb_problems(root: Path) -> list[Any]:
    """The GB/T 28181 rules alone (the whole validate, coverage included, takes seconds)."""
    inv = load_inventory(root, only={SCHOOL})
    rules = (gb28181.check, gb28181.unique_ids, gb28181.sip_servers)
    return [p for rule in rules for p in rule(inv)]


def camera(school: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in school["cameras"] if c["name"] == name)


def test_the_gb28181_variant_validates_without_gb28181_problems(gb_root: Path) -> None:
    assert [p for p in validate(gb_root, only={SCHOOL}).problems if p.code in GB_CODES] == []
    assert gb_problems(gb_root) == []


@pytest.mark.parametrize(
    ("new_id", "words"),
    [
        ("21020300111320000011", "not the school's district code 210202"),
        ("21020200001320000011", "industry code (digits 9-10) is 00, not education's 11"),
        ("21020200111180000011", "type code (digits 11-13) is 118 (NVR); a camera takes 131"),
    ],
)
def test_a_bad_device_id_is_named_at_its_line(gb_root: Path, new_id: str, words: str) -> None:
    edit_school(gb_root, SCHOOL, lambda s: camera(s, "gate-face").update(gb28181_id=new_id))
    problems = gb_problems(gb_root)
    assert len(problems) == 1 and words in problems[0].message
    where = problems[0].location
    line = (gb_root / "schools" / f"{SCHOOL}.yaml").read_text().splitlines()[where.line - 1]
    assert where.file.endswith(f"{SCHOOL}.yaml") and new_id in line


def test_an_id_used_twice_in_the_city_is_reported(gb_root: Path) -> None:
    taken = IDS["gate-face"][1][0]
    edit_school(
        gb_root, SCHOOL, lambda s: camera(s, "gate-plaza-w").update(gb28181_channels=[taken])
    )
    problems = gb_problems(gb_root)
    assert [p.code for p in problems] == ["duplicate-gb28181-id"]
    assert f"GB/T 28181 ID {taken} is also used at" in problems[0].message


def test_onvif_cannot_carry_gb28181_settings(gb_root: Path) -> None:
    edit_school(gb_root, SCHOOL, lambda s: camera(s, "gate-face").update(protocol="onvif"))
    problems = gb_problems(gb_root)
    assert [p.code for p in problems] == ["gb28181-protocol"]
    assert "speaks onvif, which cannot carry GB/T 28181 settings" in problems[0].message


def test_a_forwarded_camera_without_id_is_an_error(gb_root: Path) -> None:
    edit_school(gb_root, SCHOOL, lambda s: camera(s, "gate-face").pop("gb28181_id"))
    messages = [p.message for p in gb_problems(gb_root)]
    assert any("forwarded to a GB/T 28181 platform but has no gb28181_id" in m for m in messages)


def test_domain_must_be_the_server_ids_first_ten_digits(gb_root: Path) -> None:
    def wrong_domain(city: dict[str, Any]) -> None:
        precinct = next(p for p in city["precincts"] if p["id"] == "nanshajie")
        precinct["video_platform"]["sip"]["domain"] = "3402000000"

    edit_city(gb_root, wrong_domain)
    problems = [p for p in gb_problems(gb_root) if "SIP domain" in p.message]
    assert len(problems) == 1 and problems[0].location.file.endswith("city.yaml")
    assert f"({SERVER_ID[:10]})" in problems[0].message


def test_desired_settings_carry_the_password_as_its_reference(gb_root: Path) -> None:
    inv = load_inventory(gb_root, only={SCHOOL})
    assert inv.city is not None
    school = inv.city.school(SCHOOL)
    cam = next(c for c in school.cameras if c.name == "gate-plaza-w")
    settings = gb28181_settings(inv.city, school, cam)
    assert settings["gb28181.server_id"] == SERVER_ID
    assert settings["gb28181.domain"] == SERVER_ID[:10]
    assert settings["gb28181.device_id"] == IDS["gate-plaza-w"][0]
    assert settings["gb28181.channels"] == IDS["gate-plaza-w"][1]
    assert settings["gb28181.transport"] == "UDP" and settings["gb28181.edition"] == "2016"
    assert settings["gb28181.password"] == SecretRef("PROVISION_GB28181_PASSWORD")
    assert "lab-" not in repr(settings)  # the reference only, never a value
    unforwarded = next(c for c in school.cameras if not c.forward)
    assert gb28181_settings(inv.city, school, unforwarded) == {}


def test_a_forwarded_dahua_camera_registers_like_a_hikvision_one(gb_root: Path) -> None:
    """Dahua's API carries GB/T 28181 access (its VSP_GAYS table) and its driver writes it."""

    def dahua(school: dict[str, Any]) -> None:
        camera(school, "gate-face")["protocol"] = "dahua"

    edit_school(gb_root, SCHOOL, dahua)
    assert gb_problems(gb_root) == []
    inv = load_inventory(gb_root)
    assert inv.city is not None
    school = inv.city.school(SCHOOL)
    gate = next(c for c in school.cameras if c.name == "gate-face")
    assert gb28181_settings(inv.city, school, gate)["gb28181.device_id"] == IDS["gate-face"][0]


@pytest.fixture
def nvr_root(gb_root: Path) -> Path:
    """The variant whose forwarded cameras reach the platform through their NVR."""
    edit_school(gb_root, SCHOOL, through_nvr)
    return gb_root


def test_an_nvr_registering_its_forwarded_cameras_as_channels_validates(nvr_root: Path) -> None:
    assert gb_problems(nvr_root) == []
    inv = load_inventory(nvr_root, only={SCHOOL})
    assert inv.city is not None
    school = inv.city.school(SCHOOL)
    nvr = next(r for r in school.recorders if r.name == NVR)
    settings = gb28181_settings(inv.city, school, nvr)
    assert settings["gb28181.device_id"] == NVR_ID
    assert settings["gb28181.channels"] == tuple(NVR_CHANNELS.values())
    # the cameras behind it register nothing themselves
    gate = next(c for c in school.cameras if c.name == "gate-face")
    assert gb28181_settings(inv.city, school, gate) == {}
    assert [n for n, _ in recorder_channels(school, nvr).values()] == [1, 2, 3, 36]


def test_a_camera_behind_a_registering_nvr_must_not_register_itself(nvr_root: Path) -> None:
    def own_id(school: dict[str, Any]) -> None:
        camera(school, "gate-plaza-e")["gb28181_id"] = "21020200111320000099"

    edit_school(nvr_root, SCHOOL, own_id)
    problems = gb_problems(nvr_root)
    assert [p.code for p in problems] == ["gb28181-twice"]
    assert "channel of NVR nvr-1" in problems[0].message
    line = (nvr_root / "schools" / f"{SCHOOL}.yaml").read_text().splitlines()
    assert "21020200111320000099" in line[problems[0].location.line - 1]


def test_an_nvr_needs_one_channel_id_per_forwarded_camera(nvr_root: Path) -> None:
    def one_short(school: dict[str, Any]) -> None:
        next(r for r in school["recorders"] if r["name"] == NVR)["gb28181_channels"].pop()

    edit_school(nvr_root, SCHOOL, one_short)
    problems = gb_problems(nvr_root)
    assert [p.code for p in problems] == ["gb28181-id"]
    assert "lists 3 GB/T 28181 channel IDs but records 4 forwarded cameras" in problems[0].message


def test_an_nvr_id_must_carry_an_nvr_type_code(nvr_root: Path) -> None:
    def camera_type(school: dict[str, Any]) -> None:
        next(r for r in school["recorders"] if r["name"] == NVR)["gb28181_id"] = (
            "21020200111320000041"
        )

    edit_school(nvr_root, SCHOOL, camera_type)
    problems = gb_problems(nvr_root)
    assert len(problems) == 1 and "a recorder takes 118 NVR" in problems[0].message


def test_an_onvif_camera_reaches_the_platform_through_its_nvr(nvr_root: Path) -> None:
    problems = validate(nvr_root, only={SCHOOL}).problems
    assert [
        p for p in problems if p.code.startswith("gb28181") or p.code.startswith("protocol")
    ] == []
