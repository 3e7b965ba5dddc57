"""Lens and mounting optics for camera coverage planning.

These are the few closed-form relations an installer uses to answer "how far away can this
camera still identify a face?" and "how much floor right under it does it miss?".  They are
pure functions of the lens, the sensor and the mounting so that the footprint geometry
(:mod:`provision.coverage.footprint`) and the site validator can share one definition.

Angles are in degrees, lengths in metres (lens and sensor sizes in millimetres) throughout.
Tilt is negative when the camera points down, as on the pan/tilt readouts of most cameras.
"""

from __future__ import annotations

import math

# The pixel density each DORI level needs is a figure from a standard: it lives, with its
# source, in provision.standards; optics only turns it into distances.
from provision.standards import DORI_PPM

__all__ = [
    "DORI_PPM",
    "dori_range_m",
    "far_ground_limit_m",
    "hfov_from_lens",
    "near_blind_radius_m",
    "vfov_from_hfov",
]

#: Angles closer than this (degrees) to a threshold count as on it.  Round-tripping angles
#: through ``tan``/``atan`` loses ~1e-14 degree, and a camera designed to look exactly from
#: nadir to horizon must not grow a femtometre blind disc or lose its infinite range.
_ANGLE_EPS_DEG = 1e-9


def _check_positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")


def hfov_from_lens(focal_mm: float, sensor_width_mm: float) -> float:
    """Horizontal field of view (degrees) of a rectilinear lens: ``2·atan(w / 2f)``.

    Datasheets often give only the focal length and the sensor format; this turns them into
    the angle that the coverage geometry needs.
    """
    _check_positive("focal_mm", focal_mm)
    _check_positive("sensor_width_mm", sensor_width_mm)
    return math.degrees(2.0 * math.atan(sensor_width_mm / (2.0 * focal_mm)))


def _check_hfov(hfov_deg: float) -> None:
    if not (math.isfinite(hfov_deg) and 0.0 < hfov_deg <= 360.0):
        raise ValueError(f"hfov_deg must be in (0, 360], got {hfov_deg!r}")


def vfov_from_hfov(hfov_deg: float, width_px: int, height_px: int) -> float:
    """Vertical field of view (degrees) from the horizontal one and the image aspect ratio.

    For a rectilinear lens the image plane is flat, so the half-angles scale through their
    tangents: ``tan(v/2) = tan(h/2)·H/W`` (not linearly, which would overstate the vertical
    angle of wide lenses).  A rectilinear lens cannot reach 180°, so from 180° up the lens is
    taken to be an equidistant (f-θ) fisheye, whose angles scale linearly: ``v = h·H/W``,
    capped at 180°.
    """
    _check_hfov(hfov_deg)
    if width_px <= 0 or height_px <= 0:
        raise ValueError(f"image size must be positive, got {width_px}x{height_px}")
    if hfov_deg >= 180.0:
        return min(hfov_deg * height_px / width_px, 180.0)
    half = math.tan(math.radians(hfov_deg) / 2.0) * height_px / width_px
    return math.degrees(2.0 * math.atan(half))


def dori_range_m(width_px: int, hfov_deg: float, dori: str) -> float:
    """Distance (m) at which the pixel density falls to the given DORI level.

    At distance D a rectilinear camera spreads ``width_px`` pixels over a scene
    ``2·D·tan(hfov/2)`` metres wide, so ``D = width_px / (2·tan(hfov/2)·ppm)``.  From 180°
    up (fisheye, see :func:`vfov_from_hfov`) the density at the centre of the image is
    ``width_px / (hfov_rad·D)``, giving ``D = width_px / (hfov_rad·ppm)``.

    Raises ValueError for an unknown DORI name, listing the valid ones, because the name
    usually comes from a hand-written site file.
    """
    try:
        ppm = DORI_PPM[dori]
    except KeyError:
        valid = ", ".join(DORI_PPM)
        raise ValueError(f"unknown DORI level {dori!r}; expected one of: {valid}") from None
    _check_hfov(hfov_deg)
    if width_px <= 0:
        raise ValueError(f"width_px must be positive, got {width_px!r}")
    if hfov_deg >= 180.0:
        return width_px / (math.radians(hfov_deg) * ppm)
    return width_px / (2.0 * math.tan(math.radians(hfov_deg) / 2.0) * ppm)


def _check_mount(height_m: float, tilt_deg: float, vfov_deg: float) -> None:
    if not (math.isfinite(height_m) and height_m >= 0):
        raise ValueError(f"height_m must be a non-negative finite number, got {height_m!r}")
    if not math.isfinite(tilt_deg):
        raise ValueError(f"tilt_deg must be finite, got {tilt_deg!r}")
    if not (math.isfinite(vfov_deg) and 0.0 < vfov_deg <= 180.0):
        raise ValueError(f"vfov_deg must be in (0, 180], got {vfov_deg!r}")


def near_blind_radius_m(height_m: float, tilt_deg: float, vfov_deg: float) -> float:
    """Radius (m) of the floor disc under a camera that its view does not reach.

    The lower edge of the view is ``-tilt + vfov/2`` degrees below horizontal.  At 90° or
    more the view includes the nadir and nothing is missed (0.0); at 0° or less the view
    never meets the ground (``math.inf``); otherwise the edge meets the floor at
    ``height / tan(edge)``.  Someone standing closer than this is under the camera, unseen.
    """
    _check_mount(height_m, tilt_deg, vfov_deg)
    lower = -tilt_deg + vfov_deg / 2.0
    if lower >= 90.0 - _ANGLE_EPS_DEG:
        return 0.0
    if lower <= _ANGLE_EPS_DEG:
        return math.inf
    return height_m / math.tan(math.radians(lower))


def far_ground_limit_m(height_m: float, tilt_deg: float, vfov_deg: float) -> float:
    """Farthest floor distance (m) inside the view, ``math.inf`` if the view sees the horizon.

    A camera tilted down so steeply that the top edge of its view (``-tilt - vfov/2``
    below horizontal) is below the horizon only sees floor out to ``height / tan(edge)``,
    however good its resolution.  If even the top edge is at or past the nadir (90° or
    more), nothing ahead of the camera is seen: 0.0.
    """
    _check_mount(height_m, tilt_deg, vfov_deg)
    upper = -tilt_deg - vfov_deg / 2.0
    if upper <= _ANGLE_EPS_DEG:
        return math.inf
    if upper >= 90.0:
        return 0.0
    return height_m / math.tan(math.radians(upper))
