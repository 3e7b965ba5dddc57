"""The coverage self-test's blind spots, on the example kindergarten's inventory: which cameras
that are down would cover a spot (no device contacted: the states are given)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from provision.drivers.connect import Connector
from provision.inventory.loader import load_inventory
from provision.verify.checks import coverage
from provision.verify.contract import CheckContext
from provision.verify.gather import DeviceState

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
SCHOOL = "dl-xg-k003"


def test_a_blind_spot_names_the_cameras_of_its_own_floor_that_would_cover_it() -> None:
    city = load_inventory(EXAMPLE).city
    assert city is not None
    school = city.school(SCHOOL)
    # The west stairs cameras of both floors are down. They hang at the same place of the
    # building's plan, one floor apart: the first floor's blind spot is the first floor
    # camera's to cover, never the second floor's (its ground is another floor).
    down = {"t1f-stair-w1", "t2f-stair-w1"}
    states = {
        cam.name: DeviceState(
            f"{SCHOOL}/{cam.name}",
            "camera",
            reachable=cam.name not in down,
            error="no answer" if cam.name in down else None,
            settings={"encoder.main.resolution": cam.video.resolution},
        )
        for cam in school.cameras
    }
    result = coverage.check(CheckContext(city, school, cast(Connector, None), states, 10.0))
    zones = result.evidence["zones"]
    named = {
        zone: {name for spot in info["blind_spots"] for name in spot["would_be_covered_by"]}
        for zone, info in zones.items()
        if info["area"] in ("teach-1f", "teach-2f")
    }
    first = {
        name for zone, names in named.items() if zones[zone]["area"] == "teach-1f" for name in names
    }
    second = {
        name for zone, names in named.items() if zones[zone]["area"] == "teach-2f" for name in names
    }
    assert first == {"t1f-stair-w1"}
    assert second == {"t2f-stair-w1"}
