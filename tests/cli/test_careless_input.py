"""Ordinary mistakes on the command line are one line and exit 1 or 2, never a crash or a
silent success: numbers no run can use, files that are not what they should be, selections
that match nothing, stale files from an earlier render."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from provision.cli.main import cli

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dalian"
KINDERGARTEN = ("--school", "dl-xg-k003")


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output and "hit a bug" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize(
    "args",
    [
        *(["plan", "--timeout", v] for v in ("0", "-5", "nan", "inf", "1e400", "abc")),
        *(["verify", "--alarm-threshold", v] for v in ("-1", "nan", "0")),
        ["verify", "--timeout", "inf"],
        ["apply", "--lock-wait", "-1"],
        ["apply", "--lock-wait", "nan"],
        ["history", "-n", "99999999999999999999"],
        ["history", "-n", "0"],
        ["lab", "fault", "school/device", "latency_ms=-5"],
        ["lab", "fault", "school/device", "latency_ms=abc"],
        ["lab", "fault", "school/device", "dead=maybe"],
        ["lab", "fault", "school/device", "latncy_ms=5"],
    ],
)
def test_a_number_no_run_can_use_is_a_usage_error_before_anything_runs(args: list[str]) -> None:
    code, output = _run(*args, *(["-i", str(EXAMPLE)] if args[0] in ("plan", "verify") else []))
    assert code == 2, output
    assert "Invalid value" in output


def test_an_unknown_fault_suggests_the_one_meant() -> None:
    code, output = _run("lab", "fault", "school/device", "latncy_ms=5")
    assert code == 2 and "did you mean latency_ms?" in output


def test_a_secrets_file_that_is_not_utf8_is_one_line_naming_it(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_bytes(b"A=1\nPROVISION_NETWORK_PASSWORD=caf\xe9\n")
    secrets.chmod(0o600)
    code, output = _run("plan", "-i", str(EXAMPLE), "--lab", "--secrets", str(secrets))
    assert code == 1
    assert f"{secrets}:2: not UTF-8 text" in output
    assert "caf" not in output  # the bytes around a bad one may be a password


def test_a_selection_that_matches_no_school_says_so_and_exits_1() -> None:
    code, output = _run("render", "-i", str(EXAMPLE), "--school", "dl-xg-k003", "--tier", "high")
    assert code == 1
    assert "no school in" in output and "matches school dl-xg-k003 and tier high" in output


def test_a_city_without_school_files_is_not_valid(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE / "city.yaml", tmp_path / "city.yaml")
    code, output = _run("validate", "-i", str(tmp_path))
    assert code == 1
    assert "[no-schools]" in output and "schools/<id>.yaml" in output


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_render_out_where_nothing_can_be_written_is_exit_1(tmp_path: Path, where: str) -> None:
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    out = tmp_path / "afile" / "sub" if where == "under-a-file" else Path("/proc/provision-x")
    code, output = _run("render", "-i", str(EXAMPLE), "--school", "dl-xg-k003", "--out", str(out))
    assert code == 1 and output.startswith("error: "), output
    assert len(output.strip().splitlines()) == 1


def test_render_out_removes_the_files_of_devices_that_are_gone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    school = out / "dl-xg-k003"
    code, _ = _run("render", "-i", str(EXAMPLE), "--school", "dl-xg-k003", "--out", str(out))
    assert code == 0
    renamed = school / "camera" / "old-name.yaml"  # a camera the inventory renamed since
    renamed.write_text("stale", encoding="utf-8")
    notes = school / "NOTES.md"  # the user's own file beside the configs stays
    notes.write_text("mine", encoding="utf-8")
    before = sorted(p for p in school.rglob("*") if p.is_file() and p not in (renamed, notes))
    code, output = _run("render", "-i", str(EXAMPLE), "--school", "dl-xg-k003", "--out", str(out))
    assert code == 0
    assert not renamed.exists() and f"removed {renamed}" in output
    assert notes.read_text(encoding="utf-8") == "mine"
    assert sorted(p for p in school.rglob("*") if p.is_file() and p != notes) == before


def test_lab_up_on_a_port_in_use_names_the_device_and_the_offset_to_use(tmp_path: Path) -> None:
    offset = 23_000  # away from the offsets test labs and helpers use
    taken = socket.socket()
    taken.bind(("127.34.28.1", 2222 + offset))  # dl-xg-k003's switch, SSH
    taken.listen()
    env = {**os.environ, "PROVISION_LAB_PORT_OFFSET": str(offset)}
    env["PROVISION_LAB_DIR"] = str(tmp_path / "lab")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "provision", "lab", "up", "-i", str(EXAMPLE), *KINDERGARTEN],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        taken.close()
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        "error: the lab did not start: dl-xg-k003/core cannot listen on 127.34.28.1: a port it "
        "needs is already in use (another lab, or another program). Stop that, or move every "
        f"port of this lab, e.g. PROVISION_LAB_PORT_OFFSET={offset + 1000}"
    ]
