"""Floor-plan footprint of a camera: what ground it sees, at a given DORI level.

The footprint is a circular sector (apex at the camera, opening angle = horizontal field of
view, radius = how far the image is still sharp enough for the DORI level, or how far the
tilted view reaches the floor, whichever is nearer) minus the disc under the camera that the
view misses, minus the shadow of every opaque wall.  It is a 2-D plan model: walls are
full-height, the floor is flat, and people are treated as points on the floor.

What a camera sees past the walls is found by a vectorised angular sweep (numpy,
:mod:`provision.coverage.sightlines`), and only two shapely overlays follow. An area's
footprints are computed together (:func:`footprints`): a camera's arc is worked out once for
all its DORI levels, and the polygons, wall tests and overlays of all cameras go to GEOS as
arrays, because on a school's few walls the Python and numpy overhead per call, not GEOS,
was most of the time. Every footprint is the same, bit for bit, as one computed alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from provision import optics
from provision.coverage.sightlines import (
    FULL_TURN_DEG,
    Walls,
    polygonal,
    polygons_of,
    visible_regions,
    wall_segments,
)

__all__ = ["CameraView", "Walls", "footprint", "footprints", "sector", "wall_segments"]

#: Segments of the polygon that stands in for the blind disc under a camera.
_DISC_SEGMENTS = 64
#: A blind radius below this (metres) is float noise from a view that just reaches nadir.
_MIN_BLIND_M = 1e-9
#: A view radius below this (metres; e.g. a near-180° rectilinear lens) sees nothing usable,
#: and a sector that small collapses to an invalid polygon in floating point.
_MIN_RADIUS_M = 1e-6


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


@dataclass(frozen=True, slots=True)
class _Arc:
    """A sector's shape apart from its apex and radius: unit vectors of its arc vertices."""

    cos: NDArray[np.float64]
    sin: NDArray[np.float64]
    stretch: float  # radius → the arc vertices' distance (area-preserving, see `sector`)
    full: bool


def _arc(heading_deg: float, angle_deg: float, segments_per_90: int = 16) -> _Arc:
    full = angle_deg >= FULL_TURN_DEG
    angle = 360.0 if full else angle_deg
    # At least one chord per 90°, so that no chord spans 180° (where sin(θ/N) = 0).
    n = max(math.ceil(segments_per_90 * angle / 90.0), math.ceil(angle / 90.0), 3 if full else 1)
    step = math.radians(angle) / n
    theta = heading_deg - angle / 2.0 + (angle / n) * np.arange(n if full else n + 1, dtype=float)
    cos, sin = _cos_sin_deg(theta)
    return _Arc(cos, sin, math.sqrt(step / math.sin(step)), full)


def _sector_ring(x: float, y: float, radius: float, arc: _Arc) -> NDArray[np.float64]:
    scaled = radius * arc.stretch
    ring = np.column_stack((x + scaled * arc.cos, y + scaled * arc.sin))
    return ring if arc.full else np.vstack(([x, y], ring))


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
    return Polygon(_sector_ring(x, y, radius, _arc(heading_deg, angle_deg, segments_per_90)))


#: Unit vectors of the blind disc's polygon: the same for every camera.
_DISC_STEP = 2.0 * math.pi / _DISC_SEGMENTS
_DISC_COS = np.cos(_DISC_STEP * np.arange(_DISC_SEGMENTS))
_DISC_SIN = np.sin(_DISC_STEP * np.arange(_DISC_SEGMENTS))


def _covering_disc_ring(x: float, y: float, radius: float) -> NDArray[np.float64]:
    """Ring of a polygon that contains the whole disc (vertices at r / cos(step/2)).

    Used for the blind disc: an area-preserving polygon would leave slivers of the true
    blind disc counted as seen, and an audit must not over-report coverage.
    """
    outer = radius / math.cos(_DISC_STEP / 2.0)
    return np.column_stack((x + outer * _DISC_COS, y + outer * _DISC_SIN))


@dataclass(slots=True)
class _Job:
    """One footprint on its way: its index in the answer, camera, view sector and blind disc."""

    index: int
    cam: CameraView
    ring: NDArray[np.float64]
    blind: float


