"""The coverage geometry of a generated city, held to the figures recorded before it was sped up.

The golden file was written by the per-camera geometry that the batched one (footprints and
sightlines computed for a whole area at once) replaced: every zone's area, covered area,
ratio, blind spots and covering cameras, and a digest of every camera's footprint at every
DORI level, on four generated schools whose site plans are all distinct. With the GEOS and
the numpy SIMD path the file was recorded with, they must be equal bit for bit; with another
GEOS, whose overlays may round differently, or with numpy's AVX-512 kernels, whose sin, cos
and arctan (Intel's SVML) round differently in the last place (seen on a Xeon with AVX-512:
38 of 600 footprint digests differed, every figure agreed to 1e-9), the figures must agree
to 1e-9.
`--regen-golden` rewrites the file from the current code.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from pathlib import Path
from typing import Any

import pytest
import shapely

from provision.citygen import write_city
from provision.coverage.footprint import footprint
from provision.coverage.school import _distinct, camera_view
from provision.coverage.zones import area_coverage
from provision.inventory.loader import load_inventory
from provision.optics import DORI_PPM

GOLDEN = Path(__file__).parent / "golden" / "distinct_city_coverage.json"


def figures(root: Path) -> dict[str, Any]:
    """Coverage figures and footprint digests of every area of the city at `root`."""
    city = load_inventory(root).city
    assert city is not None
    areas: dict[str, Any] = {}
    for school in city.schools:
        for area in school.areas:
            views = _distinct([camera_view(c) for c in school.cameras if c.area == area.id])
            zones = [(z.id, z.polygon, z.dori) for z in area.zones]
            cov = area_coverage(zones, views, area.walls)
            shapes = {
                f"{v.name}@{dori}": footprint(v, dori, area.walls)
                for v in views
                for dori in DORI_PPM
            }
            areas[f"{school.id}/{area.id}"] = {
                "zones": [
                    [
                        c.zone_id,
                        c.area_m2,
                        c.covered_m2,
                        c.ratio,
                        len(c.blind_spots),
                        [*c.covered_by],
                    ]
                    for c in cov
                ],
                "footprints": {
                    key: hashlib.sha256(shapely.to_wkb(geom, byte_order=1)).hexdigest()[:16]
                    for key, geom in shapes.items()
                },
                "areas": {key: geom.area for key, geom in shapes.items()},
            }
    return {"geos": shapely.geos_version_string, "numpy_avx512": numpy_avx512(), "areas": areas}


def numpy_avx512() -> bool:
    """Whether numpy dispatches its float kernels to AVX-512 here (NPY_DISABLE_CPU_FEATURES
    can turn that off): its own report of the CPU features it uses."""
    try:  # numpy 2 (shapely, which brings numpy, also takes numpy 1)
        umath = importlib.import_module("numpy._core._multiarray_umath")
    except ImportError:
        umath = importlib.import_module("numpy.core._multiarray_umath")
    features = umath.__cpu_features__
    return any(features.get(name, False) for name in ("AVX512_SKX", "X86_V4"))


@pytest.fixture(scope="module")
def distinct_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("distinct")
    write_city(root, 4, distinct_layouts=True)
    return root


def test_geometry_is_what_it_was(distinct_city: Path, regen_golden: bool) -> None:
    got = figures(distinct_city)
    if regen_golden:
        GOLDEN.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert got["areas"].keys() == want["areas"].keys()
    if (got["geos"], got["numpy_avx512"]) == (want["geos"], want["numpy_avx512"]):
        assert got == want
        return
    for key, area in want["areas"].items():
        mine = got["areas"][key]
        for z_got, z_want in zip(mine["zones"], area["zones"], strict=True):
            assert z_got[0] == z_want[0] and z_got[4:] == z_want[4:], key
            assert z_got[1:4] == pytest.approx(z_want[1:4], rel=1e-9, abs=1e-12), key
        assert mine["areas"] == pytest.approx(area["areas"], rel=1e-9, abs=1e-12), key


def test_every_school_of_a_distinct_city_has_its_own_areas(distinct_city: Path) -> None:
    """distinct_layouts moves each school's plan, so no two share an area's cache key."""
    from provision.coverage.cache import area_key

    city = load_inventory(distinct_city).city
    assert city is not None
    keys = [
        area_key(
            [(z.id, z.polygon, z.dori) for z in area.zones],
            [camera_view(c) for c in school.cameras if c.area == area.id],
            area.walls,
        )
        for school in city.schools
        for area in school.areas
    ]
    assert len(set(keys)) == len(keys)
