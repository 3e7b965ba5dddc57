"""What a camera sees past opaque walls: the line-of-sight sweep behind every footprint.

The walls of an area are flattened once into segments (:func:`wall_segments`); for each camera
:func:`visible_region` finds the star-shaped region it sees past them, by a vectorised angular
sweep (numpy) rather than a union of shadow polygons. :mod:`provision.coverage.footprint`
clips it by the camera's sector.
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

__all__ = [
    "FULL_TURN_DEG",
    "Walls",
    "polygonal",
    "polygons_of",
    "visible_region",
    "visible_regions",
    "wall_segments",
]

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
    near = np.ones((1, len(segs)), dtype=bool)
    return visible_regions(
        np.asarray([c], dtype=float), segs, near, [start_deg], [span_deg], [far]
    )[0]


#: Cameras swept together are limited so that their pairwise-crossing arrays (cameras × walls²)
#: stay small whatever an area holds.
_SWEEP_CELLS = 100_000


def visible_regions(
    centres: NDArray[np.float64],
    segs: NDArray[np.float64],
    near: NDArray[np.bool_],
    starts_deg: Sequence[float],
    spans_deg: Sequence[float],
    fars: Sequence[float],
) -> list[BaseGeometry | None]:
    """:func:`visible_region` of several cameras at once, camera k seeing the walls `near[k]`.

    Each camera's arithmetic is elementwise the same as alone (walls it does not consider are
    masked, not dropped), so each region is the same, bit for bit; numpy and GEOS are called
    once for a group of cameras instead of once per camera, which is what a sweep costs.
    """
    group = max(1, _SWEEP_CELLS // max(1, len(segs)) ** 2)
    out: list[BaseGeometry | None] = []
    for lo in range(0, len(centres), group):
        hi = lo + group
        out += _sweep(
            centres[lo:hi], segs, near[lo:hi], starts_deg[lo:hi], spans_deg[lo:hi], fars[lo:hi]
        )
    return out


@dataclass(slots=True)
class _Cameras:
    """A group of cameras being swept: apexes, their walls (relative) and angular spans."""

    c: NDArray[np.float64]  # (C, 2)
    a: NDArray[np.float64]  # (C, S, 2): wall starts relative to each camera
    b: NDArray[np.float64]  # (C, S, 2): wall ends relative to each camera
    e: NDArray[np.float64]  # (S, 2): wall directions
    keep: NDArray[np.bool_]  # (C, S): walls each camera considers
    start: NDArray[np.float64]  # (C,) radians
    span: NDArray[np.float64]  # (C,) radians
    full: NDArray[np.bool_]  # (C,)
    far: NDArray[np.float64]  # (C,)


def _sweep(
    centres: NDArray[np.float64],
    segs: NDArray[np.float64],
    near: NDArray[np.bool_],
    starts_deg: Sequence[float],
    spans_deg: Sequence[float],
    fars: Sequence[float],
) -> list[BaseGeometry | None]:
    a = segs[None, :, 0] - centres[:, None]
    e = segs[:, 1] - segs[:, 0]
    b = a + e
    la, lb = np.hypot(a[..., 0], a[..., 1]), np.hypot(b[..., 0], b[..., 1])
    keep = near & (np.abs(_cross(a, b)) > _COLLINEAR_SIN * la * lb)
    out: list[BaseGeometry | None] = [None] * len(centres)
    swept = [int(k) for k in np.flatnonzero(keep.any(axis=1))]  # no wall left: no region
    if not swept:
        return out
    full = [spans_deg[k] >= FULL_TURN_DEG for k in swept]
    cams = _Cameras(
        c=centres[swept],
        a=a[swept],
        b=b[swept],
        e=e,
        keep=keep[swept],
        start=np.array([math.radians(starts_deg[k]) for k in swept]),
        span=np.array(
            [
                2 * math.pi if f else math.radians(spans_deg[k])
                for f, k in zip(full, swept, strict=True)
            ]
        ),
        full=np.array(full, dtype=bool),
        far=np.array([fars[k] for k in swept], dtype=np.float64),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        cid, angles = _sweep_angles(cams)
        first, ends = _boundary(cams, cid, angles)
    for k, region in zip(swept, _regions(cams, first, ends), strict=True):
        out[k] = region
    return out


def _sweep_angles(cams: _Cameras) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Each camera's sweep angles from its start (sorted, camera by camera): the wall endpoints
    and crossings within its span, steps of at most 45°, and the span's end."""
    a, b, e, keep = cams.a, cams.b, cams.e, cams.keep
    # Pairwise crossings: a + t·e of wall i on wall j at parameter u.
    den = _cross(e[:, None], e[None, :])
    d = a[:, None, :] - a[:, :, None]
    t = _cross(d, e[None, None, :]) / den
    u = _cross(d, e[None, :, None]) / den
    crossing = (den != 0) & (t > 0) & (t < 1) & (u > 0) & (u < 1)
    crossing &= keep[:, :, None] & keep[:, None, :]
    cross_pts = a[:, :, None] + t[..., None] * e[None, :, None]
    count = len(cams.c)
    pts = np.concatenate((a, b, cross_pts.reshape(count, -1, 2)), axis=1)
    valid = np.concatenate((keep, keep, crossing.reshape(count, -1)), axis=1)
    phi = np.mod(np.arctan2(pts[..., 1], pts[..., 0]) - cams.start[:, None], 2 * math.pi)
    valid &= phi < cams.span[:, None]
    steps = [np.linspace(0.0, s, max(2, math.ceil(s / (math.pi / 4)) + 1)) for s in cams.span]
    cid = np.concatenate(
        (np.nonzero(valid)[0], np.repeat(np.arange(count), [len(s) for s in steps]))
    )
    angles = np.concatenate((phi[valid], *steps))
    order = np.lexsort((angles, cid))
    cid, angles = cid[order], angles[order]
    # Angles closer than _MIN_GAP_RAD to the one before (equal ones too) are float noise.
    new = np.concatenate(([True], cid[1:] != cid[:-1]))
    kept = new | np.concatenate(([True], np.diff(angles) > _MIN_GAP_RAD))
    cid, angles = cid[kept], angles[kept]
    last = np.concatenate((cid[1:] != cid[:-1], [True]))
    angles[last] = cams.span[cid[last]]
    return cid, angles


