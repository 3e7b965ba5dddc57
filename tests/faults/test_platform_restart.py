"""Durable forwarding: a precinct platform that restarts loses every proxy the API gave it
(ZLMediaKit and MediaMTX keep them in memory); verify names each missing proxy, and the next
apply restores all of the selection's proxies in one run.

One scenario through the real CLI against an in-process lab of the fault matrix's one-school
city (its steps keep their order: converge, restart, verify, apply, verify).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_matrix_lab import SCHOOL, FaultLab, small_city

from provision.inventory.loader import load_inventory

PLATFORM = "precinct/renminguangchang/video_platform"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultLab]:
    root = small_city(tmp_path_factory.mktemp("restart") / "city")
    lab = FaultLab(root, tmp_path_factory.mktemp("restart-work"))
    lab.start()
    yield lab
    lab.stop()


def _forwarded_streams(root: Path) -> int:
    city = load_inventory(root).city
    assert city is not None
    return sum(c.forward for c in city.school(SCHOOL).cameras)


def test_a_restart_is_named_by_verify_and_undone_by_one_apply(lab: FaultLab) -> None:
    first = lab.apply()
    assert first.exit_code == 0, first.messages()
    forwarded = _forwarded_streams(lab.root)
    assert forwarded >= 2

    lab.fault(PLATFORM, {"platform_restart": True})
    verify = lab.verify()
    assert verify.exit_code == 2
    assert verify.verdicts()["streams"] == "fail"
    missing = [m for m in verify.messages() if "proxy missing (platform restarted?)" in m]
    assert len(missing) == forwarded, verify.messages()  # each proxy, by name

    again = lab.apply()
    assert again.exit_code == 0, again.messages()
    assert again.statuses()[f"{SCHOOL}/streams"] == "changed"
    [streams] = [d for d in again.report["devices"] if d["device"] == f"{SCHOOL}/streams"]
    restored = [c for c in streams["changes"] if c["before"] is None]
    assert len(restored) == forwarded  # every proxy of the selection, in this one run

    after = lab.verify()
    assert after.exit_code == 0, after.messages()
