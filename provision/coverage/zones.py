"""How much of each zone the cameras cover, and where the blind spots are.

A zone is a floor polygon (a corridor, an entrance, a playground) with the DORI level it
must be watched at.  The site validator calls :func:`area_coverage` once per site area and
reports zones below their required ratio together with their largest blind spots, so an
installer knows where to add or re-aim a camera.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from provision.coverage.footprint import CameraView, Walls, wall_segments
from provision.coverage.footprint import footprints as area_footprints
from provision.optics import DORI_PPM, dori_range_m

__all__ = [
    "BlindSpot",
    "ZoneCoverage",
    "area_coverage",
    "coverage_of_zone",
    "polygon_problem",
]

#: A zone outline: a list of (x, y) points or a shapely Polygon.
PolygonLike: TypeAlias = "Sequence[tuple[float, float]] | Polygon"

#: A camera whose footprint overlaps a zone by less than this (m²) does not "cover" it:
#: touching edges and float slivers from the overlay must not list a camera in a report.
_MIN_OVERLAP_M2 = 1e-9


@dataclass(frozen=True, slots=True)
class BlindSpot:
    """One connected uncovered part of a zone.

    ``polygon`` is its exterior ring as an open list of points (the first point is not
    repeated, like the zone polygons in site files), rounded to 3 decimals (millimetres) so
    reports stay readable and stable.  ``area_m2`` is exact and excludes any covered
    islands inside the ring.
    """

    area_m2: float
    centroid: tuple[float, float]
    polygon: list[tuple[float, float]]


@dataclass(frozen=True, slots=True)
class ZoneCoverage:
    """Coverage of one zone: covered share, blind spots (largest first), covering cameras."""

    zone_id: str
    area_m2: float
    covered_m2: float
    ratio: float
    blind_spots: tuple[BlindSpot, ...]
    covered_by: tuple[str, ...] = ()


def polygon_problem(points: Sequence[tuple[float, float]]) -> str | None:
    """Why ``points`` is not a valid simple polygon, as a sentence fragment, or None if it is.

    Site files are hand-written, so the message names the problem ("edges cross near (x, y)")
    rather than GEOS's terse reason; the caller prefixes the zone's name.
    The answer for plain (x, y) numbers is remembered: validate asks it of every zone three
    times (the geometry rule, the coverage rule, the coverage itself), and each costs GEOS.
    """
    key = _plain_points(points)
    return _remembered_problem(key) if key is not None else _polygon_problem(points)


def _plain_points(points: object) -> tuple[tuple[float, float], ...] | None:
    """`points` as a hashable key if it is a sequence of (x, y) ints and floats, else None."""
    if not isinstance(points, (list, tuple)):
        return None
    key = []
    for point in points:
        if not isinstance(point, (list, tuple)) or len(point) != 2:
            return None
        x, y = point
        if type(x) not in (int, float) or type(y) not in (int, float):
            return None
        key.append((x, y))
    return tuple(key)


@lru_cache(maxsize=4096)
def _remembered_problem(points: tuple[tuple[float, float], ...]) -> str | None:
    return _polygon_problem(points)


def _polygon_problem(points: Sequence[tuple[float, float]]) -> str | None:
    pts = np.asarray(list(points), dtype=float)
    if pts.size == 0:
        return "has 0 points; a polygon needs at least 3"
    if pts.ndim != 2 or pts.shape[1] != 2:
        return "must be a list of (x, y) points"
    if not np.isfinite(pts).all():
        return "has non-finite coordinates"
    if len(pts) > 1 and (pts[0] == pts[-1]).all():
        pts = pts[:-1]  # an explicitly closed ring
    distinct = len(np.unique(pts, axis=0))
    if distinct < 3:
        return f"has {distinct} points; a polygon needs at least 3"
    extent = float(np.ptp(pts, axis=0).max())
    if MultiPoint(pts).convex_hull.area <= max(1e-9, 1e-12 * extent**2):
        return "has zero area"
    poly = Polygon(pts)
    if poly.is_valid:
        return None
    reason = explain_validity(poly)
    where = reason.partition("[")[2].rstrip("]").split()
    if "intersection" in reason.lower() and len(where) == 2:
        x, y = (round(float(v), 3) for v in where)
        return f"edges cross near ({x:g}, {y:g})"
    return f"is not a valid polygon ({reason})"


def _as_zone(zone_id: str, polygon: PolygonLike) -> Polygon:
    if isinstance(polygon, Polygon):
        if polygon.is_empty or not polygon.is_valid or polygon.area <= 0:
            raise ValueError(f"zone {zone_id!r}: {explain_validity(polygon)}")
        return polygon
    problem = polygon_problem(polygon)
    if problem is not None:
        raise ValueError(f"zone {zone_id!r} {problem}")
    return Polygon(polygon)


def _blind_spot(part: BaseGeometry) -> BlindSpot:
    ring = shapely.get_coordinates(part.exterior)[:-1]
    centroid = part.centroid
    return BlindSpot(
        area_m2=float(part.area),
        centroid=(round(float(centroid.x), 3), round(float(centroid.y), 3)),
        polygon=[(round(float(x), 3), round(float(y), 3)) for x, y in ring],
    )


def coverage_of_zone(
    zone_id: str,
    polygon: PolygonLike,
    footprints: Mapping[str, BaseGeometry],
    min_blind_spot_m2: float = 0.05,
) -> ZoneCoverage:
    """Coverage of one zone by a set of named camera footprints.

    ``ratio`` = area(zone ∩ union(footprints)) / area(zone), clamped to [0, 1].  Blind
    spots are the connected parts of zone − union of at least ``min_blind_spot_m2`` (default
    0.05 m², smaller than a person standing), largest first.  ``covered_by`` names, in
    mapping order, the cameras whose footprint overlaps the zone with positive area.

    Raises ValueError if the zone polygon is not a valid simple polygon.
    """
    zone = _as_zone(zone_id, polygon)
    zone_area = float(zone.area)
    names = list(footprints)
    geoms = np.asarray([footprints[n] for n in names], dtype=object)
    covered_by: list[str] = []
    covered: BaseGeometry = Polygon()
    if len(geoms):
        shapely.prepare(zone)
        hit = shapely.intersects(zone, geoms)
        clipped = shapely.intersection(geoms[hit], zone)
        overlap = shapely.area(clipped) > _MIN_OVERLAP_M2
        covered_by = list(np.asarray(names)[hit][overlap])
        # Only areal pieces: a footprint touching the zone's edge clips to a line, and older
        # GEOS rejects mixed-dimension collections in the difference below.
        if overlap.any():
            covered = shapely.union_all(clipped[overlap])
    covered_m2 = min(float(covered.area), zone_area)
    gaps = shapely.difference(zone, covered) if not covered.is_empty else zone
    spots = [
        _blind_spot(part)
        for part in shapely.get_parts(gaps)
        if part.geom_type == "Polygon" and part.area >= min_blind_spot_m2
    ]
    spots.sort(key=lambda s: s.area_m2, reverse=True)
    return ZoneCoverage(
        zone_id=zone_id,
        area_m2=zone_area,
        covered_m2=covered_m2,
        ratio=min(max(covered_m2 / zone_area, 0.0), 1.0),
        blind_spots=tuple(spots),
        covered_by=tuple(str(n) for n in covered_by),
    )


def area_coverage(
    zones: Sequence[tuple[str, PolygonLike, str]],
    cameras: Sequence[CameraView],
    walls: Walls = (),
    min_blind_spot_m2: float = 0.05,
) -> list[ZoneCoverage]:
    """Coverage of every ``(zone_id, polygon, dori)`` zone of one site area, in input order.

    Each camera's footprint is computed once per DORI level that some zone needs (and not at
    all for a level whose zones are all out of its range), and the walls are flattened once,
    so the cost grows with cameras × levels, not cameras × zones.
    Raises ValueError for duplicate camera names (reports name cameras), unknown DORI
    levels and invalid zone polygons.
    """
    names = [cam.name for cam in cameras]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"duplicate camera names: {', '.join(dupes)}")
    for zone_id, _, dori in zones:
        if dori not in DORI_PPM:
            valid = ", ".join(DORI_PPM)
            raise ValueError(
                f"zone {zone_id!r}: unknown DORI level {dori!r}; expected one of: {valid}"
            )
    shapes = [_as_zone(zone_id, polygon) for zone_id, polygon, _ in zones]  # fail early
    by_level: dict[str, list[Polygon]] = {}
    for (_, _, dori), shape in zip(zones, shapes, strict=True):
        by_level.setdefault(dori, []).append(shape)
    segs = wall_segments(walls)
    # Skip cameras out of range of every zone at a level: a footprint never reaches past
    # 1.001 × the DORI range (the area-preserving arc's vertices), so 1.01 is safe.
    spots = shapely.points([(cam.x, cam.y) for cam in cameras]) if cameras else None
    jobs: list[tuple[CameraView, str]] = []
    for dori, targets in by_level.items():
        if spots is None:
            break
        nearest = shapely.distance(np.array(targets, dtype=object)[:, None], spots[None, :]).min(
            axis=0
        )
        jobs += [
            (cam, dori)
            for cam, gap in zip(cameras, nearest, strict=True)
            if gap <= 1.01 * dori_range_m(cam.width_px, cam.hfov_deg, dori)
        ]
    footprints: dict[str, dict[str, BaseGeometry]] = {dori: {} for dori in by_level}
    for (cam, dori), geom in zip(jobs, area_footprints(jobs, segs), strict=True):
        footprints[dori][cam.name] = geom
    return [
        coverage_of_zone(zone_id, shape, footprints[dori], min_blind_spot_m2)
        for (zone_id, _, dori), shape in zip(zones, shapes, strict=True)
    ]
