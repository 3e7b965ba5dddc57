"""Fixtures every driver test module shares: the example city, and one lab event loop per
module (a module that needs a fresh loop per test defines its own `loop`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from driversupport import LabLoop

from provision.inventory.loader import load_inventory
from provision.inventory.model import City

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"


@pytest.fixture(scope="module")
def city() -> City:
    loaded = load_inventory(EXAMPLE).city
    assert loaded is not None
    return loaded


@pytest.fixture(scope="module")
def loop() -> Iterator[LabLoop]:
    lab = LabLoop()
    yield lab
    lab.close()
