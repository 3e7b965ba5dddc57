"""Shared fixtures: the example city, and broken copies of it for validation tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "dalian"


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
