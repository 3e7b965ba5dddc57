"""plan → apply → plan on the lab, as an integrator runs it: separate processes, real protocols.
The tests are the steps of one story on one lab (marked `scenario`: they run in their order).

One school (Cisco uplink, 31 cameras, LED board, two alarm panels, MediaMTX precinct) keeps the
run short; every device kind and both halves of the lab's routing are exercised.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from onvif import ONVIFCamera
from requests.auth import HTTPDigestAuth

pytestmark = pytest.mark.scenario

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
SCHOOL = "dl-xg-m016"
SENTINELS = {
    "PROVISION_CAMERA_PASSWORD": "S3NT1NEL-cam-admin",
    "PROVISION_CAMERA_OPERATOR_PASSWORD": "S3NT1NEL-cam-operator",
    "PROVISION_CAMERA_AUDITOR_PASSWORD": "S3NT1NEL-cam-auditor",
    "PROVISION_NETWORK_PASSWORD": "S3NT1NEL-net",
    "PROVISION_ALARM_PASSWORD": "S3NT1NEL-alarm",
    "PROVISION_LED_PASSWORD": "S3NT1NEL-led",
    "PROVISION_ZLM_SECRET": "S3NT1NEL-zlm",
}


class Env:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.env = {
            **os.environ,
            **SENTINELS,
            "PROVISION_LAB_DIR": str(tmp / "lab"),
            "PROVISION_JOURNAL": str(tmp / "journal.sqlite"),
            "PROVISION_LOCK_DIR": str(tmp / "locks"),
        }
        self.outputs: list[str] = []

    def run(self, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "provision", *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.tmp,
            timeout=300,
        )
        self.outputs += [done.stdout, done.stderr]
        assert done.returncode in ok, f"{args}: exit {done.returncode}\n{done.stdout}{done.stderr}"
        return done

    def lab_state(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads((self.tmp / "lab" / "state.json").read_text())
        return state


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    env = Env(tmp_path_factory.mktemp("e2e"))
    env.run("lab", "up", "-i", str(EXAMPLE), "--school", SCHOOL)
    try:
        yield env
    finally:
        env.run("lab", "down")


def _plan(env: Env, *extra: str) -> tuple[int, dict[str, Any]]:
    done = env.run(
        "plan",
        "-i",
        str(EXAMPLE),
        "--school",
        SCHOOL,
        "--lab",
        "--format",
        "json",
        "--detailed-exitcode",
        *extra,
        ok=(0, 2),
    )
    return done.returncode, json.loads(done.stdout)


def _camera_client(env: Env, name: str) -> ONVIFCamera:
    dev = env.lab_state()["devices"][f"{SCHOOL}/{name}"]
    return ONVIFCamera(
        dev["host"],
        dev["ports"]["http"],
        "admin",
        SENTINELS["PROVISION_CAMERA_PASSWORD"],
        adjust_time=True,
    )


def test_plan_apply_converge_and_are_idempotent(lab: Env) -> None:
    code, plan = _plan(lab, "--out", str(lab.tmp / "plan.json"))
    assert code == 2
    kinds = {d["kind"] for d in plan["devices"] if d["changes"]}
    assert kinds == {"camera", "switch", "alarm", "led_board", "streams", "recorder"}
    text = lab.run("apply", "-i", str(EXAMPLE), "--school", SCHOOL, "--lab", "--yes").stdout
    assert "Summary:" in text and "failed" not in text.split("Summary:")[1]
    code, again = _plan(lab)
    assert code == 0, [d for d in again["devices"] if d["changes"]]
    # an independent client confirms
    cam = _camera_client(lab, "gate-face")
    assert cam.devicemgmt.GetHostname().Name == f"{SCHOOL}-gate-face"


def _isapi_rename(env: Env, name: str, device_name: str) -> None:
    """Change a Hikvision camera's name by hand, as its web page or any ISAPI client would."""
    dev = env.lab_state()["devices"][f"{SCHOOL}/{name}"]
    url = f"http://{dev['host']}:{dev['ports']['http']}/ISAPI/System/deviceInfo"
    auth = HTTPDigestAuth("admin", SENTINELS["PROVISION_CAMERA_PASSWORD"])
    info = requests.get(url, auth=auth, timeout=10).text
    info = re.sub(
        r"<deviceName>[^<]*</deviceName>", f"<deviceName>{device_name}</deviceName>", info
    )
    assert requests.put(url, data=info.encode(), auth=auth, timeout=10).ok


