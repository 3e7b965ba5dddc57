"""Alarm columns that report over GB/T 28181 in the inventory: the schema's either-or of a
DC-09 account and a GB/T 28181 ID, the build's check that the protocol fits, the ID rules
(type 134, district, uniqueness) with file and line, and the SIP settings apply will write."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from gbsupport import (
    COLUMN,
    COLUMN_ID,
    SCHOOL,
    SERVER_ID,
    edit_city,
    edit_school,
    gb_column_city,
)

from provision.inventory.loader import load_inventory
from provision.rules import city as city_rules
from provision.rules import gb28181
from provision.templates.gb28181_settings import gb28181_settings


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gbcolumn") / "city"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "dalian", root)
    gb_column_city(root)
    return root


@pytest.fixture
def root(base: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(base, tmp_path / "city"))


def problems(root: Path) -> list[Any]:
    inv = load_inventory(root, only={SCHOOL})
    rules = (gb28181.check, gb28181.unique_ids, city_rules.unique_alarm_accounts)
    return [*inv.problems, *(p for rule in rules for p in rule(inv))]


def column(school: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in school["alarms"] if a["name"] == COLUMN)


def line_of(root: Path, problem: Any) -> str:
    assert problem.location.file.endswith(f"{SCHOOL}.yaml")
    text = (root / "schools" / f"{SCHOOL}.yaml").read_text(encoding="utf-8")
    return text.splitlines()[problem.location.line - 1]


def test_a_column_validates_and_wants_its_sip_access_without_channels(base: Path) -> None:
    assert problems(base) == []
    inv = load_inventory(base, only={SCHOOL})
    assert inv.city is not None
    school = inv.city.school(SCHOOL)
    spec = next(a for a in school.alarms if a.name == COLUMN)
    assert spec.reports_over_gb28181 and spec.account == "" and spec.gb28181_id == COLUMN_ID
    wanted = gb28181_settings(inv.city, school, spec)
    assert wanted["gb28181.device_id"] == COLUMN_ID
    assert wanted["gb28181.server_id"] == SERVER_ID and "gb28181.channels" not in wanted


def test_a_column_id_of_another_type_is_named_at_its_line(root: Path) -> None:
    wrong = "21020200111320000051"  # an IPC's type
    edit_school(root, SCHOOL, lambda s: column(s).update(gb28181_id=wrong))
    [problem] = problems(root)
    assert "type code (digits 11-13) is 132" in problem.message and "alarm takes 134" in (
        problem.message
    )
    assert wrong in line_of(root, problem)


def test_a_column_id_used_twice_is_reported(root: Path) -> None:
    edit_school(
        root,
        SCHOOL,
        lambda s: s["alarms"].append({**column(s), "name": "gate-column-2", "host": "10.34.18.9"}),
    )
    found = [p for p in problems(root) if p.code == "duplicate-gb28181-id"]
    assert len(found) == 1 and COLUMN_ID in found[0].message


def test_a_column_without_its_id_is_a_schema_error_at_its_line(root: Path) -> None:
    edit_school(root, SCHOOL, lambda s: column(s).pop("gb28181_id"))
    found = [p for p in problems(root) if "gb28181_id" in p.message]
    assert found and "give either account, or gb28181_id" in found[0].message
    assert found[0].yaml_path == "alarms[2]" and line_of(root, found[0]).startswith("- ")


def test_a_column_given_an_account_instead_of_an_id_says_what_it_lacks(root: Path) -> None:
    def swap(school: dict[str, Any]) -> None:
        column(school).pop("gb28181_id")
        column(school)["account"] = "03859"

    edit_school(root, SCHOOL, swap)
    [problem] = [p for p in problems(root) if p.code == "missing-value"]
    assert f"alarm {COLUMN} speaks gb28181" in problem.message and "no gb28181_id" in (
        problem.message
    )
    assert problem.yaml_path == "alarms[2]" and line_of(root, problem).startswith("- ")


def test_a_column_in_a_precinct_without_a_gb28181_platform_is_refused(root: Path) -> None:
    def to_mediamtx(city: dict[str, Any]) -> None:
        precinct = next(p for p in city["precincts"] if p["id"] == "nanshajie")
        precinct["video_platform"] = {
            "kind": "mediamtx",
            "api": "http://10.200.1.10:9997",
            "app": "school",
            "rtsp": "10.200.1.10:554",
        }

    edit_city(root, to_mediamtx)
    found = [p for p in problems(root) if "runs no GB/T 28181 platform" in p.message]
    assert len(found) == 1 and COLUMN in found[0].message
