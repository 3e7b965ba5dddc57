"""Shared fixtures: the example city, and broken copies of it for validation tests."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "dalian"
_COLLECTED = pytest.StashKey[int]()
_counter = itertools.count()


def pytest_itemcollected(item: pytest.Item) -> None:
    item.stash[_COLLECTED] = next(_counter)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests run in random order (pytest-randomly shuffles modules, and tests within them).
    A module marked `pytest.mark.scenario` is one story told in steps against one lab (plan,
    apply, drift, rollback): its steps keep their written order, while the module itself
    still takes a random place in the run."""
    start = 0
    while start < len(items):
        module = getattr(items[start], "module", None)
        end = start
        while end < len(items) and getattr(items[end], "module", None) is module:
            end += 1
        if items[start].get_closest_marker("scenario") is not None:
            items[start:end] = sorted(items[start:end], key=lambda i: i.stash[_COLLECTED])
        start = end


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden", action="store_true", help="rewrite golden files from current output"
    )


@pytest.fixture
def regen_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-golden"))


@pytest.fixture
def example_city() -> Path:
    return EXAMPLE


@pytest.fixture
def city_copy(tmp_path: Path) -> Path:
    """A private copy of the example city that a test may break."""
    dest = tmp_path / "city"
    shutil.copytree(EXAMPLE, dest)
    return dest


@pytest.fixture(autouse=True)
def _private_known_hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Host keys learned by a test stay with that test, never in the repository's .provision/."""
    monkeypatch.setenv("PROVISION_KNOWN_HOSTS", str(tmp_path / "known_hosts"))


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """The order's seed, even under -q, so a failure that depends on order can be replayed."""
    if config.pluginmanager.hasplugin("randomly"):
        seed = config.getoption("randomly_seed", None)
        terminalreporter.write_line(f"test order: -p randomly --randomly-seed={seed}")
