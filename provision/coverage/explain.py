"""Why a blind spot is blind: the camera nearest to covering it, what stops it, and the fix.

A coverage ratio and a blind spot's position tell an integrator *that* a zone is short, not
*what to change*. For one point of a blind spot this module asks every camera of the area the
same questions the footprint model answers (:mod:`provision.coverage.footprint`): is the point
inside the camera's horizontal field of view, within its DORI range for the zone's level,
within the floor its tilt reaches, outside the blind disc under it, and not behind a wall?
The camera that misses by the least is named with its cause and a hint in words.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon

from provision import optics
from provision.coverage import words
from provision.coverage.footprint import CameraView, Walls, wall_segments
from provision.i18n import _

#: A cause for a camera not seeing a point, in the order a fix is usually cheapest.
FIELD_OF_VIEW, TILT_REACH, DORI_RANGE, BLIND_DISC, WALL = (
    "field-of-view",
    "tilt-reach",
    "dori-range",
    "blind-disc",
    "wall",
)
NO_CAMERA = "no-camera"


@dataclass(frozen=True, slots=True)
class Miss:
    """Why `camera` does not see a point: each cause with how far off it is (0..∞, relative)."""

    camera: str
    causes: tuple[tuple[str, float, str], ...]  # (cause, relative miss, hint)

    @property
    def score(self) -> float:
        return sum(miss for _, miss, _ in self.causes)


@dataclass(frozen=True, slots=True)
class Explanation:
    """The blind spot's nearest fix: which camera, why it misses, and what to change."""

    camera: str | None
    cause: str
    hint: str

    def as_text(self) -> str:
        return self.hint

    def as_dict(self) -> dict[str, str | None]:
        return {"camera": self.camera, "cause": self.cause, "hint": self.hint}


def _angle_off(cam: CameraView, dx: float, dy: float) -> float:
    """Signed degrees from the camera's heading to the point (+ = counter-clockwise)."""
    bearing = math.degrees(math.atan2(dy, dx))
    return (bearing - cam.heading_deg + 180.0) % 360.0 - 180.0


def _field_of_view(cam: CameraView, dx: float, dy: float) -> tuple[str, float, str] | None:
    off = _angle_off(cam, dx, dy)
    excess = abs(off) - cam.hfov_deg / 2.0
    if excess <= 0:
        return None
    turn = math.ceil(excess + 1.0)
    side = _("left (counter-clockwise)") if off > 0 else _("right (clockwise)")
    new = (cam.heading_deg + (turn if off > 0 else -turn)) % 360
    hint = _(
        "outside {camera}'s field of view by {excess:.1f}°: turn it {turn}° {side}, "
        "heading {heading:g} → {new:g}, or use a wider lens"
    ).format(camera=cam.name, excess=excess, turn=turn, side=side, heading=cam.heading_deg, new=new)
    return FIELD_OF_VIEW, excess / cam.hfov_deg, hint


def _distances(cam: CameraView, dist: float, dori: str) -> list[tuple[str, float, str]]:
    out = []
    vfov = cam.vfov_deg
    reach = optics.dori_range_m(cam.width_px, cam.hfov_deg, dori)
    if dist > reach:
        hint = _(
            "beyond {camera}'s {dori} range: it resolves {dori} to {reach:.1f} m at "
            "{width}x{height} and a {hfov:.0f}° view, the spot is {dist:.1f} m away; use a "
            "longer lens or a higher resolution, or add a camera nearer"
        ).format(
            camera=cam.name,
            dori=words.dori(dori),
            reach=reach,
            width=cam.width_px,
            height=cam.height_px,
            hfov=cam.hfov_deg,
            dist=dist,
        )
        out.append((DORI_RANGE, (dist - reach) / reach, hint))
    far = optics.far_ground_limit_m(cam.height_m, cam.tilt_deg, vfov)
    if dist > far:
        hint = _(
            "beyond the floor {camera} sees at tilt {tilt:g}°: its view meets the floor only "
            "to {far:.1f} m and the spot is {dist:.1f} m away; tilt it up"
        ).format(camera=cam.name, tilt=cam.tilt_deg, far=far, dist=dist)
        out.append((TILT_REACH, (dist - far) / max(far, 0.1), hint))
    blind = optics.near_blind_radius_m(cam.height_m, cam.tilt_deg, vfov)
    if math.isinf(blind):  # tilted so far up that the view never meets the floor
        hint = _(
            "{camera} never sees the floor at tilt {tilt:g}°: its whole view is above the "
            "horizon; tilt it down"
        ).format(camera=cam.name, tilt=cam.tilt_deg)
        out.append((BLIND_DISC, 1.0, hint))
    elif dist < blind:
        hint = _(
            "in the blind disc under {camera}: at {height:g} m and tilt {tilt:g}° it misses the "
            "floor within {blind:.1f} m; tilt it further down or watch this spot from another "
            "camera"
        ).format(camera=cam.name, height=cam.height_m, tilt=cam.tilt_deg, blind=blind)
        out.append((BLIND_DISC, (blind - dist) / blind, hint))
    return out


def _wall(
    cam: CameraView, point: tuple[float, float], segs: np.ndarray
) -> tuple[str, float, str] | None:
    if not len(segs):
        return None
    sight = LineString([(cam.x, cam.y), point])
    lines = shapely.linestrings(segs)
    crossed = shapely.crosses(lines, sight)
    if not crossed.any():
        return None
    (a, b) = segs[int(np.argmax(crossed))]
    hint = _(
        "behind the wall from ({ax:g}, {ay:g}) to ({bx:g}, {by:g}) as seen from {camera}; move "
        "it or add a camera on this side of the wall"
    ).format(ax=a[0], ay=a[1], bx=b[0], by=b[1], camera=cam.name)
    return WALL, 1.0, hint


def why_not_seen(cam: CameraView, point: tuple[float, float], dori: str, segs: np.ndarray) -> Miss:
    """Every reason `cam` does not see `point` at level `dori` (none if it does)."""
    dx, dy = point[0] - cam.x, point[1] - cam.y
    causes: list[tuple[str, float, str]] = []
    fov = _field_of_view(cam, dx, dy)
    if fov:
        causes.append(fov)
    causes += _distances(cam, math.hypot(dx, dy), dori)
    wall = _wall(cam, point, segs)
    if wall:
        causes.append(wall)
    return Miss(cam.name, tuple(causes))


def explain_spot(
    spot: Sequence[tuple[float, float]],
    cameras: Sequence[CameraView],
    dori: str,
    walls: Walls = (),
    area: str = "",
) -> Explanation:
    """The nearest fix for one blind spot (its outline) among the area's `cameras`."""
    inside = Polygon(spot).representative_point()
    point = (float(inside.x), float(inside.y))
    if not cameras:
        hint = (
            _("no camera is placed in area {area!r}; add one").format(area=area)
            if area
            else _("no camera is placed in this area; add one")
        )
        return Explanation(None, NO_CAMERA, hint)
    segs = wall_segments(walls)
    misses = [why_not_seen(cam, point, dori, segs) for cam in cameras]
    misses = [m for m in misses if m.causes] or misses
    best = min(misses, key=lambda m: (len(m.causes), m.score))
    if not best.causes:  # seen at this point: the spot is a sliver between footprints
        hint = _("a sliver at the edge of {camera}'s view").format(camera=best.camera)
        return Explanation(best.camera, "sliver", hint)
    cause = best.causes[0][0]
    hint = _("; and ").join(said for _cause, _miss, said in best.causes)
    return Explanation(best.camera, cause, hint)
