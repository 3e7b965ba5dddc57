"""The Dahua driver's GB/T 28181 access settings (VSP_GAYS) against lab Dahua cameras over the
real CGI API with Digest auth, in the GB/T 28181 variant of the example city
(tests/gbsupport.py), through the field connector with sentinel secrets in its environment.

One lab loop, one city and one lab GB/T 28181 platform per module, the city's SIP server
routed to it; each test gets a fresh factory-state camera. What is asserted is what the
camera holds, what plan and errors show, and that the camera, once written, registers with
the platform and answers its Catalog with the inventory's channel."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from driversupport import LabLoop, RoutedConnector
from gbsupport import IDS, SCHOOL, SERVER_ID, gb_city
from labsupport import wait_until

from provision.drivers.base import Change, Target
from provision.drivers.camera_dahua import DahuaCameraDriver
from provision.errors import DeviceError
from provision.inventory.loader import load_inventory
from provision.inventory.model import City
from provision.lab import netmap
from provision.lab.camera_dahua import DahuaCamera
from provision.lab.faults import Faults
from provision.lab.gb28181.platform import Gb28181Platform

ADMIN = "SENTINEL-dahua-admin-7d1e"
SIP_PASSWORD = "SENTINEL-gb28181-dahua-3e5a"
SECRETS = {
    "PROVISION_CAMERA_PASSWORD": ADMIN,
    "PROVISION_CAMERA_OPERATOR_PASSWORD": "SENTINEL-dahua-operator-0c4f",
    "PROVISION_CAMERA_AUDITOR_PASSWORD": "SENTINEL-dahua-auditor-6a2b",
    "PROVISION_GB28181_PASSWORD": SIP_PASSWORD,
}
CAMERA = "gate-face"  # one channel ID in the variant: what a one-channel Dahua IPC holds
Rig = tuple[DahuaCameraDriver, DahuaCamera]


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> City:
    root = tmp_path_factory.mktemp("gbcity") / "city"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "dalian", root)
    gb_city(root)
    loaded = load_inventory(root, only={SCHOOL}).city
    assert loaded is not None
    return loaded


@pytest.fixture(scope="module")
def platform(city: City, loop: LabLoop) -> Iterator[Gb28181Platform]:
    """The precinct's platform on an ephemeral port; the city's SIP server routed to it and
    any other address to a port where nothing listens."""
    sip = city.precincts[city.school(SCHOOL).precinct].video_platform.sip
    assert sip is not None
    made = Gb28181Platform(
        "precinct",
        "127.0.0.1",
        faults=Faults(),
        server_id=sip.server_id,
        domain=sip.domain,
        password=SIP_PASSWORD,
        sip_port=0,
        api_port=0,
        heartbeat_s=sip.heartbeat_s,
        heartbeat_max_missed=sip.heartbeat_max_missed,
    )
    loop.run(made.start())
    routes = {(sip.host, sip.port): ("127.0.0.1", made.sip.port)}
    netmap.install(lambda host, port: routes.get((host, port), ("127.0.0.1", 1)))
    yield made
    netmap.install(None)
    loop.run(made.stop())


@pytest.fixture
def rig(city: City, loop: LabLoop, platform: Gb28181Platform) -> Iterator[Callable[..., Rig]]:
    """Factory: a factory-state lab Dahua camera and a driver for one of the city's cameras."""
    made: list[Rig] = []

    def make(camera: str = CAMERA) -> Rig:
        school = city.school(SCHOOL)
        spec = dataclasses.replace(
            next(c for c in school.cameras if c.name == camera), protocol="dahua"
        )
        sim = DahuaCamera(
            spec.name,
            "127.0.0.1",
            faults=Faults(),
            http_port=0,
            rtsp_port=0,
            users={"admin": (ADMIN, "admin")},
            sip_port=0,
        )
        loop.run(sim.start())
        routes = {(spec.host, 80): ("127.0.0.1", sim.endpoints()["http"])}
        connector = RoutedConnector(timeout=2.0, env=SECRETS, routes=routes)
        made.append((DahuaCameraDriver(Target(city, school, spec, connector)), sim))
        return made[-1]

    yield make
    for driver, sim in made:
        driver.close()
        loop.run(sim.stop())
    platform.devices.clear()  # what a stopped camera left behind
    platform.refusals.clear()


