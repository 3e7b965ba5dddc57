"""Support for the fault matrix (no tests here): a one-school city small enough to converge in
seconds, an in-process lab of it, and the real CLI run against that lab.

The lab runs on a `LabLoop` thread in this process, so starting one per fault costs a fraction
of a second; the commands are the `provision` CLI invoked in-process (click's runner), so exit
codes, JSON reports and the journal are exactly what an integrator gets from a shell.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
import yaml
from click.testing import CliRunner
from labsupport import LabLoop, wait_until

from provision.cli.main import cli
from provision.drivers.registry import is_managed
from provision.inventory.loader import load_inventory
from provision.inventory.selectors import Selection
from provision.lab.cli.base import SwitchConfig
from provision.lab.control import ControlApi
from provision.lab.runtime import Lab
from provision.lab.state import state_path, write_state
from provision.lab.switch import Switch

T = TypeVar("T")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
SCHOOL = "dl-xg-k003"  # kindergarten: one ruijie_os switch, two panels, no LED board
SWITCH = f"{SCHOOL}/core"
# The gate area alone: three forwarded cameras that fully cover its two critical zones, so
# the tier's real coverage targets still hold and an obstructed camera opens a real blind spot.
KEEP_AREAS = ("gate",)
# Per device operation (--timeout). A lab device answers in milliseconds, but on a 2-core CI
# machine running the suite a healthy exchange, or the platform's first pull of a healthy
# camera, has taken over 2 s: so the CLI's own default, which only a hang reaches. The rows
# where a client waits out its timeout (`Fault.times_out`) run with SHORT_TIMEOUT_S instead,
# so that the wait costs seconds.
TIMEOUT_S = 10.0
SHORT_TIMEOUT_S = 2.0
ALARM_THRESHOLD_S = 2.0  # --alarm-threshold: a lab 601 arrives in milliseconds
SCENARIO_DEADLINE_S = 90.0  # four commands taking longer than this have hung


# The GB/T 28181 variant: the school's precinct runs a WVP-style platform (its SIP server an ID
# under Xigang's code) and the gate's ISAPI cameras register with it. A 2 s heartbeat with 3
# missed before offline: a camera whose keepalives stop is offline within seconds, while one
# keepalive a little late still passes (a warning only after 3 s).
GB_PRECINCT = "renminguangchang"
GB_SERVER_ID = "21020300002000000003"
GB_IDS = {  # camera -> (device ID, its one channel): Xigang 210203, education 11, IPC 132
    "gate-plaza-w": ("21020300111320903020", "21020300111310903021"),
    "gate-plaza-e": ("21020300111320903030", "21020300111310903031"),
}
# A one-button alarm column at the gate that reports over GB/T 28181 (type 134), beside the
# school's two DC-09 panels; verify presses it through the lab's control API.
GB_COLUMN = "gate-column"
GB_COLUMN_ID = "21020300111340903050"


def small_city(dest: Path, gb28181: bool = False) -> Path:
    """A copy of the example city holding one school trimmed to its gate area (with
    `gb28181`, in the variant above: its precinct a GB/T 28181 one)."""
    (dest / "schools").mkdir(parents=True)
    city = yaml.safe_load((EXAMPLE / "city.yaml").read_text("utf-8"))
    school = yaml.safe_load((EXAMPLE / "schools" / f"{SCHOOL}.yaml").read_text("utf-8"))
    areas = [a for a in school["site"]["areas"] if a["id"] in KEEP_AREAS]
    school["site"]["areas"] = areas
    school["cameras"] = [c for c in school["cameras"] if c["area"] in KEEP_AREAS]
    for panel in school["alarms"]:  # their zones went with the teaching building
        panel["zone"] = areas[0]["zones"][0]["id"]
    if gb28181:
        _gb28181_variant(city, school)
        text = yaml.safe_dump(city, allow_unicode=True, sort_keys=False)
        (dest / "city.yaml").write_text(text, "utf-8")
    else:
        shutil.copy(EXAMPLE / "city.yaml", dest / "city.yaml")
    text = yaml.safe_dump(school, allow_unicode=True, sort_keys=False)
    (dest / "schools" / f"{SCHOOL}.yaml").write_text(text, "utf-8")
    return dest


def _gb28181_variant(city: dict[str, Any], school: dict[str, Any]) -> None:
    precinct = next(p for p in city["precincts"] if p["id"] == GB_PRECINCT)
    host = precinct["video_platform"]["api"].split("//")[1].split(":")[0]
    precinct["video_platform"] = {
        "kind": "gb28181",
        "api": f"http://{host}:18080",
        "secret": "${PROVISION_WVP_PASSWORD}",
        "sip": {
            "server_id": GB_SERVER_ID,
            "domain": GB_SERVER_ID[:10],
            "host": host,
            "password": "${PROVISION_GB28181_PASSWORD}",
            "heartbeat_s": 2,
            "heartbeat_max_missed": 3,
        },
    }
    for camera in school["cameras"]:
        if camera["name"] in GB_IDS:
            camera["gb28181_id"], channel = GB_IDS[camera["name"]]
            camera["gb28181_channels"] = [channel]
        elif camera.get("forward"):
            camera["forward"] = False  # ONVIF: cannot carry the SIP settings
    school["alarms"].append(
        {
            "name": GB_COLUMN,
            "kind": "one_button",
            "host": "10.34.30.7",
            "protocol": "gb28181",
            "gb28181_id": GB_COLUMN_ID,
            "zone": school["alarms"][0]["zone"],
        }
    )


@dataclass(slots=True)
class Observed:
    """What one command did, as its user sees it."""

    command: str
    exit_code: int
    report: dict[str, Any]  # the command's JSON report ({} when it printed none)
    stderr: str
    seconds: float
    new_runs: list[str] = field(default_factory=list)  # statuses of runs it added to the journal
    journal: dict[str, set[str]] = field(default_factory=dict)  # device -> outcomes of its rows

    def statuses(self) -> dict[str, str]:
        """plan/apply: device -> status."""
        return {d["device"]: d["status"] for d in self.report.get("devices", [])}

    def verdicts(self) -> dict[str, str]:
        """verify: check -> verdict for the one school."""
        [school] = self.report["schools"]
        return {c["check"]: c["verdict"] for c in school["checks"]}

    def messages(self) -> list[str]:
        """The problems the report states: device errors and rollbacks (plan/apply), findings
        that do not pass (verify). The text report prints these same strings."""
        if "schools" in self.report:
            return [
                f"{c['check']}: {f['subject']}: {f['message']}"
                for s in self.report["schools"]
                for c in s["checks"]
                for f in c["findings"]
                if f["verdict"] != "pass"
            ]
        out = []
        for d in self.report.get("devices", []):
            if d["error"]:
                out.append(f"{d['device']}: {d['error']}")
            if d["rolled_back"]:
                out.append(f"{d['device']}: rolled back {len(d['rolled_back'])} change(s)")
        return out


class FaultLab:
    """One fresh lab of the small city, with the CLI pointed at it (`--lab`)."""

    def __init__(self, root: Path, work: Path, timeout_s: float = TIMEOUT_S) -> None:
        self.root, self.timeout_s = root, timeout_s
        city = load_inventory(root).city
        assert city is not None
        self.city = city
        self.loop = LabLoop()
        self.lab = Lab(city, Selection(schools=(SCHOOL,)).apply(city), work / "lab-data")
        self.journal = work / "journal.sqlite"
        self.control: ControlApi | None = None
        self.env = {
            "PROVISION_LAB_DIR": str(work / "lab"),
            "PROVISION_LOCK_DIR": str(work / "locks"),
            "PROVISION_JOURNAL": str(self.journal),
        }

    def start(self, switch: SwitchConfig | None = None) -> None:
        """Start every device at factory settings, or the switch at `switch` when given."""
        self.lab.build()
        if switch is not None:
            config = self.switch().config
            config.running, config.saved = switch.running.copy(), switch.saved.copy()
        self.loop.run(self.lab.start())
        # The control API, as `lab up` runs it: verify presses alarm columns through it.
        self.control = ControlApi(self.lab)
        self.loop.run(self.control.server.start())
        # `--lab` commands look for a live lab's state file; this process is that lab.
        write_state(
            Path(self.env["PROVISION_LAB_DIR"]),
            {
                "pid": os.getpid(),
                "inventory": str(self.root),
                "started_at": time.time(),
                "control": f"http://127.0.0.1:{self.control.server.port}",
                "devices": {d.id: d.status() for d in self.lab.devices.values()},
            },
        )

    def stop(self) -> None:
        state_path(Path(self.env["PROVISION_LAB_DIR"])).unlink(missing_ok=True)
        try:
            if self.control is not None:
                self.loop.run(self.control.server.stop())
            self.loop.run(self.lab.stop())
        finally:
            self.loop.close()

    def switch(self) -> Switch:
        return cast(Switch, self.lab.devices[SWITCH].sim)

    def fault(self, device: str, changes: dict[str, Any] | None) -> None:
        """Switch faults on `device` (None clears them); the next exchange shows them."""
        self.loop.run(self.lab.set_faults(device, changes))

    # --- commands -------------------------------------------------------------------------

    def _run(self, command: str, *args: str) -> Observed:
        """The CLI in-process, with the journal's runs before and after it."""
        before = set(journal_runs(self.journal))
        started = time.perf_counter()
        with pytest.MonkeyPatch.context() as patch:
            for name, value in self.env.items():
                patch.setenv(name, value)
            result = CliRunner().invoke(cli, [command, *args])
        seconds = time.perf_counter() - started
        stderr = result.stderr
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            stderr += "".join(traceback.format_exception(result.exception))
        runs = journal_runs(self.journal)
        added = [runs[r] for r in runs if r not in before]
        observed = Observed(command, result.exit_code, _json(result.stdout), stderr, seconds, added)
        run_id = observed.report.get("run_id")
        if command == "apply" and run_id:
            observed.journal = journal_rows(self.journal, run_id)
        return observed

    def _common(self) -> list[str]:
        return [
            "-i",
            str(self.root),
            "--school",
            SCHOOL,
            "--lab",
            "--timeout",
            f"{self.timeout_s:g}",
        ]

    def plan(self) -> Observed:
        return self._run("plan", *self._common(), "--format", "json", "--detailed-exitcode")

    def apply(self) -> Observed:
        return self._run("apply", *self._common(), "--format", "json", "--yes")

    def verify(self) -> Observed:
        threshold = f"{ALARM_THRESHOLD_S:g}"
        return self._run(
            "verify", *self._common(), "--format", "json", "--alarm-threshold", threshold
        )


