"""The ONVIF Profile G recorder driver against a lab recorder over real SOAP with WS-Security
digests (127.0.0.1, port 0), through the field connector with sentinel secrets: plan, apply and
plan again, a job set Idle behind provision's back, a rollback, refusals, and the facts
`inspect` reads for the recording audit. One recorder serves the module; each test starts by
removing what the last one left (`clean`)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, cast

import pytest
from driversupport import LabLoop, RoutedConnector

from provision.drivers.base import Target
from provision.drivers.connect import Connector
from provision.drivers.onvif_client import OnvifError
from provision.drivers.recorder_isapi import CONTINUOUS
from provision.drivers.recorder_onvif import IDLE, OnvifRecorderDriver
from provision.errors import DeviceError
from provision.inventory.model import City
from provision.lab.faults import Faults
from provision.lab.onvif_recorder import OnvifRecorder
from provision.sizing import recorded_by
from provision.verify.checks import recording
from provision.verify.contract import CheckContext
from provision.verify.gather import DeviceState

SCHOOL = "dl-xg-k003"
ADMIN = "SENTINEL-onvif-nvr-7c21"
SECRETS = {"PROVISION_CAMERA_PASSWORD": ADMIN}
DAY = 86400


@pytest.fixture(scope="module")
def sim(city: City, loop: LabLoop) -> Iterator[OnvifRecorder]:
    school = city.school(SCHOOL)
    [spec] = school.recorders
    recorder = OnvifRecorder(
        spec.name,
        "127.0.0.1",
        faults=Faults(),
        cameras={c.host: c.video.bitrate_kbps for c in recorded_by(school, spec)},
        disks_tb=spec.disks_tb,
        http_port=0,
        admin=("admin", ADMIN),
    )
    loop.run(recorder.start())
    yield recorder
    loop.run(recorder.stop())


def _driver(city: City, sim: OnvifRecorder, env: dict[str, str] = SECRETS) -> OnvifRecorderDriver:
    school = city.school(SCHOOL)
    [spec] = school.recorders
    routes = {(spec.host, 80): ("127.0.0.1", sim.endpoints()["http"])}
    connector = RoutedConnector(timeout=2.0, env=env, routes=routes)
    return OnvifRecorderDriver(Target(city, school, spec, connector))


@pytest.fixture
def driver(city: City, sim: OnvifRecorder, loop: LabLoop) -> Iterator[OnvifRecorderDriver]:
    def clean() -> None:
        state = sim.settings
        state.recordings.clear()
        state.jobs.clear()
        state.receivers.clear()
        sim.faults.clear()
        state.sync_faults()

    loop.call(clean)
    made = _driver(city, sim)
    yield made
    made.close()


def test_apply_records_every_camera_continuously_and_converges(
    driver: OnvifRecorderDriver, sim: OnvifRecorder, city: City
) -> None:
    cameras = recorded_by(city.school(SCHOOL), city.school(SCHOOL).recorders[0])
    want = driver.desired()
    changes = driver.diff(driver.read(), want)
    assert len(changes) == 2 * len(cameras) and all(c.before is None for c in changes)
    driver.apply(changes)
    assert driver.diff(driver.read(), want) == []
    state = sim.settings
    assert sorted(r.source.name for r in state.recordings.values()) == sorted(
        c.name for c in cameras
    )
    assert {j.mode for j in state.jobs.values()} == {"Active"}
    assert {r.password for r in state.receivers.values()} == {ADMIN}  # resolved only to be sent
    assert {r.mode for r in state.receivers.values()} == {"AlwaysConnect"}
    shown = json.dumps([c.to_dict() for c in changes]) + json.dumps(driver.read())
    assert ADMIN not in shown and "${PROVISION_CAMERA_PASSWORD}" in shown
    assert ADMIN not in json.dumps(sim.state())


def test_a_job_set_idle_on_the_recorder_is_set_active_again(
    driver: OnvifRecorderDriver, sim: OnvifRecorder, loop: LabLoop
) -> None:
    driver.apply(driver.diff(driver.read(), driver.desired()))

    def idle_one() -> str:
        job = next(iter(sim.settings.jobs.values()))
        job.mode = "Idle"
        return sim.settings.recordings[job.recording].source.name

    name = loop.call(idle_one)
    changes = driver.diff(driver.read(), driver.desired())
    assert [(c.setting, c.before, c.after) for c in changes] == [
        (f"schedule.{name}", IDLE, CONTINUOUS)
    ]
    driver.apply(changes)
    assert driver.diff(driver.read(), driver.desired()) == []


def test_the_reversed_changes_remove_what_apply_added(
    driver: OnvifRecorderDriver, sim: OnvifRecorder
) -> None:
    changes = driver.diff(driver.read(), driver.desired())
    driver.apply(changes)
    driver.apply([c.reversed() for c in reversed(changes)])
    assert not sim.settings.recordings and not sim.settings.jobs and not sim.settings.receivers


def test_a_full_recorder_refuses_with_max_recordings(
    driver: OnvifRecorderDriver, sim: OnvifRecorder, loop: LabLoop
) -> None:
    loop.call(lambda: setattr(sim.settings, "max_recordings", 1))
    try:
        with pytest.raises(OnvifError) as caught:
            driver.apply(driver.diff(driver.read(), driver.desired()))
        assert caught.value.subcodes == ("Action", "MaxRecordings")
        assert len(sim.settings.recordings) == 1
    finally:
        loop.call(lambda: setattr(sim.settings, "max_recordings", 64))


def test_wrong_credentials_are_refused_as_not_authorized(
    city: City, sim: OnvifRecorder, driver: OnvifRecorderDriver
) -> None:
    wrong = _driver(city, sim, {"PROVISION_CAMERA_PASSWORD": "not-it"})
    try:
        with pytest.raises(OnvifError) as caught:
            wrong.read()
        assert caught.value.subcodes == ("NotAuthorized",)
        assert "not-it" not in str(caught.value)
    finally:
        wrong.close()


def test_a_recorder_without_recording_services_is_refused_plainly(
    driver: OnvifRecorderDriver, sim: OnvifRecorder, loop: LabLoop
) -> None:
    session = driver._session()
    session._services = {"http://www.onvif.org/ver10/device/wsdl": "/onvif/device_service"}
    with pytest.raises(DeviceError, match="does not offer Profile G"):
        driver.read()


def test_inspect_reads_each_recordings_span_and_its_jobs_state(
    driver: OnvifRecorderDriver, sim: OnvifRecorder, loop: LabLoop
) -> None:
    driver.apply(driver.diff(driver.read(), driver.desired()))
    facts = driver.inspect()
    assert facts["disks_reported"] is False
    assert facts["summary"]["recordings"] == len(driver.cameras)
    for channel in facts["channels"].values():
        assert 39 <= (facts["now"] - channel["oldest"]) / DAY <= 41  # the lab's 40 days
        assert facts["now"] - channel["newest"] < 60
        assert channel["job"] == {"state": "Active", "error": None}
        assert channel["gaps_read"] is True  # from the recording history events
        spans = channel["recent_spans"]
        week = facts["now"] - 7 * DAY  # (later if a lab outage of <= 40 min covers it)
        assert week - 5 <= spans[0][0] <= week + 2400
        assert spans[-1][1] == pytest.approx(channel["newest"], abs=5)
    sim.faults.update({"hdd_fail": True})
    loop.call(sim.settings.sync_faults)
    failed = driver.inspect()
    job = next(iter(failed["channels"].values()))["job"]
    assert job["state"] == "Error" and "failed" in job["error"]


def _audit(driver: OnvifRecorderDriver, city: City) -> tuple[str, dict[str, Any]]:
    school = city.school(SCHOOL)
    state = DeviceState(
        f"{SCHOOL}/nvr-1",
        "recorder",
        reachable=True,
        settings=driver.read(),
        facts=driver.inspect(),
    )
    ctx = CheckContext(city, school, cast(Connector, None), {"nvr-1": state}, 10.0)
    result = recording.check(ctx)
    return result.summary, {f.subject: f for f in result.findings}


def test_the_recording_audit_judges_what_onvif_tells_and_says_what_it_does_not(
    driver: OnvifRecorderDriver, sim: OnvifRecorder, city: City, loop: LabLoop
) -> None:
    driver.apply(driver.diff(driver.read(), driver.desired()))
    summary, found = _audit(driver, city)
    assert set(found) == set(driver.cameras)  # no disk finding: ONVIF reports no disks
    assert "disk health not reported over ONVIF: nvr-1" in summary
    assert {f.verdict for f in found.values()} == {"pass"}
    assert all("no gap over 1 h" in f.message for f in found.values())
    first, second = list(driver.cameras)[:2]
    now = time.time()
    outage = (now - 2 * DAY, now - 2 * DAY + 3 * 3600)  # three hours two days ago
    channel = sim.settings.channels[driver.cameras[second].host]
    loop.call(lambda: sim.settings.index.outages[channel].append(outage))
    sim.faults.update({"recording_gap": [f"{first}:6"]})
    try:
        _summary, gapped = _audit(driver, city)
    finally:
        loop.call(lambda: sim.settings.index.outages[channel].remove(outage))
    assert "has recorded nothing for the last 6.0 h" in gapped[first].message
    assert gapped[second].verdict == "fail"
    assert "1 gap(s) over 1 h in the last 7 days, the longest 3.0 h" in gapped[second].message
    assert gapped[second].data["gaps"][0][2] == 3.0
    sim.faults.update({"recording_gap": [], "soap_fault": ["FindEvents"]})
    _summary, unread = _audit(driver, city)
    assert all("not read over ONVIF" in f.message for f in unread.values())
    sim.faults.update({"soap_fault": [], "hdd_fail": True})
    loop.call(sim.settings.sync_faults)
    _summary, failed = _audit(driver, city)
    assert {f.verdict for f in failed.values()} == {"fail"}
    assert all("recording job in state Error" in f.message for f in failed.values())
