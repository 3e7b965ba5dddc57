"""Floor-plan footprint of a camera: what ground it sees, at a given DORI level.

The footprint is a circular sector (apex at the camera, opening angle = horizontal field of
view, radius = how far the image is still sharp enough for the DORI level, or how far the
tilted view reaches the floor, whichever is nearer) minus the disc under the camera that the
view misses, minus the shadow of every opaque wall.  It is a 2-D plan model: walls are
full-height, the floor is flat, and people are treated as points on the floor.

What a camera sees past the walls is found by a vectorised angular sweep (numpy), and only
two shapely overlays follow, so a camera among 50 wall segments costs ~0.2-0.4 ms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from provision import optics

__all__ = ["CameraView", "footprint", "sector"]

#: Wall polylines: each a list of at least 2 (x, y) points.
Walls: TypeAlias = Sequence[Sequence[tuple[float, float]]]

#: Segments of the polygon that stands in for the blind disc under a camera.
_DISC_SEGMENTS = 64
#: A blind radius below this (metres) is float noise from a view that just reaches nadir.
_MIN_BLIND_M = 1e-9
#: A view radius below this (metres; e.g. a near-180° rectilinear lens) sees nothing usable,
#: and a sector that small collapses to an invalid polygon in floating point.
_MIN_RADIUS_M = 1e-6
#: Views this wide are a full turn: a sector 1e-13° short of it has a zero-width slit at the
#: apex, which GEOS rejects as a self-intersection.
_FULL_TURN_DEG = 360.0 - 1e-9
#: |sin| of the angle a wall subtends at the camera below which the camera is taken to be on
#: the wall's line (mounted on it, or looking along it): no area shadow, so it is skipped.
_COLLINEAR_SIN = 1e-12
#: Wall-endpoint angles closer than this (radians) are merged: float noise, not a gap.
_MIN_GAP_RAD = 1e-12


@dataclass(frozen=True, slots=True)
class CameraView:
    """Where a camera is, where it points, and what its sensor resolves.

    Plan coordinates ``x``/``y`` are metres.  ``heading_deg`` is measured counter-clockwise
    from the plan's +x axis (east): 0 is east, 90 north, 180 west, 270 south, the usual
    mathematical convention, so headings drop straight into ``cos``/``sin``.  ``tilt_deg`` is
    negative when the camera points down.  ``height_m`` is the mounting height above the
    floor; ``width_px``/``height_px`` are the stream resolution that the DORI levels use.
    """

    name: str
    x: float
    y: float
    height_m: float
    heading_deg: float
    tilt_deg: float
    hfov_deg: float
    width_px: int
    height_px: int

    def __post_init__(self) -> None:
        # Fail when a site file is loaded, not deep inside the geometry.
        for field in ("x", "y", "height_m", "heading_deg", "tilt_deg", "hfov_deg"):
            if not math.isfinite(getattr(self, field)):
                raise ValueError(f"camera {self.name!r}: {field} must be finite")
        if self.height_m < 0:
            raise ValueError(f"camera {self.name!r}: height_m must not be negative")
        if not 0.0 < self.hfov_deg <= 360.0:
            raise ValueError(f"camera {self.name!r}: hfov_deg must be in (0, 360]")
        if self.width_px <= 0 or self.height_px <= 0:
            raise ValueError(f"camera {self.name!r}: image size must be positive")

    @property
    def vfov_deg(self) -> float:
        """Vertical field of view implied by the HFOV and the image aspect ratio."""
        return optics.vfov_from_hfov(self.hfov_deg, self.width_px, self.height_px)


def _cos_sin_deg(deg: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """cos and sin of angles in degrees, exact at multiples of 90°.

    ``cos(radians(90))`` is 6e-17, not 0: a sector edge meant to run along a room wall would
    then leave a 1e-16 m sliver that glues the corner to a blind spot's outline.
    """
    rad = np.radians(deg)
    cos, sin = np.cos(rad), np.sin(rad)
    square = np.mod(deg, 90.0) == 0.0
    quarter = np.mod(np.floor_divide(deg[square], 90.0), 4.0).astype(int)
    cos[square] = np.array([1.0, 0.0, -1.0, 0.0])[quarter]
    sin[square] = np.array([0.0, 1.0, 0.0, -1.0])[quarter]
    return cos, sin


def sector(
    x: float,
    y: float,
    radius: float,
    heading_deg: float,
    angle_deg: float,
    segments_per_90: int = 16,
) -> Polygon:
    """Polygon with exactly the area of a circular sector (a full disc if angle ≥ 360°).

    The arc is approximated by N chords of angle θ/N each.  A polygon through points on the
    arc would lose area, so coverage ratios would be biased low and hand-computed cases
    would never match; the arc vertices are therefore placed at radius
    ``r·sqrt((θ/N)/sin(θ/N))``, which makes the polygon's area ``r²θ/2`` exactly.  The
    straight edges stay exactly along ``heading ± angle/2``.
    """
    if segments_per_90 < 1:
        raise ValueError(f"segments_per_90 must be at least 1, got {segments_per_90}")
    if not (radius > 0 and angle_deg > 0):
        return Polygon()
    full = angle_deg >= _FULL_TURN_DEG
    angle = 360.0 if full else angle_deg
    # At least one chord per 90°, so that no chord spans 180° (where sin(θ/N) = 0).
    n = max(math.ceil(segments_per_90 * angle / 90.0), math.ceil(angle / 90.0), 3 if full else 1)
    step = math.radians(angle) / n
    scaled = radius * math.sqrt(step / math.sin(step))
    theta = heading_deg - angle / 2.0 + (angle / n) * np.arange(n if full else n + 1, dtype=float)
    cos, sin = _cos_sin_deg(theta)
    ring = np.column_stack((x + scaled * cos, y + scaled * sin))
    if not full:
        ring = np.vstack(([x, y], ring))
    return Polygon(ring)


def _covering_disc(x: float, y: float, radius: float) -> Polygon:
    """Polygon that contains the whole disc (vertices at r / cos(step/2)).

    Used for the blind disc: an area-preserving polygon would leave slivers of the true
    blind disc counted as seen, and an audit must not over-report coverage.
    """
    step = 2.0 * math.pi / _DISC_SEGMENTS
    outer = radius / math.cos(step / 2.0)
    theta = step * np.arange(_DISC_SEGMENTS)
    return Polygon(np.column_stack((x + outer * np.cos(theta), y + outer * np.sin(theta))))


def wall_segments(walls: Walls) -> NDArray[np.float64]:
    """All opaque segments of the wall polylines as an ``(n, 2, 2)`` array.

    Computing this once per site lets :func:`provision.coverage.zones.area_coverage` reuse
    it for every camera.
    """
    parts: list[NDArray[np.float64]] = []
    for i, wall in enumerate(walls):
        pts = np.asarray(wall, dtype=float)
        if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 2:
            raise ValueError(f"wall #{i} must be a list of at least 2 (x, y) points")
        if not np.isfinite(pts).all():
            raise ValueError(f"wall #{i} has non-finite coordinates")
        parts.append(np.stack((pts[:-1], pts[1:]), axis=1))
    return np.concatenate(parts) if parts else np.empty((0, 2, 2))


def _cross(u: NDArray[np.float64], v: NDArray[np.float64]) -> NDArray[np.float64]:
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


def _visible_region(
    c: NDArray[np.float64], segs: NDArray[np.float64], start_deg: float, span_deg: float, far: float
) -> BaseGeometry | None:
    """Star-shaped polygon of what C sees past the wall segments, within an angular span.

    It is the plane minus the shadow of every segment (the region behind AB between the rays
    C→A and C→B), built by an angular sweep because a GEOS union of dozens of long, thin,
    overlapping shadow polygons costs 1-2 ms where this costs ~0.2 ms.  The nearest wall only
    changes at a wall endpoint or crossing, so between consecutive such angles the middle ray
    finds it and the boundary is that wall between the two bounding rays; with no wall, it is
    a chord at ``far`` (steps ≤ 45° keep chords beyond far·cos 22.5°).  Segments collinear
    with C cast no area shadow and are skipped; None if no segment is left.
    """
    a = segs[:, 0] - c
    e = segs[:, 1] - segs[:, 0]
    b = a + e
    la, lb = np.hypot(a[:, 0], a[:, 1]), np.hypot(b[:, 0], b[:, 1])
    keep = np.abs(_cross(a, b)) > _COLLINEAR_SIN * la * lb
    a, e, b = a[keep], e[keep], b[keep]
    if not len(a):
        return None
    full = span_deg >= _FULL_TURN_DEG
    span, start = (2 * math.pi if full else math.radians(span_deg)), math.radians(start_deg)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Pairwise crossings: a + t·e of wall i on wall j at parameter u.
        den = _cross(e[:, None], e[None, :])
        d = a[None, :] - a[:, None]
        t, u = _cross(d, e[None, :]) / den, _cross(d, e[:, None]) / den
        crossing = (den != 0) & (t > 0) & (t < 1) & (u > 0) & (u < 1)
        rows = np.nonzero(crossing)[0]
        pts = np.concatenate((a, b, a[rows] + t[crossing][:, None] * e[rows]))
        phi = np.mod(np.arctan2(pts[:, 1], pts[:, 0]) - start, 2 * math.pi)
        steps = np.linspace(0.0, span, max(2, math.ceil(span / (math.pi / 4)) + 1))
        angles = np.unique(np.concatenate((phi[phi < span], steps)))
        angles = angles[np.concatenate(([True], np.diff(angles) > _MIN_GAP_RAD))]
        angles[-1] = span
        # Nearest wall along each interval's middle ray: C + s·ray = a + t·e, s > 0, 0 ≤ t ≤ 1.
        mid = start + (angles[:-1] + angles[1:]) / 2
        ray = np.column_stack((np.cos(mid), np.sin(mid)))[:, None]
        den = _cross(ray, e[None, :])
        s = _cross(a[None, :], e[None, :]) / den
        t = _cross(a[None, :], ray) / den
        s = np.where((s > 0) & (t >= 0) & (t <= 1), s, np.inf)
        wall = np.argmin(s, axis=1)
        hit = np.isfinite(s[np.arange(len(wall)), wall])
        # The boundary points on each interval's two bounding rays.
        bound = start + np.column_stack((angles[:-1], angles[1:]))
        rays = np.stack((np.cos(bound), np.sin(bound)), axis=-1)
        aw, ew = a[wall][:, None], e[wall][:, None]
        tw = np.clip(np.nan_to_num(_cross(aw, rays) / _cross(rays, ew), nan=0.5), 0.0, 1.0)
    ends = np.where(hit[:, None, None], aw + tw[..., None] * ew, far * rays)
    # Points just before and after a shared ray (a wall crossing; 0 and 360° on a full turn)
    # agree only to ~1e-16 and could form a tiny bow-tie: make them one vertex.
    before = np.roll(ends[:, 1], 1, axis=0)
    same = np.hypot(*(ends[:, 0] - before).T) <= 1e-9 * np.hypot(*ends[:, 0].T)
    same[0] &= full
    ends[same, 0] = before[same]
    ring = ends.reshape(-1, 2)
    if not full:
        ring = np.vstack(([0.0, 0.0], ring))
    region = Polygon(ring + c)
    # Near-degenerate input (walls grazing C) could leave a spike that crosses itself.
    return region if region.is_valid else _polygonal(shapely.make_valid(region))


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Normalise an overlay result to a Polygon or MultiPolygon (empty Polygon if nothing)."""
    if geom.is_empty:
        return Polygon()
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = shapely.get_parts(shapely.get_parts(geom))  # a collection may hold multi-parts
    polys = [p for p in parts if p.geom_type == "Polygon" and not p.is_empty]
    return MultiPolygon(polys) if len(polys) > 1 else (polys[0] if polys else Polygon())


