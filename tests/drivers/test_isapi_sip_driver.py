"""The ISAPI driver's GB/T 28181 access settings against lab Hikvision cameras over real HTTP
with Digest auth, in the GB/T 28181 variant of the example city (tests/gbsupport.py), through
the field connector with sentinel secrets in its environment.

One lab loop and one city per module; each test gets a fresh factory-state camera. Nothing
listens at the city's SIP server here, so the camera's agent only retries: what is asserted
is what the camera holds and what plan and errors show. The lab's routing is installed for
the module, so the agent's REGISTERs go to an unused loopback address, never the network."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from driversupport import LabLoop, RoutedConnector
from gbsupport import IDS, SCHOOL, SERVER_ID, gb_city
from labsupport import wait_until

from provision.drivers.base import Change, Target
from provision.drivers.camera_isapi import IsapiCameraDriver
from provision.errors import DeviceError
from provision.inventory.loader import load_inventory
from provision.inventory.model import City
from provision.lab import netmap
from provision.lab.camera_isapi import IsapiCamera
from provision.lab.faults import Faults

ADMIN = "SENTINEL-isapi-admin-4c2d"
SIP_PASSWORD = "SENTINEL-gb28181-9f31"
SECRETS = {
    "PROVISION_CAMERA_PASSWORD": ADMIN,
    "PROVISION_CAMERA_OPERATOR_PASSWORD": "SENTINEL-isapi-operator-1a0b",
    "PROVISION_CAMERA_AUDITOR_PASSWORD": "SENTINEL-isapi-auditor-2b1c",
    "PROVISION_GB28181_PASSWORD": SIP_PASSWORD,
}
Rig = tuple[IsapiCameraDriver, IsapiCamera]


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> City:
    root = tmp_path_factory.mktemp("gbcity") / "city"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "dalian", root)
    gb_city(root)
    loaded = load_inventory(root, only={SCHOOL}).city
    assert loaded is not None
    return loaded


@pytest.fixture(scope="module", autouse=True)
def lab_network() -> Iterator[None]:
    netmap.install(netmap.lab_route)
    yield
    netmap.install(None)


@pytest.fixture
def rig(city: City, loop: LabLoop) -> Iterator[Callable[..., Rig]]:
    """Factory: a factory-state lab ISAPI camera and a driver for one of the city's GB cameras."""
    made: list[Rig] = []

    def make(camera: str = "gate-plaza-w") -> Rig:
        school = city.school(SCHOOL)
        spec = dataclasses.replace(
            next(c for c in school.cameras if c.name == camera), protocol="isapi"
        )
        sim = IsapiCamera(
            spec.name,
            "127.0.0.1",
            faults=Faults(),
            http_port=0,
            rtsp_port=0,
            admin=("admin", ADMIN),
        )
        loop.run(sim.start())
        routes = {(spec.host, 80): ("127.0.0.1", sim.endpoints()["http"])}
        connector = RoutedConnector(timeout=2.0, env=SECRETS, routes=routes)
        made.append((IsapiCameraDriver(Target(city, school, spec, connector)), sim))
        return made[-1]

    yield make
    for driver, sim in made:
        driver.close()
        loop.run(sim.stop())


def _sip(changes: list[Change]) -> dict[str, Change]:
    return {c.setting: c for c in changes if c.setting.startswith("gb28181.")}


def test_plan_shows_every_sip_setting_with_the_password_as_its_reference(
    rig: Callable[..., Rig],
) -> None:
    driver, _sim = rig()
    planned = _sip(driver.diff(driver.read(), driver.desired()))
    assert set(planned) >= {
        "gb28181.enabled",
        "gb28181.server_id",
        "gb28181.domain",
        "gb28181.server_address",
        "gb28181.device_id",
        "gb28181.channels",
        "gb28181.password",
    }
    shown = "\n".join(c.describe() for c in planned.values())
    assert "${PROVISION_GB28181_PASSWORD}" in shown and SIP_PASSWORD not in shown
    assert planned["gb28181.enabled"].before is False  # factory: access off


