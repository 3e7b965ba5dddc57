"""Camera footprints: sector, blind disc and wall shadows, against hand-computed areas."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import shapely
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon, box

from provision.coverage.footprint import CameraView, footprint, sector
from provision.optics import dori_range_m, far_ground_limit_m

ROOM = box(0, 0, 10, 10)


def cam(
    x: float = 0.0,
    y: float = 0.0,
    heading: float = 45.0,
    *,
    hfov: float = 90.0,
    range_m: float = 20.0,
    height: float = 3.0,
    tilt: float = -45.0,
) -> CameraView:
    """A camera whose 'detect' range is ``range_m``.

    With a square image and HFOV 90° the VFOV is 90° too, so at tilt -45° the view runs from
    the nadir (no blind disc) to the horizon (no far ground limit), whatever the height.
    For HFOV 90°, D = W / (2·25), so W = 50·range; for 180° (fisheye) D = W / (π·25).
    """
    width = round(range_m * 25 * (math.pi if hfov >= 180 else 2 * math.tan(math.radians(hfov / 2))))
    return CameraView("cam", x, y, height, heading, tilt, hfov, width, width)


@pytest.mark.parametrize("angle", [1.0, 30.0, 90.0, 137.5, 180.0, 270.0, 359.0, 360.0, 720.0])
def test_sector_area_is_exact(angle: float) -> None:
    poly = sector(1.0, 2.0, 7.0, 33.0, angle)
    assert poly.is_valid
    assert poly.area == pytest.approx(49.0 * math.radians(min(angle, 360.0)) / 2, rel=1e-12)


def test_sector_edges_follow_heading_plus_minus_half_angle() -> None:
    # Heading 90° is north: a 90° sector spans 45°..135°.
    coords = np.asarray(sector(0, 0, 10, 90, 90).exterior.coords)
    assert tuple(coords[0]) == (0.0, 0.0)
    first, last = coords[1], coords[-2]
    assert math.degrees(math.atan2(first[1], first[0])) == pytest.approx(45.0)
    assert math.degrees(math.atan2(last[1], last[0])) == pytest.approx(135.0)


def test_sector_edges_at_right_angles_are_exact() -> None:
    # An edge along a room wall must lie exactly on it, not 1e-16 m off.
    coords = np.asarray(sector(0, 0, 5, 45, 90).exterior.coords)
    assert coords[1][1] == 0.0 and coords[-2][0] == 0.0


def test_sector_a_hair_short_of_a_full_turn_is_a_disc() -> None:
    poly = sector(0, 0, 2.0, 338.0, 359.99999999999994)
    assert poly.is_valid
    assert poly.area == pytest.approx(4 * math.pi, rel=1e-9)


def test_near_180_degree_rectilinear_lens_sees_nothing() -> None:
    # tan(89.99999999999997°) ~ 2e15: a DORI range of ~1e-15 m, below any usable size.
    fp = footprint(CameraView("c", 0, 1, 1, 0, 0, 179.99999999999994, 100, 100), "observe")
    assert fp.is_empty and fp.is_valid


def test_degenerate_sector_is_empty() -> None:
    assert sector(0, 0, 0.0, 0, 90).is_empty
    assert sector(0, 0, 5.0, 0, 0.0).is_empty


def test_heading_is_counter_clockwise_from_east() -> None:
    north = footprint(cam(heading=90.0), "detect")
    assert north.contains(Point(0, 5)) and not north.contains(Point(5, 0))
    south = footprint(cam(heading=270.0), "detect")
    assert south.contains(Point(0, -5)) and not south.contains(Point(0, 5))


def test_open_floor_footprint_is_the_sector() -> None:
    fp = footprint(cam(range_m=5.0), "detect")
    assert fp.area == pytest.approx(math.pi * 25 / 4, rel=1e-12)


def test_far_ground_limit_caps_the_radius() -> None:
    # Tilted 60° down, VFOV 90°: upper edge 15° below level, floor seen to 3/tan(15°) = 11.2 m,
    # well short of the 50 m resolution range; lower edge 105° includes the nadir.
    view = cam(range_m=50.0, tilt=-60.0)
    limit = far_ground_limit_m(3.0, -60.0, 90.0)
    assert limit == pytest.approx(3 / math.tan(math.radians(15)))
    assert footprint(view, "detect").area == pytest.approx(math.pi / 4 * limit**2, rel=1e-12)


def test_near_blind_disc_is_removed() -> None:
    # 3 m high, tilt -20°, VFOV 43°: nothing within 3/tan(41.5°) = 3.39 m is seen.
    hfov = math.degrees(2 * math.atan(math.tan(math.radians(21.5)) * 1920 / 1080))
    view = CameraView("c", 0, 0, 3.0, 90.0, -20.0, hfov, 1920, 1080)
    assert view.vfov_deg == pytest.approx(43.0, rel=1e-12)
    blind = 3.0 / math.tan(math.radians(41.5))
    fp = footprint(view, "detect")
    inside = Point(0, 0).buffer(blind * (1 - 1e-9), quad_segs=256)
    assert fp.intersection(inside).area == pytest.approx(0.0, abs=1e-9)
    # Just beyond the blind radius the full field of view is seen (up to the polygon's
    # 0.12 % covering margin on the blind disc).
    ring = (
        Point(0, 0)
        .buffer(blind * 1.1, quad_segs=256)
        .difference(Point(0, 0).buffer(blind * 1.01, quad_segs=256))
    )
    wedge = sector(0, 0, blind * 1.2, 90.0, hfov, segments_per_90=256)
    assert fp.intersection(ring).area == pytest.approx(ring.intersection(wedge).area, rel=1e-4)
    # Area: the sector out to the resolution range minus the blind part of the wedge.
    r = dori_range_m(1920, hfov, "detect")
    expected = (r**2 - blind**2) * math.radians(hfov) / 2
    assert fp.area == pytest.approx(expected, rel=1e-3)


def test_wall_across_the_room_hides_everything_beyond_it() -> None:
    # Camera at (5, 0) facing north with a 180° view.  The wall (0,5)-(10,5) subtends 45° to
    # 135° from the camera, i.e. hides every point beyond it with y ≥ |x - 5|; every room
    # point with y > 5 qualifies, so exactly the near half (50 m²) stays visible.
    view = cam(5.0, 0.0, 90.0, hfov=180.0, range_m=30.0)
    fp = footprint(view, "detect", [[(0, 5), (10, 5)]])
    assert fp.intersection(ROOM).area == pytest.approx(50.0, rel=1e-12)
    assert fp.intersection(box(0, 5, 10, 10)).area == pytest.approx(0.0, abs=1e-9)


def test_short_wall_casts_trapezoid_shadow() -> None:
    # Wall (4,5)-(6,5) seen from (5,0): shadow spans x = 5 ± y/5, i.e. 2 m wide at y = 5 and
    # 4 m wide at y = 10, a trapezoid of area (2 + 4) / 2 · 5 = 15 m² inside the room.
    view = cam(5.0, 0.0, 90.0, hfov=180.0, range_m=30.0)
    fp = footprint(view, "detect", [[(4, 5), (6, 5)]])
    assert fp.intersection(ROOM).area == pytest.approx(85.0, rel=1e-12)


def test_polyline_walls_shadow_each_segment() -> None:
    # Wall polyline (4,5)-(6,5)-(8,5) seen from (5,0): shadow between x = 5 - y/5 and
    # x = 5 + 3y/5, clipped by the room's east wall from y = 25/3.  Inside the room:
    #   ∫[5, 25/3] 4y/5 dy + ∫[25/3, 10] (5 + y/5) dy = 160/9 + 205/18 = 525/18 m².
    view = cam(5.0, 0.0, 90.0, hfov=180.0, range_m=30.0)
    fp = footprint(view, "detect", [[(4, 5), (6, 5), (8, 5)]])
    assert fp.intersection(ROOM).area == pytest.approx(100 - 525 / 18, rel=1e-12)


def test_wall_the_camera_is_mounted_on_casts_no_shadow() -> None:
    view = cam(5.0, 0.0, 90.0, hfov=180.0, range_m=30.0)
    bare = footprint(view, "detect")
    # Camera on the middle of a wall, and camera at the end of one: both collinear.
    walls = [[(0.0, 0.0), (10.0, 0.0)], [(5.0, 0.0), (5.0, -3.0)], [(12.0, 0.0), (20.0, 0.0)]]
    assert footprint(view, "detect", walls).area == pytest.approx(bare.area, rel=1e-12)


def test_wall_behind_the_camera_changes_nothing() -> None:
    view = cam(5.0, 0.0, 90.0, hfov=180.0, range_m=30.0)
    bare = footprint(view, "detect")
    assert footprint(view, "detect", [[(0, -1), (10, -1)]]).equals(bare)


def test_camera_a_millimetre_from_the_wall_it_faces_sees_nothing_behind_it() -> None:
    # The wall subtends ~179.98° (a shadow quadrilateral would need its far corners ~1e5 m
    # away); the footprint must still hide all of the room beyond the wall.
    view = cam(5.0, 4.999, 90.0, hfov=180.0, range_m=30.0)
    fp = footprint(view, "detect", [[(0, 5), (10, 5)]])
    assert fp.intersection(box(0, 5, 10, 30)).area == pytest.approx(0.0, abs=1e-9)
    assert fp.area < 0.2  # only slivers past the wall's ends, and the 1 mm strip


def test_nothing_visible_is_an_empty_polygon() -> None:
    # Tilted 50° up with a 90° VFOV: the lower edge is 5° above level, the floor is never seen.
    fp = footprint(cam(tilt=50.0), "detect")
    assert fp.is_empty and isinstance(fp, Polygon)
    # Blind disc (3/tan 45° = 3 m) wider than the 2 m range: nothing left.
    assert footprint(cam(range_m=2.0, tilt=0.0), "detect").is_empty


def test_camera_in_a_closet_sees_only_the_closet() -> None:
    # Camera at the centre of a closed 2 m × 2 m box, facing east with 90°: it sees the
    # triangle (5,5), (6,4), (6,6), of area 1 m², and nothing beyond the box.
    view = cam(5.0, 5.0, 0.0, range_m=5.0)
    walls = [[(4, 4), (6, 4), (6, 6), (4, 6), (4, 4)]]
    assert footprint(view, "detect", walls).area == pytest.approx(1.0, rel=1e-12)


def test_invalid_walls_raise() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        footprint(cam(), "detect", [[(0.0, 0.0)]])


def test_invalid_camera_raises() -> None:
    with pytest.raises(ValueError, match="hfov"):
        CameraView("c", 0, 0, 3, 0, -20, 0.0, 100, 100)
    with pytest.raises(ValueError, match="height_m"):
        CameraView("c", 0, 0, -1, 0, -20, 90.0, 100, 100)


def reals(low: float, high: float) -> st.SearchStrategy[float]:
    """Floats to 6 decimals (micrometres, micro-degrees), as plans and datasheets have them.

    Unrounded, hypothesis finds coordinates like 2e-308 or 1e-244 next to 1, on which GEOS
    overlays raise TopologyException or return wrong areas: a GEOS limit, not a plan's.
    """
    return st.floats(low, high).map(lambda v: round(v, 6))


coord = reals(-20, 20)
cameras = st.builds(
    CameraView,
    name=st.just("c"),
    x=coord,
    y=coord,
    height_m=reals(0.5, 10),
    heading_deg=reals(0, 360),
    tilt_deg=reals(-89, 10),
    hfov_deg=reals(5, 360),
    width_px=st.integers(100, 4000),
    height_px=st.integers(100, 4000),
)
segments = st.lists(st.tuples(coord, coord), min_size=2, max_size=4)


@settings(max_examples=60, deadline=None)
@given(view=cameras, walls=st.lists(segments, max_size=8))
def test_footprint_lies_inside_the_sector_disc(
    view: CameraView, walls: list[list[tuple[float, float]]]
) -> None:
    fp = footprint(view, "observe", walls)
    assert fp.is_valid
    if fp.is_empty:
        return
    radius = min(
        dori_range_m(view.width_px, view.hfov_deg, "observe"),
        far_ground_limit_m(view.height_m, view.tilt_deg, view.vfov_deg),
    )
    # Area-preserving vertices sit sqrt(step/sin step) out, step ≤ 90°/16 by default.
    step = math.radians(90 / 16)
    pts = shapely.get_coordinates(fp) - (view.x, view.y)
    assert np.hypot(pts[:, 0], pts[:, 1]).max() <= radius * math.sqrt(step / math.sin(step)) + 1e-9
    outline = sector(view.x, view.y, radius, view.heading_deg, view.hfov_deg)
    assert fp.difference(outline).area <= 1e-9 * max(1.0, outline.area)


def shadow_union_footprint(
    view: CameraView, dori: str, walls: list[list[tuple[float, float]]]
) -> shapely.Geometry:
    """Reference model, literally as specified: the open-floor footprint minus the shadow
    quadrilaterals A, B, B + (B - C)·k, A + (A - C)·k, k large enough to pass the radius
    (the far edge is AB scaled by 1 + k about C, so it is (1 + k)·dist(C, AB) > 2R away).

    The quadrilaterals are subtracted one at a time: hypothesis found 4 valid quadrilaterals
    whose ``shapely.union_all`` (GEOS 3.14.1) loses 865 m² that pairwise unions keep.
    """
    bare = footprint(view, dori)
    c = np.array([view.x, view.y])
    offsets = shapely.get_coordinates(bare) - c
    radius = float(np.hypot(offsets[:, 0], offsets[:, 1]).max()) if len(offsets) else 1.0
    for wall in walls:
        for p, q in itertools.pairwise(wall):
            a, b = np.asarray(p) - c, np.asarray(q) - c
            if abs(a[0] * b[1] - a[1] * b[0]) <= 1e-9 * np.hypot(*a) * np.hypot(*b):
                continue  # collinear with, or lying on, the segment: no area shadow
            k = 2 * radius / LineString([p, q]).distance(Point(c)) + 1
            bare = bare.difference(Polygon([p, q, c + b * (1 + k), c + a * (1 + k)]))
    return bare


def test_crossing_walls_match_the_shadow_union_model() -> None:
    # An X of walls and a T-junction in front of a 120° camera: the nearest wall changes
    # where the walls cross, which the sweep must pick up.
    view = CameraView("x", 0, 0, 3, 90, -30, 120, 1920, 1080)
    walls: list[list[tuple[float, float]]] = [
        [(-4, 3), (4, 7)],
        [(-4, 7), (4, 3)],
        [(2, 2), (2, 4.5)],
        [(-6, 9), (6, 9)],
    ]
    expected = shadow_union_footprint(view, "detect", walls)
    got = footprint(view, "detect", walls)
    assert got.symmetric_difference(expected).area < 1e-9
    assert got.area == pytest.approx(expected.area, rel=1e-9)


@pytest.mark.parametrize(
    ("view", "walls"),
    [
        # Found by hypothesis: where two walls cross, the vertices just before and after the
        # crossing ray formed a 1e-16 m bow-tie, and the repair dropped the whole footprint.
        (
            CameraView("c", -1.0, 2.178, 0.5, 0.5, 0.0, 274.0, 792, 100),
            [[(2.0, 1.25), (0.0, 9.0)], [(0.0, 8.0), (-7.0, -5.0), (16.362, 6.0), (-5.973, 4.5)]],
        ),
        # Found by fuzzing: a 360° view's ring closes on two copies of the 0°/360° vertex.
        (
            CameraView("c", -6.503, -2.798, 2.548, 223.891, -8.73, 360.0, 3225, 3424),
            [[(1.965, 8.853), (6.725, 12.187), (-6.513, 8.243), (-7.549, 3.926)]],
        ),
    ],
)
def test_regressions_match_the_shadow_union_model(
    view: CameraView, walls: list[list[tuple[float, float]]]
) -> None:
    got = footprint(view, "observe", walls)
    expected = shadow_union_footprint(view, "observe", walls)
    assert got.is_valid and got.area > 1.0
    assert got.symmetric_difference(expected).area < 1e-9


def sight_blocked(
    c: np.ndarray, pts: np.ndarray, walls: list[list[tuple[float, float]]]
) -> np.ndarray:
    """For each point P, whether the sight line C→P properly crosses a wall segment.

    Like the footprint, it ignores walls whose line passes through C (|sin| of the angle
    they subtend ≤ 1e-12): a camera on a wall is not hidden by it.
    """
    segs = np.array([pair for wall in walls for pair in itertools.pairwise(wall)], dtype=float)

    def cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]

    ca, cb = segs[:, 0] - c, segs[:, 1] - c
    on_line = np.abs(cross(ca, cb)) <= 1e-12 * np.hypot(*ca.T) * np.hypot(*cb.T)
    a, b = segs[~on_line, 0], segs[~on_line, 1]
    sight = (pts - c)[:, None]
    o1, o2 = cross(sight, a - c), cross(sight, b - c)
    o3, o4 = cross(b - a, c - a), cross(b - a, pts[:, None] - a)
    return ((o1 * o2 < 0) & (o3 * o4 < 0)).any(axis=1)


@settings(max_examples=60, deadline=None)
@given(
    view=cameras,
    walls=st.lists(segments, min_size=1, max_size=10),
    seed=st.integers(0, 2**32 - 1),
)
def test_footprint_is_what_the_camera_has_line_of_sight_to(
    view: CameraView, walls: list[list[tuple[float, float]]], seed: int
) -> None:
    # Independent of GEOS overlays (which the shadow-union model above relies on, and which
    # hypothesis showed mis-computing on duplicated walls): sample the open-floor footprint;
    # a point must be in the footprint iff no wall crosses its sight line.  Points within
    # 1e-6 m of an edge, or whose sight line grazes a wall's end, are too close to call.
    bare = footprint(view, "observe")
    assume(not bare.is_empty)
    got = footprint(view, "observe", walls)
    assert got.is_valid
    minx, miny, maxx, maxy = bare.bounds
    pts = np.random.default_rng(seed).uniform((minx, miny), (maxx, maxy), size=(400, 2))
    pts = pts[shapely.contains_xy(bare, pts[:, 0], pts[:, 1])]
    c = np.array([view.x, view.y])
    points = shapely.points(pts)
    wall_lines = shapely.multilinestrings([LineString(w) for w in walls])
    wall_ends = shapely.multipoints([p for w in walls for p in w])
    sights = shapely.linestrings(np.stack((np.broadcast_to(c, pts.shape), pts), axis=1))
    clear = (
        # (The distance to an empty footprint's boundary is NaN: nothing to be close to.)
        (np.nan_to_num(shapely.distance(points, got.boundary), nan=np.inf) > 1e-6)
        & (shapely.distance(points, wall_lines) > 1e-6)
        & (shapely.distance(sights, wall_ends) > 1e-6)
    )
    inside = shapely.contains_xy(got, pts[:, 0], pts[:, 1])
    visible = ~sight_blocked(c, pts, walls)
    assert (inside == visible)[clear].all()