def managed_hosts(root: Path) -> set[str]:
    """The hosts plan and apply work on: the school's devices and its stream proxies (none
    in a GB/T 28181 precinct: its cameras register themselves)."""
    city = load_inventory(root).city
    assert city is not None
    school = city.school(SCHOOL)
    names = {f"{SCHOOL}/{d.name}" for d in school.devices() if is_managed(d.kind, d.protocol)}
    if city.precincts[school.precinct].video_platform.kind == "gb28181":
        return names
    return names | {f"{SCHOOL}/streams"}


def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def journal_runs(path: Path) -> dict[str, str]:
    """run id -> status of every run in the journal (none before the first apply)."""
    if not path.exists():
        return {}
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return dict(db.execute("SELECT run_id, status FROM runs").fetchall())


def journal_rows(path: Path, run_id: str) -> dict[str, set[str]]:
    """device -> the outcomes ("applied", "rolled_back", ...) of its rows in one run."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT device, outcome FROM changes WHERE run_id = ?", (run_id,))
        out: dict[str, set[str]] = {}
        for device, outcome in rows.fetchall():
            out.setdefault(device, set()).add(outcome)
    return out


def within(deadline_s: float, what: str, work: Callable[[], T]) -> T:
    """Run `work` in a daemon thread; a hang fails the test instead of freezing the suite."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed to the waiting test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True, name=what)
    thread.start()
    thread.join(deadline_s)
    if thread.is_alive():
        pytest.fail(f"{what} did not finish within {deadline_s:g} s: a hang", pytrace=False)
    if "error" in box:
        raise box["error"]
    return cast(T, box["value"])


