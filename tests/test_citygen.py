"""The generator writes the same bytes every time, and every city it writes validates."""

from __future__ import annotations

from pathlib import Path

from provision.citygen import write_city
from provision.validate import validate


def test_generated_45_school_city_validates_clean(tmp_path: Path) -> None:
    write_city(tmp_path, 45)
    result = validate(tmp_path)
    assert result.errors == []
    assert len(result.inventory.schools) == 45
    tiers = {s.tier for s in result.inventory.schools}
    assert tiers == {"high", "middle", "primary", "kindergarten"}
    cameras = [len(s.cameras) for s in result.inventory.schools]
    assert min(cameras) >= 10 and max(cameras) <= 40


def test_generation_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write_city(a, 8)
    write_city(b, 8)
    files = sorted(p.relative_to(a) for p in a.rglob("*.yaml"))
    assert files == sorted(p.relative_to(b) for p in b.rglob("*.yaml"))
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)


def test_showcase_city_is_what_examples_holds(tmp_path: Path, example_city: Path) -> None:
    write_city(tmp_path)
    for path in tmp_path.rglob("*.yaml"):
        assert path.read_bytes() == (example_city / path.relative_to(tmp_path)).read_bytes()
