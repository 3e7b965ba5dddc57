"""verify on the lab after apply, as an auditor runs it: all pass, then each fault found."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from junitparser import Error, Failure, JUnitXml
from labsupport import wait_until

from provision.inventory.loader import load_inventory
from provision.lab.credentials import lab_secret
from provision.verify import CHECKS

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
SCHOOL = "dl-xg-k003"  # kindergarten: every zone must be fully covered
CENTRE = "precinct/renminguangchang/alarm_center"  # the school's precinct's alarm centre


class Env:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.env = {
            **os.environ,
            "PROVISION_LAB_DIR": str(tmp / "lab"),
            "PROVISION_JOURNAL": str(tmp / "journal.sqlite"),
            "PROVISION_LOCK_DIR": str(tmp / "locks"),
        }

    def run(self, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "provision", *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.tmp,
            timeout=300,
        )
        assert done.returncode in ok, f"{args}: exit {done.returncode}\n{done.stdout}{done.stderr}"
        return done

    def verify(self, *extra: str, ok: tuple[int, ...] = (0, 2)) -> tuple[int, dict[str, Any]]:
        done = self.run(
            "verify",
            "-i",
            str(EXAMPLE),
            "--school",
            SCHOOL,
            "--lab",
            "--format",
            "json",
            *extra,
            ok=ok,
        )
        return done.returncode, json.loads(done.stdout)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    env = Env(tmp_path_factory.mktemp("verify"))
    env.run("lab", "up", "-i", str(EXAMPLE), "--school", SCHOOL)
    try:
        env.run("apply", "-i", str(EXAMPLE), "--school", SCHOOL, "--lab", "--yes")
        yield env
    finally:
        env.run("lab", "down")


def _check(report: dict[str, Any], name: str) -> dict[str, Any]:
    [school] = report["schools"]
    return next(c for c in school["checks"] if c["check"] == name)


def test_after_apply_every_check_passes(lab: Env) -> None:
    code, report = lab.verify()
    assert code == 0, [
        (c["check"], c["summary"])
        for c in report["schools"][0]["checks"]
        if c["verdict"] not in ("pass", "warn")
    ]
    assert report["verdict"] in ("pass", "warn")
    assert {c["check"] for c in report["schools"][0]["checks"]} == set(report["checks"])
    reach = _check(report, "reachability")["evidence"]["devices"]
    assert all(
        d["reachable"] and d["identity"].get("serial")
        for d in reach.values()
        if d["kind"] == "camera"
    )
    alarm = _check(report, "alarm")["evidence"]
    assert all(
        p["received"] and p["latency_s"] < alarm["threshold_s"] for p in alarm["panels"].values()
    )
    streams = _check(report, "streams")["evidence"]["streams"]
    assert streams and all(s["online"] and s["packets"] > 0 for s in streams.values())


def test_an_obstructed_camera_opens_a_named_blind_spot(lab: Env) -> None:
    victim = f"{SCHOOL}/gate-face"
    lab.run("lab", "fault", victim, "obstructed=true")
    try:
        code, report = lab.verify("--checks", "coverage")
        text = lab.run(
            "verify",
            "-i",
            str(EXAMPLE),
            "--school",
            SCHOOL,
            "--lab",
            "--checks",
            "coverage",
            ok=(2,),
        ).stdout
    finally:
        lab.run("lab", "fault", victim, "--clear")
    assert code == 2
    coverage = _check(report, "coverage")
    assert coverage["evidence"]["cameras"]["gate-face"]["state"] == "obstructed"
    passage = coverage["evidence"]["zones"]["gate-passage"]
    assert passage["effective_ratio"] < passage["planned_ratio"] == 1.0
    [spot] = passage["blind_spots"][:1]
    assert spot["area_m2"] > 1 and spot["would_be_covered_by"] == ["gate-face"]
    # and which live camera comes nearest to watching it, and why it does not
    assert spot["why"]["camera"] in {"gate-plaza-w", "gate-plaza-e"}
    assert spot["why"]["camera"] in spot["why"]["hint"] and spot["why"]["cause"]
    # the text report names the camera, the zone and the blind spot's area
    assert "gate-face" in text and "gate-passage" in text and f"{spot['area_m2']:.1f} m²" in text


def test_alarm_centre_down_fails_the_alarm_test_clearly_and_others_still_run(lab: Env) -> None:
    with centre_fault(lab, "receiver_down=true"):
        code, report = lab.verify("--alarm-threshold", "2")
    assert code == 2
    alarm = _check(report, "alarm")
    assert alarm["verdict"] == "fail"
    for panel in alarm["evidence"]["panels"].values():
        assert not panel["received"] and "no receipt within 2 s" in panel["error"]
        assert "queued at the panel" in panel["error"]
    others = {c["check"]: c["verdict"] for c in report["schools"][0]["checks"]}
    assert others["coverage"] == "pass" and others["streams"] == "pass"


def test_junit_report_loads_in_a_junit_parser(lab: Env, tmp_path: Path) -> None:
    out = tmp_path / "verify.xml"
    lab.run(
        "verify",
        "-i",
        str(EXAMPLE),
        "--school",
        SCHOOL,
        "--lab",
        "--out",
        str(out),
    )
    xml = JUnitXml.fromfile(str(out))
    cases = [case for suite in xml for case in suite]
    assert len(cases) == len(CHECKS)  # one school × every registered check
    assert {c.name for c in cases} == set(CHECKS)
    assert not any(isinstance(r, Failure | Error) for c in cases for r in c.result)


@contextmanager
def centre_fault(lab: Env, fault: str) -> Iterator[None]:
    """The precinct's alarm centre with `fault` for the block, then healthy again and every
    panel's queue drained: a test alarm a down or slow centre left queued (the panel backing
    off) would otherwise hold up the next test's alarm, whatever order the tests run in."""
    wait_until(lambda: _panels_idle(lab), timeout=60, what="panels' queues empty")
    lab.run("lab", "fault", CENTRE, fault)
    try:
        yield
    finally:
        lab.run("lab", "fault", CENTRE, "--clear")
        wait_until(lambda: _panels_idle(lab), timeout=60, what="panels' queues empty")