@dataclass(slots=True)
class Scenario:
    observed: dict[str, Observed]  # command -> what it did
    switch: SwitchConfig  # the switch's configuration when the lab stopped


def platform_heard_every_camera(lab: FaultLab, offline: str | None = None) -> None:
    """GB/T 28181 variant, before verify: the cameras register (or are refused) on their own
    time after apply wrote them, and the platform then asks for their Catalog. Wait until it
    has heard from each camera, its Catalog answered, and, when `offline` names a camera,
    until that one is offline; verify then judges settled state. A deadline, not a sleep."""
    platform = lab.lab.devices[f"precinct/{GB_PRECINCT}/video_platform"].sim
    watched = {device: name == offline for name, (device, _) in GB_IDS.items()}

    def heard() -> bool:
        for device, want_offline in watched.items():
            reg = platform.devices.get(device)
            if reg is None:
                if not platform.refusals.get(device):
                    return False
            elif reg.catalog_at is None or (want_offline and platform.online(reg)):
                return False
        return True

    wait_until(lambda: lab.loop.call(heard), timeout=60, what="the platform's view to settle")


def recorder_lost(lab: FaultLab, camera: str) -> None:
    """A hung camera: wait until the school's NVR calls its channel offline, as a recorder does
    once its own RTP timeout has passed (the lab NVR's `SILENT_AFTER_S` after a probe that got
    no answer; lab/nvr_links.py). An auditor finds a camera that has hung for a while, not one
    that stopped answering a second ago. A deadline, not a sleep."""
    nvr = lab.lab.devices[f"{SCHOOL}/nvr-1"].sim
    lab.loop.run(nvr.probe_channels())  # a probe now, as the NVR's stream would have noticed

    def offline() -> bool:
        state = nvr.settings
        channel = next(c for c in state.channels.values() if c.name == camera)
        return not state.link(channel.id).online

    wait_until(lambda: lab.loop.call(offline), timeout=60, what=f"the NVR to lose {camera}")