def test_a_setting_changed_by_hand_is_exactly_the_drift(lab: Env) -> None:
    _isapi_rename(lab, "canteen-ne", "changed-by-hand")  # a Hikvision camera, over ISAPI
    code, plan = _plan(lab)
    assert code == 2
    [device] = [d for d in plan["devices"] if d["changes"]]
    assert device["device"] == f"{SCHOOL}/canteen-ne"
    assert device["changes"] == [
        {"setting": "hostname", "before": "changed-by-hand", "after": f"{SCHOOL}-canteen-ne"}
    ]
    lab.run("apply", "-i", str(EXAMPLE), "--school", SCHOOL, "--lab", "--yes")


def test_a_stale_saved_plan_is_refused(lab: Env) -> None:
    cam = _camera_client(lab, "play-ne")
    cam.devicemgmt.SetHostname({"Name": "drift-1"})
    _plan(lab, "--out", str(lab.tmp / "stale.json"))
    cam.devicemgmt.SetHostname({"Name": "drift-2"})
    done = lab.run(
        "apply", "-i", str(EXAMPLE), "--lab", "--yes", str(lab.tmp / "stale.json"), ok=(1,)
    )
    assert "stale" in done.stderr and "play-ne" in done.stderr
    assert cam.devicemgmt.GetHostname().Name == "drift-2"  # nothing was applied
    # a fresh saved plan applies exactly
    _plan(lab, "--out", str(lab.tmp / "fresh.json"))
    lab.run("apply", "-i", str(EXAMPLE), "--lab", "--yes", str(lab.tmp / "fresh.json"))
    assert cam.devicemgmt.GetHostname().Name == f"{SCHOOL}-play-ne"


def test_rollback_restores_factory_state(lab: Env) -> None:
    history = json.loads(lab.run("history", "--json").stdout)
    first_apply = history[-1]["run_id"]  # oldest: the apply from factory state
    lab.run("rollback", first_apply, "-i", str(EXAMPLE), "--lab")
    cam = _camera_client(lab, "gate-face")
    assert cam.devicemgmt.GetHostname().Name.startswith("IPC-")
    code, plan = _plan(lab)
    assert code == 2
    changed = {d["device"] for d in plan["devices"] if d["changes"]}
    assert f"{SCHOOL}/gate-face" in changed and f"{SCHOOL}/core" in changed


