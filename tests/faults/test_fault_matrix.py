"""The fault matrix: every lab fault kind × plan, apply and verify, expected outcomes as data.

Each fault gets its own lab of a one-school city (`fault_matrix_lab.small_city`): plan and apply
run with the fault on from factory settings; verify runs with it on again once a clean apply has
converged the school. The commands are the real CLI (`--lab --timeout 10 --format json`, 2 s
where a client waits out its timeout; verify `--alarm-threshold 2`). A cell names the devices
that do not converge (or the checks that do not pass) with their status, the exit code, a phrase
of the report and, for apply, what the journal holds for the failing devices; everything not
named must converge or pass.

Cells where today's behaviour is wrong carry a `Bug`: they are strict xfails, failing only in
the fields the bug names. `docs/fault-matrix.md` is rendered from MATRIX by
`tools/fault_matrix_doc.py`; `test_the_committed_doc_is_current` keeps the two together.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fault_matrix_lab import (
    GB_COLUMN,
    GB_COLUMN_ID,
    GB_IDS,
    SCENARIO_DEADLINE_S,
    SHORT_TIMEOUT_S,
    TIMEOUT_S,
    FaultLab,
    Observed,
    Scenario,
    managed_hosts,
    platform_heard_every_camera,
    recorder_lost,
    run_scenario,
    small_city,
    within,
)
from fault_matrix_model import COMMANDS, Expect, Fault, KnownBug, Row, hold

from provision.lab.faults import FAULT_KINDS

CENTRE = "precinct/renminguangchang/alarm_center"
PLATFORM = "precinct/renminguangchang/video_platform"
NVR = "nvr-1"
FAIL, UNREACHABLE, FAILED = "fail", "unreachable", "failed"
GB_CAMERA = "gate-plaza-e"  # registers with the GB/T 28181 variant's platform; so does -w
GB_DEVICE, GB_CHANNEL = GB_IDS[GB_CAMERA]

MATRIX: tuple[Row, ...] = (
    Row(
        Fault("latency_ms", "gate-face", 100, "a slow link: every answer 100 ms late"),
        plan=Expect(2),
        apply=Expect(0),
        verify=Expect(0),
    ),
    Row(
        Fault(
            "timeout", "gate-plaza-e", True, "a hung camera: accepts, never answers", times_out=True
        ),
        plan=Expect(1, {"gate-plaza-e": UNREACHABLE}, says="no answer within 2 s"),
        apply=Expect(
            1,
            {"gate-plaza-e": UNREACHABLE, "streams": FAILED},
            says="gate-plaza-e: the platform has not pulled it within 2 s",
            journal={"streams": ("applied",)},
        ),
        verify=Expect(
            2,
            {
                "reachability": FAIL,
                "drift": FAIL,
                "streams": FAIL,
                "coverage": FAIL,
                "recording": FAIL,  # the NVR's channel is offline too
                "policy": FAIL,
            },
            says="that gate-plaza-e would cover",
        ),
    ),
    Row(
        Fault("refuse", PLATFORM, True, "the precinct video platform's API and RTSP are down"),
        plan=Expect(1, {"streams": UNREACHABLE}, says="Connection refused"),
        apply=Expect(1, {"streams": UNREACHABLE}, says="Connection refused"),
        verify=Expect(
            2,
            {"reachability": FAIL, "drift": FAIL, "streams": FAIL},
            says="Connection refused",
            never_says="HTTPConnectionPool",
        ),
    ),
    Row(
        Fault("auth_failure", "core", True, "the switch rejects the inventory's credentials"),
        plan=Expect(1, {"core": UNREACHABLE}, says="Authentication to device failed"),
        apply=Expect(1, {"core": UNREACHABLE}, says="Authentication to device failed"),
        verify=Expect(
            2, {"reachability": FAIL, "drift": FAIL}, says="Authentication to device failed"
        ),
    ),
    Row(
        Fault(
            "soap_fault",
            "gate-face",
            ["CreateUsers"],
            "the camera faults one ONVIF call",
            times_out=True,  # apply waits out its timeout for the pull the camera refuses
        ),
        plan=Expect(2),
        apply=Expect(
            1,
            # The auditor was never created, so the platform's pull of the camera with it is
            # refused (401), as a real camera refuses it: forwarding fails too.
            {"gate-face": FAILED, "streams": FAILED},
            says="ONVIF CreateUsers failed: SOAP fault",
            journal={
                "gate-face": ("applied", "not_applied", "rolled_back"),
                "streams": ("applied",),  # the other cameras' proxies
            },
        ),
        # Verify only reads: once the clean apply has made the auditor, the platform's next
        # pull (after MediaMTX's pause) is let in, and nothing fails.
        verify=Expect(0),
    ),
    Row(
        # netmiko sees the dropped session only as silence until its timeout: a hang to it
        Fault(
            "ssh_drop",
            "core",
            True,
            "the switch drops SSH on the first config line",
            times_out=True,
        ),
        plan=Expect(2),  # reading is not configuring: the session holds
        apply=Expect(
            1,
            {"core": FAILED},
            says="the switch closed the SSH session",
            never_says="cmd_verify",
            journal={"core": ("not_applied",)},
        ),
        verify=Expect(0),
    ),
    Row(
        Fault("obstructed", "gate-face", True, "the gate camera's lens is covered"),
        plan=Expect(2),
        apply=Expect(0),
        verify=Expect(
            2,
            {"coverage": FAIL, "policy": FAIL},
            says="blind spot 12.0 m² at (26.0, -0.5) that gate-face would cover",
        ),
    ),
    Row(
        Fault(
            "rtsp_down",
            "gate-face",
            True,
            "the camera's RTSP server is down, ONVIF up",
            times_out=True,
        ),
        plan=Expect(2),
        apply=Expect(
            1,
            {"streams": FAILED},
            says="gate-face: the platform has not pulled it within 2 s",
            journal={"streams": ("applied",)},
        ),
        # The NVR cannot pull it either: its channel is offline and records nothing.
        verify=Expect(
            2,
            {"streams": FAIL, "recording": FAIL, "policy": FAIL},
            says="path exists but is not ready",
        ),
    ),
    Row(
        Fault("drop_acks", CENTRE, True, "the alarm centre stores events but never ACKs"),
        plan=Expect(2),
        apply=Expect(0),
        verify=Expect(
            2,
            {"alarm": FAIL},
            says="queued at the panel",
        ),
    ),
    Row(
        Fault("receiver_down", CENTRE, True, "the alarm centre's DC-09 receiver is down"),
        plan=Expect(2),
        apply=Expect(0),  # apply configures panels; whether they reach the centre is verify's
        verify=Expect(2, {"alarm": FAIL}, says="1 event(s) queued at the panel"),
    ),
    Row(
        Fault("dead", "teach-sos", True, "an alarm panel is powered off"),
        plan=Expect(1, {"teach-sos": UNREACHABLE}, says="Connection refused"),
        apply=Expect(1, {"teach-sos": UNREACHABLE}, says="Connection refused"),
        verify=Expect(
            2,
            {"reachability": FAIL, "drift": FAIL, "alarm": FAIL},
            says="the panel does not answer at 10.34.30.6: connection refused",
        ),
    ),
    # GB/T 28181 (the school's variant with a GB/T 28181 precinct): apply writes the SIP
    # settings whatever the agent then does; the platform's own view fails the gb28181 check.
    Row(
        Fault(
            "sip_wrong_password",
            GB_CAMERA,
            True,
            "the camera's GB/T 28181 password is not the platform's",
            gb28181=True,
        ),
        plan=Expect(2),
        apply=Expect(0),
        verify=Expect(
            2, {"gb28181": FAIL}, says=f"{GB_CAMERA}: 403 wrong password: the SIP password differs"
        ),
    ),
    Row(
        Fault(
            "sip_wrong_server_id",
            GB_CAMERA,
            True,
            "the camera registers to another SIP server ID",
            gb28181=True,
        ),
        plan=Expect(2),
        apply=Expect(0),
        verify=Expect(
            2,
            {"gb28181": FAIL},
            says=f"{GB_CAMERA}: 404 Not Found: the platform answers with server ID",
        ),
    ),
    Row(
        Fault(
            "sip_keepalive_stop",
            GB_CAMERA,
            True,
            "the camera registers, then sends no keepalive",
            gb28181=True,
        ),
        plan=Expect(2),
        apply=Expect(0),
        verify=Expect(2, {"gb28181": FAIL}, says="but no keepalive for"),
    ),
    Row(
        Fault(
            "sip_invite_fail",
            GB_CAMERA,
            True,
            "the camera refuses the platform's INVITE (488)",
            gb28181=True,
        ),
        plan=Expect(2),
        apply=Expect(0),
        verify=Expect(2, {"gb28181": FAIL}, says=f"INVITE {GB_CHANNEL}"),
    ),
    Row(
        Fault(
            "sip_catalog_drop",
            GB_CAMERA,
            True,
            "the camera's Catalog leaves out its last channel",
            gb28181=True,
        ),
        plan=Expect(2),
        apply=Expect(0),
        verify=Expect(2, {"gb28181": FAIL}, says=f"Catalog lacks {GB_CHANNEL}"),
    ),
    Row(
        Fault(
            "api_error",
            "gate-plaza-e",
            ["POST /ISAPI/Security/users"],
            "the Hikvision camera answers Device Error when asked to create a user",
            times_out=True,  # apply waits out its timeout for the pull the camera refuses
        ),
        plan=Expect(2),
        apply=Expect(
            1,
            # As with ONVIF's CreateUsers: without the auditor the platform's pull is refused.
            {"gate-plaza-e": FAILED, "streams": FAILED},
            says="Device Error (deviceError; statusCode 3)",
            journal={
                "gate-plaza-e": ("applied", "not_applied", "rolled_back"),
                "streams": ("applied",),  # the other cameras' proxies
            },
        ),
        # Verify only reads: once the clean apply has made the auditor, the platform's next
        # pull (after MediaMTX's pause) is let in, and nothing fails.
        verify=Expect(0),
    ),
    Row(
        Fault("test_mode_refused", CENTRE, True, "the alarm centre will not put accounts on test"),
        plan=Expect(2),
        apply=Expect(0),
        # No test alarm is sent: outside a test window it would reach a dispatcher.
        verify=Expect(2, {"alarm": FAIL}, says="no test alarm was sent"),
    ),
    Row(
        Fault("platform_restart", PLATFORM, True, "the precinct platform restarted: proxies lost"),
        plan=Expect(2),
        apply=Expect(0),
        verify=Expect(
            2,
            {"drift": FAIL, "streams": FAIL},
            says="proxy missing (platform restarted?)",
        ),
    ),
    Row(
        Fault("zlm_legacy_auth", PLATFORM, True, "a ZLMediaKit older than its 2026 login"),
        plan=Expect(2),  # a MediaMTX precinct here: the ZLM API it also serves is not used
        apply=Expect(0),
        verify=Expect(0),
    ),
    Row(
        Fault("recording_gap", NVR, ["gate-face:6"], "the NVR stopped recording one channel"),
        plan=Expect(2),
        apply=Expect(0),  # the channel is configured; that it records is verify's to see
        verify=Expect(
            2,
            {"recording": FAIL, "policy": FAIL},
            says="channel gate-face has recorded nothing for the last 6.0 h",
        ),
    ),
    Row(
        Fault("hdd_fail", NVR, True, "one of the NVR's disks failed"),
        plan=Expect(2),
        apply=Expect(0),
        verify=Expect(2, {"recording": FAIL, "policy": FAIL}, says="disk 1 reports error"),
    ),
    Row(
        Fault("disk_full", NVR, True, "the cameras' bitrate rose: the disks hold 12 days"),
        plan=Expect(2),
        apply=Expect(0),
        verify=Expect(
            2,
            # The budget is counted at the bitrate the NVR's files hold, not the cameras' cap.
            {"budgets": FAIL, "recording": FAIL, "policy": FAIL},
            says="keeps 12.0 days at",
        ),
    ),
    Row(
        Fault("schedule_motion_only", NVR, True, "the NVR records on motion only"),
        plan=Expect(2),
        apply=Expect(0),
        verify=Expect(
            2,
            {"drift": FAIL, "recording": FAIL, "policy": FAIL},
            says="is recorded on schedule 'MOTION 24x7', not continuous 24x7",
        ),
    ),
    # A GB/T 28181 alarm column (the variant's gate column): apply writes its SIP access;
    # verify presses its button through the lab and finds no alarm at the platform.
    Row(
        Fault(
            "alarm_notify_lost",
            GB_COLUMN,
            True,
            "the alarm column's button press sends nothing (broken wiring or alarm linkage)",
            gb28181=True,
        ),
        plan=Expect(2),
        apply=Expect(0),
        verify=Expect(
            2,
            {"alarm": FAIL},
            says=f"alarm: {GB_COLUMN}: button pressed, but the platform recorded no alarm from "
            f"{GB_COLUMN_ID}",
        ),
    ),
    Row(
        Fault(
            "alarm_refused",
            PLATFORM,
            True,
            "the GB/T 28181 platform refuses the column's alarm (403) and records none",
            gb28181=True,
        ),
        plan=Expect(2),
        apply=Expect(0),
        verify=Expect(
            2,
            {"alarm": FAIL},
            says=f"alarm: {GB_COLUMN}: button pressed, but the platform recorded no alarm from "
            f"{GB_COLUMN_ID}",
        ),
    ),
)
# The faults that themselves keep the platform's pull of a camera out: their verify judges the
# pull the fault refuses, not one that got in while the fault was off for the clean apply (the
# lab camera, hung, would go on streaming a session it had before; a real one stops).
KEEP_PULLS_OUT = ("timeout", "rtsp_down")
# The one lab whose switch starts at factory settings: the switch's apply types ~50 lines over
# netmiko (~2 s), which the other labs would repeat for nothing; they start from its result.
FACTORY_SWITCH = "ssh_drop"
ROWS = {row.fault.kind: row for row in MATRIX}


def _cells() -> Iterator[object]:
    for row in MATRIX:
        for command in COMMANDS:
            bug = row.expect(command).bug
            marks = (
                [pytest.mark.xfail(strict=True, raises=KnownBug, reason=bug.reason)] if bug else []
            )
            yield pytest.param(
                row.fault.kind, command, id=f"{row.fault.kind}-{command}", marks=marks
            )


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_city(tmp_path_factory.mktemp("fault-matrix") / "city")


@pytest.fixture(scope="module")
def gb_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_city(tmp_path_factory.mktemp("fault-matrix-gb") / "city", gb28181=True)


def _settle(fault: Fault) -> Callable[[FaultLab], None] | None:
    if fault.kind == "timeout":  # the hung camera's channel, as its NVR sees it by now
        return lambda lab: recorder_lost(lab, fault.device)
    if not fault.gb28181:
        return None
    offline = fault.device if fault.kind == "sip_keepalive_stop" else None
    return lambda lab: platform_heard_every_camera(lab, offline)


@pytest.fixture(scope="module")
def scenario(
    city: Path, gb_city: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], dict[str, Observed]]:
    """fault kind -> what plan, apply and verify did; each fault's lab runs once."""
    seen: dict[str, Scenario] = {}

    def run(kind: str) -> Scenario:
        if kind not in seen:
            fault = ROWS[kind].fault
            switch = None if kind == FACTORY_SWITCH else run(FACTORY_SWITCH).switch
            work = tmp_path_factory.mktemp(kind)
            root = gb_city if fault.gb28181 else city
            seen[kind] = within(
                SCENARIO_DEADLINE_S,
                f"the {kind} scenario",
                lambda: run_scenario(
                    root,
                    work,
                    fault.lab_id,
                    {kind: fault.value},
                    switch,
                    _settle(fault),
                    SHORT_TIMEOUT_S if fault.times_out else TIMEOUT_S,
                    pulls_settle=kind not in KEEP_PULLS_OUT,
                ),
            )
        return seen[kind]

    return lambda kind: run(kind).observed