def test_apply_writes_the_access_settings_and_converges(rig: Callable[..., Rig]) -> None:
    driver, sim = rig()
    want = driver.desired()
    driver.apply(driver.diff(driver.read(), want))
    assert driver.diff(driver.read(), want) == []
    sip = sim.settings.sip
    device_id, channels = IDS["gate-plaza-w"]
    assert sip.enabled and sip.server_id == SERVER_ID and sip.server_domain == SERVER_ID[:10]
    assert sip.auth_id == device_id and sip.password == SIP_PASSWORD
    assert sip.registrar == want["gb28181.server_address"] and sip.registrar_port == 5060
    assert (sip.heartbeat_time, sip.heartbeat_count) == (1, 2)  # gbsupport's platform
    assert sip.video_input_ids == dict(enumerate(channels, start=1))
    # The agent takes what was written once the camera has answered; the lab API never
    # shows the password.
    agent = wait_until(lambda: sim.agent.settings.get("channels"), what="agent reconfigured")
    assert agent == tuple(channels) and sim.agent.settings["device_id"] == device_id
    assert SIP_PASSWORD not in repr(sim.state())


def test_one_changed_setting_is_one_put_that_keeps_the_password(rig: Callable[..., Rig]) -> None:
    driver, sim = rig()
    want = driver.desired()
    driver.apply(driver.diff(driver.read(), want))
    sim.settings.sip = dataclasses.replace(sim.settings.sip, heartbeat_time=60)
    changes = driver.diff(driver.read(), want)
    assert [c.setting for c in changes] == ["gb28181.heartbeat_s"]
    driver.apply(changes)
    assert sim.settings.sip.heartbeat_time == 1 and sim.settings.sip.password == SIP_PASSWORD


def test_rollback_switches_access_off_again(rig: Callable[..., Rig]) -> None:
    driver, sim = rig()
    before = driver.read()
    changes = driver.diff(before, driver.desired())
    driver.apply(changes)
    driver.apply([c.reversed() for c in reversed(changes)])
    assert not sim.settings.sip.enabled and sim.settings.sip.video_input_ids == {}
    assert _sip_values(driver.read()) == _sip_values(before)  # blank fields blank again


def _sip_values(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if k.startswith("gb28181.")}


def test_a_refused_write_names_the_resource_and_never_the_password(
    rig: Callable[..., Rig],
) -> None:
    driver, sim = rig()
    sim.faults.update({"api_error": ["PUT /ISAPI/System/Network/SIP"]})
    with pytest.raises(DeviceError) as err:
        driver.apply(driver.diff(driver.read(), driver.desired()))
    message = str(err.value)
    assert message.startswith(f"{SCHOOL}/gate-plaza-w") and "statusCode 3" in message
    assert SIP_PASSWORD not in message and not sim.settings.sip.enabled


def test_the_camera_refuses_a_malformed_id_and_keeps_its_access(rig: Callable[..., Rig]) -> None:
    driver, sim = rig()
    want = driver.desired()
    driver.apply(driver.diff(driver.read(), want))
    with pytest.raises(DeviceError) as err:
        driver.apply([Change("gb28181.device_id", want["gb28181.device_id"], "2102")])
    assert "badParameters" in str(err.value) and "authID" in str(err.value)
    assert sim.settings.sip.auth_id == want["gb28181.device_id"]


def test_a_camera_without_gb28181_access_wanted_is_not_asked(
    rig: Callable[..., Rig], city: City
) -> None:
    school = city.school(SCHOOL)
    plain = next(c for c in school.cameras if c.name not in IDS)  # not forwarded here
    driver, sim = rig(plain.name)
    sim.faults.update({"api_error": ["/ISAPI/System/Network/SIP"]})
    assert not any(k.startswith("gb28181.") for k in driver.read())
