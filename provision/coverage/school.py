"""Coverage of a school's zones from its inventory: the bridge from the model to geometry.

Validate calls it with every planned camera; verify calls it with only the cameras that are
live, aimed as planned and unobstructed, so both answer the same question the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from provision.coverage.cache import CoverageCache, cached_area_coverage
from provision.coverage.footprint import CameraView
from provision.coverage.zones import ZoneCoverage
from provision.inventory.model import Camera, School

# Ratios are areas of polygons approximating arcs: allow this much below a target.
TOLERANCE = 1e-3


def camera_view(camera: Camera) -> CameraView:
    mount = camera.mount
    return CameraView(
        name=camera.name,
        x=mount.x,
        y=mount.y,
        height_m=mount.height,
        heading_deg=mount.heading,
        tilt_deg=mount.tilt,
        hfov_deg=camera.hfov_deg,
        width_px=camera.video.width,
        height_px=camera.video.height,
    )


def _distinct(views: list[CameraView]) -> list[CameraView]:
    """Footprints are keyed by camera name; two cameras an inventory gave one name (the
    identity rule reports that) still both watch, so the second gets a distinct key."""
    seen: dict[str, int] = {}
    out = []
    for view in views:
        seen[view.name] = seen.get(view.name, 0) + 1
        out.append(
            view if seen[view.name] == 1 else replace(view, name=f"{view.name}#{seen[view.name]}")
        )
    return out


def school_coverage(
    school: School,
    cameras: Iterable[Camera] | None = None,
    cache: CoverageCache | None = None,
) -> dict[str, ZoneCoverage]:
    """Coverage of every zone by `cameras` (default: all the school's cameras), by zone id;
    areas found in `cache` (see coverage/cache.py) are read, not computed."""
    chosen = list(school.cameras if cameras is None else cameras)
    result: dict[str, ZoneCoverage] = {}
    for area in school.areas:
        views = _distinct([camera_view(c) for c in chosen if c.area == area.id])
        zones = [(z.id, z.polygon, z.dori) for z in area.zones]
        for cov in cached_area_coverage(cache, zones, views, area.walls):
            result[cov.zone_id] = cov
    return result


def meets(ratio: float, target: float) -> bool:
    return ratio + TOLERANCE >= target
