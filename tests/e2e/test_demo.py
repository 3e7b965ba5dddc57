"""make demo's main job: the example city on the lab with four faults, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"


def test_demo_finds_exactly_the_faults_it_set(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    env = {**os.environ, "PROVISION_LAB_DIR": str(tmp_path / "unused-lab")}
    done = subprocess.run(
        [sys.executable, "-m", "provision", "demo", "-i", str(EXAMPLE), "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "lab down" in done.stdout and f"Report: {out / 'report.html'}" in done.stdout
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    failing = {
        (s["school"], c["check"], f["subject"])
        for s in report["schools"]
        for c in s["checks"]
        for f in c["findings"]
        if f["verdict"] in ("fail", "error")
    }
    # the obstructed camera and the zone it leaves blind
    assert ("dl-zs-h024", "coverage", "gate-face") in failing
    assert ("dl-zs-h024", "coverage", "gate-passage") in failing
    # the dead alarm panel
    assert ("dl-zs-p007", "alarm", "teach-sos") in failing
    assert ("dl-zs-p007", "reachability", "teach-sos") in failing
    # the feed the precinct cannot pull
    assert ("dl-xg-k003", "streams", "dl-xg-k003-gate-plaza-w") in failing
    # the camera whose GB/T 28181 password differs: refused by the precinct's platform
    assert ("dl-zs-p007", "gb28181", "gate-plaza-w") in failing
    p007 = next(s for s in report["schools"] if s["school"] == "dl-zs-p007")
    gb = next(c for c in p007["checks"] if c["check"] == "gb28181")
    said = {f["subject"]: (f["verdict"], f["message"]) for f in gb["findings"]}
    assert "the SIP password differs" in said["gate-plaza-w"][1]
    assert {v for s, (v, _) in said.items() if s != "gate-plaza-w"} <= {"pass", "warn"}, said
    # and nothing else: without gate-face the plaza outside the gate is short of full cover
    # too, so the school misses its coverage target in the policy check
    expected_subjects = {
        "gate-face",
        "gate-passage",
        "gate-plaza",
        "coverage_targets",
        "teach-sos",
        "dl-xg-k003-gate-plaza-w",
        "streams",
        "gate-plaza-w",  # also its NVR channel: the NVR cannot pull it, so it records nothing
        "recorded_days",  # which policy reads from the recording audit
    }
    assert {subject for _, _, subject in failing} <= expected_subjects, failing
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "#ff0000" in html
    # the lab is gone
    state = out / "lab" / "state.json"
    assert not state.exists()
