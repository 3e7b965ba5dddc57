"""The alarm self-test of a GB/T 28181 alarm column against a lab precinct: its button
pressed through the lab's control API, the Alarm timed to the platform's record.

The GB/T 28181 variant of the example city (tests/gbsupport.py) with an alarm column at
dl-zs-h024's gate and, to keep the module fast, no DC-09 panel there (the panels' test is
tests/verify/test_alarm_*). One lab serves the module: the column starts at factory
settings, the rig writes its SIP access with its driver (as apply does) and it registers;
the lab's control API runs beside it, reached by the lab connector as `--lab` runs reach a
running lab's. Each fault test switches one fault and puts it back. A press that never
reaches the platform (faults alarm_notify_lost, alarm_refused) is the fault matrix's
(tests/faults/test_fault_matrix.py), which runs the real CLI against it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from gbsupport import COLUMN, COLUMN_ID, SCHOOL, GbLab, edit_school, gb_column_city
from labsupport import wait_until

from provision.drivers.alarm_column import AlarmColumnDriver
from provision.drivers.base import Change, Target
from provision.drivers.connect import Connector
from provision.inventory.model import AlarmPanel
from provision.lab.connector import LabConnector
from provision.lab.control import ControlApi
from provision.verify.contract import CheckContext
from provision.verify.model import FAIL, PASS, WARN, CheckResult
from provision.verify.selftests import alarm, alarm_column

PLATFORM = "precinct/nanshajie/video_platform"


@dataclass(frozen=True)
class NobodyAtTheColumn(LabConnector):
    """The lab's routes, but no one to press a button: what the field connector does."""

    def press_alarm_button(self, device: str) -> bool:
        return Connector.press_alarm_button(self, device)


class Rig(GbLab):
    def __init__(self, root: Path, data: Path) -> None:
        super().__init__(root, data)
        self.control = ControlApi(self.lab)
        self.loop.run(self.control.server.start())
        self.connector = LabConnector(control=f"http://127.0.0.1:{self.control.server.port}")
        self.column = next(a for a in self.school.alarms if a.name == COLUMN)

    def apply(self, changes: list[Change] | None = None) -> None:
        driver = AlarmColumnDriver(Target(self.city, self.school, self.column, self.connector))
        try:
            driver.apply(
                driver.diff(driver.read(), driver.desired()) if changes is None else changes
            )
        finally:
            driver.close()
        sim: Any = self.lab.devices[f"{SCHOOL}/{COLUMN}"].sim
        self.loop.run(sim.sip_settled(), timeout=60)

    def registered(self) -> bool:
        return COLUMN_ID in self.platform().devices

    def alarm_check(self, connector: Connector | None = None) -> CheckResult:
        ctx = CheckContext(self.city, self.school, connector or self.connector, {}, 1.0)
        return alarm.check(ctx)

    def finding(self, connector: Connector | None = None) -> Any:
        return next(f for f in self.alarm_check(connector).findings if f.subject == COLUMN)

    def close(self) -> None:
        try:
            self.loop.run(self.control.server.stop())
        finally:
            super().close()


def _only_the_column(school: dict[str, Any]) -> None:
    school["alarms"] = [a for a in school["alarms"] if a["name"] == COLUMN]


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    root = tmp_path_factory.mktemp("gbcolumn") / "city"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "dalian", root)
    gb_column_city(root)
    edit_school(root, SCHOOL, _only_the_column)
    made = Rig(root, root.parent / "data")
    try:  # a failed set-up still frees the lab's ports for the worker's next module
        assert not made.registered()  # factory settings: no access yet
        made.apply()
        wait_until(made.registered, timeout=60, what="registration")
        yield made
    finally:
        made.close()


def test_a_pressed_column_is_timed_to_the_platforms_record(rig: Rig) -> None:
    result = rig.alarm_check()
    finding = next(f for f in result.findings if f.subject == COLUMN)
    assert finding.verdict == PASS, finding.message
    info = result.evidence["panels"][COLUMN]
    assert info["received"] and info["pressed"] and info["device_id"] == COLUMN_ID
    assert info["latency_basis"] == "platform receipt (ms)"
    assert 0 <= info["latency_s"] <= info["limit_s"] == 2.0  # the city's ga-t-368-wired
    assert info["profile"] == "ga-t-368-wired"
    assert "Alarm recorded by the platform in" in finding.message
    assert result.summary.startswith("1/1 test alarms reached the precinct")
    assert info["platform_alarm"]["alarmPriority"] == "1"  # §9.4: the column's one-button alarm


