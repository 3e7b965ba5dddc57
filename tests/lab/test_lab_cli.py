"""provision lab up / status / fault / down as a user runs them: separate processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from provision.lab.state import pid_alive

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"


def provision(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "provision", *args], capture_output=True, text=True, timeout=120
    )
    if check and result.returncode != 0:
        raise AssertionError(f"provision {' '.join(args)}: {result.stdout}{result.stderr}")
    return result


def test_up_status_fault_down_leaves_nothing_behind(tmp_path: Path) -> None:
    state = str(tmp_path / "lab")
    try:
        up = provision(
            "lab", "up", "-i", str(EXAMPLE), "--tier", "kindergarten", "--state-dir", state
        )
        assert "devices for 1 school(s)" in up.stdout
        pid = json.loads((tmp_path / "lab" / "state.json").read_text())["pid"]
        again = provision("lab", "up", "-i", str(EXAMPLE), "--state-dir", state, check=False)
        assert again.returncode == 1 and "already running" in again.stderr
        devices = json.loads(provision("lab", "status", "--json", "--state-dir", state).stdout)
        kinds = {d["kind"] for d in devices}
        assert kinds == {"camera", "switch", "alarm", "recorder", "video_platform", "alarm_center"}
        assert all(d["host"].startswith("127.") and d["ports"] for d in devices)
        cam = next(d["id"] for d in devices if d["kind"] == "camera")
        out = provision(
            "lab", "fault", cam, "obstructed=true", "latency_ms=50", "--state-dir", state
        )
        assert "obstructed" in out.stdout
        devices = json.loads(provision("lab", "status", "--json", "--state-dir", state).stdout)
        faulty = {d["id"]: d["faults"] for d in devices if d["faults"]}
        assert faulty == {cam: {"obstructed": True, "latency_ms": 50}}
        text = provision("lab", "status", "--state-dir", state).stdout
        assert cam in text and "obstructed=True" in text
    finally:
        down = provision("lab", "down", "--state-dir", state)
    assert f"lab stopped (pid {pid})" in down.stdout
    assert not pid_alive(pid)
    assert not (tmp_path / "lab" / "state.json").exists()
    assert "no lab is running" in provision("lab", "down", "--state-dir", state).stdout


def test_a_faults_file_naming_an_unknown_device_fails_clearly(tmp_path: Path) -> None:
    faults = tmp_path / "faults.yaml"
    faults.write_text("dl-xg-k003/gate-fase: {obstructed: true}\n", encoding="utf-8")
    state = str(tmp_path / "lab")
    result = provision(
        "lab",
        "up",
        "-i",
        str(EXAMPLE),
        "--tier",
        "kindergarten",
        "--faults",
        str(faults),
        "--state-dir",
        state,
        check=False,
    )
    assert result.returncode == 1
    assert "gate-fase" in result.stderr and "did you mean dl-xg-k003/gate-face" in result.stderr
    assert not (tmp_path / "lab" / "state.json").exists()


def test_status_without_a_lab_says_how_to_start_one(tmp_path: Path) -> None:
    result = provision("lab", "status", "--state-dir", str(tmp_path), check=False)
    assert result.returncode == 1 and "provision lab up" in result.stderr


@pytest.mark.parametrize("cmd", [["lab", "--help"], ["lab", "up", "--help"]])
def test_lab_help_has_examples(cmd: list[str]) -> None:
    assert "Example" in provision(*cmd).stdout
