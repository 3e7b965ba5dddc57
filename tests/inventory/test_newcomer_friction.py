"""What a newcomer writing a city met: tiers they do not use, defaults they could not set,
and standards validate left to verify."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from provision.citygen import dump
from provision.cli.main import cli
from provision.inventory.loader import load_inventory

KINDERGARTEN = "dl-xg-k003"


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(dump(doc, "x.json"), encoding="utf-8")


def _problems(city: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    result = CliRunner().invoke(cli, ["validate", "-i", str(city), "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    problems = json.loads(result.stdout)["problems"]
    return result.exit_code, [p for p in problems if p["code"] != "secret-unset"]


def test_a_city_defines_only_the_tiers_its_schools_use(city_copy: Path) -> None:
    def drop_unused(doc: dict[str, Any]) -> None:
        tiers = doc["tiers"]
        doc["tiers"] = {"kindergarten": tiers["kindergarten"], "high": tiers["high"]}

    _edit(city_copy / "city.yaml", drop_unused)
    code, problems = _problems(city_copy)
    # the middle and primary schools now name a tier with no standard, at their `tier:` line
    missing = [p for p in problems if p["code"] == "unknown-reference" and p["yaml_path"] == "tier"]
    assert {Path(p["location"]["file"]).name for p in missing} == {
        "dl-xg-m016.yaml",
        "dl-zs-p007.yaml",
    }
    assert "tiers.middle" in next(p["message"] for p in missing if "m016" in p["location"]["file"])
    assert code == 1
    for school in ("dl-xg-m016", "dl-zs-p007"):
        (city_copy / "schools" / f"{school}.yaml").unlink()
    assert _problems(city_copy) == (0, [])


def test_every_camera_of_a_school_can_name_its_recorder_once_in_defaults(city_copy: Path) -> None:
    def by_default(doc: dict[str, Any]) -> None:
        doc.setdefault("defaults", {}).setdefault("camera", {})["recorder"] = "nvr-1"

    _edit(city_copy / "schools" / f"{KINDERGARTEN}.yaml", by_default)
    assert _problems(city_copy) == (0, [])
    inv = load_inventory(city_copy)
    assert inv.city is not None
    school = next(s for s in inv.city.schools if s.id == KINDERGARTEN)
    assert {c.recorder for c in school.cameras} == {"nvr-1"}


def test_a_school_short_of_its_tiers_minimums_is_warned_and_refused_under_strict(
    city_copy: Path,
) -> None:
    def no_alarms(doc: dict[str, Any]) -> None:
        del doc["alarms"]
        doc["security"]["patrols_per_day"] = 2

    _edit(city_copy / "schools" / f"{KINDERGARTEN}.yaml", no_alarms)
    code, problems = _problems(city_copy)
    short = {p["yaml_path"]: p for p in problems if p["code"] == "below-standard"}
    assert code == 0 and set(short) == {"alarms", "security.patrols_per_day"}
    assert short["alarms"]["severity"] == "warning"
    assert (
        "0 one-button alarm(s); the kindergarten standard asks for 1"
        in (short["alarms"]["message"])
    )
    assert _problems(city_copy, "--strict")[0] == 1


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_messages_say_what_to_write_not_what_the_schema_engine_thinks(city_copy: Path) -> None:
    school = city_copy / "schools" / f"{KINDERGARTEN}.yaml"
    _replace(city_copy / "city.yaml", "admin_code: '210204'", "admin_code: 210204")
    _replace(school, "'07:30', '11:30'", "'07:30', 11:30")
    _replace(school, "lens: {focal_mm: 8.0, sensor_width_mm: 5.57}", "lens: {focal_mm: 8.0}")
    _replace(school, "lens: &id001 {hfov_deg: 100}", "lens: &id001 {hfov_deg: 100, focal_mm: 4}")
    _replace(school, "heading: 270, tilt: -15}\n  lens:", "heading: 360, tilt: -95}\n  lens:")
    code, problems = _problems(city_copy)
    said = {p["yaml_path"]: p["message"] for p in problems}
    assert code == 1
    assert said["districts.shahekou.admin_code"] == (
        "210204 is not text: YAML reads it as a number; quote it ('210204') to write text"
    )
    assert said["security.patrol_times[1]"] == (
        "11:30 is not text: YAML reads 11:30 as 690; quote it ('11:30') to write text"
    )
    assert said["cameras[0].lens"] == (
        "give either focal_mm and sensor_width_mm, or hfov_deg (exactly one of these); "
        "found: focal_mm"
    )
    assert said["cameras[7].lens"].endswith("found: focal_mm, hfov_deg")
    assert said["cameras[0].mount.tilt"] == "-95 is out of range; allowed: -90 ≤ value ≤ 30"
    assert "cameras[0].mount.heading" not in said  # 360 is east again, not an error
    text = CliRunner().invoke(cli, ["validate", "-i", str(city_copy)])
    assert "4 schools checked: INVALID" in text.stderr


def test_a_camera_outside_its_area_is_named_not_only_the_zone_it_leaves_blind(
    city_copy: Path,
) -> None:
    school = city_copy / "schools" / f"{KINDERGARTEN}.yaml"
    # t1f-corr-w belongs to teach-1f, whose outline spans x 6..44: put it 6 m east of it
    _replace(
        school,
        "mount: {x: 10.3, y: 21.5, height: 3, heading: 0,",
        "mount: {x: 50, y: 21.5, height: 3, heading: 0,",
    )
    # gate-face (gate area, no outline) turned to face away from both gate zones
    _replace(school, "heading: 270, tilt: -15}\n  lens:", "heading: 90, tilt: -15}\n  lens:")
    _, problems = _problems(city_copy)
    by_code = {(p["code"], p["yaml_path"]): p for p in problems}
    outside = by_code[("camera-outside-area", "cameras[3].mount")]
    assert outside["severity"] == "error"
    assert (
        "t1f-corr-w is mounted at (50, 21.5), 6.0 m outside the outline of its area teach-1f"
        in (outside["message"])
    )
    away = by_code[("camera-sees-nothing", "cameras[0].mount")]
    assert (
        away["severity"] == "warning"
        and "gate-face sees none of area gate's zones" in (away["message"])
    )


def test_a_precinct_without_an_alarm_centre_api_is_warned_before_the_first_audit(
    city_copy: Path,
) -> None:
    def no_api(doc: dict[str, Any]) -> None:
        del doc["precincts"][2]["alarm_center"]["api"]  # renminguangchang: dl-xg-k003's

    _edit(city_copy / "city.yaml", no_api)
    code, problems = _problems(city_copy)
    [warned] = [p for p in problems if p["code"] == "no-centre-api"]
    assert code == 0 and warned["yaml_path"] == "precincts[2].alarm_center"
    assert "renminguangchang has no api" in warned["message"]