def _boundary(
    cams: _Cameras, cid: NDArray[np.intp], angles: NDArray[np.float64]
) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    """Each interval between consecutive sweep angles of a camera: whether it is the camera's
    first, and the region's boundary points on its two bounding rays (relative to C)."""
    inner = np.flatnonzero(cid[1:] == cid[:-1])
    icid, lo, hi = cid[inner], angles[inner], angles[inner + 1]
    start, a, e = cams.start[icid], cams.a[icid], cams.e
    # Nearest wall along each interval's middle ray: C + s·ray = a + t·e, s > 0, 0 ≤ t ≤ 1.
    mid = start + (lo + hi) / 2
    ray = np.column_stack((np.cos(mid), np.sin(mid)))[:, None]
    den = _cross(ray, e[None, :])
    s = _cross(a, e[None, :]) / den
    t = _cross(a, ray) / den
    s = np.where((s > 0) & (t >= 0) & (t <= 1) & cams.keep[icid], s, np.inf)
    wall = np.argmin(s, axis=1)
    rows = np.arange(len(wall))
    hit = np.isfinite(s[rows, wall])
    # The boundary points on each interval's two bounding rays.
    bound = start[:, None] + np.column_stack((lo, hi))
    rays = np.stack((np.cos(bound), np.sin(bound)), axis=-1)
    aw, ew = a[rows, wall][:, None], e[wall][:, None]
    tw = np.clip(np.nan_to_num(_cross(aw, rays) / _cross(rays, ew), nan=0.5), 0.0, 1.0)
    ends = np.where(hit[:, None, None], aw + tw[..., None] * ew, cams.far[icid, None, None] * rays)
    first = np.concatenate(([True], icid[1:] != icid[:-1]))
    return first, ends


def _regions(
    cams: _Cameras, first: NDArray[np.bool_], ends: NDArray[np.float64]
) -> list[BaseGeometry]:
    """Each camera's region from its intervals' boundary points."""
    starts = np.flatnonzero(first)
    stops = np.append(starts[1:], len(first))
    # Points just before and after a shared ray (a wall crossing; 0 and 360° on a full turn)
    # agree only to ~1e-16 and could form a tiny bow-tie: make them one vertex.
    previous = np.arange(len(first)) - 1
    previous[starts] = stops - 1
    before = ends[previous, 1]
    same = np.hypot(*(ends[:, 0] - before).T) <= 1e-9 * np.hypot(*ends[:, 0].T)
    same[starts] &= cams.full
    ends[same, 0] = before[same]
    rings = []
    for k, (lo, hi) in enumerate(zip(starts, stops, strict=True)):
        ring = ends[lo:hi].reshape(-1, 2)
        if not cams.full[k]:
            ring = np.vstack(([0.0, 0.0], ring))
        rings.append(ring + cams.c[k])
    regions = polygons_of(rings)
    valid = shapely.is_valid(regions)
    # Near-degenerate input (walls grazing C) could leave a spike that crosses itself.
    return [
        r if ok else polygonal(shapely.make_valid(r)) for r, ok in zip(regions, valid, strict=True)
    ]


def polygons_of(rings: list[NDArray[np.float64]]) -> NDArray[np.object_]:
    """One Polygon per ring, made by GEOS in one call."""
    sizes = [len(r) for r in rings]
    index = np.repeat(np.arange(len(rings)), sizes)
    return shapely.polygons(shapely.linearrings(np.concatenate(rings), indices=index))


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Normalise an overlay result to a Polygon or MultiPolygon (empty Polygon if nothing)."""
    if geom.is_empty:
        return Polygon()
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = shapely.get_parts(shapely.get_parts(geom))  # a collection may hold multi-parts
    polys = [p for p in parts if p.geom_type == "Polygon" and not p.is_empty]
    return MultiPolygon(polys) if len(polys) > 1 else (polys[0] if polys else Polygon())
