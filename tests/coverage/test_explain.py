"""A blind spot names the camera nearest to covering it, why it misses, and what to change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from provision.cli.main import cli
from provision.coverage.explain import (
    BLIND_DISC,
    DORI_RANGE,
    FIELD_OF_VIEW,
    NO_CAMERA,
    WALL,
    explain_spot,
)
from provision.coverage.footprint import CameraView

# East-facing, 90° view, 3 m up, tilted 15° down: observe range 2560 / (2 × 62.5) = 20.5 m.
EAST = CameraView("east", 0, 0, 3, 0, -15, 90, 2560, 1440)


def _square(x: float, y: float) -> list[tuple[float, float]]:
    return [(x, y), (x + 1, y), (x + 1, y + 1), (x, y + 1)]


@pytest.mark.parametrize(
    ("spot", "walls", "cause", "words"),
    [
        (_square(5, 10), (), FIELD_OF_VIEW, "turn it"),
        (_square(40, 0), (), DORI_RANGE, "resolves observe to 20.5 m"),
        (_square(0.5, -0.5), (), BLIND_DISC, "blind disc under east"),
        (_square(10, 0), ([(5, -5), (5, 5)],), WALL, "wall from (5, -5) to (5, 5)"),
    ],
)
def test_each_cause_is_named_with_its_camera_and_a_fix(spot, walls, cause, words) -> None:
    why = explain_spot(spot, [EAST], "observe", walls)
    assert (why.camera, why.cause) == ("east", cause)
    assert words in why.hint


def test_the_turn_suggested_brings_the_spot_into_view() -> None:
    why = explain_spot(_square(5, 10), [EAST], "observe")
    turned = int(why.hint.split("heading 0 → ")[1].split(",")[0])
    again = explain_spot(
        _square(5, 10), [CameraView("east", 0, 0, 3, turned, -15, 90, 2560, 1440)], "observe"
    )
    assert again.cause != FIELD_OF_VIEW


def test_the_camera_that_misses_by_least_is_chosen() -> None:
    away = CameraView("away", 0, 0, 3, 180, -15, 90, 2560, 1440)  # faces west, spot is east
    near_miss = CameraView("near", 0, 0, 3, 0, -15, 90, 1280, 720)  # faces it, range too short
    why = explain_spot(_square(15, 0), [away, near_miss], "observe")
    assert (why.camera, why.cause) == ("near", DORI_RANGE)


def test_an_area_without_cameras_says_so() -> None:
    why = explain_spot(_square(5, 5), [], "observe", area="gate")
    assert (why.camera, why.cause) == (None, NO_CAMERA)
    assert "'gate'" in why.hint


def test_validate_names_the_camera_and_the_cause(city_copy: Path) -> None:
    school = city_copy / "schools" / "dl-xg-k003.yaml"
    text = school.read_text(encoding="utf-8")
    aimed = "mount: {x: 26, y: 9, height: 3.5, heading: 270, tilt: -15}"
    assert aimed in text
    school.write_text(text.replace(aimed, aimed.replace("270", "230")), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", "-i", str(city_copy), "--format", "json"])
    assert result.exit_code == 1, result.output
    problems = [p for p in json.loads(result.stdout)["problems"] if p["code"] == "coverage"]
    gate = next(p for p in problems if p["yaml_path"].startswith("site.areas[0].zones[0]"))
    assert "outside gate-face's field of view" in gate["message"]
    assert "heading 230 → " in gate["message"]


def test_a_camera_looking_above_the_horizon_is_told_to_tilt_down() -> None:
    up = CameraView("up", 0, 0, 3, 0, 40, 90, 2560, 1440)  # 40° up: the view misses the floor
    why = explain_spot(_square(5, 0), [up], "observe")
    assert (why.camera, why.cause) == ("up", BLIND_DISC)
    assert "never sees the floor at tilt 40°" in why.hint and "inf" not in why.hint
