"""Recorder storage arithmetic (provision/sizing.py): decimal units, RAID, hot spares and the
file-system reserve as inventory fields, inherited through `defaults.recorder`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from provision.cli.main import cli
from provision.inventory.loader import load_inventory
from provision.inventory.model import Recorder
from provision.sizing import gb_per_day, layout_problem, retention_days, tb_for_days, usable_tb

SCHOOL = "dl-xg-k003"


def _recorder(disks: tuple[float, ...], **layout: Any) -> Recorder:
    return Recorder("nvr", "10.0.0.2", ("recorders", 0), None, disks_tb=disks, **layout)


def test_a_day_at_one_mbit_is_10_8_decimal_gb() -> None:
    assert gb_per_day(1000) == pytest.approx(10.8)
    assert tb_for_days(6100, 30) == pytest.approx(6.1 * 10.8 * 30 / 1000)
    # Nothing is lost to "formatting": 24 TB at 10.8 GB/day last 24,000 / 10.8 days.
    assert retention_days(24.0, 1000) == pytest.approx(24000 / 10.8)


@pytest.mark.parametrize(
    ("disks", "layout", "usable"),
    [
        ((8.0, 8.0, 8.0), {}, 24.0),
        ((8.0, 8.0, 8.0, 8.0), {"raid_level": "raid5"}, 24.0),
        ((8.0, 8.0, 8.0, 8.0), {"raid_level": "raid6"}, 16.0),
        ((8.0, 8.0, 8.0, 8.0), {"raid_level": "raid10"}, 16.0),
        ((8.0, 8.0, 8.0, 8.0, 8.0), {"raid_level": "raid5", "hot_spares": 1}, 24.0),
        ((8.0, 6.0, 8.0), {"raid_level": "raid5"}, 12.0),  # an array counts its smallest disk
        ((8.0, 8.0), {"fs_reserve_fraction": 0.05}, 15.2),
    ],
)
def test_usable_capacity_takes_out_parity_spares_and_reserve(
    disks: tuple[float, ...], layout: dict[str, Any], usable: float
) -> None:
    assert usable_tb(_recorder(disks, **layout)) == pytest.approx(usable)


def test_disks_that_cannot_form_the_array_are_said_and_hold_nothing() -> None:
    raid6 = _recorder((8.0, 8.0, 8.0, 8.0), raid_level="raid6", hot_spares=1)
    said = "raid6 needs at least 4 disk(s) besides 1 hot spare(s); 3 are left"
    assert layout_problem(raid6) == said
    assert usable_tb(raid6) == 0.0
    assert "even number" in (layout_problem(_recorder((8.0,) * 5, raid_level="raid10")) or "")


def _edit(city: Path, change: Any, file: str) -> None:
    path = city / file
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_the_layout_is_inherited_from_defaults_recorder(city_copy: Path) -> None:
    _edit(city_copy, lambda d: d["defaults"].update(recorder={"raid_level": "raid5"}), "city.yaml")
    _edit(
        city_copy,
        lambda d: d["recorders"][0].update(hot_spares=1, fs_reserve_fraction=0.05),
        f"schools/{SCHOOL}.yaml",
    )
    city = load_inventory(city_copy).city
    assert city is not None
    [nvr] = city.school(SCHOOL).recorders
    assert (nvr.raid_level, nvr.hot_spares, nvr.fs_reserve_fraction) == ("raid5", 1, 0.05)
    other = city.school("dl-zs-h024").recorders[0]
    assert (other.raid_level, other.hot_spares, other.fs_reserve_fraction) == ("raid5", 0, 0.0)


def test_validate_names_a_recorder_whose_disks_cannot_form_its_array(city_copy: Path) -> None:
    _edit(
        city_copy,
        lambda d: d["recorders"][0].update(raid_level="raid6"),
        f"schools/{SCHOOL}.yaml",
    )
    result = CliRunner().invoke(cli, ["validate", "-i", str(city_copy), "--format", "json"])
    assert result.exit_code == 1, result.output
    problems = json.loads(result.output)["problems"]
    [layout] = [p for p in problems if p["code"] == "recorder-disks"]
    assert "raid6 needs at least 4 disk(s); 3 are left" in layout["message"]
    assert layout["location"]["file"].endswith(f"{SCHOOL}.yaml")
    # With no disk left for video the recorder keeps nothing: the retention rule says so too.
    assert any(p["code"] == "retention" for p in problems)
