"""The gb28181 verify check against a lab precinct of kind gb28181, each failure by its fault.

The example city's nanshajie precinct becomes a GB/T 28181 platform and two of
dl-zs-h024's forwarded cameras get IDs; one lab (platform, cameras, their agents) serves the
module. The lab's cameras start at factory settings; the rig writes their SIP settings with
the ISAPI driver, as apply does, and they register. The rig reaches the agents only through
the cameras' ISAPI SIP resource, as an integrator would: to make a camera register afresh it
switches access off and on again with the driver. Each fault test switches one camera's
fault, lets the agent re-register where the fault acts on registration, runs the check and
puts everything back. Waits are generous (a loaded CI worker is slow), never timed checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from gbsupport import IDS, SCHOOL, SERVER_ID, GbLab, gb_city
from labsupport import wait_until

from provision.drivers.base import Change, Target
from provision.drivers.camera_isapi import IsapiCameraDriver
from provision.lab.camera_isapi import IsapiCamera
from provision.lab.control import ControlApi
from provision.lab.runtime import lab_agent_settings
from provision.templates.gb28181_settings import gb28181_settings
from provision.verify.checks import gb28181
from provision.verify.model import FAIL, PASS, WARN


class Rig(GbLab):
    def __init__(self, root: Path, data: Path) -> None:
        super().__init__(root, data)
        self.agent_settings = {
            f"{SCHOOL}/{cam.name}": lab_agent_settings(
                gb28181_settings(self.city, self.school, cam)
            )
            for cam in self.school.cameras
            if cam.name in IDS
        }

    def apply(self, camera: str, changes: list[Change] | None = None) -> list[str]:
        """Write the camera's wanted settings with its driver, as apply does (or `changes`,
        when given); what was written. Returns once the camera has passed them to its agent."""
        cam = next(c for c in self.school.cameras if c.name == camera)
        driver = IsapiCameraDriver(Target(self.city, self.school, cam, self.connector))
        try:
            if changes is None:
                changes = driver.diff(driver.read(), driver.desired())
            driver.apply(changes)
        finally:
            driver.close()
        self.loop.run(self.camera(camera).sip_settled(), timeout=60)
        return [c.setting for c in changes]

    def camera(self, camera: str) -> IsapiCamera:
        sim = self.lab.devices[f"{SCHOOL}/{camera}"].sim
        assert isinstance(sim, IsapiCamera)
        return sim

    def finding(self, camera: str) -> Any:
        return next(f for f in self.run().findings if f.subject == camera)

    def registered(self, camera: str) -> bool:
        return IDS[camera][0] in self.platform().devices

    def reconfigure(self, camera: str, faults: dict[str, Any] | None) -> None:
        """The camera's access switched off and written again, with `faults` on (None:
        cleared) while it is off; it registers (or is refused) afresh."""
        self.apply(camera, [Change("gb28181.enabled", True, False)])
        self.loop.run(self.lab.set_faults(f"{SCHOOL}/{camera}", faults))
        self.apply(camera)


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    import shutil

    root = tmp_path_factory.mktemp("gbcity") / "city"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "dalian", root)
    gb_city(root)
    made = Rig(root, root.parent / "data")
    try:  # a failed set-up still frees the lab's ports for the worker's next module
        assert not any(made.registered(c) for c in IDS)  # factory settings: no access yet
        for camera in IDS:
            assert "gb28181.password" in made.apply(camera)
        wait_until(lambda: all(made.registered(c) for c in IDS), timeout=60, what="registration")
        yield made
    finally:
        made.close()


@pytest.fixture
def clean(rig: Rig) -> Iterator[Rig]:
    yield rig
    for camera in IDS:
        rig.reconfigure(camera, None)
    wait_until(lambda: all(rig.registered(c) for c in IDS), timeout=60, what="re-registration")


def test_every_camera_registered_alive_catalogued_and_playing(rig: Rig) -> None:
    devices = rig.platform().devices
    wait_until(lambda: all(devices[i].channels for i, _ in IDS.values()), 60, "catalogues")
    result = rig.run()
    # WARN would only mean one keepalive late (the lab's heartbeat is 1 s on a busy machine).
    assert result.verdict in (PASS, WARN), [f.message for f in result.findings]
    for finding in result.findings:
        assert "Catalog matches" in finding.message and "H264 320x180" in finding.message
        assert finding.data["play_seconds"] < gb28181.PLAY_LIMIT_S


def test_wrong_password_says_the_password_differs(clean: Rig) -> None:
    clean.reconfigure("gate-face", {"sip_wrong_password": True})
    wait_until(
        lambda: clean.platform().refusals.get(IDS["gate-face"][0]), timeout=60, what="refusal"
    )
    finding = clean.finding("gate-face")
    assert finding.verdict == FAIL and "the SIP password differs" in finding.message


def test_wrong_server_id_names_the_platforms_id_and_domain(clean: Rig) -> None:
    clean.reconfigure("gate-face", {"sip_wrong_server_id": True})
    wait_until(
        lambda: clean.platform().refusals.get(IDS["gate-face"][0]), timeout=60, what="refusal"
    )
    finding = clean.finding("gate-face")
    assert finding.message.startswith("404")
    assert f"server ID {SERVER_ID} / domain {SERVER_ID[:10]}" in finding.message


def test_stopped_keepalives_are_reported_with_their_age(clean: Rig) -> None:
    clean.loop.run(clean.lab.set_faults(f"{SCHOOL}/gate-face", {"sip_keepalive_stop": True}))
    wait_until(lambda: clean.finding("gate-face").verdict == FAIL, timeout=60, what="offline")
    assert "no keepalive for" in clean.finding("gate-face").message


def test_catalog_dropping_a_channel_names_it(clean: Rig) -> None:
    clean.loop.run(clean.lab.set_faults(f"{SCHOOL}/gate-plaza-w", {"sip_catalog_drop": True}))
    platform, device = clean.platform(), IDS["gate-plaza-w"][0]
    clean.loop.run(platform.query_catalog(device))
    finding = clean.finding("gate-plaza-w")
    assert f"Catalog lacks {IDS['gate-plaza-w'][1][1]}" in finding.message


def test_failing_invite_is_reported(clean: Rig) -> None:
    clean.loop.run(clean.lab.set_faults(f"{SCHOOL}/gate-face", {"sip_invite_fail": True}))
    finding = clean.finding("gate-face")
    assert finding.verdict == FAIL and "488" in finding.message


def test_the_lab_control_api_configures_an_agent_as_a_camera_would(clean: Rig) -> None:
    # An ONVIF camera has no SIP settings of its own: the control API gives it an agent (the
    # ISAPI cameras' agents are driven only through their ISAPI resource).
    control = ControlApi(clean.lab)
    clean.loop.run(control.server.start())
    base = f"http://127.0.0.1:{control.server.port}/api/devices/{SCHOOL}/gate-plaza-e/gb28181"
    device = "21020200111320000031"
    settings = {
        **clean.agent_settings[f"{SCHOOL}/gate-face"],
        "device_id": device,
        "channels": ["21020200111320000032"],
    }
    try:
        bad = requests.put(base, json={"server_id": SERVER_ID}, timeout=10)
        assert bad.status_code == 400 and "lack domain" in bad.json()["error"]
        assert device not in clean.platform().devices  # a refused change changes nothing
        requests.put(base, json=settings, timeout=10).raise_for_status()
        wait_until(lambda: device in clean.platform().devices, 60, "registration")
        requests.delete(base, timeout=10).raise_for_status()
        assert device not in clean.platform().devices  # unregistered with Expires 0
    finally:
        requests.delete(base, timeout=10)
        clean.loop.run(control.server.stop())


def test_a_2022_device_on_a_2016_platform_is_named(clean: Rig) -> None:
    clean.apply("gate-face", [Change("gb28181.edition", "2016", "2022")])
    device = IDS["gate-face"][0]
    # .get: between the old registration's Expires 0 and the new REGISTER there is no entry
    registered = clean.platform().devices.get
    wait_until(lambda: getattr(registered(device), "gb_version", None) == "3.0", 60, "re-register")
    finding = clean.finding("gate-face")
    assert finding.verdict == FAIL and "edition 2022 device, 2016 platform" in finding.message


def test_a_platform_refusing_connections_is_named_without_its_login_query(clean: Rig) -> None:
    # WVP's login carries the password's MD5 (its credential) in the URL: never in a finding.
    platform = "precinct/nanshajie/video_platform"
    clean.loop.run(clean.lab.set_faults(platform, {"refuse": True}))
    try:
        messages = [f.message for f in clean.run().findings]
    finally:
        clean.loop.run(clean.lab.set_faults(platform, None))
    assert messages and all("Connection refused" in m for m in messages), messages
    assert not any("password" in m or "/api/" in m for m in messages), messages
