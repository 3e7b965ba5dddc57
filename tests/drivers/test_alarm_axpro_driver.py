"""The AX PRO driver against the lab AX PRO over its ISAPI (port 0 on loopback), through the
field connector with sentinel secrets: where each setting lands on the panel, a bypassed
panic zone, an encryption key the panel never shows, refused logins as the panel words them.
(tests/drivers/test_conformance.py holds it to the contract every driver meets.)"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from driversupport import LabLoop, RoutedConnector

from provision.drivers.alarm_axpro import AxProAlarmDriver
from provision.drivers.axpro_client import AxProSession
from provision.drivers.base import Change, Target
from provision.errors import DeviceError
from provision.inventory.model import AlarmPanel, City, School
from provision.inventory.secrets import SecretRef
from provision.lab.axpro_panel import AxProPanel
from provision.lab.faults import Faults

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
SCHOOL = "dl-zs-h024"
PASSWORD = "SENTINEL-axpro-password-19c4"
KEY = "7A11" + "CD" * 14  # an AES-128 key, recognisable in any text
KEY_VAR = "PROVISION_TEST_AXPRO_KEY"


@pytest.fixture
def sim(monkeypatch: pytest.MonkeyPatch, loop: LabLoop) -> Iterator[AxProPanel]:
    monkeypatch.setenv("PROVISION_ALARM_PASSWORD", PASSWORD)
    monkeypatch.setenv(KEY_VAR, KEY)
    panel = AxProPanel("gate-sos", "127.0.0.1", faults=Faults(), api_port=0, password=PASSWORD)
    loop.run(panel.start())
    yield panel
    loop.run(panel.stop())


def driver(city: City, sim: AxProPanel, **fields: Any) -> AxProAlarmDriver:
    school: School = city.school(SCHOOL)
    panel = school.alarms[0]
    assert isinstance(panel, AlarmPanel) and panel.protocol == "isapi"
    panel = dataclasses.replace(panel, **fields)
    routes = {(panel.host, 80): ("127.0.0.1", sim.api.port)}
    return AxProAlarmDriver(Target(city, school, panel, RoutedConnector(timeout=5, routes=routes)))


def isapi(sim: AxProPanel, password: str = PASSWORD) -> AxProSession:
    url = f"http://127.0.0.1:{sim.api.port}"
    return AxProSession("check", url, "admin", password, timeout=5)


def test_settings_land_in_the_arc_and_the_panic_zone(city: City, sim: AxProPanel) -> None:
    drv = driver(city, sim, key=SecretRef.parse(f"${{{KEY_VAR}}}"))
    try:
        changes = drv.diff(drv.read(), drv.desired())
        drv.apply(changes)
        assert drv.diff(drv.read(), drv.desired()) == []
        text = repr(changes) + repr(drv.read())
        assert KEY not in text and PASSWORD not in text
    finally:
        drv.close()
    check = isapi(sim)
    try:
        arc = check.json("GET", "/ISAPI/SecurityCP/Configuration/ARC/1", "read")["ARC"]
        zone = check.json("GET", "/ISAPI/SecurityCP/Configuration/zones/0", "read")["Zone"]
    finally:
        check.close()
    assert (arc["enabled"], arc["addressType"], arc["ipAddress"]) == (
        True,
        "ipaddress",
        "10.200.1.20",
    )
    assert (arc["portNo"], arc["accountCode"], arc["periodicTestInterval"]) == (12128, "03851", 12)
    assert arc["encryptionEnabled"] is True and "encryptionKey" not in arc
    assert sim._key == bytes.fromhex(KEY)  # the key the inventory names, on the panel only
    assert zone["zoneType"] == "Emergency"  # the AX PRO's panic zone: 24 h, latching


def test_the_report_format_is_the_arcs_protocol_type(city: City, sim: AxProPanel) -> None:
    drv = driver(city, sim, report_format="SIA-DCS")
    try:
        changes = drv.diff(drv.read(), drv.desired())
        assert Change("report_format", "ADM-CID", "SIA-DCS") in changes
        drv.apply(changes)
        assert drv.diff(drv.read(), drv.desired()) == []
    finally:
        drv.close()
    check = isapi(sim)
    try:
        arc = check.json("GET", "/ISAPI/SecurityCP/Configuration/ARC/1", "read")["ARC"]
    finally:
        check.close()
    assert arc["protocolType"] == "SIA-DCS"


def test_a_bypassed_panic_zone_reads_disarmable_and_converging_recovers_it(
    city: City, sim: AxProPanel
) -> None:
    drv = driver(city, sim)
    try:
        drv.apply(drv.diff(drv.read(), drv.desired()))
        check = isapi(sim)
        try:
            check.json("PUT", "/ISAPI/SecurityCP/control/bypass/0", "bypass")
        finally:
            check.close()
        changes = drv.diff(drv.read(), drv.desired())
        assert [(c.setting, c.before, c.after) for c in changes] == [
            ("panic_zone_disarmable", True, False)
        ]
        drv.apply(changes)
        assert drv.diff(drv.read(), drv.desired()) == []
        assert sim.area.zone(0).bypassed is False
    finally:
        drv.close()


def test_a_refused_login_says_how_many_tries_are_left_then_the_lock(
    city: City, sim: AxProPanel
) -> None:
    said = []
    for _ in range(sim.session.lock_after):
        wrong = isapi(sim, "not-the-password")
        with pytest.raises(DeviceError) as refused:
            wrong.json("GET", "/ISAPI/SecurityCP/status/zones", "read zones")
        said.append(str(refused.value))
        wrong.close()
    assert "refused user 'admin' (4 tries left before it locks this address)" in said[0]
    assert "has locked this address out after repeated wrong passwords" in said[-1]
    drv = driver(city, sim)  # the right password, while the address is locked
    try:
        with pytest.raises(DeviceError, match="locked this address out"):
            drv.read()
    finally:
        drv.close()
    assert all("not-the-password" not in s for s in said)