def footprint_from_segments(
    cam: CameraView,
    dori: str,
    segs: NDArray[np.float64],
    regions: dict[str, BaseGeometry | None] | None = None,
) -> BaseGeometry:
    """:func:`footprint` with the walls already flattened by :func:`wall_segments`.

    `regions` caches, per camera, what it sees past the walls out to its longest DORI range,
    so a camera's footprints at several levels share one line-of-sight sweep: the region is
    star-shaped from the camera, so clipping it by a shorter sector gives the same result.
    """
    vfov = cam.vfov_deg
    radius = min(
        optics.dori_range_m(cam.width_px, cam.hfov_deg, dori),
        optics.far_ground_limit_m(cam.height_m, cam.tilt_deg, vfov),
    )
    blind = optics.near_blind_radius_m(cam.height_m, cam.tilt_deg, vfov)
    if not radius > _MIN_RADIUS_M or blind >= radius:
        return Polygon()
    view = sector(cam.x, cam.y, radius, cam.heading_deg, cam.hfov_deg)
    # Vertices of the area-preserving sector lie slightly outside the nominal radius.
    ring = shapely.get_coordinates(view) - (cam.x, cam.y)
    reach = float(np.hypot(ring[:, 0], ring[:, 1]).max())
    seen = view
    if len(segs):
        start = cam.heading_deg - cam.hfov_deg / 2.0
        if regions is not None and cam.name in regions:
            region = regions[cam.name]
        else:
            # Reach far enough for the longest level (detect), so every level can reuse the
            # region; the walls considered must then be those within that longest reach.
            longest = max(reach, 1.01 * optics.dori_range_m(cam.width_px, cam.hfov_deg, "detect"))
            outer = (
                view
                if longest <= reach
                else sector(cam.x, cam.y, longest, cam.heading_deg, cam.hfov_deg)
            )
            # The sector is star-shaped from the camera: a wall that misses it hides nothing.
            shapely.prepare(outer)
            near = segs[shapely.intersects(outer, shapely.linestrings(segs))]
            region = _visible_region(
                np.array([cam.x, cam.y]), near, start, cam.hfov_deg, 2 * longest
            )
            if regions is not None:
                regions[cam.name] = region
        if region is not None:
            seen = shapely.intersection(view, region)
    if blind > _MIN_BLIND_M:
        seen = shapely.difference(seen, _covering_disc(cam.x, cam.y, blind))
    return _polygonal(seen)


def footprint(cam: CameraView, dori: str, walls: Walls = ()) -> BaseGeometry:
    """Ground the camera sees at the given DORI level: a Polygon or MultiPolygon.

    Sector with apex at the camera, opening angle = HFOV, radius = min(DORI range, far
    ground limit); minus the blind disc under the camera; minus the shadow of every wall
    segment (``walls`` are polylines of at least 2 points, each consecutive pair an opaque
    segment).  A segment the camera lies on or is collinear with (e.g. the wall it is
    mounted on) casts no area shadow and is skipped.  Returns an empty Polygon when
    nothing is visible.
    """
    return footprint_from_segments(cam, dori, wall_segments(walls))