def _centre_api(lab: Env) -> str:
    devices = json.loads(lab.run("lab", "status", "--json").stdout)
    centre = next(d for d in devices if d["id"] == CENTRE)
    return f"http://{centre['host']}:{centre['ports']['http']}"


def test_the_self_test_runs_inside_a_test_window_and_leaves_none_open(lab: Env) -> None:
    api = _centre_api(lab)
    # A window a killed run left open on one of the school's accounts...
    city = load_inventory(EXAMPLE).city
    assert city is not None
    account = city.school(SCHOOL).alarms[0].account
    body = {"minutes": 5, "opened_by": "provision verify"}
    assert requests.put(f"{api}/api/accounts/{account}/test-window", json=body, timeout=5).ok
    code, report = lab.verify("--checks", "alarm")
    alarm = _check(report, "alarm")
    assert code == 0 and alarm["evidence"]["closed_left_open"][0].startswith(account)
    assert "closed test windows an earlier run left open" in alarm["summary"]
    assert all(p["on_test"] for p in alarm["evidence"]["panels"].values())  # not dispatched
    assert requests.get(f"{api}/api/test-windows", timeout=5).json() == []


def _panels_idle(lab: Env) -> bool:
    """Every panel of the school has delivered all it queued: an earlier test's alarm (one
    delayed by a slow centre) cannot then land in the middle of a count."""
    city = load_inventory(EXAMPLE).city
    assert city is not None
    panels = {f"{SCHOOL}/{p.name}": p for p in city.school(SCHOOL).alarms}
    devices = json.loads(lab.run("lab", "status", "--json").stdout)
    for dev in (d for d in devices if d["id"] in panels):
        creds = panels[dev["id"]].credentials
        assert creds is not None
        auth = (creds.username, lab_secret(creds.password))
        url = f"http://{dev['host']}:{dev['ports']['http']}/api/status"
        if requests.get(url, auth=auth, timeout=5).json()["queue_length"]:
            return False
    return True


def test_a_centre_that_refuses_test_mode_gets_no_test_alarm(lab: Env) -> None:
    api = _centre_api(lab)
    with centre_fault(lab, "test_mode_refused=true"):
        since = requests.get(f"{api}/api/health", timeout=5).json()["stored"]["events"]
        code, report = lab.verify("--checks", "alarm")
        after = requests.get(f"{api}/api/health", timeout=5).json()["stored"]["events"]
    assert code == 2 and after == since  # nothing was sent that could reach a dispatcher
    for panel in _check(report, "alarm")["evidence"]["panels"].values():
        assert "would not put account" in panel["error"] and not panel["received"]


def test_a_test_alarm_slower_than_the_citys_profile_fails_naming_its_source(lab: Env) -> None:
    with centre_fault(lab, "latency_ms=2300"):  # the example city's profile: 2 s
        code, report = lab.verify("--checks", "alarm")
    assert code == 2
    for panel in _check(report, "alarm")["evidence"]["panels"].values():
        assert panel["received"] and panel["latency_s"] > panel["limit_s"] == 2.0
        assert "above the 2 s limit (profile ga-t-368-wired: GA/T 368-2001" in panel["error"]
