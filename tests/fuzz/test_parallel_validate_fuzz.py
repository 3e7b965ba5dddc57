"""The multi-process validate path under hostile input: a city split into shares across
processes, with one file changed as the fuzz strategies change it, must give exactly the
problems the one-process path gives (the same codes, places and messages, in the same order)
and never crash in a worker. The split threshold is lowered for the example city (4 schools
and the fuzzed one), so each example costs two small validations, not two of a 40-school city.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fuzz_strategies import CITY_FILE, EXAMPLE, Case, cases, long_run, sample
from hypothesis import given

import provision.validate
from provision.validate import validate


@pytest.fixture(scope="module", autouse=True)
def split_small_cities() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(provision.validate, "PARALLEL_MIN_SCHOOLS", 2)
        yield


def check(case: Case, tmp_path: Path) -> None:
    root = tmp_path / "city"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(EXAMPLE, root)
    # The changed file joins the example city: city.yaml replaced, or one more school.
    target = root / CITY_FILE if case.target == CITY_FILE else root / "schools" / "fuzzed.yaml"
    target.write_bytes(case.content)
    serial = validate(root, workers=1)
    parallel = validate(root, workers=2)
    shown = [p.format() for p in serial.problems]
    assert [p.format() for p in parallel.problems] == shown, case.describe
    assert serial.ok() == parallel.ok()


@sample(8)
@given(case=cases())
def test_the_parallel_path_finds_exactly_what_the_serial_path_finds(
    case: Case, tmp_path_factory: pytest.TempPathFactory
) -> None:
    check(case, tmp_path_factory.mktemp("case"))


@pytest.mark.fuzz
@long_run(500)
@given(case=cases())
def test_fuzz_the_parallel_path_finds_exactly_what_the_serial_path_finds(
    case: Case, tmp_path_factory: pytest.TempPathFactory
) -> None:
    check(case, tmp_path_factory.mktemp("case"))