def test_every_fault_kind_has_one_row_in_the_labs_order() -> None:
    assert [row.fault.kind for row in MATRIX] == list(FAULT_KINDS)


@pytest.mark.parametrize(("kind", "command"), list(_cells()))
def test_cell(
    kind: str,
    command: str,
    scenario: Callable[[str], dict[str, Observed]],
    city: Path,
    gb_city: Path,
) -> None:
    observed = scenario(kind)[command]
    # What holds in every cell, whatever the fault: no crash, a report, the journal kept.
    assert observed.exit_code != 3 and "Traceback" not in observed.stderr, observed.stderr
    assert observed.report, f"{command} printed no JSON report: {observed.stderr}"
    if command in ("plan", "apply"):
        root = gb_city if ROWS[kind].fault.gb28181 else city
        assert set(observed.statuses()) == managed_hosts(root), observed.statuses()
    if command == "apply":
        assert observed.new_runs == ["failed" if observed.exit_code else "ok"], observed.new_runs
        for device, status in observed.statuses().items():
            if status == "changed":
                assert observed.journal.get(device) == {"applied"}, (device, observed.journal)
    else:
        assert observed.new_runs == [], f"{command} recorded a run in the journal"
    hold(ROWS[kind].expect(command), observed)


def _doc_tool() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "tools" / "fault_matrix_doc.py"
    spec = importlib.util.spec_from_file_location("fault_matrix_doc", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_doc_is_current() -> None:
    tool = _doc_tool()
    committed = tool.DOC.read_text("utf-8") if tool.DOC.exists() else ""
    assert committed == tool.render(MATRIX), (
        f"{tool.DOC} is out of date with MATRIX: regenerate it with "
        "`.venv/bin/python tools/fault_matrix_doc.py`"
    )
