"""What a camera sees past opaque walls: the line-of-sight sweep behind every footprint.

The walls of an area are flattened once into segments (:func:`wall_segments`); for each camera
:func:`visible_region` finds the star-shaped region it sees past them, by a vectorised angular
sweep (numpy) rather than a union of shadow polygons. :mod:`provision.coverage.footprint`
clips it by the camera's sector.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

__all__ = ["FULL_TURN_DEG", "Walls", "polygonal", "visible_region", "wall_segments"]

#: Wall polylines: each a list of at least 2 (x, y) points.
Walls: TypeAlias = Sequence[Sequence[tuple[float, float]]]

#: Views this wide are a full turn: a sector 1e-13° short of it has a zero-width slit at the
#: apex, which GEOS rejects as a self-intersection.
FULL_TURN_DEG = 360.0 - 1e-9

#: |sin| of the angle a wall subtends at the camera below which the camera is taken to be on
#: the wall's line (mounted on it, or looking along it): no area shadow, so it is skipped.
_COLLINEAR_SIN = 1e-12
#: Wall-endpoint angles closer than this (radians) are merged: float noise, not a gap.
_MIN_GAP_RAD = 1e-12


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


def visible_region(
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
    full = span_deg >= FULL_TURN_DEG
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
    return region if region.is_valid else polygonal(shapely.make_valid(region))


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Normalise an overlay result to a Polygon or MultiPolygon (empty Polygon if nothing)."""
    if geom.is_empty:
        return Polygon()
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = shapely.get_parts(shapely.get_parts(geom))  # a collection may hold multi-parts
    polys = [p for p in parts if p.geom_type == "Polygon" and not p.is_empty]
    return MultiPolygon(polys) if len(polys) > 1 else (polys[0] if polys else Polygon())
