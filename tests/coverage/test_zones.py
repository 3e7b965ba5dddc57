"""Zone coverage ratios, blind spots and polygon checks, against hand-computed cases."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from provision.coverage import zones as zones_mod
from provision.coverage.footprint import CameraView, footprint
from provision.coverage.zones import (
    BlindSpot,
    ZoneCoverage,
    area_coverage,
    coverage_of_zone,
    polygon_problem,
)

ROOM = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
QUARTER_5M = math.pi * 25 / 4


def corner_cam(
    name: str = "corner", x: float = 0.0, y: float = 0.0, heading: float = 45.0, *, range_m: float
) -> CameraView:
    """90° camera whose 'detect' range is ``range_m`` (W = 2·tan 45°·25·range = 50·range).

    Square image, so VFOV is 90° too; tilted 45° down, its view runs from the nadir (no blind
    disc) to the horizon (no far ground limit), so the footprint is exactly the sector.
    """
    width = round(50 * range_m)
    return CameraView(name, x, y, 3.0, heading, -45.0, 90.0, width, width)


def test_corner_camera_beyond_the_room_covers_all_of_it() -> None:
    fp = footprint(corner_cam(range_m=20.0), "detect")
    cov = coverage_of_zone("room", ROOM, {"corner": fp})
    assert cov.area_m2 == 100.0
    assert cov.covered_m2 == pytest.approx(100.0, rel=1e-12)
    assert cov.ratio == pytest.approx(1.0, rel=1e-12)
    assert cov.blind_spots == ()
    assert cov.covered_by == ("corner",)


def test_corner_camera_with_5m_range_leaves_the_far_part_blind() -> None:
    fp = footprint(corner_cam(range_m=5.0), "detect")
    cov = coverage_of_zone("room", ROOM, {"corner": fp})
    assert cov.covered_m2 == pytest.approx(QUARTER_5M, rel=1e-12)
    assert cov.ratio == pytest.approx(QUARTER_5M / 100, rel=1e-12)
    (spot,) = cov.blind_spots
    assert spot.area_m2 == pytest.approx(100 - QUARTER_5M, rel=1e-12)
    # By symmetry the centroid is on the diagonal, at (500 - 25π/4 · 20/(3π)) / (100 - 25π/4)
    # = 5.703 for a true quarter disc; it lies beyond x + y = 10, in the far half.
    cx, cy = spot.centroid
    assert cx == pytest.approx(cy, abs=1e-3)
    assert cx == pytest.approx((500 - 125 / 3) / (100 - QUARTER_5M), abs=2e-3)
    assert cx + cy > 10
    assert (10.0, 10.0) in spot.polygon and (0.0, 0.0) not in spot.polygon
    assert spot.polygon[0] != spot.polygon[-1]  # open ring


def test_two_corner_cameras_add_up() -> None:
    fps = {
        "sw": footprint(corner_cam("sw", range_m=5.0), "detect"),
        "ne": footprint(corner_cam("ne", 10.0, 10.0, 225.0, range_m=5.0), "detect"),
        "far": footprint(corner_cam("far", 50.0, 50.0, range_m=5.0), "detect"),
    }
    cov = coverage_of_zone("room", ROOM, fps)
    assert cov.covered_m2 == pytest.approx(2 * QUARTER_5M, rel=1e-12)
    assert cov.covered_by == ("sw", "ne")
    (spot,) = cov.blind_spots  # the band between the two quarter discs is one region
    assert spot.area_m2 == pytest.approx(100 - 2 * QUARTER_5M, rel=1e-12)


def test_blind_spots_are_largest_first_and_small_ones_dropped() -> None:
    # A strip x ∈ [2, 4] leaves gaps of 20 m² (west) and 60 m² (east).  A 0.2 m × 0.2 m gap
    # (0.04 m²) is below the default 0.05 m² threshold, but kept with a lower one.
    strip = box(2, 0, 4, 10)
    cov = coverage_of_zone("room", ROOM, {"a": strip})
    assert [s.area_m2 for s in cov.blind_spots] == pytest.approx([60.0, 20.0], rel=1e-12)
    assert cov.blind_spots[0].centroid == (7.0, 5.0)
    tiny = coverage_of_zone("room", ROOM, {"a": box(0, 0, 9.8, 10), "b": box(9.8, 0.2, 10, 10)})
    assert tiny.blind_spots == ()
    assert tiny.ratio == pytest.approx(1 - 0.04 / 100, rel=1e-12)
    fps = {"a": box(0, 0, 9.8, 10), "b": box(9.8, 0.2, 10, 10)}
    kept = coverage_of_zone("room", ROOM, fps, min_blind_spot_m2=0.01)
    (spot,) = kept.blind_spots
    assert spot.area_m2 == pytest.approx(0.04, rel=1e-9)
    assert sorted(spot.polygon) == [(9.8, 0.0), (9.8, 0.2), (10.0, 0.0), (10.0, 0.2)]


def test_touching_camera_is_not_listed_and_no_cameras_means_all_blind() -> None:
    cov = coverage_of_zone("room", ROOM, {"next-door": box(10, 0, 20, 10)})
    assert cov.covered_by == () and cov.ratio == 0.0
    mixed = coverage_of_zone("room", ROOM, {"next-door": box(10, 0, 20, 10), "s": box(2, 0, 4, 10)})
    assert mixed.covered_by == ("s",) and mixed.ratio == pytest.approx(0.2, rel=1e-12)
    empty = coverage_of_zone("room", ROOM, {})
    assert empty.ratio == 0.0 and empty.covered_m2 == 0.0
    assert [s.area_m2 for s in empty.blind_spots] == [100.0]


def test_zone_may_be_a_shapely_polygon_or_a_closed_ring() -> None:
    fp = {"a": box(0, 0, 5, 10)}
    for zone in (Polygon(ROOM), [*ROOM, ROOM[0]]):
        assert coverage_of_zone("room", zone, fp).ratio == pytest.approx(0.5, rel=1e-12)


def test_invalid_zone_raises_with_its_name() -> None:
    with pytest.raises(ValueError, match=r"zone 'hall' edges cross near \(0.5, 0.5\)"):
        coverage_of_zone("hall", [(0, 0), (1, 1), (1, 0), (0, 1)], {})


def test_polygon_problem_messages() -> None:
    assert polygon_problem(ROOM) is None
    assert polygon_problem([(0, 0), (1, 1), (1, 0), (0, 1)]) == "edges cross near (0.5, 0.5)"
    assert polygon_problem([(0, 0), (1, 1)]) == "has 2 points; a polygon needs at least 3"
    assert polygon_problem([(0, 0), (1, 1), (0, 0)]) == "has 2 points; a polygon needs at least 3"
    assert polygon_problem([(0, 0), (1, 1), (2, 2), (3, 3)]) == "has zero area"
    assert polygon_problem([]) == "has 0 points; a polygon needs at least 3"
    assert polygon_problem([(0, 0), (1, math.nan), (1, 1)]) == "has non-finite coordinates"


def test_area_coverage_computes_each_needed_footprint_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[str, str]] = []
    real = zones_mod.area_footprints

    def counting(jobs: list[tuple[CameraView, str]], segs: object) -> object:
        calls.extend((cam.name, dori) for cam, dori in jobs)
        return real(jobs, segs)  # type: ignore[arg-type]

    monkeypatch.setattr(zones_mod, "area_footprints", counting)
    cams = [corner_cam("sw", range_m=5.0), corner_cam("ne", 10.0, 10.0, 225.0, range_m=5.0)]
    zones = [
        ("room", ROOM, "detect"),
        ("west", [(0, 0), (5, 0), (5, 10), (0, 10)], "detect"),
        ("door", [(0, 0), (1, 0), (1, 1), (0, 1)], "identify"),
    ]
    result = area_coverage(zones, cams, [])
    # 'ne' at (10, 10) cannot reach the door at 'identify' (0.5 m range): not computed.
    assert sorted(calls) == [("ne", "detect"), ("sw", "detect"), ("sw", "identify")]
    assert [z.zone_id for z in result] == ["room", "west", "door"]
    assert result[0].ratio == pytest.approx(2 * QUARTER_5M / 100, rel=1e-12)
    # At 'identify' (250 ppm) the range is a tenth: 0.5 m, a quarter disc of π/16 m².
    assert result[2].covered_m2 == pytest.approx(math.pi / 16, rel=1e-12)
    assert result[2].covered_by == ("sw",)


def test_area_coverage_walls_and_errors() -> None:
    cams = [CameraView("n", 5, 0, 3, 90, -45, 180, 2400, 2400)]
    (cov,) = area_coverage([("room", ROOM, "detect")], cams, [[(0, 5), (10, 5)]])
    assert cov.ratio == pytest.approx(0.5, rel=1e-12)
    assert cov.blind_spots[0].area_m2 == pytest.approx(50.0, rel=1e-12)
    with pytest.raises(ValueError, match=r"unknown DORI level 'spot'.*detect, observe"):
        area_coverage([("room", ROOM, "spot")], cams, [])
    with pytest.raises(ValueError, match="duplicate camera names: n"):
        area_coverage([("room", ROOM, "detect")], cams * 2, [])


def test_result_types_are_frozen() -> None:
    spot = BlindSpot(1.0, (0.0, 0.0), [(0.0, 0.0)])
    with pytest.raises(AttributeError):
        spot.area_m2 = 2.0  # type: ignore[misc]
    assert ZoneCoverage("z", 1.0, 0.0, 0.0, ()).covered_by == ()


# --- properties ---------------------------------------------------------------------------


def reals(low: float, high: float) -> st.SearchStrategy[float]:
    """Floats to 6 decimals (micrometres, micro-degrees), as plans and datasheets have them.

    Unrounded, hypothesis finds coordinates like 2e-308 or 1e-244 next to 1, on which GEOS
    overlays raise TopologyException or return wrong areas: a GEOS limit, not a plan's.
    """
    return st.floats(low, high).map(lambda v: round(v, 6))


coord = reals(-5, 15)
cameras = st.builds(
    CameraView,
    name=st.uuids().map(str),
    x=coord,
    y=coord,
    height_m=reals(0.5, 8),
    heading_deg=reals(0, 360),
    tilt_deg=reals(-89, 0),
    hfov_deg=reals(10, 360),
    width_px=st.integers(200, 4000),
    height_px=st.integers(200, 4000),
)
walls = st.lists(st.lists(st.tuples(coord, coord), min_size=2, max_size=3), max_size=5)
zone_boxes = st.tuples(reals(0, 9), reals(0, 9), reals(0.5, 10), reals(0.5, 10))
levels = st.sampled_from(["detect", "observe", "recognise", "identify"])


def as_zone(spec: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    x, y, w, h = spec
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]


@settings(max_examples=60, deadline=None)
@given(zone=zone_boxes, cams=st.lists(cameras, max_size=4), ws=walls, dori=levels)
def test_ratio_is_between_0_and_1(
    zone: tuple[float, float, float, float],
    cams: list[CameraView],
    ws: list[list[tuple[float, float]]],
    dori: str,
) -> None:
    (cov,) = area_coverage([("z", as_zone(zone), dori)], cams, ws)
    assert 0.0 <= cov.ratio <= 1.0
    assert cov.covered_m2 <= cov.area_m2
    assert sum(s.area_m2 for s in cov.blind_spots) <= cov.area_m2 - cov.covered_m2 + 1e-6


@settings(max_examples=60, deadline=None)
@given(zone=zone_boxes, cams=st.lists(cameras, max_size=3), extra=cameras, ws=walls)
def test_adding_a_camera_never_lowers_coverage(
    zone: tuple[float, float, float, float],
    cams: list[CameraView],
    extra: CameraView,
    ws: list[list[tuple[float, float]]],
) -> None:
    extra = dataclasses.replace(extra, name="extra")
    (before,) = area_coverage([("z", as_zone(zone), "observe")], cams, ws)
    (after,) = area_coverage([("z", as_zone(zone), "observe")], [*cams, extra], ws)
    assert after.covered_m2 >= before.covered_m2 - 1e-9
    assert set(before.covered_by) <= set(after.covered_by)


@settings(max_examples=60, deadline=None)
@given(zone=zone_boxes, cams=st.lists(cameras, min_size=1, max_size=3), ws=walls, wall=walls)
def test_adding_a_wall_never_raises_coverage(
    zone: tuple[float, float, float, float],
    cams: list[CameraView],
    ws: list[list[tuple[float, float]]],
    wall: list[list[tuple[float, float]]],
) -> None:
    (before,) = area_coverage([("z", as_zone(zone), "observe")], cams, ws)
    (after,) = area_coverage([("z", as_zone(zone), "observe")], cams, [*ws, *wall])
    assert after.covered_m2 <= before.covered_m2 + 1e-9


def test_sharing_one_sight_sweep_across_levels_changes_no_result() -> None:
    """Footprints at several DORI levels reuse each camera's line-of-sight region; the result
    must equal footprints computed one by one."""
    walls = [[(3.0, 2.0), (3.0, 8.0)], [(6.0, 0.0), (6.0, 4.0), (8.0, 4.0)]]
    cams = [corner_cam("sw", range_m=40.0), corner_cam("ne", 10.0, 10.0, 225.0, range_m=40.0)]
    zones = [(f"room-{level}", ROOM, level) for level in ("identify", "observe", "detect")]
    shared = area_coverage(zones, cams, walls)
    for cov, (_, polygon, level) in zip(shared, zones, strict=True):
        alone = {c.name: footprint(c, level, walls) for c in cams}
        assert cov.covered_m2 == pytest.approx(
            coverage_of_zone(cov.zone_id, polygon, alone).covered_m2, rel=1e-9
        )
