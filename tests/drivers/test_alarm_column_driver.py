"""The alarm column's driver (alarm over gb28181) against a lab alarm column over real HTTP
with Digest auth, in the GB/T 28181 variant of the example city with a column at
dl-zs-h024's gate (tests/gbsupport.py), through the field connector with sentinel secrets.

One lab loop and one city per module; each test gets a fresh factory-state column. Nothing
listens at the city's SIP server here, so the column's agent only retries (the lab's routing
sends its REGISTERs to an unused loopback address): what is asserted is what the column
holds and what plan and errors show. The registration and the alarm itself are the verify
tests' (tests/verify/test_alarm_column.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from driversupport import LabLoop, RoutedConnector
from gbsupport import COLUMN, COLUMN_ID, SCHOOL, SERVER_ID, gb_column_city
from labsupport import wait_until

from provision.drivers.alarm_column import AlarmColumnDriver
from provision.drivers.base import Change, Target
from provision.drivers.registry import driver_class
from provision.errors import DeviceError
from provision.inventory.loader import load_inventory
from provision.inventory.model import City
from provision.lab import netmap
from provision.lab.alarm_column import AlarmColumn
from provision.lab.faults import Faults

ADMIN = "SENTINEL-column-admin-77aa"
SIP_PASSWORD = "SENTINEL-gb28181-column-5e12"
SECRETS = {"PROVISION_ALARM_PASSWORD": ADMIN, "PROVISION_GB28181_PASSWORD": SIP_PASSWORD}
Rig = tuple[AlarmColumnDriver, AlarmColumn]


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> City:
    root = tmp_path_factory.mktemp("gbcolumn") / "city"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "dalian", root)
    gb_column_city(root)
    loaded = load_inventory(root, only={SCHOOL}).city
    assert loaded is not None
    return loaded


@pytest.fixture(scope="module", autouse=True)
def lab_network() -> Iterator[None]:
    netmap.install(netmap.lab_route)
    yield
    netmap.install(None)


@pytest.fixture
def rig(city: City, loop: LabLoop) -> Iterator[Callable[[], Rig]]:
    made: list[Rig] = []

    def make() -> Rig:
        school = city.school(SCHOOL)
        spec = next(a for a in school.alarms if a.name == COLUMN)
        sim = AlarmColumn(
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
        made.append((AlarmColumnDriver(Target(city, school, spec, connector)), sim))
        return made[-1]

    yield make
    for driver, sim in made:
        driver.close()
        loop.run(sim.stop())


def test_the_registry_finds_the_column_driver_by_alarm_over_gb28181(city: City) -> None:
    column = next(a for a in city.school(SCHOOL).alarms if a.name == COLUMN)
    assert column.kind == "alarm" and column.protocol == "gb28181" and column.account == ""
    assert driver_class(column.kind, column.protocol) is AlarmColumnDriver


def test_plan_shows_the_sip_access_without_channels_and_the_password_as_its_reference(
    rig: Callable[[], Rig],
) -> None:
    driver, _sim = rig()
    planned = {c.setting: c for c in driver.diff(driver.read(), driver.desired())}
    assert set(planned) >= {
        "gb28181.enabled",
        "gb28181.server_id",
        "gb28181.domain",
        "gb28181.server_address",
        "gb28181.device_id",
        "gb28181.password",
    }
    assert "gb28181.channels" not in driver.desired()  # the column alarms under its own ID
    assert planned["gb28181.device_id"].after == COLUMN_ID
    shown = "\n".join(c.describe() for c in planned.values())
    assert "${PROVISION_GB28181_PASSWORD}" in shown and SIP_PASSWORD not in shown


def test_apply_writes_the_access_converges_and_rolls_back(rig: Callable[[], Rig]) -> None:
    driver, sim = rig()
    want = driver.desired()
    changes = driver.diff(driver.read(), want)
    driver.apply(changes)
    assert driver.diff(driver.read(), want) == []
    sip = sim.settings.sip
    assert sip.enabled and sip.server_id == SERVER_ID and sip.auth_id == COLUMN_ID
    assert sip.password == SIP_PASSWORD and sip.video_input_ids == {}
    agent = wait_until(lambda: sim.agent.settings.get("device_id"), what="agent reconfigured")
    assert agent == COLUMN_ID and SIP_PASSWORD not in repr(sim.state())
    # Rollback is the changes reversed, as for every setting: access off again.
    driver.apply([c.reversed() for c in changes])
    assert sim.settings.sip.enabled is False


def test_a_value_the_column_cannot_take_is_refused_before_any_request(
    rig: Callable[[], Rig],
) -> None:
    driver, sim = rig()
    before = sim.settings.sip
    with pytest.raises(DeviceError, match=r"gb28181\.transport = 'SCTP': not a value"):
        driver.apply([Change("gb28181.transport", "UDP", "SCTP")])
    with pytest.raises(DeviceError, match="no such setting"):
        driver.apply([Change("gb28181.channels", None, ["21020200111340000052"])])
    assert sim.settings.sip == before
