"""One contract, every driver: the same tests run against each installed (kind, protocol)
driver and its lab device (as napalm's shared getter tests do for its drivers).

A driver is tested on a device of the example city that speaks its protocol, simulated by
the lab over its real protocol and reached through the lab connector, as `provision apply
--lab` reaches it. Every secret the inventory names is set to a sentinel for the lab and the
connector alike, so a sentinel seen anywhere but on the wire is a leak. A driver for which
the example city has no device, or whose device the lab cannot fail on a write, fails the
suite: a driver nobody tests is not installed quietly.
"""

from __future__ import annotations

import copy
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from labsupport import LabLoop

from provision.drivers import registry
from provision.drivers.base import Change, Driver, Settings, Target
from provision.drivers.connect import Connector
from provision.errors import DeviceError
from provision.inventory.model import City, Device, School
from provision.inventory.secrets import SecretRef
from provision.lab import netmap
from provision.lab.connector import LabConnector
from provision.lab.runtime import Lab

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
SECRETS = {
    name: f"SENTINEL-{name.lower()}-41c7"
    for name in (
        "PROVISION_CAMERA_PASSWORD",
        "PROVISION_CAMERA_OPERATOR_PASSWORD",
        "PROVISION_CAMERA_AUDITOR_PASSWORD",
        "PROVISION_NETWORK_PASSWORD",
        "PROVISION_ALARM_PASSWORD",
        "PROVISION_LED_PASSWORD",
        "PROVISION_ZLM_SECRET",
    )
}
# A lab fault that makes a write to the driver's device fail once settings are read. Streams
# fail on a camera the platform cannot pull (the one fault their writes have in the field).
WRITE_FAULTS: dict[str, dict[str, Any]] = {
    # ONVIF: after SetHostname, SetNTP; ISAPI: the main channel's PUT, after deviceInfo, ntp
    "camera": {
        "soap_fault": ["SetVideoEncoderConfiguration"],
        "api_error": ["/ISAPI/Streaming/channels/101"],
    },
    "switch": {"ssh_drop": True},
    "alarm": {"auth_failure": True},
    "led_board": {"auth_failure": True},
    "streams": {"rtsp_down": True},
    # ISAPI NVR: the schedules' list PUT, after every channel was added; ONVIF recorder: the
    # first camera's job, after its receiver (with the camera's password) and recording
    "recorder": {
        "api_error": ["PUT /ISAPI/ContentMgmt/record/tracks"],
        "soap_fault": ["CreateRecordingJob"],
    },
}
DRIVERS = sorted(registry.installed())


@pytest.fixture(autouse=True)
def _sentinel_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


def _subject(city: City, kind: str, protocol: str) -> tuple[School, Device | None]:
    """The first example school with a device the driver serves (streams: whose precinct
    platform is of that kind, with cameras forwarded to it)."""
    for school in city.schools:
        if kind == "streams":
            platform = city.precincts[school.precinct].video_platform.kind
            if platform == protocol and any(c.forward for c in school.cameras):
                return school, None
            continue
        for device in school.devices():
            if (device.kind, device.protocol) == (kind, protocol):
                return school, device
    pytest.fail(f"the example city has no {kind} over {protocol} for the conformance suite")


@dataclass
class Rig:
    """One driver's device (and what it needs) running in a lab of its school."""

    city: City
    school: School
    device: Device | None
    key: tuple[str, str]
    loop: LabLoop
    lab: Lab
    known_hosts: Path
    started: list[str] = field(default_factory=list)
    drivers: list[Driver] = field(default_factory=list)

    def driver(self, connector: Connector | None = None) -> Driver:
        connector = connector or LabConnector(
            timeout=2.0, env=dict(os.environ), known_hosts=str(self.known_hosts)
        )
        cls = registry.driver_class(*self.key)
        made = cls(Target(self.city, self.school, self.device, connector))
        self.drivers.append(made)
        return made

    def faulty(self) -> str:
        """The lab device whose fault fails a write: the device, or the first forwarded
        camera of a streams driver."""
        if self.device is not None:
            return f"{self.school.id}/{self.device.name}"
        return next(f"{self.school.id}/{c.name}" for c in self.school.cameras if c.forward)

    def set_fault(self, on: bool) -> None:
        fault = WRITE_FAULTS.get(self.key[0])
        if fault is None:
            pytest.fail(f"no lab fault fails a write of {self.key[0]} over {self.key[1]}")
        self.loop.run(self.lab.set_faults(self.faulty(), fault if on else None))


def _lab_devices(lab: Lab, school: School, device: Device | None) -> list[str]:
    """Lab device ids to start: the device and the precinct service it reports to, or for
    streams the precinct's platform and the cameras it pulls."""
    precinct = f"precinct/{school.precinct}"
    if device is None:
        cameras = [f"{school.id}/{c.name}" for c in school.cameras if c.forward]
        return [f"{precinct}/video_platform", *cameras]
    ids = [f"{school.id}/{device.name}"]
    if device.kind == "alarm":
        ids.append(f"{precinct}/alarm_center")
    missing = [i for i in ids if i not in lab.devices]
    if missing:
        pytest.fail(f"the lab does not simulate {', '.join(missing)}")
    return ids


def _cameras_provisioned(rig: Rig) -> None:
    """The platform pulls with the school's view-only account, which the camera driver
    creates; a factory camera refuses it (401). So converge the forwarded cameras first, each
    with its own driver, as a run does before it forwards their streams."""
    connector = LabConnector(timeout=5.0, env=dict(os.environ), known_hosts=str(rig.known_hosts))
    for cam in (c for c in rig.school.cameras if c.forward):
        cls = registry.driver_class("camera", cam.protocol)
        camera = cls(Target(rig.city, rig.school, cam, connector))
        try:
            camera.apply(camera.diff(camera.read(), camera.desired()))
        finally:
            camera.close()


