"""The one error handler: each kind of exception a command raises becomes its message and
exit code (1 failed, 3 bug with a crash log, 130 Ctrl-C, 141 reader gone), and a command's
returned int becomes the exit status, nested groups included."""

from __future__ import annotations

import ast
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from crash_support import CrashLogs

import provision.cli
from provision.cli.group import ProvisionGroup
from provision.diagnostics import Location, Problem, Severity
from provision.errors import InventoryError, ProvisionError


def _probe(action: Callable[[], object]) -> click.Group:
    """`probe run` calls `action` and returns what it returns; `probe inner run` does the same
    one group further down, as `provision lab status` is."""

    @click.group(cls=ProvisionGroup)
    def probe() -> None:
        pass

    @probe.group("inner", cls=ProvisionGroup)
    def inner() -> None:
        pass

    def run() -> object:
        return action()

    probe.command("run")(run)
    inner.command("run")(run)
    return probe


def _raise(exc: BaseException) -> Callable[[], object]:
    def action() -> object:
        raise exc

    return action


@pytest.mark.parametrize("path", [["run"], ["inner", "run"]])
@pytest.mark.parametrize("code", [0, 1, 2, 143])
def test_the_code_a_command_returns_is_the_exit_status(
    runner: CliRunner, path: list[str], code: int
) -> None:
    assert runner.invoke(_probe(lambda: code), path).exit_code == code


def test_a_command_that_returns_nothing_exits_0(runner: CliRunner) -> None:
    assert runner.invoke(_probe(lambda: None), ["run"]).exit_code == 0


@pytest.mark.parametrize("path", [["run"], ["inner", "run"]])
def test_a_provision_error_is_exit_1_with_its_message(runner: CliRunner, path: list[str]) -> None:
    result = runner.invoke(_probe(_raise(ProvisionError("the switch said no"))), path)
    assert result.exit_code == 1
    assert result.stderr == "error: the switch said no\n"
    assert result.stdout == ""


def _problem(number: int) -> Problem:
    location = Location(f"schools/s{number}.yaml", number, 1)
    return Problem(Severity.ERROR, "bad-thing", f"problem {number}", location)


def test_an_inventory_error_lists_its_first_50_problems_and_counts_the_rest(
    runner: CliRunner,
) -> None:
    problems = [_problem(n) for n in range(1, 61)]
    result = runner.invoke(_probe(_raise(InventoryError("city is broken", problems))), ["run"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "error: city is broken"
    assert lines[1:51] == [f"  {p.format()}" for p in problems[:50]]
    assert lines[51:] == ["  ... and 10 more"]


def test_a_file_the_user_named_that_cannot_be_written_is_exit_1_not_a_bug(
    runner: CliRunner, crash_logs: CrashLogs
) -> None:
    denied = PermissionError(13, "Permission denied", "/srv/report.html")
    result = runner.invoke(_probe(_raise(denied)), ["run"])
    assert result.exit_code == 1
    assert "Permission denied" in result.stderr and "/srv/report.html" in result.stderr
    assert crash_logs.written() == []


@pytest.mark.parametrize("path", [["run"], ["inner", "run"]])
def test_a_bug_is_exit_3_with_the_traceback_in_the_crash_log_not_on_the_terminal(
    runner: CliRunner, crash_logs: CrashLogs, path: list[str]
) -> None:
    result = runner.invoke(_probe(_raise(RuntimeError("kaboom"))), path)
    assert result.exit_code == 3
    assert result.stderr == f"provision hit a bug; details in {crash_logs.only()}\n"
    log = crash_logs.only().read_text(encoding="utf-8")
    assert log.startswith("Traceback") and "RuntimeError: kaboom" in log


def test_crash_logs_are_private_never_follow_a_planted_link_and_never_overwrite(
    runner: CliRunner, crash_logs: CrashLogs, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    (crash_logs.dir / "provision-crash.log").symlink_to(victim)  # the old fixed name, planted
    for _ in range(2):
        result = runner.invoke(_probe(_raise(RuntimeError("kaboom"))), ["run"])
        assert result.exit_code == 3
    assert victim.read_text(encoding="utf-8") == "keep me"
    logs = crash_logs.written()
    assert len(logs) == 2 and all(not log.is_symlink() for log in logs)
    assert {stat.S_IMODE(log.stat().st_mode) for log in logs} == {0o600}


def test_a_bug_whose_crash_log_cannot_be_written_is_still_exit_3_without_a_traceback(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))
    result = runner.invoke(_probe(_raise(RuntimeError("kaboom"))), ["run"])
    assert result.exit_code == 3
    assert "could not write its details to" in result.stderr
    assert "Traceback" not in result.output


def test_an_os_error_about_no_file_is_still_a_bug(runner: CliRunner, crash_logs: CrashLogs) -> None:
    result = runner.invoke(_probe(_raise(ConnectionResetError(104, "reset"))), ["run"])
    assert result.exit_code == 3 and len(crash_logs.written()) == 1


def test_ctrl_c_is_exit_130(runner: CliRunner) -> None:
    result = runner.invoke(_probe(_raise(KeyboardInterrupt())), ["run"])
    assert result.exit_code == 130
    assert result.stderr == "Interrupted.\n"


def test_a_reader_that_went_away_ends_quietly_with_141(
    runner: CliRunner, crash_logs: CrashLogs
) -> None:
    result = runner.invoke(_probe(_raise(BrokenPipeError(32, "Broken pipe"))), ["run"])
    assert result.exit_code == 141
    assert result.stderr == "" and crash_logs.written() == []


def test_click_reports_its_own_usage_errors_with_exit_2(runner: CliRunner) -> None:
    result = runner.invoke(_probe(_raise(click.UsageError("--a and --b contradict"))), ["run"])
    assert result.exit_code == 2
    assert "--a and --b contradict" in result.stderr


def test_no_command_decides_the_exit_status_itself() -> None:
    """Only the group turns a code into an exit (group.py) and only main() ends the process:
    a sys.exit in a command would bypass the handler and the returned-code contract."""
    package = Path(provision.cli.__file__).parent
    offenders = []
    for module in sorted(package.rglob("*.py")):
        if module.name in ("group.py", "main.py"):
            continue
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            called = node.func if isinstance(node, ast.Call) else None
            if isinstance(called, ast.Attribute) and called.attr == "exit":
                offenders.append(f"{module.relative_to(package)}:{node.lineno}")
            if isinstance(called, ast.Name) and called.id == "SystemExit":
                offenders.append(f"{module.relative_to(package)}:{node.lineno}")
    assert offenders == []
