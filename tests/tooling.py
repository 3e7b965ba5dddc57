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


# The clients no one here wrote that the interop suites drive from venvs of their own:
# name -> (requirements, requirements installed without their dependencies). One table, so
# `make test` builds every venv in the background while lint and mypy run (`python
# tests/tooling.py`), and a suite that needs one waits for its build instead of doing it.
CLIENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "onveef": (("onveef==0.6.0",), ()),
    "amcrest": (("amcrest==1.9.9",), ()),
    "dc09-spt": (("pycryptodome",), ("dc09-spt",)),  # pins pycrypto, which no longer builds
    "hikvisionapi": (("hikvisionapi==0.3.2",), ()),
    "hikaxpro": (("hikaxpro==2.3.1",), ()),
    "napalm": (("napalm>=5.1,<6",), ()),
    "scrapli": (("scrapli>=2024.1",), ()),
}


def client(name: str) -> Path:
    """The python of the venv of client `name` (a key of CLIENTS)."""
    return client_venv(name, *CLIENTS[name])


def client_venv(name: str, requirements: Sequence[str], no_deps: Sequence[str] = ()) -> Path:
    """The python of a private venv holding `requirements` (and `no_deps`, installed without
    their dependencies, for clients with impossible pins). Built under .venv-interop/ once per
    distinct requirement set; concurrent test processes wait for one builder (a file lock)."""
    python, failure = _ensure_venv(name, requirements, no_deps)
    if failure:
        missing(
            f"the client venv {name!r} ({' '.join([*requirements, *no_deps])})",
            f"pip; it failed: {failure}",
        )
    return python


def _ensure_venv(
    name: str, requirements: Sequence[str], no_deps: Sequence[str]
) -> tuple[Path, str]:
    """(the venv's python, "" or why building it failed)."""
    digest = hashlib.sha256(repr((sorted(requirements), sorted(no_deps))).encode()).hexdigest()
    venv = VENVS / f"{name}-{digest[:12]}"
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
                return venv / "bin" / "python", " | ".join(detail) or f"exit {exc.returncode}"
            ready.touch()
    return venv / "bin" / "python", ""


def _build(venv: Path, requirements: Sequence[str], no_deps: Sequence[str]) -> None:
    # uv, installed beside the project's python by `make`, where it could be; else pip.
    uv = Path(sys.executable).with_name("uv")
    python = str(venv / "bin" / "python")
    if uv.exists():
        venv_args = ["--without-pip"]
        pip = [str(uv), "pip", "install", "--quiet", "--compile-bytecode", "--python", python]
    else:
        venv_args = []
        pip = [python, "-m", "pip", "install", "--quiet"]
    subprocess.run(
        [sys.executable, "-m", "venv", *venv_args, str(venv)], check=True, capture_output=True
    )
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


def _build_every_client() -> int:
    """Build every CLIENTS venv not built yet, three at a time (pip mostly waits on the network
    and the disk); print what failed. The suite reports a failure again, where it matters."""
    from concurrent.futures import ThreadPoolExecutor

    def build(name: str) -> str:
        return _ensure_venv(name, *CLIENTS[name])[1]

    with ThreadPoolExecutor(3) as pool:
        failures = dict(zip(CLIENTS, pool.map(build, CLIENTS), strict=True))
    for name, failure in failures.items():
        print(f"{name}: {failure or 'ready'}")
    return 1 if any(failures.values()) else 0


if __name__ == "__main__":
    sys.exit(_build_every_client())