@pytest.fixture
def rig(request: pytest.FixtureRequest, city: City, loop: LabLoop, tmp_path: Path) -> Iterator[Rig]:
    kind, protocol = request.param
    school, device = _subject(city, kind, protocol)
    lab = Lab(city, [school], tmp_path / "lab")
    lab.build()  # after the sentinels are set: the devices take them as their passwords
    rig = Rig(city, school, device, (kind, protocol), loop, lab, tmp_path / "known_hosts")
    netmap.install(netmap.lab_route)  # the platform pulls cameras at inventory addresses
    try:
        for dev_id in _lab_devices(lab, school, device):
            loop.run(lab.devices[dev_id].sim.start())
            rig.started.append(dev_id)
        if device is None:
            _cameras_provisioned(rig)
        yield rig
    finally:
        for made in rig.drivers:
            made.close()
        for dev_id in rig.started:
            loop.run(lab.devices[dev_id].sim.stop())
        netmap.install(None)


def per_driver(test: Callable[..., None]) -> Any:
    ids = [f"{kind}.{protocol}" for kind, protocol in DRIVERS]
    return pytest.mark.parametrize("rig", DRIVERS, ids=ids, indirect=True)(test)


class RefusingConnector(Connector):
    """A connector for code that must not touch the network or read secrets."""

    def address(self, host: str, port: int) -> tuple[str, int]:
        raise AssertionError(f"desired() reached for {host}:{port}")

    def secret(self, ref: SecretRef | None) -> str:
        raise AssertionError(f"desired() read the secret {ref}")


def _converge(driver: Driver) -> tuple[Settings, list[Change]]:
    before = driver.read()
    changes = driver.diff(before, driver.desired())
    driver.apply(changes)
    return before, changes


def test_every_installed_driver_is_in_the_suite() -> None:
    assert DRIVERS and set(DRIVERS) == set(registry.installed())
    assert {kind for kind, _ in DRIVERS} <= set(WRITE_FAULTS)


@pytest.mark.parametrize("key", DRIVERS, ids=[".".join(k) for k in DRIVERS])
def test_desired_is_pure(city: City, key: tuple[str, str]) -> None:
    school, device = _subject(city, *key)  # no lab: nothing may be contacted
    connector = RefusingConnector(env={})
    driver = registry.driver_class(*key)(Target(city, school, device, connector))
    first = driver.desired()
    kept = copy.deepcopy(first)
    assert first and driver.desired() == kept == first


@per_driver
def test_read_after_apply_is_desired_and_a_second_apply_changes_nothing(rig: Rig) -> None:
    driver = rig.driver()
    _, changes = _converge(driver)
    assert changes, "a factory device should need work"
    desired, after = driver.desired(), driver.read()
    assert {name: after.get(name) for name in desired} == desired
    assert driver.diff(after, desired) == []
    driver.apply(changes)  # the same changes again: nothing new, nothing fails
    assert driver.read() == after
    fresh = rig.driver()  # a new session sees the same
    assert fresh.diff(fresh.read(), fresh.desired()) == []


@per_driver
def test_a_failed_apply_puts_back_what_landed_where_the_driver_says_so(rig: Rig) -> None:
    driver = rig.driver()
    before = driver.read()
    changes = driver.diff(before, driver.desired())
    rig.set_fault(True)
    with pytest.raises(DeviceError):
        driver.apply(changes)
    rig.set_fault(False)
    # What the engine does next: read afresh, learn what landed, put it back newest first.
    survivor = rig.driver()
    now = survivor.read()
    landed = [c for c in changes if now.get(c.setting) == c.after]
    if type(driver).rollback_on_failure:
        assert len(landed) < len(changes)  # the fault struck before the end
        if landed:
            survivor.apply([c.reversed() for c in reversed(landed)])
        assert survivor.read() == before
    else:  # settings that stand alone: what landed stays, and nothing else moved
        assert landed  # (MediaMTX keeps even the path it cannot pull yet, and retries)
        unchanged = {name for name in before if name not in {c.setting for c in landed}}
        assert {n: now.get(n) for n in unchanged} == {n: before[n] for n in unchanged}


@per_driver
def test_identity_names_model_serial_and_firmware(rig: Rig) -> None:
    driver = rig.driver()
    identity = driver.identity()
    if rig.device is None:  # a school-level target (streams) is no device of its own
        assert identity == {}
        return
    assert all(identity.get(key) for key in ("model", "serial", "firmware")), identity


@per_driver
def test_no_secret_in_any_setting_change_error_or_log(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    driver = rig.driver()
    before = driver.read()
    changes = driver.diff(before, driver.desired())
    rig.set_fault(True)
    with pytest.raises(DeviceError) as failed:  # a write fails with credentials in flight
        driver.apply(changes)
    rig.set_fault(False)
    seen: list[Any] = [driver.desired(), repr(driver), before, [c.to_dict() for c in changes]]
    seen += [str(failed.value), repr(failed.value), vars(failed.value)]
    again = rig.driver()
    current, redone = _converge(again)
    undo = [c.reversed() for c in reversed(redone)]
    again.apply(undo)
    seen += [current, [c.to_dict() for c in redone + undo], again.read(), again.identity()]
    text = json.dumps(seen, ensure_ascii=False, default=str) + caplog.text
    leaked = [name for name, value in SECRETS.items() if value in text]
    assert not leaked, f"{leaked} appear in settings, changes, errors or logs"
