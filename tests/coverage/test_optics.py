"""Lens/mounting optics, checked against values worked out by hand."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from provision.optics import (
    DORI_PPM,
    dori_range_m,
    far_ground_limit_m,
    hfov_from_lens,
    near_blind_radius_m,
    vfov_from_hfov,
)


def test_dori_table_is_iec_62676_4() -> None:
    # IEC 62676-4:2014 levels, loosest first (provision/standards.py cites the sources)
    assert DORI_PPM == {
        "monitor": 12.5,
        "detect": 25,
        "observe": 62.5,
        "recognise": 125,
        "identify": 250,
    }
    assert list(DORI_PPM) == sorted(DORI_PPM, key=DORI_PPM.__getitem__)


def test_hfov_of_4mm_lens_on_third_inch_sensor() -> None:
    # 2·atan(5.57 / 8) = 2·34.85° = 69.70°
    hfov = hfov_from_lens(4.0, 5.57)
    assert hfov == pytest.approx(math.degrees(2 * math.atan(5.57 / 8)), rel=1e-12)
    assert hfov == pytest.approx(69.70, abs=0.005)


def test_dori_ranges_of_1080p_with_4mm_lens() -> None:
    # D = 1920 / (2·tan(34.85°)·ppm) = 1920 / (1.3925·ppm)
    hfov = hfov_from_lens(4.0, 5.57)
    got = {level: dori_range_m(1920, hfov, level) for level in DORI_PPM}
    for level, ppm in DORI_PPM.items():
        assert got[level] == pytest.approx(1920 / (2 * (5.57 / 8) * ppm), rel=1e-12)
    assert round(got["identify"], 1) == 5.5
    assert round(got["recognise"]) == 11
    assert round(got["observe"]) == 22
    assert round(got["detect"]) == 55
    assert round(got["monitor"]) == 110


def test_dori_range_of_90_degree_lens_is_width_over_two_ppm() -> None:
    # tan(45°) = 1, so D = W / (2·ppm): 1000 px at 25 ppm -> 20 m.
    assert dori_range_m(1000, 90.0, "detect") == pytest.approx(20.0, rel=1e-12)


def test_fisheye_dori_range_uses_pixels_per_radian() -> None:
    # A 360° fisheye spreads 2000 px over 2π rad: at D m that is 2000 / (2π·D) px/m.
    assert dori_range_m(2000, 360.0, "detect") == pytest.approx(2000 / (2 * math.pi * 25))


def test_unknown_dori_lists_the_valid_levels() -> None:
    with pytest.raises(ValueError, match="unknown DORI level 'recognize'") as err:
        dori_range_m(1920, 90.0, "recognize")
    for level in DORI_PPM:
        assert level in str(err.value)


@pytest.mark.parametrize(
    ("hfov", "w", "h", "expected"),
    [
        (90.0, 1000, 1000, 90.0),
        # 16:9 at 90°: 2·atan(9/16) = 58.72°, not the linear 50.6°.
        (90.0, 1920, 1080, math.degrees(2 * math.atan(1080 / 1920))),
        (60.0, 1280, 1280, 60.0),
        # Fisheye (≥ 180°) scales linearly and is capped at 180°.
        (180.0, 2000, 1000, 90.0),
        (360.0, 2000, 2000, 180.0),
    ],
)
def test_vfov_from_hfov(hfov: float, w: int, h: int, expected: float) -> None:
    assert vfov_from_hfov(hfov, w, h) == pytest.approx(expected, rel=1e-12)


def test_near_blind_radius_worked_example() -> None:
    # 3 m high, tilted 20° down, 43° vertical view: lower edge 20 + 21.5 = 41.5° below level.
    assert near_blind_radius_m(3.0, -20.0, 43.0) == pytest.approx(
        3.0 / math.tan(math.radians(41.5)), rel=1e-12
    )
    assert near_blind_radius_m(3.0, -20.0, 43.0) == pytest.approx(3.3909, abs=1e-4)


def test_near_blind_radius_is_zero_when_view_includes_nadir() -> None:
    assert near_blind_radius_m(3.0, -45.0, 90.0) == 0.0
    assert near_blind_radius_m(3.0, -70.0, 60.0) == 0.0


def test_near_blind_radius_is_infinite_when_view_misses_the_ground() -> None:
    assert near_blind_radius_m(3.0, 30.0, 40.0) == math.inf
    assert near_blind_radius_m(3.0, 20.0, 40.0) == math.inf  # lower edge exactly level


def test_far_ground_limit() -> None:
    # Tilted 60° down with 40° vertical view: upper edge 40° below level.
    assert far_ground_limit_m(3.0, -60.0, 40.0) == pytest.approx(
        3.0 / math.tan(math.radians(40.0)), rel=1e-12
    )
    # Upper edge above the horizon (20 - 21.5 < 0): the floor runs out of sight.
    assert far_ground_limit_m(3.0, -20.0, 43.0) == math.inf
    assert far_ground_limit_m(3.0, -45.0, 90.0) == math.inf  # upper edge exactly level
    assert far_ground_limit_m(3.0, -120.0, 40.0) == 0.0  # looking back past the nadir


@pytest.mark.parametrize(
    "call",
    [
        lambda: hfov_from_lens(0.0, 5.0),
        lambda: hfov_from_lens(4.0, -1.0),
        lambda: vfov_from_hfov(0.0, 10, 10),
        lambda: vfov_from_hfov(90.0, 0, 10),
        lambda: dori_range_m(0, 90.0, "detect"),
        lambda: dori_range_m(100, 400.0, "detect"),
        lambda: near_blind_radius_m(-1.0, -20.0, 40.0),
        lambda: far_ground_limit_m(3.0, math.nan, 40.0),
        lambda: far_ground_limit_m(3.0, -20.0, 0.0),
    ],
)
def test_invalid_inputs_raise(call: Callable[[], float]) -> None:
    with pytest.raises(ValueError):
        call()


def test_the_schema_offers_exactly_the_dori_levels() -> None:
    import json
    from pathlib import Path

    import provision.schemas

    common = Path(provision.schemas.__file__).with_name("common.schema.json")
    schema = json.loads(common.read_text(encoding="utf-8"))
    assert schema["$defs"]["dori"]["enum"] == list(DORI_PPM)
