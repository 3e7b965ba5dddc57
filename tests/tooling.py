"""Outside programs and client libraries the tests need, found or built, never silently missing.

Under `CI=true` a test that needs a tool this machine lacks fails (the CI set-up installs every
tool the suite uses); on a developer's machine it skips and says what to install. Clients whose
pins conflict with the project's own (onveef, dc09-spt, hikvisionapi, ...) get a virtual
environment of their own, built once per set of requirements and reused by later runs.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENVS = ROOT / ".venv-interop"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing(what: str, install: str) -> None:
    """Skip, or under CI fail: `what` is absent and `install` says how to get it."""
    message = f"{what} is not available here; install it with: {install}"
    if in_ci():
        pytest.fail(message + " (CI=true: nothing skips for a missing tool)", pytrace=False)
    pytest.skip(message)


def require_program(name: str, debian_package: str) -> str:
    """The path of program `name`, or skip/fail naming the Debian package that has it."""
    path = shutil.which(name)
    if path is None:
        missing(f"the program {name!r}", f"apt-get install {debian_package}")
        raise AssertionError("unreachable")  # pytest.skip/fail raise; this is for mypy
    return path


def client_venv(name: str, requirements: Sequence[str], no_deps: Sequence[str] = ()) -> Path:
    """The python of a private venv holding `requirements` (and `no_deps`, installed without
    their dependencies, for clients with impossible pins). Built under .venv-interop/ once per
    distinct requirement set; concurrent test processes wait for one builder (a file lock)."""
    digest = hashlib.sha256(repr((sorted(requirements), sorted(no_deps))).encode()).hexdigest()
    venv = VENVS / f"{name}-{digest[:12]}"
    python = venv / "bin" / "python"
    ready = venv / ".ready"
    VENVS.mkdir(exist_ok=True)
    with open(VENVS / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            shutil.rmtree(venv, ignore_errors=True)
            try:
                _build(venv, requirements, no_deps)
            except subprocess.CalledProcessError as exc:
                shutil.rmtree(venv, ignore_errors=True)
                detail = (exc.stderr or b"").decode(errors="replace").strip().splitlines()[-3:]
                missing(
                    f"the client venv {name!r} ({' '.join([*requirements, *no_deps])})",
                    f"pip; it failed: {' | '.join(detail)}",
                )
            ready.touch()
    return python


def _build(venv: Path, requirements: Sequence[str], no_deps: Sequence[str]) -> None:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    if requirements:
        subprocess.run([*pip, *requirements], check=True, capture_output=True)
    if no_deps:
        subprocess.run([*pip, "--no-deps", *no_deps], check=True, capture_output=True)


def run_client(python: Path, script: str, *args: str, timeout: float = 60) -> str:
    """Run `script` (Python source) in a client venv; its stdout, or fail with its stderr."""
    done = subprocess.run(
        [str(python), "-c", script, *args], capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        pytest.fail(f"client script failed ({done.returncode}):\n{done.stderr}", pytrace=False)
    return done.stdout
