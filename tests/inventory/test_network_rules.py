"""validate refuses a network no switch can carry and addresses no device can be reached on."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from provision.citygen import dump
from provision.cli.main import cli

HIGH = "dl-zs-h024"  # management 10.34.16.0/24, video 10.34.17.0/24, alarm 10.34.18.0/24
MIDDLE = "dl-xg-m016"


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(dump(doc, "x.json"), encoding="utf-8")


def _problems(city: Path) -> list[dict[str, Any]]:
    result = CliRunner().invoke(cli, ["validate", "-i", str(city), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return [p for p in json.loads(result.stdout)["problems"] if p["code"] != "secret-unset"]


def _camera_host(host: str) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        doc["cameras"][0]["host"] = host

    return change


def test_colliding_vlans_are_refused_where_they_are_set_and_render_writes_nothing(
    city_copy: Path, tmp_path: Path
) -> None:
    def collide(doc: dict[str, Any]) -> None:
        doc["defaults"]["network"]["vlans"] = {"management": 10, "video": 10, "alarm": 10}

    _edit(city_copy / "city.yaml", collide)
    problems = [p for p in _problems(city_copy) if p["code"] == "vlan-collision"]
    # Every school inherits the city's VLANs: the problem is the city file's line, per school.
    assert {p["yaml_path"] for p in problems} == {
        "defaults.network.vlans.video",
        "defaults.network.vlans.alarm",
    }
    assert all(p["location"]["file"].endswith("city.yaml") for p in problems)
    assert "also the management VLAN" in problems[0]["message"]
    out = tmp_path / "out"
    rendered = CliRunner().invoke(cli, ["render", "-i", str(city_copy), "--out", str(out)])
    assert rendered.exit_code == 1
    assert not out.exists() or not any(out.rglob("*.cfg"))


@pytest.mark.parametrize(
    ("host", "code", "says"),
    [
        ("10.0.0.0", "outside-subnets", "in none of the school's subnets"),
        ("255.255.255.255", "unusable-address", "limited broadcast"),
        ("127.0.0.1", "unusable-address", "loopback"),
        ("0.0.0.0", "unusable-address", "unspecified"),
        ("224.0.0.5", "unusable-address", "multicast"),
        ("10.34.17.0", "unusable-address", "network address of the video subnet"),
        ("10.34.17.255", "unusable-address", "broadcast address of the video subnet"),
        ("10.34.17.1", "address-is-gateway", "video gateway"),
    ],
)
def test_a_camera_address_no_camera_can_have_is_refused(
    city_copy: Path, host: str, code: str, says: str
) -> None:
    _edit(city_copy / "schools" / f"{HIGH}.yaml", _camera_host(host))
    problems = _problems(city_copy)
    assert [p["code"] for p in problems] == [code]
    assert says in problems[0]["message"]
    assert problems[0]["yaml_path"] == "cameras[0].host"


def test_a_camera_in_another_of_its_schools_subnets_is_only_warned(city_copy: Path) -> None:
    _edit(city_copy / "schools" / f"{HIGH}.yaml", _camera_host("10.34.18.77"))
    assert [(p["code"], p["severity"]) for p in _problems(city_copy)] == [
        ("wrong-subnet", "warning")
    ]


def test_a_switch_away_from_its_management_gateway_is_refused(city_copy: Path) -> None:
    def move(doc: dict[str, Any]) -> None:
        doc["network"]["switches"][0]["host"] = "10.34.16.2"

    _edit(city_copy / "schools" / f"{HIGH}.yaml", move)
    problems = _problems(city_copy)
    assert [p["code"] for p in problems] == ["switch-address"]
    assert "management gateway 10.34.16.1" in problems[0]["message"]


def test_overlapping_subnets_in_a_school_and_between_schools_are_refused(
    city_copy: Path,
) -> None:
    high = yaml.safe_load((city_copy / "schools" / f"{HIGH}.yaml").read_text(encoding="utf-8"))

    def share(doc: dict[str, Any]) -> None:
        doc["network"]["subnets"]["alarm"] = high["network"]["subnets"]["alarm"]

    def overlap(doc: dict[str, Any]) -> None:
        doc["network"]["subnets"]["alarm"] = "10.34.17.128/25"  # inside the video subnet

    _edit(city_copy / "schools" / f"{MIDDLE}.yaml", share)
    codes = {p["code"] for p in _problems(city_copy)}
    assert "subnet-shared" in codes
    _edit(city_copy / "schools" / f"{HIGH}.yaml", overlap)
    problems = _problems(city_copy)
    assert any(
        p["code"] == "subnet-overlap" and "overlaps the video subnet" in p["message"]
        for p in problems
    )


def test_one_alarm_account_on_two_panels_of_one_receiver_is_refused(city_copy: Path) -> None:
    def same_account(doc: dict[str, Any]) -> None:
        doc["alarms"][1]["account"] = doc["alarms"][0]["account"]

    _edit(city_copy / "schools" / f"{HIGH}.yaml", same_account)
    problems = _problems(city_copy)
    assert [p["code"] for p in problems] == ["duplicate-account"]
    assert problems[0]["yaml_path"] == "alarms[1].account"
    assert "could not tell them apart" in problems[0]["message"]
