"""An NVR that registers with the GB/T 28181 platform for the key cameras it records, against
one lab (platform, NVR and its agent) for the module.

dl-zs-h024's NVR gets a type-118 ID and one channel ID per forwarded camera (gbsupport's NVR
variant); the cameras register nothing themselves. The rig writes the NVR with the recorder
driver, as apply does, and runs verify's gb28181 check at once, without waiting for the
registration: the check itself waits (bounded) for a device still registering. Each fault
test switches the NVR's fault, lets it re-register where the fault acts on registration,
runs the check and puts everything back.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from gbsupport import NVR, NVR_CHANNELS, NVR_ID, SCHOOL, GbLab, gb_nvr_city
from labsupport import wait_until

from provision.drivers.base import Change, Target
from provision.drivers.recorder_isapi import IsapiRecorderDriver
from provision.inventory.secrets import SecretRef
from provision.lab.control import ControlApi
from provision.lab.nvr import IsapiNvr
from provision.verify.checks import gb28181
from provision.verify.contract import CheckContext
from provision.verify.model import FAIL, PASS, WARN


class Rig(GbLab):
    def apply(self, changes: list[Change] | None = None) -> list[str]:
        """Write the NVR with its driver, as apply does (or `changes`, when given); what was
        written. Returns once the NVR has passed its SIP settings to its agent."""
        spec = next(r for r in self.school.recorders if r.name == NVR)
        driver = IsapiRecorderDriver(Target(self.city, self.school, spec, self.connector))
        try:
            if changes is None:
                changes = driver.diff(driver.read(), driver.desired())
                driver.apply(changes)
                self.left = driver.diff(driver.read(), driver.desired())
            else:
                driver.apply(changes)
        finally:
            driver.close()
        self.loop.run(self.nvr().sip_settled(), timeout=60)
        return [c.setting for c in changes]

    def nvr(self) -> IsapiNvr:
        sim = self.lab.devices[f"{SCHOOL}/{NVR}"].sim
        assert isinstance(sim, IsapiNvr)
        return sim

    def findings(self) -> dict[str, Any]:
        return {f.subject: f for f in self.run().findings}

    def reconfigure(self, faults: dict[str, Any] | None) -> None:
        """Access switched off, `faults` set (None: cleared), access written again."""
        self.apply([Change("gb28181.enabled", True, False)])
        self.loop.run(self.lab.set_faults(f"{SCHOOL}/{NVR}", faults))
        self.apply([Change("gb28181.enabled", False, True)])


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    root = tmp_path_factory.mktemp("gbnvr") / "city"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "dalian", root)
    gb_nvr_city(root)
    made = Rig(root, root.parent / "data")
    try:  # a failed set-up still frees the lab's ports for the worker's next module
        assert NVR_ID not in made.platform().devices  # factory settings: no access yet
        written = made.apply()
        assert {"gb28181.password", "gb28181.channels"} <= set(written)
        yield made
    finally:
        made.close()


@pytest.fixture
def clean(rig: Rig) -> Iterator[Rig]:
    yield rig
    rig.reconfigure(None)
    wait_until(lambda: NVR_ID in rig.platform().devices, timeout=60, what="re-registration")


def test_verify_right_after_apply_sees_each_key_camera_through_the_nvr(rig: Rig) -> None:
    # No wait here: the fixture has just written the NVR; the check waits for it.
    assert rig.left == []  # apply wrote everything plan wanted, channel IDs included
    result = rig.run()
    findings = {f.subject: f for f in result.findings}
    assert result.verdict in (PASS, WARN), [f.message for f in result.findings]
    assert "Catalog matches" in findings[NVR].message
    assert findings[NVR].data["register_wait_s"] <= gb28181.REGISTER_WAIT_S
    for camera, channel in NVR_CHANNELS.items():
        said = findings[camera].message
        assert f"watchable through NVR {NVR}, channel {channel}: H264 320x180" in said
        assert findings[camera].data["play_seconds"] < gb28181.PLAY_LIMIT_S
    # the NVR's Catalog lists its forwarded cameras' channels, in its input order
    channels = rig.platform().devices[NVR_ID].channels
    assert [c.device_id for c in channels] == list(NVR_CHANNELS.values())


def test_the_nvr_holds_the_channel_ids_at_its_cameras_inputs(rig: Rig) -> None:
    sip = rig.nvr().settings.sip
    # gate-face, gate-plaza-w, gate-plaza-e are the NVR's inputs 1-3, play-sw its 36th
    assert sip.video_input_ids == dict(zip((1, 2, 3, 36), NVR_CHANNELS.values(), strict=True))
    assert sip.auth_id == NVR_ID and sip.enabled


def test_a_wrong_password_on_the_nvr_fails_it_and_every_camera_behind_it(clean: Rig) -> None:
    clean.reconfigure({"sip_wrong_password": True})
    findings = clean.findings()  # no wait here either: the refusal ends the check's wait
    assert findings[NVR].verdict == FAIL
    assert "the SIP password differs" in findings[NVR].message
    for camera in NVR_CHANNELS:
        assert findings[camera].verdict == FAIL
        assert f"NVR {NVR} does not serve it" in findings[camera].message


def test_an_nvr_dropping_a_channel_from_its_catalog_names_it(clean: Rig) -> None:
    clean.loop.run(clean.lab.set_faults(f"{SCHOOL}/{NVR}", {"sip_catalog_drop": True}))
    clean.loop.run(clean.platform().query_catalog(NVR_ID))
    findings = clean.findings()
    dropped = list(NVR_CHANNELS.values())[-1]
    assert findings[NVR].verdict == FAIL and f"Catalog lacks {dropped}" in findings[NVR].message


def test_an_nvr_refusing_invite_fails_each_camera_with_the_answer(clean: Rig) -> None:
    clean.loop.run(clean.lab.set_faults(f"{SCHOOL}/{NVR}", {"sip_invite_fail": True}))
    findings = clean.findings()
    assert findings[NVR].verdict in (PASS, WARN)  # registered, alive, catalogued
    for camera in NVR_CHANNELS:
        assert findings[camera].verdict == FAIL and "488" in findings[camera].message


def test_a_device_still_registering_is_waited_for_not_failed(clean: Rig) -> None:
    # Over a slow link (each SIP message of the NVR 400 ms late) the REGISTER, its 401 and
    # the second REGISTER take over 0.8 s after the write: verify, starting at once, finds
    # the NVR not yet registered and waits for it instead of failing it.
    clean.reconfigure({"latency_ms": 400})
    try:
        assert NVR_ID not in clean.platform().devices  # still registering
        ctx = CheckContext(clean.city, clean.school, clean.connector, {}, 0.0)
        with requests.Session() as session:
            wvp = gb28181.Wvp(ctx, session)
            waited = gb28181.await_registration(wvp, [NVR_ID])
        assert NVR_ID in clean.platform().devices
        assert 0 < waited[NVR_ID] < gb28181.REGISTER_WAIT_S
    finally:
        clean.loop.run(clean.lab.set_faults(f"{SCHOOL}/{NVR}", None))


def test_plan_shows_the_nvr_access_with_its_password_as_a_reference(clean: Rig) -> None:
    spec = next(r for r in clean.school.recorders if r.name == NVR)
    driver = IsapiRecorderDriver(Target(clean.city, clean.school, spec, clean.connector))
    try:
        held = driver.read()
        assert held["gb28181.channels"] == list(NVR_CHANNELS.values())
        assert held["gb28181.password"] == "${PROVISION_GB28181_PASSWORD}"
        assert driver.diff(held, driver.desired()) == []  # applied: nothing to change
        # a rollback of the channel IDs empties SIPInfo; the next plan wants them back
        driver.apply([Change("gb28181.channels", list(NVR_CHANNELS.values()), None)])
        emptied = dict(clean.nvr().settings.sip.video_input_ids)
        again = driver.diff(driver.read(), driver.desired())
        driver.apply(again)  # and puts them back
    finally:
        driver.close()
    assert emptied == {} and [c.setting for c in again] == ["gb28181.channels"]
    secret = clean.connector.secret(SecretRef("PROVISION_GB28181_PASSWORD"))
    assert secret not in repr(held) + repr(again)  # references only, never the value
    assert list(clean.nvr().settings.sip.video_input_ids.values()) == list(NVR_CHANNELS.values())


def test_a_button_wired_to_the_nvr_reaches_the_platform_as_an_alarm(rig: Rig) -> None:
    # One-button alarms are often wired to the NVR's alarm input: pressed (through the lab's
    # control API), the NVR reports it over GB/T 28181 and the platform records it.
    control = ControlApi(rig.lab)
    rig.loop.run(control.server.start())
    base = f"http://127.0.0.1:{control.server.port}/api/devices/{SCHOOL}"
    try:
        press = requests.post(f"{base}/{NVR}/alarm_button", timeout=10).json()
        nobody = requests.post(f"{base}/gate-led/alarm_button", timeout=10)
    finally:
        rig.loop.run(control.server.stop())
    assert press["status"] == 200 and nobody.status_code == 404
    recorded = [a for a in rig.platform().alarms if a["deviceId"] == NVR_ID]
    assert recorded and recorded[-1]["alarmPriority"] == "1"
    assert recorded[-1]["receivedAtMs"] >= int(press["pressed_at"]) * 1000
