"""Durable forwarding: a precinct platform that restarts loses every proxy the API gave it
(ZLMediaKit and MediaMTX keep them in memory); verify names each missing proxy, and the next
apply restores all of the selection's proxies in one run.

One scenario per platform kind through the real CLI against an in-process lab of the fault
matrix's one-school city, its precinct running MediaMTX (as in the example) or ZLMediaKit
(the steps keep their order: converge, restart, verify, apply, verify).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fault_matrix_lab import SCHOOL, FaultLab, small_city

from provision.inventory.loader import load_inventory

PRECINCT = "renminguangchang"
PLATFORM = f"precinct/{PRECINCT}/video_platform"


def _run_zlmediakit(root: Path) -> None:
    """The school's precinct runs ZLMediaKit instead, at the same address."""
    path = root / "city.yaml"
    city = yaml.safe_load(path.read_text("utf-8"))
    [precinct] = [p for p in city["precincts"] if p["id"] == PRECINCT]
    host = precinct["video_platform"]["api"].split("//")[1].split(":")[0]
    precinct["video_platform"] = {
        "kind": "zlmediakit",
        "api": f"http://{host}:8080",
        "secret": "${PROVISION_ZLM_SECRET}",
        "app": "school",
        "rtsp": f"{host}:554",
    }
    path.write_text(yaml.safe_dump(city, allow_unicode=True, sort_keys=False), "utf-8")


@pytest.fixture(scope="module", params=["mediamtx", "zlmediakit"])
def lab(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FaultLab]:
    root = small_city(tmp_path_factory.mktemp("restart") / "city")
    if request.param == "zlmediakit":
        _run_zlmediakit(root)
    lab = FaultLab(root, tmp_path_factory.mktemp("restart-work"))
    lab.start()
    yield lab
    lab.stop()


def _forwarded_streams(root: Path) -> int:
    city = load_inventory(root).city
    assert city is not None
    return sum(c.forward for c in city.school(SCHOOL).cameras)


def _held(lab: FaultLab) -> int:
    """Proxies the platform holds, in the API of the kind the precinct runs."""
    state = lab.lab.devices[PLATFORM].sim.state()
    return len(state["zlm_proxies"]) + len(state["mediamtx_paths"])


def test_a_restart_is_named_by_verify_and_undone_by_one_apply(lab: FaultLab) -> None:
    first = lab.apply()
    assert first.exit_code == 0, first.messages()
    forwarded = _forwarded_streams(lab.root)
    assert forwarded >= 2 and _held(lab) == forwarded

    lab.fault(PLATFORM, {"platform_restart": True})
    verify = lab.verify()
    assert verify.exit_code == 2
    assert verify.verdicts()["streams"] == "fail"
    missing = [m for m in verify.messages() if "proxy missing (platform restarted?)" in m]
    assert len(missing) == forwarded, verify.messages()  # each proxy, by name
    assert _held(lab) == 0

    again = lab.apply()
    assert again.exit_code == 0, again.messages()
    assert again.statuses()[f"{SCHOOL}/streams"] == "changed"
    [streams] = [d for d in again.report["devices"] if d["device"] == f"{SCHOOL}/streams"]
    restored = [c for c in streams["changes"] if c["before"] is None]
    assert len(restored) == forwarded  # every proxy of the selection, in this one run
    assert _held(lab) == forwarded

    after = lab.verify()
    assert after.exit_code == 0, after.messages()