def _sip(changes: list[Change]) -> dict[str, Change]:
    return {c.setting: c for c in changes if c.setting.startswith("gb28181.")}


def test_plan_shows_the_access_settings_with_the_password_as_its_reference(
    rig: Callable[..., Rig],
) -> None:
    driver, _ = rig()
    planned = _sip(driver.diff(driver.read(), driver.desired()))
    assert set(planned) == {
        "gb28181.enabled",
        "gb28181.server_id",
        "gb28181.domain",
        "gb28181.server_address",
        "gb28181.device_id",
        "gb28181.channels",
        "gb28181.password",
        "gb28181.heartbeat_s",
        "gb28181.heartbeat_max_missed",
    }  # port, expiry, UDP and 2016 are already the factory's
    shown = "\n".join(c.describe() for c in planned.values())
    assert "${PROVISION_GB28181_PASSWORD}" in shown and SIP_PASSWORD not in shown
    assert planned["gb28181.enabled"].before is False


def test_apply_writes_vsp_gays_and_the_camera_registers(
    rig: Callable[..., Rig], platform: Gb28181Platform, loop: LabLoop
) -> None:
    driver, sim = rig()
    want = driver.desired()
    driver.apply(driver.diff(driver.read(), want))
    assert driver.diff(driver.read(), want) == []
    device_id, (channel,) = IDS[CAMERA]
    held = sim.config.values
    assert held["VSP_GAYS.Enable"] == "true" and held["VSP_GAYS.SipSvrId"] == SERVER_ID
    assert held["VSP_GAYS.DeviceId"] == device_id and held["VSP_GAYS.Password"] == SIP_PASSWORD
    assert held["VSP_GAYS.ChannelInfo[0].Id"] == channel
    # The camera answered, then registered; the platform asked for its Catalog.
    loop.run(sim.sip_settled())
    catalogued = wait_until(
        lambda: (
            loop.call(lambda: [c.device_id for c in platform.devices[device_id].channels])
            if device_id in platform.devices
            else None
        ),
        timeout=60,
        what="registration and Catalog",
    )
    assert catalogued == [channel]
    assert SIP_PASSWORD not in repr(sim.state())  # getConfig and the lab API mask it


def test_rollback_switches_access_off_and_the_camera_unregisters(
    rig: Callable[..., Rig], platform: Gb28181Platform, loop: LabLoop
) -> None:
    driver, sim = rig()
    before = driver.read()
    changes = driver.diff(before, driver.desired())
    driver.apply(changes)
    loop.run(sim.sip_settled())
    device_id = IDS[CAMERA][0]
    wait_until(lambda: device_id in platform.devices, timeout=60, what="registration")
    driver.apply([c.reversed() for c in reversed(changes)])
    loop.run(sim.sip_settled())
    assert sim.config.values["VSP_GAYS.Enable"] == "false"
    assert device_id not in platform.devices  # REGISTER with Expires 0 went first
    gb = lambda settings: {k: v for k, v in settings.items() if k.startswith("gb28181.")}  # noqa: E731
    assert gb(driver.read()) == gb(before)  # the blank server address blank again


def test_what_the_camera_cannot_hold_is_refused_before_any_request(
    rig: Callable[..., Rig],
) -> None:
    driver, sim = rig("gate-plaza-w")  # two channel IDs in the variant
    with pytest.raises(DeviceError, match="one video channel"):
        driver.apply(driver.diff(driver.read(), driver.desired()))
    with pytest.raises(DeviceError, match="has no such setting: it uses UDP"):
        driver.apply([Change("gb28181.transport", "UDP", "TCP")])
    assert sim.config.values["VSP_GAYS.Enable"] == "false"


def test_a_refused_write_names_the_camera_and_never_the_password(
    rig: Callable[..., Rig],
) -> None:
    driver, sim = rig()
    sim.faults.update({"soap_fault": ["VSP_GAYS"]})
    with pytest.raises(DeviceError) as err:
        driver.apply(driver.diff(driver.read(), driver.desired()))
    message = str(err.value)
    assert message.startswith(f"{SCHOOL}/{CAMERA}: the camera refused") and "setConfig" in message
    assert SIP_PASSWORD not in message and sim.config.values["VSP_GAYS.Enable"] == "false"
