"""Each command's exit codes: success, a user's mistake (1, never 3) and a bug (3, a crash log,
no traceback on the terminal).

Where a command needs devices, the library call is replaced by a canned result: what is
under test here is how the command line turns results and errors into codes. The commands
against the running lab are tested end to end in tests/e2e and tests/faults.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from crash_support import CrashLogs

import provision.cli.apply
import provision.cli.lab.status
import provision.cli.plan
import provision.cli.rollback
import provision.cli.verify
from provision.cli.main import cli
from provision.engine.outcome import DeviceOutcome, Status
from provision.engine.runs import RunReport
from provision.engine.signals import Stop
from provision.inventory.selectors import Selection
from provision.verify.model import FAIL, PASS, CheckResult, CityReport, SchoolReport

SCHOOL = "dl-zs-h024"


def _run_report(command: str, *statuses: str, interrupted: bool = False) -> RunReport:
    report = RunReport(command, "examples/dalian", "digest", Selection(), run_id="run-1")
    report.outcomes = [
        DeviceOutcome(f"{SCHOOL}/device-{n}", "camera", Status(status))
        for n, status in enumerate(statuses)
    ]
    report.interrupted = interrupted
    return report


def _canned(report: RunReport, signum: int = 0) -> Any:
    """A stand-in for plan/apply/rollback that returns `report`; with `signum`, as if that
    signal had stopped the run."""

    def run(*args: Any, **kwargs: Any) -> RunReport:
        stop = kwargs.get("stop") or args[-1]
        assert isinstance(stop, Stop)
        stop.signum = signum
        return report

    return run


def _broken(*_: Any, **__: Any) -> Any:
    raise RuntimeError("kaboom")


def _assert_bug(result: Any, crash_logs: CrashLogs) -> None:
    assert result.exit_code == 3, result.output
    log = crash_logs.only()
    assert result.stderr.endswith(f"provision hit a bug; details in {log}\n")
    assert "Traceback" not in result.output
    assert "RuntimeError: kaboom" in log.read_text(encoding="utf-8")


@pytest.fixture
def broken_city(city_copy: Path) -> Path:
    (city_copy / "schools" / f"{SCHOOL}.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    return city_copy


# --- validate, render, schema, demo ------------------------------------------------------------


def test_validate(runner: CliRunner, example_city: Path, broken_city: Path) -> None:
    assert runner.invoke(cli, ["validate", "-i", str(example_city)]).exit_code == 0
    invalid = runner.invoke(cli, ["validate", "-i", str(broken_city)])
    assert invalid.exit_code == 1 and "INVALID" in invalid.stderr


def test_render(runner: CliRunner, example_city: Path, broken_city: Path, tmp_path: Path) -> None:
    args = ["render", "-i", str(example_city), "--school", SCHOOL, "--out", str(tmp_path / "o")]
    assert runner.invoke(cli, args).exit_code == 0
    assert (tmp_path / "o" / SCHOOL).is_dir()
    assert runner.invoke(cli, ["render", "-i", str(broken_city)]).exit_code == 1


def test_schema(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["schema", "--out", str(tmp_path / "s")]).exit_code == 0
    a_file = tmp_path / "a-file"
    a_file.write_text("", encoding="utf-8")
    not_a_directory = runner.invoke(cli, ["schema", "--out", str(a_file / "s")])
    assert not_a_directory.exit_code == 1 and str(a_file) in not_a_directory.stderr


def test_demo_on_an_invalid_city_is_exit_1(
    runner: CliRunner, broken_city: Path, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["demo", "-i", str(broken_city), "--out", str(tmp_path / "d")])
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("args", "module", "name"),
    [
        (["validate", "-i", "."], "provision.cli.validate", "validate"),
        (["render", "-i", "."], "provision.cli.render", "render_selection"),
        (["schema"], "provision.cli.schema", "schema_text"),
        (["demo", "--out", "{tmp}/demo"], "provision.cli.demo", "validate"),
        (["plan", "-i", "."], "provision.cli.plan", "plan_run"),
        (["apply", "-i", ".", "--yes", "--journal", "{tmp}/j"], "provision.cli.apply", "apply_run"),
        (["rollback", "r", "--journal", "{tmp}/j"], "provision.cli.rollback", "rollback_run"),
        (["history", "--journal", "{tmp}/j"], "provision.cli.history", "Journal"),
        (["verify", "-i", "."], "provision.cli.verify", "verify"),
        (["hostkey", "forget", "10.0.0.9"], "provision.cli.hostkey", "forget_host_key"),
        (["lab", "up", "--state-dir", "{tmp}/lab"], "provision.cli.lab.up", "start_lab"),
        (["lab", "status", "--state-dir", "{tmp}/lab"], "provision.cli.lab.status", "lab_dir"),
        (["lab", "fault", "a/b", "--clear"], "provision.cli.lab.fault", "lab_dir"),
        (["lab", "down", "--state-dir", "{tmp}/lab"], "provision.cli.lab.down", "read_state"),
        (["state", "migrate", "--to", "postgresql://x@/y"], "provision.cli.state", "is_postgres"),
        (["init", "{tmp}/city"], "provision.cli.init", "write_starter"),
    ],
)
def test_a_bug_in_any_command_is_exit_3_with_a_crash_log(
    runner: CliRunner,
    crash_logs: CrashLogs,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    module: str,
    name: str,
) -> None:
    monkeypatch.setattr(f"{module}.{name}", _broken)
    result = runner.invoke(cli, [a.replace("{tmp}", str(tmp_path)) for a in args])
    _assert_bug(result, crash_logs)


def test_every_command_is_covered_by_the_bug_test() -> None:
    covered = {"validate", "render", "schema", "demo", "plan", "apply", "rollback", "history"}
    covered |= {"verify", "hostkey", "lab", "state", "init"}
    assert set(cli.list_commands(None)) == covered  # type: ignore[arg-type]


# --- plan, apply, rollback, history --------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "detailed", "code"),
    [
        (("unchanged",), False, 0),
        (("unchanged",), True, 0),
        (("would change",), False, 0),
        (("would change",), True, 2),
        (("would change", "failed"), True, 1),
        (("unreachable",), False, 1),
    ],
)
def test_plan(
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    statuses: tuple[str, ...],
    detailed: bool,
    code: int,
) -> None:
    monkeypatch.setattr(provision.cli.plan, "plan_run", _canned(_run_report("plan", *statuses)))
    args = ["plan", "-i", "examples/dalian"] + (["--detailed-exitcode"] if detailed else [])
    assert runner.invoke(cli, args).exit_code == code


def test_plan_of_a_city_that_does_not_exist_is_exit_1(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["plan", "-i", str(tmp_path / "nowhere")])
    assert result.exit_code == 1 and "not a city inventory" in result.stderr


@pytest.mark.parametrize(("statuses", "code"), [(("changed",), 0), (("changed", "failed"), 1)])
def test_apply(
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    statuses: tuple[str, ...],
    code: int,
) -> None:
    monkeypatch.setattr(provision.cli.apply, "apply_run", _canned(_run_report("apply", *statuses)))
    args = ["apply", "-i", "examples/dalian", "--yes", "--journal", str(tmp_path / "j.sqlite")]
    assert runner.invoke(cli, args).exit_code == code


def test_apply_without_yes_off_a_terminal_is_exit_1_and_touches_nothing(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(provision.cli.apply, "apply_run", _broken)
    args = ["apply", "-i", "examples/dalian", "--journal", str(tmp_path / "j.sqlite")]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1 and "confirm with --yes" in result.stderr


@pytest.mark.parametrize("command", ["apply", "rollback"])
def test_a_run_a_signal_stopped_exits_128_plus_the_signal_and_says_how_to_go_on(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: str
) -> None:
    report = _run_report(command, "changed", "not started", interrupted=True)
    target = provision.cli.apply if command == "apply" else provision.cli.rollback
    monkeypatch.setattr(target, f"{command}_run", _canned(report, signal.SIGTERM))
    first = "--yes" if command == "apply" else "run-1"
    result = runner.invoke(cli, [command, first, "--journal", str(tmp_path / "j.sqlite")])
    assert result.exit_code == 128 + signal.SIGTERM
    assert "interrupted by SIGTERM: 1 of 2 device(s) finished (0 failed)" in result.stderr
    assert "provision rollback run-1" in result.stderr


@pytest.mark.parametrize(("statuses", "code"), [(("changed",), 0), (("failed",), 1)])
def test_rollback(
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    statuses: tuple[str, ...],
    code: int,
) -> None:
    report = _run_report("rollback", *statuses)
    monkeypatch.setattr(provision.cli.rollback, "rollback_run", _canned(report))
    args = ["rollback", "run-1", "--journal", str(tmp_path / "j.sqlite")]
    assert runner.invoke(cli, args).exit_code == code


def test_rollback_of_a_run_the_journal_does_not_hold_is_exit_1(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(cli, ["rollback", "nope", "--journal", str(tmp_path / "j.sqlite")])
    assert result.exit_code == 1 and "no run 'nope'" in result.stderr


def test_history(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["history", "--json", "--journal", str(tmp_path / "j.sqlite")])
    assert result.exit_code == 0 and result.stdout.strip() == "[]"
    a_directory = runner.invoke(cli, ["history", "--journal", str(tmp_path)])
    assert a_directory.exit_code == 2  # click refuses the option itself


def test_state_migrate(runner: CliRunner, tmp_path: Path) -> None:
    nothing = runner.invoke(
        cli,
        ["state", "migrate", "--from", str(tmp_path / "no.sqlite"), "--to", "postgresql://x@/y"],
    )
    assert nothing.exit_code == 1 and "no SQLite journal" in nothing.stderr
    not_postgres = runner.invoke(cli, ["state", "migrate", "--to", str(tmp_path / "j.sqlite")])
    assert not_postgres.exit_code == 1 and "pass --to postgresql://" in not_postgres.stderr


# --- verify -----------------------------------------------------------------------------------


def _city_report(*verdicts: str) -> CityReport:
    school = SchoolReport(SCHOOL, "Zhongshan High", "high", "zhongshan", "nanshajie")
    school.checks = [CheckResult("drift", v, f"drift {v}") for v in verdicts]
    report = CityReport("Dalian", "examples/dalian", ("drift",))
    report.schools = [school] if verdicts else []
    return report


@pytest.mark.parametrize(("verdicts", "code"), [((PASS,), 0), ((PASS, FAIL), 2), ((), 1)])
def test_verify(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, verdicts: tuple[str, ...], code: int
) -> None:
    canned = _city_report(*verdicts)
    monkeypatch.setattr(provision.cli.verify, "verify", lambda *_, **__: canned)
    result = runner.invoke(cli, ["verify", "-i", "examples/dalian", "--format", "json"])
    assert result.exit_code == code, result.output
    if not verdicts:
        assert "no school selected" in result.stderr


def test_verify_with_a_report_file_of_no_known_format_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["verify", "-i", "examples/dalian", "--out", "report.docx"])
    assert result.exit_code == 2 and "cannot tell the report format" in result.stderr


# --- hostkey, lab -------------------------------------------------------------------------------


def test_hostkey_forget(runner: CliRunner, tmp_path: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("10.0.0.9 ssh-ed25519 AAAAC3Nz\n", encoding="utf-8")
    args = ["hostkey", "forget", "10.0.0.9", "--known-hosts", str(known_hosts)]
    assert runner.invoke(cli, args).exit_code == 0
    again = runner.invoke(cli, args)
    assert again.exit_code == 1 and "has no key for 10.0.0.9" in again.stderr


def test_lab_commands_without_a_running_lab(runner: CliRunner, tmp_path: Path) -> None:
    state_dir = ["--state-dir", str(tmp_path / "lab")]
    for args in (["lab", "status"], ["lab", "fault", "a/b", "--clear"]):
        result = runner.invoke(cli, args + state_dir)
        assert result.exit_code == 1 and "no lab is running" in result.stderr
    down = runner.invoke(cli, ["lab", "down", *state_dir])
    assert down.exit_code == 0 and down.stdout == "no lab is running\n"


def test_lab_up_of_an_invalid_city_is_exit_1(
    runner: CliRunner, broken_city: Path, tmp_path: Path
) -> None:
    args = ["lab", "up", "-i", str(broken_city), "--state-dir", str(tmp_path / "lab")]
    assert runner.invoke(cli, args).exit_code == 1


def _sharded_state(second_alive: bool) -> dict[str, Any]:
    shard = {"schools": [SCHOOL], "precincts": ["nanshajie"], "devices": {}, "control": "c"}
    return {
        "pid": 1,
        "shards": [
            {**shard, "shard": 0, "pid": 10, "alive": True},
            {**shard, "shard": 1, "pid": 11, "alive": second_alive},
        ],
    }


@pytest.mark.parametrize(("second_alive", "code"), [(True, 0), (False, 1)])
def test_lab_status_is_exit_1_when_a_shard_is_gone(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, second_alive: bool, code: int
) -> None:
    monkeypatch.setattr(
        provision.cli.lab.status, "require_state", lambda _: _sharded_state(second_alive)
    )
    monkeypatch.setattr(provision.cli.lab.status, "call_control", lambda *_: [])
    result = runner.invoke(cli, ["lab", "status"])
    assert result.exit_code == code
    assert ("shard 1 (pid 11) is down" in result.stderr) is not second_alive


# --- the process itself ---------------------------------------------------------------------


def test_a_reader_that_went_away_ends_the_process_quietly_with_141() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write, as `| head` once it is done
    try:
        done = subprocess.run(
            [sys.executable, "-m", "provision", "schema", "--kind", "school"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 141
    assert done.stderr == b""