def _sweep_regions(
    jobs: list[_Job],
    arcs: dict[tuple[float, float], _Arc],
    segs: NDArray[np.float64],
    regions: dict[str, BaseGeometry | None],
) -> None:
    """What each camera not yet in `regions` sees past the walls, swept once per camera.

    The region reaches far enough for the longest level (detect), so every level can reuse
    it: it is star-shaped from the camera, so clipping it by a shorter sector gives the same
    result. The walls considered are those that meet that longest sector (a wall that misses
    it hides nothing); which walls meet which camera's sector is one GEOS call for all.
    """
    first: dict[str, tuple[CameraView, float, NDArray[np.float64]]] = {}
    for job in jobs:
        cam = job.cam
        if cam.name in regions or cam.name in first:
            continue
        # Vertices of the area-preserving sector lie slightly outside the nominal radius.
        rel = job.ring - (cam.x, cam.y)
        reach = float(np.hypot(rel[:, 0], rel[:, 1]).max())
        longest = max(reach, 1.01 * optics.dori_range_m(cam.width_px, cam.hfov_deg, "detect"))
        arc = arcs[(cam.heading_deg, cam.hfov_deg)]
        outer = job.ring if longest <= reach else _sector_ring(cam.x, cam.y, longest, arc)
        first[cam.name] = (cam, longest, outer)
    if not first:
        return
    outers = polygons_of([outer for _, _, outer in first.values()])
    shapely.prepare(outers)
    meets = shapely.intersects(outers[:, None], shapely.linestrings(segs)[None, :])
    cams = [cam for cam, _, _ in first.values()]
    found = visible_regions(
        np.array([[cam.x, cam.y] for cam in cams]),
        segs,
        meets,
        [cam.heading_deg - cam.hfov_deg / 2.0 for cam in cams],
        [cam.hfov_deg for cam in cams],
        [2 * longest for _, longest, _ in first.values()],
    )
    regions.update(zip(first, found, strict=True))


def footprints(
    jobs: Sequence[tuple[CameraView, str]],
    segs: NDArray[np.float64],
    regions: dict[str, BaseGeometry | None] | None = None,
) -> list[BaseGeometry]:
    """The footprint of each (camera, DORI level), in order; walls as :func:`wall_segments`.

    `regions` keeps, per camera name, what it sees past the walls (see `_sweep_regions`),
    so a camera's footprints at several levels, here or in later calls, share one sweep.
    """
    regions = {} if regions is None else regions
    arcs: dict[tuple[float, float], _Arc] = {}
    out: list[BaseGeometry] = [Polygon()] * len(jobs)
    live: list[_Job] = []
    for index, (cam, dori) in enumerate(jobs):
        vfov = cam.vfov_deg
        radius = min(
            optics.dori_range_m(cam.width_px, cam.hfov_deg, dori),
            optics.far_ground_limit_m(cam.height_m, cam.tilt_deg, vfov),
        )
        blind = optics.near_blind_radius_m(cam.height_m, cam.tilt_deg, vfov)
        if not radius > _MIN_RADIUS_M or blind >= radius:
            continue
        key = (cam.heading_deg, cam.hfov_deg)
        if key not in arcs:
            arcs[key] = _arc(cam.heading_deg, cam.hfov_deg)
        live.append(_Job(index, cam, _sector_ring(cam.x, cam.y, radius, arcs[key]), blind))
    if not live:
        return out
    seen = polygons_of([job.ring for job in live])
    if len(segs):
        _sweep_regions(live, arcs, segs, regions)
        walled = [i for i, job in enumerate(live) if regions[job.cam.name] is not None]
        if walled:
            cut = np.array([regions[live[i].cam.name] for i in walled], dtype=object)
            seen[walled] = shapely.intersection(seen[walled], cut)
    blinded = [i for i, job in enumerate(live) if job.blind > _MIN_BLIND_M]
    if blinded:
        discs = [_covering_disc_ring(live[i].cam.x, live[i].cam.y, live[i].blind) for i in blinded]
        seen[blinded] = shapely.difference(seen[blinded], polygons_of(discs))
    for job, geom in zip(live, seen, strict=True):
        out[job.index] = polygonal(geom)
    return out


def footprint_from_segments(
    cam: CameraView,
    dori: str,
    segs: NDArray[np.float64],
    regions: dict[str, BaseGeometry | None] | None = None,
) -> BaseGeometry:
    """:func:`footprint` with the walls already flattened by :func:`wall_segments`, and
    `regions` shared as by :func:`footprints`."""
    return footprints([(cam, dori)], segs, regions)[0]


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