def test_a_column_nobody_can_press_needs_a_walk_test_and_shows_the_last_one(rig: Rig) -> None:
    assert rig.connector.press_alarm_button(f"{SCHOOL}/{COLUMN}")  # someone walked past
    result = rig.alarm_check(NobodyAtTheColumn())
    finding = next(f for f in result.findings if f.subject == COLUMN)
    assert finding.verdict == WARN and finding.message.startswith("needs a walk test")
    assert "the platform's last alarm from it was at" in finding.message
    assert "latency not judged: AlarmTime is whole seconds" in finding.message
    info = result.evidence["panels"][COLUMN]
    assert info["pressed"] is False and info["latency_s"] is None and info["received"] is None
    assert info["last_walk_test"]["alarmTime"]
    assert "1 alarm column(s) need a walk test" in result.summary


def test_an_unregistered_column_fails_with_the_platforms_reason(rig: Rig) -> None:
    column = f"{SCHOOL}/{COLUMN}"
    rig.apply([Change("gb28181.enabled", True, False)])
    rig.loop.run(rig.lab.set_faults(column, {"sip_wrong_password": True}))
    try:
        rig.apply()
        wait_until(lambda: rig.platform().refusals.get(COLUMN_ID), timeout=60, what="refusal")
        finding = rig.finding()
    finally:
        rig.apply([Change("gb28181.enabled", True, False)])
        rig.loop.run(rig.lab.set_faults(column, None))
        rig.apply()
        wait_until(rig.registered, timeout=60, what="re-registration")
    assert finding.verdict == FAIL and finding.message.startswith("not registered")
    assert "the SIP password differs" in finding.message


def test_the_column_test_without_a_platform_answer_fails_each_column(rig: Rig) -> None:
    rig.loop.run(rig.lab.set_faults(PLATFORM, {"refuse": True}))
    try:
        ctx = CheckContext(rig.city, rig.school, rig.connector, {}, 1.0)
        done = alarm_column.test_all(ctx)
    finally:
        rig.loop.run(rig.lab.set_faults(PLATFORM, None))
    finding, info = done[COLUMN]
    assert finding.verdict == FAIL and "Connection refused" in finding.message
    assert "password" not in finding.message and info["received"] is False


# Below the lab: how a record is judged (the lab round trip proves nothing more here).
_SPEC = AlarmPanel(
    COLUMN, "10.34.18.7", ("alarms", 2), None, protocol="gb28181", account="", zone="gate",
    test_interval_h=24, gb28181_id=COLUMN_ID,
)  # fmt: skip


def test_a_late_alarm_fails_against_the_profiles_limit() -> None:
    record = {"id": 9, "alarmTime": "2026-12-06 10:00:03", "receivedAtMs": 1_000_003_500}
    finding, info = alarm_column._timed(
        _SPEC, record, 1_000_000.0, 1_000_004.0, "GA/T 368-2001", {"limit_s": 2.0}
    )
    assert finding.verdict == FAIL and info["latency_s"] == 3.5
    assert "above the 2 s limit (GA/T 368-2001)" in finding.message


def test_without_a_millisecond_receipt_the_latency_is_an_upper_bound_said_so() -> None:
    # A real WVP-PRO's record: alarmTime and createTime in whole seconds, no receivedAtMs.
    record = {"id": 9, "alarmTime": "2026-12-06 10:00:00", "createTime": "2026-12-06 10:00:00"}
    finding, info = alarm_column._timed(
        _SPEC, record, 1_000_000.0, 1_000_000.4, None, {"limit_s": 2.0}
    )
    assert finding.verdict == PASS and info["latency_s"] == 0.4
    assert info["latency_basis"] == "seen by verify (upper bound)"
