"""provision verify --run-dir killed mid-run keeps what finished; --resume DIR finishes it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from labsupport import wait_until
from scalelab import EXAMPLE, Lab

from provision.cli.main import cli

SLOW = "2"  # seconds the schools of the precinct whose alarm centre is down wait
ORDER = ["dl-xg-k003", "dl-xg-m016", "dl-zs-h024", "dl-zs-p007"]  # the inventory's
# Deadlines for things that happen, not measures of speed: with both cores busy (load 18
# measured here) this test took 107 s, and 55 s at about half that load.
LOADED = 240


def provision(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "provision", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def complete_lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line for line in path.read_text(encoding="utf-8").splitlines(True) if line[-1:] == "\n"]


def test_a_killed_run_keeps_what_finished_and_resume_verifies_only_the_rest(
    lab: Lab, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    jsonl = run_dir / "schools.jsonl"
    # One school at a time, in inventory order: two quick schools, then the two whose
    # alarm centre is down and who wait SLOW seconds each for their test alarms.
    first = provision(
        *("verify", "-i", str(EXAMPLE), "--lab", "--run-dir", str(run_dir)),
        *("--workers", "1", "--alarm-threshold", SLOW, "--format", "json"),
        env=lab.env,
    )
    try:
        wait_until(lambda: len(complete_lines(jsonl)) >= 2, timeout=LOADED, what="two schools")
    finally:
        first.send_signal(signal.SIGKILL)  # no chance to clean up, like a lost machine
        first.communicate()
    kept = complete_lines(jsonl)
    # Killed once two schools were on disk. The third waits SLOW s for its test alarms, so it is
    # on disk too only if the machine ran this poll that much late; the fourth never is.
    done = len(kept)
    assert [json.loads(line)["school"] for line in kept] == ORDER[:done] and 2 <= done < 4

    second = provision("verify", "--resume", str(run_dir), "--format", "json", env=lab.env)
    out, err = second.communicate(timeout=LOADED)
    assert second.returncode == 2, err  # the lab's faults fail their checks
    assert f"resuming {run_dir}: {done} school(s) already verified" in err
    assert f"{4 - done} school(s) verified in this session; 4 in" in err
    report = json.loads(out)
    assert [s["school"] for s in report["schools"]] == ORDER
    assert complete_lines(jsonl)[:done] == kept  # kept byte for byte, not verified again
    assert len(complete_lines(jsonl)) == 4
    alarm = {s["school"]: s["checks"][4] for s in report["schools"]}
    assert alarm["dl-zs-h024"]["evidence"]["threshold_s"] == float(SLOW)  # the run's own


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--dask", "local", "--secrets", "{secrets}"], "--secrets is not sent to Dask workers"),
        (["--worker-inventory", "/srv/city"], "--worker-inventory needs --dask"),
        (["--run-dir", "{tmp}/a", "--resume", "{tmp}"], "name different directories"),
    ],
)
def test_options_that_do_not_go_together_are_refused(
    args: list[str], says: str, tmp_path: Path
) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text("X=1\n", encoding="utf-8")
    secrets.chmod(0o600)
    filled = [a.format(secrets=secrets, tmp=tmp_path) for a in args]
    result = CliRunner().invoke(cli, ["verify", "-i", str(EXAMPLE), *filled])
    assert result.exit_code == 2 and says in result.output