def test_one_failing_camera_never_stops_the_others(lab: Env) -> None:
    victim = f"{SCHOOL}/gate-face"
    lab.run("lab", "fault", victim, "soap_fault=SetVideoEncoderConfiguration")
    try:
        done = lab.run(
            "apply",
            "-i",
            str(EXAMPLE),
            "--school",
            SCHOOL,
            "--lab",
            "--yes",
            "--format",
            "json",
            ok=(1,),
        )
    finally:
        lab.run("lab", "fault", victim, "--clear")
    report = json.loads(done.stdout)
    by_device = {d["device"]: d for d in report["devices"]}
    assert by_device[victim]["status"] == "failed"
    assert "SetVideoEncoderConfiguration" in by_device[victim]["error"]
    # The camera never got the view-only account (its apply stopped first), so the platform's
    # pull of it is refused, as a real camera refuses it: forwarding fails for that feed only.
    # On a fresh lab that is the first apply and forwarding fails for that feed only; after an
    # earlier apply the camera has the account and its feed is already forwarded.
    streams = by_device.pop(f"{SCHOOL}/streams")
    if streams["status"] == "failed":
        assert "gate-face" in streams["error"] and "gate-plaza" not in streams["error"]
    else:
        assert streams["status"] in ("changed", "unchanged")
    others = [d for name, d in by_device.items() if name != victim]
    assert all(d["status"] in ("changed", "unchanged") for d in others)
    # what had landed on the failed camera was put back: it is still at factory hostname
    assert _camera_client(lab, "gate-face").devicemgmt.GetHostname().Name.startswith("IPC-")
    journal = sqlite3.connect(lab.tmp / "journal.sqlite")
    devices = {
        r[0]
        for r in journal.execute(
            "SELECT device FROM changes WHERE run_id = ? AND outcome = 'applied'",
            (report["run_id"],),
        )
    }
    assert f"{SCHOOL}/core" in devices and len(devices) >= 30
    code, plan = _plan(lab)
    pending = {d["device"] for d in plan["devices"] if d["changes"]}
    assert code == 2 and victim in pending and pending <= {victim, f"{SCHOOL}/streams"}
    lab.run("apply", "-i", str(EXAMPLE), "--school", SCHOOL, "--lab", "--yes")


def test_no_secret_appears_in_output_plans_journal_or_lab_log(lab: Env) -> None:
    files = [p for p in lab.tmp.rglob("*") if p.is_file()]
    blobs = [p.read_bytes() for p in files]
    journal = sqlite3.connect(lab.tmp / "journal.sqlite")
    rows = (
        journal.execute("SELECT * FROM changes").fetchall()
        + journal.execute("SELECT * FROM runs").fetchall()
    )
    assert rows
    blobs.append(repr(rows).encode())
    blobs += [o.encode() for o in lab.outputs]
    for value in SENTINELS.values():
        leaks = [i for i, blob in enumerate(blobs) if value.encode() in blob]
        assert not leaks, (
            f"{value} leaked into {[str(files[i]) if i < len(files) else i for i in leaks]}"
        )


def _edit_plan(path: Path, edit: str) -> Path:
    """A copy of a saved plan with one hand edit of the kind a careless or hostile user makes."""
    plan = json.loads(path.read_text())
    [device] = [d for d in plan["devices"] if d["changes"]]
    if edit == "after":
        device["changes"][0]["after"] = "PWNED"
    elif edit == "before":
        device["changes"][0]["before"] = "something-else"
    elif edit == "drop changes":
        device["changes"] = []
    elif edit == "other school":
        plan["devices"].append({**device, "device": "dl-zs-h024/gate-face"})
    edited = path.with_name(f"edited-{edit.replace(' ', '-')}.json")
    edited.write_text(json.dumps(plan))
    return edited


def test_a_hand_edited_saved_plan_applies_nothing(lab: Env) -> None:
    cam = _camera_client(lab, "play-ne")  # an ONVIF camera of the school
    cam.devicemgmt.SetHostname({"Name": "drifted"})
    saved = lab.tmp / "reviewed.json"
    _plan(lab, "--out", str(saved))
    for edit in ("after", "before", "drop changes", "other school"):
        edited = str(_edit_plan(saved, edit))
        done = lab.run("apply", "-i", str(EXAMPLE), "--lab", "--yes", edited, ok=(1,))
        assert "stale" in done.stderr, edit
        named = "dl-zs-h024/gate-face" if edit == "other school" else f"{SCHOOL}/play-ne"
        assert named in done.stderr, (edit, done.stderr)
        assert cam.devicemgmt.GetHostname().Name == "drifted", edit  # nothing was applied
    # The reviewed plan itself still applies, exactly.
    lab.run("apply", "-i", str(EXAMPLE), "--lab", "--yes", str(saved))
    assert cam.devicemgmt.GetHostname().Name == f"{SCHOOL}-play-ne"
