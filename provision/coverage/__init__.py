"""Camera coverage geometry: optics, per-camera footprints and per-zone coverage.

Pure functions over plan coordinates (metres); nothing here talks to a device, so the site
validator and the audit reports can use it offline.
"""

from __future__ import annotations

from provision.coverage.footprint import CameraView, footprint, sector
from provision.coverage.zones import (
    BlindSpot,
    ZoneCoverage,
    area_coverage,
    coverage_of_zone,
    polygon_problem,
)
from provision.optics import (
    DORI_PPM,
    dori_range_m,
    far_ground_limit_m,
    hfov_from_lens,
    near_blind_radius_m,
    vfov_from_hfov,
)

__all__ = [
    "DORI_PPM",
    "BlindSpot",
    "CameraView",
    "ZoneCoverage",
    "area_coverage",
    "coverage_of_zone",
    "dori_range_m",
    "far_ground_limit_m",
    "footprint",
    "hfov_from_lens",
    "near_blind_radius_m",
    "polygon_problem",
    "sector",
    "vfov_from_hfov",
]
