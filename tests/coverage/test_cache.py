"""The coverage cache: an area's entry is read only while its zones, walls and cameras are
what they were; a corrupt or foreign entry is ignored and rewritten; with or without it,
validate finds the same problems."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from provision.coverage import cache as coverage_cache
from provision.coverage.cache import CoverageCache, area_key, default_cache
from provision.coverage.school import camera_view, school_coverage
from provision.inventory.loader import load_inventory
from provision.inventory.model import School
from provision.validate import validate

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"


@pytest.fixture(scope="module")
def school() -> School:
    inv = load_inventory(EXAMPLE)
    return max(inv.schools, key=lambda s: len(s.cameras))


def _entries(cache: CoverageCache) -> set[Path]:
    return set(cache.directory.rglob("*.json"))


def _area_key(school: School, area_id: str) -> str:
    area = next(a for a in school.areas if a.id == area_id)
    zones = [(z.id, z.polygon, z.dori) for z in area.zones]
    views = [camera_view(c) for c in school.cameras if c.area == area_id]
    return area_key(zones, views, area.walls)


def test_cached_coverage_equals_computed_cold_and_warm(school: School, tmp_path: Path) -> None:
    cache = CoverageCache(tmp_path)
    computed = school_coverage(school)
    assert school_coverage(school, cache=cache) == computed  # cold: computed, then written
    assert len(_entries(cache)) == len({a.id for a in school.areas})
    assert school_coverage(school, cache=cache) == computed  # warm: read back, equal floats


def test_a_moved_camera_gets_its_area_a_new_entry_and_leaves_the_others(
    school: School, tmp_path: Path
) -> None:
    cache = CoverageCache(tmp_path)
    school_coverage(school, cache=cache)
    before = _entries(cache)
    cam = next(
        c for c in school.cameras if any(z for a in school.areas if a.id == c.area for z in a.zones)
    )
    turned = dataclasses.replace(
        cam, mount=dataclasses.replace(cam.mount, heading=cam.mount.heading + 90)
    )
    moved = dataclasses.replace(school, cameras=[turned if c is cam else c for c in school.cameras])
    assert _area_key(moved, cam.area) != _area_key(school, cam.area)
    assert school_coverage(moved, cache=cache) == school_coverage(moved)
    added = _entries(cache) - before
    assert [p.stem for p in added] == [_area_key(moved, cam.area)]


@pytest.mark.parametrize(
    "garbage",
    [b"{not json", b"\xff\xfe", b'{"key": "x", "zones": []}', b'{"zones": [[1, 2]]}', b"[]"],
    ids=["truncated", "not-utf8", "another-key", "no-key", "wrong-shape"],
)
def test_a_corrupt_or_foreign_entry_is_ignored_and_rewritten(
    school: School, tmp_path: Path, garbage: bytes
) -> None:
    cache = CoverageCache(tmp_path)
    computed = school_coverage(school, cache=cache)
    for entry in _entries(cache):
        entry.write_bytes(garbage)
    assert school_coverage(school, cache=cache) == computed
    for entry in _entries(cache):  # rewritten whole, and read back as such
        assert entry.read_bytes() != garbage
    assert school_coverage(school, cache=cache) == computed
    assert not list(cache.directory.rglob(".tmp-*"))  # no temporary file is left behind


def test_an_entry_of_another_area_is_not_read_as_this_one(school: School, tmp_path: Path) -> None:
    cache = CoverageCache(tmp_path)
    computed = school_coverage(school, cache=cache)
    entries = sorted(_entries(cache))
    for entry in entries[1:]:
        shutil.copyfile(entries[0], entry)  # every entry now says it is the first's
    assert school_coverage(school, cache=cache) == computed


def test_an_unwritable_cache_costs_only_speed(school: School, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert school_coverage(school, cache=CoverageCache(blocker)) == school_coverage(school)


def test_the_environment_turns_it_off_or_moves_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(coverage_cache.ENV_SWITCH, "off")
    assert default_cache() is None
    monkeypatch.setenv(coverage_cache.ENV_SWITCH, "on")
    monkeypatch.setenv(coverage_cache.ENV_DIR, "/somewhere")
    cache = default_cache()
    assert cache is not None and cache.directory == Path("/somewhere/coverage")


def test_validate_finds_the_same_with_and_without_the_cache(
    city_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A zone no camera can cover: the coverage rule's problem and its blind spots are the
    # cache's output, so they must read the same from a warm entry.
    school_file = city_copy / "schools" / "dl-xg-k003.yaml"
    text = school_file.read_text(encoding="utf-8")
    assert "heading: 270, tilt: -15" in text  # the gate's face camera, turned away below
    school_file.write_text(text.replace("heading: 270, tilt: -15", "heading: 90, tilt: -15"))
    monkeypatch.setenv(coverage_cache.ENV_SWITCH, "off")
    without = validate(city_copy, workers=1).problems
    monkeypatch.setenv(coverage_cache.ENV_SWITCH, "on")
    monkeypatch.setenv(coverage_cache.ENV_DIR, str(tmp_path))
    cold = validate(city_copy, workers=1).problems
    warm = validate(city_copy, workers=1).problems
    assert any(p.code == "coverage" for p in without)
    assert cold == without and warm == without
    assert list(tmp_path.rglob("*.json"))
