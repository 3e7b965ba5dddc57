"""The running lab's state file: where the lab process is and where each device listens.

Commands run with `--lab` read it to reach each inventory device at its lab address; it holds
no secret. Written atomically, removed when the lab stops; a file whose process is gone is
stale and treated as no lab.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from provision.errors import ProvisionError

DEFAULT_DIR = ".provision/lab"


def lab_dir(path: str | Path | None = None) -> Path:
    return Path(path or os.environ.get("PROVISION_LAB_DIR") or DEFAULT_DIR)


def state_path(directory: Path) -> Path:
    return directory / "state.json"


def write_state(directory: Path, state: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".state.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(state, fh, ensure_ascii=False, indent=1)
    os.replace(tmp, state_path(directory))


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_state(directory: Path) -> dict[str, Any] | None:
    """The running lab's state, or None (a stale file is removed)."""
    path = state_path(directory)
    try:
        state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except json.JSONDecodeError as exc:
        raise ProvisionError(f"{path} is not a lab state file: {exc}") from exc
    if not pid_alive(int(state.get("pid", 0))):
        path.unlink(missing_ok=True)
        return None
    return state


def require_state(directory: Path) -> dict[str, Any]:
    state = read_state(directory)
    if state is None:
        raise ProvisionError(
            f"no lab is running (no live {state_path(directory)}); start one with "
            "`provision lab up -i DIR`"
        )
    return state
