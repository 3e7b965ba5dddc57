"""A lab split over several processes: the plan (who holds which schools and precincts) and
`lab up --shards N`, status, fault and down as a user runs them, including a shard that dies."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from labsupport import wait_until

from provision.citygen import write_city
from provision.errors import ProvisionError
from provision.inventory.loader import load_inventory
from provision.inventory.model import City, School
from provision.inventory.selectors import Selection
from provision.lab import netmap
from provision.lab.process import Shard, plan_shards, start_lab, stop_lab_processes
from provision.lab.state import live_pids, pid_alive, read_state, require_state

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"


@pytest.fixture(scope="module")
def city20(tmp_path_factory: pytest.TempPathFactory) -> City:
    """20 generated schools: four districts, zhongshan with two precincts, 264 sockets each."""
    root = tmp_path_factory.mktemp("city20")
    write_city(root, 20)
    city = load_inventory(root).city
    assert city is not None
    return city


def assert_well_formed(plan: list[Shard], city: City, schools: list[School], limit: int) -> None:
    """Every school in exactly one shard, each precinct in exactly one shard, with its schools."""
    held = [s for shard in plan for s in shard.schools]
    assert sorted(held) == sorted(s.id for s in schools)
    precincts = Counter(p for shard in plan for p in shard.precincts)
    assert set(precincts) == {s.precinct for s in schools} and set(precincts.values()) == {1}
    for shard in plan:
        assert shard.schools and shard.listeners <= limit
        for sid in shard.schools:
            assert next(s for s in schools if s.id == sid).precinct in shard.precincts


def test_whole_districts_when_they_fit(city20: City) -> None:
    plan = plan_shards(city20, city20.schools, 4, limit=10_000)
    assert_well_formed(plan, city20, city20.schools, 10_000)
    assert sorted(shard.districts for shard in plan) == [
        ("ganjingzi",),
        ("shahekou",),
        ("xigang",),
        ("zhongshan",),
    ]
    zhongshan = next(s for s in plan if s.districts == ("zhongshan",))
    assert zhongshan.precincts == ("nanshajie", "qingniwaqiao") and zhongshan.listeners == 528


def test_by_precinct_when_districts_are_too_few_or_too_big(city20: City) -> None:
    five = plan_shards(city20, city20.schools, 5, limit=10_000)  # four districts, five precincts
    assert_well_formed(five, city20, city20.schools, 10_000)
    assert sorted(len(s.precincts) for s in five) == [1] * 5
    # zhongshan (528 sockets) fits no 500-socket process: its two precincts go apart.
    auto = plan_shards(city20, city20.schools, None, limit=500)
    assert_well_formed(auto, city20, city20.schools, 500)
    assert len(auto) == 5


def test_default_is_as_few_shards_as_the_socket_limit_allows(city20: City) -> None:
    assert len(plan_shards(city20, city20.schools, None, limit=15_000)) == 1
    three = plan_shards(city20, city20.schools, None, limit=600)  # 1,320 sockets in all
    assert_well_formed(three, city20, city20.schools, 600)
    districts = Counter(d for shard in three for d in shard.districts)
    assert len(three) == 3 and set(districts.values()) == {1}  # no district split


def test_a_selection_is_split_and_unselected_precincts_stay_out(city20: City) -> None:
    schools = Selection(districts=("zhongshan",)).apply(city20)
    plan = plan_shards(city20, schools, 2, limit=10_000)
    assert_well_formed(plan, city20, schools, 10_000)
    assert sorted(s.precincts for s in plan) == [("nanshajie",), ("qingniwaqiao",)]


def test_impossible_splits_say_why(city20: City) -> None:
    with pytest.raises(ProvisionError, match="5 precinct"):
        plan_shards(city20, city20.schools, 6, limit=10_000)
    with pytest.raises(ProvisionError, match="use --shards 3 or more"):
        plan_shards(city20, city20.schools, 2, limit=600)
    with pytest.raises(
        ProvisionError, match=r"precinct \w+ with its 4 school\(s\) needs 264 listening sockets"
    ):
        plan_shards(city20, city20.schools, None, limit=200)


def provision(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "provision", *args], capture_output=True, text=True, timeout=120
    )
    if check and result.returncode != 0:
        raise AssertionError(f"provision {' '.join(args)}: {result.stdout}{result.stderr}")
    return result


def test_sharded_lab_status_fault_dead_shard_and_down(tmp_path: Path) -> None:
    state = str(tmp_path / "lab")
    faults = tmp_path / "faults.yaml"
    faults.write_text(
        "dl-zs-h024/gate-face: {obstructed: true}\n"
        "precinct/renminguangchang/alarm_center: {drop_acks: true}\n",
        encoding="utf-8",
    )
    try:
        up = provision(
            "lab", "up", "-i", str(EXAMPLE), "--shards", "2", "--faults", str(faults),
            "--state-dir", state,
        )  # fmt: skip
        assert "2 shards" in up.stdout and "146 devices for 4 school(s)" in up.stdout
        index = json.loads((tmp_path / "lab" / "shards.json").read_text())["shards"]
        assert not (tmp_path / "lab" / "state.json").exists()
        by_district = {tuple(s["districts"]): s for s in index}
        assert set(by_district) == {("zhongshan",), ("xigang",)}
        pids = [s["pid"] for s in index]
        devices = json.loads(provision("lab", "status", "--json", "--state-dir", state).stdout)
        assert len(devices) == 146 and {d["shard"] for d in devices} == {0, 1}
        for shard in index:
            mine = [d for d in devices if d["shard"] == shard["shard"]]
            assert {d["school"] for d in mine if d["school"]} == set(shard["schools"])
            assert {d["id"].split("/")[1] for d in mine if not d["school"]} == set(
                shard["precincts"]
            )
            # the planner's socket count is what the lab really binds
            assert sum(len(d["ports"]) for d in mine) == shard["listeners"]
        faulty = {d["id"]: d["faults"] for d in devices if d["faults"]}
        assert faulty == {
            "dl-zs-h024/gate-face": {"obstructed": True},
            "precinct/renminguangchang/alarm_center": {"drop_acks": True},
        }
        xigang = by_district[("xigang",)]
        out = provision(
            "lab", "fault", "dl-xg-k003/gate-face", "rtsp_down=true", "--state-dir", state
        )
        assert "rtsp_down" in out.stdout
        devices = json.loads(provision("lab", "status", "--json", "--state-dir", state).stdout)
        assert next(d for d in devices if d["id"] == "dl-xg-k003/gate-face")["faults"] == {
            "rtsp_down": True
        }
        assert read_state(tmp_path / "lab") is not None  # what `--lab` commands check

        os.kill(xigang["pid"], signal.SIGKILL)
        wait_until(lambda: not pid_alive(xigang["pid"]), 10, "the killed shard to be gone")
        status = provision("lab", "status", "--state-dir", state, check=False)
        assert status.returncode == 1
        assert f"shard {xigang['shard']} (pid {xigang['pid']}) is down" in status.stderr
        assert "dl-zs-h024/gate-face" in status.stdout and "dl-xg-k003" not in status.stdout
        dead = provision(
            "lab", "fault", "dl-xg-m016/core", "ssh_drop=true", "--state-dir", state, check=False
        )
        assert dead.returncode == 1 and "is down" in dead.stderr
    finally:
        down = provision("lab", "down", "--state-dir", state)
    assert "lab stopped" in down.stdout and "had already exited" in down.stdout
    assert not any(pid_alive(pid) for pid in pids)
    assert not list((tmp_path / "lab").glob("**/*.json"))
    assert "no lab is running" in provision("lab", "down", "--state-dir", state).stdout


def _processes_naming(text: str) -> list[int]:
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if text in proc.joinpath("cmdline").read_bytes().decode(errors="replace"):
                found.append(int(proc.name))
        except OSError:
            continue
    return [pid for pid in found if pid_alive(pid)]


def test_a_shard_that_cannot_start_takes_the_others_down(tmp_path: Path) -> None:
    # dl-xg-k003's switch cannot listen: its address is taken before the lab starts.
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind((netmap.lab_address("10.34.28.1"), netmap.lab_port(22)))
    blocker.listen()
    directory = tmp_path / "lab"
    try:
        with pytest.raises(ProvisionError, match=r"lab shard \d did not start"):
            start_lab(str(EXAMPLE), directory, Selection(), shards=2)
        left_running = _processes_naming(str(directory))
    finally:
        blocker.close()
        stop_lab_processes(directory)  # only if the test fails: start_lab left nothing to stop
    assert left_running == [] and read_state(directory) is None


def test_library_callers_see_one_lab_and_orphaned_shards_are_stopped(tmp_path: Path) -> None:
    directory = tmp_path / "lab"
    try:
        state = start_lab(
            str(EXAMPLE), directory, Selection(tiers=("kindergarten", "middle")), shards=None
        )
        assert "shards" not in state and (directory / "state.json").exists()  # one process
        assert stop_lab_processes(directory) == [state["pid"]]
        # A shard whose `lab up` died before writing the index is still found and stopped.
        orphan = start_lab(str(EXAMPLE), directory / "shard-0", Selection(tiers=("kindergarten",)))
        assert live_pids(directory) == [orphan["pid"]]
        with pytest.raises(ProvisionError, match="already running"):
            start_lab(str(EXAMPLE), directory, Selection(), shards=2)
    finally:
        stopped = stop_lab_processes(directory)
    assert stopped == [orphan["pid"]] and not pid_alive(orphan["pid"])
    with pytest.raises(ProvisionError, match="no lab is running"):
        require_state(directory)


def test_a_killed_lab_process_nobody_collected_yet_counts_as_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        wait_until(lambda: _proc_state(child.pid) == "Z", 10, "the child to exit")
        os.kill(child.pid, 0)  # the pid is still taken: kill() alone would call it running
        assert not pid_alive(child.pid)
    finally:
        child.wait()
    assert pid_alive(os.getpid())


def _proc_state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
