"""The ISAPI recorder driver against a lab Hikvision NVR over real HTTP with Digest auth
(127.0.0.1, port 0), through the field connector with sentinel secrets in its environment:
plan, apply and plan again, a channel changed behind provision's back, refusals, and the
recordings `inspect` reads for the audit. Each test gets a fresh lab NVR."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pytest
from driversupport import LabLoop, RoutedConnector

from provision.drivers.base import Target
from provision.drivers.recorder_isapi import CONTINUOUS, IsapiRecorderDriver
from provision.errors import DeviceError
from provision.inventory.model import City
from provision.lab.faults import Faults
from provision.lab.nvr import IsapiNvr
from provision.sizing import recorded_by

SCHOOL = "dl-xg-k003"
ADMIN = "SENTINEL-nvr-admin-3f90"
SECRETS = {"PROVISION_CAMERA_PASSWORD": ADMIN}
Rig = tuple[IsapiRecorderDriver, IsapiNvr]


@pytest.fixture
def rig(city: City, loop: LabLoop) -> Iterator[Callable[..., Rig]]:
    made: list[Rig] = []

    def make(password: str = ADMIN) -> Rig:
        school = city.school(SCHOOL)
        [spec] = school.recorders
        cameras = recorded_by(school, spec)
        sim = IsapiNvr(
            spec.name,
            "127.0.0.1",
            faults=Faults(),
            bitrates_kbps={i: c.video.bitrate_kbps for i, c in enumerate(cameras, 1)},
            disks_tb=spec.disks_tb,
            http_port=0,
            admin=("admin", password),
        )
        loop.run(sim.start())
        routes = {(spec.host, 80): ("127.0.0.1", sim.endpoints()["http"])}
        connector = RoutedConnector(timeout=2.0, env=SECRETS, routes=routes)
        made.append((IsapiRecorderDriver(Target(city, school, spec, connector)), sim))
        return made[-1]

    yield make
    for driver, sim in made:
        driver.close()
        loop.run(sim.stop())


def test_apply_adds_every_camera_as_a_channel_recorded_around_the_clock(
    rig: Callable[..., Rig], city: City
) -> None:
    driver, sim = rig()
    cameras = city.school(SCHOOL).cameras
    want = driver.desired()
    changes = driver.diff(driver.read(), want)
    assert len(changes) == 2 * len(cameras)  # a channel and a schedule for each camera
    assert all(c.before is None for c in changes)
    session = driver._session()
    before = session.exchanges
    driver.apply(changes)
    # The channels as the read just before found them, one POST per new channel (the only
    # add ISAPI has), every schedule read in one request and written in one: not three
    # requests per camera.
    assert session.exchanges - before == len(cameras) + 2
    before = session.exchanges
    assert driver.diff(driver.read(), want) == []
    # The channels and every schedule in two requests, not one per channel: on a slow
    # precinct link each exchange is a round trip.
    assert session.exchanges - before == 2
    held = sim.settings.channels
    assert [held[i].address for i in sorted(held)] == [c.host for c in cameras]
    assert {c.password for c in held.values()} == {ADMIN}  # resolved only to be sent
    by_protocol = {(c.protocol, held[i].protocol, held[i].port) for i, c in enumerate(cameras, 1)}
    assert by_protocol == {("isapi", "HIKVISION", 8000), ("onvif", "ONVIF", 80)}
    assert {c.stream for c in held.values()} == {"main"}
    track = sim.settings.tracks[101]
    assert track.schedule_enabled and {a.mode for a in track.actions} == {"CMR"}
    assert [(a.start, a.end) for a in track.actions] == [("00:00:00", "24:00:00")] * 7
    shown = json.dumps([c.to_dict() for c in changes]) + json.dumps(driver.read())
    assert ADMIN not in shown and "${PROVISION_CAMERA_PASSWORD}" in shown


def test_a_channel_and_schedule_changed_on_the_nvr_are_put_back(
    rig: Callable[..., Rig], loop: LabLoop
) -> None:
    driver, sim = rig()
    driver.apply(driver.diff(driver.read(), driver.desired()))

    def tamper() -> None:
        sim.settings.channels[2].address = "10.99.0.2"
        sim.settings.tracks[301].schedule_enabled = False

    loop.call(tamper)
    changes = driver.diff(driver.read(), driver.desired())
    names = sorted(c.setting for c in changes)
    assert len(names) == 2 and names[0].startswith("channels.") and names[1].startswith("schedule.")
    assert {c.before for c in changes if c.setting.startswith("schedule.")} == {"off"}
    session = driver._session()
    before, passwords = session.exchanges, {i: c.password for i, c in sim.settings.channels.items()}
    driver.apply(changes)
    # The channels as read just before, set in one list; the schedules read and set in one
    # list each.
    assert session.exchanges - before == 3
    assert driver.diff(driver.read(), driver.desired()) == []
    # The unchanged channels went back in the list without their password and kept it.
    assert {i: c.password for i, c in sim.settings.channels.items()} == passwords
    assert sim.settings.channels[2].address != "10.99.0.2"
    # A rollback goes through the same lists: the address and the switched-off schedule back.
    driver.apply([c.reversed() for c in reversed(changes)])
    assert sim.settings.channels[2].address == "10.99.0.2"
    assert not sim.settings.tracks[301].schedule_enabled
    assert driver.diff(driver.read(), driver.desired()) == changes


def test_a_motion_only_schedule_is_read_and_put_back(
    rig: Callable[..., Rig], loop: LabLoop
) -> None:
    driver, sim = rig()
    driver.apply(driver.diff(driver.read(), driver.desired()))
    sim.faults.update({"schedule_motion_only": True})
    loop.run(sim.sync_faults())  # someone set every channel to motion only
    changes = driver.diff(driver.read(), driver.desired())
    assert {c.before for c in changes} == {"MOTION 24x7"}
    assert {c.after for c in changes} == {CONTINUOUS}
    driver.apply(changes)
    assert driver.diff(driver.read(), driver.desired()) == []


def test_wrong_credentials_and_a_refused_write_are_said_without_the_secret(
    rig: Callable[..., Rig],
) -> None:
    driver, _ = rig(password="the-nvr-was-reset")
    with pytest.raises(DeviceError, match="HTTP 401") as refused:
        driver.read()
    assert ADMIN not in str(refused.value)
    driver, sim = rig()
    sim.faults.update({"api_error": ["POST /ISAPI/ContentMgmt/InputProxy/channels"]})
    with pytest.raises(DeviceError, match="Device Error") as failed:
        driver.apply(driver.diff(driver.read(), driver.desired()))
    assert ADMIN not in str(failed.value)


def test_inspect_reads_recordings_and_disks_for_the_audit(rig: Callable[..., Rig]) -> None:
    driver, _ = rig()
    driver.apply(driver.diff(driver.read(), driver.desired()))
    facts = driver.inspect()
    assert set(facts["channels"]) == set(driver.cameras)
    first = next(iter(facts["channels"].values()))
    assert first["track"] == 101
    assert (facts["now"] - first["oldest"]) / 86400 == pytest.approx(40, abs=0.01)
    assert facts["now"] - first["newest"] < 60
    assert first["recorded_kbps"] == pytest.approx(2048, rel=0.01)
    assert [d["status"] for d in facts["disks"]] == ["ok"] * 3
    assert facts["disks"][0]["capacity_tb"] == pytest.approx(8.0, abs=0.001)
    assert time.time() - facts["now"] < 60