def platform_pulled_every_stream(lab: FaultLab) -> None:
    """Wait until the precinct's MediaMTX pulls every path it holds. A pull the camera refused
    (the auditor it checks was never created) is retried after MediaMTX's fixed pause (5 s),
    not when a later apply fixes the camera: a verify inside that pause would judge the retry's
    timing, which on a busy machine falls either side of it. A deadline, not a sleep."""
    platform = lab.lab.devices[f"precinct/{GB_PRECINCT}/video_platform"].sim
    api = getattr(platform, "mediamtx", None)  # a GB/T 28181 platform pulls nothing itself

    def pulled() -> bool:
        paths = api.paths.values() if api is not None else ()
        return all(p.pulled is not None and p.pulled.online for p in paths)

    wait_until(lambda: lab.loop.call(pulled), timeout=60, what="the platform to pull every stream")


def run_scenario(
    root: Path,
    work: Path,
    lab_id: str,
    fault: dict[str, Any],
    switch: SwitchConfig | None,
    settle: Callable[[FaultLab], None] | None = None,
    timeout_s: float = TIMEOUT_S,
    pulls_settle: bool = True,
) -> Scenario:
    """plan and apply with the fault on, from factory settings (the switch from `switch` if
    given); then verify with the fault on, the school converged, so that only the fault can fail
    a check (when apply failed under the fault, a clean apply without it converges first, and,
    with `pulls_settle`, the platform's pulls are all up again before the fault returns).
    `settle`, when given, waits for what the devices do on their own after apply."""
    lab = FaultLab(root, work, timeout_s)
    try:
        lab.start(switch)
        lab.fault(lab_id, fault)
        seen = {"plan": lab.plan(), "apply": lab.apply()}
        if seen["apply"].exit_code != 0:
            lab.fault(lab_id, None)
            converge = lab.apply()
            if converge.exit_code != 0:
                problems = "\n".join(converge.messages()) or converge.stderr
                raise AssertionError(f"the school did not converge without the fault:\n{problems}")
            if pulls_settle:
                platform_pulled_every_stream(lab)
        lab.fault(lab_id, fault)  # again: an event fault (platform_restart) happens once per set
        if settle is not None:
            settle(lab)
        seen["verify"] = lab.verify()
        return Scenario(seen, lab.switch().config)
    finally:
        lab.stop()
