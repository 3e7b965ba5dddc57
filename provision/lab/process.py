"""Start and stop the lab as a background process: what `lab up`, `lab down` and the demo use.

The lab runs in its own session (so a terminal's Ctrl-C or a closed shell does not kill it)
with its output in lab.log; `start_lab` returns once the lab has written its state file,
which it does only when every device listens.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from provision.errors import ProvisionError
from provision.inventory.selectors import Selection
from provision.lab.state import pid_alive, read_state, state_path

START_TIMEOUT_S = 300.0
STOP_TIMEOUT_S = 30.0


def daemon_args(
    inventory: str, directory: Path, selection: Selection, faults: str | None = None
) -> list[str]:
    args = [
        sys.executable,
        "-m",
        "provision.lab.daemon",
        "--inventory",
        inventory,
        "--state-dir",
        str(directory),
    ]
    if faults:
        args += ["--faults", faults]
    for flag, values in (
        ("--school", selection.schools),
        ("--district", selection.districts),
        ("--tier", selection.tiers),
        ("--precinct", selection.precincts),
    ):
        for value in values:
            args += [flag, value]
    return args


def start_lab(
    inventory: str, directory: Path, selection: Selection, faults: str | None = None
) -> dict[str, Any]:
    running = read_state(directory)
    if running:
        raise ProvisionError(
            f"a lab is already running (pid {running['pid']}); `provision lab down` first"
        )
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "lab.log"
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            daemon_args(inventory, directory, selection, faults),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        state = read_state(directory)
        if state and state["pid"] == proc.pid:
            return state
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                proc.kill()
            tail = log.read_text(encoding="utf-8").strip().splitlines()[-10:]
            raise ProvisionError("the lab did not start:\n  " + "\n  ".join(tail))
        time.sleep(0.1)  # polling the lab's own signal (its state file), with a deadline


def stop_lab(directory: Path) -> int | None:
    """Stop the running lab; its pid, or None when none was running."""
    state = read_state(directory)
    if state is None:
        return None
    pid = int(state["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while pid_alive(pid) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.05)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    state_path(directory).unlink(missing_ok=True)
    return pid


def _reap(pid: int) -> None:
    """Collect the lab if it is our own child (the demo started it), so it is no zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
