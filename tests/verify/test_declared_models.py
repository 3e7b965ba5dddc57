"""verify fails a device that is not the model the inventory declares."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from provision.cli.init import write_starter


def _provision(tmp: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str:
    env = {**os.environ, "PROVISION_LAB_DIR": str(tmp / "lab")}
    done = subprocess.run(
        [sys.executable, "-m", "provision", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp,
        timeout=300,
    )
    assert done.returncode in ok, done.stdout + done.stderr
    return done.stdout


def test_a_switch_of_another_model_fails_reachability_and_the_declared_one_passes(
    tmp_path: Path,
) -> None:
    write_starter(tmp_path / "city")
    school = tmp_path / "city" / "schools" / "my-school.yaml"
    text = school.read_text(encoding="utf-8")
    switch = "{name: core, platform: huawei, host: 10.1.1.1}"
    assert switch in text
    # the lab's huawei switch is an S5720-28X-SI-AC; the camera reports what it is declared as
    declared = switch.replace("}", ", model: S6730-H24X6C}")
    school.write_text(text.replace(switch, declared), encoding="utf-8")

    def reachability(out: str, ok: tuple[int, ...] = (0,)) -> None:
        args = ("verify", "-i", "city", "--lab", "--checks", "reachability", "--out", out)
        _provision(tmp_path, *args, ok=ok)

    _provision(tmp_path, "lab", "up", "-i", "city")
    try:
        reachability("wrong.json", ok=(2,))
        school.write_text(text.replace(switch, switch.replace("}", ", model: S5720-28X-SI-AC}")))
        reachability("right.json")
    finally:
        _provision(tmp_path, "lab", "down")
    report = json.loads((tmp_path / "wrong.json").read_text(encoding="utf-8"))
    [school_report] = report["schools"]
    [check] = [c for c in school_report["checks"] if c["check"] == "reachability"]
    [core] = [f for f in check["findings"] if f["subject"] == "core"]
    assert core["verdict"] == "fail"
    said = core["message"]
    assert "reports model S5720-28X-SI-AC, not S6730-H24X6C as the inventory says" in said
