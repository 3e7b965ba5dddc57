"""The alarm panel driver against the lab panel over its real HTTP API (port 0 on loopback),
through the field connector with sentinel secrets in the environment."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
from driversupport import LabLoop, RoutedConnector

from provision.drivers.alarm import FOREIGN_KEY, AlarmDriver
from provision.drivers.base import Change, Target
from provision.errors import DeviceError
from provision.inventory.model import AlarmPanel, City, School
from provision.inventory.secrets import SecretRef
from provision.lab.alarm_panel import FACTORY_CONFIG
from provision.lab.alarm_panel import AlarmPanel as PanelSim
from provision.lab.faults import Faults

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
SCHOOL = "dl-zs-h024"
PASSWORD = "SENTINEL-alarm-password-7f3a"
KEY = "5E17E1" + "AB" * 13  # 32 hex digits: an AES-128 key, recognisable in any text
KEY_VAR = "PROVISION_TEST_ALARM_KEY"
T = TypeVar("T")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVISION_ALARM_PASSWORD", PASSWORD)
    monkeypatch.setenv(KEY_VAR, KEY)


@pytest.fixture
def loop() -> Iterator[LabLoop]:
    running = LabLoop()
    yield running
    running.close()


@pytest.fixture
def panel_sim(env: None, loop: LabLoop) -> Iterator[PanelSim]:
    async def start() -> PanelSim:
        sim = PanelSim("gate-sos", "127.0.0.1", faults=Faults(), api_port=0, password=PASSWORD)
        await sim.start()
        return sim

    sim = loop.run(start())
    yield sim
    loop.run(sim.stop())


def target(
    city: City, sim: PanelSim, key: SecretRef | None = None, timeout: float = 5, **panel_fields: Any
) -> Target:
    school: School = city.school(SCHOOL)
    panel = school.alarms[0]
    assert isinstance(panel, AlarmPanel)
    panel = dataclasses.replace(panel, key=key, **panel_fields)
    routes = {(panel.host, 80): ("127.0.0.1", sim.api.port)}
    return Target(city, school, panel, RoutedConnector(timeout=timeout, routes=routes))


def device_config(sim: PanelSim) -> dict[str, Any]:
    """What the panel holds, asked by a client independent of the driver."""
    url = f"http://127.0.0.1:{sim.api.port}/api/config"
    resp = requests.get(url, auth=("admin", PASSWORD), timeout=5)
    resp.raise_for_status()
    config: dict[str, Any] = resp.json()
    return config


def assert_no_secret(*things: Any) -> None:
    for thing in things:
        text = repr(thing) + str(thing)
        assert PASSWORD not in text and KEY not in text and KEY.lower() not in text


def test_factory_panel_gets_the_precinct_receiver_and_account(
    city: City, panel_sim: PanelSim
) -> None:
    driver = AlarmDriver(target(city, panel_sim))
    current, desired = driver.read(), driver.desired()
    changes = driver.diff(current, desired)
    # The high tier asks for a 12 h test; the receiver is the precinct's, as the inventory says.
    assert {c.setting: (c.before, c.after) for c in changes} == {
        "receiver_host": (None, "10.200.1.20"),
        "account": ("FFFF", "03851"),
        "receiver_number": ("0", "1"),
        "line_number": ("0", "1"),
        "test_interval_h": (24, 12),
        # GB 50394-2007 §5.2.3 item 1: the button's zone never disarmed, latching.
        "panic_zone_type": ("instant", "24h"),
        "panic_zone_disarmable": (True, False),
        "panic_zone_latching": (False, True),
    }
    driver.apply(changes)
    assert driver.diff(driver.read(), desired) == []
    held = device_config(panel_sim)
    assert (held["receiver_host"], held["receiver_port"]) == ("10.200.1.20", 12128)
    assert (held["account"], held["test_interval_h"], held["encryption"]) == ("03851", 12, False)
    driver.apply(changes)  # idempotent: the same changes again change nothing
    assert device_config(panel_sim) == held

    # Rollback: the reversed changes, last first, put the factory settings back.
    driver.apply([c.reversed() for c in reversed(changes)])
    assert device_config(panel_sim) == FACTORY_CONFIG
    assert driver.read() == current
    assert_no_secret(current, desired, changes)
    driver.close()


def test_drift_by_hand_is_exactly_one_change(city: City, panel_sim: PanelSim) -> None:
    driver = AlarmDriver(target(city, panel_sim))
    driver.apply(driver.diff(driver.read(), driver.desired()))
    url = f"http://127.0.0.1:{panel_sim.api.port}/api/config"
    hand = requests.put(url, json={"account": "abcd"}, auth=("admin", PASSWORD), timeout=5)
    assert hand.ok
    assert driver.diff(driver.read(), driver.desired()) == [Change("account", "ABCD", "03851")]


def test_a_lower_case_account_converges_as_the_panel_echoes_it(
    city: City, panel_sim: PanelSim
) -> None:
    driver = AlarmDriver(target(city, panel_sim, account="03a5f"))
    driver.apply(driver.diff(driver.read(), driver.desired()))
    assert device_config(panel_sim)["account"] == "03A5F"
    assert driver.diff(driver.read(), driver.desired()) == []


def test_a_panel_told_to_report_in_sia_dcs_is_set_so_and_rolls_back(
    city: City, panel_sim: PanelSim
) -> None:
    driver = AlarmDriver(target(city, panel_sim, report_format="SIA-DCS"))
    changes = driver.diff(driver.read(), driver.desired())
    assert Change("report_format", "ADM-CID", "SIA-DCS") in changes
    driver.apply(changes)
    assert device_config(panel_sim)["protocol"] == "SIA-DCS"
    assert driver.diff(driver.read(), driver.desired()) == []
    driver.apply([c.reversed() for c in reversed(changes)])
    assert device_config(panel_sim) == FACTORY_CONFIG
    driver.close()


def test_key_is_written_from_the_environment_and_shown_as_its_reference(
    city: City, panel_sim: PanelSim
) -> None:
    driver = AlarmDriver(target(city, panel_sim, key=SecretRef(KEY_VAR)))
    changes = driver.diff(driver.read(), driver.desired())
    assert Change("encryption", None, "${PROVISION_TEST_ALARM_KEY}") in changes
    driver.apply(changes)
    assert device_config(panel_sim)["encryption"] is True
    assert panel_sim._key == bytes.fromhex(KEY)  # the panel holds the key's value itself
    after = driver.read()
    assert after["encryption"] == "${PROVISION_TEST_ALARM_KEY}"
    assert driver.diff(after, driver.desired()) == []
    driver.apply([c.reversed() for c in reversed(changes)])
    assert device_config(panel_sim) == FACTORY_CONFIG
    assert_no_secret(changes, after)


def test_a_key_the_inventory_does_not_name_is_removed_but_cannot_be_restored(
    city: City, panel_sim: PanelSim
) -> None:
    url = f"http://127.0.0.1:{panel_sim.api.port}/api/config"
    hand = requests.put(url, json={"key": "00" * 16}, auth=("admin", PASSWORD), timeout=5)
    assert hand.ok
    driver = AlarmDriver(target(city, panel_sim))  # the inventory sets no key
    changes = driver.diff(driver.read(), driver.desired())
    assert Change("encryption", FOREIGN_KEY, None) in changes
    driver.apply(changes)
    assert device_config(panel_sim)["encryption"] is False
    with pytest.raises(DeviceError, match=r"dl-zs-h024/gate-sos: write config failed: cannot"):
        driver.apply([Change("encryption", None, FOREIGN_KEY)])


def test_a_value_the_panel_refuses_is_an_error_and_nothing_lands(
    city: City, panel_sim: PanelSim
) -> None:
    driver = AlarmDriver(target(city, panel_sim))
    bad = [Change("account", "FFFF", "0385"), Change("test_interval_h", 24, 999)]
    with pytest.raises(DeviceError) as failure:
        driver.apply(bad)
    message = str(failure.value)
    assert message.startswith("dl-zs-h024/gate-sos: write config failed: HTTP 400")
    assert "test_interval_h" in message
    assert device_config(panel_sim) == FACTORY_CONFIG  # one PUT: all or nothing
    with pytest.raises(DeviceError, match="no setting 'volume'"):
        driver.apply([Change("volume", None, 3)])


def test_wrong_password_and_refused_auth_are_device_errors_without_the_secret(
    city: City, panel_sim: PanelSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROVISION_ALARM_PASSWORD", PASSWORD + "-wrong")
    with pytest.raises(DeviceError) as failure:
        AlarmDriver(target(city, panel_sim)).read()
    assert str(failure.value).startswith("dl-zs-h024/gate-sos: read config failed:")
    assert "authentication failed (HTTP 401)" in str(failure.value)
    assert_no_secret(failure.value)

    monkeypatch.setenv("PROVISION_ALARM_PASSWORD", PASSWORD)
    panel_sim.faults.update({"auth_failure": True})  # the panel's user database was reset
    driver = AlarmDriver(target(city, panel_sim))
    with pytest.raises(DeviceError, match="write config failed: authentication failed"):
        driver.apply([Change("account", "FFFF", "03851")])


def test_unreachable_and_silent_panels_fail_within_the_timeout(
    city: City, panel_sim: PanelSim, loop: LabLoop
) -> None:
    panel_sim.faults.update({"timeout": True})
    with pytest.raises(DeviceError, match=r"gate-sos: read config failed: no answer within 0.3 s"):
        AlarmDriver(target(city, panel_sim, timeout=0.3)).read()
    panel_sim.faults.update({"timeout": False, "refuse": True})
    loop.run(panel_sim.sync_faults())
    with pytest.raises(DeviceError, match=r"read config failed: cannot connect to .*refused"):
        AlarmDriver(target(city, panel_sim)).read()
