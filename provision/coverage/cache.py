"""An on-disk cache of one area's coverage geometry, keyed by what decides it.

Coverage geometry is most of what `provision validate` spends on a city, and a city's
pipeline validates the same areas again and again: a merge request that re-aims one camera
changes one area of one school. An area's coverage depends only on its zones, its walls, the
views of its cameras and the geometry code, so it is stored under a SHA-256 digest of exactly
those (plus provision's version, the geometry modules' own source and the GEOS version): a
changed camera, zone or wall, or edited geometry code, is another key, so a stale entry is
never read, only left behind (`rm -r .provision/cache` reclaims the space).

Where: `$PROVISION_CACHE_DIR`, else `.provision/cache` under the working directory;
`PROVISION_CACHE=off` (or `provision validate --no-cache`) turns it off.

Safe by construction: an entry is written to a temporary file and renamed into place, so a
concurrent run sees a whole entry or none; an entry that does not parse, has the wrong shape
or names another key (a corrupt disk, a hand edit, a hash collision's first cousin) is
ignored and rewritten; a cache directory that cannot be written to costs only the speed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import fields
from functools import cache
from pathlib import Path

import shapely

import provision
from provision.coverage.footprint import CameraView, Walls
from provision.coverage.zones import BlindSpot, ZoneCoverage, area_coverage

DEFAULT_DIR = ".provision/cache"
ENV_DIR = "PROVISION_CACHE_DIR"
ENV_SWITCH = "PROVISION_CACHE"
# Bumped when the entry's layout changes; part of every key.
FORMAT = 1
# The modules whose code decides an area's coverage: an edit to any of them is a new key.
_GEOMETRY_SOURCES = (
    "coverage/footprint.py",
    "coverage/sightlines.py",
    "coverage/zones.py",
    "optics.py",
    "standards.py",
)

_VIEW_FIELDS = tuple(f.name for f in fields(CameraView))

Zones = Sequence[tuple[str, Sequence[tuple[float, float]], str]]


@cache
def code_version() -> str:
    """provision's version, the geometry code's own bytes and GEOS's version, hashed."""
    digest = hashlib.sha256(f"{provision.__version__}\0{shapely.geos_version_string}".encode())
    package = Path(provision.__file__).parent
    for name in _GEOMETRY_SOURCES:
        digest.update((package / name).read_bytes())
    return digest.hexdigest()


def area_key(zones: Zones, views: Sequence[CameraView], walls: Walls) -> str:
    """The digest of everything an area's coverage depends on."""
    material = {
        "format": FORMAT,
        "code": code_version(),
        "zones": [[zid, [list(p) for p in poly], dori] for zid, poly, dori in zones],
        "walls": [[list(p) for p in wall] for wall in walls],
        "views": [[getattr(v, name) for name in _VIEW_FIELDS] for v in views],
    }
    # repr of a float round-trips exactly: two inputs share a key only if they are equal.
    text = json.dumps(material, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _to_json(key: str, result: list[ZoneCoverage]) -> str:
    zones = [
        [
            c.zone_id,
            c.area_m2,
            c.covered_m2,
            c.ratio,
            [[s.area_m2, list(s.centroid), [list(p) for p in s.polygon]] for s in c.blind_spots],
            list(c.covered_by),
        ]
        for c in result
    ]
    return json.dumps({"key": key, "zones": zones}, separators=(",", ":"))


def _from_json(key: str, text: str) -> list[ZoneCoverage] | None:
    """The entry's coverage, or None for anything but a well-formed entry of this key."""
    try:
        entry = json.loads(text)
        if entry["key"] != key:
            return None
        return [
            ZoneCoverage(
                zone_id=str(zid),
                area_m2=float(area),
                covered_m2=float(covered),
                ratio=float(ratio),
                blind_spots=tuple(
                    BlindSpot(
                        float(s_area),
                        (float(cx), float(cy)),
                        [(float(x), float(y)) for x, y in polygon],
                    )
                    for s_area, (cx, cy), polygon in spots
                ),
                covered_by=tuple(str(n) for n in by),
            )
            for zid, area, covered, ratio, spots, by in entry["zones"]
        ]
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


class CoverageCache:
    """Coverage results of areas on disk, one small JSON file per key."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory) / "coverage"

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str, zone_ids: Sequence[str]) -> list[ZoneCoverage] | None:
        try:
            text = self._path(key).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        result = _from_json(key, text)
        if result is None or [c.zone_id for c in result] != list(zone_ids):
            return None
        return result

    def put(self, key: str, result: list[ZoneCoverage]) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(_to_json(key, result))
                os.replace(tmp, path)  # atomic: readers see the old entry or the new one
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a read-only or full disk: the cache only ever saves time


def enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "").strip().lower() not in ("off", "0", "no", "false")


def default_cache() -> CoverageCache | None:
    """The cache the environment asks for, or None when it is turned off."""
    if not enabled():
        return None
    return CoverageCache(os.environ.get(ENV_DIR) or DEFAULT_DIR)


def cached_area_coverage(
    cache_: CoverageCache | None,
    zones: Zones,
    views: Sequence[CameraView],
    walls: Walls,
) -> list[ZoneCoverage]:
    """An area's coverage (`area_coverage`), read from or saved to `cache_` if there is one."""
    if cache_ is None:
        return area_coverage(zones, views, walls)
    key = area_key(zones, views, walls)
    zone_ids = [zid for zid, _, _ in zones]
    found = cache_.get(key, zone_ids)
    if found is not None:
        return found
    result = area_coverage(zones, views, walls)
    cache_.put(key, result)
    return result
