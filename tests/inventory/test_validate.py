"""provision validate on the example city and on a copy with one of each error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from provision.citygen import dump
from provision.cli.main import cli
from provision.validate import validate

HIGH = "dl-zs-h024"
KG = "dl-xg-k003"


def _edit(city: Path, school: str, change: Any) -> None:
    path = city / "schools" / f"{school}.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(dump(doc, "x.json"), encoding="utf-8")


def _camera(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in doc["cameras"] if c["name"] == name)


def _break_high(doc: dict[str, Any]) -> None:
    cams = doc["cameras"]
    cams[1]["host"] = cams[0]["host"]  # duplicate-address
    cams[2]["name"] = cams[3]["name"]  # duplicate-name
    _camera(doc, "t4f-corr-w")["area"] = "teach-9f"  # unknown area
    doc["alarms"][0]["zone"] = "gate-passge"  # unknown zone (typo)
    doc["network"]["uplink"]["switch"] = "core2"  # unknown switch
    doc["network"]["switches"][0]["platform"] = "junos"  # unknown platform
    doc["network"]["uplink"]["bandwidth_mbps"] = 5  # forwarded feeds do not fit
    doc["recorders"][0]["disks_tb"] = [2.0]  # retention
    doc["led_boards"][0]["messages"].append(
        {"text": "校园周边五十米内为严格管理区域请勿停车，五十至二百米为管控区域，请配合民警工作"}
    )
    # Re-aim one stairwell camera at the wall: its corner of the stairwell goes blind.
    _camera(doc, "t2f-stair-e2")["mount"]["heading"] = 45


def _break_kindergarten(doc: dict[str, Any]) -> None:
    doc["precinct"] = "nowhere"
    zones = doc["site"]["areas"][1]["zones"]
    zones[1]["polygon"] = [[0, 0], [4, 4], [4, 0], [0, 4]]  # bow-tie: not simple
    zones[2]["polygon"] = [[0, 0], [4, 0]]  # too few points
    doc["students"] = "many"  # wrong type


@pytest.fixture
def broken_city(city_copy: Path) -> Path:
    _edit(city_copy, HIGH, _break_high)
    _edit(city_copy, KG, _break_kindergarten)
    return city_copy


EXPECTED = {
    # code: (school, text that must appear on the reported line)
    "duplicate-address": (HIGH, "host:"),
    "duplicate-name": (HIGH, "name:"),
    "schema-enum": (HIGH, "junos"),
    "uplink-bandwidth": (HIGH, "bandwidth_mbps"),
    "retention": (HIGH, "disks_tb"),
    "led-too-long": (HIGH, "校园周边五十米内"),
    "coverage": (HIGH, "polygon"),
    "bad-polygon": (KG, "polygon"),
    "schema-minItems": (KG, "polygon"),
    "schema-type": (KG, "students"),
}


def _line(problem: dict[str, Any]) -> str:
    lines = Path(problem["location"]["file"]).read_text(encoding="utf-8").splitlines()
    return lines[problem["location"]["line"] - 1]


def test_example_city_is_valid(example_city: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", "-i", str(example_city)])
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output or result.output.strip() == ""


def test_every_error_is_reported_with_its_place_in_json(
    broken_city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("PROVISION_CAMERA_PASSWORD", "PROVISION_ZLM_SECRET"):
        monkeypatch.delenv(var, raising=False)
    result = CliRunner().invoke(cli, ["validate", "-i", str(broken_city), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["valid"] is False
    by_code: dict[str, list[dict[str, Any]]] = {}
    for problem in report["problems"]:
        by_code.setdefault(problem["code"], []).append(problem)
    for code, (school, token) in EXPECTED.items():
        assert code in by_code, f"{code} not reported; got {sorted(by_code)}"
        hits = [p for p in by_code[code] if p["location"]["file"].endswith(f"{school}.yaml")]
        assert hits, f"{code} not reported in {school}"
        assert any(token in _line(p) for p in hits), (code, [_line(p) for p in hits])
        assert all(p["location"]["line"] > 0 and p["location"]["column"] > 0 for p in hits)
    unknown = {p["message"].split("'")[1] for p in by_code["unknown-reference"]}
    assert {"teach-9f", "gate-passge", "core2", "nowhere"} <= unknown
    assert "did you mean 'gate-passage'" in json.dumps(by_code["unknown-reference"])
    assert "huawei, cisco_ios, hp_comware" in by_code["schema-enum"][0]["message"]
    # An unset secret is a warning, not an error.
    unset = by_code["secret-unset"]
    assert unset and all(p["severity"] == "warning" for p in unset)
    assert any("PROVISION_ZLM_SECRET" in p["message"] for p in unset)


def test_text_format_lists_every_problem_as_file_line_column(broken_city: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", "-i", str(broken_city)])
    assert result.exit_code == 1
    problem_lines = [line for line in result.output.splitlines() if "error [" in line]
    codes = {line.split("[")[1].split("]")[0] for line in problem_lines}
    assert set(EXPECTED) <= codes
    for line in problem_lines:
        file, lineno, col = line.split(":")[:3]
        assert file.endswith(".yaml") and int(lineno) > 0 and int(col) > 0


def test_warnings_fail_only_with_strict(
    example_city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROVISION_LED_PASSWORD", raising=False)
    runner = CliRunner()
    assert runner.invoke(cli, ["validate", "-i", str(example_city)]).exit_code == 0
    assert runner.invoke(cli, ["validate", "-i", str(example_city), "--strict"]).exit_code == 1


def test_strict_passes_once_every_secret_is_set(
    example_city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = validate(example_city)
    for problem in result.warnings:
        name = problem.message.split("${")[1].split("}")[0]
        monkeypatch.setenv(name, "x")
    assert validate(example_city).ok(strict=True)


def test_duplicate_keys_and_yaml_errors_are_reported_not_raised(city_copy: Path) -> None:
    school = city_copy / "schools" / f"{KG}.yaml"
    school.write_text(school.read_text(encoding="utf-8") + "students: 12\n", encoding="utf-8")
    (city_copy / "schools" / "dl-bad.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    codes = {p.code for p in validate(city_copy).errors}
    assert {"duplicate-key", "yaml-syntax"} <= codes


def test_a_missing_city_file_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", "-i", str(tmp_path)])
    assert result.exit_code == 1
    assert "city.yaml not found" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("literal", ['"hunter2secret"', "12345678", '"${not a ref"'])
def test_a_literal_secret_is_refused_without_ever_being_repeated(
    city_copy: Path, literal: str
) -> None:
    city = city_copy / "city.yaml"
    text = city.read_text(encoding="utf-8")
    reference = "'${PROVISION_CAMERA_PASSWORD}'"
    assert reference in text
    city.write_text(text.replace(reference, literal, 1), encoding="utf-8")
    for fmt in ("text", "json"):
        result = CliRunner().invoke(cli, ["validate", "-i", str(city_copy), "--format", fmt])
        assert result.exit_code == 1
        assert literal.strip('"') not in result.output
        assert "cannot be written here literally" in result.output
        assert "${PROVISION_CAMERA_PASSWORD}" in result.output  # how to write it instead
